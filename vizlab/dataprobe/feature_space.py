"""A late layer as a space: nearest neighbours by L2 distance, and 2-D maps by PCA and t-SNE.

Krizhevsky et al. (2012, Fig. 4) ranked training images by the Euclidean distance of their
last hidden layer's features to a query's: neighbours there share a class even when their
pixels differ. PCA and t-SNE (van der Maaten & Hinton 2008) draw the whole space in 2-D.
See METHODS.md §3.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .. import checks
from ..probe import capture
from .datasets import as_dataset, batches, make_progress


def features(model: torch.nn.Module, data, layer: str, *, pool: str = "flatten", batch_size: int = 64,
             progress=False) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(features (N, D) on the CPU, labels (N,) or None) of ``layer`` for every image of ``data``.

    ``pool``: "flatten" keeps every unit (D = C H W); "avg" or "max" pools each channel over
    space (D = C), which ignores where in the image a pattern was.
    """
    checks.model(model, "features")
    checks.layer_name(layer)
    if not isinstance(pool, str) or pool not in ("flatten", "avg", "max"):
        raise ValueError(f"pool must be 'flatten', 'avg' or 'max', got {pool!r}")
    checks.integer(batch_size, "batch_size", minimum=1)
    dataset = as_dataset(data)
    report, parts, labels, done = make_progress(progress, len(dataset)), [], [], 0
    for images, batch_labels in batches(dataset, batch_size):
        acts = capture(model, images, layer)[layer]
        if acts.dim() == 4 and pool != "flatten":
            acts = acts.amax((2, 3)) if pool == "max" else acts.mean((2, 3))
        parts.append(acts.flatten(1).cpu())
        labels.append(batch_labels)
        done += len(images)
        report(done)
    if not parts:
        raise ValueError("the dataset is empty: pass at least one image (e.g. make_shapes(256))")
    return torch.cat(parts), (torch.cat(labels) if all(lab is not None for lab in labels) else None)


CHUNK_BYTES = 64 * 2**20  # the largest temporary one chunk of queries may allocate (measured: smaller
# chunks of 2-32 MB fragment the heap and raise the peak; larger ones raise it directly)


def nearest_neighbours(queries: torch.Tensor, database: torch.Tensor, *, k: int = 5,
                       chunk: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """(distances (Q, k), indices (Q, k)) of the ``k`` nearest rows of ``database`` (N, D) to each
    query (Q, D) or (D,), nearest first; ties keep the lower index.

    Ranking uses d^2 = |a|^2 + |b|^2 - 2 a.b (clamped at 0) in float64, one chunk of queries at a
    time; the distances returned are then recomputed directly as |a - b|, so a query that is in
    the database finds itself at distance exactly 0. A chunk holds at most ``chunk`` queries and
    is smaller still for long vectors, so that no temporary exceeds ``CHUNK_BYTES`` (the exact
    differences of a chunk take queries x candidates x D doubles: 400 raw 64 px images would
    otherwise need 1.5 GB at once).
    """
    for name, t in (("queries", queries), ("database", database)):
        if not isinstance(t, torch.Tensor) or t.is_complex() or t.dtype == torch.bool:
            raise TypeError(f"{name} must be a real tensor of features (N, D), got {checks._show(t)}")
    checks.integer(chunk, "chunk", minimum=1)
    single = queries.dim() == 1
    queries, database = queries.reshape(-1, database.shape[-1]) if single else queries, database
    if queries.dim() != 2 or database.dim() != 2 or queries.shape[1] != database.shape[1]:
        raise ValueError(f"queries (Q, D) and database (N, D) must share D; got {tuple(queries.shape)} "
                         f"and {tuple(database.shape)}")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= len(database):
        raise ValueError(f"k must be an integer in 1..{len(database)} (the database size), got {k!r}")
    db = database.double()
    db_sq = (db * db).sum(1)
    candidates = min(len(db), 2 * k + 8)  # a margin against rounding near ties
    widest = max(candidates * database.shape[1], len(db)) * db.element_size()   # bytes per query
    chunk = max(1, min(chunk, CHUNK_BYTES // widest))
    dists, idxs = [], []
    for q in queries.double().split(chunk):
        d2 = ((q * q).sum(1, keepdim=True) + db_sq - 2 * q @ db.T).clamp_min(0)
        near = d2.sort(dim=1, stable=True).indices[:, :candidates]
        exact = (q[:, None] - db[near]).norm(dim=2)
        order = exact.sort(dim=1, stable=True).indices[:, :k]
        dists.append(exact.gather(1, order))
        idxs.append(near.gather(1, order))
    dist, idx = torch.cat(dists).to(database.dtype), torch.cat(idxs)
    return (dist[0], idx[0]) if single else (dist, idx)


@dataclass(frozen=True)
class Embedding:
    """2-D ``points`` (N, 2) of a ``method``; PCA also gives each axis's explained-variance ratio."""

    points: torch.Tensor
    method: str
    explained_variance_ratio: tuple[float, float] | None = None


def pca_2d(feats: torch.Tensor) -> Embedding:
    """Centre, project on the first two principal axes (scikit-learn's PCA, exact SVD)."""
    array = _numpy(feats, need=3)
    if not (array.std(0) > 0).any():
        raise ValueError(f"PCA of constant features: all {len(array)} rows are the same vector (a dead layer, "
                         f"or identical images), so there is no variance and no principal axis. Choose another "
                         f"layer, or check that the images differ")
    PCA = _sklearn("decomposition").PCA
    pca = PCA(n_components=2, svd_solver="full")
    points = pca.fit_transform(array)
    return Embedding(torch.from_numpy(points).float(), "pca", tuple(map(float, pca.explained_variance_ratio_)))


def tsne_2d(feats: torch.Tensor, *, perplexity: float = 30.0, seed: int = 0, pca_dims: int = 50) -> Embedding:
    """t-SNE (scikit-learn, PCA initialization, learning_rate='auto', fixed ``seed``) after reducing
    to ``pca_dims`` dimensions with PCA, as van der Maaten & Hinton did. Gaps between clusters
    and cluster sizes mean nothing; ``perplexity`` must be below the number of points."""
    array = _numpy(feats, need=3)
    checks.number(perplexity, "perplexity", positive=True)
    checks.seed(seed)
    checks.integer(pca_dims, "pca_dims", minimum=2)
    if not 0 < perplexity < len(array):
        raise ValueError(f"perplexity must be in (0, {len(array)}) for {len(array)} points, got {perplexity}")
    if array.shape[1] > pca_dims and len(array) > pca_dims:
        array = _sklearn("decomposition").PCA(n_components=pca_dims, svd_solver="full").fit_transform(array)
    tsne = _sklearn("manifold").TSNE(n_components=2, perplexity=perplexity, init="pca",
                                     learning_rate="auto", random_state=seed)
    return Embedding(torch.from_numpy(tsne.fit_transform(array)).float(), "tsne")


def _numpy(feats: torch.Tensor, *, need: int):
    if not isinstance(feats, torch.Tensor) or feats.is_complex() or feats.dtype == torch.bool:
        raise TypeError(f"features must be a real tensor (N, D), e.g. from features(model, data, layer); "
                        f"got {checks._show(feats)}")
    if feats.dim() != 2 or len(feats) < need:
        raise ValueError(f"features must be (N, D) with at least {need} rows; got {tuple(feats.shape)}")
    array = feats.detach().cpu().double().numpy()
    if not np.isfinite(array).all():
        raise ValueError("features contain NaN or infinite values; check the model's weights and the images")
    return array


def _sklearn(module: str):
    import importlib

    try:
        return importlib.import_module(f"sklearn.{module}")
    except ImportError:
        raise ImportError("PCA and t-SNE need scikit-learn, a dependency of vizlab-cnn: "
                          "pip install scikit-learn") from None
