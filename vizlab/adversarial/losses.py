"""What an attack maximizes: a loss on the logits z, as one score per image.

=============  ==============================  ==================================
               cross-entropy (``"ce"``)        margin (``"margin"``, Carlini-Wagner)
=============  ==============================  ==================================
untargeted     CE(z, y) = -log p_y             max_{k != y} z_k - z_y
targeted (t)   -CE(z, t) = log p_t             z_t - max_{k != t} z_k
=============  ==============================  ==================================

An untargeted attack pushes the image away from its label y; a targeted one toward class t.
Both scores are positive exactly when the attack has succeeded for the margin loss.

**The underflow trap** (measured on ShapeNet, METHODS.md section 9): stripes are classified with
logit margins of 90-185. In float32 the cross-entropy gradient on the logits, p - onehot(y),
is then exactly 0 (p_y rounds to 1, and e^-100 is below float32's smallest number), so FGSM
leaves 8% of the held-out images unchanged. Here the cross-entropy's gradient is formed without
the probabilities: dividing p - onehot(y) by the positive number sum_{k != y} p_k gives

    d_k = exp(z_k - m) / sum_{j != y} exp(z_j - m)   (k != y, with m = max_{j != y} z_j),   d_y = -1,

whose largest entries are of order 1 at any margin. So the gradient that reaches the image is
the exact cross-entropy gradient **up to a positive factor per image**: its direction (and so
its sign, and the normalized L2 step) is exact, its length is not. The attacks only use the
direction. (Even float64 is not enough without this: 1 - p_y rounds beyond a margin of about
37, so torchattacks on a float64 model still attacks a rounded gradient there.) The loss
*value* is computed in float64 as softplus(logsumexp_{k != y}(z_k - z_y)). The margin loss has gradients of +-1 on
two logits and never underflows.
"""
from __future__ import annotations

import torch
from torch.nn import functional as F

from ..ascent.objectives import Objective

LOSSES = ("ce", "margin")


class _CrossEntropyDirection(torch.autograd.Function):
    """CE(z, y) per image in float64; backward gives its gradient's direction (see above)."""

    @staticmethod
    def forward(ctx, logits, labels):
        z = logits.detach().double()
        ctx.save_for_backward(z, labels)
        ctx.dtype = logits.dtype
        return stable_cross_entropy(z, labels)

    @staticmethod
    def backward(ctx, grad):
        z, labels = ctx.saved_tensors
        others = z.scatter(1, labels[:, None], float("-inf"))
        weights = (others - others.amax(1, keepdim=True)).exp()       # the largest is exactly 1
        direction = (weights / weights.sum(1, keepdim=True)).scatter(1, labels[:, None], -1.0)
        return (grad.sign()[:, None] * direction).to(ctx.dtype), None


def stable_cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """CE(z, y) = log(1 + sum_{k != y} e^(z_k - z_y)) = softplus(logsumexp_{k != y}(z_k - z_y)),
    accurate even when it is as small as e^-185 (``F.cross_entropy`` rounds it to 0 in float64
    beyond a margin of about 37). Plain autograd; in float64 it is the tests' oracle."""
    own = logits.gather(1, labels[:, None])
    others = (logits - own).scatter(1, labels[:, None], float("-inf"))
    return F.softplus(torch.logsumexp(others, 1))


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """CE(z, y) per image (B,), float64; its gradient is exact up to a positive factor per image."""
    return _CrossEntropyDirection.apply(logits, labels)


def margin(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """max_{k != y} z_k - z_y per image (B,): positive once the image is no longer class y."""
    own = logits.gather(1, labels[:, None])[:, 0]
    others = logits.scatter(1, labels[:, None], float("-inf"))
    return others.amax(1) - own


def attack_score(logits: torch.Tensor, labels: torch.Tensor, *, loss: str = "ce",
                 targeted: bool = False) -> torch.Tensor:
    """The score (B,) an attack maximizes: see the table above. ``labels`` are the true classes
    (untargeted) or the targets (targeted)."""
    if loss not in LOSSES:
        raise ValueError(f"unknown attack loss {loss!r}; choose 'ce' (cross-entropy on the logits) "
                         f"or 'margin' (the Carlini-Wagner margin)")
    labels = labels.to(logits.device)
    value = cross_entropy(logits, labels) if loss == "ce" else margin(logits, labels)
    return -value if targeted else value


class AttackObjective(Objective):
    """``attack_score`` read at the logits layer, as an objective for ``vizlab.ascend``.

    It keeps the logits of the latest forward pass (``self.logits``, detached) so that a caller
    can read the predictions of the images of the frame just yielded without another pass.
    """

    def __init__(self, layer: str, labels: torch.Tensor, *, loss: str = "ce", targeted: bool = False):
        if loss not in LOSSES:
            attack_score(torch.zeros(1, 2), torch.zeros(1, dtype=torch.long), loss=loss)  # raises
        self.logits: torch.Tensor | None = None

        def score(acts):
            logits = acts[layer]
            self.logits = logits.detach()
            return attack_score(logits, labels, loss=loss, targeted=targeted)
        kind = "toward" if targeted else "away from"
        super().__init__(score, [layer], f"{loss} {kind} labels at {layer}")
