"""Run checks in the caller's own process: the notebook's `check(...)`, pytest, `autograder check`.

Fast and convenient, and no protection at all against the code being checked: only public checks
are meant to run here. Graded runs use the isolated runner (autograder/run/).
"""

import sys
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any

from .framework import PASSED, Check, Result, check_seed, judge
from .plan import NOT_ATTEMPTED, execute

PUBLIC_SALT = "public"  # public checks use the same inputs every time, so a learner can re-run them

SYMBOLS = {PASSED: "PASS", NOT_ATTEMPTED: "TODO"}


def run_checks(checks: Iterable[Check], namespace: MutableMapping[str, Any], salt: str = PUBLIC_SALT) -> list[Result]:
    """Probe, execute and judge each check against the functions in `namespace`."""
    results = []
    for check in checks:
        probe = check.probe(check_seed(check.id, salt))
        results.append(judge(check, probe, execute(probe.plan, namespace)))
    return results


def format_result(result: Result) -> str:
    """One result as the lines a student reads."""
    mark = SYMBOLS.get(result.status, "FAIL")
    line = f"[{mark}] {result.check_id}: {result.title}"
    if result.status != PASSED and result.feedback:
        line += "\n       " + result.feedback.replace("\n", "\n       ")
    return line


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

        check(initialize_he)     -- the checks of initialize_he, using the functions your notebook defines
        check("initialize_he")   -- the same, by name
        check()                  -- every public check
        """
        if namespace is None:
            namespace = target.__globals__ if callable(target) else _caller_globals()
        name = target.__name__ if callable(target) else target
        chosen = [c for c in checks if name is None or c.function == name]
        if not chosen:
            known = sorted({c.function for c in checks})
            print(f"No public check is about {name!r}. Checked functions: {', '.join(known)}")
            return
        results = run_checks(chosen, namespace)
        print("\n".join(format_result(r) for r in results))
        if all(r.status == NOT_ATTEMPTED for r in results):
            print(f"-> {name or 'the assignment'}: not attempted yet.")
        elif all(r.passed for r in results):
            print(f"-> {name or 'every exercise'}: all {len(results)} public checks passed.")
        else:
            failed = sum(not r.passed for r in results)
            print(f"-> {failed} of {len(results)} public checks did not pass yet.")

    return check


def _caller_globals() -> MutableMapping[str, Any]:
    # Two frames up: the code that called check(...), e.g. the notebook's own namespace.
    return sys._getframe(2).f_globals
