"""What several explorers show the same way: a placeholder picture, the default images, the
layers to choose from, and a score curve."""
from __future__ import annotations

from collections.abc import Mapping

import torch

from .. import checks
from ..data.shapes import CLASSES, make_shapes
from ..images import load_image, sample_image
from ..probe import list_layers
from .render import image_png

GREY_PNG_PX = 64


def grey_png(px: int = GREY_PNG_PX) -> bytes:
    """A neutral grey square: what a preview shows before its first frame (never a broken icon)."""
    return image_png(torch.full((3, px, px), 0.5))


def default_images(size: int) -> dict[str, torch.Tensor]:
    """Six embedded shapes (seed 1, not seen in training) and the built-in photo."""
    shapes = make_shapes(6, size=size, seed=1)
    names = [f"shape {i}: {CLASSES[int(k)]}" for i, k in enumerate(shapes.labels)]
    images = dict(zip(names, shapes.images))
    images["photo (Grace Hopper)"] = sample_image(size=size)
    return images


def chosen_images(images, *, size: int | None, resize: bool) -> dict[str, torch.Tensor]:
    """The images an explorer offers: ``None`` means ``default_images(size)`` (refused when
    ``size`` is None: that explorer has no default); otherwise a non-empty dict name -> image,
    each through ``load_image`` (checked; uint8 divided by 255), resized to ``size`` if ``resize``."""
    allowed = ("a non-empty dict {name: image}, an image being a (3, H, W) tensor in [0, 1], a path, "
               "a PIL image or an array" + (", or None for the built-in shapes and photo" if size else ""))
    if images is None and size:
        return default_images(size)
    if not isinstance(images, Mapping):
        raise TypeError(f"images must be {allowed}; got {checks._show(images)}")
    if not images:
        raise ValueError(f"images must be {allowed}; got an empty dict: give at least one image")
    loaded = {}
    for name, image in images.items():
        if not isinstance(name, str):
            raise TypeError(f"images must be {allowed}: each name a str (shown in the menu), got {checks._show(name)}")
        try:
            loaded[name] = load_image(image, size=size if resize else None)
        except (TypeError, ValueError) as error:
            raise type(error)(f"images[{name!r}]: {error}") from None
    return loaded


def conv_layers(model: torch.nn.Module) -> list[str]:
    """Layers whose output is a (C, H, W) map larger than 1x1 (dropout aside): the choices for Grad-CAM."""
    return [info.name for info in list_layers(model) if info.output_shape and len(info.output_shape) == 3
            and info.output_shape[1] > 1 and info.kind != "Dropout"]


def score_curve_svg(scores: list[float], steps: int, *, width: int = 260, height: int = 120,
                    label: str = "score") -> str:
    """A tiny inline SVG line of the score per frame (no plotting library: cheap every frame)."""
    if not scores:
        return ""
    low, high = min(scores), max(scores)
    span = (high - low) or 1.0
    n = max(len(scores) - 1, 1)
    points = " ".join(f"{4 + (width - 8) * i / n:.1f},{height - 14 - (height - 24) * (s - low) / span:.1f}"
                      for i, s in enumerate(scores))
    return (f"<svg width='{width}' height='{height}' style='border:1px solid #ccc'>"
            f"<polyline fill='none' stroke='#1f77b4' stroke-width='2' points='{points}'/>"
            f"<text x='4' y='{height - 2}' font-size='10'>{label} {low:.2f} .. {high:.2f}</text></svg>")
