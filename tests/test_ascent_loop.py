"""The loop: it climbs, it reaches known optima, it is reproducible and it always cleans up."""
import math
from collections import OrderedDict

import pytest
import torch
from torch import nn

from conftest import assert_unchanged, hook_count, snapshot
from vizlab.ascent import (Objective, PixelImage, ascend, channel, l2, neuron, project_to_ball, project_to_sphere,
                           standard_transforms)
from vizlab.ascent.steps import UpdateRule


def sgd(lr):
    return lambda params: torch.optim.SGD(params, lr=lr)


def drain(frames):
    return list(frames)


@pytest.mark.parametrize("param", ["pixels", "fourier"])
def test_the_score_rises(shapenet, param):
    frames = drain(ascend(shapenet, channel("conv3", 5), param=param, size=32, steps=24, every=8,
                          transforms=standard_transforms(32)))
    assert [f.step for f in frames] == [0, 8, 16, 24]
    assert frames[-1].score > frames[0].score + 1.0
    assert frames[-1].status == "done"
    assert all(0 <= f.images.min() and f.images.max() <= 1 for f in frames)


def test_linear_score_with_l2_penalty_converges_to_w_over_2_lambda():
    """max_x w.x - lam ||x||^2 has its maximizer at w / (2 lam) (METHODS 6.5, check 2)."""
    torch.manual_seed(0)
    lam = 1.0
    target = 0.1 + 0.8 * torch.rand(3, 8, 8)                # inside [0, 1]: clipping never binds
    model = nn.Sequential(OrderedDict([("flat", nn.Flatten()), ("score", nn.Linear(3 * 64, 1, bias=False))]))
    model.score.weight.data = (2 * lam * target).reshape(1, -1)
    objective = Objective(lambda acts: acts["score"][:, 0], ["score"], "w.x")
    frames = drain(ascend(model, objective, param=PixelImage(8), regularizers=[l2(lam, center=0.0)],
                          optimizer=sgd(0.1), steps=150, every=150, redirect_steps=0))
    assert torch.allclose(frames[-1].images[0], target, atol=1e-5)
    assert frames[-1].terms["l2"] == pytest.approx(target.pow(2).sum().item() / 1, rel=1e-4)


def test_first_layer_unit_on_a_sphere_reaches_the_closed_form(shapenet):
    """max_{||x - m|| = rho} of a conv1 pre-activation is m + rho w/||w|| (METHODS 1, Cauchy-Schwarz).

    ShapeNet's conv1 (7x7, stride 2, padding 3) reads (x - 0.5) / 0.25, so the centre unit (16, 16)
    of its 32x32 map is w / 0.25 placed on input rows and columns 29..35."""
    c = 3
    w = torch.zeros(3, 64, 64)
    w[:, 29:36, 29:36] = shapenet.conv1.weight[c] / 0.25
    frames = drain(ascend(shapenet, neuron("conv1", c), param=PixelImage(64, noise=0.01),
                          regularizers=[project_to_sphere(0.3)], optimizer=sgd(0.05),
                          steps=60, every=60, redirect_steps=0))
    offset = frames[-1].images[0] - 0.5
    cosine = torch.nn.functional.cosine_similarity(offset.flatten(), w.flatten(), dim=0)
    assert cosine > 0.99
    assert offset.norm() == pytest.approx(0.3, rel=1e-3)


def test_the_sphere_refuses_adam_which_would_converge_to_the_filters_sign(shapenet):
    """Adam rescales each pixel's step: projected onto the sphere it reaches sign(w), cosine 0.79
    with the closed form above. The loop says to use SGD before taking a step."""
    before = snapshot(shapenet)
    for optimizer in (None, lambda p: torch.optim.Adam(p, lr=0.05)):
        with pytest.raises(ValueError, match=r"sphere needs plain gradient steps: .*torch\.optim\.SGD.*Adam"):
            next(ascend(shapenet, neuron("conv1", 3), param=PixelImage(64), optimizer=optimizer,
                        regularizers=[project_to_sphere(0.3)], steps=4, every=4))
    assert_unchanged(shapenet, before)


def test_the_same_seed_gives_the_same_images(shapenet):
    def run(seed):
        return drain(ascend(shapenet, channel("conv2", 1), size=32, steps=6, every=3, seed=seed,
                            transforms=standard_transforms(32)))[-1].images
    first, again, other = run(7), run(7), run(8)
    assert torch.equal(first, again)
    assert not torch.allclose(first, other)


def test_a_batch_visualizes_one_unit_per_image(shapenet):
    frames = drain(ascend(shapenet, channel("conv3", [0, 1, 2]), batch=3, size=32, steps=12, every=12))
    assert frames[-1].images.shape == (3, 3, 32, 32) and len(frames[-1].scores) == 3
    assert all(after > before for before, after in zip(frames[0].scores, frames[-1].scores))


@pytest.mark.parametrize("ending", ["normal", "break", "exception", "stop", "abandoned"])
def test_no_hook_remains_and_the_model_is_unchanged(net, ending):
    before = snapshot(net)
    calls = {"n": 0}

    def score(acts):
        calls["n"] += 1
        if ending == "exception" and calls["n"] == 3:
            raise RuntimeError("boom")
        return acts["conv2"][:, 0].mean((1, 2))

    objective = Objective(score, ["conv2"], "c")
    frames = ascend(net, objective, size=16, steps=8, every=1,
                    stop=(lambda: calls["n"] >= 4) if ending == "stop" else None)
    if ending == "exception":
        with pytest.raises(RuntimeError, match="boom"):
            drain(frames)
    elif ending == "break":
        for frame in frames:
            if frame.step == 2:
                break
    elif ending == "abandoned":
        next(frames)
        assert hook_count(net) == 0                      # no hook while a frame is out
    else:
        result = drain(frames)
        assert result[-1].status == ("stopped" if ending == "stop" else "done")
        if ending == "stop":
            assert result[-1].step == 3 and calls["n"] == 4  # stopped before the next step
    assert_unchanged(net, before)


def test_nan_is_caught_and_the_last_good_frame_kept(net):
    calls = {"n": 0}

    def score(acts):
        calls["n"] += 1
        value = acts["conv2"][:, 0].mean((1, 2))
        return value * float("nan") if calls["n"] > 5 else value

    before = snapshot(net)
    frames = drain(ascend(net, Objective(score, ["conv2"], "c"), size=16, steps=20, every=2))
    last = frames[-1]
    assert last.status == "nan" and "NaN" in last.message and "step 4" in last.message
    assert last.step == 4 and torch.isfinite(last.images).all()
    assert_unchanged(net, before)


def dead_unit_net(inplace: bool) -> nn.Module:
    """conv 1x1 summing the colours, bias -2: on grey (sum 1.5) the ReLU output is exactly 0."""
    net = nn.Sequential(OrderedDict([("conv", nn.Conv2d(3, 1, 1)), ("relu", nn.ReLU(inplace=inplace))]))
    net.conv.weight.data.fill_(1.0)
    net.conv.bias.data.fill_(-2.0)
    return net.eval().requires_grad_(False)


@pytest.mark.parametrize("inplace", [False, True])
def test_a_unit_dead_at_the_start_still_moves(inplace):
    net = dead_unit_net(inplace)
    run = lambda redirect: drain(ascend(net, channel("relu", 0), param=PixelImage(8), steps=30,
                                        every=30, redirect_steps=redirect))
    dead = run(0)
    assert dead[0].score == 0 and dead[-1].score == 0     # the true gradient is exactly zero
    revived = run(16)
    assert revived[0].score == 0 and revived[-1].score > 0.5


class FunctionalDeadUnit(nn.Module):
    """The same dead unit, its ReLU applied as a function (as in torchvision's GoogLeNet)."""

    def __init__(self):
        super().__init__()
        self.conv = dead_unit_net(False).conv
        self.out = nn.Identity()                     # a named layer to read the ReLU's output

    def forward(self, x):
        return self.out(torch.relu(self.conv(x)))


def test_functional_relus_are_redirected_too():
    net = FunctionalDeadUnit().eval()
    run = lambda redirect: drain(ascend(net, channel("out", 0), param=PixelImage(8), steps=30,
                                        every=30, redirect_steps=redirect))
    assert run(0)[-1].score == 0
    assert run(16)[-1].score > 0.5


def test_pixel_operations_need_a_pixel_image(shapenet):
    from vizlab.ascent import blur

    with pytest.raises(ValueError, match="param='pixels'"):
        next(ascend(shapenet, channel("conv2", 0), param="fourier", regularizers=[blur(1.0)]))


def test_unknown_layer_and_unit_out_of_range_are_clear_errors(shapenet):
    with pytest.raises(ValueError, match="Unknown layer 'conv9'"):
        next(ascend(shapenet, channel("conv9", 0)))
    with pytest.raises(ValueError, match=r"channel 64 is out of range .*64 channels \(valid: 0\.\.63\)"):
        next(ascend(shapenet, channel("conv3", 64), size=32))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_the_loop_follows_the_model_to_the_gpu(shapenet):
    from vizlab import load_model

    model = load_model("shapenet", device="cuda")
    frames = drain(ascend(model, channel("conv3", 1), size=32, steps=8, every=8,
                          transforms=standard_transforms(32)))
    assert frames[-1].score > frames[0].score and frames[-1].images.device.type == "cpu"


def test_an_update_rule_updates_only_parameters_with_a_gradient_outside_autograd():
    class AddGradient(UpdateRule):
        def update(self, p, grad):
            p.add_(grad)                     # in place on a leaf: autograd refuses this unless it is off

    moved, idle = nn.Parameter(torch.zeros(2, 3)), nn.Parameter(torch.zeros(2, 3))
    moved.grad = torch.arange(6.0).view(2, 3)
    AddGradient([moved, idle]).step()
    assert torch.equal(moved.detach(), moved.grad) and torch.equal(idle.detach(), torch.zeros(2, 3))


def _two_scores():
    """x -> (w0.x, w1.x) with w0 and w1 of opposite signs, pixel for pixel."""
    model = nn.Sequential(OrderedDict([("flat", nn.Flatten()), ("score", nn.Linear(3 * 64, 2, bias=False))]))
    w = 0.1 + torch.rand(3 * 64, generator=torch.Generator().manual_seed(0))
    model.score.weight.data = torch.stack([w, -w])
    return model, w.view(3, 8, 8)


@pytest.mark.parametrize("redirect_steps", [0, 1])
def test_the_loop_backpropagates_an_objectives_seed_and_shows_its_score(redirect_steps):
    """The score is w0.x, but the seed says its gradient is that of w1.x: the step must follow the seed."""
    model, w = _two_scores()
    objective = Objective(lambda acts: acts["score"][:, 0], ["score"], "w0.x",
                          seed=lambda acts: {"score": torch.tensor([[0.0, 1.0]]).expand_as(acts["score"])})
    frames = drain(ascend(model, objective, param=PixelImage(8, noise=0.0), optimizer=sgd(0.01), steps=1,
                          every=1, redirect_steps=redirect_steps))
    x1 = frames[-1].images[0]
    assert torch.allclose(x1, 0.5 - 0.01 * w, atol=1e-6)              # along +grad(w1.x) = -w
    assert frames[-1].score == pytest.approx(float((w * x1).sum()), rel=1e-5)


def test_beside_a_penalty_the_loop_differentiates_the_score_and_ignores_the_seed():
    model, w = _two_scores()
    wrong = Objective(lambda acts: acts["score"][:, 0], ["score"], "w0.x",
                      seed=lambda acts: {"score": torch.tensor([[0.0, 1.0]]).expand_as(acts["score"])})
    frames = drain(ascend(model, wrong, param=PixelImage(8, noise=0.0), optimizer=sgd(0.01), steps=1, every=1,
                          regularizers=[l2(0.5, center=0.0)], redirect_steps=0))
    assert torch.allclose(frames[-1].images[0], 0.5 + 0.01 * (w - 2 * 0.5 * 0.5), atol=1e-6)


def test_a_seed_that_does_not_fit_its_layer_is_a_clear_error():
    model, _ = _two_scores()
    bad = Objective(lambda acts: acts["score"][:, 0], ["score"], "w0.x", seed=lambda acts: {"score": torch.ones(3)})
    with pytest.raises(ValueError, match=r"seed for 'score' must be a tensor shaped like that layer's activation"):
        drain(ascend(model, bad, param=PixelImage(8), steps=2))
    with pytest.raises(TypeError, match="seed must be a function"):
        Objective(lambda acts: acts["score"][:, 0], ["score"], "w0.x", seed=1.0)


# --- starting from an image, and staying near it ------------------------------------------------

def _dataset_images(n, size=64):
    from vizlab import make_shapes
    return make_shapes(n, size=size, seed=3).images


def test_an_ascent_from_an_image_starts_exactly_at_that_image(shapenet):
    start = _dataset_images(2)
    frames = drain(ascend(shapenet, channel("conv3", 5), param="pixels", start=start, batch=2,
                          steps=4, every=1, seed=0))
    assert torch.equal(frames[0].images, start)             # step 0: before any step, no noise added
    assert not torch.equal(frames[1].images, start)         # and the first step moves it
    assert frames[-1].score > frames[0].score
    one = drain(ascend(shapenet, channel("conv3", 5), param="pixels", start=start[:1], batch=3,
                       steps=1, every=1))
    assert torch.equal(one[0].images, start[:1].expand(3, -1, -1, -1))   # one image fills every slot


@pytest.mark.parametrize("start,options,words", [
    (torch.rand(1, 3, 32, 32), dict(size=64), ("32x32", "size is 64x64", "size=None")),
    (torch.rand(3, 3, 64, 64), dict(batch=2), ("3 images", "batch=2", "one image")),
    (torch.rand(1, 2, 64, 64), {}, ("(B, 3, H, W)", "got (1, 2, 64, 64)")),
    (torch.full((1, 3, 64, 64), math.nan), {}, ("NaN", "finite", "[0, 1]")),
    (torch.full((1, 3, 64, 64), 200.0), {}, ("[0, 1]", "255")),
    (torch.rand(1, 3, 64, 64), dict(param="fourier"), ("param='pixels'", "'fourier'")),
    (torch.rand(1, 3, 64, 64), dict(param=PixelImage(64)), ("param='pixels'", "PixelImage(image=start)")),
])
def test_a_bad_start_image_is_refused_saying_what_is_wrong_and_what_is_allowed(shapenet, start, options, words):
    options = {"param": "pixels", **options}
    with pytest.raises((ValueError, TypeError)) as error:
        next(ascend(shapenet, channel("conv3", 5), start=start, steps=2, **options))
    for word in words:
        assert word.lower() in str(error.value).lower(), (word, str(error.value))
    assert "vizlab" in error.traceback[-1].path.as_posix()        # raised by vizlab, before torch sees it


@pytest.mark.parametrize("norm,eps", [("linf", 4 / 255), ("l2", 0.5)])
def test_ascent_within_a_ball_stays_inside_it_at_every_frame_and_still_climbs(shapenet, norm, eps):
    start = _dataset_images(2)
    frames = drain(ascend(shapenet, channel("conv3", 5), param="pixels", start=start, batch=2, steps=24,
                          every=1, regularizers=[project_to_ball(eps, around=start, norm=norm)]))
    for f in frames:
        change = (f.images - start).flatten(1)
        distance = change.abs().max(1).values if norm == "linf" else change.norm(dim=1)
        assert (distance <= eps * (1 + 1e-5)).all(), (f.step, distance)
        assert f.images.min() >= 0 and f.images.max() <= 1
    assert distance.max() > 0.9 * eps                         # the ball binds: the change is not tiny anyway
    assert all(after > before for before, after in zip(frames[0].scores, frames[-1].scores))
