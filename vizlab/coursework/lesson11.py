"""Lesson 11 exercises: the machine observer's decision, and Network Dissection's IoU."""
from __future__ import annotations

import torch

from ..twoafc import References, Similarity, Trial, concept_iou
from . import Exercise
from .checking import Wrong, generator as cases_generator


def _reference_choice(queries, maximal, minimal) -> int:
    refs = References("natural", maximal, minimal, torch.ones(len(maximal)), torch.zeros(len(minimal)))
    trial = Trial("unit", 0, refs, queries, torch.zeros(2), (0, 1), 0, (100.0, 0.0))
    return Similarity(lambda codes: codes)(trial).choice


def _as_choice(value) -> int:
    if value is None:
        raise Wrong("choose(...) returns nothing yet", "finish the function and `return` 0 or 1")
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise Wrong(f"choose(...) should return one index, got a tensor of shape {tuple(value.shape)}",
                        "return one Python int, 0 or 1: int() of the argmax of the queries' scores")
        value = value.item()
    if value not in (0, 1):
        raise Wrong(f"choose(...) should return 0 or 1, got {value!r}", "return the index of the query you pick")
    return int(value)


def _check_choose(fn, seed: int) -> None:
    generator = cases_generator(seed, 1111)
    for case in range(60):
        d, k = (4, 9, 32)[case % 3], (1, 3, 9)[case % 3]
        # codes of very different lengths: only the cosine similarity ignores a code's length
        scale = lambda n: torch.rand(n, 1, generator=generator) * 10 + 0.1  # noqa: E731
        queries = torch.randn(2, d, generator=generator) * scale(2)
        maximal = torch.randn(k, d, generator=generator) * scale(k)
        minimal = torch.randn(k, d, generator=generator) * scale(k)
        expected = _reference_choice(queries, maximal, minimal)
        got = _as_choice(fn(queries.clone(), maximal.clone(), minimal.clone()))
        if got != expected:
            raise Wrong(f"on a case with {k} references of {d} numbers, choose picked query {got}, "
                        f"the similarity rule picks {expected}",
                        "score each query by its mean cosine similarity to the maximal references minus its "
                        "mean cosine similarity to the minimal ones (normalize the codes first), and pick the larger")


def _check_iou(fn, seed: int) -> None:
    generator = cases_generator(seed, 1112)
    for n, size, p_on, p_mask in [(3, 8, 0.3, 0.2), (10, 16, 0.05, 0.5), (1, 5, 0.5, 0.5), (6, 12, 0.02, 0.1)]:
        on = torch.rand(n, size, size, generator=generator) < p_on
        masks = torch.rand(n, size, size, generator=generator) < p_mask
        masks[0] = False                                       # an image without the concept
        expected = float(concept_iou(on[:, None].float(), torch.tensor([0.5]), masks[:, None])[0, 0])
        got = fn(on.clone(), masks.clone())
        if got is None:
            raise Wrong("iou(...) returns nothing yet", "finish the function and `return` the IoU")
        got = float(got)
        if abs(got - expected) > 1e-5:
            per_image = [((o & m).sum() / (o | m).sum()).item() for o, m in zip(on, masks) if (o | m).any()]
            if per_image and abs(got - sum(per_image) / len(per_image)) < 1e-5:
                raise Wrong("this is the mean of each image's IoU", "Network Dissection sums the intersections and "
                            "the unions over the whole dataset first, then divides once")
            raise Wrong(f"iou for {n} images of {size}x{size} is {got:.5g}, expected {expected:.5g}",
                        "sum over all images and pixels of (on & mask), divided by the sum of (on | mask)")


EXERCISES = [
    Exercise("q1", "choose",
             "choose(queries, maximal, minimal) takes codes (2, d), (k, d), (k, d) and returns the index of the "
             "query whose mean cosine similarity to `maximal` minus that to `minimal` is larger", _check_choose),
    Exercise("q2", "iou",
             "iou(on, masks) takes two bool tensors (N, H, W), a unit's thresholded maps and a concept's masks, "
             "and returns their intersection over union summed over the whole dataset", _check_iou),
]
