"""Reference solutions for lesson 10, and typical wrong answers the checks must catch."""
import torch


def spread(encodings):
    n = encodings.shape[0]
    if n < 2:
        return 0.0
    pairs = torch.cdist(encodings, encodings).triu(1)
    return pairs.sum() / (n * (n - 1) / 2)


def _squared(encodings):
    n = encodings.shape[0]
    return torch.cdist(encodings, encodings).pow(2).triu(1).sum() / max(n * (n - 1) / 2, 1)


WRONG = {
    "q1": [
        _squared,                                                                    # squared distances
        lambda e: torch.cdist(e, e).sum() / e.shape[0] ** 2,                          # diagonal zeros included
        lambda e: torch.cdist(e, e).triu(1).sum(),                                    # a sum, not a mean
        lambda e: (e - e.mean(0)).norm(dim=1).mean(),                                 # distance to the centre
    ],
}


def lagrangian_step(x, lam, mu, w, b, band, lr):
    low, high = band
    s = x @ w + b
    g = torch.stack([low - s, s - high], 1)
    shifted = torch.clamp(g + lam / mu, min=0)
    grad = mu * (shifted[:, 1] - shifted[:, 0])[:, None] * w
    x_new = (x - lr * grad).clamp(0, 1)
    s_new = x_new @ w + b
    g_new = torch.stack([low - s_new, s_new - high], 1)
    return x_new, torch.clamp(lam + mu * g_new, min=0)


def _step_then_update(x, lam, mu, w, b, band, lr, *, sign=1.0, update=True, at_new=True, hinge=True,
                      project=True, update_sign=1.0):
    """lagrangian_step with one thing changed: the multipliers' sign in the shift or in their
    update, no multiplier update, the update at the old x, the squared term without its max, no
    projection."""
    low, high = band
    s = x @ w + b
    g = torch.stack([low - s, s - high], 1)
    shifted = g + sign * lam / mu
    shifted = torch.clamp(shifted, min=0) if hinge else shifted
    x_new = x - lr * mu * (shifted[:, 1] - shifted[:, 0])[:, None] * w
    x_new = x_new.clamp(0, 1) if project else x_new
    if not update:
        return x_new, lam
    s_after = x_new @ w + b if at_new else s
    return x_new, torch.clamp(lam + update_sign * mu * torch.stack([low - s_after, s_after - high], 1), min=0)


def _in_place(x, lam, mu, w, b, band, lr):
    x_new, lam_new = lagrangian_step(x, lam, mu, w, b, band, lr)
    x.copy_(x_new)                                                  # moves the caller's samples
    lam.copy_(lam_new)
    return x, lam


WRONG["q2"] = [
    lambda *args: _step_then_update(*args, sign=-1.0),                # multiplier's sign flipped in the shift
    lambda *args: _step_then_update(*args, update_sign=-1.0),         # multiplier update with the sign flipped
    lambda *args: _step_then_update(*args, update=False),             # multipliers never updated
    lambda *args: _step_then_update(*args, hinge=False),              # (g + lam/mu)^2 without the max
    lambda *args: _step_then_update(*args, at_new=False),             # multipliers from the old x
    lambda *args: _step_then_update(*args, project=False),            # leaves the square
    _in_place,
]
