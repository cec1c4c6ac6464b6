"""Grade one submission: its assignment's checks (checks/), run by the isolated runner (run/).

The runner executes plans and knows no check catalogue; this is where the two meet, so grading flows one way:
submission -> checks' plans -> sandboxed execution -> verdicts -> scores (-> reports, bulk.py).
"""

from collections.abc import Sequence
from pathlib import Path

from .checks import assignment_checks
from .checks.timing import check_limits
from .course import Course, load_course
from .graded import GradedSubmission
from .labkit.framework import Check
from .run.isolated import grade_isolated
from .run.sandbox import warm_up
from .submission import Submission


def grade_submission(submission: Submission, assignment_name: str | None = None, course: Course | None = None,
                     checks: list[Check] | None = None, private: Sequence[Path] = ()) -> GradedSubmission:
    """Grade one submission in a sandboxed child against `checks` (default: every check of the assignment).

    course -- default: this repository's course.toml; assignment_name -- default: the course's only assignment;
    private -- more paths the submission's code must not be able to open (e.g. the output folder).
    """
    course = load_course() if course is None else course
    assignment = course.assignment(assignment_name)
    checks = assignment_checks(assignment) if checks is None else checks
    warm_up(course.grading)  # the zygote starts while the reference is timed (the first time in this process)
    return grade_isolated(submission, assignment, course, checks, check_limits(assignment, checks, course.grading),
                          private)
