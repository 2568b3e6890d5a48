"""The explorers and the Grader refuse a bad argument instead of clamping it (issue 22).

A table of bad arguments to every explorer's constructor in ``vizlab.widgets`` and to the
coursework ``Grader``'s ``check``. For each row:

* the error is the row's ``TypeError`` or ``ValueError``, raised by vizlab's own code (the
  traceback's last frame is in the vizlab package: no traitlets "Invalid selection", no torch);
* its message names the argument, the bad value and what is allowed (every one of the row's
  ``words``): the layers to choose from, a slider's range, eps in its pixel units;
* the model is bit-identical afterwards: parameters, buffers, modes, hooks (conftest's snapshot).

Then: an explorer given a model in training mode refuses it before any forward pass, so its
BatchNorm buffers stay as they were; a value inside a slider's range is kept, not moved.
"""
from __future__ import annotations

import math
import traceback
from pathlib import Path
from typing import Callable, NamedTuple

import pytest
import torch
from torch import nn

import vizlab
from conftest import assert_unchanged, bn_net as trained_mode_bn_net, snapshot
from vizlab.coursework import Grader
from vizlab.widgets import (AdversarialExplorer, AscentExplorer, AttributionExplorer, DreamExplorer, EmbeddingPlot,
                            FilterExplorer, InverseSetExplorer, InversionExplorer, NeighboursExplorer, QuizExplorer,
                            SaliencyExplorer, TopPatchesExplorer)

VIZLAB_DIR = Path(vizlab.__file__).resolve().parent
EPS_UNITS = "fraction of the pixel range"
CONV_LAYERS = ("'conv1'", "'conv3'", "'relu4'")          # some of the allowed layers, as the message lists them


class Case(NamedTuple):
    id: str
    call: Callable            # model -> anything
    error: type
    words: tuple              # each must appear in the message (case-insensitive)


def image(size=64, seed=0):
    return torch.rand(3, size, size, generator=torch.Generator().manual_seed(seed))


def batch(n=4, size=64, seed=0):
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed))


def images_cases(name, make):
    """The same bad ``images`` dicts, tried on every explorer that takes one."""
    return [
        Case(f"{name} images={{}}", lambda m: make(m, images={}), ValueError,
             ("images", "non-empty dict", "empty", "at least one image")),
        Case(f"{name} images=a list", lambda m: make(m, images=[image()]), TypeError, ("images", "dict", "list")),
        Case(f"{name} images=a tensor", lambda m: make(m, images=batch()), TypeError, ("images", "dict", "tensor")),
        Case(f"{name} an image above 1", lambda m: make(m, images={"bright": 2 * image()}), ValueError,
             ("images['bright']", "[0, 1]", "255")),
        Case(f"{name} an image of 2 channels", lambda m: make(m, images={"odd": torch.rand(2, 64, 64)}), ValueError,
             ("images['odd']", "shape", "(2, 64, 64)")),
        Case(f"{name} a name that is no str", lambda m: make(m, images={1: image()}), TypeError,
             ("images", "name", "str", "int 1")),
    ]


def not_a_model_cases(name, make):
    return [Case(f"{name} model={value!r}", lambda m, value=value: make(value), TypeError,
                 ("torch.nn.Module", name)) for value in (None, "shapenet")]


def dream(m, **options):
    return DreamExplorer(m, **options)


def adversarial(m, **options):
    return AdversarialExplorer(m, **options)


def inverse_set(m, **options):
    return InverseSetExplorer(m, **options)


def inversion(m, **options):
    return InversionExplorer(m, **options)


def saliency(m, **options):
    return SaliencyExplorer(m, **options)


def eps_case(id, eps, words, error=ValueError):
    return Case(id, lambda m: adversarial(m, eps=eps), error, ("eps",) + words)


EXPLORER_CASES = [
    # DreamExplorer: layer='nope' once became 'relu4', octaves=10 became 5
    Case("Dream layer='nope'", lambda m: dream(m, layer="nope"), ValueError, ("layer", "'nope'") + CONV_LAYERS),
    Case("Dream layer='conv' (a near miss)", lambda m: dream(m, layer="conv"), ValueError, ("layer", "closest", "'conv1'")),
    Case("Dream layer='fc' (no map)", lambda m: dream(m, layer="fc"), ValueError, ("layer", "'fc'", "(c, h, w) map")),
    Case("Dream layer=5", lambda m: dream(m, layer=5), TypeError, ("layer", "int 5") + CONV_LAYERS),
    Case("Dream layer=None", lambda m: dream(m, layer=None), TypeError, ("layer", "None", "'conv3'")),
    Case("Dream octaves=10", lambda m: dream(m, octaves=10), ValueError, ("octaves", "1..5", "got 10", "slider")),
    Case("Dream octaves=0 (not the default)", lambda m: dream(m, octaves=0), ValueError, ("octaves", "1..5", "got 0")),
    Case("Dream octaves=True", lambda m: dream(m, octaves=True), TypeError, ("octaves", "integer", "bool")),
    Case("Dream octaves=2.5", lambda m: dream(m, octaves=2.5), TypeError, ("octaves", "integer", "2.5")),
    Case("Dream steps=0", lambda m: dream(m, steps=0), ValueError, ("steps", "1..100", "got 0")),
    Case("Dream steps=101", lambda m: dream(m, steps=101), ValueError, ("steps", "1..100", "got 101")),
    Case("Dream steps=None", lambda m: dream(m, steps=None), TypeError, ("steps", "integer", "None")),
    Case("Dream steps=True", lambda m: dream(m, steps=True), TypeError, ("steps", "integer", "bool")),
    Case("Dream size=0", lambda m: dream(m, size=0), ValueError, ("size", ">= 1", "got 0")),
    Case("Dream size=4", lambda m: dream(m, size=4), ValueError, ("size", "4x4", "first kernel", "7x7")),
    Case("Dream size='big'", lambda m: dream(m, size="big"), TypeError, ("size", "integer", "'big'")),
    *images_cases("Dream", dream),
    *not_a_model_cases("DreamExplorer", lambda m: DreamExplorer(m)),
    # AdversarialExplorer: eps=1 once became 32/255 and eps=nan stayed nan
    eps_case("Adversarial eps=1 (above the slider)", 1, ("[0, 32/255]", "slider", "[0, 1]", EPS_UNITS, "8/255",
                                                         "255/255")),
    eps_case("Adversarial eps=40/255", 40 / 255, ("[0, 32/255]", "slider", "40/255")),
    eps_case("Adversarial eps=2 (meant 2/255)", 2, ("<= 1", EPS_UNITS, "8/255", "2.0")),
    eps_case("Adversarial eps=8 (meant 8/255)", 8, ("<= 1", "eps=8/255, not eps=8")),
    eps_case("Adversarial eps=nan", math.nan, ("finite", "nan", EPS_UNITS)),
    eps_case("Adversarial eps=inf", math.inf, ("finite", "inf")),
    eps_case("Adversarial eps=-1/255", -1 / 255, (">= 0", "-0.0039")),
    eps_case("Adversarial eps='8/255'", "8/255", ("number", "'8/255'", EPS_UNITS), TypeError),
    eps_case("Adversarial eps=True", True, ("number", "bool"), TypeError),
    eps_case("Adversarial eps=None", None, ("number", "None"), TypeError),
    Case("Adversarial steps=0", lambda m: adversarial(m, steps=0), ValueError, ("steps", "1..100", "got 0")),
    Case("Adversarial steps=500", lambda m: adversarial(m, steps=500), ValueError, ("steps", "1..100", "got 500")),
    Case("Adversarial steps=True", lambda m: adversarial(m, steps=True), TypeError, ("steps", "integer", "bool")),
    Case("Adversarial steps=1.5", lambda m: adversarial(m, steps=1.5), TypeError, ("steps", "integer", "1.5")),
    Case("Adversarial method='cw'", lambda m: adversarial(m, method="cw"), ValueError,
         ("method", "'cw'", "'fgsm'", "'bim'", "'pgd'")),
    Case("Adversarial method='PGD'", lambda m: adversarial(m, method="PGD"), ValueError,
         ("method", "'PGD'", "closest", "'pgd'")),
    Case("Adversarial method=None", lambda m: adversarial(m, method=None), TypeError, ("method", "None", "'fgsm'")),
    *images_cases("Adversarial", adversarial),
    *not_a_model_cases("AdversarialExplorer", lambda m: AdversarialExplorer(m)),
    # InverseSetExplorer: unit=999 once became 0, n=0 became 1, K=100 became 16
    Case("InverseSet unit=999", lambda m: inverse_set(m, unit=999), ValueError,
         ("unit", "0..63", "got 999", "64 channels of conv3")),
    Case("InverseSet unit=64 (one past conv3)", lambda m: inverse_set(m, unit=64), ValueError, ("unit", "0..63", "64")),
    Case("InverseSet unit=16 of conv1", lambda m: inverse_set(m, layer="conv1", unit=16), ValueError,
         ("unit", "0..15", "got 16", "channels of conv1")),
    Case("InverseSet unit=8 of the 8 classes", lambda m: inverse_set(m, kind="class", unit=8), ValueError,
         ("unit", "0..7", "got 8", "8 classes")),
    Case("InverseSet unit=-1", lambda m: inverse_set(m, unit=-1), ValueError, ("unit", "0..63", "got -1")),
    Case("InverseSet unit=True", lambda m: inverse_set(m, unit=True), TypeError, ("unit", "integer", "bool")),
    Case("InverseSet unit=1.5", lambda m: inverse_set(m, unit=1.5), TypeError, ("unit", "integer", "1.5")),
    Case("InverseSet n=0", lambda m: inverse_set(m, n=0), ValueError, ("n", "1..64", "got 0", "slider")),
    Case("InverseSet n=65", lambda m: inverse_set(m, n=65), ValueError, ("n", "1..64", "got 65")),
    Case("InverseSet n=True", lambda m: inverse_set(m, n=True), TypeError, ("n", "integer", "bool")),
    Case("InverseSet K=100", lambda m: inverse_set(m, K=100), ValueError, ("K", "1..16", "got 100", "slider")),
    Case("InverseSet K=0", lambda m: inverse_set(m, K=0), ValueError, ("K", "1..16", "got 0")),
    Case("InverseSet K=None", lambda m: inverse_set(m, K=None), TypeError, ("K", "integer", "None")),
    Case("InverseSet kind='logit'", lambda m: inverse_set(m, kind="logit"), ValueError,
         ("kind", "'logit'", "'channel'", "'neuron'", "'class'")),
    Case("InverseSet generator='gan'", lambda m: inverse_set(m, generator="gan"), ValueError,
         ("generator", "'gan'", "'shapes'", "'fourier'", "'pixels'")),
    Case("InverseSet layer='nope'", lambda m: inverse_set(m, layer="nope"), ValueError,
         ("layer", "'nope'") + CONV_LAYERS),
    Case("InverseSet layer='fc' (no map)", lambda m: inverse_set(m, layer="fc"), ValueError,
         ("layer", "'fc'", "(c, h, w) map")),
    Case("InverseSet images above 1", lambda m: inverse_set(m, images=2 * batch()), ValueError, ("[0, 1]", "255")),
    *not_a_model_cases("InverseSetExplorer", lambda m: InverseSetExplorer(m)),
    # InversionExplorer: steps=0 once became 20, size=0 meant the default
    Case("Inversion steps=0", lambda m: inversion(m, steps=0), ValueError, ("steps", "20..1000", "got 0", "slider")),
    Case("Inversion steps=10", lambda m: inversion(m, steps=10), ValueError, ("steps", "20..1000", "got 10")),
    Case("Inversion steps=5000", lambda m: inversion(m, steps=5000), ValueError, ("steps", "20..1000", "got 5000")),
    Case("Inversion steps=True", lambda m: inversion(m, steps=True), TypeError, ("steps", "integer", "bool")),
    Case("Inversion steps=200.0", lambda m: inversion(m, steps=200.0), TypeError, ("steps", "integer", "200.0")),
    Case("Inversion layer='nope'", lambda m: inversion(m, layer="nope"), ValueError,
         ("layer", "'nope'", "'conv2'", "'relu4'")),
    Case("Inversion layer=3", lambda m: inversion(m, layer=3), TypeError, ("layer", "int 3", "'conv3'")),
    Case("Inversion size=0 (not the default)", lambda m: inversion(m, size=0), ValueError,
         ("size", ">= 1", "got 0", "none")),
    Case("Inversion size=3", lambda m: inversion(m, size=3), ValueError, ("size", "3x3", "first kernel")),
    Case("Inversion size=1.5", lambda m: inversion(m, size=1.5), TypeError, ("size", "integer", "1.5")),
    *images_cases("Inversion", inversion),
    *not_a_model_cases("InversionExplorer", lambda m: InversionExplorer(m)),
    # AscentExplorer (unit, steps, size and layer out of range: tests/test_bad_input.py)
    Case("Ascent models={}", lambda m: AscentExplorer({}), ValueError, ("models", "non-empty dict", "{}")),
    Case("Ascent models='shapenet'", lambda m: AscentExplorer("shapenet"), TypeError,
         ("models", "torch.nn.Module", "'shapenet'")),
    Case("Ascent a model that is a str", lambda m: AscentExplorer({"a": "shapenet"}), TypeError,
         ("torch.nn.Module", "model 'a'")),
    Case("Ascent layer=5", lambda m: AscentExplorer(m, layer=5), TypeError, ("layer", "int 5", "'conv3'")),
    # SaliencyExplorer
    Case("Saliency noise=1", lambda m: saliency(m, noise=1), ValueError, ("noise", "0.0..0.6", "1.0", "slider")),
    Case("Saliency noise=-0.1", lambda m: saliency(m, noise=-0.1), ValueError, ("noise", "0.0..0.6", "-0.1")),
    Case("Saliency noise=nan", lambda m: saliency(m, noise=math.nan), ValueError, ("noise", "finite", "nan")),
    Case("Saliency noise='high'", lambda m: saliency(m, noise="high"), TypeError, ("noise", "number", "'high'")),
    Case("Saliency samples=0", lambda m: saliency(m, samples=0), ValueError, ("samples", "1..100", "got 0")),
    Case("Saliency samples=1000", lambda m: saliency(m, samples=1000), ValueError, ("samples", "1..100", "1000")),
    Case("Saliency samples=True", lambda m: saliency(m, samples=True), TypeError, ("samples", "integer", "bool")),
    Case("Saliency seed=-1", lambda m: saliency(m, seed=-1), ValueError, ("seed", ">= 0", "-1")),
    Case("Saliency seed=None", lambda m: saliency(m, seed=None), TypeError, ("seed", "integer", "None")),
    Case("Saliency seed='abc'", lambda m: saliency(m, seed="abc"), TypeError, ("seed", "integer", "'abc'")),
    *images_cases("Saliency", saliency),
    *not_a_model_cases("SaliencyExplorer", lambda m: SaliencyExplorer(m)),
    # AttributionExplorer and FilterExplorer
    *images_cases("Attribution", lambda m, **o: AttributionExplorer(m, **o)),
    *not_a_model_cases("AttributionExplorer", lambda m: AttributionExplorer(m)),
    Case("Filter images=None (it has no default)", lambda m: FilterExplorer(m, None), TypeError,
         ("images", "non-empty dict", "None")),
    Case("Filter an image above 1", lambda m: FilterExplorer(m, {"bright": 2 * image()}), ValueError,
         ("images['bright']", "[0, 1]")),
    Case("Filter a name that is no str", lambda m: FilterExplorer(m, {1: image()}), TypeError, ("images", "str")),
    *not_a_model_cases("FilterExplorer", lambda m: FilterExplorer(m, {"photo": image()})),
    # TopPatchesExplorer: every layer is checked, not only the first one scanned
    Case("TopPatches layers=['conv2', 'nope']", lambda m: TopPatchesExplorer(m, batch(), ["conv2", "nope"]),
         ValueError, ("layers", "'nope'", "'conv1'", "'relu4'")),
    Case("TopPatches layers=['conv2', 3]", lambda m: TopPatchesExplorer(m, batch(), ["conv2", 3]), TypeError,
         ("layers", "int 3", "'conv1'")),
    Case("TopPatches layers=[]", lambda m: TopPatchesExplorer(m, batch(), []), ValueError, ("layers", "non-empty")),
    Case("TopPatches layers=5", lambda m: TopPatchesExplorer(m, batch(), 5), TypeError, ("layers", "layer name", "5")),
    Case("TopPatches width=0", lambda m: TopPatchesExplorer(m, batch(), "conv2", width=0), ValueError,
         ("width", ">= 1", "got 0")),
    *not_a_model_cases("TopPatchesExplorer", lambda m: TopPatchesExplorer(m, batch(), "conv2")),
    # NeighboursExplorer: k once was cut to the dataset's size
    Case("Neighbours k=1000 of 4 images", lambda m: NeighboursExplorer(m, batch(), "relu4", k=1000), ValueError,
         ("k", "1..3", "got 1000", "dataset of 4")),
    Case("Neighbours k=4 of 4 images", lambda m: NeighboursExplorer(m, batch(), "relu4", k=4), ValueError,
         ("k", "1..3", "got 4")),
    Case("Neighbours width=0", lambda m: NeighboursExplorer(m, batch(), "relu4", k=2, width=0), ValueError,
         ("width", ">= 1", "got 0")),
    Case("Neighbours class_names='abc'", lambda m: NeighboursExplorer(m, batch(), "relu4", k=2, class_names="abc"),
         TypeError, ("class_names", "list of str", "'abc'")),
    # EmbeddingPlot: t-SNE's arguments are checked before the first map, not when t-SNE is chosen
    Case("EmbeddingPlot perplexity=100 for 10 points", lambda m: EmbeddingPlot(torch.rand(10, 5), perplexity=100),
         ValueError, ("perplexity", "(0, 10)", "100")),
    Case("EmbeddingPlot seed=-1", lambda m: EmbeddingPlot(torch.rand(10, 5), perplexity=3, seed=-1), ValueError,
         ("seed", ">= 0", "-1")),
    Case("EmbeddingPlot seed=None", lambda m: EmbeddingPlot(torch.rand(10, 5), perplexity=3, seed=None), TypeError,
         ("seed", "integer", "None")),
    Case("EmbeddingPlot labels of 3 for 10 points", lambda m: EmbeddingPlot(torch.rand(10, 5), [0, 1, 2], perplexity=3),
         ValueError, ("labels", "one per row", "10", "got 3")),
    Case("EmbeddingPlot feats of 1-D", lambda m: EmbeddingPlot(torch.rand(10)), ValueError, ("feats", "(n, d)", "(10,)")),
    Case("EmbeddingPlot feats a list", lambda m: EmbeddingPlot([[0.0, 1.0]]), TypeError, ("feats", "tensor", "list")),
    Case("EmbeddingPlot width=0", lambda m: EmbeddingPlot(torch.rand(10, 5), perplexity=3, width=0), ValueError,
         ("width", ">= 1", "got 0")),
    # QuizExplorer
    Case("Quiz trials=5", lambda m: QuizExplorer(5), TypeError, ("trials", "unit_trials", "int 5")),
    Case("Quiz trials=[1, 2]", lambda m: QuizExplorer([1, 2]), TypeError, ("trials", "unit_trials", "int 1")),
    Case("Quiz trials='abc'", lambda m: QuizExplorer("abc"), TypeError, ("trials", "unit_trials", "'abc'")),
]


# --- the Grader: what check() and check_all() are given -------------------------------------------
GRADER_CASES = [
    Case("Grader check(1)", lambda m: Grader("01").check(1, {}), TypeError, ("exercise 1", "q1")),
    Case("Grader check(['q1'])", lambda m: Grader("01").check(["q1"], {}), TypeError, ("exercise ['q1']", "q1")),
    Case("Grader check(env=5)", lambda m: Grader("01").check("q1", 5), TypeError, ("env", "dict", "globals()", "int 5")),
    Case("Grader check(env=[])", lambda m: Grader("01").check("q1", []), TypeError, ("env", "dict", "list")),
    Case("Grader check_all(env='globals')", lambda m: Grader("01").check_all("globals"), TypeError,
         ("env", "dict", "'globals'")),
]


def _quiz_cases():
    """Rows that need real trials (built once, on ShapeNet, in the fixture)."""
    return [
        Case("Quiz machine={'natural': 1.5}", lambda m, t: QuizExplorer(t, machine={"natural": 1.5}), ValueError,
             ("machine['natural']", "0..1", "1.5")),
        Case("Quiz machine={'natural': nan}", lambda m, t: QuizExplorer(t, machine={"natural": math.nan}), ValueError,
             ("machine['natural']", "finite", "nan")),
        Case("Quiz machine={'natural': '90 %'}", lambda m, t: QuizExplorer(t, machine={"natural": "90 %"}), TypeError,
             ("machine['natural']", "number", "'90 %'")),
        Case("Quiz machine=[0.9]", lambda m, t: QuizExplorer(t, machine=[0.9]), TypeError,
             ("machine", "dict", "list")),
    ]


CASES = EXPLORER_CASES + GRADER_CASES


def test_the_table_covers_every_public_explorer_and_holds_over_150_rows():
    named = {c.id.split()[0].replace("Explorer", "") for c in CASES + _quiz_cases()}
    explorers = {name.replace("Explorer", "") for name in vizlab.widgets.__all__} - {"Live"}
    assert explorers <= named, f"no rows for {explorers - named}"
    assert len(CASES) + len(_quiz_cases()) + len(TRAIN_MODE_EXPLORERS) >= 150
    assert len({c.id for c in CASES + _quiz_cases()}) == len(CASES) + len(_quiz_cases()), "two rows share an id"


def assert_clear_vizlab_error(info, words) -> None:
    last = traceback.extract_tb(info.tb)[-1]
    assert Path(last.filename).resolve().is_relative_to(VIZLAB_DIR), \
        f"raised outside vizlab, at {last.filename}:{last.lineno}: {info.value!r}"
    message = str(info.value).lower()
    missing = [w for w in words if w.lower() not in message]
    assert not missing, f"message lacks {missing}: {info.value}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_bad_argument_is_refused_by_name_and_leaves_the_model_bit_identical(shapenet, case):
    before = snapshot(shapenet)
    with pytest.raises((TypeError, ValueError)) as info:
        case.call(shapenet)
    assert type(info.value) is case.error or isinstance(info.value, case.error), repr(info.value)
    assert_clear_vizlab_error(info, case.words)
    assert_unchanged(shapenet, before)


@pytest.fixture(scope="module")
def trials():
    """Two hand-built 2-AFC trials of 16 px images (no model needed to show them)."""
    from vizlab import twoafc

    images = torch.rand(6, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    natural = twoafc.References("natural", images[:1], images[1:2], torch.ones(1), torch.zeros(1))
    return [twoafc.Trial("conv2", 1, natural, images[2 * i + 2:2 * i + 4], torch.tensor([1.0, 0.0]),
                         (2 * i, 2 * i + 1), 0, (100.0, 0.0)) for i in range(2)]


@pytest.mark.parametrize("case", _quiz_cases(), ids=[c.id for c in _quiz_cases()])
def test_a_bad_quiz_argument_is_refused_by_name(shapenet, trials, case):
    with pytest.raises((TypeError, ValueError)) as info:
        case.call(shapenet, trials)
    assert isinstance(info.value, case.error), repr(info.value)
    assert_clear_vizlab_error(info, case.words)


# --- a model in training mode: refused before any forward pass, buffers untouched -----------------
def bn_net() -> nn.Sequential:
    """The shared BatchNorm net (16 px inputs), in training mode."""
    net = trained_mode_bn_net()
    net.input_size = 16
    return net.train()


# (FilterExplorer and TopPatchesExplorer were refusing one already, through capture and top_activations.)
TRAIN_MODE_EXPLORERS = {
    "DreamExplorer": lambda m: DreamExplorer(m, layer="conv2", size=16),
    "AdversarialExplorer": lambda m: AdversarialExplorer(m),
    "InverseSetExplorer": lambda m: InverseSetExplorer(m, layer="conv2"),
    "InversionExplorer": lambda m: InversionExplorer(m, layer="conv2"),
    "AscentExplorer": lambda m: AscentExplorer(m),
    "SaliencyExplorer": lambda m: SaliencyExplorer(m),
    "AttributionExplorer": lambda m: AttributionExplorer(m),
}


@pytest.mark.parametrize("name", list(TRAIN_MODE_EXPLORERS))
def test_an_explorer_refuses_a_model_in_training_mode_before_touching_it(name):
    model = bn_net()
    before = snapshot(model)
    with pytest.raises(ValueError) as info:
        TRAIN_MODE_EXPLORERS[name](model)
    assert_clear_vizlab_error(info, ("training mode", "model.eval()", "'bn'"))
    assert_unchanged(model, before)            # running_mean, running_var, num_batches_tracked too
    assert model.training and model.bn.training


# --- values inside the controls' ranges are kept as given ------------------------------------------
def test_values_inside_the_ranges_are_kept_not_moved(shapenet):
    dreamer = DreamExplorer(shapenet, layer="conv2", size=48, octaves=5, steps=100)
    assert (dreamer.layer.value, dreamer.octaves.value, dreamer.steps.value) == ("conv2", 5, 100)
    attacker = AdversarialExplorer(shapenet, eps=32 / 255, steps=100, method="bim")
    assert (attacker.eps.value, attacker.steps.value, attacker.method.value) == (32, 100, "bim")
    inverter = InversionExplorer(shapenet, layer="relu4", steps=1000, size=32)
    assert (inverter.layer.value, inverter.steps.value, inverter.size) == ("relu4", 1000, 32)


def test_the_inverse_set_explorer_keeps_the_unit_it_was_given(shapenet):
    explorer = InverseSetExplorer(shapenet, layer="conv3", unit=63, n=64, K=16, generator="pixels")
    assert (explorer.first.unit.value, explorer.n.value, explorer.K.value) == (63, 64, 16)
    assert explorer.second.unit.value == 0                 # the next unit, wrapping round conv3's 64
    assert explorer.first.objective().name == vizlab.ascent.channel("conv3", 63).name
