import pytest
import torch

from vizlab.filters import low_frequency_share
from vizlab.models.train import TrainConfig, held_out_accuracy, train_shapenet

# Lesson 01's promise: first-layer filters are smooth oriented edges and colour blobs.
MIN_LOW_FREQUENCY_SHARE = 0.90   # random initialization: about 0.51; a smooth edge: above 0.9
MIN_ACCURACY = 0.97


def assert_teaches_lesson_01(model):
    share = low_frequency_share(model.conv1.weight).median().item()
    assert share >= MIN_LOW_FREQUENCY_SHARE, f"conv1 filters too noisy: median low-frequency share {share:.3f}"
    accuracy = held_out_accuracy(model, seed=4242)
    assert accuracy >= MIN_ACCURACY, f"held-out accuracy {accuracy:.3f}"


def test_training_is_deterministic_given_its_seed():
    config = TrainConfig(epochs=1, images_per_epoch=128, batch_size=32)
    first = train_shapenet(config, log=None).model.state_dict()
    second = train_shapenet(config, log=None).model.state_dict()
    assert all(torch.equal(first[k], second[k]) for k in first)


def test_the_shipped_weights_have_smooth_filters_and_high_accuracy(shapenet):
    assert_teaches_lesson_01(shapenet)


def test_the_share_tells_noise_from_smooth_filters():
    generator = torch.Generator().manual_seed(0)
    noise = torch.randn(64, 3, 7, 7, generator=generator)
    assert 0.45 < low_frequency_share(noise).median() < 0.6          # (5/7)^2 = 0.51 expected
    y, x = torch.meshgrid(torch.arange(7.0), torch.arange(7.0), indexing="ij")
    edge = torch.tanh(x - 3).expand(3, 7, 7)[None]
    assert low_frequency_share(edge).item() > 0.9
    checker = ((x + y) % 2 * 2 - 1).expand(3, 7, 7)[None]             # the highest frequency
    assert low_frequency_share(checker).item() < 0.05


@pytest.mark.slow
def test_the_training_command_reproduces_smooth_filters_and_high_accuracy(tmp_path):
    from vizlab import load_model
    from vizlab.cli import main

    assert main(["train", "--out", str(tmp_path / "shapenet.pt")]) == 0
    assert_teaches_lesson_01(load_model("shapenet", weights=tmp_path / "shapenet.pt"))
