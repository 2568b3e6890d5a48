"""What every explorer that runs an optimization shares: it is live.

* It starts as soon as it is shown (no "press Run" before anything happens).
* Moving any watched control restarts the run with the new settings, *debounced*: dragging a
  slider through twenty values starts one run, ``debounce_s`` after the last change.
* Stop ends the run within one step of the loop (the loop polls the stop flag before each step).
* The run happens on a background thread: while a cell or a callback runs on the kernel's main
  thread, the kernel handles no widget messages, so Stop could not be pressed and the next cells
  could not run. (Probes see only their own forward pass, so the next cells may use the same
  model meanwhile.)
* An error is shown in the widget's status line, not lost in a log.

A subclass builds its controls, calls ``self.watch(*controls)`` and implements ``frames(stop)``
(an iterator of frames, polling ``stop()``) and ``show(frame)``.
"""
from __future__ import annotations

import html
import threading

import ipywidgets as widgets

GREY_PNG_PX = 64


def grey_png(px: int = GREY_PNG_PX) -> bytes:
    """A neutral grey square: what a preview shows before its first frame (never a broken icon)."""
    import torch

    from .render import image_png
    return image_png(torch.full((3, px, px), 0.5))


class LiveExplorer(widgets.VBox):
    """A VBox that runs ``frames`` on a background thread: starts on display, restarts on change."""

    debounce_s = 0.3

    def __init__(self, children=(), **kwargs):
        super().__init__(children, **kwargs)
        self._worker: threading.Thread | None = None
        self._stop_event = threading.Event()
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self.runs_started = 0
        self.run_button = widgets.Button(description="Run", button_style="success", icon="play")
        self.stop_button = widgets.Button(description="Stop", button_style="danger", icon="stop", disabled=True)
        self.status = widgets.HTML("")
        self.run_button.on_click(lambda _: self.run())
        self.stop_button.on_click(lambda _: self.stop())

    # --- what a subclass provides --------------------------------------------------------------
    def frames(self, stop):
        """The frames of one run with the current settings; ``stop()`` says when to end."""
        raise NotImplementedError

    def show(self, frame) -> None:
        raise NotImplementedError

    # --- wiring ---------------------------------------------------------------------------------
    def watch(self, *controls) -> None:
        """Restart the run (debounced) whenever one of ``controls`` changes value."""
        for control in controls:
            control.observe(lambda _: self.restart_soon(), names="value")

    def restart_soon(self) -> None:
        """Restart ``debounce_s`` after the last call: a dragged slider starts one run, not twenty."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self.debounce_s, self.run)
            self._timer.daemon = True
            self._timer.start()

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        if not self.running:
            self.restart_soon()                          # live: a shown explorer starts by itself
        return bundle

    if hasattr(widgets.VBox, "_ipython_display_"):       # ipywidgets 7 (Colab) displays this way
        def _ipython_display_(self, **kwargs):
            super()._ipython_display_(**kwargs)
            if not self.running:
                self.restart_soon()

    # --- running --------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._worker is not None and self._worker.is_alive()

    def run(self) -> None:
        """Start a run with the current settings, cancelling any run in progress (and a restart
        still pending: this run already has the newest settings)."""
        self.stop()
        self.wait()
        with self._lock:
            self._stop_event = stop = threading.Event()
            self.run_button.disabled, self.stop_button.disabled = True, False
            worker = threading.Thread(target=self._work, args=(stop,), daemon=True)
            worker.start()
            self._worker = worker                        # only a started thread: wait() may join it
            self.runs_started += 1

    def stop(self, *, cancel_pending: bool = True) -> None:
        """End the running optimization before its next step (and any restart still pending)."""
        with self._lock:
            if cancel_pending and self._timer is not None:
                self._timer.cancel()
            self._stop_event.set()

    def wait(self, timeout: float | None = 60) -> None:
        """Block until the current run has ended (for scripts and tests)."""
        worker = self._worker
        if worker is not None and worker is not threading.current_thread():
            worker.join(timeout)

    def _work(self, stop: threading.Event) -> None:
        try:
            for frame in self.frames(stop.is_set):
                if stop.is_set() and getattr(frame, "status", "") == "running":
                    continue                             # a cancelled run shows nothing more
                self.show(frame)
        except Exception as error:                       # shown in the widget, not a lost log
            if stop.is_set():
                return                                   # a run cancelled before its first frame: no error
            self.status.value = f"<span style='color:#b00'><b>Error:</b> {html.escape(str(error))}</span>"
        finally:
            if self._stop_event is stop:                 # not superseded by a newer run
                self.run_button.disabled, self.stop_button.disabled = False, True
