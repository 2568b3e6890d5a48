"""The ``vizlab`` command: ``vizlab train``, ``vizlab download``, ``vizlab layers``."""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vizlab", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train ShapeNet on the embedded dataset and save its weights")
    train.add_argument("--out", default=None, help="where to save the weights (default: the file vizlab ships)")
    train.add_argument("--epochs", type=int, default=None)
    train.add_argument("--seed", type=int, default=0)

    download = commands.add_parser("download", help="download ImageNet weights into torchvision's cache")
    download.add_argument("models", nargs="+", help="model names, e.g. alexnet googlenet")

    layers = commands.add_parser("layers", help="list a model's layers with their output shapes")
    layers.add_argument("model", nargs="?", default="shapenet")
    layers.add_argument("--size", type=int, default=None, help="input height and width")
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

    args = parser.parse_args(argv)
    try:
        return {"train": _train, "download": _download, "layers": _layers, "render": _render}[args.command](args)
    except (ValueError, RuntimeError, FileNotFoundError) as error:
        print(f"vizlab {args.command}: {error}", file=sys.stderr)
        return 2


def _train(args) -> int:
    from dataclasses import replace

    from .models.train import TrainConfig, save_weights, train_shapenet
    from .models.zoo import SHAPENET_WEIGHTS

    config = replace(TrainConfig(seed=args.seed), **({"epochs": args.epochs} if args.epochs else {}))
    result = train_shapenet(config)
    path = save_weights(result.model, args.out or SHAPENET_WEIGHTS)
    print(f"saved {path} (held-out accuracy {result.history[-1]['accuracy']:.3f})")
    return 0


def _download(args) -> int:
    from .models.zoo import fetch_weights

    for name in args.models:
        print(f"{name}: {fetch_weights(name)}")
    return 0


def _layers(args) -> int:
    from .models.zoo import load_model
    from .probe import list_layers

    print(list_layers(load_model(args.model, weights=args.weights), args.size))
    return 0


def _render(args) -> int:
    from .ascent.recipes import Recipe, run_recipe
    from .images import to_pil
    from .models.zoo import load_model

    if args.steps < 1 or args.size < 8 or args.scale < 1:
        raise ValueError("need --steps >= 1, --size >= 8 and --scale >= 1")
    out = args.out or f"{args.model}_{args.layer}_{args.unit}.png"
    recipe = Recipe(layer=args.layer, unit=args.unit, kind=args.kind, steps=args.steps, size=args.size,
                    lr=args.lr, param=args.param, transforms=not args.no_transforms, seed=args.seed,
                    every=max(1, args.steps // 50))
    frame = None
    for frame in run_recipe(load_model(args.model, weights=args.weights), recipe):
        done = frame.step * 30 // args.steps
        print(f"\r[{'#' * done}{'.' * (30 - done)}] step {frame.step}/{args.steps} score {frame.score:.3f}",
              end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    if frame.status == "nan":
        raise RuntimeError(frame.message)
    to_pil(frame.images[0], scale=args.scale).save(out)
    print(f"saved {out} ({args.kind} {args.unit} of {args.model} {args.layer}, score {frame.score:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
