"""How much do vizlab's inversion and DeepDream cost over bare PyTorch loops doing the same work?

    python benchmarks/bench_inversion.py [--device cuda] [--steps 60] [--repeats 15] [--threads 1]

In one process, with ShapeNet:

* **inversion**: ``vizlab.inversion.invert`` of one 64 px image from ``conv3`` (the paper's
  objective, alpha-norm and TV, Adam on the paper's schedule) against a hand-written loop doing
  the same arithmetic: a hook that records the layer and ends the forward pass there, the same
  loss and the same Adam update with clipping. Seconds per step.
* **DeepDream**: ``vizlab.deepdream.dream`` of the photo at 128 px, 3 octaves x 10 steps at
  ``conv4``, against a hand-written loop doing the same octaves (roll, forward to the layer,
  backward seeded with the activation, normalized step, clip, carry the detail). Seconds per run.

Both bare loops end as a vizlab run does: with one forward pass that scores the final image
(vizlab's last frame carries that score; the Dream explorer plots it). The share of the bare
DeepDream run that this pass takes is printed too, so the figure without it can be read off.
Runs alternate, bare then vizlab; the ratio printed is the median over the repeats of
each vizlab run's time over the bare run's just before it (a slow stretch of a shared machine
then slows both), with the ratio of the fastest runs (the least disturbed ones) beside it.
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

from vizlab import capture, load_model, make_shapes, sample_image  # noqa: E402
from vizlab.deepdream import dream, octave_sizes  # noqa: E402
from vizlab.inversion import final, invert, shapes_statistics  # noqa: E402


class _Stop(Exception):
    pass


def layer_output(model, layer):
    """A hook that records ``layer`` and ends the forward pass there; returns (acts, handle)."""
    acts = {}

    def hook(module, inputs, output):
        acts["a"] = output
        raise _Stop
    return acts, dict(model.named_modules())[layer].register_forward_hook(hook)


def forward(model, x, acts):
    try:
        model(x)
    except _Stop:
        pass
    return acts["a"]


def bare_inversion(model, image, layer, steps, *, tv, alpha_weight, lr):
    stats = shapes_statistics()
    mean, b = stats.mean.view(1, 3, 1, 1).to(image), stats.scale
    acts, handle = layer_output(model, layer)
    try:
        with torch.no_grad():
            target = forward(model, image, acts).detach()
        g = torch.Generator().manual_seed(0)
        x = (mean + b * torch.randn(image.shape, generator=g).to(image)).clamp(0, 1).requires_grad_()
        m, v = torch.zeros_like(x), torch.zeros_like(x)
        for t in range(steps):
            a = forward(model, x, acts)
            data = (a - target).pow(2).sum() / target.pow(2).sum()
            z = (x - mean) / b
            dx = F.pad(x[..., :, 1:] - x[..., :, :-1], (0, 1))
            dy = F.pad(x[..., 1:, :] - x[..., :-1, :], (0, 0, 0, 1))
            loss = data + alpha_weight * z.abs().pow(6).mean() + tv * ((dx ** 2 + dy ** 2) / b ** 2).mean()
            (grad,) = torch.autograd.grad(loss, x)
            factor = 1.0 if t < steps // 4 else 0.1 if t < 3 * steps // 4 else 0.01
            with torch.no_grad():                               # Adam, bias-corrected
                m.mul_(0.9).add_(grad, alpha=0.1)
                v.mul_(0.999).addcmul_(grad, grad, value=0.001)
                denominator = (v / (1 - 0.999 ** (t + 1))).sqrt() + 1e-8
                x.add_(-lr * factor / (1 - 0.9 ** (t + 1)) * m / denominator).clamp_(0, 1)
        with torch.no_grad():                                   # the final image's data term
            return (forward(model, x, acts) - target).pow(2).sum() / target.pow(2).sum()
    finally:
        handle.remove()


def bare_dream(model, image, layer, octaves, steps, step_size, jitter):
    acts, handle = layer_output(model, layer)
    g = torch.Generator().manual_seed(0)

    def jittered():
        dy, dx = (int(v) for v in torch.randint(-jitter, jitter + 1, (2,), generator=g))
        return dy, dx, torch.roll(x, (dy, dx), (-2, -1))
    try:
        sizes = octave_sizes(*image.shape[-2:], octaves)
        detail = None
        for size in reversed(sizes):
            base = F.interpolate(image, size=size, mode="bilinear", align_corners=False)
            up = 0 if detail is None else F.interpolate(detail, size=size, mode="bilinear", align_corners=False)
            x = (base + up).clamp(0, 1)
            for _ in range(steps):
                dy, dx, rolled = jittered()
                rolled.requires_grad_()
                a = forward(model, rolled, acts)
                (grad,) = torch.autograd.grad(a, rolled, grad_outputs=a.detach())   # the seed is a
                grad = torch.roll(grad, (-dy, -dx), (-2, -1))
                x = (x + step_size * grad / grad.abs().mean()).clamp(0, 1)
            detail = x - base
        with torch.no_grad():                                   # the final image's energy
            return forward(model, jittered()[2], acts).pow(2).sum() / 2
    finally:
        handle.remove()


def timed(run, device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    run()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def compare(name, bare, ours, repeats, device, per) -> float:
    """Prints the comparison; returns the bare run's median time."""
    bare(), ours()                                               # warm up
    times = {"bare": [], "vizlab": []}
    for _ in range(repeats):
        times["bare"].append(timed(bare, device))
        times["vizlab"].append(timed(ours, device))
    b, v = (statistics.median(times[k]) for k in ("bare", "vizlab"))
    paired = statistics.median(o / a for a, o in zip(times["bare"], times["vizlab"]))
    fastest = min(times["vizlab"]) / min(times["bare"])
    unit = "s/step" if per > 1 else "s/run"
    print(f"{name:<44} bare {b / per:.4f} {unit}   vizlab {v / per:.4f} {unit}   ratio {paired:.3f}x "
          f"(fastest runs {fastest:.3f}x)")
    return b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--steps", type=int, default=60, help="inversion steps per run")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    model = load_model("shapenet").to(device)
    print(f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} threads")

    options = dict(tv=0.2, alpha_weight=1e-4, lr=0.05)
    for size in (64, 128):                  # ShapeNet's own size, and one where a step costs 4x more
        image = make_shapes(1, size=size, seed=1).images.to(device)
        compare(f"inversion, conv3, {size} px, {args.steps} steps",
                lambda: bare_inversion(model, image, "conv3", args.steps, **options),
                lambda: final(invert(model, image, "conv3", steps=args.steps, every=args.steps, **options)),
                args.repeats, device, args.steps)

    photo = sample_image(size=128)[None].to(device)
    settings = dict(octaves=3, steps=10, step_size=1.5 / 255, jitter=16)
    bare_run = compare("DeepDream, conv4, 128 px, 3 octaves x 10 steps",
                       lambda: bare_dream(model, photo, "conv4", **settings),
                       lambda: final(dream(model, photo, "conv4", every=10, **settings)),
                       args.repeats, device, 1)
    scoring = statistics.median(timed(lambda: capture(model, photo, "conv4"), device) for _ in range(args.repeats))
    print(f"  (the final image's scoring pass, one forward pass to conv4 at 128 px: "
          f"{scoring / bare_run:.1%} of the bare run)")
    energy = final(dream(model, photo, "conv4", every=10, **settings)).score
    print(f"  (the same work: final energy, bare {float(bare_dream(model, photo, 'conv4', **settings)):.6g}, "
          f"vizlab {energy:.6g})")


if __name__ == "__main__":
    main()
