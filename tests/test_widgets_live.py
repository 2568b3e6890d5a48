"""The live-explorer mechanism: starts on display, restarts once per burst of changes, stops."""
import threading
import time

import ipywidgets as widgets

from vizlab.widgets.live import LiveExplorer, grey_png
from conftest import wait_for


class Counter(LiveExplorer):
    """Counts to ``n`` slowly, one frame per step, polling stop like the loop does."""
    debounce_s = 0.05

    def __init__(self):
        super().__init__()
        self.n = widgets.IntSlider(5, min=1, max=50)
        self.watch(self.n)
        self.shown = []
        self.finished = threading.Event()

    def frames(self, stop):
        for i in range(self.n.value):
            if stop():
                return
            time.sleep(0.01)
            yield i
        self.finished.set()

    def show(self, frame):
        self.shown.append(frame)



def test_it_starts_when_displayed():
    w = Counter()
    assert w.runs_started == 0
    w._repr_mimebundle_()
    wait_for(lambda: w.finished.is_set())
    assert w.runs_started == 1 and w.shown == [0, 1, 2, 3, 4]


def test_a_burst_of_changes_restarts_once():
    w = Counter()
    for value in range(10, 30):
        w.n.value = value
    wait_for(lambda: w.finished.is_set())
    w.wait()
    assert w.runs_started == 1 and w.shown == list(range(29))


def test_stop_ends_the_run_and_cancels_a_pending_restart():
    w = Counter()
    w.n.value = 50
    wait_for(lambda: w.running)
    w.stop()
    w.wait()
    assert not w.running and len(w.shown) < 50
    assert not w.run_button.disabled and w.stop_button.disabled
    w.n.value = 40
    w.stop()                                     # before the debounce fires
    time.sleep(0.2)
    assert w.runs_started == 1


def test_an_error_in_a_run_is_shown_in_the_status_line():
    class Broken(Counter):
        def frames(self, stop):
            raise ValueError("layer 'x' is unknown")
            yield
    w = Broken()
    w.run()
    w.wait()
    assert "layer &#x27;x&#x27; is unknown" in w.status.value and not w.run_button.disabled


def test_the_placeholder_is_a_real_png():
    assert grey_png()[:4] == b"\x89PNG"


def test_wait_right_after_a_restart_never_joins_an_unstarted_thread():
    w = Counter()
    for value in range(6, 30):
        w.n.value = value
        w.run()
        w.wait()
    assert w.runs_started >= 24                  # (and no 'cannot join thread before it is started')


def test_a_run_stopped_before_its_first_frame_shows_no_error():
    class FailsWhenStopped(Counter):
        def frames(self, stop):
            while not stop():
                time.sleep(0.005)
            raise RuntimeError("the run ended before its first frame")
            yield
    w = FailsWhenStopped()
    w.run()
    w.stop()
    w.wait()
    assert "Error" not in w.status.value
