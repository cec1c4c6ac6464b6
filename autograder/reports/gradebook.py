"""gradebook.csv: one row per submission, its total, its status, and every check's points and status.

The gradebook is written row by row as the class streams from the journal (`GradebookWriter`); each row comes
from `gradebook_rows`, the one place that turns a grade into gradebook rows.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from typing import TextIO

from ..graded import GradedSubmission
from ..policies import NO_POLICIES, POLICY_COLUMNS, Policies, final_row
from .common import NOT_GRADED, check_ids, submission_status

# group: a group submission's members (each has a row); ignored: the student's files not graded (submission._pick);
# POLICY_COLUMNS: overrides and the late policy, applied as rows are made (policies.final_row).
FIXED_COLUMNS = ["student_id", "source", "score", "max_score", "status", "error", "isolation", "outdated",
                 "group", "ignored", *POLICY_COLUMNS]
STATUS_SUFFIX = ":status"  # the column beside each check's points that holds its status
OUTDATED = "yes"  # graded before the checks, the reference or the grading settings last changed


def _number(value: float) -> str:
    return f"{value:g}"


def gradebook_header(checks: Sequence[str]) -> list[str]:
    """The columns: the fixed ones, then per check its points and its status."""
    return FIXED_COLUMNS + [column for c in checks for column in (c, c + STATUS_SUFFIX)]


def member_ids(submission: GradedSubmission) -> list[str]:
    """Whose rows a submission makes: every member of a group submission, else its student."""
    return [m.id for m in submission.members] or [submission.student_id]


def member_rows(row: dict[str, str], submission: GradedSubmission, policies: Policies) -> list[dict[str, str]]:
    """One row per member (see member_ids), each with the same grade, the group's ids, and then its own overrides
    and the late policy applied (policies.final_row)."""
    group = "; ".join(member_ids(submission)) if len(submission.members) > 1 else ""
    return [final_row({**row, "student_id": _cell(student), "group": _cell(group)}, policies.overrides_of(student),
                      policies.late, submission.submitted_at, submission.late) for student in member_ids(submission)]


def gradebook_rows(submission: GradedSubmission, checks: Sequence[str], outdated: bool = False,
                   policies: Policies = NO_POLICIES) -> list[dict[str, str]]:
    """The gradebook rows of one submission (checks in the given order; a check it lacks is "not graded"): one per
    member, with the overrides and the late policy applied (see member_rows)."""
    statuses = {r.check_id: r.status for r in submission.results}
    row = {"student_id": _cell(submission.student_id), "source": _cell(submission.source_path),
           "score": _number(submission.score), "max_score": _number(submission.max_score),
           "status": submission_status(submission), "error": _cell(submission.error or ""),
           "isolation": submission.isolation, "outdated": OUTDATED if outdated else "",
           "ignored": _cell("; ".join(submission.ignored))}
    for check_id in checks:
        row[check_id] = _number(submission.points.get(check_id, 0.0))
        row[check_id + STATUS_SUFFIX] = statuses.get(check_id, NOT_GRADED)
    return member_rows(row, submission, policies)


class GradebookWriter:
    """Writes the gradebook to `handle` one submission at a time, header first."""

    def __init__(self, handle: TextIO, checks: Sequence[str], policies: Policies = NO_POLICIES) -> None:
        self.checks, self.policies = list(checks), policies
        self.writer = csv.DictWriter(handle, fieldnames=gradebook_header(self.checks), lineterminator="\n")
        self.writer.writeheader()

    def add(self, submission: GradedSubmission, outdated: bool = False) -> None:
        self.writer.writerows(gradebook_rows(submission, self.checks, outdated, self.policies))


def gradebook_csv(graded: Iterable[GradedSubmission], policies: Policies = NO_POLICIES) -> str:
    """The text of gradebook.csv for a class held in memory (rows sorted by student id and source)."""
    graded = sorted(graded, key=lambda g: (g.student_id, g.source_path))
    checks: dict[str, None] = {}
    for submission in graded:
        checks.update(dict.fromkeys(check_ids(submission)))
    buffer = io.StringIO()
    writer = GradebookWriter(buffer, list(checks), policies)
    for submission in graded:
        writer.add(submission)
    return buffer.getvalue()


def _cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula (student ids come from file names: `=HYPERLINK(...).py`)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
