"""Attribution: which pixels does a class score (or one unit) depend on?

Every method is a function ``method(model, images, target)`` with images (B, 3, H, W) in [0, 1]
and a target as in ``targets`` (a class index, one per image, ``None`` for the predicted class,
or a callable on the logits). Nothing is changed on the model or the images.
"""
from ..relu_rules import RULES, RuleReLU, relu_rules
from .gradcam import gradcam, guided_gradcam
from .gradients import channel_max, gradient, saliency, smoothgrad
from .guided import deconvnet, guided_backprop, project_unit
from .sanity import SanityCheck, cascading_randomization, spearman
from .scores import GroundTruthScores, mass_inside, pointing_game, score_methods

__all__ = [
    "gradient", "saliency", "smoothgrad", "channel_max",
    "guided_backprop", "deconvnet", "project_unit",
    "gradcam", "guided_gradcam",
    "relu_rules", "RuleReLU", "RULES",
    "cascading_randomization", "SanityCheck", "spearman",
    "mass_inside", "pointing_game", "score_methods", "GroundTruthScores",
]
