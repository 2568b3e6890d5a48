"""Guided backpropagation (Springenberg et al. 2015), deconvnet (Zeiler & Fergus 2014), and the
projection of one unit to pixels.

Both are the gradient with another rule at every ReLU (see ``relu_rules``): the deconvnet lets
through only positive signal from above, guided backprop also keeps the forward mask. The
"unpooling with switches" and "transposed filters" of the deconvnet are exactly the ordinary
backward passes of max-pooling and convolution, so autograd does the rest.

Outputs are signed (B, 3, H, W); use ``channel_max`` for a (B, H, W) magnitude map.
"""
from __future__ import annotations

import torch
from torch import nn

from .. import checks
from ..probe import Probe
from .gradients import gradient
from ..relu_rules import relu_rules
from .targets import input_leaf


def guided_backprop(model: nn.Module, images, target=None) -> torch.Tensor:
    """Guided backpropagation of the target score to pixels, (B, 3, H, W)."""
    return gradient(model, images, target, rule="guided")


def deconvnet(model: nn.Module, images, target=None) -> torch.Tensor:
    """Zeiler & Fergus's deconvnet projection of the target score to pixels, (B, 3, H, W)."""
    return gradient(model, images, target, rule="deconvnet")


def project_unit(model: nn.Module, images, layer: str, channel: int, *, position=None,
                 rule: str = "deconvnet") -> torch.Tensor:
    """Zeiler & Fergus's projection of one unit of ``layer`` to pixels, (B, 3, H, W).

    Keep one activation of channel ``channel`` -- at ``position`` ``(i, j)``, or where the
    channel is largest in each image -- zero every other activation of the layer, and project it
    down with ``rule`` (``"deconvnet"``, ``"guided"`` or ``"gradient"``). The kept activation
    keeps its value, so a unit that does not fire projects to zero.
    """
    checks.layer_name(layer)
    checks.integer(channel, "channel", minimum=0)
    if position is not None and (not isinstance(position, (tuple, list)) or len(position) != 2):
        raise TypeError(f"position must be (row, column) of ints or None (the largest unit), got "
                        f"{checks._show(position)}")
    if position is not None:
        position = (checks.integer(position[0], "position row", minimum=0),
                    checks.integer(position[1], "position column", minimum=0))
    x = input_leaf(model, images, what="project_unit")
    probe = Probe(model, layer, stop_early=True)
    with torch.enable_grad(), relu_rules(rule): acts = probe.run(x)[layer]  # noqa: E701 (see vizlab/probe.py)
    seed = _one_unit(acts, layer, channel, position)
    (grad,) = torch.autograd.grad(acts, x, grad_outputs=seed)
    return grad


def _one_unit(acts: torch.Tensor, layer: str, channel: int, position) -> torch.Tensor:
    """A tensor like ``acts`` that is zero except for one kept activation per image."""
    if acts.dim() not in (2, 4):
        raise ValueError(f"layer {layer!r} has output shape {tuple(acts.shape)}; project_unit needs "
                         f"(B, C) or (B, C, H, W)")
    if not 0 <= channel < acts.shape[1]:
        raise ValueError(f"channel {channel} is out of range: layer {layer!r} has channels 0..{acts.shape[1] - 1}")
    values = acts.detach()[:, channel]
    seed = torch.zeros_like(acts)
    batch = torch.arange(len(acts))
    if acts.dim() == 2:
        seed[batch, channel] = values
        return seed
    height, width = values.shape[1:]
    if position is None:
        flat = values.flatten(1).argmax(1)
        rows, cols = flat // width, flat % width
    else:
        i, j = position
        if not (0 <= i < height and 0 <= j < width):
            raise ValueError(f"position {position} is outside layer {layer!r}'s {height}x{width} map: give (i, j) "
                             f"with 0 <= i < {height} and 0 <= j < {width}, or None for the most active unit")
        rows, cols = torch.full_like(batch, i), torch.full_like(batch, j)
    seed[batch, channel, rows, cols] = values[batch, rows, cols]
    return seed
