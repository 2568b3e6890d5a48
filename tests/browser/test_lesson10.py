"""Lesson 10 in a real browser: the inverse-set explorer renders, and moving its band brings new
samples into the grid."""
import time

import pytest

from .lab_page import assert_no_errors, image_update_count, kernel_round_trip, run_lesson, save_screenshot, widget_labelled

LESSON = "lessons/10_inverse_set.ipynb"


def band_slider(page):
    return widget_labelled(page, ".widget-slider", "band").first        # the first neuron's band


def read_band(page) -> tuple[float, float]:
    handles = band_slider(page).locator(".noUi-handle")
    return tuple(float(handles.nth(i).get_attribute("aria-valuenow")) for i in range(2))


def set_band(page, low: float, high: float) -> None:
    """Type the new band into the range slider's readout ("low:high"), as a student can."""
    readout = band_slider(page).locator(".widget-readout")
    with kernel_round_trip(page):
        readout.fill(f"{low:.2f}:{high:.2f}")
        readout.press("Enter")


def wait_for_updates(page, more_than: int, timeout: float = 120) -> int:
    end = time.time() + timeout
    while (count := image_update_count(page)) <= more_than:
        assert time.time() < end, f"no new sample within {timeout} s (still {count} image updates)"
        time.sleep(0.2)
    return count


@pytest.mark.browser
def test_lesson10_moving_the_band_brings_new_samples(page):
    run_lesson(page, LESSON)
    page.get_by_text("samples, every one inside").first.wait_for(timeout=180_000)   # the first run ends
    low, high = read_band(page)
    assert low < high
    updates = image_update_count(page)
    set_band(page, low - 0.3 * (high - low), high - 0.3 * (high - low))
    moved = read_band(page)
    # The slider snaps to its step, a 200th of the unit's histogram range (at most the whole range's).
    handles = band_slider(page).locator(".noUi-handle")
    step = (float(handles.nth(1).get_attribute("aria-valuemax"))
            - float(handles.nth(0).get_attribute("aria-valuemin"))) / 200
    assert abs(moved[0] - (low - 0.3 * (high - low))) <= step, (moved, step)
    wait_for_updates(page, updates)                     # samples of the new band arrive in the grid
    page.get_by_text("samples, every one inside").first.wait_for(timeout=180_000)
    assert page.locator("figure img").count() >= 1
    assert_no_errors(page)
    save_screenshot(page, LESSON)
