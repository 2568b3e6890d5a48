import pytest
import torch

from vizlab.data import CLASSES, ShapesDataset, make_shapes


def test_the_same_seed_gives_the_same_images_and_another_seed_does_not():
    a, b, c = make_shapes(40, seed=5), make_shapes(40, seed=5), make_shapes(40, seed=6)
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels) and torch.equal(a.masks, b.masks)
    assert not torch.equal(a.images, c.images)


def test_an_image_is_the_same_alone_in_a_batch_or_streamed_from_the_dataset():
    batch = make_shapes(600, seed=2)
    dataset = ShapesDataset(600, seed=2)
    for i in (0, 255, 256, 511, 599):
        image, label = dataset[i]
        assert torch.equal(image, batch.images[i]) and label == batch.labels[i]
        assert torch.equal(dataset.mask(i), batch.masks[i])
        assert torch.equal(make_shapes(1, seed=2, start=i).images[0], batch.images[i])


def test_batches_have_every_class_images_in_range_and_a_mask_per_image():
    data = make_shapes(400, size=48, seed=0)
    assert data.images.shape == (400, 3, 48, 48) and data.masks.shape == (400, 48, 48)
    assert data.images.min() >= 0 and data.images.max() <= 1
    assert set(data.labels.tolist()) == set(range(len(CLASSES))) and len(CLASSES) >= 8
    area = data.masks.float().mean((1, 2))
    assert area.min() > 0.02 and area.max() < 0.5


def test_the_mask_covers_the_object_for_solid_shapes():
    """Inside the mask a solid shape is one colour plus noise; the mask's rim is another colour."""
    data = make_shapes(200, seed=3)
    for image, label, mask in zip(data.images, data.labels, data.masks):
        if label >= 4:
            continue
        inside = image[:, mask]
        ring = torch.nn.functional.max_pool2d(mask[None, None].float(), 5, 1, 2)[0, 0].bool() & ~mask
        outside = image[:, ring]
        assert inside.std(1).max() < 0.1
        assert (inside.mean(1) - outside.mean(1)).abs().max() > 0.2


def test_the_dataset_streams_without_holding_every_image():
    dataset = ShapesDataset(100_000, seed=0)
    image, label = dataset[99_999]
    assert image.shape == (3, 64, 64) and 0 <= label < len(CLASSES)
    assert dataset._cached[1].images.shape[0] == 256  # one chunk in memory, not 100,000 images


@pytest.mark.parametrize("kwargs", [dict(n=-1), dict(n=3, size=8), dict(n=3, seed=-2), dict(n=2.5)])
def test_bad_arguments_get_clear_errors(kwargs):
    with pytest.raises(ValueError, match="must be"):
        make_shapes(**kwargs)


def test_indexing_past_the_end_raises_index_error():
    with pytest.raises(IndexError, match="out of range"):
        ShapesDataset(10)[10]
