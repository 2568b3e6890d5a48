"""Lesson 10 exercises: the inverse set of a neuron."""
from __future__ import annotations

import torch

from ..inverse_set import mean_pairwise_distance
from . import Exercise
from .checking import Wrong, generator as cases_generator


def _as_float(value, what: str) -> float:
    if value is None:
        raise Wrong(f"{what} is None: the function returns nothing yet", "finish the function and `return` the result")
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise Wrong(f"{what} should be one number, got a tensor of shape {tuple(value.shape)}",
                        "average over all pairs: the result is a single number")
        value = value.item()
    try:
        return float(value)
    except (TypeError, ValueError):
        raise Wrong(f"{what} should be a number, got {type(value).__name__}", "return a float or a 0-d tensor")


def _check_spread(fn, seed: int) -> None:
    generator = cases_generator(seed, 1010)
    cases = [torch.randn(n, d, generator=generator) * s for n, d, s in [(2, 3, 1.0), (5, 4, 2.0), (9, 64, 0.5)]]
    for encodings in cases:
        n = encodings.shape[0]
        got = _as_float(fn(encodings.clone()), f"spread(encodings) for {n} samples")
        expected = mean_pairwise_distance(encodings)
        if abs(got - expected) <= 1e-4 * max(1.0, expected):
            continue
        distances = torch.cdist(encodings.double(), encodings.double())
        if abs(got - float(distances.pow(2).triu(1).sum() / (n * (n - 1) / 2))) < 1e-4 * max(1.0, got):
            raise Wrong("this is the mean *squared* distance", "take the square root of each pair's squared "
                        "distance before averaging: squared distances reward two far-apart clumps")
        if abs(got - float(distances.sum() / n ** 2)) < 1e-4 * max(1.0, got):
            raise Wrong("the average includes each sample's zero distance to itself",
                        "average over the n (n - 1) / 2 pairs i < j only")
        if abs(got - float(distances.triu(1).sum())) < 1e-4 * max(1.0, got):
            raise Wrong("this is the sum over pairs, not the mean", "divide by the number of pairs, n (n - 1) / 2")
        raise Wrong(f"spread(encodings) for {n} samples is {got:.5g}, expected {expected:.5g}",
                    "mean over pairs i < j of the Euclidean distance ||e_i - e_j||")
    if _as_float(fn(torch.randn(1, 3, generator=generator)), "spread of one sample") != 0.0:
        raise Wrong("one sample has no pairs: its spread should be 0", "return 0.0 when there are fewer than 2 samples")


EXERCISES = [
    Exercise("q1", "spread",
             "spread(encodings) takes encodings (n, d) and returns the mean Euclidean distance over all pairs "
             "i < j (0.0 for fewer than two samples)", _check_spread),
]
