"""LMS bulk downloads as Canvas, Blackboard, Moodle and Gradescope lay them out: one submission per student by the
documented rule, lateness and submission times kept, anonymous ids, legacy name encodings, group submissions."""

import csv
import io
import zipfile
from pathlib import Path

import pytest
from conftest import reference_source
from grading_helpers import tight_course
from test_submission import NOTEBOOK_BYTES, _zip

from autograder.bulk import grade_batch
from autograder.graded import Member
from autograder.journal import JOURNAL_NAME
from autograder.submission import lms_upload, load_submissions, load_zip

COURSE = tight_course()
ASSIGNMENT = COURSE.assignment("initialization")
CORRECT = reference_source().encode()
STUB = b"def initialize_he(layer_dims, rng=None):\n    raise NotImplementedError\n"


def _rows(zip_path: Path) -> dict:
    return {s.student_id: s for s in load_zip(zip_path, ASSIGNMENT)}


def test_canvas_the_notebook_over_scratch_files_and_the_latest_upload_over_earlier(tmp_path: Path) -> None:
    rows = _rows(_zip(tmp_path / "canvas.zip", {
        "lovelaceada_101_5001_scratch.py": CORRECT,  # defines graded functions, but is not the notebook
        "lovelaceada_101_5002_initialization.ipynb": b"{ an older upload, broken",
        "lovelaceada_101_5003_initialization-1.ipynb": NOTEBOOK_BYTES,  # Canvas renamed the second upload
        "hopperg_LATE_102_5004_initialization.ipynb": NOTEBOOK_BYTES,
    }))
    assert set(rows) == {"lovelaceada_101", "hopperg_102"}
    ada = rows["lovelaceada_101"]
    assert ada.error is None and ada.path.name == "lovelaceada_101_5003_initialization-1.ipynb"
    assert ada.ignored == ("lovelaceada_101_5001_scratch.py", "lovelaceada_101_5002_initialization.ipynb")
    assert any("not graded: lovelaceada_101_5001_scratch.py" in note for note in ada.notes)  # the student is told
    assert not ada.late and rows["hopperg_102"].late and rows["hopperg_102"].ignored == ()


def test_canvas_anonymous_grading_ids(tmp_path: Path) -> None:
    rows = _rows(_zip(tmp_path / "anon.zip", {
        "anon_Ab3De_6001_initialization.ipynb": NOTEBOOK_BYTES,
        "LATE_anon_12345_6002_initialization.ipynb": NOTEBOOK_BYTES,  # base58 ids may be all digits
        "anon_Ab3De_6003_2024_notes.py": STUB,  # a student's file name starting with digits
    }))
    assert set(rows) == {"anon_Ab3De", "anon_12345"}
    assert rows["anon_12345"].late and rows["anon_Ab3De"].ignored == ("anon_Ab3De_6003_2024_notes.py",)


def test_blackboard_the_latest_attempt_with_its_time(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    receipt = (b"Name: Ada Lovelace (alovelace)\nAssignment: Lab 1\nDate Submitted: Tuesday, December 1, 2026 "
               b"11:58:12 PM EST\nCurrent Grade: Needs Grading\n")
    rows = _rows(_zip(tmp_path / "gradebook_CS101_Lab_1.zip", {
        "Lab_1_alovelace_attempt_2026-11-30-10-00-00.txt": receipt,
        "Lab_1_alovelace_attempt_2026-11-30-10-00-00_initialization.ipynb": NOTEBOOK_BYTES,
        "Lab_1_alovelace_attempt_2026-12-01-23-58-12.txt": receipt,
        "Lab_1_alovelace_attempt_2026-12-01-23-58-12_initialization.py": CORRECT,
        # The student's own file name imitates the scheme: the first `_<user>_attempt_<time>` is Blackboard's.
        "Lab_1_mallory_attempt_2026-12-01-09-00-00_alovelace_attempt_2026-12-09-00-00-00_x.py": STUB,
    }))
    assert set(rows) == {"alovelace", "mallory"}
    ada = rows["alovelace"]
    assert ada.error is None and ada.source == reference_source()  # the later attempt, though not a notebook
    assert ada.submitted_at == "2026-12-01T23:58:12" and not ada.late
    assert ada.ignored == ("Lab_1_alovelace_attempt_2026-11-30-10-00-00_initialization.ipynb",)
    assert "not graded" not in caplog.text  # the receipts belong to their student: no stray-file warning


def test_lms_names_are_parsed_in_linear_time_and_read_as_documented() -> None:
    assert lms_upload("Lab 1_bob_attempt_2026-01-02-03-04-05_a_b.py").upload == "a_b.py"
    assert lms_upload("Lab 1_bob_attempt_2026-01-02-03-04-05.txt").upload == ".txt"
    assert lms_upload("bob_attempt_2026-01-02-03-04-05_x.py") is None  # no assignment name before it
    assert lms_upload("smith_7_8_hw-2.py").revision == 2 and lms_upload("smith_7_8_hw-2.py").upload == "hw.py"
    assert lms_upload("_attempt_" * 10_000 + "x") is None


def test_moodle_folders_carry_no_time(tmp_path: Path) -> None:
    rows = _rows(_zip(tmp_path / "moodle.zip", {
        "Ada Lovelace_41_assignsubmission_file_/initialization.ipynb": NOTEBOOK_BYTES,
        "Ada Lovelace_41_assignsubmission_file_/scratch.py": CORRECT,
    }))
    ada = rows["Ada Lovelace_41"]
    assert ada.error is None and ada.submitted_at is None and not ada.late
    assert ada.ignored == ("Ada Lovelace_41_assignsubmission_file_/scratch.py",)


def _legacy_zip(path: Path, names: dict[str, bytes]) -> Path:
    """A zip whose entry names are these raw bytes without the UTF-8 flag, as Windows and macOS tools write them:
    written under ASCII placeholders of the same length, then patched (zipfile flags every non-ASCII name)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for placeholder in names:
            archive.writestr(placeholder, CORRECT)
    data = buffer.getvalue()
    for placeholder, raw in names.items():
        assert len(placeholder) == len(raw)
        data = data.replace(placeholder.encode(), raw)
    path.write_bytes(data)
    return path


def test_zip_names_in_legacy_encodings_are_decoded(tmp_path: Path) -> None:
    archive = _legacy_zip(tmp_path / "legacy.zip", {
        "mxxller.py": "müller.py".encode(),  # UTF-8 without the flag: zipfile alone reads m├╝ller
        "gxmez.py": "gómez.py".encode("cp1252"),  # Windows-1252: zipfile alone reads gαmez
        "sxrensen.py": "sørensen.py".encode("cp850"),  # the OEM code page of Western Europe
        "strase.py": "straße.py".encode("cp437"),  # cp437, the ZIP standard's own
    })
    assert {s.student_id for s in load_zip(archive, ASSIGNMENT)} == {"müller", "gómez", "sørensen", "straße"}
    with zipfile.ZipFile(archive) as raw:
        assert "m├╝ller.py" in raw.namelist()  # what the names were before


GROUP_METADATA = b"""submission_301:
  :submitters:
  - :name: Ada Lovelace
    :sid: '1815'
    :email: ada@example.edu
  - :name: Grace Hopper
    :email: grace@example.edu
  :created_at: 2026-11-30 10:00:00.000000000 -08:00
submission_302:
  :submitters:
  - :name: Alan Turing
    :sid: '1912'
"""


def test_a_gradescope_group_is_graded_once_with_one_gradebook_row_per_member(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "gs.zip", {
        "assignment_5_export/submission_metadata.yml": GROUP_METADATA,
        "assignment_5_export/submission_301/initialization.py": CORRECT,
        "assignment_5_export/submission_302/initialization.py": STUB,
    })
    [group, single] = load_zip(archive, ASSIGNMENT)
    assert group.student_id == "1815" and group.members == (
        Member("1815", "Ada Lovelace", "ada@example.edu"), Member("grace@example.edu", "Grace Hopper",
                                                                  "grace@example.edu"))
    assert single.members == (Member("1912", "Alan Turing"),)
    graded = grade_batch([archive], tmp_path / "out", COURSE, "initialization", jobs=2)
    assert len(graded) == 2 and len((tmp_path / "out" / JOURNAL_NAME).read_text().splitlines()) == 2
    rows = list(csv.DictReader((tmp_path / "out" / "gradebook.csv").open(encoding="utf-8")))
    by_id = {r["student_id"]: r for r in rows}
    assert [r["student_id"] for r in rows] == ["1815", "grace@example.edu", "1912"]  # a group's rows together
    assert by_id["1815"]["group"] == by_id["grace@example.edu"]["group"] == "1815; grace@example.edu"
    assert by_id["1815"]["score"] == by_id["grace@example.edu"]["score"] == by_id["1815"]["max_score"]
    assert by_id["1912"]["group"] == "" and float(by_id["1912"]["score"]) < float(by_id["1912"]["max_score"])


def test_a_batch_keeps_what_the_lms_said_in_the_gradebook(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "canvas.zip", {
        "hopperg_LATE_102_5004_initialization.ipynb": NOTEBOOK_BYTES,
        "hopperg_LATE_102_5005_notes.py": STUB,
        "turinga_LATE_103_5006_a.py": CORRECT,  # two candidates: an error row, still late
        "turinga_LATE_103_5007_b.py": CORRECT,
    })
    grade_batch([archive], tmp_path / "out", COURSE, "initialization", jobs=1)
    [row, error] = csv.DictReader((tmp_path / "out" / "gradebook.csv").open(encoding="utf-8"))
    assert row["student_id"] == "hopperg_102" and row["late"] == "yes" and row["status"] == "ok"
    assert error["student_id"] == "turinga_103" and error["late"] == "yes" and error["status"] == "error"
    assert row["ignored"] == "hopperg_LATE_102_5005_notes.py"
    assert "not graded: hopperg_LATE_102_5005_notes.py" in (
        tmp_path / "out" / "submissions" / "hopperg_102" / "feedback.md").read_text()


def test_a_student_in_a_group_who_also_submitted_alone_is_a_conflict_in_both_rows(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "gs.zip", {
        "assignment_5_export/submission_metadata.yml": GROUP_METADATA + b"""submission_303:
  :submitters:
  - :name: Grace Hopper
    :email: grace@example.edu
""",
        "assignment_5_export/submission_301/initialization.py": CORRECT,
        "assignment_5_export/submission_302/initialization.py": STUB,
        "assignment_5_export/submission_303/initialization.py": STUB,
    })
    group, single, alone = load_submissions([archive], "initialization", COURSE)  # as `grade` reads them
    assert single.error is None  # Alan Turing shares no id
    for row, other in ((group, "submission_303"), (alone, "submission_301")):
        assert row.error is not None and "conflict: student id grace@example.edu" in row.error and other in row.error
        assert row.source == ""  # neither is graded in silence
