"""Every live explorer in classic Notebook 6.5 with ipywidgets 7, in a Colab-like kernel.

Classic Notebook is the frontend Colab's widget support descends from, and ipywidgets 7.7.1 is
what Colab renders. Each lesson runs top to bottom; its explorer must start by itself and show
at least 5 frames (or end a shorter run), restart when a slider moves (new frames, a new picture), and stop on Stop
within a second. These tests need notebook<7, which `.ci/colab` installs (with Colab's other
versions) and where it sets VIZLAB_CLASSIC_NOTEBOOK=1, so that a missing classic Notebook fails
there instead of skipping.
"""
import os
import time

import pytest

from .classic_page import (
    assert_no_errors, assert_widgets_rendered, explorer_pictures, explorer_text, frames, move_slider,
    open_notebook, press, run_all_cells, run_button_enabled, wait_for_frames,
)
from .conftest import require_chromium
from .jupyterlab import logged_in_browser, start_classic_notebook, stop_jupyterlab
from .lab_page import REPO_ROOT, SCREENSHOTS

# lesson: (a slider that restarts the explorer, its new value), (a slider and value for a long run)
EXPLORERS = {
    "04_saliency_maps": (("noise", "0.40"), ("samples", "100")),
    "06_gradient_ascent": (("channel", "3"), ("steps", "512")),
    "07_inverting_representations": (("steps", "400"), ("steps", "1000")),
    "08_deepdream": (("steps/octave", "20"), ("steps/octave", "100")),
    "09_adversarial_examples": (("eps (/255)", "16.00"), ("steps", "100")),
    "10_inverse_set": (("n", "6"), ("n", "64")),
}


def classic_notebook_version():
    try:
        import notebook
    except ImportError:
        return None
    return notebook.__version__ if notebook.__version__.startswith("6.") else None


@pytest.fixture(scope="module")
def classic_server():
    if classic_notebook_version() is None:
        if os.environ.get("VIZLAB_CLASSIC_NOTEBOOK"):
            pytest.fail("VIZLAB_CLASSIC_NOTEBOOK is set but classic Notebook 6.5 (notebook<7) is not installed")
        pytest.skip("classic Notebook 6.5 is not installed here: .ci/colab runs these tests with notebook==6.5.7")
    require_chromium()
    server = start_classic_notebook(REPO_ROOT, log=SCREENSHOTS / "classic-notebook.log")
    yield server
    stop_jupyterlab(server)


@pytest.fixture(scope="module")
def classic_browser(classic_server):
    with logged_in_browser(classic_server) as context:
        yield context


@pytest.fixture
def classic_page(classic_browser, request):
    page = classic_browser.new_page()
    yield page
    if getattr(request.node, "failed", False):
        page.screenshot(path=SCREENSHOTS / f"{request.node.name}-failed.png", full_page=True)
    page.evaluate("() => window.Jupyter && Jupyter.notebook && Jupyter.notebook.session.delete()")
    page.close()


@pytest.mark.browser
@pytest.mark.parametrize("lesson", sorted(EXPLORERS))
def test_the_explorer_starts_restarts_and_stops_in_classic_notebook(classic_page, lesson):
    page, (restart, long_run) = classic_page, EXPLORERS[lesson]
    open_notebook(page, f"lessons/{lesson}.ipynb")
    run_all_cells(page)
    assert_no_errors(page)
    assert_widgets_rendered(page)

    # It started by itself when shown (Run All never presses Run): 5 frames, or a run short
    # enough to end before its fifth (lesson 08's first dream takes about 0.2 s on an idle core)
    # that showed a frame and gave Run back.
    end = time.time() + 60
    while frames(page) <= 4 and not (frames(page) > 0 and run_button_enabled(page)):
        assert time.time() < end, f"the explorer did not start by itself: {frames(page)} frames in 60 s"
        time.sleep(0.1)
    assert "Error" not in explorer_text(page)

    # A slider alone restarts it: new frames arrive and the picture changes.
    before, count = explorer_pictures(page), frames(page)
    move_slider(page, *restart)
    wait_for_frames(page, count)
    end = time.time() + 60
    while explorer_pictures(page) == before:
        assert time.time() < end, f"moving {restart[0]!r} did not change the explorer's pictures"
        time.sleep(0.2)
    assert_no_errors(page)

    # A long run, and Stop while it runs (pressing Run again if it was short enough to end):
    # no frame after the one Stop sends.
    move_slider(page, *long_run)
    wait_for_frames(page, frames(page))
    if run_button_enabled(page):
        count = frames(page)
        press(page, "Run")
        wait_for_frames(page, count)
    press(page, "Stop")
    end = time.time() + 5
    while "stopped by request" not in explorer_text(page):
        assert time.time() < end, f"Stop did not stop the run: the explorer says {explorer_text(page)[-200:]!r}"
        time.sleep(0.1)
    page.wait_for_timeout(500)
    after_stop = frames(page)
    page.wait_for_timeout(1500)
    assert frames(page) == after_stop, "frames kept arriving after Stop"
    assert_no_errors(page)
    page.screenshot(path=SCREENSHOTS / f"classic-{lesson}.png")
