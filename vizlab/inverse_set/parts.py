"""The pieces the sampler is built from: its inputs checked and resolved once (``_Setup``), the
samples accepted so far, the progress record, and what it returns (``InverseSet``) or shows
while it works (``SamplerFrame``)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn

from .. import checks
from ..probe import Probe, _device, get_layer
from .encoders import FeatureEncoder, IdentityEncoder, check_encoder
from .generators import CodeParam, FourierGenerator, PixelGenerator, check_generator, generator_box
from .lagrangian import as_bands, as_objectives, check_reachable


@dataclass
class InverseSet:
    """What the sampler found. ``images`` (m, C, H, W), ``codes`` (m, D), ``activations`` (m, J)
    and ``encodings`` (m, d) of the m <= n accepted samples, all inside every band. ``status``:
    ``"done"`` (m == n), ``"incomplete"``, ``"unreachable"`` (m == 0) or ``"stopped"``;
    ``closest`` (J,) the activation nearest each band that any sample reached.
    ``coverage`` (J,): (max - min) of the samples' activations over the band's width, the share
    of the band they span; ``median_position`` (J,): where their median sits, 0 at the band's
    floor and 1 at its ceiling (both NaN with no sample or a band open on a side).
    ``samples_per_second``: how many samples each second of ``seconds`` gave, to compare runs
    of different lengths."""
    images: torch.Tensor
    codes: torch.Tensor
    activations: torch.Tensor
    encodings: torch.Tensor
    n: int
    status: str
    message: str
    closest: torch.Tensor
    steps: int = 0
    seconds: float = 0.0
    coverage: torch.Tensor = field(default_factory=lambda: torch.zeros(0))
    median_position: torch.Tensor = field(default_factory=lambda: torch.zeros(0))

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def samples_per_second(self) -> float:
        return len(self) / self.seconds if self.seconds > 0 else math.nan


@dataclass
class SamplerFrame:
    """What a watcher sees: the samples accepted so far and the batch being optimized."""
    accepted: torch.Tensor              # (m, C, H, W) images
    activations: torch.Tensor           # (m, J)
    batch: torch.Tensor                 # (K, C, H, W) the current batch
    batch_activations: torch.Tensor     # (K, J)
    n: int
    step: int
    status: str = "running"
    message: str = ""
    result: InverseSet | None = field(default=None, repr=False)


def resolve_generator(generator, model) -> nn.Module:
    if isinstance(generator, nn.Module):
        return generator
    size = getattr(model, "input_size", 64)
    if generator == "pixels":
        return PixelGenerator(size)
    if generator == "fourier":
        return FourierGenerator(size)
    if generator == "shapes":
        from .shapes_renderer import ShapesGenerator
        return ShapesGenerator(size)
    raise ValueError(f"unknown generator {generator!r}: give a module (codes -> images in [0, 1] with a .box) "
                     f"or one of 'pixels', 'fourier', 'shapes'")


def resolve_encoder(encoder, model) -> nn.Module:
    if isinstance(encoder, nn.Module):
        return encoder
    if encoder == "features":
        return FeatureEncoder(model)
    if encoder == "identity":
        return IdentityEncoder()
    raise ValueError(f"unknown encoder {encoder!r}: give a module (images -> (B, d) vectors) or "
                     f"'features' (the model's standardized penultimate features) or 'identity'")


def check_settings(*, diversity, lr, inner_steps, min_steps, max_outer, mu0, rho, margin, restart_fraction,
                   jitter, max_batches, max_seconds, quantize, seed, stop, every) -> None:
    """The sampler's settings, each by name with what is allowed (before anything runs)."""
    checks.number(diversity, "diversity", minimum=0, hint=" (gamma, the weight of the spread; 0: independent restarts)")
    checks.number(lr, "lr", positive=True, hint=" (Adam's step, in units of the code box)")
    checks.integer(inner_steps, "inner_steps", minimum=1)
    checks.integer(min_steps, "min_steps", minimum=0, hint=" (steps before a sample may be frozen)")
    checks.integer(max_outer, "max_outer", minimum=1, hint=" (augmented-Lagrangian iterations per batch)")
    checks.number(mu0, "mu0", positive=True, hint=" (the first penalty weight of the augmented Lagrangian)")
    checks.number(rho, "rho", minimum=1, hint=" (the factor the penalty weight grows by)")
    checks.number(margin, "margin", minimum=0, maximum=0.5, hint=" (the share of the band's width aimed inside it)")
    checks.number(restart_fraction, "restart_fraction", minimum=0, maximum=1,
                  hint=" (the share of a batch started from fresh codes)")
    checks.number(jitter, "jitter", minimum=0, hint=" (noise on kept codes, in units of the box)")
    if max_batches is not None:
        checks.integer(max_batches, "max_batches", minimum=1, hint=" (or None for 3 n / K + 2)")
    if max_seconds is not None:
        checks.number(max_seconds, "max_seconds", positive=True, hint=" (or None for no time limit)")
    if not isinstance(quantize, bool):
        raise TypeError(f"quantize must be True (8-bit images) or False, got {checks._show(quantize)}")
    checks.integer(seed, "seed", minimum=0)
    checks.callable_or_none(stop, "stop", "called with no arguments, True to stop")
    checks.integer(every, "every", minimum=1, hint=" (a frame every that many steps)")


def _check_counts(n, K) -> None:
    for name, value in (("n", n), ("K", K)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1 (how many samples {'in all' if name == 'n' else 'at a time'}), "
                             f"got {value!r}")


class _Setup:
    """Everything fixed for a whole run: validated inputs, the shared forward pass."""

    def __init__(self, model, objectives, bands, generator, encoder, value_range, quantize):
        self.model = checks.model(model, "the inverse-set sampler")     # before any forward pass
        self.objectives = as_objectives(objectives)
        for objective in self.objectives:
            for layer in objective.layers:
                get_layer(model, layer)
        self.bands = as_bands(bands, len(self.objectives))
        check_reachable(model, self.objectives, self.bands, value_range)
        self.device = _device(model)
        self.generator = resolve_generator(generator, model).to(self.device)
        low, high = generator_box(self.generator)
        self.low, self.high = low.to(self.device), high.to(self.device)
        self.image_shape = check_generator(self.generator, self.low, self.high)
        if getattr(model, "input_size", None) is not None:     # an image model (vizlab's own, the zoo's)
            if len(self.image_shape) != 3 or self.image_shape[0] != 3:
                raise ValueError(f"the generator must make colour images (B, 3, H, W) for the model, got images "
                                 f"of shape {self.image_shape} per code")
            checks.image_fits(model, self.image_shape[-2:], "the generator's image")
        self.encoder = resolve_encoder(encoder, model).to(self.device)
        corners = self.generator(torch.stack([self.low, self.high])).detach()
        check_encoder(self.encoder, corners)
        self.layers = [layer for o in self.objectives for layer in o.layers]
        shared = isinstance(self.encoder, FeatureEncoder) and self.encoder.model is model
        if shared:                                   # E read in the same forward pass as f
            self.layers.append(self.encoder.layer)
        self.quantize = quantize
        self._shared = shared

    def encode_from(self, param: CodeParam) -> Callable:
        if self._shared:
            return lambda acts: self.encoder.from_activation(acts[self.encoder.layer])
        return lambda acts: self.encoder(param.last_images)

    def seen(self, images: torch.Tensor) -> torch.Tensor:
        """The images as the model will see them once saved: clamped, optionally 8-bit."""
        images = images.detach().clamp(0, 1)
        return (images * 255).round() / 255 if self.quantize else images

    @torch.no_grad()
    def measure(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Activations (B, J) and encodings (B, d) of images, by a separate forward pass."""
        probe = Probe(self.model, list(dict.fromkeys(self.layers)), stop_early=True)
        acts = probe.run(images.to(self.device))     # any image shape: the slab model reads (B, 1, 1, D)
        values = torch.stack([o(acts) for o in self.objectives], 1)
        if self._shared:
            return values, self.encoder.from_activation(acts[self.encoder.layer])
        return values, self.encoder(images)

    def violation(self, values: torch.Tensor) -> torch.Tensor:
        """(K, J) how far outside each band, in the activation's units (0 inside)."""
        low = torch.tensor([b.low for b in self.bands], device=values.device)
        high = torch.tensor([b.high for b in self.bands], device=values.device)
        return torch.maximum(low - values, values - high).clamp(min=0)


class _Accepted:
    """The samples accepted so far (images on the CPU, the rest on the model's device)."""

    def __init__(self, setup: _Setup):
        self.images, self.units, self.values, self.encodings = [], [], [], []
        self.setup = setup

    def __len__(self) -> int:
        return sum(len(v) for v in self.values)

    def add(self, images, units, values, encodings, keep) -> None:
        if bool(keep.any()):
            self.images.append(images[keep].cpu())
            self.units.append(units[keep])
            self.values.append(values[keep])
            self.encodings.append(encodings[keep].detach())

    def cat(self, parts, empty):
        return torch.cat(parts) if parts else empty

    def encodings_tensor(self):
        return torch.cat(self.encodings) if self.encodings else None

    def values_tensor(self) -> torch.Tensor:
        return self.cat([v.cpu() for v in self.values], torch.zeros(0, len(self.setup.bands)))

    def images_tensor(self) -> torch.Tensor:
        return self.cat(self.images, torch.zeros(0, *self.setup.image_shape))

    def result(self, n, status, message, closest, steps, seconds) -> InverseSet:
        s = self.setup
        units = self.cat(self.units, torch.zeros(0, s.low.numel(), device=s.device))
        encodings = self.encodings_tensor()
        values = self.values_tensor()[:n]
        coverage, median = band_coverage(values, s.bands)
        return InverseSet(self.images_tensor()[:n], (s.low + (s.high - s.low) * units)[:n].cpu(),
                          values, (encodings if encodings is not None else torch.zeros(0, 0))[:n].cpu(),
                          n, status, message, closest.cpu(), steps, seconds, coverage, median)


def band_coverage(values: torch.Tensor, bands) -> tuple[torch.Tensor, torch.Tensor]:
    """For activations (m, J) in bands: the share of each band's width they span, and where
    their median sits in it (0 floor, 1 ceiling); NaN with no sample or an open band."""
    coverage = torch.full((len(bands),), math.nan)
    median = torch.full((len(bands),), math.nan)
    for j, band in enumerate(bands):
        width = band.high - band.low
        if len(values) and math.isfinite(width) and width > 0:
            column = values[:, j].double()
            coverage[j] = float(column.max() - column.min()) / width
            median[j] = (float(column.median()) - band.low) / width
    return coverage, median


class _Progress:
    """Steps taken, and per neuron the activation nearest its band seen so far."""

    def __init__(self, setup: _Setup):
        self.setup, self.steps = setup, 0
        self.best = torch.full((len(setup.bands),), math.inf)
        self.closest = torch.full((len(setup.bands),), math.nan)

    def saw(self, values: torch.Tensor) -> None:
        self.steps += 1
        gap, values = self.setup.violation(values).cpu(), values.cpu()
        for j in range(values.shape[1]):
            i = int(gap[:, j].argmin())
            if gap[i, j] < self.best[j]:
                self.best[j], self.closest[j] = gap[i, j], values[i, j]
