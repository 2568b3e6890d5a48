"""What the 2-AFC sweep costs per unit, and where the time goes, on ShapeNet.

    python benchmarks/bench_twoafc.py [--threads 2] [--units 2] [--layers conv2 conv3 conv4] [--steps 128]

In one process, for ``--units`` units per layer (the most variable channels):

1. **seconds per unit** of ``vizlab.twoafc.sweep`` with the natural and synthetic conditions, four
   difficulties, 20 query pairs and both machine observers (the second ShapeNet's features, pixels);
2. **where it goes**: the synthetic references alone (two ``visualize`` runs of ``--steps`` steps for 9
   images each, lesson 06's default recipe: vizlab's one optimization loop, measured against a bare
   loop in ``bench_ascent.py``) and the observers' scoring of all trials;
3. the full sweep's time predicted from these (8 units per layer, as ``vizlab twoafc`` runs it).

Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import time

import torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--units", type=int, default=2)
    parser.add_argument("--layers", nargs="+", default=["conv2", "conv3", "conv4"])
    parser.add_argument("--steps", type=int, default=128)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    import vizlab
    from vizlab import twoafc

    model = vizlab.load_model("shapenet")
    pools = twoafc.make_pools(1000, 1000)
    observers = {"shapenet-seed1": twoafc.second_network(), "pixels": twoafc.pixels()}
    twoafc.references(model, "conv3", 0, "synthetic", pools.reference, k=2, steps=4)      # warm up
    started = time.perf_counter()
    result = twoafc.sweep(model, args.layers, pools, observers, units=args.units, steps=args.steps)
    total = time.perf_counter() - started
    units = len(args.layers) * args.units

    started = time.perf_counter()
    refs = twoafc.references(model, "conv3", 0, "synthetic", pools.reference, steps=args.steps)
    synthetic = time.perf_counter() - started
    trials = twoafc.unit_trials(model, "conv3", 0, pools, n=20, conditions=("natural",), seed=0)["natural"]
    trials += twoafc.make_trials(refs, "conv3", 0, pools.query, torch.zeros(len(pools.query)),
                                 [t.query_indices for t in trials], generator=torch.Generator().manual_seed(0))
    started = time.perf_counter()
    for observer in observers.values():
        twoafc.accuracy(observer, trials)
    scoring = (time.perf_counter() - started) * 4            # four difficulties
    print(f"{args.threads} threads, {units} units ({', '.join(args.layers)}), {args.steps} ascent steps")
    print(f"sweep: {total:.1f} s, {total / units:.1f} s per unit")
    print(f"  synthetic references of one conv3 unit: {synthetic:.1f} s ({100 * synthetic / (total / units):.0f} % of a unit)")
    print(f"  both observers on one unit's trials (2 conditions x 4 difficulties x 20 pairs): {scoring:.1f} s")
    print(f"predicted 'vizlab twoafc' (8 units x {len(args.layers)} layers): {8 * len(args.layers) * total / units:.0f} s")
    print(result.table())


if __name__ == "__main__":
    main()
