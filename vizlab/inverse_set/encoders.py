"""Encoders E: images -> vectors, the space in which inverse-set samples should lie far apart.

Distances are taken on E(G(c)), not on pixels, because pixel distances react to tiny shifts
(Hada & Carreira-Perpinan). The contract: ``E(images)`` (B, C, H, W) -> (B, d).

* ``FeatureEncoder(model, layer)``: the model's own features at ``layer`` (default: the
  penultimate layer, the input of the logits), averaged over positions for a feature map, and
  standardized per feature with the mean and standard deviation over reference images. The
  sampler reads its layer in the same forward pass as the constraint, so E costs nothing extra.
* ``IdentityEncoder()``: the pixels themselves, flattened (the analytic slab case).
"""
from __future__ import annotations

import torch
from torch import nn

from .. import checks
from ..probe import Probe, capture, get_layer


def penultimate_layer(model: nn.Module) -> str:
    """The leaf layer just before the model's last one (ShapeNet: ``"flatten"``, the pooled features)."""
    leaves = [name for name, m in model.named_modules() if name and not any(m.children())]
    if len(leaves) < 2:
        raise ValueError("the model needs at least two named layers to have a penultimate one; "
                         "name a layer with FeatureEncoder(model, layer=...)")
    return leaves[-2]


def as_vectors(act: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, C) by the mean over positions; (B, d) stays; otherwise flattened."""
    return act.mean((2, 3)) if act.dim() == 4 else act.flatten(1)


class FeatureEncoder(nn.Module):
    """E(images) = (features(images) - mean) / std at ``layer`` of ``model``.

    ``images``: reference images for the statistics (default: 256 images of vizlab's shapes
    dataset at the model's input size). ``standardize=False`` keeps raw features.
    """

    def __init__(self, model: nn.Module, layer: str | None = None, *, images: torch.Tensor | None = None,
                 standardize: bool = True):
        super().__init__()
        self._model = (model,)                    # not a submodule: the encoder owns no weights
        self.layer = layer or penultimate_layer(model)
        get_layer(model, self.layer)              # an unknown name fails here, with close matches
        if images is None:
            from ..data import make_shapes
            images = make_shapes(256, size=getattr(model, "input_size", 64), seed=1).images
        feats = as_vectors(capture(model, images, self.layer, batch_size=128)[self.layer]).float()
        mean, std = feats.mean(0), feats.std(0)
        if not standardize:
            mean, std = torch.zeros_like(mean), torch.ones_like(std)
        self.register_buffer("mean", mean)
        self.register_buffer("std", std.clamp(min=1e-6 * float(std.max().clamp(min=1e-12))))

    @property
    def model(self) -> nn.Module:
        return self._model[0]

    def from_activation(self, act: torch.Tensor) -> torch.Tensor:
        """E from the layer's activation (the sampler's shared forward pass)."""
        return (as_vectors(act) - self.mean.to(act)) / self.std.to(act)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        act = Probe(self.model, [self.layer], stop_early=True).run(images)[self.layer]
        return self.from_activation(act)


class IdentityEncoder(nn.Module):
    """E(images) = the flattened pixels."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return images.flatten(1)


@torch.no_grad()
def check_encoder(encoder: nn.Module, images: torch.Tensor) -> int:
    """Encode two images and check the result is one vector per image; return its length."""
    try:
        out = encoder(images[:2])
    except Exception as error:
        raise ValueError(f"the encoder failed on images of shape {tuple(images[:2].shape)}: {error}") from error
    if not isinstance(out, torch.Tensor) or out.dim() != 2 or out.shape[0] != images[:2].shape[0]:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(f"the encoder must return one vector per image, (B, d); got {shape} for "
                         f"{images[:2].shape[0]} images (flatten or pool its output)")
    return int(out.shape[1])


def pairwise_distances(encodings: torch.Tensor, others: torch.Tensor | None = None, eps: float = 1e-8) -> torch.Tensor:
    """Euclidean distances ||e_i - e_j|| (smoothed by eps under the root, so the gradient exists at 0)."""
    others = encodings if others is None else others
    squared = (encodings[:, None, :] - others[None, :, :]).pow(2).sum(-1)
    return (squared + eps).sqrt()


def mean_pairwise_distance(encodings: torch.Tensor) -> float:
    """The diversity measure: mean of ||e_i - e_j|| over all pairs i < j (0 for fewer than 2)."""
    if not isinstance(encodings, torch.Tensor) or encodings.dim() != 2 or encodings.is_complex() or \
            encodings.dtype == torch.bool:
        raise ValueError(f"encodings must be a real tensor (n, d): one row per sample, got "
                         f"{tuple(encodings.shape) if isinstance(encodings, torch.Tensor) else checks._show(encodings)}"
                         f"; a 1-D tensor of n values is encodings[:, None]")
    n = encodings.shape[0]
    if n < 2:
        return 0.0
    d = torch.cdist(encodings.double(), encodings.double())
    return float(d.triu(1).sum() / (n * (n - 1) / 2))
