"""What a check says when a student's answer is wrong: the first difference that explains it."""
from __future__ import annotations

import torch


class Wrong(Exception):
    """A wrong answer: ``message`` says what is wrong, ``hint`` how to look for the fix."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message, self.hint = message, hint


def compare_tensors(actual, expected: torch.Tensor, *, what: str, hint: str = "",
                    rtol: float = 1e-4, atol: float = 1e-5) -> None:
    """Raise ``Wrong`` naming the first way ``actual`` differs from ``expected``: not a tensor,
    None (not written yet), complex or bool numbers, the shape, NaN, the sign, a constant factor, or the values."""
    if actual is None:
        # an unwritten stub: point to the task, not to the formula the hint of a wrong answer may give
        raise Wrong(f"{what} is None: the function returns nothing yet", "finish the function and `return` the result")
    refuse_odd_dtype(actual, what)
    if not isinstance(actual, torch.Tensor):
        raise Wrong(f"{what} should be a torch.Tensor, got {type(actual).__name__}", hint)
    if tuple(actual.shape) != tuple(expected.shape):
        raise Wrong(f"{what} has shape {tuple(actual.shape)}, expected {tuple(expected.shape)}",
                    hint or "check which dimensions you reduce, add or drop")
    actual = actual.detach().to(device="cpu", dtype=torch.float64)
    expected = expected.detach().to(device="cpu", dtype=torch.float64)
    if not torch.isfinite(actual).all():
        raise Wrong(f"{what} contains NaN or Inf", hint or "look for a division by zero or a log of 0")
    if torch.allclose(actual, expected, rtol=rtol, atol=atol):
        return
    if expected.abs().max() > atol and torch.allclose(actual, -expected, rtol=rtol, atol=atol):
        raise Wrong(f"{what} has the right size but the opposite sign", hint or "check the direction of the step or the sign of the score")
    dot = (actual * expected).sum()
    if expected.abs().max() > atol and dot != 0:
        factor = dot / (expected * expected).sum()
        if torch.allclose(actual, factor * expected, rtol=rtol, atol=atol):
            raise Wrong(f"{what} is off by a constant factor of {float(factor):.4g}", hint or "check the scaling or normalization")
    worst = (actual - expected).abs().argmax()
    index = tuple(int(i) for i in torch.unravel_index(worst, expected.shape))
    raise Wrong(f"{what} differs at index {index}: got {float(actual[index]):.5g}, expected {float(expected[index]):.5g}",
                hint)


def refuse_changes(given: torch.Tensor, original: torch.Tensor, name: str) -> None:
    """Raise ``Wrong`` if the student's function changed its argument ``name`` in place (``add_``,
    ``+=``, ``.data = ...``): a notebook that calls it in a loop would see its own tensor change."""
    if not torch.equal(given, original):
        raise Wrong(f"your function changed the `{name}` it was given, in place", f"work on a copy: {name}.clone()")


def case_seed(seed: int, salt: int) -> int:
    """The seed of one check's random cases: ``salt`` (fixed per check) for the public seed 0,
    and cases no student has seen for any other ``seed``."""
    return (salt + 1_000_003 * seed) % 2 ** 63


def generator(seed: int, salt: int) -> torch.Generator:
    """A local generator for one check's cases: checks never touch the global one."""
    return torch.Generator().manual_seed(case_seed(seed, salt))


def init_like_torch(model: torch.nn.Module, generator: torch.Generator) -> torch.nn.Module:
    """Fill every ``Conv2d`` and ``Linear`` as PyTorch's default initialization does (uniform in
    ±1/sqrt(fan_in)), but from ``generator`` instead of the global one."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
                bound = module.weight[0].numel() ** -0.5
                module.weight.uniform_(-bound, bound, generator=generator)
                if module.bias is not None:
                    module.bias.uniform_(-bound, bound, generator=generator)
    return model


def refuse_odd_dtype(value, what: str) -> None:
    """Raise ``Wrong`` if ``value`` (or an item of a returned tuple or list) holds complex or
    bool numbers: a complex tensor would otherwise compare equal through its real part, and
    True/False would pass as 1/0."""
    items = value if isinstance(value, (tuple, list)) else [value]
    for item in items:
        if isinstance(item, complex) or _dtype_kind(item) == "complex":
            raise Wrong(f"{what} returned complex numbers; the answer is real",
                        "keep the real quantity: e.g. .abs() of an FFT, or .real if the imaginary part is 0")
        if _dtype_kind(item) == "bool":
            raise Wrong(f"{what} returned True/False values (dtype bool), not numbers",
                        "turn a mask into numbers: multiply it by the values it keeps, or call .float()")


def _dtype_kind(value) -> str:
    dtype = getattr(value, "dtype", None)
    if isinstance(dtype, torch.dtype):
        return "complex" if dtype.is_complex else "bool" if dtype == torch.bool else ""
    kind = getattr(dtype, "kind", None)                 # a numpy array or scalar
    return {"c": "complex", "b": "bool"}.get(kind, "") if isinstance(kind, str) else ""
