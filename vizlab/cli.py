"""The vizlab command line. Commands:

  vizlab train      train ShapeNet on the embedded shapes and save its weights (to ./shapenet.pt)
  vizlab download   download ImageNet weights (alexnet, vgg16, googlenet, resnet18) into the cache
  vizlab layers     list a model's layers with their output shapes
  vizlab render     render what excites a unit to a PNG (gradient ascent)
  vizlab twoafc     the 2-AFC test of unit explanations, machine observers over layers (lesson 11)

Run 'vizlab COMMAND --help' for a command's options. Errors are one line on stderr, exit code 2.
"""
from __future__ import annotations

import argparse
import itertools
import sys

DEFAULT_TRAIN_OUT = "shapenet.pt"  # in the current folder: never the weights inside the package


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line like vizlab's own (no usage block)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="vizlab", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    train = commands.add_parser("train", help="train ShapeNet on the embedded dataset and save its weights")
    train.add_argument("--out", default=DEFAULT_TRAIN_OUT,
                       help=f"where to save the weights (default: ./{DEFAULT_TRAIN_OUT}; load them with "
                            f"load_model('shapenet', weights=PATH))")
    train.add_argument("--epochs", type=int, default=None, help="number of epochs, >= 1 (default: 10)")
    train.add_argument("--seed", type=int, default=0)

    download = commands.add_parser("download", help="download ImageNet weights into torchvision's cache")
    download.add_argument("models", nargs="+", help="model names, e.g. alexnet googlenet")

    layers = commands.add_parser("layers", help="list a model's layers with their output shapes")
    layers.add_argument("model", nargs="?", default="shapenet")
    layers.add_argument("--size", type=int, default=None, help="input height and width (default: the model's)")
    layers.add_argument("--weights", default="random", help="'pretrained', 'random' (default) or a file")

    render = commands.add_parser("render", help="render what excites a unit to a PNG (gradient ascent)")
    render.add_argument("layer", help="layer name, e.g. conv3 (see 'vizlab layers MODEL')")
    render.add_argument("unit", type=int, help="channel index (or class index with --kind class)")
    render.add_argument("--model", default="shapenet")
    render.add_argument("--weights", default="pretrained", help="'pretrained' (default), 'random' or a file")
    render.add_argument("--kind", default="channel", choices=["neuron", "channel", "class", "negative"])
    render.add_argument("--steps", type=int, default=256)
    render.add_argument("--size", type=int, default=128, help="image height and width in pixels")
    render.add_argument("--lr", type=float, default=0.05, help="Adam step size")
    render.add_argument("--param", default="fourier", choices=["fourier", "pixels"])
    render.add_argument("--no-transforms", action="store_true", help="no jitter, scale or rotation")
    render.add_argument("--seed", type=int, default=0)
    render.add_argument("--scale", type=int, default=1, help="enlarge the PNG this many times (sharp pixels)")
    render.add_argument("-o", "--out", default=None, help="output PNG (default: MODEL_LAYER_UNIT.png)")
    _twoafc_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return {"train": _train, "download": _download, "layers": _layers, "render": _render,
                "twoafc": _twoafc}[args.command](args)
    except (ValueError, TypeError, RuntimeError, OSError) as error:
        print(f"vizlab {args.command}: {error}", file=sys.stderr)
        return 2


def _option(value, name: str, minimum: int) -> None:
    """A numeric option's range, checked before any work, as one line."""
    if value is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")


def _train(args) -> int:
    from dataclasses import replace
    from pathlib import Path

    from .models.train import TrainConfig, save_weights, train_shapenet
    from .models.zoo import SHAPENET_WEIGHTS

    _option(args.epochs, "--epochs", 1)
    _option(args.seed, "--seed", 0)
    if args.out == DEFAULT_TRAIN_OUT and Path(args.out).resolve() == SHAPENET_WEIGHTS.resolve():
        raise ValueError("run vizlab train from another folder, or pass --out explicitly: the default "
                         "./shapenet.pt is here the file that ships with vizlab")
    config = replace(TrainConfig(seed=args.seed), **({"epochs": args.epochs} if args.epochs is not None else {}))
    result = train_shapenet(config)
    path = save_weights(result.model, args.out)
    print(f"saved {path} (held-out accuracy {result.history[-1]['accuracy']:.3f}); "
          f"use it with load_model('shapenet', weights={str(path)!r})")
    return 0


def _download(args) -> int:
    from .models.zoo import fetch_weights

    for name in args.models:
        print(f"{name}: {fetch_weights(name)}")
    return 0


def _layers(args) -> int:
    from .checks import image_fits
    from .models.zoo import load_model
    from .probe import list_layers

    _option(args.size, "--size", 1)
    model = load_model(args.model, weights=args.weights)
    if args.size is not None:
        image_fits(model, (args.size, args.size), "--size")
    print(list_layers(model, args.size))
    return 0


def _render(args) -> int:
    from tqdm.auto import tqdm

    from .ascent.recipes import Recipe, run_recipe
    from .images import to_pil
    from .models.zoo import load_model

    _option(args.steps, "--steps", 1)
    _option(args.size, "--size", 8)
    _option(args.scale, "--scale", 1)
    _option(args.unit, "unit", 0)
    if not args.lr > 0 or args.lr == float("inf"):
        raise ValueError(f"--lr must be a finite number > 0, got {args.lr}")
    out = args.out or f"{args.model}_{args.layer}_{args.unit}.png"
    recipe = Recipe(layer=args.layer, unit=args.unit, kind=args.kind, steps=args.steps, size=args.size,
                    lr=args.lr, param=args.param, transforms=not args.no_transforms, seed=args.seed,
                    every=max(1, args.steps // 50))
    frames = run_recipe(load_model(args.model, weights=args.weights), recipe)
    frame = next(frames)              # a bad layer or unit fails here, as one line without a bar
    with tqdm(total=args.steps, unit="step", desc=f"{args.layer} {args.unit}") as bar:
        for frame in itertools.chain([frame], frames):
            bar.update(frame.step - bar.n)
            bar.set_postfix(score=f"{frame.score:.3f}")
    if frame.status == "nan":
        raise RuntimeError(frame.message)
    to_pil(frame.images[0], scale=args.scale).save(out)
    print(f"saved {out} ({args.kind} {args.unit} of {args.model} {args.layer}, score {frame.score:.3f})")
    return 0


def _twoafc_parser(commands) -> None:
    sweep = commands.add_parser("twoafc", help="2-AFC test of unit explanations with machine observers (lesson 11)")
    sweep.add_argument("--layers", nargs="+", default=["conv2", "conv3", "conv4"])
    sweep.add_argument("--units", type=int, default=8, help="channels per layer, those of highest variance (default 8)")
    sweep.add_argument("--pairs", type=int, default=20, help="query pairs per unit and difficulty (default 20)")
    sweep.add_argument("--conditions", nargs="+", default=["natural", "synthetic"],
                       choices=["none", "natural", "synthetic", "inverse_set"])
    sweep.add_argument("--difficulties", nargs="+", default=["100:0", "90:10", "75:25", "60:40"],
                       help="strong:weak query percentiles, e.g. 100:0 (extreme) 60:40 (hard)")
    sweep.add_argument("--same-class", action="store_true", help="both queries of a pair from one class")
    sweep.add_argument("--steps", type=int, default=128, help="gradient-ascent steps for synthetic references")
    sweep.add_argument("--pool", type=int, default=1000, help="images in each of the reference and query pools")
    sweep.add_argument("--observer-model", default="shapenet-seed1", help="the machine observer's network")
    sweep.add_argument("--model", default="shapenet")
    sweep.add_argument("--seed", type=int, default=0)
    sweep.add_argument("--csv", default=None, help="save every row (layer, unit, condition, observer, ...) here")
    sweep.add_argument("--plot", default=None, help="save accuracy against difficulty as a PNG here")


def _twoafc(args) -> int:
    import csv
    import time

    from tqdm.auto import tqdm

    from . import twoafc
    from .models.zoo import load_model

    for name in ("--units", "--pairs", "--steps"):
        _option(getattr(args, name[2:]), name, 1)
    _option(args.pool, "--pool", 100)
    _option(args.seed, "--seed", 0)
    try:
        difficulties = [tuple(float(p) for p in d.split(":")) for d in args.difficulties]
    except ValueError:
        raise ValueError(f"--difficulties must be strong:weak percentile pairs such as 100:0, got {args.difficulties}") from None
    if any(len(d) != 2 for d in difficulties):
        raise ValueError(f"--difficulties must be strong:weak percentile pairs such as 100:0, got {args.difficulties}")
    started = time.perf_counter()
    model = load_model(args.model)
    pools = twoafc.make_pools(args.pool, args.pool, seed=args.seed)
    observers = {args.observer_model: twoafc.second_network(args.observer_model), "pixels": twoafc.pixels()}
    with tqdm(total=len(args.layers) * args.units, unit="unit", desc="2-AFC") as bar:
        result = twoafc.sweep(model, args.layers, pools, observers, units=args.units, conditions=args.conditions,
                              difficulties=difficulties, n=args.pairs, steps=args.steps, same_class=args.same_class,
                              seed=args.seed, progress=lambda done, total: bar.update(done - bar.n))
    print(result.table())
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(result.rows[0]))
            writer.writeheader()
            writer.writerows(result.rows)
        print(f"saved {args.csv}")
    if args.plot:
        from .twoafc.plot import plot_sweep
        plot_sweep(result).savefig(args.plot, dpi=120)
        print(f"saved {args.plot}")
    print(f"{len(args.layers) * args.units} units in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
