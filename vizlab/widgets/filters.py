"""Pick a first-layer filter with a slider; see it enlarged beside its response to an image."""
from __future__ import annotations

import ipywidgets as widgets
import torch

from .. import checks
from ..filters import filters_for_display, first_conv
from ..probe import capture
from .common import chosen_images
from .render import heatmap_png, image_png


class FilterExplorer(widgets.VBox):
    """``FilterExplorer(model, {"name": image, ...})``: a slider over the filters of the first
    convolution, a choice of image, the filter (symmetric scaling) and its response map.

    The constructor refuses a model that is no ``torch.nn.Module`` or is in training mode, and
    ``images`` that are not a non-empty dict of images (e.g. ``{'photo': vizlab.sample_image()}``)."""

    def __init__(self, model: torch.nn.Module, images: dict[str, torch.Tensor]):
        checks.model(model, "FilterExplorer")
        images = chosen_images(images, size=None, resize=False)
        self.layer, conv = first_conv(model)
        self.model, self.images = model, images
        self.tiles = filters_for_display(conv.weight)
        self._responses: dict[str, torch.Tensor] = {}

        self.filter = widgets.IntSlider(0, min=0, max=len(self.tiles) - 1, description="filter")
        self.image = widgets.Dropdown(options=list(self.images), description="image")
        self.filter_view = widgets.Image(format="png", width=160, height=160)
        self.input_view = widgets.Image(format="png", width=240)
        self.response_view = widgets.Image(format="png", width=240)
        self.caption = widgets.HTML()
        for control in (self.filter, self.image):
            control.observe(lambda change: self.update(), names="value")

        def titled(title, view):
            return widgets.VBox([widgets.HTML(f"<b>{title}</b>"), view])

        super().__init__([
            widgets.HBox([self.filter, self.image]),
            widgets.HBox([titled("filter", self.filter_view), titled("image", self.input_view),
                          titled("response (red +, blue -)", self.response_view)]),
            self.caption,
        ])
        self.update()

    def response(self, name: str) -> torch.Tensor:
        """The first layer's output for image ``name``, (C, H, W), computed once."""
        if name not in self._responses:
            self._responses[name] = capture(self.model, self.images[name], self.layer)[self.layer][0]
        return self._responses[name]

    def update(self) -> None:
        k, name = self.filter.value, self.image.value
        tile = self.tiles[k]
        self.filter_view.value = image_png(tile, scale=max(1, 160 // tile.shape[-1]))
        image = self.images[name]
        self.input_view.value = image_png(image, scale=max(1, 240 // image.shape[-1]))
        response = self.response(name)[k]
        self.response_view.value = heatmap_png(response, scale=max(1, 240 // response.shape[-1]))
        self.caption.value = (f"{self.layer}, filter {k}: response from {response.min():.2f} "
                              f"to {response.max():.2f} (pre-ReLU)")
