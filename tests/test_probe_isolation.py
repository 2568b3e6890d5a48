"""One model, many hands: a probe sees only its own forward pass, from any thread."""
import threading

import pytest
import torch

from conftest import assert_unchanged, hook_count, page_tick, snapshot, tiny_net
from vizlab import Probe, ascend, capture, list_layers
from vizlab.ascent import channel
from vizlab.attribution import gradcam, saliency


def drain(frames):
    return [frame for frame in frames][-1]


def test_a_plain_forward_inside_another_probes_pass_is_not_recorded(net):
    x, y = torch.rand(1, 3, 8, 8), torch.rand(2, 3, 12, 12)
    with Probe(net, ["conv1", "conv2"]) as outer:
        net(x)
        inner = capture(net, y, ["conv2"])               # another probe's pass
        assert inner["conv2"].shape == (2, 6, 6, 6)
    assert outer.acts["conv2"].shape == (1, 6, 4, 4)     # still its own pass, not the inner one
    assert hook_count(net) == 0


def test_an_early_stopping_probe_never_stops_someone_elses_pass(net):
    x = torch.rand(2, 3, 8, 8)
    expected = net(x)
    with Probe(net, "conv1", stop_early=True) as probe:
        assert probe.run(x)["conv1"].shape == (2, 4, 8, 8)
        done = []
        thread = threading.Thread(target=lambda: done.append(net(x)))   # a plain pass elsewhere
        thread.start()
        thread.join()
    assert torch.equal(done[0], expected)


def test_a_pass_in_another_thread_is_invisible_to_an_open_probe(net):
    seen = []
    with Probe(net, ["conv2"]) as probe:
        thread = threading.Thread(target=lambda: seen.append(net(torch.rand(3, 3, 16, 16))))
        thread.start()
        thread.join()
        assert probe.acts == {}                          # the other thread's pass left no trace
        net(torch.rand(1, 3, 8, 8))
    assert probe.acts["conv2"].shape == (1, 6, 4, 4)


def test_a_held_probe_owns_only_the_passes_its_run_makes(net):
    x, y = torch.rand(2, 3, 8, 8), torch.rand(1, 3, 12, 12)
    expected = net(y)
    probe, plain = Probe(net, "conv1", stop_early=True), []
    with probe.held():
        first = probe.run(x)["conv1"]
        plain.append(net(y))                             # a plain pass in the same thread: not stopped,
        assert probe.acts["conv1"] is first              # and not recorded
        assert probe.run(y)["conv1"].shape == (1, 4, 12, 12)
        assert hook_count(net) > 0                       # the hooks stayed on between the runs
    assert len(plain) == 1 and torch.equal(plain[0], expected)
    assert hook_count(net) == 0
    with probe:                                          # by hand again: every pass in the block is its own
        net(x)
    assert probe.acts["conv1"].shape == (2, 4, 8, 8)


def test_a_transform_that_runs_the_model_itself_inside_the_loop_is_not_probed(shapenet):
    """The loop holds its probe for the steps between two frames; a pass a transform makes
    there, in the loop's own thread, must still see the whole model."""
    logits = []

    def watching(images, generator):
        logits.append(shapenet(images))
        return images
    frames = list(ascend(shapenet, channel("conv3", 1), size=32, steps=6, every=3, transforms=[watching]))
    assert [f.step for f in frames] == [0, 3, 6]
    assert len(logits) == 7 and all(out.shape == (1, shapenet.fc.out_features) for out in logits)
    assert hook_count(shapenet) == 0


def test_an_outlived_hook_does_nothing(net):
    probe = Probe(net, ["conv1"], stop_early=True)
    with probe:                                          # a hook the probe lost track of
        stray = net.conv1.register_forward_hook(probe._recorder("conv1"))
    assert hook_count(net) == 1
    x = torch.rand(2, 3, 8, 8)
    assert torch.equal(net(x), tiny_net()(x))           # neither stops the pass nor records
    assert probe.acts == {}
    stray.remove()


def _solo_and_concurrent(net, jobs):
    solo = [job() for job in jobs]
    results = [None] * len(jobs)
    errors = []

    def work(i):
        try:
            for _ in range(3):
                results[i] = jobs[i]()
        except Exception as error:                       # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for _ in range(20):                                  # the main thread uses the model meanwhile
        out = net(torch.rand(2, 3, 32, 32))
        assert out.shape[0] == 2
    for thread in threads:
        thread.join()
    assert not errors, errors
    return solo, results


def test_two_ascend_loops_in_two_threads_give_their_solo_results(shapenet):
    before = snapshot(shapenet)

    def job(unit, layer):
        return lambda: drain(ascend(shapenet, channel(layer, unit), size=32, steps=12, every=4, seed=unit)).images

    solo, concurrent = _solo_and_concurrent(shapenet, [job(3, "conv3"), job(5, "conv2"), job(7, "conv4")])
    for a, b in zip(solo, concurrent):
        assert torch.equal(a, b)
    assert_unchanged(shapenet, before)


def test_attribution_and_capture_beside_a_running_loop_give_their_solo_results(shapenet):
    images = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    jobs = [
        lambda: drain(ascend(shapenet, channel("conv3", 1), size=32, steps=12, every=4, seed=0)).images,
        lambda: saliency(shapenet, images),
        lambda: gradcam(shapenet, images, layer="relu4"),
        lambda: capture(shapenet, images, ["conv2", "fc"])["conv2"],
        lambda: torch.tensor([len(list_layers(shapenet, 48))]),
    ]
    solo, concurrent = _solo_and_concurrent(shapenet, jobs)
    for a, b in zip(solo, concurrent):
        assert torch.equal(a, b)
    assert hook_count(shapenet) == 0


@pytest.mark.parametrize("bad", [3, ["conv1", 2], None, {"conv1"}])
def test_layers_must_be_names(net, bad):
    with pytest.raises(TypeError, match="layer name.*such as 'conv3'"):
        capture(net, torch.rand(1, 3, 8, 8), bad)


@pytest.mark.parametrize("size", [0, -4, 2.5, True, (3, 0, 8), (1, 8, 8), "64"])
def test_list_layers_refuses_sizes_that_are_not_positive(net, size):
    with pytest.raises(ValueError, match="input_size must be an int >= 1"):
        list_layers(net, size)


def test_two_explorers_and_the_next_cells_on_one_model_give_their_solo_results(shapenet):
    from vizlab.ascent.recipes import run_recipe
    from vizlab.widgets.ascent import AscentExplorer

    explorers = [AscentExplorer(shapenet, layer="conv3", unit=unit, steps=24, size=32) for unit in (2, 9)]
    solo = [[frame.score for frame in run_recipe(shapenet, e.recipe())] for e in explorers]
    images = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    expected = capture(shapenet, images, ["conv2", "relu4"])
    for explorer in explorers:
        explorer.run()
    while any(e.running for e in explorers):   # the page asks each for a slice; the next cells in between
        for explorer in explorers:
            if explorer.running:
                page_tick(explorer)
        acts = capture(shapenet, images, ["conv2", "relu4"])
        assert all(torch.equal(acts[k], expected[k]) for k in expected)
    for explorer, scores in zip(explorers, solo):
        explorer.wait()
        # A slice shows its newest frame, so the explorer shows some of the run's frames, in order,
        # and always the last: each exactly as the run alone computed it.
        shown = iter(scores)
        assert all(score in shown for score in explorer.scores), explorer.status.value
        assert explorer.scores[-1] == scores[-1], explorer.status.value
    assert hook_count(shapenet) == 0
