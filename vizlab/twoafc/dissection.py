"""Network Dissection (Bau et al., CVPR 2017; NetDissect-Lite's settings): what concept a unit detects.

For each unit: threshold its activation maps at the top 0.5 % of its values over the dataset
(the quantile T_k with P(a > T_k) = 0.005), upsample each map bilinearly to the image's size,
and compute over the whole dataset

    IoU(k, c) = sum_x |{a_k(x) > T_k} & L_c(x)| / sum_x |{a_k(x) > T_k} | L_c(x)|

with L_c(x) concept c's mask on image x. The unit detects the concept of highest IoU if it
exceeds 0.04. ShapeNet's dataset knows its concepts exactly: each class's object mask (empty on
images of other classes) and the background (every pixel outside the object).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from .. import checks
from ..data.shapes import CLASSES, Shapes
from ..probe import capture

CONCEPTS = CLASSES + ("background",)
QUANTILE = 0.995
MIN_IOU = 0.04


def concept_masks(shapes: Shapes) -> torch.Tensor:
    """(N, len(CONCEPTS), H, W) bool: class c's object mask on its images, then the background."""
    by_class = F.one_hot(shapes.labels, len(CLASSES)).bool()[:, :, None, None] & shapes.masks[:, None]
    return torch.cat([by_class, ~shapes.masks[:, None]], 1)


def top_quantile(maps: torch.Tensor, quantile: float = QUANTILE) -> torch.Tensor:
    """Per channel of ``maps`` (N, C, h, w), the value that a share ``1 - quantile`` of its values exceed: (C,)."""
    values = maps.transpose(0, 1).flatten(1)
    rank = min(max(int(round(quantile * values.shape[1])), 1), values.shape[1])
    return values.kthvalue(rank, dim=1).values


def concept_iou(maps: torch.Tensor, thresholds: torch.Tensor, masks: torch.Tensor, *, batch_size: int = 64) -> torch.Tensor:
    """IoU (C, K) of each channel's upsampled, thresholded maps (N, C, h, w) with masks (N, K, H, W), over all N."""
    if maps.shape[0] != masks.shape[0]:
        raise ValueError(f"maps and masks must cover the same images, got {maps.shape[0]} and {masks.shape[0]}")
    c, k = maps.shape[1], masks.shape[1]
    inter, union = torch.zeros(c, k), torch.zeros(c, k)
    for m, l in zip(maps.split(batch_size), masks.split(batch_size)):
        up = F.interpolate(m.float(), size=l.shape[-2:], mode="bilinear", align_corners=False)
        on = (up > thresholds[None, :, None, None]).flatten(2).float()          # (B, C, P)
        lab = l.flatten(2).float()                                               # (B, K, P)
        both = torch.einsum("bcp,bkp->ck", on, lab)
        inter += both
        union += on.sum((0, 2))[:, None] + lab.sum((0, 2))[None, :] - both
    return inter / union.clamp(min=1)


@dataclass(frozen=True)
class Dissection:
    """``iou`` (C, K) per unit and concept; ``concepts`` the K names; ``thresholds`` (C,)."""
    layer: str
    iou: torch.Tensor
    thresholds: torch.Tensor
    concepts: tuple[str, ...] = CONCEPTS
    min_iou: float = MIN_IOU

    def detected(self, unit: int) -> str | None:
        """The concept ``unit`` detects (highest IoU, if above ``min_iou``), or None."""
        best = int(self.iou[unit].argmax())
        return self.concepts[best] if float(self.iou[unit, best]) > self.min_iou else None

    def summary(self) -> dict[str, int]:
        """{concept: how many units detect it}, with "none" for the units that detect nothing."""
        counts: dict[str, int] = {}
        for unit in range(self.iou.shape[0]):
            name = self.detected(unit) or "none"
            counts[name] = counts.get(name, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: -item[1]))

    @property
    def share_detecting(self) -> float:
        return sum(self.detected(u) is not None for u in range(self.iou.shape[0])) / self.iou.shape[0]


def dissect(model: nn.Module, layer: str, shapes: Shapes, *, quantile: float = QUANTILE, min_iou: float = MIN_IOU,
            batch_size: int = 128) -> Dissection:
    """Network Dissection of every channel of ``layer`` over ``shapes`` (images, labels, masks)."""
    checks.number(quantile, "quantile", minimum=0.5, maximum=1.0)
    checks.number(min_iou, "min_iou", minimum=0.0, maximum=1.0)
    maps = capture(model, shapes.images, layer, batch_size=batch_size)[layer].float().cpu()
    if maps.dim() != 4:
        raise ValueError(f"layer {layer!r} has no spatial maps (shape {tuple(maps.shape)}): dissect a conv layer")
    thresholds = top_quantile(maps, quantile)
    return Dissection(layer, concept_iou(maps, thresholds, concept_masks(shapes)), thresholds, CONCEPTS, min_iou)
