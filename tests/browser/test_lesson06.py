"""Lesson 06 in a real browser: the explorer renders, Run shows the image forming, Stop stops it."""
import time

import pytest

from .lab_page import (
    assert_no_errors, image_src_near_slider, image_update_count, read_slider, run_lesson, save_screenshot,
    set_slider,
)

LESSON = "lessons/06_gradient_ascent.ipynb"


def press(page, text: str) -> None:
    """Click a button without waiting for the kernel to go quiet: during a run it never does."""
    page.locator("button.jupyter-button", has_text=text).click()


def wait_for_updates(page, more_than: int, timeout: float = 60) -> int:
    end = time.time() + timeout
    while (count := image_update_count(page)) <= more_than:
        assert time.time() < end, f"no new frame within {timeout} s (still {count} image updates)"
        time.sleep(0.1)
    return count


@pytest.mark.browser
def test_lesson06_run_shows_the_image_forming_and_stop_stops_it(page):
    run_lesson(page, LESSON)

    # Choose another unit and a long run, so that there is time to watch it and to stop it.
    unit = read_slider(page, "channel")
    set_slider(page, "channel", unit["now"] + 1)
    set_slider(page, "steps", 512)
    before = image_src_near_slider(page, "channel")

    updates = image_update_count(page)
    press(page, "Run")
    first = wait_for_updates(page, updates)
    wait_for_updates(page, first)                  # the preview keeps changing while it runs
    assert image_src_near_slider(page, "channel") != before, "the preview did not change"
    assert page.get_by_text("done: 512 steps").count() == 0, "the run ended before it could be watched"
    assert_no_errors(page)

    press(page, "Stop")
    page.wait_for_timeout(1000)                     # the stopped frame arrives within one step
    after_stop = image_update_count(page)
    page.wait_for_timeout(1500)
    assert image_update_count(page) == after_stop, "frames kept arriving after Stop"
    assert page.get_by_text("stopped by request").count() == 1
    assert_no_errors(page)
    save_screenshot(page, LESSON)
