from collections import OrderedDict

import pytest
import torch
from torch import nn

from conftest import assert_unchanged, snapshot
from vizlab import load_model
from vizlab.dataprobe.receptive_field import (NotAChainError, measure_receptive_field, receptive_field,
                                              receptive_fields)

# METHODS.md §2: AlexNet's (size, jump) per layer, from the paper's architecture.
ALEXNET = {"features.0": (11, 4), "features.2": (19, 8), "features.3": (51, 8), "features.5": (67, 16),
           "features.6": (99, 16), "features.8": (131, 16), "features.10": (163, 16), "features.12": (195, 32)}


@pytest.fixture(scope="module")
def alexnet():
    return load_model("alexnet", weights="random")


def test_alexnet_fields_match_the_analytic_table(alexnet):
    fields = receptive_fields(alexnet)
    for layer, (size, jump) in ALEXNET.items():
        assert fields[layer].size == (size, size) and fields[layer].jump == (jump, jump), layer
    assert fields["features.12"].output_size == (6, 6)


def region_converter(layers, y0, y1):
    """Yosinski's rule, written independently: output rows [a, b) -> input [a s - p, (b-1) s + k_e - p)."""
    for k, s, p, d in reversed(layers):
        y0, y1 = y0 * s - p, (y1 - 1) * s + d * (k - 1) + 1 - p
    return y0, y1


def test_boxes_follow_the_layer_by_layer_region_rule(alexnet):
    conv_pool = [(11, 4, 2, 1), (3, 2, 0, 1), (5, 1, 2, 1), (3, 2, 0, 1), (3, 1, 1, 1), (3, 1, 1, 1), (3, 1, 1, 1),
                 (3, 2, 0, 1)]
    field = receptive_field(alexnet, "features.12")
    for y, x in [(0, 0), (3, 2), (5, 5), (0, 5)]:
        box = field.box(y, x)
        assert (box.top, box.bottom) == region_converter(conv_pool, y, y + 1)
        assert (box.left, box.right) == region_converter(conv_pool, x, x + 1)
    corner = field.box(0, 0)
    assert corner.clipped and corner.visible == (0, 0, corner.bottom, corner.right) and corner.top == -66


SHAPENET_LAYERS = ["conv1", "relu1", "conv2", "pool2", "conv3", "pool3", "conv4", "relu4"]


def test_analytic_size_equals_the_gradient_support_of_a_central_unit(shapenet):
    fields = receptive_fields(shapenet, input_size=96)  # large enough that central units are not clipped
    assert fields["conv1"].size == (7, 7) and fields["conv1"].jump == (2, 2)
    for layer in SHAPENET_LAYERS:
        h, w = fields[layer].output_size
        measured = measure_receptive_field(shapenet, layer, unit=(h // 2, w // 2), input_size=96)
        box = fields[layer].box(h // 2, w // 2)
        assert not box.clipped
        assert measured.size == fields[layer].size, layer
        assert (measured.top, measured.left, measured.bottom, measured.right) == \
               (box.top, box.left, box.bottom, box.right), layer


def test_border_units_are_clipped_exactly_where_the_gradient_stops(shapenet):
    field = receptive_field(shapenet, "conv4")
    for unit in [(0, 0), (7, 3), (2, 7)]:
        measured = measure_receptive_field(shapenet, "conv4", unit=unit)
        box = field.box(*unit)
        assert box.clipped and (measured.top, measured.left, measured.bottom, measured.right) == box.visible


def test_dilation_same_padding_and_ceil_mode_agree_with_measurement():
    net = nn.Sequential(OrderedDict([
        ("a", nn.Conv2d(3, 4, 3, dilation=2, padding="same")), ("b", nn.MaxPool2d(3, 2, ceil_mode=True)),
        ("c", nn.Conv2d(4, 4, (5, 3), stride=(1, 2), padding=(1, 0))), ("d", nn.AvgPool2d(2)),
        ("e", nn.Conv2d(4, 2, 3, padding=1))]))
    fields = receptive_fields(net, input_size=61)
    for layer, field in fields.items():
        for unit in [(0, 0), (field.output_size[0] // 2, field.output_size[1] // 2),
                     (field.output_size[0] - 1, field.output_size[1] - 1)]:
            measured = measure_receptive_field(net, layer, unit=unit, input_size=61)
            assert (measured.top, measured.left, measured.bottom, measured.right) == field.box(*unit).visible
    # rows: 1 + 4 + 2 + 4*2 + 1*2 + 2*4 = 25; columns: 1 + 4 + 2 + 2*2 + 1*4 + 2*8 = 31
    assert fields["e"].size == (25, 31) and fields["e"].jump == (4, 8)


def test_crop_is_zero_padded_outside_the_image(shapenet):
    image = torch.rand(3, 64, 64) * 0.9 + 0.1
    box = receptive_field(shapenet, "conv4").box(0, 0)  # rows/cols -17 .. 24
    crop = box.crop(image)
    assert crop.shape == (3, 41, 41)
    assert (crop[:, :17] == 0).all() and (crop[:, :, :17] == 0).all()
    assert torch.equal(crop[:, 17:, 17:], image[:, :24, :24])


class Branchy(nn.Module):
    """Two branches over one input: the analytic chain rule must not pretend it is a chain."""

    def __init__(self):
        super().__init__()
        self.small = nn.Conv2d(3, 2, 3, padding=1)
        self.big = nn.Conv2d(3, 2, 7, padding=3)

    def forward(self, x):
        return torch.cat([self.small(x), self.big(x)], 1)


def test_a_branch_is_a_clear_error_and_can_be_measured():
    net = nn.Sequential(OrderedDict([("stem", nn.Conv2d(3, 3, 3, padding=1)), ("branches", Branchy()),
                                     ("head", nn.Conv2d(4, 4, 3, padding=1))]))
    before = snapshot(net)
    assert list(receptive_fields(net, input_size=32)) == ["stem"]
    with pytest.raises(NotAChainError, match=r"'head'.*measure_receptive_field"):
        receptive_field(net, "head", input_size=32)
    measured = measure_receptive_field(net, "head", input_size=32)
    assert measured.size == (11, 11)  # 3 + (7 - 1) + (3 - 1): the larger branch wins
    assert_unchanged(net, before)



def test_a_forward_that_is_not_the_registered_chain_is_caught():
    class Skip(nn.Module):  # registered conv then pool, but the forward subsamples first (functionally)
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, padding=1)
            self.pool = nn.MaxPool2d(2)

        def forward(self, x):
            return self.pool(self.conv(x[:, :, ::2, ::2]))

    fields = receptive_fields(Skip(), input_size=32)
    assert "conv" not in fields and "pool" not in fields


def test_resnet_blocks_are_refused_and_its_stem_is_analytic():
    resnet = load_model("resnet18", weights="random")
    assert receptive_field(resnet, "maxpool").size == (11, 11)
    with pytest.raises(NotAChainError, match="layer1.0.conv1"):
        receptive_field(resnet, "layer1.0.conv1")


def test_global_layers_see_the_whole_image_and_bad_units_name_the_range(shapenet):
    fc = receptive_field(shapenet, "avgpool")
    assert fc.whole_image and fc.box(0, 0).size == (64, 64)
    with pytest.raises(IndexError, match=r"y in 0\.\.7, x in 0\.\.7"):
        receptive_field(shapenet, "conv4").box(8, 0)


def test_the_model_is_left_as_found(shapenet):
    before = snapshot(shapenet)
    receptive_fields(shapenet)
    measure_receptive_field(shapenet, "conv3")
    assert_unchanged(shapenet, before)
