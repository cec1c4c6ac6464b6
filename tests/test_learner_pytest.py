"""`pytest labkit` as a learner sees it: one line per check (PASS / FAIL / TODO), TODO as skipped, and a failure
that prints its feedback and nothing else. Runs the current labkit (not the committed release's copy) beside the
release notebook, in a folder of its own, as the release lays them out."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from autograder.labkit.public_checks import PUBLIC_CHECKS
from conftest import ROOT, reference_source

from autograder.course import load_course
from autograder.release.generate import assemble_labkit

ASSIGNMENT = load_course().assignment("initialization")
NOTEBOOK = ROOT / "assignments" / "initialization" / "initialization.ipynb"


def learner_pytest(tmp_path: Path, submission: Path | None = None) -> subprocess.CompletedProcess:
    folder = tmp_path / "initialization"
    assemble_labkit(ASSIGNMENT, folder / "labkit")
    shutil.copyfile(NOTEBOOK, folder / NOTEBOOK.name)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NOTEBOOK")}
    if submission is not None:
        env["NOTEBOOK"] = str(submission)
    return subprocess.run([sys.executable, "-m", "pytest", "labkit", "-p", "no:cacheprovider"], cwd=folder,
                          env=env, capture_output=True, text=True, timeout=300)


def check_lines(output: str) -> dict[str, str]:
    """{check id: PASS / FAIL / TODO} from pytest's one line per test."""
    return dict(re.findall(r"test_public_check\[([\w.]+)\] (PASS|FAIL|TODO)", output))


def test_an_untouched_notebook_is_all_todo_reported_as_skipped(tmp_path: Path):
    done = learner_pytest(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert check_lines(done.stdout) == {c.id: "TODO" for c in PUBLIC_CHECKS}
    assert f"{len(PUBLIC_CHECKS)} skipped in" in done.stdout


def test_a_mistake_fails_one_line_with_its_feedback_and_no_dump(tmp_path: Path):
    submission = tmp_path / "mine.py"
    submission.write_text(reference_source().replace("dZ1 = dZ2 @ np.asarray(W2, dtype=np.float64).T",
                                                     "dZ1 = dZ2 @ dW2.T"))
    done = learner_pytest(tmp_path, submission)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = check_lines(done.stdout)
    assert lines == {c.id: "FAIL" if c.function == "worked_example" else "PASS" for c in PUBLIC_CHECKS}
    assert "the course text's own error" in done.stdout
    for dump in ("Result(", "Check(", "student_namespace", "Traceback", "assert ", "def test_public_check"):
        assert dump not in done.stdout, dump
