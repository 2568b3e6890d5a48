"""Grad-CAM and guided Grad-CAM (Selvaraju et al. 2017).

At a convolutional layer with activations ``A`` (B, K, h, w), weight each channel by the average
gradient of the target score over its positions, sum, and keep the positive part:

    alpha_k = mean_ij dS_c/dA_k,ij        L = ReLU(sum_k alpha_k A_k)

The map is coarse (the layer's resolution), so it is upsampled to the image. Guided Grad-CAM
multiplies it with guided backprop for a map that is both class-specific and sharp.

The default layer is the last ReLU with a spatial output (``relu4`` on ShapeNet), the paper's
choice: the last convolutional features, after their non-linearity. On a network that ends in
global average pooling and one linear layer (ShapeNet), ``dS_c/dA_k,ij = w_ck / hw`` there, so
Grad-CAM equals CAM (Zhou et al. 2016) up to that constant. At the pre-ReLU convolution the
gradient is masked by the ReLU, and each channel is also weighted by the area where it is active.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.autograd.graph import GradientEdge
from torch.nn import functional as F

from .. import checks
from ..probe import Probe, list_layers
from .guided import guided_backprop
from .targets import fixed_targets, input_leaf, target_scores


def default_layer(model: nn.Module) -> str:
    """Grad-CAM's default layer: the last ``nn.ReLU`` whose output is a map larger than 1x1
    (``relu4`` on ShapeNet); for a model without ReLU modules, the last layer with such a map."""
    spatial = [info for info in list_layers(model) if info.output_shape and len(info.output_shape) == 3
               and info.output_shape[1] * info.output_shape[2] > 1]
    relus = [info.name for info in spatial if info.kind == "ReLU"]
    if not spatial:
        raise ValueError("Grad-CAM needs a layer with a spatial output (B, C, H, W) and this model has "
                         "none; see vizlab.list_layers(model)")
    return relus[-1] if relus else spatial[-1].name


def gradcam(model: nn.Module, images, target=None, *, layer: str | None = None,
            upsample: bool = True) -> torch.Tensor:
    """Grad-CAM at ``layer`` (default: ``default_layer(model)``, the last ReLU): (B, H, W)
    upsampled bilinearly to the image, or (B, h, w).

    A layer whose map is 1x1 (after global pooling) is refused: with one position the map is a
    single number, so the upsampled map is constant and says nothing about where.
    """
    layer = default_layer(model) if layer is None else checks.layer_name(layer)
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


def guided_gradcam(model: nn.Module, images, target=None, *, layer: str | None = None) -> torch.Tensor:
    """Guided backprop times the upsampled Grad-CAM map at ``layer`` (default: the last ReLU),
    (B, 3, H, W)."""
    if layer is not None:
        checks.layer_name(layer)
    images = input_leaf(model, images, target, what="guided_gradcam").detach()
    target = fixed_targets(model, images, target)
    return guided_backprop(model, images, target) * gradcam(model, images, target, layer=layer)[:, None]
