"""Figures for attribution results (matplotlib, imported lazily: the engine never needs it)."""
from __future__ import annotations

import torch

from ..images import to_numpy
from .display import normalize_map


def show_maps(images: torch.Tensor, maps: dict, *, cmap: str = "inferno", size: float = 1.8):
    """A grid: one row per image, the image then one column per map (name -> (B, H, W) or (B, 3, H, W)).

    Colour maps (B, 3, H, W), such as guided backprop, are shown symmetrically around grey.
    """
    import matplotlib.pyplot as plt

    rows, cols = len(images), 1 + len(maps)
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * rows), squeeze=False)
    for r in range(rows):
        axes[r, 0].imshow(to_numpy(images[r]))
        for c, (name, m) in enumerate(maps.items(), start=1):
            _draw_map(axes[r, c], m[r], cmap)
            if r == 0:
                axes[r, c].set_title(name, fontsize=9)
    for ax in axes.flat:
        ax.axis("off")
    fig.tight_layout()
    return fig


def plot_sanity(check, *, image: int = 0, cmap: str = "inferno", size: float = 1.5):
    """The cascading-randomization grid of ``check`` (a ``SanityCheck``) for one image: a row per
    method, a column per step, and above each map *this image's* Spearman correlation with the
    trained model's map (``check.similarity`` is the mean over all the images)."""
    import matplotlib.pyplot as plt

    rows, cols = len(check.methods), len(check.steps)
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * rows + 0.4), squeeze=False)
    for r, method in enumerate(check.methods):
        rho = check.per_image(method)[:, image]  # the drawn image's, not the mean: a caption says what is drawn
        for c, step in enumerate(check.steps):
            ax = axes[r, c]
            _draw_map(ax, check.maps[method][c, image], cmap)
            ax.set_xticks([]), ax.set_yticks([])
            caption = "constant map" if rho[c].isnan() else f"ρ={rho[c]:.2f}"
            ax.set_title(f"{step}\n{caption}" if r == 0 else caption, fontsize=8)
        axes[r, 0].set_ylabel(method, fontsize=9)
    fig.suptitle(f"cascading randomization of image {image}, top layer first →", fontsize=10)
    fig.tight_layout()
    return fig


def _draw_map(ax, m: torch.Tensor, cmap: str):
    m = m.detach().cpu().float()
    if m.dim() == 3:  # signed colour map: grey is zero
        limit = m.abs().max().clamp(min=1e-12)
        ax.imshow((m / (2 * limit) + 0.5).permute(1, 2, 0).clamp(0, 1).numpy())
    else:
        ax.imshow(normalize_map(m).numpy(), cmap=cmap, vmin=0, vmax=1)
