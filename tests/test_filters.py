import pytest
import torch

from vizlab import filters_for_display, first_conv, impulse_response


def test_symmetric_scaling_maps_zero_to_grey_and_the_largest_weight_to_an_extreme():
    weight = torch.randn(6, 3, 5, 5)
    weight[2] = 0  # a dead filter
    tiles = filters_for_display(weight)
    assert torch.all(tiles[2] == 0.5)
    assert torch.isclose(tiles.min(), torch.tensor(0.0)) or torch.isclose(tiles.max(), torch.tensor(1.0))
    assert torch.allclose(tiles, weight / (2 * weight.abs().max()) + 0.5)


def test_per_filter_scaling_stretches_each_filter_even_a_nearly_dead_one():
    weight = torch.randn(4, 3, 5, 5)
    weight[1] *= 1e-6
    tiles = filters_for_display(weight, scaling="per_filter")
    assert torch.allclose(tiles.amin((1, 2, 3)), torch.zeros(4)) and torch.allclose(tiles.amax((1, 2, 3)), torch.ones(4))
    with pytest.raises(ValueError, match="symmetric"):
        filters_for_display(weight, scaling="log")
    with pytest.raises(ValueError, match="shape"):
        filters_for_display(torch.randn(4, 5, 3, 3))


def test_impulse_response_is_the_kernel_rotated_by_180_degrees(shapenet):
    name, conv = first_conv(shapenet)
    assert name == "conv1"
    response = impulse_response(conv)
    assert response.shape == conv.weight.shape
    assert torch.allclose(response, conv.weight.flip(-2, -1), atol=1e-6)
    assert not torch.allclose(response, conv.weight, atol=1e-3)  # the rotation is real


def test_first_conv_needs_a_colour_convolution():
    with pytest.raises(ValueError, match="3 input channels"):
        first_conv(torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3)))
