"""Time the full hidden suite on the reference, per check: probe, plan execution and verdict.

Runs in-process (no sandbox, no transport), so the numbers are the checks' own computation: what one
submission costs the grader beyond loading it. Median over RUNS grading seeds, after one warm-up run.

    python bench/hidden_suite.py [runs]
"""

import statistics
import sys
import time
from pathlib import Path

from autograder.checks.reference import Solution
from autograder.course import load_course
from autograder.labkit.framework import check_seed, judge
from autograder.labkit.plan import execute
from autograder.plugin import grading

RESULTS = Path(__file__).resolve().parent / "results" / "hidden_suite.txt"


def time_suite(runs: int) -> dict[str, list[tuple[float, float, float]]]:
    """check id -> one (probe, execute, verdict) seconds triple per run; every run must give full marks."""
    assignment = load_course().assignment("initialization")
    solution = Solution(assignment.reference.resolve())
    namespace, checks = vars(solution.module), grading(assignment).hidden_checks(solution)
    timings: dict[str, list[tuple[float, float, float]]] = {c.id: [] for c in checks}
    for run in range(runs + 1):
        for check in checks:
            start = time.perf_counter()
            probe = check.probe(check_seed(check.id, f"bench-{run}"))
            probed = time.perf_counter()
            observation = execute(probe.plan, namespace)
            executed = time.perf_counter()
            result = judge(check, probe, observation)
            judged = time.perf_counter()
            if result.score != 1.0:
                raise SystemExit(f"the reference failed {check.id}: {result.feedback}")
            if run:  # run 0 warms caches (scipy critical values, the reference module)
                timings[check.id].append((probed - start, executed - probed, judged - executed))
    return timings


def table(timings: dict[str, list[tuple[float, float, float]]], runs: int) -> str:
    width = max(map(len, timings))
    lines = [f"Hidden suite on the reference: median over {runs} grading seeds (ms), in-process",
             f"{'check':<{width}}  {'probe':>7}  {'execute':>7}  {'verdict':>7}  {'total':>7}"]
    totals = []
    for check_id, samples in timings.items():
        medians = [statistics.median(s[i] for s in samples) * 1000 for i in range(3)]
        totals.append(statistics.median(sum(s) for s in samples) * 1000)
        lines.append(f"{check_id:<{width}}  " + "  ".join(f"{m:7.2f}" for m in medians) + f"  {totals[-1]:7.2f}")
    suite = [sum(sum(samples[i]) for samples in timings.values()) * 1000 for i in range(runs)]
    lines.append(f"{'sum of per-check medians':<{width}}  {'':>7}  {'':>7}  {'':>7}  {sum(totals):7.2f}")
    lines.append(f"{'whole suite (median, max)':<{width}}  {'':>7}  {'':>7}  {statistics.median(suite):7.2f}  "
                 f"{max(suite):7.2f}")
    return "\n".join(lines)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 21
    text = table(time_suite(runs), runs)
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text + "\n")


if __name__ == "__main__":
    main()
