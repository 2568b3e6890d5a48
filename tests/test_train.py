import pytest
import torch

from vizlab.models.train import TrainConfig, held_out_accuracy, train_shapenet


def test_training_is_deterministic_given_its_seed():
    config = TrainConfig(epochs=1, images_per_epoch=128, batch_size=32)
    first = train_shapenet(config, log=None).model.state_dict()
    second = train_shapenet(config, log=None).model.state_dict()
    assert all(torch.equal(first[k], second[k]) for k in first)


@pytest.mark.slow
def test_the_training_command_reproduces_a_model_above_95_percent(tmp_path):
    from vizlab import load_model
    from vizlab.cli import main

    assert main(["train", "--out", str(tmp_path / "shapenet.pt")]) == 0
    model = load_model("shapenet", weights=tmp_path / "shapenet.pt")
    assert held_out_accuracy(model, seed=4242) >= 0.95
