"""Start a throw-away Jupyter server (JupyterLab, or classic Notebook 6.5) and a headless
Chromium for browser tests.

Everything the server and the browser write (settings, kernels' runtime files, the
browser profile) goes to short temporary folders under /tmp, so a test never touches
the user's own Jupyter set-up. Short on purpose: Chromium crashes with "Socket path
too long" when its profile lies deep (pytest's tmp_path does).
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"

# Quiet flags for a closed network (see /work/shared/NOTEBOOKS.md).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

# JupyterLab user settings, one file per plugin.
LAB_SETTINGS = {
    # Keep every cell and output in the page: JupyterLab 4 otherwise detaches
    # cells outside the viewport and a test cannot see their widgets.
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    # Never write a lesson back to disk: running it fills it with outputs.
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    # No news or update checks: there is no internet, and no pop-ups in screenshots.
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


# An IPython startup file that makes a kernel behave as Colab's does for widgets: Colab's page never
# shows a widget message sent from a thread other than the kernel's main one
# (googlecolab/colabtools#3373), so this kernel drops them. A widget that updates from a thread
# then stays frozen in the test exactly as it would for a student on Colab.
COLAB_LIKE_STARTUP = """
import importlib
import threading


def _drop_off_main_thread(cls):
    publish = cls.publish_msg

    def publish_msg(self, *args, **kwargs):
        if threading.current_thread() is threading.main_thread():
            return publish(self, *args, **kwargs)

    cls.publish_msg = publish_msg


for _module, _name in (("ipykernel.comm.comm", "BaseComm"), ("ipykernel.comm.comm", "Comm"),
                       ("comm.base_comm", "BaseComm")):
    try:
        _drop_off_main_thread(getattr(importlib.import_module(_module), _name))
    except (ImportError, AttributeError):
        pass
"""


# Colab's kernel (ipykernel 6) has no subshells, so its widget callbacks run on the main thread;
# JupyterLab's default sends widget messages to a subshell of ipykernel 7, whose thread runs them.
COLAB_LIKE_SETTINGS = {"@jupyterlab/apputils-extension/kernels-settings": {"commsOverSubshells": "disabled"}}


def write_colab_like_startup(ipython_dir: Path) -> None:
    startup = ipython_dir / "profile_default" / "startup" / "00-colab-like.py"
    startup.parent.mkdir(parents=True, exist_ok=True)
    startup.write_text(COLAB_LIKE_STARTUP)


@dataclass
class JupyterLab:
    """A running Jupyter server (JupyterLab or classic Notebook)."""

    process: subprocess.Popen
    url: str  # e.g. http://127.0.0.1:8888/
    token: str
    home: Path  # the temporary folder holding all its state
    log: Path  # the server's stdout and stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_lab_settings(settings_dir: Path, extra: dict | None = None) -> None:
    for plugin, values in {**LAB_SETTINGS, **(extra or {})}.items():
        path = settings_dir / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


def start_jupyterlab(root_dir: Path, log: Path, timeout: float = 60, *, colab_like: bool = True) -> JupyterLab:
    """Start `jupyter lab` serving root_dir and wait until it answers.

    The server's output, kernels' stderr included, goes to `log`. With ``colab_like`` (the
    default), widget callbacks run on the kernel's main thread and the kernel drops widget
    messages sent from any other thread, as on Colab.
    """
    return start_server(["lab", "--LabApp.expose_app_in_browser=True", f"--ServerApp.root_dir={root_dir}"],
                        log, timeout, colab_like=colab_like)


def start_classic_notebook(root_dir: Path, log: Path, timeout: float = 60, *, colab_like: bool = True) -> JupyterLab:
    """Start classic Notebook 6.5 (`jupyter notebook` of notebook<7) serving root_dir.

    The frontend Colab's widget support descends from, with ipywidgets 7's notebook extension;
    ``colab_like`` as for `start_jupyterlab` (classic kernels have no subshells anyway).
    """
    return start_server(["notebook", f"--NotebookApp.notebook_dir={root_dir}"], log, timeout, colab_like=colab_like)


def start_server(app_args: list[str], log: Path, timeout: float, *, colab_like: bool) -> JupyterLab:
    """Start a Jupyter server (`jupyter <app_args>`) with all its state in a temporary folder."""
    home = Path(tempfile.mkdtemp(prefix="vz"))
    # Moving JUPYTER_DATA_DIR only moves the *user* data folder: sys.prefix/share/jupyter,
    # where ipywidgets' lab extension and the python3 kernel live, stays on the data
    # path (lab_page.open_notebook checks that the widgets extension loaded).
    env = dict(
        os.environ,
        HOME=str(home),
        JUPYTER_TOKEN=secrets.token_hex(16),
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        IPYTHONDIR=str(home / "ipython"),
        JUPYTERLAB_SETTINGS_DIR=str(home / "config" / "lab" / "user-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "config" / "lab" / "workspaces"),
    )
    write_lab_settings(Path(env["JUPYTERLAB_SETTINGS_DIR"]), COLAB_LIKE_SETTINGS if colab_like else None)
    if colab_like:
        write_colab_like_startup(Path(env["IPYTHONDIR"]))

    port = free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyter", *app_args,
             "--ip=127.0.0.1", f"--port={port}", "--no-browser", "--allow-root"],
            env=env, stdout=output, stderr=subprocess.STDOUT,
        )
    lab = JupyterLab(process, f"http://127.0.0.1:{port}/", env["JUPYTER_TOKEN"], home, log)
    try:
        wait_until_answering(lab, timeout)
    except BaseException:
        stop_jupyterlab(lab)
        raise
    return lab


def wait_until_answering(lab: JupyterLab, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lab.process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited early:\n{lab.log.read_text()}")
        try:
            urllib.request.urlopen(f"{lab.url}api/status?token={lab.token}", timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"JupyterLab did not answer in {timeout} s:\n{lab.log.read_text()}")


def stop_jupyterlab(lab: JupyterLab) -> None:
    """Stop the server by its PID; on SIGINT/SIGTERM it also shuts down its kernels."""
    if lab.process.poll() is None:
        lab.process.send_signal(signal.SIGTERM)
        try:
            lab.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            lab.process.kill()
            lab.process.wait()
    shutil.rmtree(lab.home, ignore_errors=True)


def launch_chromium(playwright, profile_dir: Path, base_url: str):
    """Debian's Chromium, headless, with a fresh profile; returns a BrowserContext.

    Playwright refuses --user-data-dir in args, hence a persistent context.
    """
    return playwright.chromium.launch_persistent_context(
        str(profile_dir),
        base_url=base_url,
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_FLAGS,
        viewport={"width": 1280, "height": 1600},
    )


@contextmanager
def logged_in_browser(server: JupyterLab):
    """A headless Chromium with a fresh short-path profile, logged in to ``server``; relative
    URLs go to the server. The server answers a request carrying the token with a login cookie,
    which the context keeps for all its pages."""
    from playwright.sync_api import sync_playwright

    profile = Path(tempfile.mkdtemp(prefix="vzc"))
    try:
        with sync_playwright() as playwright:
            context = launch_chromium(playwright, profile, base_url=server.url)
            context.request.get(f"api/status?token={server.token}")
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
