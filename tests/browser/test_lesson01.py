"""Lesson 01 in a real browser: it runs, its widgets render, and the filter slider works."""

import pytest

from .lab_page import assert_slider_redraws, read_slider, run_lesson, save_screenshot, widget_labelled

LESSON = "lessons/01_first_layer_filters.ipynb"


@pytest.mark.browser
def test_lesson01_filter_slider_shows_another_filter(page):
    run_lesson(page, LESSON)

    # Move to a neighbouring filter: the picture next to the slider must change.
    slider = read_slider(page, "filter")
    other = slider["now"] + 1 if slider["now"] + 1 <= slider["max"] else slider["now"] - 1
    assert_slider_redraws(page, "filter", other)

    widget_labelled(page, ".widget-slider", "filter").scroll_into_view_if_needed()
    save_screenshot(page, LESSON)
