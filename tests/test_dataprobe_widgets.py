import pytest
import torch

from conftest import assert_unchanged, snapshot
from vizlab import CLASSES, make_shapes
from vizlab.dataprobe.feature_space import features, nearest_neighbours
from vizlab.dataprobe.top_activations import top_activations
from vizlab.images import image_grid
from vizlab.widgets.neighbours import EmbeddingPlot, NeighboursExplorer
from vizlab.widgets.render import image_png
from vizlab.widgets.top_patches import TopPatchesExplorer


@pytest.fixture(scope="module")
def shapes():
    return make_shapes(80, seed=11)


def test_top_patches_shows_the_engines_top_and_bottom_crops(shapenet, shapes):
    before = snapshot(shapenet)
    explorer = TopPatchesExplorer(shapenet, shapes, ["conv2", "conv4"], k=9)
    explorer.layer.value = "conv4"
    assert explorer.channel.max == 63
    explorer.channel.value = 12
    top = top_activations(shapenet, shapes, "conv4", channels=12, progress=False)[12]
    bottom = top_activations(shapenet, shapes, "conv4", channels=12, largest=False, progress=False)[12]
    expected = [image_png(image_grid(torch.stack([r.crop for r in rs]), nrow=3, padding=2), scale=2)
                for rs in (top, bottom)]
    assert (explorer.top_view.value, explorer.bottom_view.value) == tuple(expected)
    assert "conv4, channel 12" in explorer.caption.value and "41×41" in explorer.caption.value
    assert_unchanged(shapenet, before)


def test_switching_layers_keeps_the_channel_in_range(shapenet, shapes):
    explorer = TopPatchesExplorer(shapenet, shapes, ["conv4", "conv1"], k=4)
    explorer.channel.value = 50
    explorer.layer.value = "conv1"
    assert explorer.channel.max == 15 and explorer.channel.value == 15
    assert "conv1, channel 15" in explorer.caption.value


def test_neighbours_follow_the_query_and_the_space(shapenet, shapes):
    explorer = NeighboursExplorer(shapenet, shapes, "relu4", k=5, class_names=CLASSES)
    explorer.query.value = 7
    feats, _ = features(shapenet, shapes, "relu4", pool="avg")
    _, idx = nearest_neighbours(feats[7], feats, k=6)
    assert explorer.neighbours()[1].tolist() == idx.tolist() and idx[0] == 7
    shown = explorer.view.value
    explorer.space.value = "pixels"
    _, pixel_idx = nearest_neighbours(shapes.images[7].flatten(), shapes.images.flatten(1), k=6)
    assert explorer.neighbours()[1].tolist() == pixel_idx.tolist()
    assert explorer.view.value != shown and explorer.caption.value.startswith("query, then nearest: #7")


def test_the_embedding_plot_switches_method_and_thumbnails(shapes):
    feats = shapes.images.flatten(1)[:, ::50]
    plot = EmbeddingPlot(feats, shapes.labels, CLASSES, images=shapes.images, perplexity=10)
    pca_png = plot.view.value
    assert "PCA" in plot.caption.value and pca_png[:4] == b"\x89PNG"
    plot.thumbnails.value = True
    assert plot.view.value != pca_png
    plot.method.value = "tsne"
    assert "t-SNE" in plot.caption.value and "tsne" in plot._maps
    assert EmbeddingPlot(feats, shapes.labels).thumbnails.disabled  # no images, no thumbnails
