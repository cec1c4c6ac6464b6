"""Collateral points per mistake: what one catalogued mistake costs in OTHER functions' checks, before and after.

Every misconception of the catalogue is a one-function mistake. Each is graded by the real isolated grader as a
.py submission, and the points it loses in checks of functions other than its own (a helper's mistake belongs to
the graded function that calls it) are summed. "Before" runs the same measurement on another commit of this
repository (default: the last commit before checks replaced collaborators by data and fakes), unpacked with
`git archive` into a temporary folder, with that commit's own reference and catalogue; "after" on this tree.

    python3 bench/collateral.py [--before COMMIT] [--out bench/results/collateral.txt]
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "29ae0b0"  # round 1's last commit: checks ran a function's collaborators from the student's code
HELPERS = {"activation_derivative": "backward"}

# Runs inside the tree being measured; uses only what both versions have.
MEASURE = r'''
import json, sys, warnings
from pathlib import Path
import numpy as np
warnings.simplefilter("ignore"); np.seterr(all="ignore")
from autograder.course import load_course
try:
    from autograder.plugin import grading
    CATALOGUE = grading(load_course().assignment("initialization")).CATALOGUE
except ImportError:  # round 1: no plug-ins yet
    from autograder.checks.initialization.misconceptions import CATALOGUE
try:
    from autograder.grading import grade_submission
except ImportError:  # round 1: the runner graded with the assignment's checks by itself
    from autograder.run.isolated import grade_submission
from autograder.submission import PYTHON, Submission
course = load_course()
source = course.assignment("initialization").reference.read_text()
source = "".join(l for l in source.splitlines(keepends=True) if "### " not in l)
helpers = json.loads(sys.argv[1])
rows = []
for m in CATALOGUE:
    graded = grade_submission(Submission(m.id, Path(m.id + ".py"), PYTHON, m.apply(source)), "initialization", course)
    owner = helpers.get(m.function, m.function)
    lost = {r.check_id: graded.max_points[r.check_id] - graded.points[r.check_id] for r in graded.results}
    other = {c: p for c, p in lost.items() if p > 0 and c.split(".")[0] != owner}
    rows.append({"id": m.id, "function": owner, "own": sum(p for c, p in lost.items() if c.split(".")[0] == owner),
                 "collateral": other})
print(json.dumps(rows))
'''


def measure(tree: Path) -> list[dict]:
    """Grade every catalogued mistake of the tree's own catalogue; one row per mistake."""
    done = subprocess.run([sys.executable, "-c", MEASURE, json.dumps(HELPERS)], cwd=tree, capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def unpacked(commit: str, folder: Path) -> Path:
    """The repository at `commit`, unpacked (no .git) into folder."""
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def table(before: list[dict], after: list[dict], commit: str) -> str:
    after_by_id = {row["id"]: row for row in after}
    lines = [f"{'mistake':<42} {'function':<22} {'collateral before':>17} {'collateral after':>17}  where (after)"]
    for row in before:
        now = after_by_id.get(row["id"])
        later = f"{sum(now['collateral'].values()):>17.2f}" if now else f"{'(not in catalogue)':>17}"
        where = ", ".join(sorted(now["collateral"])) if now else ""
        lines.append(f"{row['id']:<42} {row['function']:<22} {sum(row['collateral'].values()):>17.2f} {later}  {where}")
    for row in after:
        if row["id"] not in {r["id"] for r in before}:
            lines.append(f"{row['id']:<42} {row['function']:<22} {'(new)':>17} "
                         f"{sum(row['collateral'].values()):>17.2f}  {', '.join(sorted(row['collateral']))}")

    def totals(rows: list[dict]) -> str:
        charged = [r for r in rows if r["collateral"]]
        return (f"{len(charged)} of {len(rows)} mistakes cost points elsewhere, "
                f"{sum(sum(r['collateral'].values()) for r in rows):.1f} points in all")

    lines += ["", f"before ({commit}): {totals(before)}", f"after  (this tree): {totals(after)}",
              "after, without the one integration check (train.he_learns, 'with your own functions'): "
              + totals([{**r, "collateral": {c: p for c, p in r["collateral"].items() if c != "train.he_learns"}}
                        for r in after])]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help="the commit to compare with")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "collateral.txt")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="collateral-") as tmp:
        before = measure(unpacked(args.before, Path(tmp)))
    text = table(before, measure(ROOT), args.before)
    print(text)
    args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
