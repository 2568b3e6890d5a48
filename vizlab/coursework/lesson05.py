"""Lesson 05 exercises: the backward rule at a ReLU (guided backprop and deconvnet)."""
from __future__ import annotations

import torch

from ..relu_rules import RuleReLU
from . import Exercise
from .checking import Wrong, case_seed, compare_tensors


def rule_backward(z: torch.Tensor, signal: torch.Tensor, rule: str) -> torch.Tensor:
    """What vizlab's ReLU passes down under ``rule`` for pre-activations z and signal R."""
    z = z.clone().requires_grad_(True)
    (passed,) = torch.autograd.grad(RuleReLU.apply(z, rule, False), z, signal)
    return passed


def _cases(seed: int):
    """Random (z, R); the first four entries hold every sign pattern of (z, R), so that the three
    rules give different results whatever the seed, and the next two are z = 0 with R > 0."""
    generator = torch.Generator().manual_seed(seed)
    for shape in [(12,), (2, 4, 5, 5)]:
        z, signal = torch.randn(shape, generator=generator), torch.randn(shape, generator=generator)
        z.view(-1)[:4] = z.view(-1)[:4].abs() * torch.tensor([1.0, 1.0, -1.0, -1.0])
        signal.view(-1)[:4] = signal.view(-1)[:4].abs() * torch.tensor([1.0, -1.0, 1.0, -1.0])
        # Exact zeros of z under a positive signal: the rule's mask is z > 0, and z >= 0 differs here.
        z.view(-1)[4:6] = 0.0
        signal.view(-1)[4:6] = signal.view(-1)[4:6].abs() + 0.5
        yield z, signal


def _check_rule(fn, seed: int, rule: str, name: str) -> None:
    others = {"gradient": "the plain gradient: it keeps negative signal where the unit was on",
              "guided": "guided backprop: it also masks where the unit was off",
              "deconvnet": "the deconvnet rule: it ignores where the unit was off in the forward pass"}
    masks = {"guided": "1[z > 0] * 1[R > 0] * R: both masks", "deconvnet": "1[R > 0] * R: only the sign of the signal"}
    for z, signal in _cases(case_seed(seed, 500 + len(rule))):
        out = fn(z.clone(), signal.clone())
        if isinstance(out, torch.Tensor) and out.shape == z.shape:
            if out.dtype == torch.bool:
                raise Wrong("the result is a mask (True/False), not the signal passed down", "multiply the mask by R")
            got = out.detach().float()
            for other, said in others.items():
                if other != rule and torch.allclose(got, rule_backward(z, signal, other)):
                    raise Wrong(f"this is {said}", masks[rule])
            if torch.allclose(got, signal.clamp(min=0) * z):
                raise Wrong("the result is multiplied by z", "the ReLU passes the signal R itself, masked: no factor z")
        compare_tensors(out, rule_backward(z, signal, rule), what=f"{name}(z, signal)", hint=masks[rule])


def _check_guided(fn, seed: int) -> None:
    _check_rule(fn, seed, "guided", "guided_relu_backward")


def _check_deconvnet(fn, seed: int) -> None:
    _check_rule(fn, seed, "deconvnet", "deconvnet_relu_backward")


EXERCISES = [
    Exercise("q1", "guided_relu_backward",
             "guided_relu_backward(z, signal) returns what guided backprop passes down through h = max(0, z) "
             "when R = signal arrives from above", _check_guided),
    Exercise("q2", "deconvnet_relu_backward",
             "deconvnet_relu_backward(z, signal) returns what the deconvnet passes down through h = max(0, z)",
             _check_deconvnet),
]
