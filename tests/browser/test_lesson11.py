"""Lesson 11 in a real browser: the quiz renders, a click records a choice and updates the score."""
import pytest

from .lab_page import assert_no_errors, click_button, run_lesson, save_screenshot

LESSON = "lessons/11_does_it_work.ipynb"


@pytest.mark.browser
def test_lesson11_the_quiz_records_a_choice_and_updates_the_score(page):
    run_lesson(page, LESSON)
    page.get_by_text("Score: 0 of 0 right").first.wait_for(timeout=120_000)
    page.get_by_text("Trial 1 of 24").first.wait_for(timeout=30_000)
    click_button(page, "left activates more")
    page.get_by_text("Trial 2 of 24").first.wait_for(timeout=30_000)
    score = page.get_by_text("Score: ").first.inner_text()
    assert score in ("Score: 0 of 1 right", "Score: 1 of 1 right"), score
    click_button(page, "sure")                                   # the confidence toggle
    click_button(page, "right activates more")
    page.get_by_text("Trial 3 of 24").first.wait_for(timeout=30_000)
    assert page.get_by_text("of 2 right").count() >= 1
    assert_no_errors(page)
    save_screenshot(page, LESSON)
