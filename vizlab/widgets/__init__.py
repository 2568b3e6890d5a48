"""ipywidgets views over vizlab's engine. They hold controls and pictures, never an algorithm."""
from .ascent import AscentExplorer
from .attribution import AttributionExplorer
from .filters import FilterExplorer

__all__ = ["AscentExplorer", "AttributionExplorer", "FilterExplorer"]
