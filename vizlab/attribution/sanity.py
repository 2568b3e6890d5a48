"""Sanity checks for saliency maps (Adebayo et al. 2018): cascading randomization.

If a map explains the model, destroying the model must destroy the map. Re-initialize the
layers one after another from the top (the classifier) down, recompute each method's map after
every step, and measure how similar it still is to the map of the trained model with the
Spearman rank correlation. Plain gradients and Grad-CAM decorrelate quickly; guided backprop
barely changes -- it behaves much like an edge detector of the image.

Everything happens on a deep copy of the model: the user's model is never touched.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

import torch
from torch import nn

from .gradcam import gradcam
from .gradients import channel_max, gradient, saliency
from .targets import fixed_targets, input_leaf


def default_methods(gradcam_layer: str | None = None) -> dict:
    """Name -> ``f(model, images, target) -> (B, H, W)`` for the methods compared by default."""
    methods = {
        "gradient": saliency,
        "guided backprop": lambda m, x, t: channel_max(gradient(m, x, t, rule="guided")),
    }
    if gradcam_layer is not None:
        methods["Grad-CAM"] = lambda m, x, t: gradcam(m, x, t, layer=gradcam_layer)
    return methods


@dataclass
class SanityCheck:
    """The result: ``similarity[s, k]`` is the mean Spearman correlation, over the images,
    between method ``k``'s map after step ``s`` and its map for the trained model (step 0,
    ``"trained"``). ``maps[name]`` holds every step's maps, (steps, B, H, W).

    A constant map (Grad-CAM's often is, once a layer is random) has no rank order, so its
    correlation is undefined: the mean is taken over the other images, and ``ranked[s, k]``
    counts the images it is over (NaN only where no image has one). The table shows the count
    where images were left out, and "no rank order" where none is left.
    """

    steps: list[str]
    methods: list[str]
    similarity: torch.Tensor
    maps: dict = field(repr=False)
    ranked: torch.Tensor | None = field(default=None, repr=False)

    def per_image(self, method: str) -> torch.Tensor:
        """``method``'s Spearman correlation with the trained model's map, image by image,
        (steps, B): ``similarity`` is its mean over the images (NaN for a constant map)."""
        return _per_image(self.maps[method])

    def __str__(self) -> str:
        images = len(next(iter(self.maps.values()))[0])
        ranked = self.ranked if self.ranked is not None else torch.full(self.similarity.shape, images)
        width = max(len(s) for s in self.steps + ["randomized up to"])
        head = "randomized up to".ljust(width) + "".join(f"  {m:>16}" for m in self.methods)
        rows = [s.ljust(width) + "".join(f"  {_cell(v, int(n), images):>16}" for v, n in zip(row.tolist(), counts))
                for s, row, counts in zip(self.steps, self.similarity, ranked.tolist())]
        lines = [head, *rows]
        if (ranked < images).any():
            lines.append(f"(n/{images}): mean over the n images whose two maps have a rank order; "
                         f"a constant map has none")
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle):
        printer.text(str(self))


def cascading_randomization(model: nn.Module, images, target=None, *, methods: dict | None = None,
                            layers: list[str] | None = None, seed: int = 0) -> SanityCheck:
    """Re-initialize ``layers`` (default: every layer with parameters, from the last registered to
    the first) cumulatively, top down, on a copy of ``model``; compare every method's maps.

    Each parameter is redrawn from a normal distribution with the mean and standard deviation of
    its trained values (so activations keep their scale), from a generator seeded with ``seed``.
    Every step explains the class the *trained* model predicts (for ``target=None``).
    """
    methods = methods or default_methods()
    images = input_leaf(model, images).detach()
    target = fixed_targets(model, images, target)
    copied = copy.deepcopy(model)
    layers = list(reversed(_parameter_layers(copied))) if layers is None else list(layers)
    modules = dict(copied.named_modules())
    unknown = [name for name in layers if name not in modules]
    if unknown:
        raise ValueError(f"Unknown layers {unknown}; see vizlab.list_layers(model)")
    generator = torch.Generator().manual_seed(seed)

    steps = ["trained"]
    maps = {name: [method(copied, images, target).detach()] for name, method in methods.items()}
    for name in layers:
        _randomize(modules[name], generator)
        steps.append(name)
        for method_name, method in methods.items():
            maps[method_name].append(method(copied, images, target).detach())
    maps = {name: torch.stack(m) for name, m in maps.items()}
    rhos = [_per_image(m) for m in maps.values()]
    similarity = torch.stack([rho.nanmean(1) for rho in rhos], 1)      # (steps, methods)
    ranked = torch.stack([(~rho.isnan()).sum(1) for rho in rhos], 1)
    return SanityCheck(steps, list(methods), similarity, maps, ranked)


def _per_image(maps: torch.Tensor) -> torch.Tensor:
    """(steps, B, H, W) maps -> (steps, B): each step's correlation with step 0, image by image."""
    return torch.stack([spearman(step, maps[0]) for step in maps]).cpu()


def _cell(value: float, ranked: int, images: int) -> str:
    if ranked == 0:
        return "no rank order"
    return f"{value:.3f}" if ranked == images else f"{value:.3f} ({ranked}/{images})"


def _parameter_layers(model: nn.Module) -> list[str]:
    return [name for name, m in model.named_modules() if name and any(True for _ in m.parameters(recurse=False))]


@torch.no_grad()
def _randomize(module: nn.Module, generator: torch.Generator) -> None:
    for p in module.parameters(recurse=False):
        mean, std = p.mean(), p.std(unbiased=False)
        noise = torch.randn(p.shape, generator=generator, device=generator.device).to(p.device)
        p.copy_(mean + std * noise)


def spearman(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Spearman rank correlation of each pair of maps: (B, ...) and (B, ...) -> (B,).

    Ties get their average rank (maps such as Grad-CAM have many exact zeros). A constant map
    has no ranking; its correlation is NaN, as in scipy.
    """
    ra, rb = _ranks(a.flatten(1).double()), _ranks(b.flatten(1).double())
    ra, rb = ra - ra.mean(1, keepdim=True), rb - rb.mean(1, keepdim=True)
    return ((ra * rb).sum(1) / (ra.norm(dim=1) * rb.norm(dim=1))).float()


def _ranks(values: torch.Tensor) -> torch.Tensor:
    """Average ranks (1-based) along dimension 1."""
    ranks = []
    for row in values:
        unique, inverse, counts = torch.unique(row, return_inverse=True, return_counts=True)
        last = counts.cumsum(0).double()                 # rank of the last member of each tie group
        ranks.append((last - (counts - 1) / 2)[inverse])  # the average rank of the group
    return torch.stack(ranks)
