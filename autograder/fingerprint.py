"""The grading fingerprint: a digest of everything besides the submission that decides its grade.

A journaled grade is reused only under the same fingerprint, so a change of any of these regrades:
- the code that decides verdicts and statuses, file by file (GRADING_CODE, below): labkit/ (probes, plans, the
  plain-data codec, the public checks and the framework that judges), checks/ (hidden checks, statistics battery,
  verdict helpers, misconception catalogue, questions), run/ (how the code runs, its limits, and which status a
  timeout, crash or exit gets), submission.py (which code of a notebook is graded) and graded.py (what of a grade
  is kept), plus the assignment's reference.py, kit/ and grading/ (plugin.py);
- course.toml's course seed salt, the assignment's name and points table, and every [grading] setting except
  those that cannot change a grade (IGNORED_SETTINGS);
- the grader's version (the installed distribution's, when there is one).
Reports are not in it: they are rebuilt from the journal on every run.
"""

import dataclasses
import functools
import hashlib
import json
from importlib import metadata
from pathlib import Path

from .course import Assignment, Course

PACKAGE = Path(__file__).resolve().parent
DISTRIBUTION = "weight-init-lab"
GRADING_CODE = ("labkit", "checks", "run", "submission.py", "graded.py")  # relative to the package
# How many workers, who sees hidden results, which uids, and whether children are forked from a zygote (a warm child
# runs the same code on the same inputs as a cold one) decide no grade.
IGNORED_SETTINGS = frozenset({"jobs", "hidden_visibility", "sandbox_uid_base", "sandbox_uid_count", "warm_start"})


class GraderMismatchError(RuntimeError):
    """A grading host grades with other grading code, another version or other settings than the one that asked
    (distributed.py): its grades would not be this course's."""


def _files(entry: Path) -> list[Path]:
    """The source files under `entry` (itself if a file), in a stable order; caches and compiled files left out."""
    if entry.is_file():
        return [entry]
    return sorted(p for p in entry.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                  and p.suffix not in (".pyc", ".pyo"))


def _digest_files(paths: list[Path], base: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        name = path.relative_to(base).as_posix() if path.is_relative_to(base) else path.name
        data = path.read_bytes()
        digest.update(f"{name}\0{len(data)}\0".encode() + data)
    return digest.hexdigest()


@functools.cache
def grading_code_digest() -> str:
    """sha256 over the grading code's files, read once per process: a file edited while a batch runs changes the
    next batch's fingerprint, never this one's."""
    return _digest_files([f for entry in GRADING_CODE for f in _files(PACKAGE / entry)], PACKAGE)


def grader_version() -> str:
    """The installed distribution's version, or "unknown" where the package runs from a copy (Gradescope's zip)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


def grading_settings(course: Course, assignment_name: str) -> dict:
    """The course.toml settings that decide a grade of `assignment_name`."""
    assignment = course.assignment(assignment_name)
    grading = {k: v for k, v in dataclasses.asdict(course.grading).items() if k not in IGNORED_SETTINGS}
    return {"assignment": assignment.name, "salt": course.seed_salt, "points": assignment.points, "grading": grading}


def assignment_digest(assignment: Assignment) -> str:
    """sha256 over what of the assignment decides a grade: its reference, kit/ (public checks, fakes) and
    grading/ (hidden checks, misconceptions, questions)."""
    files = [assignment.reference, *_files(assignment.kit), *_files(assignment.grading)]
    return _digest_files(files, assignment.source)


def grading_fingerprint(course: Course, assignment_name: str) -> str:
    """A short digest of the grading code, the assignment, the grading settings and the grader's version."""
    parts = {"code": grading_code_digest(), "assignment": assignment_digest(course.assignment(assignment_name)),
             "settings": grading_settings(course, assignment_name), "version": grader_version()}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]
