"""The notebooks run top to bottom in a real Jupyter kernel, and nbgrader grades the solution with full marks."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.course import ROOT, load_course
from autograder.release.generate import stage_course

ASSIGNMENT = load_course().assignment("initialization")
KERNEL_TIMEOUT = 90
PLOT_CALL = re.compile(r"\bplots\.\w+\(")


def copy_folder(destination: Path) -> Path:
    """The assignment's source folder as nbgrader's source/ holds it (labkit assembled beside the notebook), the
    kernel's cwd, as for a student."""
    return stage_course(ASSIGNMENT, destination, ASSIGNMENT.source_notebook.read_text())


def execute(folder: Path, notebook: str, monkeypatch: pytest.MonkeyPatch) -> nbformat.NotebookNode:
    """Run the notebook in a python3 kernel with cwd = folder; the repo root is importable (autograder.*)."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(folder / notebook, as_version=4)
    NotebookClient(nb, timeout=KERNEL_TIMEOUT, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    return nb


def outputs_of(nb: nbformat.NotebookNode, grade_id_prefix: str = "test_") -> dict[str, list]:
    return {c.metadata.nbgrader.grade_id: c.outputs for c in nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade_id", "").startswith(grade_id_prefix)}


def text_of(outputs: list) -> str:
    return "".join(o.get("text", "") for o in outputs if o.output_type == "stream")


def test_the_solution_notebook_runs_plots_and_earns_every_point(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    folder = copy_folder(tmp_path / "source")
    nb = execute(folder, ASSIGNMENT.notebook, monkeypatch)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    images = sum("image/png" in o.get("data", {}) for c in code for o in c.outputs)
    assert images == sum(len(PLOT_CALL.findall(c.source)) for c in code) >= 10, "every plots.* call shows one figure"
    assert not [c.id for c in code for o in c.outputs if "Skipped (" in o.get("text", "")
                and "initialize_orthogonal" not in c.source], "only the ungraded bonus may skip"
    for grade_id, outputs in outputs_of(nb).items():
        [result] = [o for o in outputs if o.output_type == "execute_result"]
        function = grade_id.removeprefix("test_")
        assert float(result.data["text/plain"]) == ASSIGNMENT.function_points(function), text_of(outputs)
        assert "FAIL" not in text_of(outputs)


def test_the_release_notebook_runs_with_every_check_not_attempted(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "release"
    shutil.copytree(ASSIGNMENT.release, folder, ignore=shutil.ignore_patterns("__pycache__"))
    nb = execute(folder, ASSIGNMENT.notebook, monkeypatch)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    checked = {grade_id: outputs for grade_id, outputs in outputs_of(nb).items()
               if any("check(" in c.source for c in code if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)}
    assert len(checked) >= 10
    for grade_id, outputs in checked.items():
        function = grade_id.removeprefix("test_")
        assert f"-> {function}: not attempted yet." in text_of(outputs), text_of(outputs)
    experiments = [c for c in code if "needs_your_code()" in c.source and "def needs_your_code" not in c.source]
    assert experiments and all("Skipped (" in text_of(c.outputs) for c in experiments)


def nbgrader(course: Path, *args: str) -> None:
    command = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={course}"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    completed = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_nbgrader_autograde_gives_the_solution_full_marks(tmp_path: Path) -> None:
    course = tmp_path / "course"
    name = ASSIGNMENT.name
    source = stage_course(ASSIGNMENT, course, ASSIGNMENT.source_notebook.read_text())
    (course / "nbgrader_config.py").write_text("c = get_config()\nc.ExecutePreprocessor.timeout = 120\n")
    nbgrader(course, "generate_assignment", name, "--force")
    nbgrader(course, "db", "student", "add", "student")
    # The student hands in the solution notebook, with the released labkit beside it.
    submission = course / "submitted" / "student" / name
    shutil.copytree(course / "release" / name, submission)
    shutil.copyfile(source / ASSIGNMENT.notebook, submission / ASSIGNMENT.notebook)
    nbgrader(course, "autograde", name, "--force")
    export = tmp_path / "grades.csv"
    nbgrader(course, "export", f"--CsvExportPlugin.to={export}")
    [row] = [line.split(",") for line in export.read_text().splitlines()[1:]]
    header = export.read_text().splitlines()[0].split(",")
    grades = dict(zip(header, row, strict=True))
    total = sum(ASSIGNMENT.function_points(f) for f in {check_id.split(".")[0] for check_id in ASSIGNMENT.points})
    assert float(grades["raw_score"]) == float(grades["max_score"]) == total
    autograded = json.loads((course / "autograded" / "student" / name / ASSIGNMENT.notebook).read_text())
    assert not [o for c in autograded["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
