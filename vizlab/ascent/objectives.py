"""What to maximize: small callables on activations that return one score per image.

An objective takes ``acts``, a mapping from layer name to activation (B, C, H, W) or (B, K),
and returns a score of shape (B,) that gradient ascent *maximizes*. Each objective knows the
layers it reads (``objective.layers``), so the loop records just those and stops the forward
pass at the deepest. Objectives compose like numbers::

    channel("conv3", 5) - 100 * diversity("conv3")      # five diverse images of channel 5
    -channel("conv3", 5)                                 # what suppresses it

Table of objectives: Olah, Mordvintsev & Schubert 2017, "Feature Visualization" (Distill), and
Lucid's ``objectives.py``. Lucid/Lucent return *losses* in places; here every objective is a
score, and only the loop turns it into a loss (its sign is flipped exactly once).

Read pre-ReLU values where you can (a convolution's output, e.g. ``"conv3"`` rather than
``"relu3"``): a negative objective on a post-ReLU tensor stops at 0 and has no gradient there.
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import torch
from torch.nn import functional as F

from .. import checks

Acts = Mapping[str, torch.Tensor]


class Objective:
    """A named score ``fn(acts) -> (B,)`` reading ``layers``; supports ``+``, ``-``, scalar ``*``.

    ``seed``, optional, writes the score's gradient out: ``seed(acts)`` maps each layer it
    names to the gradient of the batch's summed score with respect to that layer's activation.
    The loop then starts backpropagation there, with that seed, instead of differentiating
    ``fn``, and computes ``fn`` only for the frames it shows. (DeepDream's energy has one: its
    gradient is the activation itself. Combined objectives differentiate ``fn``.)
    """

    def __init__(self, fn: Callable[[Acts], torch.Tensor], layers: Sequence[str], name: str,
                 seed: Callable[[Acts], dict[str, torch.Tensor]] | None = None):
        checks.callable_or_none(seed, "seed", "acts -> {layer: gradient of the summed score}")
        self.fn, self.layers, self.name, self.seed = fn, tuple(dict.fromkeys(layers)), name, seed

    def __call__(self, acts: Acts) -> torch.Tensor:
        return self.fn(acts)

    def __repr__(self) -> str:
        return f"Objective({self.name})"

    def __add__(self, other: "Objective") -> "Objective":
        _check_objective(other, "+")
        return Objective(lambda acts: self(acts) + other(acts), self.layers + other.layers,
                         f"{self.name} + {other.name}")

    def __sub__(self, other: "Objective") -> "Objective":
        _check_objective(other, "-")
        return Objective(lambda acts: self(acts) - other(acts), self.layers + other.layers,
                         f"{self.name} - {other.name}")

    def __mul__(self, factor: float) -> "Objective":
        if isinstance(factor, bool) or not isinstance(factor, (int, float)):
            raise TypeError(f"objectives multiply by numbers only, not {type(factor).__name__}")
        checks.number(factor, "an objective's factor")
        return Objective(lambda acts: factor * self(acts), self.layers, f"{factor:g} * {self.name}")

    __rmul__ = __mul__

    def __neg__(self) -> "Objective":
        return Objective(lambda acts: -self(acts), self.layers, f"-{self.name}")


def _check_objective(other, op: str) -> None:
    if not isinstance(other, Objective):
        raise TypeError(f"cannot combine an objective with {type(other).__name__} by {op!r}; "
                        f"use objectives on both sides (scalars only multiply)")


def _per_image(units, batch: int, what: str) -> torch.Tensor | int:
    """``units`` is one index for every image, or one per image (B of them)."""
    if isinstance(units, int):
        return units
    units = list(units)
    if len(units) != batch:
        raise ValueError(f"{what}: got {len(units)} indices for a batch of {batch} images; "
                         f"give one index, or one per image")
    return torch.tensor(units)


def _check_index(index, size: int, what: str, layer: str) -> None:
    if isinstance(index, int) and 0 <= index < size:
        return                                   # the common case, checked without tensors
    values = [index] if isinstance(index, int) else index.tolist()
    bad = [v for v in values if not 0 <= v < size]
    if bad:
        raise ValueError(f"{what} {bad[0]} is out of range for layer {layer!r}, "
                         f"which has {size} {what}{'es' if what.endswith('s') else 's'} (valid: 0..{size - 1})")


def _act(acts: Acts, layer: str, dims: int) -> torch.Tensor:
    act = acts[layer]
    if act.dim() != dims:
        kind = "(B, C, H, W) map" if dims == 4 else "(B, K) vector"
        raise ValueError(f"layer {layer!r} gives shape {tuple(act.shape)}, but this objective needs a {kind}: "
                         f"choose {'a convolutional layer' if dims == 4 else 'the logits layer (logits_layer(model))'}; "
                         f"see vizlab.list_layers(model)")
    return act


def neuron(layer: str, unit, *, y: int | None = None, x: int | None = None) -> Objective:
    """a[c, y, x] for channel ``unit`` at one position, the centre (H//2, W//2) by default.

    ``unit`` is a channel index, or one per image to visualize B units at once.
    """
    checks.layer_name(layer)
    checks.unit(unit)
    y = None if y is None else checks.integer(y, "y", minimum=0, hint=" (or None for the centre)")
    x = None if x is None else checks.integer(x, "x", minimum=0, hint=" (or None for the centre)")

    def score(acts):
        act = _act(acts, layer, 4)
        b, c, h, w = act.shape
        units = _per_image(unit, b, "neuron")
        _check_index(units, c, "channel", layer)
        i, j = h // 2 if y is None else y, w // 2 if x is None else x
        if not (0 <= i < h and 0 <= j < w):
            raise ValueError(f"position ({i}, {j}) is outside layer {layer!r}'s {h}x{w} map: give y in 0..{h - 1} "
                             f"and x in 0..{w - 1}, or None for the centre")
        return act[torch.arange(b), units, i, j]
    return Objective(score, [layer], f"neuron({layer}:{unit})")


def channel(layer: str, unit) -> Objective:
    """Mean over positions of channel ``unit``: (1/HW) sum_ij a[c, i, j]. One or B units."""
    checks.layer_name(layer)
    checks.unit(unit)

    def score(acts):
        act = _act(acts, layer, 4)
        units = _per_image(unit, act.shape[0], "channel")
        _check_index(units, act.shape[1], "channel", layer)
        picked = act[:, units] if isinstance(units, int) else act[torch.arange(act.shape[0]), units]
        return picked.mean((1, 2))
    return Objective(score, [layer], f"channel({layer}:{unit})")


def deepdream(layer: str) -> Objective:
    """The whole layer's energy, mean(a^2) (Mordvintsev et al. 2015; Lucid's ``deepdream``)."""
    checks.layer_name(layer)

    def score(acts):
        act = acts[layer]
        return act.pow(2).flatten(1).mean(1)
    return Objective(score, [layer], f"deepdream({layer})")


def class_logit(layer: str, k) -> Objective:
    """The pre-softmax score S_k of class ``k`` read at ``layer`` (the model's last layer,
    see ``logits_layer``). The softmax would also reward lowering the other classes."""
    checks.layer_name(layer)
    checks.unit(k, "class index k")

    def score(acts):
        act = _act(acts, layer, 2)
        ks = _per_image(k, act.shape[0], "class_logit")
        _check_index(ks, act.shape[1], "class", layer)
        return act[torch.arange(act.shape[0]), ks]
    return Objective(score, [layer], f"class_logit({layer}:{k})")


def direction(layer: str, vector) -> Objective:
    """Mean over positions of the dot product a[:, i, j] . v with a direction v in channel space."""
    checks.layer_name(layer)
    if isinstance(vector, (str, bytes)) or not isinstance(vector, (torch.Tensor, list, tuple)) and \
            not hasattr(vector, "__array__"):
        raise TypeError(f"direction's vector must be a tensor or list of numbers, one per channel; "
                        f"got {checks._show(vector)}")
    vector = torch.as_tensor(vector, dtype=torch.float32).flatten()
    if vector.numel() == 0 or not torch.isfinite(vector).all() or not vector.abs().sum() > 0:
        raise ValueError("direction's vector must be non-empty, finite and not all zero "
                         "(one number per channel of the layer)")

    def score(acts):
        act = _act(acts, layer, 4)
        if act.shape[1] != vector.numel():
            raise ValueError(f"direction has {vector.numel()} entries, layer {layer!r} has {act.shape[1]} channels: "
                             f"give one number per channel ({act.shape[1]})")
        return torch.einsum("bchw,c->b", act, vector.to(act)) / (act.shape[2] * act.shape[3])
    return Objective(score, [layer], f"direction({layer})")


def gram_similarity(act: torch.Tensor) -> torch.Tensor:
    """Per-image similarity s_b = (1/B) sum_{a != b} g_a . g_b, where g_b is image b's Gram
    matrix A_b^T A_b (A_b: HW x C) flattened and L2-normalized. Their sum is the batch's
    D, which is B - 1 for B identical images and at most B - 1 always."""
    flat = act.flatten(2)                                  # (B, C, HW)
    grams = F.normalize(torch.bmm(flat, flat.transpose(1, 2)).flatten(1), dim=1)
    cosines = grams @ grams.T                              # (B, B), ones on the diagonal
    return (cosines.sum(1) - cosines.diagonal()) / act.shape[0]


def diversity(layer: str) -> Objective:
    """Reward images that differ in style at ``layer``: the score is minus ``gram_similarity``.
    Add it with a large weight, e.g. ``channel(...) + 100 * diversity(...)`` for a batch of 4."""
    checks.layer_name(layer)

    def score(acts):
        act = _act(acts, layer, 4)
        if act.shape[0] < 2:
            raise ValueError("diversity compares images in a batch: use a batch of at least 2 (ascend(..., batch=4))")
        return -gram_similarity(act)
    return Objective(score, [layer], f"diversity({layer})")


def logits_layer(model: torch.nn.Module) -> str:
    """Name of the model's last leaf layer, where its class logits come out (``"fc"``,
    ``"classifier.6"``)."""
    leaves = [name for name, m in model.named_modules() if name and not any(m.children())]
    if not leaves:
        raise ValueError("the model has no named layers to read logits from; give its last layer's name "
                         "to class_logit(layer, k) directly")
    return leaves[-1]
