"""The Grader always answers: seeded cases, a time limit, every exception a message, complex and
bool refused, the student's global state kept."""
import importlib.util
import random
import time
from pathlib import Path

import pytest
import torch

from vizlab.coursework import Grader, lessons, run_check

SOLUTIONS = Path(__file__).parent.parent / "solutions"
SEEDS = range(50)


def _solutions(lesson: str):
    spec = importlib.util.spec_from_file_location(f"solutions_lesson{lesson}", SOLUTIONS / f"lesson{lesson}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("lesson", lessons())
def test_over_50_seeds_every_reference_passes_and_every_wrong_answer_fails(lesson):
    solutions = _solutions(lesson)
    failures = []
    for name, exercise in Grader(lesson).exercises.items():
        reference = getattr(solutions, exercise.answer)
        for seed in SEEDS:
            result = run_check(exercise, reference, seed=seed)
            if not result.passed:
                failures.append(f"seed {seed}: the reference for {name} fails: {result}")
            for number, wrong in enumerate(solutions.WRONG[name]):
                result = run_check(exercise, wrong, seed=seed)
                if result.passed or not result.hint:
                    failures.append(f"seed {seed}: wrong answer {number} of {name} gives {result}")
    assert not failures, "\n".join(failures[:10])


def test_answers_fitted_to_the_public_cases_fail_on_a_secret_seed():
    """A function that replays what it returned on the public cases passes seed 0 only."""
    exercise = Grader("07").exercises["q1"]
    reference = _solutions("07").total_variation
    seen = {}

    def memorised(images, beta):
        key = (images.sum().item(), beta)
        seen.setdefault(key, reference(images, beta))
        return seen[key]

    assert run_check(exercise, memorised, seed=0).passed                 # learns the public cases
    public = dict(seen)
    replay = lambda images, beta: public.get((images.sum().item(), beta), torch.zeros(len(images)))
    assert run_check(exercise, replay, seed=0).passed
    for seed in (1, 2, 12345):
        assert not run_check(exercise, replay, seed=seed).passed


def test_a_function_that_never_returns_gets_a_message_within_its_limit():
    exercise = Grader("08").exercises["q1"]

    def spins(images, grad, step_size):
        while True:
            pass

    def sleeps(images, grad, step_size):
        time.sleep(3600)

    def swallows(images, grad, step_size):
        try:
            while True:
                pass
        except Exception:        # a student's catch-all must not hide the time limit
            return images
    for never in (spins, sleeps, swallows):
        start = time.perf_counter()
        result = run_check(exercise, never, time_limit=0.3)
        assert time.perf_counter() - start < 3
        assert not result.passed and "did not return within 0.3 s" in result.message
    assert run_check(exercise, _solutions("08").dream_step, time_limit=0.3).passed   # still usable


def test_the_time_limit_also_holds_off_the_main_thread():
    """Where no timer signal can be used (a thread: a widget's callback, a test runner), the
    limit still stops Python code."""
    import threading
    exercise, answers = Grader("08").exercises["q1"], []

    def spins(images, grad, step_size):
        while True:
            pass
    worker = threading.Thread(target=lambda: answers.append(run_check(exercise, spins, time_limit=0.3)))
    worker.start()
    worker.join(timeout=5)
    assert not worker.is_alive() and "did not return within 0.3 s" in answers[0].message


def test_a_stop_sent_as_a_threaded_check_ends_is_received_never_cancelled(monkeypatch):
    """Off the main thread the limit is an asynchronous exception. One sent as the call ends is
    received and dropped inside the limit's own code: it does not escape, and it is never
    cancelled with PyThreadState_SetAsyncExc(thread, NULL), which on CPython 3.11 leaves the
    whole interpreter checking for it at every later bytecode (test_interrupts ran 100x slower)."""
    import ctypes
    import threading
    from vizlab import coursework

    sent, send = [], ctypes.pythonapi.PyThreadState_SetAsyncExc
    monkeypatch.setattr(ctypes.pythonapi, "PyThreadState_SetAsyncExc",
                        lambda thread, exc: sent.append(exc) or send(thread, exc))
    outcomes = []

    def racing_the_limit():
        for i in range(20):                     # calls of 5 to 43 ms under a 10 ms limit
            try:
                with coursework._stopped_after(0.01):
                    end = time.perf_counter() + 0.005 + i * 0.002
                    while time.perf_counter() < end:
                        pass
                outcomes.append("returned")
            except coursework._OutOfTime:
                outcomes.append("stopped")
    worker = threading.Thread(target=racing_the_limit)
    worker.start()
    worker.join(timeout=10)
    assert len(outcomes) == 20 and sent, "no stop was sent: the race was not exercised"
    assert all(exc is not None for exc in sent), "a pending stop was cancelled with NULL"


class _Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no")


@pytest.mark.parametrize("raised,said", [
    (SystemExit(3), "SystemExit"), (KeyboardInterrupt(), "interrupted"), (_Unprintable(), "cannot be printed"),
    (ZeroDivisionError("division by zero"), "ZeroDivisionError: division by zero"),
    (RecursionError(), "RecursionError"), (MemoryError(), "MemoryError"), (GeneratorExit(), "GeneratorExit"),
])
def test_every_exception_in_student_code_becomes_a_message(raised, said):
    def raises(*args):
        raise raised
    for lesson in ("01", "03", "10"):
        for exercise in Grader(lesson).exercises.values():
            result = run_check(exercise, raises)
            assert not result.passed and said in str(result), str(result)


def test_not_written_yet_only_for_the_students_own_raise():
    exercise = Grader("01").exercises["q1"]

    def stub(weight):
        raise NotImplementedError

    def stub_with_text(weight):
        raise NotImplementedError("TODO")

    def torch_cannot(weight):
        return torch.fft.fft2(weight.to(torch.float16).to_sparse()).abs()   # sparse fft: not implemented

    for unwritten in (stub, stub_with_text):
        assert "not written yet" in run_check(exercise, unwritten).message
    result = run_check(exercise, torch_cannot)
    assert not result.passed and "not written yet" not in result.message, str(result)
    assert "torch operation" in result.message


@pytest.mark.parametrize("lesson", lessons())
def test_complex_and_bool_results_are_refused_with_a_hint(lesson):
    solutions = _solutions(lesson)
    for exercise in Grader(lesson).exercises.values():
        reference = getattr(solutions, exercise.answer)

        def as_complex(*args):
            out = reference(*args)
            if isinstance(out, torch.Tensor):
                return out.to(torch.complex128)
            if isinstance(out, tuple):
                return tuple(v.to(torch.complex128) if isinstance(v, torch.Tensor) else complex(v) for v in out)
            return complex(float(out))

        def as_bool(*args):
            out = reference(*args)
            return out.bool() if isinstance(out, torch.Tensor) else tuple(torch.tensor(v).bool() for v in out) \
                if isinstance(out, tuple) else torch.tensor(float(out)).bool()
        for odd, said in ((as_complex, "complex"), (as_bool, "bool")):
            result = run_check(exercise, odd)
            assert not result.passed and said in result.message and result.hint, f"{lesson} {exercise.name}: {result}"


@pytest.mark.parametrize("lesson", lessons())
def test_checking_leaves_the_students_global_state_as_it_was(lesson):
    """Neither vizlab's checks nor a student's own torch.manual_seed change the notebook's
    global generators or grad mode."""
    solutions = _solutions(lesson)
    torch.manual_seed(1234)
    random.seed(99)
    state, python_state, initial = torch.get_rng_state(), random.getstate(), torch.initial_seed()
    for exercise in Grader(lesson).exercises.values():
        reference = getattr(solutions, exercise.answer)

        def reseeds(*args):
            torch.manual_seed(0)
            random.seed(0)
            torch.set_grad_enabled(False)
            return reference(*args)
        for answer in (reference, reseeds):
            run_check(exercise, answer)
            assert torch.equal(torch.get_rng_state(), state) and torch.initial_seed() == initial
            assert random.getstate() == python_state and torch.is_grad_enabled()


def test_seed_and_time_limit_are_checked():
    for bad in (-1, True, 2.5, "abc", None):
        with pytest.raises((TypeError, ValueError), match="seed"):
            Grader("01", seed=bad)
    for bad in (0, -1, float("nan"), "10"):
        with pytest.raises((TypeError, ValueError), match="time_limit"):
            Grader("01", time_limit=bad)
    assert Grader("01", seed=2 ** 40).check("q1", env=vars(_solutions("01"))).passed
