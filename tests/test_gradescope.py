"""Gradescope: build autograder.zip, unpack it as Gradescope does, run its run_autograder on submissions."""

import json
import os
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
from autograder.gradescope import build_autograder_zip

SOLUTION = ROOT / "solutions" / "initialization" / "initialization.ipynb"
RELEASE = ROOT / "assignments" / "initialization" / "initialization.ipynb"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """/autograder as Gradescope lays it out: the zip unpacked into source/, run_autograder copied beside it."""
    root = tmp_path_factory.mktemp("gradescope") / "autograder"
    archive = build_autograder_zip(root.parent / "autograder.zip")
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(root / "source")
        for info in zipped.infolist():  # extractall drops the mode bits; Gradescope keeps them
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777 or 0o644)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    return root


def _run(bundle: Path, notebook: Path, email: str) -> dict:
    submission = bundle / "submission"
    shutil.rmtree(submission, ignore_errors=True)
    submission.mkdir()
    shutil.copy(notebook, submission / "initialization.ipynb")
    (bundle / "submission_metadata.json").write_text(json.dumps({"users": [{"email": email, "name": "A"}]}))
    (bundle / "results").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # only the bundled package may be used
    env.update(AUTOGRADER_ROOT=str(bundle), PYTHON=sys.executable)
    done = subprocess.run([str(bundle / "run_autograder")], env=env, cwd="/", capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert email in done.stderr
    return json.loads((bundle / "results" / "results.json").read_text())


def test_zip_holds_setup_run_and_the_whole_grader(bundle: Path) -> None:
    source = bundle / "source"
    setup = (source / "setup.sh").read_text()
    assert "bubblewrap" in setup and all(p in setup for p in ("numpy", "scipy", "matplotlib", "nbformat"))
    assert (source / "run_autograder").stat().st_mode & stat.S_IXUSR
    for path in ("autograder/run/isolated.py", "course.toml", "solutions/initialization/reference.py",
                 "solutions/initialization/labkit/plan.py", "assignments/initialization/initialization.ipynb"):
        assert (source / path).is_file(), path
    assert not list(source.rglob("__pycache__"))


def test_run_autograder_grades_the_solution_to_full_marks(bundle: Path) -> None:
    results = _run(bundle, SOLUTION, "ann@example.edu")
    assert_results_schema(results)
    checks = {c.id: c for c in assignment_checks("initialization")}
    assert results["score"] > 0
    assert results["score"] == pytest.approx(sum(t["max_score"] for t in results["tests"]))
    assert [t["name"].split(":")[0] for t in results["tests"]] == list(checks)
    assert all(t["status"] == "passed" for t in results["tests"])
    for test in results["tests"]:
        public = checks[test["name"].split(":")[0]].visibility == "public"
        assert test["visibility"] == ("visible" if public else "after_published")


def test_run_autograder_gives_the_release_nothing(bundle: Path) -> None:
    results = _run(bundle, RELEASE, "ben@example.edu")
    assert_results_schema(results)
    assert results["score"] == 0 and results["tests"]
    assert any(t["output"].startswith("[not attempted]") for t in results["tests"])
