"""What an attribution method explains: a target turns the logits (B, K) into one score per image.

A target is

* ``None``: each image's predicted class (the argmax of its logits);
* an ``int``: that class for every image;
* a sequence or 1-D tensor of ``B`` ints: one class per image;
* a callable ``logits -> scores`` of shape ``(B,)``, for anything else.

Scores are logits, never softmax probabilities: the gradient of ``p_c`` mixes in every other
class (``p_c`` also rises when the others fall), see METHODS.md §4.
"""
from __future__ import annotations

import numbers

import torch
from torch import nn

from .. import checks
from ..images import as_batch


def target_scores(logits: torch.Tensor, target) -> torch.Tensor:
    """The score (B,) that ``target`` picks out of ``logits`` (B, K)."""
    if callable(target):
        scores = target(logits)
        if not isinstance(scores, torch.Tensor) or scores.shape != logits.shape[:1]:
            raise ValueError(f"A target callable must return one score per image, shape ({len(logits)},); "
                             f"got {getattr(scores, 'shape', type(scores).__name__)}")
        return scores
    classes = target_classes(logits, target)
    return logits.gather(1, classes[:, None])[:, 0]


def target_classes(logits: torch.Tensor, target) -> torch.Tensor:
    """The class index of each image (B,) for a non-callable ``target``."""
    batch, num_classes = logits.shape
    if target is None:
        return logits.detach().argmax(1)
    check_target(target, batch)
    classes = torch.as_tensor(target, device=logits.device)
    classes = classes.expand(batch) if classes.dim() == 0 else classes
    if classes.min() < 0 or classes.max() >= num_classes:
        raise ValueError(f"target class {classes.tolist()} is out of range: the model has classes "
                         f"0..{num_classes - 1} (see model.class_names)")
    return classes.long()


def check_target(target, batch: int) -> None:
    """Refuse a target of the wrong kind or count before any forward pass (see the module
    docstring for what is allowed). Class ranges are checked against the logits later."""
    if target is None or callable(target):
        return
    allowed = ("target must be None (the predicted class), a class index (int >= 0), one index per "
               "image or a callable logits -> scores")
    if isinstance(target, torch.Tensor):
        if target.is_floating_point() or target.is_complex() or target.dtype == torch.bool or target.dim() > 1:
            raise TypeError(f"{allowed}; got a {target.dtype} tensor of shape {tuple(target.shape)}. "
                            f"Use an integer tensor, e.g. target.long()")
        count = target.numel() if target.dim() == 1 else None
    elif isinstance(target, numbers.Integral) and not isinstance(target, bool):
        count = None
    elif isinstance(target, (list, tuple)) and all(
            isinstance(t, numbers.Integral) and not isinstance(t, bool) for t in target):
        count = len(target)
    else:
        hint = (f". For a class by name use model.class_names.index({target!r})" if isinstance(target, str)
                else "")
        raise TypeError(f"{allowed}; got {checks._show(target)}{hint}")
    if count is not None and count != batch:
        raise ValueError(f"got {count} targets for {batch} images: give one class index for all, "
                         f"or exactly one per image")


def fixed_targets(model: nn.Module, images: torch.Tensor, target):
    """``target`` with ``None`` replaced by the predicted classes, so later runs (noisy copies,
    a randomized model) explain the same class as the original image."""
    if target is not None:
        return target
    with torch.no_grad(): return model(images).argmax(1)  # noqa: E701 (one line: see vizlab/probe.py)


def input_leaf(model: nn.Module, images, target=None, *, what: str = "attribution") -> torch.Tensor:
    """A fresh copy of ``images`` (B, 3, H, W) on the model's device that requires grad.

    A copy, so the caller's tensor is never changed nor given a ``.grad``. The model (eval mode),
    the images (``as_batch``'s rules, at least the first kernel's size) and the target's kind
    are checked first.
    """
    checks.model(model, what)
    images = as_batch(images)
    checks.image_fits(model, images.shape[-2:], "an image")
    check_target(target, len(images))
    reference = next(model.parameters(), images)   # device and float dtype follow the model
    dtype = reference.dtype if reference.is_floating_point() else images.dtype
    return images.detach().to(reference.device, dtype, copy=True).requires_grad_(True)
