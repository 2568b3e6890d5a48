"""Lesson 06 exercises: one step of regularized gradient ascent on the pixels."""
from __future__ import annotations

import functools
from collections import OrderedDict

import torch
from torch import nn

from ..ascent import PixelImage, ascend, channel, l2
from . import Exercise
from .checking import Wrong, case_seed, compare_tensors, init_like_torch, refuse_changes


@torch.random.fork_rng(devices=[])                # seeds the global generator, restored on return
def _cases(seed: int):
    """(model, unit, images, lr, weight): pixels well inside [0, 1] first, then near its edges."""
    generator = torch.Generator().manual_seed(seed)
    model = nn.Sequential(OrderedDict([("conv", nn.Conv2d(3, 4, 3)), ("relu", nn.ReLU())])).eval()
    init_like_torch(model, generator).requires_grad_(False)
    inside = 0.4 + 0.2 * torch.rand(2, 3, 9, 9, generator=generator)
    edges = torch.rand(2, 3, 9, 9, generator=generator).round() * 0.98 + 0.01
    return [(model, 1, inside, 0.05, 0.3), (model, 2, edges, 20.0, 0.001)]


def vizlab_step(model, unit, images, lr, weight) -> torch.Tensor:
    """vizlab's loop, one SGD step of channel(unit) - weight * l2 on a pixel image."""
    frames = list(ascend(model, channel("conv", unit), param=PixelImage(batch=len(images), image=images),
                         optimizer=lambda p: torch.optim.SGD(p, lr=lr), regularizers=[l2(weight)],
                         steps=1, every=1, redirect_steps=0, seed=0))
    return frames[-1].images


@functools.lru_cache(maxsize=2)        # one ascent per case and seed, whatever the number of answers checked
def _expected_steps(seed: int) -> dict[int, torch.Tensor]:
    return {unit: vizlab_step(model, unit, images, lr, weight)
            for model, unit, images, lr, weight in _cases(case_seed(seed, 601))}


def _check_ascent_step(fn, seed: int) -> None:
    for model, unit, images, lr, weight in _cases(case_seed(seed, 601)):
        score = lambda x, model=model, unit=unit: model.conv(x)[:, unit].mean((1, 2))
        given = images.clone()
        out = fn(given, score, lr, weight)
        refuse_changes(given, images, "x")
        expected = _expected_steps(seed)[unit]
        if isinstance(out, torch.Tensor) and out.shape == images.shape:
            out = out.detach().float()
            _diagnose(out, images, score, lr, weight, expected)
        compare_tensors(out - images if isinstance(out, torch.Tensor) and out.shape == images.shape else out,
                        expected - images, what="the step ascent_step(...) - x",
                        hint="differentiate the score minus the weighted squared distance to grey, "
                             "take one step of size lr up that gradient, and keep the pixels in [0, 1]")


def _diagnose(out, images, score, lr, weight, expected) -> None:
    x = images.clone().requires_grad_(True)
    (score_grad,) = torch.autograd.grad(score(x).sum(), x)
    pull = 2 * (images - 0.5)                                 # the gradient of (x - 0.5)^2
    variants = {
        "the step ignores the L2 penalty": (score_grad, "subtract weight * ((x - 0.5) ** 2).sum() from the score"),
        "the L2 penalty pushes away from grey instead of pulling towards it":
            (score_grad + weight * pull, "the penalty is *subtracted* from the score"),
        "this is a descent step: the score goes down": (-(score_grad - weight * pull), "ascent adds lr * gradient"),
    }
    for message, (direction, hint) in variants.items():
        if torch.allclose(out, (images + lr * direction).clamp(0, 1), atol=1e-5):
            raise Wrong(message, hint)
    unclipped = images + lr * (score_grad - weight * pull)
    if not torch.equal(unclipped.clamp(0, 1), unclipped) and torch.allclose(out, unclipped, atol=1e-5):
        raise Wrong("some pixels leave [0, 1]", "clamp the new image to [0, 1], as vizlab's PixelImage does")


EXERCISES = [
    Exercise("q1", "ascent_step",
             "ascent_step(x, score, lr, weight) returns x after one step of gradient ascent on "
             "score(x).sum() - weight * ((x - 0.5) ** 2).sum(), clamped to [0, 1]", _check_ascent_step),
]
