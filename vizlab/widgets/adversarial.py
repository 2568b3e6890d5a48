"""Attack an image live: watch the prediction change while the perturbation stays invisible.

``AdversarialExplorer(model)``: choose an image (embedded shapes, the photo, or an upload), the
attack, eps, the number of steps and a target (none, the least likely class, or a class). It
shows the original, the perturbation magnified (the factor is printed), the adversarial image,
and the top-5 predictions before and after. The attack's iterations stream in as they run;
it starts when shown, restarts on any change, and Stop ends it. A thin view over
``vizlab.adversarial.attack_frames``.
"""
from __future__ import annotations

import html

import ipywidgets as widgets
import torch

from .. import checks
from ..adversarial.attacks import LEAST_LIKELY, METHODS, Attack, attack_frames
from ..adversarial.checks import EPS_UNITS, check_eps, check_model
from ..adversarial.plot import magnified
from .image_choice import ImageChoice
from .common import chosen_images, grey_png
from .live import LiveExplorer
from .render import image_png

WIDTH = 192
UNTARGETED = -1
LEAST = -2
EPS_MAX = 32          # the eps slider's range, in grey levels (eps * 255): 0 .. 32 in steps of 0.5
STEPS = (1, 100)


class AdversarialExplorer(ImageChoice, LiveExplorer):
    """``AdversarialExplorer(model, images=None, eps=2/255, steps=10, method="pgd")``.

    The constructor checks its arguments before it touches the model and refuses (never
    clamps) what its controls cannot show: ``eps`` is a fraction of the pixel range (8/255 for
    8 grey levels), in [0, 32/255] (the slider's range); ``steps`` in 1..100; ``method`` one
    of 'fgsm', 'bim', 'pgd'; ``images`` a non-empty dict or None; the model in eval mode."""

    def __init__(self, model: torch.nn.Module, images: dict[str, torch.Tensor] | None = None, *,
                 eps: float = 2 / 255, steps: int = 10, method: str = "pgd"):
        checks.model(model, "AdversarialExplorer")
        check_model(model)                                            # the attacks' own: all of it in eval mode
        eps = checks.number(eps, "eps", minimum=0, hint=f"; {EPS_UNITS}")
        check_eps(eps, 1, at_most=1.0)                                # the engine's own bound, in its words
        if eps > EPS_MAX / 255:
            raise ValueError(f"eps must be in [0, {EPS_MAX}/255] here (the eps slider's range, in [0, 1] "
                             f"pixel units), got {eps:.4g} = {eps * 255:.4g}/255; {EPS_UNITS}")
        steps = checks.integer(steps, "steps", minimum=STEPS[0], maximum=STEPS[1], hint=" (the steps slider's range)")
        checks.choice(method, "method", METHODS)
        size = getattr(model, "input_size", 224)
        images = chosen_images(images, size=size, resize=False)
        super().__init__()
        self.model, self.size, self.images = model, size, images
        self.class_names = list(getattr(model, "class_names", []))
        self.frames_shown = 0
        self.last_frame = None

        self.image = widgets.Dropdown(options=list(self.images), description="image")
        self.upload = self.upload_control()
        self.method = widgets.Dropdown(options=[("FGSM", "fgsm"), ("BIM", "bim"), ("PGD", "pgd")],
                                       value=method, description="attack")
        self.eps = widgets.FloatSlider(round(eps * 255, 1), min=0, max=EPS_MAX, step=0.5, description="eps (/255)",
                                       continuous_update=False)
        self.steps = widgets.IntSlider(steps, min=STEPS[0], max=STEPS[1], description="steps", continuous_update=False)
        options = [("untargeted", UNTARGETED), ("least likely", LEAST)]
        self.target = widgets.Dropdown(options=options + [(n, k) for k, n in enumerate(self.class_names)],
                                       value=UNTARGETED, description="target")
        self.original_view, self.perturbation_view, self.adversarial_view = (
            widgets.Image(value=grey_png(), format="png", width=WIDTH) for _ in range(3))
        self.factor = widgets.HTML("<b>perturbation</b>")
        self.before, self.after = widgets.HTML(), widgets.HTML()

        self.image.observe(lambda _: self._show_original(), names="value")
        self.method.observe(lambda _: self._sync_steps(), names="value")
        self.watch(self.image, self.method, self.eps, self.steps, self.target)

        def titled(title, view):
            label = title if isinstance(title, widgets.Widget) else widgets.HTML(f"<b>{title}</b>")
            return widgets.VBox([label, view])

        self.children = [
            widgets.HBox([self.image, self.upload]),
            widgets.HBox([self.method, self.target]),
            widgets.HBox([self.eps, self.steps]),
            self.buttons,
            widgets.HBox([titled("original", self.original_view), titled(self.factor, self.perturbation_view),
                          titled("adversarial", self.adversarial_view)]),
            widgets.HBox([self.before, self.after]),
            self.status,
        ]
        self._sync_steps()
        self._show_original()

    # --- controls -------------------------------------------------------------------------------


    def _sync_steps(self) -> None:
        self.steps.disabled = self.method.value == "fgsm"          # FGSM is one step

    def settings(self) -> Attack:
        """The attack the controls describe, as the engine's ``Attack``."""
        target = {UNTARGETED: None, LEAST: LEAST_LIKELY}.get(self.target.value, self.target.value)
        steps = None if self.method.value == "fgsm" else self.steps.value
        return Attack(method=self.method.value, eps=self.eps.value / 255, steps=steps, target=target)

    # --- views ----------------------------------------------------------------------------------
    @property
    def current_image(self) -> torch.Tensor:
        return self.images[self.image.value]

    def _show_original(self) -> None:
        image = self.current_image
        self.original_view.value = image_png(image, scale=max(1, WIDTH // image.shape[-1]))
        with torch.no_grad():
            logits = self.model(image[None].to(next(self.model.parameters()).device)).cpu()
        self.before.value = top5_html("before", logits[0], self.class_names)

    def frames(self):
        return attack_frames(self.model, self.current_image, None, self.settings(), every=1)

    def show(self, frame) -> None:
        image, adversarial = self.current_image, frame.adversarial[0]
        scale = max(1, WIDTH // image.shape[-1])
        picture, factor = magnified(adversarial - image, self.eps.value / 255)
        self.perturbation_view.value = image_png(picture, scale=scale)
        self.factor.value = (f"<b>perturbation x{factor:.0f}</b>" if self.eps.value
                             else "<b>perturbation (eps = 0)</b>")
        self.adversarial_view.value = image_png(adversarial, scale=scale)
        self.after.value = top5_html(f"after step {frame.step}", frame.logits[0], self.class_names)
        probs = frame.logits[0].softmax(0)
        k = int(probs.argmax())
        text = f"step {frame.step}/{frame.steps}: {_name(k, self.class_names)} ({probs[k]:.1%})"
        text += f" ({frame.message})" if frame.message else ""
        self.say(text)
        self.last_frame = frame
        self.frames_shown += 1


def _name(k: int, names: list[str]) -> str:
    return names[k] if k < len(names) else str(k)


def top5_html(title: str, logits: torch.Tensor, names: list[str]) -> str:
    """A small table of the five most probable classes."""
    probs = logits.softmax(0)
    top = probs.topk(min(5, len(probs)))
    cell = "<tr><td>{}</td><td style='text-align:right'>{:.1%}</td></tr>"
    rows = "".join(cell.format(html.escape(_name(int(k), names)), p)
                   for p, k in zip(top.values.tolist(), top.indices.tolist()))
    return f"<div style='margin-right:2em'><b>{html.escape(title)}</b><table>{rows}</table></div>"
