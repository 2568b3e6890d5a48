"""The terms of Mahendran & Vedaldi's objective (CVPR 2015, "Understanding deep image
representations by inverting them"):

    E(x) = ||Phi(x) - Phi_0||^2 / ||Phi_0||^2  +  lambda_alpha N_alpha(x)  +  lambda_TV TV_beta(x)

* ``feature_match(layer, target)``: the data term, as an objective to *maximize* (its negation),
  so inversion runs on vizlab's one loop like every other method.
* ``alpha_norm`` and ``tv_norm``: the regularizers, divided by a typical image scale B measured
  on the embedded dataset (``ImageStats``), and averaged over pixels rather than summed. With
  beta = 2 the TV term is then exactly deep-goggle's ``sum TV(x) / B_total^2`` (B_total = B
  sqrt(3HW)), and the lambdas mean the same thing at every image size (METHODS.md section 7).

B is per element: the RMS of ``x - mean colour`` over the dataset's images (about 0.27 for
ImageNet photos on [0, 1]; measured here on the shapes).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import torch
from torch.nn import functional as F

from ..ascent.objectives import Objective
from ..ascent.regularizers import Penalty

TV_FLOOR = 1e-10     # squared differences are floored here: the beta < 2 gradient is singular at 0
PIXELS = (-3, -2, -1)   # the dimensions of one image (C, H, W): terms are reduced over them, per image


@dataclass(frozen=True)
class ImageStats:
    """``mean``: the mean colour (3,); ``scale``: B, the typical RMS deviation of a pixel value
    from it. Both in [0, 1] display units."""
    mean: torch.Tensor
    scale: float

    def centre(self, images: torch.Tensor) -> torch.Tensor:
        """``images - mean`` for (B, 3, H, W) images."""
        return images - self.mean.to(images).view(1, 3, 1, 1)


def image_statistics(images: torch.Tensor) -> ImageStats:
    """Mean colour and B = mean over images of RMS(x - mean colour) of a batch (N, 3, H, W)."""
    if images.dim() != 4 or images.shape[1] != 3 or images.shape[0] < 1:
        raise ValueError(f"image_statistics needs a batch (N, 3, H, W), got shape {tuple(images.shape)}")
    mean = images.mean((0, 2, 3))
    rms = (images - mean.view(1, 3, 1, 1)).pow(2).flatten(1).mean(1).sqrt()
    return ImageStats(mean.detach().cpu(), float(rms.mean()))


@lru_cache(maxsize=1)
def shapes_statistics() -> ImageStats:
    """``image_statistics`` of 256 images of the embedded shapes dataset (seed 0, 64 px)."""
    from ..data.shapes import make_shapes
    return image_statistics(make_shapes(256, size=64, seed=0).images)


def feature_error(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """||Phi(x) - Phi_0||^2 / ||Phi_0||^2 per image (B,)."""
    diff = (features - target).flatten(1).pow(2).sum(1)
    return diff / target.flatten(1).pow(2).sum(1).clamp_min(1e-12)


def feature_match(layer: str, target: torch.Tensor) -> Objective:
    """Score = minus the normalized feature error at ``layer`` against ``target`` (B, ...):
    maximizing it reconstructs an image whose features match."""
    target = target.detach()
    minus_inverse_norm = -1 / target.flatten(1).pow(2).sum(1).clamp_min(1e-12)   # once, not every step

    def score(acts):
        act = acts[layer]
        if act.shape != target.shape:
            raise ValueError(f"layer {layer!r} gives shape {tuple(act.shape)} but the target features have "
                             f"{tuple(target.shape)}: invert images of the size the target came from")
        squared_error = (act - target.to(act)).pow(2).flatten(1).sum(1)
        return squared_error * minus_inverse_norm.to(act)            # = -feature_error(act, target)
    return Objective(score, [layer], f"feature_match({layer})")


def alpha_norm(images: torch.Tensor, stats: ImageStats, alpha: float = 6.0) -> torch.Tensor:
    """N_alpha = mean over elements of |(x - mean) / B|^alpha, per image (B,). Gradient
    alpha sign(z)|z|^(alpha-1) / B: correct for odd alpha too (``x.^(alpha-1)`` is not)."""
    z = stats.centre(images) / stats.scale
    magnitude = z if alpha % 2 == 0 else z.abs()      # an even power needs no abs (one op less per step)
    return magnitude.pow(alpha).mean(PIXELS)


def tv_norm(images: torch.Tensor, stats: ImageStats, beta: float = 2.0) -> torch.Tensor:
    """TV_beta = mean over (c, i, j) of (((x[i,j+1]-x[i,j])^2 + (x[i+1,j]-x[i,j])^2) / B^2)^(beta/2),
    per image (B,). The last row and column use a replicated border (difference 0), as
    deep-goggle does; squared differences are floored at 1e-10 so that beta < 2 stays finite."""
    dx, dy = images.diff(dim=-1), images.diff(dim=-2)
    if beta == 2:          # the sum splits into the two directions: no border to pad, no floor
        squares = dx.pow(2).sum(PIXELS) + dy.pow(2).sum(PIXELS)
        return squares / (stats.scale ** 2 * images[0].numel())
    squared = (F.pad(dx, (0, 1)).pow(2) + F.pad(dy, (0, 0, 0, 1)).pow(2)) / stats.scale ** 2
    return squared.clamp_min(TV_FLOOR).pow(beta / 2).mean(PIXELS)


def alpha_penalty(weight: float, stats: ImageStats, alpha: float = 6.0) -> Penalty:
    return Penalty("alpha_norm", weight, lambda x: alpha_norm(x, stats, alpha))


def tv_penalty(weight: float, stats: ImageStats, beta: float = 2.0) -> Penalty:
    return Penalty("tv", weight, lambda x: tv_norm(x, stats, beta))
