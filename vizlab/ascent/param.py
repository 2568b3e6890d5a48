"""How the image is represented: modules whose ``forward()`` returns images (B, 3, H, W) in [0, 1].

* ``PixelImage``: the pixels themselves. Plain gradient ascent on them finds high-frequency,
  adversarial-looking patterns; the loop clips them to [0, 1] after every step (a projected
  step, as in Yosinski et al. 2015 and Simonyan et al. 2013), and pixel operations such as
  blur act on them directly.
* ``FourierImage``: a spectrum scaled by 1/f, with decorrelated colour, through a sigmoid
  (Olah et al. 2017; Lucid ``param/spatial.py`` and ``color.py``). The same step moves low
  frequencies as much as high ones, which gives smoother, more natural-looking images.

Random starts come from an explicit ``torch.Generator`` so a seed reproduces a run.
"""
from __future__ import annotations

import torch
from torch import nn

from .. import checks
from ..images import as_batch

# Square root of ImageNet's colour covariance (Lucid, color.py): columns are roughly
# "brightness", "red-blue" and "green-magenta".
COLOR_CORRELATION_SVD_SQRT = torch.tensor([[0.26, 0.09, 0.02],
                                           [0.27, 0.00, -0.05],
                                           [0.27, -0.09, 0.03]])


def _generator(generator: torch.Generator | None) -> torch.Generator:
    return generator if generator is not None else torch.Generator().manual_seed(0)


def _hw(size) -> tuple[int, int]:
    return checks.size(size, "image size")


class PixelImage(nn.Module):
    """Images stored as pixels: grey (0.5) plus Gaussian noise of std ``noise`` (0.04 is
    Yosinski's N(0, 10^2) start on the 0-255 scale), at ``size`` (default 64).

    ``image`` starts from given images instead, exactly as they are (no noise): one image
    (3, H, W) copied to every slot, or ``batch`` of them (B, 3, H, W), finite and in [0, 1]
    (``load_image``'s rules: uint8 is divided by 255). ``size``, if given, must be theirs."""

    def __init__(self, size=None, batch: int = 1, *, noise: float = 0.04,
                 generator: torch.Generator | None = None, image: torch.Tensor | None = None):
        super().__init__()
        checks.integer(batch, "batch", minimum=1)
        checks.number(noise, "noise", minimum=0, hint=" (std of the start around grey; 0.04 is usual)")
        hw = None if size is None else _hw(size)
        if image is not None:
            image = as_batch(image)                  # finite, in [0, 1]; uint8 / 255, ...
            checks.start_images(image.shape, "the start image", size=hw, batch=batch)
            start = image.detach().float().expand(batch, *image.shape[-3:]).clone()
        else:
            start = 0.5 + noise * torch.randn(batch, 3, *(hw or (64, 64)), generator=_generator(generator))
        self.pixels = nn.Parameter(start.clamp(0, 1))

    def forward(self) -> torch.Tensor:
        return self.pixels

    @torch.no_grad()
    def project_(self) -> None:
        """Keep the pixels valid after a step: clip to [0, 1]."""
        self.pixels.clamp_(0, 1)


class FourierImage(nn.Module):
    """Images from a 1/f-scaled spectrum with decorrelated colour and a sigmoid.

    The spectrum (B, 3, H, W//2+1) has real and imaginary parts drawn from N(0, std^2); each
    frequency f is scaled by sqrt(HW) / max(f, 1/max(H, W))^decay_power, then
    image = sigmoid(C_norm . irfft2(spectrum) / 4). A zero spectrum gives uniform grey.
    """

    def __init__(self, size=64, batch: int = 1, *, std: float = 0.01, decay_power: float = 1.0,
                 generator: torch.Generator | None = None):
        super().__init__()
        checks.integer(batch, "batch", minimum=1)
        checks.number(std, "std", minimum=0)
        checks.number(decay_power, "decay_power", minimum=0)
        self.size = h, w = _hw(size)
        fy = torch.fft.fftfreq(h)[:, None]
        fx = torch.fft.rfftfreq(w)[None, :]
        frequency = (fx ** 2 + fy ** 2).sqrt()
        scale = frequency.clamp(min=1.0 / max(h, w)).pow(-decay_power) * (h * w) ** 0.5
        self.register_buffer("scale", scale)
        color = COLOR_CORRELATION_SVD_SQRT / COLOR_CORRELATION_SVD_SQRT.norm(dim=0).max()
        self.register_buffer("color", color)
        self.spectrum = nn.Parameter(std * torch.randn(batch, 3, h, w // 2 + 1, 2, generator=_generator(generator)))

    def forward(self) -> torch.Tensor:
        spectrum = torch.view_as_complex(self.spectrum) * self.scale
        image = torch.fft.irfft2(spectrum, s=self.size) / 4           # (B, 3, H, W), decorrelated
        image = torch.einsum("ij,bjhw->bihw", self.color, image)       # back to correlated RGB
        return torch.sigmoid(image)
