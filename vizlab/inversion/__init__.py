"""Inverting a representation (Mahendran & Vedaldi 2015): what does a layer keep of an image?"""
from .invert import (PRIORS, PaperMomentum, ScheduledAdam, check_images, final, invert, paper_momentum, scheduled_adam,
                     tv_for_layer)
from .table import InversionTable, LayerInversion, contrast_map, image_error, inversion_table, what_survives
from .terms import (ImageStats, alpha_norm, alpha_penalty, feature_error, feature_match, image_statistics,
                    shapes_statistics, tv_norm, tv_penalty)

__all__ = ["InversionTable", "LayerInversion", "contrast_map", "image_error", "inversion_table", "what_survives",
           "PRIORS", "PaperMomentum", "ScheduledAdam", "scheduled_adam", "check_images", "final", "invert", "paper_momentum", "tv_for_layer",
           "ImageStats", "alpha_norm", "alpha_penalty", "feature_error", "feature_match", "image_statistics",
           "shapes_statistics", "tv_norm", "tv_penalty"]
