"""ipywidgets views over vizlab's engine. They hold controls and pictures, never an algorithm."""
from .filters import FilterExplorer

__all__ = ["FilterExplorer"]
