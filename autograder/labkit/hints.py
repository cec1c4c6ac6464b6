"""Graded hints for self-study: `hint(function)` in the notebook, `autograder check FILE --hint`.

A hint is about the first public check of a function that does not pass. What the check's feedback shows picks
it: a *symptom* (a phrase the public feedback prints when it recognizes a mistake, e.g. a std that matches
sqrt(1/fan_in)) has its own hints, any other failure gets the check's. Each has two levels: a nudge first, then
the formula or shape rule that settles it. Hints are data, never code, and they ship with the release, so they
say nothing the lesson does not already say (the misconception catalogue stays on the grader's side).
This module is the machinery; each assignment's kit supplies the hints themselves in `hint_data.py`
(CHECK_HINTS: check id -> levels; SYMPTOMS).
"""

from dataclasses import dataclass

from .compare import section_reference
from .framework import Check, Result

Levels = tuple[str, str]  # (nudge, rule)


@dataclass(frozen=True)
class Symptom:
    """A mistake a public check's feedback names: `phrase` appears in the feedback of `check_id` (any check
    when None) exactly when the check recognized it."""

    id: str
    check_id: str | None
    phrase: str
    levels: Levels


def symptom_of(result: Result) -> Symptom | None:
    """The symptom the result's feedback names first (its first problem), if any."""
    from .hint_data import SYMPTOMS

    shown = [s for s in SYMPTOMS if s.check_id in (None, result.check_id) and s.phrase in result.feedback]
    return min(shown, key=lambda s: result.feedback.index(s.phrase), default=None)


def hint_key(result: Result) -> str:
    """What the hints are about: the symptom when the feedback shows one, else the check."""
    symptom = symptom_of(result)
    return f"{result.check_id}:{symptom.id}" if symptom else result.check_id


def hint_text(check: Check, result: Result, level: int, again: str) -> str:
    """The hint of `level` (1: a nudge, 2 or more: the rule) for a check that did not pass; `again` says how to
    ask for the next one."""
    from .hint_data import CHECK_HINTS  # the assignment's, beside this module in its labkit

    symptom = symptom_of(result)
    levels = symptom.levels if symptom else CHECK_HINTS[check.id]
    shown = min(max(level, 1), len(levels))
    lines = [f"Hint {shown} of {len(levels)} for {check.id} ({check.title}):", levels[shown - 1]]
    if shown < len(levels):
        lines.append(again)
    else:
        lines.append(f"That was the last hint. {section_reference(check.section)}".strip())
    return "\n".join(lines)
