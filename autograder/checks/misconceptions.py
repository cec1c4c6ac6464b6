"""Misconceptions: known wrong variants of an assignment's reference, and the diagnosis that names them.

Every misconception is a MUTANT of the reference solution: a few exact text edits inside one function
of reference.py (each edit must apply exactly once there, so a change of the reference that breaks a
mutant fails loudly instead of silently testing nothing). When a hidden check fails, its verdict runs the
same probe plan against the mutants that are known to fail that check (trusted side, same inputs) and,
if one of them produces data the check considers the same as the student's, names it in the feedback:
what the mistake is in plain words and how to fix it -- never the hidden inputs or the reference's code.
Each assignment's grading package holds its CATALOGUE; this module is the machinery.
"""

import re
import types
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..labkit.plan import Step
from .reference import Solution, run_quietly
from .verdicts import Same


@dataclass(frozen=True)
class Misconception:
    """One known mistake, as edits of one reference function.

    id -- the diagnosis id reports count; function -- the function whose body the edits change;
    edits -- (old, new) text pairs, each occurring exactly once in that function; explanation, fix --
    plain words for the student; fails -- the hidden check ids it loses points on whatever the inputs (the
    first is where the diagnosis must name it); may_fail -- checks it fails on some inputs only (e.g. a
    training run that converges anyway on easy data). Every other hidden check passes; a mistake should cost
    points only in its own function's checks and in integration checks that say so.
    """

    id: str
    function: str
    edits: tuple[tuple[str, str], ...]
    explanation: str
    fix: str
    fails: tuple[str, ...]
    may_fail: tuple[str, ...] = ()

    def apply(self, source: str) -> str:
        """The reference text with this mistake in it."""
        start = source.index(f"\ndef {self.function}(")
        end_match = re.compile(r"^(def |__all__|# )", re.MULTILINE).search(source, start + 5)
        end = end_match.start() if end_match else len(source)
        body = source[start:end]
        for old, new in self.edits:
            if body.count(old) != 1:
                raise ValueError(f"mutant {self.id}: {old!r} occurs {body.count(old)} times in {self.function}")
            body = body.replace(old, new)
        return source[:start] + body + source[end:]


def single_edit(id: str, function: str, old: str, new: str, explanation: str, fix: str, *fails: str,
       may_fail: tuple[str, ...] = ()) -> Misconception:
    """A misconception made of one edit (the common case)."""
    return Misconception(id, function, ((old, new),), explanation, fix, fails, may_fail)


def mutant_module(solution: Solution, misconception: Misconception) -> types.ModuleType:
    """The reference with one misconception in it, executed as a module (cached per solution)."""
    return solution.variant(misconception.id, misconception.apply(solution.source))


def diagnose(solution: Solution, catalogue: Sequence[Misconception], check_id: str, plan: list[Step],
             values: dict[str, Any], same: Same) -> Misconception | None:
    """The first catalogued mistake known to fail `check_id` whose run of `plan` gives data `same` as the
    student's `values`."""
    for misconception in (m for m in catalogue if check_id in m.fails):
        observation = run_quietly(plan, mutant_module(solution, misconception))
        if observation["failure"] is None and same(values, observation["values"]):
            return misconception
    return None
