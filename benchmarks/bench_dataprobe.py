"""How long a top-k scan of 10,000 generated images takes, and whether its memory grows.

    python benchmarks/bench_dataprobe.py [--images 10000] [--layer conv3]

Prints the scan time (all channels of one ShapeNet layer, top 9 with receptive-field crops),
the time spent only making the images and only running the model to the layer, and the peak
resident memory of a fresh process scanning 1k and 10k images. Ratios from one run only.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time

import torch

from vizlab import ShapesDataset, load_model
from vizlab.dataprobe.datasets import batches
from vizlab.dataprobe.top_activations import top_activations
from vizlab.probe import Probe

# VmHWM is this process's own peak; ru_maxrss would include the parent's peak, inherited at fork.
CHILD = """
from vizlab import ShapesDataset, load_model
from vizlab.dataprobe.top_activations import top_activations
top_activations(load_model("shapenet"), ShapesDataset({n}), "{layer}", k=9, batch_size=128, progress=False)
print(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM")))
"""


def peak_rss_mib(n: int, layer: str) -> float:
    """Peak resident memory (MiB) of a fresh process that scans ``n`` images."""
    out = subprocess.run([sys.executable, "-c", CHILD.format(n=n, layer=layer)], capture_output=True,
                         text=True, check=True)
    return int(out.stdout.split()[-1]) / 1024  # VmHWM is in KiB (Linux)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--layer", default="conv3")
    args = parser.parse_args()
    model, n = load_model("shapenet"), args.images
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; ShapeNet {args.layer}, {n:,} images of 64 px")

    start = time.perf_counter()
    for _ in batches(ShapesDataset(n), 128):
        pass
    making = time.perf_counter() - start

    start = time.perf_counter()
    with torch.no_grad(), Probe(model, args.layer, stop_early=True) as probe:
        for images, _ in batches(ShapesDataset(n), 128):
            probe.run(images)
    bare = time.perf_counter() - start

    start = time.perf_counter()
    top = top_activations(model, ShapesDataset(n), args.layer, k=9, batch_size=128, progress=False)
    scan = time.perf_counter() - start
    print(f"making the images only:             {making:6.1f} s")
    print(f"making + forward to the layer only: {bare:6.1f} s")
    print(f"top_activations, {len(top)} channels, top 9 with crops: {scan:6.1f} s "
          f"({n / scan:,.0f} images/s; {scan / bare:.2f}x the bare forward loop)")

    small, large = peak_rss_mib(n // 10, args.layer), peak_rss_mib(n, args.layer)
    print(f"peak memory of a fresh process: {n // 10:,} images {small:.0f} MiB, {n:,} images {large:.0f} MiB "
          f"(ratio {large / small:.2f})")


if __name__ == "__main__":
    main()
