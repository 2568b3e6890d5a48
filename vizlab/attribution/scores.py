"""Scoring attribution maps against the truth of the embedded dataset.

Every ShapesDataset image holds one object whose mask is known, so a map can be checked:

* **mass inside the mask**: the share of the map's total (non-negative) mass that falls on the
  object. A uniform map scores the object's area fraction, the baseline to beat.
* **pointing game** (Zhang et al. 2016): a hit when the map's maximum lies on the object.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..data.shapes import make_shapes


def mass_inside(maps: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Share of ``|maps|`` (B, H, W) inside the boolean ``masks`` (B, H, W), (B,); a zero map scores 0."""
    _check_shapes(maps, masks)
    mass = maps.detach().abs().flatten(1)
    inside = (mass * masks.flatten(1).to(mass.device)).sum(1)
    return inside / mass.sum(1).clamp(min=torch.finfo(mass.dtype).tiny)


def pointing_game(maps: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Whether the maximum of ``|maps|`` (B, H, W) lies inside ``masks`` (B, H, W), (B,) bool.

    With ties for the maximum, the first in row-major order counts.
    """
    _check_shapes(maps, masks)
    peak = maps.detach().abs().flatten(1).argmax(1)
    return masks.flatten(1).to(peak.device).gather(1, peak[:, None])[:, 0]


def _check_shapes(maps, masks):
    if maps.dim() != 3 or maps.shape != masks.shape:
        raise ValueError(f"maps and masks must both be (B, H, W) with the same shape; got "
                         f"{tuple(maps.shape)} and {tuple(masks.shape)}. Reduce colour maps with channel_max")


@dataclass
class GroundTruthScores:
    """Mean mass inside the mask and pointing-game accuracy per method, over ``n`` images."""

    methods: list[str]
    mass: list[float]
    pointing: list[float]
    baseline: float  # the mean object area fraction: what a uniform map scores for mass
    n: int

    def __str__(self) -> str:
        width = max(len(m) for m in self.methods + ["uniform map (baseline)"])
        lines = [f"{'method'.ljust(width)}  mass inside  pointing game   ({self.n} images)"]
        lines += [f"{m.ljust(width)}  {a:11.3f}  {p:13.3f}" for m, a, p in zip(self.methods, self.mass, self.pointing)]
        lines.append(f"{'uniform map (baseline)'.ljust(width)}  {self.baseline:11.3f}  {self.baseline:13.3f}")
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle):
        printer.text(str(self))


def score_methods(model: nn.Module, methods: dict, *, n: int = 64, seed: int = 1, size: int | None = None,
                  batch_size: int = 32) -> GroundTruthScores:
    """Score ``methods`` (name -> ``f(model, images, target) -> (B, H, W)``) on ``n`` embedded
    images, explaining each image's true class. ``seed`` picks the images (default 1: not the
    training seed 0)."""
    shapes = make_shapes(n, size=size or getattr(model, "input_size", 64), seed=seed)
    mass = {name: [] for name in methods}
    hits = {name: [] for name in methods}
    for start in range(0, n, batch_size):
        images, labels, masks = (t[start:start + batch_size] for t in (shapes.images, shapes.labels, shapes.masks))
        for name, method in methods.items():
            maps = method(model, images, labels)
            mass[name].append(mass_inside(maps, masks).cpu())
            hits[name].append(pointing_game(maps, masks).cpu())
    return GroundTruthScores(
        methods=list(methods),
        mass=[torch.cat(mass[m]).mean().item() for m in methods],
        pointing=[torch.cat(hits[m]).float().mean().item() for m in methods],
        baseline=shapes.masks.float().mean().item(),
        n=n,
    )
