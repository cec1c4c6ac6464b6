"""The committed student release: current, deterministic, and free of solutions and hidden checks."""

import re
import shutil
from pathlib import Path

import nbformat

from autograder.course import load_course
from autograder.labkit.notebook import RELEASE_INFO
from autograder.plugin import labkit_files
from autograder.release import release_is_current
from autograder.release.generate import build_release
from autograder.release.notebook import build_source_notebook, reference_functions

ASSIGNMENT = load_course().assignment("initialization")
RELEASE = ASSIGNMENT.release


def release_files() -> dict[str, str]:
    """{relative path: text} of every file of the committed release (all of them are text)."""
    return {p.relative_to(RELEASE).as_posix(): p.read_text() for p in sorted(RELEASE.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def solution_lines() -> set[str]:
    """The distinctive lines of the reference's solution regions: statements of some length, not comments, and not
    lines the provided kit (labkit) contains anyway, like `if activation == "relu":`."""
    provided = {line.strip() for p in labkit_files(ASSIGNMENT).values() for line in p.read_text().splitlines()}
    lines = set()
    for source in reference_functions(ASSIGNMENT.reference.read_text()).values():
        for region in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", source, flags=re.DOTALL):
            for line in region.splitlines():
                line = line.strip()
                if len(line) >= 16 and not line.startswith("#") and line not in provided:
                    lines.add(line)
    return lines


def test_the_committed_release_is_current() -> None:
    assert release_is_current(ASSIGNMENT) == [], "run `python -m autograder.release` and commit the result"


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    source = build_source_notebook(ASSIGNMENT)
    build_release(ASSIGNMENT, tmp_path / "one", source)
    build_release(ASSIGNMENT, tmp_path / "two", source)
    one = {p.relative_to(tmp_path / "one"): p.read_bytes() for p in (tmp_path / "one").rglob("*") if p.is_file()}
    two = {p.relative_to(tmp_path / "two"): p.read_bytes() for p in (tmp_path / "two").rglob("*") if p.is_file()}
    assert one == two


def test_a_stale_release_is_reported(tmp_path: Path) -> None:
    copy = tmp_path / "release"
    shutil.copytree(RELEASE, copy)
    (copy / "README.md").write_text("changed\n")
    (copy / "extra.txt").write_text("not in a fresh build\n")
    stale = release_is_current(type(ASSIGNMENT)(**{**ASSIGNMENT.__dict__, "release": copy}))
    assert sorted(Path(s).name for s in stale if Path(s).is_relative_to(copy)) == ["README.md", "extra.txt"]


def test_no_solution_markers_or_hidden_tests() -> None:
    for path, text in release_files().items():
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "grade_function"):
            assert marker not in text, f"{path} contains {marker!r}"


def test_no_line_of_any_solution() -> None:
    lines = solution_lines()
    assert len(lines) > 40, "the filter should keep most solution lines"
    for path, text in release_files().items():
        leaked = lines & {line.strip() for line in text.replace("\\n", "\n").splitlines()}
        assert not leaked, f"{path} contains solution lines {sorted(leaked)}"


def test_every_answer_cell_is_a_stub() -> None:
    notebook = nbformat.read(ASSIGNMENT.release_notebook, as_version=4)
    answers = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert len(answers) == len([n for n, s in reference_functions(ASSIGNMENT.reference.read_text()).items()
                                if "### BEGIN SOLUTION" in s and n != "activation_derivative"])
    for cell in answers:
        assert cell.source.count("raise NotImplementedError()") == len(reference_functions(cell.source))


def test_no_instructor_files_and_labkit_is_the_shipped_kit() -> None:
    files = release_files()
    assert not [p for p in files if Path(p).name in ("reference.py", "lesson.md") or "hidden" in p.lower()]
    shipped = set(labkit_files(ASSIGNMENT)) | {RELEASE_INFO}
    shipped |= {"answers.json"} if ASSIGNMENT.reveal_answers else set()  # the questions' key, for self-study
    assert {p.removeprefix("labkit/") for p in files if p.startswith("labkit/")} == shipped
    for path, text in files.items():
        assert not re.search(r"^\s*(from|import) autograder\b", text, flags=re.MULTILINE), f"{path} imports autograder"
        assert "HIDDEN_CHECKS" not in text


def test_students_get_a_readme_and_requirements() -> None:
    files = release_files()
    assert set(files["requirements.txt"].split()) >= {"numpy>=1.26", "matplotlib>=3.8", "pytest>=8"}
    readme = files["README.md"]
    assert "pip install -r requirements.txt" in readme and "pytest labkit" in readme and "check(" in readme
