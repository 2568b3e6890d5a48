import math

import pytest
import torch

from vizlab import filters_for_display, first_conv, impulse_response
from vizlab.filters import orientation_selectivity


def grating(fy: int, fx: int, k: int = 7) -> torch.Tensor:
    """A cosine of whole cycles per kernel, in all three colours: (1, 3, k, k)."""
    y, x = torch.meshgrid(torch.arange(k).double(), torch.arange(k).double(), indexing="ij")
    return torch.cos(2 * math.pi * (fy * y + fx * x) / k).expand(3, k, k)[None]


def gabor(theta: float, k: int = 7, cycles: float = 2, sigma: float = 1.6) -> torch.Tensor:
    r = torch.arange(k).double() - k // 2
    y, x = torch.meshgrid(r, r, indexing="ij")
    across = x * math.cos(theta) + y * math.sin(theta)
    return (torch.exp(-(x**2 + y**2) / (2 * sigma**2)) * torch.cos(2 * math.pi * cycles * across / k)).expand(3, k, k)[None]


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


def test_orientation_selectivity_on_gratings_is_exact():
    # A grating has all its energy at +f and -f, one orientation: 1. (Without doubling the angles,
    # +f and -f would cancel to 0.) Two orthogonal gratings of equal power: 0. A grating at 0
    # and one at 45 degrees: doubled angles 0 and 90, so |1 + i| / 2.
    assert orientation_selectivity(grating(0, 2)).item() == pytest.approx(1, abs=1e-9)
    assert orientation_selectivity(grating(3, 1)).item() == pytest.approx(1, abs=1e-9)
    assert orientation_selectivity(grating(0, 2) + grating(2, 0)).item() == pytest.approx(0, abs=1e-9)
    assert orientation_selectivity(grating(0, 2) + grating(2, 2)).item() == pytest.approx(math.sqrt(0.5), abs=1e-9)


def test_a_gabor_is_oriented_and_a_blob_is_not():
    gabors = torch.cat([gabor(theta) for theta in torch.linspace(0, math.pi, 13)[:-1].tolist()])
    assert (orientation_selectivity(gabors) >= 0.85).all()
    r = torch.arange(7).double() - 3
    y, x = torch.meshgrid(r, r, indexing="ij")
    blob = torch.exp(-(x**2 + y**2) / 4)
    blobs = torch.stack([blob.expand(3, 7, 7),                        # a grey blob
                         torch.stack([blob, -blob, blob]),             # green against magenta
                         torch.tensor([1.0, -1.0, 0.5]).view(3, 1, 1).expand(3, 7, 7)])  # a uniform colour
    assert orientation_selectivity(blobs).max() < 1e-6   # the uniform colour's energy has no direction


def test_orientation_selectivity_ignores_scale_and_quarter_turns_and_is_low_for_noise():
    weight = torch.randn(200, 3, 7, 7, generator=torch.Generator().manual_seed(0))
    selectivity = orientation_selectivity(weight)
    assert selectivity.shape == (200,) and ((selectivity >= 0) & (selectivity <= 1)).all()
    assert torch.allclose(orientation_selectivity(3 * weight + 1), selectivity)
    assert torch.allclose(orientation_selectivity(weight.rot90(1, (2, 3))), selectivity)
    assert selectivity.median() < 0.2
    with pytest.raises(ValueError, match="shape"):
        orientation_selectivity(torch.randn(3, 7, 7))
