"""Lesson 01 exercises: first-layer filters."""
from __future__ import annotations

import torch

from ..filters import filters_for_display, low_frequency_share
from . import Exercise
from .checking import Wrong, compare_tensors, generator as cases_generator


def _check_symmetric_scale(fn, seed: int) -> None:
    generator = cases_generator(seed, 101)
    for shape in [(16, 3, 7, 7), (4, 3, 11, 11)]:
        weight = torch.randn(shape, generator=generator) * 0.3
        weight[0] = 0                                          # a dead filter must stay grey
        out = fn(weight.clone())
        if isinstance(out, torch.Tensor) and out.shape == weight.shape:
            per_filter = filters_for_display(weight, scaling="per_filter").double()
            if torch.allclose(out[1:].double(), per_filter[1:], atol=1e-5):
                raise Wrong("this is per-filter min-max scaling: every filter is stretched to its own range",
                            "use one scale for all filters: w / (2 max|W|) + 0.5 over the whole tensor")
            if out[0].numel() and torch.allclose(out[0].double(), torch.zeros_like(out[0]).double()):
                raise Wrong("zero weights map to 0 (black); they should map to 0.5 (grey)", "add 0.5 after scaling")
        compare_tensors(out, filters_for_display(weight), what="symmetric_scale(weight)",
                        hint="one scale for all filters: divide by twice the largest |weight| of the whole tensor, then shift so that 0 lands on mid-grey 0.5")


def _share(weight, cutoff, *, centre=True, power=True, both_signs=True) -> torch.Tensor:
    """The share, and the typical ways to get it wrong (to recognise them)."""
    weight = weight.double()
    if centre:
        weight = weight - weight.mean(dim=(1, 2, 3), keepdim=True)
    spectrum = torch.fft.fft2(weight).abs()
    energy = (spectrum.square() if power else spectrum).sum(1)
    frequencies = [torch.fft.fftfreq(n, d=1 / n) for n in weight.shape[-2:]]
    if not both_signs:
        frequencies = [f.where(f >= 0, torch.full_like(f, float("inf"))) for f in frequencies]  # drop f < 0
    low = (frequencies[0].abs()[:, None] <= cutoff) & (frequencies[1].abs()[None, :] <= cutoff)
    return (energy * low).sum((1, 2)) / energy.sum((1, 2))


def _check_low_frequency_energy(fn, seed: int) -> None:
    generator = cases_generator(seed, 102)
    for shape, cutoff in [((6, 3, 7, 7), 2), ((4, 3, 9, 9), 3), ((3, 3, 5, 5), 1)]:
        weight = torch.randn(shape, generator=generator) + 0.5            # a mean, so centring matters
        weight[0] += torch.linspace(-2, 2, shape[-1])                      # one smooth ramp
        out = fn(weight.clone(), cutoff)
        expected = low_frequency_share(weight, cutoff=cutoff)
        if isinstance(out, torch.Tensor) and out.shape == expected.shape:
            variants = {
                "the filter's mean is not subtracted, so the constant part counts as low frequency":
                    (dict(centre=False), "subtract each filter's mean before the DFT"),
                "this sums |F|, the amplitude, not the energy |F|^2": (dict(power=False), "square the magnitudes"),
                "negative frequencies are left out: the DFT's upper half holds them":
                    (dict(both_signs=False), "use torch.fft.fftfreq(k, d=1/k) and compare its absolute value"),
            }
            for message, (options, hint) in variants.items():
                if torch.allclose(out.double(), _share(weight, cutoff, **options), atol=1e-6):
                    raise Wrong(message, hint)
        compare_tensors(out, expected, what=f"low_frequency_energy(weight, {cutoff})",
                        hint="one share per filter: energy with |f_y| <= cutoff and |f_x| <= cutoff over all energy")


EXERCISES = [
    Exercise("q1", "symmetric_scale",
             "symmetric_scale(weight) maps kernels (K, 3, k, k) to [0, 1] with one scale for all filters, zero at grey",
             _check_symmetric_scale),
    Exercise("q2", "low_frequency_energy",
             "low_frequency_energy(weight, cutoff) returns, per filter, the share of its energy (after "
             "subtracting its mean) at spatial frequencies |f_y| <= cutoff and |f_x| <= cutoff: shape (K,)",
             _check_low_frequency_energy),
]
