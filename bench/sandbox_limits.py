"""What isolation per submission costs, and what the wall budget saves.

    python bench/sandbox_limits.py [--runs 9] [--checks 24]

Measures on this machine:
- a submission that sleeps 1 s when loaded and crashes in each of --checks checks (every crash reloads it):
  its grading time with a budget too large to bind (what it cost before there was one) and with the default
  budget of tight limits (load 10 s + 10 checks of 2 s = 30 s) cut to 6 s;
- the same attack at the configured limits of course.toml, computed: every check costs one load timeout before,
  and the whole submission costs at most its budget now;
- the median time to grade a 3-check submission (bubblewrap) and what of it is isolation per submission: the
  fresh uid's lease, the cgroup, and the child that clears the uid's keyrings afterwards.
Prints a table and writes it to bench/results/sandbox_limits.txt. Numbers, not assertions.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import numpy as np  # noqa: E402
from clock import median_seconds, seconds  # noqa: E402
from grading_helpers import grade_source, tight_course  # noqa: E402

from autograder.checks import assignment_checks  # noqa: E402
from autograder.course import load_course  # noqa: E402
from autograder.labkit.framework import Check, Probe, Verdict, Visibility  # noqa: E402
from autograder.labkit.plan import call  # noqa: E402
from autograder.run import sandbox  # noqa: E402


def _check(function: str) -> Check:
    def probe(_: np.random.Generator) -> Probe:
        return Probe([call("r", function, 1.0, returns="float")])

    def verdict(values: dict, _: Probe) -> Verdict:
        return Verdict(1.0 if values["r"] == 1.0 else 0.0)

    return Check(id=f"{function}.value", function=function, title=function,
                 visibility=Visibility.HIDDEN, probe=probe, verdict=verdict)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--checks", type=int, default=24)
    args = parser.parse_args()

    crashing = [_check(f"f{i}") for i in range(args.checks)]
    attack = "import time\ntime.sleep(1.0)\n" + "".join(f"def f{i}(x):\n    import os\n    os._exit(3)\n"
                                                        for i in range(args.checks))
    unbounded = seconds(lambda: grade_source(attack, crashing, submission_timeout_seconds=10_000.0))
    bounded = seconds(lambda: grade_source(attack, crashing, submission_timeout_seconds=6.0))

    course = load_course()
    grading, checks = course.grading, len(assignment_checks(course.assignment()))
    before = checks * (grading.load_timeout_seconds + grading.check_timeout_seconds)
    after = grading.submission_budget(grading.load_timeout_seconds)

    three = [_check(name) for name in ("f", "g", "h")]
    good = "def f(x):\n    return x\n\ndef g(x):\n    return x\n\ndef h(x):\n    return x\n"
    grade_source(good, three)  # warm: runtime copy, bubblewrap test
    whole = median_seconds(lambda: grade_source(good, three), args.runs)
    tight = tight_course().grading
    level, _ = sandbox.resolve_level("auto")

    def confinement_only() -> None:
        with sandbox.confine(level, tight):
            pass

    confined = median_seconds(confinement_only, args.runs)
    group = sandbox.make_cgroup("autograder-bench", 2**28, 8)
    guard = f"cgroup v{group.version}" if group is not None else "watchdog (no cgroup can be made here)"
    if group is not None:
        group.remove()

    rows = [
        ("sleep 1 s at load + crash in every check, "
         f"{args.checks} checks, budget not binding (before)", f"{unbounded:.1f} s"),
        ("the same with a 6 s budget (now)", f"{bounded:.1f} s"),
        (f"the same at course.toml's limits, {checks} checks, each load timing out (before, computed)",
         f"{before:.0f} s ({before / 60:.0f} min)"),
        ("the same at course.toml's limits (now: the derived budget)", f"{after:.0f} s"),
        (f"grading a 3-check submission, median of {args.runs} ({level})", f"{whole * 1000:.0f} ms"),
        ("of which isolation per submission: uid lease, cgroup, clearing the uid's keyrings after",
         f"{confined * 1000:.0f} ms"),
        ("memory guard in force on this machine", guard),
    ]
    width = max(len(r[0]) for r in rows)
    text = "\n".join(f"{name:<{width}}  {value}" for name, value in rows) + "\n"
    print(text, end="")
    out = ROOT / "bench" / "results" / "sandbox_limits.txt"
    out.write_text(text)


if __name__ == "__main__":
    main()
