"""Load a model by name: ``load_model("shapenet")``, ``load_model("alexnet")``, ...

Every model comes back the same way:

* it takes images in [0, 1]; its normalization happens inside ``forward`` (the statistics are
  the buffers ``input_mean`` and ``input_std``), so step sizes and epsilons mean the same in
  every lesson;
* it is in eval mode with its parameters frozen (``requires_grad=False``): vizlab differentiates
  with respect to the *input*, and gradients for millions of weights would only cost time;
* it carries ``name``, ``class_names`` and ``input_size`` attributes.

``weights`` is ``"pretrained"`` (the default), ``"random"`` (a fresh initialization, for sanity
checks) or the path of a file holding a state dict. ShapeNet's weights ship inside vizlab;
ImageNet weights come from torchvision's cache, and are downloaded there when a network is
available. Without one you get an error that says what to do, never a hang.
"""
from __future__ import annotations

import difflib
import os
import socket
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from .. import checks
from ..data.shapes import CLASSES
from .shapenet import MEAN as SHAPES_MEAN, STD as SHAPES_STD, ShapeNet

SHAPENET_WEIGHTS = Path(__file__).parent / "weights" / "shapenet.pt"
# A second ShapeNet, same architecture and training, another seed (`vizlab train --seed 1`):
# adversarial examples made against one are tested on the other (transfer, lesson 09).
SHAPENET_SEED1_WEIGHTS = Path(__file__).parent / "weights" / "shapenet_seed1.pt"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
DOWNLOAD_TIMEOUT_S = 20          # the longest wait for any single read (a dead connection)
DOWNLOAD_DEADLINE_S = 900        # the whole download (a connection that trickles); see _download


class WeightsUnavailableError(RuntimeError):
    """Pretrained weights are neither cached nor downloadable.

    ``path`` is where the cache expects the file, ``url`` where it comes from, ``reason`` why it
    is not there (e.g. "the download failed (...)") and ``offline`` whether ``VIZLAB_OFFLINE``
    forbade the download."""

    def __init__(self, message: str, *, path: Path, url: str, reason: str, offline: bool):
        super().__init__(message)
        self.path, self.url, self.reason, self.offline = path, url, reason, offline


@dataclass(frozen=True)
class ModelSpec:
    build: Callable[[], nn.Module]          # the architecture, randomly initialized
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    input_size: int
    torchvision_weights: str | None = None  # e.g. "AlexNet_Weights.IMAGENET1K_V1"
    finish: Callable[[nn.Module], None] = lambda model: None  # after loading a state dict
    weights_file: Path | None = None         # shipped weights (default: ShapeNet's) when not torchvision's


def _torchvision(builder: str, **kwargs) -> Callable[[], nn.Module]:
    def build():
        import torchvision.models  # imported lazily: it takes seconds

        return getattr(torchvision.models, builder)(weights=None, **kwargs)
    return build


def _drop_googlenet_aux(model: nn.Module) -> None:
    # torchvision's checkpoint holds the auxiliary classifiers; inference never uses them.
    model.aux_logits, model.aux1, model.aux2 = False, None, None


MODELS: dict[str, ModelSpec] = {
    "shapenet": ModelSpec(ShapeNet, SHAPES_MEAN, SHAPES_STD, 64),
    "alexnet": ModelSpec(_torchvision("alexnet"), IMAGENET_MEAN, IMAGENET_STD, 224, "AlexNet_Weights.IMAGENET1K_V1"),
    "vgg16": ModelSpec(_torchvision("vgg16"), IMAGENET_MEAN, IMAGENET_STD, 224, "VGG16_Weights.IMAGENET1K_V1"),
    "googlenet": ModelSpec(
        _torchvision("googlenet", aux_logits=True, transform_input=True, init_weights=True),
        IMAGENET_MEAN, IMAGENET_STD, 224, "GoogLeNet_Weights.IMAGENET1K_V1", finish=_drop_googlenet_aux),
    "resnet18": ModelSpec(_torchvision("resnet18"), IMAGENET_MEAN, IMAGENET_STD, 224, "ResNet18_Weights.IMAGENET1K_V1"),
    "shapenet-seed1": ModelSpec(ShapeNet, SHAPES_MEAN, SHAPES_STD, 64, weights_file=SHAPENET_SEED1_WEIGHTS),
}


def available_models() -> list[str]:
    return list(MODELS)


def load_model(name: str = "shapenet", *, weights: str | Path = "pretrained", device: str | torch.device = "cpu") -> nn.Module:
    """The model ``name`` (see ``available_models()``), ready for vizlab: eval mode, frozen, [0, 1] input."""
    spec = _spec(name)
    if not isinstance(weights, (str, os.PathLike)):
        raise TypeError(f"weights must be 'pretrained', 'random' or the path of a weights file, "
                        f"got {checks._show(weights)}")
    device = _device_arg(device)
    if isinstance(weights, str) and weights == "random":
        model = spec.build()
    else:
        # Read the weights first (a missing file fails before anything is built), then build the
        # architecture without memory ("meta") and take the loaded tensors as its parameters:
        # no random initialization. A cached ImageNet file is memory-mapped (see _mapped_load): the
        # parameters are its pages, one copy of the weights instead of two.
        pretrained = isinstance(weights, str) and weights == "pretrained"
        state = _pretrained_state_dict(name, spec) if pretrained else _read_weights_file(name, weights)
        with torch.device("meta"):
            model = spec.build()
        _load(model, state, name, source="the pretrained file" if pretrained else str(weights))
    spec.finish(model)
    model = normalized(model, spec.mean, spec.std)
    model.name, model.input_size, model.class_names = name, spec.input_size, _class_names(spec)
    model.requires_grad_(False)
    return model.eval().to(device)


def _device_arg(device) -> torch.device:
    """``device`` as a torch.device that exists on this machine."""
    try:
        device = torch.device(device)
    except (TypeError, RuntimeError, ValueError):
        raise ValueError(f"device must be 'cpu', 'cuda', 'cuda:0', 'mps' or a torch.device, "
                         f"got {checks._show(device)}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={str(device)!r} but this machine has no CUDA GPU: use device='cpu'")
    return device


def normalized(model: nn.Module, mean, std) -> nn.Module:
    """Make ``model`` take images in [0, 1]: its forward first computes ``(images - mean) / std``.

    The model keeps its class, layers and layer names (it becomes an instance of a subclass
    that only adds this first step), so ``features.0`` is still ``features.0``.
    """
    cls = type(model)
    if not issubclass(cls, _NormalizesInput):
        model.__class__ = _normalizing_subclass(cls)
    model.register_buffer("input_mean", torch.tensor(mean, dtype=torch.float32)[:, None, None], persistent=False)
    model.register_buffer("input_std", torch.tensor(std, dtype=torch.float32)[:, None, None], persistent=False)
    return model


class _NormalizesInput:
    """The first step of a loaded model. Its class is made at run time, so pickling names it by
    the architecture it extends (``torch.save``, ``pickle`` and ``copy.deepcopy`` then work), and
    a copy drops the hooks that vizlab's probes had on the original when it was taken."""

    def forward(self, images):
        return super().forward((images - self.input_mean) / self.input_std)

    def __reduce_ex__(self, protocol):
        return (_new_normalized, (type(self).__bases__[1],), self.__getstate__())

    def __setstate__(self, state):
        super().__setstate__(state)
        from ..probe import strip_inert_hooks           # models sit below the probe: imported late
        strip_inert_hooks(self)


def _new_normalized(cls: type):
    """An empty instance of ``cls``'s normalizing subclass, for unpickling (state is set after)."""
    return object.__new__(_normalizing_subclass(cls))


_subclasses: dict[type, type] = {}


def _normalizing_subclass(cls: type) -> type:
    if cls not in _subclasses:
        _subclasses[cls] = type(cls.__name__, (_NormalizesInput, cls), {"__module__": cls.__module__})
    return _subclasses[cls]


def _spec(name: str) -> ModelSpec:
    if not isinstance(name, str) or name not in MODELS:
        close = difflib.get_close_matches(str(name), MODELS, n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(f"Unknown model {name!r}.{hint} Available models: {', '.join(MODELS)}.")
    return MODELS[name]


def _class_names(spec: ModelSpec) -> list[str]:
    if spec.torchvision_weights is None:
        return list(CLASSES)
    return list(_torchvision_weights(spec).meta["categories"])


def _torchvision_weights(spec: ModelSpec):
    import torchvision.models

    return torchvision.models.get_weight(spec.torchvision_weights)


def _read_weights_file(name: str, path, *, mapped: bool = False) -> dict:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"weights={str(path)!r} is not a file. Pass weights='pretrained', weights='random' "
            f"or the path of a file holding a state dict for {name!r}.")
    try:
        state = _mapped_load(path) if mapped else torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # pickle, zip and torch errors alike: the file is not a state dict
        reason = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
        raise ValueError(f"{path} is not a PyTorch weights file that vizlab can read ({reason}). "
                         f"Pass a file saved with torch.save(model.state_dict(), path), e.g. by "
                         f"'vizlab train --out {path.name}', or weights='pretrained'") from None
    if not isinstance(state, dict):
        raise ValueError(f"{path} does not hold a state dict (a mapping of parameter names to tensors); "
                         f"save one with torch.save(model.state_dict(), path)")
    return state


def _mapped_load(path: Path) -> dict:
    """``torch.load`` of a state dict whose tensors are memory-mapped from the file.

    Without ``mmap=True`` torch holds a second copy of the file while it loads, and the process
    keeps that memory: VGG-16's 528 MB file costs about twice its size (Binder kills a kernel past
    2 GB). The mapping is private (copy-on-write): writing to a parameter never changes the file.
    Only for files that are replaced, never rewritten in place, while a model may be using them
    (torchvision's cache: ``_download`` renames a finished file into it): truncating a mapped file
    would crash the process at the next read of a weight. A file in torch's legacy (non-zip)
    format cannot be mapped and is read the plain way.
    """
    try:
        return torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except RuntimeError as error:
        if "mmap" not in str(error) or "zip" not in str(error):
            raise
    return torch.load(path, map_location="cpu", weights_only=True)


def _load(model: nn.Module, state: dict, name: str, source: str) -> None:
    """Load ``state``, refusing another architecture's weights and non-finite values (NaN/Inf
    weights give NaN everywhere downstream, far from the cause)."""
    try:
        model.load_state_dict(state, assign=True)
    except (RuntimeError, TypeError, AttributeError, KeyError) as error:
        wrong = " ".join(str(error).split("\n\t", 1)[-1].split())[:300]
        raise ValueError(f"{source} does not hold weights for {name!r} ({wrong}). Pass a file saved from "
                         f"load_model({name!r}) (e.g. by 'vizlab train'), or weights='pretrained'") from None
    for key, value in model.state_dict().items():
        if value.is_floating_point() and value.numel() and not _finite(value):
            raise ValueError(f"{source} holds NaN or infinite values in {key!r}: the training that made it "
                             f"diverged. Retrain (e.g. with a smaller lr) or use weights='pretrained'")


def _finite(values: torch.Tensor) -> bool:
    """Whether every value is finite, with no temporary as large as ``values``: ``torch.isfinite``
    on VGG-16's first classifier layer alone allocates 0.5 GB, the same again as all its weights.
    The extremes propagate NaN, and an infinity is an extreme."""
    low, high = torch.aminmax(values)
    return bool(torch.isfinite(low) and torch.isfinite(high))


def _pretrained_state_dict(name: str, spec: ModelSpec) -> dict:
    if spec.torchvision_weights is None:
        return _read_weights_file(name, spec.weights_file or SHAPENET_WEIGHTS)
    return _read_weights_file(name, fetch_weights(name), mapped=True)


def weights_path(name: str) -> Path:
    """Where torchvision's cache keeps ``name``'s ImageNet weights (``$TORCH_HOME/hub/checkpoints``)."""
    spec = _spec(name)
    if spec.torchvision_weights is None:
        return spec.weights_file or SHAPENET_WEIGHTS
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(_torchvision_weights(spec).url)


def fetch_weights(name: str) -> Path:
    """The cached weights file of ``name``, downloaded first if needed (and allowed)."""
    path = weights_path(name)
    if path.is_file():
        return path
    url = _torchvision_weights(_spec(name)).url
    offline = bool(os.environ.get("VIZLAB_OFFLINE"))
    why = "VIZLAB_OFFLINE is set" if offline else None
    if why is None:
        try:
            _download(url, path)
            return path
        except (OSError, socket.timeout) as error:  # URLError and HTTPError are OSErrors
            why = f"the download failed ({error})"
    raise WeightsUnavailableError(
        f"No pretrained weights for {name!r}: they are not in the cache ({path}) and {why}.\n"
        f"What you can do:\n"
        f"  * use the embedded model, which needs no download: load_model('shapenet');\n"
        f"  * on a machine with internet, download them once: python -m vizlab download {name}\n"
        f"    (or copy the file to {path});\n"
        f"  * pass a file you already have: load_model({name!r}, weights='path/to/file.pth');\n"
        f"  * or use random weights for a sanity check: load_model({name!r}, weights='random').",
        path=path, url=url, reason=why, offline=offline)


def _download(url: str, path: Path, *, deadline_s: float | None = None) -> None:
    """Download to a temporary file first, so an interrupted download never leaves a broken cache.

    Each read waits at most ``DOWNLOAD_TIMEOUT_S`` (a dead connection) and the whole download at
    most ``deadline_s`` (default ``DOWNLOAD_DEADLINE_S``; a connection that trickles bytes would
    otherwise hang a lesson for hours); a ``tqdm.auto`` bar shows the progress.
    """
    from tqdm.auto import tqdm

    deadline_s = DOWNLOAD_DEADLINE_S if deadline_s is None else deadline_s
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".partial", delete=False) as partial:
        try:
            with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
                total = int(response.headers.get("Content-Length") or 0) or None
                with tqdm(total=total, unit="B", unit_scale=True, desc=path.name) as bar:
                    while chunk := response.read(1 << 16):
                        partial.write(chunk)
                        bar.update(len(chunk))
                        if time.monotonic() - started > deadline_s:
                            raise TimeoutError(f"it took longer than {deadline_s:.0f} s (got {bar.n:,} bytes)")
        except BaseException:
            partial.close()
            os.unlink(partial.name)
            raise
    os.replace(partial.name, path)
