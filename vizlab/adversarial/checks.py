"""Checks of an attack's arguments: a clear error, naming what is allowed, before torch sees them."""
from __future__ import annotations

import torch
from torch import nn

LEAST_LIKELY = "least_likely"


def check_images(images) -> torch.Tensor:
    """(B, 3, H, W) or (3, H, W) float images in [0, 1], returned as a batch."""
    if not isinstance(images, torch.Tensor) or not images.is_floating_point():
        kind = f"a {images.dtype} tensor" if isinstance(images, torch.Tensor) else type(images).__name__
        raise TypeError(f"images must be a float tensor (B, 3, H, W) in [0, 1], got {kind}; "
                        f"use vizlab.load_image for files, PIL images and arrays")
    if images.dim() == 3:
        images = images[None]
    if images.dim() != 4 or images.shape[0] < 1:
        raise ValueError(f"images must have shape (B, C, H, W) or (C, H, W), got {tuple(images.shape)}")
    if not torch.isfinite(images).all():
        raise ValueError("images contain NaN or infinite values")
    low, high = float(images.min()), float(images.max())
    if low < 0 or high > 1:
        raise ValueError(f"images must lie in [0, 1] (the model normalizes inside); these span "
                         f"[{low:.3g}, {high:.3g}]. Divide 0..255 data by 255; do not pass normalized images")
    return images.detach()


def check_eps(eps, batch: int, *, what: str = "eps") -> torch.Tensor:
    """One number >= 0, or one per image, as a float tensor (batch,)."""
    if isinstance(eps, bool) or not isinstance(eps, (int, float, list, tuple, torch.Tensor)):
        raise TypeError(f"{what} must be a number (e.g. 8/255) or one per image, got {type(eps).__name__}")
    try:
        values = torch.as_tensor(eps, dtype=torch.float64).detach().cpu().flatten()
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be a number (e.g. 8/255) or one per image, got {eps!r}") from None
    if values.numel() not in (1, batch):
        raise ValueError(f"{what} must be one number or one per image ({batch}), got {values.numel()} values")
    if torch.isnan(values).any() or torch.isinf(values).any() or (values < 0).any():
        raise ValueError(f"{what} must be a finite number >= 0 (in [0, 1] image units, e.g. 8/255), got "
                         f"{values.tolist() if values.numel() < 6 else values}")
    return values.expand(batch).clone()


def check_labels(labels, batch: int, classes: int, clean_logits: torch.Tensor) -> torch.Tensor:
    """Class indices (batch,) in [0, classes); None means the model's clean predictions."""
    if labels is None:
        return clean_logits.argmax(1)
    return _class_indices(labels, batch, classes, "labels").to(clean_logits.device)


def check_targets(target, batch: int, classes: int, clean_logits: torch.Tensor) -> torch.Tensor | None:
    """Class indices (batch,) in [0, classes), one class for all, ``"least_likely"`` (the lowest
    clean logit of each image) or None (untargeted)."""
    if target is None:
        return None
    if isinstance(target, str):
        if target != LEAST_LIKELY:
            raise ValueError(f"target must be a class index, one per image, {LEAST_LIKELY!r} or None, "
                             f"got {target!r}")
        return clean_logits.argmin(1)
    if isinstance(target, int) and not isinstance(target, bool):
        target = [target] * batch
    return _class_indices(target, batch, classes, "target").to(clean_logits.device)


def _class_indices(values, batch: int, classes: int, what: str) -> torch.Tensor:
    if not isinstance(values, (list, tuple, torch.Tensor)):
        raise TypeError(f"{what} must be class indices (a list or tensor of ints), got {type(values).__name__}")
    tensor = torch.as_tensor(values).detach().cpu().flatten()
    if tensor.is_floating_point() or tensor.dtype == torch.bool:
        raise TypeError(f"{what} must be whole class indices, got dtype {tensor.dtype}")
    if tensor.numel() != batch:
        raise ValueError(f"{what}: got {tensor.numel()} for a batch of {batch} images; give one per image")
    bad = tensor[(tensor < 0) | (tensor >= classes)]
    if bad.numel():
        raise ValueError(f"{what} {int(bad[0])} is out of range: the model has {classes} classes "
                         f"(valid: 0..{classes - 1})")
    return tensor.long()


def check_model(model) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if model.training:
        raise ValueError("the model is in training mode: call model.eval() first (attacks run in eval "
                         "mode, and vizlab never changes the model's mode for you)")
