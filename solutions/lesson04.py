"""Reference solutions for lesson 04, and typical wrong answers the checks must catch."""
import torch


def saliency_map(model, images, target):
    x = images.clone().requires_grad_(True)
    logits = model(x)
    score = logits[torch.arange(len(x)), target].sum()   # images are independent: one backward
    (grad,) = torch.autograd.grad(score, x)
    return grad.abs().amax(1)


def _grad(model, images, target, of_probability=False):
    x = images.clone().requires_grad_(True)
    out = model(x).softmax(1) if of_probability else model(x)
    (grad,) = torch.autograd.grad(out[torch.arange(len(x)), target].sum(), x)
    return grad


WRONG = {
    "q1": [
        lambda m, x, t: _grad(m, x, t).amax(1),                          # no abs
        lambda m, x, t: _grad(m, x, t).abs().sum(1),                     # sum over channels
        lambda m, x, t: _grad(m, x, t, of_probability=True).abs().amax(1),  # softmax
        lambda m, x, t: _grad(m, x, t).abs(),                            # no channel max
        lambda m, x, t: _grad(m, x, t[0]).abs().amax(1),                 # one class for all
    ],
}
