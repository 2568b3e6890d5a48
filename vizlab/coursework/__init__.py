"""Exercises a student completes in a lesson and checks there, in the shape of otter-grader.

In a lesson notebook::

    from vizlab.coursework import Grader
    grader = Grader("01")

    def symmetric_scale(weight):      # the student writes this
        ...

    grader.check("q1")                # "q1 passed", or what is wrong and a hint

``check`` finds the student's function by name in the notebook's namespace, runs it on fresh
random cases and compares it with vizlab's own implementation. It never raises and never
shows a traceback from deep inside torch: an error in the student's code is reported as one
line with the hint. Each lesson's exercises live in ``vizlab/coursework/lessonNN.py``; the
reference solutions live apart, in ``solutions/`` at the top of the repository, and the tests
prove that each one passes and that typical wrong answers fail.

Why not otter-grader itself: vizlab's checks compare tensors against vizlab's own methods on
random cases, which otter's doctest-style test files do not express well, and otter brings a
grading service's dependencies into a Binder image of 2 GB. The student sees the same thing:
``grader.check("q1")`` in the notebook, pass or a message.
"""
from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import Callable

from .checking import Wrong, compare_tensors

__all__ = ["Grader", "Exercise", "Result", "Wrong", "compare_tensors"]


@dataclass(frozen=True)
class Exercise:
    """One exercise: the student defines ``answer`` (a function name); ``check(fn)`` raises
    ``Wrong`` with what is wrong and a hint, or returns if ``fn`` is right."""
    name: str
    answer: str
    task: str
    check: Callable


@dataclass(frozen=True)
class Result:
    exercise: str
    passed: bool
    message: str = ""
    hint: str = ""

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        if self.passed:
            return f"{self.exercise} passed"
        return f"{self.exercise}: not yet. {self.message}" + (f"\nHint: {self.hint}" if self.hint else "")

    __repr__ = __str__

    def _repr_html_(self) -> str:
        import html
        colour = "#1a7f37" if self.passed else "#b35900"
        body = html.escape(str(self)).replace("\n", "<br>")
        return f'<p style="color:{colour};font-family:monospace">{body}</p>'


class Grader:
    """The exercises of one lesson (``"01"`` ... ``"10"``)."""

    def __init__(self, lesson: str | int):
        key = f"{int(lesson):02d}" if str(lesson).isdigit() else None
        try:
            module = importlib.import_module(f"{__name__}.lesson{key}") if key else None
        except ModuleNotFoundError:
            module = None
        if module is None:
            raise ValueError(f"no exercises for lesson {lesson!r}; lessons with exercises: {', '.join(lessons())}")
        self.lesson = key
        self.exercises: dict[str, Exercise] = {e.name: e for e in module.EXERCISES}

    def check(self, name: str, env: dict | None = None) -> Result:
        """Check exercise ``name`` against the function the student defined in ``env``
        (default: the namespace of the notebook or module that calls ``check``)."""
        if name not in self.exercises:
            raise ValueError(f"lesson {self.lesson} has no exercise {name!r}; "
                             f"its exercises are {', '.join(self.exercises)}")
        exercise = self.exercises[name]
        if env is None:
            env = inspect.currentframe().f_back.f_globals
        fn = env.get(exercise.answer)
        if not callable(fn):
            return Result(name, False, f"define a function called `{exercise.answer}` first",
                          f"the cell above starts it for you: {exercise.task}")
        return run_check(exercise, fn)

    def check_all(self, env: dict | None = None) -> list[Result]:
        env = env if env is not None else inspect.currentframe().f_back.f_globals
        return [self.check(name, env) for name in self.exercises]


def run_check(exercise: Exercise, fn: Callable) -> Result:
    """Run ``exercise.check`` on ``fn``; any error in the student's code becomes a message."""
    try:
        exercise.check(fn)
    except Wrong as wrong:
        return Result(exercise.name, False, wrong.message, wrong.hint)
    except NotImplementedError:
        return Result(exercise.name, False, f"`{exercise.answer}` is not written yet", exercise.task)
    except Exception as error:  # the student's code failed: one line, never a deep traceback
        return Result(exercise.name, False,
                      f"`{exercise.answer}` raised {type(error).__name__}: {_first_line(error)}",
                      exercise.task)
    return Result(exercise.name, True)


def lessons() -> list[str]:
    import pkgutil
    return sorted(m.name[len("lesson"):] for m in pkgutil.iter_modules(__path__) if m.name.startswith("lesson"))


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:300] if text else "(no message)"
