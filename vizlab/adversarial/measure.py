"""The measurements a lesson needs: accuracy against eps, the targeted matrix, transfer.

* ``robustness_curve``: accuracy at each eps under random +-eps noise, FGSM and PGD (one call,
  one table; ``vizlab.adversarial.plot.plot_robustness`` draws it). The point of the noise
  column: the same eps of *random* noise does almost nothing.
* ``targeted_matrix``: source class x target class, the share of images a targeted attack
  moves to the target at eps, and the median minimal eps that does it.
* ``transfer``: attack one model, test another (trained from another seed) on the result.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import torch
from torch import nn

from .. import checks
from ..probe import _device, without_grad
from .attacks import Attack, attack
from .checks import check_eps, check_given_labels, check_images, check_model
from .search import minimal_eps

CURVE_EPS = tuple(k / 255 for k in (0, 1, 2, 4, 8, 16))


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, *, batch_size: int = 256) -> float:
    """Share of ``images`` that ``model`` classifies as ``labels``; the model (eval mode) is
    checked before its first forward pass."""
    check_model(model)
    images = check_images(images, model)
    labels = check_given_labels(labels, images.shape[0], model)
    checks.integer(batch_size, "batch_size", minimum=1)
    return without_grad(_accuracy, model, images, labels, batch_size)


def _accuracy(model, images, labels, batch_size) -> float:
    device = _device(model)
    right = sum(int((model(chunk.to(device)).argmax(1).cpu() == y.cpu()).sum())
                for chunk, y in zip(images.split(batch_size), labels.split(batch_size)))
    return right / max(len(labels), 1)


def random_noise(images: torch.Tensor, eps: float, *, norm: str = "linf", seed: int = 0) -> torch.Tensor:
    """images + random noise of the attack's size, clipped to [0, 1]: every pixel +-eps with a
    random sign (L-inf: a corner of the ball, as far as FGSM goes), or a random direction of
    length eps (L2)."""
    images = check_images(images)
    if norm not in ("linf", "l2"):
        raise ValueError(f"unknown norm {norm!r}; choose 'linf' or 'l2'")
    eps = float(check_eps(eps, 1, at_most=1.0 if norm == "linf" else None)[0])
    checks.integer(seed, "seed", minimum=0)
    generator = torch.Generator().manual_seed(seed)
    if norm == "linf":
        noise = torch.randint(0, 2, images.shape, generator=generator).to(images) * 2 - 1
    elif norm == "l2":
        noise = torch.randn(images.shape, generator=generator).to(images)
        noise = noise / noise.flatten(1).norm(dim=1).clamp(min=1e-12).view(-1, 1, 1, 1)
    else:
        raise ValueError(f"unknown norm {norm!r}; choose 'linf' or 'l2'")
    return (images + eps * noise).clamp(0, 1)


@dataclass
class RobustnessCurve:
    """``accuracy[name][i]`` is the accuracy at ``eps[i]`` under attack ``name``."""
    eps: list[float]
    accuracy: dict[str, list[float]]
    images: int
    seconds: float
    norm: str = "linf"

    def __str__(self) -> str:
        unit = 255 if self.norm == "linf" else 1
        head = f"{'eps' + (' (/255)' if unit == 255 else ''):>12}" + "".join(f"{n:>8}" for n in self.accuracy)
        rows = [f"{e * unit:>12.4g}" + "".join(f"{a[i]:>8.1%}" for a in self.accuracy.values())
                for i, e in enumerate(self.eps)]
        return "\n".join([head, *rows, f"({self.images} images, {self.seconds:.1f} s)"])

    _repr_pretty_ = lambda self, printer, cycle: printer.text(str(self))


def robustness_curve(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, *, eps=CURVE_EPS,
                     attacks=("noise", "fgsm", "pgd"), settings: Attack = Attack(), batch_size: int = 256,
                     **changes) -> RobustnessCurve:
    """Accuracy at each eps under each of ``attacks`` ("noise", "fgsm", "bim", "pgd"); the
    attacks share ``settings`` (with ``changes``: norm, loss, steps, seed) except the method."""
    settings = replace(settings, **changes)
    check_model(model)
    images = check_images(images, model)
    labels = check_given_labels(labels, images.shape[0], model)
    if isinstance(eps, (int, float)) and not isinstance(eps, bool):
        eps = [eps]
    if not isinstance(eps, (list, tuple)) or not eps:
        raise ValueError(f"eps must be a non-empty list of attack sizes, e.g. [0, 2/255, 8/255], "
                         f"got {checks._show(eps)}")
    eps = [float(e) for e in check_eps(list(eps), len(eps), at_most=1.0 if settings.norm == "linf" else None)]
    if isinstance(attacks, str) or not isinstance(attacks, (list, tuple)) or not attacks:
        raise ValueError(f"attacks must be a non-empty list of 'noise', 'fgsm', 'bim', 'pgd', got {checks._show(attacks)}")
    unknown = [a for a in attacks if a not in ("noise", "fgsm", "bim", "pgd")]
    if unknown:
        raise ValueError(f"unknown attacks {unknown}; choose from 'noise', 'fgsm', 'bim', 'pgd'")
    checks.integer(batch_size, "batch_size", minimum=1)
    start = time.perf_counter()
    table = {name: [] for name in attacks}
    for e in eps:
        for name in attacks:
            table[name].append(_accuracy_under(model, images, labels, name, e, settings, batch_size))
    return RobustnessCurve(eps, table, len(labels), time.perf_counter() - start, settings.norm)


def _accuracy_under(model, images, labels, name, eps, settings, batch_size) -> float:
    if eps == 0:
        return accuracy(model, images, labels, batch_size=batch_size)
    if name == "noise":
        return accuracy(model, random_noise(images, eps, norm=settings.norm, seed=settings.seed), labels,
                        batch_size=batch_size)
    method = replace(settings, method=name, eps=eps)
    if name == "fgsm":
        method = replace(method, steps=None, step_size=None, random_start=None)
    right = 0
    for chunk, y in zip(images.split(batch_size), labels.split(batch_size)):
        right += int((attack(model, chunk, y, method).predictions.cpu() == y.cpu()).sum())
    return right / max(len(labels), 1)


@dataclass
class TargetedMatrix:
    """``success[s, t]``: share of class-s images moved to class t at ``eps``; ``min_eps[s, t]``:
    the median minimal eps over those images (inf: not reached by ``eps_max``); NaN on the diagonal."""
    class_names: list[str]
    success: torch.Tensor
    min_eps: torch.Tensor
    eps: float
    per_class: int
    seconds: float = 0.0
    sources: torch.Tensor = field(default=None, repr=False)    # the images used, (K * per_class, 3, H, W)


def targeted_matrix(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, *, eps: float = 8 / 255,
                    per_class: int = 2, settings: Attack = Attack(method="bim", loss="margin", steps=5),
                    eps_max: float = 32 / 255, tolerance: float = 0.5 / 255, levels: int = 4,
                    **changes) -> TargetedMatrix:
    """Attack the first ``per_class`` correctly classified images of every class toward every
    other class: once at ``eps`` (success) and by ``minimal_eps`` (doubling over ``levels``
    levels up to ``eps_max``, then bisection to ``tolerance``). The default attack is BIM with
    the margin loss: without a random start and with small steps, success grows with eps, so
    the two panels agree (with PGD-3 on ShapeNet 5 of 56 cells disagreed; BIM-5: none)."""
    start = time.perf_counter()
    settings = replace(settings, **changes)
    check_model(model)
    images = check_images(images, model)
    labels = check_given_labels(labels, images.shape[0], model).cpu()
    checks.integer(per_class, "per_class", minimum=1)
    classes = len(getattr(model, "class_names", [])) or int(labels.max()) + 1
    right = torch.cat([without_grad(model, c.to(_device(model))).argmax(1).cpu() for c in images.split(256)]) == labels
    picked = []
    for c in range(classes):
        found = ((labels == c) & right).nonzero()[:, 0][:per_class]
        if len(found) < per_class:
            raise ValueError(f"class {c} has {len(found)} correctly classified images here, need "
                             f"per_class={per_class}: pass more images or a smaller per_class")
        picked.append(found)
    picked = torch.cat(picked)
    source = labels[picked].repeat_interleave(classes - 1)
    target = torch.tensor([t for s in labels[picked].tolist() for t in range(classes) if t != s])
    batch = images[picked].repeat_interleave(classes - 1, dim=0)
    hit = attack(model, batch, source, settings, eps=eps, target=target).success.cpu()
    found = minimal_eps(model, batch, source, settings=replace(settings, target=target),
                        eps_max=eps_max, tolerance=tolerance, levels=levels).eps
    success = torch.full((classes, classes), float("nan"))
    median = torch.full((classes, classes), float("nan"))
    for s in range(classes):
        for t in range(classes):
            cell = (source == s) & (target == t)
            if cell.any():
                success[s, t] = hit[cell].float().mean()
                median[s, t] = found[cell].median()
    names = list(getattr(model, "class_names", [])) or [str(k) for k in range(classes)]
    return TargetedMatrix(names, success, median, eps, per_class, time.perf_counter() - start, images[picked])


@dataclass
class Transfer:
    """Accuracies: on the clean images, and on adversarial images made *against the source*."""
    source_clean: float
    source_adversarial: float
    target_clean: float
    target_adversarial: float
    target_noise: float
    eps: float

    def __str__(self) -> str:
        return (f"attacked model: {self.source_clean:.1%} clean -> {self.source_adversarial:.1%} adversarial\n"
                f"other model:    {self.target_clean:.1%} clean -> {self.target_adversarial:.1%} on the same "
                f"adversarial images ({self.target_noise:.1%} under random noise of the same eps)")


def transfer(source: nn.Module, target: nn.Module, images: torch.Tensor, labels: torch.Tensor, *,
             settings: Attack = Attack(method="pgd"), **changes) -> Transfer:
    """Attack ``source`` (white box), then classify the adversarial images with ``target``.
    Both models are checked (eval mode) before either runs."""
    settings = replace(settings, **changes)
    check_model(source, "source")
    check_model(target, "target")
    images = check_images(images, source)
    labels = check_given_labels(labels, images.shape[0], source)
    result = attack(source, images, labels, settings)
    eps = float(result.eps.max())
    adversarial = result.adversarial.detach()
    labels = torch.as_tensor(labels)
    noisy = random_noise(images, eps, norm=settings.norm, seed=settings.seed)
    return Transfer(accuracy(source, images, labels), accuracy(source, adversarial, labels),
                    accuracy(target, images, labels), accuracy(target, adversarial, labels),
                    accuracy(target, noisy, labels), eps)
