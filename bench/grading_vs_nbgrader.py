"""Benchmark: our bulk grader against `nbgrader autograde`, same notebooks, same checks, one run.

The submissions are the solution notebook as a student hands it in: the release notebook with every answer
cell filled in from the solution (marker lines removed). Most are correct; about one in ten has one function
body edited (wrong He scale, sum instead of mean, missing 1/m in backward, ones for biases); one has an
infinite loop in initialize_zeros. By default the provided experiment cells (which train networks for tens
of seconds) are left out, so nbgrader's time is its grading overhead plus the checks, the comparison least
favourable to us; --full-notebooks keeps them.

Ours: `grade_batch(..., jobs=2)` (sandboxed children, answer cells only).
nbgrader: a course folder in a temporary directory (source = solutions/<assignment> with labkit copied in and
the reference left out), `nbgrader generate_assignment`, the same notebooks copied to
submitted/<student>/<assignment>/, then `nbgrader autograde` with a 30 s per-cell timeout. Its test cells call
autograder.nbgrader_compat.grade_function, so the kernel gets PYTHONPATH=<the code>. Both sides run from one
frozen copy of the package, course.toml, solutions/ and assignments/ made at start, so edits to the working
tree during the run reach neither.

    python bench/grading_vs_nbgrader.py [--n 100] [--quick] [--full-notebooks]

Prints, and writes to bench/results/grading_vs_nbgrader.txt: wall times, per-submission medians, the
throughput ratio, and whether per-function scores agree on the correct submissions and on the wrong ones
(hidden checks draw their inputs per submission in our grader and from one course-wide seed in nbgrader's
compatibility mode, so partial credit for a wrong function may legitimately differ; full marks may not).
"""

import argparse
import copy
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autograder.course import Course

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ("autograder", "course.toml", "solutions", "assignments")
ASSIGNMENT = "initialization"
RESULTS = ROOT / "bench" / "results" / "grading_vs_nbgrader.txt"
CELL_TIMEOUT = 30
# (answer cell, text in it, replacement): one wrong function body each.
MUTATIONS = [
    ("initialize_he", "np.sqrt(2.0 / fan_in)", "np.sqrt(1.0 / fan_in)"),
    ("compute_cost", "-np.mean(", "-np.sum("),
    ("backward", "dZ = (AL - Y) / m", "dZ = AL - Y"),
    ("initialize_zeros", 'params[f"b{l}"] = np.zeros(', 'params[f"b{l}"] = np.ones('),
]
INFINITE_LOOP = ("initialize_zeros", "    params = {}\n", "    while True:\n        pass\n    params = {}\n")


def snapshot(target: Path) -> Path:
    """Copy the code both graders use to `target` and import the autograder package from there."""
    for part in SNAPSHOT:
        if (ROOT / part).is_dir():
            shutil.copytree(ROOT / part, target / part, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / part, target / part)
    sys.path.insert(0, str(target))
    return target


def load_course() -> "Course":
    """The snapshot's course (autograder is imported only once snapshot() has put its copy first)."""
    from autograder.course import load_course as load

    return load()


def _grade_id(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _mutated(notebook: dict, grade_id: str, old: str, new: str) -> dict:
    notebook = copy.deepcopy(notebook)
    cell = next(c for c in notebook["cells"] if _grade_id(c) == grade_id)
    source = "".join(cell["source"])
    if old not in source:
        raise SystemExit(f"benchmark out of date: {old!r} is not in the {grade_id} answer cell")
    cell["source"] = source.replace(old, new, 1)
    return notebook


def make_submissions(n: int, folder: Path, full: bool) -> dict[str, str]:
    """Write n notebooks to folder/<student>.ipynb; return student -> kind ("correct", "wrong:<f>", "loop")."""
    assignment = load_course().assignment(ASSIGNMENT)
    release = json.loads(assignment.release_notebook.read_text())
    from autograder.sample_submissions import solved_notebook, without_experiments

    correct = solved_notebook(release, json.loads(assignment.source_notebook.read_text()))
    correct = correct if full else without_experiments(correct)
    kinds: dict[str, str] = {}
    wrong = max(1, n // 10)
    for index in range(n):
        student = f"student{index:03d}"
        if index == n - 1:
            notebook, kinds[student] = _mutated(correct, *INFINITE_LOOP), "loop"
        elif index % (n // wrong) == 1 and len([k for k in kinds.values() if k.startswith("wrong")]) < wrong:
            grade_id, old, new = MUTATIONS[len([k for k in kinds.values() if k.startswith("wrong")]) % len(MUTATIONS)]
            notebook, kinds[student] = _mutated(correct, grade_id, old, new), f"wrong:{grade_id}"
        else:
            notebook, kinds[student] = correct, "correct"
        (folder / f"{student}.ipynb").write_text(json.dumps(notebook, indent=1))
    return kinds


def run_ours(folder: Path, out: Path) -> tuple[float, dict[str, float], dict[str, dict[str, float]]]:
    """(wall seconds, student -> seconds, student -> function -> points) of our bulk grader."""
    from autograder.bulk import grade_batch

    course = load_course()
    started = time.perf_counter()
    graded = grade_batch(sorted(folder.glob("*.ipynb")), out, course, ASSIGNMENT, jobs=2)
    wall = time.perf_counter() - started
    scores: dict[str, dict[str, float]] = {}
    for g in graded:
        per_function = scores.setdefault(g.student_id, {})
        for r in g.results:
            per_function[r.function] = per_function.get(r.function, 0.0) + g.points[r.check_id]
    return wall, {g.student_id: g.seconds for g in graded}, scores


def _nbgrader(course_dir: Path, *args: str) -> None:
    env = {**os.environ, "PYTHONPATH": sys.path[0]}  # the snapshot
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course_dir, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"nbgrader {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")


def prepare_nbgrader(course_dir: Path, folder: Path) -> None:
    """A course folder with the assignment generated and every notebook submitted."""
    assignment = load_course().assignment(ASSIGNMENT)
    from autograder.release.generate import stage_course

    source = stage_course(assignment, course_dir, assignment.source_notebook.read_text())
    (course_dir / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course_dir)!r}\n"
        f"c.ExecutePreprocessor.timeout = {CELL_TIMEOUT}\n")
    _nbgrader(course_dir, "generate_assignment", ASSIGNMENT, "--force")
    for notebook in sorted(folder.glob("*.ipynb")):
        target = course_dir / "submitted" / notebook.stem / ASSIGNMENT
        shutil.copytree(source / "labkit", target / "labkit", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(notebook, target / assignment.notebook)


def run_nbgrader(course_dir: Path) -> tuple[float, dict[str, float], dict[str, dict[str, float]]]:
    """(wall seconds, student -> seconds, student -> function -> points) of `nbgrader autograde`.

    Per-student seconds are the gaps between the moments nbgrader finished successive students (the first
    one also carries nbgrader's start-up)."""
    from nbgrader.api import Gradebook

    started = time.perf_counter()
    start_wall = time.time()
    _nbgrader(course_dir, "autograde", ASSIGNMENT, f"--ExecutePreprocessor.timeout={CELL_TIMEOUT}")
    wall = time.perf_counter() - started
    notebooks = (course_dir / "autograded").glob(f"*/{ASSIGNMENT}/{load_course().assignment(ASSIGNMENT).notebook}")
    finished = sorted((p.stat().st_mtime, p.parts[-3]) for p in notebooks)
    seconds, previous = {}, start_wall
    for moment, student in finished:
        seconds[student], previous = moment - previous, moment
    scores: dict[str, dict[str, float]] = {}
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gradebook:
        for student in seconds:
            notebook = gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
            scores[student] = {g.name.removeprefix("test_"): float(g.score) for g in notebook.grades}
    return wall, seconds, scores


def compare(students: list[str], kinds: dict[str, str], ours: dict[str, dict[str, float]],
            theirs: dict[str, dict[str, float]]) -> list[str]:
    """The disagreements between the two graders on these students, function by function."""
    problems = []
    for student in students:
        for function, points in ours[student].items():
            other = theirs.get(student, {}).get(function)
            if other is None or abs(other - points) > 1e-6:
                problems.append(f"{student} ({kinds[student]}) {function}: ours {points:g}, nbgrader {other}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100, help="number of submissions (default 100)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 5 submissions")
    parser.add_argument("--full-notebooks", action="store_true", help="keep the experiment cells")
    args = parser.parse_args()
    n = 5 if args.quick else args.n
    if n < 3:
        parser.error("--n must be at least 3 (correct, wrong and the infinite loop)")
    with tempfile.TemporaryDirectory(prefix="bench-") as temp:
        temp_dir = Path(temp)
        snapshot(temp_dir / "code")
        folder = temp_dir / "submissions"
        folder.mkdir()
        kinds = make_submissions(n, folder, args.full_notebooks)
        print(f"{n} submissions: {sum(k == 'correct' for k in kinds.values())} correct, "
              f"{sum(k.startswith('wrong') for k in kinds.values())} wrong, 1 infinite loop", file=sys.stderr)
        our_wall, our_seconds, our_scores = run_ours(folder, temp_dir / "ours")
        print(f"ours: {our_wall:.1f} s", file=sys.stderr)
        prepare_nbgrader(temp_dir / "course", folder)
        nb_wall, nb_seconds, nb_scores = run_nbgrader(temp_dir / "course")
        print(f"nbgrader: {nb_wall:.1f} s", file=sys.stderr)
    loop = next(s for s, kind in kinds.items() if kind == "loop")
    correct = [s for s, kind in kinds.items() if kind == "correct"]
    wrong = [s for s, kind in kinds.items() if kind.startswith("wrong")]
    on_correct, on_wrong = compare(correct, kinds, our_scores, nb_scores), compare(wrong, kinds, our_scores, nb_scores)
    same_total = sum(abs(sum(our_scores[s].values()) - sum(v for f, v in nb_scores.get(s, {}).items()
                                                            if f in our_scores[s])) < 1e-6 for s in wrong)
    terminating = [s for s in kinds if s != loop]
    lines = [
        f"grading_vs_nbgrader: {n} submissions ({sum(k == 'correct' for k in kinds.values())} correct, "
        f"{sum(k.startswith('wrong') for k in kinds.values())} wrong, 1 infinite loop), "
        f"{'full notebooks' if args.full_notebooks else 'notebooks without the experiment cells'}; "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}",
        f"ours (grade_batch, jobs=2):  wall {our_wall:8.1f} s   "
        f"median per submission {statistics.median(our_seconds[s] for s in terminating):.3f} s   "
        f"infinite loop {our_seconds[loop]:.1f} s",
        f"nbgrader autograde:          wall {nb_wall:8.1f} s   "
        f"median per submission {statistics.median(nb_seconds[s] for s in terminating if s in nb_seconds):.3f} s   "
        f"infinite loop {nb_seconds.get(loop, float('nan')):.1f} s",
        f"throughput ratio (nbgrader wall / ours): {nb_wall / our_wall:.1f}x",
        f"scores agree on the {len(correct)} correct submissions (every function our checks grade): "
        f"{'yes' if not on_correct else 'NO'}",
        *[f"  disagreement: {p}" for p in on_correct[:20]],
        f"wrong submissions: {same_total} of {len(wrong)} get the same total; per-function differences "
        f"(partial credit on inputs drawn differently): {len(on_wrong)}",
        *[f"  {p}" for p in on_wrong[:20]],
        f"infinite loop: ours {sum(our_scores[loop].values()):g} points, "
        f"nbgrader {sum(v for f, v in nb_scores.get(loop, {}).items() if f in our_scores[loop]):g} points "
        "(same functions)",
    ]
    report = "\n".join(lines) + "\n"
    print(report, end="")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report)
    return 0 if not on_correct else 1


if __name__ == "__main__":
    sys.exit(main())
