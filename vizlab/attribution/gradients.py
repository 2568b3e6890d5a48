"""Saliency maps from plain gradients (Simonyan, Vedaldi & Zisserman 2013) and SmoothGrad
(Smilkov et al. 2017).

Linearise the class score around the image, ``S_c(x) ~ w^T x + b`` with ``w = dS_c/dx``: the
pixels with large ``|w|`` are those whose change moves the score most. For RGB the map is
``M_ij = max_ch |w_ch,i,j|``. ReLU networks have piecewise-constant gradients, so the map is
noisy; SmoothGrad averages the maps of noisy copies of the image to see the trend.

Every function takes ``(model, images, target)``: images (B, 3, H, W) or one (3, H, W) in
[0, 1], and a target as in ``vizlab.attribution.targets``. Nothing is changed on the model or the
images: gradients are taken with ``torch.autograd.grad`` for the input only, so no parameter
gets a ``.grad`` even when the model is not frozen.
"""
from __future__ import annotations

from contextlib import nullcontext

import torch
from torch import nn

from .. import checks
from ..relu_rules import relu_rules
from .targets import fixed_targets, input_leaf, target_scores


def gradient(model: nn.Module, images, target=None, *, rule: str | None = None) -> torch.Tensor:
    """``dS_target / d images``, signed, (B, 3, H, W).

    ``rule`` (``"guided"`` or ``"deconvnet"``) swaps the backward rule of every ReLU (see
    ``relu_rules``); ``None`` is plain autograd.
    """
    return _gradient(model, input_leaf(model, images, target, what="gradient"), target, rule)


@torch.enable_grad()
def _gradient(model: nn.Module, x: torch.Tensor, target, rule: str | None) -> torch.Tensor:
    """``gradient`` of an input ``x`` already checked and made a leaf (noisy copies may leave [0, 1])."""
    rules = relu_rules(rule) if rule is not None else nullcontext()
    with rules: logits = model(x)  # noqa: E701 (one line: see vizlab/probe.py)
    score = target_scores(logits, target).sum()  # images are independent: one backward for all
    (grad,) = torch.autograd.grad(score, x)
    return grad


def channel_max(grad: torch.Tensor) -> torch.Tensor:
    """``max_ch |grad|``: (B, 3, H, W) -> (B, H, W), the saliency map of a gradient."""
    return grad.abs().amax(1)


def saliency(model: nn.Module, images, target=None) -> torch.Tensor:
    """Simonyan et al.'s saliency map ``max_ch |dS_c/dx|``, (B, H, W)."""
    return channel_max(gradient(model, images, target))


def smoothgrad(model: nn.Module, images, target=None, *, samples: int = 50, noise: float = 0.15,
               generator: torch.Generator | None = None, signed: bool = False,
               batch_size: int = 32) -> torch.Tensor:
    """SmoothGrad: the average saliency map over ``samples`` copies ``x + N(0, sigma^2)``.

    ``noise`` is sigma as a fraction of the input range [0, 1] (the paper suggests 10-20%).
    ``generator`` makes the noise reproducible (default: a new one seeded with 0). With
    ``signed=True`` the signed gradients are averaged instead, (B, 3, H, W), as in the PAIR
    saliency library; by default the saliency maps are, (B, H, W), as in Captum's NoiseTunnel.
    Noisy copies are batched ``batch_size`` at a time. Every copy explains the class of the
    clean image (``target=None`` is resolved on the clean image first).
    """
    checks.integer(samples, "samples", minimum=1)
    checks.number(noise, "noise", minimum=0, hint=" (a fraction of the [0, 1] range; 0.1-0.2 is usual)")
    checks.integer(batch_size, "batch_size", minimum=1)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {checks._show(generator)}")
    x = input_leaf(model, images, target, what="smoothgrad").detach()
    target = fixed_targets(model, x, target)
    generator = generator or torch.Generator().manual_seed(0)
    total = x.new_zeros(x.shape if signed else x[:, 0].shape)
    copies_per_batch = max(1, batch_size // len(x))
    for start in range(0, samples, copies_per_batch):
        k = min(copies_per_batch, samples - start)
        eps = torch.randn((k, *x.shape), generator=generator, device=generator.device).to(x.device)
        noisy = (x + noise * eps).flatten(0, 1)  # (k*B, 3, H, W): copy-major
        grad = _gradient(model, noisy.requires_grad_(True), _repeat_target(target, k), None)
        grad = grad if signed else channel_max(grad)
        total += grad.unflatten(0, (k, len(x))).sum(0)
    return total / samples


def _repeat_target(target, copies: int):
    if callable(target):
        return target
    target = torch.as_tensor(target)
    return target if target.dim() == 0 else target.repeat(copies)
