"""The trusted side's check catalogue: public checks (from labkit) plus each assignment's hidden checks."""

from ..labkit.framework import Check
from ..labkit.public_checks import PUBLIC_CHECKS
from .initialization.hidden import HIDDEN_CHECKS

CATALOGUE: dict[str, list[Check]] = {"initialization": PUBLIC_CHECKS + HIDDEN_CHECKS}


def assignment_checks(assignment: str, visibility: str | None = None) -> list[Check]:
    """Every check of an assignment, in grading order; only public or hidden ones if visibility is given."""
    checks = CATALOGUE[assignment]
    return [c for c in checks if visibility is None or c.visibility == visibility]
