"""How live an explorer feels in a real browser: first frame, frames per second, Stop, a cell's wait.

    python benchmarks/bench_widgets.py [--frontend lab|classic] [--kernel colab|normal] [--repeat 5]

Drives lesson 06's explorer (ShapeNet at 64 px, gradient ascent on a conv3 channel) in headless
Chromium, through the same server set-up as the browser tests (tests/browser/), and prints:

- display to first frame: from running the cell that shows the explorer to the first picture
  the page draws (target <= 1 s), in a fresh kernel (the first optimizer a kernel builds makes
  torch import its compiler stack, about 2 s once) and for a second explorer in the same kernel
  (as in lessons 06-10, whose earlier cells have already optimized);
- frames per second the page draws while the explorer runs (target >= 10);
- Stop latency: from the click to "stopped by request" on the page (target <= one slice);
- a cell's wait: how long a one-line cell takes from Run to its output while the explorer is
  live, next to the same cell with nothing live (target: within one slice more).

``--frontend classic`` needs classic Notebook 6.5 (notebook<7), as in Colab's versions: run it
with that environment's Python (``.venv-colab/bin/python``, which `.ci/colab` builds). The
kernel is Colab-like by default (it drops widget messages sent off the main thread, and
JupyterLab sends widget messages to the main shell); ``--kernel normal`` uses the defaults.
Figures, not assertions: the tests check behaviour, this measures it.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.browser.jupyterlab import (  # noqa: E402  (the harness lives beside the tests)
    launch_chromium, start_classic_notebook, start_jupyterlab, stop_jupyterlab,
)
from vizlab.widgets.live import LiveExplorer  # noqa: E402

CELLS = [
    "import itertools\nimport vizlab\nfrom vizlab.widgets import AscentExplorer\n"
    "model = vizlab.load_model('shapenet')\nticket = itertools.count()",
    "explorer = AscentExplorer(model, layer='conv3', unit=1, steps=512, size=64)\nexplorer",
    "print('ticket', next(ticket))",
    "AscentExplorer(model, layer='conv3', unit=2, steps=512, size=64)",
]

# Per frontend: open a notebook, run cell i, the output node of cell i, the text of its outputs.
FRONTENDS = {
    "lab": {
        "url": "lab/tree/{path}?reset",
        "ready": """() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
            const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
            return !!(k && k.connectionStatus === 'connected' && k.status === 'idle'); }""",
        "run": """(i) => { const p = window.jupyterapp.shell.currentWidget; p.content.activeCellIndex = i;
            window.jupyterapp.commands.execute('notebook:run-cell'); }""",
        "node": "(i) => window.jupyterapp.shell.currentWidget.content.widgets[i].node",
        "text": "(i) => JSON.stringify(window.jupyterapp.shell.currentWidget.content.model.cells.get(i).outputs.toJSON())",
        "idle": "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
    },
    "classic": {
        "url": "notebooks/{path}",
        "ready": """() => !!(window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel
            && Jupyter.notebook.kernel.is_connected() && Jupyter.notebook.kernel_busy === false && Jupyter.WidgetManager)""",
        "run": "(i) => Jupyter.notebook.get_cell(i).execute()",
        "node": "(i) => Jupyter.notebook.get_cell(i).element[0]",
        "text": "(i) => JSON.stringify(Jupyter.notebook.get_cell(i).output_area.outputs)",
        "idle": "() => Jupyter.notebook.kernel_busy === false",
    },
}

# A frame is a new picture in an image already on the page (the first, grey, picture comes with
# the view itself and is not counted).
RECORDER = """(node) => {
  window.bench = { frames: [] };
  new MutationObserver((records) => {
    for (const r of records)
      if (r.target.tagName === 'IMG' && r.target.closest('.jupyter-widgets')) window.bench.frames.push(performance.now());
  }).observe(node, { subtree: true, attributes: true, attributeFilter: ['src'] });
}"""


def write_notebook(folder: Path) -> str:
    cells = [{"cell_type": "code", "metadata": {}, "source": source, "outputs": [], "execution_count": None}
             for source in CELLS]
    notebook = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                             "language": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    (folder / "bench_widgets.ipynb").write_text(json.dumps(notebook))
    return "bench_widgets.ipynb"


def now(page) -> float:
    return page.evaluate("performance.now()")


def wait_for(page, condition: str, arg=None, timeout: float = 120) -> None:
    page.wait_for_function(condition, arg=arg, timeout=timeout * 1000, polling=5)


def run_and_wait(page, js: dict, cell: int) -> float:
    """Run one cell and wait for it to finish; the milliseconds until its new output showed."""
    before = page.evaluate(js["text"], cell)
    start = now(page)
    page.evaluate(js["run"], cell)
    wait_for(page, f"(a) => {{ const t = ({js['text']})(a[0]); return t !== a[1] && t.includes('ticket'); }}",
             [cell, before])
    return now(page) - start


def explorer_says(page, js: dict, text: str) -> str:
    return f"() => ({js['node']})(1).innerText.includes({json.dumps(text)})"


def measure(page, js: dict, repeat: int) -> dict:
    page.evaluate(js["run"], 0)
    wait_for(page, "() => !document.querySelector('.jp-InputPrompt, .input_prompt') || "
                   "![...document.querySelectorAll('.jp-InputPrompt, .input_prompt')].some((p) => p.textContent.includes('*'))")
    wait_for(page, js["idle"])
    quiet = [run_and_wait(page, js, 2) for _ in range(repeat)]      # a cell with nothing live

    page.evaluate(f"(i) => ({RECORDER})(({js['node']})(i))", 1)
    shown_at = now(page)
    page.evaluate(js["run"], 1)
    wait_for(page, f"() => ({js['node']})(1).querySelector('.jupyter-widgets img')")
    view = now(page) - shown_at
    wait_for(page, "() => window.bench.frames.length > 0")
    first_frame = page.evaluate("window.bench.frames[0]") - shown_at

    page.wait_for_timeout(2000)       # a 512-step run lasts longer than this
    times = page.evaluate("window.bench.frames")
    fps = (len(times) - 1) / ((times[-1] - times[0]) / 1000) if len(times) > 1 else 0.0

    live = []
    for _ in range(repeat):
        restart(page, js)
        live.append(run_and_wait(page, js, 2))

    stops = []
    for _ in range(repeat):
        restart(page, js)
        clicked = now(page)
        page.locator("button.jupyter-button", has_text="Stop").first.click()
        wait_for(page, explorer_says(page, js, "stopped by request"))
        stops.append(now(page) - clicked)

    page.evaluate(f"(i) => ({RECORDER})(({js['node']})(i))", 3)    # a second explorer, same kernel
    shown_at = now(page)
    page.evaluate(js["run"], 3)
    wait_for(page, "() => window.bench.frames.length > 0")
    second_first_frame = page.evaluate("window.bench.frames[0]") - shown_at
    return {"view_ms": view, "first_frame_ms": first_frame, "second_first_frame_ms": second_first_frame, "fps": fps, "quiet_cell_ms": statistics.median(quiet),
            "live_cell_ms": statistics.median(live), "stop_ms": statistics.median(stops),
            "stop_max_ms": max(stops)}


def restart(page, js: dict) -> None:
    """Press Run and wait for its first frame, so what follows happens while the explorer runs."""
    count = page.evaluate("window.bench.frames.length")
    page.locator("button.jupyter-button", has_text="Run").first.click()
    wait_for(page, "(n) => window.bench.frames.length > n + 1", count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frontend", choices=sorted(FRONTENDS), default="lab")
    parser.add_argument("--kernel", choices=["colab", "normal"], default="colab")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {args.repeat}")
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="vzb"))
    path, js = write_notebook(folder), FRONTENDS[args.frontend]
    start = start_classic_notebook if args.frontend == "classic" else start_jupyterlab
    server = start(folder, log=folder / "server.log", colab_like=args.kernel == "colab")
    try:
        with sync_playwright() as playwright:
            context = launch_chromium(playwright, folder / "profile", base_url=server.url)
            context.request.get(f"api/status?token={server.token}")
            page = context.new_page()
            page.goto(js["url"].format(path=path))
            wait_for(page, js["ready"])
            page.wait_for_timeout(1000)
            figures = measure(page, js, args.repeat)
            context.close()
    finally:
        stop_jupyterlab(server)
        shutil.rmtree(folder, ignore_errors=True)
    import ipywidgets

    slice_ms = LiveExplorer.slice_s * 1000
    print(f"{args.frontend} ({args.kernel} kernel, ipywidgets {ipywidgets.__version__}), "
          f"ShapeNet conv3 ascent at 64 px, one slice = {slice_ms:.0f} ms, median of {args.repeat}:")
    print(f"  display to the view     {figures['view_ms']:7.0f} ms   (the page draws the controls)")
    print(f"  display to first frame  {figures['first_frame_ms']:7.0f} ms   (target <= 1000; a fresh kernel)")
    print(f"    a second explorer     {figures['second_first_frame_ms']:7.0f} ms   (target <= 1000; the same kernel)")
    print(f"  frames per second       {figures['fps']:7.1f}      (target >= 10)")
    print(f"  Stop to 'stopped'       {figures['stop_ms']:7.0f} ms   (max {figures['stop_max_ms']:.0f}; "
          f"target <= one slice plus a round trip)")
    print(f"  a cell, nothing live    {figures['quiet_cell_ms']:7.0f} ms")
    print(f"  a cell, explorer live   {figures['live_cell_ms']:7.0f} ms   (target <= quiet + one slice)")


if __name__ == "__main__":
    main()
