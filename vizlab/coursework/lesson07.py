"""Lesson 07 exercises: inverting a representation."""
from __future__ import annotations

import torch

from ..inversion.terms import ImageStats, tv_norm
from . import Exercise
from .checking import Wrong, compare_tensors, generator as cases_generator

UNIT = ImageStats(torch.zeros(3), 1.0)     # no centring, B = 1: the plain TV


def _check_total_variation(fn, seed: int) -> None:
    generator = cases_generator(seed, 707)
    images = torch.rand(2, 3, 6, 7, generator=generator)
    for beta in (2.0, 1.0):
        out = fn(images.clone(), beta)
        expected = tv_norm(images, UNIT, beta)
        if isinstance(out, torch.Tensor) and out.shape == expected.shape and beta == 1.0:
            if torch.allclose(out.to(images.dtype), tv_norm(images, UNIT, 2.0), atol=1e-5):
                raise Wrong("with beta = 1 you return the beta = 2 value: the exponent beta/2 is missing",
                            "raise the sum of the squared differences to the power beta / 2")
        if isinstance(out, torch.Tensor) and out.shape == expected.shape:
            cropped = _cropped(images, beta)
            if torch.allclose(out.to(images.dtype), cropped, atol=1e-5):
                raise Wrong("you average over (H-1) x (W-1) pixels: the last row and column are left out",
                            "pad the differences with a 0 at the end (torch.nn.functional.pad) so every pixel counts")
        compare_tensors(out, expected, what=f"total_variation(images, beta={beta:g})",
                        hint="per image: mean over channels and pixels of (dx**2 + dy**2) ** (beta / 2)")


def _cropped(images, beta):
    dx = images[..., :-1, 1:] - images[..., :-1, :-1]
    dy = images[..., 1:, :-1] - images[..., :-1, :-1]
    return (dx.pow(2) + dy.pow(2)).pow(beta / 2).flatten(1).mean(1)


EXERCISES = [
    Exercise("q1", "total_variation",
             "total_variation(images, beta) returns, for each image of (B, 3, H, W), the mean over channels and "
             "pixels of ((x[i, j+1] - x[i, j])**2 + (x[i+1, j] - x[i, j])**2) ** (beta / 2), with the differences "
             "past the last column and row taken as 0: shape (B,)",
             _check_total_variation),
]
