import numpy as np
import pytest
import torch
from PIL import Image

from vizlab import as_batch, image_grid, load_image, sample_image, to_numpy, to_pil


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L"])
def test_pil_images_of_every_mode_become_three_channels_in_unit_range(mode, tmp_path):
    picture = Image.new(mode, (7, 5), color=200 if mode == "L" else (200, 100, 0, 50)[: len(mode)])
    for source in (picture, str(tmp_path / "x.png"), tmp_path / "x.png"):
        if not isinstance(source, Image.Image):
            picture.save(tmp_path / "x.png")
        image = load_image(source)
        assert image.shape == (3, 5, 7) and image.dtype == torch.float32
        assert torch.allclose(image[0], torch.full((5, 7), 200 / 255))


def test_numpy_and_tensor_layouts():
    gray = np.full((4, 6), 255, dtype=np.uint8)
    assert load_image(gray).shape == (3, 4, 6) and load_image(gray).max() == 1
    rgba = np.random.rand(4, 6, 4).astype(np.float32)
    assert torch.allclose(load_image(rgba), torch.from_numpy(rgba[..., :3]).permute(2, 0, 1))
    chw = torch.rand(3, 4, 6)
    assert torch.equal(load_image(chw), chw)
    assert torch.equal(load_image(chw[None]), chw)
    assert load_image(torch.full((4, 6), 255, dtype=torch.uint8)).max() == 1


def test_resize_and_batches():
    assert load_image(torch.rand(3, 30, 40), size=16).shape == (3, 16, 16)
    assert load_image(torch.rand(3, 30, 40), size=(10, 20)).shape == (3, 10, 20)
    assert as_batch([torch.rand(3, 5, 5), np.zeros((5, 5))]).shape == (2, 3, 5, 5)
    assert as_batch(torch.rand(3, 5, 5)).shape == (1, 3, 5, 5)


@pytest.mark.parametrize("bad, error, words", [
    (torch.full((3, 4, 4), float("nan")), ValueError, "NaN"),
    (torch.rand(5, 4, 4), ValueError, "shape"),
    (torch.rand(2, 3, 4, 4), ValueError, "shape"),
    (np.zeros((4, 4, 2)), ValueError, "shape"),
    (torch.rand(3, 4, 4) * 255, ValueError, r"\[0, 1\]"),
    (torch.zeros(3, 4, 4, dtype=torch.int64), TypeError, "uint8"),
    ([[0.5]], TypeError, "Cannot make an image"),
    ("no/such/file.png", FileNotFoundError, "No image file"),
])
def test_bad_images_get_clear_errors(bad, error, words):
    with pytest.raises(error, match=words):
        load_image(bad)


def test_a_file_that_is_not_an_image(tmp_path):
    (tmp_path / "notes.png").write_text("hello")
    with pytest.raises(ValueError, match="Could not read an image"):
        load_image(tmp_path / "notes.png")


def test_batches_of_different_sizes_are_refused():
    with pytest.raises(ValueError, match="one size"):
        as_batch([torch.rand(3, 4, 4), torch.rand(3, 5, 5)])
    with pytest.raises(ValueError, match="NaN"):
        as_batch(torch.full((1, 3, 2, 2), float("inf")))


def test_sample_photo_and_display_round_trip():
    photo = sample_image(size=64)
    assert photo.shape == (3, 64, 64) and 0 <= photo.min() and photo.max() <= 1
    assert to_numpy(photo).shape == (64, 64, 3)
    assert to_pil(photo, scale=2).size == (128, 128)
    with pytest.raises(ValueError, match="Unknown sample"):
        sample_image("cat")


def test_image_grid_places_each_image_in_its_cell():
    images = torch.arange(6.0).view(6, 1, 1, 1).expand(6, 3, 2, 2) / 10
    grid = image_grid(images, nrow=4, padding=1, pad_value=1)
    assert grid.shape == (3, 2 * 3 + 1, 4 * 3 + 1)
    assert grid[0, 1, 1] == 0 and grid[0, 1, 4] == pytest.approx(0.1) and grid[0, 4, 4] == pytest.approx(0.5)
    assert grid[0, 4, 7] == 1  # the empty seventh cell stays padding
