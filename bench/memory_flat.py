"""Benchmark: the grader's peak resident memory does not grow with the class.

Two measurements, each in a fresh process whose peak RSS (resource.getrusage ru_maxrss) is the figure:

1. reports: a synthetic journal of N entries (a realistic grade each: every check of the assignment with a mix of
   statuses, feedback text and diagnoses, as bounded() stores it) is turned into every report of the class by the
   same code a batch runs at its end (bulk._write_reports: journal index, then one pass that writes each row's
   results.json and feedback pages, streams the gradebook and folds the summary). N = 1,000 and 10,000.
2. grading: `grade_batch` on N tiny synthetic .py submissions (a few lines each; every child really runs in the
   sandbox), N = 100 and 1,000: the grading process's own peak (the workers and sandboxed children are
   separate processes; their largest peak is reported beside it).

Grading 10,000 real submissions would take about an hour here (one sandboxed child each), which is why the
10,000 figure is the reporting path's. Submissions live in a temporary folder, never in the repository.

    python bench/memory_flat.py [--large 10000] [--graded 1000]

Prints, and writes to bench/results/memory_flat.txt, the table.
"""

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "memory_flat.txt"
ASSIGNMENT = "initialization"
STATUSES = ["passed"] * 6 + ["failed", "not_attempted", "error", "timeout"]
TINY = '''import numpy as np  # student {index}


def initialize_zeros(layer_dims):
    return {{f"{{k}}{{l}}": np.zeros((layer_dims[l - 1], layer_dims[l]) if k == "W" else (1, layer_dims[l]))
            for l in range(1, len(layer_dims)) for k in "Wb"}}
'''


def _peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kilobytes on Linux


def _synthetic_line(index: int, checks: list, points: dict, explanations: list[str], rng: random.Random) -> str:
    """One journal line: a grade of student s<index> with every check, as a batch journals it."""
    from autograder.graded import GradedSubmission, bounded
    from autograder.labkit.framework import Result

    results = []
    for check in checks:
        status = rng.choice(STATUSES)
        feedback = "" if status == "passed" else f"{check.function} returned shape (3, 4), expected (4, 3). " * 3
        diagnosis = rng.choice(explanations) if status == "failed" and rng.random() < 0.5 else None
        results.append(Result(check.id, check.function, check.title, check.visibility, status,
                              float(status == "passed"), feedback, diagnosis, 0.01))
    graded = GradedSubmission(f"s{index:05d}", f"in/s{index:05d}.py", results,
                              {r.check_id: points[r.check_id] * r.score for r in results}, dict(points), 0.3,
                              "bubblewrap")
    key = f"s{index:05d}:{index:064x}"
    return json.dumps({"key": key, "fingerprint": "bench", "batch": 0, "graded": bounded(graded).to_dict()},
                      sort_keys=True)


def write_journal(out: Path, count: int) -> None:
    from autograder.checks import assignment_checks, misconception_explanations
    from autograder.course import load_course
    from autograder.journal import JOURNAL_NAME

    assignment = load_course().assignment(ASSIGNMENT)
    checks, rng = assignment_checks(assignment), random.Random(0)
    explanations = sorted(misconception_explanations(assignment))
    out.mkdir(parents=True)
    with open(out / JOURNAL_NAME, "w", encoding="ascii") as handle:
        for index in range(count):
            handle.write(_synthetic_line(index, checks, assignment.points, explanations, rng) + "\n")


def report_child(out: Path) -> None:
    """In this process: every report of the journal in `out`; prints peak RSS (MB) and seconds."""
    from autograder.bulk import _write_reports
    from autograder.course import load_course
    from autograder.journal import JOURNAL_NAME, Journal

    started = time.perf_counter()
    journal = Journal(out / JOURNAL_NAME, "bench")
    journal.scan()
    _write_reports(journal, out, load_course(), ASSIGNMENT, set(), "after_published")
    print(json.dumps({"peak_mb": _peak_mb(), "seconds": time.perf_counter() - started}))


def grade_child(folder: Path, out: Path) -> None:
    """In this process: grade_batch over `folder`; prints the peaks (MB) and seconds."""
    from autograder.bulk import grade_batch
    from autograder.course import load_course

    started = time.perf_counter()
    graded = grade_batch([folder], out, load_course(), ASSIGNMENT, jobs=2)
    print(json.dumps({"peak_mb": _peak_mb(), "children_peak_mb": _peak_mb(resource.RUSAGE_CHILDREN),
                      "seconds": time.perf_counter() - started, "graded": len(graded)}))


def _child(*args: str) -> dict:
    completed = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def measure_reports(count: int, scratch: Path) -> dict:
    out = scratch / f"reports-{count}"
    write_journal(out, count)
    return _child("--report-child", str(out))


def measure_grading(count: int, scratch: Path) -> dict:
    folder = scratch / f"class-{count}"
    folder.mkdir()
    for index in range(count):
        (folder / f"s{index:05d}.py").write_text(TINY.format(index=index))
    return _child("--grade-child", str(folder), str(scratch / f"graded-{count}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=int, default=10_000, help="journal entries of the large reporting run")
    parser.add_argument("--graded", type=int, default=1_000, help="submissions of the large grading run")
    parser.add_argument("--report-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--grade-child", type=Path, nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.report_child:
        return report_child(args.report_child)
    if args.grade_child:
        return grade_child(*args.grade_child)
    lines = ["peak resident memory of the grading process (MB), from the journal and from grading",
             f"{'what':<58}{'N':>8}{'peak RSS':>11}{'time':>9}"]
    with tempfile.TemporaryDirectory(prefix="memory-flat-") as tmp:
        for count in (args.large // 10, args.large):
            found = measure_reports(count, Path(tmp))
            lines.append(f"{'reports from a synthetic journal (every report)':<58}{count:>8}"
                         f"{found['peak_mb']:>8.1f} MB{found['seconds']:>7.1f} s")
            print(lines[-1], flush=True)
        for count in (args.graded // 10, args.graded):
            found = measure_grading(count, Path(tmp))
            what = f"grade_batch, tiny .py files (largest child {found['children_peak_mb']:.0f} MB)"
            lines.append(f"{what:<58}{count:>8}{found['peak_mb']:>8.1f} MB{found['seconds']:>7.1f} s")
            print(lines[-1], flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    print(f"-> {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
