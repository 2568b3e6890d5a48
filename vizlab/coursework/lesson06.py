"""Lesson 06 exercises: one step of regularized gradient ascent on the pixels, and one step that
stays within eps of a start image."""
from __future__ import annotations

import functools
from collections import OrderedDict

import torch
from torch import nn

from ..ascent import PixelImage, ascend, channel, l2, project_to_ball
from . import Exercise
from .checking import Wrong, case_seed, compare_tensors, generator as cases_generator, init_like_torch, refuse_changes


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


def vizlab_constrained_step(image, grad, start, lr, eps) -> torch.Tensor:
    """vizlab's own pieces: the step, ``project_to_ball`` around ``start``, then [0, 1] as the loop clips."""
    moved = image + lr * grad
    project_to_ball(eps, around=start)(moved, grad, 0)
    return moved.clamp(0, 1)


def _constrained_cases(seed: int):
    """(image, grad, start, lr, eps, expected). First a case worked by hand, then random ones where
    every part binds: steps that leave the ball (on either side), starts near 0 and 1 where
    the ball leaves [0, 1], and images that are not the start, so the centre matters."""
    start = torch.tensor([0.5, 0.5, 0.5, 0.02]).view(1, 1, 2, 2).expand(1, 3, 2, 2).clone()
    image = start + torch.tensor([0.05, -0.05, 0.0, 0.0]).view(1, 1, 2, 2)
    grad = torch.tensor([1.0, 1.0, -0.25, -1.0]).view(1, 1, 2, 2).expand(1, 3, 2, 2).clone()
    # image + 0.2 * grad = 0.75, 0.65, 0.45, -0.18; the ball around start is 0.4..0.6 (-0.08..0.12 for
    # the last pixel); [0, 1] then takes the last one to 0.
    by_hand = torch.tensor([0.6, 0.6, 0.45, 0.0]).view(1, 1, 2, 2).expand(1, 3, 2, 2).clone()
    yield image, grad, start, 0.2, 0.1, by_hand
    generator = cases_generator(seed, 602)
    for lr, eps in ((0.05, 0.1), (0.02, 8 / 255)):
        start = torch.rand(2, 3, 8, 8, generator=generator)
        image = (start + eps * (2 * torch.rand(2, 3, 8, 8, generator=generator) - 1)).clamp(0, 1)
        grad = 2 * eps / lr * torch.randn(2, 3, 8, 8, generator=generator)
        yield image, grad, start, lr, eps, vizlab_constrained_step(image, grad, start, lr, eps)


def _check_constrained_step(fn, seed: int) -> None:
    for image, grad, start, lr, eps, expected in _constrained_cases(seed):
        given = [t.clone() for t in (image, grad, start)]
        out = fn(*given, lr, eps)
        for name, tensor, original in zip(("image", "grad", "start"), given, (image, grad, start)):
            refuse_changes(tensor, original, name)
        if isinstance(out, torch.Tensor) and out.shape == image.shape:
            _diagnose_constrained(out.detach().double(), image.double(), grad.double(), start.double(), lr, eps,
                                  expected.double())
        compare_tensors(out, expected, what="constrained_step(...)",
                        hint="step up the gradient, then clamp the change from `start` to [-eps, eps], "
                             "and keep the pixels in [0, 1]")


def _diagnose_constrained(out, image, grad, start, lr, eps, expected) -> None:
    ball = lambda x, centre: torch.minimum(torch.maximum(x, centre - eps), centre + eps)
    moved = image + lr * grad
    variants = {
        "the image leaves the eps-ball around `start`: no projection":
            (moved.clamp(0, 1), "after the step, clamp each pixel to [start - eps, start + eps]"),
        "the ball is centred on the current image, not on `start`: over many steps the image would drift away":
            (ball(moved, image).clamp(0, 1), "measure the change from `start`, the image the ascent began at"),
        "some pixels leave [0, 1]": (ball(moved, start), "clamp the result to [0, 1] as well"),
        "this is a descent step: the score goes down": (ball(image - lr * grad, start).clamp(0, 1),
                                                        "ascent adds lr * grad"),
        "the step uses only the sign of the gradient": (ball(image + lr * grad.sign(), start).clamp(0, 1),
                                                        "step by lr * grad itself"),
    }
    for message, (wrong, hint) in variants.items():
        if torch.allclose(out, wrong, atol=1e-6) and not torch.allclose(wrong, expected, atol=1e-6):
            raise Wrong(message, hint)


EXERCISES = [
    Exercise("q1", "ascent_step",
             "ascent_step(x, score, lr, weight) returns x after one step of gradient ascent on "
             "score(x).sum() - weight * ((x - 0.5) ** 2).sum(), clamped to [0, 1]", _check_ascent_step),
    Exercise("q2", "constrained_step",
             "constrained_step(image, grad, start, lr, eps) returns image + lr * grad, projected onto the "
             "L-inf ball of radius eps around start and into [0, 1]", _check_constrained_step),
]
