import pytest
import torch

from vizlab import sample_image
from vizlab.widgets import FilterExplorer


@pytest.fixture
def explorer(shapenet):
    return FilterExplorer(shapenet, {"photo": sample_image(size=64), "noise": torch.rand(3, 64, 64)})


def test_moving_the_filter_slider_changes_the_filter_and_its_response(explorer):
    before = (explorer.filter_view.value, explorer.response_view.value)
    explorer.filter.value = 5
    assert explorer.filter_view.value != before[0] and explorer.response_view.value != before[1]
    assert explorer.filter.max == 15 and "filter 5" in explorer.caption.value


def test_choosing_an_image_changes_the_input_and_response(explorer):
    before = (explorer.input_view.value, explorer.response_view.value)
    explorer.image.value = "noise"
    assert explorer.input_view.value != before[0] and explorer.response_view.value != before[1]


def test_the_response_is_the_first_layer_output(explorer, shapenet):
    image = explorer.images["photo"]
    assert torch.allclose(explorer.response("photo"), shapenet.conv1((image[None] - 0.5) / 0.25)[0], atol=1e-5)


def test_no_images_is_a_clear_error(shapenet):
    with pytest.raises(ValueError, match="at least one image"):
        FilterExplorer(shapenet, {})
