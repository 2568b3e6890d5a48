"""Saliency maps, live: pick an image (a sample, the photo or your own upload) and a class, then
compare the plain gradient with SmoothGrad and move its noise and sample-count sliders.

``SaliencyExplorer(model)`` is a ``LiveExplorer``: it computes the map as soon as it is shown and
again whenever a control moves, in short slices on the kernel's main thread (see ``LiveExplorer``).
SmoothGrad's map is shown as it accumulates, after every batch of noisy copies; the last
frame is exactly ``smoothgrad(model, image, target, samples=n, noise=sigma)`` with a generator
seeded with ``seed``. A thin view: every number comes from ``vizlab.attribution``.
"""
from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import torch

from .. import checks
from ..attribution.display import colorize, overlay
from ..attribution.gradients import saliency, smoothgrad
from .attribution import PREDICTED
from .image_choice import ImageChoice
from .common import chosen_images, grey_png
from .live import LiveExplorer
from .render import image_png

WIDTH = 256
METHODS = ("SmoothGrad", "gradient")
CHUNK = 32  # noisy copies per frame; smoothgrad's own batch size, so the noise is drawn the same


@dataclass
class SaliencyFrame:
    """A map (H, W) averaged over ``samples_done`` of ``samples`` noisy copies (1 of 1: plain)."""
    map: torch.Tensor
    samples_done: int
    samples: int
    status: str = "running"


NOISE = (0.0, 0.6)        # the sliders' ranges: a constructor value outside them is refused
SAMPLES = (1, 100)


class SaliencyExplorer(ImageChoice, LiveExplorer):
    """``SaliencyExplorer(model)`` (optionally ``images={"name": (3, H, W) tensor}``).

    The constructor checks its arguments before it touches the model and refuses (never
    clamps) what its controls cannot show: ``noise`` (SmoothGrad's sigma, a fraction of the
    pixel range) in 0..0.6 and ``samples`` in 1..100 (the sliders' ranges), ``seed`` an int
    >= 0, ``images`` a non-empty dict or None, the model in eval mode."""

    def __init__(self, model: torch.nn.Module, images: dict | None = None, *, noise: float = 0.15,
                 samples: int = 25, seed: int = 0):
        checks.model(model, "SaliencyExplorer")
        noise = checks.number(noise, "noise", minimum=NOISE[0], maximum=NOISE[1],
                              hint=" (SmoothGrad's sigma as a fraction of the pixel range: the slider's range)")
        samples = checks.integer(samples, "samples", minimum=SAMPLES[0], maximum=SAMPLES[1],
                                 hint=" (SmoothGrad's noisy copies: the slider's range)")
        seed = checks.integer(seed, "seed", minimum=0, hint=" (the seed of SmoothGrad's noise)")
        size = getattr(model, "input_size", 224)
        images = chosen_images(images, size=size, resize=True)
        super().__init__()
        self.model, self.seed, self.size, self.images = model, seed, size, images
        self.class_names = list(getattr(model, "class_names", []))
        self.map: torch.Tensor | None = None
        self.frames_shown = 0

        self.image = widgets.Dropdown(options=list(self.images), description="image")
        self.upload = self.upload_control()
        self.target = widgets.Dropdown(description="class")
        self.method = widgets.Dropdown(options=METHODS, description="method")
        self.noise = widgets.FloatSlider(noise, min=NOISE[0], max=NOISE[1], step=0.01, description="noise",
                                         continuous_update=False)
        self.samples = widgets.IntSlider(samples, min=SAMPLES[0], max=SAMPLES[1], description="samples",
                                         continuous_update=False)
        self.top5 = widgets.HTML()
        self.image_view, self.map_view, self.overlay_view = (
            widgets.Image(value=grey_png(), format="png", width=WIDTH) for _ in range(3))
        self.say("Starts when shown; move any control to update the map.")

        self.image.observe(lambda _: self._new_image(), names="value")
        self.method.observe(lambda _: self._enable_sliders(), names="value")
        self._new_image()
        self._enable_sliders()
        self.watch(self.image, self.target, self.method, self.noise, self.samples)
        self.children = self._layout()

    def _layout(self) -> list:
        def titled(title, view):
            return widgets.VBox([widgets.HTML(f"<b>{title}</b>"), view])

        return [widgets.HBox([self.image, self.upload, self.target]),
                widgets.HBox([self.method, self.noise, self.samples]),
                widgets.HBox([titled("image", self.image_view), titled("map", self.map_view),
                              titled("overlay", self.overlay_view), self.top5]),
                self.buttons, self.status]

    # --- controls -------------------------------------------------------------------------------


    def _enable_sliders(self) -> None:
        self.noise.disabled = self.samples.disabled = self.method.value != "SmoothGrad"

    def _new_image(self) -> None:
        """A new image: its picture, its top 5, and the class choices (its prediction first)."""
        image = self.images[self.image.value]
        self.image_view.value = image_png(image, scale=max(1, WIDTH // image.shape[-1]))
        with torch.no_grad():
            probs = self.model(image[None].to(self._device)).softmax(1)[0].cpu()
        top = probs.topk(min(5, len(probs)))
        rows = "".join(f"<tr><td>{self._name(int(k))}</td><td>{p:.1%}</td></tr>" for p, k in zip(*top))
        self.top5.value = f"<b>top 5</b><table>{rows}</table>"
        predicted = self._name(int(top.indices[0]))
        self.target.options = [(f"predicted: {predicted}", PREDICTED)] + [
            (f"{k}: {self._name(k)}", k) for k in range(len(probs))]
        self.target.value = PREDICTED

    @property
    def _device(self) -> torch.device:
        first = next(self.model.parameters(), None)
        return first.device if first is not None else torch.device("cpu")

    def _name(self, k: int) -> str:
        return self.class_names[k] if k < len(self.class_names) else str(k)

    # --- running (LiveExplorer calls these, one slice at a time) -------------------------------
    def frames(self):
        """The plain gradient's map, or SmoothGrad's running average after every ``CHUNK`` copies."""
        image = self.images[self.image.value][None].to(self._device)   # the device follows the model
        target = self.target.value
        if target == PREDICTED:
            with torch.no_grad():
                target = int(self.model(image).argmax(1))
        if self.method.value == "gradient":
            yield SaliencyFrame(saliency(self.model, image, target)[0], 1, 1, "done")
            return
        samples, noise = self.samples.value, self.noise.value
        generator = torch.Generator().manual_seed(self.seed)
        total, done = None, 0
        while done < samples:
            k = min(CHUNK, samples - done)
            part = smoothgrad(self.model, image, target, samples=k, noise=noise, generator=generator)[0] * k
            total, done = part if total is None else total + part, done + k
            yield SaliencyFrame(total / done, done, samples, "done" if done == samples else "running")

    def show(self, frame: SaliencyFrame) -> None:
        image = self.images[self.image.value]
        scale = max(1, WIDTH // image.shape[-1])
        self.map = frame.map.cpu()
        self.map_view.value = image_png(colorize(frame.map), scale=scale)
        self.overlay_view.value = image_png(overlay(image, frame.map), scale=scale)
        what = (f"SmoothGrad, noise {self.noise.value:.2f}: {frame.samples_done}/{frame.samples} samples"
                if self.method.value == "SmoothGrad" else "plain gradient")
        self.say(f"{what} for class {self.target.label}" + (" (done)" if frame.status == "done" else ""))
        self.frames_shown += 1
