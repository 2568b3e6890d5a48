"""Lessons 04 and 05 in a real browser: they run without errors, their widgets render, and the
attribution explorer redraws its map when a student picks another method, layer or image."""

import pytest

from .lab_page import (
    assert_no_errors, image_update_count, images_near_dropdown, run_lesson, save_screenshot,
    select_dropdown, widget_labelled,
)

LESSON04 = "lessons/04_saliency_maps.ipynb"
LESSON05 = "lessons/05_guided_backprop_and_deconvnet.ipynb"


def explorer_images(page) -> list[str]:
    """The explorer's image, map and overlay (the pictures beside its 'method' dropdown)."""
    images = images_near_dropdown(page, "method")
    assert len(images) == 3, f"expected the image, map and overlay next to 'method', found {len(images)}"
    return images


@pytest.mark.browser
def test_lesson04_runs_cleanly(page):
    run_lesson(page, LESSON04)
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
