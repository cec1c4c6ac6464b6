"""Gradescope: build autograder.zip, unpack it as Gradescope does, run its run_autograder on submissions.

Gradescope unpacks the zip into /autograder/source, copies run_autograder to /autograder, puts the submission in
/autograder/submission and its metadata in /autograder/submission_metadata.json, and shows students only
/autograder/results/results.json. Here a temporary folder plays /autograder (AUTOGRADER_ROOT), and every path,
the grader's own failures included, must end with a valid results.json.
"""

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT
from test_reports import assert_results_schema

from autograder.checks import assignment_checks
from autograder.course import load_course
from autograder.gradescope import GRADER_FAILED, build_autograder_zip

SOLUTION = ROOT / "solutions" / "initialization" / "initialization.ipynb"
RELEASE = ROOT / "assignments" / "initialization" / "initialization.ipynb"
SAMPLES = ROOT / "solutions" / "initialization" / "submissions"
CORRECT, WRONG = SAMPLES / "complete_and_correct.ipynb", SAMPLES / "he_with_xavier_scale.py"
ANN = {"name": "Ann Lee", "email": "ann@example.edu", "id": 1}


def unpack_bundle(archive: Path, root: Path) -> Path:
    """/autograder as Gradescope lays it out: the zip unpacked into source/, run_autograder copied beside it."""
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(root / "source")
        for info in zipped.infolist():  # extractall drops the mode bits; Gradescope keeps them
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777 or 0o644)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    return root


def run_autograder(root: Path, submission: list[Path] | None, python: str = sys.executable,
                   users: list[dict] | None = None, **env: str) -> tuple[dict, str]:
    """Run root/run_autograder on a submission folder holding `submission`'s files (None: no folder at all);
    returns results.json, checked against Gradescope's schema, and what the script printed on stderr."""
    folder = root / "submission"
    shutil.rmtree(folder, ignore_errors=True)
    if submission is not None:
        folder.mkdir()
        for file in submission:
            shutil.copy(file, folder / ("initialization.ipynb" if file.suffix == ".ipynb" else file.name))
    (root / "submission_metadata.json").write_text(json.dumps({"users": users or [ANN]}))
    full_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # only the bundled package may be used
    full_env.update(AUTOGRADER_ROOT=str(root), PYTHON=python, **env)
    done = subprocess.run([str(root / "run_autograder")], env=full_env, cwd="/", capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr  # results.json, not the exit status, tells Gradescope what happened
    results = json.loads((root / "results" / "results.json").read_text())
    assert_results_schema(results)
    return results, done.stderr


def assert_grader_failed(results: dict, *reasons: str) -> None:
    """results.json of a grader that could not grade: no grade, and a message a student can forward."""
    assert results["score"] == 0 and results["tests"] == []
    assert results["output"].startswith(GRADER_FAILED)
    assert "forward this whole message to your instructor" in results["output"]
    for reason in reasons:
        assert reason in results["output"], results["output"]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gradescope")
    return unpack_bundle(build_autograder_zip(root / "autograder.zip"), root / "autograder")


@pytest.fixture
def broken_bundle(bundle: Path, tmp_path: Path) -> Path:
    """A copy of the unpacked bundle, for a test to break."""
    return Path(shutil.copytree(bundle, tmp_path / "autograder", symlinks=True))


def test_zip_holds_setup_run_and_the_whole_grader(bundle: Path) -> None:
    source = bundle / "source"
    setup = (source / "setup.sh").read_text()
    assert "bubblewrap" in setup and all(p in setup for p in ("numpy", "scipy", "matplotlib", "nbformat"))
    assert "tomli" in setup  # Ubuntu 22.04's python3 is 3.10, which has no tomllib
    assert (source / "run_autograder").stat().st_mode & stat.S_IXUSR
    for path in ("autograder/run/isolated.py", "course.toml", "solutions/initialization/reference.py",
                 "solutions/initialization/kit/public_checks.py", "solutions/initialization/grading/hidden.py",
                 "assignments/initialization/initialization.ipynb", "assignments/initialization/labkit/plan.py"):
        assert (source / path).is_file(), path
    assert not list(source.rglob("__pycache__"))


def test_run_autograder_grades_the_solution_to_full_marks(bundle: Path) -> None:
    results, stderr = run_autograder(bundle, [SOLUTION])
    assert ANN["email"] in stderr
    checks = {c.id: c for c in assignment_checks(load_course().assignment("initialization"))}
    assert results["score"] > 0
    assert results["score"] == pytest.approx(sum(t["max_score"] for t in results["tests"]))
    assert [t["name"].split(":")[0] for t in results["tests"]] == list(checks)
    assert all(t["status"] == "passed" for t in results["tests"])
    for test in results["tests"]:
        public = checks[test["name"].split(":")[0]].visibility == "public"
        assert test["visibility"] == ("visible" if public else "after_published")
    assert "Group submission" not in results["output"]


def test_run_autograder_gives_the_release_nothing(bundle: Path) -> None:
    results, _ = run_autograder(bundle, [RELEASE])
    assert results["score"] == 0 and results["tests"]
    assert any(t["output"].startswith("[not attempted]") for t in results["tests"])


def test_a_group_is_graded_once_and_its_results_name_every_member(bundle: Path) -> None:
    ben = {"name": "Ben O'Neil", "email": "ben@example.edu", "id": 2}
    cat = {"name": "", "email": "cat@example.edu", "id": 3}
    results, stderr = run_autograder(bundle, [WRONG], users=[ANN, ben, cat])
    total = sum(t["max_score"] for t in results["tests"])
    assert 0 < results["score"] < total
    first = results["output"].splitlines()[0]
    assert first == ("Group submission, graded once for all its members: Ann Lee <ann@example.edu>, "
                     "Ben O'Neil <ben@example.edu>, cat@example.edu")
    # One grading, under the first member's id.
    graded = re.findall(r"^\S+: [\d.]+ / [\d.]+$", stderr, re.MULTILINE)
    assert graded == [f"{ANN['email']}: {results['score']:g} / {total:g}"]


@pytest.mark.parametrize("files", [None, []], ids=["no submission folder", "empty submission folder"])
def test_an_empty_submission_scores_zero_and_says_what_to_upload(bundle: Path, files: list[Path] | None) -> None:
    results, _ = run_autograder(bundle, files)
    assert results["score"] == 0 and results["tests"] and all(t["status"] == "failed" for t in results["tests"])
    assert "nothing was uploaded; submit your initialization.ipynb" in results["output"]


def test_a_submission_without_a_notebook_scores_zero_and_says_so(bundle: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my answers are in my head\n")
    results, _ = run_autograder(bundle, [notes])
    assert results["score"] == 0 and results["tests"]
    assert "no .ipynb or .py file" in results["output"]


def test_a_grader_that_cannot_be_imported_still_writes_results(broken_bundle: Path) -> None:
    course = broken_bundle / "source" / "autograder" / "course.py"
    course.write_text(course.read_text() + "\ndef broken(:\n")  # a bad edit shipped in the zip
    results, stderr = run_autograder(broken_bundle, [CORRECT])
    assert "SyntaxError" in stderr  # the instructor's log keeps the traceback
    assert_grader_failed(results, "exit status 1", "course.py", "SyntaxError")


def test_a_grader_missing_a_module_still_writes_results(broken_bundle: Path) -> None:
    (broken_bundle / "source" / "autograder" / "run" / "isolated.py").unlink()  # imported only when grading
    results, _ = run_autograder(broken_bundle, [CORRECT])
    assert_grader_failed(results, "ModuleNotFoundError", "autograder.run.isolated")
    assert results["extra_data"]["grader_error"].startswith("ModuleNotFoundError")


def test_a_missing_python_still_writes_results(bundle: Path) -> None:
    results, _ = run_autograder(bundle, [CORRECT], python="/nonexistent/python3")
    assert_grader_failed(results, "exit status 127", "/nonexistent/python3")


def test_refused_isolation_writes_results_that_say_why(broken_bundle: Path, tmp_path: Path) -> None:
    course = broken_bundle / "source" / "course.toml"
    text = course.read_text()
    assert 'isolation = "auto"' in text
    course.write_text(text.replace('isolation = "auto"', 'isolation = "bubblewrap"'))
    tools = tmp_path / "bin"  # the commands run_autograder uses, without bwrap
    tools.mkdir()
    for tool in ("bash", "env", "mktemp", "rm", "mkdir", "tee", "tail", "tr", "head"):
        (tools / tool).symlink_to(shutil.which(tool))
    results, _ = run_autograder(broken_bundle, [CORRECT], PATH=str(tools))
    assert_grader_failed(results, "SandboxUnavailableError", "bubblewrap does not work")
