import matplotlib
import pytest
import torch

matplotlib.use("Agg")  # no display in CI

from vizlab.plot import show_images  # noqa: E402


@pytest.mark.parametrize("colorbar", [False, True])
def test_maps_get_a_colour_bar_that_reads_their_values_and_pictures_none(colorbar):
    import matplotlib.pyplot as plt

    signed_map = torch.tensor([[-2.0, 0.5], [1.0, 0.0]])
    fig = show_images([torch.rand(3, 4, 4), signed_map], ["picture", "map"], colorbar=colorbar)
    try:
        images = [ax.images[0] for ax in fig.axes if ax.images]
        assert len(images) == 2
        assert images[1].get_clim() == (-2.0, 2.0)          # centred on zero: white is 0
        bars = [ax for ax in fig.axes if not ax.images and ax.get_label() == "<colorbar>"]
        assert len(bars) == (1 if colorbar else 0)          # only the map has one
    finally:
        plt.close(fig)
