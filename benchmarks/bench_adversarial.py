"""What does an attack through vizlab cost over a bare PyTorch PGD loop, and how robust is ShapeNet?

    python benchmarks/bench_adversarial.py [--device cuda] [--threads 1] [--batch 64] [--images 512]

In one process:

* **seconds per PGD step**: ``vizlab.adversarial.pgd`` (no random start, cross-entropy) against
  the bare loop a careful student writes (forward, float32 cross-entropy, ``autograd.grad``,
  sign step, projection, and one final forward for the predictions), same model, same batch,
  same number of steps. With labels given and no random start, as here, vizlab takes the clean
  logits from its first step and checks the model's output on one image only (a full clean pass
  runs when labels or targets come from the clean predictions). Runs alternate (ABBA);
  medians of wall time and of this process's CPU time are kept, because these machines are
  shared and noisy (CPU time counts only the work done). Target <= 1.05x (PERFORMANCE.md).
* **the accuracy-vs-eps table** over ``--images`` held-out shapes (seed 7): random +-eps noise,
  FGSM and PGD-10 at eps = 0, 1, 2, 4, 8, 16 /255, with the time it took.

Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch.nn import functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vizlab import load_model, make_shapes  # noqa: E402
from vizlab.adversarial import pgd  # noqa: E402
from vizlab.adversarial.measure import robustness_curve  # noqa: E402


def bare_pgd(model, images, labels, eps, alpha, steps):
    """PGD without random start, as it is usually written (torchattacks' order of operations)."""
    adversarial = images.clone()
    for _ in range(steps):
        adversarial.requires_grad_(True)
        loss = F.cross_entropy(model(adversarial), labels)
        grad, = torch.autograd.grad(loss, adversarial)
        adversarial = adversarial.detach() + alpha * grad.sign()
        delta = (adversarial - images).clamp(-eps, eps)
        adversarial = (images + delta).clamp(0, 1)
    with torch.no_grad():
        return adversarial, model(adversarial).argmax(1)


def timed(run, device) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) for one call of ``run``."""
    if device.type == "cuda":
        torch.cuda.synchronize()
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - wall, time.process_time() - cpu


def step_cost(model, images, labels, steps, repeats, device) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) seconds per step of each loop, runs in ABBA order."""
    eps, alpha = 8 / 255, 2 / 255
    runs = {
        "bare": lambda: bare_pgd(model, images, labels, eps, alpha, steps),
        "vizlab": lambda: pgd(model, images, labels, eps=eps, steps=steps, step_size=alpha, random_start=False),
    }
    for run in runs.values():
        run()                                                 # warm-up
    times = {name: [] for name in runs}
    for repeat in range(repeats):
        for name in (("bare", "vizlab") if repeat % 2 == 0 else ("vizlab", "bare")):
            times[name].append(timed(runs[name], device))
    return {name: (statistics.median(t[0] for t in ts) / steps, statistics.median(t[1] for t in ts) / steps)
            for name, ts in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=8)
    parser.add_argument("--images", type=int, default=512, help="0: skip the table")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    model = load_model("shapenet", device=device)
    data = make_shapes(max(args.batch, args.images), seed=7)
    images, labels = data.images[:args.batch].to(device), data.labels[:args.batch].to(device)

    print(f"ShapeNet, batch {args.batch}, device {device}, {args.threads} thread(s)")
    for steps in (10, 40):
        cost = step_cost(model, images, labels, steps, args.repeats, device)
        (bare_wall, bare_cpu), (ours_wall, ours_cpu) = cost["bare"], cost["vizlab"]
        print(f"PGD-{steps}: bare loop {1e3 * bare_wall:.1f} ms/step (CPU {1e3 * bare_cpu:.1f}), vizlab "
              f"{1e3 * ours_wall:.1f} ms/step (CPU {1e3 * ours_cpu:.1f}): {ours_wall / bare_wall:.3f}x wall, "
              f"{ours_cpu / bare_cpu:.3f}x CPU")

    if args.images < 1:
        return
    curve = robustness_curve(model, data.images[:args.images].to(device), data.labels[:args.images].to(device),
                             steps=10)
    print(f"\naccuracy against eps (L-inf), PGD-10 with cross-entropy, held-out seed 7:\n{curve}")


if __name__ == "__main__":
    main()
