"""Lessons 02 and 03 in a real browser: they run, their widgets render, and the controls work."""

import pytest

from .lab_page import (
    REPO_ROOT, assert_no_errors, assert_widgets_rendered, click_button, image_src_near_slider,
    image_update_count, open_notebook, read_slider, run_all_cells, save_screenshot,
    select_dropdown, set_slider, widget_labelled,
)

LESSON02 = "lessons/02_maximally_activating_patches.ipynb"
LESSON03 = "lessons/03_feature_space.ipynb"


@pytest.mark.browser
@pytest.mark.skipif(not (REPO_ROOT / LESSON02).exists(), reason="lesson 02 not written yet")
def test_lesson02_layer_and_channel_redraw_the_top_patches(page):
    open_notebook(page, LESSON02)
    run_all_cells(page)
    assert_no_errors(page)
    assert_widgets_rendered(page)

    # Another channel: the top-9 grid next to the slider must change.
    src, updates = image_src_near_slider(page, "channel"), image_update_count(page)
    set_slider(page, "channel", 3)
    assert_no_errors(page)
    assert image_update_count(page) > updates, "moving the channel slider redrew no image"
    assert image_src_near_slider(page, "channel") != src, "the top patches did not change"

    # Another layer: it is scanned in the kernel, the slider's range follows its channels.
    src = image_src_near_slider(page, "channel")
    select_dropdown(page, "layer", "conv4")
    assert_no_errors(page)
    assert read_slider(page, "channel")["max"] == 63
    assert image_src_near_slider(page, "channel") != src, "choosing conv4 did not redraw the patches"

    widget_labelled(page, ".widget-slider", "channel").scroll_into_view_if_needed()
    save_screenshot(page, LESSON02)


@pytest.mark.browser
@pytest.mark.skipif(not (REPO_ROOT / LESSON03).exists(), reason="lesson 03 not written yet")
def test_lesson03_query_space_and_embedding_controls_work(page):
    open_notebook(page, LESSON03)
    run_all_cells(page)
    assert_no_errors(page)
    assert_widgets_rendered(page)

    src, updates = image_src_near_slider(page, "query"), image_update_count(page)
    set_slider(page, "query", 12)
    assert_no_errors(page)
    assert image_update_count(page) > updates, "moving the query slider redrew no image"
    assert image_src_near_slider(page, "query") != src, "the neighbours did not change"

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
