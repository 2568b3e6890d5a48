"""Figures for the data probes (matplotlib; pyplot is imported only when no axes are given)."""
from __future__ import annotations

import numpy as np
import torch

from ..images import to_numpy


def patch_grid(records, *, ncols: int = 9, title: str | None = None, ax_size: float = 1.2):
    """The crops of ``records`` (from ``top_activations``) in a row or grid, each captioned with its
    value and image index (black borders: where the box left the image, zero-padded)."""
    images = [r.crop for r in records]
    captions = [f"{r.value:.2f}\n#{r.index}" for r in records]
    return image_row(images, captions, ncols=ncols, title=title, ax_size=ax_size)


def image_row(images, captions=None, *, ncols: int = 9, title: str | None = None, ax_size: float = 1.2):
    """Images (3, H, W) in a grid of ``ncols`` columns with optional captions; returns the figure."""
    import matplotlib.pyplot as plt

    n = len(images)
    rows = max(1, -(-n // ncols))
    fig, axes = plt.subplots(rows, ncols, figsize=(ax_size * ncols, ax_size * rows + 0.4), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < n:
            ax.imshow(to_numpy(images[k]), interpolation="nearest")
            if captions:
                ax.set_title(captions[k], fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def embedding_scatter(points: torch.Tensor, labels=None, *, class_names=None, images=None, ax=None,
                      thumbnail_zoom: float = 0.35, title: str | None = None):
    """Scatter (N, 2) ``points`` coloured by class; with ``images`` (N, 3, H, W) each point is
    drawn as its thumbnail. Pass ``ax`` (e.g. from ``matplotlib.figure.Figure``) to avoid pyplot."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6, 5))
    xy = points.detach().cpu().numpy()
    labels = np.zeros(len(xy), int) if labels is None else np.asarray(torch.as_tensor(labels).cpu())
    cmap = _colormap()
    for c in np.unique(labels):
        name = class_names[c] if class_names is not None else str(c)
        pick = labels == c
        ax.scatter(xy[pick, 0], xy[pick, 1], s=12, color=cmap(int(c) % 10), label=name, alpha=0.8)
    if images is not None:
        _thumbnails(ax, xy, images, labels, cmap, thumbnail_zoom)
    ax.legend(fontsize=7, markerscale=1.5, loc="best")
    ax.set_xticks([]), ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def _thumbnails(ax, xy, images, labels, cmap, zoom):
    from matplotlib.offsetbox import AnnotationBbox, OffsetImage

    for (x, y), image, c in zip(xy, images, labels):
        box = OffsetImage(to_numpy(image), zoom=zoom)
        ax.add_artist(AnnotationBbox(box, (x, y), frameon=True, pad=0.1,
                                     bboxprops={"edgecolor": cmap(int(c) % 10), "linewidth": 1}))


def _colormap():
    from matplotlib import colormaps

    return colormaps["tab10"]


def figure_png(draw, *, size=(6, 5), dpi: int = 80) -> bytes:
    """PNG bytes of a figure drawn by ``draw(ax)`` without pyplot (thread-safe, for widgets)."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=dpi)
    FigureCanvasAgg(fig)
    draw(fig.add_subplot())
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
