"""Images in and out: anything a student has becomes a (3, H, W) tensor in [0, 1], and back.

``load_image`` accepts a path, a PIL image, a numpy array or a tensor; RGB, RGBA (alpha is
dropped) or grayscale (repeated to 3 channels); uint8 in 0..255 or floats in [0, 1]; any size
(resized to ``size`` if given). ``as_batch`` applies the same rules to a batch (B, 3, H, W).

Conversions, the same for one image and a batch: uint8 is divided by 255 (to float32). One image
becomes float32; a float batch keeps its dtype (the attribution methods then convert it to the
model's dtype, so a float64 batch works with a float64 model). Refused with the fix named: bool (a mask, not an image), other
integer types (cast 0..255 data to uint8), complex, NaN/Inf, floats outside [0, 1]. ``to_numpy`` turns an image tensor into an (H, W, 3) array for
display, and ``image_grid`` tiles a batch.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from . import checks

SAMPLES = ("grace_hopper",)


def sample_image(name: str = "grace_hopper", *, size: int | None = None) -> torch.Tensor:
    """A built-in photo (it ships inside matplotlib, so it works offline)."""
    if name not in SAMPLES:
        raise ValueError(f"Unknown sample image {name!r}; available: {', '.join(map(repr, SAMPLES))}")
    from matplotlib import cbook

    with cbook.get_sample_data(f"{name}.jpg") as file:
        return load_image(file, size=size)


def load_image(source, *, size: int | tuple[int, int] | None = None) -> torch.Tensor:
    """``source`` as a float tensor (3, H, W) in [0, 1]; ``size`` (int or (H, W)) resizes it."""
    hw = None if size is None else checks.size(size, "size", hint=" (or None to keep the image's size)")
    image = _to_tensor(source)
    if hw is not None:
        image = torch.nn.functional.interpolate(image[None], size=hw, mode="bilinear",
                                                antialias=True, align_corners=False)[0].clamp(0, 1)
    return image


def _to_tensor(source) -> torch.Tensor:
    from PIL import Image

    if isinstance(source, (str, Path)) or hasattr(source, "read"):
        try:
            source = Image.open(source)
            source.load()
        except FileNotFoundError:
            raise FileNotFoundError(f"No image file at {source!s}") from None
        except OSError as error:
            raise ValueError(f"Could not read an image from {source!s}: {error}") from None
    if isinstance(source, Image.Image):
        source = np.asarray(source.convert("RGBA" if "A" in source.getbands() else "RGB"))
    if isinstance(source, np.ndarray):
        if source.dtype == np.uint8:
            source = source.astype(np.float32) / 255
        elif source.dtype.kind != "f":
            _refuse_dtype(str(source.dtype), "numpy images")
        array = torch.from_numpy(np.ascontiguousarray(source, dtype=np.float32))
        return _channels_first(array, channels_last=True)
    if isinstance(source, torch.Tensor):
        return _channels_first(_float_tensor(source.detach(), "image tensors").float(), channels_last=False)
    raise TypeError(f"Cannot make an image from {type(source).__name__}: pass a file path, a PIL image, "
                    f"a numpy array (H, W[, C]) or a tensor ([C,] H, W)")


def _float_tensor(images: torch.Tensor, what: str) -> torch.Tensor:
    """uint8 / 255 (float32), floats as they are; bool, integer and complex refused with the fix."""
    if images.dtype == torch.uint8:
        return images.float() / 255
    if not images.is_floating_point():
        _refuse_dtype(str(images.dtype), what)
    return images


def _refuse_dtype(dtype: str, what: str) -> None:
    if "bool" in dtype:
        fix = "a bool array is a mask, not an image; if you mean 0 = black, 1 = white, pass mask.float()"
    elif "complex" in dtype:
        fix = "take .real or .abs() and scale it to [0, 1] first"
    else:
        fix = "cast 0..255 data to uint8 (it is then divided by 255), or divide by 255 to get floats"
    raise TypeError(f"{what} must be uint8 (0..255) or float (0..1), got dtype {dtype}: {fix}")


def _check_range(images: torch.Tensor, what: str) -> None:
    """NaN, Inf and values outside [0, 1] refused, with one pass over the data (``aminmax``)."""
    low, high = torch.stack(torch.aminmax(images.detach())).tolist()
    if low != low or high != high or math.isinf(low) or math.isinf(high):
        raise ValueError(f"{what} contain NaN or infinite values; images must be finite, in [0, 1]. "
                         f"Replace them (e.g. torch.nan_to_num(x).clamp(0, 1)) or fix where they came from")
    if low < 0 or high > 1:
        raise ValueError(f"{what} must lie in [0, 1]; these span [{low:.3g}, {high:.3g}]. "
                         f"Divide 0..255 data by 255 (or pass it as uint8); undo a normalization "
                         f"with x * std + mean (vizlab models normalize inside)")


def _channels_first(image: torch.Tensor, *, channels_last: bool) -> torch.Tensor:
    """(H, W), (H, W, C) or (C, H, W) with C in {1, 3, 4} -> (3, H, W), checked."""
    shape = tuple(image.shape)
    if image.dim() == 4 and image.shape[0] == 1:
        image = image[0]
    if image.dim() == 2:
        image = image[None]
    elif image.dim() == 3 and channels_last:
        image = image.permute(2, 0, 1)
    if image.dim() != 3 or image.shape[0] not in (1, 3, 4) or min(image.shape[1:]) < 1:
        layout = "(H, W), (H, W, C)" if channels_last else "(H, W), (C, H, W) or (1, C, H, W)"
        raise ValueError(f"An image must have shape {layout} with C = 1, 3 or 4 channels; got {shape}")
    _check_range(image, "Images")
    if image.shape[0] == 4:
        image = image[:3]  # drop alpha
    if image.shape[0] == 1:
        image = image.expand(3, -1, -1)
    return image.contiguous()


def as_batch(images) -> torch.Tensor:
    """A (B, 3, H, W) float batch in [0, 1] from one image, a list of images, or a batch tensor.

    A batch tensor gets ``load_image``'s checks and conversions (module docstring); a float32
    batch in [0, 1] comes back as it is (no copy).
    """
    if isinstance(images, torch.Tensor) and images.dim() == 4:
        if images.shape[0] < 1 or images.shape[1] != 3 or min(images.shape[2:]) < 1:
            raise ValueError(f"A batch must have shape (B, 3, H, W) with B >= 1 images of 3 colour channels "
                             f"and H, W >= 1; got {tuple(images.shape)}")
        images = _float_tensor(images, "image batches")
        _check_range(images, "Images")
        return images
    if isinstance(images, (list, tuple)):
        if not images:
            raise ValueError("Got an empty list of images; pass at least one image (a path, PIL image, array or tensor)")
        loaded = [load_image(i) for i in images]
        if len({tuple(i.shape) for i in loaded}) > 1:
            raise ValueError(f"Images in a batch must share one size; got {sorted({tuple(i.shape) for i in loaded})}. "
                             f"Pass size= to load_image to resize them")
        return torch.stack(loaded)
    return load_image(images)[None]


def to_numpy(image: torch.Tensor) -> np.ndarray:
    """A (3, H, W) or (1, 3, H, W) tensor in [0, 1] as an (H, W, 3) float array, for display."""
    image = image.detach().cpu().float()
    if image.dim() == 4 and image.shape[0] == 1:
        image = image[0]
    if image.dim() == 2:
        image = image[None]
    if image.dim() != 3 or image.shape[0] not in (1, 3):
        raise ValueError(f"Expected an image of shape (3, H, W) or (1, H, W); got {tuple(image.shape)}. "
                         f"For a batch pass one image (images[0]) or tile them with image_grid(images)")
    return image.expand(3, -1, -1).permute(1, 2, 0).clamp(0, 1).numpy()


def to_pil(image: torch.Tensor, *, scale: int = 1):
    """A PIL image (uint8), enlarged ``scale`` times with nearest neighbour (pixels stay sharp)."""
    from PIL import Image

    array = (to_numpy(image) * 255).round().astype(np.uint8)
    picture = Image.fromarray(array)
    if scale != 1:
        picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    return picture


def image_grid(images, *, nrow: int = 8, padding: int = 1, pad_value: float = 1.0) -> torch.Tensor:
    """Tile a batch (B, C, H, W) into one (C, H', W') image, ``nrow`` images per row."""
    images = torch.as_tensor(images)
    if images.dim() != 4:
        raise ValueError(f"image_grid needs a batch (B, C, H, W); got shape {tuple(images.shape)}. "
                         f"Stack single images with torch.stack([...]) first")
    b, c, h, w = images.shape
    cols = max(1, min(nrow, b))
    rows = -(-b // cols)
    grid = torch.full((c, rows * (h + padding) + padding, cols * (w + padding) + padding), pad_value,
                      dtype=images.dtype)
    for k in range(b):
        top, left = padding + (k // cols) * (h + padding), padding + (k % cols) * (w + padding)
        grid[:, top:top + h, left:left + w] = images[k]
    return grid
