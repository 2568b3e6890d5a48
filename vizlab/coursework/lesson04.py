"""Lesson 04 exercises: the saliency map by autograd."""
from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from ..attribution import gradient, saliency
from . import Exercise
from .checking import Wrong, case_seed, compare_tensors, init_like_torch


@torch.random.fork_rng(devices=[])                # seeds the global generator, restored on return
def small_classifier(seed: int) -> nn.Module:
    """A fresh random CNN: conv -> ReLU -> pool -> linear, 5 classes, frozen (drawn from a local
    generator: the student's global one is left alone)."""
    model = nn.Sequential(OrderedDict([
        ("conv", nn.Conv2d(3, 6, 3, padding=1)), ("relu", nn.ReLU()),
        ("pool", nn.AdaptiveAvgPool2d(2)), ("flatten", nn.Flatten()), ("fc", nn.Linear(24, 5)),
    ])).eval()
    return init_like_torch(model, torch.Generator().manual_seed(seed)).requires_grad_(False)


def _cases(seed: int):
    generator = torch.Generator().manual_seed(seed)
    for batch, size in [(3, 8), (2, 12)]:
        model = small_classifier(seed + size)
        images = torch.rand(batch, 3, size, size, generator=generator)
        target = torch.randperm(5, generator=generator)[:batch]    # distinct: one class for all must fail
        yield model, images, target


def _check_saliency(fn, seed: int) -> None:
    for model, images, target in _cases(case_seed(seed, 401)):
        given = images.clone()
        out = fn(model, given, target.clone())
        expected = saliency(model, images, target)
        if isinstance(out, torch.Tensor) and out.shape == images.shape:
            raise Wrong(f"the map has shape {tuple(out.shape)}, one value per colour channel",
                        "take the largest magnitude over the colour channels: .abs().amax(1)")
        if isinstance(out, torch.Tensor) and out.shape == expected.shape:
            _diagnose(out.detach().float(), model, images, target)   # any float dtype is fine
        compare_tensors(out, expected, what="saliency_map(model, images, target)",
                        hint="M = max over colour channels of |dS_c / dx|, S_c the logit of the target class")
        if not torch.equal(given, images):
            raise Wrong("saliency_map changed the images it was given", "differentiate a copy: images.clone().requires_grad_()")


def _diagnose(out, model, images, target) -> None:
    grad = gradient(model, images, target)
    if torch.allclose(out, grad.amax(1), atol=1e-6) and not torch.allclose(out, grad.abs().amax(1), atol=1e-6):
        raise Wrong("the map takes the largest *signed* gradient, so strong negative gradients are lost",
                    "take the magnitude |grad| first, then the maximum over the colour channels")
    if torch.allclose(out, grad.abs().sum(1), atol=1e-6):
        raise Wrong("the map sums the colour channels", "Simonyan et al. take the maximum over channels: .amax(1)")
    probability = lambda logits: logits.softmax(1).gather(1, target[:, None])[:, 0]
    if torch.allclose(out, gradient(model, images, probability).abs().amax(1), atol=1e-6):
        raise Wrong("this is the gradient of the softmax probability", "differentiate the logit S_c, before the softmax")
    for b in range(len(images)):
        for c in range(5):
            if c != int(target[b]) and torch.allclose(out[b], saliency(model, images[b:b + 1], c)[0], atol=1e-6):
                raise Wrong(f"image {b}'s map explains class {c}, not its target {int(target[b])}",
                            "image b explains class target[b]: logits[torch.arange(B), target]")

EXERCISES = [
    Exercise("q1", "saliency_map",
             "saliency_map(model, images, target) returns max over colour channels of |dS_c/dx|, (B, H, W), "
             "where S_c = model(images)[b, target[b]] is the logit", _check_saliency),
]
