"""How long `vizlab grade` takes for a class: N submissions of one lesson (default 100 of lesson 09,
whose check is the slowest), four in five with the reference solution and one in five the
untouched notebook (stubs), graded with the default limits.

    python benchmarks/bench_grade.py [--lesson 09] [--count 100] [--workers 2]

Prints the wall time, the time per notebook and the machine's load before and after (the target:
100 submissions in <= 10 minutes on 2 cores). A figure to read, not a timed test.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def write_class(folder: Path, lesson: str, count: int) -> None:
    from vizlab.coursework import Grader

    notebook = json.loads(next((ROOT / "lessons").glob(f"{lesson}_*.ipynb")).read_text())
    solution = (ROOT / "solutions" / f"lesson{lesson}.py").read_text()
    first_stub = next(i for i, cell in enumerate(notebook["cells"]) if cell["cell_type"] == "code" and any(
        f"def {e.answer}(" in "".join(cell["source"]) for e in Grader(lesson).exercises.values()))
    for number in range(count):
        cells = [dict(cell) for cell in notebook["cells"]]
        if number % 5:
            cells[first_stub] = {**cells[first_stub], "source": f'from vizlab.coursework import Grader\n'
                                                                  f'grader = Grader("{lesson}")\n\n{solution}'}
            answers = [f"def {e.answer}(" for e in Grader(lesson).exercises.values()]
            cells = [c for i, c in enumerate(cells) if i == first_stub or not (
                c["cell_type"] == "code" and any(a in "".join(c["source"]) for a in answers))]
        (folder / f"student{number:03d}.ipynb").write_text(json.dumps({**notebook, "cells": cells}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lesson", default="09")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    from vizlab.coursework.grade import grade, summary

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        write_class(folder, args.lesson, args.count)
        load_before = os.getloadavg()
        start = time.perf_counter()
        graded = grade([folder], args.lesson, seed=20261203, out=Path(tmp) / "grades", workers=args.workers)
        seconds = time.perf_counter() - start
        load_after = os.getloadavg()
    print(summary(graded, seconds))
    print(f"lesson {args.lesson}: {args.count} submissions, {args.workers} workers: {seconds:.1f} s "
          f"({seconds / args.count:.2f} s per notebook; target <= 600 s for 100)")
    print(f"cores visible: {len(os.sched_getaffinity(0))}; load average (1, 5, 15 min) before "
          f"{', '.join(f'{x:.2f}' for x in load_before)}, after {', '.join(f'{x:.2f}' for x in load_after)}")


if __name__ == "__main__":
    main()
