"""Sampling the inverse set of a neuron: diverse valid inputs whose activation lies in a band.

``inverse_set(model, channel("conv3", 5), (2, 3), n=48, generator="shapes")`` returns 48
images the shapes dataset could contain, each with its conv3:5 channel mean in [2, 3], spread
out in the model's feature space (Hada & Carreira-Perpinan, ICIP 2021). ``sample_inverse_set``
yields frames while it works, for widgets. Generators map codes in a box to images in [0, 1];
encoders map images to the vectors whose distances measure diversity.
"""
from .baselines import rejection_sample, restarts
from .encoders import FeatureEncoder, IdentityEncoder, mean_pairwise_distance, penultimate_layer
from .explore import (NeuronProfile, activations, most_variable_channel, neuron_profile, predictions,
                      quantile_band)
from .generators import CodeParam, FourierGenerator, PixelGenerator
from .lagrangian import Band
from .sampler import InverseSet, SamplerFrame, inverse_set, sample_inverse_set
from .shapes_renderer import ShapesGenerator, dataset_codes

__all__ = [
    "inverse_set", "sample_inverse_set", "InverseSet", "SamplerFrame", "Band",
    "rejection_sample", "restarts", "NeuronProfile", "activations", "most_variable_channel", "neuron_profile",
    "predictions", "quantile_band",
    "FeatureEncoder", "IdentityEncoder", "mean_pairwise_distance", "penultimate_layer",
    "CodeParam", "FourierGenerator", "PixelGenerator", "ShapesGenerator", "dataset_codes",
]
