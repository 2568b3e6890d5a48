"""Does it work? Explanations of a unit put to a measured test (lesson 11).

``unit_trials`` builds 2-AFC trials for a unit (Borowski et al., ICLR 2021), with references of
a condition (none, natural, synthetic, inverse-set samples) and held-out queries at a chosen
difficulty; ``observers`` score them (the true activation, a guess, a machine observer in a
second network's features or in pixels); ``causal`` is the occlusion variant (Zimmermann et al.,
NeurIPS 2021); ``dissection`` measures which concept a unit detects (Network Dissection);
``lying`` builds a unit whose visualization shows something else (Geirhos et al., 2023);
``sweep`` runs the machine observers over layers and units.
"""
from .causal import OcclusionTrial, occlude, occlusion_effects, occlusion_trials
from .dissection import CONCEPTS, Dissection, concept_iou, concept_masks, dissect, top_quantile
from .lying import contrast, lying_model
from .observers import Choice, Guess, Observer, Similarity, TrueActivation, accuracy, pixels, second_network
from .sweep import DIFFICULTIES, Sweep, sweep
from .trials import (CONDITIONS, EXTREME, Pools, References, Trial, make_pools, make_trials, query_pairs,
                     references, responses, unit_trials)

__all__ = [
    "OcclusionTrial", "occlude", "occlusion_effects", "occlusion_trials",
    "CONCEPTS", "Dissection", "concept_iou", "concept_masks", "dissect", "top_quantile",
    "contrast", "lying_model",
    "Choice", "Guess", "Observer", "Similarity", "TrueActivation", "accuracy", "pixels", "second_network",
    "DIFFICULTIES", "Sweep", "sweep",
    "CONDITIONS", "EXTREME", "Pools", "References", "Trial", "make_pools", "make_trials", "query_pairs",
    "references", "responses", "unit_trials",
]
