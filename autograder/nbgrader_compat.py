"""nbgrader compatibility mode: grade one function from inside the student's notebook kernel.

The source notebook's hidden test regions call `grade_function("<function>", globals(), "<stamp>")`, so
`nbgrader autograde` still works: every check of that function (public and hidden) runs in-process
against the notebook's namespace, and the cell's points are what the checks earn. The stamp names the assignment
the notebook was built for and a digest of it (`course_stamp`); grade_function grades with that assignment of the
course file that AUTOGRADER_COURSE names (default: this package's course.toml), and refuses to grade when that
course lacks the assignment or holds another version of it (other points), rather than grade with checks and
points the notebook was not made for. A course kept outside this package (its own course.toml, as `--course`
names for the other commands) is graded under nbgrader by setting AUTOGRADER_COURSE=/path/to/course.toml in the
environment nbgrader runs in; the engine needs no change per course.

This mode has WEAKER ISOLATION than `autograder grade`. The checks, the verdicts and the hidden inputs
live in the same process as the student's code, which ran first: code that patches numpy, the check
framework or builtins, returns lying objects, or reads files can change the outcome, and nothing limits
time, memory or output beyond what nbgrader's own kernel timeout does. Use it where nbgrader is the
course's workflow and the stakes allow; use the isolated grader (`autograder grade`) otherwise.
"""

import hashlib
import json
import os
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from .checks import assignment_checks
from .course import COURSE_FILE, Assignment, CourseError, load_course
from .labkit.inprocess import run_checks

COURSE_ENV = "AUTOGRADER_COURSE"  # the course.toml nbgrader compatibility grades with; unset: the package's own


class WrongCourseError(RuntimeError):
    """The course found here (AUTOGRADER_COURSE, else this package's) is not the one the notebook was built for."""


def course_stamp(assignment: Assignment) -> str:
    """Which course a source notebook's test cells were built for: a digest of the assignment's name, title and
    points table (what the notebook's own cells already depend on; the same wherever the package runs from)."""
    identity = json.dumps([assignment.name, assignment.title, assignment.points], sort_keys=True)
    return f"{assignment.name}-{hashlib.sha256(identity.encode()).hexdigest()[:12]}"


def compat_course_file() -> Path:
    """The course.toml that nbgrader compatibility grades with: $AUTOGRADER_COURSE when set (a relative path is
    relative to the kernel's working folder: prefer an absolute one), else this package's course.toml.

    Raises CourseError when that file does not exist."""
    named = os.environ.get(COURSE_ENV, "").strip()
    path = Path(named).expanduser().resolve() if named else COURSE_FILE
    if not path.is_file():
        how = f"{COURSE_ENV}={named!r} names" if named else f"{COURSE_ENV} is not set, so the default is"
        raise CourseError(f"nbgrader compatibility: {how} {path}, which is not a file. Set {COURSE_ENV} to the "
                          "course.toml of the course this notebook was built for, in the environment nbgrader runs in.")
    return path


def _where(path: Path) -> str:
    """How the course file was chosen, for error messages."""
    if os.environ.get(COURSE_ENV, "").strip():
        return f"course file {path} (from {COURSE_ENV})"
    return f"course file {path} (this package's default; {COURSE_ENV} is not set)"


def grade_function(function: str, namespace: MutableMapping[str, Any], stamp: str) -> float:
    """Run every check of `function` against `namespace` (the notebook's globals); return the points earned.

    The course is the file compat_course_file() names; the assignment is the one the stamp names. Prints one
    feedback line per check that did not pass. Points come from that course.toml, times each score, rounded to 6
    decimals. Raises CourseError when the course file is missing, WrongCourseError when the course lacks the stamp's
    assignment or holds another version of it, ValueError when no check of that assignment grades `function`.
    """
    path = compat_course_file()
    course = load_course(path)
    name = stamp.rpartition("-")[0]
    if name not in course.assignments:
        raise WrongCourseError(
            f"this notebook was built for assignment {name!r} (stamp {stamp!r}), but the {_where(path)} has "
            f"{', '.join(sorted(course.assignments)) or 'no assignments'}. Set {COURSE_ENV}=/path/to/course.toml "
            "(the course the notebook was built from) in the environment nbgrader runs in.")
    assignment = course.assignments[name]
    if course_stamp(assignment) != stamp:
        raise WrongCourseError(
            f"this notebook was built for {stamp!r}, but the {_where(path)}, graded by the autograder package at "
            f"{Path(__file__).resolve().parent}, has {course_stamp(assignment)!r}: another version of the assignment "
            f"(its title or points differ). Set {COURSE_ENV}=/path/to/course.toml to the course the notebook was "
            "built from, or make that course's own package importable in the grading environment "
            "(pip install -e <course folder>), or rebuild the notebook from this course with "
            "`python3 -m autograder --course COURSE.toml release`.")
    checks = [c for c in assignment_checks(assignment) if c.function == function]
    if not checks:
        raise ValueError(f"no check grades a function named {function!r} in assignment {name!r} ({path})")
    earned = 0.0
    for result in run_checks(checks, namespace, salt=course.seed_salt):
        earned += assignment.points[result.check_id] * result.score
        if not result.passed:
            feedback = result.feedback.splitlines()[0] if result.feedback else ""
            print(f"[{result.status.upper()}] {result.check_id}: {feedback}")
    return round(earned, 6)
