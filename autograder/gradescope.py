"""Gradescope: build `autograder.zip`, and the entry point its `run_autograder` calls.

The zip holds `setup.sh` (installs Python, numpy, scipy, matplotlib, nbformat and bubblewrap), `run_autograder`,
this package, course.toml, and every assignment's source folder (reference included) and release, links
resolved. Gradescope unpacks it into /autograder/source, runs setup.sh once per image, and for each submission
runs run_autograder, which grades /autograder/submission/ into /autograder/results/results.json with the same
sandboxed runner as `autograder grade`. Set AUTOGRADER_ROOT to run it anywhere else (tests do).

    python -m autograder.gradescope build [--out autograder.zip]
    python -m autograder.gradescope run --submission DIR --results FILE     (what run_autograder does)
"""

import argparse
import json
import os
import stat
import sys
import zipfile
from pathlib import Path

from .course import COURSE_FILE, ROOT, load_course
from .graded import GradedSubmission
from .reports.common import atomic_write
from .reports.results_json import results_json_text

PYTHON_PACKAGES = "numpy scipy matplotlib nbformat"

SETUP_SH = f"""#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image.
set -euo pipefail
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-pip bubblewrap
python3 -m pip install --break-system-packages {PYTHON_PACKAGES} 2>/dev/null \\
  || python3 -m pip install {PYTHON_PACKAGES}
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission: grade /autograder/submission into /autograder/results/results.json.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
cd "$ROOT/source"
exec "${PYTHON:-python3}" -m autograder.gradescope run \\
  --submission "$ROOT/submission" --results "$ROOT/results/results.json" --metadata "$ROOT/submission_metadata.json"
"""

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


def _student_id(metadata: Path) -> str:
    """The first submitter's email (or name) from Gradescope's submission_metadata.json, else "submission"."""
    try:
        users = json.loads(metadata.read_text()).get("users") or [{}]
        return str(users[0].get("email") or users[0].get("name") or "submission")
    except (OSError, ValueError, AttributeError):
        return "submission"


def grade_for_gradescope(submission_dir: Path, results_path: Path, metadata: Path | None = None,
                         assignment_name: str | None = None) -> GradedSubmission:
    """Grade the one submission in `submission_dir` and write its results.json to `results_path`."""
    from .run.isolated import grade_submission
    from .submission import load_file

    course = load_course()
    assignment = course.assignment(assignment_name)
    student = _student_id(metadata) if metadata is not None else "submission"
    graded = grade_submission(load_file(submission_dir, assignment, student), assignment.name, course)
    atomic_write(results_path, results_json_text(graded, course.grading.hidden_visibility))
    return graded


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
    graded = grade_for_gradescope(args.submission, args.results, args.metadata, args.assignment)
    print(f"{graded.student_id}: {graded.score:g} / {graded.max_score:g}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
