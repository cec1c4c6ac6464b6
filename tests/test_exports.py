"""`autograder export`: gradebook.csv as the files Canvas's gradebook import and Moodle's grading worksheet upload
accept (exports.py documents each format and its source): headers exact, values, quoting, a student the grading
lacks gets an empty grade, not a zero."""

import csv
import io
from pathlib import Path

from autograder.cli import main
from autograder.exports import read_grades
from autograder.graded import GradedSubmission, Member
from autograder.policies import LatePolicy, Override, Policies
from autograder.reports.gradebook import gradebook_csv

TITLE = "Weight initialization: symmetry, saturation and signal propagation"


def _graded(student_id: str, points: float, members: tuple[Member, ...] = ()) -> GradedSubmission:
    return GradedSubmission(student_id, f"{student_id}.py", [], {"c.one": points}, {"c.one": 10.0}, 0.1,
                            "bubblewrap", members=list(members))


def _class_folder(tmp_path: Path) -> Path:
    """A grading output folder: Canvas-named, Moodle-named and Gradescope (a group) rows, one conflict, one
    override and a late policy, written by the real gradebook writer."""
    graded = [_graded("lovelaceada_101", 8.0), _graded("hopperg_102", 6.5), _graded("Alan Turing_41", 9.25),
              _graded("1815", 7.0, (Member("1815", "Ada"), Member("grace@example.edu", "Grace"))),
              _graded("dup_7", 1.0), _graded("dup_7", 2.0)]
    graded[1] = GradedSubmission(**{**graded[1].__dict__, "late": True})
    policies = Policies({"lovelaceada_101": (Override("lovelaceada_101", "total", 9.5, "regraded"),)},
                        LatePolicy(0.2))
    out = tmp_path / "out"
    out.mkdir()
    (out / "gradebook.csv").write_text(gradebook_csv(graded, policies), encoding="utf-8")
    return out


def _export(tmp_path: Path, *args: str) -> list[list[str]]:
    target = tmp_path / "export.csv"
    assert main(["export", *args, str(tmp_path / "out"), "--out", str(target)]) == 0
    text = target.read_bytes().decode("utf-8")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")  # RFC 4180 line ends
    return list(csv.reader(io.StringIO(text)))


def test_the_gradebook_is_read_with_final_scores(tmp_path: Path) -> None:
    grades = {g.student_id: g for g in read_grades(_class_folder(tmp_path))}
    assert grades["lovelaceada_101"].score == 9.5 and grades["hopperg_102"].score == 5.2  # override; late 20%
    assert grades["grace@example.edu"].group == "1815; grace@example.edu"


def test_canvas_without_a_roster(tmp_path: Path, capsys) -> None:
    _class_folder(tmp_path)
    rows = _export(tmp_path, "canvas")
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", TITLE]
    assert rows[1] == ["Points Possible", "", "", "", "", "10"]
    by_name = {r[0]: r for r in rows[2:]}
    assert by_name["lovelaceada"] == ["lovelaceada", "101", "", "", "", "9.5"]  # Canvas's user id from the names
    assert by_name["1815"] == ["1815", "", "1815", "", "", "7"]  # a Gradescope sid: SIS User ID
    assert by_name["grace@example.edu"] == ["grace@example.edu", "", "", "grace@example.edu", "", "7"]
    assert [r[5] for r in rows[2:] if r[0] == "dup"] == ["", ""]  # a conflict is never settled by the export
    assert "dup_7: several rows" in capsys.readouterr().err


CANVAS_ROSTER = (
    "Student,ID,SIS User ID,SIS Login ID,Section,Lab 0 (700),"
    f"\"{TITLE} (701)\",Current Score\n"
    "    Points Possible,,,,,5,20,(read only)\n"
    "\"Lovelace, Ada\",101,S-1,ada@example.edu,Section A,5,,100\n"
    "\"Hopper, Grace\",102,S-2,grace@example.edu,Section A,4,,80\n"
    "\"Student, Test\",999,,,Section A,,,\n"
    "\"Turing, Alan\",103,1815,turing@example.edu,\"Section B, evening\",5,,100\n"
)


def test_canvas_with_its_own_gradebook_export_as_roster(tmp_path: Path, capsys) -> None:
    _class_folder(tmp_path)
    (tmp_path / "canvas_export.csv").write_text(CANVAS_ROSTER, encoding="utf-8")
    rows = _export(tmp_path, "canvas", "--roster", str(tmp_path / "canvas_export.csv"))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", f"{TITLE} (701)"]
    assert rows[1] == ["Points Possible", "", "", "", "", "20"]
    assert rows[2:] == [
        ["Lovelace, Ada", "101", "S-1", "ada@example.edu", "Section A", "19"],  # 9.5 of 10 -> of 20
        ["Hopper, Grace", "102", "S-2", "grace@example.edu", "Section A", ""],  # 102 and grace@ are two rows
        ["Student, Test", "999", "", "", "Section A", ""],  # not graded: empty, never 0
        ["Turing, Alan", "103", "1815", "turing@example.edu", "Section B, evening", "14"],  # by SIS User ID
    ]
    assert (tmp_path / "export.csv").read_text().count('"Lovelace, Ada"') == 1  # quoted, as Canvas writes it
    err = capsys.readouterr().err
    assert "Hopper, Grace: 2 rows in the gradebook (grace@example.edu, hopperg_102); left empty" in err
    assert "not in the roster, so not exported: Alan Turing_41, dup_7, dup_7" in err


MOODLE_WORKSHEET = (
    "Identifier,\"Full name\",\"Email address\",Status,Grade,\"Maximum Grade\",\"Grade can be changed\","
    "\"Last modified (submission)\",\"Last modified (grade)\",\"Feedback comments\"\n"
    "\"Participant 41\",\"Alan Turing\",turing@example.edu,\"Submitted for grading\",,100.00,Yes,"
    "\"Tuesday, 1 December 2026, 11:00 PM\",-,\"Well done, Alan\"\n"
    "\"Participant 42\",\"Joan Clarke\",joan@example.edu,\"No submission\",55.00,100.00,Yes,-,"
    "\"Monday, 30 November 2026, 9:00 AM\",\n"
)


def test_moodle_with_its_grading_worksheet(tmp_path: Path) -> None:
    _class_folder(tmp_path)
    (tmp_path / "worksheet.csv").write_text(MOODLE_WORKSHEET, encoding="utf-8")
    rows = _export(tmp_path, "moodle", "--roster", str(tmp_path / "worksheet.csv"))
    header = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade", "Grade can be changed",
              "Last modified (submission)", "Last modified (grade)", "Feedback comments"]
    assert rows[0] == header
    assert rows[1] == ["Participant 41", "Alan Turing", "turing@example.edu", "Submitted for grading", "92.5",
                       "100.00", "Yes", "Tuesday, 1 December 2026, 11:00 PM", "-", "Well done, Alan"]
    assert rows[2][4] == ""  # Joan has no grade here: empty (Moodle then leaves her 55 alone), not 0


def test_moodle_without_a_worksheet(tmp_path: Path) -> None:
    _class_folder(tmp_path)
    rows = _export(tmp_path, "moodle")
    assert rows[0] == ["Identifier", "Full name", "Email address", "Grade", "Maximum Grade", "Last modified (grade)"]
    turing = next(r for r in rows if r[1] == "Alan Turing")
    assert turing[:5] == ["Participant 41", "Alan Turing", "", "9.25", "10"]
    assert turing[5].endswith("+00:00") and turing[5][:4].isdigit()  # ISO 8601: PHP's strtotime reads it


def test_plain_csv(tmp_path: Path) -> None:
    _class_folder(tmp_path)
    rows = _export(tmp_path, "csv")
    assert rows[0] == ["student_id", "group", "score", "max_score", "status"]
    assert ["hopperg_102", "", "5.2", "10", "ok"] in rows and len(rows) == 8


def test_export_refuses_a_folder_without_a_gradebook_and_a_wrong_roster(tmp_path: Path, capsys) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["export", "csv", str(tmp_path / "empty")]) == 2
    _class_folder(tmp_path)
    (tmp_path / "roster.csv").write_text("name,grade\n", encoding="utf-8")
    assert main(["export", "canvas", str(tmp_path / "out"), "--roster", str(tmp_path / "roster.csv")]) == 2
    assert "not a Canvas gradebook export" in capsys.readouterr().err
