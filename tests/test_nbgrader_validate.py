"""nbgrader's Validate button and a course made of the source notebook alone, with the real nbgrader.

An nbgrader course whose source/<assignment>/ holds only the source notebook (built from this repository, as
`autograder release` writes it): generate_assignment works, the kernel finds labkit through the installed course
package, `nbgrader validate` fails the blank release and a wrong notebook and passes a correct one, and
`nbgrader autograde` gives the correct one full marks.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.course import load_course
from autograder.release.notebook import build_source_notebook

ASSIGNMENT = load_course().assignment("initialization")
NAME = ASSIGNMENT.name
HE_SCALE = "np.sqrt(2.0 / fan_in)"


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    """Run nbgrader in `course`, with no PYTHONPATH: the kernel sees only what is installed."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={course}"],
                          cwd=course, env=env, capture_output=True, text=True, check=False, timeout=900)


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An nbgrader course with the source notebook alone in source/, and its generated release."""
    root = tmp_path_factory.mktemp("nbgrader")
    (root / "source" / NAME).mkdir(parents=True)
    (root / "source" / NAME / ASSIGNMENT.notebook).write_text(build_source_notebook(ASSIGNMENT))
    (root / "nbgrader_config.py").write_text("c = get_config()\nc.ExecutePreprocessor.timeout = 300\n")
    generated = nbgrader(root, "generate_assignment", NAME, "--force")
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert sorted(p.name for p in (root / "release" / NAME).iterdir()) == [ASSIGNMENT.notebook]
    return root


def validate(course: Path, notebook: Path) -> str:
    completed = nbgrader(course, "validate", str(notebook))
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def _solution_with(course: Path, folder: str, old: str = "", new: str = "") -> Path:
    """The source notebook (the solution) in course/folder, with `old` replaced by `new` in its answer cells."""
    notebook = json.loads((course / "source" / NAME / ASSIGNMENT.notebook).read_text())
    for cell in notebook["cells"]:
        if old and cell["metadata"].get("nbgrader", {}).get("solution"):
            cell["source"] = "".join(cell["source"]).replace(old, new)
    path = course / folder / ASSIGNMENT.notebook
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(notebook))
    return path


def test_validate_fails_the_blank_release(course: Path) -> None:
    output = validate(course, course / "release" / NAME / ASSIGNMENT.notebook)
    assert "VALIDATION FAILED" in output and "not attempted" in output.lower()


def test_validate_fails_a_wrong_notebook_and_says_why(course: Path) -> None:
    output = validate(course, _solution_with(course, "wrong", HE_SCALE, "np.sqrt(1.0 / fan_in)"))
    assert "VALIDATION FAILED ON 1 CELL(S)" in output and "initialize_he.scale" in output
    assert "has std" in output  # the check's own feedback, as the learner reads it in Jupyter


def test_validate_passes_a_correct_notebook(course: Path) -> None:
    output = validate(course, _solution_with(course, "correct"))
    assert "Success! Your notebook passes all the tests." in output


def test_autograde_gives_the_correct_notebook_full_marks(course: Path) -> None:
    assert nbgrader(course, "db", "student", "add", "student").returncode == 0
    _solution_with(course, f"submitted/student/{NAME}")
    autograded = nbgrader(course, "autograde", NAME, "--force")
    assert autograded.returncode == 0, autograded.stdout + autograded.stderr
    export = course / "grades.csv"
    assert nbgrader(course, "export", f"--CsvExportPlugin.to={export}").returncode == 0
    header, row = (line.split(",") for line in export.read_text().splitlines()[:2])
    grades = dict(zip(header, row, strict=True))
    total = sum(ASSIGNMENT.function_points(f) for f in {check_id.split(".")[0] for check_id in ASSIGNMENT.points})
    assert float(grades["raw_score"]) == float(grades["max_score"]) == total
