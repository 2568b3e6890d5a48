"""Lesson 09 exercises: adversarial examples."""
from __future__ import annotations

import copy
import functools

import numpy as np
import torch
from torch.nn import functional as F

from . import Exercise
from .checking import Wrong, compare_tensors, generator as cases_generator, refuse_changes


@functools.lru_cache(maxsize=1)
def _held_out_shapes() -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    """(images, labels) of two kinds of held-out shapes, measured once per process:

    - those the model classifies right but is not extremely sure of (margin < 8), where the
      textbook float32 cross-entropy gradient is accurate;
    - those it gets wrong (3 of these 768). Only there does attacking the model's own predictions
      differ from attacking the labels, and there, with three classes sharing the probability,
      applying softmax before the cross-entropy turns the most gradient signs (up to 0.7%).
    """
    from ..data import make_shapes

    data = make_shapes(768, seed=11)
    with torch.no_grad():
        logits = torch.cat([_shapenet()(part) for part in data.images.split(256)])
    top = logits.topk(2, 1).values
    right = logits.argmax(1) == data.labels
    uncertain = right & (top[:, 0] - top[:, 1] < 8)
    return (data.images[uncertain], data.labels[uncertain]), (data.images[~right], data.labels[~right])


def _cases(seed: int):
    """Some of the uncertain shapes, then all the misclassified ones, and eps: the first six uncertain
    with 2/255 and 6/255 for the public seed, three chosen by ``seed`` with one eps of 1/255 ... 8/255
    otherwise. A fresh copy of the model for each check, so that an answer that changes the model
    cannot spoil the next case."""
    model = copy.deepcopy(_shapenet())
    for images, labels, eps, expected, settled, variants in _inputs_and_answers(seed):
        yield model, images.clone(), labels.clone(), eps, expected, settled, variants


@functools.lru_cache(maxsize=1)
def _shapenet():
    """The trained ShapeNet, loaded once per process; checks use copies of it."""
    from ..models.zoo import load_model
    return load_model("shapenet")


def _gradient(model, images, labels, loss=F.cross_entropy):
    x = images.clone().requires_grad_(True)
    return torch.autograd.grad(loss(model(x), labels), x)[0]


def _softmax_twice(logits, labels):
    return F.cross_entropy(F.softmax(logits, 1), labels)


@functools.lru_cache(maxsize=2)
def _inputs_and_answers(seed: int) -> tuple:
    """Per eps: the cases, vizlab's FGSM, the pixels whose gradient sign float32 settles, and the
    results of typical mistakes with what to say about them."""
    from ..adversarial import fgsm

    (pool, pool_labels), (misclassified, true_labels) = _held_out_shapes()
    if seed == 0:
        chosen, levels = torch.arange(min(6, len(pool))), (2, 6)
    else:
        generator = cases_generator(seed, 909)
        chosen = torch.randperm(len(pool), generator=generator)[:3]
        levels = [int(torch.randint(1, 9, (), generator=generator))]
    images, labels = torch.cat([pool[chosen], misclassified]), torch.cat([pool_labels[chosen], true_labels])
    model = copy.deepcopy(_shapenet())
    with torch.no_grad():
        predicted = model(images).argmax(1)
    exact = _gradient(copy.deepcopy(model).double(), images.double(), labels).abs()
    # Float32 gets the sign of a pixel's gradient wrong only where it is ~0 (measured on the held-out
    # shapes: under 1e-5 of the image's largest); there an answer computed otherwise (float64, one
    # image at a time) may move either way.
    settled = exact >= 1e-4 * exact.amax((1, 2, 3), keepdim=True)
    grad = _gradient(model, images, labels)
    mistakes = {
        "every pixel moves the wrong way: this lowers the loss (it helps the model)":
            (-grad, "an untargeted attack *adds* eps * sign(grad of the loss of the true label)"),
        "the attack follows the loss of the model's own predictions, not of `labels`: "
        "on the shapes the model gets wrong, the pixels move another way":
            (_gradient(model, images, predicted),
             "take the cross-entropy with the `labels` you are given: FGSM attacks the true class, "
             "whatever the model predicts"),
        "this is the gradient of the cross-entropy of softmax probabilities: softmax is applied twice":
            (_gradient(model, images, labels, _softmax_twice),
             "F.cross_entropy applies log-softmax itself: give it the logits model(x), not probabilities"),
    }
    cases = []
    for level in levels:
        eps = level / 255
        variants = {message: ((images + eps * direction.sign()).clamp(0, 1), hint)
                    for message, (direction, hint) in mistakes.items()}
        cases.append((images, labels, eps, fgsm(model, images, labels, eps=eps).adversarial, settled, variants))
    return tuple(cases)


def _check_fgsm(fn, seed: int) -> None:
    for model, images, labels, eps, expected, settled, variants in _cases(seed):
        original = images.clone()
        out = fn(model, images, labels, eps)
        refuse_changes(images, original, "images")
        if isinstance(out, torch.Tensor) and out.shape == expected.shape:
            out = out.detach().to("cpu")
            if out.min() < 0 or out.max() > 1:
                raise Wrong("some pixels leave [0, 1]", "clip the result: .clamp(0, 1)")
            step = (out - images).abs().max()
            if step > eps + 1e-6:
                raise Wrong(f"a pixel moved by {step * 255:.2f}/255, more than eps = {eps * 255:.0f}/255",
                            "every pixel moves by exactly eps: eps * grad.sign()")
            if step < eps / 2:
                raise Wrong("the pixels barely move: the step is not eps per pixel",
                            "use the sign of the gradient, not the gradient itself")
            # equal up to float32 rounding of x + eps, wherever float32 settles the sign of the gradient
            matches = lambda answer: bool((((out - answer).abs() <= 1e-6) | ~settled).all())
            if matches(expected):
                continue
            for message, (answer, hint) in variants.items():
                if matches(answer):
                    raise Wrong(message, hint)
            out = torch.where(settled, out, expected)      # report a difference that is not rounding
        compare_tensors(out, expected, what="fgsm_attack(model, images, labels, eps)",
                        hint="x' = clip(x + eps * sign(grad_x CE(model(x), y)), 0, 1)")


def _check_flip_eps(fn, seed: int) -> None:
    generator = cases_generator(seed, 9)
    for classes in (2, 5):
        weight = torch.randn(classes, 12, generator=generator)
        bias = torch.randn(classes, generator=generator)
        x = torch.rand(12, generator=generator)
        scores = weight @ x + bias
        y, t = int(scores.argmax()), int(scores.argmin())
        expected = (scores[y] - scores[t]) / (weight[y] - weight[t]).abs().sum()
        out = fn(weight.clone(), bias.clone(), x.clone(), y, t)
        if isinstance(out, (int, float)) or (isinstance(out, np.generic) and np.issubdtype(out.dtype, np.floating)):
            out = torch.as_tensor(float(out), dtype=torch.float64)    # numpy scalars of any float dtype
        if isinstance(out, torch.Tensor) and out.numel() == 1:
            l2 = (scores[y] - scores[t]) / (weight[y] - weight[t]).norm()
            if torch.allclose(out.double(), l2.double(), rtol=1e-4):
                raise Wrong("this is the distance for an L2 step",
                            "FGSM moves every pixel by eps: use the L1 norm of w_y - w_t")
            out = out.reshape(())
        compare_tensors(out, expected.reshape(()), what="flip_eps(weight, bias, x, y, t)",
                        hint="the gap S_y - S_t closes by eps * ||w_y - w_t||_1 per FGSM step")


EXERCISES = [
    Exercise("q1", "fgsm_attack",
             "fgsm_attack(model, images, labels, eps) returns "
             "clip(x + eps * sign(grad_x CE(model(x), labels)), 0, 1)",
             _check_fgsm),
    Exercise("q2", "flip_eps",
             "flip_eps(weight, bias, x, y, t): the smallest eps at which FGSM toward t flips a linear model "
             "S = weight @ x + bias from class y to class t",
             _check_flip_eps),
]
