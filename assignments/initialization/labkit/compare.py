"""Small comparisons and summaries that verdicts share, worded for feedback."""

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
    for key, shape in shapes.items():
        if key in got and np.shape(got[key]) != shape:
            hint = " (transposed?)" if np.shape(got[key]) == shape[::-1] else ""
            problems.append(f'{what}["{key}"] has shape {np.shape(got[key])}, expected {shape}{hint}')
    return problems


def all_or_nothing(problems: list[str], passed_text: str = "") -> Verdict:
    """Full marks when there is no problem, else zero with every problem listed."""
    if problems:
        return Verdict(0.0, "; ".join(problems))
    return Verdict(1.0, passed_text)
