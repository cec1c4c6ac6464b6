"""Conceptual questions: how an answer is read and judged, for the grader and for the offline self-check.

A question is a function `q_<topic>()` in the notebook. A multiple-choice one returns the letter of an option
("b"); a numeric one returns a float, judged within the tolerance its docstring states. `question_check`
turns one `Question` (a row of an assignment's answer key) into a `Check`:
- the grader builds hidden ones from the answer key it keeps on the trusted side;
- a release built with `reveal_answers = true` (course.toml) ships the key as `labkit/answers.json`, and
  `self_checks()` builds the same checks from it, so `check(...)` on a question tells a self-study learner what
  the grader would say. Without that file there are no self-checks, and this module holds no answer.
"""

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .framework import Check, Probe, Verdict, Visibility
from .plan import call

MC, NUMBER = "mc", "number"
ABSOLUTE, RELATIVE, FACTOR = "abs", "rel", "factor"
ANSWER_FILE = Path(__file__).resolve().parent / "answers.json"

# One letter, optionally in brackets or quotes, or followed by "." or ":" ("(a)", "A.", " b ").
_LETTER = re.compile(r"""^[\s"'(\[]*([a-zA-Z])[\s"')\].:]*$""")
# A plain decimal number as Python writes one ("0.87", "-1e-3", "15689"); no words, commas or "%".
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_SHOWN = 40  # characters of a malformed answer quoted back


@dataclass(frozen=True)
class Mistake:
    """A numeric answer in [low, high] comes from a known misconception, explained by `why`."""

    low: float
    high: float
    why: str


@dataclass(frozen=True)
class Question:
    """One row of an answer key.

    id -- the function's name; title -- what the question is about (reports show it);
    section -- the notebook heading that teaches it, exactly as the notebook spells it;
    kind -- MC or NUMBER; answer -- the right letter, or the right number;
    explanations -- MC: {wrong letter: why that option is wrong}, one per wrong option;
    tolerance, tolerance_kind -- NUMBER: |x - answer| <= tolerance (ABSOLUTE), <= tolerance * |answer|
        (RELATIVE), or answer / tolerance <= x <= answer * tolerance (FACTOR);
    mistakes -- NUMBER: known wrong ranges and why they are wrong.
    """

    id: str
    title: str
    section: str
    kind: str
    answer: str | float
    explanations: dict[str, str] = field(default_factory=dict)
    tolerance: float = 0.0
    tolerance_kind: str = ABSOLUTE
    mistakes: tuple[Mistake, ...] = ()

    @property
    def letters(self) -> list[str]:
        """MC: every option's letter, in order."""
        return sorted({*self.explanations, str(self.answer)})

    def tolerance_text(self) -> str:
        """How the docstring states the tolerance, e.g. "within ±0.002" (tests hold docstrings to it)."""
        if self.tolerance_kind == ABSOLUTE:
            return f"within ±{self.tolerance:g}"
        if self.tolerance_kind == RELATIVE:
            return f"within {self.tolerance:.0%}"
        return f"within a factor of {self.tolerance:g}"

    def accepts(self, x: float) -> bool:
        """NUMBER: is x within the tolerance of the answer?"""
        answer = float(self.answer)
        if self.tolerance_kind == ABSOLUTE:
            return abs(x - answer) <= self.tolerance
        if self.tolerance_kind == RELATIVE:
            return abs(x - answer) <= self.tolerance * abs(answer)
        return answer / self.tolerance <= x <= answer * self.tolerance


class Malformed(ValueError):
    """An answer whose form is wrong; the message says which form is expected."""


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


def read_choice(value: Any, letters: list[str], name: str) -> str:
    """The one letter `value` chooses; Malformed (with a hint) unless exactly one option is meant."""
    options = ", ".join(f'"{letter}"' for letter in letters)
    example = f'For example: return "{letters[0]}"'
    if not isinstance(value, str):
        raise Malformed(f"{name}() should return one letter as a string ({options}); got {_shown(value)}. {example}")
    match = _LETTER.match(value[:100])
    if match is None:
        raise Malformed(f"{name}() should return only the letter of the one option you choose ({options}), "
                        f"without the option's text or a second letter; got {_shown(value)}. {example}")
    letter = match.group(1).lower()
    if letter not in letters:
        raise Malformed(f"{name}() returned {_shown(value)}, which is not an option: choose one of {options}")
    return letter


def read_number(value: Any, name: str) -> float:
    """The number `value` gives: a float or int, or a string of one plain number; Malformed otherwise."""
    example = "For example: return 0.25 (a number, not text)"
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        value = value.item()  # a one-entry array: one number, plainly meant
    if isinstance(value, str) and _NUMBER.match(value.strip()[:100]):
        value = float(value.strip())  # "0.87": the intent is plain, so accept it
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        hint = " Give a fraction such as 0.25 rather than a percentage." if isinstance(value, str) and "%" in value \
            else ""
        raise Malformed(f"{name}() should return one number, a float; got {_shown(value)}.{hint} {example}")
    if not math.isfinite(value):
        raise Malformed(f"{name}() returned {value}; the answer is a finite number. {example}")
    return float(value)


def assess(question: Question, value: Any) -> tuple[bool, str]:
    """(right?, feedback) for what q_...() returned; the feedback explains a wrong answer or hints at the form."""
    where = f' See the notebook section "{question.section}".'
    try:
        if question.kind == MC:
            letter = read_choice(value, question.letters, question.id)
            if letter == question.answer:
                return True, ""
            return False, f'"{letter}" is not the best answer: {question.explanations[letter]}.{where}'
        x = read_number(value, question.id)
    except Malformed as malformed:
        return False, str(malformed)
    if question.accepts(x):
        return True, ""
    why = next((m.why for m in question.mistakes if m.low <= x <= m.high), None)
    if why is None:
        return False, f"{x:.4g} is not {question.tolerance_text()} of the answer.{where}"
    return False, f"{x:.4g} is not right: {why}.{where}"


def question_check(question: Question, visibility: Visibility) -> Check:
    """The check of one question: call q_...() and judge its return value with `assess`."""

    def probe(_: Any) -> Probe:
        # "any": a string where a number is expected, or a number where a letter is, reaches `assess`,
        # which can then say what form is expected (a stricter kind would fail the step with a generic message).
        return Probe([call("answer", question.id, returns="any")])

    def verdict(values: dict[str, Any], _: Probe) -> Verdict:
        right, feedback = assess(question, values["answer"])
        return Verdict(1.0 if right else 0.0, feedback)

    return Check(id=f"{question.id}.answer", function=question.id, title=question.title,
                 visibility=visibility, probe=probe, verdict=verdict, section=question.section)


def dumps_key(questions: list[Question]) -> str:
    """An answer key as deterministic JSON text (what a release ships as answers.json)."""
    rows = [{"id": q.id, "title": q.title, "section": q.section, "kind": q.kind, "answer": q.answer,
             "explanations": q.explanations, "tolerance": q.tolerance, "tolerance_kind": q.tolerance_kind,
             "mistakes": [[m.low, m.high, m.why] for m in q.mistakes]} for q in questions]
    return json.dumps(rows, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def loads_key(text: str) -> list[Question]:
    """The answer key from answers.json text."""
    return [Question(**{**row, "mistakes": tuple(Mistake(*m) for m in row["mistakes"])}) for row in json.loads(text)]


def self_checks(path: Path = ANSWER_FILE) -> list[Check]:
    """The questions' checks from the shipped answer key; none when the release ships no key."""
    if not path.is_file():
        return []
    return [question_check(question, Visibility.PUBLIC) for question in loads_key(path.read_text(encoding="utf-8"))]
