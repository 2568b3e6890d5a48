"""Bands, their constraints, and the augmented Lagrangian as an objective for ``ascend``.

For K codes with activations f_ij = f_j(G(c_i)) (neuron j of J) and bands [z1_j, z2_j], the
constraints g <= 0 are g_ij1 = (z1_j - f_ij) / s_j and g_ij2 = (f_ij - z2_j) / s_j, scaled by the
band's width s_j so that "one unit of violation" means the same for every neuron. PHR form:

    L_mu(C; lam) = -gamma D(C) + sum_ik (mu/2) ([max(0, g_ik + lam_ik/mu)]^2 - (lam_ik/mu)^2)

D is the diversity: for each new sample, the mean unsquared distance in E to the other new
samples and to the accepted ones, over sqrt(dim E) so it is O(1) against the penalty (METHODS.md
section 10). ``ascend`` maximizes, so the objective's per-sample score is gamma D_i - penalty_i.
"""
from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass

import torch
from torch import nn

from ..ascent.objectives import Objective
from ..probe import get_layer
from .encoders import pairwise_distances

# Ranges of layers whose output is bounded whatever the input: a band outside is unreachable.
# (low, high, open): a sigmoid never reaches 0 or 1, a ReLU does reach 0.
_KNOWN_RANGES = {nn.Sigmoid: (0.0, 1.0, True), nn.Softmax: (0.0, 1.0, True), nn.Tanh: (-1.0, 1.0, True),
                 nn.ReLU: (0.0, math.inf, False), nn.ReLU6: (0.0, 6.0, False)}
_SIMPLE = re.compile(r"^(neuron|channel|class_logit)\(")


@dataclass(frozen=True)
class Band:
    low: float
    high: float

    @property
    def scale(self) -> float:
        """Width of the band, or a magnitude when one side is open."""
        if math.isfinite(self.high - self.low):
            return max(self.high - self.low, 1e-12)
        finite = [abs(z) for z in (self.low, self.high) if math.isfinite(z)]
        return max(finite + [1.0])

    def contains(self, values: torch.Tensor, inset: float = 0.0) -> torch.Tensor:
        """Whether low + inset*scale <= values <= high - inset*scale (inset only on finite sides)."""
        pad = inset * self.scale if math.isfinite(self.high - self.low) else 0.0
        return (values >= self.low + pad) & (values <= self.high - pad)


def as_objectives(objectives) -> list[Objective]:
    items = [objectives] if isinstance(objectives, Objective) else \
        list(objectives) if isinstance(objectives, (list, tuple)) else []
    if not items or not all(isinstance(o, Objective) for o in items):
        raise TypeError("objectives must be a vizlab.ascent objective or a list of them, e.g. "
                        "channel('conv3', 5) or [channel('conv3', 5), class_logit('fc', 1)]")
    return items


def as_bands(bands, count: int) -> list[Band]:
    """One (z1, z2) for one objective, or a list of pairs, one per objective (z1 <= z2, numbers;
    -inf or inf leave a side open)."""
    if not isinstance(bands, (list, tuple)) or not bands:
        raise TypeError(f"bands must be a pair (z1, z2) of activation values, or one pair per objective, "
                        f"got {bands!r}")
    pairs = [bands] if len(bands) == 2 and not isinstance(bands[0], (tuple, list)) else list(bands)
    if len(pairs) != count:
        raise ValueError(f"give one band (z1, z2) per objective: {count} objective(s), {len(pairs)} band(s)")
    out = []
    for pair in pairs:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2 or \
                any(isinstance(z, bool) or not isinstance(z, numbers.Real) for z in pair):
            raise ValueError(f"a band is a pair (z1, z2) of numbers, got {pair!r}")
        low, high = float(pair[0]), float(pair[1])
        if math.isnan(low) or math.isnan(high) or low > high:
            raise ValueError(f"a band needs z1 <= z2, got z1={low}, z2={high}")
        out.append(Band(low, high))
    return out


def known_range(model: nn.Module, objective: Objective) -> tuple[float, float, bool] | None:
    """The range of a unit / channel / class objective read at a bounded layer (sigmoid, ReLU...)."""
    if len(objective.layers) != 1 or not _SIMPLE.match(objective.name):
        return None
    module = get_layer(model, objective.layers[0])
    for kind, bounds in _KNOWN_RANGES.items():
        if isinstance(module, kind):
            return bounds
    return None


def check_reachable(model, objectives, bands, value_ranges=None) -> None:
    """ValueError for a band that lies outside the neuron's possible range, when that is known."""
    value_ranges = value_ranges or [None] * len(objectives)
    for objective, band, given in zip(objectives, bands, value_ranges):
        bounds = known_range(model, objective) if given is None else (*given, False)
        if bounds is None:
            continue
        low, high, open_ = bounds[:3]
        outside = (band.high <= low or band.low >= high) if open_ else (band.high < low or band.low > high)
        if outside:
            raise ValueError(f"the band [{band.low:g}, {band.high:g}] of {objective.name} lies outside its possible "
                             f"range ({low:g}, {high:g}); choose z1, z2 inside it")


class BandSlots:
    """Each band, narrowed by ``margin`` of its width, cut into ``n`` equal slots: one per sample
    of the whole set. A batch aims at slots not yet filled, dealt in a fresh random order (one
    permutation per neuron and batch, so that with several neurons a pairing of slots that no
    image reaches is not dealt again), and a kept sample fills the slot its activation lies in.
    So the samples span the band instead of sitting where they entered it, and no two aim at the
    same level while free slots remain: with slots per batch, the samples of two batches aimed at
    the same few levels and, pushed to the same edge of the box, came back as exact duplicates (a
    2-pixel logistic neuron). ``deal`` gives None when a band is open on a side (no width to cut)."""

    def __init__(self, bands, n: int, margin: float, rng: torch.Generator):
        self.bands, self.n, self.margin, self.rng = bands, n, margin, rng
        self.open = not all(math.isfinite(b.high - b.low) for b in bands)
        self.free = [torch.arange(n) for _ in bands]                     # per neuron, the slots not filled

    def deal(self, k: int) -> torch.Tensor | None:
        """(k, J, 2) the slots of the next batch's k samples: k free ones in a random order (all
        of them in turn, repeated, when fewer are free)."""
        if self.open:
            return None
        shuffled = [free[torch.randperm(len(free), generator=self.rng)] for free in self.free]
        return self.slot_bounds(torch.stack([free[torch.arange(k) % len(free)] for free in shuffled], 1))

    def fill(self, values: torch.Tensor) -> None:
        """The kept samples' activations ``values`` (m, J) fill the slots they lie in: the slot
        reached, not the one aimed at, so a level no sample got to is dealt again."""
        if self.open:
            return
        for j, band in enumerate(self.bands):
            low, width = self._span(band)
            reached = ((values[:, j].double() - low) / width * self.n).floor().clamp(0, self.n - 1).long()
            remaining = self.free[j][~torch.isin(self.free[j], reached)]
            self.free[j] = remaining if len(remaining) else self.free[j]    # all full: deal any again

    def _span(self, band: Band) -> tuple[float, float]:
        """Where the narrowed band starts, and its width."""
        return band.low + self.margin * band.scale, (1 - 2 * self.margin) * (band.high - band.low)

    def slot_bounds(self, indices: torch.Tensor) -> torch.Tensor:
        """(k, J, 2) the [low, high] of slot ``indices[i, j]`` of band j."""
        bounds = torch.empty(*indices.shape, 2)
        for j, band in enumerate(self.bands):
            low, width = self._span(band)
            bounds[:, j, 0] = torch.as_tensor(low + width * indices[:, j].double() / self.n, dtype=torch.float32)
            bounds[:, j, 1] = torch.as_tensor(low + width * (indices[:, j].double() + 1) / self.n,
                                              dtype=torch.float32)
        return bounds


class AugmentedLagrangian:
    """The objective ``ascend`` maximizes for one batch; it records what it saw at each step.
    With ``targets`` (K, J, 2) each sample's constraint is its own slot of the band
    (``target_slots``); ``inside`` still tests the whole band."""

    def __init__(self, objectives, bands, *, encode, gamma: float, margin: float, accepted: torch.Tensor | None,
                 targets: torch.Tensor | None = None):
        self.objectives, self.bands, self.encode = objectives, bands, encode
        self.gamma, self.margin, self.accepted = gamma, margin, accepted
        self.targets = targets
        self.mu, self.lam = 1.0, None
        self.last_values = self.last_g = None       # activations (K, J), constraints (K, 2J)

    def activations(self, acts) -> torch.Tensor:
        return torch.stack([o(acts) for o in self.objectives], 1)

    def constraints(self, values: torch.Tensor) -> torch.Tensor:
        """g (K, 2J) for the band narrowed by ``margin`` (samples aim a little inside), or for
        each sample's own slot of it."""
        cols = []
        if self.targets is not None:
            targets = self.targets.to(values)
            for j, band in enumerate(self.bands):
                cols.append((targets[:, j, 0] - values[:, j]) / band.scale)
                cols.append((values[:, j] - targets[:, j, 1]) / band.scale)
            return torch.stack(cols, 1)
        for j, band in enumerate(self.bands):
            pad = self.margin * band.scale if math.isfinite(band.high - band.low) else 0.0
            cols.append((band.low + pad - values[:, j]) / band.scale)
            cols.append((values[:, j] - band.high + pad) / band.scale)
        return torch.stack(cols, 1).nan_to_num(nan=0.0, posinf=0.0, neginf=-1e6)   # an open side never binds

    def inside(self, values: torch.Tensor, inset: float = 1e-3) -> torch.Tensor:
        """(K,) whether each sample is inside every band (by ``inset`` of its width)."""
        ok = torch.ones(values.shape[0], dtype=torch.bool, device=values.device)
        for j, band in enumerate(self.bands):
            ok &= band.contains(values[:, j], inset)
        return ok

    def on_target(self, values: torch.Tensor, inset: float = 1e-3) -> torch.Tensor:
        """(K,) whether each sample is inside its own slot (with no slots: inside the band)."""
        if self.targets is None:
            return self.inside(values, inset)
        targets = self.targets.to(values)
        return ((values >= targets[..., 0]) & (values <= targets[..., 1])).all(1) & self.inside(values, inset)

    def diversity(self, acts) -> torch.Tensor:
        e = self.encode(acts)
        k = e.shape[0]
        near = pairwise_distances(e)
        total = near.sum(1) - near.diagonal()
        count = k - 1
        nearest = near + torch.eye(k, device=e.device, dtype=e.dtype) * near.detach().max().clamp_min(1.0) * 10
        if self.accepted is not None and len(self.accepted):
            to_accepted = pairwise_distances(e, self.accepted.to(e))
            total = total + to_accepted.sum(1)
            count += len(self.accepted)
            nearest = torch.cat([nearest, to_accepted], 1)
        if count == 0:
            return total
        # the mean distance alone is largest with the samples bunched at the box's far corners;
        # the distance to the nearest other sample pulls such bunches apart
        return (total / count + nearest.min(1).values) / math.sqrt(e.shape[1])

    def __call__(self, acts) -> torch.Tensor:
        values = self.activations(acts)
        g = self.constraints(values)
        if self.lam is None:
            self.lam = torch.zeros_like(g.detach())
        shifted = torch.relu(g + self.lam / self.mu)
        penalty = (self.mu / 2) * (shifted.pow(2) - (self.lam / self.mu).pow(2)).sum(1)
        self.last_values, self.last_g = values.detach(), g.detach()
        if self.gamma == 0:
            return -penalty
        return self.gamma * self.diversity(acts) - penalty

    def update_multipliers(self, rho: float) -> None:
        """lam <- max(0, lam + mu g); mu <- rho mu."""
        self.lam = torch.clamp(self.lam + self.mu * self.last_g, min=0)
        self.mu *= rho

    def as_objective(self, layers) -> Objective:
        return Objective(self, layers, "augmented Lagrangian")
