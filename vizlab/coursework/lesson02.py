"""Lesson 02 exercises: the receptive-field recursion."""
from __future__ import annotations

import functools
import random

from torch import nn

from ..dataprobe.receptive_field import receptive_field
from . import Exercise
from .checking import Wrong, case_seed

GROWTH_HINT = "r_out = r_in + (k_e - 1) * j_in with k_e = d (k - 1) + 1, then j_out = j_in * s"


def random_chains(seed: int, count: int = 12) -> list[list[tuple[int, int, int, int]]]:
    """Chains of layers (kernel, stride, padding, dilation), at least one with each feature."""
    rng = random.Random(seed)
    chains = [[(3, 1, 1, 1)], [(7, 2, 3, 1), (3, 1, 1, 1)], [(3, 1, 2, 2), (2, 2, 0, 1), (3, 1, 1, 1)]]
    for _ in range(count - len(chains)):
        chain = []
        for _ in range(rng.randint(1, 5)):
            kernel = rng.choice([1, 2, 3, 5, 7])
            dilation = rng.choice([1, 1, 2]) if kernel > 1 else 1
            chain.append((kernel, rng.choice([1, 1, 2]), rng.randint(0, kernel // 2), dilation))
        chains.append(chain)
    return chains


def vizlab_field(chain):
    """vizlab's answer for a chain: a model of 3-channel convolutions with these settings."""
    return _field(tuple(map(tuple, chain)))


@functools.lru_cache(maxsize=256)       # the same chains for every answer checked on one seed
def _field(chain):
    model = nn.Sequential(*[nn.Conv2d(3, 3, k, stride=s, padding=p, dilation=d) for k, s, p, d in chain])
    return receptive_field(model, str(len(chain) - 1), input_size=160)


def _as_ints(value, count: int, what: str, hint: str) -> tuple[int, ...]:
    if value is None:
        raise Wrong(f"{what} returns nothing yet", "finish the function and `return` the result")
    try:
        items = tuple(int(v) for v in value)
    except (TypeError, ValueError):
        raise Wrong(f"{what} should return {count} integers, got {value!r}", hint) from None
    if len(items) != count:
        raise Wrong(f"{what} should return {count} integers, got {len(items)}: {items}", hint)
    return items


def _check_size_and_jump(fn, seed: int) -> None:
    for chain in random_chains(case_seed(seed, 202)):
        field = vizlab_field(chain)
        expected = field.size[0], field.jump[0]
        got = _as_ints(fn(list(chain)), 2, "receptive_field_size(layers)", "return (size, jump)")
        if got == expected:
            continue
        where = f"for layers {chain} (kernel, stride, padding, dilation)"
        if got[1] != expected[1]:
            raise Wrong(f"the jump is {got[1]} {where}; expected {expected[1]}",
                        "the jump multiplies the strides of every layer so far: j_out = j_in * s")
        if any(d > 1 for _, _, _, d in chain) and got[0] == _size(chain, dilated=False):
            raise Wrong(f"the size is {got[0]} {where}; expected {expected[0]}: dilation is ignored",
                        "a dilated kernel spans k_e = d (k - 1) + 1 pixels")
        if got[0] == _size(chain, jump_after=True):
            raise Wrong(f"the size is {got[0]} {where}; expected {expected[0]}",
                        "grow with the jump *before* this layer's stride, then update the jump")
        raise Wrong(f"the size is {got[0]} {where}; expected {expected[0]}", GROWTH_HINT)


def _size(chain, *, dilated: bool = True, jump_after: bool = False) -> int:
    """Two typical wrong recursions, to recognise them."""
    r, j = 1, 1
    for k, s, _, d in chain:
        k_e = d * (k - 1) + 1 if dilated else k
        if jump_after:
            j *= s
        r += (k_e - 1) * j
        if not jump_after:
            j *= s
    return r


def _check_unit_rows(fn, seed: int) -> None:
    rng = random.Random(case_seed(seed, 203))
    for chain in random_chains(case_seed(seed, 204)):
        field = vizlab_field(chain)
        y = rng.randrange(field.output_size[0])
        box = field.box(y, 0)
        expected = box.top, box.bottom
        got = _as_ints(fn(y, list(chain)), 2, "unit_rows(y, layers)", "return (top, bottom), bottom excluded")
        if got == expected:
            continue
        where = f"unit {y} of layers {chain} (kernel, stride, padding, dilation)"
        if got == (expected[0] + field.padding[0], expected[1] + field.padding[0]) and field.padding[0]:
            raise Wrong(f"got rows {got} for {where}; expected {expected}: the padding is missing",
                        "padding moves the window up by P = sum of each layer's padding times the jump before it")
        if got[1] - got[0] != field.size[0]:
            raise Wrong(f"got rows {got} for {where}: {got[1] - got[0]} rows, but the field is {field.size[0]} px",
                        "bottom = top + r, with r from the recursion (bottom is excluded)")
        raise Wrong(f"got rows {got} for {where}; expected {expected}", "top = y * j - P, bottom = top + r")


EXERCISES = [
    Exercise("q1", "receptive_field_size",
             "receptive_field_size(layers) returns (size, jump) in input pixels after a chain of layers "
             "given as (kernel, stride, padding, dilation)", _check_size_and_jump),
    Exercise("q2", "unit_rows",
             "unit_rows(y, layers) returns (top, bottom): the input rows [top, bottom) that unit y of the "
             "last layer sees (top may be negative: padding)", _check_unit_rows),
]
