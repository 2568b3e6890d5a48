import gc
import tracemalloc
import warnings

import pytest
import torch
from torch.utils.data import Dataset

from conftest import assert_unchanged, snapshot, tiny_net
from vizlab import make_shapes
from vizlab.dataprobe.top_activations import TopK, top_activations
from vizlab.images import load_image
from vizlab.probe import capture


@pytest.fixture(scope="module")
def shapes():
    return make_shapes(150, seed=3)


def brute_force(acts, k, largest):
    """Rank all images per channel by max (or min) over positions: a full stable sort."""
    flat = acts.flatten(2)
    values, positions = flat.max(2) if largest else flat.min(2)
    order = values.sort(dim=0, descending=largest, stable=True).indices[:k]
    return values.gather(0, order), order, positions.gather(0, order)


@pytest.mark.parametrize("largest", [True, False])
def test_top_k_equals_a_brute_force_ranking(shapenet, shapes, largest):
    acts = capture(shapenet, shapes.images, "conv3")["conv3"]
    values, indices, positions = brute_force(acts, 7, largest)
    result = top_activations(shapenet, shapes, "conv3", k=7, largest=largest, batch_size=37, progress=False)
    assert sorted(result) == list(range(64))
    for c, records in result.items():
        assert [r.index for r in records] == indices[:, c].tolist()
        assert torch.allclose(torch.tensor([r.value for r in records]), values[:, c])
        assert [r.position for r in records] == [divmod(p, 16) for p in positions[:, c].tolist()]
        for r in records:  # the value is the unit's activation at the reported position
            assert acts[r.index, c, r.position[0], r.position[1]] == pytest.approx(r.value, rel=1e-5)


def test_crops_are_the_receptive_field_of_the_winning_unit(shapenet, shapes):
    result = top_activations(shapenet, shapes, "conv3", channels=[3, 10], k=5, progress=False)
    for r in result[3] + result[10]:
        y, x = r.position
        top, left = 4 * y - 9, 4 * x - 9  # conv3: size 21, jump 4, padding 9
        assert (r.box.top, r.box.left, r.box.size) == (top, left, (21, 21))
        image = torch.nn.functional.pad(shapes.images[r.index], (9, 12, 9, 12))  # zero outside the image
        assert torch.equal(r.crop, image[:, top + 9:top + 30, left + 9:left + 30])


def test_ties_keep_the_earlier_image_and_images_are_not_repeated(net):
    images = torch.zeros(10, 3, 8, 8)  # every image gives the same activations
    result = top_activations(net, images, "conv1", k=4, progress=False, crops=False)
    assert all([r.index for r in records] == [0, 1, 2, 3] for records in result.values())
    assert all(r.position == (0, 0) for records in result.values() for r in records)


class Noise(Dataset):
    """Images made on demand from their index: a dataset as long as we like, in no memory."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return torch.rand(3, 16, 16, generator=torch.Generator().manual_seed(i)), i % 3


def live_tensor_bytes() -> int:
    """Bytes of every tensor storage alive in this process (each storage counted once)."""
    storages = {}
    with warnings.catch_warnings():  # isinstance on every object wakes deprecated torch attributes
        warnings.simplefilter("ignore")
        for obj in gc.get_objects():
            if type(obj) is torch.Tensor or isinstance(obj, torch.nn.Parameter):
                storage = obj.untyped_storage()
                storages[storage.data_ptr()] = storage.nbytes()
    return sum(storages.values())


def test_memory_stays_bounded_as_the_dataset_grows():
    """Measured while the scan runs: live tensors (what the scanner holds between batches) and
    Python allocations (tracemalloc) must not grow from 1,000 to 8,000 images."""
    net = tiny_net()
    live, peaks = {}, {}
    for n in (1000, 8000):
        samples = []

        def watch(done):
            if done % 500 == 0:
                samples.append(live_tensor_bytes())
        tracemalloc.start()
        top_activations(net, Noise(n), "conv2", k=5, batch_size=100, crops=False, progress=watch)
        peaks[n] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        live[n] = max(samples)
    assert live[8000] <= live[1000] + 4096, live
    assert peaks[8000] < 1.5 * peaks[1000] + 200_000, peaks


def test_the_tracker_holds_k_entries_per_channel_whatever_the_stream():
    tracker = TopK(5, 6)
    for start in range(0, 8000, 100):
        tracker.update(torch.rand(100, 6), torch.zeros(100, 6, dtype=torch.long), start)
    assert tracker.values.shape == (5, 6) and tracker.nbytes == 5 * 6 * (4 + 8 + 8)


def test_an_image_folder_gives_the_same_ranking_as_its_tensors(shapenet, tmp_path):
    shapes = make_shapes(12, seed=5)
    for i, image in enumerate(shapes.images):
        folder = tmp_path / shapes.labels[i].item().__str__()
        folder.mkdir(exist_ok=True)
        from vizlab import to_pil
        to_pil(image).save(folder / f"{i:03d}.png")
    from vizlab.dataprobe.datasets import image_folder
    dataset = image_folder(tmp_path, size=64)
    files = torch.stack([load_image(path) for path, _ in dataset.samples])
    from_folder = top_activations(shapenet, str(tmp_path), "conv2", channels=1, k=3, progress=False)
    from_tensor = top_activations(shapenet, files, "conv2", channels=1, k=3, progress=False)
    assert [r.index for r in from_folder[1]] == [r.index for r in from_tensor[1]]
    assert all(torch.allclose(a.crop, b.crop, atol=1e-6) for a, b in zip(from_folder[1], from_tensor[1]))


def test_fully_connected_units_crop_the_whole_image(shapenet, shapes):
    result = top_activations(shapenet, shapes, "fc", channels=[2], k=3, progress=False)
    assert all(r.position is None and torch.equal(r.crop, shapes.images[r.index]) for r in result[2])
    logits = capture(shapenet, shapes.images, "fc")["fc"][:, 2]
    assert [r.index for r in result[2]] == logits.sort(descending=True, stable=True).indices[:3].tolist()


def test_bad_arguments_are_clear_errors_and_the_model_is_left_as_found(net):
    before = snapshot(net)
    with pytest.raises(ValueError, match=r"channels \[9\] are not in layer 'conv1', which has channels 0\.\.3"):
        top_activations(net, torch.rand(4, 3, 8, 8), "conv1", channels=[9], progress=False)
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        top_activations(net, torch.rand(4, 3, 8, 8), "conv1", k=0)
    with pytest.raises(TypeError, match="Cannot read images"):
        top_activations(net, [1, 2], "conv1")
    assert_unchanged(net, before)


def test_progress_is_a_tqdm_bar(net, capsys):
    """tqdm.auto: a widget in notebooks; here (no notebook) tqdm's text bar on stderr."""
    top_activations(net, torch.rand(20, 3, 8, 8), "conv1", batch_size=8, progress=True)
    captured = capsys.readouterr()
    assert "100%|" in captured.err and "20/20" in captured.err and captured.out == ""
