"""Why adversarial examples exist: a linear function of many inputs (Goodfellow et al. 2015).

For a linear score S = w . h + b, the step h' = h - eps * sign(w), which changes no input by
more than eps, lowers S by exactly eps * ||w||_1 = eps * n * mean|w|: the change grows with
the number of inputs n while eps stays fixed. ShapeNet's last layer *is* linear (64 inputs),
so there the formula holds exactly; in the 3 * 64 * 64 = 12288 pixels the network is only
locally linear, and eps * ||grad S||_1 is the first-order prediction of what FGSM does.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..ascent.objectives import logits_layer
from ..probe import capture, get_layer, without_grad
from .attacks import clean_forward
from .checks import check_eps, check_images, check_labels, check_model


@dataclass
class LinearExplanation:
    """Per image: ``predicted`` drop of the class score, eps * ||w||_1, and the ``measured``
    drop, S(h) - S(h - eps sign w); ``dimension`` n; ``mean_abs_weight`` mean |w| over them."""
    dimension: int
    eps: float
    predicted: torch.Tensor
    measured: torch.Tensor
    mean_abs_weight: float

    def __str__(self) -> str:
        return (f"n = {self.dimension} inputs, mean |w| = {self.mean_abs_weight:.4g}, eps = {self.eps:.4g}: "
                f"predicted drop eps*||w||_1 = {self.predicted.mean():.4g}, measured {self.measured.mean():.4g} "
                f"(means over {len(self.predicted)} images)")


def last_layer_explanation(model: nn.Module, images: torch.Tensor, labels=None, *, eps: float,
                           features: str | None = None) -> LinearExplanation:
    """FGSM on the input h of the model's last (linear) layer, read at ``features`` (default: the
    layer just before it): S_y drops by exactly eps * ||w_y||_1 (no clipping: h is unbounded)."""
    check_model(model)
    images, eps = check_images(images, model), float(check_eps(eps, 1)[0])   # eps in h's units: no bound
    last = logits_layer(model)
    linear = get_layer(model, last)
    if not isinstance(linear, nn.Linear):
        raise ValueError(f"the model's last layer {last!r} is a {type(linear).__name__}, not nn.Linear")
    names = [name for name, m in model.named_modules() if name and not any(m.children())]
    features = features or names[names.index(last) - 1]
    h = capture(model, images, [features])[features].flatten(1)
    return without_grad(_feature_step, model, linear, images, labels, h, eps, last, features)


def _feature_step(model, linear, images, labels, h, eps, last, features) -> LinearExplanation:
    logits = clean_forward(model, images.to(h.device), last)
    if not torch.allclose(linear(h), logits, rtol=1e-5, atol=1e-5):
        raise ValueError(f"layer {features!r} is not the input of {last!r}; pass features=")
    labels = check_labels(labels, len(h), logits.shape[1], logits)
    w = linear.weight[labels]                                   # (B, n): each image's own class row
    moved = linear(h - eps * w.sign()).gather(1, labels[:, None])[:, 0]
    own = logits.gather(1, labels[:, None])[:, 0]
    return LinearExplanation(h.shape[1], eps, (eps * w.abs().sum(1)).cpu(), (own - moved).cpu(),
                             float(w.abs().mean()))


def input_space_explanation(model: nn.Module, images: torch.Tensor, labels=None, *,
                            eps: float) -> LinearExplanation:
    """The same in pixel space: with g = grad_x S_y, the step x - eps sign(g) (unclipped) lowers
    S_y by about eps * ||g||_1, exactly so where the network is linear around x."""
    check_model(model)
    images = check_images(images, model)
    eps = float(check_eps(eps, 1, at_most=1.0)[0])
    logits = without_grad(model, images)
    labels = check_labels(labels, len(images), logits.shape[1], logits)
    x = images.clone().requires_grad_(True)
    own = model(x).gather(1, labels[:, None])[:, 0]
    grad, = torch.autograd.grad(own.sum(), x)
    moved = without_grad(model, images - eps * grad.sign()).gather(1, labels[:, None])[:, 0]
    return LinearExplanation(images[0].numel(), eps, (eps * grad.flatten(1).abs().sum(1)).cpu(),
                             (own.detach() - moved).cpu(), float(grad.abs().mean()))
