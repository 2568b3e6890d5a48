"""FGSM, BIM and PGD: the smallest change to an image that changes the network's answer.

    result = pgd(model, images, eps=8/255)             # untargeted, L-inf, labels = predictions
    result.success                                      # (B,) bool
    fgsm(model, images, labels, eps=2/255, target="least_likely")

Every attack is a run of the one loop, ``vizlab.ascend``: the parameterization is the
adversarial image (``Perturbation``, projected onto the eps-ball and [0, 1] after every step),
the optimizer a sign step (L-inf) or a normalized step (L2), and the objective the attack loss
as a score to maximize (``losses.py``). With images x in [0, 1] (normalization stays inside
the model), gradient g of the score, projection P:

* FGSM (Goodfellow et al. 2015):  x' = P(x + eps * sign g), one step.
* BIM (Kurakin et al. 2016):      N = ceil(min(255 eps + 4, 1.25 * 255 eps)) steps of size
                                  1.25 eps / N (Kurakin's 1/255 when 1.25 * 255 eps is whole).
* PGD (Madry et al. 2018):        a random start in the ball, 10 steps of 2.5 eps / 10 (the
                                  CIFAR-10 challenge: eps 8/255, step 2/255, 10 steps).

A targeted attack (a class, one class per image, or ``"least_likely"``: the class with the
lowest clean logit) maximizes the score of reaching the target instead. Guarantees, each tested:
||x' - x|| <= eps and x' in [0, 1] for every image; PGD with one step of size eps and no
random start equals FGSM; gradients come from ``torch.autograd.grad`` on the image only, so
the model (weights, ``requires_grad``, ``.grad``, hooks, mode) is left exactly as it was.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Callable, Iterator

import torch
from torch import nn

from .. import checks
from ..ascent.loop import ascend
from ..ascent.objectives import logits_layer
from ..probe import Probe, _device
from .losses import LOSSES, AttackObjective
from .checks import LEAST_LIKELY, check_eps, check_images, check_labels, check_model, check_targets  # noqa: F401
from .perturbation import NORMS, Perturbation, step_for

METHODS = ("fgsm", "bim", "pgd")


@dataclass(frozen=True)
class Attack:
    """The settings of one attack. ``None`` means the method's published default (see above)."""
    method: str = "pgd"
    eps: float | torch.Tensor = 8 / 255
    norm: str = "linf"
    steps: int | None = None
    step_size: float | torch.Tensor | None = None
    loss: str = "ce"
    target: int | str | list | torch.Tensor | None = None
    random_start: bool | None = None
    seed: int = 0


@dataclass
class AttackResult:
    """Clean and adversarial images (B, 3, H, W) on the model's device, with their logits.

    ``labels`` are the classes attacked away from (the true labels, or the clean predictions
    when none were given); ``targets`` the classes attacked toward (None if untargeted).
    """
    original: torch.Tensor
    adversarial: torch.Tensor
    labels: torch.Tensor
    targets: torch.Tensor | None
    clean_logits: torch.Tensor
    logits: torch.Tensor
    eps: torch.Tensor
    norm: str

    @property
    def perturbation(self) -> torch.Tensor:
        return self.adversarial - self.original

    @property
    def predictions(self) -> torch.Tensor:
        return self.logits.argmax(1)

    @property
    def success(self) -> torch.Tensor:
        """(B,) bool: the prediction left the label (untargeted) or reached the target."""
        if self.targets is None:
            return self.predictions != self.labels
        return self.predictions == self.targets


@dataclass
class AttackFrame:
    """What ``attack_frames`` yields: the loop's step and status, the adversarial images so
    far and their logits (both on the CPU), and the attack's score (mean over the batch)."""
    step: int
    steps: int
    adversarial: torch.Tensor
    logits: torch.Tensor
    score: float
    status: str = "running"
    message: str = ""


def attack(model: nn.Module, images: torch.Tensor, labels=None, settings: Attack = Attack(),
           **changes) -> AttackResult:
    """Run ``settings`` (with ``changes``, e.g. ``eps=4/255``) on ``images`` (B, 3, H, W) or (3, H, W)."""
    result = None
    for result in _run(model, images, labels, replace(settings, **changes), every=None, stop=None):
        pass
    return result


def fgsm(model, images, labels=None, *, eps, **options) -> AttackResult:
    """One signed step of size eps (Goodfellow et al. 2015); ``options`` as in ``Attack``."""
    return attack(model, images, labels, Attack(method="fgsm", eps=eps, **options))


def bim(model, images, labels=None, *, eps, **options) -> AttackResult:
    """The basic iterative method (Kurakin et al. 2016): FGSM repeated with projection."""
    return attack(model, images, labels, Attack(method="bim", eps=eps, **options))


def pgd(model, images, labels=None, *, eps, **options) -> AttackResult:
    """Projected gradient descent from a random start in the ball (Madry et al. 2018)."""
    return attack(model, images, labels, Attack(method="pgd", eps=eps, **options))


def attack_frames(model: nn.Module, images: torch.Tensor, labels=None, settings: Attack = Attack(), *,
                  every: int = 1, stop: Callable[[], bool] | None = None, **changes) -> Iterator[AttackFrame]:
    """The attack's frames every ``every`` steps (for a live view); ``stop`` is polled before each step."""
    checks.integer(every, "every", minimum=1, hint=" (a frame every that many steps)")
    checks.callable_or_none(stop, "stop", "called with no arguments, True to stop")
    for frame in _run(model, images, labels, replace(settings, **changes), every=every, stop=stop):
        if isinstance(frame, AttackFrame):
            yield frame


def _run(model, images, labels, settings: Attack, *, every, stop):
    """Yield AttackFrames (when ``every`` is set) and, at the end, the AttackResult. Every check
    comes before the first forward pass; float64 (or float16) images are converted to the
    model's dtype, so the adversarial images come back in it."""
    check_model(model)
    images = check_images(images, model)
    if settings.norm not in NORMS:
        raise ValueError(f"unknown norm {settings.norm!r}; choose 'linf' or 'l2'")
    device = _device(model)
    eps = check_eps(settings.eps, images.shape[0], at_most=1.0 if settings.norm == "linf" else None).to(device)
    steps, step_size, random_start = resolve(settings, eps)
    checks.integer(settings.seed, "seed", minimum=0, hint=" (the random start's seed)")
    images = images.to(device)
    layer = logits_layer(model)
    # Without a random start the first step evaluates exactly these images, so its logits are the
    # clean ones: the clean pass then only checks the model, on one image. It runs on them all when
    # labels or targets come from the clean predictions, which the first step already needs.
    from_first_step = not random_start and labels is not None and not isinstance(settings.target, str)
    clean_logits = clean_forward(model, images[:1] if from_first_step else images, layer)
    batch, classes = images.shape[0], clean_logits.shape[1]
    labels = check_labels(labels, batch, classes, clean_logits)
    targets = check_targets(settings.target, batch, classes, clean_logits)
    generator = torch.Generator().manual_seed(settings.seed)
    param = Perturbation(images, eps, norm=settings.norm, random_start=random_start, generator=generator)
    objective = AttackObjective(layer, targets if targets is not None else labels, loss=settings.loss,
                                targeted=targets is not None)
    shown = None
    for frame in ascend(model, objective, param=param, steps=steps, every=every or max(steps, 1),
                        optimizer=step_for(settings.norm)(step_size), redirect_steps=0,
                        generator=generator, stop=stop):
        if frame.status in ("running", "done"):       # the frame just evaluated: its logits are current
            shown = (param.adversarial.detach().clone(), objective.logits)
            if frame.step == 0 and from_first_step:
                clean_logits = objective.logits
        if every is not None:
            yield AttackFrame(frame.step, frame.steps, shown[0].cpu(), shown[1].cpu(), frame.score,
                              frame.status, frame.message)
    yield AttackResult(images, shown[0], labels, targets, clean_logits, shown[1], eps, settings.norm)


def resolve(settings: Attack, eps: torch.Tensor) -> tuple[int, torch.Tensor, bool]:
    """Steps, step size (per image) and random start of ``settings``, defaults filled in."""
    method = settings.method
    if method not in METHODS:
        raise ValueError(f"unknown attack {method!r}; choose one of {', '.join(METHODS)}")
    if settings.norm not in NORMS:
        raise ValueError(f"unknown norm {settings.norm!r}; choose 'linf' or 'l2'")
    if settings.loss not in LOSSES:
        raise ValueError(f"unknown attack loss {settings.loss!r}; choose 'ce' or 'margin'")
    if method == "fgsm":
        if settings.steps not in (None, 1) or settings.step_size is not None or settings.random_start:
            raise ValueError("FGSM is one step of size eps from the image itself; for more steps, "
                             "another step size or a random start use method='bim' or 'pgd'")
        return 1, eps, False
    steps = settings.steps
    if steps is None:
        largest = 255 * float(eps.max())
        steps = max(1, math.ceil(min(largest + 4, 1.25 * largest))) if method == "bim" else 10
    steps = checks.integer(steps, "steps", minimum=1)
    if settings.step_size is None:
        step_size = (1.25 if method == "bim" else 2.5) * eps / steps
    else:
        step_size = check_eps(settings.step_size, eps.shape[0], what="step_size", positive=True,
                              at_most=1.0 if settings.norm == "linf" else None).to(eps.device)
    if settings.random_start is not None and not isinstance(settings.random_start, bool):
        raise TypeError(f"random_start must be True, False or None (the method's default), "
                        f"got {checks._show(settings.random_start)}")
    random_start = (method == "pgd") if settings.random_start is None else settings.random_start
    return steps, step_size, random_start


@torch.no_grad()
def clean_forward(model: nn.Module, images: torch.Tensor, layer: str) -> torch.Tensor:
    """The logits of ``images``, read at ``layer``; refuses a model whose output is not that layer's."""
    probe = Probe(model, [layer])
    logits = probe.run(images)[layer]
    output = probe.output
    if not isinstance(output, torch.Tensor) or not torch.equal(output, logits):
        raise ValueError(f"the attacks read the logits at the model's last layer {layer!r}, but the "
                         f"model's output is something else; wrap the model so that its last layer "
                         f"returns the logits (B, classes)")
    if logits.dim() != 2 or logits.shape[1] < 2:
        raise ValueError(f"the model must return logits of shape (B, classes) with at least 2 classes, "
                         f"got {tuple(logits.shape)}")
    return logits
