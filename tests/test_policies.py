"""Manual overrides and the late policy: applied when gradebook rows are made, shown with their reasons, never
journaled, so they survive regrades; course.toml and overrides.csv read as documented."""

import csv
import dataclasses
from pathlib import Path

import pytest
from conftest import reference_source
from grading_helpers import tight_course

from autograder.bulk import grade_batch
from autograder.course import load_course
from autograder.journal import JOURNAL_NAME
from autograder.policies import (
    LatePolicy,
    Override,
    PolicyError,
    course_policies,
    days_late,
    final_row,
    read_overrides,
)

ROW = {"student_id": "ada", "score": "7", "max_score": "10", "a.x": "1", "a.y": "6"}
DUE = "2026-12-01T23:59:00+00:00"
POLICY = LatePolicy(penalty_per_day=0.1, max_penalty=0.25, due=DUE)


def test_no_override_and_no_policy_changes_nothing_but_fills_the_columns() -> None:
    row = final_row(ROW, [], None, None, False)
    assert row == {**ROW, "late": "", "submitted_at": "", "days_late": "", "late_penalty": "", "adjustments": "",
                   "final_score": "7"}


def test_a_check_override_replaces_its_points_and_the_total_follows() -> None:
    row = final_row(ROW, [Override("ada", "a.x", 0.5, "first try"), Override("ada", "a.x", 2, "regraded")],
                    None, None, False)
    assert row["a.x"] == "2" and row["score"] == "8" and row["final_score"] == "8"
    assert row["adjustments"] == "a.x: 1 -> 2 (regraded)"  # the last row for a check wins


@pytest.mark.parametrize(("submitted_at", "late_flag", "days", "final"), [
    ("2026-12-01T23:58:59+00:00", False, 0, "7"),
    ("2026-12-02T00:00:00+00:00", False, 1, "6.3"),  # a minute late is one started day
    ("2026-12-03T23:59:01+00:00", False, 3, "5.25"),  # three days would be 30%: capped at 25%
    ("2026-12-02T00:30:00", False, 1, "6.3"),  # Blackboard's time has no offset: read in the due date's
    (None, True, 1, "6.3"),  # Canvas's LATE_ alone: one day
    (None, False, 0, "7"),  # Moodle: no time, no flag
])
def test_the_late_penalty(submitted_at: str | None, late_flag: bool, days: int, final: str) -> None:
    row = final_row(ROW, [], POLICY, submitted_at, late_flag)
    assert row["days_late"] == str(days) and row["final_score"] == final and row["score"] == "7"
    assert row["late"] == ("yes" if late_flag else "") and row["submitted_at"] == (submitted_at or "")


def test_an_extension_and_a_total_override() -> None:
    extension = final_row(ROW, [Override("ada", "late", 0, "doctor's note")], POLICY, "2026-12-03T00:00:00Z", False)
    assert extension["days_late"] == "0" and extension["final_score"] == "7"
    assert extension["adjustments"] == "counted 0 days late (doctor's note)"
    total = final_row(ROW, [Override("ada", "total", 3, "integrity")], POLICY, "2026-12-03T00:00:00Z", False)
    assert total["final_score"] == "3" and total["late_penalty"] == "0.2"
    assert total["adjustments"] == "total: 5.6 -> 3 (integrity)"


def test_days_late_needs_a_due_time_for_a_time() -> None:
    assert days_late("2026-12-09T00:00:00+00:00", False, None) == 0
    assert days_late("2026-12-09T00:00:00+00:00", True, None) == 1


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_overrides_csv_is_read_as_documented(tmp_path: Path) -> None:
    path = _write(tmp_path / "overrides.csv", "\ufeffstudent,check,points,reason,assignment\n"
                  "ada,a.x,2,\"regraded, by hand\",\nada,total,9,final word,lab\nbob,late,0,extension,other\n")
    assert read_overrides(path, "lab", ["a.x"]) == {
        "ada": (Override("ada", "a.x", 2.0, "regraded, by hand"), Override("ada", "total", 9.0, "final word"))}
    assert read_overrides(tmp_path / "absent.csv", "lab", ["a.x"]) == {}


@pytest.mark.parametrize(("text", "words"), [
    ("student,points,reason\n", "lacks check"),
    ("student,check,points\nada,a.typo,1\n", "line 2"),
    ("student,check,points\nada,a.x,one\n", "not a number"),
    ("student,check,points\n,a.x,1\n", "needs a student"),
])
def test_a_malformed_overrides_csv_says_where(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(PolicyError, match=words):
        read_overrides(_write(tmp_path / "overrides.csv", text), "lab", ["a.x"])


def _course_toml(tmp_path: Path, grading: str, assignment: str, table: str) -> Path:
    """The repository's course.toml (its folders kept) with lines added to [grading] and the assignment, and a
    table added before the assignment."""
    base = Path(__file__).resolve().parent.parent
    text = (base / "course.toml").read_text()
    for key in ("source", "reference", "release"):
        text = text.replace(f'{key} = "', f'{key} = "{base}/')
    text = text.replace("[grading]\n", f"[grading]\n{grading}\n", 1)
    text = text.replace("\n[assignments.initialization]\n", f"\n{table}\n[assignments.initialization]\n{assignment}\n")
    return _write(tmp_path / "course.toml", text)


def test_course_toml_late_policy_and_overrides_path(tmp_path: Path) -> None:
    late = '[grading.late]\npenalty_per_day = 0.1\nmax_penalty = 0.5\ndue = "2026-12-01T23:59:00+00:00"\n'
    path = _course_toml(tmp_path, 'overrides = "grades/manual.csv"', 'due = "2026-12-08T23:59:00-05:00"', late)
    course = load_course(path)
    assert course.late == LatePolicy(0.1, 0.5, DUE) and course.overrides == tmp_path / "grades" / "manual.csv"
    assert course.grading.jobs == 2  # the rest of [grading] is read as before
    (tmp_path / "grades").mkdir()
    _write(tmp_path / "grades" / "manual.csv", "student,check,points,reason\nada,total,1,x\n")
    policies = course_policies(course, "initialization")
    assert policies.late.due == "2026-12-08T23:59:00-05:00" and policies.overrides_of("ada")[0].points == 1
    assert load_course().late is None  # the repository's course has no late policy


def test_a_due_time_without_an_offset_is_refused() -> None:
    with pytest.raises(PolicyError, match="UTC offset"):
        LatePolicy(0.1, due="2026-12-01T23:59:00")
    with pytest.raises(PolicyError, match="max_penalty"):
        LatePolicy(0.1, max_penalty=2)


def _gradebook(out: Path) -> dict[str, dict[str, str]]:
    return {r["student_id"]: r for r in csv.DictReader((out / "gradebook.csv").open(encoding="utf-8"))}


def test_overrides_apply_to_the_gradebook_and_survive_a_regrade(tmp_path: Path) -> None:
    (tmp_path / "ada.py").write_text(reference_source())
    (tmp_path / "bob.py").write_text("def initialize_he(layer_dims, rng=None):\n    raise NotImplementedError\n")
    course = dataclasses.replace(tight_course(), overrides=tmp_path / "overrides.csv")
    out = tmp_path / "out"
    grade_batch([tmp_path / "ada.py", tmp_path / "bob.py"], out, course, "initialization", jobs=2)
    before = _gradebook(out)
    journal = (out / JOURNAL_NAME).read_text()
    _write(tmp_path / "overrides.csv", "student,check,points,reason\n"
           "bob,initialize_he.scale,1,the scale was right: regraded by hand\nbob,total,12.5,after the meeting\n")
    grade_batch([tmp_path / "ada.py", tmp_path / "bob.py"], out, course, "initialization", jobs=2)
    after = _gradebook(out)
    assert (out / JOURNAL_NAME).read_text() == journal  # nothing regraded, nothing journaled: overrides stay out
    assert after["ada"] == before["ada"]
    bob = after["bob"]
    assert bob["initialize_he.scale"] == "1" and before["bob"]["initialize_he.scale"] == "0"
    assert float(bob["score"]) == float(before["bob"]["score"]) + 1 and bob["final_score"] == "12.5"
    assert "regraded by hand" in bob["adjustments"] and "after the meeting" in bob["adjustments"]
    late = dataclasses.replace(course, late=LatePolicy(0.5, 0.5, "2020-01-01T00:00:00+00:00"))
    grade_batch([tmp_path / "ada.py"], out, late, "initialization", jobs=1)  # a late policy is also no regrade
    ada = _gradebook(out)["ada"]
    assert (out / JOURNAL_NAME).read_text() == journal and ada["days_late"] == "0" and ada["late_penalty"] == "0"
