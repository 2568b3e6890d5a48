import pytest
import torch

from vizlab import make_shapes
from vizlab.dataprobe.feature_space import features, nearest_neighbours, pca_2d, tsne_2d
from vizlab.probe import capture


@pytest.fixture(scope="module")
def shapes():
    return make_shapes(120, seed=7)


def test_features_pool_the_layer_as_asked(shapenet, shapes):
    acts = capture(shapenet, shapes.images, "relu3")["relu3"]
    avg, labels = features(shapenet, shapes, "relu3", pool="avg", batch_size=50)
    flat, _ = features(shapenet, shapes.images, "relu3", batch_size=50)
    assert torch.allclose(avg, acts.mean((2, 3)), atol=1e-5) and torch.equal(labels, shapes.labels)
    assert torch.allclose(flat, acts.flatten(1), atol=1e-5)
    with pytest.raises(ValueError, match="pool must be"):
        features(shapenet, shapes, "relu3", pool="mean")


def test_neighbours_equal_a_brute_force_loop(shapenet, shapes):
    feats, _ = features(shapenet, shapes, "relu4", pool="avg")
    queries = torch.randn(5, feats.shape[1]) * feats.std() + feats.mean(0)
    dist, idx = nearest_neighbours(queries, feats, k=6, chunk=2)
    for q in range(5):
        loop = torch.tensor([float(((queries[q] - f) ** 2).sum().sqrt()) for f in feats])
        expected = loop.sort(stable=True)
        assert idx[q].tolist() == expected.indices[:6].tolist()
        assert torch.allclose(dist[q], expected.values[:6], rtol=1e-5)


def test_a_query_from_the_dataset_finds_itself_first_at_distance_zero(shapenet, shapes):
    feats, _ = features(shapenet, shapes, "relu4", pool="flatten")
    dist, idx = nearest_neighbours(feats[:30], feats, k=3)
    assert idx[:, 0].tolist() == list(range(30))
    assert (dist[:, 0] == 0).all() and (dist[:, 1] > 0).all()
    single_d, single_i = nearest_neighbours(feats[4], feats, k=2)
    assert single_i[0] == 4 and single_d[0] == 0


def test_neighbour_arguments_are_checked():
    with pytest.raises(ValueError, match=r"k must be an integer in 1\.\.4"):
        nearest_neighbours(torch.rand(2, 3), torch.rand(4, 3), k=5)
    with pytest.raises(ValueError, match="must share D"):
        nearest_neighbours(torch.rand(2, 3), torch.rand(4, 5))


def test_pca_of_data_in_a_plane_explains_all_the_variance():
    g = torch.Generator().manual_seed(0)
    plane = torch.randn(2, 20, generator=g)
    coords = torch.randn(200, 2, generator=g) * torch.tensor([3.0, 1.0])
    emb = pca_2d(coords @ plane + 5)
    assert sum(emb.explained_variance_ratio) == pytest.approx(1.0, abs=1e-9)
    # Distances within the plane are kept exactly by the projection.
    exact = "donot_use_mm_for_euclid_dist"
    inside = torch.cdist(coords @ plane, coords @ plane, compute_mode=exact)
    assert torch.allclose(torch.cdist(emb.points, emb.points, compute_mode=exact), inside, rtol=1e-4, atol=1e-4)


def test_tsne_is_reproducible_and_separates_well_separated_clusters():
    g = torch.Generator().manual_seed(1)
    centres = torch.randn(3, 10, generator=g) * 20
    labels = torch.arange(60) % 3
    feats = centres[labels] + torch.randn(60, 10, generator=g)
    a, b = tsne_2d(feats, perplexity=10, seed=3), tsne_2d(feats, perplexity=10, seed=3)
    assert torch.equal(a.points, b.points)
    nearest = torch.cdist(a.points, a.points).fill_diagonal_(float("inf")).argmin(1)
    assert (labels[nearest] == labels).all()
    with pytest.raises(ValueError, match=r"perplexity must be in \(0, 60\)"):
        tsne_2d(feats, perplexity=60)


def test_neighbours_of_long_vectors_never_allocate_more_than_a_chunk_budget():
    """Lesson 03 ranks 400 raw images (12288 numbers each): the exact distances of all queries at
    once took 1.5 GB. Every temporary must stay within CHUNK_BYTES, whatever the sizes."""
    from torch.utils._python_dispatch import TorchDispatchMode

    from vizlab.dataprobe.feature_space import CHUNK_BYTES

    class LargestTensor(TorchDispatchMode):
        largest = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            for t in out if isinstance(out, (tuple, list)) else [out]:
                if isinstance(t, torch.Tensor):
                    self.largest = max(self.largest, t.numel() * t.element_size())
            return out

    database = torch.rand(300, 3 * 32 * 32, generator=torch.Generator().manual_seed(0))
    with LargestTensor() as seen:
        dist, idx = nearest_neighbours(database, database, k=5)
    assert seen.largest <= CHUNK_BYTES, f"a temporary of {seen.largest / 2**20:.0f} MB"
    assert idx[:, 0].tolist() == list(range(300)) and (dist[:, 0] == 0).all()
    brute = torch.cdist(database.double(), database.double()).topk(5, largest=False)
    assert idx.tolist() == brute.indices.tolist()
