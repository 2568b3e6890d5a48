"""Grad-CAM and guided Grad-CAM (Selvaraju et al. 2017).

At a convolutional layer with activations ``A`` (B, K, h, w), weight each channel by the average
gradient of the target score over its positions, sum, and keep the positive part:

    alpha_k = mean_ij dS_c/dA_k,ij        L = ReLU(sum_k alpha_k A_k)

The map is coarse (the layer's resolution), so it is upsampled to the image. Guided Grad-CAM
multiplies it with guided backprop for a map that is both class-specific and sharp.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.autograd.graph import GradientEdge
from torch.nn import functional as F

from .. import checks
from ..probe import Probe
from .guided import guided_backprop
from .targets import fixed_targets, input_leaf, target_scores


def gradcam(model: nn.Module, images, target=None, *, layer: str, upsample: bool = True) -> torch.Tensor:
    """Grad-CAM at ``layer``: (B, H, W) upsampled bilinearly to the image, or (B, h, w).

    A layer whose map is 1x1 (after global pooling) is refused: with one position the map is a
    single number, so the upsampled map is constant and says nothing about where.
    """
    checks.layer_name(layer)
    x = input_leaf(model, images, target, what="gradcam")
    acts, grads = _layer_and_gradient(model, x, target, layer)
    alpha = grads.mean((2, 3), keepdim=True)                  # (B, K, 1, 1)
    cam = (alpha * acts.detach()).sum(1).clamp(min=0)        # (B, h, w)
    if upsample:
        cam = F.interpolate(cam[:, None], size=x.shape[2:], mode="bilinear", align_corners=False)[:, 0]
    return cam


@torch.enable_grad()
def _layer_and_gradient(model, x, target, layer: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The output of ``layer`` and the target score's gradient there."""
    probe = Probe(model, layer)
    acts = probe.run(x)[layer]
    if acts.dim() != 4:
        raise ValueError(f"Grad-CAM needs a convolutional layer with output (B, C, H, W); layer {layer!r} "
                         f"gives {tuple(acts.shape)}. Choose a layer with a spatial map, see vizlab.list_layers(model).")
    if acts.shape[2] * acts.shape[3] == 1:
        raise ValueError(f"Grad-CAM at layer {layer!r} would be constant: its map is 1x1, so each image gets "
                         f"one number sum_k alpha_k A_k, spread evenly over the image. Choose an earlier "
                         f"layer whose map is larger than 1x1 (the last ReLU before global pooling, "
                         f"e.g. 'relu4' for ShapeNet); see vizlab.list_layers(model)")
    return acts, _gradient_at_layer(target_scores(probe.output, target).sum(), acts)


def _gradient_at_layer(score: torch.Tensor, recorded: torch.Tensor) -> torch.Tensor:
    """``d score / d (layer output)``, given the probe's copy of that output.

    The copy itself is not used by the rest of the network (its gradient would be zero), but
    its ``grad_fn`` points at the edge where the layer's output enters the graph: ask autograd
    for the gradient there. That is the output before any in-place ReLU that follows it.
    """
    node, index = recorded.grad_fn.next_functions[0]
    (grad,) = torch.autograd.grad(score, GradientEdge(node, index))
    return grad


def guided_gradcam(model: nn.Module, images, target=None, *, layer: str) -> torch.Tensor:
    """Guided backprop times the upsampled Grad-CAM map, (B, 3, H, W)."""
    checks.layer_name(layer)
    images = input_leaf(model, images, target, what="guided_gradcam").detach()
    target = fixed_targets(model, images, target)
    return guided_backprop(model, images, target) * gradcam(model, images, target, layer=layer)[:, None]
