"""Sampling the inverse set of a neuron (Hada & Carreira-Perpinan, ICIP 2021; METHODS.md section 10).

    f^{-1}([z1, z2]) = {x valid : z1 <= f(x) <= z2}

``sample_inverse_set`` returns n images x = G(c), codes c in a box, with z1 <= f(G(c)) <= z2 for
one neuron or for several at once (the intersection), spread as far apart as it can in E(G(c)):

* K codes at a time: maximize the diversity subject to the band, by the augmented Lagrangian
  (multipliers, penalty growth mu <- rho mu); each inner solve is a run of ``vizlab.ascent.ascend``;
* inexact: a batch stops as soon as every sample is in the band, checked on its images as the
  model sees them (after optional 8-bit quantization) and re-checked by a separate forward pass;
* incremental: each next batch starts from fresh random codes (by default; a fraction may start
  from the accepted codes, jittered), and its diversity also counts the distances to the
  samples accepted so far;
* covering: each sample aims at its own slot of the band (the band cut into n, one slot per
  sample of the set; a batch is dealt free slots at random, ``BandSlots``), so the samples span
  the band rather than sit where they entered it, and two batches never aim at the same levels.
  The result reports ``coverage`` (the share of the band's width the activations span) and
  ``median_position`` (0 at the floor, 1 at the ceiling).

Why fresh codes: carried codes at a corner of the box return to that corner after the jitter
and the clamp, are already in the band and are frozen there, so the sampler returned
near-duplicates (closest pair 0.000-0.015 apart on a 64-pixel logistic neuron, against >= 0.35
for independent restarts); the distance sqrt(d^2 + eps) gives coincident points no push apart.
Why slots of the whole set: with the band cut into K slots for each batch, the samples of two
batches aimed at the same K levels and, pushed to the same edge of the box, came back as exact
duplicates (a 2-pixel logistic neuron: closest pair 0.000, against 0.007 for restarts).

Guarantees, each tested: every returned sample is inside every band (a sample that is not is
never returned); a band that cannot be reached ends with status ``"unreachable"``, no samples,
and the closest activation reached; the same seed gives the same samples; the model is left as it
was found (the loop's probe removes its hooks after every forward pass, even on error or stop).
"""
from __future__ import annotations

import math
import time
from typing import Callable, Iterator

import torch
from torch import nn

from ..ascent.loop import adam, ascend
from ..probe import without_grad
from .generators import CodeParam
from .lagrangian import AugmentedLagrangian, BandSlots
from .parts import InverseSet, SamplerFrame, _Accepted, _check_counts, _Progress, _Setup, check_settings

__all__ = ["InverseSet", "SamplerFrame", "inverse_set", "sample_inverse_set"]


def sample_inverse_set(model: nn.Module, objectives, bands, *, n: int, K: int = 8, generator="pixels",
                       encoder="features", diversity: float = 1.0, lr: float = 0.05, inner_steps: int = 40,
                       min_steps: int = 8, max_outer: int = 15, mu0: float = 1.0, rho: float = 2.0,
                       margin: float = 0.05, restart_fraction: float = 1.0, jitter: float = 0.05,
                       max_batches: int | None = None, max_seconds: float | None = None, value_range=None,
                       quantize: bool = False, seed: int = 0, stop: Callable[[], bool] | None = None,
                       every: int = 10) -> Iterator[SamplerFrame]:
    """Yield ``SamplerFrame``s while sampling n images of the inverse set; the last carries ``.result``.

    ``objectives``: one vizlab objective (``channel``, ``neuron``, ``class_logit``...) or a list
    (the intersection of their inverse sets), with ``bands`` (z1, z2) or one band per objective.
    ``generator``: a module codes -> images in [0, 1] with a ``.box``, or ``"pixels"``,
    ``"fourier"``, ``"shapes"``; ``encoder``: a module images -> (B, d), ``"features"`` or
    ``"identity"``. ``diversity`` is gamma (0: independent restarts). A batch of K runs at most
    ``max_outer`` augmented-Lagrangian iterations of ``inner_steps`` Adam steps (``lr``, in box
    units), and may stop once all are in the band after ``min_steps``; the constraint aims
    ``margin`` of the band's width inside it, and each sample at its slot (``BandSlots``); a
    sample is frozen once in its slot, and kept if it is in the band. ``restart_fraction``:
    the share of each next batch from fresh codes (the rest: accepted codes plus ``jitter``).
    ``quantize`` checks and returns 8-bit images.
    """
    _check_counts(n, K)
    check_settings(diversity=diversity, lr=lr, inner_steps=inner_steps, min_steps=min_steps, max_outer=max_outer,
                   mu0=mu0, rho=rho, margin=margin, restart_fraction=restart_fraction, jitter=jitter,
                   max_batches=max_batches, max_seconds=max_seconds, quantize=quantize, seed=seed, stop=stop,
                   every=every)
    setup = _Setup(model, objectives, bands, generator, encoder, value_range, quantize)
    rng = torch.Generator().manual_seed(seed)
    accepted, dim = _Accepted(setup), setup.low.numel()
    progress = _Progress(setup)
    max_batches = 3 * math.ceil(n / K) + 2 if max_batches is None else max_batches
    started = time.perf_counter()
    units = torch.rand(K, dim, generator=rng)
    slots = BandSlots(setup.bands, n, margin, rng)
    for batch_index in range(max_batches):
        param = CodeParam(setup.generator, setup.low, setup.high, units.to(setup.device))
        al = AugmentedLagrangian(setup.objectives, setup.bands, encode=setup.encode_from(param),
                                 gamma=diversity, margin=margin, accepted=accepted.encodings_tensor(),
                                 targets=slots.deal(K))
        al.mu = mu0
        needed = n - len(accepted)
        outer = yield from _solve_batch(setup, al, param, accepted, progress, n=n, needed=needed, lr=lr, rho=rho,
                                        stop=stop, has_accepted=len(accepted) > 0,
                                        inner_steps=inner_steps, min_steps=min_steps, max_outer=max_outer,
                                        every=every, deadline=None if max_seconds is None else started + max_seconds)
        images = setup.seen(param.last_images)       # the separate check decides what is kept
        values, encodings = setup.measure(images)
        seconds = time.perf_counter() - started
        if stop is not None and stop():
            result = accepted.result(n, "stopped", f"stopped by request with {len(accepted)} of {n} samples",
                                     progress.closest, progress.steps, seconds)
            yield _frame(accepted, images, values, n, progress.steps, result)
            return
        keep = _first(al.inside(values, 0.0), param.frozen, needed)
        accepted.add(images, param.last_units, values, encodings, keep)
        slots.fill(values[keep].cpu())
        yield _frame(accepted, images, values, n, progress.steps)
        outcome = _outcome(setup, accepted, n, batch_index, max_batches, max_seconds, seconds, progress.closest,
                           al, outer)
        if outcome is not None:
            result = accepted.result(n, *outcome, progress.closest, progress.steps, seconds)
            yield _frame(accepted, images, values, n, progress.steps, result)
            return
        units = _next_start(param.last_units.cpu(), keep.cpu(), K, restart_fraction,
                            jitter, rng)


def _solve_batch(setup, al, param, accepted, progress, *, n, needed, has_accepted, lr, rho, stop, inner_steps,
                 min_steps, max_outer, every, deadline):
    """Augmented-Lagrangian iterations on one batch, each a run of ``ascend``. A sample is frozen
    as soon as it is in the band (checked on its images as the model saw them, after ``min_steps``);
    the batch ends when ``needed`` are, or when an iteration freezes nothing new after some did (or,
    the band being known reachable, after four with none): fresh codes then do better.
    Returns the last iteration's index."""
    objective = al.as_objective(setup.layers)
    outer, taken = 0, [0]

    def may_stop():
        return (stop is not None and stop()) or int(param.frozen.sum()) >= needed

    for outer in range(max_outer):
        if may_stop():
            break
        frozen_before = int(param.frozen.sum())
        for frame in ascend(setup.model, objective, param=param, steps=inner_steps, every=1, optimizer=adam(lr),
                            seed=0, redirect_steps=0, stop=may_stop):
            if frame.status == "stopped":
                continue
            taken[0] += 1
            progress.saw(al.last_values)
            if taken[0] > min_steps:
                param.freeze_(al.on_target(al.last_values))
            if progress.steps % every == 0:
                yield _frame(accepted, frame.images, al.last_values, n, progress.steps)
        if deadline is not None and time.perf_counter() > deadline:
            break
        frozen = int(param.frozen.sum())
        if 0 < frozen_before == frozen or (has_accepted and frozen == 0 and outer >= 3):
            break                                   # the rest make no progress: new codes will do better
        al.update_multipliers(rho)
    without_grad(param)                              # last_images: every code where it ended or was frozen
    return outer


def _outcome(setup, accepted, n, batch_index, max_batches, max_seconds, seconds, closest, al, outer):
    bands = ", ".join(f"[{b.low:g}, {b.high:g}] of {o.name}" for b, o in zip(setup.bands, setup.objectives))
    reached = ", ".join(f"{float(c):.4g}" for c in closest)
    if len(accepted) >= n:
        return "done", f"{n} samples, every one inside {bands}"
    if len(accepted) == 0 and batch_index == 0:
        return "unreachable", (f"the band was not reached: 0 of {n} samples inside {bands} after {outer + 1} "
                               f"augmented-Lagrangian iterations (penalty weight mu up to {al.mu:g}); "
                               f"the closest activation reached was {reached}")
    out_of_time = max_seconds is not None and seconds > max_seconds
    if batch_index == max_batches - 1 or out_of_time:
        why = f"the time budget of {max_seconds:g} s ran out" if out_of_time else f"{max_batches} batches were tried"
        return "incomplete", (f"only {len(accepted)} of {n} samples reached {bands}: {why}; "
                              f"the closest activation reached was {reached}")
    return None


def _first(inside: torch.Tensor, frozen: torch.Tensor, needed: int) -> torch.Tensor:
    """Keep at most ``needed`` of the samples inside the band, frozen ones first."""
    order = sorted(range(len(inside)), key=lambda i: (not bool(frozen[i]), i))
    keep = torch.zeros_like(inside)
    for i in [i for i in order if inside[i]][:needed]:
        keep[i] = True
    return keep


def _next_start(units, keep, k, restart_fraction, jitter, rng) -> torch.Tensor:
    """The next batch: accepted codes moved a little (the previous batch), the rest fresh."""
    start = torch.rand(k, units.shape[1], generator=rng)
    good = units[keep]
    carried = min(len(good), round(k * (1 - restart_fraction)))
    if carried:
        noise = jitter * torch.randn(carried, units.shape[1], generator=rng)
        start[:carried] = (good[:carried] + noise).clamp(0, 1)
    return start


def _frame(accepted, batch, batch_values, n, steps, result=None) -> SamplerFrame:
    status, message = (result.status, result.message) if result is not None else ("running", "")
    return SamplerFrame(accepted.images_tensor(), accepted.values_tensor(), batch.detach().cpu(),
                        batch_values.detach().cpu(), n, steps, status, message, result)


def inverse_set(model: nn.Module, objectives, bands, *, n: int, **options) -> InverseSet:
    """Run ``sample_inverse_set`` to the end and return its ``InverseSet``."""
    frame = None
    for frame in sample_inverse_set(model, objectives, bands, n=n, **options):
        pass
    return frame.result
