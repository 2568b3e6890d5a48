"""Matplotlib figures for lessons and slides. pyplot is imported only when a figure is drawn."""
from __future__ import annotations

import textwrap

import torch

from .images import image_grid, to_numpy


def show_images(images, titles=None, *, ncols: int | None = None, size: float = 2.5, suptitle: str | None = None,
                colorbar: bool = False, fontsize: float = 9):
    """Show images (each (3, H, W) in [0, 1], or 2-D maps) in one row (or rows of ``ncols``); returns the figure.

    A row is never wider than the images it holds, so no row is half empty. Each title is wrapped
    to its image's width and every row is made tall enough for the longest title, so captions
    neither run into their neighbours nor into the row above.
    A 2-D map is drawn in diverging colours centred on zero (blue negative, red positive); with
    ``colorbar=True`` each map gets a colour bar, so its values can be read off the figure.
    """
    import matplotlib.pyplot as plt

    images = list(images)
    if not images:
        raise ValueError("show_images needs at least one image")
    ncols = min(ncols or len(images), len(images))
    nrows = -(-len(images) // ncols)
    if titles is not None:
        titles = [_wrap(str(title), size, fontsize) for title in titles]
    lines = max((title.count("\n") + 1 for title in titles or [] if title), default=0)
    # inches: a line of text is about 1.4 font sizes tall, and a title sits 6 points above its image
    title_height = (lines * fontsize * 1.4 + 12) / 72 if lines else 0.0
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, (size + title_height) * nrows), squeeze=False)
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
            ax.set_title(titles[k], fontsize=fontsize)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def _wrap(title: str, width_inches: float, fontsize: float) -> str:
    """``title`` with each line broken at word boundaries to fit ``width_inches`` (a character is
    about 0.6 font sizes wide)."""
    chars = max(6, int(width_inches * 72 / (0.6 * fontsize)))
    return "\n".join(textwrap.fill(line, chars) or line for line in title.split("\n"))


def show_grid(images: torch.Tensor, *, nrow: int = 8, title: str | None = None, size: float = 5.0):
    """One figure with a batch (B, 3, H, W) tiled ``nrow`` per row."""
    return show_images([image_grid(images, nrow=nrow, padding=1)], [title] if title else None, size=size)
