import pytest
import torch

from conftest import hook_count
from vizlab import WeightsUnavailableError, available_models, load_model
from vizlab.data import CLASSES, make_shapes
from vizlab.models import zoo
from vizlab.models.shapenet import MEAN, STD, ShapeNet


def test_shapenet_scores_at_least_95_percent_on_freshly_generated_images(shapenet):
    data = make_shapes(1000, seed=2026)  # a seed training never draws from
    with torch.no_grad():
        accuracy = (shapenet(data.images).argmax(1) == data.labels).float().mean().item()
    assert accuracy >= 0.95


def test_models_come_back_in_eval_mode_frozen_and_described(shapenet):
    assert not shapenet.training and not any(m.training for m in shapenet.modules())
    assert not any(p.requires_grad for p in shapenet.parameters())
    assert shapenet.name == "shapenet" and shapenet.class_names == list(CLASSES) and shapenet.input_size == 64
    assert hook_count(shapenet) == 0


def test_normalization_happens_inside_the_model_and_any_input_size_works(shapenet):
    bare = ShapeNet().eval()
    bare.load_state_dict(torch.load(zoo.SHAPENET_WEIGHTS, weights_only=True))
    images = torch.rand(2, 3, 96, 80)
    expected = bare((images - torch.tensor(MEAN)[:, None, None]) / torch.tensor(STD)[:, None, None])
    assert torch.allclose(shapenet(images), expected, atol=1e-5)
    assert type(shapenet).__name__ == "ShapeNet" and isinstance(shapenet, ShapeNet)


def test_random_and_file_weights(tmp_path, shapenet):
    random = load_model("shapenet", weights="random")
    assert not torch.equal(random.conv1.weight, shapenet.conv1.weight)
    path = tmp_path / "mine.pt"
    torch.save(random.state_dict(), path)
    again = load_model("shapenet", weights=path)
    assert torch.equal(again.conv1.weight, random.conv1.weight)


def test_bad_names_and_files_get_clear_errors(tmp_path):
    with pytest.raises(ValueError, match=r"Unknown model 'alexnett'.*'alexnet'.*Available models: shapenet"):
        load_model("alexnett")
    with pytest.raises(FileNotFoundError, match="not a file"):
        load_model("shapenet", weights=str(tmp_path / "missing.pt"))
    torch.save(torch.nn.Linear(2, 2).state_dict(), tmp_path / "linear.pt")
    with pytest.raises(ValueError, match="does not hold weights for 'shapenet'"):
        load_model("shapenet", weights=tmp_path / "linear.pt")


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    return tmp_path / "hub" / "checkpoints"


def test_offline_without_cached_weights_says_what_to_do(empty_cache, monkeypatch):
    monkeypatch.setenv("VIZLAB_OFFLINE", "1")
    monkeypatch.setattr(zoo, "_download", lambda *a: pytest.fail("must not try the network"))
    with pytest.raises(WeightsUnavailableError) as error:
        load_model("alexnet")
    message = str(error.value)
    for advice in ("load_model('shapenet')", "python -m vizlab download alexnet", "weights=", str(empty_cache)):
        assert advice in message


def test_a_failed_download_becomes_the_same_clear_error(empty_cache, monkeypatch):
    import urllib.error

    monkeypatch.delenv("VIZLAB_OFFLINE", raising=False)

    def no_network(url, path):
        raise urllib.error.URLError("Temporary failure in name resolution")

    monkeypatch.setattr(zoo, "_download", no_network)
    with pytest.raises(WeightsUnavailableError, match="download failed.*name resolution"):
        load_model("resnet18")


def test_cached_imagenet_weights_load_without_the_network(empty_cache, monkeypatch):
    monkeypatch.setenv("VIZLAB_OFFLINE", "1")
    reference = load_model("resnet18", weights="random")
    empty_cache.mkdir(parents=True)
    torch.save(reference.state_dict(), zoo.weights_path("resnet18"))
    model = load_model("resnet18")
    assert torch.equal(model.conv1.weight, reference.conv1.weight)
    assert len(model.class_names) == 1000 and model.input_size == 224
    images = torch.rand(1, 3, 64, 64)
    assert torch.allclose(model(images), reference(images), atol=1e-5)


def test_googlenet_architecture_loads_without_auxiliary_heads():
    model = load_model("googlenet", weights="random")
    assert model.aux1 is None and model(torch.rand(1, 3, 96, 96)).shape == (1, 1000)
    assert set(available_models()) >= {"shapenet", "alexnet", "vgg16", "googlenet", "resnet18"}


def test_pretrained_weights_are_read_first_and_become_the_parameters(empty_cache, monkeypatch):
    """Building VGG16 (550 MB of random initialization) before finding out that its weights are
    unavailable, or holding the weights twice while loading, pushed lessons past 1.5 GB."""
    import dataclasses

    monkeypatch.setenv("VIZLAB_OFFLINE", "1")
    built = []
    spec = zoo.MODELS["alexnet"]
    monkeypatch.setitem(zoo.MODELS, "alexnet", dataclasses.replace(spec, build=lambda: built.append(1) or spec.build()))
    with pytest.raises(WeightsUnavailableError):
        load_model("alexnet")
    assert built == []                                       # nothing was built for nothing

    state = torch.load(zoo.SHAPENET_WEIGHTS, map_location="cpu", weights_only=True)
    monkeypatch.setattr(zoo, "_pretrained_state_dict", lambda name, spec: state)
    model = load_model("shapenet")
    assert model.conv1.weight.data_ptr() == state["conv1.weight"].data_ptr()   # one copy, not two
    assert all(not t.is_meta for t in [*model.parameters(), *model.buffers()])


def _mapped_files() -> str:
    with open("/proc/self/maps") as maps:
        return maps.read()


@pytest.mark.skipif(not __import__("os").path.exists("/proc/self/maps"), reason="reads Linux's /proc")
def test_cached_imagenet_weights_are_memory_mapped_and_a_legacy_file_still_loads(empty_cache, monkeypatch):
    """Read into memory, VGG-16's file cost twice its size on Binder; mapped, its pages are the
    parameters. A file of torch's legacy format cannot be mapped and is read the plain way; a
    file the user passes is never mapped (they may overwrite it while the model lives)."""
    monkeypatch.setenv("VIZLAB_OFFLINE", "1")
    reference = load_model("resnet18", weights="random")
    empty_cache.mkdir(parents=True)
    cached = zoo.weights_path("resnet18")
    torch.save(reference.state_dict(), cached)
    model = load_model("resnet18")
    assert str(cached) in _mapped_files()
    assert torch.equal(model.fc.weight, reference.fc.weight)
    del model

    torch.save(reference.state_dict(), cached, _use_new_zipfile_serialization=False)
    legacy = load_model("resnet18")
    assert torch.equal(legacy.conv1.weight, reference.conv1.weight)
    del legacy

    own = empty_cache.parent / "own.pt"
    torch.save(reference.state_dict(), own)
    mine = load_model("resnet18", weights=own)
    assert str(own) not in _mapped_files() and torch.equal(mine.layer1[0].conv1.weight, reference.layer1[0].conv1.weight)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("where", [0, -1, 37])
def test_weights_with_a_non_finite_value_are_refused(tmp_path, bad, where):
    state = torch.load(zoo.SHAPENET_WEIGHTS, map_location="cpu", weights_only=True)
    state["conv2.weight"].view(-1)[where] = bad
    torch.save(state, tmp_path / "diverged.pt")
    with pytest.raises(ValueError, match=r"NaN or infinite values in 'conv2.weight'"):
        load_model("shapenet", weights=tmp_path / "diverged.pt")
    assert zoo._finite(torch.tensor([-3.0e38, 0.0, 3.0e38])) and zoo._finite(torch.zeros(2, 3, dtype=torch.float16))
