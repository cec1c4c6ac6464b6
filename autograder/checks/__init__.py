"""The trusted side's check catalogue: an assignment's public checks (from labkit) plus its hidden checks.

The checks are built for the assignment being graded: its reference solution comes from the course that
names it (never from this repository's course.toml behind the caller's back).
"""

from ..course import Assignment
from ..labkit.framework import Check
from ..labkit.public_checks import PUBLIC_CHECKS
from ..labkit.questions import Question
from ..sample_submissions import sample_files
from .initialization import samples
from .initialization.hidden import hidden_checks
from .initialization.misconceptions import CATALOGUE
from .initialization.questions import QUESTIONS
from .reference import Solution


def assignment_checks(assignment: Assignment, visibility: str | None = None) -> list[Check]:
    """Every check of an assignment, in grading order; only public or hidden ones if visibility is given."""
    checks = PUBLIC_CHECKS + hidden_checks(Solution(assignment.reference.resolve()))
    return [c for c in checks if visibility is None or c.visibility == visibility]


def answer_key(assignment: Assignment) -> tuple[Question, ...]:
    """The answer key of an assignment's conceptual questions: what its release ships when it reveals answers."""
    return QUESTIONS


def misconception_explanations(assignment: Assignment) -> dict[str, str]:
    """{misconception id: what the mistake is, in plain words} of an assignment's catalogue, for the class summary."""
    return {m.id: m.explanation for m in CATALOGUE}


def assignment_samples(assignment: Assignment) -> dict[str, str]:
    """{file name: text} of an assignment's bundled sample submissions, made from its reference and catalogue."""
    return sample_files(assignment, samples.SAMPLES, {m.id: m for m in CATALOGUE}, samples.HELPER_CELL)
