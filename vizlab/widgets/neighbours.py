"""Pick a query image; see its nearest neighbours in pixel space and in a layer's feature space.
And a 2-D map of a layer's features (PCA or t-SNE), coloured by class."""
from __future__ import annotations

import ipywidgets as widgets
import torch

from .. import checks
from ..dataprobe.datasets import as_dataset, image_at
from ..dataprobe.feature_space import features, nearest_neighbours, pca_2d, tsne_2d
from ..dataprobe.plot import embedding_scatter, figure_png
from ..images import image_grid
from .render import image_png


class NeighboursExplorer(widgets.VBox):
    """``NeighboursExplorer(model, dataset, "relu4")``: a query slider, a choice of space
    (the layer's features, or raw pixels) and the query followed by its ``k`` nearest images.

    ``k`` must be in 1..N-1 for a dataset of N images (never cut to fit); ``class_names`` None or
    a list of str; ``width`` an int >= 1. ``layer``, ``pool`` and ``batch_size`` are checked by
    ``features``, before any forward pass."""

    def __init__(self, model: torch.nn.Module, data, layer: str, *, k: int = 8, pool: str = "avg",
                 class_names=None, batch_size: int = 64, width: int = 600):
        checks.integer(k, "k", minimum=1, hint=" (neighbours shown)")
        checks.integer(width, "width", minimum=1, hint=" (pixels on screen)")
        if class_names is not None and (not isinstance(class_names, (list, tuple))
                                        or not all(isinstance(n, str) for n in class_names)):
            raise TypeError(f"class_names must be None or a list of str, one per class, got {checks._show(class_names)}")
        self.dataset = as_dataset(data)
        checks.integer(k, "k", minimum=1, maximum=len(self.dataset) - 1,
                       hint=f" (neighbours shown: the other images of the dataset of {len(self.dataset)})")
        self.class_names = class_names or getattr(self.dataset, "classes", None)
        self.k, self.layer = k, layer
        feats, self.labels = features(model, self.dataset, layer, pool=pool, batch_size=batch_size)
        self.spaces = {f"features ({layer})": feats, "pixels": _pixels(self.dataset)}
        self.query = widgets.IntSlider(0, min=0, max=len(feats) - 1, description="query")
        self.space = widgets.ToggleButtons(options=list(self.spaces), description="space")
        self.view = widgets.Image(format="png", width=width)
        self.caption = widgets.HTML()
        for control in (self.query, self.space):
            control.observe(lambda change: self.update(), names="value")
        super().__init__([widgets.HBox([self.query, self.space]), self.view, self.caption])
        self.update()

    def neighbours(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(distances (k+1,), indices (k+1,)) for the current query and space; the first is the query."""
        space = self.spaces[self.space.value]
        return nearest_neighbours(space[self.query.value], space, k=self.k + 1)

    def update(self) -> None:
        dist, idx = self.neighbours()
        images = torch.stack([image_at(self.dataset, int(i)) for i in idx])
        self.view.value = image_png(image_grid(images, nrow=len(images), padding=2),
                                    scale=max(1, 64 // images.shape[-1]))
        names = self.class_names
        label = (lambda i: names[int(self.labels[i])] if names is not None else str(int(self.labels[i]))) \
            if self.labels is not None else (lambda i: "")
        cells = [f"#{int(i)} {label(int(i))} (d={float(d):.2f})" for d, i in zip(dist, idx)]
        self.caption.value = "query, then nearest: " + " · ".join(cells)


def _pixels(dataset) -> torch.Tensor:
    return torch.stack([image_at(dataset, i).flatten() for i in range(len(dataset))])


class EmbeddingPlot(widgets.VBox):
    """``EmbeddingPlot(feats, labels, class_names, images=...)``: PCA or t-SNE of ``feats`` (N, D)
    as a scatter coloured by class, optionally with thumbnails. Each map is computed once.

    Everything t-SNE needs is checked here, before the first map: ``perplexity`` in (0, N),
    ``seed`` an int >= 0, ``labels`` and ``images`` None or one per row of ``feats`` (N, D)."""

    def __init__(self, feats: torch.Tensor, labels=None, class_names=None, *, images=None,
                 perplexity: float = 30.0, seed: int = 0, width: int = 520):
        if not isinstance(feats, torch.Tensor) or feats.dim() != 2 or len(feats) < 2:
            raise (TypeError if not isinstance(feats, torch.Tensor) else ValueError)(
                f"feats must be a tensor (N, D) of N >= 2 feature vectors, e.g. from vizlab.dataprobe.features, "
                f"got {checks._show(feats) if not isinstance(feats, torch.Tensor) else tuple(feats.shape)}")
        checks.number(perplexity, "perplexity", positive=True)
        if perplexity >= len(feats):
            raise ValueError(f"perplexity must be in (0, {len(feats)}) for {len(feats)} points, got {perplexity}")
        checks.integer(seed, "seed", minimum=0, hint=" (the t-SNE map's seed)")
        checks.integer(width, "width", minimum=1, hint=" (pixels on screen)")
        for name, value in (("labels", labels), ("images", images)):
            if value is not None and len(value) != len(feats):
                raise ValueError(f"{name} must be None or one per row of feats ({len(feats)}), got {len(value)}")
        self.feats, self.labels, self.class_names, self.images = feats, labels, class_names, images
        self.perplexity, self.seed = perplexity, seed
        self._maps = {}
        self.method = widgets.ToggleButtons(options=["pca", "tsne"], description="method")
        self.thumbnails = widgets.Checkbox(False, description="thumbnails", disabled=images is None)
        self.view = widgets.Image(format="png", width=width)
        self.caption = widgets.HTML()
        for control in (self.method, self.thumbnails):
            control.observe(lambda change: self.update(), names="value")
        super().__init__([widgets.HBox([self.method, self.thumbnails]), self.view, self.caption])
        self.update()

    def embedding(self, method: str):
        if method not in self._maps:
            self._maps[method] = (pca_2d(self.feats) if method == "pca"
                                  else tsne_2d(self.feats, perplexity=self.perplexity, seed=self.seed))
        return self._maps[method]

    def update(self) -> None:
        emb = self.embedding(self.method.value)
        thumbs = self.images if self.thumbnails.value else None
        self.view.value = figure_png(lambda ax: embedding_scatter(
            emb.points, self.labels, class_names=self.class_names, images=thumbs, ax=ax))
        ratio = emb.explained_variance_ratio
        self.caption.value = (f"PCA: the two axes explain {ratio[0]:.0%} and {ratio[1]:.0%} of the variance"
                              if ratio else f"t-SNE, perplexity {self.perplexity}, seed {self.seed}: "
                              f"distances between clusters and cluster sizes carry no meaning")
