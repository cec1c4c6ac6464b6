"""Run checks in the caller's own process: the notebook's `check(...)`, pytest, `autograder check`.

Fast and convenient, and no protection at all against the code being checked: only public checks
are meant to run here. Graded runs use the isolated runner (autograder/run/).
"""

import os
import sys
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from typing import Any

from .compare import SECTION_PATTERN
from .framework import Check, Result, check_seed, judge
from .hints import hint_key, hint_text
from .plan import Status, execute

PUBLIC_SALT = "public"  # public checks use the same inputs every time, so a learner can re-run them

SYMBOLS = {Status.PASSED: "PASS", Status.NOT_ATTEMPTED: "TODO"}
NBGRADER_EXECUTION = "NBGRADER_EXECUTION"  # "validate" or "autograde" while nbgrader runs the notebook
REPEAT = "The same cause as explained under {} above."


def run_checks(checks: Iterable[Check], namespace: MutableMapping[str, Any], salt: str = PUBLIC_SALT) -> list[Result]:
    """Probe, execute and judge each check against the functions in `namespace`."""
    results = []
    for check in checks:
        probe = check.probe(check_seed(check.id, salt))
        results.append(judge(check, probe, execute(probe.plan, namespace)))
    return results


def format_result(result: Result, feedback: str | None = None) -> str:
    """One result as the lines a student reads (with `feedback` in place of its own, e.g. without_repeats')."""
    mark = SYMBOLS.get(result.status, "FAIL")
    line = f"[{mark}] {result.check_id}: {result.title}"
    text = result.feedback if feedback is None else feedback
    if result.status != Status.PASSED and text:
        line += "\n       " + text.replace("\n", "\n       ")
    return line


def without_repeats(results: Sequence[Result]) -> dict[str, str]:
    """Each result's feedback without what an earlier result's feedback already said: a clause (the parts of a
    line between "; ") or a whole line (a paragraph, e.g. a diagnosis) said before gives way to a pointer back to
    the check that said it first. The lines that name a notebook section stay: a report links each of them."""
    said: dict[str, str] = {}  # clause -> the check that said it first
    texts = {}
    for result in results:
        lines = []
        for line in result.feedback.splitlines() if result.status != Status.PASSED else []:
            if SECTION_PATTERN.search(line):
                lines.append(line)
                continue
            clauses = line.rstrip(".").split("; ")
            firsts = [said.setdefault(clause, result.check_id) for clause in clauses]
            fresh = [clause for clause, first in zip(clauses, firsts, strict=True) if first == result.check_id]
            earlier = next((first for first in firsts if first != result.check_id), None)
            if earlier is None:
                lines.append(line)
            elif fresh:
                lines.append("; ".join(fresh) + f"; the rest as explained under `{earlier}` above.")
            elif not lines or lines[-1] != REPEAT.format(f"`{earlier}`"):
                lines.append(REPEAT.format(f"`{earlier}`"))
        texts[result.check_id] = "\n".join(lines)
    return texts


def format_table(results: list[Result]) -> str:
    """A summary table: one row per check, then the totals."""
    width = max((len(r.check_id) for r in results), default=10)
    rows = [f"{'check':<{width}}  {'status':<13}  title", "-" * (width + 40)]
    rows += [f"{r.check_id:<{width}}  {r.status:<13}  {r.title}" for r in results]
    passed = sum(r.passed for r in results)
    rows.append(f"{passed} of {len(results)} public checks passed")
    return "\n".join(rows)


def make_check_helper(checks: list[Check]) -> Callable[..., None]:
    """Build the notebook's `check(...)`: pass a function (or its name) to check it, or nothing for all."""

    def check(target: Callable | str | None = None, namespace: MutableMapping[str, Any] | None = None) -> None:
        """Run the public checks of one exercise and print what they found.

        check(my_function)       -- the checks of my_function, using the functions your notebook defines
        check("my_function")     -- the same, by name
        check()                  -- every public check
        """
        name, chosen, namespace = _select(checks, target, namespace)
        if not chosen:
            return
        results = run_checks(chosen, namespace)
        texts = without_repeats(results)
        print("\n".join(format_result(r, texts[r.check_id]) for r in results))
        if all(r.status == Status.NOT_ATTEMPTED for r in results):
            print(f"-> {name or 'the assignment'}: not attempted yet.")
        elif all(r.passed for r in results):
            print(f"-> {name or 'every exercise'}: all {len(results)} public checks passed.")
        else:
            failed = sum(not r.passed for r in results)
            print(f"-> {failed} of {len(results)} public checks did not pass yet.")
        _fail_validation(name, results, texts)

    return check


def _fail_validation(name: str | None, results: Sequence[Result], texts: dict[str, str]) -> None:
    """Under `nbgrader validate` (its Validate button too) a check that does not pass fails its test cell, as an
    assert would; a learner in Jupyter only reads the printout. nbgrader sets NBGRADER_EXECUTION in the kernel."""
    failing = [format_result(r, texts[r.check_id]) for r in results if not r.passed]
    if failing and os.environ.get(NBGRADER_EXECUTION) == "validate":
        raise AssertionError(f"{len(failing)} of {len(results)} public checks of {name or 'the assignment'} "
                             "did not pass:\n" + "\n".join(failing))


def make_hint_helper(checks: list[Check]) -> Callable[..., None]:
    """Build the notebook's `hint(...)`: graded hints (hints.py) for the first public check of a function that
    does not pass, one level further each time it is asked about the same mistake."""
    asked: dict[str, int] = {}  # hint key -> how many hints it has had

    def hint(target: Callable | str | None = None, namespace: MutableMapping[str, Any] | None = None) -> None:
        """Print a hint for the first public check of one exercise that does not pass yet.

        hint(my_function)     -- the first time a nudge; asked again about the same mistake, the formula or rule
        hint()                -- the same for the first check of the notebook that does not pass
        """
        name, chosen, namespace = _select(checks, target, namespace)
        if not chosen:
            return
        failing = next(((c, r) for c, r in zip(chosen, run_checks(chosen, namespace), strict=True)
                        if not r.passed), None)
        if failing is None:
            print(f"-> {name or 'every exercise'}: every public check passes, no hint needed.")
            return
        key = hint_key(failing[1])
        asked[key] = asked.get(key, 0) + 1
        again = f"Run hint({name or ''}) again for the next hint."
        print(hint_text(*failing, asked[key], again))

    return hint


def _select(checks: list[Check], target: Callable | str | None, namespace: MutableMapping[str, Any] | None
            ) -> tuple[str | None, list[Check], MutableMapping[str, Any]]:
    """(name, its checks, the namespace holding the learner's functions) for check() and hint(); says so when no
    check is about that name."""
    if namespace is None:  # the namespace of the notebook that called check(...) or hint(...)
        namespace = target.__globals__ if callable(target) else sys._getframe(2).f_globals
    name = target.__name__ if callable(target) else target
    chosen = [c for c in checks if name is None or c.function == name]
    if not chosen:
        known = sorted({c.function for c in checks})
        print(f"No public check is about {name!r}. Checked functions: {', '.join(known)}")
    return name, chosen, namespace
