"""Every bad input to the second half's engine gets a clear vizlab error (issue 22).

A table of bad inputs to inversion, DeepDream, the attacks and their measurements and the
inverse-set sampler (the explorers and the Grader have tables of their own). For each row:

* the error is a ``ValueError`` or ``TypeError`` raised by vizlab's own code: the traceback's
  last frame is in the vizlab package, so torch never saw the input;
* its message names the input and what is allowed (every one of the row's ``words``);
* the model is bit-identical afterwards: parameters, buffers, modes, hooks (conftest's snapshot).

Then: models in training mode are refused by every one of these functions before any forward
pass (their BatchNorm buffers untouched), and the documented conversions give the result of
the converted input.
"""
from __future__ import annotations

import math
import traceback
from pathlib import Path
from typing import Callable, NamedTuple

import pytest
import torch

import vizlab
from conftest import assert_unchanged, bn_net, snapshot
from vizlab import Probe, capture
from vizlab.adversarial import (Attack, accuracy, attack, attack_frames, bim, fgsm, fooling_images,
                                input_space_explanation, last_layer_explanation, minimal_eps, pgd, random_noise,
                                robustness_curve, targeted_matrix, transfer)
from vizlab.ascent import channel
from vizlab.attribution import gradcam
from vizlab.attribution.gradcam import default_layer
from vizlab.deepdream import dream
from vizlab.inverse_set import (PixelGenerator, activations, inverse_set, mean_pairwise_distance, quantile_band,
                                rejection_sample, sample_inverse_set)
from vizlab.inversion import final, invert, inversion_table

VIZLAB_DIR = Path(vizlab.__file__).resolve().parent
EPS_UNITS = "fraction of the pixel range"


class Case(NamedTuple):
    id: str
    call: Callable            # model -> anything; generators are advanced once
    error: type
    words: tuple              # each must appear in the message (case-insensitive)


def images(size=64, batch=2, seed=0):
    return torch.rand(batch, 3, size, size, generator=torch.Generator().manual_seed(seed))


LABELS = [0, 1]

# --- bad images, tried at every entry point of the second half that takes images ---------------
BAD_IMAGES = {
    "above 1": (lambda: torch.full((2, 3, 64, 64), 2.0), ValueError, ("[0, 1]", "255")),
    "negative": (lambda: images() - 1, ValueError, ("[0, 1]", "255")),
    "NaN": (lambda: torch.full((2, 3, 64, 64), math.nan), ValueError, ("nan",)),
    "Inf": (lambda: images().index_fill(2, torch.tensor([3]), math.inf), ValueError, ("infinite",)),
    "bool": (lambda: torch.ones(2, 3, 64, 64, dtype=torch.bool), TypeError, ("bool",)),
    "int64": (lambda: torch.ones(2, 3, 64, 64, dtype=torch.int64), TypeError, ("int64", "uint8")),
    "int16": (lambda: torch.ones(2, 3, 64, 64, dtype=torch.int16), TypeError, ("int16", "uint8")),
    "complex": (lambda: torch.ones(2, 3, 64, 64, dtype=torch.complex64), TypeError, ("complex",)),
    "2 channels": (lambda: torch.rand(2, 2, 64, 64), ValueError, ("shape", "(2, 2, 64, 64)")),
    "empty batch": (lambda: torch.rand(0, 3, 64, 64), ValueError, ("shape", "(0, 3, 64, 64)")),
    "5-D": (lambda: torch.rand(1, 1, 3, 8, 8), ValueError, ("shape", "(1, 1, 3, 8, 8)")),
    "an int": (lambda: 5, TypeError, ("images", "tensor", "int")),
    "a str": (lambda: "cat.png", TypeError, ("images", "tensor", "str")),
    "smaller than conv1": (lambda: torch.rand(2, 3, 4, 4), ValueError, ("4x4", "first kernel", "7x7")),
}
IMAGE_ENTRY_POINTS = {
    "invert": lambda m, x: invert(m, x, "conv2", steps=2),
    "inversion_table": lambda m, x: inversion_table(m, x, ["conv2"], steps=2, restarts=1),
    "dream": lambda m, x: dream(m, x, "conv2", octaves=1, steps=2),
    "attack": lambda m, x: attack(m, x, LABELS, eps=4 / 255),
    "fgsm": lambda m, x: fgsm(m, x, LABELS, eps=4 / 255),
    "attack_frames": lambda m, x: attack_frames(m, x, LABELS, eps=4 / 255),
    "minimal_eps": lambda m, x: minimal_eps(m, x, LABELS),
    "robustness_curve": lambda m, x: robustness_curve(m, x, LABELS, eps=[0, 2 / 255]),
    "accuracy": lambda m, x: accuracy(m, x, LABELS),
    "transfer": lambda m, x: transfer(m, m, x, LABELS, eps=4 / 255),
    "targeted_matrix": lambda m, x: targeted_matrix(m, x, LABELS),
    "input_space_explanation": lambda m, x: input_space_explanation(m, x, eps=4 / 255),
    "last_layer_explanation": lambda m, x: last_layer_explanation(m, x, eps=0.1),
    "random_noise": lambda m, x: random_noise(x, 4 / 255),
}
MODEL_FREE = {"random_noise"}                   # no model: any size is an image


def _image_cases():
    for point, use in IMAGE_ENTRY_POINTS.items():
        for name, (make, error, words) in BAD_IMAGES.items():
            if name == "smaller than conv1" and point in MODEL_FREE:
                continue
            yield Case(f"{point}: {name}", lambda m, use=use, make=make: use(m, make()), error, words)


# --- a model that is no model, at every entry point that takes one ------------------------------
MODEL_ENTRY_POINTS = {name: call for name, call in IMAGE_ENTRY_POINTS.items() if name not in MODEL_FREE} | {
    "fooling_images": lambda m, x: fooling_images(m, [0], steps=2),
    "inverse_set": lambda m, x: inverse_set(m, channel("conv2", 0), (0, 1), n=1),
    "rejection_sample": lambda m, x: rejection_sample(m, channel("conv2", 0), (0, 1), n=1),
    "activations": lambda m, x: activations(m, channel("conv2", 0), x),
}


def _not_a_model_cases():
    for point, use in MODEL_ENTRY_POINTS.items():
        for name, value in (("None", None), ("a str", "shapenet")):
            yield Case(f"{point}: model={name}", lambda m, use=use, value=value: use(value, images()), TypeError,
                       ("torch.nn.Module",))


# --- everything else ------------------------------------------------------------------------------
def inv(m, **options):
    options.setdefault("steps", 2)
    return invert(m, options.pop("images", images(batch=1)), options.pop("layer", "conv2"), **options)


def drm(m, **options):
    options.setdefault("steps", 2)
    options.setdefault("octaves", 2)
    return dream(m, options.pop("image", images(batch=1)), options.pop("layer", "conv2"), **options)


def att(m, method="pgd", **options):
    options.setdefault("eps", 4 / 255)
    return attack(m, options.pop("images", images()), options.pop("labels", LABELS), Attack(method=method), **options)


def inv_set(m, **options):
    objectives = options.pop("objectives", channel("conv2", 0))
    bands = options.pop("bands", (0.0, 1.0))
    options.setdefault("n", 1)
    options.setdefault("max_batches", 1)
    options.setdefault("inner_steps", 1)
    options.setdefault("max_outer", 1)
    return sample_inverse_set(m, objectives, bands, **options)


def eps_case(id, call):
    return Case(id, call, ValueError, ("eps", "<= 1", EPS_UNITS, "8/255"))


ARGUMENT_CASES = [
    # attacks: eps and step size in their units, counts, seeds, kinds
    eps_case("fgsm eps=2 (meant 2/255)", lambda m: fgsm(m, images(), LABELS, eps=2)),
    eps_case("pgd eps=8 (meant 8/255)", lambda m: pgd(m, images(), LABELS, eps=8)),
    eps_case("bim eps=1.5", lambda m: bim(m, images(), LABELS, eps=1.5)),
    eps_case("attack eps=[1/255, 4]", lambda m: att(m, eps=[1 / 255, 4])),
    eps_case("robustness_curve eps=[0, 8]", lambda m: robustness_curve(m, images(), LABELS, eps=[0, 8])),
    eps_case("random_noise eps=16", lambda m: random_noise(images(), 16)),
    eps_case("input_space_explanation eps=4", lambda m: input_space_explanation(m, images(), eps=4)),
    Case("minimal_eps eps_max=32", lambda m: minimal_eps(m, images(), LABELS, eps_max=32), ValueError,
         ("eps_max", "<= 1", EPS_UNITS)),
    Case("pgd step_size=0", lambda m: att(m, step_size=0), ValueError, ("step_size", "> 0")),
    Case("pgd step_size=2", lambda m: att(m, step_size=2), ValueError, ("step_size", "<= 1", EPS_UNITS)),
    Case("pgd step_size=-1/255", lambda m: att(m, step_size=-1 / 255), ValueError, ("step_size", "> 0")),
    Case("pgd step_size=nan", lambda m: att(m, step_size=math.nan), ValueError, ("step_size", "finite")),
    Case("pgd step_size='big'", lambda m: att(m, step_size="big"), TypeError, ("step_size", "number")),
    Case("pgd eps=nan", lambda m: att(m, eps=math.nan), ValueError, ("eps", "finite", "8/255")),
    Case("pgd eps=inf", lambda m: att(m, eps=math.inf), ValueError, ("eps", "finite")),
    Case("pgd eps=-0.1", lambda m: att(m, eps=-0.1), ValueError, ("eps", ">= 0")),
    Case("pgd eps='8/255'", lambda m: att(m, eps="8/255"), TypeError, ("eps", "number", "8/255")),
    Case("pgd eps=None", lambda m: att(m, eps=None), TypeError, ("eps", "number")),
    Case("pgd eps=True", lambda m: att(m, eps=True), TypeError, ("eps", "number", "bool")),
    Case("pgd eps=[True, False]", lambda m: att(m, eps=[True, False]), TypeError, ("eps", "number")),
    Case("pgd eps complex", lambda m: att(m, eps=torch.tensor(0.01j)), TypeError, ("eps", "number")),
    Case("pgd eps 3 values for 2 images", lambda m: att(m, eps=[1 / 255] * 3), ValueError,
         ("eps", "one per image", "3")),
    Case("pgd steps=0", lambda m: att(m, steps=0), ValueError, ("steps", ">= 1")),
    Case("pgd steps=-2", lambda m: att(m, steps=-2), ValueError, ("steps", ">= 1")),
    Case("pgd steps=2.5", lambda m: att(m, steps=2.5), TypeError, ("steps", "integer")),
    Case("pgd steps=True", lambda m: att(m, steps=True), TypeError, ("steps", "integer", "bool")),
    Case("attack method='cw'", lambda m: att(m, method="cw"), ValueError, ("'cw'", "fgsm", "pgd")),
    Case("attack norm='l1'", lambda m: att(m, norm="l1"), ValueError, ("'l1'", "linf", "l2")),
    Case("attack loss='nll'", lambda m: att(m, loss="nll"), ValueError, ("'nll'", "ce", "margin")),
    Case("attack random_start='yes'", lambda m: att(m, random_start="yes"), TypeError,
         ("random_start", "True", "None")),
    Case("attack random_start=1", lambda m: att(m, random_start=1), TypeError, ("random_start", "True")),
    Case("attack seed=-1", lambda m: att(m, seed=-1), ValueError, ("seed", ">= 0")),
    Case("attack seed='abc'", lambda m: att(m, seed="abc"), TypeError, ("seed", "integer", "'abc'")),
    Case("attack seed=1.5", lambda m: att(m, seed=1.5), TypeError, ("seed", "integer")),
    Case("attack seed=None", lambda m: att(m, seed=None), TypeError, ("seed", "integer")),
    Case("fgsm steps=5", lambda m: att(m, method="fgsm", steps=5), ValueError, ("fgsm", "one step", "bim")),
    Case("fgsm random_start=True", lambda m: att(m, method="fgsm", random_start=True), ValueError,
         ("fgsm", "random start")),
    Case("attack target=8", lambda m: att(m, target=8), ValueError, ("target 8", "8 classes", "0..7")),
    Case("attack target=-1", lambda m: att(m, target=-1), ValueError, ("target", "out of range")),
    Case("attack target='most likely'", lambda m: att(m, target="most likely"), ValueError,
         ("target", "least_likely")),
    Case("attack target=[0]", lambda m: att(m, target=[0]), ValueError, ("target", "one per image")),
    Case("attack target=1.5", lambda m: att(m, target=1.5), TypeError, ("target", "class indices")),
    Case("attack target=[0.5, 1.0]", lambda m: att(m, target=[0.5, 1.0]), TypeError, ("target", "whole")),
    Case("attack labels=[0, 9]", lambda m: att(m, labels=[0, 9]), ValueError, ("labels 9", "0..7")),
    Case("attack labels=[0, 1, 2]", lambda m: att(m, labels=[0, 1, 2]), ValueError, ("labels", "one per image")),
    Case("attack labels='cat'", lambda m: att(m, labels="cat"), TypeError, ("labels", "class indices")),
    Case("attack labels=[0.5, 1.5]", lambda m: att(m, labels=[0.5, 1.5]), TypeError, ("labels", "whole")),
    Case("attack labels bool", lambda m: att(m, labels=torch.tensor([True, False])), TypeError, ("labels", "bool")),
    Case("attack_frames every=0", lambda m: attack_frames(m, images(), LABELS, eps=4 / 255, every=0), ValueError,
         ("every", ">= 1")),
    Case("attack_frames every=-1", lambda m: attack_frames(m, images(), LABELS, eps=4 / 255, every=-1), ValueError,
         ("every", ">= 1")),
    Case("attack_frames every=1.5", lambda m: attack_frames(m, images(), LABELS, eps=4 / 255, every=1.5),
         TypeError, ("every", "integer")),
    Case("attack_frames stop=5", lambda m: attack_frames(m, images(), LABELS, eps=4 / 255, stop=5), TypeError,
         ("stop", "function")),
    # measurements
    Case("minimal_eps levels=-1", lambda m: minimal_eps(m, images(), LABELS, levels=-1), ValueError,
         ("levels", ">= 0")),
    Case("minimal_eps levels=1.5", lambda m: minimal_eps(m, images(), LABELS, levels=1.5), TypeError,
         ("levels", "integer")),
    Case("minimal_eps eps_max=0", lambda m: minimal_eps(m, images(), LABELS, eps_max=0), ValueError,
         ("eps_max", "> 0")),
    Case("minimal_eps tolerance=0", lambda m: minimal_eps(m, images(), LABELS, tolerance=0), ValueError,
         ("tolerance", "> 0")),
    Case("minimal_eps tolerance=-1", lambda m: minimal_eps(m, images(), LABELS, tolerance=-1), ValueError,
         ("tolerance", "> 0")),
    Case("robustness_curve eps=()", lambda m: robustness_curve(m, images(), LABELS, eps=()), ValueError,
         ("eps", "non-empty")),
    Case("robustness_curve eps='8'", lambda m: robustness_curve(m, images(), LABELS, eps="8"), ValueError,
         ("eps", "non-empty list")),
    Case("robustness_curve labels=None", lambda m: robustness_curve(m, images(), None), TypeError,
         ("labels", "true class", "None")),
    Case("robustness_curve labels too few", lambda m: robustness_curve(m, images(), [0]), ValueError,
         ("labels", "one per image")),
    Case("robustness_curve attacks=[]", lambda m: robustness_curve(m, images(), LABELS, attacks=[]), ValueError,
         ("attacks", "non-empty", "fgsm")),
    Case("robustness_curve attacks='fgsm'", lambda m: robustness_curve(m, images(), LABELS, attacks="fgsm"),
         ValueError, ("attacks", "list", "'fgsm'")),
    Case("robustness_curve attacks=['cw']", lambda m: robustness_curve(m, images(), LABELS, attacks=["cw"]),
         ValueError, ("'cw'", "noise", "pgd")),
    Case("robustness_curve batch_size=0", lambda m: robustness_curve(m, images(), LABELS, batch_size=0),
         ValueError, ("batch_size", ">= 1")),
    Case("accuracy labels=None", lambda m: accuracy(m, images(), None), TypeError, ("labels", "None")),
    Case("accuracy labels [0, 99]", lambda m: accuracy(m, images(), [0, 99]), ValueError, ("labels 99", "0..7")),
    Case("accuracy batch_size=0", lambda m: accuracy(m, images(), LABELS, batch_size=0), ValueError,
         ("batch_size", ">= 1")),
    Case("accuracy batch_size=2.5", lambda m: accuracy(m, images(), LABELS, batch_size=2.5), TypeError,
         ("batch_size", "integer")),
    Case("transfer target=None", lambda m: transfer(m, None, images(), LABELS, eps=4 / 255), TypeError,
         ("target", "torch.nn.Module")),
    Case("transfer target='shapenet'", lambda m: transfer(m, "shapenet", images(), LABELS, eps=4 / 255),
         TypeError, ("target", "torch.nn.Module")),
    Case("transfer labels=None", lambda m: transfer(m, m, images(), None, eps=4 / 255), TypeError,
         ("labels", "None")),
    Case("transfer eps=8", lambda m: transfer(m, m, images(), LABELS, eps=8), ValueError, ("eps", EPS_UNITS)),
    Case("targeted_matrix per_class=0", lambda m: targeted_matrix(m, images(), LABELS, per_class=0), ValueError,
         ("per_class", ">= 1")),
    Case("targeted_matrix labels=None", lambda m: targeted_matrix(m, images(), None), TypeError, ("labels", "None")),
    Case("random_noise norm='l3'", lambda m: random_noise(images(), 4 / 255, norm="l3"), ValueError,
         ("'l3'", "linf", "l2")),
    Case("random_noise seed=-1", lambda m: random_noise(images(), 4 / 255, seed=-1), ValueError, ("seed", ">= 0")),
    Case("input_space_explanation eps=-1", lambda m: input_space_explanation(m, images(), eps=-1), ValueError,
         ("eps", ">= 0")),
    Case("last_layer_explanation eps=nan", lambda m: last_layer_explanation(m, images(), eps=math.nan),
         ValueError, ("eps", "finite")),
    # fooling images
    Case("fooling_images size=0", lambda m: fooling_images(m, [0], size=0), ValueError, ("size", ">= 1")),
    Case("fooling_images size=3", lambda m: fooling_images(m, [0], size=3), ValueError, ("size", "3x3", "first kernel")),
    Case("fooling_images size='big'", lambda m: fooling_images(m, [0], size="big"), TypeError, ("size", "'big'")),
    Case("fooling_images steps=0", lambda m: fooling_images(m, [0], steps=0), ValueError, ("steps", ">= 1")),
    Case("fooling_images steps=1.5", lambda m: fooling_images(m, [0], steps=1.5), TypeError, ("steps", "integer")),
    Case("fooling_images lr=0", lambda m: fooling_images(m, [0], lr=0), ValueError, ("lr", "> 0")),
    Case("fooling_images lr=inf", lambda m: fooling_images(m, [0], lr=math.inf), ValueError, ("lr", "finite")),
    Case("fooling_images seed=-1", lambda m: fooling_images(m, [0], seed=-1), ValueError, ("seed", ">= 0")),
    Case("fooling_images classes=99", lambda m: fooling_images(m, 99), ValueError, ("classes", "0..7", "99")),
    Case("fooling_images classes=[0, -1]", lambda m: fooling_images(m, [0, -1]), ValueError, ("classes", "0..7")),
    Case("fooling_images classes=[]", lambda m: fooling_images(m, []), TypeError, ("classes", "non-empty")),
    Case("fooling_images classes='square'", lambda m: fooling_images(m, "square"), TypeError,
         ("classes", "class index")),
    Case("fooling_images classes=[1.5]", lambda m: fooling_images(m, [1.5]), TypeError, ("classes", "class index")),
    Case("fooling_images confidence=2", lambda m: fooling_images(m, [0], confidence=2), ValueError,
         ("confidence", "(0, 1)")),
    Case("fooling_images confidence='high'", lambda m: fooling_images(m, [0], confidence="high"), TypeError,
         ("confidence", "probability")),
    Case("fooling_images start='fog'", lambda m: fooling_images(m, [0], start="fog"), ValueError,
         ("'fog'", "noise", "grey")),
    Case("fooling_images regularized='yes'", lambda m: fooling_images(m, [0], regularized="yes"), TypeError,
         ("regularized", "True or False")),
    # inversion
    Case("invert seed=-1", lambda m: inv(m, seed=-1), ValueError, ("seed", ">= 0", "none")),
    Case("invert seed='abc'", lambda m: inv(m, seed="abc"), TypeError, ("seed", "integer", "'abc'")),
    Case("invert seed=1.5", lambda m: inv(m, seed=1.5), TypeError, ("seed", "integer")),
    Case("invert restarts=2.5", lambda m: inv(m, restarts=2.5), TypeError, ("restarts", "integer")),
    Case("invert restarts=0", lambda m: inv(m, restarts=0), ValueError, ("restarts", ">= 1")),
    Case("invert restarts=True", lambda m: inv(m, restarts=True), TypeError, ("restarts", "integer", "bool")),
    Case("invert steps=0", lambda m: inv(m, steps=0), ValueError, ("steps", ">= 1")),
    Case("invert steps=10.0", lambda m: inv(m, steps=10.0), TypeError, ("steps", "integer")),
    Case("invert every=0", lambda m: inv(m, every=0), ValueError, ("every", ">= 1")),
    Case("invert tv=-1", lambda m: inv(m, tv=-1), ValueError, ("tv", ">= 0")),
    Case("invert tv=inf", lambda m: inv(m, tv=math.inf), ValueError, ("tv", "finite")),
    Case("invert tv='high'", lambda m: inv(m, tv="high"), TypeError, ("tv", "number")),
    Case("invert lr=0", lambda m: inv(m, lr=0), ValueError, ("lr", "> 0")),
    Case("invert lr=nan", lambda m: inv(m, lr=math.nan), ValueError, ("lr", "finite")),
    Case("invert alpha=0", lambda m: inv(m, alpha=0), ValueError, ("alpha", "> 0")),
    Case("invert beta=-1", lambda m: inv(m, beta=-1), ValueError, ("beta", "> 0")),
    Case("invert alpha_weight=-1", lambda m: inv(m, alpha_weight=-1), ValueError, ("alpha_weight", ">= 0")),
    Case("invert alpha_weight=True", lambda m: inv(m, alpha_weight=True), TypeError, ("alpha_weight", "bool")),
    Case("invert start_noise=nan", lambda m: inv(m, start_noise=math.nan), ValueError,
         ("start_noise", "finite", "noise")),
    Case("invert start_noise=-1", lambda m: inv(m, start_noise=-1), ValueError, ("start_noise", ">= 0")),
    Case("invert layer='nope'", lambda m: inv(m, layer="nope"), ValueError, ("'nope'", "conv")),
    Case("invert layer=5", lambda m: inv(m, layer=5), ValueError, ("5", "layers")),
    Case("invert stop=5", lambda m: inv(m, stop=5), TypeError, ("stop", "function")),
    Case("inversion_table layers=[]", lambda m: inversion_table(m, images(batch=1), []), TypeError,
         ("layers", "non-empty")),
    Case("inversion_table layers='nope'", lambda m: inversion_table(m, images(batch=1), "nope"), ValueError,
         ("'nope'", "conv")),
    Case("inversion_table layers=[5]", lambda m: inversion_table(m, images(batch=1), [5]), TypeError,
         ("layers", "layer name")),
    Case("inversion_table restarts=0", lambda m: inversion_table(m, images(batch=1), "conv2", restarts=0),
         ValueError, ("restarts", ">= 1")),
    Case("inversion_table steps=-1", lambda m: inversion_table(m, images(batch=1), "conv2", steps=-1),
         ValueError, ("steps", ">= 1")),
    # DeepDream
    Case("dream step_size=inf", lambda m: drm(m, step_size=math.inf), ValueError, ("step_size", "finite")),
    Case("dream step_size=0", lambda m: drm(m, step_size=0), ValueError, ("step_size", "> 0")),
    Case("dream octave_scale=100", lambda m: drm(m, octaves=3, octave_scale=100), ValueError,
         ("octave_scale", "below 1 px", "fewer octaves")),
    Case("dream octave_scale=1", lambda m: drm(m, octave_scale=1), ValueError, ("octave_scale", "> 1")),
    Case("dream octave_scale=nan", lambda m: drm(m, octave_scale=math.nan), ValueError, ("octave_scale", "finite")),
    Case("dream jitter=2.5", lambda m: drm(m, jitter=2.5), TypeError, ("jitter", "integer", "pixels")),
    Case("dream jitter=-1", lambda m: drm(m, jitter=-1), ValueError, ("jitter", ">= 0")),
    Case("dream octaves=0", lambda m: drm(m, octaves=0), ValueError, ("octaves", ">= 1")),
    Case("dream octaves=2.5", lambda m: drm(m, octaves=2.5), TypeError, ("octaves", "integer")),
    Case("dream steps=0", lambda m: drm(m, steps=0), ValueError, ("steps", ">= 1")),
    Case("dream every=0", lambda m: drm(m, every=0), ValueError, ("every", ">= 1")),
    Case("dream seed=-1", lambda m: drm(m, seed=-1), ValueError, ("seed", ">= 0")),
    Case("dream seed='abc'", lambda m: drm(m, seed="abc"), TypeError, ("seed", "integer")),
    Case("dream layer='nope'", lambda m: drm(m, layer="nope"), ValueError, ("'nope'", "conv")),
    Case("dream normalize='yes'", lambda m: drm(m, normalize="yes"), TypeError, ("normalize", "True", "False")),
    Case("dream stop=5", lambda m: drm(m, stop=5), TypeError, ("stop", "function")),
    Case("dream guide batch of 2", lambda m: drm(m, guide=images(batch=2)), ValueError, ("guide", "one image")),
    Case("dream guide above 1", lambda m: drm(m, guide=2 * torch.ones(3, 64, 64)), ValueError, ("[0, 1]",)),
    # the inverse-set sampler
    Case("inverse_set diversity=-1", lambda m: inv_set(m, diversity=-1), ValueError, ("diversity", ">= 0")),
    Case("inverse_set diversity=nan", lambda m: inv_set(m, diversity=math.nan), ValueError, ("diversity", "finite")),
    Case("inverse_set max_outer=0", lambda m: inv_set(m, max_outer=0), ValueError, ("max_outer", ">= 1")),
    Case("inverse_set max_seconds=-1", lambda m: inv_set(m, max_seconds=-1), ValueError, ("max_seconds", "> 0")),
    Case("inverse_set max_seconds=0", lambda m: inv_set(m, max_seconds=0), ValueError, ("max_seconds", "none")),
    Case("inverse_set max_batches=0 (not the default)", lambda m: inv_set(m, max_batches=0), ValueError,
         ("max_batches", ">= 1", "none")),
    Case("inverse_set max_batches=1.5", lambda m: inv_set(m, max_batches=1.5), TypeError, ("max_batches", "integer")),
    Case("inverse_set every=0", lambda m: inv_set(m, every=0), ValueError, ("every", ">= 1")),
    Case("inverse_set restart_fraction=2", lambda m: inv_set(m, restart_fraction=2), ValueError,
         ("restart_fraction", "0..1")),
    Case("inverse_set restart_fraction=-0.5", lambda m: inv_set(m, restart_fraction=-0.5), ValueError,
         ("restart_fraction", "0..1")),
    Case("inverse_set mu0=0", lambda m: inv_set(m, mu0=0), ValueError, ("mu0", "> 0", "penalty")),
    Case("inverse_set rho=0.5", lambda m: inv_set(m, rho=0.5), ValueError, ("rho", ">= 1")),
    Case("inverse_set margin=-0.1", lambda m: inv_set(m, margin=-0.1), ValueError, ("margin", "0..0.5")),
    Case("inverse_set margin=0.9", lambda m: inv_set(m, margin=0.9), ValueError, ("margin", "0..0.5")),
    Case("inverse_set lr=0", lambda m: inv_set(m, lr=0), ValueError, ("lr", "> 0")),
    Case("inverse_set inner_steps=0", lambda m: inv_set(m, inner_steps=0), ValueError, ("inner_steps", ">= 1")),
    Case("inverse_set min_steps=-1", lambda m: inv_set(m, min_steps=-1), ValueError, ("min_steps", ">= 0")),
    Case("inverse_set jitter=-1", lambda m: inv_set(m, jitter=-1), ValueError, ("jitter", ">= 0")),
    Case("inverse_set quantize='yes'", lambda m: inv_set(m, quantize="yes"), TypeError, ("quantize", "True")),
    Case("inverse_set seed=-1", lambda m: inv_set(m, seed=-1), ValueError, ("seed", ">= 0")),
    Case("inverse_set stop=5", lambda m: inv_set(m, stop=5), TypeError, ("stop", "function")),
    Case("inverse_set n=0", lambda m: inv_set(m, n=0), ValueError, ("n", ">= 1")),
    Case("inverse_set n=2.5", lambda m: inv_set(m, n=2.5), ValueError, ("n", "integer")),
    Case("inverse_set K=0", lambda m: inv_set(m, K=0), ValueError, ("K", ">= 1")),
    Case("inverse_set bands=(3, 2)", lambda m: inv_set(m, bands=(3.0, 2.0)), ValueError, ("z1 <= z2",)),
    Case("inverse_set bands=5", lambda m: inv_set(m, bands=5), TypeError, ("bands", "(z1, z2)")),
    Case("inverse_set bands=(1, 'a')", lambda m: inv_set(m, bands=(1, "a")), ValueError, ("band", "numbers")),
    Case("inverse_set bands=(nan, 1)", lambda m: inv_set(m, bands=(math.nan, 1.0)), ValueError, ("z1 <= z2",)),
    Case("inverse_set two bands for one objective", lambda m: inv_set(m, bands=[(0, 1), (1, 2)]), ValueError,
         ("one band", "per objective")),
    Case("inverse_set objectives=5", lambda m: inv_set(m, objectives=5), TypeError, ("objectives", "channel(")),
    Case("inverse_set objectives=[]", lambda m: inv_set(m, objectives=[]), TypeError, ("objectives", "channel(")),
    Case("inverse_set objective on layer 'nope'", lambda m: inv_set(m, objectives=channel("nope", 0)), ValueError,
         ("'nope'", "conv")),
    Case("inverse_set generator='gan'", lambda m: inv_set(m, generator="gan"), ValueError,
         ("'gan'", "pixels", "shapes")),
    Case("inverse_set encoder='pca'", lambda m: inv_set(m, encoder="pca"), ValueError, ("'pca'", "features")),
    Case("inverse_set a generator of 1-channel images", lambda m: inv_set(m, generator=PixelGenerator((1, 64, 64))),
         ValueError, ("generator", "(b, 3, h, w)", "(1, 64, 64)")),
    Case("inverse_set a generator of 4 px images", lambda m: inv_set(m, generator=PixelGenerator(4)), ValueError,
         ("generator", "4x4", "first kernel")),
    Case("rejection_sample max_draws=0", lambda m: rejection_sample(m, channel("conv2", 0), (0, 1), n=1,
                                                                    max_draws=0), ValueError, ("max_draws", ">= 1")),
    Case("rejection_sample batch=0", lambda m: rejection_sample(m, channel("conv2", 0), (0, 1), n=1, batch=0),
         ValueError, ("K", ">= 1")),
    Case("rejection_sample seed=-1", lambda m: rejection_sample(m, channel("conv2", 0), (0, 1), n=1, seed=-1),
         ValueError, ("seed", ">= 0")),
    Case("rejection_sample max_seconds=0", lambda m: rejection_sample(m, channel("conv2", 0), (0, 1), n=1,
                                                                      max_seconds=0), ValueError, ("max_seconds",)),
    Case("quantile_band low > high", lambda m: quantile_band(torch.rand(10), 0.9, 0.5), ValueError,
         ("low <= high", "0.9", "0.5")),
    Case("quantile_band low=-0.1", lambda m: quantile_band(torch.rand(10), -0.1, 0.5), ValueError,
         ("low", "0..1", "quantile")),
    Case("quantile_band high=95", lambda m: quantile_band(torch.rand(10), 0.5, 95), ValueError, ("high", "0..1")),
    Case("quantile_band values=[]", lambda m: quantile_band([], 0.1, 0.9), TypeError, ("values", "tensor")),
    Case("quantile_band empty tensor", lambda m: quantile_band(torch.zeros(0), 0.1, 0.9), TypeError,
         ("values", "non-empty")),
    Case("mean_pairwise_distance of a 1-D tensor", lambda m: mean_pairwise_distance(torch.rand(5)), ValueError,
         ("encodings", "(n, d)", "(5,)")),
    Case("mean_pairwise_distance of a 3-D tensor", lambda m: mean_pairwise_distance(torch.rand(2, 3, 4)),
         ValueError, ("encodings", "(n, d)")),
    Case("mean_pairwise_distance of a list", lambda m: mean_pairwise_distance([[0.0, 1.0]]), ValueError,
         ("encodings", "tensor")),
    Case("activations batch_size=0", lambda m: activations(m, channel("conv2", 0), images(), batch_size=0),
         ValueError, ("batch_size", ">= 1")),
]

CASES = list(_image_cases()) + list(_not_a_model_cases()) + ARGUMENT_CASES


def test_the_table_holds_at_least_250_bad_inputs():
    assert len(CASES) + len(TRAIN_MODE_CALLS) >= 250
    assert len({c.id for c in CASES}) == len(CASES), "two rows share an id"


def assert_clear_vizlab_error(info, words) -> None:
    last = traceback.extract_tb(info.tb)[-1]
    assert Path(last.filename).resolve().is_relative_to(VIZLAB_DIR), \
        f"raised outside vizlab, at {last.filename}:{last.lineno}: {info.value}"
    message = str(info.value).lower()
    missing = [w for w in words if w.lower() not in message]
    assert not missing, f"message lacks {missing}: {info.value}"


def _advance(result):
    if hasattr(result, "__next__"):
        next(result)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gets_a_clear_vizlab_error_and_leaves_the_model_bit_identical(shapenet, case):
    before = snapshot(shapenet)
    with pytest.raises(case.error) as info:
        _advance(case.call(shapenet))
    assert_clear_vizlab_error(info, case.words)
    assert_unchanged(shapenet, before)


# --- models in training mode: refused before any forward pass, buffers untouched ------------------
def _x():
    return images(size=16, batch=2)


TRAIN_MODE_CALLS = {
    "invert": lambda m: invert(m, _x(), "conv2", steps=2),
    "inversion_table": lambda m: inversion_table(m, _x(), ["conv2"], steps=2, restarts=1),
    "dream": lambda m: dream(m, _x(), "conv2", octaves=1, steps=2),
    "attack": lambda m: attack(m, _x(), [0, 1], eps=4 / 255),
    "fgsm": lambda m: fgsm(m, _x(), eps=4 / 255),
    "attack_frames": lambda m: attack_frames(m, _x(), eps=4 / 255),
    "minimal_eps": lambda m: minimal_eps(m, _x(), [0, 1]),
    "robustness_curve": lambda m: robustness_curve(m, _x(), [0, 1], eps=[0, 2 / 255]),
    "accuracy": lambda m: accuracy(m, _x(), [0, 1]),
    "transfer (source)": lambda m: transfer(m, bn_net().eval(), _x(), [0, 1], eps=4 / 255),
    "transfer (target)": lambda m: transfer(bn_net().eval(), m, _x(), [0, 1], eps=4 / 255),
    "targeted_matrix": lambda m: targeted_matrix(m, _x(), [0, 1], per_class=1),
    "input_space_explanation": lambda m: input_space_explanation(m, _x(), eps=4 / 255),
    "last_layer_explanation": lambda m: last_layer_explanation(m, _x(), eps=0.1),
    "fooling_images": lambda m: fooling_images(m, [0], steps=2, size=16),
    "inverse_set": lambda m: inverse_set(m, channel("conv2", 0), (0, 1), n=1, generator=PixelGenerator(16)),
    "rejection_sample": lambda m: rejection_sample(m, channel("conv2", 0), (0, 1), n=1, generator=PixelGenerator(16)),
    "activations": lambda m: activations(m, channel("conv2", 0), _x()),
}


@pytest.mark.parametrize("name", list(TRAIN_MODE_CALLS))
def test_a_model_in_training_mode_is_refused_first_and_keeps_its_buffers(name):
    model = bn_net().train()
    before = snapshot(model)
    with pytest.raises(ValueError) as info:
        _advance(TRAIN_MODE_CALLS[name](model))
    assert_clear_vizlab_error(info, ("training mode", "model.eval()"))
    assert "cannot be reached" not in str(info.value)        # the cause is the mode, not a size
    assert_unchanged(model, before)            # running_mean, running_var, num_batches_tracked too
    assert model.training and model.bn.training


# --- documented conversions and the first half's silent cases --------------------------------------
def test_float64_images_are_converted_to_the_models_dtype(shapenet):
    x = images(batch=2, seed=3)
    for run in (lambda v: pgd(shapenet, v, LABELS, eps=4 / 255, steps=2).adversarial,
                lambda v: final(invert(shapenet, v, "conv2", steps=2, every=2)).images,
                lambda v: list(dream(shapenet, v[:1], "conv2", octaves=1, steps=2))[-1].images):
        got, expected = run(x.double()), run(x)
        assert got.dtype == torch.float32 and torch.equal(got, expected)


def test_uint8_images_to_invert_are_divided_by_255(shapenet):
    pixels = torch.randint(0, 256, (1, 3, 64, 64), dtype=torch.uint8, generator=torch.Generator().manual_seed(2))
    got = final(invert(shapenet, pixels, "conv2", steps=2, every=2)).images
    assert torch.equal(got, final(invert(shapenet, pixels.float() / 255, "conv2", steps=2, every=2)).images)


def test_an_l2_eps_may_exceed_1_since_it_is_a_length_not_a_pixel_fraction(shapenet):
    result = pgd(shapenet, images(), LABELS, eps=2.0, norm="l2", steps=2)
    assert float(result.perturbation.flatten(1).norm(dim=1).max()) <= 2.0 + 1e-4


def test_a_uint8_batch_to_capture_is_divided_by_255_like_one_image(shapenet):
    pixels = torch.randint(0, 256, (3, 3, 64, 64), dtype=torch.uint8, generator=torch.Generator().manual_seed(4))
    batch = capture(shapenet, pixels, "conv2")["conv2"]
    assert torch.equal(batch, capture(shapenet, pixels.float() / 255, "conv2")["conv2"])
    assert torch.allclose(batch[1:2], capture(shapenet, pixels[1], "conv2")["conv2"], atol=1e-5)  # batching rounds


def test_gradcam_layer_none_is_the_documented_default_layer(shapenet):
    x = images(batch=2, seed=5)
    assert torch.equal(gradcam(shapenet, x, 1, layer=None), gradcam(shapenet, x, 1, layer=default_layer(shapenet)))


def test_a_stop_early_probe_opened_by_hand_lets_the_models_own_call_return(shapenet):
    x = images(batch=2, seed=6)
    with Probe(shapenet, "conv2", stop_early=True) as probe:
        logits = shapenet(x)
    assert logits is not None and torch.equal(logits, shapenet(x))
    assert torch.equal(probe.acts["conv2"], capture(shapenet, x, "conv2")["conv2"])
