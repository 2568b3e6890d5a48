"""The one optimization loop of vizlab: gradient ascent on an input, yielding frames to watch.

    frames = ascend(model, channel("conv3", 5), steps=128, every=16, seed=0)
    for frame in frames:          # a notebook drains it, a widget watches it, the CLI saves it
        show(frame.images)

Each step: images = param() in [0, 1]; random transforms; a forward pass that stops at the
deepest layer the objective reads; total = objective - sum(weight * penalty), per image; one
optimizer step on the parameterization (the model's weights never change); then the pixel
operations. The optimizer minimizes, so it gets the gradient of ``total`` negated: the only
place a sign is flipped, by backpropagating a seed of -1 per image (or minus the objective's own
seed, when it has one: DeepDream's). While the redirected ReLU rule is on, autograd runs on the
score itself, as that rule expects, and the gradient is negated.

Guarantees, each tested:
* the probe's hooks are on only while the loop takes the steps between two frames, and answer
  only the loop's own forward passes there (not another thread's, not a pass that a transform
  or objective makes itself); none is on while a frame is out, or after the end, a ``break``,
  an exception or a stop; the model is left as it was found;
* the same seed gives the same images (all randomness comes from one ``torch.Generator``);
* everything runs on the model's device;
* a NaN or Inf score ends the run with a message, keeping the last good frame;
* ``stop()`` is checked before every step, so a stop takes effect within one step.

Later methods (inversion, DeepDream, adversarial examples, inverse-set sampling) reuse it with
their own objective, parameterization, optimizer and pixel operations.
"""
from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial
from typing import Callable, Iterator, Sequence

import torch
from torch import nn

from .. import checks
from ..probe import Probe, _device
from ..relu_rules import relu_rules
from .objectives import Objective
from .param import FourierImage, PixelImage
from .regularizers import Penalty, PixelOp
from .transforms import Transform


@dataclass
class Frame:
    """What the loop shows every ``every`` steps.

    ``images`` (B, 3, H, W) in [0, 1] on the CPU; ``score`` the objective's mean over the batch
    and ``scores`` per image (measured on the transformed images of that step); ``terms`` the
    mean value of each term (``"objective"``, then each penalty before weighting); ``status``
    is ``"running"``, ``"done"``, ``"stopped"`` or ``"nan"``, with ``message`` saying why.
    """
    step: int
    steps: int
    images: torch.Tensor
    score: float
    scores: list[float]
    terms: dict[str, float] = field(default_factory=dict)
    status: str = "running"
    message: str = ""


def adam(lr: float = 0.05) -> Callable:
    """Optimizer factory: Adam with step size ``lr`` (Lucid's default 0.05)."""
    checks.number(lr, "lr", positive=True, hint=" (a step size; 0.05 is the default)")
    return lambda params: torch.optim.Adam(params, lr=lr)


def prepare_optimizers() -> None:
    """Build and drop one torch optimizer. The first one a process builds makes torch import its
    compiler (``torch._dynamo`` and sympy: about 2 s and 150 MB, once per process). An explorer
    that optimizes calls this when it is made, so that its first slice is as short as the others
    instead of holding Stop, its sliders and the page for those 2 s; a lesson that never
    optimizes never pays it."""
    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.0)


def make_param(kind: str, size, batch: int = 1, *, generator: torch.Generator | None = None,
               start: torch.Tensor | None = None) -> nn.Module:
    """``"pixels"`` or ``"fourier"`` (see ``vizlab.ascent.param``). ``start``: images to begin
    from instead of noise (pixels only; ``size`` None takes theirs)."""
    kinds = {"pixels": PixelImage, "fourier": FourierImage}
    if not isinstance(kind, str) or kind not in kinds:
        raise ValueError(f"unknown parameterization {kind!r}; choose one of {', '.join(kinds)}")
    if start is None:
        return kinds[kind](size, batch, generator=generator)
    if kind != "pixels":
        raise ValueError(f"a start image needs param='pixels' (got {kind!r}): the pixels are then the "
                         f"image itself; a Fourier image always starts from noise")
    return PixelImage(size, batch, image=start)


def ascend(model: nn.Module, objective: Objective, *, param: nn.Module | str = "fourier",
           size=None, batch: int = 1, steps: int = 128, every: int = 16,
           optimizer: Callable | None = None, transforms: Sequence[Transform] = (),
           regularizers: Sequence[Penalty | PixelOp] = (), start: torch.Tensor | None = None,
           seed: int | None = 0,
           generator: torch.Generator | None = None, redirect_steps: int = 16,
           stop: Callable[[], bool] | None = None, final_frame: bool = True) -> Iterator[Frame]:
    """Maximize ``objective`` over images; yield a ``Frame`` at step 0, every ``every`` steps
    and at the end.

    ``param`` is a module returning images in [0, 1], or ``"pixels"`` / ``"fourier"`` built at
    ``size`` (default: the model's ``input_size``) for ``batch`` images. ``optimizer`` maps the
    parameters to a torch optimizer or an ``UpdateRule`` (``vizlab.ascent.steps``): anything
    whose ``step()`` moves them from their ``.grad`` (default ``adam(0.05)``).
    ``start``: with ``param="pixels"``, the images (1 or ``batch`` of them, (B, 3, H, W) in
    [0, 1]) to begin from instead of noise; ``size`` None then means their size.
    ``redirect_steps``: how many first steps use the redirected ReLU gradient (0 for the true
    gradient throughout).
    ``seed`` or ``generator`` fixes every random draw. ``stop`` is polled before each step.
    A ``param`` with a ``project_()`` method is projected back onto its allowed set after
    every optimizer step. ``final_frame=False`` ends right after the last step, without the
    forward pass that scores its result: for a caller that goes on from ``param`` and shows it
    there (DeepDream's next octave does, at its step 0).
    """
    if not isinstance(final_frame, bool):
        raise TypeError(f"final_frame must be True or False, got {checks._show(final_frame)}")
    _check_arguments(model, objective, param, size, batch, steps, every, optimizer, transforms, regularizers,
                     start, seed, generator, redirect_steps, stop)
    if generator is None:
        generator = torch.Generator()
        generator.manual_seed(seed) if seed is not None else generator.seed()
    device = _device(model)
    if isinstance(param, str):
        if size is None and start is None:
            size = getattr(model, "input_size", 64)
        param = make_param(param, size, batch, generator=generator, start=start)
    param = param.to(device)
    penalties = [r for r in regularizers if isinstance(r, Penalty)]
    pixel_ops = [r for r in regularizers if isinstance(r, PixelOp)]
    if pixel_ops and not isinstance(param, PixelImage):
        names = ", ".join(op.name for op in pixel_ops)
        raise ValueError(f"{names} edit pixels directly and need param='pixels'; with a Fourier "
                         f"image use penalties (l2, l1, total_variation) or transforms instead")
    opt = (optimizer or adam())(list(param.parameters()))
    _check_optimizer(opt, pixel_ops)
    probe = Probe(model, objective.layers, stop_early=True)
    evaluate = partial(_evaluate, probe, objective, param, penalties, transforms, generator)
    frames = _steps(evaluate, param, opt, pixel_ops, steps, every, redirect_steps, stop, final_frame)
    while True:
        # The probe's hooks stay on for the steps up to the next frame, answering only the loop's
        # own passes, and are off while the frame is out. (One line: see vizlab/probe.py.)
        with probe.held(): frame = next(frames, None)  # noqa: E701
        if frame is None:
            return
        yield frame


def _steps(evaluate, param, opt, pixel_ops, steps, every, redirect_steps, stop, final_frame) -> Iterator[Frame]:
    """The steps themselves, yielding each frame as it is due (``ascend`` holds the probe)."""
    params = list(param.parameters())
    project = getattr(param, "project_", None)
    last = None
    for step in range(steps + 1 if final_frame else steps):
        if stop is not None and step < steps and stop():
            yield _final(last, "stopped", f"stopped by request at step {step}")
            return
        shown = step % every == 0 or step == steps
        # The last frame needs no graph. (One line: see "Nothing survives" in vizlab/probe.py.)
        with torch.set_grad_enabled(step < steps): now = evaluate(step < redirect_steps, shown)  # noqa: E701
        if shown:
            if not bool(torch.isfinite(now.total).all()):
                yield _final(last, "nan", _nan_message(step, last, now.terms))
                return
            last = _frame(step, steps, now.images, now.scores, now.terms)
            if step == steps:
                last.status, last.message = "done", f"done: {steps} steps"
            yield last
        if step == steps:
            return
        for p, g in zip(params, _minus_gradient(now, params, redirected=step < redirect_steps)):
            p.grad = g                      # (it replaces the last step's gradient)
        opt.step()
        if pixel_ops:
            _apply_pixel_ops(param, pixel_ops, step)
        if project is not None:
            project()                       # back into the allowed set (pixels: [0, 1]; an attack: its eps-ball)


def _check_arguments(model, objective, param, size, batch, steps, every, optimizer, transforms,
                     regularizers, start, seed, generator, redirect_steps, stop) -> None:
    """Everything ``ascend`` is given, checked before the first step (see ``vizlab.checks``)."""
    checks.model(model, "ascend")
    if not isinstance(objective, Objective):
        raise TypeError(f"objective must be a vizlab.ascent objective (e.g. channel('conv3', 0)), "
                        f"not {type(objective).__name__}")
    if isinstance(param, str):
        if param not in ("pixels", "fourier"):
            make_param(param, 1)                                # an unknown kind: its own message
        if size is not None:
            checks.image_fits(model, checks.size(size, "size", hint=" (or None for the model's input_size)"),
                              "size")
        checks.integer(batch, "batch", minimum=1, hint=" (the number of images optimized together)")
    elif not isinstance(param, nn.Module):
        raise TypeError(f"param must be 'fourier', 'pixels' or a module returning images, got {checks._show(param)}")
    elif start is not None:
        raise ValueError("start goes with param='pixels'; a param module given already holds its images "
                         "(e.g. PixelImage(image=start))")
    checks.integer(steps, "steps", minimum=1)
    checks.integer(every, "every", minimum=1, hint=" (show a frame every this many steps)")
    checks.integer(redirect_steps, "redirect_steps", minimum=0)
    checks.seed(seed)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {checks._show(generator)}")
    checks.callable_or_none(optimizer, "optimizer", "params -> an optimizer with step(), e.g. adam(0.05)")
    checks.callable_or_none(stop, "stop", "() -> bool, polled before each step")
    for name, items in (("transforms", transforms), ("regularizers", regularizers)):
        if callable(items) or not isinstance(items, (list, tuple)):
            raise TypeError(f"{name} must be a list (e.g. [jitter(4)] or []), got {checks._show(items)}")
    for t in transforms:
        checks.callable_or_none(t, "each transform", "(images, generator) -> images, e.g. jitter(4)")
    for r in regularizers:
        if not isinstance(r, (Penalty, PixelOp)):
            raise TypeError(f"regularizers must come from vizlab.ascent.regularizers (e.g. l2(1e-3)), got {r!r}")


def _check_optimizer(opt, pixel_ops) -> None:
    """Pixel operations that are only right after plain gradient steps refuse other optimizers."""
    if type(opt) is torch.optim.SGD:
        return
    for op in pixel_ops:
        if op.needs_sgd:
            raise ValueError(f"{op.name} needs plain gradient steps: pass "
                             f"optimizer=lambda p: torch.optim.SGD(p, lr=0.05) (got {type(opt).__name__}, "
                             f"the default is Adam). {op.needs_sgd}.")


@dataclass
class _Pass:
    """One forward pass: the ``images``; ``scores``, ``total`` (both (B,)) and ``terms`` (what
    a frame shows; None on a step without a frame, if the objective has a seed); and what to
    backpropagate for the gradient of the summed total: ``outputs`` with the gradients
    ``seeds`` (None: the total itself, with 1 per image)."""
    images: torch.Tensor
    scores: torch.Tensor | None
    total: torch.Tensor | None
    terms: dict | None
    outputs: list
    seeds: list | None


def _evaluate(probe, objective, param, penalties, transforms, generator, redirect, shown) -> _Pass:
    images = param()
    seen = images
    for transform in transforms:
        seen = transform(seen, generator)
    rules = relu_rules("redirected") if redirect else nullcontext()
    with rules: acts = probe.run(seen)  # noqa: E701 (one line: see vizlab/probe.py)
    # An objective with a seed (and no penalty beside it) is differentiated through its seed, so
    # its score is computed only to be shown, without a graph.
    seeded = objective.seed is not None and not penalties and torch.is_grad_enabled()
    if seeded and not shown:
        return _Pass(images, None, None, None, *_seeded(objective, acts))
    with torch.set_grad_enabled(torch.is_grad_enabled() and not seeded): scores = objective(acts)  # noqa: E701
    total, terms = scores, {"objective": scores}
    for penalty in penalties:
        value = penalty(images)
        terms[penalty.name] = value
        total = total - penalty.weight * value
    outputs, seeds = _seeded(objective, acts) if seeded else ([total], None)
    return _Pass(images, scores, total, terms, outputs, seeds)


def _seeded(objective, acts) -> tuple[list, list]:
    """The layers' activations and the objective's seeds for them, checked against each other."""
    seeds = objective.seed(acts)
    for layer, seed in seeds.items():
        if layer not in acts or not isinstance(seed, torch.Tensor) or seed.shape != acts[layer].shape:
            got = tuple(seed.shape) if isinstance(seed, torch.Tensor) else type(seed).__name__
            raise ValueError(f"{objective.name}: its seed for {layer!r} must be a tensor shaped like that "
                             f"layer's activation, one of the layers {list(acts)} it reads; got {got}")
    return [acts[layer] for layer in seeds], list(seeds.values())


def _minus_gradient(now: _Pass, params, redirected: bool) -> tuple[torch.Tensor, ...]:
    """The gradient of -sum(total): the loop's one sign flip, made by negating what is
    backpropagated (-1 per image for the total, or minus the objective's seed). The redirected
    ReLU rule reads the sign of the signal it passes back, so while it is on, the score's own
    gradient is backpropagated and then negated."""
    if redirected:
        seeds = [torch.ones_like(now.total)] if now.seeds is None else now.seeds
        return tuple(-g for g in torch.autograd.grad(now.outputs, params, seeds))
    seeds = [torch.full_like(now.total, -1.0)] if now.seeds is None else [-s for s in now.seeds]
    return torch.autograd.grad(now.outputs, params, seeds)


@torch.no_grad()
def _apply_pixel_ops(param, pixel_ops, step) -> None:
    grad = -param.pixels.grad                                    # the score's gradient
    for op in pixel_ops:
        op(param.pixels, grad, step)


def _frame(step, steps, images, scores, terms) -> Frame:
    scores = scores.detach().float().cpu()
    return Frame(step=step, steps=steps, images=images.detach().cpu().clone(),
                 score=float(scores.mean()), scores=scores.tolist(),
                 terms={name: float(v.detach().float().mean()) for name, v in terms.items()})


def _final(last: Frame | None, status: str, message: str) -> Frame:
    if last is None:
        raise RuntimeError(f"the run ended before its first frame: {message}")
    return Frame(last.step, last.steps, last.images, last.score, last.scores, last.terms, status, message)


def _nan_message(step, last, terms) -> str:
    bad = [name for name, v in terms.items() if not torch.isfinite(v).all()]
    kept = f"; showing the last good frame (step {last.step})" if last else ""
    return (f"the score became NaN or Inf by step {step} (in: {', '.join(bad) or 'the total'}){kept}. "
            f"Try a smaller step size or fewer steps.")
