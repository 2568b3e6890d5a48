"""The inversion and dream explorers driven headlessly: shown -> running, a control moved ->
restarted with the new setting, Stop -> stopped, the model untouched."""

import pytest

from conftest import assert_unchanged, snapshot, drive, show
from vizlab.inversion import tv_for_layer
from vizlab.widgets.dream import DreamExplorer
from vizlab.widgets.inversion import InversionExplorer



@pytest.fixture
def inversion(shapenet):
    w = InversionExplorer(shapenet, layer="conv2", steps=20, size=32)
    w.slice_s = 0                                # one frame per slice: every frame is shown
    yield w
    w.stop()
    w.wait()


@pytest.fixture
def dreamer(shapenet):
    w = DreamExplorer(shapenet, layer="conv2", size=48, octaves=2, steps=3)
    w.slice_s = 0
    yield w
    w.stop()
    w.wait()


def test_inversion_starts_when_shown_and_shows_the_reconstruction(inversion, shapenet):
    before = snapshot(shapenet)
    show(inversion)
    inversion.wait()
    assert "done" in inversion.status.value
    assert inversion.runs_started == 1 and inversion.frames_shown >= 3
    assert inversion.preview.value[:4] == b"\x89PNG" and "<polyline" in inversion.curve.value
    assert inversion.errors[-1] < inversion.errors[0]                 # the feature error falls
    assert_unchanged(shapenet, before)


def test_inversion_restarts_with_a_moved_control(inversion):
    show(inversion)
    inversion.wait()
    assert "done" in inversion.status.value
    shown = inversion.frames_shown
    inversion.layer.value = "conv1"                                    # also sets the layer's TV
    inversion.restarts.value = 3
    drive(inversion, lambda: inversion.runs_started == 2 and inversion.frames_shown > shown + 2
             and "done" in inversion.status.value)
    assert inversion.tv.value == pytest.approx(tv_for_layer(inversion.model, "conv1"))
    assert inversion.frames_shown > 0 and "image error" in inversion.status.value


def test_inversion_stop_stops(inversion, shapenet):
    before = snapshot(shapenet)
    inversion.steps.value = 1000
    drive(inversion, lambda: inversion.frames_shown >= 2)
    inversion.stop_button.click()
    inversion.wait(10)
    assert not inversion.running and "stopped" in inversion.status.value
    assert_unchanged(shapenet, before)


def test_an_uploaded_image_becomes_a_choice(inversion):
    import datetime
    import io

    import ipywidgets

    from PIL import Image
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), (255, 0, 0)).save(buffer, format="PNG")
    content = buffer.getvalue()
    if int(ipywidgets.__version__.split(".")[0]) >= 8:                           # what the page sends, as each version holds it
        inversion.upload.value = ({"name": "red.png", "type": "image/png", "size": len(content), "content": content,
                                   "last_modified": datetime.datetime.now(datetime.timezone.utc)},)
    else:                                                           # 7.x: value is read-only, a dict by name
        inversion._on_upload({"new": {"red.png": {"metadata": {"name": "red.png"}, "content": content}}})
    assert inversion.image.value == "upload: red.png" and tuple(inversion.images["upload: red.png"].shape) == (3, 32, 32)


def test_dream_starts_when_shown_and_frames_go_through_the_octaves(dreamer, shapenet):
    before = snapshot(shapenet)
    show(dreamer)
    dreamer.wait()
    assert "done" in dreamer.status.value
    assert dreamer.frames_shown == 7                                  # 1 + 3 + 3 steps, 2 octaves
    assert dreamer.scores[-1] > dreamer.scores[0]
    assert_unchanged(shapenet, before)


def test_dream_restarts_with_a_moved_control_and_stops(dreamer, shapenet):
    before = snapshot(shapenet)
    show(dreamer)
    drive(dreamer, lambda: dreamer.frames_shown >= 1)
    dreamer.steps.value = 50
    dreamer.octaves.value = 3
    drive(dreamer, lambda: dreamer.runs_started == 2 and "octave 2/3" in dreamer.status.value)
    dreamer.stop_button.click()
    dreamer.wait(10)
    assert "stopped" in dreamer.status.value and not dreamer.running
    assert_unchanged(shapenet, before)


def test_a_dream_error_shows_in_the_widget(shapenet):
    import torch
    dreamer = DreamExplorer(shapenet, {"tiny": torch.rand(3, 12, 12)}, layer="conv4", octaves=5, size=12)
    dreamer.run()
    dreamer.wait()
    assert "Error" in dreamer.status.value and "smallest level" in dreamer.status.value
