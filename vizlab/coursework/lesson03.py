"""Lesson 03 exercises: L2 distances and nearest neighbours in feature space."""
from __future__ import annotations

import torch

from ..dataprobe.feature_space import nearest_neighbours
from . import Exercise
from .checking import Wrong, case_seed, compare_tensors


def random_features(seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(queries, database) pairs in float64; each first query is row 2 of the database (distance 0),
    and in the last case the queries are rows 0-2 of the database."""
    generator = torch.Generator().manual_seed(seed)
    cases = []
    for queries, rows, dims in [(3, 10, 4), (5, 40, 64), (1, 7, 2)]:
        database = torch.randn(rows, dims, generator=generator, dtype=torch.float64) * 3 + 5
        extra = torch.randn(queries - 1, dims, generator=generator, dtype=torch.float64) * 3 + 5
        cases.append((torch.cat([database[2:3], extra]), database))
    # Queries identical to database rows, drawn until |a|^2 + |b|^2 - 2 a.b rounds below 0
    # for some pair: an answer that skips the clamp before the square root then gives NaN.
    for _ in range(64):
        database = torch.randn(6, 64, generator=generator, dtype=torch.float64) * 3 + 5
        queries = database[:3].clone()
        squared = (queries ** 2).sum(1)[:, None] + (database ** 2).sum(1)[None, :] - 2 * queries @ database.T
        if (squared < 0).any():
            break
    cases.append((queries, database))
    return cases


def vizlab_distances(queries: torch.Tensor, database: torch.Tensor) -> torch.Tensor:
    """All distances (Q, N) in database order, from vizlab's nearest_neighbours."""
    dist, idx = nearest_neighbours(queries, database, k=len(database))
    return torch.empty_like(dist).scatter_(1, idx, dist).double()


def _check_distances(fn, seed: int) -> None:
    for queries, database in random_features(case_seed(seed, 301)):
        out = fn(queries.clone(), database.clone())
        expected = vizlab_distances(queries, database)
        if isinstance(out, torch.Tensor) and out.shape == expected.T.shape and out.shape != expected.shape:
            raise Wrong(f"the result has shape {tuple(out.shape)}: it is transposed",
                        "one row per query, one column per database row: (Q, N)")
        if isinstance(out, torch.Tensor) and out.shape == expected.shape and torch.isfinite(out).all():
            if torch.allclose(out.double(), expected.square(), rtol=1e-3, atol=1e-2):
                raise Wrong("these are squared distances", "take the square root at the end")
        if isinstance(out, torch.Tensor) and out.shape == expected.shape and torch.isnan(out).any():
            raise Wrong("some distances are NaN: the square root of a slightly negative number",
                        "|a|^2 + |b|^2 - 2 a.b can round below 0 when a == b: clamp it at 0 before the square root")
        compare_tensors(out, expected, what="distances(queries, database)", rtol=1e-5, atol=1e-4,
                        hint="d = sqrt(|a|^2 + |b|^2 - 2 a.b), one row per query: shape (Q, N)")


def _check_nearest(fn, seed: int) -> None:
    for k, (queries, database) in zip([3, 5, 1], random_features(case_seed(seed, 302))):
        out = fn(queries.clone(), database.clone(), k)
        _, expected = nearest_neighbours(queries, database, k=k)
        if out is None:
            raise Wrong("nearest(queries, database, k) returns nothing yet", "finish the function and `return` the indices")
        if not isinstance(out, torch.Tensor):
            raise Wrong(f"nearest(queries, database, k) should return a tensor of indices, got {type(out).__name__}",
                        "return the indices of the k nearest rows, e.g. from torch.topk or argsort")
        if out.shape != expected.shape:
            raise Wrong(f"nearest(...) has shape {tuple(out.shape)}, expected {tuple(expected.shape)} (Q, k)",
                        "one row per query, k indices each")
        if out.is_floating_point():
            raise Wrong("nearest(...) returned values, not indices", "return the indices (an integer tensor)")
        out = out.long()
        if torch.equal(out, expected):
            continue
        far = vizlab_distances(queries, database).topk(k, dim=1).indices
        if torch.equal(out, far):
            raise Wrong("these are the k *farthest* rows", "the nearest rows have the smallest distance: largest=False")
        if torch.equal(out.sort(1).values, expected.sort(1).values):
            raise Wrong("the right neighbours, in the wrong order", "sort them nearest first")
        raise Wrong(f"for query 0 the nearest {k} are {expected[0].tolist()}, got {out[0].tolist()}",
                    "rank by the Euclidean distance to the query, smallest first")


EXERCISES = [
    Exercise("q1", "distances",
             "distances(queries, database) returns the Euclidean distances (Q, N) with one matrix product: "
             "|a|^2 + |b|^2 - 2 a.b, clamped at 0, square root", _check_distances),
    Exercise("q2", "nearest",
             "nearest(queries, database, k) returns the indices (Q, k) of the k nearest database rows, "
             "nearest first", _check_nearest),
]
