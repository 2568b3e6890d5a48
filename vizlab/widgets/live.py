"""What every explorer that runs an optimization shares: it is live, on the kernel's main thread.

* It starts as soon as it is shown (no "press Run" before anything happens).
* Moving a watched control restarts the run with the new settings, once per burst of changes:
  a cell that sets ten values, or a slider dragged and let go, starts one run.
* Stop ends the run within one slice (below); so does a new run, or an error, shown in the
  status line.

How, on every frontend students use (JupyterLab, classic Notebook, Colab, VS Code, Voila;
ipywidgets 7 and 8): a run is a generator of frames, advanced in *slices* of at most
``slice_s`` seconds, each on the kernel's main thread, and **the page asks for every slice**.
After a slice the kernel sets a counter, a *ping*; a link that lives in the page (``jsdlink``)
copies it into a second counter, its *pong*, and sends that back. The message joins the kernel's
queue behind whatever came meanwhile (a Stop click, a slider, the student's next cell), and
its handler runs the next slice. There are two such pairs, used in turn: a page sends a
widget's next change only once the kernel has finished with its last one, and the next ping
goes out while the kernel is still busy with the last pong. So:

* the kernel does one thing at a time: a cell never runs beside the explorer, and waits at
  most one slice for it; while a cell runs, the explorer waits, then goes on;
* only the pong of the newest ping runs a slice, and there is one ping outstanding at a time,
  so a long cell is followed by one slice, never by a burst of catch-up;
* between two slices the generator is suspended at a frame, where vizlab's loops hold no hook
  on the model and leave grad mode as they found it: the next cell meets the model as it was.

The page's messages may arrive on another thread: JupyterLab (4.4 and later) sends widget
messages to a kernel *subshell* (ipykernel 7 and later), whose thread runs their callbacks while
the main thread runs a cell. So every callback that touches a run (``run``, ``stop``, a pong)
is handed to the main thread's event loop (``on_main_thread``), where it waits behind the cell.

Why not a background thread: Colab never shows widget updates sent from one
(googlecolab/colabtools#3373). Why not a ``Play`` timer: ipywidgets 7, Colab's, cannot start
one from the kernel (only its button does), and its ticks queue up while the kernel is busy.

Without a page (a script, a test, nbval) nothing asks for slices: ``wait()`` runs them to the
end, deterministically.

A subclass builds its controls, calls ``self.watch(*controls)`` and implements ``frames()`` (an
iterator of frames for the current settings) and ``show(frame)``; ``say(text)`` writes the
status line.
"""
from __future__ import annotations

import functools
import html
import threading
import time

import ipywidgets as widgets


def on_main_thread(method):
    """Run ``method`` on the kernel's main thread. Called there (Colab, classic Notebook, VS Code,
    scripts) it runs at once; called from a kernel subshell's thread (JupyterLab with ipykernel 7),
    it is queued on the main thread's event loop and runs after the cell running there, if any.
    This only asks which thread is current: vizlab's widgets never start a thread or a timer."""
    @functools.wraps(method)
    def call(*args, **kwargs):
        loop = None if threading.current_thread() is threading.main_thread() else _main_event_loop()
        if loop is None:
            return method(*args, **kwargs)
        loop.add_callback(method, *args, **kwargs)
    return call


def _main_event_loop():
    """The running kernel's main event loop (a tornado IOLoop), or None outside a kernel."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return getattr(getattr(shell, "kernel", None), "io_loop", None)



class LiveExplorer(widgets.VBox):
    """A VBox that runs ``frames()`` in page-clocked slices: starts on display, restarts on change."""

    slice_s = 0.05   # at most this long per slice: what Stop, a slider or a cell may wait

    def __init__(self, children=(), **kwargs):
        super().__init__(children, **kwargs)
        self._frames = None              # the run in progress: an iterator of frames, or None
        self._restart = False            # a (re)start is due at the next slice
        self.runs_started = 0
        self.slices_run = 0
        self.run_button = widgets.Button(description="Run", button_style="success", icon="play")
        self.stop_button = widgets.Button(description="Stop", button_style="danger", icon="stop", disabled=True)
        self.status = widgets.HTML("")
        self.run_button.on_click(lambda _: self.run())
        self.stop_button.on_click(lambda _: self.stop())
        # The page's clock: ping -> (a link in the page) -> pong -> the next slice; two pairs.
        self._asked = 0                  # the number of the newest ping; only its pong runs a slice
        self._pings = [widgets.IntText(0, layout=widgets.Layout(display="none")) for _ in range(2)]
        self._pongs = [widgets.IntText(0, layout=widgets.Layout(display="none")) for _ in range(2)]
        self._links = [widgets.jsdlink((ping, "value"), (pong, "value")) for ping, pong in zip(self._pings, self._pongs)]
        for pong in self._pongs:
            pong.observe(self._on_pong, names="value")
        # Run, Stop and the clock's counters: every explorer's layout shows this row, so the
        # counters' models exist in every page that shows the explorer.
        self.buttons = widgets.HBox([self.run_button, self.stop_button, *self._pings, *self._pongs])

    # --- what a subclass provides --------------------------------------------------------------
    def frames(self):
        """The frames of one run with the current settings."""
        raise NotImplementedError

    def show(self, frame) -> None:
        raise NotImplementedError

    def say(self, text: str, *, alarm: bool = False) -> None:
        """Write ``text`` (plain text, escaped here) in the status line; red when ``alarm``."""
        colour = "#b00" if alarm else "#333"
        self.status.value = f"<span style='color:{colour}'>{html.escape(text)}</span>"

    # --- wiring ---------------------------------------------------------------------------------
    def watch(self, *controls) -> None:
        """Restart the run whenever one of ``controls`` changes value (once per burst)."""
        for control in controls:
            control.observe(lambda _: self.run(), names="value")

    if hasattr(widgets.VBox, "_repr_mimebundle_"):       # ipywidgets 8
        def _repr_mimebundle_(self, **kwargs):
            bundle = super()._repr_mimebundle_(**kwargs)
            self._shown()
            return bundle
    else:                                                # ipywidgets 7 (Colab)
        def _ipython_display_(self, **kwargs):
            super()._ipython_display_(**kwargs)
            self._shown()

    def _shown(self) -> None:
        if not self.running:
            self.run()                                   # live: a shown explorer starts by itself
        else:
            self._ask_page()                             # a page shown again: resume its clock

    # --- running --------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """A run is in progress or due to start."""
        return self._frames is not None or self._restart

    @on_main_thread
    def run(self) -> None:
        """(Re)start with the current settings at the next slice; a run in progress ends now."""
        self._close()
        self._restart = True
        self.run_button.disabled, self.stop_button.disabled = True, False
        self._ask_page()

    @on_main_thread
    def stop(self) -> None:
        """End the run now (between two slices), and any restart still due."""
        stopped = self._frames is not None
        self._close()
        self._restart = False
        self._idle()
        if stopped:
            self.say("stopped by request")

    def wait(self, timeout: float | None = 60) -> None:
        """Run the slices until the run has ended (for scripts and tests: no page needed)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.running:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"the explorer was still running after {timeout} s")
            self.step()

    def step(self) -> None:
        """One slice: start a due run, then advance it for at most ``slice_s`` seconds and show
        its newest frame. The page calls it through ``pong``; ``wait()`` calls it directly.
        A Ctrl-C in a slice ends the run (its generator closed, the model as it was), says so,
        and goes on to interrupt whoever called."""
        if not self.running:
            return
        self.slices_run += 1
        try:
            if self._restart:
                self._restart = False
                self.runs_started += 1
                self._frames = iter(self.frames())
            frame, ended = self._advance()
            if frame is not None:
                self.show(frame)
        except (Exception, KeyboardInterrupt) as error:  # shown in the widget, not a lost log
            self._close()
            self._idle()
            if isinstance(error, KeyboardInterrupt):
                self.say("interrupted", alarm=True)
                raise
            self.say(f"Error: {error}", alarm=True)
            return
        if ended:
            self._close()
            self._idle()
        else:
            self._ask_page()

    def _advance(self):
        """The newest frame of one slice, and whether the run has ended."""
        frame, deadline = None, time.monotonic() + self.slice_s
        for frame in self._frames:
            if time.monotonic() >= deadline:
                return frame, False
        return frame, True

    @on_main_thread
    def _on_pong(self, change) -> None:
        if change["new"] == self._asked and self.running:        # only the newest ping's answer
            self.step()

    def _ask_page(self) -> None:
        self._asked += 1
        self._pings[self._asked % 2].value = self._asked

    def _close(self) -> None:
        frames, self._frames = self._frames, None
        close = getattr(frames, "close", None)
        if close is not None:
            close()                                      # runs the generator's finally blocks now

    def _idle(self) -> None:
        self.run_button.disabled, self.stop_button.disabled = False, True
