"""Robustness transforms: random, differentiable changes of the image before each forward pass.

An image that excites a unit only at one exact pixel alignment is adversarial noise; asking it
to work after small random shifts, zooms and turns keeps what the unit really responds to
(Olah et al. 2017; Lucid ``transform.py``; Mordvintsev et al.'s DeepDream jitter).

Each transform is a function ``(images (B, 3, H, W), generator) -> images``: randomness comes
only from the explicit ``torch.Generator`` (on the CPU, whatever the images' device), so a seed
reproduces a run. Sizes are in pixels; ``standard_transforms(size)`` scales Lucid's recipe
(made for 128 px) to your image size, so 64 px images get proportionally smaller moves.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import torch
from torch.nn import functional as F

from .. import checks

Transform = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


def _randint(low: int, high: int, generator: torch.Generator) -> int:
    """An integer in [low, high], inclusive."""
    return int(torch.randint(low, high + 1, (), generator=generator))


def pad(width: int, *, value: float = 0.5) -> Transform:
    """Pad every side by ``width`` pixels of constant ``value`` (grey), so later shifts and
    turns do not pull in black borders."""
    checks.integer(width, "pad width", minimum=0)
    checks.number(value, "pad value", minimum=0, maximum=1)

    def transform(images, generator):
        return F.pad(images, (width,) * 4, value=value)
    transform.__name__ = f"pad({width})"
    return transform


def jitter(pixels: int) -> Transform:
    """A random crop ``pixels`` smaller in each direction: a shift by 0..pixels (no wrap-around)."""
    checks.integer(pixels, "jitter pixels", minimum=0)

    def transform(images, generator):
        if pixels <= 0:
            return images
        h, w = images.shape[-2:]
        if pixels >= min(h, w):                  # two int comparisons: free in the loop
            raise ValueError(f"jitter({pixels}) crops {pixels} pixels off images of {h}x{w} (as they reach "
                             f"it, after the transforms before it): use jitter below {min(h, w)} pixels, or a "
                             f"larger image size; standard_transforms(size) scales its jitter to the size")
        dy, dx = _randint(0, pixels, generator), _randint(0, pixels, generator)
        return images[..., dy:dy + h - pixels, dx:dx + w - pixels]
    transform.__name__ = f"jitter({pixels})"
    return transform


def _affine(images: torch.Tensor, a: float, b: float, c: float, d: float) -> torch.Tensor:
    """Resample ``images`` through the matrix [[a, b], [c, d]] about the centre (bilinear, border
    padding). The numbers are written into ``theta`` where it lives: a matrix copied from the
    CPU to a GPU would make the host wait there for every step queued before it."""
    theta = images.new_zeros(images.shape[0], 2, 3)
    theta[:, 0, 0], theta[:, 0, 1], theta[:, 1, 0], theta[:, 1, 1] = a, b, c, d
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)


def random_scale(scales: Sequence[float]) -> Transform:
    """Zoom by a factor drawn from ``scales`` (Lucid: 0.90..1.10 in steps of 0.02); size unchanged."""
    scales = _choices(scales, "random_scale scales", positive=True)

    def transform(images, generator):
        factor = scales[_randint(0, len(scales) - 1, generator)]
        return images if factor == 1 else _affine(images, 1 / factor, 0, 0, 1 / factor)
    transform.__name__ = "random_scale"
    return transform


def random_rotate(degrees: Sequence[float]) -> Transform:
    """Turn by an angle drawn from ``degrees`` about the image centre; size unchanged."""
    degrees = _choices(degrees, "random_rotate degrees")

    def transform(images, generator):
        angle = math.radians(degrees[_randint(0, len(degrees) - 1, generator)])
        if angle == 0:
            return images
        c, s = math.cos(angle), math.sin(angle)
        return _affine(images, c, -s, s, c)
    transform.__name__ = "random_rotate"
    return transform


def _choices(values, name: str, *, positive: bool = False) -> list[float]:
    """A non-empty list of finite numbers (> 0 if ``positive``) to draw from."""
    if not isinstance(values, (list, tuple, range)) or len(values) == 0:
        raise TypeError(f"{name} must be a non-empty list of numbers to draw from, e.g. [0.9, 1.0, 1.1]; "
                        f"got {checks._show(values)}")
    return [checks.number(v, f"each of {name}", positive=positive) for v in values]


def compose(transforms: Sequence[Transform]) -> Transform:
    def transform(images, generator):
        for t in transforms:
            images = t(images, generator)
        return images
    return transform


def standard_transforms(size: int) -> list[Transform]:
    """Lucid's ``standard_transforms`` (pad 12, jitter 8, scale 0.9-1.1, rotate +-10 deg, jitter 4),
    with the pixel sizes scaled from 128 px to ``size`` (at least 1 px)."""
    checks.integer(size, "size", minimum=1, hint=" (the image size in pixels)")

    def px(n: int) -> int:
        return max(1, round(n * size / 128))
    return [
        pad(px(12)),
        jitter(px(8)),
        random_scale([1 + (i - 5) / 50 for i in range(11)]),
        random_rotate(list(range(-10, 11)) + [0] * 5),
        jitter(px(4)),
    ]
