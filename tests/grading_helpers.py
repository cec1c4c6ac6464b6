"""Helpers for the runner tests: tight limits, a course around custom checks, wrong variants of the reference."""

import dataclasses
from pathlib import Path

from autograder.checks import assignment_checks
from autograder.course import Course, load_course
from autograder.graded import GradedSubmission
from autograder.grading import grade_submission
from autograder.labkit.framework import Check
from autograder.submission import PYTHON, Submission

TIGHT = {"check_timeout_seconds": 2.0, "load_timeout_seconds": 10.0, "cpu_seconds": 20, "memory_mb": 512,
         "output_kb": 16, "max_processes": 16}


def tight_course(isolation: str = "auto", checks: list[Check] = (), **grading: object) -> Course:
    """The repository's course with tight limits, and 1 point for each check (custom ones included) that
    course.toml does not price yet."""
    course = load_course()
    settings = dataclasses.replace(course.grading, **{**TIGHT, "isolation": isolation, **grading})
    assignment = course.assignment("initialization")
    every = [*checks, *assignment_checks(assignment)]
    points = {**{c.id: 1.0 for c in every}, **assignment.points}
    assignment = dataclasses.replace(assignment, points=points)
    return dataclasses.replace(course, grading=settings, assignments={"initialization": assignment})


def grade_source(source: str, checks: list[Check] | None = None, isolation: str = "auto",
                 **grading: object) -> GradedSubmission:
    """Grade code as a .py submission under tight limits."""
    course = tight_course(isolation, checks or [], **grading)
    submission = Submission("student", Path("student.py"), PYTHON, source)
    return grade_submission(submission, "initialization", course, checks)
