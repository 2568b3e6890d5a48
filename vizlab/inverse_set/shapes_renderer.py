"""The shapes dataset's own drawing, made differentiable: a generator whose every code is an image
the dataset could contain (the exact "valid input" set for ShapeNet).

A code holds the dataset's continuous parameters (``PARAMETERS``), each mapped from [0, 1] to the
range ``make_shapes`` draws it from: the background (base colour, colour ramp, six clutter
dots), the object's colour offset from the background, its centre, radius and angle, and for
textures the second colour, stripe angle jitter, period and phase. Two entries are discrete and
get no gradient: the class (the code's first entry picks one of ``classes``) and, for diagonal
stripes, which diagonal. The drawing follows ``vizlab.data.shapes`` step by step and uses its
outlines; only the pixel noise is left out (it is no parameter).

``dataset_codes(n, seed)`` replays ``make_shapes``'s random draws and returns the codes of its
first n images, so rendering them can be compared with the dataset itself (tests/test_inverse_set_shapes.py).
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ..data.shapes import CHUNK, CLASSES, SHAPES, _OUTLINES

DOTS = 6
# name, low, high, count: the ranges make_shapes draws from (positions as fractions of the size).
PARAMETERS = (
    ("class", 0.0, 1.0, 1),
    ("base", 0.0, 1.0, 3), ("ramp_angle", 0.0, 2 * math.pi, 1), ("ramp", -0.3, 0.3, 3),
    ("dot_x", 0.0, 1.0, DOTS), ("dot_y", 0.0, 1.0, DOTS), ("dot_radius", 1.0, 2.5, DOTS),
    ("dot_colour", 0.0, 1.0, 3 * DOTS),
    ("ink_offset", 0.35, 0.65, 3), ("second_offset", 0.3, 0.7, 3),
    ("radius", 0.18, 0.3, 1), ("centre", 0.3, 0.7, 2), ("angle", 0.0, 2 * math.pi, 1),
    ("stripe_jitter", -8 * math.pi / 180, 8 * math.pi / 180, 1), ("diagonal", 0.0, 1.0, 1),
    ("period", 4.5, 8.0, 1), ("phase", 0.0, 2 * math.pi, 1),
)
CODE_SIZE = sum(count for *_, count in PARAMETERS)
_STRIPE_ANGLE = {"horizontal stripes": 0.0, "vertical stripes": math.pi / 2, "checkerboard": 0.0}


def split_code(codes: torch.Tensor) -> dict[str, torch.Tensor]:
    """Codes (B, CODE_SIZE) in [0, 1] -> each parameter (B, count) in the dataset's units."""
    out, at = {}, 0
    for name, low, high, count in PARAMETERS:
        out[name] = low + (high - low) * codes[:, at:at + count]
        at += count
    return out


class ShapesGenerator(nn.Module):
    """codes (B, CODE_SIZE) in [0, 1] -> images (B, 3, size, size) drawn as ``make_shapes`` draws them.

    ``classes``: the class names a code may pick (default all eight); the first code entry picks
    one, uniformly. ``labels(codes)`` gives each code's class index in ``vizlab.data.CLASSES``.
    """

    def __init__(self, size: int = 64, classes=CLASSES):
        super().__init__()
        unknown = [c for c in classes if c not in CLASSES]
        if unknown or not classes:
            raise ValueError(f"unknown classes {unknown}; choose from {', '.join(CLASSES)}")
        self.size, self.classes = int(size), tuple(classes)
        self.register_buffer("class_index", torch.tensor([CLASSES.index(c) for c in self.classes]))
        self.register_buffer("low", torch.zeros(CODE_SIZE))
        self.register_buffer("high", torch.ones(CODE_SIZE))

    @property
    def box(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.low, self.high

    def labels(self, codes: torch.Tensor) -> torch.Tensor:
        pick = (codes[:, 0].detach() * len(self.classes)).long().clamp(0, len(self.classes) - 1)
        return self.class_index[pick]

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        p, labels = split_code(codes), self.labels(codes)
        xs = (torch.arange(self.size, device=codes.device, dtype=codes.dtype) + 0.5).view(1, 1, -1)
        ys = xs.view(1, -1, 1)
        background = self._background(p, xs, ys)
        ink = (background.mean((2, 3)) + p["ink_offset"]) % 1.0
        second = (ink + p["second_offset"]) % 1.0
        radius = (p["radius"] * self.size)[:, :, None]                       # (B, 1, 1)
        dx = xs - (p["centre"][:, 0] * self.size)[:, None, None]
        dy = ys - (p["centre"][:, 1] * self.size)[:, None, None]
        distance = self._outline(labels, dx, dy, p["angle"][:, :, None], radius)
        alpha = (0.5 - distance * radius).clamp(0, 1)[:, None]            # one pixel of anti-aliasing
        stripes = self._texture(labels, dx, dy, p)[:, None]
        textured = (labels >= len(SHAPES))[:, None, None, None]
        fill = torch.where(textured, stripes * ink[:, :, None, None] + (1 - stripes) * second[:, :, None, None],
                           ink[:, :, None, None])
        return background * (1 - alpha) + fill * alpha

    def _background(self, p, xs, ys) -> torch.Tensor:
        direction = p["ramp_angle"][:, :, None]
        ramp = (xs * torch.cos(direction) + ys * torch.sin(direction)) / self.size - 0.5   # (B, H, W)
        background = p["base"][:, :, None, None] + p["ramp"][:, :, None, None] * ramp[:, None]
        px, py = (p["dot_x"] * self.size)[:, :, None, None], (p["dot_y"] * self.size)[:, :, None, None]
        r = p["dot_radius"][:, :, None, None]
        cover = (r + 0.5 - torch.hypot(xs[:, None] - px, ys[:, None] - py)).clamp(0, 1)   # (B, dots, H, W)
        alpha, which = cover.max(1)
        colours = p["dot_colour"].view(-1, DOTS, 3)
        picked = colours.gather(1, which.flatten(1)[:, :, None].expand(-1, -1, 3))         # (B, HW, 3)
        picked = picked.transpose(1, 2).reshape(background.shape)
        background = background * (1 - alpha[:, None]) + picked * alpha[:, None]
        return background.clamp(0, 1)

    @staticmethod
    def _outline(labels, dx, dy, angle, radius) -> torch.Tensor:
        """Signed distance (in radii) to each image's own outline; textures are upright discs."""
        u = (dx * torch.cos(angle) + dy * torch.sin(angle)) / radius
        v = (-dx * torch.sin(angle) + dy * torch.cos(angle)) / radius
        distance = torch.hypot(dx, dy) / radius - 1
        for k, outline in enumerate(_OUTLINES):
            if bool((labels == k).any()):
                distance = torch.where((labels == k)[:, None, None], outline(u, v), distance)
        return distance

    @staticmethod
    def _texture(labels, dx, dy, p) -> torch.Tensor:
        base = torch.zeros_like(p["angle"][:, 0])
        for name, angle in _STRIPE_ANGLE.items():
            base = torch.where(labels == CLASSES.index(name), angle, base)
        diagonal = torch.where(p["diagonal"][:, 0] < 0.5, math.pi / 4, 3 * math.pi / 4)
        base = torch.where(labels == CLASSES.index("diagonal stripes"), diagonal, base)
        angle = (base + p["stripe_jitter"][:, 0])[:, None, None]
        period, phase = p["period"][:, :, None], p["phase"][:, :, None]
        across = -dx * torch.sin(angle) + dy * torch.cos(angle)
        along = dx * torch.cos(angle) + dy * torch.sin(angle)
        wave = torch.sin(2 * math.pi * across / period + phase)
        checker = wave * torch.sin(2 * math.pi * along / period + phase)
        pattern = torch.where((labels == CLASSES.index("checkerboard"))[:, None, None], checker, wave)
        return (pattern * 3).clamp(-1, 1) * 0.5 + 0.5


def dataset_codes(n: int, *, seed: int = 0, size: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """The codes (n, CODE_SIZE) and labels (n,) of ``make_shapes(n, seed=seed, size=size)``'s
    images, found by replaying its random draws in the same order (for ``classes=CLASSES``)."""
    chunks = [_replay_chunk(c, size, seed) for c in range(math.ceil(n / CHUNK))]
    codes = torch.cat([c for c, _ in chunks])[:n]
    return codes, torch.cat([l for _, l in chunks])[:n]


def _replay_chunk(chunk: int, size: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed * 1_000_003 + chunk)
    n = CHUNK
    draw = lambda *shape: torch.rand(n, *shape, generator=g)           # noqa: E731  (u in [0, 1))
    labels = torch.randint(len(CLASSES), (n,), generator=g)
    p = {"class": (labels[:, None] + 0.5) / len(CLASSES)}
    p["base"], p["ramp_angle"], p["ramp"] = draw(3), draw()[:, None], draw(3)
    p["dot_x"], p["dot_y"], p["dot_radius"] = draw(DOTS), draw(DOTS), draw(DOTS)
    p["dot_colour"] = draw(DOTS, 3).flatten(1)
    p["ink_offset"], p["second_offset"] = draw(3), draw(3)
    p["radius"], p["centre"], p["angle"] = draw()[:, None], draw(2), draw()[:, None]
    p["stripe_jitter"] = draw()[:, None]
    p["diagonal"] = torch.where(torch.rand(n, generator=g) < 0.5, 0.25, 0.75)[:, None]
    p["period"], p["phase"] = draw()[:, None], draw()[:, None]
    return torch.cat([p[name] for name, *_ in PARAMETERS], 1), labels
