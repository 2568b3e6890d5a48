"""The saliency explorer, headless: it computes on display and when a control moves, its maps
are exactly vizlab's saliency and SmoothGrad, and the model is left as it was."""
import io

import pytest
import torch

from conftest import assert_unchanged, snapshot, drive, show
from vizlab.attribution import saliency, smoothgrad
from vizlab.widgets.attribution import PREDICTED
from vizlab.widgets.common import grey_png
from vizlab.widgets.saliency import CHUNK, SaliencyExplorer


@pytest.fixture
def explorer(shapenet):
    w = SaliencyExplorer(shapenet, samples=4)
    w.slice_s = 0                                           # one frame per slice: every frame is shown
    yield w
    w.stop()


def settle(explorer, runs):
    drive(explorer, lambda: explorer.runs_started >= runs)
    explorer.wait()


def current(explorer):
    image = explorer.images[explorer.image.value][None]
    return image, int(explorer.model(image).argmax())


def test_it_shows_grey_then_smoothgrad_when_displayed(explorer, shapenet):
    before = snapshot(shapenet)
    assert explorer.map_view.value == grey_png() and explorer.runs_started == 0
    assert explorer.target.value == PREDICTED and explorer.top5.value.count("<tr>") == 5
    show(explorer)
    settle(explorer, 1)
    image, predicted = current(explorer)
    expected = smoothgrad(shapenet, image, predicted, samples=4, noise=0.15,
                          generator=torch.Generator().manual_seed(0))[0]
    torch.testing.assert_close(explorer.map, expected)
    assert explorer.map_view.value != grey_png() and "4/4 samples" in explorer.status.value
    assert_unchanged(shapenet, before)


def test_moving_noise_or_samples_recomputes_the_map(explorer, shapenet):
    explorer.noise.value = 0.3
    settle(explorer, 1)
    first_png = explorer.map_view.value
    explorer.samples.value = CHUNK + 8                      # two frames: 32 copies, then all 40
    settle(explorer, 2)
    image, predicted = current(explorer)
    expected = smoothgrad(shapenet, image, predicted, samples=CHUNK + 8, noise=0.3,
                          generator=torch.Generator().manual_seed(0))[0]
    torch.testing.assert_close(explorer.map, expected)
    assert explorer.frames_shown == 3 and explorer.map_view.value != first_png


def test_plain_gradient_for_a_chosen_class_disables_the_sliders(explorer, shapenet):
    explorer.method.value = "gradient"
    explorer.target.value = 2
    settle(explorer, 1)
    image, _ = current(explorer)
    torch.testing.assert_close(explorer.map, saliency(shapenet, image, 2)[0])
    assert explorer.noise.disabled and explorer.samples.disabled and "2: triangle" in explorer.status.value
    assert explorer.runs_started == 1                        # two changes, one run


def test_a_new_image_updates_the_picture_and_the_classes(explorer):
    before = (explorer.image_view.value, explorer.top5.value)
    explorer.target.value = 3
    explorer.image.value = "photo (Grace Hopper)"
    assert explorer.target.value == PREDICTED
    assert explorer.image_view.value != before[0] and explorer.top5.value != before[1]


def test_an_uploaded_png_becomes_the_current_image(explorer):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (100, 80), (200, 30, 30)).save(buffer, format="PNG")
    explorer._on_upload({"new": ({"name": "red.png", "content": memoryview(buffer.getvalue())},)})
    assert explorer.image.value == "upload: red.png"
    assert explorer.images["upload: red.png"].shape == (3, explorer.size, explorer.size)


def test_stop_ends_smoothgrad_between_batches(explorer):
    explorer.samples.value = 100
    drive(explorer, lambda: explorer.frames_shown >= 1)
    explorer.stop()
    explorer.wait()
    assert explorer.frames_shown < 4 and not explorer.running
