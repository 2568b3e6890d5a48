"""Watch DeepDream run, octave by octave, and steer it.

``DreamExplorer(model)``: pick an image (embedded shapes drawn large, the photo, or an upload),
a layer, the number of octaves, steps per octave, step size and jitter; the dream starts as
soon as the explorer is shown and restarts whenever a control moves. Stop ends it within one
slice. A thin view over ``vizlab.deepdream.dream``.
"""
from __future__ import annotations


import ipywidgets as widgets
import torch

from .. import checks
from ..deepdream import STEP_SIZE, dream
from .image_choice import ImageChoice
from .common import chosen_images, conv_layers, grey_png, score_curve_svg
from .live import LiveExplorer
from .render import image_png

PREVIEW_PX = 320
OCTAVES = (1, 5)          # the sliders' ranges: a constructor value outside them is refused
STEPS = (1, 100)
JITTER_MAX = 64


class DreamExplorer(ImageChoice, LiveExplorer):
    """Image, layer, octaves, steps per octave, step size, jitter; the dream as it forms.

    The constructor checks its arguments before it touches the model and refuses (never
    clamps) a value its controls cannot show: ``layer`` must be one of the model's layers with
    a (C, H, W) map, ``octaves`` in 1..5 and ``steps`` in 1..100 (the sliders' ranges), ``size``
    an int at least the first convolution's kernel; ``images`` a non-empty dict or None."""

    def __init__(self, model: torch.nn.Module, images: dict[str, torch.Tensor] | None = None, *,
                 layer: str = "conv3", size: int = 96, octaves: int = 3, steps: int = 10):
        checks.model(model, "DreamExplorer")
        size = checks.integer(size, "size", minimum=1, hint=" (the side in pixels the images are loaded at)")
        checks.image_fits(model, (size, size), "size")
        octaves = checks.integer(octaves, "octaves", minimum=OCTAVES[0], maximum=OCTAVES[1],
                                 hint=" (the octaves slider's range)")
        steps = checks.integer(steps, "steps", minimum=STEPS[0], maximum=STEPS[1],
                               hint=" (steps per octave: the slider's range)")
        images = chosen_images(images, size=size, resize=True)
        layers = conv_layers(model)
        checks.choice(layer, "layer", layers, hint=" (the layers with a (C, H, W) map; see vizlab.list_layers(model))")
        super().__init__()
        self.model, self.size, self.images = model, size, images
        self.frames_shown, self.scores = 0, []
        self.image = widgets.Dropdown(options=list(self.images), description="image")
        self.upload = self.upload_control()
        self.layer = widgets.Dropdown(options=layers, value=layer, description="layer")
        self.octaves = widgets.IntSlider(octaves, min=OCTAVES[0], max=OCTAVES[1], description="octaves",
                                         continuous_update=False)
        self.steps = widgets.IntSlider(steps, min=STEPS[0], max=STEPS[1], description="steps/octave",
                                       continuous_update=False, style={"description_width": "initial"})
        self.step_size = widgets.FloatLogSlider(STEP_SIZE, base=10, min=-4, max=-1, description="step size",
                                                continuous_update=False)
        self.jitter = widgets.IntSlider(size // 8, min=0, max=max(JITTER_MAX, size // 8), description="jitter",
                                        continuous_update=False)
        self.preview = widgets.Image(value=grey_png(), format="png", width=PREVIEW_PX, height=PREVIEW_PX)
        self.curve = widgets.HTML()
        self.watch(self.image, self.layer, self.octaves, self.steps, self.step_size, self.jitter)
        self.children = [
            widgets.HBox([widgets.VBox([self.image, self.upload, self.layer]),
                          widgets.VBox([self.octaves, self.steps, self.step_size, self.jitter])]),
            self.buttons,
            widgets.HBox([self.preview, widgets.VBox([widgets.HTML("<b>1/2 ||a||^2</b>"), self.curve])]),
            self.status,
        ]



    def frames(self):
        self.scores = []
        return dream(self.model, self.images[self.image.value], self.layer.value, octaves=self.octaves.value,
                     steps=self.steps.value, step_size=self.step_size.value, jitter=self.jitter.value,
                     every=1)

    def show(self, frame) -> None:
        picture = frame.images[0]
        self.preview.value = image_png(picture, scale=max(1, round(PREVIEW_PX / picture.shape[-1])))
        self.scores.append(frame.score)
        self.curve.value = score_curve_svg(self.scores, frame.steps)
        text = frame.message or (f"octave {frame.octave + 1}/{frame.octaves} "
                                 f"({picture.shape[-2]}x{picture.shape[-1]} px), step {frame.step}/{frame.steps}")
        self.say(text, alarm=frame.status == "nan")
        self.frames_shown += 1
