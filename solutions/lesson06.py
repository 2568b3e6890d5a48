"""Reference solutions for lesson 06, and typical wrong answers the checks must catch."""
import torch


def ascent_step(x, score, lr, weight):
    x = x.clone().requires_grad_(True)
    objective = score(x).sum() - weight * ((x - 0.5) ** 2).sum()
    (grad,) = torch.autograd.grad(objective, x)
    return (x + lr * grad).detach().clamp(0, 1)


def _step(x, score, lr, weight, *, sign=1.0, penalty=-1.0, clamp=True):
    x = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(score(x).sum() + penalty * weight * ((x - 0.5) ** 2).sum(), x)
    new = (x + sign * lr * grad).detach()
    return new.clamp(0, 1) if clamp else new


def _updates_x_in_place(x, score, lr, weight):
    """The classic loop's update, done on the caller's tensor instead of a copy."""
    x.requires_grad_(True)
    (score(x).sum() - weight * ((x - 0.5) ** 2).sum()).backward()
    x.data += lr * x.grad
    x.data.clamp_(0, 1)
    return x.detach().clone()


WRONG = {
    "q1": [
        lambda x, s, lr, w: _step(x, s, lr, w, sign=-1.0),        # descent
        lambda x, s, lr, w: _step(x, s, lr, w, penalty=1.0),      # penalty added
        lambda x, s, lr, w: _step(x, s, lr, 0.0),                 # no penalty
        lambda x, s, lr, w: _step(x, s, lr, w, clamp=False),      # leaves [0, 1]
        lambda x, s, lr, w: _step(x, s, 2 * lr, w),               # step twice as long
        _updates_x_in_place,
    ],
}
