"""The differentiable shapes renderer agrees with make_shapes, ShapeNet reads its renders as their
class, and on ShapeNet every sample of a unit, a class logit and an intersection is in its band."""
import pytest
import torch

from conftest import assert_unchanged, snapshot
from vizlab import CLASSES, capture, make_shapes
from vizlab.ascent import channel, class_logit
from vizlab.inverse_set import ShapesGenerator, dataset_codes, inverse_set, most_variable_channel, quantile_band
from vizlab.inverse_set.shapes_renderer import CODE_SIZE


def test_rendering_the_parameters_of_dataset_images_reproduces_them():
    codes, labels = dataset_codes(300, seed=2)                 # crosses a chunk boundary (256)
    data = make_shapes(300, seed=2)
    generator = ShapesGenerator(64)
    with torch.no_grad():
        renders = generator(codes)
    assert torch.equal(labels, data.labels) and torch.equal(generator.labels(codes), labels)
    difference = (renders - data.images).abs().mean((1, 2, 3))
    # make_shapes adds pixel noise of std up to 0.06 (mean |noise| <= 0.048); nothing else differs
    assert difference.max() < 0.05 and difference.mean() < 0.03
    assert ((renders - data.images).abs() > 0.3).float().mean() < 1e-3     # no misplaced edge or colour


def test_shapenet_reads_random_renders_of_each_type_as_that_type(shapenet):
    generator = torch.Generator().manual_seed(0)
    for k, name in enumerate(CLASSES):
        codes = torch.rand(64, CODE_SIZE, generator=generator)
        with torch.no_grad():
            predicted = shapenet(ShapesGenerator(64, classes=(name,))(codes)).argmax(1)
        assert (predicted == k).float().mean() >= 0.9, name


def test_renders_are_images_in_0_1_with_a_gradient_for_the_continuous_codes():
    codes = torch.rand(4, CODE_SIZE, requires_grad=True)
    images = ShapesGenerator(32)(codes)
    assert images.shape == (4, 3, 32, 32) and images.min() >= 0 and images.max() <= 1
    images.mean().backward()
    assert codes.grad[:, 1:].abs().sum() > 0 and torch.all(codes.grad[:, 0] == 0)   # the class is discrete


@pytest.fixture(scope="module")
def story(shapenet):
    """A conv3 channel and its dataset band, chosen by a measured property: the channel whose
    mean varies most over dataset images (no hard-coded index: a retrain cannot break this)."""
    data = make_shapes(256, seed=1)
    unit, values = most_variable_channel(shapenet, "conv3", data.images)
    square = CLASSES.index("square")
    logits = capture(shapenet, data.images, "fc")["fc"][data.labels == square, square]
    return unit, quantile_band(values, 0.9, 0.99), square, quantile_band(logits, 0.5, 0.9)


def check_in_band(shapenet, result, objectives, bands):
    acts = capture(shapenet, result.images, ["conv3", "fc"])
    for objective, (z1, z2) in zip(objectives, bands):
        values = objective(acts)
        assert ((values >= z1) & (values <= z2)).all(), (values, z1, z2)


def test_every_sample_of_a_unit_is_in_its_band(shapenet, story):
    unit, band, *_ = story
    before = snapshot(shapenet)
    result = inverse_set(shapenet, channel("conv3", unit), band, n=8, K=8, generator="shapes", seed=0)
    assert result.status == "done" and len(result) == 8
    check_in_band(shapenet, result, [channel("conv3", unit)], [band])
    assert_unchanged(shapenet, before)


def test_every_sample_of_a_class_logit_is_in_its_band(shapenet, story):
    *_, square, logit_band = story
    result = inverse_set(shapenet, class_logit("fc", square), logit_band, n=8, K=8, generator="shapes", seed=0)
    assert result.status == "done" and len(result) == 8
    check_in_band(shapenet, result, [class_logit("fc", square)], [logit_band])


def test_every_sample_of_an_intersection_is_in_both_bands(shapenet, story):
    unit, band, square, logit_band = story
    objectives = [channel("conv3", unit), class_logit("fc", square)]
    bands = [(band[0], band[1] + 1.0), logit_band]
    result = inverse_set(shapenet, objectives, bands, n=8, K=8, generator="shapes", seed=0)
    assert result.status == "done" and len(result) == 8
    check_in_band(shapenet, result, objectives, bands)
