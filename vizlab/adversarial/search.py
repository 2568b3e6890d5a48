"""The smallest eps that flips each image: doubling, then bisection on eps (all images at once).

    found = minimal_eps(model, images, labels, settings=Attack(method="fgsm"), eps_max=32/255)
    found.eps          # (B,): 0 if already wrong, inf if eps_max does not flip it

Guarantee (tested): for each finite, non-zero ``found.eps[b]`` the attack with that eps
succeeds on image b, and with ``found.below[b]`` (at most ``tolerance`` less) it does not. So
the flip happens within ``tolerance`` below the reported eps. Success need not be monotone
in eps (FGSM's single step, or a few large PGD steps, can overshoot), so a smaller flipping
eps may exist below ``below``; the doubling search from small eps makes that rarer.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import nn

from ..probe import _device
from .attacks import Attack, attack
from .. import checks
from .checks import check_eps, check_images, check_model


@dataclass
class MinimalEps:
    """``eps`` (B,): the smallest flipping eps found (0: already flipped, inf: none up to
    eps_max); ``below`` (B,): the largest eps tried that did not flip (``eps - below <= tolerance``);
    ``flipped`` (B,) bool: a flipping eps was found."""
    eps: torch.Tensor
    below: torch.Tensor
    flipped: torch.Tensor
    tolerance: float


def minimal_eps(model: nn.Module, images: torch.Tensor, labels=None, *, settings: Attack = Attack(method="fgsm"),
                eps_max: float = 32 / 255, tolerance: float = 0.25 / 255, levels: int = 4,
                **changes) -> MinimalEps:
    """The smallest eps in (0, eps_max] that flips each image, to within ``tolerance``.

    First a doubling search over eps_max / 2^levels, ..., eps_max / 2, eps_max finds the first
    level that flips each image (an image that flips at no level gets inf); then bisection
    between that level and the one below narrows it to ``tolerance``. Starting small matters:
    an iterative attack with few steps can fail at a large eps (its steps overshoot) that a
    smaller eps passes. ``settings`` (with ``changes``, e.g. ``method="pgd"``, ``target=3``)
    is the attack; its ``eps`` is ignored. ``labels`` as in ``attack``.
    """
    settings = replace(settings, **changes)
    check_model(model)
    images = check_images(images, model)
    batch = images.shape[0]
    checks.integer(levels, "levels", minimum=0, hint=" (how many halvings of eps_max the doubling search starts from)")
    linf = settings.norm == "linf"
    eps_max = float(check_eps(eps_max, 1, what="eps_max", positive=True, at_most=1.0 if linf else None)[0])
    tolerance = float(check_eps(tolerance, 1, what="tolerance", positive=True, at_most=1.0 if linf else None)[0])
    if tolerance <= 0 or eps_max <= 0:
        raise ValueError(f"need eps_max > 0 and tolerance > 0, got {eps_max} and {tolerance}")
    device = _device(model)
    unchanged = replace(settings, method="fgsm", steps=None, step_size=None, random_start=None)
    at_zero = attack(model, images, labels, unchanged, eps=0.0)  # already wrong (or at the target)?
    labels = at_zero.labels                                      # fixed from here on, e.g. predictions
    low = torch.zeros(batch, dtype=torch.float64, device=device)
    high = torch.full((batch,), torch.inf, dtype=torch.float64, device=device)
    for level in range(levels, -1, -1):                          # eps_max / 2^levels ... eps_max
        open_ = ~at_zero.success & high.isinf()
        if not open_.any():
            break
        eps = eps_max / 2 ** level
        flipped = _attack_some(model, images, labels, settings, open_, eps)
        index = open_.nonzero()[:, 0]
        high[index[flipped]] = eps
        low[index[~flipped]] = eps
    while True:
        open_ = ~at_zero.success & high.isfinite() & (high - low > tolerance)
        if not open_.any():
            break
        middle = (low[open_] + high[open_]) / 2
        flipped = _attack_some(model, images, labels, settings, open_, middle)
        index = open_.nonzero()[:, 0]
        high[index[flipped]] = middle[flipped]
        low[index[~flipped]] = middle[~flipped]
    high[at_zero.success] = 0.0
    return MinimalEps(high.cpu(), low.cpu(), high.isfinite().cpu(), tolerance)


def _attack_some(model, images, labels, settings: Attack, which: torch.Tensor, eps) -> torch.Tensor:
    """Success (bool, one per selected image) of the attack on the images selected by ``which``."""
    index = which.nonzero()[:, 0]
    return attack(model, images[index], labels[index], _subset(settings, index), eps=eps).success


def _subset(settings: Attack, index: torch.Tensor) -> Attack:
    """The settings for a subset of the images: per-image targets follow the subset."""
    target = settings.target
    if isinstance(target, (list, tuple, torch.Tensor)):
        target = torch.as_tensor(target)[index.cpu()]
    return replace(settings, target=target)
