"""Turning tensors into PNG bytes for ``ipywidgets.Image`` (no pyplot: fast and thread-safe)."""
from __future__ import annotations

import io

import numpy as np
import torch

from ..images import to_pil


def image_png(image: torch.Tensor, *, scale: int = 1) -> bytes:
    """PNG of an image (3, H, W) in [0, 1], enlarged ``scale`` times with sharp pixels."""
    return _png(to_pil(image, scale=scale))


def heatmap_png(values: torch.Tensor, *, scale: int = 1, cmap: str = "RdBu_r", limit: float | None = None) -> bytes:
    """PNG of a 2-D map; signed maps use a diverging colour map centred on zero at +-``limit``."""
    from matplotlib import colormaps
    from PIL import Image

    values = values.detach().float().cpu().numpy()
    limit = limit or max(float(np.abs(values).max()), 1e-12)
    rgba = colormaps[cmap](np.clip(values / (2 * limit) + 0.5, 0, 1), bytes=True)
    picture = Image.fromarray(rgba[..., :3])
    if scale != 1:
        picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    return _png(picture)


def _png(picture) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()
