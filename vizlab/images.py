"""Images in and out: anything a student has becomes a (3, H, W) tensor in [0, 1], and back.

``load_image`` accepts a path, a PIL image, a numpy array or a tensor; RGB, RGBA (alpha is
dropped) or grayscale (repeated to 3 channels); uint8 in 0..255 or floats in [0, 1]; any size
(resized to ``size`` if given). ``to_numpy`` turns an image tensor into an (H, W, 3) array for
display, and ``image_grid`` tiles a batch.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

SAMPLES = ("grace_hopper",)


def sample_image(name: str = "grace_hopper", *, size: int | None = None) -> torch.Tensor:
    """A built-in photo (it ships inside matplotlib, so it works offline)."""
    if name not in SAMPLES:
        raise ValueError(f"Unknown sample image {name!r}; available: {', '.join(SAMPLES)}")
    from matplotlib import cbook

    with cbook.get_sample_data(f"{name}.jpg") as file:
        return load_image(file, size=size)


def load_image(source, *, size: int | tuple[int, int] | None = None) -> torch.Tensor:
    """``source`` as a float tensor (3, H, W) in [0, 1]; ``size`` (int or (H, W)) resizes it."""
    image = _to_tensor(source)
    if size is not None:
        hw = (size, size) if isinstance(size, int) else tuple(size)
        if len(hw) != 2 or min(hw) < 1:
            raise ValueError(f"size must be an int or (height, width) of positive ints, got {size!r}")
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
        elif source.dtype.kind not in "fb":
            raise TypeError(f"numpy images must be uint8 (0..255) or float (0..1), got dtype {source.dtype}")
        array = torch.from_numpy(np.ascontiguousarray(source, dtype=np.float32))
        return _channels_first(array, channels_last=True)
    if isinstance(source, torch.Tensor):
        if source.dtype == torch.uint8:
            source = source.float() / 255
        elif not source.is_floating_point():
            raise TypeError(f"image tensors must be float (0..1) or uint8 (0..255), got {source.dtype}")
        return _channels_first(source.detach().float(), channels_last=False)
    raise TypeError(f"Cannot make an image from {type(source).__name__}: pass a file path, a PIL image, "
                    f"a numpy array (H, W[, C]) or a tensor ([C,] H, W)")


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
    if not torch.isfinite(image).all():
        raise ValueError("The image contains NaN or infinite values")
    low, high = image.min().item(), image.max().item()
    if low < 0 or high > 1:
        raise ValueError(f"Float images must lie in [0, 1]; this one spans [{low:.3g}, {high:.3g}]. "
                         f"Divide 0..255 data by 255, or pass it as uint8")
    if image.shape[0] == 4:
        image = image[:3]  # drop alpha
    if image.shape[0] == 1:
        image = image.expand(3, -1, -1)
    return image.contiguous()


def as_batch(images) -> torch.Tensor:
    """A (B, 3, H, W) batch from one image, a list of images, or a batch tensor."""
    if isinstance(images, torch.Tensor) and images.dim() == 4:
        if images.shape[1] != 3:
            raise ValueError(f"A batch must have shape (B, 3, H, W); got {tuple(images.shape)}")
        if not torch.isfinite(images).all():
            raise ValueError("The images contain NaN or infinite values")
        return images
    if isinstance(images, (list, tuple)):
        if not images:
            raise ValueError("Got an empty list of images")
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
        raise ValueError(f"Expected an image of shape (3, H, W) or (1, H, W); got {tuple(image.shape)}")
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
        raise ValueError(f"image_grid needs a batch (B, C, H, W); got shape {tuple(images.shape)}")
    b, c, h, w = images.shape
    cols = max(1, min(nrow, b))
    rows = -(-b // cols)
    grid = torch.full((c, rows * (h + padding) + padding, cols * (w + padding) + padding), pad_value,
                      dtype=images.dtype)
    for k in range(b):
        top, left = padding + (k // cols) * (h + padding), padding + (k % cols) * (w + padding)
        grid[:, top:top + h, left:left + w] = images[k]
    return grid
