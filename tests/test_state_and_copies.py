"""No vizlab call changes global state behind a student's back, and models save and copy.

* Global state: ``torch.initial_seed()``, the global generator's state, grad mode and the thread
  count are the same after every call below as before it (a call that needs randomness uses a
  generator of its own, ``seed=None`` included), with grad mode on and off.
* Copies: ``torch.save``, ``pickle`` and ``copy.deepcopy`` of ``vizlab.load_model("shapenet")``
  work and give a model that computes the same; a copy taken while a probe is open, or from
  another thread while a probe's pass runs, carries no hook, and the original keeps exactly
  its own probe's hooks.
"""
from __future__ import annotations

import copy
import io
import pickle
import threading

import pytest
import torch

from conftest import hook_count
from vizlab import Probe, capture
from vizlab.adversarial import fooling_images, minimal_eps, pgd, random_noise, robustness_curve
from vizlab.ascent import channel
from vizlab.deepdream import dream
from vizlab.inverse_set import IdentityEncoder, PixelGenerator, inverse_set, rejection_sample
from vizlab.inversion import final, invert


def images(size=8, batch=2, seed=0):
    return torch.rand(batch, 3, size, size, generator=torch.Generator().manual_seed(seed))


def calls(net):
    x, labels = images(), [0, 1]
    sampler = dict(n=1, K=2, generator=PixelGenerator(8), encoder=IdentityEncoder(), inner_steps=2, max_outer=1,
                   max_batches=1)
    return {
        "invert(seed=None)": lambda: final(invert(net, x[:1], "conv2", steps=2, seed=None)),
        "invert(seed=3)": lambda: final(invert(net, x[:1], "conv2", steps=2, seed=3)),
        "dream(seed=None)": lambda: list(dream(net, x[:1], "conv2", octaves=1, steps=2, seed=None)),
        "pgd (random start)": lambda: pgd(net, x, labels, eps=4 / 255, steps=2),
        "minimal_eps": lambda: minimal_eps(net, x, labels, levels=1, tolerance=4 / 255),
        "robustness_curve": lambda: robustness_curve(net, x, labels, eps=[0, 2 / 255]),
        "random_noise": lambda: random_noise(x, 2 / 255),
        "fooling_images": lambda: fooling_images(net, [0], steps=2, size=8, confidence=None),
        "inverse_set": lambda: inverse_set(net, channel("conv2", 0), (-1e9, 1e9), **sampler),
        "rejection_sample": lambda: rejection_sample(net, channel("conv2", 0), (-1e9, 1e9), n=1, batch=2,
                                                     max_draws=2, generator=PixelGenerator(8),
                                                     encoder=IdentityEncoder()),
        "capture": lambda: capture(net, x, "conv2"),
    }


def global_state():
    return (torch.initial_seed(), torch.get_rng_state(), torch.is_grad_enabled(), torch.get_num_threads())


@pytest.mark.parametrize("grad", [True, False], ids=["grad on", "grad off"])
def test_no_call_changes_the_seed_the_random_state_grad_mode_or_threads(net, grad):
    torch.set_grad_enabled(grad)
    try:
        for name, call in calls(net).items():
            before = global_state()
            call()
            after = global_state()
            assert after[0] == before[0], f"{name} reseeded the global generator"
            assert torch.equal(after[1], before[1]), f"{name} drew from (or reseeded) the global generator"
            assert after[2:] == before[2:], f"{name} changed grad mode or the thread count"
    finally:
        torch.set_grad_enabled(True)


def test_seed_none_gives_a_fresh_run_each_time_without_the_global_generator(net):
    runs = [final(invert(net, images()[:1], "conv2", steps=1, seed=None)).images for _ in range(2)]
    assert not torch.equal(runs[0], runs[1])


def test_the_coursework_models_are_seeded_without_touching_the_global_generator():
    from vizlab.coursework import lesson04, lesson06

    before = global_state()
    first = lesson04.small_classifier(7)
    lesson06._cases(6)
    assert torch.equal(global_state()[1], before[1]) and global_state()[0] == before[0]
    again = lesson04.small_classifier(7)
    assert all(torch.equal(a, b) for a, b in zip(first.parameters(), again.parameters()))  # still reproducible


# --- saving and copying a loaded model -------------------------------------------------------------
def same_model(a, b):
    x = images(size=64, batch=2, seed=9)
    return type(a) is type(b) and torch.equal(a(x), b(x)) and a.training == b.training and \
        [n for n, _ in a.named_modules()] == [n for n, _ in b.named_modules()]


def torch_roundtrip(model):
    buffer = io.BytesIO()
    torch.save(model, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=False)


COPIES = {"deepcopy": copy.deepcopy, "pickle": lambda m: pickle.loads(pickle.dumps(m)), "torch.save": torch_roundtrip}


@pytest.mark.parametrize("how", list(COPIES))
def test_a_loaded_model_saves_and_copies_at_rest(shapenet, how):
    twin = COPIES[how](shapenet)
    assert same_model(twin, shapenet) and twin is not shapenet
    assert twin.name == "shapenet" and twin.input_size == shapenet.input_size
    assert not any(p.requires_grad for p in twin.parameters())


@pytest.mark.parametrize("how", list(COPIES))
def test_a_copy_taken_while_a_probe_is_open_carries_no_hook(shapenet, how):
    x = images(size=64, batch=1, seed=2)
    with Probe(shapenet, ["conv1", "relu3", "fc"]) as probe:
        hooks = hook_count(shapenet)
        twin = COPIES[how](shapenet)
        shapenet(x)
        assert hook_count(shapenet) == hooks == 4      # the original keeps its probe's hooks
    assert hook_count(twin) == 0 and hook_count(shapenet) == 0
    assert set(probe.acts) == {"conv1", "relu3", "fc"}
    assert same_model(twin, shapenet)


def test_a_copy_taken_from_another_thread_during_a_pass_carries_no_hook(shapenet):
    copies, started, release = [], threading.Event(), threading.Event()

    def copier():
        started.wait(10)
        copies.append(copy.deepcopy(shapenet))
        release.set()

    def pause(module, inputs, output):             # holds the probe's pass open while the copy is taken
        started.set()
        release.wait(10)

    thread = threading.Thread(target=copier)
    thread.start()
    handle = shapenet.conv2.register_forward_hook(pause)
    try:
        Probe(shapenet, ["conv1", "relu4"], stop_early=True).run(images(size=64, batch=1))
    finally:
        handle.remove()
    thread.join(10)
    assert len(copies) == 1 and hook_count(copies[0]) == 1     # only the test's own pause hook, not vizlab's
    copies[0].conv2._forward_hooks.clear()
    assert same_model(copies[0], shapenet)


def test_a_copy_of_a_plain_module_keeps_only_inert_placeholders(net):
    """A model vizlab did not load cannot drop hooks from its copies, but what it copies of
    vizlab's hooks does nothing: it neither records into the probe nor ends a pass."""
    x = images()
    with Probe(net, ["conv2"]) as probe:
        twin = copy.deepcopy(net)
    probe.acts.clear()
    assert torch.equal(twin(x), net(x)) and probe.acts == {}
