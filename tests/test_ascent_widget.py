"""The explorer driven headlessly: it starts when shown, restarts when a control moves, Run and
Stop work, and the model is left as it was."""
import pytest
import torch

from conftest import assert_unchanged, drive, page_tick, show, snapshot
from vizlab.ascent.recipes import run_recipe
from vizlab.widgets.ascent import AscentExplorer
from vizlab.widgets.common import grey_png, score_curve_svg


@pytest.fixture
def explorer(shapenet):
    w = AscentExplorer(shapenet, layer="conv3", steps=16, size=32)
    yield w
    w.stop()


def test_the_unit_range_follows_the_layer_and_the_objective(explorer):
    assert explorer.unit.max == 63
    explorer.layer.value = "conv1"
    assert explorer.unit.max == 15
    explorer.kind.value = "class"
    assert explorer.unit.max == 7 and explorer.layer.disabled and explorer.unit.description == "class"


def test_run_shows_frames_until_done(explorer, shapenet):
    before = snapshot(shapenet)
    explorer.run_button.click()
    assert explorer.run_button.disabled and not explorer.stop_button.disabled
    explorer.wait()
    assert explorer.frames_shown >= 1                       # the newest frame of each slice
    assert explorer.preview.value[:4] == b"\x89PNG" and explorer.progress.value == 16
    expected = list(run_recipe(shapenet, explorer.recipe()))
    assert "done" in explorer.status.value and explorer.scores[-1] == pytest.approx(expected[-1].score)
    assert expected[-1].score > expected[0].score
    assert "<polyline" in explorer.curve.value
    assert not explorer.run_button.disabled and explorer.stop_button.disabled
    assert_unchanged(shapenet, before)


def test_stop_ends_the_run_and_the_frames(explorer, shapenet):
    before = snapshot(shapenet)
    explorer.steps.value = 512                              # restarts by itself
    drive(explorer, lambda: explorer.frames_shown >= 2)
    explorer.stop_button.click()
    assert not explorer.running
    shown, step = explorer.frames_shown, explorer.progress.value
    assert "stopped" in explorer.status.value and step < 512
    page_tick(explorer)
    assert explorer.frames_shown == shown                   # nothing arrives after a stop
    assert explorer.runs_started == 1
    explorer.run_button.click()                             # Run starts it again
    drive(explorer, lambda: explorer.frames_shown >= shown + 2)
    explorer.stop_button.click()
    assert explorer.runs_started == 2
    assert_unchanged(shapenet, before)


def test_it_starts_when_shown_with_a_grey_preview_before_the_first_frame(explorer, shapenet):
    before = snapshot(shapenet)
    grey = explorer.preview.value
    assert grey == grey_png() and explorer.runs_started == 0       # a picture, never a broken icon
    show(explorer)
    explorer.wait()
    assert explorer.runs_started == 1 and "done" in explorer.status.value and explorer.preview.value != grey
    assert_unchanged(shapenet, before)


def test_moving_the_unit_alone_restarts_with_the_new_unit(explorer, shapenet):
    before = snapshot(shapenet)
    explorer.unit.value = 7                                 # no Run press
    explorer.wait()
    assert explorer.runs_started == 1 and "done" in explorer.status.value
    expected = list(run_recipe(shapenet, explorer.recipe()))[-1]
    assert explorer.recipe().unit == 7 and explorer.scores[-1] == pytest.approx(expected.score)
    assert_unchanged(shapenet, before)


def test_changing_a_control_while_running_restarts_with_the_new_setting(explorer):
    explorer.steps.value = 512
    drive(explorer, lambda: explorer.frames_shown >= 1)
    first = explorer._frames
    for unit in (6, 7, 8, 9):                               # a burst of changes: one restart
        explorer.unit.value = unit
    assert first.gi_frame is None                           # the old run is closed at once
    drive(explorer, lambda: explorer.frames_shown >= 2)
    assert explorer.runs_started == 2 and explorer.recipe().unit == 9
    explorer.stop_button.click()
    assert not explorer.running


def test_errors_appear_in_the_widget(explorer):
    explorer.use_blur.value = True                          # blur needs a pixel image; fourier is chosen
    explorer.wait()
    assert "Error" in explorer.status.value and "param=&#x27;pixels&#x27;" in explorer.status.value
    assert not explorer.run_button.disabled


def test_switching_models_updates_the_layers(shapenet, net):
    w = AscentExplorer({"shapenet": shapenet, "tiny": net})
    w.model.value = "tiny"
    assert set(w.layer.options) >= {"conv1", "conv2"} and "fc" not in w.layer.options
    w.layer.value = "conv2"
    assert w.unit.max == 5
    assert w.slices_run == 0                                # the ranges follow at once, without a run
    w.stop()                                                # cancels the restart that is due


def test_score_curve_svg():
    assert score_curve_svg([], 10) == ""
    assert score_curve_svg([1.0, 2.0, 3.0], 10).count(",") == 3


def test_starting_from_a_dataset_image_restarts_from_that_image(explorer, shapenet):
    before = snapshot(shapenet)
    name = explorer.start.options[1]
    assert explorer.start.value == "noise" and name.startswith("shape")
    explorer.start.value = name                             # no Run press: moving it restarts
    assert explorer.param.value == "pixels"                 # a start image is a pixel image
    explorer.wait()
    assert explorer.runs_started == 1 and "done" in explorer.status.value
    start = explorer.start_images()[name]
    assert torch.equal(explorer.recipe().start[0], start)
    expected = list(run_recipe(shapenet, explorer.recipe()))
    assert torch.equal(expected[0].images[0], start)        # the run begins at the image itself
    assert explorer.scores[-1] == pytest.approx(expected[-1].score) and expected[-1].score > expected[0].score
    assert_unchanged(shapenet, before)


def test_the_eps_constraint_keeps_the_explorers_image_near_its_start(explorer, shapenet):
    explorer.start.value = explorer.start.options[2]
    explorer.use_eps.value = True
    explorer.eps.value = 0.02
    explorer.wait()
    assert explorer.runs_started == 1 and "done" in explorer.status.value
    recipe = explorer.recipe()
    assert recipe.eps == pytest.approx(0.02)
    last = list(run_recipe(shapenet, recipe))[-1]
    assert (last.images - recipe.start).abs().max() <= 0.02 + 1e-6
    explorer.start.value = "noise"                          # from noise the constraint has no centre: off
    assert explorer.recipe().eps == 0 and explorer.recipe().start is None
    explorer.stop()
