"""Lesson 09 in a real browser: it runs cleanly, the adversarial explorer starts by itself, and
moving the eps slider changes the adversarial image and the predictions after the attack."""
import time

import pytest

from .lab_page import assert_no_errors, images_near_dropdown, run_lesson, save_screenshot, set_slider

LESSON = "lessons/09_adversarial_examples.ipynb"


def predictions_after(page) -> str:
    """The explorer's top-5 table after the attack ('' before its first frame)."""
    tables = page.locator(".widget-html", has_text="after step")
    return tables.first.inner_text() if tables.count() else ""


def wait_for_finished_run(page, different_from: str = "", timeout: float = 120) -> str:
    """Wait until the explorer shows the last step of a run whose predictions differ from ``different_from``."""
    end = time.time() + timeout
    while True:
        text = predictions_after(page)
        if "after step 10" in text and text != different_from:
            return text
        assert time.time() < end, f"no finished run within {timeout} s (showing {text!r})"
        time.sleep(0.2)


def explorer_pictures(page) -> list[str]:
    """Original, magnified perturbation and adversarial image (the pictures beside 'attack')."""
    pictures = images_near_dropdown(page, "attack")
    assert len(pictures) == 3, f"expected 3 pictures in the explorer, found {len(pictures)}"
    return pictures


@pytest.mark.browser
def test_lesson09_eps_slider_changes_the_adversarial_image_and_the_predictions(page):
    run_lesson(page, LESSON)

    small = wait_for_finished_run(page)                  # it started by itself when shown
    original, perturbation, adversarial = explorer_pictures(page)
    assert page.get_by_text("perturbation x").count() >= 1, "the magnification factor is not printed"

    set_slider(page, "eps (/255)", 16)
    large = wait_for_finished_run(page, different_from=small)
    assert_no_errors(page)
    now = explorer_pictures(page)
    assert now[0] == original, "the original image changed"
    assert now[2] != adversarial, "the adversarial image did not change with eps"
    assert now[1] != perturbation, "the perturbation did not change with eps"
    assert large != small, "the predictions after the attack did not change with eps"
    save_screenshot(page, LESSON)
