"""vizlab: see what a neural network's units respond to.

The engine (no widgets, no pyplot) is importable from here; its methods live in subpackages
(``vizlab.dataprobe``: receptive fields, top activating patches, feature space;
``vizlab.ascent``: gradient ascent; ``vizlab.attribution``: saliency, guided backprop,
Grad-CAM, sanity checks; ``vizlab.inverse_set``: sampling the inputs that drive a neuron to a
level band), widgets in ``vizlab.widgets`` and figures in ``vizlab.plot``.
"""
from . import ascent, attribution, dataprobe, inverse_set
from .ascent import ascend, visualize
from .data import CLASSES, ShapesDataset, make_shapes
from .filters import filters_for_display, first_conv, impulse_response
from .images import as_batch, image_grid, load_image, sample_image, to_numpy, to_pil
from .models.zoo import WeightsUnavailableError, available_models, load_model
from .probe import Probe, UnknownLayerError, capture, get_layer, layer_names, list_layers
from .relu_rules import relu_rules

__version__ = "0.1.0"
__all__ = [
    "ascent", "attribution", "dataprobe", "inverse_set", "ascend", "visualize", "relu_rules",
    "CLASSES", "ShapesDataset", "make_shapes",
    "filters_for_display", "first_conv", "impulse_response",
    "as_batch", "image_grid", "load_image", "sample_image", "to_numpy", "to_pil",
    "WeightsUnavailableError", "available_models", "load_model",
    "Probe", "UnknownLayerError", "capture", "get_layer", "layer_names", "list_layers",
]
