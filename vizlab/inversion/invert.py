"""Inverting a representation: find an image whose features at ``layer`` match an image's.

    for frame in invert(model, image, "conv3", restarts=2):
        show(frame.images)          # the reconstructions forming; frame.terms["feature_error"]

It is vizlab's one loop (``vizlab.ascent.ascend``) with three parts of its own: the objective
``feature_match`` (minus the normalized feature error), a pixel image started from noise of
the dataset's typical norm B, and the optimizer ``ScheduledAdam``: Adam on the paper's
piecewise-constant schedule (the step drops by 10 twice).

Why Adam and not the paper's momentum: the data term is divided by each image's ||Phi_0||^2,
so its curvature is J^T J / ||Phi_0||^2. One fixed momentum step is then stable only for a
range of ||Phi_0|| and of layer gains: on ShapeNet a triangle's conv4 ||Phi_0||^2 is 100x a
stripe's smaller, and the step that converges on the stripe makes the triangle's error grow
(23 -> 218). Adam divides each pixel's step by the running RMS of its own gradient, so
multiplying one image's objective by any constant leaves its steps unchanged: the run is
the same whatever ||Phi_0|| and whatever the layer's gain, and ``lr`` is a distance in
pixel values (display units), the same for every image size. ``PaperMomentum`` (the
paper's rule, deep-goggle's step) stays available through ``optimizer=``.

Two image priors (``prior=``), so that what a layer keeps can be told from what a prior adds:

* ``"mv"`` (the default), Mahendran & Vedaldi's: pixels started from noise of norm B, the
  alpha-norm and TV penalties, ``ScheduledAdam``. It fills whatever the features leave free
  with smooth, low-contrast colour near the mean.
* ``"fourier"``, feature inversion as Lucid/Lucent do it: a ``FourierImage`` (1/f spectrum,
  decorrelated colour), every step's image shifted by up to one pixel each way (``pad(1)``
  then ``jitter(2)``), no penalty, Adam at ``lr``. It fills the same freedom with
  high-contrast texture. (Jitter of 2 px or more kept conv2's feature error above 0.2.)

Per-layer TV strength (``tv_for_layer``) follows the paper's schedule in shape: weak for the
first third of the layers, stronger for the middle third, strongest for the last third (the paper
uses lambda_V = 1, 10, 100 on CaffeNet's 20 layers; the values here are re-tuned on the shapes).
"""
from __future__ import annotations

from typing import Callable, Iterator

import torch
from torch import nn

from .. import checks
from ..ascent.loop import Frame, adam, ascend
from ..ascent.param import FourierImage, PixelImage
from ..ascent.transforms import jitter, pad
from ..ascent.steps import UpdateRule
from ..images import as_batch
from ..probe import capture, get_layer, layer_names
from .terms import ImageStats, alpha_penalty, feature_error, feature_match, shapes_statistics, tv_penalty

# lambda_TV for the early, middle and late third of the layers. deep-goggle's lambda_V / 2 is
# (0.5, 5, 50) on CaffeNet; re-tuned on the shapes: weak early (their noisy backgrounds would
# otherwise be erased), strong late (where the features leave most of the image free).
TV_BY_THIRD = (0.02, 0.2, 1.0)
ALPHA_WEIGHT = 1e-4                 # lambda_alpha, re-tuned for N_alpha measured in units of B
ALPHA, BETA = 6.0, 2.0
PRIORS = ("mv", "fourier")


def schedule(t: int, steps: int) -> float:
    """The paper's step factor at step t of ``steps``: 1 for the first quarter, 1/10 for the
    next half, 1/100 for the last quarter (its 100/200/100 of 400)."""
    return 1.0 if t < steps // 4 else 0.1 if t < 3 * steps // 4 else 0.01


class ScheduledAdam(UpdateRule):
    """Adam (Kingma & Ba; betas 0.9, 0.999, eps 1e-8, bias-corrected) with step lr_t = lr *
    ``schedule(t, steps)``. Each element's step is at most about lr_t whatever the scale of
    its gradient: an image's run does not depend on its ||Phi_0|| nor on the layer's gain."""

    def __init__(self, params, lr: float, steps: int, betas=(0.9, 0.999), eps: float = 1e-8):
        super().__init__(params)
        self.lr, self.steps, self.t = lr, max(int(steps), 1), 0
        self.beta1, self.beta2, self.eps = betas[0], betas[1], eps
        self.moments = {p: (torch.zeros_like(p), torch.zeros_like(p)) for p in self.params}

    def step(self) -> None:
        super().step()
        self.t += 1

    def update(self, p, grad):
        first, second = self.moments[p]
        first.lerp_(grad, 1 - self.beta1)
        second.mul_(self.beta2).addcmul_(grad, grad, value=1 - self.beta2)
        t = self.t + 1
        denominator = (second / (1 - self.beta2 ** t)).sqrt_().add_(self.eps)
        p.addcdiv_(first, denominator, value=-self.lr * schedule(self.t, self.steps) / (1 - self.beta1 ** t))


def scheduled_adam(lr: float, steps: int) -> Callable:
    """Optimizer factory for the loop: ``ScheduledAdam`` with step ``lr`` in pixel values."""
    return lambda params: ScheduledAdam(params, lr, steps)


class PaperMomentum(UpdateRule):
    """v <- momentum v - lr_t grad;  x <- x + v (Mahendran & Vedaldi; deep-goggle ``invert_nn.m``).

    lr_t = lr for the first quarter of ``steps``, lr/10 for the next half, lr/100 for the last
    quarter (the paper's 100/200/100 of 400); the velocity is reset to 0 when lr_t changes.
    """

    def __init__(self, params, lr: float, steps: int, momentum: float = 0.9):
        super().__init__(params)
        self.lr, self.momentum = lr, momentum
        self.steps, self.t = max(int(steps), 1), 0
        self.velocity = {p: torch.zeros_like(p) for p in self.params}

    def factor(self, t: int) -> float:
        return schedule(t, self.steps)

    def step(self) -> None:
        if self.t > 0 and self.factor(self.t) != self.factor(self.t - 1):
            for v in self.velocity.values():
                v.zero_()
        super().step()
        self.t += 1

    def update(self, p, grad):
        v = self.velocity[p]
        v.mul_(self.momentum).add_(grad, alpha=-self.lr * self.factor(self.t))
        p.add_(v)


def paper_momentum(lr: float, steps: int, momentum: float = 0.9) -> Callable:
    """Optimizer factory for the loop: ``PaperMomentum`` with a step ``lr`` in display units
    (deep-goggle's lr 0.004 in y = x / B_total coordinates is 0.004 * B^2 * 3HW here). Its
    stable step depends on the image's ||Phi_0|| and the layer: see the module's docstring."""
    return lambda params: PaperMomentum(params, lr, steps, momentum)


def tv_for_layer(model: nn.Module, layer: str) -> float:
    """lambda_TV for ``layer``: ``TV_BY_THIRD`` = 0.02, 0.2 or 1.0 by which third of the model's
    layers it is in. The paper's schedule in shape (lambda_V / 2 = 0.5, 5, 50 on CaffeNet, a
    10x step per third); the values are re-tuned on the shapes, not the paper's."""
    get_layer(model, layer)
    names = layer_names(model)
    leaves = [n for n in names if not any(dict(model.named_modules())[n].children())] or names
    position = leaves.index(layer) if layer in leaves else names.index(layer) * len(leaves) // len(names)
    return TV_BY_THIRD[min(3 * position // len(leaves), 2)]


def invert(model: nn.Module, images: torch.Tensor, layer: str, *, restarts: int = 1, steps: int = 200,
           tv: float | None = None, alpha_weight: float = ALPHA_WEIGHT, alpha: float = ALPHA,
           beta: float = BETA, lr: float = 0.05, start_noise: float = 1.0, stats: ImageStats | None = None,
           seed: int | None = 0, prior: str = "mv",
           every: int = 10, optimizer: Callable | None = None,
           stop: Callable[[], bool] | None = None) -> Iterator[Frame]:
    """Frames of the reconstruction of ``images`` ((3, H, W) or (N, 3, H, W) in [0, 1]) from
    their features at ``layer``; the batch holds ``restarts`` starts per image, image-major
    (image 0's restarts first). ``frame.terms["feature_error"]`` is the mean feature error.

    ``lr`` is the first step of ``ScheduledAdam`` in pixel values (it falls to lr/10 and
    lr/100); with the default 0.05 and 200 steps the feature error falls on every image, at
    every layer of ShapeNet, to <= 0.1 (tested on 64 held-out shapes, 8 per class). A given
    ``optimizer`` (e.g. ``paper_momentum``) replaces it and ``lr`` is then unused. ``tv`` defaults
    to ``tv_for_layer``; ``stats`` (mean colour and B) to the shapes dataset's. ``prior="fourier"``
    inverts with a Fourier image and jitter instead (module docstring): ``tv``, ``alpha_weight``,
    ``start_noise`` and ``stats`` are then unused, ``lr`` is plain Adam's step.
    Bad arguments raise ``ValueError`` or ``TypeError`` before anything runs (the model checked
    first: eval mode, the layer); the model is left unchanged. uint8 images are divided by 255,
    float16/float64 images converted to float32. ``seed=None`` draws a fresh seed from a local
    generator: the global random state is never touched.
    """
    checks.model(model, "invert")
    get_layer(model, layer)
    images = check_images(images)
    check_strengths(restarts=restarts, steps=steps, alpha_weight=alpha_weight, alpha=alpha, beta=beta, lr=lr,
                    start_noise=start_noise, every=every)
    seed = checks.seed(seed)
    checks.callable_or_none(stop, "stop", "called with no arguments, True to stop")
    checks.choice(prior, "prior", PRIORS, hint=" (Mahendran & Vedaldi's pixels and penalties, or Lucid's Fourier image and jitter)")
    tv = tv_for_layer(model, layer) if tv is None else tv
    check_strengths(tv=tv)
    stats = stats or shapes_statistics()
    target = capture(model, images, layer)[layer].repeat_interleave(restarts, 0)
    generator = local_generator(seed)
    n, _, h, w = images.shape
    objective = feature_match(layer, target)
    if prior == "fourier":
        param = FourierImage((h, w), n * restarts, generator=generator)
        regularizers, transforms, default_optimizer = [], [pad(1), jitter(2)], adam(lr)
    else:
        start = stats.mean.view(1, 3, 1, 1) + start_noise * stats.scale * torch.randn(n * restarts, 3, h, w,
                                                                                      generator=generator)
        param = PixelImage(image=start.clamp(0, 1), batch=n * restarts)     # ascend moves it to the device
        # The penalties read the mean colour at every step, so it waits beside the features, on the
        # model's device: a copy there per step would make the host wait for a GPU at every step.
        near = ImageStats(stats.mean.to(target.device), stats.scale)
        regularizers = [p for p in (alpha_penalty(alpha_weight, near, alpha), tv_penalty(tv, near, beta))
                        if p.weight > 0]
        transforms, default_optimizer = [], scheduled_adam(lr, steps)
    for frame in ascend(model, objective, param=param, steps=steps, every=every, regularizers=regularizers,
                        transforms=transforms, optimizer=optimizer or default_optimizer, redirect_steps=0,
                        generator=generator, stop=stop):
        frame.terms["feature_error"] = -frame.terms["objective"]
        yield frame


def check_images(images) -> torch.Tensor:
    """(3, H, W) or (N, 3, H, W) finite values in [0, 1], or a list of same-size images
    -> (N, 3, H, W) float32. uint8 is divided by 255 and other floats converted to float32
    (``vizlab.as_batch``'s conversions); bool, integer and complex tensors are refused."""
    if isinstance(images, (list, tuple)):
        images = as_batch(images)
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"images must be a tensor (3, H, W) or (N, 3, H, W) in [0, 1], not {type(images).__name__}; "
                        f"use vizlab.load_image for files and PIL images")
    if images.dim() == 3:
        images = images[None]
    if images.dim() != 4 or images.shape[1] != 3 or images.shape[0] < 1:
        raise ValueError(f"images must have shape (3, H, W) or (N, 3, H, W), got {tuple(images.shape)}")
    return as_batch(images.detach()).float()


COUNTS = {"restarts", "steps", "octaves", "every"}          # whole numbers >= 1
PIXELS = {"jitter"}                                          # whole numbers of pixels >= 0 (0: none)
POSITIVE = {"alpha", "beta", "lr", "octave_scale", "step_size"}
UNITS = {"start_noise": " (the start's noise, in units of the images' spread B; 0: the mean colour)"}


def check_strengths(**values) -> None:
    """Counts (restarts, steps, octaves, every) are ints >= 1, jitter an int >= 0, exponents and
    rates finite and > 0, weights finite and >= 0 (0 switches a term off); bool is no number."""
    for name, value in values.items():
        if name in COUNTS:
            checks.integer(value, name, minimum=1)
        elif name in PIXELS:
            checks.integer(value, name, minimum=0, hint=" (pixels of random shift; 0: none)")
        elif name in POSITIVE:
            checks.number(value, name, positive=True)
        else:
            checks.number(value, name, minimum=0, hint=UNITS.get(name, " (0 switches it off)"))


def local_generator(seed: int | None) -> torch.Generator:
    """A generator of its own, seeded with ``seed`` or, for None, freshly from the OS (the global
    generator is neither read nor reseeded: ``torch.seed()`` would do both)."""
    generator = torch.Generator()
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    return generator


def final(frames: Iterator[Frame]) -> Frame:
    """The last frame of a run (drains the generator)."""
    frame = None
    for frame in frames:
        pass
    return frame


__all__ = ["ScheduledAdam", "scheduled_adam", "schedule", "PaperMomentum", "paper_momentum", "tv_for_layer", "invert",
           "check_images", "check_strengths", "local_generator",
           "final", "feature_error"]
