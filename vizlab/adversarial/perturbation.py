"""How an attack is represented and stepped inside ``vizlab.ascend``.

* ``Perturbation``: a parameterization holding the adversarial images themselves; its
  ``project_()`` (called by the loop after every step) puts ``delta = adversarial - images``
  back into the eps-ball (L-inf: clamp to [-eps, eps]; L2: shrink to length eps) and then
  ``images + delta`` into [0, 1]. Clipping to [0, 1] moves no coordinate away from the
  original image, so after both projections the image is inside the ball *and* valid (for L2
  this is the usual ball-then-box order, not the Euclidean projection onto their
  intersection). These are torchattacks' operations in its order, so the two agree to the bit
  given the same gradients.
* ``sign_step(alpha)``: delta <- delta + alpha * sign(grad): the L-inf steepest step
  (FGSM, BIM, PGD). ``l2_step(alpha)``: delta <- delta + alpha * grad / ||grad||_2 per image.
  Both use only the gradient's direction, so an image whose gradient is exactly 0 does not move.

``eps`` is one number, or one per image (B,): the minimal-eps search bisects all images at once.
"""
from __future__ import annotations

import torch
from torch import nn

from ..ascent.steps import UpdateRule
from ..probe import without_grad

NORMS = ("linf", "l2")


def _per_image(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """(B,) -> (B, 1, 1, 1), to broadcast over images."""
    return values.view(-1, *([1] * (like.dim() - 1)))


def l2_norms(delta: torch.Tensor) -> torch.Tensor:
    """||delta_b||_2 per image (B,)."""
    return delta.flatten(1).norm(dim=1)


class Perturbation(nn.Module):
    """Adversarial images = images + delta: delta in the ``norm`` ball of radius ``eps``, images + delta in [0, 1].

    ``random_start``: delta starts uniform in the L-inf ball (Madry et al. 2018), or for L2 at a
    uniformly random direction with a length uniform in [0, eps] (as torchattacks does);
    otherwise at 0. Randomness comes from ``generator``.
    """

    def __init__(self, images: torch.Tensor, eps, *, norm: str = "linf", random_start: bool = False,
                 generator: torch.Generator | None = None):
        super().__init__()
        if norm not in NORMS:
            raise ValueError(f"unknown norm {norm!r}; choose 'linf' or 'l2'")
        self.norm = norm
        images = images.detach()
        self.register_buffer("images", images.clone())
        eps = torch.as_tensor(eps, dtype=images.dtype).to(images.device).expand(images.shape[0]).clone()
        self.register_buffer("eps", eps)
        self.adversarial = nn.Parameter(images.clone())
        if random_start:
            without_grad(self.adversarial.add_, self._random_start(generator))
            self.project_()

    def _random_start(self, generator) -> torch.Tensor:
        shape, eps = self.images.shape, _per_image(self.eps, self.images)
        uniform = torch.rand(shape, generator=generator).to(self.images)
        if self.norm == "linf":
            return (2 * uniform - 1) * eps
        direction = torch.randn(shape, generator=generator).to(self.images)
        direction = direction / _per_image(l2_norms(direction).clamp(min=1e-12), direction)
        radius = torch.rand(shape[0], generator=generator).to(self.images)
        return direction * _per_image(radius, direction) * eps

    def forward(self) -> torch.Tensor:
        return self.adversarial

    @torch.no_grad()
    def project_(self) -> None:
        """Back into the eps-ball around ``images``, then into [0, 1]."""
        delta, eps = self.adversarial - self.images, _per_image(self.eps, self.images)
        if self.norm == "linf":
            delta.clamp_(-eps, eps)
        else:
            length = _per_image(l2_norms(delta), delta)
            delta.mul_(torch.where(length > eps, eps / length.clamp(min=1e-30), torch.ones_like(length)))
        torch.add(self.images, delta, out=self.adversarial).clamp_(0, 1)   # written in place: no copy


class _DirectionStep(UpdateRule):
    """Moves each parameter by ``-alpha * direction(grad)`` (the loop hands it -grad of the score)."""

    def __init__(self, params, alpha, direction):
        super().__init__(params)
        if isinstance(alpha, torch.Tensor):       # one step size per image, cast once to the images' dtype
            alpha = _per_image(alpha.to(self.params[0]), self.params[0])
        self.alpha, self.direction = alpha, direction

    def update(self, p, grad):
        if isinstance(self.alpha, torch.Tensor):
            p.addcmul_(self.direction(grad), self.alpha, value=-1)
        else:
            p.add_(self.direction(grad), alpha=-self.alpha)


def _sign(grad: torch.Tensor) -> torch.Tensor:
    return grad.sign()


def _l2_direction(grad: torch.Tensor) -> torch.Tensor:
    return grad / _per_image(l2_norms(grad).clamp(min=1e-30), grad)


def sign_step(alpha) -> callable:
    """Optimizer factory for ``ascend``: x <- x + alpha * sign(grad of the score)."""
    return lambda params: _DirectionStep(params, alpha, _sign)


def l2_step(alpha) -> callable:
    """Optimizer factory for ``ascend``: x <- x + alpha * grad / ||grad||_2, per image."""
    return lambda params: _DirectionStep(params, alpha, _l2_direction)


def step_for(norm: str):
    """The steepest-ascent step of a norm: ``sign_step`` for L-inf, ``l2_step`` for L2."""
    if norm not in NORMS:
        raise ValueError(f"unknown norm {norm!r}; choose 'linf' or 'l2'")
    return sign_step if norm == "linf" else l2_step
