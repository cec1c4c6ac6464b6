"""Shared fixtures: the repository root, the course, and the reference as an importable namespace."""

import sys
from pathlib import Path
from typing import Any

import pytest

from autograder.course import load_course
from autograder.plugin import grading

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "solutions" / "initialization" / "reference.py"
# The assignment under test: its kit is active (autograder.labkit.public_checks, .fakes, ... are its modules), and
# GRADING is its trusted-side package (hidden checks, misconceptions, questions, samples).
GRADING = grading(load_course().assignment("initialization"))


def reference_source() -> str:
    """The reference as a student would write it: solution markers removed."""
    from autograder.checks.reference import Solution

    return "\n".join(line for line in Solution(REFERENCE).source.splitlines() if "### " not in line) + "\n"


def exec_submission(source: str) -> dict[str, Any]:
    """Execute submission source (which imports `labkit`) into a fresh namespace, in-process."""
    from autograder import labkit

    sys.modules.setdefault("labkit", labkit)
    namespace: dict[str, Any] = {"__name__": "submission"}
    exec(compile(source, "<student code>", "exec"), namespace)
    return namespace


@pytest.fixture(scope="session")
def reference_namespace() -> dict[str, Any]:
    return exec_submission(reference_source())
