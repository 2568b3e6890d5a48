"""Lessons 07 and 08 in a real browser: each explorer renders and starts by itself; after a
control is moved it restarts, and its preview changes while it runs; Stop stops it."""
import re
import time

import pytest

from .lab_page import (
    assert_no_errors, image_update_count, images_near_dropdown, read_slider, run_lesson, save_screenshot,
    widget_labelled,
)


def wait_for_text(page, pattern: str, timeout: float = 120) -> None:
    page.get_by_text(re.compile(pattern)).first.wait_for(timeout=timeout * 1000)


def wait_for_updates(page, more_than: int, timeout: float = 60) -> int:
    end = time.time() + timeout
    while (count := image_update_count(page)) <= more_than:
        assert time.time() < end, f"no new frame within {timeout} s (still {count} image updates)"
        time.sleep(0.1)
    return count


def move_slider(page, description: str, value: int) -> None:
    """Type a new value into the slider's readout. Unlike lab_page.set_slider this does not wait
    for the kernel to go quiet: a live explorer sends frames the whole time it runs."""
    readout = widget_labelled(page, ".widget-slider", description).locator(".widget-readout")
    readout.fill(str(value))
    readout.press("Enter")
    end = time.time() + 10
    while read_slider(page, description)["now"] != value:
        assert time.time() < end, f"slider {description!r} did not move to {value}"
        time.sleep(0.1)


def press(page, text: str) -> None:
    page.locator("button.jupyter-button", has_text=text).click()


def check_live_explorer(page, lesson: str, *, done: str, slider: str, value: int, long_done: str,
                        preview: int) -> None:
    run_lesson(page, lesson)
    wait_for_text(page, done)                          # it started by itself when shown, and finished
    before = images_near_dropdown(page, "layer")[preview]
    updates = image_update_count(page)
    move_slider(page, slider, value)                   # restarts it, with a long run this time
    first = wait_for_updates(page, updates)
    assert page.get_by_text(re.compile(long_done)).count() == 0, "the run ended before it could be watched"
    wait_for_updates(page, first + 1)                  # frames keep arriving while it runs
    assert images_near_dropdown(page, "layer")[preview] != before, "the preview did not change"
    assert_no_errors(page)

    press(page, "Stop")
    wait_for_text(page, "stopped by request", timeout=30)
    after_stop = image_update_count(page)
    page.wait_for_timeout(1500)
    assert image_update_count(page) == after_stop, "frames kept arriving after Stop"
    assert_no_errors(page)
    save_screenshot(page, lesson)


@pytest.mark.browser
def test_lesson07_inversion_explorer_runs_restarts_and_stops(page):
    check_live_explorer(page, "lessons/07_inverting_representations.ipynb", done=r"done: 200 steps",
                        slider="steps", value=1000, long_done=r"done: 1000 steps", preview=1)


@pytest.mark.browser
def test_lesson08_dream_explorer_runs_restarts_and_stops(page):
    check_live_explorer(page, "lessons/08_deepdream.ipynb", done=r"done: 3 octaves x 10 steps",
                        slider="steps/octave", value=100, long_done=r"done: 3 octaves x 100 steps", preview=0)
