"""Swap the backward rule of every ReLU: the one mechanism behind guided backprop, deconvnet
and the redirected gradient that wakes up dead units in gradient ascent.

Gradient, guided backpropagation and deconvnet run the same backward pass except at ReLUs
(METHODS.md §5). With ``h = max(0, z)`` and ``R`` the signal arriving at ``h`` from above:

    gradient     R_in = 1[z > 0] * R
    deconvnet    R_in = 1[R > 0] * R              (Zeiler & Fergus 2014: ignores the forward mask)
    guided       R_in = 1[z > 0] * 1[R > 0] * R   (Springenberg et al. 2015: both masks)
    redirected   the gradient rule, but for an image where it passes nothing at all (a dead
                 unit), R_in = 1[z > 0 or R > 0] * R: signal that would *raise* a negative z
                 still flows (Lucid's redirected ReLU gradient, lucid/optvis/overrides).

``R`` is the gradient of a score being *maximized*, so backpropagate scores, not losses.

``relu_rules("guided")`` is a context manager. While it is open, every ReLU the model calls is
routed through ``RuleReLU``, an autograd function whose backward applies the rule::

    with relu_rules("guided"):
        score = model(images)[:, c].sum()
    torch.autograd.grad(score, images)   # guided backprop (the backward may run after closing)

Why a ``TorchFunctionMode`` and not module hooks: a model may apply ReLU as an ``nn.ReLU``
module *or* as a function (``F.relu(x, inplace=True)`` inside torchvision's GoogLeNet), and
functional calls are invisible to module hooks (so Captum silently returns plain gradients on
GoogLeNet). The mode sees every call of ``F.relu``, ``torch.relu``, ``Tensor.relu`` and their
in-place forms -- ``nn.ReLU.forward`` itself calls ``F.relu``. The model is never touched: no
module is replaced, no flag flipped, no hook registered. Other activations (ReLU6, GELU,
``clamp(min=0)``) are left alone.
"""
from __future__ import annotations

import torch
from torch.nn import functional as F
from torch.overrides import TorchFunctionMode

RULES = ("gradient", "guided", "deconvnet", "redirected")
_OUT_OF_PLACE = {F.relu, torch.relu, torch.Tensor.relu}
_IN_PLACE = {torch.relu_, torch.Tensor.relu_}  # F.relu_ is torch.relu_


class RuleReLU(torch.autograd.Function):
    """``max(0, z)`` forward; the backward of ``rule``. ``inplace`` overwrites ``z`` like ``relu_``."""

    @staticmethod
    def forward(ctx, z: torch.Tensor, rule: str, inplace: bool) -> torch.Tensor:
        if inplace:
            out = z.clamp_(min=0)
            ctx.mark_dirty(out)  # tell autograd z was overwritten, as torch.relu_ does
        else:
            out = z.clamp(min=0)
        ctx.rule = rule
        ctx.save_for_backward(out)  # out > 0 exactly where z > 0
        return out

    @staticmethod
    def backward(ctx, signal: torch.Tensor):
        (out,) = ctx.saved_tensors
        zero = signal.new_zeros(())
        if ctx.rule == "gradient":
            keep = out > 0
        elif ctx.rule == "guided":
            keep = (out > 0) & (signal > 0)
        elif ctx.rule == "deconvnet":
            keep = signal > 0
        else:  # redirected, decided per image (the first dimension)
            true = torch.where(out > 0, signal, zero)
            dead = true.reshape(len(true), -1).eq(0).all(1) if true.dim() else true.eq(0)
            keep = (out > 0) | (dead.view(-1, *[1] * (out.dim() - 1)) & (signal > 0))
        return torch.where(keep, signal, zero), None, None


class relu_rules(TorchFunctionMode):
    """While open, every ReLU call uses the backward ``rule`` (one of ``RULES``).

    ``calls`` counts the ReLUs routed during the forward pass (GoogLeNet: 57 per image batch).
    Nothing is changed on any model, so there is nothing to restore; the mode itself is always
    popped on exit, also when the forward pass raises.
    """

    def __init__(self, rule: str = "guided"):
        if rule not in RULES:
            raise ValueError(f"Unknown ReLU rule {rule!r}; choose one of {', '.join(RULES)}")
        super().__init__()
        self.rule = rule
        self.calls = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in _OUT_OF_PLACE or func in _IN_PLACE:
            inplace = func in _IN_PLACE or bool(kwargs.get("inplace", args[1] if len(args) > 1 else False))
            self.calls += 1
            return RuleReLU.apply(args[0], self.rule, inplace)
        return func(*args, **kwargs)
