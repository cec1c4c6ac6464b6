"""Calibration: how often does the reference solution lose points, per check, over many grading seeds?

    python bench/calibration.py [--seeds 10000] [--jobs 2]

A correct submission must essentially never fail a check (DESIGN: <= 1e-6 per check). Sampling cannot show
1e-6 directly; this reports, per check, the failures seen over N seeds and the 95% upper bound on the
failure rate that N clean seeds give (3 / N, the rule of three). The statistical checks' own docstrings
give their analytic margins; this is the empirical side. Writes bench/results/calibration.txt.
"""

import argparse
import multiprocessing
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import exec_submission, reference_source  # noqa: E402

from autograder.checks import assignment_checks  # noqa: E402
from autograder.course import load_course  # noqa: E402
from autograder.labkit.inprocess import run_checks  # noqa: E402


def _failures(salts: list[str]) -> Counter:
    namespace = exec_submission(reference_source())
    checks = assignment_checks(load_course().assignment("initialization"))
    failed: Counter = Counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for salt in salts:
            failed.update(r.check_id for r in run_checks(checks, namespace, salt) if r.score < 1.0)
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10000)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    salts = [f"calibration-{i}" for i in range(args.seeds)]
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
        failed = sum(pool.map(_failures, [salts[j::args.jobs] for j in range(args.jobs)]), Counter())
    seconds = time.perf_counter() - start
    checks = [c.id for c in assignment_checks(load_course().assignment("initialization"))]
    lines = [f"Reference solution over {args.seeds} grading seeds ({seconds:.0f} s): failures per check "
             f"(95% upper bound on the rate with none seen: {3 / args.seeds:.1e})"]
    lines += [f"  {check:<48} {failed[check]:>6}" for check in checks]
    lines.append(f"  total failures: {sum(failed.values())} in {args.seeds * len(checks)} check runs")
    report = "\n".join(lines)
    print(report)
    out = ROOT / "bench" / "results" / "calibration.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report + "\n")


if __name__ == "__main__":
    main()
