"""The inverse-set sampler against cases with known answers: the logistic slab, two slabs, a 2-D
ReLU network on a dense grid, an unreachable band, diversity against the baselines, hygiene."""
import math
from collections import OrderedDict

import pytest
import torch
from torch import nn

from conftest import assert_unchanged, hook_count, snapshot
from vizlab.ascent import class_logit
from vizlab.inverse_set import (FourierGenerator, PixelGenerator, inverse_set, mean_pairwise_distance,
                                rejection_sample, restarts, sample_inverse_set, most_variable_channel,
                                quantile_band)
from vizlab.ascent.param import FourierImage

D = 12
FAST = dict(K=4, inner_steps=30, encoder="identity")


def logistic(d=D, units=1, seed=0, scale=1.0):
    """f(x) = sigmoid(W x + b) on x in [0, 1]^d, read at the layer "sigmoid"."""
    torch.manual_seed(seed)
    model = nn.Sequential(OrderedDict(flatten=nn.Flatten(), linear=nn.Linear(d, units), sigmoid=nn.Sigmoid()))
    with torch.no_grad():
        model.linear.weight.mul_(scale * 3)
    return model.eval().requires_grad_(False)


def pre_activation(model, images):
    x = images.flatten(1).double()
    return x @ model.linear.weight.double().T + model.linear.bias.double()


def logit(z):
    return math.log(z / (1 - z))


def test_every_slab_sample_is_inside_the_slab_and_the_cube():
    model = logistic()
    result = inverse_set(model, class_logit("sigmoid", 0), (0.6, 0.7), n=12, generator=PixelGenerator((1, 1, D)),
                         seed=0, **FAST)
    assert result.status == "done" and len(result) == 12
    s = pre_activation(model, result.images)[:, 0]
    assert (s >= logit(0.6)).all() and (s <= logit(0.7)).all()
    assert result.images.min() >= 0 and result.images.max() <= 1
    assert torch.allclose(result.activations[:, 0].double(), torch.sigmoid(s), atol=1e-6)


def test_two_slabs_at_once_every_sample_is_in_both():
    model = logistic(units=2, seed=1)
    bands = [(0.3, 0.45), (0.6, 0.75)]
    result = inverse_set(model, [class_logit("sigmoid", 0), class_logit("sigmoid", 1)], bands, n=8,
                         generator=PixelGenerator((1, 1, D)), seed=0, **FAST)
    assert result.status == "done" and len(result) == 8
    s = pre_activation(model, result.images)
    for j, (z1, z2) in enumerate(bands):
        assert (s[:, j] >= logit(z1)).all() and (s[:, j] <= logit(z2)).all()


def test_on_a_2d_relu_network_every_sample_lies_in_the_set_found_on_a_dense_grid():
    torch.manual_seed(3)
    model = nn.Sequential(OrderedDict(flatten=nn.Flatten(), hidden=nn.Linear(2, 16), relu=nn.ReLU(),
                                      out=nn.Linear(16, 1))).eval().requires_grad_(False)
    steps = 1001
    axis = torch.linspace(0, 1, steps)
    grid = torch.stack(torch.meshgrid(axis, axis, indexing="ij"), -1).reshape(-1, 1, 1, 2)
    with torch.no_grad():
        values = model(grid).view(steps, steps)
    z1, z2 = (float(q) for q in values.flatten().quantile(torch.tensor([0.55, 0.65])))
    inside = (values >= z1) & (values <= z2)
    result = inverse_set(model, class_logit("out", 0), (z1, z2), n=16, generator=PixelGenerator((1, 1, 2)),
                         seed=0, **FAST)
    assert result.status == "done" and len(result) == 16
    points = result.images.view(-1, 2)
    cell = (points * (steps - 1)).floor().long().clamp(0, steps - 2)
    for i, j in cell.tolist():                     # a corner of the sample's grid cell is in the set
        assert inside[i:i + 2, j:j + 2].any(), (i, j)
    # spread out along the set, not one point: the set runs from y = 0 to y = 1 (within x 0.52-0.94)
    assert torch.cdist(points, points).max() > 0.5


def test_an_unreachable_band_returns_no_sample_and_the_closest_activation():
    model = logistic(scale=0.2)
    w, b = model.linear.weight[0].double(), float(model.linear.bias)
    best = torch.sigmoid(w.clamp(min=0).sum() * torch.sigmoid(torch.tensor(6.0)).double()
                         + w.clamp(max=0).sum() * torch.sigmoid(torch.tensor(-6.0)).double() + b)
    assert best < 0.95
    result = inverse_set(model, class_logit("sigmoid", 0), (0.95, 0.99), n=4, generator=PixelGenerator((1, 1, D)),
                         seed=0, max_outer=6, **FAST)
    assert result.status == "unreachable" and len(result) == 0 and result.images.shape[0] == 0
    assert "not reached" in result.message and abs(float(result.closest[0]) - float(best)) < 0.01


def test_the_sampler_is_more_diverse_than_restarts_and_rejection():
    model = logistic(scale=0.5)
    options = dict(n=10, generator=PixelGenerator((1, 1, D)), seed=0, encoder="identity")
    band = (0.55, 0.65)
    ours = inverse_set(model, class_logit("sigmoid", 0), band, K=5, **options)
    independent = restarts(model, class_logit("sigmoid", 0), band, K=5, **options)
    drawn = rejection_sample(model, class_logit("sigmoid", 0), band, max_draws=4096, **options)
    assert len(ours) == len(independent) == 10 and len(drawn) >= 2
    spread = [mean_pairwise_distance(r.images.flatten(1)) for r in (ours, independent, drawn)]
    assert spread[0] > spread[1] and spread[0] > spread[2], spread


def test_the_same_seed_gives_the_same_samples():
    model = logistic()
    runs = [inverse_set(model, class_logit("sigmoid", 0), (0.6, 0.7), n=4, generator=PixelGenerator((1, 1, D)),
                        seed=s, **FAST) for s in (5, 5, 6)]
    assert torch.equal(runs[0].images, runs[1].images)
    assert not torch.equal(runs[0].images, runs[2].images)


def test_the_model_is_unchanged_after_success_error_and_stop():
    model = logistic()
    model.linear.weight.requires_grad_(True)          # even a model whose weights would take gradients
    before = snapshot(model)
    inverse_set(model, class_logit("sigmoid", 0), (0.6, 0.7), n=4, generator=PixelGenerator((1, 1, D)), **FAST)
    assert_unchanged(model, before)

    class Breaks(PixelGenerator):
        calls = 0

        def forward(self, codes):
            Breaks.calls += 1
            if Breaks.calls > 5:
                raise RuntimeError("generator broke")
            return super().forward(codes)

    with pytest.raises(RuntimeError, match="generator broke"):
        inverse_set(model, class_logit("sigmoid", 0), (0.6, 0.7), n=4, generator=Breaks((1, 1, D)), **FAST)
    assert_unchanged(model, before)

    seen = []
    frames = sample_inverse_set(model, class_logit("sigmoid", 0), (0.99, 0.999), n=8, generator=PixelGenerator((1, 1, D)),
                                stop=lambda: len(seen) > 2, every=1, **FAST)
    for frame in frames:
        seen.append(frame)
    assert seen[-1].status == "stopped" and seen[-1].result.status == "stopped"
    assert_unchanged(model, before)
    assert hook_count(model) == 0


@pytest.mark.parametrize("call, message", [
    (dict(bands=(0.7, 0.6)), "z1 <= z2"),
    (dict(bands=(1.0, 2.0)), "outside its possible range"),
    (dict(n=0), "n must be an integer >= 1"),
    (dict(K=0), "K must be an integer >= 1"),
    (dict(generator=nn.Identity()), "no code box"),
    (dict(encoder=nn.Identity()), "one vector per image"),
])
def test_bad_input_gets_a_clear_error(call, message):
    model = logistic()
    args = dict(bands=(0.6, 0.7), n=4, K=4, generator=PixelGenerator((1, 1, D)), encoder="identity")
    args.update(call)
    with pytest.raises(ValueError, match=message):
        inverse_set(model, class_logit("sigmoid", 0), args.pop("bands"), **args)


def test_a_generator_whose_output_is_not_an_image_in_0_1_is_refused():
    class Raw(PixelGenerator):
        def forward(self, codes):
            return codes.view(codes.shape[0], *self.shape)       # codes in [-6, 6], no sigmoid
    with pytest.raises(ValueError, match=r"images in \[0, 1\]"):
        inverse_set(logistic(), class_logit("sigmoid", 0), (0.6, 0.7), n=4, generator=Raw((1, 1, D)), **FAST)


def test_the_fourier_generator_is_vizlabs_fourier_image():
    fourier = FourierGenerator(16)
    assert torch.allclose(fourier(torch.zeros(1, fourier.low.numel())), torch.full((1, 3, 16, 16), 0.5))
    image = FourierImage(16, 2, std=0.02)
    codes = image.spectrum.detach().flatten(1)
    assert torch.allclose(fourier(codes), image(), atol=1e-6)


def test_the_most_variable_channel_and_a_quantile_band_are_measured_not_assumed():
    model = nn.Sequential(OrderedDict(conv=nn.Conv2d(3, 3, 1, bias=False))).eval()
    with torch.no_grad():
        model.conv.weight.copy_(torch.diag(torch.tensor([1.0, 5.0, 2.0]))[:, :, None, None])
    images = torch.rand(32, 3, 4, 4, generator=torch.Generator().manual_seed(0))
    unit, values = most_variable_channel(model, "conv", images)
    assert unit == 1 and torch.allclose(values, 5 * images[:, 1].mean((1, 2)))
    assert quantile_band(torch.arange(101.0), 0.1, 0.9) == (10.0, 90.0)
