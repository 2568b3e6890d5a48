"""Exercises a student completes in a lesson and checks there, in the shape of otter-grader.

In a lesson notebook::

    from vizlab.coursework import Grader
    grader = Grader("01")

    def symmetric_scale(weight):      # the student writes this
        ...

    grader.check("q1")                # "q1 passed", or what is wrong and a hint

``check`` finds the student's function by name in the notebook's namespace, runs it on random
cases drawn from a seed and compares it with vizlab's own implementation. The notebook uses the
public seed 0; ``vizlab grade --seed S`` (see ``vizlab.coursework.grade``) runs the same checks on
cases drawn from an instructor's secret seed, so matching the public cases is not enough.

``check`` always answers, with a ``Result``, and never shows a traceback from deep inside torch:

- an error of any kind in the student's code (``SystemExit`` and errors whose message cannot be
  printed included) is one line with the hint; ``NotImplementedError`` says "not written yet"
  only when the student's own code raises it (a stub), not when a torch operation does;
- a call of the student's function that does not return within ``time_limit`` seconds is
  stopped, and the kernel stays usable (Unix, main thread: a timer signal; elsewhere the
  stop reaches Python code only, not a single long torch operation);
- complex and bool results are refused with a hint, never compared through their real part;
- torch's, Python's and numpy's global random state and grad mode are as the student left them.

Each lesson's exercises live in ``vizlab/coursework/lessonNN.py``; the reference solutions live
apart, in ``solutions/`` at the top of the repository, and the tests prove, over many seeds,
that each one passes and that typical wrong answers fail.

Why not otter-grader itself: vizlab's checks compare tensors against vizlab's own methods on
random cases, which otter's doctest-style test files do not express well, and otter brings a
grading service's dependencies into a Binder image of 2 GB. The student sees the same thing:
``grader.check("q1")`` in the notebook, pass or a message.
"""
from __future__ import annotations

import contextlib
import ctypes
import dis
import functools
import importlib
import inspect
import os
import random
import signal
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Callable

import torch

from .. import checks
from .checking import Wrong, compare_tensors, refuse_odd_dtype

PUBLIC_SEED = 0           # the seed of the cases a student sees in the notebook
DEFAULT_TIME_LIMIT = 20   # seconds per call of a student's function

__all__ = ["Grader", "Exercise", "Result", "Wrong", "compare_tensors"]


@dataclass(frozen=True)
class Exercise:
    """One exercise: the student defines ``answer`` (a function name); ``check(fn, seed)`` draws
    its cases from ``seed`` (with a local ``torch.Generator``, never the global one) and raises
    ``Wrong`` with what is wrong and a hint, or returns if ``fn`` is right. A right answer must
    pass for every seed."""
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
    """The exercises of one lesson (``"01"`` ... ``"10"``), checked on the cases of ``seed``
    (the public seed 0 in a notebook, a secret one when an instructor grades), each call of a
    student's function limited to ``time_limit`` seconds.

    Its arguments are refused with what is allowed: a lesson without exercises (the list of
    those with), ``seed`` not an int >= 0, ``time_limit`` not a finite number > 0; and in
    ``check``, an exercise the lesson does not have (its list) and an ``env`` that is no dict."""

    def __init__(self, lesson: str | int, *, seed: int = PUBLIC_SEED, time_limit: float = DEFAULT_TIME_LIMIT):
        key = f"{int(lesson):02d}" if str(lesson).isdigit() else None
        try:
            module = importlib.import_module(f"{__name__}.lesson{key}") if key else None
        except ModuleNotFoundError:
            module = None
        if module is None:
            raise ValueError(f"no exercises for lesson {lesson!r}; lessons with exercises: {', '.join(lessons())}")
        self.lesson = key
        self.seed = checks.integer(seed, "seed", minimum=0, hint=" (0 is the notebook's public seed)")
        self.time_limit = checks.number(time_limit, "time_limit", positive=True)
        self.exercises: dict[str, Exercise] = {e.name: e for e in module.EXERCISES}

    def check(self, name: str, env: dict | None = None) -> Result:
        """Check exercise ``name`` against the function the student defined in ``env``
        (default: the namespace of the notebook or module that calls ``check``)."""
        if not isinstance(name, str) or name not in self.exercises:
            raise (ValueError if isinstance(name, str) else TypeError)(
                f"lesson {self.lesson} has no exercise {name!r}; its exercises are {', '.join(self.exercises)}")
        exercise = self.exercises[name]
        if env is None:
            env = inspect.currentframe().f_back.f_globals
        _check_env(env)
        fn = env.get(exercise.answer)
        if not callable(fn):
            return Result(name, False, f"define a function called `{exercise.answer}` first",
                          f"the cell above starts it for you: {exercise.task}")
        return run_check(exercise, fn, seed=self.seed, time_limit=self.time_limit)

    def check_all(self, env: dict | None = None) -> list[Result]:
        env = env if env is not None else inspect.currentframe().f_back.f_globals
        _check_env(env)
        return [self.check(name, env) for name in self.exercises]


def _check_env(env) -> None:
    if not isinstance(env, Mapping):
        raise TypeError(f"env must be a dict of the student's names, such as globals() (or None for the "
                        f"caller's namespace), got {checks._show(env)}")


def run_check(exercise: Exercise, fn: Callable, *, seed: int = PUBLIC_SEED,
              time_limit: float | None = DEFAULT_TIME_LIMIT) -> Result:
    """Run ``exercise.check`` on ``fn`` with the cases of ``seed``; every exception becomes a
    message, each call of ``fn`` is stopped after ``time_limit`` seconds (None: no limit), and
    the global random state and grad mode are restored afterwards."""
    answer = _guarded(fn, exercise.answer, time_limit)
    try:
        with _global_state_kept():
            exercise.check(answer, seed)
    except Wrong as wrong:
        return Result(exercise.name, False, wrong.message, wrong.hint)
    except _OutOfTime:
        return Result(exercise.name, False, f"your function did not return within {time_limit:g} s",
                      "look for a loop that never ends, or work that grows with the input; "
                      "the cases are small, a right answer takes well under a second")
    except KeyboardInterrupt:
        return Result(exercise.name, False, "the check was interrupted", "run the check again when ready")
    except NotImplementedError as error:
        if _raised_by_a_stub(error):
            return Result(exercise.name, False, f"`{exercise.answer}` is not written yet", exercise.task)
        return Result(exercise.name, False, f"`{exercise.answer}` called a torch operation that raised "
                      f"NotImplementedError: {_first_line(error)}",
                      "this operation does not support these inputs' dtype or device; "
                      "use another operation, or convert first (e.g. .float())")
    except BaseException as error:  # the student's code failed: one line, never a deep traceback
        return Result(exercise.name, False, f"`{exercise.answer}` raised {_type_name(error)}: {_first_line(error)}",
                      exercise.task)
    return Result(exercise.name, True)


class _OutOfTime(BaseException):
    """Raised into a student's function at its time limit; a BaseException, so that a student's
    ``except Exception`` does not swallow it."""


def _guarded(fn: Callable, name: str, time_limit: float | None) -> Callable:
    """``fn``, with each call under the time limit and its complex or bool results refused."""
    @functools.wraps(fn)
    def answer(*args, **kwargs):
        with _stopped_after(time_limit):
            out = fn(*args, **kwargs)
        refuse_odd_dtype(out, f"`{name}`")
        return out
    return answer


@contextlib.contextmanager
def _stopped_after(seconds: float | None):
    """Raise ``_OutOfTime`` in this thread after ``seconds``: by SIGALRM on the main thread of a
    Unix process (it also ends a ``time.sleep``), otherwise by an asynchronous exception, which
    Python code notices between two bytecodes."""
    if seconds is None:
        yield
    elif hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
        def on_alarm(signum, frame):
            raise _OutOfTime
        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            try:
                signal.setitimer(signal.ITIMER_REAL, 0)
            finally:
                signal.signal(signal.SIGALRM, previous)
    else:
        thread, lock, state = threading.get_ident(), threading.Lock(), {"inside": True, "sent": False}

        def stop():
            with lock:
                if state["inside"]:
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread), ctypes.py_object(_OutOfTime))
                    state["sent"] = True
        timer = threading.Timer(seconds, stop)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
            with lock:
                state["inside"] = False
            if state["sent"]:
                _receive_pending_stop()


def _receive_pending_stop() -> None:
    """Let an ``_OutOfTime`` sent just as the call ended arrive here, where it is dropped.

    It is taken here rather than cancelled with ``PyThreadState_SetAsyncExc(thread, NULL)``:
    on CPython 3.11 that call flags the interpreter for a pending exception that never comes,
    and every bytecode the process runs afterwards stops to look for it.
    """
    try:
        for _ in range(1000):   # an asynchronous exception arrives at a loop's next iteration
            pass
    except _OutOfTime:
        pass


@contextlib.contextmanager
def _global_state_kept():
    """The global random generators (torch, Python, numpy once imported, CUDA once started)
    and grad mode, as they were before: a student's ``torch.manual_seed`` inside a checked
    function does not leak into the notebook."""
    torch_state, python_state, grad = torch.get_rng_state(), random.getstate(), torch.is_grad_enabled()
    numpy = sys.modules.get("numpy")
    numpy_state = numpy.random.get_state() if numpy is not None else None
    cuda_states = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None
    try:
        yield
    finally:
        torch.set_rng_state(torch_state)
        random.setstate(python_state)
        torch.set_grad_enabled(grad)
        if numpy_state is not None:
            numpy.random.set_state(numpy_state)
        if cuda_states is not None:
            torch.cuda.set_rng_state_all(cuda_states)


_LIBRARIES = tuple(os.path.dirname(module.__file__) + os.sep for module in (torch, sys.modules[__name__.split(".")[0]]))


def _raised_by_a_stub(error: BaseException) -> bool:
    """True if the innermost frame of ``error`` is a ``raise`` statement outside torch and
    vizlab: the student's ``raise NotImplementedError``. An error raised by a torch operation
    ends on the call (C code adds no frame) or inside torch's own files."""
    tb = error.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    if code.co_filename.startswith(_LIBRARIES):
        return False
    return 0 <= tb.tb_lasti < len(code.co_code) and code.co_code[tb.tb_lasti] == dis.opmap["RAISE_VARARGS"]


def lessons() -> list[str]:
    import pkgutil
    return sorted(m.name[len("lesson"):] for m in pkgutil.iter_modules(__path__) if m.name.startswith("lesson"))


def _first_line(error: BaseException) -> str:
    try:
        text = str(error).strip().splitlines()
    except BaseException:           # a student's exception whose __str__ itself fails
        return "(its message cannot be printed)"
    return text[0][:300] if text else "(no message)"


def _type_name(error: BaseException) -> str:
    try:
        return str(type(error).__name__)
    except BaseException:
        return "an exception"
