"""vizlab: see what a neural network's units respond to.

The engine (no widgets, no pyplot) is importable from here; its methods live in subpackages,
in lecture order: ``vizlab.dataprobe`` (receptive fields, top activating patches, feature
space), ``vizlab.attribution`` (saliency, guided backprop, Grad-CAM, sanity checks),
``vizlab.ascent`` (gradient ascent, the one optimization loop), ``vizlab.inversion``
(inverting a representation), ``vizlab.deepdream``, ``vizlab.adversarial`` (FGSM, BIM, PGD
and their measurements) and ``vizlab.inverse_set`` (sampling the inputs that drive a neuron to
a level band). Widgets live in ``vizlab.widgets``, figures in ``vizlab.plot``, exercises in
``vizlab.coursework``.
"""
from . import adversarial, ascent, attribution, dataprobe, deepdream, inverse_set, inversion
from ._version import __version__  # noqa: F401 (the installed distribution's metadata, vizlab-cnn)
from .ascent import ascend, visualize
from .data import CLASSES, ShapesDataset, make_shapes
from .deepdream import dream
from .filters import filters_for_display, first_conv, impulse_response, low_frequency_share, orientation_selectivity
from .images import as_batch, image_grid, load_image, sample_image, to_numpy, to_pil
from .inversion import invert, inversion_table
from .models.zoo import WeightsUnavailableError, available_models, load_model
from .probe import Probe, UnknownLayerError, capture, get_layer, layer_names, list_layers
from .relu_rules import relu_rules

__all__ = [
    "adversarial", "ascent", "attribution", "dataprobe", "deepdream", "inverse_set", "inversion",
    "ascend", "visualize", "dream", "invert", "inversion_table", "relu_rules",
    "CLASSES", "ShapesDataset", "make_shapes",
    "filters_for_display", "first_conv", "impulse_response", "low_frequency_share", "orientation_selectivity",
    "as_batch", "image_grid", "load_image", "sample_image", "to_numpy", "to_pil",
    "WeightsUnavailableError", "available_models", "load_model",
    "Probe", "UnknownLayerError", "capture", "get_layer", "layer_names", "list_layers",
]
