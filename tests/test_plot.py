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


@pytest.mark.parametrize("count,ncols,rows,cols", [(4, 8, 1, 4), (8, 8, 1, 8), (12, 8, 2, 8), (3, None, 1, 3)])
def test_rows_hold_ceil_n_over_columns_and_are_never_wider_than_the_images(count, ncols, rows, cols):
    import matplotlib.pyplot as plt

    fig = show_images([torch.rand(3, 4, 4) for _ in range(count)], ncols=ncols, size=1.0)
    try:
        grid = fig.axes[0].get_subplotspec().get_gridspec()
        assert (grid.nrows, grid.ncols) == (rows, cols)
        assert sum(bool(ax.images) for ax in fig.axes) == count
    finally:
        plt.close(fig)


def test_long_multi_line_captions_overlap_neither_their_neighbours_nor_the_row_above():
    import matplotlib.pyplot as plt

    titles = [f"{k}.25\ndrawn checkerboard\nrendered from its parameters" for k in range(8)]
    fig = show_images([torch.rand(3, 8, 8) for _ in range(8)], titles, ncols=4, size=1.3)
    try:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        boxes = [ax.title.get_window_extent(renderer) for ax in fig.axes]
        pictures = [ax.images[0].get_window_extent(renderer) for ax in fig.axes]
        for i, box in enumerate(boxes):
            for j, other in enumerate(boxes[:i]):
                assert not box.overlaps(other), f"caption {i} runs into caption {j}"
            for j, picture in enumerate(pictures):
                assert j == i or not box.overlaps(picture), f"caption {i} runs into image {j}"
    finally:
        plt.close(fig)
