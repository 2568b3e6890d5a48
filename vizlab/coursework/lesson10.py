"""Lesson 10 exercises: the inverse set of a neuron."""
from __future__ import annotations

import torch

from ..inverse_set import mean_pairwise_distance
from . import Exercise
from .checking import Wrong, compare_tensors, generator as cases_generator, refuse_changes


def _as_float(value, what: str) -> float:
    if value is None:
        raise Wrong(f"{what} is None: the function returns nothing yet", "finish the function and `return` the result")
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise Wrong(f"{what} should be one number, got a tensor of shape {tuple(value.shape)}",
                        "average over all pairs: the result is a single number")
        value = value.item()
    try:
        return float(value)
    except (TypeError, ValueError):
        raise Wrong(f"{what} should be a number, got {type(value).__name__}", "return a float or a 0-d tensor")


def _check_spread(fn, seed: int) -> None:
    generator = cases_generator(seed, 1010)
    cases = [torch.randn(n, d, generator=generator) * s for n, d, s in [(2, 3, 1.0), (5, 4, 2.0), (9, 64, 0.5)]]
    for encodings in cases:
        n = encodings.shape[0]
        got = _as_float(fn(encodings.clone()), f"spread(encodings) for {n} samples")
        expected = mean_pairwise_distance(encodings)
        if abs(got - expected) <= 1e-4 * max(1.0, expected):
            continue
        distances = torch.cdist(encodings.double(), encodings.double())
        if abs(got - float(distances.pow(2).triu(1).sum() / (n * (n - 1) / 2))) < 1e-4 * max(1.0, got):
            raise Wrong("this is the mean *squared* distance", "take the square root of each pair's squared "
                        "distance before averaging: squared distances reward two far-apart clumps")
        if abs(got - float(distances.sum() / n ** 2)) < 1e-4 * max(1.0, got):
            raise Wrong("the average includes each sample's zero distance to itself",
                        "average over the n (n - 1) / 2 pairs i < j only")
        if abs(got - float(distances.triu(1).sum())) < 1e-4 * max(1.0, got):
            raise Wrong("this is the sum over pairs, not the mean", "divide by the number of pairs, n (n - 1) / 2")
        raise Wrong(f"spread(encodings) for {n} samples is {got:.5g}, expected {expected:.5g}",
                    "mean over pairs i < j of the Euclidean distance ||e_i - e_j||")
    if _as_float(fn(torch.randn(1, 3, generator=generator)), "spread of one sample") != 0.0:
        raise Wrong("one sample has no pairs: its spread should be 0", "return 0.0 when there are fewer than 2 samples")


def _constraints(x: torch.Tensor, w: torch.Tensor, b: float, band) -> torch.Tensor:
    """(n, 2) g = (z1 - s, s - z2) with s = x @ w + b: a sample is in the slab where both are <= 0."""
    s = x @ w + b
    return torch.stack([band[0] - s, s - band[1]], 1)


def _step(x, lam, mu, w, b, band, lr, *, sign=1.0, hinge=True, project=True):
    """The new x after one projected gradient step on the PHR penalty (autograd as the oracle),
    and, to recognise typical mistakes, with the multipliers' sign flipped, without the max, or
    without the projection."""
    with torch.enable_grad():
        x = x.double().detach().requires_grad_(True)
        shifted = _constraints(x, w, b, band) + sign * lam / mu
        shifted = torch.relu(shifted) if hinge else shifted
        penalty = (mu / 2 * (shifted.pow(2) - (lam / mu).pow(2))).sum()
        grad, = torch.autograd.grad(penalty, x)
    x_new = x.detach() - lr * grad
    return x_new.clamp(0, 1) if project else x_new


def _update(lam, mu, g, sign=1.0):
    return torch.clamp(lam + sign * mu * g, min=0)


def _step_cases(seed: int):
    """(x, lam, mu, w, b, band, lr): three by hand (the third steps out of the square on every
    seed, so a missing clamp always shows), then mixed random ones (inside, below and above
    the slab, multipliers zero and positive, steps that leave the square)."""
    w, b, band = torch.tensor([4.0, -3.0]), -0.5, (0.4055, 1.3863)      # lesson 10's slab, sigma^-1 of [0.6, 0.8]
    yield torch.tensor([[0.5, 0.3]]), torch.zeros(1, 2), 1.0, w, b, band, 0.1    # inside, no multiplier: stays
    yield torch.tensor([[0.2, 0.5]]), torch.zeros(1, 2), 2.0, w, b, band, 0.05   # below the slab: moves along w
    yield torch.tensor([[0.98, 0.02]]), torch.zeros(1, 2), 2.0, w, b, band, 0.1  # far above: the step leaves the square
    generator = cases_generator(seed, 1011)
    for mu, lr in [(1.0, 0.05), (4.0, 0.2)]:
        x = torch.rand(8, 2, generator=generator)
        lam = torch.rand(8, 2, generator=generator) * 2 * (torch.rand(8, 2, generator=generator) < 0.5)
        w = torch.randn(2, generator=generator) * 3
        b = float(torch.randn((), generator=generator))
        low = float(torch.randn((), generator=generator))
        yield x, lam, mu, w, b, (low, low + 1.0), lr


def _as_pair(out) -> tuple:
    if out is None:
        raise Wrong("lagrangian_step returns nothing yet", "finish the function and `return` the result")
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise Wrong(f"lagrangian_step should return two tensors (new x, new multipliers), got {type(out).__name__}",
                    "return x_new, lam_new")
    return tuple(torch.as_tensor(o) if not isinstance(o, torch.Tensor) else o for o in out)


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and torch.allclose(a.detach().double(), b.double(), rtol=1e-4, atol=1e-5)


def _check_lagrangian_step(fn, seed: int) -> None:
    for x, lam, mu, w, b, band, lr in _step_cases(seed):
        given = x.clone(), lam.clone(), w.clone()
        x_new, lam_new = _as_pair(fn(given[0], given[1], mu, given[2], b, band, lr))
        for tensor, original, name in zip(given, (x, lam, w), ("x", "lam", "w")):
            refuse_changes(tensor, original, name)
        shown = [[round(v, 3) for v in row] for row in x.tolist()[:2]]
        where = f"for x = {shown}{' ...' if len(x) > 2 else ''}, mu = {mu}, lr = {lr}"
        xd, lamd, wd = x.double(), lam.double(), w.double()
        expected_x = _step(xd, lamd, mu, wd, b, band, lr)
        if not _close(x_new, expected_x):
            if _close(x_new, _step(xd, lamd, mu, wd, b, band, lr, sign=-1.0)):
                raise Wrong(f"the new x is wrong {where}: the multipliers enter the penalty with the wrong sign",
                            "a positive multiplier makes its constraint bind earlier: shift g by + lam / mu")
            if _close(x_new, _step(xd, lamd, mu, wd, b, band, lr, hinge=False)):
                raise Wrong(f"the new x is wrong {where}: samples inside the slab are pulled too",
                            "the squared term is of max(0, g + lam / mu): a satisfied constraint with no "
                            "multiplier adds nothing")
            if _close(x_new, _step(xd, lamd, mu, wd, b, band, lr, project=False)):
                raise Wrong(f"the new x leaves the square [0, 1]^2 {where}",
                            "project after the step: clamp each pixel to [0, 1]")
            compare_tensors(x_new, expected_x, what=f"the new x {where}",
                            hint="one gradient step on (mu/2) sum ([max(0, g + lam/mu)]^2 - (lam/mu)^2), "
                                 "with g = (z1 - s, s - z2) and s = x @ w + b, then clamp to [0, 1]")
        g_new = _constraints(expected_x, wd, b, band)
        expected_lam = _update(lamd, mu, g_new)
        if _close(lam_new, expected_lam):
            continue
        if not _close(expected_lam, lamd) and _close(lam_new, lamd):
            raise Wrong(f"the multipliers did not change {where}", "after the step, update lam <- max(0, lam + mu g)")
        if _close(lam_new, _update(lamd, mu, _constraints(xd, wd, b, band))):
            raise Wrong(f"the multipliers were updated with the constraints at the old x {where}",
                        "compute g again at the new x, after the step, before updating lam")
        if _close(lam_new, _update(lamd, mu, g_new, sign=-1.0)):
            raise Wrong(f"the multipliers move the wrong way {where}",
                        "a violated constraint (g > 0) must increase its multiplier")
        compare_tensors(lam_new, expected_lam, what=f"the new multipliers {where}",
                        hint="lam <- max(0, lam + mu g), with g at the new x")


EXERCISES = [
    Exercise("q1", "spread",
             "spread(encodings) takes encodings (n, d) and returns the mean Euclidean distance over all pairs "
             "i < j (0.0 for fewer than two samples)", _check_spread),
    Exercise("q2", "lagrangian_step",
             "lagrangian_step(x, lam, mu, w, b, band, lr) takes samples x (n, 2) and multipliers lam (n, 2), takes "
             "one gradient step on the augmented-Lagrangian penalty of the slab z1 <= x @ w + b <= z2, clamps "
             "to [0, 1], then updates the multipliers; returns (new x, new lam)", _check_lagrangian_step),
]
