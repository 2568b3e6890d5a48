"""Fixtures for the browser tests: one JupyterLab and one Chromium for the whole session,
and a fresh page per test."""

import os
from pathlib import Path

import pytest

from .jupyterlab import CHROMIUM, logged_in_browser, start_jupyterlab, stop_jupyterlab
from .lab_page import REPO_ROOT, SCREENSHOTS


def require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: .ci/run must `apt-get install -y chromium`")
    pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install -y chromium)")


@pytest.fixture(scope="session")
def jupyter_lab():
    """A JupyterLab server on the repo root; its log is artifacts/browser/jupyterlab.log."""
    require_chromium()  # no point starting a server without a browser
    # Colab's behaviour by default: its kernels drop widget messages sent off the main thread.
    # VIZLAB_BROWSER_KERNEL=normal runs the same tests in an ordinary kernel.
    colab_like = os.environ.get("VIZLAB_BROWSER_KERNEL", "colab") != "normal"
    lab = start_jupyterlab(REPO_ROOT, log=SCREENSHOTS / "jupyterlab.log", colab_like=colab_like)
    yield lab
    stop_jupyterlab(lab)


@pytest.fixture(scope="session")
def browser(jupyter_lab):
    """A headless Chromium, logged in to the server; relative URLs go to the server."""
    with logged_in_browser(jupyter_lab) as context:
        yield context


@pytest.fixture
def page(browser, request):
    """A new tab; afterwards its kernels are shut down (and a screenshot kept on failure)."""
    page = browser.new_page()
    yield page
    if getattr(request.node, "failed", False):
        page.screenshot(path=SCREENSHOTS / f"{request.node.name}-failed.png")
    page.evaluate("() => window.jupyterapp && window.jupyterapp.serviceManager.sessions.shutdownAll()")
    page.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Mark a test that failed, so the page fixture can keep a screenshot."""
    report = yield
    if report.failed:
        item.failed = True
    return report
