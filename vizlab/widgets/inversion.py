"""Watch a reconstruction form from one layer's features, beside the original.

``InversionExplorer(model)``: pick an image (embedded shapes, the photo, or an upload), a layer,
the regularizer strengths and the number of restarts; the inversion starts as soon as the
explorer is shown and restarts whenever a control moves. Stop ends it within one
slice. A thin view over ``vizlab.inversion.invert``.
"""
from __future__ import annotations


import ipywidgets as widgets
import torch

from .. import checks
from ..ascent.loop import prepare_optimizers
from ..images import image_grid
from ..inversion import image_error, invert, shapes_statistics, tv_for_layer
from ..probe import layer_names
from .image_choice import ImageChoice
from .common import chosen_images, grey_png, score_curve_svg
from .live import LiveExplorer
from .render import image_png

PREVIEW_PX = 256
STEPS = (20, 1000, 20)    # the steps slider's range and step: a constructor value outside it is refused


class InversionExplorer(ImageChoice, LiveExplorer):
    """Image, layer, TV and alpha strengths, restarts, steps; the original and the reconstructions.

    The constructor checks its arguments before it touches the model and refuses (never
    clamps) what its controls cannot show: ``layer`` one of the model's layers, ``steps`` in
    20..1000 (the slider's range), ``size`` None (the model's input size) or an int at least
    the first convolution's kernel (0 is no default); ``images`` a non-empty dict or None."""

    def __init__(self, model: torch.nn.Module, images: dict[str, torch.Tensor] | None = None, *,
                 layer: str = "conv3", steps: int = 200, size: int | None = None):
        checks.model(model, "InversionExplorer")
        steps = checks.integer(steps, "steps", minimum=STEPS[0], maximum=STEPS[1],
                               hint=f" (the steps slider's range, in steps of {STEPS[2]})")
        if size is None:
            size = getattr(model, "input_size", 64)
        else:
            size = checks.integer(size, "size", minimum=1, hint=" (or None for the model's input size)")
            checks.image_fits(model, (size, size), "size")
        checks.choice(layer, "layer", layer_names(model), hint=" (see vizlab.list_layers(model))")
        images = chosen_images(images, size=size, resize=False)
        super().__init__()
        prepare_optimizers()                  # here, not in the first slice
        self.model, self.size, self.images = model, size, images
        self.frames_shown, self.errors = 0, []
        self.image = widgets.Dropdown(options=list(self.images), description="image")
        self.upload = self.upload_control()
        self.layer = widgets.Dropdown(options=layer_names(model), value=layer, description="layer")
        self.tv = widgets.FloatLogSlider(tv_for_layer(model, layer), base=10, min=-4, max=0,
                                         description="TV", continuous_update=False)
        self.alpha = widgets.FloatLogSlider(1e-4, base=10, min=-6, max=-1, description="alpha-norm",
                                            continuous_update=False)
        self.restarts = widgets.IntSlider(2, min=1, max=4, description="restarts", continuous_update=False)
        self.steps = widgets.IntSlider(steps, min=STEPS[0], max=STEPS[1], step=STEPS[2], description="steps",
                                       continuous_update=False)
        self.original = widgets.Image(value=grey_png(), format="png", width=PREVIEW_PX // 2)
        self.preview = widgets.Image(value=grey_png(), format="png", width=PREVIEW_PX)
        self.curve = widgets.HTML()
        self.layer.observe(lambda _: setattr(self.tv, "value", tv_for_layer(model, self.layer.value)), names="value")
        self.image.observe(lambda _: self._show_original(), names="value")
        self.watch(self.image, self.layer, self.tv, self.alpha, self.restarts, self.steps)
        titled = lambda title, view: widgets.VBox([widgets.HTML(f"<b>{title}</b>"), view])
        self.children = [
            widgets.HBox([widgets.VBox([self.image, self.upload, self.layer]),
                          widgets.VBox([self.tv, self.alpha, self.restarts, self.steps])]),
            self.buttons,
            widgets.HBox([titled("original", self.original), titled("reconstructions", self.preview),
                          titled("feature error", self.curve)]),
            self.status,
        ]
        self._show_original()



    def _show_original(self) -> None:
        picture = self.images[self.image.value]
        self.original.value = image_png(picture, scale=max(1, PREVIEW_PX // 2 // picture.shape[-1]))

    def frames(self):
        self.errors = []
        return invert(self.model, self.images[self.image.value], self.layer.value, restarts=self.restarts.value,
                      steps=self.steps.value, tv=self.tv.value, alpha_weight=self.alpha.value,
                      every=max(1, self.steps.value // 40))

    def show(self, frame) -> None:
        picture = image_grid(frame.images, nrow=2) if frame.images.shape[0] > 1 else frame.images[0]
        self.preview.value = image_png(picture, scale=max(1, PREVIEW_PX // picture.shape[-1]))
        self.errors.append(frame.terms["feature_error"])
        self.curve.value = score_curve_svg(self.errors, frame.steps, label="error")
        original = self.images[self.image.value][None]
        err = float(image_error(frame.images, original.expand_as(frame.images), shapes_statistics()).mean())
        text = frame.message or f"step {frame.step}/{frame.steps}"
        self.say(f"{text}: feature error {frame.terms['feature_error']:.4f}, image error {err:.3f}")
        self.frames_shown += 1
