"""Ready-made settings for the loop, shared by the explorer widget, the CLI and the lessons.

A ``Recipe`` is a plain description (which unit, which regularizers, how many steps) that
``run_recipe`` turns into a call to ``ascend``. The widget only edits a Recipe; the algorithm
stays here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

import torch
from torch import nn

from . import objectives as obj
from . import regularizers as reg
from .loop import Frame, adam, ascend
from .transforms import standard_transforms

KINDS = ("neuron", "channel", "class", "negative")


def make_objective(model: nn.Module, kind: str, layer: str, unit) -> obj.Objective:
    """``kind`` is ``"neuron"`` (centre unit), ``"channel"`` (its mean), ``"class"`` (logit
    ``unit`` at the model's last layer; ``layer`` is ignored) or ``"negative"`` (minus the channel:
    what suppresses it)."""
    if kind == "neuron":
        return obj.neuron(layer, unit)
    if kind == "channel":
        return obj.channel(layer, unit)
    if kind == "class":
        return obj.class_logit(obj.logits_layer(model), unit)
    if kind == "negative":
        return -obj.channel(layer, unit)
    raise ValueError(f"unknown objective kind {kind!r}; choose one of {', '.join(KINDS)}")


@dataclass
class Recipe:
    """Everything the explorer and ``vizlab render`` let you choose. Defaults are the
    'default recipe': Fourier image, Lucid's transforms, Adam 0.05."""
    layer: str = "conv3"
    unit: int = 0
    kind: str = "channel"
    steps: int = 128
    size: int = 64
    lr: float = 0.05
    param: str = "fourier"
    transforms: bool = True
    l2: float = 0.0
    tv: float = 0.0
    blur: float = 0.0          # sigma in pixels, applied every 4 steps (pixels only)
    start: torch.Tensor | None = None   # images to start from instead of noise (pixels only)
    eps: float = 0.0           # > 0: stay within this L-inf distance of ``start``
    seed: int = 0
    every: int = 8


def run_recipe(model: nn.Module, recipe: Recipe, *, stop: Callable[[], bool] | None = None) -> Iterator[Frame]:
    """The loop's frames for ``recipe``."""
    regularizers = []
    if recipe.l2:
        regularizers.append(reg.l2(recipe.l2))
    if recipe.tv:
        regularizers.append(reg.total_variation(recipe.tv))
    if recipe.blur:
        regularizers.append(reg.blur(recipe.blur, every=4))
    if recipe.eps:
        if recipe.start is None:
            raise ValueError("eps keeps the image near its start image: choose a start image, or eps=0")
        regularizers.append(reg.project_to_ball(recipe.eps, around=recipe.start))
    return ascend(model, make_objective(model, recipe.kind, recipe.layer, recipe.unit),
                  param=recipe.param, size=recipe.size, steps=recipe.steps, every=recipe.every,
                  optimizer=adam(recipe.lr), regularizers=regularizers, start=recipe.start,
                  seed=recipe.seed, stop=stop,
                  transforms=standard_transforms(recipe.size) if recipe.transforms else ())


def visualize(model: nn.Module, objective: obj.Objective, *, size: int = 64, batch: int = 1,
              steps: int = 128, seed: int = 0, **options) -> Frame:
    """Run the default recipe (Fourier image, standard transforms, Adam 0.05) to the end and
    return the last frame; ``options`` go to ``ascend`` (e.g. ``param="pixels"``)."""
    options.setdefault("transforms", standard_transforms(size))
    frame = None
    for frame in ascend(model, objective, size=size, batch=batch, steps=steps, seed=seed,
                        every=max(steps, 1), **options):
        pass
    return frame
