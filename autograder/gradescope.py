"""Gradescope: build `autograder.zip`, and the entry point its `run_autograder` calls.

The zip holds `setup.sh` (installs Python, numpy, scipy, matplotlib, nbformat and bubblewrap), `run_autograder`,
this package, course.toml, and every assignment's source folder (reference included) and release, links
resolved. Gradescope unpacks it into /autograder/source, runs setup.sh once per image, and for each submission
runs run_autograder, which grades /autograder/submission/ into /autograder/results/results.json with the same
sandboxed runner as `autograder grade`. Set AUTOGRADER_ROOT to run it anywhere else (tests do).

    python -m autograder.gradescope build [--out autograder.zip]
    python -m autograder.gradescope run --submission DIR --results FILE     (what run_autograder does)

It runs on Python 3.10 and newer: Gradescope's default image (Ubuntu 22.04) has Python 3.10, so setup.sh
installs the image's own python3 and `tomli` where `tomllib` is missing. Every path of run_autograder ends
with a results.json: a grade, or, where the grader itself fails (Python missing, the package broken, the
sandbox refused), a score of 0 and an `output` saying so in words a student can forward to the instructor.
A group submission is graded once; its results.json names every member.
"""

import argparse
import json
import os
import platform
import stat
import sys
import time
import traceback
import zipfile
from pathlib import Path
from typing import Any

from .course import COURSE_FILE, ROOT, load_course
from .graded import GradedSubmission
from .reports.common import atomic_write
from .reports.results_json import results_json

# What a student sees when the grader itself fails (also written by run_autograder's shell fallback, hence
# no quotes or backslashes: it goes into JSON unescaped).
GRADER_FAILED = ("This is not your grade. The autograder could not grade this submission because the grading "
                 "software itself failed, not because of your work. Please forward this whole message to your "
                 "instructor; your submission was received and can be graded again once the problem is fixed.")

# tomli: Python 3.10 (Ubuntu 22.04's python3) has no tomllib.
PYTHON_PACKAGES = "numpy scipy matplotlib nbformat 'tomli>=2; python_version < \"3.11\"'"

SETUP_SH = f"""#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image (Ubuntu 22.04: Python 3.10; 24.04: 3.12).
set -euo pipefail
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-pip bubblewrap
# pip refuses to install into 24.04's system Python without --break-system-packages, which 22.04's pip lacks.
python3 -m pip install --break-system-packages {PYTHON_PACKAGES} 2>/dev/null \\
  || python3 -m pip install {PYTHON_PACKAGES}
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission: grade /autograder/submission into /autograder/results/results.json.
# No `set -e`: whatever fails, results.json must be written, else students see only "The autograder failed to
# execute correctly". The grader writes it on its own failures; this script writes it when Python cannot start
# the grader at all (no interpreter, a broken package).
ROOT="${AUTOGRADER_ROOT:-/autograder}"
RESULTS="$ROOT/results/results.json"
LOG="$(mktemp)"
mkdir -p "$ROOT/results" && rm -f "$RESULTS"
# Where bubblewrap cannot run, submissions run as a user of their own that must not read the reference, the
# hidden checks, the upload or the results: make them private to root (the grader checks it before grading).
chmod go-rwx "$ROOT/source" "$ROOT/submission" "$ROOT/results" 2>/dev/null
# stderr goes both to Gradescope's log (shown to instructors) and to $LOG, for the fallback below.
{ cd "$ROOT/source" && "${PYTHON:-python3}" -m autograder.gradescope run --submission "$ROOT/submission" \
    --results "$RESULTS" --metadata "$ROOT/submission_metadata.json" 2>&1 1>&3 3>&- | tee "$LOG" >&2 3>&-
  status=${PIPESTATUS[0]}; } 3>&1
if [ ! -s "$RESULTS" ]; then
  # The last lines of the error, as a JSON string: ASCII only, control characters dropped, \ and " escaped.
  detail="$(tail -n 15 "$LOG" | LC_ALL=C tr -d '\000-\010\013-\037\177-\377' | head -c 3000)"
  detail="${detail//\\/\\\\}"; detail="${detail//\"/\\\"}"; detail="${detail//$'\t'/\\t}"
  detail="${detail//$'\n'/\\n}"
  printf '{"score": 0.0, "execution_time": %s.0, "tests": [], "extra_data": {"exit_status": %s},\n' \
    "$SECONDS" "${status:-1}" > "$RESULTS"
  printf ' "output": "%s\\n\\nDetails for the instructor (exit status %s):\\n%s"}\n' \
    "@GRADER_FAILED@" "${status:-1}" "$detail" >> "$RESULTS"
fi
rm -f "$LOG"
exit 0
""".replace("@GRADER_FAILED@", GRADER_FAILED)

_SKIP = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}


def _add_tree(archive: zipfile.ZipFile, folder: Path, name: str) -> None:
    """Add a folder's files under `name`, following links (the bundle must stand alone), skipping caches."""
    for top, dirs, files in os.walk(folder, followlinks=True):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP)
        for file in sorted(f for f in files if not f.endswith(".pyc")):
            path = Path(top) / file
            archive.write(path, f"{name}/{path.relative_to(folder).as_posix()}")


def _add_script(archive: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (stat.S_IFREG | 0o755) << 16
    archive.writestr(info, text)


def build_autograder_zip(out: Path, course_file: Path = COURSE_FILE) -> Path:
    """Write Gradescope's autograder.zip for the course to `out`; returns `out`."""
    course = load_course(course_file)
    base = course_file.parent
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        _add_script(archive, "setup.sh", SETUP_SH)
        _add_script(archive, "run_autograder", RUN_AUTOGRADER)
        _add_tree(archive, ROOT / "autograder", "autograder")
        archive.write(course_file, "course.toml")
        for assignment in course.assignments.values():
            for folder in (assignment.source, assignment.release):
                _add_tree(archive, folder, folder.relative_to(base).as_posix())
    return out


def group_members(metadata: Path) -> list[tuple[str, str]]:
    """(name, email) of everyone a submission belongs to, from Gradescope's submission_metadata.json `users`
    (several for a group submission); [] when the file is missing or not as documented."""
    try:
        users = json.loads(metadata.read_text(encoding="utf-8")).get("users")
    except (OSError, ValueError, AttributeError):
        return []
    members = [(str(u.get("name") or "").strip(), str(u.get("email") or "").strip())
               for u in (users if isinstance(users, list) else []) if isinstance(u, dict)]
    return [m for m in members if any(m)]


def grade_for_gradescope(submission_dir: Path, results_path: Path, metadata: Path | None = None,
                         assignment_name: str | None = None) -> GradedSubmission:
    """Grade the one submission in `submission_dir` and write its results.json to `results_path`."""
    from .grading import grade_submission
    from .submission import NOTEBOOK, Submission, load_file

    course = load_course()
    assignment = course.assignment(assignment_name)
    members = group_members(metadata) if metadata is not None else []
    # A group is graded once, under its first member's id; results.json (one per submission) names them all.
    student = (members[0][1] or members[0][0]) if members else "submission"
    if submission_dir.is_dir() and any(p.is_file() for p in submission_dir.rglob("*")):
        submission = load_file(submission_dir, assignment, student)
    else:
        submission = Submission(student, submission_dir, NOTEBOOK,
                                error=f"nothing was uploaded; submit your {assignment.notebook}")
    graded = grade_submission(submission, assignment.name, course, private=[results_path.parent])
    results = results_json(graded, course.grading.hidden_visibility)
    if len(members) > 1:
        names = ", ".join(f"{name} <{email}>" if name and email else name or email for name, email in members)
        results["output"] = f"Group submission, graded once for all its members: {names}\n{results['output']}"
    atomic_write(results_path, json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return graded


def failure_results(error: BaseException, seconds: float) -> dict[str, Any]:
    """results.json for a submission the grader could not grade because the grader itself failed."""
    detail = "".join(traceback.format_exception_only(type(error), error)).strip()
    return {"score": 0.0, "execution_time": round(seconds, 3), "tests": [], "extra_data": {"grader_error": detail},
            "output": f"{GRADER_FAILED}\n\nDetails for the instructor (Python {platform.python_version()}): {detail}"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="write autograder.zip")
    build.add_argument("--out", type=Path, default=Path("autograder.zip"))
    build.add_argument("--course", type=Path, default=COURSE_FILE)
    run = commands.add_parser("run", help="grade one Gradescope submission folder (run_autograder calls this)")
    run.add_argument("--submission", type=Path, required=True)
    run.add_argument("--results", type=Path, required=True)
    run.add_argument("--metadata", type=Path, default=None)
    run.add_argument("--assignment", default=None)
    args = parser.parse_args(argv)
    if args.command == "build":
        print(build_autograder_zip(args.out, args.course))
        return 0
    start = time.monotonic()
    try:
        graded = grade_for_gradescope(args.submission, args.results, args.metadata, args.assignment)
    except Exception as error:  # the grader's own failure: the student still gets a results.json saying so
        traceback.print_exc()
        text = json.dumps(failure_results(error, time.monotonic() - start), indent=2, ensure_ascii=False)
        atomic_write(args.results, text + "\n")
        return 1
    print(f"{graded.student_id}: {graded.score:g} / {graded.max_score:g}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
