"""Reference solutions for lesson 09, and typical wrong answers the checks must catch."""
import torch
from torch.nn import functional as F


def fgsm_attack(model, images, labels, eps):
    x = images.clone().requires_grad_(True)
    grad, = torch.autograd.grad(F.cross_entropy(model(x), labels), x)
    return (images + eps * grad.sign()).clamp(0, 1)


def flip_eps(weight, bias, x, y, t):
    scores = weight @ x + bias
    return (scores[y] - scores[t]) / (weight[y] - weight[t]).abs().sum()


def _gradient(model, images, labels, loss=F.cross_entropy):
    x = images.clone().requires_grad_(True)
    return torch.autograd.grad(loss(model(x), labels), x)[0]


def _predictions(model, images):
    with torch.no_grad():
        return model(images).argmax(1)


def _softmax_twice(logits, labels):
    return F.cross_entropy(F.softmax(logits, 1), labels)


WRONG = {
    "q1": [
        lambda model, images, labels, eps: images + eps * _gradient(model, images, labels).sign(),          # no clip
        lambda model, images, labels, eps: (images - eps * _gradient(model, images, labels).sign()).clamp(0, 1),  # helps
        lambda model, images, labels, eps: (images + eps * _gradient(model, images, labels)).clamp(0, 1),    # no sign
        lambda model, images, labels, eps: (images + 2 * eps * _gradient(model, images, labels).sign()).clamp(0, 1),
        lambda model, images, labels, eps:                                                  # the model's predictions
            (images + eps * _gradient(model, images, _predictions(model, images)).sign()).clamp(0, 1),
        lambda model, images, labels, eps:                                                  # softmax, then CE
            (images + eps * _gradient(model, images, labels, _softmax_twice).sign()).clamp(0, 1),
    ],
    "q2": [
        lambda weight, bias, x, y, t: ((weight @ x + bias)[y] - (weight @ x + bias)[t]) / (weight[y] - weight[t]).norm(),
        lambda weight, bias, x, y, t: ((weight @ x + bias)[y] - (weight @ x + bias)[t]) / weight[y].abs().sum(),
        lambda weight, bias, x, y, t: ((weight @ x + bias)[y] - (weight @ x + bias)[t]) / (weight[y] - weight[t]).sum(),
    ],
}
