"""Lesson 06 in a real browser: the explorer starts by itself, moving the unit slider alone
changes the preview within seconds, Run shows the image forming, Stop stops it."""
import time

import pytest

from .lab_page import (
    assert_no_errors, image_src_near_slider, image_update_count, read_slider, run_lesson, save_screenshot,
    set_slider,
)

LESSON = "lessons/06_gradient_ascent.ipynb"
A_FEW_SECONDS = 10          # a 96-step ShapeNet run takes about a second; the machine may be busy


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
def test_lesson06_explorer_is_live_and_run_and_stop_work(page):
    run_lesson(page, LESSON)

    # Shown during Run All, the explorer ran by itself: no Run press.
    page.get_by_text("done: 96 steps").first.wait_for(timeout=60_000)
    assert_no_errors(page)

    # Moving the unit slider alone restarts it: the preview changes within a few seconds.
    before, updates = image_src_near_slider(page, "channel"), image_update_count(page)
    moved_at = time.time()
    set_slider(page, "channel", read_slider(page, "channel")["now"] + 1)
    wait_for_updates(page, updates, timeout=A_FEW_SECONDS)
    while image_src_near_slider(page, "channel") == before:
        assert time.time() - moved_at < A_FEW_SECONDS, "moving the unit slider did not change the preview"
        time.sleep(0.2)
    assert_no_errors(page)

    # A long run, so that there is time to watch it and to stop it; Run starts it again.
    set_slider(page, "steps", 512)
    page.get_by_text("done: 512 steps").first.wait_for(timeout=120_000)
    updates = image_update_count(page)
    press(page, "Run")
    first = wait_for_updates(page, updates)
    wait_for_updates(page, first)                  # the preview keeps changing while it runs
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
