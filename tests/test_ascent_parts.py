"""Objectives, parameterizations, transforms and regularizers, each against a hand-computed answer."""
import itertools

import numpy as np
import pytest
import torch

from vizlab.ascent import (FourierImage, PixelImage, ascend, blur, channel, class_logit, clip_contribution,
                           clip_pixel_norm, decay, deepdream, direction, diversity, gram_similarity, jitter,
                           l1, l2, logits_layer, neuron, pad, project_to_ball, project_to_sphere, random_rotate, random_scale,
                           standard_transforms, total_variation)


@pytest.fixture
def acts():
    torch.manual_seed(0)
    return {"a": torch.randn(2, 4, 5, 6), "logits": torch.randn(2, 3)}


# --- objectives -------------------------------------------------------------------------------

def test_neuron_reads_the_centre_unit_by_default(acts):
    assert torch.equal(neuron("a", 1)(acts), acts["a"][:, 1, 2, 3])          # (5//2, 6//2)
    assert torch.equal(neuron("a", 1, y=0, x=5)(acts), acts["a"][:, 1, 0, 5])
    assert torch.equal(neuron("a", [0, 3])(acts), torch.stack([acts["a"][0, 0, 2, 3], acts["a"][1, 3, 2, 3]]))


def test_channel_layer_class_and_direction_scores(acts):
    a = acts["a"]
    assert torch.allclose(channel("a", 2)(acts), a[:, 2].mean((1, 2)))
    assert torch.allclose(deepdream("a")(acts), (a ** 2).mean((1, 2, 3)))
    assert torch.equal(class_logit("logits", 2)(acts), acts["logits"][:, 2])
    v = torch.tensor([1.0, -2.0, 0.0, 0.5])
    expected = torch.stack([sum(v[c] * a[b, c] for c in range(4)).mean() for b in range(2)])
    assert torch.allclose(direction("a", v)(acts), expected, atol=1e-6)


def test_objectives_compose_like_numbers(acts):
    c0, c1 = channel("a", 0), channel("a", 1)
    assert torch.allclose((c0 + 2 * c1 - c0 * 0.5)(acts), 0.5 * c0(acts) + 2 * c1(acts))
    assert torch.equal((-c0)(acts), -c0(acts))
    assert (c0 - deepdream("b")).layers == ("a", "b")
    with pytest.raises(TypeError, match="scalars only multiply|numbers only"):
        c0 * c1


def test_bad_indices_name_the_valid_range(acts):
    with pytest.raises(ValueError, match=r"channel 4 .* 4 channels \(valid: 0\.\.3\)"):
        channel("a", 4)(acts)
    with pytest.raises(ValueError, match=r"class 3 .* 3 classes \(valid: 0\.\.2\)"):
        class_logit("logits", 3)(acts)
    with pytest.raises(ValueError, match="3 indices for a batch of 2"):
        channel("a", [0, 1, 2])(acts)
    with pytest.raises(ValueError, match=r"needs a \(B, C, H, W\) map"):
        channel("logits", 0)(acts)


def brute_force_similarity(act: np.ndarray) -> float:
    """D = (1/B) sum_{a != b} g_a . g_b with g = normalized flattened Gram matrix, by loops."""
    grams = []
    for image in act:
        flat = image.reshape(image.shape[0], -1)            # (C, HW)
        g = (flat @ flat.T).ravel()
        grams.append(g / np.linalg.norm(g))
    b = len(grams)
    return sum(grams[i] @ grams[j] for i, j in itertools.permutations(range(b), 2)) / b


def test_diversity_of_identical_images_is_exactly_b_minus_1():
    one = torch.randn(1, 4, 5, 5, dtype=torch.float64)
    for b in (2, 3, 5):
        same = one.expand(b, -1, -1, -1)
        assert gram_similarity(same).sum().item() == pytest.approx(b - 1, abs=1e-12)
        assert diversity("a")({"a": same}).sum().item() == pytest.approx(-(b - 1), abs=1e-12)


def test_diversity_matches_brute_force_and_is_at_most_b_minus_1():
    act = torch.randn(4, 3, 6, 6, dtype=torch.float64)
    d = gram_similarity(act).sum().item()
    assert d == pytest.approx(brute_force_similarity(act.numpy()), rel=1e-10)
    assert d < 3


def test_diversity_makes_a_batch_less_similar(shapenet):
    from vizlab import capture

    def final_similarity(weight):
        objective = channel("conv3", 2) + weight * diversity("conv3")
        frames = list(ascend(shapenet, objective, batch=3, size=32, steps=16, every=16, seed=1))
        return gram_similarity(capture(shapenet, frames[-1].images, "conv3")["conv3"]).sum()

    assert final_similarity(10.0) < final_similarity(0.0) - 0.05


def test_logits_layer_is_the_last_leaf(shapenet, net):
    assert logits_layer(shapenet) == "fc" and logits_layer(net) == "fc"


def test_negative_objective_pushes_a_pre_relu_unit_below_its_value_on_grey(net):
    """On tiny_net's conv1 (followed by an in-place ReLU) the pre-ReLU value must go negative
    (METHODS 6.5, check 6); a probe reading the overwritten tensor would stop at 0."""
    grey = torch.full((1, 3, 16, 16), 0.5)
    on_grey = net.conv1(grey)[0, 2].mean().item()
    frames = list(ascend(net, -channel("conv1", 2), param="pixels", size=16, steps=20, every=20))
    assert -frames[-1].score < min(on_grey, 0) - 0.1


# --- parameterizations -------------------------------------------------------------------------

def test_a_zero_spectrum_renders_uniform_grey():
    image = FourierImage(16, batch=2)
    with torch.no_grad():
        image.spectrum.zero_()
    assert torch.equal(image(), torch.full((2, 3, 16, 16), 0.5))


def test_fourier_scaling_is_one_over_frequency():
    image = FourierImage((8, 10))
    assert image().shape == (1, 3, 8, 10)
    assert image.scale[0, 0] == pytest.approx(10 * 80 ** 0.5)   # f = 0 is floored at 1/max(H, W)
    assert image.scale[0, 1] == pytest.approx(10 * 80 ** 0.5)   # f = 1/10
    assert image.scale[2, 0] == pytest.approx(4 * 80 ** 0.5)    # f = 2/8


def test_a_single_frequency_becomes_a_sinusoid_in_decorrelated_colour():
    image = FourierImage(16)
    with torch.no_grad():
        image.spectrum.zero_()
        image.spectrum[0, 0, 0, 2, 0] = 1.0                       # brightness channel, fx = 2/16
    out = image()[0]
    logit = torch.log(out / (1 - out))
    column = logit[:, 0, :]                                        # constant down the columns
    assert torch.allclose(logit, column[:, None, :].expand_as(logit), atol=1e-5)
    wave = torch.cos(2 * torch.pi * 2 * torch.arange(16) / 16)
    amplitudes = column @ wave / (wave @ wave)                     # least-squares fit per colour
    assert torch.allclose(column, amplitudes[:, None] * wave, atol=1e-5)
    assert torch.allclose(amplitudes / amplitudes[0], image.color[:, 0] / image.color[0, 0], atol=1e-4)


@pytest.mark.parametrize("kind", [PixelImage, FourierImage])
def test_parameterizations_give_images_in_0_1_and_follow_the_seed(kind):
    make = lambda seed: kind(12, batch=2, generator=torch.Generator().manual_seed(seed))()
    images = make(0)
    assert images.shape == (2, 3, 12, 12) and images.min() >= 0 and images.max() <= 1
    assert torch.equal(images, make(0)) and not torch.equal(images, make(1))


# --- transforms --------------------------------------------------------------------------------

def test_transforms_have_the_promised_sizes_and_follow_the_generator():
    x = torch.rand(2, 3, 20, 20)
    g = lambda: torch.Generator().manual_seed(3)
    assert pad(4)(x, g()).shape[-2:] == (28, 28) and pad(4)(x, g())[..., 0, 0].eq(0.5).all()
    shifted = jitter(5)(x, g())
    assert shifted.shape[-2:] == (15, 15)
    assert any(torch.equal(shifted, x[..., i:i + 15, j:j + 15]) for i in range(6) for j in range(6))
    assert torch.allclose(random_scale([1.0])(x, g()), x) and torch.allclose(random_rotate([0])(x, g()), x)
    turned = random_rotate([90])(x, g())
    assert any(torch.allclose(turned, x.rot90(k, (2, 3)), atol=1e-5) for k in (1, 3))   # a quarter turn
    for t in standard_transforms(20):
        assert torch.equal(t(x, g()), t(x, g()))


def test_standard_transforms_scale_to_small_images():
    x = torch.rand(1, 3, 16, 16)
    out = x
    for t in standard_transforms(16):
        out = t(out, torch.Generator().manual_seed(0))
    assert out.shape[-2:] == (16 + 2 * 2 - 1 - 1, ) * 2          # pad 2, jitter 1, jitter 1 at 16 px


# --- regularizers ------------------------------------------------------------------------------

def test_penalties_against_hand_computed_values():
    x = torch.full((1, 3, 4, 4), 0.5)
    x[0, :, 1, 2] = 0.7                                            # one bright pixel
    assert l2(1.0)(x).item() == pytest.approx(3 * 0.04)
    assert l1(1.0)(x).item() == pytest.approx(3 * 0.2)
    # the pixel differs from its left and upper neighbours, and is the left/upper neighbour of two others
    assert total_variation(1.0)(x).item() == pytest.approx(3 * 4 * 0.04)
    assert total_variation(1.0)(torch.rand(1, 3, 1, 1)).item() == 0


def test_pixel_operations():
    torch.manual_seed(0)
    x = 0.5 + 0.1 * torch.randn(2, 3, 16, 16)
    y = x.clone(); decay(0.1)(y, None, 0)
    assert torch.allclose(y - 0.5, 0.9 * (x - 0.5), atol=1e-6)
    y = x.clone(); blur(1.0, every=4)(y, None, 0)
    assert torch.equal(y, x)                                       # not a blur step
    blur(1.0, every=4)(y, None, 3)
    assert y.std() < 0.5 * x.std() and y.mean() == pytest.approx(x.mean().item(), abs=5e-3)
    y = x.clone(); clip_pixel_norm(50)(y, None, 0)
    assert (y == 0.5).all(1).float().mean() == pytest.approx(0.5, abs=0.01)
    for b in range(2):                                             # the threshold is per image
        kept, norms = (y[b] != 0.5).any(0), (x[b] - 0.5).norm(dim=0)
        assert norms[kept].min() >= norms[~kept].max()
    grad = torch.zeros_like(x); grad[..., :8] = 1.0                # only the left half contributes
    y = x.clone(); clip_contribution(50)(y, grad, 0)
    assert (y[..., 8:] == 0.5).all() and torch.equal(y[..., :8], x[..., :8])
    y = x.clone(); project_to_sphere(2.0)(y, None, 0)
    assert torch.allclose((y - 0.5).flatten(1).norm(dim=1), torch.tensor([2.0, 2.0]))


def test_projection_onto_a_ball_around_the_start_image():
    start = torch.full((1, 3, 2, 2), 0.5)
    x = start.clone()
    x[0, 0, 0, 0], x[0, 1, 1, 1], x[0, 2, 0, 1] = 0.9, 0.1, 0.52     # changes +0.4, -0.4, +0.02
    y = x.clone(); project_to_ball(0.1, around=start)(y, None, 0)
    expected = start.clone()
    expected[0, 0, 0, 0], expected[0, 1, 1, 1], expected[0, 2, 0, 1] = 0.6, 0.4, 0.52
    assert torch.allclose(y, expected)                             # L-inf: each pixel's change clamped
    y = x.clone(); project_to_ball(0.2, around=start[0], norm="l2")(y, None, 0)
    change = x - start
    assert torch.allclose(y - start, change * 0.2 / change.norm(), atol=1e-7)   # shrunk to length 0.2
    y = x.clone(); project_to_ball(1.0, around=start, norm="l2")(y, None, 0)
    assert torch.equal(y, x)                                       # already inside: untouched
    with pytest.raises(ValueError, match="around is .* but the images are"):
        project_to_ball(0.1, around=torch.rand(1, 3, 4, 4))(x.clone(), None, 0)
    with pytest.raises(ValueError, match=r"norm must be one of 'linf', 'l2'"):
        project_to_ball(0.1, around=start, norm="L3")
