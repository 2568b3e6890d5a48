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

    args = parser.parse_args(argv)
    try:
        return {"train": _train, "download": _download, "layers": _layers}[args.command](args)
    except (ValueError, RuntimeError, FileNotFoundError) as error:
        print(f"vizlab {args.command}: {error}", file=sys.stderr)
        return 2


def _train(args) -> int:
    from dataclasses import replace

    from .models.train import TrainConfig, held_out_accuracy, save_weights, train_shapenet
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


if __name__ == "__main__":
    sys.exit(main())
