"""Lesson 02 exercises: the receptive-field recursion and the streaming top-k scan."""
from __future__ import annotations

import functools
import random

import torch
from torch import nn

from ..dataprobe.receptive_field import receptive_field
from . import Exercise
from .checking import Wrong, case_seed, generator as cases_generator, refuse_changes

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


def _top_k_cases(seed: int):
    """Streams of batches (values, image ids): whole numbers in a small range, so ties are common,
    and batches smaller than k at first; k from 1 to more than some streams ever see."""
    generator = cases_generator(seed, 205)
    for k, sizes in [(1, [3, 5]), (4, [1, 2, 6, 3]), (9, [4, 7, 2, 9, 5]), (12, [3, 4])]:
        start, stream = 1000 * k, []           # image ids unlike positions in any tensor
        for size in sizes:
            values = torch.randint(0, 6, (size,), generator=generator).float()
            stream.append((values, torch.arange(start, start + size)))
            start += size
        yield k, stream


def _as_top_k(out, what: str) -> tuple[torch.Tensor, torch.Tensor]:
    if out is None:
        raise Wrong(f"{what} returns nothing yet", "finish the function and `return` the result")
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise Wrong(f"{what} should return two tensors (values, indices), got {type(out).__name__}",
                    "return the running values and their image indices")
    values, indices = (torch.as_tensor(o) for o in out)
    if values.dim() != 1 or indices.shape != values.shape:
        raise Wrong(f"{what} should return two 1-D tensors of one length, got shapes {tuple(values.shape)} and "
                    f"{tuple(indices.shape)}", "keep one value and one image index per kept image")
    if indices.is_floating_point() or indices.is_complex():
        raise Wrong(f"{what} returned indices of dtype {indices.dtype}", "the indices are image ids: keep them int64")
    return values.double(), indices.long()


def _check_update_top_k(fn, seed: int) -> None:
    for k, stream in _top_k_cases(seed):
        values, indices = torch.empty(0), torch.empty(0, dtype=torch.long)
        seen_values, seen_indices = torch.empty(0), torch.empty(0, dtype=torch.long)
        for new_values, new_indices in stream:
            seen_values, seen_indices = torch.cat([seen_values, new_values]), torch.cat([seen_indices, new_indices])
            what = f"update_top_k with k = {k} after {len(seen_values)} values"
            given = [t.clone() for t in (values, indices, new_values, new_indices)]
            try:
                out = fn(*given, k)
            except (RuntimeError, IndexError) as error:
                if len(seen_values) < k:
                    raise Wrong(f"{what} raised {type(error).__name__}: fewer than k values have been seen",
                                "keep all of them while fewer than k have been seen") from None
                raise
            for tensor, original, name in zip(given, (values, indices, new_values, new_indices),
                                              ("values", "indices", "new_values", "new_indices")):
                refuse_changes(tensor, original, name)
            got_values, got_indices = _as_top_k(out, what)
            expected = torch.topk(seen_values, min(k, len(seen_values))).values.double()
            merged = torch.cat([values, new_values]).double()
            _compare_top_k(got_values, got_indices, expected, new_values, merged, seen_values, seen_indices, k, what)
            values, indices = seen_values[got_indices - seen_indices[0]].clone(), got_indices.clone()


def _compare_top_k(got_values, got_indices, expected, new_values, merged, seen_values, seen_indices, k,
                   what) -> None:
    batch_best = new_values.double().sort(descending=True).values[:k]
    if not torch.equal(batch_best, expected) and torch.equal(got_values.sort(descending=True).values, batch_best):
        raise Wrong(f"{what}: these are only the new batch's best values",
                    "merge the batch with the running top-k before choosing the k best")
    if len(got_values) != len(expected):
        raise Wrong(f"{what} kept {len(got_values)} values, expected {len(expected)}",
                    "keep the k best of everything seen so far (all of them while fewer than k were seen)")
    if not torch.equal(got_values, expected):
        if torch.equal(got_values.sort(descending=True).values, expected):
            raise Wrong(f"{what}: the right values, but not in descending order", "keep the best first")
        raise Wrong(f"{what}: got values {got_values.tolist()}, expected {expected.tolist()}",
                    "the k largest of the running values and the new ones together, best first")
    known = (got_indices >= seen_indices[0]) & (got_indices <= seen_indices[-1])
    if not bool(known.all()) or len(set(got_indices.tolist())) != len(got_indices) or \
            not torch.equal(seen_values.double()[(got_indices - seen_indices[0]).clamp(min=0)], got_values):
        hint = "carry each value's image id along: pick the ids with the same order as the values"
        if bool(((got_indices >= 0) & (got_indices < len(merged))).all()) and \
                torch.equal(merged[got_indices.clamp(0, len(merged) - 1)], got_values):
            hint = "these are positions in the merged values, not image ids: " + hint
        raise Wrong(f"{what}: the indices {got_indices.tolist()} are not the images whose values were kept", hint)


EXERCISES = [
    Exercise("q1", "receptive_field_size",
             "receptive_field_size(layers) returns (size, jump) in input pixels after a chain of layers "
             "given as (kernel, stride, padding, dilation)", _check_size_and_jump),
    Exercise("q2", "unit_rows",
             "unit_rows(y, layers) returns (top, bottom): the input rows [top, bottom) that unit y of the "
             "last layer sees (top may be negative: padding)", _check_unit_rows),
    Exercise("q3", "update_top_k",
             "update_top_k(values, indices, new_values, new_indices, k) merges a batch's values and image "
             "indices into the running top-k and returns (values, indices) of the k largest seen so far, best "
             "first", _check_update_top_k),
]
