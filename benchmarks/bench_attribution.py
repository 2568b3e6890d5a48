"""Time each attribution method against a bare autograd gradient of the same input.

    python benchmarks/bench_attribution.py [--model shapenet|googlenet|...] [--size 64] [--repeats 30]

Prints medians and ratios measured in one run (PERFORMANCE.md target: saliency <= 1.1x).
Methods that need more than one backward (SmoothGrad: ``samples`` of them) are printed per call
and per sample. Random weights are used for ImageNet architectures (timing does not need training).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's vizlab, not an installed one

from vizlab import load_model, make_shapes
from vizlab.attribution import deconvnet, gradcam, guided_backprop, guided_gradcam, project_unit, saliency, smoothgrad

LAYERS = {"shapenet": ("conv4", "relu3"), "googlenet": ("inception4e", "inception4c"),
          "alexnet": ("features.10", "features.9"), "vgg16": ("features.28", "features.22"),
          "resnet18": ("layer4", "layer3")}


def bare_gradient(model, images, target):
    x = images.detach().clone().requires_grad_(True)
    score = model(x)[:, target].sum()
    return torch.autograd.grad(score, x)[0]


def median_ms(methods: dict, repeats: int) -> dict:
    """Median milliseconds per call. Methods are timed round-robin (one call of each per round),
    so load from other processes on a shared machine falls on all of them alike."""
    for fn in methods.values():
        fn()  # warm up
    times = {name: [] for name in methods}
    for _ in range(repeats):
        for name, fn in methods.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: 1000 * statistics.median(t) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="shapenet", choices=list(LAYERS))
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--samples", type=int, default=10, help="SmoothGrad samples")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (1 is steadier on a busy machine)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    model = load_model(args.model, weights="pretrained" if args.model == "shapenet" else "random")
    size = args.size or model.input_size
    images = make_shapes(1, size=size, seed=3).images
    cam_layer, unit_layer = LAYERS[args.model]
    target = 2
    methods = {
        "bare autograd gradient": lambda: bare_gradient(model, images, target),
        "saliency": lambda: saliency(model, images, target),
        "guided backprop": lambda: guided_backprop(model, images, target),
        "deconvnet": lambda: deconvnet(model, images, target),
        f"Grad-CAM ({cam_layer})": lambda: gradcam(model, images, target, layer=cam_layer),
        f"guided Grad-CAM ({cam_layer})": lambda: guided_gradcam(model, images, target, layer=cam_layer),
        f"project one unit ({unit_layer})": lambda: project_unit(model, images, unit_layer, 0),
        f"SmoothGrad ({args.samples} samples)": lambda: smoothgrad(model, images, target, samples=args.samples),
    }
    print(f"{args.model}, 1 image of {size}x{size}, {torch.get_num_threads()} threads, "
          f"median of {args.repeats}; ratio to the bare gradient measured in this run")
    results = median_ms(methods, args.repeats)
    base = results["bare autograd gradient"]
    for name, ms in results.items():
        per = f"   ({ms / args.samples / base:.2f}x per sample)" if name.startswith("SmoothGrad") else ""
        print(f"  {name:32s} {ms:8.2f} ms   {ms / base:5.2f}x{per}")


if __name__ == "__main__":
    main()
