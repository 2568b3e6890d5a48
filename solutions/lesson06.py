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


def constrained_step(image, grad, start, lr, eps):
    moved = image + lr * grad
    return torch.minimum(torch.maximum(moved, start - eps), start + eps).clamp(0, 1)


def _constrained(image, grad, start, lr, eps, *, centre=None, sign=1.0, ball=True, clamp=True):
    moved = image + sign * lr * grad
    centre = start if centre is None else centre
    if ball:
        moved = torch.minimum(torch.maximum(moved, centre - eps), centre + eps)
    return moved.clamp(0, 1) if clamp else moved


def _constrained_in_place(image, grad, start, lr, eps):
    """The right numbers, but written into the caller's image."""
    image.add_(lr * grad)
    image.copy_(torch.minimum(torch.maximum(image, start - eps), start + eps).clamp(0, 1))
    return image


WRONG = {
    "q1": [
        lambda x, s, lr, w: _step(x, s, lr, w, sign=-1.0),        # descent
        lambda x, s, lr, w: _step(x, s, lr, w, penalty=1.0),      # penalty added
        lambda x, s, lr, w: _step(x, s, lr, 0.0),                 # no penalty
        lambda x, s, lr, w: _step(x, s, lr, w, clamp=False),      # leaves [0, 1]
        lambda x, s, lr, w: _step(x, s, 2 * lr, w),               # step twice as long
        _updates_x_in_place,
    ],
    "q2": [
        lambda i, g, s, lr, eps: _constrained(i, g, s, lr, eps, ball=False),          # no projection
        lambda i, g, s, lr, eps: _constrained(i, g, s, lr, eps, centre=i),            # ball around the image
        lambda i, g, s, lr, eps: _constrained(i, g, s, lr, eps, clamp=False),         # leaves [0, 1]
        lambda i, g, s, lr, eps: _constrained(i, g, s, lr, eps, sign=-1.0),           # descent
        lambda i, g, s, lr, eps: _constrained(i, g.sign(), s, lr, eps),               # sign step
        _constrained_in_place,
    ],
}
