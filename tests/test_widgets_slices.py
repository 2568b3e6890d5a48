"""Every live explorer, sliced as the page slices it: between two slices the model is exactly as
the student left it (no hook, grad mode as it was, no function mode, no mode change), a cell run
between slices gets its solo result, and the explorer goes on afterwards to the same end."""
import copy
import threading

import pytest
import torch

from conftest import hook_count, page_tick, show, snapshot, assert_unchanged
from vizlab.data import make_shapes
from vizlab.widgets import (AdversarialExplorer, AscentExplorer, DreamExplorer, InverseSetExplorer,
                            InversionExplorer, SaliencyExplorer)

EXPLORERS = {
    "ascent": lambda m: AscentExplorer(m, layer="conv3", steps=64, size=32),
    "adversarial": lambda m: AdversarialExplorer(m, steps=40),
    "dream": lambda m: DreamExplorer(m, layer="conv2", size=48, octaves=2, steps=20),
    "inversion": lambda m: InversionExplorer(m, layer="conv2", steps=100, size=32),
    "inverse_set": lambda m: InverseSetExplorer(m, layer="conv3", unit=0, n=4, K=4),
    "saliency": lambda m: SaliencyExplorer(m, samples=100),
}


def function_modes() -> list:
    return torch.overrides._get_current_function_mode_stack()


@pytest.mark.parametrize("name", EXPLORERS)
def test_between_slices_the_model_is_as_the_student_left_it(name, shapenet):
    before, threads = snapshot(shapenet), set(threading.enumerate())
    batch = make_shapes(8, size=64, seed=3).images
    with torch.no_grad():
        solo = shapenet(batch)
    explorer = EXPLORERS[name](shapenet)
    explorer.slice_s = 0.01                       # many slices, so many points in between
    show(explorer)
    slices = 0
    while explorer.running and slices < 12:
        grad_mode = slices % 2 == 0               # a cell may leave grad mode on or off
        with torch.set_grad_enabled(grad_mode):
            page_tick(explorer)
            assert torch.is_grad_enabled() == grad_mode, "a slice changed grad mode"
        slices += 1
        assert hook_count(shapenet) == 0 and function_modes() == [] and not shapenet.training
        with torch.no_grad():                     # the student's next cell
            assert torch.equal(shapenet(batch), solo)
        assert hook_count(copy.deepcopy(shapenet)) == 0
    assert slices >= 3, "the run ended before it could be sliced"
    explorer.wait(600)                            # and it goes on to its end (600 s: for a hang)
    assert "Error" not in explorer.status.value and not explorer.running
    assert_unchanged(shapenet, before)
    assert set(threading.enumerate()) == threads, "an explorer started a thread"


@pytest.mark.parametrize("name", ["ascent", "dream"])
def test_a_sliced_run_ends_where_an_unsliced_one_does(name, shapenet):
    """Slicing changes when frames are shown, never what is computed."""
    ends = []
    for slice_s in (0.0, 10.0):
        explorer = EXPLORERS[name](shapenet)
        explorer.slice_s = slice_s
        last = []
        explorer.show = last.append
        explorer.run()
        explorer.wait()
        ends.append(last[-1])
    assert torch.equal(ends[0].images, ends[1].images) and ends[0].score == ends[1].score
