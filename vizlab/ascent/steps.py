"""Update rules: the steps vizlab's own methods take on the loop's parameters.

``ascend`` needs from its optimizer just one thing: ``step()``, moving each parameter in place
from its ``.grad`` (which the loop sets to minus the score's gradient, as for any torch
optimizer). Adam is torch's. DeepDream's normalized step, the inversion paper's momentum and
the attacks' signed steps are ``UpdateRule``s: plain objects, not ``torch.optim.Optimizer``s,
because torch wraps every optimizer ``step`` in a profiler range and hook calls. That costs
about 30 microseconds a step, which on a small model is a percent or two of the whole step,
and these rules use none of it (no parameter groups, no state to save).
"""
from __future__ import annotations

import torch


class UpdateRule:
    """``step()`` calls ``update(p, p.grad)`` for every parameter that has a gradient, without
    recording gradients; subclasses say what one update does."""

    def __init__(self, params):
        self.params = list(params)

    @torch.no_grad()
    def step(self) -> None:
        for p in self.params:
            if p.grad is not None:
                self.update(p, p.grad)

    def update(self, p: torch.Tensor, grad: torch.Tensor) -> None:
        raise NotImplementedError
