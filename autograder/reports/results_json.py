"""One submission's grade in Gradescope's results.json schema.

Gradescope reads `score`, `execution_time`, `output` and `tests[]`, each test with `name`, `score`,
`max_score`, `status` ("passed"/"failed"), `output` and `visibility` ("visible", "hidden",
"after_due_date" or "after_published"). Public checks are always "visible"; hidden checks get
`hidden_visibility`, "after_published" by default, so students see them once grades are published.
"""

import json
from typing import Any

from ..graded import GradedSubmission, bounded
from ..labkit.framework import Visibility
from ..labkit.plan import Status
from .common import NOT_GRADED, check_ids, status_label

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


def _test_output(status: Status, feedback: str) -> str:
    # The feedback explains a diagnosed misconception in plain sentences; its id is for the gradebook only.
    return f"[{status_label(status)}]" + (f" {feedback}" if feedback else "")


def _overall_output(graded: GradedSubmission) -> str:
    lines = [f"Score: {graded.score:g} / {graded.max_score:g}", *(f"Note: {n}" for n in graded.notes)]
    if graded.error is not None:
        lines.append(f"Your submission could not be graded: {graded.error}")
    lines.append(f"Isolation: {graded.isolation}")
    lines += [f"Warning: {w}" for w in graded.warnings]
    if graded.output:
        lines += ["", "What your code printed:", graded.output]
    return "\n".join(lines)


def results_json(graded: GradedSubmission, hidden_visibility: str = "after_published") -> dict[str, Any]:
    """The results.json object of one graded submission (see the module docstring)."""
    if hidden_visibility not in VISIBILITIES:
        raise ValueError(f"hidden_visibility must be one of {VISIBILITIES}, not {hidden_visibility!r}")
    graded = bounded(graded)  # whoever calls (a batch, --json, Gradescope), the file's size is capped
    by_id = {r.check_id: r for r in graded.results}
    tests = []
    for check_id in check_ids(graded):
        result = by_id.get(check_id)
        if result is None:
            tests.append({"name": check_id, "score": 0.0, "max_score": graded.max_points.get(check_id, 0.0),
                          "status": "failed", "output": f"[{NOT_GRADED}] {graded.error or 'no result'}",
                          "visibility": hidden_visibility})
            continue
        tests.append({
            "name": f"{check_id}: {result.title}",
            "score": graded.points.get(check_id, 0.0),
            "max_score": graded.max_points.get(check_id, 0.0),
            "status": "passed" if result.status == Status.PASSED else "failed",
            "output": _test_output(result.status, result.feedback),
            "visibility": "visible" if result.visibility == Visibility.PUBLIC else hidden_visibility,
        })
    return {"score": graded.score, "execution_time": round(graded.seconds, 3),
            "output": _overall_output(graded), "tests": tests}


def results_json_text(graded: GradedSubmission, hidden_visibility: str = "after_published") -> str:
    """results.json as the file's text."""
    return json.dumps(results_json(graded, hidden_visibility), indent=2, ensure_ascii=False) + "\n"
