"""Gradient ascent on the input: "what image most excites this unit?"

``ascend`` is the loop (a generator of frames); objectives say what to maximize, ``param``
how the image is represented, ``transforms`` and ``regularizers`` what keeps it from turning
into noise. ``visualize`` runs the default recipe and returns the final images.
"""
from .loop import Frame, adam, ascend, make_param
from .objectives import (Objective, channel, class_logit, deepdream, direction, diversity,
                         gram_similarity, logits_layer, neuron)
from .param import FourierImage, PixelImage
from .recipes import visualize
from .regularizers import (blur, clip_contribution, clip_pixel_norm, decay, l1, l2,
                           project_to_ball, project_to_sphere, total_variation)
from .transforms import jitter, pad, random_rotate, random_scale, standard_transforms

__all__ = [
    "Frame", "adam", "ascend", "make_param", "visualize",
    "Objective", "channel", "class_logit", "deepdream", "direction", "diversity",
    "gram_similarity", "logits_layer", "neuron",
    "FourierImage", "PixelImage",
    "blur", "clip_contribution", "clip_pixel_norm", "decay", "l1", "l2",
    "project_to_ball", "project_to_sphere", "total_variation",
    "jitter", "pad", "random_rotate", "random_scale", "standard_transforms",
]
