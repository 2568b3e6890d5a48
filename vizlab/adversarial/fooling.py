"""Fooling images (Nguyen, Yosinski & Clune 2015): images no person would call class k that the
network calls class k with >= 99% confidence.

They are gradient ascent on a class logit (lesson 06) run through the same loop, ``ascend``,
from grey or noise. Without regularizers the result is structured noise; with lesson 06's
(Fourier image, jitter/scale/rotate) it looks more like something - and is still not a
shape a person would name. Both reach high confidence: what makes act-max images look like
anything is the regularizers, not the network.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .. import checks
from ..ascent.loop import adam, ascend
from ..ascent.objectives import Objective, class_logit, logits_layer
from ..ascent.param import PixelImage
from ..ascent.transforms import standard_transforms
from ..probe import _device, without_grad
from .checks import check_model

STARTS = ("noise", "grey")


@dataclass
class FoolingImages:
    """``images`` (B, 3, H, W) in [0, 1]; ``confidence`` (B,): softmax probability of ``classes``."""
    images: torch.Tensor
    classes: torch.Tensor
    confidence: torch.Tensor
    regularized: bool
    steps: int          # the steps taken (the run stops once every image is confident enough)


def fooling_images(model: nn.Module, classes, *, regularized: bool = False, steps: int = 128,
                   confidence: float | None = 0.99, start: str = "noise", size: int | None = None, seed: int = 0,
                   lr: float = 0.05) -> FoolingImages:
    """Ascend the logit of each of ``classes`` (one image per class) until the model gives every
    image at least ``confidence`` (as seen inside the loop), or for ``steps`` steps
    (``confidence=None``: always all ``steps``, to see what the image becomes).

    Unregularized: pixels from ``start`` ("noise": grey + N(0, 0.04^2); "grey"), Adam ``lr``.
    Regularized: lesson 06's recipe, a Fourier image with jitter, scale and rotation, Adam ``lr``
    (it starts near grey whatever ``start`` says).
    The returned confidence is measured again on the final images, without transforms.
    """
    check_model(model)
    checks.integer(steps, "steps", minimum=1)
    checks.number(lr, "lr", positive=True)
    checks.integer(seed, "seed", minimum=0)
    if not isinstance(regularized, bool):
        raise TypeError(f"regularized must be True or False, got {checks._show(regularized)}")
    if size is not None:
        checks.image_fits(model, checks.size(size, "size", hint=" (or None for the model's input size)"),
                          "size")
    if confidence is not None:
        checks.number(confidence, "confidence", hint=" (a probability strictly between 0 and 1, or None)")
    if isinstance(classes, bool) or not isinstance(classes, (int, list, tuple, range)) or \
            (not isinstance(classes, int) and (not classes or any(isinstance(c, bool) or not isinstance(c, int) for c in classes))):
        raise TypeError(f"classes must be a class index or a non-empty list of them, got {checks._show(classes)}")
    count = len(getattr(model, "class_names", []) or [])
    for c in [classes] if isinstance(classes, int) else classes:
        checks.integer(c, "each of classes", minimum=0, maximum=count - 1 if count else None)
    if start not in STARTS:
        raise ValueError(f"unknown start {start!r}; choose 'noise' or 'grey'")
    if confidence is not None and not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence!r}")
    layer = logits_layer(model)
    classes = torch.as_tensor([classes] if isinstance(classes, int) else list(classes)).long()
    size = getattr(model, "input_size", 64) if size is None else size
    generator = torch.Generator().manual_seed(seed)
    options = dict(param="fourier", transforms=standard_transforms(size)) if regularized else dict(
        param=PixelImage(size, len(classes), noise=0.04 if start == "noise" else 0.0, generator=generator))
    logit = class_logit(layer, classes.tolist())
    seen = {}

    def score(acts):                                   # the class logit, keeping the logits seen
        seen["logits"] = acts[layer].detach()
        return logit(acts)

    def confident() -> bool:
        if confidence is None or "logits" not in seen:
            return False
        probs = seen["logits"].softmax(1).gather(1, classes.to(seen["logits"].device)[:, None])
        return bool((probs >= confidence).all())

    frame = None
    for frame in ascend(model, Objective(score, [layer], logit.name), size=size, batch=len(classes),
                        steps=steps, every=1, optimizer=adam(lr), generator=generator, stop=confident,
                        **options):
        pass
    images = frame.images.to(_device(model))
    final = without_grad(lambda: model(images).softmax(1).gather(1, classes.to(images.device)[:, None])[:, 0])
    return FoolingImages(frame.images, classes, final.cpu(), regularized, frame.step)
