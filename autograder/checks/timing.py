"""How long each check may run: a multiple of what the reference solution takes on the same plan.

The reference is trusted code, so it runs here, in the grader's own process, once per check and process; the
course's [grading] settings turn its time into limits of CPU and wall time (Grading.check_limits).
"""

import time

from ..course import Assignment, CheckLimits, Grading
from ..labkit.framework import Check, check_seed
from ..labkit.plan import execute
from .reference import PLAN_LOCK, Solution

TIMING_SALT = "timing"  # the probe the reference is timed on: any one is representative of the check's cost
TIMING_RUNS = 3  # the fastest of these is kept: noise (a busy machine) only ever adds time
_measured: dict[tuple[str, str], float] = {}  # (reference path, check id) -> seconds


def reference_seconds(solution: Solution, check: Check) -> float:
    """Seconds the reference takes on one probe of `check`, the fastest of TIMING_RUNS (a failure, e.g. a
    question's answer, takes next to none)."""
    key = (str(solution.path), check.id)
    if key not in _measured:
        plan = check.probe(check_seed(check.id, TIMING_SALT)).plan
        namespace = vars(solution.module)
        runs = []
        for _ in range(TIMING_RUNS):
            with PLAN_LOCK:
                start = time.perf_counter()
                execute(plan, namespace)
                runs.append(time.perf_counter() - start)
        _measured[key] = min(runs)
    return _measured[key]


def check_limits(assignment: Assignment, checks: list[Check], grading: Grading) -> dict[str, CheckLimits]:
    """{check id: the CPU and wall time its calls may take} for grading `checks` of `assignment`."""
    solution = Solution(assignment.reference.resolve())
    return {check.id: grading.check_limits(reference_seconds(solution, check)) for check in checks}
