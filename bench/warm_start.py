"""Warm start: a submission's sandboxed child forked from a pre-started zygote, against a cold start.

    python bench/warm_start.py [--runs 15] [--batch 40]

Measures on this machine, cold (a new bubblewrap sandbox and interpreter per child, `warm_start = false`) and
warm (forked by the zygote, `warm_start = true`), as medians over --runs runs:
- one child's cost: start it in a submission's confinement, wait until it has loaded the release preamble
  (`import numpy as np`, labkit) and a one-line submission, kill it and wait until its uid runs nothing;
- grading a stub submission (no student computation) and the reference solution, whole (`grade_submission`);
- the zygote's own start (once per grading process; it replaces nothing on the first submission's path).
and the wall time of `grade_batch` over --batch copies of the reference notebook with 2 workers.
Prints a table and writes it to bench/results/warm_start.txt. Numbers, not assertions.
"""

import argparse
import dataclasses
import json
import os
import select
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from clock import median_seconds  # noqa: E402
from conftest import reference_source  # noqa: E402

from autograder.bulk import grade_batch  # noqa: E402
from autograder.course import Course, load_course  # noqa: E402
from autograder.grading import grade_submission  # noqa: E402
from autograder.labkit import plain  # noqa: E402
from autograder.run import sandbox, warm  # noqa: E402
from autograder.submission import PYTHON, Submission, release_preamble  # noqa: E402

STUB = "def initialize_zeros(layer_dims):\n    raise NotImplementedError()\n"
RESULTS = ROOT / "bench" / "results" / "warm_start.txt"


def _with_warm(course: Course, warm_start: bool) -> Course:
    return dataclasses.replace(course, grading=dataclasses.replace(course.grading, warm_start=warm_start))


def one_child(course: Course, box: sandbox.Confinement) -> None:
    """Start a child, wait for its "loaded", kill it: what each submission's child costs besides its checks."""
    header = json.dumps({"preamble": release_preamble(course.assignment(None)), "source": "x = 1",
                         "clear_keyrings": False, "cpu_limits": []})
    with tempfile.TemporaryFile() as request, tempfile.TemporaryFile() as output:
        request.write(header.encode())
        request.seek(0)
        read_fd, write_fd = os.pipe()
        child = sandbox.start_child(box, course.grading, request.fileno(), write_fd, output.fileno())
        os.close(write_fd)
        assert select.select([read_fd], [], [], 60)[0] and plain.loads(os.read(read_fd, 4096)) == {"loaded": True}
        child.kill()
        os.close(read_fd)


def child_cost(course: Course, runs: int) -> float:
    """Median seconds of one child."""
    with sandbox.confine(sandbox.BUBBLEWRAP, course.grading) as box:
        one_child(course, box)  # the zygote's start is measured apart
        return median_seconds(lambda: one_child(course, box), runs)


def grading_costs(course: Course, runs: int) -> tuple[float, float]:
    """Median seconds of grading a stub and the reference, whole."""
    def grade(source: str) -> None:
        grade_submission(Submission("bench", Path("bench.py"), PYTHON, source), "initialization", course)

    grade(reference_source())
    return median_seconds(lambda: grade(STUB), runs), median_seconds(lambda: grade(reference_source()), runs)


def zygote_start(runs: int) -> float:
    """Median seconds for a new zygote to say it is ready (numpy and labkit imported)."""
    def start() -> None:
        zygote = warm.Zygote(sandbox._zygote_command(), {**sandbox.BASE_ENV, "HOME": "/tmp", "TMPDIR": "/tmp"})
        zygote.wait_ready()
        zygote.stop()

    return median_seconds(start, runs)


def batch_wall(course: Course, copies: int) -> float:
    """Wall seconds of grading `copies` copies of the reference notebook with 2 workers."""
    notebook = course.assignment(None).source_notebook
    with tempfile.TemporaryDirectory() as folder:
        paths = [Path(folder) / f"student{i:03d}.ipynb" for i in range(copies)]
        for path in paths:
            shutil.copy(notebook, path)
        start = time.perf_counter()
        grade_batch(paths, Path(folder) / "out", course, "initialization", jobs=2)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--batch", type=int, default=40)
    args = parser.parse_args()
    course = load_course()
    assert os.geteuid() == 0 and sandbox.bubblewrap_works(), "warm start needs bubblewrap, run as root"
    rows = []
    measured = {}
    for name, warm_start in (("cold", False), ("warm", True)):
        modal = _with_warm(course, warm_start)
        measured[name] = (child_cost(modal, args.runs), *grading_costs(modal, args.runs),
                          batch_wall(modal, args.batch))
    labels = ["one child: start, load the preamble and code, kill",
              "grading a stub submission (whole)", "grading the reference (whole, 58 checks)",
              f"grade_batch, {args.batch} reference notebooks, 2 workers (wall)"]
    for i, label in enumerate(labels):
        cold, hot = measured["cold"][i], measured["warm"][i]
        unit = 1 if i == 3 else 1000
        suffix = "s " if i == 3 else "ms"
        rows.append(f"  {label:58s} {cold * unit:8.1f} {suffix} {hot * unit:8.1f} {suffix}   {cold / hot:4.1f}x")
    report = "\n".join([
        f"warm_start: cold (a new bubblewrap sandbox and interpreter per child) vs warm (forked by a zygote); "
        f"median of {args.runs} runs; {os.cpu_count()} CPUs, Python {sys.version.split()[0]}",
        f"  {'':58s} {'cold':>11s} {'warm':>11s}",
        *rows,
        f"  the zygote's own start, once per grading process (numpy, labkit)  {zygote_start(5) * 1000:.1f} ms",
    ])
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report + "\n")


if __name__ == "__main__":
    main()
