"""DeepDream, the original algorithm: seed = activation, normalized step, octaves, frames, hygiene."""
import pytest
import torch

from conftest import assert_unchanged, snapshot
from vizlab.ascent.objectives import Objective
from vizlab.deepdream import (NormalizedStep, dream, dream_energy, guided_energy, minimum_input_size,
                              octave_sizes, roll)
from vizlab.probe import Probe


def image(size=24, seed=0):
    g = torch.Generator().manual_seed(seed)
    return 0.3 + 0.4 * torch.rand(3, size, size, generator=g)          # away from the clip bounds


def test_the_backward_seed_is_the_activation_and_the_gradient_of_the_energy():
    acts = torch.randn(2, 4, 5, 5, requires_grad=True)
    energy = dream_energy("l")
    assert torch.allclose(energy({"l": acts}), 0.5 * (acts ** 2).sum((1, 2, 3)))
    (gradient,) = torch.autograd.grad(energy({"l": acts}).sum(), acts)
    seed = energy.seed({"l": acts})
    assert list(seed) == ["l"] and not seed["l"].requires_grad
    assert torch.equal(seed["l"], acts.detach()) and torch.equal(gradient, seed["l"])


def test_dreaming_through_the_seed_equals_dreaming_through_autograd(net):
    energy = dream_energy("conv2")
    by_autograd = Objective(energy.fn, energy.layers, energy.name)            # no seed: differentiates fn
    runs = []
    for objective in (energy, by_autograd):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("vizlab.deepdream.dream_energy", lambda layer: objective)
            runs.append(list(dream(net, image(), "conv2", octaves=2, steps=4, every=2)))
    seeded, plain = runs
    assert [f.step for f in seeded] == [f.step for f in plain]
    for a, b in zip(seeded, plain):
        assert torch.allclose(a.images, b.images, atol=1e-6)
        assert a.score == pytest.approx(b.score, rel=1e-6) and a.terms == pytest.approx(b.terms, rel=1e-6)


def test_one_step_is_the_normalized_gradient_of_half_the_squared_activation(net):
    x0 = image()
    frames = list(dream(net, x0, "conv2", octaves=1, steps=1, step_size=1e-3, jitter=0))
    x = x0[None].clone().requires_grad_()
    with Probe(net, "conv2", stop_early=True) as probe:
        a = probe.run(x)["conv2"]
    (g,) = torch.autograd.grad(a, x, grad_outputs=a)            # backprop the activation itself
    expected = x0 + 1e-3 * g[0] / g.abs().mean()
    assert torch.allclose(frames[-1].images[0], expected, atol=1e-6)


def test_mean_absolute_change_equals_the_step_size_before_clipping(net):
    frames = list(dream(net, image(), "conv2", octaves=1, steps=1, step_size=2e-3, jitter=0))
    change = (frames[-1].images - frames[0].images).abs().mean()
    assert abs(float(change) - 2e-3) < 1e-7


def test_normalized_step_moves_each_image_by_lr_on_average():
    p = torch.nn.Parameter(torch.zeros(3, 2, 4))
    p.grad = torch.randn(3, 2, 4) * torch.tensor([1.0, 100.0, 1e-3]).view(3, 1, 1)
    NormalizedStep([p], lr=0.5).step()
    assert torch.allclose(p.detach().abs().flatten(1).mean(1), torch.full((3,), 0.5))


def test_the_energy_rises_at_each_of_the_first_20_steps_without_jitter(net):
    frames = list(dream(net, image(), "conv2", octaves=1, steps=20, step_size=1e-3, jitter=0))
    scores = [f.score for f in frames]
    assert len(scores) == 21 and all(b > a for a, b in zip(scores, scores[1:]))


def test_octave_o_has_size_round_h_over_1_4_to_the_o(net):
    assert octave_sizes(100, 60, 4) == [(round(100 / 1.4 ** o), round(60 / 1.4 ** o)) for o in range(4)]
    frames = list(dream(net, image(50), "conv2", octaves=3, steps=2, every=1, jitter=3))
    seen = sorted({(f.octave, tuple(f.images.shape[-2:])) for f in frames})
    assert seen == [(0, (26, 26)), (1, (36, 36)), (2, (50, 50))]   # smallest first: 50/1.96, 50/1.4, 50
    assert [f.step for f in frames] == list(range(7)) and frames[-1].status == "done"


def test_only_the_last_octave_spends_a_forward_pass_on_scoring_its_result(net):
    passes = []
    handle = net.register_forward_pre_hook(lambda module, inputs: passes.append(inputs[0].shape[-1]))
    try:
        frames = list(dream(net, image(50), "conv2", octaves=3, steps=2, every=1, jitter=3))
    finally:
        handle.remove()
    # 2 steps at each octave (the first pass is also the pyramid check) and one scoring pass at 50 px
    assert passes == [26, 26, 36, 36, 50, 50, 50]
    assert [f.octave for f in frames] == [0, 0, 1, 1, 2, 2, 2]    # octave o's result is o + 1's step 0


def test_a_stop_between_octaves_keeps_the_last_frame(net):
    polls = iter([False, False, True])        # octave 0 polls before its 2 steps; dream polls next
    frames = list(dream(net, image(50), "conv2", octaves=3, steps=2, every=1, jitter=3, stop=lambda: next(polls)))
    assert [f.status for f in frames] == ["running", "running", "stopped"]
    assert torch.equal(frames[-1].images, frames[-2].images) and "octave 2 of 3" in frames[-1].message


def test_detail_is_carried_up_the_octaves(net):
    x0 = image(40)
    one = list(dream(net, x0, "conv2", octaves=1, steps=3, jitter=0))[-1].images
    two = list(dream(net, x0, "conv2", octaves=2, steps=3, jitter=0))[-1].images
    change_one, change_two = (one - x0).abs().mean(), (two - x0).abs().mean()
    assert change_two > 1.3 * change_one            # the small octave's detail survives upsampling


def test_roll_is_a_permutation_with_the_gradient_rolled_back():
    g = torch.Generator().manual_seed(3)
    x = torch.randn(1, 3, 8, 8, requires_grad=True)
    rolled = roll(3)(x, g)
    shifts = [(i, j) for i in range(-3, 4) for j in range(-3, 4)
              if torch.equal(rolled, torch.roll(x, (i, j), (-2, -1)))]
    assert len(shifts) == 1
    weight = torch.randn(1, 3, 8, 8)
    (grad,) = torch.autograd.grad((rolled * weight).sum(), x)
    assert torch.equal(grad, torch.roll(weight, (-shifts[0][0], -shifts[0][1]), (-2, -1)))


def test_guided_gradient_at_each_position_is_the_best_matching_guide_vector():
    guide = torch.randn(4, 3, 3)
    acts = torch.randn(1, 4, 2, 2, requires_grad=True)
    (grad,) = torch.autograd.grad(guided_energy("l", guide)({"l": acts}).sum(), acts)
    flat_guide, flat_acts = guide.flatten(1), acts.detach()[0].flatten(1)
    best = (flat_acts.T @ flat_guide).argmax(1)
    assert torch.equal(grad[0].flatten(1), flat_guide[:, best])


def test_guided_dream_runs_toward_a_guide(net):
    frames = list(dream(net, image(), "conv2", octaves=1, steps=3, guide=image(16, seed=5)))
    assert frames[-1].score > frames[0].score


def test_the_model_is_unchanged_after_success_error_and_stop(net):
    before = snapshot(net)
    list(dream(net, image(), "conv2", octaves=2, steps=2))
    assert_unchanged(net, before)
    with pytest.raises(ValueError):
        list(dream(net, image(), "conv2", octaves=2, steps=-1))
    assert_unchanged(net, before)
    frames = list(dream(net, image(), "conv2", octaves=2, steps=50, stop=iter([False] * 3 + [True] * 99).__next__))
    assert frames[-1].status == "stopped" and frames[-1].step < 100
    assert_unchanged(net, before)


@pytest.mark.parametrize("kwargs, message", [
    (dict(layer="conv9"), "Unknown layer 'conv9'"),
    (dict(steps=-1), "steps must be an integer >= 1"),
    (dict(step_size=-0.1), "step_size must be a finite number > 0"),
    (dict(octaves=0), "octaves must be an integer >= 1"),
    (dict(jitter=-2), "jitter must be an integer >= 0"),
    (dict(octaves=10), "smallest level is 1 px"),
])
def test_bad_settings_get_a_clear_error(net, kwargs, message):
    options = dict(layer="conv2") | kwargs
    with pytest.raises(ValueError, match=message):
        list(dream(net, image(), options.pop("layer"), **options))


def test_bad_images_get_a_clear_error(net):
    with pytest.raises(ValueError, match=r"shape \(3, H, W\)"):
        list(dream(net, torch.rand(8, 8), "conv2"))
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        list(dream(net, 255 * torch.rand(3, 8, 8), "conv2"))


def test_the_minimum_input_size_is_found_by_trying(shapenet):
    need = minimum_input_size(shapenet, "conv4")
    from vizlab import capture
    capture(shapenet, torch.rand(1, 3, need, need), "conv4")
    with pytest.raises((RuntimeError, ValueError)):
        capture(shapenet, torch.rand(1, 3, need - 1, need - 1), "conv4")
