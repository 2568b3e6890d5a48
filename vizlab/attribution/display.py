"""The methods by name, as non-negative (B, H, W) maps ready to show, and overlays on the image.

Used by the widget and the lessons, so both show the same thing. No pyplot: colour maps come
from ``matplotlib.colormaps``, imported lazily.
"""
from __future__ import annotations

import torch
from torch import nn

from .gradcam import gradcam, guided_gradcam
from .gradients import channel_max, saliency, smoothgrad
from .guided import deconvnet, guided_backprop

NEEDS_LAYER = ("Grad-CAM", "guided Grad-CAM")
METHODS = {
    "saliency (gradient)": lambda m, x, t, layer: saliency(m, x, t),
    "SmoothGrad": lambda m, x, t, layer: smoothgrad(m, x, t, samples=20),
    "guided backprop": lambda m, x, t, layer: channel_max(guided_backprop(m, x, t)),
    "deconvnet": lambda m, x, t, layer: channel_max(deconvnet(m, x, t)),
    "Grad-CAM": lambda m, x, t, layer: gradcam(m, x, t, layer=layer),
    "guided Grad-CAM": lambda m, x, t, layer: channel_max(guided_gradcam(m, x, t, layer=layer)),
}


def attribution_map(model: nn.Module, images, target=None, *, method: str, layer: str | None = None) -> torch.Tensor:
    """The (B, H, W) magnitude map of ``method`` (a key of ``METHODS``); Grad-CAM reads ``layer``
    (default: the last ReLU, see ``gradcam``)."""
    if method not in METHODS:
        raise ValueError(f"Unknown method {method!r}; choose one of {', '.join(METHODS)}")
    return METHODS[method](model, images, target, layer).detach()


def normalize_map(m: torch.Tensor, percentile: float = 99.0) -> torch.Tensor:
    """A (H, W) map clipped at its ``percentile`` of |m| and scaled to [0, 1] (METHODS.md §4)."""
    m = m.detach().abs().float().cpu()
    top = torch.quantile(m.flatten(), percentile / 100)
    return (m / top.clamp(min=1e-12)).clamp(0, 1)


def colorize(m: torch.Tensor, *, cmap: str = "inferno") -> torch.Tensor:
    """A (H, W) map as a (3, H, W) colour image after ``normalize_map``."""
    from matplotlib import colormaps

    rgb = colormaps[cmap](normalize_map(m).numpy())[..., :3]
    return torch.from_numpy(rgb).permute(2, 0, 1).float()


def overlay(image: torch.Tensor, m: torch.Tensor, *, cmap: str = "inferno", strength: float = 0.6) -> torch.Tensor:
    """The map drawn over a dimmed image (3, H, W): where the map is strong, its colour shows."""
    weight = strength * normalize_map(m)[None]
    return (1 - weight) * 0.6 * image.detach().cpu() + weight * colorize(m, cmap=cmap)
