"""Helpers for the runner tests: tight limits, a course around custom checks, small custom checks."""

import dataclasses
from pathlib import Path

import numpy as np

from autograder.checks import assignment_checks
from autograder.course import Course, load_course
from autograder.graded import GradedSubmission
from autograder.grading import grade_submission
from autograder.labkit.framework import Check, Probe, Verdict, Visibility
from autograder.labkit.plan import call
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


def value_check(function: str, argument: float, expected: float) -> Check:
    """A check that `function(argument)` returns `expected`; its feedback says what came back."""

    def probe(_: np.random.Generator) -> Probe:
        return Probe([call("r", function, argument, returns="float")], {"expected": expected})

    def verdict(values: dict, p: Probe) -> Verdict:
        ok = values["r"] == p.context["expected"]
        return Verdict(1.0 if ok else 0.0, "" if ok else f"got {values['r']}")

    return Check(id=f"{function}.value", function=function, title=f"{function} is right",
                 visibility=Visibility.HIDDEN, probe=probe, verdict=verdict)


def text_check(function: str) -> Check:
    """A check whose feedback is the string `function()` returns (what the code saw inside the sandbox)."""

    def probe(_: np.random.Generator) -> Probe:
        return Probe([call("r", function, returns="str")])

    def verdict(values: dict, _: Probe) -> Verdict:
        return Verdict(0.0, values["r"])

    return Check(id=f"{function}.text", function=function, title=function,
                 visibility=Visibility.HIDDEN, probe=probe, verdict=verdict)
