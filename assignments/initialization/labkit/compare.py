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


def expected_keys(layer_dims: list[int], prefix: str = "") -> list[str]:
    """["W1", "b1", ..., "WL", "bL"] (with prefix "d": the gradient keys)."""
    return [f"{prefix}{name}{l}" for l in range(1, len(layer_dims)) for name in ("W", "b")]


def expected_shapes(layer_dims: list[int], prefix: str = "") -> dict[str, tuple[int, int]]:
    """{"W1": (n_0, n_1), "b1": (1, n_1), ...} (or the gradient keys with prefix "d")."""
    shapes = {}
    for l in range(1, len(layer_dims)):
        shapes[f"{prefix}W{l}"] = (layer_dims[l - 1], layer_dims[l])
        shapes[f"{prefix}b{l}"] = (1, layer_dims[l])
    return shapes


def shape_problems(got: dict[str, np.ndarray], layer_dims: list[int], what: str, prefix: str = "") -> list[str]:
    """Every missing key, extra key and wrong shape in a params/grads dict, as feedback lines."""
    shapes = expected_shapes(layer_dims, prefix)
    problems = []
    missing = [k for k in shapes if k not in got]
    extra = sorted(k for k in got if k not in shapes)
    if missing:
        problems.append(f"{what} is missing keys {missing} (layer_dims {layer_dims})")
    if extra:
        problems.append(f"{what} has unexpected keys {extra}")
    explained: set[str] = set()  # the convention is explained once per kind of array, then just named
    for key, shape in shapes.items():
        if key in got and np.shape(got[key]) != shape:
            transposed = np.shape(got[key]) == shape[::-1] and shape[0] != shape[1]
            problems.append(f'{what}["{key}"] has shape {np.shape(got[key])}, expected {shape}'
                            + (_transposed(key, explained) if transposed else ""))
    return problems


def _transposed(key: str, explained: set[str]) -> str:
    """Name a transposition; the first time per kind (W or b), say which convention explains it."""
    kind = key.lstrip("d")[0]  # "dW1" and "W1" are both W
    if kind in explained:
        return ", transposed as well"
    explained.add(kind)
    if kind == "W":
        return ("; transposed: this notebook's W{l} is (n_{l-1}, n_l) because examples are rows "
                "(Z = A_prev @ W + b), while the Coursera course uses (n_l, n_{l-1}) because its examples are columns")
    return "; transposed: b{l} is a row, (1, n_l), added to every row (example) of Z"


# How feedback points to the lesson: the exact heading, quoted, so reports can link it (reports/feedback.py).
SECTION_REFERENCE = 'See the notebook section "{}".'
SECTION_PATTERN = re.compile(r'notebook section "([^"\n]+)"')


def section_reference(section: str) -> str:
    """The sentence that sends a learner to a heading of the notebook ("" for no section)."""
    return SECTION_REFERENCE.format(section) if section else ""


def all_or_nothing(problems: list[str], passed_text: str = "") -> Verdict:
    """Full marks when there is no problem, else zero with every problem listed."""
    if problems:
        return Verdict(0.0, "; ".join(problems))
    return Verdict(1.0, passed_text)
