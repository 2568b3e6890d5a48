"""The smallest eps that flips each image, by bisection on eps (all images at once).

    found = minimal_eps(model, images, labels, settings=Attack(method="fgsm"), eps_max=32/255)
    found.eps          # (B,): 0 if already wrong, inf if eps_max does not flip it

Guarantee (tested): for each finite, non-zero ``found.eps[b]`` the attack with that eps
succeeds on image b, and with ``found.below[b]`` (at most ``tolerance`` less) it does not. So
the flip happens within ``tolerance`` below the reported eps. Success need not be monotone
in eps (FGSM's single step can overshoot), so a smaller flipping eps may exist below
``below``; for PGD it rarely does.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import nn

from ..probe import _device
from .attacks import Attack, attack, check_eps, check_images


@dataclass
class MinimalEps:
    """``eps`` (B,): the smallest flipping eps found; ``below`` (B,): the largest eps that did
    not flip (``eps - below <= tolerance``); ``success_at_max`` (B,) bool."""
    eps: torch.Tensor
    below: torch.Tensor
    success_at_max: torch.Tensor
    tolerance: float


def minimal_eps(model: nn.Module, images: torch.Tensor, labels=None, *, settings: Attack = Attack(method="fgsm"),
                eps_max: float = 32 / 255, tolerance: float = 0.25 / 255, **changes) -> MinimalEps:
    """Bisect eps in [0, eps_max] per image until the bracket is at most ``tolerance`` wide.

    ``settings`` (with ``changes``, e.g. ``method="pgd"``, ``target=3``) is the attack; its
    ``eps`` is ignored. ``labels`` as in ``attack`` (default: the clean predictions). Costs
    about log2(eps_max / tolerance) + 2 attacks.
    """
    settings = replace(settings, **changes)
    images = check_images(images)
    batch = images.shape[0]
    eps_max = float(check_eps(eps_max, 1, what="eps_max")[0])
    tolerance = float(check_eps(tolerance, 1, what="tolerance")[0])
    if tolerance <= 0 or eps_max <= 0:
        raise ValueError(f"need eps_max > 0 and tolerance > 0, got {eps_max} and {tolerance}")
    device = _device(model)
    unchanged = replace(settings, method="fgsm", steps=None, step_size=None, random_start=None)
    at_zero = attack(model, images, labels, unchanged, eps=0.0)  # already wrong (or at the target)?
    labels = at_zero.labels                                      # fixed from here on, e.g. predictions
    at_max = attack(model, images, labels, settings, eps=eps_max).success
    low = torch.zeros(batch, dtype=torch.float64, device=device)
    high = torch.full((batch,), eps_max, dtype=torch.float64, device=device)
    done = at_zero.success | ~at_max
    while True:
        open_ = ~done & (high - low > tolerance)
        if not open_.any():
            break
        index = open_.nonzero()[:, 0]
        middle = (low[index] + high[index]) / 2
        flipped = attack(model, images[index], labels[index], _subset(settings, index), eps=middle).success
        high[index] = torch.where(flipped, middle, high[index])
        low[index] = torch.where(flipped, low[index], middle)
    eps = torch.where(at_zero.success, torch.zeros_like(high), torch.where(at_max, high, torch.inf))
    return MinimalEps(eps.cpu(), low.cpu(), at_max.cpu(), tolerance)


def _subset(settings: Attack, index: torch.Tensor) -> Attack:
    """The settings for a subset of the images: per-image targets follow the subset."""
    target = settings.target
    if isinstance(target, (list, tuple, torch.Tensor)):
        target = torch.as_tensor(target)[index.cpu()]
    return replace(settings, target=target)
