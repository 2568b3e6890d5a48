"""The embedded dataset: procedural shapes and oriented textures, with ground-truth masks.

Every image is drawn from a seed, so the same seed always gives the same images, on any
machine, with no download. Each image holds one object of one of eight classes, at a random
position, size, rotation and colour, over a cluttered, noisy background. Its mask marks the
object's pixels, so later lessons can score attribution maps against the truth.

Images are generated in chunks of ``CHUNK`` from a seed derived from ``(seed, chunk)``: image
``i`` of a dataset is the same whether it was made alone, in a batch, or streamed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch.utils.data import Dataset

CLASSES = (
    "circle",
    "square",
    "triangle",
    "cross",
    "horizontal stripes",
    "vertical stripes",
    "diagonal stripes",
    "checkerboard",
)
SHAPES = CLASSES[:4]  # drawn solid, at any rotation
CHUNK = 256


@dataclass
class Shapes:
    """A batch of generated images: ``images`` (N, 3, H, W) in [0, 1], ``labels`` (N,), ``masks`` (N, H, W) bool."""

    images: torch.Tensor
    labels: torch.Tensor
    masks: torch.Tensor

    def __len__(self) -> int:
        return len(self.labels)


def make_shapes(n: int, *, size: int = 64, seed: int = 0, start: int = 0) -> Shapes:
    """Generate images ``start .. start+n-1`` of the dataset with this ``seed`` and ``size``."""
    _check_args(n, size, seed)
    first, last = start // CHUNK, (start + n - 1) // CHUNK if n else start // CHUNK - 1
    chunks = [_make_chunk(c, size, seed) for c in range(first, last + 1)]
    if not chunks:
        return Shapes(torch.zeros(0, 3, size, size), torch.zeros(0, dtype=torch.long),
                      torch.zeros(0, size, size, dtype=torch.bool))
    offset = start - first * CHUNK
    cut = slice(offset, offset + n)
    return Shapes(*(torch.cat([getattr(c, f) for c in chunks])[cut] for f in ("images", "labels", "masks")))


class ShapesDataset(Dataset):
    """``n`` generated images as a torch ``Dataset`` of ``(image, label)`` pairs.

    Images are made on demand, one chunk at a time, so memory does not grow with ``n``.
    ``dataset.mask(i)`` gives image ``i``'s object mask; ``dataset.classes`` the class names.
    """

    classes = CLASSES

    def __init__(self, n: int, *, size: int = 64, seed: int = 0):
        _check_args(n, size, seed)
        self.n, self.size, self.seed = n, size, seed
        self._cached: tuple[int, Shapes] | None = None

    def __len__(self) -> int:
        return self.n

    def _chunk(self, i: int) -> tuple[Shapes, int]:
        if not -self.n <= i < self.n:
            raise IndexError(f"index {i} is out of range for a dataset of {self.n} images")
        i %= self.n
        c = i // CHUNK
        if self._cached is None or self._cached[0] != c:
            self._cached = (c, _make_chunk(c, self.size, self.seed))
        return self._cached[1], i - c * CHUNK

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        chunk, j = self._chunk(i)
        return chunk.images[j], int(chunk.labels[j])

    def mask(self, i: int) -> torch.Tensor:
        chunk, j = self._chunk(i)
        return chunk.masks[j]


def _check_args(n: int, size: int, seed: int) -> None:
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    if not isinstance(size, int) or size < 16:
        raise ValueError(f"size must be an integer of at least 16 pixels, got {size!r}")
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")


def _make_chunk(chunk: int, size: int, seed: int) -> Shapes:
    g = torch.Generator().manual_seed(seed * 1_000_003 + chunk)
    n = CHUNK

    def uniform(lo, hi, *shape):
        return lo + (hi - lo) * torch.rand(n, *shape, generator=g)

    labels = torch.randint(len(CLASSES), (n,), generator=g)
    # Pixel centres as a row (1, 1, W) and a column (1, H, 1): broadcasting makes the grid only
    # where a value really depends on both, which keeps generation fast.
    xs = (torch.arange(size) + 0.5).view(1, 1, size)
    ys = (torch.arange(size) + 0.5).view(1, size, 1)

    background = _background(xs, ys, size, uniform, g)
    # The object's colour is far from the background's in every channel, so it is always visible.
    ink = (background.mean((2, 3)) + uniform(0.35, 0.65, 3)) % 1.0
    second = (ink + uniform(0.3, 0.7, 3)) % 1.0  # textures alternate two colours

    radius = uniform(0.18, 0.3)[:, None, None] * size
    cx, cy = (uniform(0.3, 0.7, 2) * size).unbind(1)
    dx, dy = xs - cx[:, None, None], ys - cy[:, None, None]
    angle = uniform(0, 2 * math.pi)[:, None, None]
    # Each image computes only its own class's outline (a quarter of the work of all four).
    distance = torch.empty(n, size, size)
    for k, outline in enumerate(_OUTLINES):
        i = (labels == k).nonzero()[:, 0]
        u = (dx[i] * torch.cos(angle[i]) + dy[i] * torch.sin(angle[i])) / radius[i]
        v = (-dx[i] * torch.sin(angle[i]) + dy[i] * torch.cos(angle[i])) / radius[i]
        distance[i] = outline(u, v)
    is_shape = labels < len(SHAPES)
    textured = (~is_shape).nonzero()[:, 0]
    distance[textured] = torch.hypot(dx[textured], dy[textured]) / radius[textured] - 1  # an upright disc
    alpha = (0.5 - distance * radius).clamp(0, 1)  # one pixel of anti-aliasing

    stripes = _texture(labels, dx, dy, uniform, g, textured)
    fill = ink[:, :, None, None].expand(n, 3, size, size).clone()
    fill[textured] = stripes[:, None] * fill[textured] + (1 - stripes[:, None]) * second[textured, :, None, None]
    images = background * (1 - alpha[:, None]) + fill * alpha[:, None]
    noise = uniform(0, 0.06)[:, None, None, None] * torch.randn(n, 3, size, size, generator=g)
    images = (images + noise).clamp(0, 1)
    return Shapes(images, labels, alpha > 0.5)


# Signed distance to each shape's outline, in units of its radius (negative inside).
_OUTLINES = (
    lambda u, v: torch.hypot(u, v) - 1,                                          # circle
    lambda u, v: torch.maximum(u.abs(), v.abs()) - 0.8,                          # square
    lambda u, v: torch.stack([u * math.cos(a) + v * math.sin(a)                  # triangle
                              for a in (math.pi / 2, math.pi / 2 + 2 * math.pi / 3,
                                        math.pi / 2 + 4 * math.pi / 3)]).amax(0) - 0.5,
    lambda u, v: torch.minimum(torch.maximum(u.abs() - 1, v.abs() - 0.28),      # cross
                               torch.maximum(u.abs() - 0.28, v.abs() - 1)),
)


def _background(xs, ys, size, uniform, g):
    """A colour gradient with small clutter dots: never class-like, always different per image."""
    n = CHUNK
    base = uniform(0, 1, 3)[:, :, None, None]
    direction = uniform(0, 2 * math.pi)[:, None, None]
    ramp = (xs * torch.cos(direction) + ys * torch.sin(direction)) / size - 0.5
    background = base + uniform(-0.3, 0.3, 3)[:, :, None, None] * ramp[:, None]
    dots = 6
    px, py, r = uniform(0, size, dots, 1, 1), uniform(0, size, dots, 1, 1), uniform(1.0, 2.5, dots, 1, 1)
    cover = (r + 0.5 - torch.hypot(xs[:, None] - px, ys[:, None] - py)).clamp(0, 1)  # (N, dots, H, W)
    alpha, which = cover.max(1)
    dot_colour = uniform(0, 1, dots, 3)[torch.arange(n)[:, None, None], which].permute(0, 3, 1, 2)
    background = background * (1 - alpha[:, None]) + dot_colour * alpha[:, None]
    return background.clamp(0, 1)


def _texture(labels, dx, dy, uniform, g, i):
    """Stripe patterns in [0, 1] for images ``i``: horizontal, vertical, diagonal (either way) or
    checkerboard. Random draws are made for every image, so each image's draws never change."""
    n = CHUNK
    jitter = uniform(-8, 8) * math.pi / 180
    diagonal = torch.where(torch.rand(n, generator=g) < 0.5, math.pi / 4, 3 * math.pi / 4)
    base_angle = torch.stack([torch.zeros(n), torch.full((n,), math.pi / 2), diagonal, torch.zeros(n)])
    angle = (base_angle[(labels - 4).clamp(0, 3), torch.arange(n)] + jitter)[i, None, None]
    period = uniform(4.5, 8.0)[i, None, None]
    phase = uniform(0, 2 * math.pi)[i, None, None]
    dx, dy = dx[i], dy[i]
    # Stripes run along `angle`: the wave varies across them.
    across = -dx * torch.sin(angle) + dy * torch.cos(angle)
    along = dx * torch.cos(angle) + dy * torch.sin(angle)
    wave = torch.sin(2 * math.pi * across / period + phase)
    checker = wave * torch.sin(2 * math.pi * along / period + phase)
    pattern = torch.where((labels[i] == 7)[:, None, None], checker, wave)
    return (pattern * 3).clamp(-1, 1) * 0.5 + 0.5
