"""Lessons 02 and 03 in a real browser: they run, their widgets render, and the controls work."""

import pytest

from .lab_page import (
    assert_no_errors, assert_slider_redraws, click_button, image_src_near_slider, image_update_count,
    read_slider, run_lesson, save_screenshot, select_dropdown, widget_labelled,
)

LESSON02 = "lessons/02_maximally_activating_patches.ipynb"
LESSON03 = "lessons/03_feature_space.ipynb"


@pytest.mark.browser
def test_lesson02_layer_and_channel_redraw_the_top_patches(page):
    run_lesson(page, LESSON02)

    # Another channel: the top-9 grid next to the slider must change.
    assert_slider_redraws(page, "channel", 3)

    # Another layer: it is scanned in the kernel, the slider's range follows its channels.
    src = image_src_near_slider(page, "channel")
    select_dropdown(page, "layer", "conv4")
    assert_no_errors(page)
    assert read_slider(page, "channel")["max"] == 63
    assert image_src_near_slider(page, "channel") != src, "choosing conv4 did not redraw the patches"

    widget_labelled(page, ".widget-slider", "channel").scroll_into_view_if_needed()
    save_screenshot(page, LESSON02)


@pytest.mark.browser
def test_lesson03_query_space_and_embedding_controls_work(page):
    run_lesson(page, LESSON03)

    assert_slider_redraws(page, "query", 12)

    src = image_src_near_slider(page, "query")
    click_button(page, "pixels")
    assert_no_errors(page)
    assert image_src_near_slider(page, "query") != src, "pixel-space neighbours look like feature-space ones"

    updates = image_update_count(page)
    click_button(page, "tsne")  # t-SNE is computed in the kernel on this click: it takes seconds
    page.wait_for_function("(n) => window.vizlab.imageUpdates > n", arg=updates, timeout=120_000)
    assert_no_errors(page)

    widget_labelled(page, ".widget-slider", "query").scroll_into_view_if_needed()
    save_screenshot(page, LESSON03)
