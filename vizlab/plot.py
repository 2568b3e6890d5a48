"""Matplotlib figures for lessons and slides. pyplot is imported only when a figure is drawn."""
from __future__ import annotations

import torch

from .images import image_grid, to_numpy


def show_images(images, titles=None, *, ncols: int | None = None, size: float = 2.5, suptitle: str | None = None,
                colorbar: bool = False):
    """Show images (each (3, H, W) in [0, 1], or 2-D maps) in one row (or ``ncols`` columns); returns the figure.

    A 2-D map is drawn in diverging colours centred on zero (blue negative, red positive); with
    ``colorbar=True`` each map gets a colour bar, so its values can be read off the figure.
    """
    import matplotlib.pyplot as plt

    images = list(images)
    ncols = ncols or len(images)
    nrows = -(-len(images) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= len(images):
            continue
        image = images[k].detach().cpu()
        if image.dim() == 2:  # a signed map: diverging colours centred on zero
            limit = image.abs().max().clamp_min(1e-12).item()
            drawn = ax.imshow(image.numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit)
            if colorbar:
                fig.colorbar(drawn, ax=ax, fraction=0.046, pad=0.04)
        else:
            ax.imshow(to_numpy(image), interpolation="nearest")
        if titles is not None:
            ax.set_title(titles[k], fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def show_grid(images: torch.Tensor, *, nrow: int = 8, title: str | None = None, size: float = 5.0):
    """One figure with a batch (B, 3, H, W) tiled ``nrow`` per row."""
    return show_images([image_grid(images, nrow=nrow, padding=1)], [title] if title else None, size=size)
