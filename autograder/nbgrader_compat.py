"""nbgrader compatibility mode: grade one function from inside the student's notebook kernel.

The source notebook's hidden test regions call `grade_function("<function>", globals(), "<stamp>")`, so
`nbgrader autograde` still works: every check of that function (public and hidden) runs in-process
against the notebook's namespace, and the cell's points are what the checks earn. The stamp names the course the
notebook was built for (`course_stamp`); an `autograder` package that grades another course, or another version
of this one (other points), refuses to grade rather than grade with checks and points the notebook was not made for.

This mode has WEAKER ISOLATION than `autograder grade`. The checks, the verdicts and the hidden inputs
live in the same process as the student's code, which ran first: code that patches numpy, the check
framework or builtins, returns lying objects, or reads files can change the outcome, and nothing limits
time, memory or output beyond what nbgrader's own kernel timeout does. Use it where nbgrader is the
course's workflow and the stakes allow; use the isolated grader (`autograder grade`) otherwise.
"""

import hashlib
import json
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from .checks import assignment_checks
from .course import COURSE_FILE, Assignment, load_course
from .labkit.inprocess import run_checks


class WrongCourseError(RuntimeError):
    """The importable `autograder` package is not the one the notebook was built for."""


def course_stamp(assignment: Assignment) -> str:
    """Which course a source notebook's test cells were built for: a digest of the assignment's name, title and
    points table (what the notebook's own cells already depend on; the same wherever the package runs from)."""
    identity = json.dumps([assignment.name, assignment.title, assignment.points], sort_keys=True)
    return f"{assignment.name}-{hashlib.sha256(identity.encode()).hexdigest()[:12]}"


def grade_function(function: str, namespace: MutableMapping[str, Any], stamp: str) -> float:
    """Run every check of `function` against `namespace` (the notebook's globals); return the points earned.

    Prints one feedback line per check that did not pass. Points come from course.toml, times each score,
    rounded to 6 decimals. Raises WrongCourseError when this package's course is not the one of `stamp`.
    """
    course = load_course()
    for assignment in course.assignments.values():
        checks = [c for c in assignment_checks(assignment) if c.function == function]
        if checks:
            break
    else:
        raise ValueError(f"no check grades a function named {function!r}")
    if course_stamp(assignment) != stamp:
        raise WrongCourseError(
            f"this notebook was built for course {stamp!r}, but the autograder package imported here "
            f"({Path(__file__).resolve().parent}, course file {COURSE_FILE}) grades {course_stamp(assignment)!r}. "
            "Make the course's own package importable in the grading environment (pip install -e <course folder>), "
            "or rebuild the notebook from this course with `python3 -m autograder release`.")
    earned = 0.0
    for result in run_checks(checks, namespace, salt=course.seed_salt):
        earned += assignment.points[result.check_id] * result.score
        if not result.passed:
            feedback = result.feedback.splitlines()[0] if result.feedback else ""
            print(f"[{result.status.upper()}] {result.check_id}: {feedback}")
    return round(earned, 6)
