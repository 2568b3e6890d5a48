"""Watch gradient ascent find what excites a unit, and steer it while it runs.

``AscentExplorer(model)`` (or ``AscentExplorer({"shapenet": m1, "alexnet": m2})``): pick a
layer, a unit and what to maximize, and whether to start from noise or from a dataset image
(optionally staying within eps of it); the image forms in the preview while the score curve
climbs. It is live (``LiveExplorer``): the run starts as soon as the explorer is shown, and
moving any control restarts it with the new settings (once per burst of changes). Run restarts
it, Stop ends it within one slice. Before the first frame the preview is neutral grey.

The widget only edits a ``vizlab.ascent.Recipe`` and shows the loop's frames.
"""
from __future__ import annotations

from collections.abc import Mapping

import ipywidgets as widgets
import torch

from .. import checks
from ..ascent.loop import prepare_optimizers
from ..ascent.recipes import KINDS, Recipe, run_recipe
from ..images import image_grid
from ..probe import list_layers
from ..data.shapes import CLASSES, make_shapes
from .common import grey_png, score_curve_svg
from .live import LiveExplorer
from .render import image_png

PREVIEW_PX = 256
STEPS = (8, 512, 8)       # the sliders' (min, max, step): a constructor value outside them is refused
SIZES = (16, 256, 16)
NOISE = "noise"           # the start menu's first choice; the others are the dataset images
START_SHAPES = dict(n=6, seed=1)   # the explorers' sample shapes (not seen in training)


class AscentExplorer(LiveExplorer):
    """Controls over ``Recipe`` + Run/Stop + a live preview, a score curve and a progress bar."""

    def __init__(self, models, *, layer: str | None = None, unit: int = 0, steps: int = 96, size: int = 64):
        if isinstance(models, torch.nn.Module):
            models = {getattr(models, "name", "model"): models}
        if not isinstance(models, Mapping) or not models:
            error = ValueError if isinstance(models, Mapping) else TypeError
            raise error(f"models must be a torch.nn.Module or a non-empty dict {{name: model}}, got "
                        f"{checks._show(models)}; e.g. AscentExplorer(vizlab.load_model('shapenet'))")
        for name, model in models.items():
            checks.model(model, f"AscentExplorer (model {name!r})")
        for name, value, (low, high, step) in (("steps", steps, STEPS), ("size", size, SIZES)):
            checks.integer(value, name, minimum=low, maximum=high, hint=f" (the slider's range; multiples of {step})")
        checks.integer(unit, "unit", minimum=0)  # its upper bound, the layer's channels, is checked below
        super().__init__()
        prepare_optimizers()                  # here, not in the first slice
        self.models = dict(models)
        self._shapes: dict[str, dict[str, tuple]] = {}
        self.frames_shown = 0
        self.scores: list[float] = []

        self.model = widgets.Dropdown(options=list(self.models), description="model")
        self.layer = widgets.Dropdown(description="layer")
        self.kind = widgets.Dropdown(options=KINDS, value="channel", description="maximize")
        self.unit = widgets.IntSlider(0, min=0, max=0, description="unit", continuous_update=False)
        self.lr = widgets.FloatLogSlider(0.05, base=10, min=-3, max=0, description="step size",
                                         continuous_update=False)
        self.steps = widgets.IntSlider(steps, min=STEPS[0], max=STEPS[1], step=STEPS[2], description="steps",
                                       continuous_update=False)
        self.size = widgets.IntSlider(size, min=SIZES[0], max=SIZES[1], step=SIZES[2], description="image size",
                                      continuous_update=False)
        self.param = widgets.ToggleButtons(options=["fourier", "pixels"], description="image as")
        self.transforms = widgets.Checkbox(True, description="jitter, scale, rotate")
        self.l2 = widgets.FloatLogSlider(1e-3, base=10, min=-5, max=0, description="L2", continuous_update=False)
        self.use_l2 = widgets.Checkbox(False, description="L2 penalty")
        self.tv = widgets.FloatLogSlider(1e-2, base=10, min=-5, max=0, description="TV", continuous_update=False)
        self.use_tv = widgets.Checkbox(False, description="total variation")
        self.blur = widgets.FloatSlider(1.0, min=0.3, max=3, step=0.1, description="blur sigma",
                                        continuous_update=False)
        self.use_blur = widgets.Checkbox(False, description="blur every 4 steps (pixels)")
        self._start_images: dict[int, dict] = {}             # image size -> {name: image}
        # The menu's names come from a tiny draw (the classes do not depend on the size); the images
        # are drawn only once a start image is chosen, so an explorer that starts from noise pays nothing.
        labels = make_shapes(START_SHAPES["n"], size=16, seed=START_SHAPES["seed"]).labels
        self._start_names = [f"shape {i}: {CLASSES[int(k)]}" for i, k in enumerate(labels)]
        self.start = widgets.Dropdown(options=[NOISE, *self._start_names], description="start from")
        self.eps = widgets.FloatLogSlider(8 / 255, base=10, min=-3, max=0, description="eps",
                                          continuous_update=False)
        self.use_eps = widgets.Checkbox(False, description="stay within eps of the start (L-inf)")
        self.preview = widgets.Image(value=grey_png(), format="png", width=PREVIEW_PX, height=PREVIEW_PX)
        self.curve = widgets.HTML()
        self.progress = widgets.IntProgress(0, min=0, max=steps, description="step 0")
        self.say("Starts when shown; move any control to restart.")

        self._update_model()
        _check_start(self, layer, unit)      # refuse rather than let the sliders clamp
        if layer is not None:
            self.layer.value = layer
            self._update_unit_range()
        self.unit.value = unit
        # The ranges follow first (synchronously), then every control restarts the run.
        self.model.observe(lambda _: self._update_model(), names="value")
        for control in (self.layer, self.kind):
            control.observe(lambda _: self._update_unit_range(), names="value")
        self.start.observe(self._on_start, names="value")
        self.watch(self.model, self.layer, self.kind, self.unit, self.lr, self.steps, self.size, self.param,
                   self.transforms, self.l2, self.use_l2, self.tv, self.use_tv, self.blur, self.use_blur,
                   self.start, self.eps, self.use_eps)
        self.children = self._layout()

    # --- layout ---------------------------------------------------------------------------------
    def _layout(self) -> list:
        what = widgets.VBox([self.model, self.layer, self.kind, self.unit])
        how = widgets.VBox([self.lr, self.steps, self.size, self.param])
        regularize = widgets.VBox([self.transforms, widgets.HBox([self.use_l2, self.l2]),
                                   widgets.HBox([self.use_tv, self.tv]), widgets.HBox([self.use_blur, self.blur]),
                                   self.start, widgets.HBox([self.use_eps, self.eps])])
        view = widgets.HBox([self.preview, widgets.VBox([self.curve, self.progress])])
        return [widgets.HBox([what, how]), regularize, self.buttons,
                view, self.status]

    # --- controls -------------------------------------------------------------------------------
    @property
    def current_model(self) -> torch.nn.Module:
        return self.models[self.model.value]

    def _layer_shapes(self) -> dict[str, tuple]:
        """Spatial layers of the current model with their (C, H, W) output shapes."""
        name = self.model.value
        if name not in self._shapes:
            table = list_layers(self.current_model, getattr(self.current_model, "input_size", 64))
            self._shapes[name] = {i.name: i.output_shape for i in table
                                  if i.output_shape is not None and len(i.output_shape) == 3}
        return self._shapes[name]

    def _update_model(self) -> None:
        shapes = self._layer_shapes()
        convs = [n for n in shapes if "conv" in n] or list(shapes)
        self.layer.options = list(shapes)
        self.layer.value = convs[len(convs) // 2] if convs else None
        self._update_unit_range()

    def _update_unit_range(self) -> None:
        if self.kind.value == "class":
            count = len(getattr(self.current_model, "class_names", [])) or 1
        else:
            count = self._layer_shapes()[self.layer.value][0]
        self.layer.disabled = self.kind.value == "class"
        self.unit.max = count - 1
        self.unit.description = "class" if self.kind.value == "class" else "channel"

    def start_images(self) -> dict:
        """The dataset images to start from, at the current image size (made once per size)."""
        size = self.size.value
        if size not in self._start_images:
            shapes = make_shapes(START_SHAPES["n"], size=size, seed=START_SHAPES["seed"])
            self._start_images[size] = dict(zip(self._start_names, shapes.images))
        return self._start_images[size]

    def _on_start(self, change) -> None:
        """A start image is a pixel image: the pixels begin as that image."""
        if change["new"] != NOISE:
            self.param.value = "pixels"

    def recipe(self) -> Recipe:
        """The settings the controls show, as the engine's ``Recipe``."""
        start = None if self.start.value == NOISE else self.start_images()[self.start.value][None]
        return Recipe(layer=self.layer.value, unit=self.unit.value, kind=self.kind.value,
                      steps=self.steps.value, size=self.size.value, lr=self.lr.value, param=self.param.value,
                      transforms=self.transforms.value, l2=self.l2.value if self.use_l2.value else 0.0,
                      tv=self.tv.value if self.use_tv.value else 0.0,
                      blur=self.blur.value if self.use_blur.value else 0.0,
                      start=start, eps=self.eps.value if self.use_eps.value and start is not None else 0.0,
                      every=4)

    # --- running (LiveExplorer calls these, one slice at a time) -------------------------------
    def frames(self):
        """The loop's frames for the current settings."""
        recipe = self.recipe()
        self.scores, self.frames_shown = [], 0
        self.progress.max = recipe.steps
        return run_recipe(self.current_model, recipe)

    def show(self, frame) -> None:
        images = frame.images
        picture = images[0] if images.shape[0] == 1 else image_grid(images)
        self.preview.value = image_png(picture, scale=max(1, PREVIEW_PX // picture.shape[-1]))
        self.scores.append(frame.score)
        self.curve.value = score_curve_svg(self.scores, frame.steps)
        self.progress.value, self.progress.description = frame.step, f"step {frame.step}"
        self.say(frame.message or f"step {frame.step}/{frame.steps}: score {frame.score:.3f}",
                 alarm=frame.status == "nan")
        self.frames_shown += 1


def _check_start(explorer: AscentExplorer, layer, unit) -> None:
    if layer is not None:
        checks.choice(layer, "layer", explorer.layer.options, hint=" (the spatial layers of this model)")
    count = explorer._layer_shapes()[layer or explorer.layer.value][0]
    checks.integer(unit, "unit", minimum=0, maximum=count - 1, hint=f" (the channels of {layer or explorer.layer.value})")
