"""Lessons 04 and 05 in a real browser: they run without errors, their widgets render, the
saliency explorer's map follows its sliders, and the attribution explorer redraws its map when a
student picks another method, layer or image."""
import time

import pytest

from .lab_page import (
    assert_no_errors, image_update_count, images_near_dropdown, run_lesson, save_screenshot,
    select_dropdown, set_slider, widget_labelled,
)

LESSON04 = "lessons/04_saliency_maps.ipynb"
LESSON05 = "lessons/05_guided_backprop_and_deconvnet.ipynb"


def explorer_images(page) -> list[str]:
    """The explorer's image, map and overlay (the pictures beside its 'method' dropdown)."""
    images = images_near_dropdown(page, "method")
    assert len(images) == 3, f"expected the image, map and overlay next to 'method', found {len(images)}"
    return images


def wait_for_new_map(page, old: str, timeout: float = 20) -> str:
    """The explorer's map once it differs from `old` (a live explorer redraws at its next slice)."""
    end = time.time() + timeout
    while (current := explorer_images(page)[1]) == old:
        assert time.time() < end, f"the map did not change within {timeout} s"
        time.sleep(0.2)
    return current


@pytest.mark.browser
def test_lesson04_saliency_explorer_renders_and_its_map_follows_the_sliders(page):
    run_lesson(page, LESSON04)
    page.get_by_text("noise 0.15: 25/25 samples").first.wait_for(timeout=60_000)  # it ran when shown
    _, smooth, _ = explorer_images(page)

    updates = image_update_count(page)
    set_slider(page, "noise", 0.4)
    noisier = wait_for_new_map(page, smooth)
    page.get_by_text("noise 0.40: 25/25 samples").first.wait_for(timeout=30_000)
    assert image_update_count(page) > updates
    assert_no_errors(page)

    set_slider(page, "samples", 5)
    fewer = wait_for_new_map(page, noisier)
    select_dropdown(page, "method", "gradient")
    wait_for_new_map(page, fewer)
    assert_no_errors(page)

    widget_labelled(page, ".widget-dropdown", "method").scroll_into_view_if_needed()
    save_screenshot(page, LESSON04)


@pytest.mark.browser
def test_lesson05_explorer_redraws_for_method_layer_and_image(page):
    run_lesson(page, LESSON05)

    image, saliency_map, _ = explorer_images(page)
    updates = image_update_count(page)
    select_dropdown(page, "method", "Grad-CAM")
    assert_no_errors(page)  # the callback must not raise
    assert image_update_count(page) > updates, "choosing Grad-CAM redrew no image"
    _, gradcam_map, _ = explorer_images(page)
    assert gradcam_map != saliency_map, "the map did not change with the method"

    select_dropdown(page, "layer", "conv3")
    assert_no_errors(page)
    assert explorer_images(page)[1] != gradcam_map, "the Grad-CAM map ignored the layer"

    select_dropdown(page, "image", "photo (Grace Hopper)")
    assert_no_errors(page)
    assert explorer_images(page)[0] != image, "the chosen image is not shown"

    widget_labelled(page, ".widget-dropdown", "method").scroll_into_view_if_needed()
    save_screenshot(page, LESSON05)
