"""The student as the observer: a 2-AFC quiz over trials of ``vizlab.twoafc``.

A plain VBox of core widgets, driven by its buttons (no clock, no thread): each click records
the choice and the confidence, updates the score and shows the next trial. At the end it shows
the student's accuracy per condition beside the machine observer's and the published human
figures (Borowski et al., ICLR 2021).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import ipywidgets as widgets
import torch

from .. import checks
from ..images import image_grid
from ..twoafc import published
from ..twoafc.causal import OcclusionTrial
from ..twoafc.trials import Trial
from .render import image_png

CONFIDENCE = (("unsure", 1), ("fairly sure", 2), ("sure", 3))


@dataclass(frozen=True)
class Answer:
    trial: int            # index in the quiz's own order
    condition: str
    choice: int
    confidence: int
    correct: bool


class QuizExplorer(widgets.VBox):
    """``QuizExplorer(trials, machine={"natural": 0.9, ...})``: shows each trial's references
    (maximal and minimal) and its two queries; "left" and "right" record which query the student
    thinks activates the unit more. ``answers`` holds every choice; ``accuracy()`` the share
    right per condition. Trials are shown in a seeded random order.

    The constructor refuses, naming the argument: ``trials`` that are not a non-empty list of
    ``vizlab.twoafc`` trials, ``machine`` that is not None or a dict {condition: accuracy in
    0..1}, ``seed`` not an int >= 0, ``scale`` not an int >= 1."""

    def __init__(self, trials, *, machine: dict[str, float] | None = None, seed: int = 0, scale: int = 2):
        if isinstance(trials, (str, bytes, torch.Tensor)) or not isinstance(trials, Iterable):
            raise TypeError(f"trials must be a non-empty list of trials from vizlab.twoafc.unit_trials, "
                            f"got {checks._show(trials)}")
        trials = list(trials)
        if not trials:
            raise ValueError("QuizExplorer needs at least one trial; build them with vizlab.twoafc.unit_trials")
        for trial in trials:
            if not isinstance(trial, (Trial, OcclusionTrial)):
                raise TypeError(f"trials must be a non-empty list of trials from vizlab.twoafc.unit_trials "
                                f"(or occlusion_trials); one is {checks._show(trial)}")
        if machine is not None and not isinstance(machine, Mapping):
            raise TypeError(f"machine must be None or a dict {{condition: accuracy in 0..1}}, e.g. "
                            f"{{'natural': 0.9}}; got {checks._show(machine)}")
        for condition, accuracy in (machine or {}).items():
            checks.number(accuracy, f"machine[{condition!r}]", minimum=0, maximum=1,
                          hint=" (the machine observer's accuracy, a share of trials right)")
        checks.integer(scale, "scale", minimum=1, hint=" (how many screen pixels per image pixel)")
        order = torch.randperm(len(trials), generator=torch.Generator().manual_seed(checks.integer(seed, "seed", minimum=0)))
        self.trials = [trials[i] for i in order.tolist()]
        self.machine, self.scale = dict(machine or {}), scale
        self.answers: list[Answer] = []
        self.header, self.score, self.results = widgets.HTML(), widgets.HTML(), widgets.HTML()
        self.maximal_view = widgets.Image(format="png")
        self.minimal_view = widgets.Image(format="png")
        self.no_references = widgets.HTML("<i>No references in this trial: decide from the two queries alone.</i>")
        self.references = widgets.HBox()
        self.query_views = [widgets.Image(format="png"), widgets.Image(format="png")]
        self.confidence = widgets.ToggleButtons(options=CONFIDENCE, value=2, description="confidence")
        self.buttons = [widgets.Button(description="left activates more"),
                        widgets.Button(description="right activates more")]
        for side, button in enumerate(self.buttons):
            button.on_click(lambda _, side=side: self.choose(side))
        queries = widgets.HBox([widgets.VBox([view, button]) for view, button in zip(self.query_views, self.buttons)])
        super().__init__([self.header, self.references, widgets.HTML("<b>Queries</b>: which one drives the unit more?"),
                          queries, self.confidence, self.score, self.results])
        self._show()

    @property
    def done(self) -> bool:
        return len(self.answers) == len(self.trials)

    def choose(self, side: int) -> None:
        """Record ``side`` (0 left, 1 right) for the current trial and move to the next."""
        if self.done:
            return
        trial = self.trials[len(self.answers)]
        self.answers.append(Answer(len(self.answers), trial.condition, side, int(self.confidence.value),
                                   side == trial.answer))
        self._show()

    def accuracy(self) -> dict[str, float]:
        """{condition: share of right answers} over the answers so far."""
        by: dict[str, list[bool]] = {}
        for a in self.answers:
            by.setdefault(a.condition, []).append(a.correct)
        return {c: sum(v) / len(v) for c, v in by.items()}

    def _grid(self, images):
        return image_png(image_grid(images, nrow=len(images), padding=2), scale=self.scale)

    def _show(self) -> None:
        right = sum(a.correct for a in self.answers)
        self.score.value = f"Score: {right} of {len(self.answers)} right"
        if self.done:
            self.header.value = f"<b>Done: {len(self.trials)} trials.</b>"
            for button in self.buttons:
                button.disabled = True
            self.results.value = self._results_table()
            return
        trial = self.trials[len(self.answers)]
        self.header.value = (f"<b>Trial {len(self.answers) + 1} of {len(self.trials)}</b> — unit "
                             f"{trial.layer}:{trial.channel}, references: <b>{trial.condition}</b>")
        if len(trial.references.maximal):
            self.maximal_view.value = self._grid(trial.references.maximal)
            self.minimal_view.value = self._grid(trial.references.minimal)
            self.references.children = [widgets.VBox([widgets.HTML("<b>drive it most</b>"), self.maximal_view]),
                                        widgets.VBox([widgets.HTML("<b>drive it least</b>"), self.minimal_view])]
        else:
            self.references.children = [self.no_references]
        for view, image in zip(self.query_views, trial.queries):
            view.value = image_png(image, scale=2 * self.scale)

    def _results_table(self) -> str:
        rows = "".join(
            f"<tr><td>{c}</td><td>{100 * a:.0f} %</td>"
            f"<td>{f'{100 * self.machine[c]:.0f} %' if c in self.machine else '—'}</td>"
            f"<td>{published.REFERENCES_9.get(c, '—')}</td></tr>"
            for c, a in sorted(self.accuracy().items()))
        return ("<table><tr><th>references</th><th>you</th><th>machine observer</th>"
                f"<th>people, {published.SOURCES['references']}, 9 references</th></tr>{rows}</table>")
