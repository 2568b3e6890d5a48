"""Lesson 01 exercises: first-layer filters."""
from __future__ import annotations

import torch

from ..filters import filters_for_display
from . import Exercise
from .checking import Wrong, compare_tensors


def _check_symmetric_scale(fn) -> None:
    generator = torch.Generator().manual_seed(101)
    for shape in [(16, 3, 7, 7), (4, 3, 11, 11)]:
        weight = torch.randn(shape, generator=generator) * 0.3
        weight[0] = 0                                          # a dead filter must stay grey
        out = fn(weight.clone())
        if isinstance(out, torch.Tensor) and out.shape == weight.shape:
            if torch.allclose(out.double(), filters_for_display(weight, scaling="per_filter").double(), atol=1e-5):
                raise Wrong("this is per-filter min-max scaling: every filter is stretched to its own range",
                            "use one scale for all filters: w / (2 max|W|) + 0.5 over the whole tensor")
            if out[0].numel() and torch.allclose(out[0].double(), torch.zeros_like(out[0]).double()):
                raise Wrong("zero weights map to 0 (black); they should map to 0.5 (grey)", "add 0.5 after scaling")
        compare_tensors(out, filters_for_display(weight), what="symmetric_scale(weight)",
                        hint="one scale for all filters: weight / (2 * weight.abs().max()) + 0.5")


EXERCISES = [
    Exercise("q1", "symmetric_scale",
             "symmetric_scale(weight) maps kernels (K, 3, k, k) to [0, 1] with one scale for all filters, zero at grey",
             _check_symmetric_scale),
]
