"""Reference solutions for lesson 01, and typical wrong answers the checks must catch."""
import torch


def symmetric_scale(weight):
    return weight / (2 * weight.abs().max()) + 0.5


WRONG = {
    "q1": [
        lambda weight: (weight - weight.amin((1, 2, 3), keepdim=True))
        / (weight.amax((1, 2, 3), keepdim=True) - weight.amin((1, 2, 3), keepdim=True)),  # per filter
        lambda weight: weight / (2 * weight.abs().max()),                                   # no offset
        lambda weight: weight / weight.abs().max() + 0.5,                                   # factor 2 missing
    ],
}
