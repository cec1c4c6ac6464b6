"""Verdict helpers every assignment's hidden checks share: weighted parts, comparisons, feedback, diagnosis.

A hidden check's verdict is built from weighted *parts* (e.g. shapes, then values): each part earns its
weight when it has no problem. When the score is below 1, the check's `diagnose` looks for a catalogued
misconception whose output is the same as the student's on these inputs, and the feedback names it.
"""

import math
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from ..labkit.compare import section_reference, summary_pair
from ..labkit.framework import Check, Probe, Verdict, Visibility
from ..labkit.plan import AGAIN, Step
from .stats import relative_error

Parts = list[tuple[float, list[str]]]  # (weight, problems): a part earns its weight when problems is empty
Assess = Callable[[dict[str, Any], Probe], Parts]
Same = Callable[[dict[str, Any], dict[str, Any]], bool]
MAX_PROBLEMS = 2  # feedback stays short: the first problems say enough


class Mistake(Protocol):
    """What a diagnosis names: a catalogued misconception."""

    id: str
    explanation: str
    fix: str


Diagnose = Callable[[str, list[Step], dict[str, Any], Same], Mistake | None]


def values_close(a: Any, b: Any, rtol: float = 1e-6) -> bool:
    """Plain data a and b are the same up to rtol (arrays: same shape, L2 relative error; nan where nan)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(values_close(a[k], b[k], rtol) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(values_close(x, y, rtol) for x, y in zip(a, b, strict=True))
    if isinstance(a, (np.ndarray, float, int)) and isinstance(b, (np.ndarray, float, int)) \
            and not isinstance(a, bool) and not isinstance(b, bool):
        x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if x.shape != y.shape or not np.array_equal(np.isfinite(x), np.isfinite(y)):
            return False
        finite = np.isfinite(x)
        return bool(np.array_equal(x[~finite], y[~finite], equal_nan=True)) and \
            relative_error(x[finite], y[finite]) <= rtol
    return a == b


def feedback(problems: list[str], mistake: Mistake | None, section: str) -> str:
    """The first problems, the diagnosed mistake in plain sentences, and the notebook heading that explains it.

    One paragraph (line) each, so a report can state a diagnosis that several checks share once and refer
    back to it (reports/feedback.py)."""
    problems = list(dict.fromkeys(problems))  # parts that fail for one reason share its message
    more = f" (+{len(problems) - MAX_PROBLEMS} more)" if len(problems) > MAX_PROBLEMS else ""
    lines = ["; ".join(problems[:MAX_PROBLEMS]).rstrip(".") + more + "."]
    if mistake is not None:
        lines.append(f"These results are what you get when {mistake.explanation}. To fix it: {mistake.fix}.")
    return "\n".join([*lines, section_reference(section)]).strip()


def hidden_check(check_id: str, title: str, section: str, probe: Callable[[np.random.Generator], Probe],
                 assess: Assess, diagnose: Diagnose | None = None, same: Same = values_close,
                 figure: Callable[[dict[str, Any], Probe], dict[str, Any]] | None = None) -> Check:
    """A hidden check whose score is the weighted parts `assess` finds without problems.

    On a score below 1 the verdict asks `diagnose` for a misconception whose output is `same` as the
    student's on these inputs, names it, and attaches `figure(values, probe)` (plain data for a plot in
    the feedback) when the check has one.
    """

    def verdict(values: dict[str, Any], p: Probe) -> Verdict:
        parts = assess(values, p)
        total = sum(weight for weight, _ in parts)
        score = sum(weight for weight, problems in parts if not problems) / total
        if score >= 1.0:
            return Verdict(1.0)
        mistake = diagnose(check_id, p.plan, values, same) if diagnose else None
        problems = [problem for _, part in parts for problem in part]
        return Verdict(score, feedback(problems, mistake, section), mistake.id if mistake else None,
                       figure(values, p) if figure else None)

    return Check(id=check_id, function=check_id.split(".")[0], title=title,
                 visibility=Visibility.HIDDEN, probe=probe, verdict=verdict, section=section)


def compare(got: Any, expected: Any, what: str, rtol: float = 1e-7, atol: float = 1e-12) -> list[str]:
    """Problems of an array (or float) against the expected one: shape, then L2 relative error."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        return [f"{what} has shape {got.shape}, expected {expected.shape}"]
    error = float(np.linalg.norm(got - expected)) if np.all(np.isfinite(got)) else math.inf
    if error <= rtol * (np.linalg.norm(got) + np.linalg.norm(expected)) + atol:
        return []
    return [f"{what}: {summary_pair(got, expected)}"]


def dict_parts(got: dict, expected: dict, what: str, weight: float, rtol: float = 1e-7) -> Parts:
    """A params/grads dict against the expected one: a quarter of `weight` for keys and shapes, the rest
    shared by the keys whose values agree."""
    keys = [k for k in expected if k in got and np.shape(got[k]) == np.shape(expected[k])]
    structure = [f"{what} is missing {sorted(set(expected) - set(got))}"] if set(expected) - set(got) else []
    structure += [f'{what}["{k}"] has shape {np.shape(got[k])}, expected {np.shape(expected[k])}'
                  for k in expected if k in got and k not in keys]
    parts: Parts = [(weight / 4, structure)]
    share = 0.75 * weight / len(expected)
    parts += [(share, compare(got[k], expected[k], f'{what}["{k}"]', rtol) if k in keys else structure)
              for k in expected]
    return parts


def changed_inputs(values: dict, step_id: str, what: str) -> list[str]:
    """A problem when a call made twice on the same argument objects (again=True) answered differently:
    the first call changed its inputs. Derived here, from the two returns alone."""
    if values_close(values[step_id], values[step_id + AGAIN], rtol=0.0):
        return []
    return [f"called twice with the same arguments, {what} gave different results: it changed the arrays or "
            "dicts it was given; leave its inputs unchanged (work on copies)"]
