"""The explorer driven headlessly: it starts when shown, restarts when a control moves, Run and
Stop work, and the model is left as it was."""
import time

import pytest

from tests.conftest import assert_unchanged, snapshot, wait_for
from vizlab.ascent.recipes import run_recipe
from vizlab.widgets.ascent import AscentExplorer, score_curve_svg
from vizlab.widgets.live import grey_png


@pytest.fixture
def explorer(shapenet):
    w = AscentExplorer(shapenet, layer="conv3", steps=16, size=32)
    w.debounce_s = 0.05
    yield w
    for _ in range(2):                                      # also a restart the debounce timer began
        w.stop()
        w.wait()
        time.sleep(0.1)



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
    assert explorer.frames_shown == 5                       # steps 0, 4, 8, 12, 16
    assert explorer.preview.value[:4] == b"\x89PNG" and explorer.progress.value == 16
    assert "done" in explorer.status.value and explorer.scores[-1] > explorer.scores[0]
    assert "<polyline" in explorer.curve.value
    assert not explorer.run_button.disabled and explorer.stop_button.disabled
    assert_unchanged(shapenet, before)


def test_stop_ends_the_run_and_the_frames(explorer, shapenet):
    before = snapshot(shapenet)
    explorer.steps.value = 512                              # restarts by itself
    wait_for(lambda: explorer.frames_shown >= 2)
    explorer.stop_button.click()
    explorer.wait(10)
    assert not explorer.running
    shown, step = explorer.frames_shown, explorer.progress.value
    assert "stopped" in explorer.status.value and step < 512
    time.sleep(0.2)
    assert explorer.frames_shown == shown                   # nothing arrives after a stop
    assert explorer.runs_started == 1
    explorer.run_button.click()                             # Run starts it again
    wait_for(lambda: explorer.frames_shown >= 2)
    explorer.stop_button.click()
    explorer.wait(10)
    assert explorer.runs_started == 2
    assert_unchanged(shapenet, before)


def test_it_starts_when_shown_with_a_grey_preview_before_the_first_frame(explorer, shapenet):
    before = snapshot(shapenet)
    grey = explorer.preview.value
    assert grey == grey_png() and explorer.runs_started == 0       # a picture, never a broken icon
    explorer._repr_mimebundle_()
    wait_for(lambda: "done" in explorer.status.value)
    explorer.wait()
    assert explorer.runs_started == 1 and explorer.frames_shown == 5 and explorer.preview.value != grey
    assert_unchanged(shapenet, before)


def test_moving_the_unit_alone_restarts_with_the_new_unit(explorer, shapenet):
    before = snapshot(shapenet)
    explorer.unit.value = 7                                 # no Run press
    wait_for(lambda: explorer.runs_started == 1)
    explorer.wait()
    assert explorer.frames_shown == 5 and "done" in explorer.status.value
    expected = list(run_recipe(shapenet, explorer.recipe()))[-1]
    assert explorer.recipe().unit == 7 and explorer.scores[-1] == pytest.approx(expected.score)
    assert_unchanged(shapenet, before)


def test_changing_a_control_while_running_restarts_with_the_new_setting(explorer):
    explorer.steps.value = 512
    wait_for(lambda: explorer.frames_shown >= 1)
    first = explorer._worker
    for unit in (6, 7, 8, 9):                               # a dragged slider: one restart
        explorer.unit.value = unit
    wait_for(lambda: explorer._worker is not first and explorer.frames_shown >= 1)
    assert not first.is_alive() and explorer.runs_started == 2 and explorer.recipe().unit == 9
    explorer.stop_button.click()
    explorer.wait(10)
    assert not explorer.running


def test_errors_appear_in_the_widget(explorer):
    explorer.use_blur.value = True                          # blur needs a pixel image; fourier is chosen
    wait_for(lambda: explorer.runs_started == 1)
    explorer.wait()
    assert "Error" in explorer.status.value and "param=&#x27;pixels&#x27;" in explorer.status.value
    assert not explorer.run_button.disabled


def test_switching_models_updates_the_layers(shapenet, net):
    w = AscentExplorer({"shapenet": shapenet, "tiny": net})
    w.debounce_s = 60                                       # the ranges follow at once, without a run
    w.model.value = "tiny"
    assert set(w.layer.options) >= {"conv1", "conv2"} and "fc" not in w.layer.options
    w.layer.value = "conv2"
    assert w.unit.max == 5
    w.stop()                                                # cancels the pending restart


def test_score_curve_svg():
    assert score_curve_svg([], 10) == ""
    assert score_curve_svg([1.0, 2.0, 3.0], 10).count(",") == 3
