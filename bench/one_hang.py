"""What one infinite loop costs: a submission whose only fault is `while True` in train, graded as the main job does.

Target (issue "Grades a student can trust"): the time limits of the checks that waited for the loop, plus one second
of wall time, because no other check reaches the hung function again (fakes stand in for train's collaborators, and
the integration check declares what it calls). A busy loop meets a check's CPU limit: course.toml's
check_timeout_multiple times the reference's time on that check, within its bounds (the minimum, 1 s, for train's
own checks). A later check that allows the function more time runs it once more (a slow but finite train may pass
it): train.he_learns, whose reference trains a network, allows about 3 s. Prints the wall time per run and writes
bench/results/one_hang.txt.

    python3 bench/one_hang.py [--runs 3]
"""

import argparse
import statistics
import time
from pathlib import Path

from autograder.checks import assignment_checks
from autograder.checks.timing import check_limits
from autograder.course import load_course
from autograder.grading import grade_submission
from autograder.labkit.plan import Status
from autograder.submission import load_file

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "solutions" / "initialization" / "submissions" / "infinite_loop_in_train.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    course = load_course()
    assignment = course.assignment("initialization")
    limits = check_limits(assignment, assignment_checks(assignment), course.grading)
    walls, waited = [], set()
    for _ in range(args.runs):
        start = time.perf_counter()
        graded = grade_submission(load_file(SAMPLE, assignment), assignment.name, course)
        walls.append(time.perf_counter() - start)
        waited.add(tuple(r.check_id for r in graded.results if r.status == Status.TIMEOUT and r.seconds > 0))
    budget = max(sum(limits[check].cpu for check in checks) for checks in waited)
    named = "; ".join(", ".join(f"{check} {limits[check].cpu:g} s" for check in checks) for checks in sorted(waited))
    lines = [f"one infinite loop (train), {args.runs} runs; CPU time limits of the checks that waited for it: {named}",
             f"wall per run: {', '.join(f'{w:.2f}' for w in walls)} s; median {statistics.median(walls):.2f} s "
             f"(target <= {budget + 1:g} s: those limits plus 1 s)",
             f"score {graded.score:g} / {graded.max_score:g}"]
    print("\n".join(lines))
    (ROOT / "bench" / "results" / "one_hang.txt").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
