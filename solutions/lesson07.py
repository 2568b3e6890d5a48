"""Reference solution for lesson 07, and typical wrong answers the checks must catch."""
import torch
from torch.nn import functional as F


def total_variation(images, beta):
    dx = F.pad(images[..., :, 1:] - images[..., :, :-1], (0, 1))
    dy = F.pad(images[..., 1:, :] - images[..., :-1, :], (0, 0, 0, 1))
    return (dx ** 2 + dy ** 2).clamp_min(1e-10).pow(beta / 2).flatten(1).mean(1)


def _cropped(images, beta):
    dx = images[..., :-1, 1:] - images[..., :-1, :-1]
    dy = images[..., 1:, :-1] - images[..., :-1, :-1]
    return (dx ** 2 + dy ** 2).pow(beta / 2).flatten(1).mean(1)


def _no_power(images, beta):
    dx = F.pad(images[..., :, 1:] - images[..., :, :-1], (0, 1))
    dy = F.pad(images[..., 1:, :] - images[..., :-1, :], (0, 0, 0, 1))
    return (dx ** 2 + dy ** 2).flatten(1).mean(1)


def _summed(images, beta):
    dx = F.pad(images[..., :, 1:] - images[..., :, :-1], (0, 1))
    dy = F.pad(images[..., 1:, :] - images[..., :-1, :], (0, 0, 0, 1))
    return (dx ** 2 + dy ** 2).clamp_min(1e-10).pow(beta / 2).flatten(1).sum(1)


WRONG = {"q1": [_cropped, _no_power, _summed]}
