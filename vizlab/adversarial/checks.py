"""Checks of an attack's arguments: a clear error, naming what is allowed, before torch sees them."""
from __future__ import annotations

import torch
from torch import nn

from .. import checks

LEAST_LIKELY = "least_likely"
EPS_UNITS = "eps is a fraction of the pixel range: 8/255 for 8 grey levels"


def check_images(images, model: nn.Module | None = None) -> torch.Tensor:
    """(B, 3, H, W) or (3, H, W) float images in [0, 1], returned as a batch. Given the
    ``model``, images smaller than its first kernel are refused and float64 (or float16) images
    converted to the model's dtype (the documented conversion)."""
    if not isinstance(images, torch.Tensor) or not images.is_floating_point():
        kind = f"a {images.dtype} tensor" if isinstance(images, torch.Tensor) else type(images).__name__
        raise TypeError(f"images must be a float tensor (B, 3, H, W) in [0, 1], got {kind}; "
                        f"use vizlab.load_image for files, PIL images and arrays (uint8: divide by 255)")
    if images.dim() == 3:
        images = images[None]
    if images.dim() != 4 or images.shape[0] < 1 or images.shape[1] != 3 or min(images.shape[2:]) < 1:
        raise ValueError(f"images must have shape (B, 3, H, W) or (3, H, W), got {tuple(images.shape)}")
    if not torch.isfinite(images).all():
        raise ValueError("images contain NaN or infinite values")
    low, high = float(images.min()), float(images.max())
    if low < 0 or high > 1:
        raise ValueError(f"images must lie in [0, 1] (the model normalizes inside); these span "
                         f"[{low:.3g}, {high:.3g}]. Divide 0..255 data by 255; do not pass normalized images")
    if model is not None:
        checks.image_fits(model, images.shape[-2:], "an image")
        images = images.to(dtype=model_dtype(model))
    return images.detach()


def model_dtype(model: nn.Module) -> torch.dtype:
    """The dtype of the model's first floating-point parameter (float32 without one)."""
    return next((p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32)


def check_eps(eps, batch: int, *, what: str = "eps", at_most: float | None = None,
              positive: bool = False) -> torch.Tensor:
    """One number >= 0 (> 0 with ``positive``; <= ``at_most`` when given), or one per image, as a
    float tensor (batch,). A bool, a string, a complex or a bool tensor is no number."""
    if isinstance(eps, (bool, str)) or not isinstance(eps, (int, float, list, tuple, torch.Tensor)) or \
            (isinstance(eps, torch.Tensor) and (eps.dtype == torch.bool or eps.is_complex())) or \
            (isinstance(eps, (list, tuple)) and any(isinstance(e, (bool, str)) for e in eps)):
        raise TypeError(f"{what} must be a number (e.g. 8/255) or one per image, got {checks._show(eps)}")
    try:
        values = torch.as_tensor(eps, dtype=torch.float64).detach().cpu().flatten()
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"{what} must be a number (e.g. 8/255) or one per image, got {checks._show(eps)}") from None
    if values.numel() not in (1, batch):
        raise ValueError(f"{what} must be one number or one per image ({batch}), got {values.numel()} values")
    shown = values.tolist() if values.numel() < 6 else values
    if torch.isnan(values).any() or torch.isinf(values).any() or (values < 0).any() or \
            (positive and (values == 0).any()):
        raise ValueError(f"{what} must be a finite number {'> 0' if positive else '>= 0'} "
                         f"(in [0, 1] image units, e.g. 8/255), got {shown}")
    if at_most is not None and (values > at_most).any():
        raise ValueError(f"{what} must be <= {at_most:g}, got {shown}: {EPS_UNITS.replace('eps', what, 1)}, "
                         f"so write {what}=8/255, not {what}=8")
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


def check_given_labels(labels, batch: int, model: nn.Module) -> torch.Tensor:
    """The true labels a measurement needs (None is refused: there is nothing to measure
    against), one class index per image, in range when the model names its classes."""
    if labels is None:
        raise TypeError("labels must be the true class of each image (a list or tensor of ints, one per "
                        "image), got None: a measurement needs the right answers")
    classes = len(getattr(model, "class_names", []) or []) or 2 ** 62
    return _class_indices(labels, batch, classes, "labels")


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


def check_model(model, what: str = "model") -> None:
    """A ``torch.nn.Module`` in eval mode (all of it: attacks never change a model's mode)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"{what} must be a torch.nn.Module, got {type(model).__name__}")
    checks.model(model, "the attack")               # names the layer in training mode, if one is
    if model.training:
        raise ValueError("the model is in training mode: call model.eval() first (attacks run in eval "
                         "mode, and vizlab never changes the model's mode for you)")
