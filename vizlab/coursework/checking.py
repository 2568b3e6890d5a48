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
    None (not written yet), the shape, NaN, the sign, a constant factor, or the values."""
    if actual is None:
        # an unwritten stub: point to the task, not to the formula the hint of a wrong answer may give
        raise Wrong(f"{what} is None: the function returns nothing yet", "finish the function and `return` the result")
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
