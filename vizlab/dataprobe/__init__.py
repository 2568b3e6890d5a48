"""What the data says about a unit: receptive fields, top activating patches, feature space."""
from .datasets import image_folder
from .feature_space import Embedding, features, nearest_neighbours, pca_2d, tsne_2d
from .receptive_field import (Box, Field, NotAChainError, measure_receptive_field, receptive_field,
                              receptive_fields)
from .top_activations import Record, TopK, top_activations

__all__ = [
    "image_folder",
    "Embedding", "features", "nearest_neighbours", "pca_2d", "tsne_2d",
    "Box", "Field", "NotAChainError", "measure_receptive_field", "receptive_field", "receptive_fields",
    "Record", "TopK", "top_activations",
]
