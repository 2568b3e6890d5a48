"""Self-test of the browser harness on a small notebook this test writes itself."""

import re
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest

from .lab_page import (
    REPO_ROOT, assert_no_errors, assert_widgets_rendered, click_button, image_src_near_slider,
    image_update_count, kernel_errors, open_notebook, run_all_cells, save_screenshot,
    select_dropdown, set_slider,
)

SETUP = """\
import io
import ipywidgets as widgets
from PIL import Image

def png(level, colour='grey'):
    '''A 32x32 picture whose brightness is the level and whose hue is the colour.'''
    rgb = {'grey': (1, 1, 1), 'red': (1, 0, 0)}[colour]
    buffer = io.BytesIO()
    Image.new('RGB', (32, 32), tuple(c * level * 25 for c in rgb)).save(buffer, 'PNG')
    return buffer.getvalue()
"""

WIDGETS = """\
level = widgets.IntSlider(value=1, min=0, max=10, description='level')
colour = widgets.Dropdown(options=['grey', 'red'], description='colour')
picture = widgets.Image(value=png(1), format='png', width=64)

def redraw(change):
    picture.value = png(level.value, colour.value)

level.observe(redraw, 'value')
colour.observe(redraw, 'value')

explode = widgets.Button(description='explode')
def fail(button):
    raise RuntimeError('boom from a widget callback')
explode.on_click(fail)

widgets.VBox([level, colour, picture, explode])
"""


@pytest.fixture
def scratch_notebook():
    """Write the notebook under artifacts/ (JupyterLab serves only the repo root); yield its path."""
    (REPO_ROOT / "artifacts").mkdir(exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="harness-", dir=REPO_ROOT / "artifacts"))
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(SETUP), nbformat.v4.new_code_cell(WIDGETS)],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    nbformat.write(notebook, folder / "harness.ipynb")
    yield str((folder / "harness.ipynb").relative_to(REPO_ROOT))
    shutil.rmtree(folder)


@pytest.mark.browser
def test_harness_drives_widgets_and_catches_callback_errors(page, scratch_notebook):
    open_notebook(page, scratch_notebook)
    run_all_cells(page)
    assert_no_errors(page)
    assert_widgets_rendered(page)

    # Moving the slider redraws the picture.
    src, updates = image_src_near_slider(page, "level"), image_update_count(page)
    set_slider(page, "level", 7)
    assert image_src_near_slider(page, "level") != src
    assert image_update_count(page) == updates + 1

    # So does picking another colour.
    src = image_src_near_slider(page, "level")
    select_dropdown(page, "colour", "red")
    assert image_src_near_slider(page, "level") != src
    save_screenshot(page, scratch_notebook)

    # An exception in a callback never reaches a cell: only the iopub listener sees it.
    click_button(page, "explode")
    errors = kernel_errors(page)
    assert [e for e in errors if e["parent"] == "comm_msg" and "boom" in e["evalue"]], errors
    with pytest.raises(AssertionError, match="boom from a widget callback"):
        assert_no_errors(page)


THREADED = """\
import threading, time
label = widgets.HTML('start', description='from')

def from_a_thread():
    label.value = 'thread'

def from_the_main_thread(button):
    label.value = 'main'

go = widgets.Button(description='main')
go.on_click(from_the_main_thread)
display(widgets.VBox([label, go]))
worker = threading.Thread(target=from_a_thread)
worker.start()
worker.join()
"""


@pytest.mark.browser
def test_the_kernel_drops_widget_messages_sent_off_the_main_thread_as_colab_does(page, tmp_path):
    """The emulation the live explorers are tested in: a thread's update never reaches the page."""
    (REPO_ROOT / "artifacts").mkdir(exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="colab-", dir=REPO_ROOT / "artifacts"))
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SETUP), nbformat.v4.new_code_cell(THREADED)],
                                        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                 "language": "python"}})
    nbformat.write(notebook, folder / "threaded.ipynb")
    try:
        open_notebook(page, str((folder / "threaded.ipynb").relative_to(REPO_ROOT)))
        run_all_cells(page)
        assert_no_errors(page)
        label = page.locator(".widget-html-content")
        label.filter(has_text=re.compile(r"^start$")).wait_for()
        page.wait_for_timeout(1000)
        assert label.inner_text().strip() == "start", "a thread's widget update reached the page"
        click_button(page, "main")
        label.filter(has_text=re.compile(r"^main$")).wait_for()
    finally:
        shutil.rmtree(folder)
