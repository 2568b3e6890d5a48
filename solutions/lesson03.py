"""Reference solutions for lesson 03, and typical wrong answers the checks must catch."""
import torch


def distances(queries, database):
    squared = (queries ** 2).sum(1)[:, None] + (database ** 2).sum(1)[None, :] - 2 * queries @ database.T
    return squared.clamp(min=0).sqrt()


def nearest(queries, database, k):
    return torch.cdist(queries.double(), database.double()).topk(k, dim=1, largest=False).indices


WRONG = {
    "q1": [
        lambda q, d: (q ** 2).sum(1)[:, None] + (d ** 2).sum(1)[None, :] - 2 * q @ d.T,   # squared
        lambda q, d: ((q ** 2).sum(1)[:, None] + (d ** 2).sum(1)[None, :] + 2 * q @ d.T).clamp(min=0).sqrt(),  # sign
        lambda q, d: torch.cdist(d, q),                                                     # transposed
        lambda q, d: q @ d.T,                                                               # dot product
        lambda q, d: ((q ** 2).sum(1)[:, None] + (d ** 2).sum(1)[None, :] - 2 * q @ d.T).sqrt(),  # no clamp
    ],
    "q2": [
        lambda q, d, k: torch.cdist(q, d).topk(k, dim=1).indices,                           # farthest
        lambda q, d, k: torch.cdist(q, d).topk(k, dim=1, largest=False).values,             # values
        lambda q, d, k: (q @ d.T).topk(k, dim=1).indices,                                   # similarity
    ],
}
