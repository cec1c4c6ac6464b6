"""Bulk grading: parallel batch and its reports, determinism, resume after SIGKILL, a worker that dies."""

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, reference_source

from autograder.bulk import grade_batch, submission_key
from autograder.course import load_course
from autograder.graded import GradedSubmission
from autograder.grading import grade_submission
from autograder.journal import JOURNAL_NAME, Journal
from autograder.labkit.framework import Visibility
from autograder.labkit.plan import Status
from autograder.submission import Submission

COURSE = load_course()
ASSIGNMENT = "initialization"
SOLUTION = ROOT / "solutions" / "initialization" / "initialization.ipynb"
RELEASE = ROOT / "assignments" / "initialization" / "initialization.ipynb"
WRONG_HE = reference_source().replace("np.sqrt(2.0 / fan_in)", "np.sqrt(1.0 / fan_in)")  # Xavier, not He
TIMING = re.compile(r'"execution_time": [0-9.e+-]+')


def _batch_folder(root: Path) -> Path:
    """Four submissions: correct notebook, not attempted, a wrong .py, a file that is no notebook."""
    folder = root / "in"
    folder.mkdir()
    shutil.copy(SOLUTION, folder / "alice.ipynb")
    shutil.copy(RELEASE, folder / "bob.ipynb")
    (folder / "carol.ipynb").write_text("{ this is not json")
    (folder / "dave.py").write_text(WRONG_HE)
    return folder


def _outputs(out: Path) -> dict[str, str]:
    """Every output file but the journal, with timings (the only thing allowed to differ) blanked."""
    return {str(p.relative_to(out)): TIMING.sub('"execution_time": T', p.read_bytes().decode("utf-8", "replace"))
            for p in sorted(out.rglob("*")) if p.is_file() and p.name != JOURNAL_NAME}


def _journal_keys(out: Path) -> list[str]:
    """The keys of the journal's complete lines (a batch killed mid-write leaves a torn last one, which the
    journal itself cuts off when it is next opened)."""
    text = (out / JOURNAL_NAME).read_text()
    return [json.loads(line)["key"] for line in text[: text.rfind("\n") + 1].splitlines()]


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[GradedSubmission]]:
    root = tmp_path_factory.mktemp("batch")
    folder = _batch_folder(root)
    paths = sorted(folder.iterdir())
    graded = grade_batch(paths, root / "out", COURSE, ASSIGNMENT, jobs=2)
    return folder, root / "out", graded


def test_batch_writes_every_report(batch: tuple[Path, Path, list[GradedSubmission]]) -> None:
    _, out, graded = batch
    assert [g.student_id for g in graded] == ["alice", "bob", "carol", "dave"]
    for student in ("alice", "bob", "carol", "dave"):
        for name in ("results.json", "feedback.md", "feedback.html"):
            assert (out / "submissions" / student / name).stat().st_size > 0
    for name in ("gradebook.csv", "summary.md", "summary.html"):
        assert (out / name).stat().st_size > 0
    rows = {r["student_id"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    assert float(rows["alice"]["score"]) == float(rows["alice"]["max_score"]) > 0
    assert float(rows["bob"]["score"]) == 0 and rows["bob"]["initialize_he.scale:status"] == "not_attempted"
    assert rows["carol"]["status"] == "error" and "not valid JSON" in rows["carol"]["error"]
    assert rows["dave"]["initialize_he.scale:status"] == "failed"
    assert 0 < float(rows["dave"]["score"]) < float(rows["alice"]["score"])
    assert "not attempted" in (out / "submissions" / "bob" / "feedback.md").read_text()


def test_same_submissions_give_the_same_bytes(batch: tuple[Path, Path, list[GradedSubmission]],
                                             tmp_path: Path) -> None:
    folder, out, _ = batch
    grade_batch(sorted(folder.iterdir()), tmp_path / "again", COURSE, ASSIGNMENT, jobs=1)
    first, second = _outputs(out), _outputs(tmp_path / "again")
    assert first.keys() == second.keys()
    for name in first:
        assert first[name] == second[name], name


def test_grade_a_folder_grades_every_students_file(tmp_path: Path) -> None:
    from autograder.cli import main

    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "alice.py").write_text(reference_source())
    (folder / "dave.py").write_text(WRONG_HE)
    (folder / "roster.csv").write_text("id\nalice\ndave\n")
    assert main(["grade", str(folder), "--out", str(tmp_path / "out"), "--jobs", "2"]) == 0
    rows = {r["student_id"]: r for r in csv.DictReader((tmp_path / "out" / "gradebook.csv").open())}
    assert set(rows) == {"alice", "dave"}  # it used to grade alice.py alone, as the folder "class"
    assert float(rows["alice"]["score"]) == float(rows["alice"]["max_score"]) > float(rows["dave"]["score"]) > 0
    assert rows["dave"]["initialize_he.scale:status"] == "failed"


def test_a_rerun_grades_nothing_twice(batch: tuple[Path, Path, list[GradedSubmission]]) -> None:
    folder, out, graded = batch
    before = _outputs(out)
    again = grade_batch(sorted(folder.iterdir()), out, COURSE, ASSIGNMENT, jobs=2, grader=_must_not_grade)
    assert [g.to_dict() for g in again] == [g.to_dict() for g in graded]
    assert {(type(r.status), type(r.visibility)) for g in again for r in g.results} == {(Status, Visibility)}
    assert len(_journal_keys(out)) == 4
    after = _outputs(out)
    assert after == before


def _must_not_grade(submission: Submission, assignment: str, course: object) -> GradedSubmission:
    raise AssertionError(f"{submission.student_id} was graded again")


def _kill_worker_for_mallory(submission: Submission, assignment: str, course: object) -> GradedSubmission:
    """A grader whose worker process dies (as if the machine's OOM killer took it) on one submission."""
    if submission.student_id == "mallory":
        os.kill(os.getpid(), signal.SIGKILL)
    return grade_submission(submission, assignment, course)


def test_a_submission_that_kills_its_worker_gets_an_error_row(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for student in ("mallory", "alice", "trent"):
        shutil.copy(SOLUTION, folder / f"{student}.ipynb")
    graded = grade_batch(sorted(folder.iterdir()), tmp_path / "out", COURSE, ASSIGNMENT, jobs=2,
                         grader=_kill_worker_for_mallory)
    by_id = {g.student_id: g for g in graded}
    assert "worker died (killed by signal 9)" in by_id["mallory"].error
    assert by_id["mallory"].score == 0 and {r.status for r in by_id["mallory"].results} == {"crashed"}
    assert by_id["alice"].error is None and by_id["alice"].score == by_id["alice"].max_score > 0
    assert by_id["trent"].score == by_id["alice"].score
    rows = {r["student_id"]: r for r in csv.DictReader((tmp_path / "out" / "gradebook.csv").open())}
    assert rows["mallory"]["status"] == "error" and "worker died" in rows["mallory"]["error"]
    results = json.loads((tmp_path / "out" / "submissions" / "mallory" / "results.json").read_text())
    assert results["score"] == 0 and all(t["status"] == "failed" for t in results["tests"])
    # A lost worker may have been the machine's fault: its row is journaled for the reports, marked to be retried,
    # so a rerun grades it again (and only it).
    lines = [json.loads(line) for line in (tmp_path / "out" / JOURNAL_NAME).read_text().splitlines()]
    assert [line["graded"]["student_id"] for line in lines if line.get("retry")] == ["mallory"]
    again = grade_batch(sorted(folder.iterdir()), tmp_path / "out", COURSE, ASSIGNMENT, jobs=2)
    assert {g.student_id: g.score for g in again}["mallory"] == by_id["alice"].score
    assert len(_journal_keys(tmp_path / "out")) == 4


def _slow_batch(folder: Path, count: int) -> list[Path]:
    """Submissions that each take about a second to load, so a batch can be killed half-way."""
    folder.mkdir()
    source = "import time\ntime.sleep(1.0)\n" + reference_source()
    for index in range(count):
        (folder / f"s{index:02d}.py").write_text(source.replace("import time", f"import time  # {index}"))
    return sorted(folder.iterdir())


def _cli(paths: list[Path], out: Path) -> list[str]:
    return [sys.executable, "-m", "autograder", "grade", *map(str, paths), "--out", str(out), "--jobs", "2"]


def test_a_batch_killed_midway_resumes_to_the_same_outputs(tmp_path: Path) -> None:
    paths = _slow_batch(tmp_path / "in", 8)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = tmp_path / "killed"
    batch = subprocess.Popen(_cli(paths, out), env=env, cwd=ROOT, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not (out / JOURNAL_NAME).exists() or "\n" not in (out / JOURNAL_NAME).read_text():
        assert time.monotonic() < deadline and batch.poll() is None, "the batch never journaled a submission"
        time.sleep(0.02)
    os.killpg(batch.pid, signal.SIGKILL)  # the whole batch: parent, workers and sandboxed children
    batch.wait()
    done_before = set(_journal_keys(out))
    assert 1 <= len(done_before) < len(paths), "the kill should land mid-way"

    resumed = subprocess.run(_cli(paths, out), env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(done_before)} already in the journal" in resumed.stderr
    keys = _journal_keys(out)
    assert len(keys) == len(set(keys)) == len(paths)  # nothing lost, nothing graded twice
    assert set(keys[: len(done_before)]) == done_before

    whole = tmp_path / "whole"
    subprocess.run(_cli(paths, whole), env=env, cwd=ROOT, check=True, capture_output=True, timeout=300)
    assert _outputs(out) == _outputs(whole)


def test_journal_forgets_a_torn_last_line(tmp_path: Path) -> None:
    graded = GradedSubmission("ann", "ann.py", [], {"a.b": 1.0}, {"a.b": 1.0}, 0.1, "rlimits")
    journal = Journal(tmp_path / JOURNAL_NAME, "fp")
    journal.append("ann:1", graded)
    with (tmp_path / JOURNAL_NAME).open("ab") as handle:
        handle.write(b'{"key": "bob:2", "fingerp')
    assert journal.scan().done("fp") == {"ann:1"}
    journal.append("bob:2", graded)
    assert Journal(tmp_path / JOURNAL_NAME, "fp").scan().done("fp") == {"ann:1", "bob:2"}
    assert Journal(tmp_path / JOURNAL_NAME, "other settings").scan().done("other settings") == set()


def test_key_is_student_and_content() -> None:
    one = Submission("ann", Path("a/ann.py"), "python", "def f(): pass")
    assert submission_key(one) == submission_key(Submission("ann", Path("b/ann.py"), "python", "def f(): pass"))
    assert submission_key(one) != submission_key(Submission("bob", Path("a/ann.py"), "python", "def f(): pass"))
    assert submission_key(one) != submission_key(Submission("ann", Path("a/ann.py"), "python", "def f(): 1"))


def test_the_journal_tells_execute_mode_and_non_answer_cells_apart() -> None:
    import dataclasses

    from autograder.bulk import submission_key
    from autograder.fingerprint import grading_fingerprint
    from autograder.submission import NOTEBOOK, Submission

    executing = dataclasses.replace(COURSE, grading=dataclasses.replace(COURSE.grading, execute_notebooks=True))
    assert grading_fingerprint(COURSE, ASSIGNMENT) != grading_fingerprint(executing, ASSIGNMENT)
    one = Submission("ada", Path("ada.ipynb"), NOTEBOOK, "def f(): pass", cells=("X = 1", "def f(): pass"))
    assert submission_key(one) != submission_key(dataclasses.replace(one, cells=("X = 2", "def f(): pass")))
