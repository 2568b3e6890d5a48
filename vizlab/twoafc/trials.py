"""2-AFC trials for one unit (Borowski et al., ICLR 2021): references of a condition, held-out queries.

A unit is a channel of a layer; its response to an image is the channel's spatial mean (the
quantity ``vizlab.ascent.channel`` maximizes, so natural and synthetic references are ranked by
the same number). A trial shows ``k`` maximally and ``k`` minimally activating *references* of
one condition and two *query* images from a held-out pool, one strongly and one weakly
activating; the observer picks the strong one.

Conditions:

* ``"none"``: no references (the observer's prior alone);
* ``"natural"``: the top and bottom ``k`` images of the reference pool;
* ``"synthetic"``: ``k`` optimized images for the unit and ``k`` for its negative (lesson 06's
  default recipe, ``vizlab.ascent.visualize``, from ``k`` random starts);
* ``"inverse_set"``: inverse-set samples (lesson 10) of the band between the 98th and 100th
  percentile of the pool's responses, and of the band between the 0th and 2nd.

Difficulty: the strong query is drawn from the pool's percentile band ``(hi - width, hi]`` and
the weak one from ``[lo, lo + width)``; ``(100, 0)`` is Borowski's extreme protocol, nearer
percentiles are harder. ``same_class=True`` draws both queries of a pair from one class.
Natural references and extreme queries come from the same ranking, which favours the natural
condition by construction; harder trials reduce that advantage.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .. import checks
from ..ascent.objectives import channel as channel_objective
from ..ascent.recipes import visualize
from ..data.shapes import Shapes, make_shapes
from ..probe import capture

CONDITIONS = ("none", "natural", "synthetic", "inverse_set")
EXTREME = (100.0, 0.0)


@dataclass(frozen=True)
class Pools:
    """Two disjoint sets of dataset images: ``reference`` (references are drawn from it) and
    ``query`` (held out: queries are drawn from it)."""
    reference: Shapes
    query: Shapes


def make_pools(n_reference: int = 1000, n_query: int = 1000, *, seed: int = 0, size: int = 64) -> Pools:
    """Images ``0 .. n_reference-1`` of the shapes dataset as references, the next ``n_query`` as
    queries: disjoint by construction."""
    checks.integer(n_reference, "n_reference", minimum=18)
    checks.integer(n_query, "n_query", minimum=50)
    return Pools(make_shapes(n_reference, seed=seed, size=size),
                 make_shapes(n_query, seed=seed, size=size, start=n_reference))


def responses(model: nn.Module, layer: str, images: torch.Tensor, *, batch_size: int = 256) -> torch.Tensor:
    """Every channel's spatial mean at ``layer`` on each image: (N, C). Batches are reduced as they
    come, so memory holds one batch's maps, never the whole pool's."""
    out = []
    for chunk in images.split(batch_size):
        act = capture(model, chunk, layer)[layer]
        out.append((act.mean((2, 3)) if act.dim() == 4 else act).float().cpu())
    return torch.cat(out)


@dataclass(frozen=True)
class References:
    """``maximal`` and ``minimal`` (k, 3, H, W) reference images of ``condition`` with the unit's
    response to each (``maximal_values``, ``minimal_values``); empty for ``"none"``."""
    condition: str
    maximal: torch.Tensor
    minimal: torch.Tensor
    maximal_values: torch.Tensor
    minimal_values: torch.Tensor

    def shortfall(self, natural: "References") -> int:
        """How many maximal references respond less than the weakest of the ``natural`` maximal
        ones: an optimizer that falls short of the dataset makes a handicapped condition."""
        if len(self.maximal_values) == 0:
            return 0
        return int((self.maximal_values < natural.maximal_values.min()).sum())


@dataclass(frozen=True)
class Trial:
    """One 2-AFC trial: ``queries`` (2, 3, H, W), ``answer`` the index of the strong one."""
    layer: str
    channel: int
    references: References
    queries: torch.Tensor
    query_values: torch.Tensor
    query_indices: tuple[int, int]       # in the query pool
    answer: int
    difficulty: tuple[float, float]

    @property
    def condition(self) -> str:
        return self.references.condition


def check_condition(condition) -> str:
    if not isinstance(condition, str) or condition not in CONDITIONS:
        raise ValueError(f"condition must be one of {', '.join(map(repr, CONDITIONS))}, got {checks._show(condition)}")
    return condition


def references(model: nn.Module, layer: str, channel: int, condition: str, pool: Shapes,
               pool_values: torch.Tensor | None = None, *, k: int = 9, steps: int = 128, seed: int = 0) -> References:
    """The ``k`` maximal and ``k`` minimal references of ``condition`` for ``channel`` of ``layer``.

    ``pool_values``: the unit's responses (N,) on ``pool.images`` (computed when None).
    """
    check_condition(condition)
    checks.integer(k, "k", minimum=1, maximum=len(pool) // 2)
    checks.integer(steps, "steps", minimum=1)
    if pool_values is None:
        pool_values = responses(model, layer, pool.images)[:, channel]
    size = pool.images.shape[-1]
    if condition == "none":
        empty = pool.images[:0]
        return References(condition, empty, empty, pool_values[:0], pool_values[:0])
    if condition == "natural":
        order = pool_values.argsort(descending=True, stable=True)
        top, bottom = order[:k], order.flip(0)[:k]
        return References(condition, pool.images[top], pool.images[bottom], pool_values[top], pool_values[bottom])
    objective = channel_objective(layer, channel)
    if condition == "synthetic":
        maximal = visualize(model, objective, size=size, batch=k, steps=steps, seed=seed).images
        minimal = visualize(model, -objective, size=size, batch=k, steps=steps, seed=seed + 1).images
    else:
        from ..inverse_set import inverse_set
        high = tuple(float(q) for q in pool_values.quantile(torch.tensor([0.98, 1.0])))
        low = tuple(float(q) for q in pool_values.quantile(torch.tensor([0.0, 0.02])))
        maximal = inverse_set(model, objective, high, n=k, generator="shapes", seed=seed).images
        minimal = inverse_set(model, objective, low, n=k, generator="shapes", seed=seed + 1).images
    values = responses(model, layer, torch.cat([maximal, minimal]))[:, channel]
    return References(condition, maximal, minimal, values[:k], values[k:])


def query_pairs(values: torch.Tensor, labels: torch.Tensor, n: int, *, difficulty=EXTREME, width: float = 2.0,
                same_class: bool = False, generator: torch.Generator) -> list[tuple[int, int]]:
    """``n`` (strong, weak) index pairs into the query pool, strong in the percentile band
    ``(hi - width, hi]`` and weak in ``[lo, lo + width)``, with ``values[strong] > values[weak]``."""
    hi, lo = (checks.number(p, "difficulty", minimum=0, maximum=100) for p in difficulty)
    checks.number(width, "width", positive=True, maximum=50)
    if hi - width < lo + width:
        raise ValueError(f"difficulty {difficulty} with width {width}: the strong band (hi - width, hi] and the "
                         f"weak band [lo, lo + width) overlap; choose hi - lo >= 2 * width")
    rank = values.argsort(stable=True).argsort().float() * 100 / max(len(values) - 1, 1)  # percentile of each image
    strong = ((rank > hi - width) & (rank <= hi)).nonzero()[:, 0]
    weak = ((rank >= lo) & (rank < lo + width)).nonzero()[:, 0]
    pairs = []
    for _ in range(50 * n):
        if len(pairs) == n:
            break
        s = int(strong[torch.randint(len(strong), (1,), generator=generator)])
        candidates = weak[labels[weak] == labels[s]] if same_class else weak
        candidates = candidates[values[candidates] < values[s]]
        if len(candidates):
            pairs.append((s, int(candidates[torch.randint(len(candidates), (1,), generator=generator)])))
    if len(pairs) < n:
        raise ValueError(f"only {len(pairs)} of {n} query pairs exist at difficulty {difficulty} "
                         f"(same_class={same_class}); use a larger query pool or a wider band")
    return pairs


def make_trials(refs: References, layer: str, channel: int, pool: Shapes, pool_values: torch.Tensor,
                pairs: list[tuple[int, int]], *, difficulty=EXTREME, generator: torch.Generator) -> list[Trial]:
    """One trial per (strong, weak) pair, the strong query on a random side."""
    trials = []
    for strong, weak in pairs:
        answer = int(torch.randint(2, (1,), generator=generator))
        order = (strong, weak) if answer == 0 else (weak, strong)
        trials.append(Trial(layer, channel, refs, pool.images[list(order)], pool_values[list(order)], order,
                            answer, tuple(float(d) for d in difficulty)))
    return trials


def unit_trials(model: nn.Module, layer: str, channel: int, pools: Pools, *, conditions=("none", "natural", "synthetic"),
                n: int = 20, difficulty=EXTREME, same_class: bool = False, k: int = 9, steps: int = 128,
                seed: int = 0) -> dict[str, list[Trial]]:
    """{condition: n trials} for one unit; every condition gets the same query pairs (and sides),
    so conditions differ in their references only. Seeded: the same arguments, the same trials."""
    checks.integer(n, "n", minimum=1)
    checks.seed(seed)
    reference_values = responses(model, layer, pools.reference.images)[:, channel]
    query_values = responses(model, layer, pools.query.images)[:, channel]
    pairs = query_pairs(query_values, pools.query.labels, n, difficulty=difficulty, same_class=same_class,
                        generator=torch.Generator().manual_seed(seed))
    out = {}
    for condition in conditions:
        refs = references(model, layer, channel, condition, pools.reference, reference_values, k=k, steps=steps,
                          seed=seed)
        out[condition] = make_trials(refs, layer, channel, pools.query, query_values, pairs, difficulty=difficulty,
                                     generator=torch.Generator().manual_seed(seed + 1))
    return out
