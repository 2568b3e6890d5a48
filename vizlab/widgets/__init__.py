"""ipywidgets views over vizlab's engine. They hold controls and pictures, never an algorithm."""
from .adversarial import AdversarialExplorer
from .ascent import AscentExplorer
from .attribution import AttributionExplorer
from .dream import DreamExplorer
from .filters import FilterExplorer
from .inverse_set import InverseSetExplorer
from .inversion import InversionExplorer
from .live import LiveExplorer
from .neighbours import EmbeddingPlot, NeighboursExplorer
from .quiz import QuizExplorer
from .saliency import SaliencyExplorer
from .top_patches import TopPatchesExplorer

__all__ = ["AdversarialExplorer", "AscentExplorer", "AttributionExplorer", "DreamExplorer", "EmbeddingPlot",
           "FilterExplorer", "InverseSetExplorer", "InversionExplorer", "LiveExplorer", "NeighboursExplorer",
           "QuizExplorer", "SaliencyExplorer", "TopPatchesExplorer"]
