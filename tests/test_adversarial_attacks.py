"""FGSM, BIM, PGD: exact on linear models, inside the ball, equal to torchattacks where its
gradient is accurate, never stopped by an underflowing gradient, and harmless to the model."""
import copy
from collections import OrderedDict

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from conftest import assert_unchanged, hook_count, snapshot
from vizlab.adversarial import Attack, attack, attack_frames, fgsm, pgd
from vizlab.adversarial.losses import stable_cross_entropy
from vizlab.data import CLASSES, make_shapes


def linear_model(classes: int, *, seed: int = 0, scale: float = 1.0, bias=None) -> nn.Module:
    """logits = W x + b on (3, 4, 4) images: n = 48 inputs."""
    torch.manual_seed(seed)
    model = nn.Sequential(OrderedDict(flatten=nn.Flatten(), fc=nn.Linear(48, classes)))
    with torch.no_grad():
        model.fc.weight.mul_(scale)
        if bias is not None:
            model.fc.bias.copy_(torch.as_tensor(bias, dtype=torch.float32))
    return model.requires_grad_(False).eval()


def interior_images(batch: int, seed: int = 1) -> torch.Tensor:
    """Pixels in [0.4, 0.6]: a step of eps <= 0.1 is never clipped."""
    return 0.4 + 0.2 * torch.rand(batch, 3, 4, 4, generator=torch.Generator().manual_seed(seed))


def margins(model, images) -> torch.Tensor:
    with torch.no_grad():
        top = model(images).topk(2, 1).values
    return top[:, 0] - top[:, 1]


@pytest.fixture(scope="module")
def held_out():
    return make_shapes(24, seed=7)


# --- exact cases on linear models --------------------------------------------------------------

@pytest.mark.parametrize("loss", ["ce", "margin"])
@pytest.mark.parametrize("scale", [1.0, 60.0])                   # 60: margins in the hundreds
def test_fgsm_on_a_linear_logit_moves_it_by_exactly_eps_times_the_l1_norm(loss, scale):
    model, images, eps = linear_model(2, scale=scale), interior_images(6), 0.03
    result = fgsm(model, images, eps=eps, loss=loss)
    w = model.fc.weight
    y = result.labels
    direction = (w[y] - w[1 - y])                                  # the logit z_y - z_other = direction . x + c
    before = (result.clean_logits.gather(1, y[:, None]) - result.clean_logits.gather(1, 1 - y[:, None]))[:, 0]
    after = (result.logits.gather(1, y[:, None]) - result.logits.gather(1, 1 - y[:, None]))[:, 0]
    expected = eps * direction.abs().sum(1)
    assert torch.allclose(before - after, expected, rtol=1e-4, atol=1e-4 * scale)


def test_the_l2_step_on_a_linear_logit_moves_it_by_eps_times_the_l2_norm():
    model, images, eps = linear_model(2), interior_images(6), 0.05
    result = fgsm(model, images, eps=eps, norm="l2")
    w, y = model.fc.weight, result.labels
    direction = w[y] - w[1 - y]
    drop = ((result.clean_logits - result.logits).gather(1, y[:, None])
            - (result.clean_logits - result.logits).gather(1, 1 - y[:, None]))[:, 0]
    assert torch.allclose(drop, eps * direction.norm(dim=1), rtol=1e-4, atol=1e-5)
    assert torch.allclose(result.perturbation.flatten(1).norm(dim=1), torch.full((6,), eps), rtol=1e-5)


def test_a_targeted_attack_on_a_linear_model_flips_at_the_predicted_eps():
    # Classes 0 and 1 compete; class 2 is far below both, so it never interferes.
    model = linear_model(3, bias=[0.5, 0.0, -100.0])
    images = interior_images(4, seed=3)
    with torch.no_grad():
        logits = model(images)
    keep = logits.argmax(1) == 0
    images, logits = images[keep], logits[keep]
    w = model.fc.weight
    flip = (logits[:, 0] - logits[:, 1]) / (w[0] - w[1]).abs().sum()  # (S_y - S_t) / ||w_y - w_t||_1
    assert len(images) and (flip < 0.1).all()
    for factor, flipped in [(1 - 1e-3, False), (1 + 1e-3, True)]:
        result = fgsm(model, images, eps=flip * factor, target=1, loss="margin")
        assert (result.success == flipped).all(), (factor, result.logits)


# --- every attack stays in the ball and in [0, 1], and leaves the model alone -----------------

SETTINGS = [Attack(method=m, norm=n, loss=loss, target=t, steps=None if m == "fgsm" else 3)
            for m in ("fgsm", "bim", "pgd") for n in ("linf", "l2")
            for loss, t in (("ce", None), ("margin", "least_likely"))]


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: f"{s.method}-{s.norm}-{s.loss}-{s.target}")
def test_every_attack_stays_in_the_ball_and_in_the_unit_cube(shapenet, held_out, settings):
    images = held_out.images[:6]
    eps = 8 / 255 if settings.norm == "linf" else 0.5
    before = snapshot(shapenet)
    result = attack(shapenet, images, held_out.labels[:6], settings, eps=eps)
    assert_unchanged(shapenet, before)
    delta = (result.adversarial - images).double()
    size = delta.flatten(1).abs().amax(1) if settings.norm == "linf" else delta.flatten(1).norm(dim=1)
    assert (size <= eps + 1e-6).all(), size
    assert size.max() > 0.9 * eps                                # it did move
    assert result.adversarial.min() >= 0 and result.adversarial.max() <= 1


@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_pgd_with_one_step_of_size_eps_and_no_random_start_is_fgsm(shapenet, held_out, norm):
    eps = 4 / 255 if norm == "linf" else 0.3
    one = pgd(shapenet, held_out.images, eps=eps, norm=norm, steps=1, step_size=eps, random_start=False)
    assert torch.equal(one.adversarial, fgsm(shapenet, held_out.images, eps=eps, norm=norm).adversarial)


@pytest.mark.parametrize("labels, target, random_start, passes", [
    ("given", None, False, [1, 5, 5]),          # the first step's pass gives the clean logits
    ("given", 3, False, [1, 5, 5]),
    (None, None, False, [5, 5, 5]),             # labels from the clean predictions: a full clean pass
    ("given", "least_likely", False, [5, 5, 5]),
    ("given", None, True, [5, 5, 5]),           # a random start moves the first step off the images
])
def test_the_clean_logits_come_from_the_first_step_when_it_sees_the_clean_images(
        shapenet, held_out, labels, target, random_start, passes):
    images = held_out.images[:5]
    seen = []
    handle = shapenet.register_forward_pre_hook(lambda module, inputs: seen.append(len(inputs[0])))
    try:
        result = pgd(shapenet, images, held_out.labels[:5] if labels else None, eps=2 / 255, steps=1,
                     step_size=2 / 255, target=target, random_start=random_start)
    finally:
        handle.remove()
    assert seen == passes
    with torch.no_grad():
        assert torch.allclose(result.clean_logits, shapenet(images), atol=1e-4)


def test_the_model_keeps_its_parameter_gradients_and_flags(net):
    net.fc.weight.grad = torch.ones_like(net.fc.weight)            # a user's own gradient
    before = snapshot(net)
    pgd(net, torch.rand(2, 3, 8, 8), eps=0.1, steps=2)
    assert_unchanged(net, before)
    assert net.conv1.weight.grad is None and torch.equal(net.fc.weight.grad, torch.ones_like(net.fc.weight))


# --- agreement with torchattacks, the test-only oracle ------------------------------------------

def test_fgsm_and_pgd_equal_torchattacks_where_its_cross_entropy_gradient_is_accurate(shapenet, held_out):
    import torchattacks

    model = copy.deepcopy(shapenet).double()       # float64: torchattacks' p - onehot(y) is exact
    images, labels = held_out.images.double(), held_out.labels
    sure = margins(model, images) < 25             # beyond ~37, 1 - p_y rounds even in float64
    images, labels = images[sure][:10], labels[sure][:10]
    assert len(labels) == 10
    for eps in (2 / 255, 8 / 255):
        ours = fgsm(model, images, labels, eps=eps).adversarial
        assert torch.equal(ours, torchattacks.FGSM(model, eps=eps)(images, labels))
    eps, alpha = 8 / 255, 3 / 255
    ours = pgd(model, images, labels, eps=eps, steps=4, step_size=alpha, random_start=False).adversarial
    theirs = torchattacks.PGD(model, eps=eps, alpha=alpha, steps=4, random_start=False)(images, labels)
    assert torch.equal(ours, theirs) and not torch.equal(ours, images)


def confident_stripes(model, count: int = 12):
    """The held-out stripe images the model is most sure of (picked by measured margin)."""
    data = make_shapes(256, seed=7)
    stripes = torch.tensor([CLASSES[int(k)].endswith("stripes") for k in data.labels])
    margin = torch.where(stripes, margins(model, data.images), torch.tensor(-1.0))
    picked = margin.topk(count).indices
    return data.images[picked], data.labels[picked], margin[picked]


def test_on_confident_stripes_the_cross_entropy_direction_equals_an_independent_float64_one(shapenet):
    images, labels, margin = confident_stripes(shapenet, 6)
    model = copy.deepcopy(shapenet).double()
    x = images.double().requires_grad_(True)
    grad, = torch.autograd.grad(stable_cross_entropy(model(x), labels).sum(), x)
    expected = (x + 2 / 255 * grad.sign()).clamp(0, 1).detach()
    ours = fgsm(model, images.double(), labels, eps=2 / 255).adversarial
    assert (ours == expected).double().mean() > 0.9999


def test_no_confident_stripe_is_left_unmoved(shapenet):
    images, labels, margin = confident_stripes(shapenet)
    x = images.clone().requires_grad_(True)
    grad, = torch.autograd.grad(F.cross_entropy(shapenet(x), labels), x)
    untouched = (grad.flatten(1).abs().amax(1) == 0).sum()
    assert untouched > 0, "the trap is gone: float32 cross-entropy moves every one of these images"
    for settings in (Attack("fgsm"), Attack("fgsm", loss="margin"), Attack("pgd", steps=2),
                     Attack("bim", steps=2, norm="l2"), Attack("fgsm", target="least_likely")):
        eps = 1 / 255 if settings.norm == "linf" else 0.05
        moved = attack(shapenet, images, labels, settings, eps=eps).perturbation.flatten(1).abs().amax(1)
        assert (moved > 0).all(), (settings, moved)


# --- frames and stop ----------------------------------------------------------------------------

def test_frames_stream_every_step_and_stop_ends_the_run(shapenet, held_out):
    frames = list(attack_frames(shapenet, held_out.images[:2], method="pgd", eps=4 / 255, steps=5))
    assert [f.step for f in frames] == [0, 1, 2, 3, 4, 5] and frames[-1].status == "done"
    assert frames[0].logits.shape == (2, len(CLASSES)) and frames[-1].adversarial.shape == (2, 3, 64, 64)
    polls = iter([False, False, True])
    frames = list(attack_frames(shapenet, held_out.images[:2], method="pgd", eps=4 / 255, steps=5,
                                stop=lambda: next(polls)))
    assert frames[-1].status == "stopped" and frames[-1].step == 1 and hook_count(shapenet) == 0


# --- bad input: a clear error, and the model as it was -------------------------------------------

BAD = [
    (dict(eps=-0.1), ValueError, "eps must be a finite number >= 0"),
    (dict(eps=float("nan")), ValueError, "eps must be a finite number >= 0"),
    (dict(eps="8/255"), TypeError, "eps must be a number"),
    (dict(target=8), ValueError, "target 8 is out of range: the model has 8 classes"),
    (dict(target="most likely"), ValueError, "least_likely"),
    (dict(labels=[0, 1, 2]), ValueError, "labels: got 3 for a batch of 2 images"),
    (dict(labels=[0, 9]), ValueError, "labels 9 is out of range"),
    (dict(method="cw"), ValueError, "unknown attack 'cw'"),
    (dict(norm="l1"), ValueError, "unknown norm 'l1'"),
    (dict(loss="nll"), ValueError, "unknown attack loss 'nll'"),
    (dict(method="fgsm", steps=5), ValueError, "FGSM is one step"),
    (dict(steps=0), ValueError, "steps must be an integer >= 1"),
    (dict(images=2 * torch.rand(2, 3, 64, 64)), ValueError, r"images must lie in \[0, 1\]"),
    (dict(images=torch.zeros(2, 3, 64, 64, dtype=torch.uint8)), TypeError, "float tensor"),
]


@pytest.mark.parametrize("change,error,message", BAD, ids=[m for _, _, m in BAD])
def test_bad_input_gets_a_clear_error_and_leaves_the_model_unchanged(shapenet, held_out, change, error, message):
    change = dict(change)
    images = change.pop("images", held_out.images[:2])
    labels = change.pop("labels", None)
    before = snapshot(shapenet)
    with pytest.raises(error, match=message):
        attack(shapenet, images, labels, Attack(eps=4 / 255), **change)
    assert_unchanged(shapenet, before)


def test_a_model_in_training_mode_is_refused_not_switched(net):
    net.train()
    with pytest.raises(ValueError, match=r"training mode: call model.eval\(\)"):
        fgsm(net, torch.rand(1, 3, 8, 8), eps=0.1)
    assert net.training
