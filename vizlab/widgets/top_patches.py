"""Pick a layer and a channel; see the top 9 and bottom 9 patches of a dataset for it."""
from __future__ import annotations

import ipywidgets as widgets
import torch

from .. import checks
from ..dataprobe.datasets import as_dataset
from ..dataprobe.top_activations import top_activations
from ..images import image_grid
from ..probe import layer_names
from .render import image_png


class TopPatchesExplorer(widgets.VBox):
    """``TopPatchesExplorer(model, dataset, ["conv2", "conv3"])``: a layer menu, a channel slider
    and two grids of receptive-field crops, the ``k`` strongest and the ``k`` weakest.

    A layer is scanned (all channels at once) the first time it is chosen, then cached. The
    constructor checks every argument first, each of ``layers`` included (not only the first
    one scanned): a bad one is refused with what is allowed, never found later in the menu.
    """

    def __init__(self, model: torch.nn.Module, data, layers, *, k: int = 9, batch_size: int = 64,
                 width: int = 300):
        checks.model(model, "TopPatchesExplorer")
        layers = [layers] if isinstance(layers, str) else layers
        if not isinstance(layers, (list, tuple)) or not layers:
            raise (ValueError if isinstance(layers, (list, tuple)) else TypeError)(
                f"layers must be a layer name or a non-empty list of them, got {checks._show(layers)}; "
                f"see vizlab.list_layers(model)")
        names = layer_names(model)
        layers = [checks.choice(layer, "each of layers", names, hint=" (see vizlab.list_layers(model))")
                  for layer in layers]
        checks.integer(k, "k", minimum=1, hint=" (patches shown per grid)")
        checks.integer(batch_size, "batch_size", minimum=1)
        checks.integer(width, "width", minimum=1, hint=" (pixels on screen)")
        data = as_dataset(data)
        self.model, self.data, self.k, self.batch_size = model, data, k, batch_size
        self._scans: dict[str, tuple[dict, dict]] = {}
        self.layer = widgets.Dropdown(options=layers, description="layer")
        self.channel = widgets.IntSlider(0, min=0, max=0, description="channel")
        self.top_view = widgets.Image(format="png", width=width)
        self.bottom_view = widgets.Image(format="png", width=width)
        self.caption = widgets.HTML()
        self.layer.observe(lambda change: self._layer_changed(), names="value")
        self.channel.observe(lambda change: self.update(), names="value")

        def titled(title, view):
            return widgets.VBox([widgets.HTML(f"<b>{title}</b>"), view])

        super().__init__([widgets.HBox([self.layer, self.channel]),
                          widgets.HBox([titled(f"top {k}", self.top_view), titled(f"bottom {k}", self.bottom_view)]),
                          self.caption])
        self._layer_changed()

    def scan(self, layer: str) -> tuple[dict, dict]:
        """(top, bottom) records of every channel of ``layer``, computed once."""
        if layer not in self._scans:
            run = dict(k=self.k, batch_size=self.batch_size, progress=False)
            self._scans[layer] = (top_activations(self.model, self.data, layer, largest=True, **run),
                                  top_activations(self.model, self.data, layer, largest=False, **run))
        return self._scans[layer]

    def _layer_changed(self) -> None:
        top, _ = self.scan(self.layer.value)
        with self.channel.hold_trait_notifications():
            self.channel.value = min(self.channel.value, len(top) - 1)
            self.channel.max = len(top) - 1
        self.update()

    def update(self) -> None:
        top, bottom = self.scan(self.layer.value)
        c = self.channel.value
        for view, records in ((self.top_view, top[c]), (self.bottom_view, bottom[c])):
            crops = torch.stack([r.crop for r in records])
            view.value = image_png(image_grid(crops, nrow=3, padding=2), scale=max(1, 96 // crops.shape[-1]))
        field = top[c][0].box.size
        self.caption.value = (f"{self.layer.value}, channel {c}: top values {top[c][0].value:.2f} … "
                              f"{top[c][-1].value:.2f}; bottom {bottom[c][0].value:.2f} … {bottom[c][-1].value:.2f}; "
                              f"receptive field {field[0]}×{field[1]} px; images "
                              f"{', '.join(str(r.index) for r in top[c])}")
