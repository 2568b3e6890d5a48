"""Generators G: codes -> images, the "valid inputs" an inverse set is sampled from.

The contract is plain, so a user's own generator (an ImageNet GAN, a decoder) plugs in:

* ``G(codes)`` maps codes (B, D) to images (B, C, H, W) with values in [0, 1];
* ``G.box`` is the pair ``(low, high)`` of (D,) tensors bounding the codes (a box is needed:
  without one the diversity term is unbounded and the samples run away, METHODS.md section 10).

Built in: ``PixelGenerator`` (a sigmoid of free pixels, for the analytic slab and for models
without a generator), ``FourierGenerator`` (vizlab's Fourier image of lesson 06 with its
spectrum as the code) and ``ShapesGenerator`` (in ``shapes_renderer``: the dataset's own
drawing, made differentiable).

``CodeParam`` holds the codes the optimizer moves, in box-normalized units u in [0, 1]^D (so one
step size suits every generator), and is what ``vizlab.ascent.ascend`` optimizes: its
``forward()`` returns G(low + (high - low) u) and its ``project_()`` clips u back into the box.
G is kept out of its parameters, so the loop never changes G's weights.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.func import functional_call

from ..ascent.param import FourierImage, _hw


class _SymmetricBox(nn.Module):
    """A generator whose codes lie in the box [-bound, bound]^d (buffers, so they follow the device)."""

    def _box_of_size(self, d: int, bound: float) -> None:
        self.register_buffer("low", torch.full((d,), -float(bound)))
        self.register_buffer("high", torch.full((d,), float(bound)))

    @property
    def box(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.low, self.high


class PixelGenerator(_SymmetricBox):
    """images = sigmoid(codes), one code per pixel; codes in [-bound, bound] (pixels within
    sigmoid(-6) = 0.0025 of 0 and 1 by default). ``shape`` is (C, H, W) or an int size (3, s, s)."""

    def __init__(self, shape=64, *, bound: float = 6.0):
        super().__init__()
        self.shape = (3, *_hw(shape)) if isinstance(shape, int) else tuple(int(s) for s in shape)
        if len(self.shape) != 3 or min(self.shape) < 1:
            raise ValueError(f"PixelGenerator needs a size or a shape (C, H, W), got {shape!r}")
        d = self.shape[0] * self.shape[1] * self.shape[2]
        self._box_of_size(d, bound)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(codes.view(codes.shape[0], *self.shape))


class FourierGenerator(_SymmetricBox):
    """vizlab's ``FourierImage`` (lesson 06) as a generator: the code is its spectrum, flattened,
    in [-bound, bound]; the image is computed by ``FourierImage.forward`` itself."""

    def __init__(self, size=64, *, bound: float = 0.05):
        super().__init__()
        self.image = FourierImage(size, 1, std=0.0)
        self.spectrum_shape = tuple(self.image.spectrum.shape[1:])
        d = self.image.spectrum[0].numel()
        self._box_of_size(d, bound)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        spectrum = codes.view(codes.shape[0], *self.spectrum_shape)
        return functional_call(self.image, {"spectrum": spectrum}, ())


def generator_box(generator: nn.Module, box=None) -> tuple[torch.Tensor, torch.Tensor]:
    """The code box (low, high) of ``generator``: ``box`` if given, else ``generator.box``."""
    box = box if box is not None else getattr(generator, "box", None)
    if box is None:
        raise ValueError(f"the generator {type(generator).__name__} has no code box: give box=(low, high) "
                         f"(tensors of the code size), or a .box attribute; without a box the codes run away")
    low, high = (torch.as_tensor(b, dtype=torch.float32).flatten() for b in box)
    if low.shape != high.shape or not bool((low < high).all()):
        raise ValueError(f"the code box needs low < high elementwise and equal sizes, got "
                         f"{tuple(low.shape)} and {tuple(high.shape)}")
    return low, high


@torch.no_grad()
def check_generator(generator: nn.Module, low: torch.Tensor, high: torch.Tensor) -> tuple[int, ...]:
    """Render two codes (the box's corners) and check they are images in [0, 1]; return (C, H, W)."""
    codes = torch.stack([low, high])
    try:
        images = generator(codes)
    except Exception as error:
        raise ValueError(f"the generator failed on codes of shape {tuple(codes.shape)} (B, D) from its box: "
                         f"{error}") from error
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[0] != 2:
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"the generator must return images (B, C, H, W) for codes (B, D); got {shape}")
    if not bool(torch.isfinite(images).all()) or images.min() < 0 or images.max() > 1:
        raise ValueError(f"the generator must return images in [0, 1]; got values from {float(images.min()):.3g} "
                         f"to {float(images.max()):.3g} (end it with a sigmoid, or clamp)")
    return tuple(images.shape[1:])


class CodeParam(nn.Module):
    """The codes being optimized, in box units u in [0, 1]^D: ``forward()`` = G(low + (high-low) u).

    ``last_units`` / ``last_images`` are the units and images of the latest forward pass, so the
    sampler can keep exactly the images whose activations it checked. ``freeze_`` holds samples
    that reached the band where they are (the loop's ``project_`` puts them back after each step).
    """

    def __init__(self, generator: nn.Module, low: torch.Tensor, high: torch.Tensor, units: torch.Tensor):
        super().__init__()
        self._generator = (generator,)             # a tuple: not a submodule, its weights stay put
        self.register_buffer("low", low)
        self.register_buffer("high", high)
        self.units = nn.Parameter(units.clone())
        self.register_buffer("frozen", torch.zeros(units.shape[0], dtype=torch.bool))
        self.register_buffer("frozen_units", units.clone())
        self.last_units = self.last_images = None

    def codes(self, units: torch.Tensor | None = None) -> torch.Tensor:
        units = self.units if units is None else units
        return self.low + (self.high - self.low) * units

    def forward(self) -> torch.Tensor:
        codes = self.codes()
        images = self._generator[0](codes)
        self.last_units, self.last_images = self.units.detach().clone(), images
        return images

    @torch.no_grad()
    def freeze_(self, which: torch.Tensor) -> None:
        """Hold the codes ``which`` (K,) bool where the last forward pass had them."""
        which = which & ~self.frozen
        self.frozen_units[which] = self.last_units[which]
        self.frozen |= which

    @torch.no_grad()
    def project_(self) -> None:
        """Back into the box; frozen codes back where they were frozen."""
        self.units.clamp_(0, 1)
        self.units[self.frozen] = self.frozen_units[self.frozen]
