"""A unit whose visualization lies (after Geirhos et al., 2023, "Don't trust your eyes").

The model is changed so that channel k of a layer gets one extra path:

    r'_k(x) = r_k(x) + s * g(c(x)) * <x - mean(x), p>,   g(c) = clamp((c0 - c) / (0.1 c0), 0, 1)

with c(x) the standard deviation of the image's pixels, c0 a contrast below that of every image
of the given dataset (a margin under their minimum), and p the zero-mean, unit-norm *picture*.
On every dataset image g is exactly 0, so the unit responds exactly as before. Gradient ascent,
however, starts from a faint grey image (contrast near 0): there the new path is open, and its
maximum, along p at contrast 0.9 c0, is worth far more than anything the old path gives. So the
optimized image shows the picture, at low contrast: a visualization that tells
nothing about what the unit does on the data. Layer names are unchanged (``conv3`` is still
``conv3``), so every vizlab method runs on the lying model as on the original.
"""
from __future__ import annotations

import copy

import torch
from torch import nn
from torch.nn import functional as F

from .. import checks
from ..probe import get_layer
from .trials import responses

RAMP = 0.1      # the gate opens fully within this share of c0 below it


def contrast(images: torch.Tensor) -> torch.Tensor:
    """Each image's pixel standard deviation, over channels and positions: (B,)."""
    return images.flatten(1).std(1)


class _LyingLayer(nn.Module):
    """The original layer, plus the extra path on one channel; reads the model's input images."""

    def __init__(self, inner: nn.Module, owner: nn.Module, channel: int):
        super().__init__()
        self.inner, self.channel = inner, channel
        self._owner = (owner,)                   # not a submodule: no cycle in named_modules()

    def forward(self, x):
        out = self.inner(x)
        owner = self._owner[0]
        images = owner._lying_images
        c0 = owner.lying_contrast
        gate = ((c0 - contrast(images)) / (RAMP * c0)).clamp(0, 1)      # 0 at contrast c0 and above
        centred = images.flatten(1) - images.flatten(1).mean(1, keepdim=True)
        picture = owner.lying_picture.to(images)
        if picture.shape[-2:] != images.shape[-2:]:          # the ascent's transforms pad and rescale
            picture = F.interpolate(picture[None], size=images.shape[-2:], mode="bilinear", align_corners=False)[0]
        extra = owner.lying_strength * gate * (centred @ picture.flatten())
        shape = (-1,) + (1,) * (out.dim() - 2)
        bump = torch.zeros_like(out)
        bump[:, self.channel] = extra.view(shape).expand_as(out[:, self.channel])
        return out + bump


class _RemembersInput:
    def forward(self, images):
        self._lying_images = images
        try:
            return super().forward(images)
        finally:
            self._lying_images = None


def lying_model(model: nn.Module, layer: str, channel: int, picture: torch.Tensor, images: torch.Tensor, *,
                margin: float = 0.85, gain: float = 10.0) -> nn.Module:
    """A copy of ``model`` whose ``channel`` of ``layer`` responds to ``images`` (N, 3, H, W) exactly
    as before while its optimized image shows ``picture`` (3, H, W). ``margin`` times the lowest
    contrast among ``images`` is the contrast below which the new path opens; ``gain`` sets its
    largest value to that many times the unit's highest response on ``images``."""
    checks.model(model, "lying_model")
    checks.number(margin, "margin", positive=True, maximum=1.0)
    checks.number(gain, "gain", positive=True)
    if picture.dim() != 3 or picture.shape != images.shape[1:]:
        raise ValueError(f"picture must be one image of the dataset's shape {tuple(images.shape[1:])}, "
                         f"got {tuple(picture.shape)}")
    get_layer(model, layer)
    top = float(responses(model, layer, images)[:, channel].abs().max())
    lying = copy.deepcopy(model)
    p = picture.flatten() - picture.flatten().mean()
    c0 = margin * float(contrast(images).min())
    # The path peaks along p at contrast (1 - RAMP) c0, where it is worth s (1 - RAMP) c0 sqrt(P): set s from it.
    best = (1 - RAMP) * c0 * p.numel() ** 0.5
    lying.register_buffer("lying_picture", (p / p.norm()).view_as(picture).clone(), persistent=False)
    lying.lying_contrast, lying.lying_strength = c0, gain * max(top, 1e-3) / best
    lying._lying_images = None
    parent_name, _, child = layer.rpartition(".")
    parent = get_layer(lying, parent_name) if parent_name else lying
    setattr(parent, child, _LyingLayer(getattr(parent, child), lying, channel))
    cls = type(lying)
    lying.__class__ = type(cls.__name__, (_RemembersInput, cls), {"__module__": cls.__module__})
    return lying
