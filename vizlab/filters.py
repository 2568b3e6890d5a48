"""First-layer filters: the only weights that can be shown directly as pictures.

A first convolution's kernels have 3 input channels, so each one is a tiny RGB image. How
they are scaled for display matters: one *symmetric* scale for all filters (0 maps to grey,
``max |W|`` to black or white) keeps their relative strength visible; per-filter min-max
scaling makes a dead, near-zero filter look as strong as a real one.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def first_conv(model: nn.Module) -> tuple[str, nn.Conv2d]:
    """The name and module of the first ``Conv2d`` that reads the 3 colour channels."""
    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d) and module.in_channels == 3:
            return name, module
    raise ValueError(f"{type(model).__name__} has no Conv2d layer with 3 input channels, so there are no "
                     f"first-layer filters to show as RGB pictures; pass a CNN such as load_model('shapenet')")


def filters_for_display(weight: torch.Tensor, *, scaling: str = "symmetric") -> torch.Tensor:
    """Kernels (K, 3, k, k) mapped to [0, 1] for display.

    ``"symmetric"``: w / (2 max|W|) + 0.5, one scale for all filters, zero is grey.
    ``"per_filter"``: each filter stretched to its own [min, max].
    """
    weight = weight.detach().float().cpu()
    if weight.dim() != 4 or weight.shape[1] != 3:
        raise ValueError(f"Expected kernels of shape (K, 3, k, k); got {tuple(weight.shape)}")
    if scaling == "symmetric":
        return weight / (2 * weight.abs().max().clamp_min(1e-12)) + 0.5
    if scaling == "per_filter":
        low = weight.amin(dim=(1, 2, 3), keepdim=True)
        high = weight.amax(dim=(1, 2, 3), keepdim=True)
        return (weight - low) / (high - low).clamp_min(1e-12)
    raise ValueError(f"scaling must be 'symmetric' or 'per_filter', got {scaling!r}")


def low_frequency_share(weight: torch.Tensor, *, cutoff: int = 2) -> torch.Tensor:
    """Per filter, the share of its energy at low spatial frequencies: (K,) in [0, 1].

    For each kernel (3, k, k): subtract its mean, take the 2-D DFT of each colour plane, sum the
    power |F|^2 over colours, and return the share of the power at frequencies with
    |f_y| <= ``cutoff`` and |f_x| <= ``cutoff`` (in cycles per kernel). A smooth edge or colour
    blob scores above 0.9; white noise scores about (2 cutoff + 1)^2 / k^2 (0.51 for 7x7).
    """
    weight = weight.detach().double().cpu()
    if weight.dim() != 4:
        raise ValueError(f"Expected kernels of shape (K, C, k, k); got {tuple(weight.shape)}")
    centred = weight - weight.mean(dim=(1, 2, 3), keepdim=True)
    power = torch.fft.fft2(centred).abs().square().sum(1)                 # (K, k, k)
    fy = torch.fft.fftfreq(weight.shape[2], d=1 / weight.shape[2]).abs()  # integer frequencies
    fx = torch.fft.fftfreq(weight.shape[3], d=1 / weight.shape[3]).abs()
    low = (fy[:, None] <= cutoff) & (fx[None, :] <= cutoff)
    return (power * low).sum((1, 2)) / power.sum((1, 2)).clamp_min(1e-30)


def orientation_selectivity(weight: torch.Tensor) -> torch.Tensor:
    """Per filter, how strongly its energy sits at one orientation: (K,) in [0, 1].

    For each kernel (3, k, k): subtract its mean, take the power spectrum |F|^2 of each colour
    plane (2-D DFT) and sum it over colours. Each frequency (f_y, f_x) has an orientation
    theta = atan2(f_y, f_x); its angle is doubled, because f and -f carry the same power and the
    same orientation. The selectivity is the length of the power-weighted mean of e^(2 i theta),
    that is 1 - the circular variance: 1 when all energy lies along one orientation, 0 when it is
    spread evenly over orientations. The zero frequency of each colour plane (a uniform colour)
    has no orientation: it counts toward the total energy, not toward any direction. So a round
    or uniform colour blob scores 0, a single grating 1, a 7x7 Gabor of two cycles 0.85 or more
    at any orientation, and white noise little (a median of about 0.1 over 7x7 kernels).
    """
    weight = weight.detach().double().cpu()
    if weight.dim() != 4:
        raise ValueError(f"Expected kernels of shape (K, C, k, k); got {tuple(weight.shape)}")
    centred = weight - weight.mean(dim=(1, 2, 3), keepdim=True)
    power = torch.fft.fft2(centred).abs().square().sum(1)                 # (K, k, k)
    fy = torch.fft.fftfreq(weight.shape[2], d=1 / weight.shape[2], dtype=torch.float64)  # signed, cycles
    fx = torch.fft.fftfreq(weight.shape[3], d=1 / weight.shape[3], dtype=torch.float64)  # per kernel
    doubled = 2 * torch.atan2(fy[:, None], fx[None, :])
    direction = torch.polar(torch.ones_like(doubled), doubled)
    direction[0, 0] = 0                                                   # the uniform colour: no orientation
    return (power * direction).sum((1, 2)).abs() / power.sum((1, 2)).clamp_min(1e-30)


def impulse_response(conv: nn.Conv2d) -> torch.Tensor:
    """What each filter outputs for a single bright pixel, per colour: (K, 3, k, k).

    The filter is slid over an image that is zero except one centred pixel in one colour
    channel, at every position (stride 1) and without bias. Convolution layers compute a
    cross-correlation, so the response is the kernel rotated by 180 degrees.
    """
    k = conv.kernel_size[0]
    size = 2 * k - 1
    deltas = torch.zeros(3, 3, size, size, device=conv.weight.device)
    for c in range(3):
        deltas[c, c, size // 2, size // 2] = 1.0
    with torch.no_grad():
        out = F.conv2d(deltas, conv.weight, padding=k // 2, dilation=conv.dilation)  # (3 colours, K, size, size)
    centre = slice(size // 2 - k // 2, size // 2 - k // 2 + k)
    return out[:, :, centre, centre].permute(1, 0, 2, 3)
