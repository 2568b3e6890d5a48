"""Reference solutions for lesson 11, and typical wrong answers the checks must catch."""
import torch
from torch.nn import functional as F


def choose(queries, maximal, minimal):
    q, hi, lo = (F.normalize(c, dim=1) for c in (queries, maximal, minimal))
    scores = (q @ hi.T).mean(1) - (q @ lo.T).mean(1)
    return int(scores.argmax())


def iou(on, masks):
    return (on & masks).sum() / (on | masks).sum()


def _unnormalized(queries, maximal, minimal):
    return int(((queries @ maximal.T).mean(1) - (queries @ minimal.T).mean(1)).argmax())


def _maximal_only(queries, maximal, minimal):
    return int((F.normalize(queries, dim=1) @ F.normalize(maximal, dim=1).T).mean(1).argmax())


def _per_image_iou(on, masks):
    values = [(o & m).sum() / (o | m).sum() for o, m in zip(on, masks) if (o | m).any()]
    return sum(values) / len(values)


WRONG = {
    "q1": [
        _unnormalized,                                                        # dot products, not cosines
        _maximal_only,                                                        # the minimal references ignored
        lambda q, hi, lo: 1 - choose(q, hi, lo),                              # the sign flipped
    ],
    "q2": [
        _per_image_iou,                                                       # a mean of per-image IoUs
        lambda on, masks: (on & masks).sum() / masks.sum(),                   # over the mask, not the union
        lambda on, masks: (on & masks).float().mean(),                        # not divided by the union
    ],
}
