"""Small comparisons and summaries that verdicts share, worded for feedback."""

import re
from typing import Any

import numpy as np

from .framework import Verdict


def relative_error(got: np.ndarray, expected: np.ndarray) -> float:
    """||got - expected|| / max(||got|| + ||expected||, tiny): the L2 relative error, 0 for two zeros."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    denominator = np.linalg.norm(got) + np.linalg.norm(expected)
    if denominator == 0.0:
        return 0.0
    return float(np.linalg.norm(got - expected) / denominator)


def summary(array: Any) -> str:
    """'shape (3, 4), mean 0.01, std 0.98' style one-liner for feedback (never the values themselves)."""
    array = np.asarray(array)
    if array.size == 0:
        return f"shape {array.shape} (empty)"
    values = array.astype(np.float64)
    finite = np.isfinite(values)
    text = f"shape {array.shape}"
    if not finite.all():
        text += f", {int((~finite).sum())} non-finite (nan/inf) entries"
    if finite.any():
        text += f", mean {values[finite].mean():.4g}, std {values[finite].std():.4g}"
    return text


def summary_pair(got: Any, expected: Any) -> str:
    """'got <summary>; expected <summary>' for feedback, or, when the two summaries print the same, the
    relative error (two arrays that agree to 4 digits in mean and std still differ somewhere)."""
    mine, theirs = summary(got), summary(expected)
    if mine != theirs:
        return f"got {mine}; expected {theirs}"
    return f"{mine}, like the expected values, but the entries differ: relative error {_error_text(got, expected)}"


def printed_pair(got: Any, expected: Any, digits: int = 6) -> tuple[str, str]:
    """got and expected (numbers or arrays) as printed in feedback: `digits` significant digits, more where
    that is needed to tell them apart, and then the relative error too (never "got 17.27, expected 17.27")."""
    for shown in range(digits, 18):
        mine, theirs = _printed(got, shown), _printed(expected, shown)
        if mine != theirs:
            break
    if shown == digits:
        return mine, theirs
    return mine, f"{theirs} (relative error {_error_text(got, expected)})"


def _printed(value: Any, digits: int) -> str:
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        return f"{float(array):.{digits}g}"
    return "[" + ", ".join(_printed(item, digits) for item in array) + "]"


def _error_text(got: Any, expected: Any) -> str:
    if np.shape(got) != np.shape(expected):
        return "undefined (the shapes differ)"
    return f"{relative_error(got, expected):.2g}"


# How feedback points to the lesson: the exact heading, quoted, so reports can link it (reports/feedback.py).
SECTION_REFERENCE = 'See the notebook section "{}".'
SECTION_PATTERN = re.compile(r'notebook section "([^"\n]+)"')


def section_reference(section: str) -> str:
    """The sentence that sends a learner to a heading of the notebook ("" for no section)."""
    return SECTION_REFERENCE.format(section) if section else ""


SHOWN_PROBLEMS = 3  # a public check's feedback names its first problems; the student fixes those first


def all_or_nothing(problems: list[str], passed_text: str = "") -> Verdict:
    """Full marks when there is no problem, else zero with the first problems listed (and how many more)."""
    if problems:
        more = len(problems) - SHOWN_PROBLEMS
        return Verdict(0.0, "; ".join(problems[:SHOWN_PROBLEMS]) + (f" (+{more} more like these)" if more > 0 else ""))
    return Verdict(1.0, passed_text)
