"""Choose an image, a class, a method (and a layer for Grad-CAM); see the map beside the image
and over it. A thin view: every number comes from ``vizlab.attribution``."""
from __future__ import annotations


import ipywidgets as widgets
import torch

from .. import checks
from ..attribution.display import METHODS, NEEDS_LAYER, attribution_map, colorize, overlay
from ..attribution.gradcam import default_layer
from .common import chosen_images, conv_layers
from .image_choice import ImageChoice
from .render import image_png

WIDTH = 256
PREDICTED = -1  # the class dropdown's value for "the predicted class"


class AttributionExplorer(ImageChoice, widgets.VBox):
    """``AttributionExplorer(model)`` (optionally ``images={"name": (3, H, W) tensor}``).

    The constructor refuses a model that is no ``torch.nn.Module`` or is in training mode, and
    ``images`` that are not a non-empty dict of images or None, before it touches the model."""

    def __init__(self, model: torch.nn.Module, images: dict[str, torch.Tensor] | None = None):
        checks.model(model, "AttributionExplorer")
        self.size = getattr(model, "input_size", 224)
        self.images = chosen_images(images, size=self.size, resize=False)
        self.model = model
        self._quiet = False
        self.class_names = list(getattr(model, "class_names", []))
        layers = conv_layers(model)

        self.image = widgets.Dropdown(options=list(self.images), description="image")
        self.upload = self.upload_control()
        self.target = widgets.Dropdown(description="class")
        self.method = widgets.Dropdown(options=list(METHODS), description="method")
        self.layer = widgets.Dropdown(options=layers, value=default_layer(model) if layers else None,
                                      description="layer")
        self.top5 = widgets.HTML()
        self.image_view, self.map_view, self.overlay_view = (widgets.Image(format="png", width=WIDTH) for _ in range(3))
        self.caption = widgets.HTML()

        self.image.observe(lambda change: self._new_image(), names="value")
        for control in (self.target, self.method, self.layer):
            control.observe(lambda change: self.update(), names="value")

        def titled(title, view):
            return widgets.VBox([widgets.HTML(f"<b>{title}</b>"), view])

        super().__init__([
            widgets.HBox([self.image, self.upload]),
            widgets.HBox([self.target, self.method, self.layer]),
            widgets.HBox([titled("image", self.image_view), titled("map", self.map_view),
                          titled("overlay", self.overlay_view), self.top5]),
            self.caption,
        ])
        self._new_image()



    def _new_image(self) -> None:
        """A new image: new top-5 and class choices (predicted first), then redraw."""
        with torch.no_grad():
            probs = self.model(self.images[self.image.value][None]).softmax(1)[0]
        top = probs.topk(min(5, len(probs)))
        name = lambda k: self.class_names[k] if k < len(self.class_names) else str(k)
        rows = "".join(f"<tr><td>{name(int(k))}</td><td>{p:.1%}</td></tr>" for p, k in zip(*top))
        self.top5.value = f"<b>top 5</b><table>{rows}</table>"
        predicted = int(top.indices[0])
        options = [(f"predicted: {name(predicted)}", PREDICTED)] + [(f"{k}: {name(k)}", k) for k in range(len(probs))]
        self._quiet = True  # one redraw, not several, while the options change
        try:
            self.target.options = options
            self.target.value = PREDICTED
        finally:
            self._quiet = False
        self.update()

    def update(self) -> None:
        if self._quiet:
            return
        method, image = self.method.value, self.images[self.image.value]
        self.layer.disabled = method not in NEEDS_LAYER
        target = None if self.target.value == PREDICTED else self.target.value
        self.map = attribution_map(self.model, image[None], target, method=method,
                                   layer=self.layer.value)[0]
        scale = max(1, WIDTH // image.shape[-1])
        self.image_view.value = image_png(image, scale=scale)
        self.map_view.value = image_png(colorize(self.map), scale=scale)
        self.overlay_view.value = image_png(overlay(image, self.map), scale=scale)
        where = f" at {self.layer.value}" if method in NEEDS_LAYER else ""
        self.caption.value = f"{method}{where} for class <b>{self.target.label}</b>"

