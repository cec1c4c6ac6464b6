"""labkit: the general kit that ships with every assignment's student release.

The check framework, probe plans, the plain-data codec, notebook loading, the in-process runner behind the
notebook's `check(...)` and `hint(...)`, and the conceptual questions' self-check machinery. Each assignment adds
its own modules beside these (its kit/: provided code, public checks, fakes, hint data; see autograder/plugin.py),
in the release's labkit/ folder and in the sandbox. It imports nothing from the rest of `autograder` (a test holds
it to that), so the release pipeline can copy it next to the student notebook as it is.
"""

from typing import Any

from .inprocess import make_check_helper, make_hint_helper

LAZY = ("PUBLIC_CHECKS", "check", "hint")  # need the assignment's public checks, which sit beside this package


def __getattr__(name: str) -> Any:
    if name not in LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .public_checks import PUBLIC_CHECKS
    from .questions import self_checks

    values = {"PUBLIC_CHECKS": PUBLIC_CHECKS, "check": make_check_helper(PUBLIC_CHECKS + self_checks()),
              "hint": make_hint_helper(PUBLIC_CHECKS)}  # the questions have no hints: their feedback explains
    globals().update(values)
    return values[name]


__all__ = ["PUBLIC_CHECKS", "check", "hint"]
