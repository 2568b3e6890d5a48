"""DeepDream (Mordvintsev, Olah & Tyka 2015), the original algorithm of ``google/deepdream``'s
``dream.ipynb``, on vizlab's one loop (``vizlab.ascent.ascend``):

* objective L = 1/2 ||a_l(x)||^2, so the gradient that flows back from the layer (the backward
  "seed") *is* the activation a_l ("set the gradients equal to the activations"): the loop
  starts backpropagation there with a_l itself;
* step x <- x + step_size * g / mean|g| (``NormalizedStep``), then clip to [0, 1];
* before each forward pass the image is rolled by a random (dy, dx) in -jitter..jitter, and
  the step is rolled back: ``roll`` as a transform does exactly that, since the gradient of a
  rolled image is the rolled-back gradient;
* octaves: base_0 = the image, base_o = base_0 resized to round(H / scale^o); from the smallest
  up, x = base_o + upsample(detail), run ``steps`` steps, detail = x - base_o. One difference
  from the notebook: vizlab clips x = base_o + upsample(detail) to [0, 1] at each octave's start
  (a ``PixelImage`` holds valid images only), where the notebook clips only after each step; so
  an octave after the first starts from the clipped image, and differs from the notebook's
  run whenever the upsampled detail leaves [0, 1] somewhere (with no such pixel they are equal).

``dream`` streams the frames of every octave, in order, as ``DreamFrame``s. ``guide=`` dreams
toward a guide image instead (the notebook's ``objective_guide``: each position's gradient is
the guide feature vector it matches best).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Callable, Iterator

import torch
from torch import nn
from torch.nn import functional as F

from . import checks
from .ascent.loop import Frame, ascend
from .ascent.objectives import Objective
from .ascent.param import PixelImage
from .ascent.steps import UpdateRule
from .inversion.invert import check_images, check_strengths, local_generator
from .probe import _device, capture, get_layer

STEP_SIZE = 1.5 / 255          # the original 1.5 on 0..255 pixels
OCTAVE_SCALE = 1.4
EPS = 1e-12


def dream_energy(layer: str) -> Objective:
    """1/2 ||a||^2 per image, with its gradient written out as the seed: the activation itself
    ("set the gradients equal to the activations"). The loop backpropagates that seed from the
    layer, as the original does, and computes the energy only for the frames it shows."""
    def score(acts):
        a = acts[layer].flatten(1)
        return (a * a).sum(1) * 0.5

    def seed(acts):
        return {layer: acts[layer].detach()}
    return Objective(score, [layer], f"dream({layer})", seed=seed)


def guided_energy(layer: str, guide_features: torch.Tensor) -> Objective:
    """sum over positions i of max over guide positions j of <a_i, g_j>: the gradient at position i
    is the guide feature g_j that a_i matches best (``objective_guide`` of dream.ipynb).
    ``guide_features`` is the guide image's activation (C, H', W') at ``layer``."""
    guide = guide_features.detach().flatten(1)                       # (C, M)

    def score(acts):
        act = acts[layer]
        if act.dim() != 4 or act.shape[1] != guide.shape[0]:
            raise ValueError(f"guided dreaming needs a (B, C, H, W) layer with the guide's {guide.shape[0]} "
                             f"channels; layer {layer!r} gives {tuple(act.shape)}")
        dots = torch.einsum("bcn,cm->bnm", act.flatten(2), guide.to(act))
        return dots.max(2).values.sum(1)
    return Objective(score, [layer], f"guided_dream({layer})")


class NormalizedStep(UpdateRule):
    """p <- p - lr * grad / mean|grad|, the mean taken per image (dim 0): every step moves each
    image by exactly ``lr`` in mean absolute value. (The loop hands it minus the score's
    gradient, so this is DeepDream's ascent step.)"""

    def __init__(self, params, lr: float):
        super().__init__(params)
        self.lr = lr

    def update(self, p, grad):
        scale = grad.abs().mean(dim=tuple(range(1, p.dim())), keepdim=True).clamp_min_(EPS)
        p.addcdiv_(grad, scale, value=-self.lr)


def normalized_step(lr: float = STEP_SIZE) -> Callable:
    return lambda params: NormalizedStep(params, lr)


def roll(pixels: int):
    """Transform: roll the images by a random (dy, dx), each in -pixels..pixels, wrapping around."""
    def transform(images, generator):
        if pixels <= 0:
            return images
        dy, dx = torch.randint(-pixels, pixels + 1, (2,), generator=generator).tolist()
        return torch.roll(images, (dy, dx), (-2, -1))
    transform.__name__ = f"roll({pixels})"
    return transform


def octave_sizes(height: int, width: int, octaves: int, scale: float = OCTAVE_SCALE) -> list[tuple[int, int]]:
    """Size of octave o = 0 .. octaves-1: (round(H / scale^o), round(W / scale^o)), largest first."""
    return [(round(height / scale ** o), round(width / scale ** o)) for o in range(octaves)]


def minimum_input_size(model: nn.Module, layer: str, *, largest: int = 1024) -> int:
    """The smallest square input for which the forward pass reaches ``layer`` (found by trying)."""
    def works(size):
        try:
            capture(model, torch.full((1, 3, size, size), 0.5, device=_device(model)), layer)
            return True
        except (RuntimeError, ValueError):              # too small: torch's error, or vizlab's own check
            return False
    low, high = 0, 1
    while not works(high):
        low, high = high, high * 2
        if high > largest:
            raise ValueError(f"layer {layer!r} cannot be reached with inputs up to {largest} px")
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if works(middle) else (middle, high)
    return high


@dataclass
class DreamFrame(Frame):
    """A loop frame plus where in the pyramid it is: octave ``octave`` of ``octaves`` (0 = the
    smallest, run first); ``step`` and ``steps`` count over all octaves."""
    octave: int = 0
    octaves: int = 1


def dream(model: nn.Module, image: torch.Tensor, layer: str, *, octaves: int = 4, steps: int = 10,
          step_size: float = STEP_SIZE, jitter: int | None = None, octave_scale: float = OCTAVE_SCALE,
          guide: torch.Tensor | None = None, normalize: bool = True, seed: int | None = 0, every: int = 1,
          stop: Callable[[], bool] | None = None) -> Iterator[DreamFrame]:
    """Frames of DeepDream on ``image`` ((3, H, W) or (N, 3, H, W) in [0, 1]) at ``layer``.

    ``jitter`` defaults to min(H, W) // 8 (32 px at 256). ``normalize=False`` takes plain
    gradient steps x + step_size * g instead (to see what the normalization is for). Raises ``ValueError`` before anything
    runs for a bad layer, image, strength, or a pyramid whose smallest level is too small for
    the model to reach ``layer``.
    """
    checks.model(model, "dream")                   # before anything: a train-mode model is no size problem
    get_layer(model, layer)
    images = check_images(image)
    checks.image_fits(model, images.shape[-2:], "an image")
    check_strengths(octaves=octaves, steps=steps, step_size=step_size, octave_scale=octave_scale, every=every)
    if octave_scale <= 1 and octaves > 1:
        raise ValueError(f"octaves must be an int >= 1 and octave_scale > 1, got {octaves!r}, {octave_scale!r}")
    jitter = max(1, min(images.shape[-2:]) // 8) if jitter is None else jitter
    check_strengths(jitter=jitter)
    seed = checks.seed(seed)
    checks.callable_or_none(stop, "stop", "called with no arguments, True to stop")
    if not isinstance(normalize, bool):
        raise TypeError(f"normalize must be True (normalized steps) or False (plain gradient steps), "
                        f"got {checks._show(normalize)}")
    sizes = octave_sizes(*images.shape[-2:], octaves, octave_scale)
    if min(min(s) for s in sizes) < 1:
        raise ValueError(f"octave_scale={octave_scale:g} over {octaves} octaves shrinks the "
                         f"{images.shape[-2]}x{images.shape[-1]} image below 1 px: the smallest level is "
                         f"min(H, W) / octave_scale ** (octaves - 1); use fewer octaves or a smaller "
                         f"octave_scale (1.4 is the usual)")
    objective = dream_energy(layer) if guide is None else guided_energy(layer, _guide_features(model, guide, layer))
    device = _device(model)
    optimizer = normalized_step(step_size) if normalize else (lambda p: torch.optim.SGD(p, lr=step_size))
    base0 = images.to(device)
    generator = local_generator(seed)
    detail = torch.zeros_like(base0[..., :sizes[-1][0], :sizes[-1][1]])
    shown = None
    for index, size in enumerate(reversed(sizes)):             # smallest octave first
        if shown is not None and stop is not None and stop():  # between octaves: keep the last frame
            yield replace(shown, status="stopped", message=f"stopped by request at step {index * steps} "
                                                           f"(octave {index + 1} of {octaves})")
            return
        base = resize(base0, size)
        param = PixelImage(image=(base + resize(detail, size)).clamp(0, 1), batch=base.shape[0])
        last = index == octaves - 1
        # Only the last octave scores its result: the next octave's step 0 shows every other one.
        frames = ascend(model, objective, param=param, steps=steps, every=every, redirect_steps=0,
                        optimizer=optimizer, transforms=[roll(jitter)], generator=generator,
                        stop=stop if shown is None else _after_first_poll(stop), final_frame=last)
        if index == 0:
            frames = _checking_the_pyramid(frames, model, layer, sizes, octave_scale)
        for frame in frames:
            shown = _dream_frame(frame, index, octaves, steps)
            yield shown
            if frame.status in ("stopped", "nan"):
                return
        detail = param.pixels.detach() - base


def _after_first_poll(stop):
    """``stop`` that answers False to its first poll: the octave's step 0, which ``dream`` has
    just polled itself (so the octave always shows its first frame before it can stop)."""
    polls = itertools.count()
    return None if stop is None else (lambda: next(polls) > 0 and stop())


def resize(images: torch.Tensor, size) -> torch.Tensor:
    """Bilinear resize (align_corners=False, so octaves stay aligned); identity at the same size."""
    if tuple(images.shape[-2:]) == tuple(size):
        return images
    return F.interpolate(images, size=tuple(size), mode="bilinear", align_corners=False)


def _dream_frame(frame: Frame, index: int, octaves: int, steps: int) -> DreamFrame:
    status, message = frame.status, frame.message
    if status == "done":                                       # only the last octave ends with "done"
        message = f"done: {octaves} octaves x {steps} steps"
    elif status == "stopped":
        message = f"stopped by request at step {index * steps + frame.step} (octave {index + 1} of {octaves})"
    return DreamFrame(index * steps + frame.step, octaves * steps, frame.images, frame.score, frame.scores,
                      frame.terms, status, message, octave=index, octaves=octaves)


def _checking_the_pyramid(frames, model, layer, sizes, octave_scale) -> Iterator[Frame]:
    """The smallest octave's ``frames``, whose first forward pass is the pyramid check: when it
    fails because ``layer`` needs a larger input than the smallest level, the error says so and
    how to fix it. (No pass of its own is spent on the check: it was 1% of a dream.)"""
    try:
        first = next(frames)
    except (RuntimeError, ValueError):                 # torch's error, or vizlab's own check
        problem = _pyramid_problem(model, layer, sizes, octave_scale)
        if problem is None:                            # the pyramid is fine: a different error
            raise
        raise ValueError(problem) from None
    yield first
    yield from frames


def _pyramid_problem(model, layer, sizes, octave_scale) -> str | None:
    """What is wrong with an octave pyramid too small to reach ``layer``; None if it is not."""
    smallest = min(min(s) for s in sizes)
    try:
        capture(model, torch.full((1, 3, *sizes[-1]), 0.5, device=_device(model)), layer)
        return None
    except (RuntimeError, ValueError):                  # too small: torch's error, or vizlab's own check
        pass
    need = minimum_input_size(model, layer)
    return (f"the octave pyramid's smallest level is {smallest} px, but layer {layer!r} needs inputs "
            f"of at least {need} px: use fewer octaves, a smaller octave_scale than {octave_scale}, "
            f"or a larger image")


def _guide_features(model, guide, layer) -> torch.Tensor:
    guide = check_images(guide)
    if guide.shape[0] != 1:
        raise ValueError(f"guide must be one image (3, H, W), got a batch of {guide.shape[0]}")
    return capture(model, guide, layer)[layer][0]


__all__ = ["DreamFrame", "NormalizedStep", "dream", "dream_energy", "guided_energy", "minimum_input_size",
           "normalized_step", "octave_sizes", "resize", "roll"]
