"""Foundation figures: dataset generation, ShapeNet's forward pass, and what the probe costs.

Run: python benchmarks/bench_foundation.py. Prints medians of repeated runs, and ratios taken
in this one process (only ratios mean anything on a noisy machine).
"""
import statistics
import time

import torch

import vizlab


def median_seconds(fn, repeats=7):
    fn()  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    generate = median_seconds(lambda: vizlab.make_shapes(1000, seed=0))
    print(f"generate 1,000 shapes of 64x64: {generate:.3f} s")

    model = vizlab.load_model("shapenet")
    images = vizlab.make_shapes(256, seed=1).images
    with torch.no_grad():
        bare = median_seconds(lambda: model(images))
    probed = median_seconds(lambda: vizlab.capture(model, images, ["relu2"]))
    print(f"ShapeNet forward, batch 256: {bare * 1000:.1f} ms")
    print(f"capture('relu2'), stopping the forward there: {probed * 1000:.1f} ms ({probed / bare:.2f}x the full forward)")


if __name__ == "__main__":
    main()
