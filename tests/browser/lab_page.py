"""Drive one notebook in JupyterLab like a student would, and check what the page shows.

The helpers talk to JupyterLab through `window.jupyterapp` (the server runs with
`--LabApp.expose_app_in_browser=True`). `open_notebook` installs a small
recorder, `window.vizlab`, that watches the notebook's kernel and images:

    errors        every iopub `error` message, also those raised in widget callbacks
                  (their parent is a `comm_msg`; they never reach a cell's output)
    idleCount     how many times the kernel went idle: an action is finished when
                  the kernel went busy and idle again after it
    imageUpdates  how many times an image in a widget got a new picture; a
                  MutationObserver sees every frame, polling would miss some
    kernelDied    whether the kernel died (JupyterLab then restarts it quietly)
"""

import math
import re
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import TimeoutError as PlaywrightTimeout

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "artifacts" / "browser"

WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"

# What a widget looks like when the page could not render it: ipywidgets 8 shows
# an error widget for a missing widget class, and only the text repr
# (`VBox(children=...`, `IntSlider(value=...`) when the widget manager is missing.
WIDGET_REPR = re.compile(r"\b[A-Z]\w*\((children|value|description|options|layout)=")

INSTALL_RECORDER = """(path) => {
  const panel = window.jupyterapp.shell.currentWidget;
  const vizlab = { panel, errors: [], idleCount: 0, lastMessageAt: performance.now(), imageUpdates: 0, kernelDied: false };
  panel.sessionContext.statusChanged.connect((_, status) => {
    if (status === 'dead' || status === 'autorestarting') vizlab.kernelDied = true;
  });
  panel.sessionContext.iopubMessage.connect((_, msg) => {
    vizlab.lastMessageAt = performance.now();
    const type = msg.header.msg_type;
    if (type === 'status' && msg.content.execution_state === 'idle') vizlab.idleCount++;
    if (type === 'error') vizlab.errors.push({
      ename: msg.content.ename, evalue: msg.content.evalue,
      traceback: msg.content.traceback.join('\\n'),
      parent: msg.parent_header.msg_type,  // 'execute_request' (a cell) or 'comm_msg' (a widget callback)
    });
  });
  const inWidget = (node) => node.nodeType === 1 && node.closest('.jupyter-widgets');
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'attributes') { if (r.target.tagName === 'IMG' && inWidget(r.target)) vizlab.imageUpdates++; continue; }
      for (const node of r.addedNodes) {   // e.g. an Output widget that shows a new figure
        if (!inWidget(node)) continue;
        vizlab.imageUpdates += (node.tagName === 'IMG') + node.querySelectorAll('img').length;
      }
    }
  }).observe(panel.node, { subtree: true, childList: true, attributes: true, attributeFilter: ['src'] });
  window.vizlab = vizlab;
}"""

KERNEL_DIED = "the kernel died (out of memory?): see artifacts/browser/jupyterlab.log"

KERNEL_STATE = """() => {
  const context = window.vizlab.panel.sessionContext;
  const kernel = context.session && context.session.kernel;
  if (!context.isReady || !kernel) return null;
  return { id: kernel.id, connection: kernel.connectionStatus, status: kernel.status };
}"""


# --- opening and running a notebook -------------------------------------------------

def open_notebook(page, path: str, timeout: float = 120) -> None:
    """Open a notebook (path relative to the repo root) and wait for a ready kernel.

    "Run All" sent before the kernel is really there can silently skip cells, so
    wait until the kernel is connected, idle, and has kept the same id for 1 s.
    `?reset` starts from an empty workspace instead of re-opening earlier tabs.
    """
    page.goto(f"lab/tree/{quote(path)}?reset")
    page.wait_for_function(
        """(path) => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
                       return w && w.context && w.context.path === path && w.sessionContext; }""",
        arg=path, timeout=timeout * 1000,
    )
    if not page.evaluate("window.jupyterapp.hasPlugin('@jupyter-widgets/jupyterlab-manager:plugin')"):
        raise AssertionError("JupyterLab did not load the ipywidgets extension: check its data path")
    page.evaluate(INSTALL_RECORDER, path)
    wait_for_stable_kernel(page, timeout)


def wait_for_stable_kernel(page, timeout: float, stable_for: float = 1.0) -> None:
    deadline = time.monotonic() + timeout
    kernel_id, since = None, time.monotonic()
    while time.monotonic() < deadline:
        state = page.evaluate(KERNEL_STATE)
        ready = state and state["connection"] == "connected" and state["status"] == "idle"
        current = state["id"] if ready else None
        if current != kernel_id:
            kernel_id, since = current, time.monotonic()
        elif kernel_id and time.monotonic() - since >= stable_for:
            return
        time.sleep(0.1)
    raise TimeoutError(f"the kernel was not ready after {timeout} s (last state: {state})")


def run_all_cells(page, timeout: float = 600) -> None:
    """Run every cell and wait until all have finished and the kernel is idle."""
    page.evaluate("""() => { window.vizlab.ranAll = false;
        window.jupyterapp.commands.execute('notebook:run-all-cells')
          .finally(() => { window.vizlab.ranAll = true; }); }""")
    page.wait_for_function(
        """() => window.vizlab.kernelDied || (window.vizlab.ranAll
              && window.vizlab.panel.sessionContext.session.kernel.status === 'idle'
              && ![...window.vizlab.panel.node.querySelectorAll('.jp-InputPrompt')]
                    .some((prompt) => prompt.textContent.includes('*')))""",
        timeout=timeout * 1000, polling=250,
    )
    assert not page.evaluate("window.vizlab.kernelDied"), KERNEL_DIED


@contextmanager
def kernel_round_trip(page, timeout: float = 120):
    """Wait, after the body's action, until the kernel has handled it and gone quiet.

    Waiting for "idle" alone is not enough: right after a click the kernel is
    still idle from before. So wait for a new idle, then for 0.3 s without messages
    (a slider can send several updates; widget updates arrive after the idle).
    """
    idle_before = page.evaluate("window.vizlab.idleCount")
    yield
    page.wait_for_function(
        """(before) => window.vizlab.idleCount > before
              && window.vizlab.panel.sessionContext.session.kernel.status === 'idle'
              && performance.now() - window.vizlab.lastMessageAt > 300""",
        arg=idle_before, timeout=timeout * 1000, polling=100,
    )


# --- errors -------------------------------------------------------------------------

def kernel_errors(page) -> list[dict]:
    """Every `error` message the kernel sent since the notebook opened.

    Each is a dict with ename, evalue, traceback and parent ('execute_request'
    for a cell, 'comm_msg' for an exception in a widget callback).
    """
    return page.evaluate("window.vizlab.errors")


def cell_errors(page) -> list[dict]:
    """The error outputs in the notebook's cells, with the cell's index."""
    return page.evaluate("""() => {
      const errors = [];
      Array.from(window.vizlab.panel.content.model.cells).forEach((cell, index) => {
        if (cell.type !== 'code') return;
        for (const output of cell.outputs.toJSON())
          if (output.output_type === 'error') errors.push({ cell: index, ename: output.ename, evalue: output.evalue });
      });
      return errors;
    }""")


def assert_no_errors(page) -> None:
    problems = [f"kernel error from {e['parent']}: {e['ename']}: {e['evalue']}\n{strip_ansi(e['traceback'])}"
                for e in kernel_errors(page)]
    problems += [f"error output in cell {e['cell']}: {e['ename']}: {e['evalue']}" for e in cell_errors(page)]
    if page.evaluate("window.vizlab.kernelDied"):
        problems.append(KERNEL_DIED)
    assert not problems, "\n\n".join(problems)


def strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


# --- widgets ------------------------------------------------------------------------

def assert_widgets_rendered(page, timeout: float = 30) -> None:
    """Every widget output of the notebook shows as a live widget, none as an error or text."""
    expected = page.evaluate("""(mime) => Array.from(window.vizlab.panel.content.model.cells)
        .filter((cell) => cell.type === 'code')
        .flatMap((cell) => cell.outputs.toJSON())
        .filter((output) => output.data && mime in output.data).length""", WIDGET_VIEW_MIME)
    # A cell's own outputs, not those nested in an Output widget.
    outputs = ".jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output"
    views = f"{outputs} > .jupyter-widgets:not(:has(.jupyter-widgets-error-widget))"
    errors = ".jupyter-widgets-error-widget"
    try:  # views render asynchronously, after the outputs arrive
        page.wait_for_function(
            f"(n) => document.querySelectorAll('{views}, {errors}').length >= n",
            arg=expected, timeout=timeout * 1000)
    except PlaywrightTimeout:
        pass  # the assertions below say what is missing
    assert page.locator(errors).count() == 0, "a widget shows an error instead of the control"
    texts = page.evaluate("""(outputs) => [...document.querySelectorAll(outputs)]
        .filter((output) => !output.querySelector(':scope > .jupyter-widgets'))
        .map((output) => output.innerText)""", outputs)  # outputs that are not widget views
    broken = [t for t in texts if "Error displaying widget" in t or WIDGET_REPR.search(t)]
    assert not broken, f"widgets shown as text, not rendered: {broken}"
    shown = page.locator(views).count()
    assert shown >= expected, f"{expected} widget outputs in the notebook, {shown} widget views in the page"


def run_lesson(page, path: str) -> None:
    """Open a lesson, run every cell, and check that nothing failed and every widget rendered."""
    open_notebook(page, path)
    run_all_cells(page)
    assert_no_errors(page)
    assert_widgets_rendered(page)


def widget_labelled(page, css: str, description: str):
    """The widget matching css whose description label reads exactly `description`."""
    label = page.locator(".widget-label", has_text=re.compile(rf"^\s*{re.escape(description)}\s*$"))
    return page.locator(css, has=label)


def read_slider(page, description: str) -> dict:
    """The slider's value, min and max, as its handle announces them (aria attributes)."""
    handle = widget_labelled(page, ".widget-slider", description).locator(".noUi-handle")
    return {key: float(handle.get_attribute(f"aria-value{key}")) for key in ("now", "min", "max")}


def set_slider(page, description: str, value: float) -> None:
    """Move a slider to `value` by typing into its readout (editable in ipywidgets 8)."""
    if math.isclose(read_slider(page, description)["now"], value):
        return  # nothing would be sent to the kernel
    readout = widget_labelled(page, ".widget-slider", description).locator(".widget-readout")
    with kernel_round_trip(page):
        readout.fill(str(int(value)) if float(value).is_integer() else str(value))
        readout.press("Enter")
    now = read_slider(page, description)["now"]
    assert math.isclose(now, value), f"slider {description!r} is at {now}, not {value}"


def click_button(page, text: str) -> None:
    button = page.locator("button.jupyter-button", has_text=re.compile(rf"^\s*{re.escape(text)}\s*$"))
    with kernel_round_trip(page):
        button.click()


def select_dropdown(page, description: str, option: str) -> None:
    """Pick the option labelled `option` in the dropdown with that description."""
    select = widget_labelled(page, ".widget-dropdown", description).locator("select")
    with kernel_round_trip(page):
        select.select_option(label=option)


# --- images -------------------------------------------------------------------------

def image_update_count(page) -> int:
    """How many pictures widgets have shown since the notebook opened; compare before/after."""
    return page.evaluate("window.vizlab.imageUpdates")


# An ipywidgets Image gets a new blob: URL on every update, even for the same picture, so a
# blob: src is read back as a data: URL: equal pictures give equal strings.
READ_SRC = """async (img) => {
  if (!img.src.startsWith('blob:')) return img.src;
  const blob = await (await fetch(img.src)).blob();
  return await new Promise((done) => {
    const reader = new FileReader();
    reader.onload = () => done(reader.result);
    reader.readAsDataURL(blob);
  });
}"""


def image_src_near_slider(page, description: str) -> str:
    """The picture of the widget image that belongs to a slider, to compare before/after.

    Looks in the slider's own widget box first, then in ever larger boxes up to the
    notebook, and takes the first image after the slider (or, in a box holding only
    images above it, the first image of that box).
    """
    widget_labelled(page, ".widget-slider", description).wait_for()
    src = page.evaluate("""async (description) => {
      const read = """ + READ_SRC + """;
      const slider = [...document.querySelectorAll('.widget-slider')].find(
        (s) => s.querySelector('.widget-label')?.textContent.trim() === description);
      for (let box = slider.parentElement; box; box = box.parentElement) {
        const images = [...box.querySelectorAll('img')].filter((img) => img.closest('.jupyter-widgets'));
        if (!images.length) continue;
        const after = images.find((img) => slider.compareDocumentPosition(img) & Node.DOCUMENT_POSITION_FOLLOWING);
        return await read(after || images[0]);
      }
      return null;
    }""", description)
    assert src, f"no widget image near the slider {description!r}"
    return src


def images_near_dropdown(page, description: str) -> list[str]:
    """The pictures of every image in the smallest widget box holding a dropdown and images."""
    widget_labelled(page, ".widget-dropdown", description).wait_for()
    return page.evaluate("""async (description) => {
      const read = """ + READ_SRC + """;
      const dropdown = [...document.querySelectorAll('.widget-dropdown')].find(
        (d) => d.querySelector('.widget-label')?.textContent.trim() === description);
      let box = dropdown.parentElement;
      while (box && !box.querySelector('img')) box = box.parentElement;
      return box ? await Promise.all([...box.querySelectorAll('img')].map(read)) : [];
    }""", description)


def assert_slider_redraws(page, description: str, value: float) -> None:
    """Moving the slider must run its callback cleanly and change the picture beside it."""
    src, updates = image_src_near_slider(page, description), image_update_count(page)
    set_slider(page, description, value)
    assert_no_errors(page)  # the slider's callback must not raise either
    assert image_update_count(page) > updates, f"moving the {description!r} slider redrew no image"
    assert image_src_near_slider(page, description) != src, f"the picture beside {description!r} did not change"


# --- screenshots --------------------------------------------------------------------

def save_screenshot(page, notebook_path: str) -> Path:
    """Save the page to artifacts/browser/<notebook stem>.png and print where."""
    path = SCREENSHOTS / f"{Path(notebook_path).stem}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=path)
    print(f"screenshot: {path}")
    return path
