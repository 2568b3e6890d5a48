"""Observers of 2-AFC trials: each one ``judges`` images, and its choice follows from the judgement.

An observer's ``judge(trial, images)`` gives each image a number meaning "how strongly I think
the unit responds to it". On a query trial it picks the query judged higher; on an occlusion
trial (``vizlab.twoafc.causal``) the occlusion whose judgement moves furthest from the
unoccluded image's. Its confidence is the gap between the two.

* ``TrueActivation(model)``: the unit's own response (an oracle: 100 % by construction);
* ``Guess(seed)``: a coin (50 % in expectation);
* ``Similarity(encoder)``: the Machine Interpretability Score's observer (Zimmermann, Klindt &
  Brendel, NeurIPS 2024), with a simple encoder: mean cosine similarity to the maximal
  references minus that to the minimal ones. Without references it guesses.
  ``second_network()`` encodes with the penultimate features of the second ShapeNet (another
  seed: the network under test would make the test circular); ``pixels()`` with the pixels.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from .. import checks
from .trials import responses


@dataclass(frozen=True)
class Choice:
    choice: int
    confidence: float


class Observer:
    name = "observer"

    def judge(self, trial, images: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def __call__(self, trial) -> Choice:
        judged = self.judge(trial, trial.queries).float()
        original = getattr(trial, "image", None)
        if original is not None:                                   # an occlusion trial: which changes it more?
            judged = (judged - self.judge(trial, original[None]).float()).abs()
        return Choice(int(judged[1] > judged[0]), float((judged[1] - judged[0]).abs()))


class TrueActivation(Observer):
    """Judges by the unit's true response: an observer that sees the network itself."""
    name = "true activation"

    def __init__(self, model: nn.Module):
        checks.model(model, "TrueActivation")
        self.model = model

    def judge(self, trial, images):
        return responses(self.model, trial.layer, images)[:, trial.channel]


class Guess(Observer):
    """Picks a side at random (its own seeded generator)."""
    name = "guess"

    def __init__(self, seed: int = 0):
        self.generator = torch.Generator().manual_seed(checks.integer(seed, "seed", minimum=0))

    def judge(self, trial, images):
        return torch.rand(len(images), generator=self.generator)


class Similarity(Observer):
    """Judges an image by its mean cosine similarity to the maximal references minus that to the
    minimal ones, in the space of ``encoder`` (images (B, 3, H, W) -> (B, d)). Guesses when the
    trial has no references (the "none" condition)."""

    def __init__(self, encoder, name: str = "similarity", *, seed: int = 0):
        if not callable(encoder):
            raise TypeError(f"encoder must be a function images -> (B, d) vectors, got {checks._show(encoder)}")
        self.encoder, self.name, self._guess = encoder, name, Guess(seed)
        self._cache: dict[int, tuple] = {}

    def _reference_codes(self, refs):
        key = id(refs)
        if key not in self._cache or self._cache[key][0] is not refs:
            codes = self.encode(torch.cat([refs.maximal, refs.minimal]))
            self._cache[key] = (refs, codes[:len(refs.maximal)], codes[len(refs.maximal):])
        return self._cache[key][1:]

    @torch.no_grad()
    def encode(self, images: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.encoder(images).flatten(1).float(), dim=1)

    def judge(self, trial, images):
        refs = trial.references
        if len(refs.maximal) == 0 or len(refs.minimal) == 0:
            return self._guess.judge(trial, images)
        maximal, minimal = self._reference_codes(refs)
        codes = self.encode(images)
        return (codes @ maximal.T).mean(1) - (codes @ minimal.T).mean(1)


def second_network(name: str = "shapenet-seed1") -> Similarity:
    """A similarity observer in the penultimate features of another network (default: the second
    ShapeNet, trained from another seed; lesson 09 uses it for transfer)."""
    from ..inverse_set.encoders import FeatureEncoder
    from ..models.zoo import load_model

    return Similarity(FeatureEncoder(load_model(name)), f"{name} features")


def pixels() -> Similarity:
    """The pixel-space baseline: each image's pixels minus their mean, as one vector."""
    return Similarity(lambda images: images.flatten(1) - images.flatten(1).mean(1, keepdim=True), "pixels")


def accuracy(observer, trials) -> float:
    """The share of ``trials`` on which ``observer`` picks the ``answer``."""
    trials = list(trials)
    if not trials:
        raise ValueError("accuracy needs at least one trial")
    return sum(observer(t).choice == t.answer for t in trials) / len(trials)
