"""ipywidgets views over vizlab's engine. They hold controls and pictures, never an algorithm."""
from .ascent import AscentExplorer
from .attribution import AttributionExplorer
from .filters import FilterExplorer
from .inverse_set import InverseSetExplorer
from .neighbours import EmbeddingPlot, NeighboursExplorer
from .top_patches import TopPatchesExplorer

__all__ = ["AscentExplorer", "AttributionExplorer", "EmbeddingPlot", "FilterExplorer", "NeighboursExplorer",
           "TopPatchesExplorer", "InverseSetExplorer"]
