"""What an explorer of inverse sets shows beside the samples: where a band lies among dataset
images, how far activation maximization goes, and what the model calls each sample."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .. import checks
from ..ascent.objectives import Objective
from ..ascent.recipes import visualize
from ..probe import Probe, _device, capture


@dataclass
class NeuronProfile:
    """``values`` (N,) the neuron's activation on each dataset image; ``actmax`` its value on the
    image that gradient ascent (lesson 06's default recipe) finds; ``default_band`` the dataset's
    90th to 99th percentile."""
    values: torch.Tensor
    actmax: float

    @property
    def default_band(self) -> tuple[float, float]:
        return quantile_band(self.values, 0.9, 0.99)


def most_variable_channel(model: nn.Module, layer: str, images: torch.Tensor) -> tuple[int, torch.Tensor]:
    """The channel of ``layer`` whose spatial mean varies most over ``images`` (the largest
    standard deviation), with that mean on each image (N,): a unit chosen by a measured
    property, which a retrained model cannot break the way it breaks a fixed index."""
    means = capture(model, images, layer)[layer].mean((2, 3))
    unit = int(means.std(0).argmax())
    return unit, means[:, unit]


def quantile_band(values: torch.Tensor, low: float, high: float) -> tuple[float, float]:
    """The ``low`` and ``high`` quantiles of ``values``: a band that dataset images reach
    (0 <= low <= high <= 1; a reversed band is refused, not returned reversed)."""
    low = checks.number(low, "low", minimum=0, maximum=1, hint=" (a quantile)")
    high = checks.number(high, "high", minimum=0, maximum=1, hint=" (a quantile)")
    if low > high:
        raise ValueError(f"quantile_band needs low <= high, got low={low:g} > high={high:g}")
    if not isinstance(values, torch.Tensor) or values.numel() == 0 or values.dtype == torch.bool or \
            values.is_complex():
        raise TypeError(f"values must be a non-empty tensor of activations, got {checks._show(values)}")
    return tuple(float(q) for q in values.float().quantile(torch.tensor([low, high])))


@torch.no_grad()
def activations(model: nn.Module, objective: Objective, images: torch.Tensor, batch_size: int = 128) -> torch.Tensor:
    """The objective's value (N,) on each image (any image shape the model takes)."""
    checks.model(model, "activations")                   # before the first forward pass
    checks.integer(batch_size, "batch_size", minimum=1)
    out = []
    probe = Probe(model, objective.layers, stop_early=True)          # hooks on during each run() only
    for chunk in images.to(_device(model)).split(batch_size):
        out.append(objective(probe.run(chunk)).float().cpu())
    return torch.cat(out)


def neuron_profile(model: nn.Module, objective: Objective, images: torch.Tensor, *, actmax_steps: int = 48,
                   size: int | None = None) -> NeuronProfile:
    """The dataset activations of ``objective`` and the value activation maximization reaches."""
    size = size or images.shape[-1]
    best = visualize(model, objective, size=size, steps=actmax_steps, seed=0)
    return NeuronProfile(activations(model, objective, images), float(activations(model, objective, best.images)[0]))


@torch.no_grad()
def predictions(model: nn.Module, images: torch.Tensor) -> list[str]:
    """The model's predicted class name for each image."""
    if len(images) == 0:
        return []
    names = getattr(model, "class_names", None)
    classes = model(images.to(_device(model))).argmax(1).tolist()
    return [names[k] if names else str(k) for k in classes]
