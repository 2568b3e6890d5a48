"""Run every lesson notebook top to bottom and measure its time and its kernel's peak memory.

    python benchmarks/bench_lessons.py [lessons/03_feature_space.ipynb ...] [--interval 0.05] [--cells]
                                       [--stand-in-weights]

Without arguments it runs ``lessons/*.ipynb`` (so lessons added later are measured too), each in
a fresh kernel started by nbclient, as nbval and "Run All" do. While a notebook runs, a thread
samples the resident memory (RSS, from ``/proc``) of the kernel process and its children every
``--interval`` seconds. Prints seconds and peak MB per lesson (with ``--cells``, also per code
cell: where the memory goes); the targets (PERFORMANCE.md) are
<= 60 s on 2 cores and <= 1.5 GB (Binder kills a kernel past 2 GB). Linux only (reads /proc).
The kernel inherits this environment: set OMP_NUM_THREADS to model Binder's cores.

``--stand-in-weights`` measures the lessons as Binder runs them, with the ImageNet weights cached:
it writes random state dicts of the real shapes and sizes (AlexNet 233 MB, VGG-16 528 MB,
GoogLeNet 50 MB, ResNet-18 45 MB) into a temporary ``TORCH_HOME`` first, so every optional
ImageNet cell runs, offline. The memory is the real one; the pictures are of random networks.
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_S, TARGET_MB = 60, 1536
IMAGENET_MODELS = ("alexnet", "vgg16", "googlenet", "resnet18")


def write_stand_in_weights(torch_home: Path) -> None:
    """Random weights of each ImageNet model, where ``load_model(name)`` looks for the real file."""
    os.environ["TORCH_HOME"] = str(torch_home)      # before torch.hub reads it; the kernels inherit it
    import torch

    from vizlab.models import zoo

    for name in IMAGENET_MODELS:
        path = zoo.weights_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(zoo.MODELS[name].build().state_dict(), path)     # torchvision's random initialization
        print(f"stand-in {name} weights: {path.stat().st_size / 2**20:.0f} MiB", flush=True)


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants, in MB (0 once it has exited)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])       # kB
        except OSError:
            pass
    return total / 1024


class PeakSampler(threading.Thread):
    """Samples ``rss_mb`` of a process every ``interval`` seconds until ``finish()``."""

    def __init__(self, pid: int, interval: float):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak_mb, self.cell_peak_mb = pid, interval, 0.0, 0.0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.sample()
            self._done.wait(self.interval)

    def sample(self) -> float:
        now = rss_mb(self.pid)
        self.peak_mb, self.cell_peak_mb = max(self.peak_mb, now), max(self.cell_peak_mb, now)
        return now

    def take_cell_peak(self) -> float:
        """The peak since the last call (the current RSS starts the next interval)."""
        peak, self.cell_peak_mb = max(self.cell_peak_mb, self.sample()), 0.0
        return peak

    def finish(self) -> float:
        self.peak_mb = max(self.peak_mb, rss_mb(self.pid))
        self._done.set()
        self.join()
        return self.peak_mb


def run_lesson(path: Path, interval: float, timeout: int, cells: bool = False) -> tuple[float, float, str]:
    """(seconds, peak MB, "" or the error) for one notebook run top to bottom in a new kernel."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    samplers: list[PeakSampler] = []

    def start_sampling(**_):
        sampler = PeakSampler(client.km.provisioner.process.pid, interval)
        sampler.start()
        samplers.append(sampler)

    cell_start = [0.0]

    def cell_started(**_):
        cell_start[0] = time.perf_counter()

    def cell_done(cell, cell_index, **_):
        peak = samplers[0].take_cell_peak()
        first = cell.source.strip().splitlines()[0][:60] if cell.source.strip() else ""
        print(f"    cell {cell_index:3d} {time.perf_counter() - cell_start[0]:7.1f} s {peak:7.0f} MB  {first}",
              flush=True)

    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}},
                            on_notebook_start=start_sampling,
                            **(dict(on_cell_start=cell_started, on_cell_executed=cell_done) if cells else {}))
    start, error = time.perf_counter(), ""
    try:
        client.execute()
    except Exception as exc:                                # report it and go on to the next lesson
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"
    seconds = time.perf_counter() - start
    peak = samplers[0].finish() if samplers else float("nan")
    return seconds, peak, error


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: lessons/*.ipynb")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between RSS samples")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    parser.add_argument("--cells", action="store_true", help="also print each code cell's seconds and peak MB")
    parser.add_argument("--stand-in-weights", action="store_true",
                        help="cache random ImageNet weights of the real sizes first (as Binder has them)")
    args = parser.parse_args()
    notebooks = args.notebooks or sorted((REPO / "lessons").glob("*.ipynb"))
    os.environ["PYTHONPATH"] = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    if args.stand_in_weights:
        import tempfile

        sys.path.insert(0, str(REPO))
        torch_home = tempfile.TemporaryDirectory(prefix="vizlab-stand-in-")
        write_stand_in_weights(Path(torch_home.name))
        os.environ["VIZLAB_OFFLINE"] = "1"
    print(f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, {os.cpu_count()} CPUs; "
          f"targets: <= {TARGET_S} s, <= {TARGET_MB} MB peak kernel RSS")
    print(f"{'lesson':40s} {'seconds':>8s} {'peak MB':>8s}")
    failed = False
    for path in notebooks:
        seconds, peak, error = run_lesson(Path(path).resolve(), args.interval, args.timeout, args.cells)
        flags = [f for f, bad in (("SLOW", seconds > TARGET_S), ("OVER MEMORY", peak > TARGET_MB)) if bad]
        print(f"{Path(path).name:40s} {seconds:8.1f} {peak:8.0f}  {' '.join(flags)} {error}".rstrip(), flush=True)
        failed |= bool(error)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
