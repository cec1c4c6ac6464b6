"""Checks: the unit of grading, one definition for every runner.

A `Check` has an id, the graded function it is about, a visibility, and two halves:
- `probe(rng) -> Probe`: makes the inputs (from the seeded Generator it is given) and the plan of calls
  (see plan.py). Runs on the trusted side; only `Probe.plan` is ever shown to the student's process.
- `verdict(values, probe) -> Verdict`: a pure function of the plain data the plan produced and of the
  probe (its context holds the inputs). Runs on the trusted side only.
`judge` turns an observation into a `Result`; a failed step (not attempted, missing, crashed, wrong
type) is decided here, the same way for every check, so verdicts only ever see complete data.
Points are not part of a check: they come from course.toml.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .plan import PlainEnum, Status, Step


class Visibility(PlainEnum):
    """Who sees a check run before the deadline."""

    PUBLIC = "public"  # the student, in the notebook's check(...), and the grader
    HIDDEN = "hidden"  # the grader only


@dataclass(frozen=True)
class Probe:
    """What a check asks of the student's code: the plan, and the context the verdict needs."""

    plan: list[Step]
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    """A verdict's answer. score is the fraction of the check's points earned, in [0, 1]."""

    score: float
    feedback: str = ""
    diagnosis: str | None = None  # id of the misconception that explains the data, if one does
    figure: dict[str, Any] | None = None  # plain data for a plot in the feedback (see reports/plots.py)


@dataclass(frozen=True, kw_only=True)
class Check:
    """One gradable property of one function (see the module docstring); declared with keywords."""

    id: str
    function: str
    title: str
    visibility: Visibility
    probe: Callable[[np.random.Generator], Probe]
    verdict: Callable[[dict[str, Any], Probe], Verdict]
    section: str = ""  # the notebook heading that explains this, e.g. "Part 3 · ..."


@dataclass(frozen=True)
class Result:
    """The outcome of one check for one submission: plain data, ready for every report."""

    check_id: str
    function: str
    title: str
    visibility: Visibility
    status: Status
    score: float  # fraction in [0, 1]
    feedback: str
    diagnosis: str | None = None
    seconds: float = 0.0
    figure: dict[str, Any] | None = None  # plain data for a plot in the feedback, from the verdict

    @property
    def passed(self) -> bool:
        return self.status == Status.PASSED


def check_seed(check_id: str, salt: str) -> np.random.Generator:
    """A Generator for one check, reproducible from (salt, check id) and different for every check."""
    digest = hashlib.sha256(f"{salt}\0{check_id}".encode()).digest()
    return np.random.default_rng(np.frombuffer(digest, dtype=np.uint32))


def judge(check: Check, probe: Probe, observation: dict[str, Any]) -> Result:
    """Turn what the plan observed into a Result (trusted side)."""

    def result(status: Status, score: float, feedback: str, verdict: Verdict | None = None) -> Result:
        return Result(check_id=check.id, function=check.function, title=check.title, visibility=check.visibility,
                      status=status, score=float(min(max(score, 0.0), 1.0)), feedback=feedback,
                      diagnosis=verdict.diagnosis if verdict else None, seconds=observation.get("seconds", 0.0),
                      figure=verdict.figure if verdict else None)

    failure = observation.get("failure")
    if failure is not None:  # plain data: the kind is a string, from the student's process
        kind = failure["kind"]
        failed = (Status.NOT_ATTEMPTED, Status.INCOMPLETE, Status.MISSING, Status.ERROR, Status.INVALID)
        return result(Status(kind) if kind in failed else Status.ERROR, 0.0, failure["message"])
    try:
        verdict = check.verdict(observation["values"], probe)
    except (KeyError, IndexError, TypeError, ValueError) as error:
        # Data of an unexpected structure that slipped past the plan's type checks.
        return result(Status.INVALID, 0.0, f"`{check.function}` returned data of an unexpected structure ({error})")
    if not np.isfinite(verdict.score):
        return result(Status.FAILED, 0.0, verdict.feedback, verdict)
    return result(Status.PASSED if verdict.score >= 1.0 else Status.FAILED, verdict.score, verdict.feedback, verdict)
