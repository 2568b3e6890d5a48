"""Every bad input gets a clear vizlab error (issue 9, part 3).

A table of bad inputs across the public API and the CLI. For each one:

* the error is a ``ValueError`` or ``TypeError`` raised by vizlab's own code: the traceback's
  last frame is in the vizlab package (not in torch, numpy, sklearn or pathlib);
* its message names the input and what is allowed (the ``words`` of the row, all required);
* the model is unchanged afterwards (parameters, buffers, modes, hooks: conftest's snapshot).

CLI rows: exit code 2, one line on stderr, no traceback.
"""
from __future__ import annotations

import math
import traceback
from collections import OrderedDict
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np
import pytest
import torch
from torch import nn

import vizlab
from conftest import assert_unchanged, snapshot
from vizlab import as_batch, ascend, capture, list_layers, load_image, load_model
from vizlab.ascent import regularizers as reg
from vizlab.ascent import (FourierImage, PixelImage, adam, channel, class_logit, deepdream, direction, jitter, l2, neuron, pad,
                           random_rotate, random_scale, standard_transforms)
from vizlab.attribution import (deconvnet, gradcam, gradient, guided_backprop, guided_gradcam, project_unit,
                                saliency, smoothgrad)
from vizlab.dataprobe import features, measure_receptive_field, nearest_neighbours, pca_2d, receptive_field, \
    top_activations, tsne_2d
from vizlab.models.train import TrainConfig, train_shapenet

VIZLAB_DIR = Path(vizlab.__file__).resolve().parent


class Case(NamedTuple):
    id: str
    call: Callable            # (model, files) -> anything; generators are advanced once
    error: type
    words: tuple              # each must appear in the message (case-insensitive)
    xfail: str | None = None  # why it cannot pass yet (a file another engineer owns)


def _run(call, model, files):
    result = call(model, files)
    if hasattr(result, "__next__"):
        next(result)
    return result


def ok_images(size=64, batch=1):
    return torch.rand(batch, 3, size, size, generator=torch.Generator().manual_seed(0))


# --- bad images, tried at every entry point that takes images ---------------------------------
BAD_IMAGES = {
    "above 1": (lambda: torch.full((1, 3, 64, 64), 2.0), ValueError, ("[0, 1]", "255")),
    "negative": (lambda: ok_images() - 1, ValueError, ("[0, 1]", "255")),
    "NaN": (lambda: torch.full((1, 3, 64, 64), math.nan), ValueError, ("nan", "finite")),
    "Inf": (lambda: ok_images().index_fill(2, torch.tensor([3]), math.inf), ValueError, ("infinite", "finite")),
    "bool": (lambda: torch.ones(1, 3, 64, 64, dtype=torch.bool), TypeError, ("bool", "uint8", ".float()")),
    "int64": (lambda: torch.ones(1, 3, 64, 64, dtype=torch.int64), TypeError, ("int64", "uint8")),
    "int16": (lambda: torch.ones(1, 3, 64, 64, dtype=torch.int16), TypeError, ("int16", "uint8")),
    "complex": (lambda: torch.ones(1, 3, 64, 64, dtype=torch.complex64), TypeError, ("complex", "uint8")),
    "2 channels": (lambda: torch.rand(1, 2, 64, 64), ValueError, ("(b, 3, h, w)", "(1, 2, 64, 64)")),
    "empty batch": (lambda: torch.rand(0, 3, 64, 64), ValueError, ("b >= 1", "(0, 3, 64, 64)")),
    "5-D": (lambda: torch.rand(1, 1, 3, 8, 8), ValueError, ("shape", "channels")),
    "an int": (lambda: 5, TypeError, ("int", "file path", "tensor")),
    "empty list": (lambda: [], ValueError, ("empty list", "at least one image")),
    "numpy int64": (lambda: np.zeros((64, 64, 3), dtype=np.int64), TypeError, ("int64", "uint8")),
    "smaller than conv1": (lambda: torch.rand(1, 3, 4, 4), ValueError, ("4x4", "first kernel", "7x7")),
}
IMAGE_ENTRY_POINTS = {
    "saliency": lambda m, x: saliency(m, x, 0),
    "gradient": lambda m, x: gradient(m, x, 0),
    "smoothgrad": lambda m, x: smoothgrad(m, x, 0, samples=2),
    "guided_backprop": lambda m, x: guided_backprop(m, x, 0),
    "deconvnet": lambda m, x: deconvnet(m, x, 0),
    "gradcam": lambda m, x: gradcam(m, x, 0, layer="relu4"),
    "guided_gradcam": lambda m, x: guided_gradcam(m, x, 0, layer="relu4"),
    "project_unit": lambda m, x: project_unit(m, x, "conv3", 0),
    "capture": lambda m, x: capture(m, x, "conv3"),
    "as_batch": lambda m, x: as_batch(x),
}
NO_SIZE_CHECK = {"as_batch": None}


def _image_cases():
    for point, use in IMAGE_ENTRY_POINTS.items():
        for name, (make, error, words) in BAD_IMAGES.items():
            if name == "smaller than conv1" and point in NO_SIZE_CHECK:
                if NO_SIZE_CHECK[point] is None:
                    continue                      # as_batch knows no model: any size is an image
                yield Case(f"{point}: {name}", lambda m, f, use=use, make=make: use(m, make()), error, words,
                           xfail=NO_SIZE_CHECK[point])
                continue
            yield Case(f"{point}: {name}", lambda m, f, use=use, make=make: use(m, make()), error, words)


# --- everything else ----------------------------------------------------------------------------
def asc(m, **options):
    options.setdefault("steps", 2)
    objective = options.pop("objective", channel("conv3", 0))
    return ascend(m, objective, **options)


x1 = ok_images
CASES = list(_image_cases()) + [
    # ascend: sizes, counts, rates, seeds, kinds
    Case("ascend batch=0", lambda m, f: asc(m, batch=0), ValueError, ("batch", ">= 1", "got 0")),
    Case("ascend batch=-2", lambda m, f: asc(m, batch=-2), ValueError, ("batch", ">= 1")),
    Case("ascend batch=1.5", lambda m, f: asc(m, batch=1.5), TypeError, ("batch", "integer")),
    Case("ascend steps=0", lambda m, f: asc(m, steps=0), ValueError, ("steps", ">= 1")),
    Case("ascend steps=-3", lambda m, f: asc(m, steps=-3), ValueError, ("steps", ">= 1")),
    Case("ascend steps=2.5", lambda m, f: asc(m, steps=2.5), TypeError, ("steps", "integer")),
    Case("ascend steps=True", lambda m, f: asc(m, steps=True), TypeError, ("steps", "integer", "bool")),
    Case("ascend every=0", lambda m, f: asc(m, every=0), ValueError, ("every", ">= 1")),
    Case("ascend size=0", lambda m, f: asc(m, size=0), ValueError, ("size", ">= 1", "none")),
    Case("ascend size=3 (< conv1)", lambda m, f: asc(m, size=3), ValueError, ("size", "3x3", "first kernel")),
    Case("ascend size=(64, 0)", lambda m, f: asc(m, size=(64, 0)), ValueError, ("size", "(height, width)")),
    Case("ascend size='big'", lambda m, f: asc(m, size="big"), TypeError, ("size", "int", "'big'")),
    Case("ascend seed='abc'", lambda m, f: asc(m, seed="abc"), TypeError, ("seed", "integer", "'abc'")),
    Case("ascend seed=1.5", lambda m, f: asc(m, seed=1.5), TypeError, ("seed", "integer")),
    Case("ascend seed=-1", lambda m, f: asc(m, seed=-1), ValueError, ("seed", ">= 0")),
    Case("ascend param='fur'", lambda m, f: asc(m, param="fur"), ValueError, ("'fur'", "pixels", "fourier")),
    Case("ascend param=5", lambda m, f: asc(m, param=5), TypeError, ("param", "fourier", "pixels")),
    Case("ascend transforms=jitter(4)", lambda m, f: asc(m, transforms=jitter(4)), TypeError,
         ("transforms", "list")),
    Case("ascend transforms=[5]", lambda m, f: asc(m, transforms=[5]), TypeError, ("transform", "jitter(4)")),
    Case("ascend jitter(64) > image 32", lambda m, f: asc(m, size=32, transforms=[jitter(64)]), ValueError,
         ("jitter(64)", "32x32", "below 32")),
    Case("ascend regularizers=[5]", lambda m, f: asc(m, regularizers=[5]), TypeError,
         ("regularizers", "vizlab.ascent.regularizers")),
    Case("ascend regularizers=l2(1)", lambda m, f: asc(m, regularizers=l2(1.0)), TypeError,
         ("regularizers", "list")),
    Case("ascend optimizer='adam'", lambda m, f: asc(m, optimizer="adam"), TypeError, ("optimizer", "adam(0.05)")),
    Case("ascend stop=True", lambda m, f: asc(m, stop=True), TypeError, ("stop", "function")),
    Case("ascend redirect_steps=-1", lambda m, f: asc(m, redirect_steps=-1), ValueError,
         ("redirect_steps", ">= 0")),
    Case("ascend generator='g'", lambda m, f: asc(m, generator="g"), TypeError, ("generator", "torch.generator")),
    Case("ascend objective='conv3'", lambda m, f: asc(m, objective="conv3"), TypeError,
         ("objective", "channel('conv3', 0)")),
    Case("ascend model='shapenet'", lambda m, f: ascend("shapenet", channel("conv3", 0)), TypeError,
         ("torch.nn.module", "load_model")),
    Case("ascend channel 999", lambda m, f: asc(m, objective=channel("conv3", 999)), ValueError,
         ("999", "conv3", "0..63")),
    Case("ascend unknown layer", lambda m, f: asc(m, objective=channel("conv9", 0)), ValueError,
         ("'conv9'", "conv3", "list_layers")),
    Case("adam(lr=nan)", lambda m, f: adam(math.nan), ValueError, ("lr", "finite", "> 0")),
    Case("adam(lr=0)", lambda m, f: adam(0), ValueError, ("lr", "> 0")),
    Case("adam(lr=-1)", lambda m, f: adam(-1.0), ValueError, ("lr", "> 0")),
    Case("adam(lr='fast')", lambda m, f: adam("fast"), TypeError, ("lr", "number", "'fast'")),
    Case("adam(lr=inf)", lambda m, f: adam(math.inf), ValueError, ("lr", "finite")),
    # objectives
    Case("channel(3, 0): layer as int", lambda m, f: channel(3, 0), TypeError, ("layer", "'conv3'", "int 3")),
    Case("neuron(['conv3'], 0)", lambda m, f: neuron(["conv3"], 0), TypeError, ("layer", "str")),
    Case("deepdream(None)", lambda m, f: deepdream(None), TypeError, ("layer", "list_layers")),
    Case("channel unit 'a'", lambda m, f: channel("conv3", "a"), TypeError, ("unit", "int", "'a'")),
    Case("channel unit -1", lambda m, f: channel("conv3", -1), ValueError, ("unit", ">= 0", "-1")),
    Case("channel unit True", lambda m, f: channel("conv3", True), TypeError, ("unit", "int")),
    Case("channel unit 2.0", lambda m, f: channel("conv3", 2.0), TypeError, ("unit", "int")),
    Case("channel units [1, 'b']", lambda m, f: channel("conv3", [1, "b"]), TypeError, ("each unit", "integer")),
    Case("neuron y=-1", lambda m, f: neuron("conv3", 0, y=-1), ValueError, ("y", ">= 0", "centre")),
    Case("neuron x=1.5", lambda m, f: neuron("conv3", 0, x=1.5), TypeError, ("x", "integer")),
    Case("class_logit k=1.5", lambda m, f: class_logit("fc", 1.5), TypeError, ("class index k", "int")),
    Case("direction 'abc'", lambda m, f: direction("conv3", "abc"), TypeError, ("vector", "one per channel")),
    Case("direction of zeros", lambda m, f: direction("conv3", [0.0, 0.0]), ValueError, ("vector", "not all zero")),
    Case("objective * nan", lambda m, f: channel("conv3", 0) * math.nan, ValueError, ("factor", "finite")),
    Case("objective * 'x'", lambda m, f: channel("conv3", 0) * "x", TypeError, ("multiply", "numbers")),
    Case("objective + 1", lambda m, f: channel("conv3", 0) + 1, TypeError, ("combine", "objectives")),
    # transforms
    Case("jitter(-1)", lambda m, f: jitter(-1), ValueError, ("jitter pixels", ">= 0")),
    Case("jitter(2.5)", lambda m, f: jitter(2.5), TypeError, ("jitter pixels", "integer")),
    Case("pad(-2)", lambda m, f: pad(-2), ValueError, ("pad width", ">= 0")),
    Case("pad value 3", lambda m, f: pad(2, value=3.0), ValueError, ("pad value", "0..1")),
    Case("random_scale([])", lambda m, f: random_scale([]), TypeError, ("random_scale", "non-empty list")),
    Case("random_scale([0])", lambda m, f: random_scale([0.0]), ValueError, ("random_scale", "> 0")),
    Case("random_rotate('abc')", lambda m, f: random_rotate("abc"), TypeError, ("random_rotate", "list")),
    Case("random_rotate([nan])", lambda m, f: random_rotate([math.nan]), ValueError, ("random_rotate", "finite")),
    Case("standard_transforms(0)", lambda m, f: standard_transforms(0), ValueError, ("size", ">= 1")),
    # regularizers and parameterizations
    Case("l2(nan)", lambda m, f: l2(math.nan), ValueError, ("l2 weight", "finite", ">= 0")),
    Case("l2(-1)", lambda m, f: l2(-1.0), ValueError, ("l2 weight", ">= 0")),
    Case("l1('a')", lambda m, f: reg.l1("a"), TypeError, ("l1 weight", "number")),
    Case("total_variation(-1)", lambda m, f: reg.total_variation(-1.0), ValueError, ("total_variation weight",)),
    Case("total_variation beta 0", lambda m, f: reg.total_variation(1.0, beta=0), ValueError, ("beta", "> 0")),
    Case("decay(2)", lambda m, f: reg.decay(2.0), ValueError, ("decay theta", "0..1")),
    Case("blur(-1)", lambda m, f: reg.blur(-1.0), ValueError, ("blur sigma", ">= 0")),
    Case("blur every 0", lambda m, f: reg.blur(1.0, every=0), ValueError, ("blur every", ">= 1")),
    Case("clip_pixel_norm(150)", lambda m, f: reg.clip_pixel_norm(150), ValueError, ("percentile", "0..100")),
    Case("clip_contribution(-5)", lambda m, f: reg.clip_contribution(-5), ValueError, ("percentile", "0..100")),
    Case("PixelImage batch 0", lambda m, f: PixelImage(64, 0), ValueError, ("batch", ">= 1")),
    Case("PixelImage size 0", lambda m, f: PixelImage(0), ValueError, ("image size", ">= 1")),
    Case("PixelImage noise nan", lambda m, f: PixelImage(8, noise=math.nan), ValueError, ("noise", "finite")),
    Case("PixelImage start image 0..255", lambda m, f: PixelImage(8, image=torch.full((3, 8, 8), 200.0)),
         ValueError, ("[0, 1]", "255")),
    Case("PixelImage 3 start images for batch 2", lambda m, f: PixelImage(8, 2, image=torch.rand(3, 3, 8, 8)),
         ValueError, ("3 images", "batch=2")),
    Case("FourierImage batch 0", lambda m, f: FourierImage(64, batch=0), ValueError, ("batch", ">= 1")),
    Case("FourierImage size (8, -1)", lambda m, f: FourierImage((8, -1)), ValueError, ("image size",)),
    Case("ascend with a PixelImage of batch 0", lambda m, f: asc(m, param=PixelImage(64, 0)), ValueError,
         ("batch", ">= 1")),
    # attribution: targets, options, layers
    Case("saliency target 'circle'", lambda m, f: saliency(m, x1(), "circle"), TypeError,
         ("target", "class index", "class_names.index('circle')")),
    Case("saliency target 1.5", lambda m, f: saliency(m, x1(), 1.5), TypeError, ("target", "class index")),
    Case("saliency target True", lambda m, f: saliency(m, x1(), True), TypeError, ("target", "class index")),
    Case("saliency target float tensor", lambda m, f: saliency(m, x1(), torch.tensor([1.0])), TypeError,
         ("target", "float32", ".long()")),
    Case("saliency 2 targets for 1 image", lambda m, f: saliency(m, x1(), [0, 1]), ValueError,
         ("2 targets", "1 images", "one per image")),
    Case("saliency target 99", lambda m, f: saliency(m, x1(), 99), ValueError, ("99", "0..", "class_names")),
    Case("saliency target -1", lambda m, f: saliency(m, x1(), -1), ValueError, ("-1", "0..")),
    Case("gradcam target 'x'", lambda m, f: gradcam(m, x1(), "x", layer="relu4"), TypeError, ("target",)),
    Case("smoothgrad samples=0", lambda m, f: smoothgrad(m, x1(), 0, samples=0), ValueError, ("samples", ">= 1")),
    Case("smoothgrad samples=2.0", lambda m, f: smoothgrad(m, x1(), 0, samples=2.0), TypeError,
         ("samples", "integer")),
    Case("smoothgrad noise=-0.1", lambda m, f: smoothgrad(m, x1(), 0, noise=-0.1), ValueError, ("noise", ">= 0")),
    Case("smoothgrad noise=nan", lambda m, f: smoothgrad(m, x1(), 0, noise=math.nan), ValueError,
         ("noise", "finite")),
    Case("smoothgrad batch_size=0", lambda m, f: smoothgrad(m, x1(), 0, batch_size=0), ValueError,
         ("batch_size", ">= 1")),
    Case("smoothgrad generator=0", lambda m, f: smoothgrad(m, x1(), 0, generator=0), TypeError,
         ("generator", "torch.generator")),
    Case("gradcam layer=3", lambda m, f: gradcam(m, x1(), 0, layer=3), TypeError, ("layer", "'conv3'")),
    Case("gradcam unknown layer", lambda m, f: gradcam(m, x1(), 0, layer="conv9"), ValueError,
         ("'conv9'", "list_layers")),
    Case("gradcam at 1x1 avgpool", lambda m, f: gradcam(m, x1(), 0, layer="avgpool"), ValueError,
         ("'avgpool'", "constant", "1x1", "relu4")),
    Case("gradcam at fc (no map)", lambda m, f: gradcam(m, x1(), 0, layer="fc"), ValueError,
         ("'fc'", "(b, c, h, w)", "spatial map")),
    Case("gradient rule 'magic'", lambda m, f: gradient(m, x1(), 0, rule="magic"), ValueError,
         ("'magic'", "guided", "deconvnet")),
    Case("project_unit channel -1", lambda m, f: project_unit(m, x1(), "conv3", -1), ValueError,
         ("channel", ">= 0")),
    Case("project_unit channel 999", lambda m, f: project_unit(m, x1(), "conv3", 999), ValueError,
         ("999", "0..63")),
    Case("project_unit position (99, 0)", lambda m, f: project_unit(m, x1(), "conv3", 0, position=(99, 0)),
         ValueError, ("(99, 0)", "16x16")),
    Case("project_unit position 'a'", lambda m, f: project_unit(m, x1(), "conv3", 0, position="a"), TypeError,
         ("position", "(row, column)")),
    Case("project_unit layer 3", lambda m, f: project_unit(m, x1(), 3, 0), TypeError, ("layer", "'conv3'")),
    Case("project_unit rule 'magic'", lambda m, f: project_unit(m, x1(), "conv3", 0, rule="magic"), ValueError,
         ("'magic'", "deconvnet")),
    Case("saliency model=None", lambda m, f: saliency(None, x1(), 0), TypeError, ("torch.nn.module", "load_model")),
    # dataprobe
    Case("receptive_field input_size=0", lambda m, f: receptive_field(m, "conv3", input_size=0), ValueError,
         ("input_size", ">= 1", "none")),
    Case("receptive_field input_size=3", lambda m, f: receptive_field(m, "conv3", input_size=3), ValueError,
         ("input_size", "3x3", "first kernel")),
    Case("receptive_field input_size='a'", lambda m, f: receptive_field(m, "conv3", input_size="a"), TypeError,
         ("input_size", "int")),
    Case("receptive_field layer 3", lambda m, f: receptive_field(m, 3), TypeError, ("layer", "'conv3'")),
    Case("measure_receptive_field input_size=0", lambda m, f: measure_receptive_field(m, "conv3", input_size=0),
         ValueError, ("input_size", ">= 1")),
    Case("measure_receptive_field unit 'c'", lambda m, f: measure_receptive_field(m, "conv3", unit="c"),
         TypeError, ("unit", "(y, x)")),
    Case("top_activations k=0", lambda m, f: top_activations(m, x1(batch=4), "conv3", k=0), ValueError,
         ("k", ">= 1")),
    Case("top_activations batch_size=0", lambda m, f: top_activations(m, x1(batch=4), "conv3", batch_size=0),
         ValueError, ("batch_size", ">= 1")),
    Case("top_activations channels=[999]", lambda m, f: top_activations(m, x1(batch=4), "conv3", channels=[999],
                                                                        progress=False),
         ValueError, ("999", "0..63")),
    Case("top_activations channels='all'", lambda m, f: top_activations(m, x1(batch=4), "conv3", channels="all"),
         TypeError, ("channels", "list of ints")),
    Case("top_activations layer 3", lambda m, f: top_activations(m, x1(batch=4), 3), TypeError,
         ("layer", "'conv3'")),
    Case("top_activations largest='yes'", lambda m, f: top_activations(m, x1(batch=4), "conv3", largest="yes"),
         TypeError, ("largest", "true or false")),
    Case("top_activations progress='yes'", lambda m, f: top_activations(m, x1(batch=4), "conv3", progress="yes"),
         TypeError, ("progress", "true")),
    Case("top_activations data 255 floats", lambda m, f: top_activations(m, 255 * x1(batch=4), "conv3"),
         ValueError, ("[0, 1]", "255")),
    Case("top_activations data [1, 2]", lambda m, f: top_activations(m, [1, 2], "conv3"), TypeError,
         ("cannot read images", "make_shapes")),
    Case("features pool='sum'", lambda m, f: features(m, x1(batch=4), "conv3", pool="sum"), ValueError,
         ("pool", "'avg'", "'sum'")),
    Case("features layer 3", lambda m, f: features(m, x1(batch=4), 3), TypeError, ("layer", "'conv3'")),
    Case("features batch_size=0", lambda m, f: features(m, x1(batch=4), "conv3", batch_size=0), ValueError,
         ("batch_size", ">= 1")),
    Case("pca_2d of constant features", lambda m, f: pca_2d(torch.ones(10, 5)), ValueError,
         ("constant", "no variance", "another layer")),
    Case("pca_2d with NaN", lambda m, f: pca_2d(torch.full((10, 5), math.nan)), ValueError, ("nan", "features")),
    Case("pca_2d of 2 rows", lambda m, f: pca_2d(torch.rand(2, 5)), ValueError, ("at least 3 rows", "(2, 5)")),
    Case("pca_2d of a list", lambda m, f: pca_2d([[1.0, 2.0]]), TypeError, ("features", "tensor")),
    Case("tsne_2d perplexity 0", lambda m, f: tsne_2d(torch.rand(10, 5), perplexity=0), ValueError,
         ("perplexity", "> 0")),
    Case("tsne_2d seed 'a'", lambda m, f: tsne_2d(torch.rand(10, 5), seed="a"), TypeError, ("seed", "integer")),
    Case("nearest_neighbours k=0", lambda m, f: nearest_neighbours(torch.rand(5), torch.rand(9, 5), k=0),
         ValueError, ("k", "1..9")),
    Case("nearest_neighbours D mismatch", lambda m, f: nearest_neighbours(torch.rand(2, 4), torch.rand(9, 5)),
         ValueError, ("share d", "(2, 4)")),
    Case("list_layers(m, 0)", lambda m, f: list_layers(m, 0), ValueError, ("input_size", ">= 1")),
    Case("capture layers=3", lambda m, f: capture(m, x1(), 3), TypeError, ("layers", "'conv3'")),
    # images
    Case("load_image size=0", lambda m, f: load_image(x1()[0], size=0), ValueError, ("size", ">= 1", "none")),
    Case("load_image size=(0, 5)", lambda m, f: load_image(x1()[0], size=(0, 5)), ValueError,
         ("size", "(height, width)")),
    Case("load_image size='a'", lambda m, f: load_image(x1()[0], size="a"), TypeError, ("size", "int")),
    Case("load_image numpy bool", lambda m, f: load_image(np.ones((8, 8), dtype=bool)), TypeError,
         ("bool", "mask")),
    Case("load_image a corrupt file", lambda m, f: load_image(f["corrupt"]), ValueError, ("could not read",)),
    Case("sample_image 'cat'", lambda m, f: vizlab.sample_image("cat"), ValueError, ("'cat'", "grace_hopper")),
    # models and weights
    Case("load_model(5)", lambda m, f: load_model(5), ValueError, ("unknown model", "shapenet")),
    Case("load_model('shapenett')", lambda m, f: load_model("shapenett"), ValueError, ("'shapenett'", "shapenet")),
    Case("load_model weights=5", lambda m, f: load_model("shapenet", weights=5), TypeError,
         ("weights", "'pretrained'", "'random'")),
    Case("load_model corrupt file", lambda m, f: load_model("shapenet", weights=f["corrupt"]), ValueError,
         ("corrupt.pt", "torch.save(model.state_dict(), path)")),
    Case("load_model wrong architecture", lambda m, f: load_model("shapenet", weights=f["wrong"]), ValueError,
         ("wrong.pt", "'shapenet'", "vizlab train")),
    Case("load_model NaN weights", lambda m, f: load_model("shapenet", weights=f["nan"]), ValueError,
         ("nan.pt", "nan", "conv1.weight", "retrain")),
    Case("load_model not a dict", lambda m, f: load_model("shapenet", weights=f["list"]), ValueError,
         ("list.pt", "state dict", "torch.save")),
    Case("load_model device 'tpu9'", lambda m, f: load_model("shapenet", device="tpu9"), ValueError,
         ("device", "'cpu'", "'tpu9'")),
    Case("train epochs=0", lambda m, f: train_shapenet(TrainConfig(epochs=0), log=None), ValueError,
         ("epochs", ">= 1")),
    Case("train lr=0", lambda m, f: train_shapenet(TrainConfig(lr=0.0), log=None), ValueError, ("lr", "> 0")),
    Case("train images_per_epoch < batch", lambda m, f: train_shapenet(TrainConfig(images_per_epoch=10), log=None),
         ValueError, ("images_per_epoch", ">= 64")),
    Case("train seed 'a'", lambda m, f: train_shapenet(TrainConfig(seed="a"), log=None), TypeError,
         ("seed", "integer")),
    # widgets: refuse rather than clamp
    Case("AscentExplorer unit=999", lambda m, f: _widgets().AscentExplorer(m, unit=999), ValueError,
         ("unit", "0..", "999")),
    Case("AscentExplorer steps=4", lambda m, f: _widgets().AscentExplorer(m, steps=4), ValueError,
         ("steps", "8..512")),
    Case("AscentExplorer size=1000", lambda m, f: _widgets().AscentExplorer(m, size=1000), ValueError,
         ("size", "16..256")),
    Case("AscentExplorer layer='fc'", lambda m, f: _widgets().AscentExplorer(m, layer="fc"), ValueError,
         ("'fc'", "spatial layer", "'conv3'")),
    Case("TopPatchesExplorer k=0", lambda m, f: _widgets().TopPatchesExplorer(m, x1(batch=4), "conv3", k=0),
         ValueError, ("k", ">= 1")),
    Case("NeighboursExplorer k=0", lambda m, f: _widgets().NeighboursExplorer(m, x1(batch=4), "conv3", k=0),
         ValueError, ("k", ">= 1")),
]


def _widgets():
    import vizlab.widgets

    return vizlab.widgets


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("weights")
    paths = {name: root / f"{name}.pt" for name in ("corrupt", "wrong", "nan", "list")}
    paths["corrupt"].write_bytes(b"this is not a weights file")
    torch.save({"features.0.weight": torch.zeros(2)}, paths["wrong"])
    state = load_model("shapenet", weights="random").state_dict()
    state["conv1.weight"][0, 0, 0, 0] = math.nan
    torch.save(state, paths["nan"])
    torch.save([1, 2, 3], paths["list"])
    return paths


def _params(cases):
    return [pytest.param(c, id=c.id, marks=pytest.mark.xfail(strict=True, reason=c.xfail) if c.xfail else ())
            for c in cases]


def assert_clear_vizlab_error(info, words):
    last = Path(traceback.extract_tb(info.tb)[-1].filename).resolve()
    assert VIZLAB_DIR in last.parents, f"raised in {last}, not by vizlab: {info.value!r}"
    message = str(info.value).lower()
    missing = [w for w in words if w.lower() not in message]
    assert not missing, f"message lacks {missing}: {info.value}"


@pytest.mark.parametrize("case", _params(CASES))
def test_bad_input_is_a_clear_vizlab_error_and_the_model_is_unchanged(case, shapenet, files):
    before = snapshot(shapenet)
    with pytest.raises((ValueError, TypeError)) as info:
        _run(case.call, shapenet, files)
    assert isinstance(info.value, case.error), repr(info.value)
    assert_clear_vizlab_error(info, case.words)
    assert_unchanged(shapenet, before)


# --- the CLI: exit 2, one line, no traceback -----------------------------------------------------
CLI_CASES = [
    (["train", "--epochs", "0"], ("--epochs", ">= 1", "got 0")),
    (["train", "--epochs", "-2"], ("--epochs", ">= 1")),
    (["train", "--epochs", "many"], ("--epochs", "invalid int", "'many'")),
    (["train", "--seed", "-1"], ("--seed", ">= 0")),
    (["train", "--seed", "abc"], ("--seed", "invalid int")),
    (["layers", "--size", "0"], ("--size", ">= 1", "got 0")),
    (["layers", "--size", "3"], ("--size", "3x3", "first kernel")),
    (["layers", "--size", "big"], ("--size", "invalid int")),
    (["layers", "shapenett"], ("'shapenett'", "shapenet")),
    (["layers", "--weights", "{corrupt}"], ("corrupt.pt", "torch.save")),
    (["layers", "--weights", "{wrong}"], ("wrong.pt", "'shapenet'")),
    (["layers", "--weights", "{nan}"], ("nan.pt", "nan", "retrain")),
    (["layers", "--weights", "{list}"], ("list.pt", "state dict")),
    (["layers", "--weights", "/no/such/file.pt"], ("/no/such/file.pt", "'pretrained'")),
    (["render", "conv9", "0", "--steps", "2"], ("'conv9'", "conv3")),
    (["render", "conv3", "64", "--steps", "2", "--size", "32"], ("64", "0..63")),
    (["render", "conv3", "-1"], ("unit", ">= 0")),
    (["render", "conv3", "0", "--steps", "0"], ("--steps", ">= 1")),
    (["render", "conv3", "0", "--size", "4"], ("--size", ">= 8")),
    (["render", "conv3", "0", "--scale", "0"], ("--scale", ">= 1")),
    (["render", "conv3", "0", "--lr", "0"], ("--lr", "> 0")),
    (["render", "conv3", "0", "--lr", "nan"], ("--lr", "finite")),
    (["render", "conv3", "0", "--kind", "best"], ("--kind", "'best'", "channel")),
    (["render", "conv3", "0", "--weights", "{corrupt}", "--steps", "2"], ("corrupt.pt", "torch.save")),
    (["render", "conv3", "zero"], ("unit", "invalid int")),
    (["frobnicate"], ("'frobnicate'", "train", "render")),
]


@pytest.mark.parametrize("argv, words", CLI_CASES, ids=[" ".join(a) for a, _ in CLI_CASES])
def test_cli_bad_input_exits_2_with_one_clear_line(argv, words, files, capsys, tmp_path, monkeypatch):
    from vizlab.cli import main

    monkeypatch.chdir(tmp_path)  # nothing is written anywhere else
    argv = [a.format(**{k: str(v) for k, v in files.items()}) for a in argv]
    try:
        code = main(argv)
    except SystemExit as exit:
        code = exit.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.strip() and "\n" not in err.strip(), f"not one line:\n{err}"
    assert "Traceback" not in err
    missing = [w for w in words if w.lower() not in err.lower()]
    assert not missing, f"message lacks {missing}: {err}"
    assert not list(tmp_path.iterdir()), "a failed command wrote a file"


def test_the_table_holds_at_least_150_bad_inputs():
    assert len(CASES) + len(CLI_CASES) + len(TRAIN_MODE_CALLS) >= 150


# --- models in training mode: refused with the fix, buffers never change -------------------------
def bn_net() -> nn.Sequential:
    """conv -> BatchNorm -> Dropout -> ReLU -> pool -> linear, left in training mode."""
    torch.manual_seed(0)
    return nn.Sequential(OrderedDict([
        ("conv", nn.Conv2d(3, 4, 3, padding=1)), ("bn", nn.BatchNorm2d(4)), ("drop", nn.Dropout(0.5)),
        ("relu", nn.ReLU()), ("avgpool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()),
        ("fc", nn.Linear(4, 3))]))


TRAIN_MODE_CALLS = {
    "saliency": lambda m, x: saliency(m, x, 0),
    "gradient": lambda m, x: gradient(m, x, 0),
    "smoothgrad": lambda m, x: smoothgrad(m, x, 0, samples=2),
    "guided_backprop": lambda m, x: guided_backprop(m, x, 0),
    "deconvnet": lambda m, x: deconvnet(m, x, 0),
    "gradcam": lambda m, x: gradcam(m, x, 0, layer="conv"),
    "guided_gradcam": lambda m, x: guided_gradcam(m, x, 0, layer="conv"),
    "project_unit": lambda m, x: project_unit(m, x, "conv", 0),
    "ascend": lambda m, x: next(ascend(m, channel("conv", 0), size=8, steps=2)),
    "top_activations": lambda m, x: top_activations(m, x, "conv", k=1, progress=False),
    "features": lambda m, x: features(m, x, "conv"),
}


@pytest.mark.parametrize("name", list(TRAIN_MODE_CALLS))
def test_a_model_in_training_mode_is_refused_with_the_fix_and_keeps_its_buffers(name):
    model = bn_net()
    before = snapshot(model)
    with pytest.raises(ValueError) as info:
        TRAIN_MODE_CALLS[name](model, torch.rand(2, 3, 8, 8))
    assert_clear_vizlab_error(info, ("training mode", "'bn'", "model.eval()"))
    assert_unchanged(model, before)          # running_mean, running_var, num_batches_tracked too
    assert model.training and model.bn.training


@pytest.mark.parametrize("name", list(TRAIN_MODE_CALLS))
def test_in_eval_mode_the_same_calls_run_and_leave_the_buffers_alone(name):
    model = bn_net()
    with torch.no_grad():
        model.bn.running_mean.uniform_(-1, 1)   # statistics that an update would visibly change
    model.eval()
    before = snapshot(model)
    TRAIN_MODE_CALLS[name](model, torch.rand(2, 3, 8, 8))
    assert_unchanged(model, before)


# --- documented conversions ----------------------------------------------------------------------
def test_a_uint8_batch_is_divided_by_255_like_load_image(shapenet):
    pixels = torch.randint(0, 256, (2, 3, 64, 64), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    as_float = pixels.float() / 255
    assert torch.equal(as_batch(pixels), as_float)
    assert torch.equal(as_batch(pixels)[0], load_image(pixels[0]))
    assert torch.equal(saliency(shapenet, pixels, 1), saliency(shapenet, as_float, 1))
    assert torch.equal(capture(shapenet, pixels, "conv2")["conv2"], capture(shapenet, as_float, "conv2")["conv2"])


def test_a_float64_batch_is_converted_to_the_models_dtype(shapenet):
    images = ok_images(batch=2)
    got = saliency(shapenet, images.double(), 1)
    assert got.dtype == torch.float32 and torch.allclose(got, saliency(shapenet, images, 1))


# --- vizlab train never overwrites the weights that ship in the package --------------------------
def test_vizlab_train_writes_to_the_current_folder_not_into_the_package(tmp_path, monkeypatch, capsys):
    from vizlab.cli import main
    from vizlab.models import train as train_module
    from vizlab.models.shapenet import ShapeNet
    from vizlab.models.zoo import SHAPENET_WEIGHTS

    shipped = SHAPENET_WEIGHTS.read_bytes()
    seen = {}

    def quick(config, **kwargs):                 # no real training: only where the result goes matters
        seen["epochs"] = config.epochs
        return train_module.TrainResult(ShapeNet(), [{"accuracy": 0.5}])

    monkeypatch.setattr(train_module, "train_shapenet", quick)
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--epochs", "1"]) == 0
    assert seen["epochs"] == 1
    assert (tmp_path / "shapenet.pt").is_file()
    assert SHAPENET_WEIGHTS.read_bytes() == shipped
    assert "weights='shapenet.pt'" in capsys.readouterr().out   # says how to use the new file
    assert load_model("shapenet", weights=tmp_path / "shapenet.pt") is not None


# --- a stalled download ends at its deadline, with a progress bar --------------------------------
class SlowResponse:
    """A server that trickles one byte every 20 ms (each read is fast: no socket timeout fires)."""
    headers = {"Content-Length": "1000000"}

    def read(self, n):
        import time

        time.sleep(0.02)
        return b"x"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


def test_a_trickling_download_stops_at_the_deadline_and_leaves_no_file(tmp_path, monkeypatch, capsys):
    from vizlab.models import zoo

    monkeypatch.setattr(zoo.urllib.request, "urlopen", lambda url, timeout: SlowResponse())
    monkeypatch.setattr(zoo, "DOWNLOAD_DEADLINE_S", 0.3)
    target = tmp_path / "alexnet.pth"
    with pytest.raises(TimeoutError, match="longer than 0 s|longer than"):
        zoo._download("http://example.invalid/alexnet.pth", target)
    assert list(tmp_path.iterdir()) == []               # no partial file, no broken cache
    assert "alexnet.pth" in capsys.readouterr().err      # the tqdm bar (text outside a notebook)
    assert issubclass(TimeoutError, OSError)             # so fetch_weights reports it as unavailable


def test_help_lists_the_four_commands_in_plain_text(capsys):
    from vizlab.cli import main

    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    description = out.split("positional arguments")[0]
    for command in ("train", "download", "layers", "render"):
        assert f"vizlab {command}" in description
    assert "``" not in out and "{train" not in out


def test_fetch_weights_reports_a_stalled_download_as_unavailable_with_what_to_do(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from vizlab.models import zoo

    monkeypatch.delenv("VIZLAB_OFFLINE", raising=False)
    monkeypatch.setattr(zoo, "weights_path", lambda name: tmp_path / "alexnet.pth")
    monkeypatch.setattr(zoo, "_torchvision_weights", lambda spec: SimpleNamespace(url="http://example.invalid/a"))
    monkeypatch.setattr(zoo.urllib.request, "urlopen", lambda url, timeout: SlowResponse())
    monkeypatch.setattr(zoo, "DOWNLOAD_DEADLINE_S", 0.2)
    with pytest.raises(vizlab.WeightsUnavailableError, match="took longer than") as info:
        zoo.fetch_weights("alexnet")
    assert "load_model('shapenet')" in str(info.value) and not (tmp_path / "alexnet.pth").exists()
