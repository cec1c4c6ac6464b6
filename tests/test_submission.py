"""Submissions: notebooks by their answer cells, .py files, folders, LMS archives, and every malformed kind."""

import ast
import dataclasses
import json
import stat
import zipfile
from pathlib import Path

import pytest
from conftest import REFERENCE, reference_source
from grading_helpers import tight_course

from autograder.course import load_course
from autograder.grading import grade_submission
from autograder.labkit.notebook import read_cells, setup_code
from autograder.submission import (
    NOTEBOOK,
    PYTHON,
    graded_names,
    load_file,
    load_submissions,
    load_zip,
    release_preamble,
)

ASSIGNMENT = load_course().assignment("initialization")
SETUP = "import numpy as np\nfrom labkit import check, data, plots\nfrom labkit.activations import activate, saturated"


def _functions() -> dict[str, str]:
    """The reference's functions' code, by name."""
    source = reference_source()
    return {node.name: ast.get_source_segment(source, node) for node in ast.parse(source).body
            if isinstance(node, ast.FunctionDef)}


def code_cell(source: str, nbgrader: dict | None = None) -> dict:
    """A notebook code cell (nbformat 4), with nbgrader metadata if given."""
    metadata = {"nbgrader": nbgrader} if nbgrader else {}
    return {"cell_type": "code", "execution_count": None, "metadata": metadata, "outputs": [],
            "source": source.splitlines(keepends=True)}


def notebook_of(cells: list[dict]) -> dict:
    """A notebook (nbformat 4) made of these cells."""
    return {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
            "nbformat": 4, "nbformat_minor": 5}


def _answer(name: str, source: str, metadata: bool = True) -> dict:
    nbgrader = {"grade_id": name, "solution": True, "grade": False, "locked": False}
    return code_cell(source, nbgrader if metadata else None)


def filled_notebook(metadata: bool = True, skip: tuple[str, ...] = ()) -> dict:
    """A student's notebook: setup, one answer cell per graded function, plus cells that must not matter."""
    functions = _functions()
    setup = code_cell(SETUP, {"grade_id": "setup", "solution": False, "locked": True})
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# Weight initialization"}, setup]
    for name in sorted(graded_names(ASSIGNMENT)):
        if name not in functions or name in skip:
            continue
        code = functions[name] + ("\n\n" + functions["activation_derivative"] if name == "backward" else "")
        cells += [_answer(name, "%matplotlib inline\n" + code, metadata), code_cell(f"check({name})")]
    cells += [
        code_cell("!pip install something\nwhile True:\n    pass  # a long experiment"),
        code_cell("def plot_it():\n    raise SystemExit\nplot_it()"),
        code_cell("initialize_he = None  # re-bound in an experiment"),
    ]
    return notebook_of(cells)


def _write(path: Path, notebook: dict) -> Path:
    path.write_text(json.dumps(notebook, indent=1))
    return path


def test_a_notebook_is_graded_by_its_answer_cells_and_other_cells_definitions(tmp_path: Path) -> None:
    submission = load_file(_write(tmp_path / "ada.ipynb", filled_notebook()), ASSIGNMENT)
    assert submission.error is None and submission.kind == NOTEBOOK and submission.student_id == "ada"
    assert "def initialize_he(" in submission.source and "def activation_derivative(" in submission.source
    for absent in ("while True", "%matplotlib", "!pip", "initialize_he = None", "check(initialize_he)"):
        assert absent not in submission.source
    assert "def plot_it(" in submission.source, "a definition in another cell is kept; its call is not"
    # The experiment cell's `while True` (and plot_it's SystemExit) would stop the load if they ran: full marks
    # prove they did not.
    graded = grade_submission(submission, "initialization", tight_course())
    assert graded.score == graded.max_score > 0, [r for r in graded.results if not r.passed]


def test_stripped_metadata_falls_back_to_the_graded_functions(tmp_path: Path) -> None:
    with_metadata = load_file(_write(tmp_path / "a.ipynb", filled_notebook()), ASSIGNMENT)
    stripped = load_file(_write(tmp_path / "b.ipynb", filled_notebook(metadata=False)), ASSIGNMENT)
    assert stripped.error is None and stripped.source == with_metadata.source


def test_a_function_rewritten_in_a_new_cell_still_counts(tmp_path: Path) -> None:
    notebook = filled_notebook(skip=("initialize_he",))
    notebook["cells"].insert(3, code_cell(_functions()["initialize_he"]))
    submission = load_file(_write(tmp_path / "a.ipynb", notebook), ASSIGNMENT)
    assert "def initialize_he(" in submission.source and "while True" not in submission.source


def test_a_py_file_and_a_folder(tmp_path: Path) -> None:
    (tmp_path / "bob.py").write_text(reference_source())
    assert load_file(tmp_path / "bob.py", ASSIGNMENT) == load_submissions([tmp_path / "bob.py"])[0]
    python = load_file(tmp_path / "bob.py", ASSIGNMENT)
    assert python.kind == PYTHON and python.source == reference_source() and python.student_id == "bob"
    folder = tmp_path / "carol"
    (folder / ".ipynb_checkpoints").mkdir(parents=True)
    _write(folder / ".ipynb_checkpoints" / "initialization-checkpoint.ipynb", notebook_of([]))
    _write(folder / "initialization.ipynb", filled_notebook())
    (folder / "notes.py").write_text("x = 1\n")
    submission = load_file(folder, ASSIGNMENT)
    assert submission.error is None and submission.student_id == "carol" and submission.kind == NOTEBOOK
    assert submission.path == folder / "initialization.ipynb"


@pytest.mark.parametrize(("name", "data", "words"), [
    ("a.ipynb", b"", "empty"),
    ("a.ipynb", b"  \n", "empty"),
    ("a.ipynb", b'{"cells": [', "not valid JSON"),
    ("a.ipynb", b"[1, 2, 3]", "not a Jupyter notebook"),
    ("a.ipynb", b'{"metadata": {}}', "not a Jupyter notebook"),
    ("a.ipynb", json.dumps(notebook_of([])).encode(), "no answer cell"),
    ("a.ipynb", json.dumps(notebook_of([code_cell("def helper():\n    pass")])).encode(), "no graded function"),
    ("a.ipynb", b"\xff\xfe\x00garbage", "not UTF-8"),
    ("a.py", b"print('hello')\n", "defines none of the graded functions"),
    ("a.txt", b"def initialize_he(layer_dims): pass", "not a notebook"),
])
def test_a_malformed_file_is_a_row_with_a_clear_error(tmp_path: Path, name: str, data: bytes, words: str) -> None:
    (tmp_path / name).write_bytes(data)
    submission = load_file(tmp_path / name, ASSIGNMENT)
    assert submission.error is not None and words in submission.error and submission.source == ""
    graded = grade_submission(submission, "initialization", tight_course())
    assert graded.error == submission.error and graded.score == 0.0
    assert {r.status for r in graded.results} == {"error"} and graded.max_score > 0


def test_missing_files_and_empty_folders(tmp_path: Path) -> None:
    assert "cannot be read" in load_file(tmp_path / "gone.ipynb", ASSIGNMENT).error
    (tmp_path / "empty").mkdir()
    assert "no .ipynb or .py" in load_file(tmp_path / "empty", ASSIGNMENT).error


def _folder(root: Path, files: dict[str, str | bytes]) -> Path:
    """A folder holding these files (relative names; text or bytes)."""
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data.encode() if isinstance(data, str) else data)
    return root


def test_a_folder_of_student_files_is_one_row_per_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = _folder(tmp_path / "class", {"alice.py": reference_source(), "bob.ipynb": json.dumps(filled_notebook()),
                                          "carol.ipynb": "{ not json", "dave.py": "print('hello')\n",
                                          "roster.csv": "id,name\n"})
    rows = {s.student_id: s for s in load_submissions([folder])}
    assert set(rows) == {"alice", "bob", "carol", "dave"}  # it used to grade alice.py and drop the rest
    assert rows["alice"].error is None and rows["bob"].error is None and rows["bob"].kind == NOTEBOOK
    assert "not valid JSON" in rows["carol"].error and "defines none" in rows["dave"].error
    assert "roster.csv" in caplog.text  # a file that is no submission is named, not dropped in silence


def test_a_folder_with_one_candidate_is_one_submission(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "ada", {"initialization.ipynb": json.dumps(filled_notebook()),
                                        "helpers.py": "SCALE = 2\n", "data/circles.csv": "x,y\n",
                                        ".ipynb_checkpoints/initialization-checkpoint.ipynb": "{}"})
    [row] = load_submissions([folder])
    assert row.student_id == "ada" and row.error is None and row.path == folder / "initialization.ipynb"


def test_each_sub_folder_is_a_student(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "class", {
        "ann/initialization.ipynb": json.dumps(filled_notebook()), "ann/scratch.py": reference_source(),
        "ben/work/solution.py": reference_source(),
        "cy/readme.txt": "nothing yet",
        "dora/a.py": reference_source(), "dora/b.py": reference_source(),
        "eve.py": reference_source(),
    })
    rows = {s.student_id: s for s in load_submissions([folder])}
    assert set(rows) == {"ann", "ben", "cy", "dora", "eve"}
    assert rows["ann"].path.name == "initialization.ipynb" and rows["ann"].error is None  # the assignment's wins
    assert rows["ben"].error is None and rows["eve"].error is None
    assert "no .ipynb or .py" in rows["cy"].error and "readme.txt" in rows["cy"].error
    assert "several files could be the submission (dora/a.py, dora/b.py)" in rows["dora"].error


def test_an_ambiguous_folder_is_one_error_that_lists_what_it_found(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "mixed", {"initialization.ipynb": json.dumps(filled_notebook()),
                                          "extra.py": reference_source(), "old/initialization.ipynb": "{}"})
    [row] = load_submissions([folder])
    assert row.student_id == "mixed" and "ambiguous" in row.error
    assert all(name in row.error for name in ("initialization.ipynb", "extra.py", "old/"))


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


NOTEBOOK_BYTES = json.dumps(filled_notebook()).encode()


def test_canvas_moodle_and_plain_archives(tmp_path: Path) -> None:
    canvas = _zip(tmp_path / "canvas.zip", {
        "lovelace_12345_67890_initialization.ipynb": NOTEBOOK_BYTES,
        "hopper_LATE_23456_78901_initialization-1.ipynb": NOTEBOOK_BYTES,
        "turing_34567_89012_initialization.py": reference_source().encode(),
    })
    assert [(s.student_id, s.kind, s.error) for s in load_zip(canvas, ASSIGNMENT)] == [
        ("hopper_23456", NOTEBOOK, None), ("lovelace_12345", NOTEBOOK, None), ("turing_34567", PYTHON, None)]
    moodle = _zip(tmp_path / "moodle.zip", {
        "Ada Lovelace_12345_assignsubmission_file_/initialization.ipynb": NOTEBOOK_BYTES,
        "Grace Hopper_23456_assignsubmission_file_/my work/initialization.ipynb": NOTEBOOK_BYTES,
        "Alan Turing_34567_assignsubmission_file_/readme.txt": b"nothing here",
    })
    loaded = load_zip(moodle, ASSIGNMENT)
    assert [s.student_id for s in loaded] == ["Ada Lovelace_12345", "Alan Turing_34567", "Grace Hopper_23456"]
    assert loaded[0].error is None and loaded[2].error is None and "no .ipynb or .py" in loaded[1].error
    plain = _zip(tmp_path / "plain.zip", {"ada.ipynb": NOTEBOOK_BYTES, "bob/initialization.ipynb": NOTEBOOK_BYTES})
    assert [s.student_id for s in load_submissions([plain])] == ["ada", "bob"]


def test_gradescope_archive(tmp_path: Path) -> None:
    metadata = (b"submission_111:\n  :submitters:\n  - :name: Ada Lovelace\n    :sid: '12345'\n"
                b"    :email: ada@example.edu\n  :created_at: 2026-11-01\nsubmission_222:\n  :submitters:\n"
                b"  - :name: Grace Hopper\n    :email: grace@example.edu\n")
    archive = _zip(tmp_path / "gs.zip", {
        "assignment_9_export/submission_metadata.yml": metadata,
        "assignment_9_export/submission_111/initialization.ipynb": NOTEBOOK_BYTES,
        "assignment_9_export/submission_222/solution.py": reference_source().encode(),
    })
    loaded = load_zip(archive, ASSIGNMENT)
    assert [(s.student_id, s.kind, s.error) for s in loaded] == [
        ("12345", NOTEBOOK, None), ("grace@example.edu", PYTHON, None)]


def test_path_traversal_and_links_are_refused(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("../../escaped.py", reference_source())
        out.writestr("/abs/olute.py", reference_source())
        link = zipfile.ZipInfo("link.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        out.writestr(link, str(REFERENCE))
        out.writestr("honest.ipynb", NOTEBOOK_BYTES)
    loaded = load_zip(archive, ASSIGNMENT)
    errors = sorted(s.error for s in loaded if s.error)
    assert len(errors) == 3
    assert sum("a path leaving the archive" in e for e in errors) == 2 and sum("a link" in e for e in errors) == 1
    assert [s.student_id for s in loaded if s.error is None] == ["honest"]
    assert not (tmp_path.parent / "escaped.py").exists() and not Path("/abs").exists()


def test_zip_bombs_and_huge_archives_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = _zip(tmp_path / "bomb.zip", {"bomb.py": b"\0" * (30 * 2**20), "ok.py": reference_source().encode()})
    loaded = load_zip(bomb, ASSIGNMENT)
    assert "compression ratio" in next(s.error for s in loaded if s.student_id == "bomb")
    assert next(s for s in loaded if s.student_id == "ok").error is None
    monkeypatch.setattr("autograder.submission.MAX_ARCHIVE_ENTRIES", 2)
    many = _zip(tmp_path / "many.zip", {f"s{i}.py": b"x" for i in range(3)})
    [refused] = load_zip(many, ASSIGNMENT)
    assert "more than 2 entries" in refused.error
    monkeypatch.setattr("autograder.submission.MAX_ARCHIVE_BYTES", 10)
    [refused] = load_zip(_zip(tmp_path / "big.zip", {"a.py": b"x" * 11}), ASSIGNMENT)
    assert "uncompressed" in refused.error


def test_a_broken_archive_is_a_row_with_an_error(tmp_path: Path) -> None:
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 definitely not a zip")
    [row] = load_submissions([tmp_path / "broken.zip"])
    assert row.student_id == "broken" and "archive refused or unreadable" in row.error


def test_preamble_and_graded_names_come_from_the_release(tmp_path: Path) -> None:
    elsewhere = dataclasses.replace(ASSIGNMENT, release=tmp_path)
    # without a release, the source notebook's setup cell
    assert release_preamble(elsewhere) == setup_code(read_cells(ASSIGNMENT.source_notebook.read_text()))
    assert {"initialize_he", "backward", "worked_example"} <= graded_names(elsewhere)
    _write(tmp_path / ASSIGNMENT.notebook, filled_notebook())
    assert release_preamble(elsewhere) == SETUP
    assert "activation_derivative" not in graded_names(elsewhere) and "initialize_he" in graded_names(elsewhere)
    notebook = json.loads((tmp_path / ASSIGNMENT.notebook).read_text())
    assert len(graded_names(elsewhere)) == sum(
        c.get("metadata", {}).get("nbgrader", {}).get("solution") is True for c in notebook["cells"])
