"""`autograder check`: a table of public checks and an exit code scripts can use."""

import subprocess
import sys
from pathlib import Path

from autograder.labkit.public_checks import PUBLIC_CHECKS
from conftest import ROOT, reference_source


def run_check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", "check", str(path), "-v"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_reference_passes_every_public_check(tmp_path: Path) -> None:
    submission = tmp_path / "reference.py"
    submission.write_text(reference_source())
    done = run_check(submission)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(PUBLIC_CHECKS)} of {len(PUBLIC_CHECKS)} public checks passed" in done.stdout


def test_a_wrong_he_scale_fails_with_a_diagnosis_and_exit_1(tmp_path: Path) -> None:
    submission = tmp_path / "xavier.py"
    source = reference_source().replace("np.sqrt(2.0 / fan_in)", "np.sqrt(1.0 / fan_in)")
    assert source != reference_source()
    submission.write_text(source)
    done = run_check(submission)
    assert done.returncode == 1
    assert "initialize_he.scale" in done.stdout and "Xavier/LeCun" in done.stdout


def test_unreadable_submission_is_a_clear_error_with_exit_2(tmp_path: Path) -> None:
    submission = tmp_path / "broken.ipynb"
    submission.write_text('{"cells": [')
    done = run_check(submission)
    assert done.returncode == 2 and "not valid JSON" in done.stderr
