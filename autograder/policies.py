"""Manual overrides and the late policy: what turns a computed grade into the final one, applied when gradebook rows
are made and never written into the journal (so they survive every regrade and change nothing a regrade computes).

The API, for whoever writes gradebook rows (reports/gradebook.py):

    policies = course_policies(course, assignment_name)        # once per gradebook: overrides.csv and [grading.late]
    row = final_row(row, policies.overrides_of(student_id), policies.late, submitted_at, late_flag)

`final_row` takes a gradebook row (strings, as gradebook.csv holds them: "score", and each check's points under its id)
and returns a new row with the overrides applied and the POLICY_COLUMNS filled in. It is pure: same row, same result.

overrides.csv (the course folder's, or `[grading] overrides = "path"` in course.toml), UTF-8, one header line:

    student,check,points,reason[,assignment]
    lovelace_12345,some_function.some_check,1,regraded by hand: the scale was right
    hopper_23456,total,38,academic integrity decision
    turing_34567,late,0,extension granted (doctor's note)

- `check` a check id: that check's points become `points` (the total follows);
- `check` "total": the final score becomes `points`, after everything else (the instructor's last word);
- `check` "late": the submission counts as `points` days late (0 waives the penalty: an extension);
- `assignment`, optional: the row applies to that assignment only (for a course of several).
Rows apply in file order; of several rows for one student and check, the last wins. Every applied row is listed,
with its reason, in the row's "adjustments" column.

Late policy, `[grading.late]` in course.toml:

    penalty_per_day = 0.1      # fraction of the score lost per started day late
    max_penalty = 0.5          # at most this fraction in all
    due = "2026-12-01T23:59:00+00:00"   # ISO 8601 with a UTC offset; `due` under [assignments.<name>] overrides it

Days late = started days between `due` and the LMS's submission time (Blackboard's attempt time; a time without an
offset is read in `due`'s offset); when the LMS gives only a late flag (Canvas's LATE_), one day. The penalty is
min(days x penalty_per_day, max_penalty) of the score earned: final_score = score x (1 - penalty).
"""

import csv
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .course import Course

TOTAL, LATE = "total", "late"  # the two `check` values of overrides.csv that are not check ids
OVERRIDE_COLUMNS = ("student", "check", "points")  # required; `reason` and `assignment` are optional
POLICY_COLUMNS = ["late", "submitted_at", "days_late", "late_penalty", "adjustments", "final_score"]
SECONDS_PER_DAY = 86_400


class PolicyError(ValueError):
    """overrides.csv or [grading.late] is not as documented; the message says where."""


@dataclass(frozen=True)
class Override:
    """One row of overrides.csv."""

    student: str
    check: str  # a check id, TOTAL or LATE
    points: float
    reason: str = ""


@dataclass(frozen=True)
class LatePolicy:
    """[grading.late]: the fraction of the score lost per started day late, its cap, and the due time (ISO 8601)."""

    penalty_per_day: float
    max_penalty: float = 1.0
    due: str | None = None

    def __post_init__(self) -> None:
        if not (self.penalty_per_day >= 0 and 0 <= self.max_penalty <= 1):
            raise PolicyError("[grading.late]: penalty_per_day must be >= 0 and max_penalty within 0..1")
        if self.due is not None and parse_time(self.due).tzinfo is None:
            raise PolicyError(f"[grading.late]: due {self.due!r} needs a UTC offset, e.g. +00:00")


@dataclass(frozen=True)
class Policies:
    """What final_row needs for a whole gradebook: the overrides by student, and the late policy (None: none)."""

    overrides: Mapping[str, tuple[Override, ...]] = field(default_factory=dict)
    late: LatePolicy | None = None

    def overrides_of(self, student_id: str) -> tuple[Override, ...]:
        return self.overrides.get(student_id, ())


NO_POLICIES = Policies()


def parse_time(text: str) -> datetime:
    """An ISO 8601 time ("Z" too, which Python 3.10's fromisoformat does not read); PolicyError if it is not one."""
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise PolicyError(f"not an ISO 8601 time: {text!r}") from None


def days_late(submitted_at: str | None, late_flag: bool, due: str | None) -> int:
    """Started days after `due`; from the late flag alone (no time, or no due), one day if it is set."""
    if submitted_at and due:
        deadline = parse_time(due)
        submitted = parse_time(submitted_at)
        submitted = submitted if submitted.tzinfo else submitted.replace(tzinfo=deadline.tzinfo)
        return max(math.ceil((submitted - deadline).total_seconds() / SECONDS_PER_DAY), 0)
    return 1 if late_flag else 0


def late_penalty(days: int, policy: LatePolicy) -> float:
    """The fraction of the score lost after `days` days late."""
    return min(days * policy.penalty_per_day, policy.max_penalty)


def _points(value: float) -> str:
    return f"{round(value, 6):g}"


def final_row(row: Mapping[str, str], overrides: Sequence[Override], late: LatePolicy | None,
              submitted_at: str | None, late_flag: bool) -> dict[str, str]:
    """The gradebook row with the student's overrides and the late policy applied (module docstring): the check
    columns and "score" after check overrides, and POLICY_COLUMNS filled in."""
    out, notes = dict(row), []
    score = float(row["score"])
    last = {o.check: o for o in overrides}  # the last row per check wins
    for check, override in last.items():
        if check not in (TOTAL, LATE):
            before = float(out.get(check) or 0)
            out[check], score = _points(override.points), score + override.points - before
            notes.append(f"{check}: {_points(before)} -> {_points(override.points)} ({override.reason})")
    days = days_late(submitted_at, late_flag, late.due if late else None)
    if LATE in last:
        days = max(int(last[LATE].points), 0)
        notes.append(f"counted {days} days late ({last[LATE].reason})")
    penalty = late_penalty(days, late) if late else 0.0
    final = score * (1 - penalty)
    if TOTAL in last:
        final = last[TOTAL].points
        notes.append(f"total: {_points(score * (1 - penalty))} -> {_points(final)} ({last[TOTAL].reason})")
    out.update(score=_points(score), late="yes" if late_flag else "", submitted_at=submitted_at or "",
               days_late=str(days) if late else "", late_penalty=_points(penalty) if late else "",
               adjustments="; ".join(notes), final_score=_points(final))
    return out


def _override(record: dict[str, str], line: int, checks: set[str]) -> Override:
    """One overrides.csv row, checked: a known check (or total / late) and a number of points."""
    student, check = (record.get("student") or "").strip(), (record.get("check") or "").strip()
    if not student or (check not in checks and check not in (TOTAL, LATE)):
        raise PolicyError(f"line {line}: needs a student and a check id of the assignment, {TOTAL!r} or {LATE!r} "
                          f"(got {student!r}, {check!r})")
    try:
        points = float(record.get("points") or "")
    except ValueError:
        raise PolicyError(f"line {line}: points {record.get('points')!r} is not a number") from None
    return Override(student, check, points, (record.get("reason") or "").strip())


def read_overrides(path: Path, assignment: str, checks: Iterable[str]) -> dict[str, tuple[Override, ...]]:
    """overrides.csv -> student id -> their overrides for `assignment`, in file order ({} when there is no file).
    PolicyError names the line of a row that is not as documented (module docstring)."""
    if not path.is_file():
        return {}
    known, found = set(checks), {}
    with path.open(encoding="utf-8-sig", newline="") as handle:  # utf-8-sig: Excel's byte-order mark
        reader = csv.DictReader(handle)
        missing = [c for c in OVERRIDE_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise PolicyError(f"{path}: the header lacks {', '.join(missing)} (needs student,check,points,reason)")
        for line, record in enumerate(reader, start=2):
            if (record.get("assignment") or "").strip() in ("", assignment):
                override = _override(record, line, known)
                found.setdefault(override.student, []).append(override)
    return {student: tuple(rows) for student, rows in found.items()}


def course_policies(course: "Course", assignment_name: str) -> Policies:
    """The overrides and the late policy (with the assignment's own due time, if it has one) of an assignment."""
    assignment = course.assignment(assignment_name)
    late = course.late
    if late is not None and assignment.due is not None:
        late = LatePolicy(late.penalty_per_day, late.max_penalty, assignment.due)
    overrides = read_overrides(course.overrides, assignment.name, assignment.points) if course.overrides else {}
    return Policies(overrides, late)
