"""What the sampler is compared with: independent restarts, and rejection sampling.

* ``restarts``: the same augmented-Lagrangian solver with no diversity term (gamma = 0) and every
  batch from fresh random codes: each sample is found on its own, as n separate runs would. It
  aims at the same slots of the band as the sampler, so that a comparison measures what the
  diversity term adds, not what the slots do.
* ``rejection_sample``: draw codes uniformly in the box, keep the images whose activations fall in
  the band. Exact samples of the band under the generator's uniform code distribution, but
  the acceptance rate collapses for narrow or high bands.
"""
from __future__ import annotations

import time

import torch
from torch import nn

from .. import checks
from .parts import InverseSet, _Accepted, _check_counts, _Progress, _Setup
from .sampler import inverse_set


def restarts(model: nn.Module, objectives, bands, *, n: int, **options) -> InverseSet:
    """Independent restarts: ``inverse_set`` with ``diversity=0`` and fresh codes for every batch."""
    return inverse_set(model, objectives, bands, n=n, **{**options, "diversity": 0.0, "restart_fraction": 1.0})


@torch.no_grad()
def rejection_sample(model: nn.Module, objectives, bands, *, n: int, generator="pixels", encoder="features",
                     batch: int = 64, max_draws: int = 4096, max_seconds: float | None = None,
                     seed: int = 0, value_range=None) -> InverseSet:
    """Up to n samples of uniformly drawn codes that land in the band(s); stops at n, at
    ``max_draws`` draws or after ``max_seconds``. ``result.draws`` and ``result.acceptance``
    give the number of codes drawn and the fraction accepted."""
    _check_counts(n, batch)
    checks.integer(max_draws, "max_draws", minimum=1)
    if max_seconds is not None:
        checks.number(max_seconds, "max_seconds", positive=True, hint=" (or None for no time limit)")
    checks.integer(seed, "seed", minimum=0)
    setup = _Setup(model, objectives, bands, generator, encoder, value_range, quantize=False)
    rng = torch.Generator().manual_seed(seed)
    accepted, progress, started, draws = _Accepted(setup), _Progress(setup), time.perf_counter(), 0
    band_check = _band_check(setup)
    while len(accepted) < n and draws < max_draws:
        if max_seconds is not None and time.perf_counter() - started > max_seconds:
            break
        units = torch.rand(min(batch, max_draws - draws), setup.low.numel(), generator=rng).to(setup.device)
        draws += len(units)
        images = setup.seen(setup.generator(setup.low + (setup.high - setup.low) * units))
        values, encodings = setup.measure(images)
        progress.saw(values)
        accepted.add(images, units, values, encodings, band_check(values))
    found = min(len(accepted), n)
    status = "done" if found >= n else ("unreachable" if found == 0 else "incomplete")
    result = accepted.result(n, status, f"{found} of {draws} random draws were inside the band(s)",
                             progress.closest, 0, time.perf_counter() - started)
    result.draws, result.acceptance = draws, len(accepted) / max(draws, 1)
    return result


def _band_check(setup):
    def inside(values):
        ok = torch.ones(values.shape[0], dtype=torch.bool, device=values.device)
        for j, band in enumerate(setup.bands):
            ok &= band.contains(values[:, j])
        return ok
    return inside
