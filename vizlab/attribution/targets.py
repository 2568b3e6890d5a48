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

import torch
from torch import nn

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
    classes = torch.as_tensor(target, device=logits.device)
    if classes.is_floating_point() or classes.dim() > 1:
        raise TypeError(f"target must be None, a class index, one index per image or a callable; got {target!r}")
    classes = classes.expand(batch) if classes.dim() == 0 else classes
    if len(classes) != batch:
        raise ValueError(f"Got {len(classes)} targets for {batch} images")
    if classes.min() < 0 or classes.max() >= num_classes:
        raise ValueError(f"Target class {classes.tolist()} is out of range: the model has classes 0..{num_classes - 1}")
    return classes.long()


def fixed_targets(model: nn.Module, images: torch.Tensor, target):
    """``target`` with ``None`` replaced by the predicted classes, so later runs (noisy copies,
    a randomized model) explain the same class as the original image."""
    if target is not None:
        return target
    with torch.no_grad(): return model(images).argmax(1)  # noqa: E701 (one line: see vizlab/probe.py)


def input_leaf(model: nn.Module, images) -> torch.Tensor:
    """A fresh copy of ``images`` (B, 3, H, W) on the model's device that requires grad.

    A copy, so the caller's tensor is never changed nor given a ``.grad``.
    """
    images = as_batch(images)
    device = next(model.parameters(), images).device
    return images.detach().to(device, copy=True).requires_grad_(True)
