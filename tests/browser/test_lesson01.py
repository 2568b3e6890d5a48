"""Lesson 01 in a real browser: it runs, its widgets render, and the filter slider works."""

import pytest

from .lab_page import (
    REPO_ROOT, assert_no_errors, assert_widgets_rendered, image_src_near_slider,
    image_update_count, open_notebook, read_slider, run_all_cells, save_screenshot,
    set_slider, widget_labelled,
)

LESSON = "lessons/01_first_layer_filters.ipynb"


@pytest.mark.browser
def test_lesson01_filter_slider_shows_another_filter(page):
    open_notebook(page, LESSON)
    run_all_cells(page)
    assert_no_errors(page)
    assert_widgets_rendered(page)

    # Move to a neighbouring filter: the picture next to the slider must change.
    slider = read_slider(page, "filter")
    other = slider["now"] + 1 if slider["now"] + 1 <= slider["max"] else slider["now"] - 1
    src, updates = image_src_near_slider(page, "filter"), image_update_count(page)
    set_slider(page, "filter", other)
    assert_no_errors(page)  # the slider's callback must not raise either
    assert image_update_count(page) > updates, "moving the filter slider redrew no image"
    assert image_src_near_slider(page, "filter") != src, "the filter image did not change"

    widget_labelled(page, ".widget-slider", "filter").scroll_into_view_if_needed()
    save_screenshot(page, LESSON)
