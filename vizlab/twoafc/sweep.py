"""The machine observers over many units: accuracy per layer, condition, observer and difficulty.

For each layer, the ``units`` channels whose response varies most over the reference pool (or
the channels given); for each unit, the references of every condition once, and the same query
pairs for every condition at each difficulty. A row is one (layer, unit, condition, observer,
difficulty) with its accuracy; ``summary`` averages over units with a 95 % interval
(mean +- 1.96 standard errors over units).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

from .. import checks
from .trials import EXTREME, Pools, check_condition, make_trials, query_pairs, references, responses
from .observers import accuracy

DIFFICULTIES = ((100.0, 0.0), (90.0, 10.0), (75.0, 25.0), (60.0, 40.0))


@dataclass
class Sweep:
    """``rows``: dicts with layer, unit, condition, observer, difficulty, accuracy; ``shortfall``:
    {(layer, unit): how many synthetic maximal references respond less than every top natural one}."""
    rows: list[dict] = field(default_factory=list)
    shortfall: dict[tuple[str, int], int] = field(default_factory=dict)

    def summary(self) -> list[dict]:
        """One row per (layer, condition, observer, difficulty): mean accuracy, its 95 % interval, units."""
        groups: dict[tuple, list[float]] = {}
        for r in self.rows:
            groups.setdefault((r["layer"], r["condition"], r["observer"], r["difficulty"]), []).append(r["accuracy"])
        out = []
        for (layer, condition, observer, difficulty), values in groups.items():
            mean = sum(values) / len(values)
            sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
            out.append(dict(layer=layer, condition=condition, observer=observer, difficulty=difficulty, mean=mean,
                            ci=1.96 * sd / math.sqrt(len(values)), units=len(values)))
        return out

    def table(self) -> str:
        """The summary as a text table: a row per layer and difficulty, a column per condition x observer."""
        summary = self.summary()
        columns = sorted({(s["condition"], s["observer"]) for s in summary}, key=lambda c: (c[1], c[0]))
        lines = ["| layer | queries (strong, weak pct) | " + " | ".join(f"{c} ({o})" for c, o in columns) + " |",
                 "|---|---|" + "---|" * len(columns)]
        keys = sorted({(s["layer"], s["difficulty"]) for s in summary}, key=lambda k: (k[0], -k[1][0]))
        cell = {(s["layer"], s["difficulty"], s["condition"], s["observer"]): s for s in summary}
        for layer, difficulty in keys:
            values = [cell.get((layer, difficulty, c, o)) for c, o in columns]
            text = [f"{100 * v['mean']:.0f} ± {100 * v['ci']:.0f}%" if v else "-" for v in values]
            lines.append(f"| {layer} | {difficulty[0]:g} vs {difficulty[1]:g} | " + " | ".join(text) + " |")
        for layer in sorted({k[0] for k in self.shortfall}):
            short = [v for (l, _), v in self.shortfall.items() if l == layer]
            lines.append(f"{layer}: synthetic references short of the top dataset images: "
                         f"{sum(short)} of {len(short) * self.k} ({sum(s > 0 for s in short)} of {len(short)} units)")
        return "\n".join(lines)

    k: int = 9


def chosen_units(values: torch.Tensor, units) -> list[int]:
    """``units`` as a list: an int picks that many channels of highest variance over the pool."""
    if isinstance(units, int) and not isinstance(units, bool):
        checks.integer(units, "units", minimum=1, maximum=values.shape[1])
        return values.std(0).argsort(descending=True, stable=True)[:units].sort().values.tolist()
    return [checks.integer(u, "each unit", minimum=0, maximum=values.shape[1] - 1) for u in units]


def sweep(model: nn.Module, layers, pools: Pools, observers: dict, *, units=8,
          conditions=("natural", "synthetic"), difficulties=DIFFICULTIES, n: int = 20, k: int = 9,
          steps: int = 128, same_class: bool = False, seed: int = 0, reuse: dict | None = None,
          progress=None) -> Sweep:
    """Score every observer on every unit of ``layers`` (see the module docstring).

    ``observers``: {name: observer}; ``reuse``: {(layer, unit): {condition: References}} already
    built (with the same ``k``, ``steps`` and ``seed``), so they are not optimized again;
    ``progress``: None or a function f(done, total) called after each unit.
    """
    layers = checks.layer_names(layers)
    for condition in conditions:
        check_condition(condition)
    plan = []
    for layer in layers:
        ref_values, query_values = responses(model, layer, pools.reference.images), responses(model, layer, pools.query.images)
        plan += [(layer, unit, ref_values[:, unit], query_values[:, unit])
                 for unit in chosen_units(ref_values, units)]
    result = Sweep(k=k)
    for done, (layer, unit, ref_values, query_values) in enumerate(plan, 1):
        known = (reuse or {}).get((layer, unit), {})
        refs = {c: known[c] if c in known else
                references(model, layer, unit, c, pools.reference, ref_values, k=k, steps=steps, seed=seed)
                for c in conditions}
        if "synthetic" in refs:
            natural = refs.get("natural") or references(model, layer, unit, "natural", pools.reference, ref_values, k=k)
            result.shortfall[layer, unit] = refs["synthetic"].shortfall(natural)
        for difficulty in difficulties:
            difficulty = tuple(float(d) for d in difficulty)
            pairs = query_pairs(query_values, pools.query.labels, n, difficulty=difficulty, same_class=same_class,
                                generator=torch.Generator().manual_seed(seed))
            for condition, r in refs.items():
                trials = make_trials(r, layer, unit, pools.query, query_values, pairs, difficulty=difficulty,
                                     generator=torch.Generator().manual_seed(seed + 1))
                for name, observer in observers.items():
                    result.rows.append(dict(layer=layer, unit=unit, condition=condition, observer=name,
                                            difficulty=difficulty, accuracy=accuracy(observer, trials)))
        if progress is not None:
            progress(done, len(plan))
    return result
