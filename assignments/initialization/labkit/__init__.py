"""labkit: what ships with the student release of an assignment.

Provided code (activations, the two-circles data set, plots) and the public half of grading: the check
framework, probe plans, the plain-data codec, the public checks and the in-process runner behind the
notebook's `check(...)` (which also judges the conceptual questions when the release ships their answer key,
questions.py) and `hint(...)` (graded hints, hints.py). It imports nothing from the rest of `autograder` (a
test holds it to that), so the release pipeline can copy this folder next to the student notebook as it is.
"""

from .inprocess import make_check_helper, make_hint_helper
from .public_checks import PUBLIC_CHECKS
from .questions import self_checks

check = make_check_helper(PUBLIC_CHECKS + self_checks())
hint = make_hint_helper(PUBLIC_CHECKS)  # the questions have no hints: their feedback explains each answer

__all__ = ["PUBLIC_CHECKS", "check", "hint"]
