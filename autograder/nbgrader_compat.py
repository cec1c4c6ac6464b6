"""nbgrader compatibility mode: grade one function from inside the student's notebook kernel.

The source notebook's hidden test regions call `grade_function("<function>", globals(), ...)`, so
`nbgrader autograde` still works: every check of that function (public and hidden) runs in-process
against the notebook's namespace, and the cell's points are what the checks earn.

This mode has WEAKER ISOLATION than `autograder grade`. The checks, the verdicts and the hidden inputs
live in the same process as the student's code, which ran first: code that patches numpy, the check
framework or builtins, returns lying objects, or reads files can change the outcome, and nothing limits
time, memory or output beyond what nbgrader's own kernel timeout does. Use it where nbgrader is the
course's workflow and the stakes allow; use the isolated grader (`autograder grade`) otherwise.
"""

from collections.abc import MutableMapping
from typing import Any

from .checks import assignment_checks
from .course import load_course
from .labkit.inprocess import run_checks


def grade_function(function: str, namespace: MutableMapping[str, Any]) -> float:
    """Run every check of `function` against `namespace` (the notebook's globals); return the points earned.

    Prints one feedback line per check that did not pass. Points come from course.toml, times each score,
    rounded to 6 decimals.
    """
    course = load_course()
    for assignment in course.assignments.values():
        checks = [c for c in assignment_checks(assignment) if c.function == function]
        if checks:
            break
    else:
        raise ValueError(f"no check grades a function named {function!r}")
    earned = 0.0
    for result in run_checks(checks, namespace, salt=course.seed_salt):
        earned += assignment.points[result.check_id] * result.score
        if not result.passed:
            feedback = result.feedback.splitlines()[0] if result.feedback else ""
            print(f"[{result.status.upper()}] {result.check_id}: {feedback}")
    return round(earned, 6)
