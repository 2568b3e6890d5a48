"""The table Mahendran & Vedaldi plot: how much of an image each layer keeps.

``inversion_table(model, images)`` inverts every image from every layer (several restarts each)
and measures, per layer:

* ``feature_error``: ||Phi(x*) - Phi_0||^2 / ||Phi_0||^2, how well the optimization matched;
* ``image_error``: ||x* - x_0|| / ||x_0 - mean||, how far the reconstruction is from the image
  (the mean colour scores 1: "knows nothing");
* ``spread``: RMS over restarts of x* minus the restarts' mean, over RMS(x_0 - mean): what the
  layer does *not* pin down (restarts agree where the features determine the pixels);
* ``class_kept``: the fraction of reconstructions the model still gives x_0's predicted class;

and what of the image survives, each measured on every reconstruction against its original
(``what_survives``), then averaged:

* ``layout``: where things are. The correlation over pixels of the two *contrast maps* (each
  pixel's distance from its image's mean colour): 1 when edges and objects sit where the
  original has them, about 0 when they are anywhere;
* ``texture``: which local patterns occur, wherever they are. The cosine between the Gram
  matrices of the model's first-layer rectified responses (Gatys et al. 2015's texture
  statistics): 1 for the same image shifted; about 0.6 between two shapes of the dataset;
* ``colour``: the distance between the two mean colours, in units of B (0: the same colour).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from .. import checks
from ..probe import _device, capture, get_layer, layer_names, without_grad
from .invert import check_images, check_strengths, final, invert
from .terms import ImageStats, feature_error, shapes_statistics


@dataclass
class LayerInversion:
    layer: str
    feature_error: float
    image_error: float
    spread: float
    class_kept: float
    layout: float
    texture: float
    colour: float
    images: torch.Tensor = field(repr=False)      # (N, restarts, 3, H, W) reconstructions
    image_errors: torch.Tensor = field(repr=False)  # (N,) per image, mean over restarts


class InversionTable(list):
    """A list of ``LayerInversion`` (one per layer, in order) that prints as a table."""

    def __str__(self) -> str:
        head = (f"{'layer':<10}{'feature err':>12}{'image err':>11}{'spread':>9}{'class kept':>12}"
                f"{'layout':>8}{'texture':>9}{'colour':>8}")
        rows = [f"{r.layer:<10}{r.feature_error:>12.4f}{r.image_error:>11.3f}{r.spread:>9.3f}{r.class_kept:>12.0%}"
                f"{r.layout:>8.2f}{r.texture:>9.2f}{r.colour:>8.2f}" for r in self]
        return "\n".join([head, *rows])

    def _repr_pretty_(self, printer, cycle):
        printer.text(str(self))

    def column(self, name: str) -> list:
        return [getattr(r, name) for r in self]


def image_error(reconstructions: torch.Tensor, originals: torch.Tensor, stats: ImageStats) -> torch.Tensor:
    """||x* - x_0|| / ||x_0 - mean colour|| per image, for (N, 3, H, W) batches."""
    return ((reconstructions - originals).flatten(1).norm(dim=1)
            / stats.centre(originals).flatten(1).norm(dim=1).clamp_min(1e-12))


def contrast_map(images: torch.Tensor) -> torch.Tensor:
    """(N, H, W): each pixel's distance from its own image's mean colour."""
    return (images - images.mean((2, 3), keepdim=True)).norm(dim=1)


def what_survives(model: nn.Module, reconstructions: torch.Tensor, originals: torch.Tensor,
                  stats: ImageStats) -> dict[str, torch.Tensor]:
    """Per pair of (N, 3, H, W) images: ``layout``, ``texture`` and ``colour`` (module docstring)."""
    a, b = contrast_map(reconstructions).flatten(1), contrast_map(originals).flatten(1)
    layout = F.cosine_similarity(a - a.mean(1, keepdim=True), b - b.mean(1, keepdim=True), dim=1)   # Pearson's r
    first = layer_names(model)[0]
    device = _device(model)

    def gram(images):
        responses = capture(model, images.to(device), first)[first].relu()
        responses = responses.flatten(2) if responses.dim() > 2 else responses[:, :, None]
        return (responses @ responses.transpose(1, 2) / responses.shape[2]).flatten(1).cpu()
    texture = F.cosine_similarity(gram(reconstructions), gram(originals), dim=1)
    colour = (reconstructions.mean((2, 3)) - originals.mean((2, 3))).norm(dim=1) / stats.scale
    return {"layout": layout, "texture": texture, "colour": colour}


def inversion_table(model: nn.Module, images: torch.Tensor, layers=None, *, restarts: int = 2,
                    steps: int = 200, stats: ImageStats | None = None, seed: int = 0,
                    **options) -> InversionTable:
    """Invert ``images`` (N, 3, H, W) from each of ``layers`` (default: every layer of the model);
    ``options`` go to ``invert`` (``tv``, ``lr``, ...). One batched run per layer."""
    checks.model(model, "inversion_table")          # before the first forward pass
    layers = layer_names(model) if layers is None else checks.layer_names(layers)
    for layer in layers:
        get_layer(model, layer)
    images = check_images(images)
    checks.image_fits(model, images.shape[-2:], "an image")
    check_strengths(restarts=restarts, steps=steps)
    stats = stats or shapes_statistics()
    device = _device(model)
    predicted = without_grad(model, images.to(device)).argmax(1).cpu()
    table = InversionTable()
    n = images.shape[0]
    for layer in layers:
        frame = final(invert(model, images, layer, restarts=restarts, steps=steps, stats=stats, seed=seed,
                             every=steps, **options))
        found = frame.images.view(n, restarts, *images.shape[1:])
        originals = images.repeat_interleave(restarts, 0)
        errors = image_error(frame.images, originals, stats).view(n, restarts)
        spread = (found - found.mean(1, keepdim=True)).pow(2).mean((1, 2, 3, 4)).sqrt()
        spread = spread / stats.centre(images).pow(2).flatten(1).mean(1).sqrt()
        kept = (without_grad(model, frame.images.to(device)).argmax(1).cpu()
                == predicted.repeat_interleave(restarts)).float().mean()
        # measured on the images returned (a prior with jitter scored shifted copies in the loop)
        matched = feature_error(capture(model, frame.images.to(device), layer)[layer],
                                capture(model, originals.to(device), layer)[layer]).mean()
        survives = {name: float(value.mean()) for name, value in what_survives(model, frame.images, originals,
                                                                              stats).items()}
        table.append(LayerInversion(layer, float(matched), float(errors.mean()), float(spread.mean()),
                                    float(kept), **survives, images=found, image_errors=errors.mean(1)))
    return table
