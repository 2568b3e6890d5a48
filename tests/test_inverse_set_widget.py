"""The inverse-set explorer driven headlessly: it starts on display, samples arrive in the band,
moving the band restarts it, Stop stops it, and the model is left as it was."""

import pytest

from conftest import assert_unchanged, snapshot, drive, show
from vizlab.widgets.inverse_set import InverseSetExplorer, histogram_svg



@pytest.fixture
def explorer(shapenet):
    w = InverseSetExplorer(shapenet, layer="conv3", unit=0, n=4, K=4)
    yield w
    w.stop()
    w.wait()


def test_the_band_starts_at_the_datasets_top_percentiles_with_act_max_beyond(explorer):
    profile = explorer.first.profile
    low, high = explorer.first.band.value
    assert abs(low - profile.default_band[0]) < 0.05 and abs(high - profile.default_band[1]) < 0.05
    assert profile.actmax > profile.values.max()           # act-max lies beyond every dataset image
    assert "act-max" in explorer.first.histogram.value and explorer.first.unit.max == 63
    explorer.first.kind.value = "class"
    assert explorer.first.unit.max == 7 and explorer.first.layer.disabled


def test_displaying_starts_it_and_every_sample_shown_is_in_the_band(explorer, shapenet):
    before = snapshot(shapenet)
    show(explorer)
    drive(explorer, lambda: explorer.runs_started == 1)
    explorer.wait(600)              # about 25 s alone; a limit for a hang, not a speed test
    low, high = explorer.first.band.value
    assert "4 samples, every one inside" in explorer.status.value
    assert explorer.grid.value.count("<img") == 4 and explorer.grids_shown >= 1
    ticks = explorer.first.histogram.value.count("y1='88'")
    assert ticks == 4
    assert_unchanged(shapenet, before)


def test_moving_the_band_restarts_and_stop_stops(explorer, shapenet):
    before = snapshot(shapenet)
    explorer.n.value = 64
    drive(explorer, lambda: explorer.runs_started == 1 and explorer.frames_shown > 0)
    low, high = explorer.first.band.value
    explorer.first.band.value = (low - 0.5, high - 0.5)
    drive(explorer, lambda: explorer.runs_started == 2)
    shown = explorer.frames_shown
    drive(explorer, lambda: explorer.frames_shown > shown)
    explorer.stop_button.click()
    explorer.wait(30)
    assert not explorer.running and "stopped by request" in explorer.status.value
    assert not explorer.run_button.disabled
    assert_unchanged(shapenet, before)


def test_the_second_neuron_joins_the_objectives(explorer):
    explorer.use_second.value = True
    assert explorer.second.profile is not None and len(explorer.pickers()) == 2
    assert explorer.second.box.layout.display == ""


def test_the_histogram_marks_band_act_max_and_samples():
    svg = histogram_svg([0.0, 1.0, 1.0, 2.0], 5.0, (1.0, 2.0), [1.5, 1.7], (0.0, 6.0))
    assert svg.count("y1='88'") == 2 and "act-max 5.00" in svg and "opacity='0.35'" in svg
