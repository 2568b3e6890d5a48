"""Every exercise's reference solution passes its check; typical wrong answers fail with a hint."""
import ast
import importlib.util
from pathlib import Path

import pytest

import vizlab.coursework
from vizlab.coursework import Grader, lessons, run_check

SOLUTIONS = Path(__file__).parent.parent / "solutions"


def _solutions(lesson: str):
    spec = importlib.util.spec_from_file_location(f"solutions_lesson{lesson}", SOLUTIONS / f"lesson{lesson}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CASES = [(lesson, name) for lesson in lessons() for name in Grader(lesson).exercises]


@pytest.mark.parametrize("lesson,name", CASES)
def test_the_reference_solution_passes(lesson, name):
    result = Grader(lesson).check(name, env=vars(_solutions(lesson)))
    assert result.passed, str(result)


@pytest.mark.parametrize("lesson,name", CASES)
def test_typical_wrong_answers_fail_with_a_message(lesson, name):
    exercise = Grader(lesson).exercises[name]
    wrong = _solutions(lesson).WRONG[name]
    assert wrong, f"lesson {lesson} {name} needs at least one wrong answer"
    for answer in wrong:
        result = run_check(exercise, answer)
        assert not result.passed and result.message and result.hint, str(result)
        assert "Traceback" not in str(result)


def test_a_missing_or_unwritten_answer_is_reported_not_raised():
    grader = Grader("01")
    assert "define a function called `symmetric_scale`" in str(grader.check("q1", env={}))

    def symmetric_scale(weight):
        ...
    assert "returns nothing yet" in str(grader.check("q1", env={"symmetric_scale": symmetric_scale}))


def test_every_lesson_notebook_with_exercises_has_no_solution_in_it():
    lessons_dir = Path(__file__).parent.parent / "lessons"
    for lesson in lessons():
        solution = (SOLUTIONS / f"lesson{lesson}.py").read_text()
        body = [line.strip() for line in solution.splitlines() if line.strip().startswith("return ")]
        notebook = next(lessons_dir.glob(f"{lesson}_*.ipynb")).read_text()
        for line in body:
            assert line not in notebook, f"lesson {lesson}'s notebook contains the solution line {line!r}"


def test_unknown_lessons_and_exercises_are_refused_with_the_choices():
    with pytest.raises(ValueError, match="lessons with exercises: 01"):
        Grader("99")
    with pytest.raises(ValueError, match="its exercises are q1"):
        Grader("01").check("q7", env={})


def test_every_lesson_with_exercises_ends_with_stubs_and_a_check_for_each():
    import json
    lessons_dir = Path(__file__).parent.parent / "lessons"
    for lesson in lessons():
        cells = json.loads(next(lessons_dir.glob(f"{lesson}_*.ipynb")).read_text())["cells"]
        sources = ["".join(cell["source"]) for cell in cells]
        starts = [i for i, s in enumerate(sources) if s.startswith("## Exercises")]
        assert starts, f"lesson {lesson} has no '## Exercises' section"
        tail = [(cell["cell_type"], s) for cell, s in zip(cells[starts[0]:], sources[starts[0]:])]
        for name, exercise in Grader(lesson).exercises.items():
            stubs = [s for kind, s in tail if kind == "code" and f"def {exercise.answer}(" in s]
            assert stubs and ("..." in stubs[0] or "NotImplementedError" in stubs[0]), \
                f"lesson {lesson} needs a stub for `{exercise.answer}` under its exercises"
            assert any(kind == "code" and f'grader.check("{name}")' in s for kind, s in tail), \
                f"lesson {lesson} needs a grader.check(\"{name}\") cell"


@pytest.mark.parametrize("lesson,name", CASES)
def test_a_right_answer_in_float64_passes_too(lesson, name):
    """Students compute in double precision at times; a check must not trip over the dtype."""
    import torch

    exercise = Grader(lesson).exercises[name]
    reference = getattr(_solutions(lesson), exercise.answer)

    def in_float64(*args):
        out = reference(*args)
        return out.double() if isinstance(out, torch.Tensor) and out.is_floating_point() else out
    assert run_check(exercise, in_float64).passed


@pytest.mark.parametrize("as_scalar", ["numpy.float32", "numpy.float64", "torch.float32"])
def test_lesson09_q2_accepts_a_numpy_or_torch_scalar_of_any_float_dtype(as_scalar):
    import numpy
    import torch

    exercise = Grader("09").exercises["q2"]
    reference = getattr(_solutions("09"), exercise.answer)
    convert = {"numpy.float32": numpy.float32, "numpy.float64": numpy.float64,
               "torch.float32": lambda v: torch.tensor(v, dtype=torch.float32)}[as_scalar]
    result = run_check(exercise, lambda *args: convert(float(reference(*args))))
    assert result.passed, str(result)


@pytest.mark.parametrize("returned", ["float64", "float32"])
def test_lesson09_q1_accepts_an_fgsm_computed_in_float64(returned):
    """Model and images in double precision make the same attack, up to the rounding of x + eps
    and the sign of pixels whose gradient is ~0 at float32 precision."""
    import copy
    import torch
    from torch.nn import functional as F

    def in_float64(model, images, labels, eps):
        x = images.double().requires_grad_(True)
        grad, = torch.autograd.grad(F.cross_entropy(copy.deepcopy(model).double()(x), labels), x)
        out = (x.detach() + eps * grad.sign()).clamp(0, 1)
        return out if returned == "float64" else out.float()
    exercise = Grader("09").exercises["q1"]
    for seed in (0, 1, 2):
        result = run_check(exercise, in_float64, seed=seed)
        assert result.passed, f"seed {seed}: {result}"


def _returned_expressions(lesson: str, answer: str) -> set[str]:
    """What the reference ``answer`` of ``lesson`` returns, without spaces, where it computes
    something (an operator or a call: `return size, jump` names the result, it gives nothing away)."""
    source = (SOLUTIONS / f"lesson{lesson}.py").read_text()
    function = next(node for node in ast.walk(ast.parse(source))
                    if isinstance(node, ast.FunctionDef) and node.name == answer)
    returned = {"".join(ast.get_source_segment(source, node.value).split())
                for node in ast.walk(function) if isinstance(node, ast.Return) and node.value is not None}
    return {expression for expression in returned if any(c in expression for c in "()+-*/@")}


def _strings_in(path: Path) -> list[str]:
    """Every string literal of a module: the messages and hints its checks can show."""
    return [node.value for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


@pytest.mark.parametrize("lesson", lessons())
def test_no_message_or_hint_gives_away_a_solution_line(lesson):
    """The notebook test's idea for what a check says: neither the string literals of the lesson's
    checks and of the fallbacks they share, nor what the checks answer to every wrong answer, to a
    stub, a crash or a missing function, contain what a reference solution returns."""
    package = Path(vizlab.coursework.__file__).parent
    shown = _strings_in(package / f"lesson{lesson}.py") + _strings_in(package / "checking.py") \
        + _strings_in(package / "__init__.py")
    grader, solutions = Grader(lesson), _solutions(lesson)
    for name, exercise in grader.exercises.items():
        def crashes(*args):
            raise ValueError("a crash")
        for answer in [*solutions.WRONG[name], lambda *args: None, lambda *args: "text", crashes]:
            result = run_check(exercise, answer)
            shown += [result.message, result.hint]
        result = grader.check(name, env={})
        shown += [result.message, result.hint]
    for name, exercise in grader.exercises.items():
        for expression in _returned_expressions(lesson, exercise.answer):
            for text in shown:
                assert expression not in "".join(text.split()), \
                    f"lesson {lesson} {name} shows its solution line `return {expression}` in {text!r}"


@pytest.mark.parametrize("notebook", sorted((Path(__file__).parent.parent / "lessons").glob("*.ipynb")),
                         ids=lambda path: path.name[:2])
def test_every_discussion_question_has_an_answer_cell_that_grading_collects(notebook):
    import json
    import re

    from vizlab.coursework.grade import free_text_answers
    cells = json.loads(notebook.read_text())["cells"]
    questions = next("".join(cell["source"]) for cell in cells
                     if "Questions for discussion" in "".join(cell["source"]))
    numbers = re.findall(r"(?m)^(\d+)\. ", questions)
    assert numbers == [str(k) for k in range(1, len(numbers) + 1)] and numbers, \
        f"{notebook.name}: the discussion questions should be numbered 1, 2, ...; found {numbers}"
    assert sorted(free_text_answers(cells), key=int) == numbers, \
        f"{notebook.name} needs one markdown cell tagged answer-N per discussion question"
