"""`autograder export canvas|moodle|csv OUT`: a grading output folder's gradebook.csv as a file an LMS imports.

Each row's grade is its `final_score` (after overrides and the late policy, see policies.py). A student the LMS
lists (in the roster) whom the grading does not hold gets an empty grade, never a zero: both LMSs leave an empty
grade alone. A student with two rows (a conflict) also gets an empty grade, and a warning: the export never picks.

Canvas, the Gradebook's "Import" (canvas-lms app/models/gradebook_importer.rb; Canvas guide "How do I import grades
in the Gradebook?"): a CSV whose header starts `Student,ID` and whose student columns end with `Section`; between
them `SIS User ID`, `SIS Login ID` (and `Integration ID`, `Root Account`) may stand. Every later column is an
assignment, `<title> (<assignment id>)` (matched by id, else by title; an unknown title creates an assignment).
A row whose first cell contains "Points Possible" gives each assignment's points. Students are matched by `ID`
(Canvas's user id), else `SIS User ID`, else `SIS Login ID`, else by name. An empty cell or "-" means no grade.
We write `Student,ID,SIS User ID,SIS Login ID,Section,<column>` and the Points Possible row; the ID is the user id
in the download's file names (`name_<id>_...`), an id with an "@" goes to SIS Login ID, any other to SIS User ID.
With `--roster` (the Gradebook's "Export" CSV) its student columns are copied as they are, the column is the
roster's assignment column of the same title (or `--column`), and grades are scaled to its Points Possible.

Moodle, the assignment's offline grading worksheet (mod/assign/feedback/offline/importgradeslib.php,
mod/assign/gradingtable.php): "Download grading worksheet" writes `Identifier,Full name,<identity fields such as
Email address>,Status,Grade,Maximum Grade,Grade can be changed,Last modified (submission),...,Last modified
(grade),Feedback comments`; "Upload grading worksheet" needs only `Identifier` ("Participant <id>", the id the
download's folder names carry), `Grade` and `Last modified (grade)`: it skips a row whose grade is empty or above
the maximum, or whose grade changed in Moodle after that time (unless told to ignore it). We write
`Identifier,Full name,Email address,Grade,Maximum Grade,Last modified (grade)` with the time gradebook.csv was
written, and no "Feedback comments" column (an empty one would erase comments). With `--roster` (the downloaded
worksheet) every column and row of it is kept, the Grade column filled in, and grades scaled to its Maximum Grade.

csv: `student_id,group,score,max_score,status`, one row per gradebook row.
"""

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

GRADEBOOK = "gradebook.csv"
CANVAS_STUDENT_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
POINTS_POSSIBLE = "Points Possible"
MOODLE_COLUMNS = ["Identifier", "Full name", "Email address", "Grade", "Maximum Grade", "Last modified (grade)"]
MOODLE_PARTICIPANT = "Participant "  # Moodle's 'hiddenuser' string, followed by the participant id
CSV_COLUMNS = ["student_id", "group", "score", "max_score", "status"]
_LMS_ID = re.compile(r"(?P<name>.+)_(?P<number>[0-9]+)")  # Canvas `name_<user id>`, Moodle `Full Name_<id>`
_CANVAS_COLUMN = re.compile(r"(?P<title>.*) \((?P<id>[0-9]+)\)")


@dataclass(frozen=True)
class Grade:
    """One row of gradebook.csv, as an export needs it."""

    student_id: str
    score: float  # the final score
    max_score: float
    status: str
    group: str = ""

    @property
    def lms_number(self) -> str | None:
        """The number an LMS put last in the student's id (Canvas's user id, Moodle's participant id)."""
        found = _LMS_ID.fullmatch(self.student_id)
        return found["number"] if found else None

    @property
    def name(self) -> str:
        found = _LMS_ID.fullmatch(self.student_id)
        return found["name"] if found else self.student_id


@dataclass
class Export:
    """A file to write: its rows (the header first), and what the instructor should know about it."""

    rows: list[list[str]]
    warnings: list[str] = field(default_factory=list)

    def text(self) -> str:
        """The rows as CSV (RFC 4180: fields with commas, quotes or line breaks quoted, CRLF line ends)."""
        buffer = io.StringIO()
        csv.writer(buffer).writerows(self.rows)
        return buffer.getvalue()


def read_grades(out_dir: Path) -> list[Grade]:
    """The rows of a grading output folder's gradebook.csv (final_score, else score, for older gradebooks)."""
    with (out_dir / GRADEBOOK).open(encoding="utf-8", newline="") as handle:
        return [Grade(r["student_id"], float(r.get("final_score") or r["score"]), float(r["max_score"]),
                      r.get("status", ""), r.get("group", "")) for r in csv.DictReader(handle)]


def _points(value: float) -> str:
    """Points as both LMSs read them: a dot, at most two decimals (Canvas's own export rounds so)."""
    return f"{round(value, 2):g}"


def _scaled(grade: Grade, lms_max: float | None) -> str:
    """The grade in the LMS's points: scaled when the LMS's maximum is known and differs from ours."""
    if lms_max is None or grade.max_score == 0:
        return _points(grade.score)
    return _points(grade.score * lms_max / grade.max_score)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:  # utf-8-sig: a byte-order mark from Excel
        return [row for row in csv.reader(handle) if any(cell.strip() for cell in row)]


class _Matcher:
    """Finds a roster row's grade by the ids both sides know, and remembers which grades were used."""

    def __init__(self, grades: list[Grade]) -> None:
        self.grades, self.used, self.warnings = grades, set(), []

    def find(self, who: str, numbers: set[str], ids: set[str]) -> Grade | None:
        """The one grade whose LMS number is in `numbers` or whose id is in `ids` (case-insensitive); None (and a
        warning when there are several) otherwise."""
        ids = {i.lower() for i in ids if i}
        found = [g for g in self.grades if g.lms_number in numbers or g.student_id.lower() in ids]
        self.used.update(id(g) for g in found)
        if len(found) > 1:
            self.warnings.append(f"{who}: {len(found)} rows in the gradebook ({', '.join(g.student_id for g in found)})"
                                 "; left empty")
        return found[0] if len(found) == 1 else None

    def unused(self) -> list[str]:
        left = [g.student_id for g in self.grades if id(g) not in self.used]
        return [f"not in the roster, so not exported: {', '.join(left)}"] if left else []


def _duplicates(grades: list[Grade]) -> set[str]:
    """Ids with several gradebook rows (conflicts): their grade is left empty."""
    return {student for student, rows in Counter(g.student_id for g in grades).items() if rows > 1}


def _left_empty(doubled: set[str]) -> list[str]:
    return [f"{s}: several rows in the gradebook; left empty" for s in sorted(doubled)]


def _canvas_ids(grade: Grade) -> list[str]:
    """ID, SIS User ID and SIS Login ID of a row with no roster (see the module docstring). Canvas's part of a
    name is word characters only (a Moodle `Full Name_<id>` has a space, and is no Canvas user id)."""
    if grade.lms_number and re.fullmatch(r"\w+", grade.name) and not grade.student_id.startswith("anon_"):
        return [grade.lms_number, "", ""]
    return ["", "", grade.student_id] if "@" in grade.student_id else ["", grade.student_id, ""]


def canvas_export(grades: list[Grade], title: str, roster: Path | None = None, column: str | None = None) -> Export:
    """Canvas's gradebook import CSV (module docstring)."""
    if roster is not None:
        return _canvas_with_roster(grades, title, _read_csv(roster), column)
    doubled = _duplicates(grades)
    rows = [[*CANVAS_STUDENT_COLUMNS, column or title], [POINTS_POSSIBLE, "", "", "", "", _points(_max(grades))]]
    rows += [[g.name, *_canvas_ids(g), "", "" if g.student_id in doubled else _points(g.score)] for g in grades]
    anonymous = [g.student_id for g in grades if g.student_id.startswith("anon_")]
    hidden = [f"anonymous grading: Canvas matches {', '.join(anonymous)} by no column; enter these in SpeedGrader "
              "or export again once identities are revealed"] if anonymous else []
    return Export(rows, _left_empty(doubled) + hidden)


def _canvas_column(header: list[str], title: str, column: str | None) -> str:
    """The assignment column: --column, else the roster's column `<title> (<id>)`, else the title."""
    if column:
        return column
    return next((h for h in header if (m := _CANVAS_COLUMN.fullmatch(h)) and m["title"] == title), title)


def _canvas_with_roster(grades: list[Grade], title: str, roster: list[list[str]], column: str | None) -> Export:
    header = roster[0] if roster else []
    if "Section" not in header or header[:2] != ["Student", "ID"]:
        raise ValueError("the roster is not a Canvas gradebook export (its header starts Student,ID and has Section)")
    people = header.index("Section") + 1
    column = _canvas_column(header, title, column)
    where = header.index(column) if column in header else None
    points = next((r for r in roster[1:] if POINTS_POSSIBLE in r[0]), None)
    lms_max = _number(points[where]) if points and where is not None and where < len(points) else None
    matcher = _Matcher(grades)
    rows = [[*header[:people], column], [POINTS_POSSIBLE, *[""] * (people - 1),
                                         _points(lms_max if lms_max is not None else _max(grades))]]
    for record in roster[1:]:
        if POINTS_POSSIBLE in record[0] or len(record) < people or not record[1].strip():
            continue  # the Points Possible row, and rows of no student (Canvas's muted-assignment row)
        sis = {record[i] for i, h in enumerate(header[:people]) if h in ("SIS User ID", "SIS Login ID")}
        grade = matcher.find(record[0], {record[1].strip()}, sis)
        rows.append([*record[:people], _scaled(grade, lms_max) if grade else ""])
    return Export(rows, matcher.warnings + matcher.unused())


def _max(grades: list[Grade]) -> float:
    return grades[0].max_score if grades else 0.0


def moodle_export(grades: list[Grade], graded_at: str, roster: Path | None = None) -> Export:
    """Moodle's offline grading worksheet (module docstring); graded_at -- the "Last modified (grade)" time."""
    if roster is not None:
        return _moodle_with_roster(grades, _read_csv(roster))
    doubled = _duplicates(grades)
    rows, warnings = [list(MOODLE_COLUMNS)], _left_empty(doubled)
    for g in grades:
        identifier = f"{MOODLE_PARTICIPANT}{g.lms_number}" if g.lms_number else ""
        email = g.student_id if "@" in g.student_id else ""
        score = "" if g.student_id in doubled else _points(g.score)
        rows.append([identifier, g.name, email, score, _points(g.max_score), graded_at])
    unknown = [g.student_id for g in grades if not g.lms_number]
    if unknown:
        warnings.append(f"no Moodle participant id (Moodle will skip them): {', '.join(unknown)}")
    return Export(rows, warnings)


def _moodle_with_roster(grades: list[Grade], roster: list[list[str]]) -> Export:
    header = roster[0] if roster else []
    if not {"Identifier", "Grade"} <= set(header):
        raise ValueError("the roster is not a Moodle grading worksheet (it needs Identifier and Grade columns)")
    at, grade_at = header.index("Identifier"), header.index("Grade")
    maximum = header.index("Maximum Grade") if "Maximum Grade" in header else None
    email = header.index("Email address") if "Email address" in header else None
    matcher, rows = _Matcher(grades), [header]
    for record in roster[1:]:
        record = record + [""] * (len(header) - len(record))
        number = record[at].removeprefix(MOODLE_PARTICIPANT).strip()
        grade = matcher.find(record[at], {number}, {record[email]} if email is not None else set())
        lms_max = _number(record[maximum]) if maximum is not None else None
        record[grade_at] = _scaled(grade, lms_max) if grade else ""
        rows.append(record)
    return Export(rows, matcher.warnings + matcher.unused())


def csv_export(grades: list[Grade]) -> Export:
    """The plain CSV: one row per gradebook row."""
    return Export([CSV_COLUMNS] + [[g.student_id, g.group, _points(g.score), _points(g.max_score), g.status]
                                   for g in grades])


def export(kind: str, out_dir: Path, title: str, roster: Path | None = None, column: str | None = None) -> Export:
    """The export of a grading output folder (kind: canvas, moodle or csv)."""
    grades = read_grades(out_dir)
    if kind == "canvas":
        return canvas_export(grades, title, roster, column)
    if kind == "moodle":
        stamp = datetime.fromtimestamp((out_dir / GRADEBOOK).stat().st_mtime, timezone.utc)
        return moodle_export(grades, stamp.isoformat(timespec="seconds"), roster)
    return csv_export(grades)
