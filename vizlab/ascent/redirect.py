"""Lucid's redirected ReLU gradient: the remedy for a unit that is dead at the start.

If a unit is exactly 0 after its ReLU (its pre-activation is negative) for the starting
image, the true gradient is exactly 0 and gradient ascent never moves. The redirected
gradient lets gradient through a ReLU where the ordinary one passes nothing at all (for that
image), but only in the direction that raises a negative input. The loop uses it for the
first 16 steps only, then the true gradient takes over. Source: ``tensorflow/lucid``,
``lucid/optvis/overrides/redirected_relu_grad.py``.

``redirected_relu()`` is a context manager that routes every ReLU of the forward pass through
it: ``nn.ReLU`` modules and functional ``F.relu`` / ``torch.relu`` / ``Tensor.relu`` calls
alike (a ``TorchFunctionMode`` sees both; module hooks would miss the functional ones, as in
torchvision's GoogLeNet). Nothing on the model is changed. In-place ReLUs are run out of
place, which gives the same values to the layers after them.
"""
from __future__ import annotations

import torch
from torch.nn import functional as F
from torch.overrides import TorchFunctionMode


class RedirectedReLU(torch.autograd.Function):
    """relu(x) forward; backward of the *loss*: the ordinary gradient where any passes for an
    image, otherwise the incoming gradient except where it would push a negative x lower."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        relu_grad = torch.where(x < 0, torch.zeros_like(grad), grad)
        # A loss gradient > 0 at a negative x would, by descent, push x further down.
        redirected = torch.where((x < 0) & (grad > 0), torch.zeros_like(grad), grad)
        if x.dim() == 0:
            return relu_grad if bool(relu_grad != 0) else redirected
        passes = relu_grad.flatten(1).norm(dim=1) > 0          # per image
        return torch.where(passes.view(-1, *[1] * (x.dim() - 1)), relu_grad, redirected)


_RELUS = {F.relu, torch.relu, torch.relu_, torch.Tensor.relu, torch.Tensor.relu_, F.relu_}


class redirected_relu(TorchFunctionMode):
    """``with redirected_relu(): model(images)`` - every ReLU gets the redirected gradient."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in _RELUS:
            return RedirectedReLU.apply(args[0])
        return func(*args, **kwargs)
