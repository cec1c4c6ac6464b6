"""A self-study learner with only the release folder runs the public checks with pytest, offline."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from autograder.labkit.public_checks import PUBLIC_CHECKS
from conftest import ROOT

RELEASE = ROOT / "assignments" / "initialization"
SOLVED = ROOT / "solutions" / "initialization" / "submissions" / "complete_and_correct.ipynb"


def _pytest_in_release_copy(tmp_path: Path, notebook: Path | None = None) -> subprocess.CompletedProcess:
    folder = tmp_path / "initialization"
    shutil.copytree(RELEASE, folder)  # the release alone: no repository, no autograder package on the path
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NOTEBOOK")}
    if notebook is not None:
        env["NOTEBOOK"] = str(notebook)
    return subprocess.run([sys.executable, "-m", "pytest", "labkit", "-q", "-p", "no:cacheprovider"], cwd=folder,
                          env=env, capture_output=True, text=True, timeout=300)


def test_the_untouched_release_reports_every_public_check_as_todo(tmp_path: Path) -> None:
    done = _pytest_in_release_copy(tmp_path)  # not attempted yet is pytest's "skipped", not a failure
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(PUBLIC_CHECKS)} skipped" in done.stdout and done.stdout.count(" TODO") == len(PUBLIC_CHECKS)


def test_a_solved_notebook_passes_every_public_check(tmp_path: Path) -> None:
    done = _pytest_in_release_copy(tmp_path, SOLVED)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(PUBLIC_CHECKS)} passed" in done.stdout
