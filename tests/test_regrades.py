"""Regrades that never lie: a change of anything that decides a grade regrades, --force regrades, and grading a
subset into an existing folder updates those rows and keeps the rest of the class."""

import csv
import dataclasses
import json
import shutil
from pathlib import Path

import pytest
from conftest import REFERENCE, ROOT, reference_source

from autograder import fingerprint
from autograder.cli import main
from autograder.course import Course, load_course
from autograder.fingerprint import grading_fingerprint
from autograder.journal import JOURNAL_NAME

ASSIGNMENT = "initialization"
WRONG_HE = reference_source().replace("np.sqrt(2.0 / fan_in)", "np.sqrt(1.0 / fan_in)")


def _course(tmp_path: Path, edit: tuple[str, str] = ("", "")) -> Path:
    """A copy of course.toml in tmp_path whose reference is a copy too (so a test may change it); `edit` replaces
    one piece of the toml's text."""
    shutil.copy(REFERENCE, tmp_path / "reference.py")
    text = (ROOT / "course.toml").read_text()
    for key in ("source", "release"):  # the assignment's folders stay the repository's
        text = text.replace(f'{key} = "', f'{key} = "{ROOT}/')
    text = text.replace('reference = "solutions/initialization/reference.py"', f'reference = "{tmp_path}/reference.py"')
    path = tmp_path / "course.toml"
    path.write_text(text.replace(*edit) if edit[0] else text)
    return path


def _class(tmp_path: Path, files: dict[str, str]) -> list[Path]:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return [folder / name for name in files]


def _journal(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / JOURNAL_NAME).read_text().splitlines()]


def _gradebook(out: Path) -> dict[str, dict[str, str]]:
    return {r["student_id"]: r for r in csv.DictReader((out / "gradebook.csv").open())}


def _grade(paths: list[Path], out: Path, course: Path, *flags: str) -> None:
    assert main(["--course", str(course), "grade", *map(str, paths), "--out", str(out), "--jobs", "2", *flags]) == 0


@pytest.fixture
def graded_class(tmp_path: Path) -> tuple[Path, list[Path], Path]:
    """ann (correct) and ben (Xavier scale) graded into tmp_path/out with a course of their own."""
    course = _course(tmp_path)
    paths = _class(tmp_path, {"ann.py": reference_source(), "ben.py": WRONG_HE})
    _grade(paths, tmp_path / "out", course)
    return course, paths, tmp_path / "out"


def test_an_unchanged_rerun_reuses_every_grade(graded_class: tuple[Path, list[Path], Path]) -> None:
    course, paths, out = graded_class
    _grade(paths, out, course)
    assert len(_journal(out)) == 2


def test_a_changed_reference_regrades_every_submission(graded_class: tuple[Path, list[Path], Path]) -> None:
    course, paths, out = graded_class
    assert _gradebook(out)["ann"]["compute_cost.matches_reference:status"] == "passed"
    reference = course.parent / "reference.py"
    mean = "return float(-np.mean(Y * np.log(P) + (1.0 - Y) * np.log(1.0 - P)))"
    reference.write_text(reference.read_text().replace(mean, mean.replace("np.mean", "np.sum")))
    _grade(paths, out, course)
    lines = _journal(out)
    assert len(lines) == 4 and lines[0]["fingerprint"] != lines[2]["fingerprint"]
    rows = _gradebook(out)  # the reference now sums the cost: a cost that averages no longer matches it
    assert "passed" not in {rows[s]["compute_cost.matches_reference:status"] for s in ("ann", "ben")}
    assert not any(r["outdated"] for r in rows.values())


def test_changed_points_regrade_and_changed_workers_do_not(tmp_path: Path) -> None:
    paths = _class(tmp_path, {"ann.py": reference_source()})
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "c").mkdir()
    _grade(paths, tmp_path / "out", _course(tmp_path / "a"))
    _grade(paths, tmp_path / "out", _course(tmp_path / "b", ("jobs = 2 ", "jobs = 1 ")))
    assert len(_journal(tmp_path / "out")) == 1, "the number of workers decides no grade"
    (tmp_path / "d").mkdir()
    _grade(paths, tmp_path / "out", _course(tmp_path / "d", ("warm_start = true", "warm_start = false")))
    assert len(_journal(tmp_path / "out")) == 1, "cold or warm children give the same grades"
    _grade(paths, tmp_path / "out", _course(tmp_path / "c", ('"initialize_he.scale" = 1', '"initialize_he.scale" = 5')))
    assert len(_journal(tmp_path / "out")) == 2
    assert _gradebook(tmp_path / "out")["ann"]["initialize_he.scale"] == "5"


def test_force_regrades_what_the_journal_holds(graded_class: tuple[Path, list[Path], Path]) -> None:
    course, paths, out = graded_class
    _grade(paths, out, course, "--force")
    lines = _journal(out)
    assert len(lines) == 4 and {line["fingerprint"] for line in lines} == {lines[0]["fingerprint"]}
    assert len(_gradebook(out)) == 2


def test_a_subset_updates_its_rows_and_keeps_the_class(graded_class: tuple[Path, list[Path], Path]) -> None:
    course, _, out = graded_class
    [ben] = _class(out.parent, {"ben.py": reference_source()})  # ben fixes his He scale and resubmits
    before = _gradebook(out)
    _grade([ben], out, course)
    rows = _gradebook(out)
    assert set(rows) == {"ann", "ben"}, "grading one student must not shrink the class"
    assert rows["ann"] == before["ann"]
    assert float(rows["ben"]["score"]) == float(rows["ben"]["max_score"]) > float(before["ben"]["score"])
    summary = (out / "summary.md").read_text()
    assert "| submissions | 2 |" in summary and "submissions/ann/feedback.html" in summary
    # Back to his first file: the class again shows that one, and only it (one row per student).
    [first] = _class(out.parent, {"ben.py": WRONG_HE})
    _grade([first], out, course)
    assert _gradebook(out)["ben"]["score"] == before["ben"]["score"] and len(_gradebook(out)) == 2


def test_a_subset_under_new_checks_marks_the_rest_outdated(graded_class: tuple[Path, list[Path], Path]) -> None:
    course, paths, out = graded_class
    reference = course.parent / "reference.py"
    reference.write_text(reference.read_text() + "\n# a change of the reference\n")
    _grade(paths[:1], out, course)  # ann only
    rows = _gradebook(out)
    assert (rows["ann"]["outdated"], rows["ben"]["outdated"]) == ("", "yes")
    assert "graded with older checks or settings" in (out / "summary.md").read_text()


def test_the_fingerprint_covers_the_grading_code_and_only_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "autograder"
    shutil.copytree(fingerprint.PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(fingerprint, "PACKAGE", package)
    course: Course = load_course()

    def digest() -> str:
        fingerprint.grading_code_digest.cache_clear()
        return grading_fingerprint(course, ASSIGNMENT)

    base = digest()
    for changed in ("labkit/plan.py", "checks/verdicts.py", "checks/stats.py", "run/child.py", "submission.py",
                    "graded.py"):
        original = (package / changed).read_bytes()
        (package / changed).write_bytes(original + b"\n# changed\n")
        assert digest() != base, changed
        (package / changed).write_bytes(original)
    (package / "reports" / "summary.py").write_text("# reports are rebuilt on every run\n")
    (package / "cli.py").write_text("# the command line decides no grade\n")
    assert digest() == base
    monkeypatch.setattr(fingerprint, "grader_version", lambda: "99.0")
    assert digest() != base
    monkeypatch.undo()
    fingerprint.grading_code_digest.cache_clear()


def test_the_fingerprint_covers_the_assignment_s_kit_grading_and_reference(tmp_path: Path) -> None:
    course: Course = load_course()
    folder = tmp_path / "assignment"
    shutil.copytree(course.assignment(ASSIGNMENT).source, folder, ignore=shutil.ignore_patterns("__pycache__"))
    moved = dataclasses.replace(course.assignment(ASSIGNMENT), source=folder, reference=folder / "reference.py")
    course = dataclasses.replace(course, assignments={ASSIGNMENT: moved})
    base = grading_fingerprint(course, ASSIGNMENT)
    for changed in ("kit/public_checks.py", "grading/hidden.py", "grading/misconceptions.py", "reference.py"):
        original = (folder / changed).read_bytes()
        (folder / changed).write_bytes(original + b"\n# changed\n")
        assert grading_fingerprint(course, ASSIGNMENT) != base, changed
        (folder / changed).write_bytes(original)
    (folder / "lesson.md").write_text("the lesson decides no grade")
    assert grading_fingerprint(course, ASSIGNMENT) == base
