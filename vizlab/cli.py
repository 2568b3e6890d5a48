"""The vizlab command line. Commands:

  vizlab train      train ShapeNet on the embedded shapes and save its weights (to ./shapenet.pt)
  vizlab download   download ImageNet weights (alexnet, vgg16, googlenet, resnet18) into the cache
  vizlab lessons    copy the lesson notebooks into a folder (default ./vizlab-lessons) to open them
  vizlab layers     list a model's layers with their output shapes
  vizlab render     render what excites a unit to a PNG (gradient ascent)
  vizlab grade      grade a class's submitted lesson notebooks with cases the students never saw
  vizlab twoafc     the 2-AFC test of unit explanations, machine observers over layers (lesson 11)

Run 'vizlab COMMAND --help' for a command's options. Errors are one line on stderr, exit code 2.
"""
from __future__ import annotations

import argparse
import itertools
import sys

DEFAULT_TRAIN_OUT = "shapenet.pt"  # in the current folder: never the weights inside the package
DEFAULT_LESSONS_DIR = "vizlab-lessons"


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

    lessons = commands.add_parser("lessons", help="copy the lesson notebooks into a folder to open them")
    lessons.add_argument("dir", nargs="?", default=DEFAULT_LESSONS_DIR,
                         help=f"where to copy them (default: ./{DEFAULT_LESSONS_DIR}; created if needed)")
    lessons.add_argument("--force", action="store_true",
                         help="replace copies that differ from vizlab's (your edits are lost)")

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
    _add_grade(commands)
    _twoafc_parser(commands)
    return parser


GRADE_SEED_VARIABLE = "VIZLAB_GRADE_SEED"


def _add_grade(commands) -> None:
    from .coursework.grade import Limits
    limits = Limits()
    grade = commands.add_parser(
        "grade", help="grade submitted lesson notebooks with cases the students never saw",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Grade submitted notebooks of one lesson: for each submission, in a fresh process, run only "
                    "the imports, definitions, lambdas and literal constants of its code cells, then vizlab's own check of "
                    "each exercise on cases drawn from your secret seed (the notebook's check cells and stored "
                    "outputs play no part).",
        epilog="Writes OUT/grades.csv (columns: student, exercise, points, max_points, status = passed, failed "
               "or 'not run', message, hint; one row per student and exercise, then the student's 'total' row), "
               "OUT/feedback/STUDENT.txt, and OUT/answers.md with the cells tagged 'answer'.")
    grade.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                       help="notebook files, folders of them, or zip files as an LMS exports them")
    grade.add_argument("--lesson", required=True, help="the lesson the notebooks are, e.g. 04 "
                       "(a notebook of another lesson is reported, not graded)")
    grade.add_argument("--seed", type=int, default=None,
                       help=f"your secret seed, >= 0, that draws the graded cases (default: the environment "
                            f"variable {GRADE_SEED_VARIABLE}, which keeps it out of the shell's history); "
                            f"0 is the public seed the notebooks check with")
    grade.add_argument("--out", default="grades", help="folder for grades.csv, feedback/ and answers.md "
                       "(default: ./grades)")
    grade.add_argument("--workers", type=int, default=None,
                       help="submissions graded at once, >= 1 (default: the number of CPU cores)")
    grade.add_argument("--time-limit", type=float, default=limits.time_limit,
                       help=f"seconds per submission, > 0 (default: {limits.time_limit:g})")
    grade.add_argument("--call-time-limit", type=float, default=limits.call_time_limit,
                       help=f"seconds per call of a student's function, > 0 (default: {limits.call_time_limit:g})")
    grade.add_argument("--memory-limit", type=int, default=limits.memory_limit,
                       help=f"MB of memory per submission beyond Python's and vizlab's own, >= 64 "
                            f"(default: {limits.memory_limit})")
    grade.add_argument("--gradescope", default=None, metavar="FILE",
                       help="also write Gradescope's autograder results.json here (one submission only, "
                            "e.g. /autograder/results/results.json)")
    grade.add_argument("--quiet", action="store_true", help="no progress bar")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return {"train": _train, "download": _download, "lessons": _lessons, "layers": _layers,
                "render": _render, "grade": _grade, "twoafc": _twoafc}[args.command](args)
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
    from .models.zoo import WeightsUnavailableError, fetch_weights

    for name in args.models:
        try:
            print(f"{name}: {fetch_weights(name)}")
        except WeightsUnavailableError as error:     # one line: the reason, then the remedy
            remedy = "unset VIZLAB_OFFLINE to download it, or put" if error.offline else "put"
            raise RuntimeError(
                f"no {name} weights: {' '.join(error.reason.split())}; {remedy} the file {error.url} "
                f"at {error.path} (or set TORCH_HOME to a folder whose hub/checkpoints/ holds it)") from None
    return 0


def lessons_folder():
    """Where the lesson notebooks are: inside the installed package (a wheel maps the repository's
    ``lessons/`` to ``vizlab/lessons/``), else the ``lessons/`` of the source tree vizlab runs from."""
    from pathlib import Path

    package = Path(__file__).resolve().parent
    for folder in (package / "lessons", package.parent / "lessons"):
        if any(folder.glob("*.ipynb")):
            return folder
    raise OSError(f"no lesson notebooks found in {package / 'lessons'}: reinstall vizlab-cnn")


def _lessons(args) -> int:
    """Copy every lesson into ``args.dir``. A copy that is already there and differs from vizlab's
    (the student's work) is kept unless ``--force``; an identical one is left as it is."""
    import shutil
    from pathlib import Path

    source, target = lessons_folder(), Path(args.dir)
    if target.exists() and not target.is_dir():
        raise ValueError(f"{args.dir!r} is a file: pass a folder to copy the lessons into")
    target.mkdir(parents=True, exist_ok=True)
    copied, kept = [], []
    for notebook in sorted(source.glob("*.ipynb")):
        copy = target / notebook.name
        if copy.exists() and copy.read_bytes() == notebook.read_bytes():
            continue
        if copy.exists() and not args.force:
            kept.append(notebook.name)
            continue
        shutil.copyfile(notebook, copy)
        copied.append(notebook.name)
    print(f"copied {len(copied)} lesson{'s' * (len(copied) != 1)} to {target}"
          + (f"; kept your edited {', '.join(kept)} (vizlab lessons --force replaces them)" if kept else ""))
    print(f"open them with: jupyter lab {target}")
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


def _grade(args) -> int:
    import os
    import time

    from .coursework.grade import Limits, grade, summary

    seed = args.seed
    if seed is None:
        text = os.environ.get(GRADE_SEED_VARIABLE, "").strip()
        if not text.isdigit():
            raise ValueError(f"give your secret seed with --seed or the environment variable {GRADE_SEED_VARIABLE} "
                             f"(an integer >= 0; 0 is the public seed the notebooks check with)")
        seed = int(text)
    _option(seed, "--seed", 0)
    _option(args.workers, "--workers", 1)
    _option(args.memory_limit, "--memory-limit", 64)
    for name, value in (("--time-limit", args.time_limit), ("--call-time-limit", args.call_time_limit)):
        if not 0 < value < float("inf"):
            raise ValueError(f"{name} must be a number of seconds > 0, got {value}")
    start = time.perf_counter()
    graded = grade(args.submissions, args.lesson, seed, out=args.out, workers=args.workers,
                   limits=Limits(args.time_limit, args.call_time_limit, args.memory_limit),
                   gradescope=args.gradescope, progress=not args.quiet)
    print(summary(graded, time.perf_counter() - start))
    print(f"wrote {os.path.join(args.out, 'grades.csv')} and {len(graded)} feedback files in "
          f"{os.path.join(args.out, 'feedback')}" + (f"; {args.gradescope}" if args.gradescope else ""))
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
