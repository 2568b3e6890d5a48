"""Explore the inverse set of a neuron: pick a level band on the dataset's histogram, watch diverse
samples that hit it arrive.

``InverseSetExplorer(model)``: choose the neuron (a conv channel or unit, or a class logit); its
activation over dataset images is drawn as a histogram with the band (a range slider) shaded and
activation maximization's value marked far to the right. n and K, the generator, and an optional
second neuron and band (the intersection) complete the controls. Samples appear in a grid as they
are accepted, each with its activation and the model's prediction; their activations are drawn
under the histogram, all inside the band. It starts on display and restarts on any change (see
``LiveExplorer``); the algorithm is ``vizlab.inverse_set.sample_inverse_set``.
"""
from __future__ import annotations

import base64
import html

import ipywidgets as widgets
import torch

from .. import checks
from ..ascent.loop import prepare_optimizers
from ..ascent.recipes import make_objective
from ..data import make_shapes
from ..images import as_batch
from ..inverse_set import neuron_profile, predictions, sample_inverse_set
from ..probe import list_layers
from .common import grey_png
from .live import LiveExplorer
from .render import image_png

KINDS = ("channel", "neuron", "class")
GENERATORS = ("shapes", "fourier", "pixels")
N = (1, 64)               # the sliders' ranges: a constructor value outside them is refused
K_RANGE = (1, 16)


def unit_count(model, layers: dict, kind: str, layer: str) -> int:
    """How many units ``kind`` offers: the classes for 'class', else the channels of ``layer``."""
    return max(len(getattr(model, "class_names", [])), 1) if kind == "class" else layers[layer][0]


class NeuronPicker:
    """Kind, layer and unit controls for one neuron, and its band slider."""

    def __init__(self, explorer, layers: dict, *, layer: str, unit: int, kind: str, label: str):
        self.explorer, self.layers = explorer, layers
        self.kind = widgets.Dropdown(options=KINDS, value=kind, description=f"{label} is a")
        self.layer = widgets.Dropdown(options=list(layers), value=layer, description="layer")
        count = unit_count(explorer.model, layers, kind, layer)
        self.unit = widgets.IntSlider(unit, min=0, max=count - 1, description="unit", continuous_update=False)
        self.band = widgets.FloatRangeSlider(value=(0.0, 1.0), min=-1.0, max=2.0, step=0.01, description="band",
                                             continuous_update=False, readout_format=".2f")
        self.histogram = widgets.HTML()
        self.profile = None
        for control in (self.kind, self.layer, self.unit):
            control.observe(lambda _: self.changed(), names="value")

    def objective(self):
        return make_objective(self.explorer.model, self.kind.value, self.layer.value, self.unit.value)

    def changed(self) -> None:
        """A new neuron: its unit range, its histogram, a band at its dataset's 90-99th percentile."""
        count = unit_count(self.explorer.model, self.layers, self.kind.value, self.layer.value)
        self.layer.disabled = self.kind.value == "class"
        self.unit.max = count - 1
        self.profile = self.explorer.profile(self.objective())
        values = self.profile.values
        low, high = float(values.min()), max(self.profile.actmax, float(values.max()))
        pad = 0.05 * (high - low)
        self.band.min, self.band.max = min(self.band.min, low - pad), max(self.band.max, high + pad)  # widen,
        self.band.min, self.band.max = low - pad, high + pad                                          # then fit
        self.band.step = round((high - low) / 200, 4) or 0.01
        self.band.value = self.profile.default_band
        self.draw([])

    def draw(self, samples) -> None:
        self.histogram.value = histogram_svg(self.profile.values.tolist(), self.profile.actmax, self.band.value,
                                             samples, (self.band.min, self.band.max))

    def controls(self) -> widgets.Widget:
        return widgets.VBox([widgets.HBox([self.kind, self.layer, self.unit]), self.band, self.histogram])


class InverseSetExplorer(LiveExplorer):
    """Live inverse-set sampling for one neuron or the intersection of two.

    The constructor checks its arguments before it touches the model and refuses (never
    clamps) what its controls cannot show: ``kind`` one of 'channel', 'neuron', 'class';
    ``layer`` one of the model's layers with a (C, H, W) map; ``unit`` in 0..C-1 (the layer's
    channels; the classes for kind 'class'); ``n`` in 1..64 and ``K`` in 1..16 (the sliders'
    ranges); ``generator`` one of 'shapes', 'fourier', 'pixels'; ``images`` a batch or None."""

    def __init__(self, model, *, layer: str = "conv3", unit: int = 0, kind: str = "channel", n: int = 16,
                 K: int = 8, generator: str = "shapes", images: torch.Tensor | None = None):
        checks.model(model, "InverseSetExplorer")
        checks.choice(kind, "kind", KINDS)
        n = checks.integer(n, "n", minimum=N[0], maximum=N[1], hint=" (samples in the set: the n slider's range)")
        K = checks.integer(K, "K", minimum=K_RANGE[0], maximum=K_RANGE[1],
                           hint=" (samples optimized at a time: the K slider's range)")
        checks.choice(generator, "generator", GENERATORS)
        size = getattr(model, "input_size", 64)
        if images is not None:
            images = as_batch(images)
            checks.image_fits(model, images.shape[-2:], "images")
        table = list_layers(model, size)
        layers = {i.name: i.output_shape for i in table if i.output_shape is not None and len(i.output_shape) == 3}
        checks.choice(layer, "layer", list(layers), hint=" (the layers with a (C, H, W) map; see vizlab.list_layers(model))")
        count = unit_count(model, layers, kind, layer)
        unit = checks.integer(unit, "unit", minimum=0, maximum=count - 1,
                              hint=f" (the {count} classes)" if kind == "class" else f" (the {count} channels of {layer})")
        super().__init__()
        prepare_optimizers()                  # here, not in the first slice
        self.model = model
        self.images = images if images is not None else make_shapes(256, size=size, seed=1).images
        self._profiles = {}
        self.frames_shown, self.grids_shown = 0, 0
        self.first = NeuronPicker(self, layers, layer=layer, unit=unit, kind=kind, label="neuron")
        self.second = NeuronPicker(self, layers, layer=layer, unit=(unit + 1) % count, kind=kind, label="and")
        self.use_second = widgets.Checkbox(False, description="intersect with a second neuron")
        self.n = widgets.IntSlider(n, min=N[0], max=N[1], description="n", continuous_update=False)
        self.K = widgets.IntSlider(K, min=K_RANGE[0], max=K_RANGE[1], description="K at a time",
                                   continuous_update=False)
        self.generator = widgets.Dropdown(options=GENERATORS, value=generator, description="generator")
        self.grid = widgets.HTML(f"<img src='data:image/png;base64,{base64.b64encode(grey_png()).decode()}'>")
        self.first.changed()                     # the second neuron's profile waits until it is asked for
        self.second.box = self.second.controls()
        self.second.box.layout.display = "none"
        self.use_second.observe(lambda change: self._toggle_second(change["new"]), names="value")
        self.watch(self.first.kind, self.first.layer, self.first.unit, self.first.band, self.use_second,
                   self.second.kind, self.second.layer, self.second.unit, self.second.band, self.n, self.K,
                   self.generator)
        self.children = [self.first.controls(), self.use_second, self.second.box,
                         widgets.HBox([self.n, self.K, self.generator]),
                         self.buttons, self.status, self.grid]

    def _toggle_second(self, on: bool) -> None:
        if on and self.second.profile is None:
            self.second.changed()
        self.second.box.layout.display = "" if on else "none"

    def profile(self, objective):
        if objective.name not in self._profiles:
            self._profiles[objective.name] = neuron_profile(self.model, objective, self.images)
        return self._profiles[objective.name]

    def pickers(self) -> list[NeuronPicker]:
        return [self.first, self.second] if self.use_second.value else [self.first]

    def frames(self):
        pickers = self.pickers()
        self._shown = -1
        return sample_inverse_set(self.model, [p.objective() for p in pickers], [p.band.value for p in pickers],
                                  n=self.n.value, K=self.K.value, generator=self.generator.value, seed=0,
                                  every=5)

    def show(self, frame) -> None:
        self.frames_shown += 1
        accepted = frame.accepted.shape[0]
        if accepted != self._shown or frame.result is not None:
            self._shown = accepted
            for j, picker in enumerate(self.pickers()):
                picker.draw(frame.activations[:, j].tolist())
            names = predictions(self.model, frame.accepted)
            self.grid.value = sample_grid_html(frame.accepted, frame.activations, names)
            self.grids_shown += 1
        self.say(frame.message or f"step {frame.step}: {accepted} of {frame.n} samples in the band",
                 alarm=frame.status in ("unreachable", "incomplete"))


def sample_grid_html(images, values, names, *, scale: int = 2) -> str:
    """Each accepted sample as a picture with its activation(s) and the model's prediction."""
    cells = []
    for image, value, name in zip(images, values.tolist(), names):
        png = base64.b64encode(image_png(image, scale=scale)).decode()
        caption = " / ".join(f"{v:.2f}" for v in value)
        cells.append(f"<figure style='margin:2px;text-align:center;font-size:10px'>"
                     f"<img src='data:image/png;base64,{png}'><figcaption>{caption}<br>{html.escape(name)}"
                     f"</figcaption></figure>")
    return "<div style='display:flex;flex-wrap:wrap'>" + "".join(cells) + "</div>"


def histogram_svg(values, actmax, band, samples, span, *, width: int = 420, height: int = 120, bins: int = 40) -> str:
    """The dataset histogram, the band shaded, act-max marked, and the samples as ticks below."""
    low, high = span
    scale = (width - 10) / ((high - low) or 1.0)
    x = lambda v: 5 + (v - low) * scale                                           # noqa: E731
    counts = torch.histc(torch.tensor(values), bins=bins, min=low, max=high).tolist()
    top = max(counts) or 1
    bar_w = (width - 10) / bins
    bars = "".join(f"<rect x='{5 + i * bar_w:.1f}' y='{80 - 70 * c / top:.1f}' width='{bar_w - 1:.1f}' "
                   f"height='{70 * c / top:.1f}' fill='#9bb'/>" for i, c in enumerate(counts))
    shade = (f"<rect x='{x(band[0]):.1f}' y='5' width='{max(x(band[1]) - x(band[0]), 1):.1f}' height='100' "
             f"fill='#fd0' opacity='0.35'/>")
    mark = (f"<line x1='{x(actmax):.1f}' x2='{x(actmax):.1f}' y1='5' y2='80' stroke='#c00' stroke-width='2'/>"
            f"<text x='{x(actmax) - 4:.1f}' y='14' font-size='10' text-anchor='end' fill='#c00'>act-max "
            f"{actmax:.2f}</text>")
    ticks = "".join(f"<line x1='{x(v):.1f}' x2='{x(v):.1f}' y1='88' y2='102' stroke='#036' stroke-width='1.5'/>"
                    for v in samples)
    labels = (f"<text x='5' y='{height - 4}' font-size='10'>{low:.2f}</text>"
              f"<text x='{width - 5}' y='{height - 4}' font-size='10' text-anchor='end'>{high:.2f}</text>"
              f"<text x='{width / 2}' y='{height - 4}' font-size='10' text-anchor='middle'>dataset images (bars), "
              f"samples (ticks)</text>")
    return (f"<svg width='{width}' height='{height}' style='border:1px solid #ccc'>{shade}{bars}{mark}{ticks}"
            f"{labels}</svg>")
