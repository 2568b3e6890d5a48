"""What an explorer of inverse sets shows beside the samples: where a band lies among dataset
images, how far activation maximization goes, and what the model calls each sample."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..ascent.objectives import Objective
from ..ascent.recipes import visualize
from ..probe import Probe, _device


@dataclass
class NeuronProfile:
    """``values`` (N,) the neuron's activation on each dataset image; ``actmax`` its value on the
    image that gradient ascent (lesson 06's default recipe) finds; ``default_band`` the dataset's
    90th to 99th percentile."""
    values: torch.Tensor
    actmax: float

    @property
    def default_band(self) -> tuple[float, float]:
        low, high = self.values.quantile(torch.tensor([0.9, 0.99])).tolist()
        return low, high


@torch.no_grad()
def activations(model: nn.Module, objective: Objective, images: torch.Tensor, batch_size: int = 128) -> torch.Tensor:
    """The objective's value (N,) on each image (any image shape the model takes)."""
    out = []
    with Probe(model, objective.layers, stop_early=True) as probe:
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
