"""Minimal eps, the robustness curve, the targeted matrix, transfer, the linear explanation and
fooling images: each checked against what it claims."""
import pytest
import torch

from conftest import assert_unchanged, snapshot
from vizlab import load_model
from vizlab.adversarial import Attack, attack
from vizlab.adversarial.explain import input_space_explanation, last_layer_explanation
from vizlab.adversarial.fooling import fooling_images
from vizlab.adversarial.measure import random_noise, robustness_curve, targeted_matrix, transfer
from vizlab.adversarial.search import minimal_eps
from vizlab.data import CLASSES, make_shapes


@pytest.fixture(scope="module")
def held_out():
    return make_shapes(32, seed=7)


@pytest.fixture(scope="module")
def second_shapenet():
    return load_model("shapenet-seed1")


def test_minimal_eps_flips_at_the_reported_eps_and_not_just_below(shapenet, held_out):
    images, labels = held_out.images[:8], held_out.labels[:8]
    found = minimal_eps(shapenet, images, labels, eps_max=16 / 255, tolerance=0.5 / 255)
    flips = found.eps.isfinite() & (found.eps > 0)
    assert flips.sum() >= 4
    assert ((found.eps - found.below)[flips] <= 0.5 / 255 + 1e-9).all()
    at = attack(shapenet, images[flips], labels[flips], Attack("fgsm"), eps=found.eps[flips])
    below = attack(shapenet, images[flips], labels[flips], Attack("fgsm"), eps=found.below[flips])
    assert at.success.all() and not below.success.any()


def test_minimal_eps_is_zero_when_already_wrong_and_inf_when_out_of_reach(shapenet, held_out):
    images = held_out.images[:4]
    with torch.no_grad():
        predicted = shapenet(images).argmax(1)
    wrong = (predicted + 1) % len(CLASSES)
    found = minimal_eps(shapenet, images, wrong, eps_max=1e-4, tolerance=5e-5)
    assert (found.eps == 0).all()
    found = minimal_eps(shapenet, images, predicted, eps_max=1e-4, tolerance=5e-5)
    assert found.eps.isinf().all() and not found.flipped.any()


def test_the_curve_starts_at_clean_accuracy_and_noise_hurts_far_less_than_attacks(shapenet, held_out):
    before = snapshot(shapenet)
    curve = robustness_curve(shapenet, held_out.images, held_out.labels, eps=(0, 8 / 255), steps=3)
    assert_unchanged(shapenet, before)
    clean = (shapenet(held_out.images).argmax(1) == held_out.labels).float().mean().item()
    assert all(column[0] == pytest.approx(clean) for column in curve.accuracy.values())
    noise, fgsm, pgd = (curve.accuracy[name][1] for name in ("noise", "fgsm", "pgd"))
    assert noise >= clean - 0.1 and pgd <= fgsm < noise
    assert "eps (/255)" in str(curve) and "noise" in str(curve)


def test_random_noise_is_plus_or_minus_eps_where_not_clipped():
    images = torch.full((2, 3, 8, 8), 0.5)
    noisy = random_noise(images, 0.1)
    assert torch.allclose((noisy - images).abs(), torch.full_like(images, 0.1))
    l2 = (random_noise(images, 0.1, norm="l2") - images).flatten(1).norm(dim=1)
    assert torch.allclose(l2, torch.tensor([0.1, 0.1]))


def test_the_targeted_matrix_has_a_cell_per_pair_and_success_agrees_with_minimal_eps(shapenet, held_out):
    data = make_shapes(64, seed=7)
    matrix = targeted_matrix(shapenet, data.images, data.labels, eps=8 / 255, per_class=1,
                             settings=Attack("bim", loss="margin", steps=2), eps_max=16 / 255, tolerance=2 / 255)
    k = len(CLASSES)
    assert matrix.success.shape == (k, k) and matrix.success.diagonal().isnan().all()
    off = ~torch.eye(k, dtype=torch.bool)
    assert ((matrix.success[off] >= 0) & (matrix.success[off] <= 1)).all()
    reached = matrix.min_eps[off] <= 8 / 255
    assert (matrix.success[off][reached] == 1).float().mean() >= 0.9   # BIM is close to monotone in eps
    assert matrix.sources.shape[0] == k


def test_the_second_shapenet_is_another_network_as_good_as_the_first(shapenet, second_shapenet):
    data = make_shapes(256, seed=2026)
    with torch.no_grad():
        accuracy = (second_shapenet(data.images).argmax(1) == data.labels).float().mean()
    assert accuracy >= 0.95 and second_shapenet.name == "shapenet-seed1"
    assert not torch.equal(second_shapenet.conv1.weight, shapenet.conv1.weight)


def test_transfer_reports_both_models_on_the_same_adversarial_images(shapenet, second_shapenet, held_out):
    result = transfer(shapenet, second_shapenet, held_out.images, held_out.labels, eps=8 / 255, steps=3)
    assert result.source_adversarial < result.source_clean
    assert result.target_adversarial <= result.target_clean and result.eps == pytest.approx(8 / 255)
    assert "other model" in str(result)


def test_on_shapenets_last_layer_fgsm_lowers_the_logit_by_exactly_eps_times_the_l1_norm(shapenet, held_out):
    explained = last_layer_explanation(shapenet, held_out.images[:8], eps=0.05)
    assert explained.dimension == 64
    assert torch.allclose(explained.measured, explained.predicted, rtol=1e-4, atol=1e-4)
    pixels = input_space_explanation(shapenet, held_out.images[:8], eps=1 / 255)
    assert pixels.dimension == 3 * 64 * 64 and (pixels.predicted > 0).all() and (pixels.measured > 0).all()


@pytest.mark.parametrize("regularized", [False, True])
def test_fooling_images_reach_99_percent_confidence(shapenet, regularized):
    before = snapshot(shapenet)
    fooled = fooling_images(shapenet, range(len(CLASSES)), regularized=regularized, steps=96)
    assert_unchanged(shapenet, before)
    assert (fooled.confidence >= 0.99).all(), fooled.confidence
    assert fooled.images.min() >= 0 and fooled.images.max() <= 1 and fooled.steps < 96
