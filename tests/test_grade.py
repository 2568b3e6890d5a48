"""`vizlab grade` on a made-up class: right answers in several styles, typical wrong ones and every
broken kind of submission, built here from the lessons' own notebooks; the CSV must be exactly the
expected one."""
import copy
import csv
import json
import zipfile
from pathlib import Path

import pytest

from vizlab.cli import main
from vizlab.coursework.grade import CSV_COLUMNS, collect, free_text_answers, runnable_code

LESSONS = Path(__file__).parent.parent / "lessons"
SEED = 7
LIMITS = ["--time-limit", "60", "--call-time-limit", "2", "--memory-limit", "600"]


def _lesson(number: str) -> dict:
    return json.loads(next(LESSONS.glob(f"{number}_*.ipynb")).read_text())


def _submission(number: str, answers: dict[str, str | None], extra: list[dict] = ()) -> dict:
    """The lesson's notebook with the code cell that defines each named function replaced
    (None deletes the cell); ``extra`` cells are appended."""
    notebook = copy.deepcopy(_lesson(number))
    cells = []
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        hit = [name for name in answers if cell["cell_type"] == "code" and name in source]
        if not hit:
            cells.append(cell)
        elif answers[hit[0]] is not None:
            cells.append({**cell, "source": answers[hit[0]]})
    notebook["cells"] = cells + [dict(cell) for cell in extra]
    return notebook


def _code(source: str, tags=()) -> dict:
    return {"cell_type": "code", "metadata": {"tags": list(tags)}, "source": source, "outputs": [], "execution_count": None}


def _markdown(source: str, tags=()) -> dict:
    return {"cell_type": "markdown", "metadata": {"tags": list(tags)}, "source": source}


HEADER_01 = 'from vizlab.coursework import Grader\ngrader = Grader("01")\n\n'
SCALE = "def symmetric_scale(weight):\n    return weight / (2 * weight.abs().max()) + 0.5\n"
SHARE = '''def low_frequency_energy(weight, cutoff=2):
    centred = weight - weight.mean(dim=(1, 2, 3), keepdim=True)
    energy = torch.fft.fft2(centred).abs().square().sum(1)
    fy = torch.fft.fftfreq(weight.shape[2], d=1 / weight.shape[2]).abs()
    fx = torch.fft.fftfreq(weight.shape[3], d=1 / weight.shape[3]).abs()
    low = (fy[:, None] <= cutoff) & (fx[None, :] <= cutoff)
    return (energy * low).sum((1, 2)) / energy.sum((1, 2))
'''
SHARE_DOUBLE_LOOPS = '''%%time
import math
HALF = 0.5

def _frequency(index, k):
    return min(index, k - index)          # |f| of DFT row `index`

def low_frequency_energy(weight, cutoff=2):
    out = []
    for w in weight.double():
        w = w - w.mean()
        energy = torch.fft.fft2(w).abs() ** 2
        energy = energy.sum(0)
        low = sum(float(energy[i, j]) for i in range(w.shape[1]) for j in range(w.shape[2])
                  if _frequency(i, w.shape[1]) <= cutoff and _frequency(j, w.shape[2]) <= cutoff)
        out.append(low / float(energy.sum()))
    return torch.tensor(out)
'''
CHECK_01 = {'grader.check("q1")': None, 'grader.check("q2")': None}

CLASS_01 = {
    "right_plain": {"def symmetric_scale(": HEADER_01 + SCALE, "def low_frequency_energy(": SHARE},
    "right_other_style": {"def symmetric_scale(": HEADER_01 + "symmetric_scale = lambda w: 0.5 + w / w.abs().max() * HALF\n",
                          "def low_frequency_energy(": SHARE_DOUBLE_LOOPS},
    "right_check_cells_deleted": {"def symmetric_scale(": HEADER_01 + SCALE, "def low_frequency_energy(": SHARE,
                                  **CHECK_01},
    "wrong_per_filter": {"def symmetric_scale(": HEADER_01 + "def symmetric_scale(weight):\n"
                         "    low, high = weight.amin((1, 2, 3), keepdim=True), weight.amax((1, 2, 3), keepdim=True)\n"
                         "    return (weight - low) / (high - low)\n", "def low_frequency_energy(": SHARE},
    "wrong_black_zero": {"def symmetric_scale(": HEADER_01 + "def symmetric_scale(weight):\n"
                         "    return weight / (2 * weight.abs().max())\n",
                         "def low_frequency_energy(": SHARE.replace(".abs().square()", ".abs()")},
    "wrong_mean_kept": {"def symmetric_scale(": HEADER_01 + SCALE,
                        "def low_frequency_energy(": SHARE.replace("weight - weight.mean(dim=(1, 2, 3), keepdim=True)", "weight")},
    "syntax_error": {"def symmetric_scale(": HEADER_01 + "def symmetric_scale(weight)\n    return weight\n",
                     "def low_frequency_energy(": SHARE},
    "renamed": {"def symmetric_scale(": HEADER_01 + SCALE.replace("symmetric_scale", "symmetric_scaling"),
                "def low_frequency_energy(": SHARE},
    "never_returns": {"def symmetric_scale(": HEADER_01 + "def symmetric_scale(weight):\n    while True:\n        pass\n",
                      "def low_frequency_energy(": SHARE},
    "eats_memory": {"def symmetric_scale(": HEADER_01 + "def symmetric_scale(weight):\n    hoard = []\n"
                    "    while True:\n        hoard.append(torch.empty(10 ** 8))   # 400 MB a time\n", "def low_frequency_energy(": SHARE},
    "kernel_dies": {"def symmetric_scale(": HEADER_01 + SCALE,
                    "def low_frequency_energy(": "import os\n\ndef low_frequency_energy(weight, cutoff=2):\n    os._exit(3)\n"},
    "check_cell_prints_passed": {'grader.check("q1")': 'print("q1 passed")', 'grader.check("q2")': 'print("q2 passed")'},
    "tampers": {"def symmetric_scale(": HEADER_01 + "import vizlab.coursework.lesson01 as lesson\n\n"
                "def symmetric_scale(weight, _=setattr(lesson, 'compare_tensors', lambda *a, **k: None)):\n    return weight\n"},
}
EXPECTED_01 = """\
right_plain,q1,1,1,passed,,
right_plain,q2,1,1,passed,,
right_plain,total,2,2,,2 of 2 passed,
right_other_style,q1,1,1,passed,,
right_other_style,q2,1,1,passed,,
right_other_style,total,2,2,,2 of 2 passed,
right_check_cells_deleted,q1,1,1,passed,,
right_check_cells_deleted,q2,1,1,passed,,
right_check_cells_deleted,total,2,2,,2 of 2 passed,
wrong_per_filter,q1,0,1,failed,this is per-filter min-max scaling: every filter is stretched to its own range,use one scale for all filters: w / (2 max|W|) + 0.5 over the whole tensor
wrong_per_filter,q2,1,1,passed,,
wrong_per_filter,total,1,2,,1 of 2 passed,
wrong_black_zero,q1,0,1,failed,zero weights map to 0 (black); they should map to 0.5 (grey),add 0.5 after scaling
wrong_black_zero,q2,0,1,failed,"this sums |F|, the amplitude, not the energy |F|^2",square the magnitudes
wrong_black_zero,total,0,2,,0 of 2 passed,
wrong_mean_kept,q1,1,1,passed,,
wrong_mean_kept,q2,0,1,failed,"the filter's mean is not subtracted, so the constant part counts as low frequency",subtract each filter's mean before the DFT
wrong_mean_kept,total,1,2,,1 of 2 passed,
syntax_error,q1,0,1,failed,"no function called `symmetric_scale` in the notebook; code cell {cell_q1} has a syntax error (line 4: expected ':'), so it was skipped","define it: symmetric_scale(weight) maps kernels (K, 3, k, k) to [0, 1] with one scale for all filters, zero at grey"
syntax_error,q2,1,1,passed,,
syntax_error,total,1,2,,1 of 2 passed,
renamed,q1,0,1,failed,no function called `symmetric_scale` in the notebook,"define it: symmetric_scale(weight) maps kernels (K, 3, k, k) to [0, 1] with one scale for all filters, zero at grey"
renamed,q2,1,1,passed,,
renamed,total,1,2,,1 of 2 passed,
never_returns,q1,0,1,failed,your function did not return within 2 s,"look for a loop that never ends, or work that grows with the input; the cases are small, a right answer takes well under a second"
never_returns,q2,1,1,passed,,
never_returns,total,1,2,,1 of 2 passed,
eats_memory,q1,0,1,failed,`symmetric_scale` ran out of memory (the limit is 600 MB),"symmetric_scale(weight) maps kernels (K, 3, k, k) to [0, 1] with one scale for all filters, zero at grey"
eats_memory,q2,1,1,passed,,
eats_memory,total,1,2,,1 of 2 passed,
kernel_dies,q1,1,1,passed,,
kernel_dies,q2,0,1,not run,not graded: the kernel died while checking q2 (exit code 3; out of memory or a crash),
kernel_dies,total,1,2,,1 of 2 passed,
check_cell_prints_passed,q1,0,1,failed,symmetric_scale(weight) is None: the function returns nothing yet,finish the function and `return` the result
check_cell_prints_passed,q2,0,1,failed,"low_frequency_energy(weight, 2) is None: the function returns nothing yet",finish the function and `return` the result
check_cell_prints_passed,total,0,2,,0 of 2 passed,
tampers,q1,0,1,not run,"not graded: the notebook's code replaces functions of vizlab, torch or Python itself",
tampers,q2,0,1,not run,"not graded: the notebook's code replaces functions of vizlab, torch or Python itself",
tampers,total,0,2,,0 of 2 passed,
"""

HEADER_03 = 'from vizlab.coursework import Grader\ngrader = Grader("03")\n\n'
DISTANCES = '''def distances(queries, database):
    squared = (queries ** 2).sum(1)[:, None] + (database ** 2).sum(1)[None, :] - 2 * queries @ database.T
    return squared.clamp_min(0).sqrt()
'''
NEAREST = "def nearest(queries, database, k):\n    return distances(queries, database).topk(k, dim=1, largest=False).indices\n"
CLASS_03 = {
    "right_matrix_product": {"def distances(": HEADER_03 + DISTANCES, "def nearest(": NEAREST},
    "right_cdist_argsort": {"def distances(": HEADER_03 + "import torch as T\n\ndef distances(q, d):\n    return T.cdist(q, d)\n",
                            "def nearest(": "def nearest(q, d, k):\n    return distances(q, d).argsort(dim=1)[:, :k]\n"},
    "wrong_squared_farthest": {"def distances(": HEADER_03 + DISTANCES.replace(".clamp_min(0).sqrt()", ""),
                               "def nearest(": NEAREST.replace("largest=False", "largest=True")},
    "stub_raises": {"def distances(": HEADER_03 + "def distances(queries, database):\n    raise NotImplementedError\n"},
    "complex_and_exits": {"def distances(": HEADER_03 + "import sys\nimport not_a_module\n\ndef distances(q, d):\n"
                          "    return torch.cdist(q, d).to(torch.complex128)\n",
                          "def nearest(": "def nearest(q, d, k):\n    sys.exit('bye')\n"},
    "reseeds_inside": {"def distances(": HEADER_03 + "def distances(q, d):\n    torch.manual_seed(0)\n"
                       "    return torch.cdist(q, d) + 0 * torch.rand(())\n", "def nearest(": NEAREST},
    "lesson_01_notebook": None,
    "not_a_notebook": None,
    "odd_cells": None,
}
EXPECTED_03 = """\
complex_and_exits,q1,0,1,failed,`distances` returned complex numbers; the answer is real,"keep the real quantity: e.g. .abs() of an FFT, or .real if the imaginary part is 0"
complex_and_exits,q2,0,1,failed,`nearest` raised SystemExit: bye,"nearest(queries, database, k) returns the indices (Q, k) of the k nearest database rows, nearest first"
complex_and_exits,total,0,2,,0 of 2 passed,
reseeds_inside,q1,1,1,passed,,
reseeds_inside,q2,1,1,passed,,
reseeds_inside,total,2,2,,2 of 2 passed,
lesson_01_notebook,q1,0,1,not run,"not graded: this is a notebook of lesson 01, not lesson 03",
lesson_01_notebook,q2,0,1,not run,"not graded: this is a notebook of lesson 01, not lesson 03",
lesson_01_notebook,total,0,2,,0 of 2 passed,
not_a_notebook,q1,0,1,not run,not graded: the file is not a Jupyter notebook (its JSON could not be read),
not_a_notebook,q2,0,1,not run,not graded: the file is not a Jupyter notebook (its JSON could not be read),
not_a_notebook,total,0,2,,0 of 2 passed,
odd_cells,q1,0,1,failed,no function called `distances` in the notebook,"define it: distances(queries, database) returns the Euclidean distances (Q, N) with one matrix product: |a|^2 + |b|^2 - 2 a.b, clamped at 0, square root"
odd_cells,q2,0,1,failed,no function called `nearest` in the notebook,"define it: nearest(queries, database, k) returns the indices (Q, k) of the k nearest database rows, nearest first"
odd_cells,total,0,2,,0 of 2 passed,
right_cdist_argsort,q1,1,1,passed,,
right_cdist_argsort,q2,1,1,passed,,
right_cdist_argsort,total,2,2,,2 of 2 passed,
right_matrix_product,q1,1,1,passed,,
right_matrix_product,q2,1,1,passed,,
right_matrix_product,total,2,2,,2 of 2 passed,
stub_raises,q1,0,1,failed,`distances` is not written yet,"distances(queries, database) returns the Euclidean distances (Q, N) with one matrix product: |a|^2 + |b|^2 - 2 a.b, clamped at 0, square root"
stub_raises,q2,0,1,failed,"nearest(queries, database, k) returns nothing yet",finish the function and `return` the indices
stub_raises,total,0,2,,0 of 2 passed,
wrong_squared_farthest,q1,0,1,failed,these are squared distances,take the square root at the end
wrong_squared_farthest,q2,0,1,failed,these are the k *farthest* rows,the nearest rows have the smallest distance: largest=False
wrong_squared_farthest,total,0,2,,0 of 2 passed,
"""


def _write_class(folder: Path) -> None:
    (folder / "01").mkdir(parents=True)
    (folder / "03").mkdir()
    never_runs = _code("while True:   # a figure cell that would never end: grading does not run it\n    pass\n")
    answer = _markdown("The data: both learned edges.", tags=["answer"])
    for student, answers in CLASS_01.items():
        extra = [never_runs, answer] if student == "right_plain" else []
        (folder / "01" / f"{student}.ipynb").write_text(json.dumps(_submission("01", answers, extra)))
    for student, answers in CLASS_03.items():
        if student == "lesson_01_notebook":
            notebook = _submission("01", CLASS_01["right_plain"])
        elif student == "not_a_notebook":
            (folder / "03" / f"{student}.ipynb").write_text('{"cells": [ oops')
            continue
        elif student == "odd_cells":          # valid JSON, odd cells: no source text, tags not a list
            notebook = {"cells": [{"cell_type": "code", "source": [1, None], "metadata": {"tags": "answer"}},
                                  {"cell_type": "markdown"}, {"cell_type": "code", "source": "import torch"}]}
        else:
            notebook = _submission("03", answers)
        (folder / "03" / f"{student}.ipynb").write_text(json.dumps(notebook))


def _rows(path: Path) -> list[list[str]]:
    with open(path, newline="") as file:
        return list(csv.reader(file))


def _q1_cell_number() -> int:
    code = [cell for cell in _lesson("01")["cells"] if cell["cell_type"] == "code"]
    return 1 + next(i for i, cell in enumerate(code) if "def symmetric_scale(" in "".join(cell["source"]))


def test_a_class_of_two_lessons_gets_exactly_the_expected_csv(tmp_path, capsys):
    _write_class(tmp_path / "class")
    for lesson, expected in (("01", EXPECTED_01.format(cell_q1=_q1_cell_number())), ("03", EXPECTED_03)):
        out = tmp_path / f"grades{lesson}"
        assert main(["grade", str(tmp_path / "class" / lesson), "--lesson", lesson, "--seed", str(SEED),
                     "--out", str(out), "--workers", "2", "--quiet", *LIMITS]) == 0
        rows = _rows(out / "grades.csv")
        assert rows[0] == CSV_COLUMNS
        got = {tuple(row) for row in rows[1:]}
        want = {tuple(row) for row in csv.reader(expected.splitlines())}
        assert got == want, "\n".join(sorted(map(str, got ^ want)))
        assert len(rows) - 1 == len(want)
        students = {row[0] for row in rows[1:]}
        assert {p.stem for p in (out / "feedback").iterdir()} == students
        summary = capsys.readouterr().out
        assert f"graded {len(students)} submissions" in summary
    feedback = (tmp_path / "grades01" / "feedback" / "wrong_per_filter.txt").read_text()
    assert "per-filter min-max scaling" in feedback and "Hint: use one scale" in feedback and "Score: 1 of 2" in feedback
    syntax = (tmp_path / "grades01" / "feedback" / "syntax_error.txt").read_text()
    assert "Notes on your notebook" in syntax and "syntax error" in syntax
    answers = (tmp_path / "grades01" / "answers.md").read_text()
    assert "## Question 1" in answers and "### right_plain\n\nThe data: both learned edges." in answers
    assert "### renamed\n\n(no answer)" in answers


def test_a_zip_as_an_lms_exports_it_and_gradescopes_results(tmp_path):
    """A zip with one submission in a folder; the results.json has Gradescope's documented fields."""
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("ada_1234/lesson01.ipynb", json.dumps(_submission("01", CLASS_01["wrong_mean_kept"])))
        zipped.writestr("__MACOSX/ada_1234/._lesson01.ipynb", "junk")
    results = tmp_path / "results" / "results.json"
    assert main(["grade", str(archive), "--lesson", "1", "--seed", "3", "--out", str(tmp_path / "g"), "--quiet",
                 "--gradescope", str(results), *LIMITS]) == 0
    data = json.loads(results.read_text())
    _validate_gradescope(data)
    assert data["score"] == 1.0 and [t["status"] for t in data["tests"]] == ["passed", "failed"]
    assert "mean is not subtracted" in data["tests"][1]["output"]
    assert _rows(tmp_path / "g" / "grades.csv")[1][0] == "ada_1234/lesson01"


def _validate_gradescope(data: dict) -> None:
    """Gradescope's autograder specification (results.json): top-level and per-test fields,
    their types, and the allowed status and visibility values."""
    top = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
           "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
    test = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format",
            "tags", "visibility", "extra_data"}
    visibility = {"hidden", "after_due_date", "after_published", "visible"}
    assert set(data) <= top and isinstance(data["tests"], list) and data["tests"]
    assert isinstance(data["score"], (int, float)) and not isinstance(data["score"], bool)
    for key in ("visibility", "stdout_visibility"):
        assert data.get(key, "visible") in visibility
    for item in data["tests"]:
        assert set(item) <= test and isinstance(item["name"], str) and isinstance(item["output"], str)
        assert isinstance(item["score"], float) and isinstance(item["max_score"], float)
        assert 0 <= item["score"] <= item["max_score"] and item.get("status", "passed") in {"passed", "failed"}
        assert item.get("visibility", "visible") in visibility
    assert data["score"] == sum(item["score"] for item in data["tests"])


def test_only_imports_definitions_lambdas_and_literal_constants_run():
    cells = [_code("%matplotlib inline\nimport torch\nmodel = torch.nn.Linear(2, 2)\nEPS = 1e-8\nSIZES = (1, 2)\n"
                   "square = lambda x: x * x\nplot(model)\nobj.attr = 3\n"),
             _code("def f(x):\n    !ls\n    return x\n\nclass A:\n    pass\nf(2)\n"),
             _code("def broken(:\n")]
    kept, notes = runnable_code(cells)
    names = [type(module.body[0]).__name__ for _, module in kept]
    assert names == ["Import", "Assign", "Assign", "Assign", "FunctionDef", "ClassDef"]
    assert [place for place, _ in kept] == ["code cell 1"] * 4 + ["code cell 2"] * 2
    assert len(notes) == 1 and notes[0].startswith("code cell 3 has a syntax error")


def test_free_text_answers_are_numbered_in_order_or_by_their_tag():
    cells = [_markdown("first", ["answer"]), _code("x = 1"), _markdown("third", ["answer-3"]), _markdown("second", ["answer"])]
    assert free_text_answers(cells) == {"1": "first", "3": "third", "2": "second"}


def test_the_answer_cells_shipped_prompt_is_not_part_of_the_answer():
    """The lessons ship "*Your answer to question N:*" in each answer cell: an untouched cell is
    no answer, and a written one is the student's words only."""
    cells = [_markdown("*Your answer to question 1:* ", ["answer-1"]),
             _markdown("*Your answer to question 2:* The filters are edges.", ["answer-2"])]
    assert free_text_answers(cells) == {"1": "", "2": "The filters are edges."}


def test_bad_options_are_one_line_with_the_fix(tmp_path, capsys, monkeypatch):
    (tmp_path / "a.ipynb").write_text(json.dumps(_lesson("01")))
    monkeypatch.delenv("VIZLAB_GRADE_SEED", raising=False)
    assert main(["grade", str(tmp_path), "--lesson", "01"]) == 2
    assert "--seed or the environment variable VIZLAB_GRADE_SEED" in capsys.readouterr().err
    for options, said in ((["--seed", "-1"], "--seed must be >= 0"), (["--seed", "1", "--workers", "0"], "--workers"),
                          (["--seed", "1", "--time-limit", "0"], "--time-limit"),
                          (["--seed", "1", "--memory-limit", "10"], "--memory-limit"),
                          (["--seed", "1", "--lesson", "42"], "lessons with exercises"),
                          ([str(tmp_path / "a.ipynb"), "--seed", "1", "--gradescope", "r.json"], "one submission")):
        lesson = [] if "--lesson" in options else ["--lesson", "01"]
        assert main(["grade", str(tmp_path), *options, *lesson, "--out", str(tmp_path / "never")]) == 2
        assert said in capsys.readouterr().err
    assert not (tmp_path / "never").exists()
    with pytest.raises(ValueError, match="does not exist"):
        collect([tmp_path / "missing"])


def test_grade_help_documents_every_option(capsys):
    with pytest.raises(SystemExit):
        main(["grade", "--help"])
    text = capsys.readouterr().out
    for option in ("--lesson", "--seed", "--out", "--workers", "--time-limit", "--call-time-limit",
                   "--memory-limit", "--gradescope", "--quiet", "grades.csv", "VIZLAB_GRADE_SEED"):
        assert option in text
