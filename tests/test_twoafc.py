"""The 2-AFC test of unit explanations: trials, observers, the causal variant, dissection, the lying unit."""
import math

import pytest
import torch
from torch import nn

from conftest import assert_unchanged, snapshot
from vizlab import make_shapes
from vizlab.ascent import channel, visualize
from vizlab.data.shapes import Shapes
from vizlab.inverse_set import activations
from vizlab import twoafc


@pytest.fixture(scope="module")
def pools():
    return twoafc.make_pools(300, 400, seed=0)


def unit_values(model, layer, unit, images):
    """An independent path to the unit's response: the ascent objective's value."""
    return activations(model, channel(layer, unit), images)


@pytest.mark.parametrize("layer, unit, difficulty, same_class",
                         [("conv2", 3, (100, 0), False), ("conv3", 5, (90, 10), True), ("conv4", 7, (60, 40), True)])
def test_trials_are_built_as_the_protocol_says(shapenet, pools, layer, unit, difficulty, same_class):
    before = snapshot(shapenet)
    trials = twoafc.unit_trials(shapenet, layer, unit, pools, n=12, difficulty=difficulty, same_class=same_class,
                                k=5, steps=4, seed=unit)
    assert_unchanged(shapenet, before)
    assert set(trials) == {"none", "natural", "synthetic"}
    reference_values = unit_values(shapenet, layer, unit, pools.reference.images)
    query_values = unit_values(shapenet, layer, unit, pools.query.images)
    percentile = query_values.argsort().argsort().float() * 100 / (len(query_values) - 1)
    reference_sums = pools.reference.images.flatten(1).sum(1)
    first = trials["none"]
    for condition, ts in trials.items():
        assert len(ts) == 12
        for t, f in zip(ts, first):
            assert t.condition == condition and t.query_indices == f.query_indices and t.answer == f.answer
            strong, weak = t.query_indices[t.answer], t.query_indices[1 - t.answer]
            # queries come from the held-out pool, are the images they say, and the strong one is stronger
            assert torch.equal(t.queries[t.answer], pools.query.images[strong])
            assert torch.equal(t.queries[1 - t.answer], pools.query.images[weak])
            assert not torch.isin(t.queries.flatten(1).sum(1), reference_sums).any()   # held out
            assert query_values[strong] > query_values[weak]
            assert torch.allclose(t.query_values, query_values[list(t.query_indices)], atol=1e-5)
            assert difficulty[0] - 2 < percentile[strong] <= difficulty[0]
            assert difficulty[1] <= percentile[weak] < difficulty[1] + 2
            if same_class:
                assert pools.query.labels[strong] == pools.query.labels[weak]
    assert sum(t.answer for t in first) not in (0, 12)            # the strong query is not always on one side
    refs = {c: ts[0].references for c, ts in trials.items()}
    assert len(refs["none"].maximal) == len(refs["none"].minimal) == 0
    order = reference_values.argsort(descending=True)
    assert torch.equal(refs["natural"].maximal, pools.reference.images[order[:5]])
    assert torch.equal(refs["natural"].minimal, pools.reference.images[order.flip(0)[:5]])
    expected = visualize(shapenet, channel(layer, unit), batch=5, steps=4, seed=unit).images
    assert torch.equal(refs["synthetic"].maximal, expected)
    lows = visualize(shapenet, -channel(layer, unit), batch=5, steps=4, seed=unit + 1).images
    assert torch.equal(refs["synthetic"].minimal, lows)
    assert torch.allclose(refs["synthetic"].maximal_values, unit_values(shapenet, layer, unit, expected), atol=1e-5)


def test_trials_are_seeded(shapenet, pools):
    a = twoafc.unit_trials(shapenet, "conv2", 1, pools, n=6, conditions=("natural",), seed=3)["natural"]
    b = twoafc.unit_trials(shapenet, "conv2", 1, pools, n=6, conditions=("natural",), seed=3)["natural"]
    c = twoafc.unit_trials(shapenet, "conv2", 1, pools, n=6, conditions=("natural",), seed=4)["natural"]
    assert [(t.query_indices, t.answer) for t in a] == [(t.query_indices, t.answer) for t in b]
    assert [(t.query_indices, t.answer) for t in a] != [(t.query_indices, t.answer) for t in c]


def test_true_activation_scores_100_and_guessing_50(shapenet, pools):
    oracle = twoafc.TrueActivation(shapenet)
    trials = []
    none = twoafc.References("none", pools.query.images[:0], pools.query.images[:0], torch.zeros(0), torch.zeros(0))
    for layer, unit in [("conv2", 0), ("conv2", 9), ("conv3", 11), ("conv4", 30), ("conv4", 2)]:
        values = twoafc.responses(shapenet, layer, pools.query.images)[:, unit]
        for seed, difficulty in enumerate([(100, 0), (70, 30), (55, 45)]):
            g = torch.Generator().manual_seed(seed)
            pairs = twoafc.query_pairs(values, pools.query.labels, 10, difficulty=difficulty, generator=g)
            trials += twoafc.make_trials(none, layer, unit, pools.query, values, pairs, difficulty=difficulty, generator=g)
    assert twoafc.accuracy(oracle, trials) == 1.0
    many = trials * 40                                          # 6000 coin flips
    guessed = twoafc.accuracy(twoafc.Guess(seed=1), many)
    assert abs(guessed - 0.5) < 4 * math.sqrt(0.25 / len(many))
    # the machine observer, without references, can only guess
    some = trials * 4
    assert abs(twoafc.accuracy(twoafc.pixels(), some) - 0.5) < 4 * math.sqrt(0.25 / len(some))


def test_a_similarity_observer_follows_its_references(pools):
    """With references that are copies of the queries, a similarity observer is right; with the
    references swapped, always wrong."""
    images = pools.query.images[:40]
    trials = []
    for i in range(0, 40, 2):
        refs = twoafc.References("natural", images[i:i + 1], images[i + 1:i + 2], torch.ones(1), torch.zeros(1))
        swapped = twoafc.References("natural", images[i + 1:i + 2], images[i:i + 1], torch.ones(1), torch.zeros(1))
        for r, answer in [(refs, 0), (swapped, 1)]:
            trials.append(twoafc.Trial("conv2", 0, r, images[i:i + 2], torch.tensor([1.0, 0.0]), (i, i + 1),
                                       answer, (100.0, 0.0)))
    assert twoafc.accuracy(twoafc.pixels(), trials) == 1.0


def test_the_causal_answer_is_the_exact_occlusion_effect(shapenet, pools):
    refs = twoafc.references(shapenet, "conv3", 4, "natural", pools.reference, k=3)
    for layer, unit, side in [("conv2", 6, 8), ("conv3", 4, 16), ("conv4", 12, 24)]:
        trials = twoafc.occlusion_trials(shapenet, layer, unit, pools, refs, n=8, side=side, seed=unit)
        for t in trials:
            base = unit_values(shapenet, layer, unit, t.image[None])[0]
            for box, occluded, effect in zip(t.boxes, t.queries, t.effects):
                top, left, s = box
                expected = t.image.clone()
                expected[:, top:top + s, left:left + s] = t.image[:, top:top + s, left:left + s].mean((1, 2))[:, None, None]
                assert torch.equal(occluded, expected)
                assert effect == pytest.approx(float((unit_values(shapenet, layer, unit, expected[None])[0] - base).abs()),
                                               rel=1e-5, abs=1e-4)
            assert t.answer == int(t.effects.argmax())
        assert twoafc.accuracy(twoafc.TrueActivation(shapenet), trials) == 1.0


def _detector_dataset(concept: int, n: int = 200, size: int = 20, seed: int = 0) -> Shapes:
    """Grey images with one small square each: pure red on the n / 8 images of class ``concept``,
    blue on the others. The red squares are exactly 0.5 % of all pixels, so the top 0.5 % of a red
    detector's values are exactly the concept's pixels."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(8, (n,), generator=g)
    labels[: n // 8] = concept
    labels[n // 8:][labels[n // 8:] == concept] = (concept + 1) % 8
    images = torch.full((n, 3, size, size), 0.5)
    masks = torch.zeros(n, size, size, dtype=torch.bool)
    side = int(round(math.sqrt(0.005 * size * size * n / (n // 8))))      # 4 pixels
    for i in range(n):
        top, left = torch.randint(size - side, (2,), generator=g).tolist()
        masks[i, top:top + side, left:left + side] = True
        colour = torch.tensor([1.0, 0.0, 0.0] if labels[i] == concept else [0.0, 0.0, 1.0])
        images[i][:, masks[i]] = colour[:, None]
    images += 0.01 * torch.randn(images.shape, generator=g)
    return Shapes(images.clamp(0, 1), labels, masks)


@pytest.mark.parametrize("concept", [0, 3, 6])
def test_dissection_recovers_a_concept_detector_by_construction(concept):
    shapes = _detector_dataset(concept, seed=concept)
    detector = nn.Sequential()
    detector.add_module("conv", nn.Conv2d(3, 2, 1))
    with torch.no_grad():
        detector.conv.weight.zero_()
        detector.conv.bias.zero_()
        detector.conv.weight[0, :, 0, 0] = torch.tensor([1.0, -0.5, -0.5])   # red: the concept's colour
        detector.conv.weight[1, :, 0, 0] = torch.tensor([0.3, 0.3, 0.3])     # brightness: no concept
    detector.requires_grad_(False).eval()
    result = twoafc.dissect(detector, "conv", shapes)
    assert result.detected(0) == twoafc.CONCEPTS[concept]
    assert result.iou[0, concept] >= 0.9
    assert result.iou[1].max() < 0.5


def test_concept_iou_equals_a_per_pixel_count():
    g = torch.Generator().manual_seed(5)
    maps = torch.randn(6, 3, 4, 4, generator=g)
    masks = torch.rand(6, 2, 8, 8, generator=g) > 0.7
    thresholds = twoafc.top_quantile(maps, 0.9)
    for c in range(3):
        assert (maps[:, c] > thresholds[c]).float().mean() == pytest.approx(0.1, abs=1 / 96)
    iou = twoafc.concept_iou(maps, thresholds, masks, batch_size=4)
    up = nn.functional.interpolate(maps, size=(8, 8), mode="bilinear", align_corners=False)
    for c in range(3):
        for k in range(2):
            on, lab = up[:, c] > thresholds[c], masks[:, k]
            assert iou[c, k] == pytest.approx(float((on & lab).sum() / (on | lab).sum()), abs=1e-6)


def test_the_lying_unit_matches_on_the_dataset_while_its_visualization_differs(shapenet):
    data = make_shapes(256, seed=0)
    held_out = make_shapes(256, seed=7)
    picture = make_shapes(1, seed=11).images[0]
    before = snapshot(shapenet)
    lying = twoafc.lying_model(shapenet, "conv2", 5, picture, data.images)
    assert_unchanged(shapenet, before)
    for images in (data.images, held_out.images):
        original = twoafc.responses(shapenet, "conv2", images)
        changed = twoafc.responses(lying, "conv2", images)
        assert (original - changed).abs().max() <= 1e-5
    honest = visualize(shapenet, channel("conv2", 5), steps=24, seed=0).images[0]
    shown = visualize(lying, channel("conv2", 5), steps=24, seed=0).images[0]

    def correlation(a, b):
        a, b = a.flatten() - a.mean(), b.flatten() - b.mean()
        return float(a @ b / (a.norm() * b.norm()))

    assert correlation(shown, picture) > 0.5 > correlation(honest, picture) + 0.3
    assert correlation(shown, honest) < 0.3


@pytest.mark.parametrize("call, message", [
    (lambda m, p: twoafc.references(m, "conv2", 0, "dreams", p.reference), "condition must be one of"),
    (lambda m, p: twoafc.unit_trials(m, "conv2", 0, p, n=2, difficulty=(50, 49)), "overlap"),
    (lambda m, p: twoafc.unit_trials(m, "conv2", 0, p, n=0), "n must be"),
    (lambda m, p: twoafc.occlusion_trials(m, "conv2", 0, p, None, side=1), "side must be"),
])
def test_bad_input_is_named(shapenet, pools, call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call(shapenet, pools)


def test_the_sweep_command_prints_a_table_and_saves_every_row(tmp_path, capsys):
    import csv
    import statistics

    from vizlab.cli import main

    out = tmp_path / "rows.csv"
    assert main(["twoafc", "--layers", "conv3", "--units", "2", "--pairs", "4", "--steps", "2", "--pool", "100",
                 "--difficulties", "100:0", "80:20", "--conditions", "none", "natural", "--csv", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| conv3 | 100 vs 0 |" in printed and "| conv3 | 80 vs 20 |" in printed and "2 units in" in printed
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 2 * 2 * 2 * 2                 # units x conditions x observers x difficulties
    accuracies = [float(r["accuracy"]) for r in rows if r["condition"] == "natural" and r["observer"] == "pixels"
                  and r["difficulty"] == "(100.0, 0.0)"]
    mean, half = statistics.mean(accuracies), 1.96 * statistics.stdev(accuracies) / len(accuracies) ** 0.5
    assert f"{100 * mean:.0f} ± {100 * half:.0f}%" in printed.splitlines()[2].split("|")[3]
    assert main(["twoafc", "--difficulties", "60"]) == 2
    assert main(["twoafc", "--units", "0"]) == 2
