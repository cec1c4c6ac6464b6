"""The trusted side's check catalogue: an assignment's public checks (its kit) plus its hidden checks (its grading
package), built for the assignment being graded: its reference comes from the course that names it.
"""

import importlib

from ..course import Assignment
from ..labkit.framework import Check
from ..labkit.questions import Question
from ..plugin import grading
from ..sample_submissions import sample_files
from .reference import Solution


def public_checks(assignment: Assignment) -> list[Check]:
    """The assignment's public checks (its kit's public_checks.PUBLIC_CHECKS)."""
    grading(assignment)  # activates its kit
    return list(importlib.import_module("autograder.labkit.public_checks").PUBLIC_CHECKS)


def assignment_checks(assignment: Assignment, visibility: str | None = None) -> list[Check]:
    """Every check of an assignment, in grading order; only public or hidden ones if visibility is given."""
    checks = public_checks(assignment) + grading(assignment).hidden_checks(Solution(assignment.reference.resolve()))
    return [c for c in checks if visibility is None or c.visibility == visibility]


def answer_key(assignment: Assignment) -> tuple[Question, ...]:
    """The answer key of an assignment's conceptual questions: what its release ships when it reveals answers."""
    return tuple(grading(assignment).QUESTIONS)


def misconception_explanations(assignment: Assignment) -> dict[str, str]:
    """{misconception id: what the mistake is, in plain words} of an assignment's catalogue, for the class summary."""
    return {m.id: m.explanation for m in grading(assignment).CATALOGUE}


def assignment_samples(assignment: Assignment) -> dict[str, str]:
    """{file name: text} of an assignment's bundled sample submissions, made from its reference and catalogue."""
    package = grading(assignment)
    return sample_files(assignment, package.SAMPLES, {m.id: m for m in package.CATALOGUE}, package.HELPER_CELL)
