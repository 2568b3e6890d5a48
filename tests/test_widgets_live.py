"""The live-explorer mechanism: slices on the main thread, each asked for by the page; starts on
display, restarts once per burst of changes, stops within a slice, never starts a thread."""
import threading
import time

import ipywidgets as widgets
import pytest

from vizlab.widgets.common import grey_png
from vizlab.widgets.live import LiveExplorer
from conftest import page_tick, show


class Counter(LiveExplorer):
    """Counts to ``n``, one frame per 5 ms: a slice of 50 ms holds several frames."""

    def __init__(self):
        super().__init__()
        self.n = widgets.IntSlider(5, min=1, max=500)
        self.watch(self.n)
        self.shown, self.finished, self.closed = [], 0, 0

    def frames(self):
        try:
            for i in range(self.n.value):
                time.sleep(0.005)
                yield i
            self.finished += 1
        finally:
            self.closed += 1

    def show(self, frame):
        self.shown.append(frame)


def test_it_starts_when_displayed_and_the_page_asks_for_each_slice():
    w = Counter()
    w.n.value = 40
    assert w.runs_started == 0 and w.slices_run == 0        # a change before display: due, not run
    show(w)
    assert w.slices_run == 0 and w.running                   # nothing runs until the page asks
    page_tick(w)
    assert w.runs_started == 1 and w.slices_run == 1 and 0 < len(w.shown) == 1
    first = w.shown[-1]
    assert 3 <= first < 39                                    # a slice of ~50 ms: several frames, shown once
    page_tick(w)
    assert w.slices_run == 2 and w.shown[-1] > first
    w.wait()
    assert w.shown[-1] == 39 and w.finished == 1 and not w.running
    assert not w.run_button.disabled and w.stop_button.disabled


def test_only_the_newest_ping_runs_a_slice():
    """Answers to older pings (queued while a cell ran, or from a second page) are ignored, so a
    long cell is followed by one slice, not a burst."""
    w = Counter()
    w.n.value = 200
    stale = w._asked
    w.run()                                                  # a newer ping
    for old in range(stale, stale - 5, -1):
        w._pongs[old % 2].value = old                         # old answers
    assert w.slices_run == 0
    answer = w._asked
    w._pongs[answer % 2].value = answer
    w._pongs[answer % 2].value = answer                       # the same answer twice (two pages): one slice
    assert w.slices_run == 1
    w.stop()


def test_a_burst_of_changes_restarts_once():
    w = Counter()
    for value in range(10, 30):
        w.n.value = value
    w.wait()
    assert w.runs_started == 1 and w.shown[-1] == 28 and w.finished == 1


def test_a_change_while_running_ends_the_run_at_once_and_starts_one_new_run():
    w = Counter()
    w.n.value = 400
    page_tick(w)
    assert w.running and w.closed == 0
    w.n.value = 30
    assert w.closed == 1                                      # the old generator is closed before any slice
    w.wait()
    assert w.runs_started == 2 and w.shown[-1] == 29


def test_stop_ends_the_run_within_a_slice_and_cancels_a_due_restart():
    w = Counter()
    w.n.value = 400
    page_tick(w)
    w.stop()
    assert not w.running and w.closed == 1 and w.shown[-1] < 399
    assert "stopped by request" in w.status.value
    assert not w.run_button.disabled and w.stop_button.disabled
    shown = len(w.shown)
    page_tick(w)                                              # a tick already on its way does nothing
    assert len(w.shown) == shown
    w.n.value = 40
    w.stop()                                                  # before the page asked for a slice
    page_tick(w)
    assert w.runs_started == 1 and len(w.shown) == shown


def test_an_error_in_a_run_is_shown_in_the_status_line():
    class Broken(Counter):
        def frames(self):
            raise ValueError("layer 'x' is unknown")
            yield
    w = Broken()
    w.run()
    w.wait()
    assert "layer &#x27;x&#x27; is unknown" in w.status.value and not w.run_button.disabled and not w.running


def test_an_interrupt_in_a_slice_closes_the_run_and_reaches_the_caller():
    class Interrupted(Counter):
        def frames(self):
            try:
                yield 0
                raise KeyboardInterrupt
            finally:
                self.closed += 1
    w = Interrupted()
    w.run()
    with pytest.raises(KeyboardInterrupt):
        w.wait()
    assert w.closed == 1 and not w.running and "interrupted" in w.status.value and not w.run_button.disabled


def test_no_thread_is_ever_started():
    before = set(threading.enumerate())
    w = Counter()
    show(w)
    page_tick(w)
    w.n.value = 300
    page_tick(w)
    w.stop()
    w.run()
    w.wait()

    class Broken(Counter):
        def frames(self):
            raise RuntimeError("no")
    b = Broken()
    show(b)
    b.wait()
    assert set(threading.enumerate()) == before


def test_the_clock_counters_are_in_the_layout_row_and_used_in_turn():
    w = Counter()
    for ping, pong, link in zip(w._pings, w._pongs, w._links):
        assert ping in w.buttons.children and pong in w.buttons.children
        assert ping.layout.display == pong.layout.display == "none"
        assert link.source == (ping, "value") and link.target == (pong, "value")
    w.n.value = 100
    channels = []
    for _ in range(4):
        channels.append(w._asked % 2)
        page_tick(w)
    assert channels == [1, 0, 1, 0]
    w.stop()


def test_the_placeholder_is_a_real_png():
    assert grey_png()[:4] == b"\x89PNG"


def test_an_optimizing_explorer_pays_for_torchs_optimizer_import_when_made_not_in_a_slice():
    """The first torch optimizer of a process imports torch._dynamo (about 2 s, 150 MB). In a fresh
    process: the lessons' imports and a non-optimizing explorer do not pay it (lesson 04's memory);
    making an AscentExplorer does, before its first slice."""
    import subprocess
    import sys
    script = (
        "import sys, vizlab, vizlab.widgets as w\n"
        "model = vizlab.load_model('shapenet')\n"
        "w.SaliencyExplorer(model)\n"
        "print('saliency', 'torch._dynamo' in sys.modules)\n"
        "explorer = w.AscentExplorer(model)\n"
        "print('ascent', 'torch._dynamo' in sys.modules, explorer.slices_run)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-3:] == ["saliency False", "ascent True 0", ""], result.stdout
