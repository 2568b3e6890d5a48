"""The causal 2-AFC (Zimmermann et al., NeurIPS 2021): which of two occlusions of a query image
changes the unit's response more?

A square patch of the image is replaced by its mean colour (Zimmermann et al. fill with the
patch's mean, so the occluder brings no new edges inside it). The exact answer comes from the
network: the effect of an occlusion is |r(x) - r(x occluded)|, with r the unit's response.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .. import checks
from .trials import Pools, References, responses


def occlude(image: torch.Tensor, box: tuple[int, int, int]) -> torch.Tensor:
    """A copy of ``image`` (3, H, W) with the square ``box`` = (top, left, side) filled with its mean colour."""
    top, left, side = box
    out = image.clone()
    patch = out[:, top:top + side, left:left + side]
    patch[:] = patch.mean((1, 2), keepdim=True)
    return out


def occlusion_effects(model: nn.Module, layer: str, channel: int, image: torch.Tensor, boxes) -> torch.Tensor:
    """|r(image) - r(occluded by box)| for each box: (len(boxes),)."""
    batch = torch.stack([image] + [occlude(image, box) for box in boxes])
    values = responses(model, layer, batch)[:, channel]
    return (values[1:] - values[0]).abs()


@dataclass(frozen=True)
class OcclusionTrial:
    """``image`` the query; ``queries`` (2, 3, H, W) its two occlusions at ``boxes``; ``effects``
    the exact change of the unit's response under each; ``answer`` the larger one's index."""
    layer: str
    channel: int
    references: References
    image: torch.Tensor
    boxes: tuple[tuple[int, int, int], tuple[int, int, int]]
    queries: torch.Tensor
    effects: torch.Tensor
    answer: int

    @property
    def condition(self) -> str:
        return self.references.condition


def occlusion_trials(model: nn.Module, layer: str, channel: int, pools: Pools, refs: References, *, n: int = 20,
                     side: int = 16, seed: int = 0) -> list[OcclusionTrial]:
    """``n`` occlusion trials on the unit's strongest held-out query images (top 5 %): two
    distinct boxes of ``side`` pixels on a grid of stride ``side // 2``; their effects differ."""
    checks.integer(n, "n", minimum=1)
    size = pools.query.images.shape[-1]
    checks.integer(side, "side", minimum=2, maximum=size // 2)
    values = responses(model, layer, pools.query.images)[:, channel]
    strong = values.argsort(descending=True, stable=True)[:max(n, len(values) // 20)]
    grid = range(0, size - side + 1, side // 2)
    boxes = [(top, left, side) for top in grid for left in grid]
    generator = torch.Generator().manual_seed(checks.integer(seed, "seed", minimum=0))
    trials = []
    for _ in range(50 * n):
        if len(trials) == n:
            break
        index = int(strong[torch.randint(len(strong), (1,), generator=generator)])
        a, b = torch.randperm(len(boxes), generator=generator)[:2].tolist()
        image = pools.query.images[index]
        effects = occlusion_effects(model, layer, channel, image, [boxes[a], boxes[b]])
        if effects[0] == effects[1]:
            continue
        trials.append(OcclusionTrial(layer, channel, refs, image, (boxes[a], boxes[b]),
                                     torch.stack([occlude(image, boxes[a]), occlude(image, boxes[b])]),
                                     effects, int(effects[1] > effects[0])))
    if len(trials) < n:
        raise ValueError(f"channel {channel} of {layer!r} responds the same to almost every occlusion: "
                         f"only {len(trials)} of {n} trials have an answer")
    return trials
