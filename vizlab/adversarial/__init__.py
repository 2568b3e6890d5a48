"""Adversarial examples: attacks that are exact, and the measurements a lesson needs.

``fgsm``, ``bim``, ``pgd`` (or ``attack`` with an ``Attack``) run on the shared loop
``vizlab.ascend`` (``attack_frames`` streams their steps); ``minimal_eps`` finds the smallest
eps that flips each image; ``robustness_curve``, ``targeted_matrix`` and ``transfer`` measure;
``fooling_images`` ascends a class until the model is >= 99% sure; ``last_layer_explanation``
and ``input_space_explanation`` show the linear reason. Figures: ``vizlab.adversarial.plot``.
"""
from .attacks import Attack, AttackFrame, AttackResult, attack, attack_frames, bim, fgsm, pgd
from .explain import LinearExplanation, input_space_explanation, last_layer_explanation
from .fooling import FoolingImages, fooling_images
from .losses import AttackObjective, attack_score, cross_entropy, margin
from .measure import (RobustnessCurve, TargetedMatrix, Transfer, accuracy, random_noise, robustness_curve,
                      targeted_matrix, transfer)
from .perturbation import Perturbation, l2_step, sign_step
from .search import MinimalEps, minimal_eps

__all__ = [
    "Attack", "AttackFrame", "AttackResult", "attack", "attack_frames", "bim", "fgsm", "pgd",
    "LinearExplanation", "input_space_explanation", "last_layer_explanation",
    "FoolingImages", "fooling_images",
    "AttackObjective", "attack_score", "cross_entropy", "margin",
    "RobustnessCurve", "TargetedMatrix", "Transfer", "accuracy", "random_noise", "robustness_curve",
    "targeted_matrix", "transfer",
    "Perturbation", "l2_step", "sign_step",
    "MinimalEps", "minimal_eps",
]
