"""Grade a class's submitted notebooks with vizlab's own checks (``vizlab grade``).

For each submission and each exercise of the lesson, in a fresh process per submission:

1. **Only the cells the exercises need run.** From every code cell, the top-level ``import`` and
   ``from ... import`` statements, ``def`` and ``class`` statements, and assignments to plain names
   of a literal constant (``EPS = 1e-8``) or a ``lambda`` run, in notebook order; nothing else does (no figures, no explorers,
   no ``grader.check`` cells, no stored outputs). IPython magics and ``!`` lines are skipped. A cell
   that does not parse is skipped and named in the feedback. A definition's decorators and default
   values are evaluated, as Python does.
2. **vizlab's own check** runs on the student's function (found by name) with the cases of the
   instructor's ``seed``: the notebook's check cell, edited or deleted, plays no part.
3. **Limits**: each call of a student's function stops after ``call_time_limit`` seconds; the whole
   submission after ``time_limit`` seconds; its memory (address space on top of what Python and
   vizlab take at start) is capped at ``memory_limit`` MB (a Linux resource limit). A
   process that dies keeps the results of the exercises checked before.
4. **Tampering** with vizlab, torch or Python's builtins (replacing a function there, at definition
   time or while checked) voids the submission's results: a guard against the obvious, not a sandbox.

Each submission is a notebook file; folders are searched for ``*.ipynb`` (checkpoints skipped) and
zip files (as an LMS exports them) are read in place. A student is named by the file's path
without ``.ipynb``, relative to the folder or zip it came from.
"""
from __future__ import annotations

import ast
import csv
import io
import json
import os
import re
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

STATUS_PASSED, STATUS_FAILED, STATUS_NOT_RUN = "passed", "failed", "not run"
CSV_COLUMNS = ["student", "exercise", "points", "max_points", "status", "message", "hint"]


@dataclass(frozen=True)
class Limits:
    """Per submission: ``time_limit`` seconds in all, ``call_time_limit`` seconds per call of a
    student's function, ``memory_limit`` MB of memory beyond what Python and vizlab take."""
    time_limit: float = 120.0
    call_time_limit: float = 20.0
    memory_limit: int = 2048


@dataclass(frozen=True)
class Submission:
    student: str
    name: str          # where it came from, for messages
    text: bytes        # the notebook file's contents


@dataclass(frozen=True)
class Row:
    """One line of the grades CSV: one exercise of one student (``exercise == "total"``: the sum)."""
    student: str
    exercise: str
    points: int
    max_points: int
    status: str
    message: str = ""
    hint: str = ""


@dataclass
class Graded:
    submission: Submission
    rows: list[Row]
    notes: list[str] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)     # question -> free-text answer


# -- finding the submissions -------------------------------------------------------------------

def collect(paths) -> list[Submission]:
    """The notebooks in ``paths`` (files, folders, zip files), in a stable order, names unique."""
    found: list[Submission] = []
    for path in map(Path, paths):
        if path.is_dir():
            for file in sorted(path.rglob("*.ipynb")):
                if ".ipynb_checkpoints" not in file.parts and "__MACOSX" not in file.parts:
                    found.append(Submission(_student(file.relative_to(path)), str(file), file.read_bytes()))
        elif path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                for info in sorted(archive.infolist(), key=lambda i: i.filename):
                    inner = Path(info.filename)
                    if inner.suffix == ".ipynb" and not info.is_dir() and ".ipynb_checkpoints" not in inner.parts \
                            and "__MACOSX" not in inner.parts:
                        found.append(Submission(_student(inner), f"{path}:{inner}", archive.read(info)))
        elif path.is_file():
            found.append(Submission(_student(Path(path.name)), str(path), path.read_bytes()))
        else:
            raise ValueError(f"submission {str(path)!r} does not exist: give notebook files, folders or zip files")
    if not found:
        raise ValueError(f"no notebooks (*.ipynb) in {', '.join(map(str, paths))}")
    seen: dict[str, int] = {}
    unique = []
    for submission in found:
        count = seen[submission.student] = seen.get(submission.student, 0) + 1
        student = submission.student if count == 1 else f"{submission.student} ({count})"
        unique.append(Submission(student, submission.name, submission.text))
    return unique


def _student(relative: Path) -> str:
    return relative.with_suffix("").as_posix()


# -- what runs ---------------------------------------------------------------------------------

_GRADER_CALL = re.compile(r"""Grader\(\s*["']?(\d{1,2})\b""")


def notebook_cells(text: bytes) -> list[dict]:
    """The cells of a notebook file; ValueError if it is not one."""
    try:
        notebook = json.loads(text.decode("utf-8"))
        cells = notebook["cells"]
        assert isinstance(cells, list) and all(isinstance(c, dict) for c in cells)
    except Exception:
        raise ValueError("the file is not a Jupyter notebook (its JSON could not be read)") from None
    return cells


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(line for line in source if isinstance(line, str)) if isinstance(source, list) else str(source)


def notebook_lesson(cells: list[dict]) -> str | None:
    """The lesson a notebook belongs to, from its ``Grader("NN")`` call (None if there is none)."""
    for cell in cells:
        if cell.get("cell_type") == "code":
            match = _GRADER_CALL.search(_source(cell))
            if match:
                return f"{int(match.group(1)):02d}"
    return None


def runnable_code(cells: list[dict]) -> tuple[list[tuple[str, ast.Module]], list[str]]:
    """The statements that run (see the module's rule), as one small module per statement with its
    place (``"cell 7"``), and notes on the cells that were skipped because they do not parse."""
    kept, notes = [], []
    code_cells = [cell for cell in cells if cell.get("cell_type") == "code"]
    for number, cell in enumerate(code_cells, start=1):
        source = _without_magics(_source(cell))
        try:
            tree = ast.parse(source)
        except SyntaxError as error:
            notes.append(f"code cell {number} has a syntax error (line {error.lineno}: {error.msg}), so it was skipped")
            continue
        for statement in tree.body:
            if _needed(statement):
                kept.append((f"code cell {number}", ast.Module(body=[statement], type_ignores=[])))
    return kept, notes


def _without_magics(source: str) -> str:
    """IPython lines (``%magic``, ``!shell``, a cell's ``%%magic``) become ``pass`` at their indentation,
    so that line numbers stay those of the cell."""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        lines.append(line[:len(line) - len(stripped)] + "pass" if stripped.startswith(("%", "!")) else line)
    return "\n".join(lines)


def _needed(statement: ast.stmt) -> bool:
    if isinstance(statement, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None:
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        if all(isinstance(target, ast.Name) for target in targets):
            if isinstance(statement.value, ast.Lambda):
                return True
            try:
                ast.literal_eval(statement.value)
                return True
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                return False
    return False


# The prompt each lesson's answer cell ships with; it is not part of the student's answer.
ANSWER_PROMPT = re.compile(r"^\s*\*Your answer to question \d+:\*")


def free_text_answers(cells: list[dict]) -> dict[str, str]:
    """The free-text answers: a cell tagged ``answer-N`` answers question N; the cells tagged
    ``answer`` answer questions 1, 2, ... in their order. Two cells for one question are joined.
    The shipped prompt ("*Your answer to question N:*") is left out, so a cell the student never
    wrote in gives an empty answer."""
    answers, order = {}, 0
    for cell in cells:
        tags = cell.get("metadata", {}).get("tags", []) if isinstance(cell.get("metadata"), dict) else []
        tags = [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []
        named = [t[len("answer-"):] for t in tags if t.startswith("answer-")]
        if named or "answer" in tags:
            if not named:
                order += 1
            question = named[0] if named else str(order)
            answers[question] = (answers.get(question, "") + "\n\n" + ANSWER_PROMPT.sub("", _source(cell))).strip()
    return answers


# -- the grading process -----------------------------------------------------------------------

def _check_submission(connection, text: bytes, lesson: str, seed: int, limits: Limits) -> None:
    """In a fresh process: run what the exercises need and send one message per exercise."""
    _apply_limits(limits)
    import torch

    from . import Grader, Result, _first_line, run_check
    torch.set_num_threads(1)
    grader = Grader(lesson, seed=seed, time_limit=limits.call_time_limit)
    cells = notebook_cells(text)
    kept, notes = runnable_code(cells)
    baseline = _fingerprint()
    namespace: dict = {"__name__": "__main__", "__builtins__": __builtins__}
    for place, module in kept:
        try:
            exec(compile(module, f"<{place}>", "exec"), namespace)
        except BaseException as error:       # one broken import does not stop the others
            notes.append(f"{place} raised {type(error).__name__}: {_first_line(error)}")
    connection.send(("notes", notes))
    if _changed(baseline):
        connection.send(("tampered", "the notebook's code replaces functions of vizlab, torch or Python itself"))
        return
    for name, exercise in grader.exercises.items():
        connection.send(("started", name))
        fn = namespace.get(exercise.answer)
        if not callable(fn):
            syntax = [note for note in notes if "syntax error" in note]
            result = Result(name, False, f"no function called `{exercise.answer}` in the notebook"
                            + (f"; {syntax[0]}" if syntax else ""), f"define it: {exercise.task}")
        else:
            result = run_check(exercise, fn, seed=seed, time_limit=limits.call_time_limit)
        if _changed(baseline):
            connection.send(("tampered", f"`{exercise.answer}` replaces functions of vizlab, torch or Python while it is checked"))
            return
        message = result.message
        if not result.passed and ("MemoryError" in message or "can't allocate memory" in message):
            message = f"`{exercise.answer}` ran out of memory (the limit is {limits.memory_limit} MB)"
        connection.send(("result", (name, result.passed, message, result.hint)))


def _apply_limits(limits: Limits) -> None:
    """Memory on top of what this process already maps; no core files; output to /dev/null."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        import resource
    except ImportError:        # Windows: no resource limits, the time limit still holds
        return
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    mapped = _address_space()
    if mapped is not None:
        cap = mapped + limits.memory_limit * 2 ** 20
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))


def _address_space() -> int | None:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


def _fingerprint() -> dict:
    """The identity of every function and value in vizlab's modules, torch, torch.Tensor,
    torch.nn.functional and builtins: what a check relies on."""
    import builtins

    import torch
    spaces = {name: vars(module) for name, module in list(sys.modules.items())
              if module is not None and (name == "vizlab" or name.startswith("vizlab."))}
    spaces.update({"torch": vars(torch), "torch.Tensor": vars(torch.Tensor),
                   "torch.nn.functional": vars(torch.nn.functional), "builtins": vars(builtins)})
    return {(space, key): id(value) for space, names in spaces.items() for key, value in list(names.items())
            if not key.startswith("__") and not isinstance(value, type(sys))}


def _changed(baseline: dict) -> bool:
    """Whether a name that was there at the start now holds another object (names added later,
    by imports, do not count)."""
    now = _fingerprint()
    return any(now.get(key, value) != value for key, value in baseline.items())


def _context():
    import multiprocessing
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__, "vizlab", "vizlab.coursework", "vizlab.adversarial", "vizlab.data",
                                        "vizlab.models.zoo", *_lesson_modules(), "vizlab.coursework._warm"])
        return context
    return multiprocessing.get_context("spawn")


def _lesson_modules() -> list[str]:
    from . import lessons
    return [f"vizlab.coursework.lesson{lesson}" for lesson in lessons()]


def grade_one(submission: Submission, lesson: str, seed: int, limits: Limits, context=None) -> Graded:
    """Grade one submission in a fresh process; every way it can fail becomes its rows."""
    from . import Grader
    exercises = Grader(lesson).exercises
    graded = Graded(submission, [])
    try:
        cells = notebook_cells(submission.text)
    except ValueError as error:
        return _finish(graded, exercises, {}, f"not graded: {error}")
    graded.answers = free_text_answers(cells)
    found = notebook_lesson(cells)
    if found is not None and found != lesson:
        return _finish(graded, exercises, {}, f"not graded: this is a notebook of lesson {found}, not lesson {lesson}")
    context = context or _context()
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_check_submission, args=(send, submission.text, lesson, seed, limits), daemon=True)
    results, current, reason = {}, None, None
    process.start()                 # the first start also starts the fork server: not the student's time
    deadline = time.monotonic() + limits.time_limit
    send.close()
    try:
        while True:
            if not receive.poll(max(0.0, deadline - time.monotonic())):
                reason = f"not graded: the notebook did not finish within {limits.time_limit:g} s"
                break
            try:
                kind, value = receive.recv()
            except (EOFError, OSError):
                break
            if kind == "notes":
                graded.notes.extend(value)
            elif kind == "started":
                current = value
            elif kind == "result":
                results[value[0]] = value[1:]
                if len(results) == len(exercises):      # done, even if a thread of the student's lingers
                    break
            elif kind == "tampered":
                results, reason = {}, f"not graded: {value}"
                break
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receive.close()
    if reason is None and len(results) < len(exercises):
        code = process.exitcode
        how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        while_ = f" while checking {current}" if current else " while running the notebook's definitions"
        reason = f"not graded: the kernel died{while_} ({how}; out of memory or a crash)"
    return _finish(graded, exercises, results, reason)


def _finish(graded: Graded, exercises: dict, results: dict, reason: str | None) -> Graded:
    student, rows = graded.submission.student, []
    for name in exercises:
        if name in results:
            passed, message, hint = results[name]
            rows.append(Row(student, name, int(passed), 1, STATUS_PASSED if passed else STATUS_FAILED,
                            "" if passed else message, "" if passed else hint))
        else:
            rows.append(Row(student, name, 0, 1, STATUS_NOT_RUN, reason or "not graded"))
    rows.append(Row(student, "total", sum(r.points for r in rows), len(rows), "",
                    f"{sum(r.points for r in rows)} of {len(rows)} passed"))
    graded.rows = rows
    return graded


# -- the class -------------------------------------------------------------------------------

def grade(paths, lesson: str, seed: int, *, out: str | Path = "grades", workers: int | None = None,
          limits: Limits = Limits(), gradescope: str | Path | None = None, progress: bool = True) -> list[Graded]:
    """Grade every submission in ``paths``; write ``out/grades.csv``, ``out/feedback/STUDENT.txt``,
    ``out/answers.md`` (if any cell is tagged ``answer``) and, for a single submission, Gradescope's
    ``results.json`` at ``gradescope``."""
    from tqdm.auto import tqdm

    from .. import checks
    from . import Grader
    lesson = Grader(lesson).lesson                       # refuses an unknown lesson with the choices
    seed = checks.integer(seed, "seed", minimum=0)
    workers = checks.integer(workers, "workers", minimum=1) if workers is not None else _cpus()
    submissions = collect(paths)
    if gradescope is not None and len(submissions) != 1:
        raise ValueError(f"a Gradescope results.json is for one submission, got {len(submissions)}: "
                         "Gradescope grades each submission on its own")
    context = _context()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_grade_or_say_why, s, lesson, seed, limits, context) for s in submissions]
        graded = [future.result() for future in tqdm(futures, desc=f"grading lesson {lesson}", unit="notebook",
                                                       disable=not progress, file=sys.stderr)]
    write_outputs(graded, Path(out), lesson)
    if gradescope is not None:
        write_gradescope(graded[0], Path(gradescope))
    return graded


def _grade_or_say_why(submission: Submission, lesson: str, seed: int, limits: Limits, context) -> Graded:
    """``grade_one``, and if vizlab itself fails on an odd notebook, that student's rows say so:
    one notebook never stops the class's grading."""
    try:
        return grade_one(submission, lesson, seed, limits, context)
    except Exception as error:
        from . import Grader
        return _finish(Graded(submission, []), Grader(lesson).exercises, {},
                       f"not graded: vizlab could not read this notebook ({type(error).__name__}: {error})")


def _cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def write_outputs(graded: list[Graded], out: Path, lesson: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "feedback").mkdir(exist_ok=True)
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(CSV_COLUMNS)
        for one in graded:
            for row in one.rows:
                writer.writerow([row.student, row.exercise, row.points, row.max_points, row.status, row.message, row.hint])
    for one in graded:
        (out / "feedback" / f"{_file_name(one.submission.student)}.txt").write_text(feedback(one, lesson), encoding="utf-8")
    questions = sorted({q for one in graded for q in one.answers}, key=lambda q: (len(q), q))
    if questions:
        text = io.StringIO()
        text.write(f"# Lesson {lesson}: answers to the discussion questions\n")
        for question in questions:
            text.write(f"\n## Question {question}\n")
            for one in graded:
                text.write(f"\n### {one.submission.student}\n\n{one.answers.get(question) or '(no answer)'}\n")
        (out / "answers.md").write_text(text.getvalue(), encoding="utf-8")


def _file_name(student: str) -> str:
    return re.sub(r"[^\w.-]+", "_", student).strip("._") or "student"


def feedback(graded: Graded, lesson: str) -> str:
    """What a student reads: each exercise's result with the check's message and hint."""
    lines = [f"Lesson {lesson}: {graded.submission.student}", ""]
    for row in graded.rows[:-1]:
        if row.status == STATUS_PASSED:
            lines.append(f"{row.exercise} passed")
        else:
            lines.append(f"{row.exercise}: {row.message}" + (f"\n   Hint: {row.hint}" if row.hint else ""))
    lines += ["", f"Score: {graded.rows[-1].points} of {graded.rows[-1].max_points}"]
    if graded.notes:
        lines += ["", "Notes on your notebook:"] + [f" - {note}" for note in graded.notes]
    return "\n".join(lines) + "\n"


def gradescope_results(graded: Graded) -> dict:
    """Gradescope's autograder results: ``score`` and one test per exercise (name, score,
    max_score, status, output)."""
    tests = [{"name": f"{row.exercise}", "score": float(row.points), "max_score": float(row.max_points),
              "status": STATUS_PASSED if row.status == STATUS_PASSED else STATUS_FAILED,
              "output": "passed" if row.status == STATUS_PASSED else row.message + (f"\nHint: {row.hint}" if row.hint else ""),
              "visibility": "visible"} for row in graded.rows[:-1]]
    return {"score": float(graded.rows[-1].points), "output": graded.rows[-1].message, "visibility": "visible",
            "stdout_visibility": "hidden", "tests": tests}


def write_gradescope(graded: Graded, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(gradescope_results(graded), indent=2), encoding="utf-8")


def summary(graded: list[Graded], seconds: float) -> str:
    """How many were graded, passed per exercise, and could not be run."""
    count = len(graded)
    exercises = [row.exercise for row in graded[0].rows[:-1]] if graded else []
    passed = ", ".join(f"{name} passed by {sum(one.rows[i].status == STATUS_PASSED for one in graded)}"
                       for i, name in enumerate(exercises))
    broken = sum(any(row.status == STATUS_NOT_RUN for row in one.rows) for one in graded)
    return (f"graded {count} submission{'s' * (count != 1)} in {seconds:.0f} s: {passed}; "
            f"{broken} could not be run (see the CSV's messages)")
