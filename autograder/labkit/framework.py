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

from .plan import ERROR, INCOMPLETE, INVALID, MISSING, NOT_ATTEMPTED, Step

PUBLIC, HIDDEN = "public", "hidden"

# Result statuses. PASSED and FAILED come from verdicts; the others from the runner.
PASSED, FAILED = "passed", "failed"
TIMEOUT, CRASHED = "timeout", "crashed"


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


@dataclass(frozen=True)
class Check:
    """One gradable property of one function (see the module docstring)."""

    id: str
    function: str
    title: str
    visibility: str
    probe: Callable[[np.random.Generator], Probe]
    verdict: Callable[[dict[str, Any], Probe], Verdict]
    section: str = ""  # the notebook heading that explains this, e.g. "Part 3 · ..."


@dataclass(frozen=True)
class Result:
    """The outcome of one check for one submission: plain data, ready for every report."""

    check_id: str
    function: str
    title: str
    visibility: str
    status: str
    score: float  # fraction in [0, 1]
    feedback: str
    diagnosis: str | None = None
    seconds: float = 0.0
    figure: dict[str, Any] | None = None  # plain data for a plot in the feedback, from the verdict

    @property
    def passed(self) -> bool:
        return self.status == PASSED


def check_seed(check_id: str, salt: str) -> np.random.Generator:
    """A Generator for one check, reproducible from (salt, check id) and different for every check."""
    digest = hashlib.sha256(f"{salt}\0{check_id}".encode()).digest()
    return np.random.default_rng(np.frombuffer(digest, dtype=np.uint32))


def judge(check: Check, probe: Probe, observation: dict[str, Any]) -> Result:
    """Turn what the plan observed into a Result (trusted side)."""

    def result(status: str, score: float, feedback: str, diagnosis: str | None = None,
               figure: dict[str, Any] | None = None) -> Result:
        return Result(check.id, check.function, check.title, check.visibility, status,
                      float(min(max(score, 0.0), 1.0)), feedback, diagnosis, observation.get("seconds", 0.0), figure)

    failure = observation.get("failure")
    if failure is not None:
        status = failure["kind"] if failure["kind"] in (NOT_ATTEMPTED, INCOMPLETE, MISSING, ERROR, INVALID) else ERROR
        return result(status, 0.0, failure["message"])
    try:
        verdict = check.verdict(observation["values"], probe)
    except (KeyError, IndexError, TypeError, ValueError) as error:
        # Data of an unexpected structure that slipped past the plan's type checks.
        return result(INVALID, 0.0, f"`{check.function}` returned data of an unexpected structure ({error})")
    if not np.isfinite(verdict.score):
        return result(FAILED, 0.0, verdict.feedback, verdict.diagnosis, verdict.figure)
    status = PASSED if verdict.score >= 1.0 else FAILED
    return result(status, verdict.score, verdict.feedback, verdict.diagnosis, verdict.figure)
