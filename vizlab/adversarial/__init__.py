"""Adversarial examples: attacks that are exact, and the measurements a lesson needs.

``fgsm``, ``bim``, ``pgd`` (or ``attack`` with an ``Attack``) run on the shared loop
``vizlab.ascend``; ``minimal_eps`` finds the smallest eps that flips each image.
"""
from .attacks import (Attack, AttackFrame, AttackResult, attack, attack_frames, bim, fgsm, pgd)
from .losses import AttackObjective, attack_score, cross_entropy, margin
from .perturbation import Perturbation, l2_step, sign_step

__all__ = [
    "Attack", "AttackFrame", "AttackResult", "attack", "attack_frames", "bim", "fgsm", "pgd",
    "AttackObjective", "attack_score", "cross_entropy", "margin",
    "Perturbation", "l2_step", "sign_step",
]
