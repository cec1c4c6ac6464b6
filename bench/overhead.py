"""Per-submission overhead of the isolated grader, beyond the student's own computation.

    python bench/overhead.py [--runs 15]

Measures, as medians over --runs runs on this machine:
- a bare Python start (`python -I -S -c pass`) and one that imports numpy: their difference is what the
  student's setup cell (`import numpy as np`) costs wherever their code runs;
- grading a submission whose every function is a stub (no student computation at all);
- grading the reference solution, and how much of that is the student's own code running inside the child
  (the wall time the parent measured for each check's plan, summed).
The overhead beyond the student's own computation is the reference's grading time minus its calls, and minus
numpy's import where the child really imports it: a child forked by the warm-start zygote finds numpy loaded
already, so its setup cell costs nothing there. Prints a table and writes it to bench/results/overhead.txt.
Numbers, not assertions.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from clock import median_seconds  # noqa: E402
from conftest import reference_source  # noqa: E402

from autograder.course import load_course  # noqa: E402
from autograder.grading import grade_submission  # noqa: E402
from autograder.run.sandbox import package_dirs  # noqa: E402
from autograder.submission import PYTHON, Submission  # noqa: E402

STUB = "def initialize_zeros(layer_dims):\n    raise NotImplementedError()\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    course = load_course()

    def grade(source: str):
        return grade_submission(Submission("bench", Path("bench.py"), PYTHON, source), "initialization", course)

    grade(reference_source())  # warm the parent: imports, scipy, the reference module
    dirs = package_dirs()
    bare = median_seconds(lambda: subprocess.run([sys.executable, "-I", "-S", "-c", "pass"], check=True), runs)
    numpy_start = median_seconds(lambda: subprocess.run(
        [sys.executable, "-I", "-S", "-c", f"import sys; sys.path += {dirs!r}; import numpy"], check=True), runs)
    numpy_import = numpy_start - bare
    stub = median_seconds(lambda: grade(STUB), runs)
    totals, student = [], []
    for _ in range(runs):
        start = time.perf_counter()
        graded = grade(reference_source())
        totals.append(time.perf_counter() - start)
        student.append(sum(r.seconds for r in graded.results))
    total, own = statistics.median(totals), statistics.median(student)
    checks = len(graded.results)
    warm = graded.isolation == "bubblewrap" and course.grading.warm_start and os.geteuid() == 0  # sandbox.begin_child
    setup = 0.0 if warm else numpy_import
    overhead = total - own - setup
    lines = [
        f"Per-submission overhead of the isolated grader ({graded.isolation}), median of {runs} runs, "
        f"{checks} checks",
        f"  bare Python start (python -I -S -c pass)            {bare * 1000:7.1f} ms",
        f"  Python start + import numpy                         {numpy_start * 1000:7.1f} ms",
        f"  grading a stub submission (no student computation)  {stub * 1000:7.1f} ms",
        f"  grading the reference                               {total * 1000:7.1f} ms",
        f"    the student's calls, inside the child             {own * 1000:7.1f} ms",
        f"    the student's `import numpy` (setup cell)         {setup * 1000:7.1f} ms"
        + ("  (warm start: numpy is loaded already)" if warm else ""),
        f"    overhead beyond the student's own computation     {overhead * 1000:7.1f} ms",
    ]
    report = "\n".join(lines)
    print(report)
    out = ROOT / "bench" / "results" / "overhead.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report + "\n")


if __name__ == "__main__":
    main()
