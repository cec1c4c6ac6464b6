"""Benchmark: one submission from a cold start, ours against nbgrader and Otter Grader, in one run.

What a student waits for, and what Gradescope runs per submission: a fresh process grades one notebook and
exits. Each command is timed as a whole process (wall clock from start to exit; several runs; median, min,
max), on a correct notebook and on a wrong one (initialize_he at the Xavier scale, so hidden checks fail and
the misconception catalogue is consulted):

- ours: `python -m autograder grade NOTEBOOK --json` (sandboxed child, every public and hidden check);
- nbgrader: `nbgrader autograde initialization --student S --force` in a course folder holding the
  submissions, set up as in bench/grading_vs_nbgrader.py (its hidden test cells call
  autograder.nbgrader_compat.grade_function, so the same checks run);
- Otter Grader: `otter run -a autograder.zip NOTEBOOK` (what its Gradescope image runs), with one OK-format
  test per graded function calling the same grade_function; Otter scores each function all or nothing.

The code and the notebooks come from bench/grading_vs_nbgrader.py's helpers: one frozen snapshot of the
working tree (byte-compiled, as `pip install` does) and the solution notebook as a student hands it in.
The commands take turns run by run (after one warm-up each), so drift in the machine's speed hits them
alike; ratios are peer median / ours median.

    python bench/single_submission.py [--runs 5] [--otter PATH]

Otter lives in a venv of its own (it pins its own Jupyter stack); the notebook's kernel needs numpy there:
    python3 -m venv /tmp/otter-venv && /tmp/otter-venv/bin/pip install otter-grader ipykernel numpy scipy
Without it (PATH defaults to /tmp/otter-venv/bin/otter) the Otter rows say so and the rest runs.

Prints, and writes to bench/results/single_submission.txt, the table with the ratios.
"""

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from grading_vs_nbgrader import (
    ASSIGNMENT,
    CELL_TIMEOUT,
    ROOT,
    load_course,
    make_submissions,
    prepare_nbgrader,
    snapshot,
)

from autograder.nbgrader_compat import course_stamp

RESULTS = ROOT / "bench" / "results" / "single_submission.txt"
OTTER = Path("/tmp/otter-venv/bin/otter")
KINDS = {"correct": "correct", "wrong:initialize_he": "wrong (initialize_he at the Xavier scale)"}
OK_TEST = "OK_FORMAT = True\n\ntest = {test!r}\n"


@dataclass
class Contender:
    """One grader's command for a submission, and how to read the score it gave."""

    name: str
    command: Callable[[str, Path], list[str]]  # (student, notebook) -> argv
    cwd: Path
    env: dict[str, str]
    score: Callable[[str, str], float]  # (student, stdout) -> points
    seconds: dict[str, list[float]] = field(default_factory=dict)  # student -> wall seconds per run
    scores: dict[str, set[float]] = field(default_factory=dict)  # student -> every score it gave


def run_once(contender: Contender, student: str, notebook: Path) -> tuple[float, float]:
    """(wall seconds, score) of one cold run of the contender's command on one submission."""
    started = time.perf_counter()
    done = subprocess.run(contender.command(student, notebook), cwd=contender.cwd, env=contender.env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{contender.name} failed on {student}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return seconds, contender.score(student, done.stdout)


def ours(code: Path) -> Contender:
    return Contender("ours: autograder grade --json",
                     lambda student, notebook: [sys.executable, "-m", "autograder", "grade", str(notebook), "--json"],
                     code, dict(os.environ), lambda student, stdout: float(json.loads(stdout)["score"]))


def nbgrader(code: Path, course_dir: Path, folder: Path) -> Contender:
    """nbgrader on a course folder that holds every notebook of `folder` as a submission."""
    prepare_nbgrader(course_dir, folder)

    def score(student: str, stdout: str) -> float:
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gradebook:
            return float(gradebook.find_submission(ASSIGNMENT, student).score)

    return Contender("nbgrader autograde",
                     lambda student, notebook: [sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT,
                                                "--student", student, "--force",
                                                f"--ExecutePreprocessor.timeout={CELL_TIMEOUT}"],
                     course_dir, {**os.environ, "PYTHONPATH": str(code)}, score)


def otter(executable: Path, code: Path, folder: Path) -> Contender:
    """Otter on an autograder zip with one test per graded function (the notebook's test cells)."""
    assignment = load_course().assignment(ASSIGNMENT)
    stamp = course_stamp(assignment)  # what the source notebook's hidden cells pass
    release = json.loads(assignment.release_notebook.read_text())
    functions = [c["metadata"]["nbgrader"]["grade_id"].removeprefix("test_") for c in release["cells"]
                 if c["metadata"].get("nbgrader", {}).get("grade") and not c["metadata"]["nbgrader"]["solution"]]
    (folder / "tests").mkdir(parents=True)
    for function in functions:
        points = round(float(assignment.function_points(function)), 6)
        # The kernel's own namespace, not the doctest's globals(): doctest runs on a copy, so a check that
        # replaces a collaborator (gradient_check's backward) would not reach the student's functions.
        code_lines = (">>> from autograder.nbgrader_compat import grade_function\n"
                      f">>> grade_function({function!r}, __import__('__main__').__dict__, {stamp!r})\n{points!r}")
        test = {"name": function, "points": points, "suites": [{
            "type": "doctest", "scored": True, "setup": "", "teardown": "",
            "cases": [{"code": code_lines, "hidden": False, "locked": False}]}]}
        (folder / "tests" / f"{function}.py").write_text(OK_TEST.format(test=test))
    # Support files travel in the zip and land beside the notebook, as the release's labkit does.
    shutil.copytree(assignment.release / "labkit", folder / "labkit", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([str(executable), "generate", "-t", "tests", "-o", "autograder.zip", "--no-requirements",
                    "--no-environment", "--no-config", "labkit"], cwd=folder, check=True, capture_output=True)
    out = folder / "out"
    out.mkdir()

    def score(student: str, stdout: str) -> float:
        return sum(t.get("score") or 0.0 for t in json.loads((out / "results.json").read_text())["tests"])

    return Contender("otter run",
                     lambda student, notebook: [str(executable), "run", "-a", "autograder.zip", "-o", str(out),
                                                "--no-logo", str(notebook)],
                     folder, {**os.environ, "PYTHONPATH": str(code)}, score)


def version(command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True)
    return done.stdout.strip().splitlines()[-1] if done.returncode == 0 and done.stdout.strip() else "?"


def table(contenders: list[Contender], students: dict[str, str], runs: int, max_points: float,
          missing: list[str]) -> list[str]:
    """The report: per grader and notebook, median [min-max] seconds, the score, and peer / ours."""
    base = contenders[0]
    lines = [(f"{'':32}" + "".join(f"{KINDS[kind]:<58}" for kind in students.values())).rstrip()]
    for contender in contenders:
        cells = []
        for student in students:
            times = contender.seconds[student]
            median = statistics.median(times)
            ratio = "" if contender is base else f"  {median / statistics.median(base.seconds[student]):5.1f}x ours"
            points = "/".join(f"{s:g}" for s in sorted(contender.scores[student]))
            cells.append(f"{median:6.2f} s [{min(times):.2f}-{max(times):.2f}]  {points:>5}/{max_points:g}{ratio}")
        lines.append((f"{contender.name:32}" + "".join(f"{cell:<58}" for cell in cells)).rstrip())
    lines += [f"{name:32}not installed: see this script's docstring" for name in missing]
    lines.append(f"{runs} runs each after one warm-up, whole process wall time: median [min-max]; "
                 "Nx ours = that grader's median / ours (higher: ours is faster)")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per grader and notebook (default 5)")
    parser.add_argument("--otter", type=Path, default=OTTER, help=f"the otter executable (default {OTTER})")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-single-") as temp:
        temp_dir = Path(temp)
        code = snapshot(temp_dir / "code")
        compileall.compile_dir(code / "autograder", quiet=1)
        everything = temp_dir / "generated"
        everything.mkdir()
        kinds = make_submissions(3, everything, full=False)  # correct, wrong:initialize_he, infinite loop
        folder = temp_dir / "submissions"
        folder.mkdir()
        students = {}
        for kind in KINDS:
            student = next(s for s, k in kinds.items() if k == kind)
            (everything / f"{student}.ipynb").rename(folder / f"{student}.ipynb")
            students[student] = kind
        contenders = [ours(code), nbgrader(code, temp_dir / "course", folder)]
        missing = []
        if args.otter.exists():
            contenders.append(otter(args.otter, code, temp_dir / "otter"))
        else:
            missing.append("otter run")
        for round_ in range(args.runs + 1):  # round 0 is the warm-up
            for student in students:
                for contender in contenders:
                    seconds, score = run_once(contender, student, folder / f"{student}.ipynb")
                    contender.scores.setdefault(student, set()).add(score)
                    if round_:
                        contender.seconds.setdefault(student, []).append(seconds)
            print(f"round {round_}/{args.runs} done", file=sys.stderr)
        max_points = sum(load_course().assignment(ASSIGNMENT).points.values())
    versions = [version([sys.executable, "-m", "nbgrader", "--version"])]
    if not missing:
        otter_python = str(args.otter.parent / "python")
        versions.append("otter-grader " + version([otter_python, "-c", "import importlib.metadata as m; "
                                                   "print(m.version('otter-grader'))"]))
    lines = [f"single_submission: one notebook graded from a cold start; {os.cpu_count()} CPUs, "
             f"Python {sys.version.split()[0]}, {', '.join(versions)}",
             *table(contenders, students, args.runs, max_points, missing)]
    report = "\n".join(lines) + "\n"
    print(report, end="")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
