"""How much does vizlab's gradient-ascent loop cost over a bare PyTorch loop?

    python benchmarks/bench_ascent.py [--device cuda] [--steps 30] [--repeats 5] [--threads 1]

For each model (the embedded ShapeNet; GoogLeNet with random weights), in one process:

* **bare**: a hand-written loop - Fourier image, a forward hook that records the layer and
  ends the forward pass there, minus the channel mean as the loss, Adam 0.05;
* **vizlab**: ``ascend`` with the same model, objective, parameterization and optimizer, no
  transforms and no redirected ReLU (so both do the same arithmetic); the ratio is the
  engine's overhead (target <= 1.05x, PERFORMANCE.md);
* (each ``ascend`` run ends with one extra forward pass, without a graph, to score the final
  image: use enough ``--steps`` that it does not count);
* **default recipe**: ``ascend`` as the explorer runs it (Lucid's transforms, redirected ReLU
  for the first 16 steps).

Runs alternate and the median seconds per step is kept, because these machines are noisy.
Memory: the bytes autograd saves for the backward pass in one step (the peak that grows with
image size), and on CUDA the peak allocated memory. Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vizlab import load_model  # noqa: E402
from vizlab.ascent import FourierImage, adam, ascend, channel, standard_transforms  # noqa: E402

CASES = [("shapenet", "pretrained", "conv3", 64), ("googlenet", "random", "inception4c", 128)]


class _Stop(Exception):
    pass


def bare_loop(model, layer, unit, size, steps, device):
    """The loop a careful student would write by hand."""
    image = FourierImage(size, generator=torch.Generator().manual_seed(0)).to(device)
    opt = torch.optim.Adam(image.parameters(), lr=0.05)
    acts = {}

    def hook(module, inputs, output):
        acts["a"] = output
        raise _Stop

    handle = dict(model.named_modules())[layer].register_forward_hook(hook)
    try:
        for _ in range(steps):
            try:
                model(image())
            except _Stop:
                pass
            loss = -acts["a"][:, unit].mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    finally:
        handle.remove()


def vizlab_loop(model, layer, unit, size, steps, device, *, recipe=False):
    options = dict(transforms=standard_transforms(size)) if recipe else dict(redirect_steps=0)
    for _ in ascend(model, channel(layer, unit), param="fourier", size=size, steps=steps, every=steps,
                    optimizer=adam(0.05), **options):
        pass


def seconds_per_step(run, steps, device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    run(steps)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / steps


def saved_bytes(run) -> int:
    """Bytes of tensors autograd keeps for the backward pass during one step."""
    total = [0]

    def pack(tensor):
        total[0] += tensor.numel() * tensor.element_size()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        run(1)
    return total[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--models", nargs="+", default=[c[0] for c in CASES], help="shapenet and/or googlenet")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    print(f"torch {torch.__version__}, device {device}, threads {torch.get_num_threads()}, "
          f"{args.steps} steps x {args.repeats} alternating repeats, medians")
    print(f"{'model, layer, size':32} {'bare ms':>8} {'vizlab ms':>9} {'overhead':>8} {'recipe ms':>9} "
          f"{'recipe/bare':>11} {'saved MB bare/vizlab':>21} {'peak MB':>8}")
    for name, weights, layer, size in [c for c in CASES if c[0] in args.models]:
        model = load_model(name, weights=weights, device=device)
        runs = {
            "bare": lambda n: bare_loop(model, layer, 1, size, n, device),
            "vizlab": lambda n: vizlab_loop(model, layer, 1, size, n, device),
            "recipe": lambda n: vizlab_loop(model, layer, 1, size, n, device, recipe=True),
        }
        for run in runs.values():
            run(3)                                                   # warm up
        times = {key: [] for key in runs}
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats()
        for _ in range(args.repeats):
            for key, run in runs.items():
                times[key].append(seconds_per_step(run, args.steps, device))
        peak = f"{torch.cuda.max_memory_allocated() / 2**20:8.1f}" if device.type == "cuda" else "   (cpu)"
        ms = {key: 1000 * statistics.median(values) for key, values in times.items()}
        saved = (saved_bytes(runs["bare"]) / 2**20, saved_bytes(runs["vizlab"]) / 2**20)
        print(f"{f'{name}, {layer}, {size}':32} {ms['bare']:8.2f} {ms['vizlab']:9.2f} "
              f"{ms['vizlab'] / ms['bare']:7.3f}x {ms['recipe']:9.2f} {ms['recipe'] / ms['bare']:10.2f}x "
              f"{saved[0]:10.2f}/{saved[1]:<10.2f} {peak}")


if __name__ == "__main__":
    main()
