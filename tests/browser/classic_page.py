"""Drive one notebook in classic Notebook 6.5 (ipywidgets 7) like a student would.

The classic page has no `window.jupyterapp`; it has `window.Jupyter.notebook`. `open_notebook`
installs a recorder, `window.vizlab`, like lab_page's:

    errors        every iopub `error` message, also those raised in widget callbacks
    frames        how many pictures the live explorer (the output holding a Stop button) got
    kernelDied    whether the kernel died
"""

import re
import time
from urllib.parse import quote

from .lab_page import strip_ansi

INSTALL_RECORDER = """() => {
  const kernel = Jupyter.notebook.kernel;
  const vizlab = { errors: [], frames: 0, kernelDied: false };
  const handle = kernel._handle_iopub_message;
  kernel._handle_iopub_message = function (msg) {
    if (msg.header.msg_type === 'error') vizlab.errors.push({
      ename: msg.content.ename, evalue: msg.content.evalue,
      traceback: msg.content.traceback.join('\\n'), parent: msg.parent_header.msg_type });
    return handle.call(this, msg);
  };
  Jupyter.notebook.events.on('kernel_dead.Kernel kernel_restarting.Kernel', () => { vizlab.kernelDied = true; });
  // A picture counts as the explorer's when the cell output it lies in has a Stop button.
  const explorers = (node) => { const out = node.closest && node.closest('.output_subarea');
    return out && [...out.querySelectorAll('button')].some((b) => b.textContent.trim() === 'Stop'); };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'attributes') { if (r.target.tagName === 'IMG' && explorers(r.target)) vizlab.frames++; continue; }
      for (const node of r.addedNodes)
        if (node.nodeType === 1 && explorers(node)) vizlab.frames += (node.tagName === 'IMG') + node.querySelectorAll('img').length;
    }
  }).observe(document.getElementById('notebook'), { subtree: true, childList: true, attributes: true, attributeFilter: ['src'] });
  window.vizlab = vizlab;
}"""

KERNEL_READY = """() => window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel
    && Jupyter.notebook.kernel.is_connected() && Jupyter.notebook.kernel_busy === false
    && !!Jupyter.WidgetManager"""

ALL_RAN = """() => window.vizlab.kernelDied || (window.vizlab.ranAll && Jupyter.notebook.kernel_busy === false
    && ![...document.querySelectorAll('.input_prompt')].some((p) => p.textContent.includes('*')))"""


def open_notebook(page, path: str, timeout: float = 120) -> None:
    """Open a notebook (relative to the server's root) and wait for an idle, connected kernel."""
    page.goto(f"notebooks/{quote(path)}")
    page.wait_for_function(KERNEL_READY, timeout=timeout * 1000, polling=200)
    page.wait_for_timeout(1000)      # the widget manager registers its comm target after it loads
    page.evaluate(INSTALL_RECORDER)


def run_all_cells(page, timeout: float = 600) -> None:
    page.evaluate("() => { Jupyter.notebook.execute_all_cells(); setTimeout(() => { window.vizlab.ranAll = true; }, 500); }")
    page.wait_for_function(ALL_RAN, timeout=timeout * 1000, polling=250)
    assert not page.evaluate("window.vizlab.kernelDied"), "the kernel died (out of memory?)"


def assert_no_errors(page) -> None:
    problems = [f"kernel error from {e['parent']}: {e['ename']}: {e['evalue']}\n{strip_ansi(e['traceback'])}"
                for e in page.evaluate("window.vizlab.errors")]
    problems += [f"error output: {text}" for text in page.locator(".output_error").all_inner_texts()]
    if page.evaluate("window.vizlab.kernelDied"):
        problems.append("the kernel died")
    assert not problems, "\n\n".join(problems)


def assert_widgets_rendered(page) -> None:
    """Every widget output shows as a widget view, none as an error or as its text repr."""
    expected = page.evaluate("""() => Jupyter.notebook.get_cells().filter((c) => c.cell_type === 'code')
        .flatMap((c) => c.output_area.outputs)
        .filter((o) => o.data && 'application/vnd.jupyter.widget-view+json' in o.data).length""")
    page.wait_for_function("(n) => document.querySelectorAll('.output_subarea > .jupyter-widgets').length >= n",
                           arg=expected, timeout=30_000)
    texts = page.locator(".output_subarea").all_inner_texts()
    broken = [t for t in texts if "Error displaying widget" in t or "Error rendering" in t]
    assert not broken, f"widgets that did not render: {broken}"


def frames(page) -> int:
    return page.evaluate("window.vizlab.frames")


def wait_for_frames(page, more_than: int, timeout: float = 60) -> int:
    end = time.time() + timeout
    while (count := frames(page)) <= more_than:
        assert time.time() < end, f"no new frame within {timeout} s (still {count})"
        time.sleep(0.1)
    return count


def explorer_text(page) -> str:
    """Everything the live explorer's output shows as text (its status line included)."""
    return page.evaluate("""() => [...document.querySelectorAll('.output_subarea')]
        .filter((out) => [...out.querySelectorAll('button')].some((b) => b.textContent.trim() === 'Stop'))
        .map((out) => out.innerText).join('\\n')""")


def explorer_pictures(page) -> list[str]:
    return page.evaluate("""() => [...document.querySelectorAll('.output_subarea')]
        .filter((out) => [...out.querySelectorAll('button')].some((b) => b.textContent.trim() === 'Stop'))
        .flatMap((out) => [...out.querySelectorAll('img')].map((img) => img.src))""")


def move_slider(page, description: str, value: str) -> None:
    """Type into the slider's readout and press Enter (ipywidgets 7's readout is editable text)."""
    label = page.locator(".widget-label", has_text=re.compile(rf"^\s*{re.escape(description)}\s*$"))
    readout = page.locator(".widget-slider", has=label).first.locator(".widget-readout")
    readout.fill(value)
    readout.press("Enter")
    end = time.time() + 10
    while readout.inner_text().strip() != value:
        assert time.time() < end, f"slider {description!r} reads {readout.inner_text()!r}, not {value!r}"
        time.sleep(0.1)


def press(page, text: str) -> None:
    page.locator("button.jupyter-button", has_text=re.compile(rf"^\s*{re.escape(text)}\s*$")).first.click()


def run_button_enabled(page) -> bool:
    """Whether Run can be pressed: it is disabled while a run is in progress."""
    return page.locator("button.jupyter-button", has_text=re.compile(r"^\s*Run\s*$")).first.is_enabled()
