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
    (the layer's features, or raw pixels) and the query followed by its ``k`` nearest images."""

    def __init__(self, model: torch.nn.Module, data, layer: str, *, k: int = 8, pool: str = "avg",
                 class_names=None, batch_size: int = 64, width: int = 600):
        checks.integer(k, "k", minimum=1, hint=" (neighbours shown)")
        self.dataset = as_dataset(data)
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
        return nearest_neighbours(space[self.query.value], space, k=min(self.k + 1, len(space)))

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
    as a scatter coloured by class, optionally with thumbnails. Each map is computed once."""

    def __init__(self, feats: torch.Tensor, labels=None, class_names=None, *, images=None,
                 perplexity: float = 30.0, seed: int = 0, width: int = 520):
        checks.number(perplexity, "perplexity", positive=True)
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
