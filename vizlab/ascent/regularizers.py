"""Regularizers: what keeps gradient ascent from producing high-frequency noise.

Two kinds, each switched on by putting it in the loop's ``regularizers`` list:

* **Penalties** are differentiable terms subtracted from the score: the loop maximizes
  ``objective - sum(weight * penalty)``. ``l2`` (Simonyan et al. 2013), ``l1``, and
  ``total_variation`` (Mahendran & Vedaldi 2015).
* **Pixel operations** change the pixels after each step, as Yosinski et al. 2015 do
  (``x <- r(x + lr * grad)``): ``decay``, ``blur`` every k steps, ``clip_pixel_norm``,
  ``clip_contribution``, Erhan et al. 2009's ``project_to_sphere``, and ``project_to_ball``,
  which keeps the image within eps of a start image. They need a ``PixelImage``; they make
  the score non-monotone, which is expected.

Pixel-space penalties are measured from grey (``center=0.5``), the mean image in [0, 1]
space, as Simonyan and Yosinski decay the mean-subtracted image.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch.nn import functional as F

from .. import checks
from ..images import as_batch


@dataclass
class Penalty:
    """``weight * fn(images)``, fn giving one value per image (B,), is subtracted from the score."""
    name: str
    weight: float
    fn: Callable[[torch.Tensor], torch.Tensor]

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        return self.fn(images)


@dataclass
class PixelOp:
    """``fn(pixels, grad, step)`` edits the pixels in place after optimizer step ``step``.

    ``needs_sgd``: why the operation is only right after plain gradient steps ("" if any
    optimizer will do); ``ascend`` then refuses any other optimizer with that reason."""
    name: str
    fn: Callable[[torch.Tensor, torch.Tensor, int], None]
    needs_sgd: str = ""

    def __call__(self, pixels: torch.Tensor, grad: torch.Tensor, step: int) -> None:
        self.fn(pixels, grad, step)


def l2(weight: float, *, center: float = 0.5) -> Penalty:
    """sum (x - center)^2 per image."""
    _weight(weight, "l2")
    return Penalty("l2", weight, lambda x: (x - center).pow(2).flatten(1).sum(1))


def l1(weight: float, *, center: float = 0.5) -> Penalty:
    """sum |x - center| per image: pushes most pixels to exactly grey."""
    _weight(weight, "l1")
    return Penalty("l1", weight, lambda x: (x - center).abs().flatten(1).sum(1))


def total_variation(weight: float, *, beta: float = 2.0) -> Penalty:
    """sum over pixels of ((x[i,j+1]-x[i,j])^2 + (x[i+1,j]-x[i,j])^2)^(beta/2).
    beta=2 avoids the 'spike' artefacts of beta=1 (Mahendran & Vedaldi 2015)."""
    _weight(weight, "total_variation")
    checks.number(beta, "total_variation beta", positive=True)
    def fn(x):
        dx = x[..., :-1, 1:] - x[..., :-1, :-1]
        dy = x[..., 1:, :-1] - x[..., :-1, :-1]
        squared = dx.pow(2) + dy.pow(2)
        return (squared if beta == 2 else (squared + 1e-10).pow(beta / 2)).flatten(1).sum(1)
    return Penalty("tv", weight, fn)


def _weight(weight, name: str) -> None:
    checks.number(weight, f"{name} weight", minimum=0, hint=" (how strongly the penalty counts; 0 turns it off)")


def decay(theta: float, *, center: float = 0.5) -> PixelOp:
    """x <- center + (1 - theta)(x - center): L2 decay as an operation (Yosinski's theta_decay)."""
    checks.number(theta, "decay theta", minimum=0, maximum=1, hint=" (the share pulled back to grey per step)")
    def fn(x, grad, step):
        x.sub_(center).mul_(1 - theta).add_(center)
    return PixelOp("decay", fn)


def gaussian_kernel(sigma: float) -> torch.Tensor:
    """A normalized 1-D Gaussian of std ``sigma`` reaching out to 3 sigma."""
    radius = max(1, int(3 * sigma + 0.5))
    t = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-t ** 2 / (2 * sigma ** 2))
    return kernel / kernel.sum()


def gaussian_blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of (B, C, H, W) images, reflecting at the borders."""
    kernel = gaussian_kernel(sigma).to(images)
    r, c = kernel.numel() // 2, images.shape[1]
    out = F.pad(images, (r, r, r, r), mode="replicate")
    out = F.conv2d(out, kernel.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(out, kernel.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def blur(sigma: float, *, every: int = 4) -> PixelOp:
    """Blur with a Gaussian of std ``sigma`` pixels every ``every`` steps (Yosinski: sigma 0.5-1,
    every 4; values in (0, 0.3] 'work poorly')."""
    checks.number(sigma, "blur sigma", minimum=0, hint=" (in pixels; 0.5-1 is usual)")
    checks.integer(every, "blur every", minimum=1)
    def fn(x, grad, step):
        if sigma > 0 and (step + 1) % every == 0:
            x.copy_(gaussian_blur(x, sigma))
    return PixelOp("blur", fn)


def _below_percentile(values: torch.Tensor, percentile: float) -> torch.Tensor:
    """Mask (B, 1, H, W) of the pixels whose value (B, H, W) is below the per-image percentile."""
    threshold = torch.quantile(values.flatten(1), percentile / 100, dim=1)
    return (values < threshold[:, None, None])[:, None]


def clip_pixel_norm(percentile: float, *, center: float = 0.5) -> PixelOp:
    """Set to grey the pixels whose colour norm ||x - center|| is below the percentile (Yosinski)."""
    checks.number(percentile, "clip_pixel_norm percentile", minimum=0, maximum=100)
    def fn(x, grad, step):
        x.masked_fill_(_below_percentile((x - center).norm(dim=1), percentile), center)
    return PixelOp("clip_pixel_norm", fn)


def clip_contribution(percentile: float, *, center: float = 0.5) -> PixelOp:
    """Set to grey the pixels whose contribution |sum_channels (x - center) * grad| (a linear
    estimate of what the pixel adds to the score) is below the percentile (Yosinski)."""
    checks.number(percentile, "clip_contribution percentile", minimum=0, maximum=100)
    def fn(x, grad, step):
        contribution = ((x - center) * grad).sum(1).abs()
        x.masked_fill_(_below_percentile(contribution, percentile), center)
    return PixelOp("clip_contribution", fn)


def project_to_sphere(radius: float, *, center: float = 0.5) -> PixelOp:
    """x <- center + radius (x - center) / ||x - center|| per image: maximization on a sphere
    (Erhan et al. 2009). The optimum of a linear unit w.x + b is then center + radius w/||w||,
    which projected *gradient* steps reach: use it with ``torch.optim.SGD``. Adam divides each
    pixel's step by that pixel's own gradient size, so it walks towards sign(w) instead (cosine
    0.79 with the optimum for a ShapeNet conv1 unit); ``ascend`` refuses that combination."""
    def fn(x, grad, step):
        offset = x - center
        norms = offset.flatten(1).norm(dim=1).clamp(min=1e-12).view(-1, 1, 1, 1)
        x.copy_(center + radius * offset / norms)
    return PixelOp("sphere", fn, needs_sgd="Adam and other adaptive optimizers rescale each pixel's step, "
                                          "so the projection converges to the sign of the gradient, not "
                                          "to the closed-form optimum")


BALL_NORMS = ("linf", "l2")


def project_to_ball(eps: float, *, around, norm: str = "linf") -> PixelOp:
    """x <- around + P(x - around): the image stays within distance ``eps`` of ``around``.

    ``around``: the start images, one (3, H, W) or one per image (B, 3, H, W), in [0, 1].
    ``norm="linf"`` clamps every pixel's change to [-eps, eps]; ``"l2"`` shrinks the whole
    change of each image to length eps when it is longer. The loop then clips to [0, 1], which
    moves no pixel away from ``around`` (itself in [0, 1]), so the image stays in the ball."""
    checks.number(eps, "project_to_ball eps", positive=True,
                  hint=" (the largest change allowed, in [0, 1] pixel units; e.g. 8/255)")
    checks.choice(norm, "project_to_ball norm", BALL_NORMS)
    center = as_batch(around).detach().clone()
    def fn(x, grad, step):
        if center.shape[0] not in (1, x.shape[0]) or center.shape[-2:] != x.shape[-2:]:
            raise ValueError(f"project_to_ball: around is {tuple(center.shape)} but the images are "
                             f"{tuple(x.shape)}; give one image of their size or one per image")
        start = center.to(x)
        if norm == "linf":
            x.clamp_(min=start - eps, max=start + eps)       # pixels inside keep their exact values
        else:
            change = x - start
            length = change.flatten(1).norm(dim=1).view(-1, 1, 1, 1)
            x.copy_(torch.where(length > eps, start + change * (eps / length.clamp(min=1e-12)), x))
    return PixelOp(f"ball ({norm}, eps {eps:g})", fn)
