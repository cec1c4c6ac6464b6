"""gradebook.csv: one row per submission, its total, its status, and every check's points and status."""

import csv
import io
from collections.abc import Sequence

from ..graded import GradedSubmission
from .common import NOT_GRADED, check_ids, submission_status

FIXED_COLUMNS = ["student_id", "source", "score", "max_score", "status", "error", "isolation"]
STATUS_SUFFIX = ":status"  # the column beside each check's points that holds its status


def _number(value: float) -> str:
    return f"{value:g}"


def gradebook_rows(graded: Sequence[GradedSubmission]) -> tuple[list[str], list[dict[str, str]]]:
    """(header, rows) of the gradebook; rows sorted by student id, checks in catalogue order."""
    checks: list[str] = []
    for submission in graded:
        checks += [c for c in check_ids(submission) if c not in checks]
    header = FIXED_COLUMNS + [column for c in checks for column in (c, c + STATUS_SUFFIX)]
    rows = []
    for submission in sorted(graded, key=lambda g: (g.student_id, g.source_path)):
        statuses = {r.check_id: r.status for r in submission.results}
        row = {"student_id": _cell(submission.student_id), "source": _cell(submission.source_path),
               "score": _number(submission.score), "max_score": _number(submission.max_score),
               "status": submission_status(submission), "error": _cell(submission.error or ""),
               "isolation": submission.isolation}
        for check_id in checks:
            row[check_id] = _number(submission.points.get(check_id, 0.0))
            row[check_id + STATUS_SUFFIX] = statuses.get(check_id, NOT_GRADED)
        rows.append(row)
    return header, rows


def gradebook_csv(graded: Sequence[GradedSubmission]) -> str:
    """The text of gradebook.csv."""
    header, rows = gradebook_rows(graded)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula (student ids come from file names: `=HYPERLINK(...).py`)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
