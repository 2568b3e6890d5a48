"""What the inverse-set sampler costs, and what it buys, on ShapeNet with the shapes generator.

    python benchmarks/bench_inverse_set.py [--threads 2] [--n 48] [--device cpu] [--steps 40]

In one process:

1. **time to n feasible samples** (default 48, K = 8) for a conv3 channel (the one whose mean
   varies most over the dataset; band: its dataset's 90-99th percentile) and for the "square"
   class logit (band: the 50-90th percentile of real squares). Target <= 30 s on 2 cores.
2. **diversity at equal time**: mean pairwise distance in E (ShapeNet's standardized penultimate
   features) of the sampler's samples, of independent restarts (diversity weight 0, fresh codes)
   and of rejection sampling, the last two given up to the sampler's time (they stop at n, so
   their own time is printed too: for a common band rejection is far faster).
3. **seconds per sampler step** against a bare loop doing the same arithmetic: render the batch
   with G, run the model with a hook that keeps the objective's layer and E's layer, the
   augmented-Lagrangian loss with the pairwise distances, backward, Adam, clip to the box.
   Target <= 1.1x (PERFORMANCE.md). The sampler runs an unreachable band so that it takes a
   fixed number of steps; runs alternate and medians are kept.

Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vizlab import CLASSES, capture, load_model, make_shapes  # noqa: E402
from vizlab.ascent import channel, class_logit  # noqa: E402
from vizlab.inverse_set import (FeatureEncoder, ShapesGenerator, inverse_set, mean_pairwise_distance,  # noqa: E402
                                most_variable_channel, quantile_band, rejection_sample, restarts)


def story(model):
    data = make_shapes(512, seed=1)
    unit, values = most_variable_channel(model, "conv3", data.images)
    square = CLASSES.index("square")
    logits = capture(model, data.images, "fc")["fc"][data.labels == square, square]
    return [(f"channel conv3:{unit}", channel("conv3", unit), quantile_band(values, 0.9, 0.99)),
            ("class logit 'square'", class_logit("fc", square), quantile_band(logits, 0.5, 0.9))]


def time_to_samples(model, generator, cases, n):
    print(f"\n1. time to {n} feasible samples (K = 8, shapes generator)")
    results = {}
    for name, objective, band in cases:
        result = inverse_set(model, objective, band, n=n, K=8, generator=generator, seed=0)
        results[name] = result
        print(f"   {name:<24} band [{band[0]:.2f}, {band[1]:.2f}]: {result.status}, {len(result)} samples, "
              f"{result.seconds:.1f} s, {result.steps} steps ({1000 * result.seconds / max(result.steps, 1):.0f} ms/step)")
    return results


def diversity_at_equal_time(model, generator, cases, results, n):
    print("\n2. diversity in E at equal time (mean pairwise distance)")
    for name, objective, band in cases:
        ours = results[name]
        budget = ours.seconds
        independent = restarts(model, objective, band, n=n, K=8, generator=generator, seed=0, max_seconds=budget)
        drawn = rejection_sample(model, objective, band, n=n, generator=generator, max_seconds=budget,
                                 max_draws=10 ** 6, seed=0)
        rows = [("sampler", ours), ("independent restarts", independent), ("rejection", drawn)]
        text = ", ".join(f"{label} {mean_pairwise_distance(r.encodings):.2f} ({len(r)} samples, {r.seconds:.1f} s)"
                         for label, r in rows)
        print(f"   {name:<24} {text}; rejection accepted {drawn.acceptance:.2%}")


class _Stop(Exception):
    pass


def bare_steps(model, generator, encoder, layer, unit, band, steps, device):
    """The hand-written loop: G, model (hook keeps the layers, ends the pass), loss, Adam, clip."""
    low, high = (b.to(device) for b in generator.box)
    units = torch.rand(8, low.numel(), generator=torch.Generator().manual_seed(0)).to(device).requires_grad_(True)
    opt = torch.optim.Adam([units], lr=0.05)
    modules, acts = dict(model.named_modules()), {}
    wanted = [layer, encoder.layer]

    def keep(name):
        def hook(module, inputs, output):
            acts[name] = output
            if len(acts) == len(set(wanted)):
                raise _Stop
        return hook

    handles = [modules[name].register_forward_hook(keep(name)) for name in set(wanted)]
    z1, z2 = band
    try:
        started = time.perf_counter()
        for _ in range(steps):
            acts.clear()
            images = generator(low + (high - low) * units)
            try:
                model(images)
            except _Stop:
                pass
            a = acts[layer]
            f = a[:, unit].mean((1, 2)) if a.dim() == 4 else a[:, unit]
            e = (acts[encoder.layer].flatten(1) - encoder.mean) / encoder.std
            g = torch.stack([(z1 - f) / (z2 - z1), (f - z2) / (z2 - z1)], 1)
            penalty = 0.5 * torch.relu(g).pow(2).sum()
            near = ((e[:, None] - e[None]).pow(2).sum(-1) + 1e-8).sqrt()
            nearest = (near + torch.eye(len(e)) * near.detach().max() * 10).min(1).values
            distance = ((near.sum(1) - near.diagonal()) / (len(e) - 1) + nearest).sum() / e.shape[1] ** 0.5
            loss = penalty - distance
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():
                units.clamp_(0, 1)
        return (time.perf_counter() - started) / steps
    finally:
        for handle in handles:
            handle.remove()


def sampler_steps(model, generator, objective, steps):
    result = inverse_set(model, objective, (1e6, 2e6), n=8, K=8, generator=generator, seed=0, max_outer=2,
                         inner_steps=steps // 2)
    return result.seconds / max(result.steps, 1)


def overhead(model, generator, steps, repeats, device):
    print(f"\n3. seconds per step, batch of 8, {steps} steps, median of {repeats} alternating runs")
    encoder = FeatureEncoder(model).to(device)
    unit = int(story(model)[0][0].split(":")[1])
    bare, ours = [], []
    for _ in range(repeats):
        bare.append(bare_steps(model, generator, encoder, "conv3", unit, (1e6, 2e6), steps, device))
        ours.append(sampler_steps(model, generator, channel("conv3", unit), steps))
    b, o = statistics.median(bare), statistics.median(ours)
    print(f"   bare G + model + E forward/backward + Adam: {1000 * b:.1f} ms/step")
    print(f"   sampler step (ascend + augmented Lagrangian): {1000 * o:.1f} ms/step  ->  {o / b:.2f}x (target <= 1.1x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--n", type=int, default=48)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = load_model("shapenet", device=args.device)
    generator = ShapesGenerator(64).to(args.device)
    print(f"torch {torch.__version__}, {args.threads} thread(s), device {args.device}")
    cases = story(model)
    results = time_to_samples(model, generator, cases, args.n)
    diversity_at_equal_time(model, generator, cases, results, args.n)
    overhead(model, generator, args.steps, args.repeats, args.device)


if __name__ == "__main__":
    main()
