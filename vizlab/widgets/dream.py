"""Watch DeepDream run, octave by octave, and steer it.

``DreamExplorer(model)``: pick an image (embedded shapes drawn large, the photo, or an upload),
a layer, the number of octaves, steps per octave, step size and jitter; the dream starts as
soon as the explorer is shown and restarts whenever a control moves. Stop ends it within one
slice. A thin view over ``vizlab.deepdream.dream``.
"""
from __future__ import annotations


import ipywidgets as widgets
import torch

from ..deepdream import STEP_SIZE, dream
from ..images import load_image
from .image_choice import ImageChoice
from .common import conv_layers, default_images, grey_png, score_curve_svg
from .live import LiveExplorer
from .render import image_png

PREVIEW_PX = 320


class DreamExplorer(ImageChoice, LiveExplorer):
    """Image, layer, octaves, steps per octave, step size, jitter; the dream as it forms."""

    def __init__(self, model: torch.nn.Module, images: dict[str, torch.Tensor] | None = None, *,
                 layer: str = "conv3", size: int = 96, octaves: int = 3, steps: int = 10):
        super().__init__()
        self.model, self.size = model, size
        self.images = ({name: load_image(image, size=size) for name, image in images.items()} if images
                       else default_images(size))
        self.frames_shown, self.scores = 0, []
        self.image = widgets.Dropdown(options=list(self.images), description="image")
        self.upload = self.upload_control()
        layers = conv_layers(model) or [layer]
        self.layer = widgets.Dropdown(options=layers, value=layer if layer in layers else layers[-1],
                                      description="layer")
        self.octaves = widgets.IntSlider(octaves, min=1, max=5, description="octaves", continuous_update=False)
        self.steps = widgets.IntSlider(steps, min=1, max=100, description="steps/octave", continuous_update=False,
                                       style={"description_width": "initial"})
        self.step_size = widgets.FloatLogSlider(STEP_SIZE, base=10, min=-4, max=-1, description="step size",
                                                continuous_update=False)
        self.jitter = widgets.IntSlider(size // 8, min=0, max=64, description="jitter", continuous_update=False)
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
