"""The attribution widget, headless: set control values and check what the views received."""
import io

import pytest
import torch

from vizlab.attribution import gradcam, saliency
from vizlab.attribution.display import METHODS, attribution_map, normalize_map, overlay
from vizlab.widgets.attribution import PREDICTED, AttributionExplorer
from vizlab.widgets.common import default_images
from vizlab.widgets.image_choice import uploaded_files


@pytest.fixture
def explorer(shapenet):
    return AttributionExplorer(shapenet)


def test_it_opens_on_the_predicted_class_with_the_top5(explorer, shapenet):
    image = explorer.images[explorer.image.value]
    predicted = int(shapenet(image[None]).argmax())
    assert explorer.target.value == PREDICTED
    assert explorer.target.label == f"predicted: {shapenet.class_names[predicted]}"
    assert explorer.top5.value.count("<tr>") == 5 and shapenet.class_names[predicted] in explorer.top5.value
    torch.testing.assert_close(explorer.map, saliency(shapenet, image, predicted)[0])
    assert "photo (Grace Hopper)" in explorer.image.options and len(explorer.image.options) == 7


def test_every_method_draws_a_new_map(explorer):
    seen = {explorer.map_view.value}
    for method in METHODS:
        explorer.method.value = method
        seen.add(explorer.map_view.value)
        assert explorer.layer.disabled == ("Grad-CAM" not in method)
        assert method in explorer.caption.value
    assert len(seen) == len(METHODS)


def test_gradcam_follows_the_chosen_layer_and_class(explorer, shapenet):
    explorer.method.value = "Grad-CAM"
    assert explorer.layer.value == "relu4"                  # gradcam's default: the last ReLU
    explorer.layer.value = "conv3"
    explorer.target.value = 2
    image = explorer.images[explorer.image.value]
    torch.testing.assert_close(explorer.map, gradcam(shapenet, image, 2, layer="conv3")[0])
    assert "at conv3" in explorer.caption.value and "2: triangle" in explorer.caption.value


def test_choosing_an_image_updates_views_and_class_choices(explorer):
    before = (explorer.image_view.value, explorer.overlay_view.value, explorer.top5.value)
    explorer.image.value = "photo (Grace Hopper)"
    after = (explorer.image_view.value, explorer.overlay_view.value, explorer.top5.value)
    assert all(a != b for a, b in zip(before, after))
    assert explorer.target.value == PREDICTED


def test_an_uploaded_png_becomes_the_current_image(explorer):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (100, 80), (200, 30, 30)).save(buffer, format="PNG")
    for value in ({"red.png": {"metadata": {}, "content": buffer.getvalue()}},            # ipywidgets 7
                  ({"name": "red.png", "content": memoryview(buffer.getvalue())},)):    # ipywidgets 8
        assert uploaded_files(value) == [("red.png", buffer.getvalue())]
    explorer._on_upload({"new": ({"name": "red.png", "content": memoryview(buffer.getvalue())},)})
    assert explorer.image.value == "upload: red.png"
    assert explorer.images["upload: red.png"].shape == (3, 64, 64)


def test_display_helpers():
    m = torch.arange(100.0).view(10, 10)
    shown = normalize_map(m)
    assert shown.max() == 1 and shown.min() == 0 and (shown == 1).sum() >= 1
    assert overlay(torch.rand(3, 10, 10), m).shape == (3, 10, 10)
    with pytest.raises(ValueError, match="Unknown method"):
        attribution_map(None, None, method="LRP")


def test_grad_cam_without_a_layer_uses_the_last_relu(shapenet):
    image = default_images(64)["photo (Grace Hopper)"][None]
    torch.testing.assert_close(attribution_map(shapenet, image, 1, method="Grad-CAM"),
                               gradcam(shapenet, image, 1, layer="relu4"))
