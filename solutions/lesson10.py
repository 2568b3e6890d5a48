"""Reference solutions for lesson 10, and typical wrong answers the checks must catch."""
import torch


def spread(encodings):
    n = encodings.shape[0]
    if n < 2:
        return 0.0
    pairs = torch.cdist(encodings, encodings).triu(1)
    return pairs.sum() / (n * (n - 1) / 2)


def _squared(encodings):
    n = encodings.shape[0]
    return torch.cdist(encodings, encodings).pow(2).triu(1).sum() / max(n * (n - 1) / 2, 1)


WRONG = {
    "q1": [
        _squared,                                                                    # squared distances
        lambda e: torch.cdist(e, e).sum() / e.shape[0] ** 2,                          # diagonal zeros included
        lambda e: torch.cdist(e, e).triu(1).sum(),                                    # a sum, not a mean
        lambda e: (e - e.mean(0)).norm(dim=1).mean(),                                 # distance to the centre
    ],
}
