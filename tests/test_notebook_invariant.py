"""The notebook is what the student ran: grading agrees with what the notebook's own check(...) cells print.

A corpus of notebooks written the ways students write them is built at test time from the release notebook,
its answer cells filled from the reference solution (so it follows both when they change). Each notebook is
executed top to bottom with nbclient, then graded by the real sandboxed grader; every public check must have
the same status (PASS, FAIL or TODO) in both. The release's experiment cells are left out of the corpus: they
are slow and hold no check, and grading never runs their effects anyway.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from autograder.labkit.public_checks import PUBLIC_CHECKS
from nbclient import NotebookClient

from autograder.course import load_course
from autograder.graded import GradedSubmission
from autograder.grading import grade_submission
from autograder.labkit.inprocess import SYMBOLS
from autograder.release.generate import assemble_labkit
from autograder.sample_submissions import solved_notebook, without_experiments
from autograder.submission import Submission, load_file

COURSE = load_course()
ASSIGNMENT = COURSE.assignment("initialization")
PRINTED = re.compile(r"^\[(PASS|FAIL|TODO)\] (\S+): ", re.MULTILINE)  # labkit.inprocess.format_result's lines
SIDE_EFFECT = "EXPERIMENT RAN"
Cell = nbformat.NotebookNode


def filled_release() -> nbformat.NotebookNode:
    """The release notebook with every answer cell holding the reference's functions, experiments left out."""
    release = json.loads((ASSIGNMENT.release / ASSIGNMENT.notebook).read_text())
    source = json.loads(ASSIGNMENT.source_notebook.read_text())
    return nbformat.reads(json.dumps(without_experiments(solved_notebook(release, source))), as_version=4)


def answer(notebook: nbformat.NotebookNode, name: str) -> Cell:
    [cell] = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == name]
    return cell


def insert(notebook: nbformat.NotebookNode, anchor: Cell, source: str, after: bool = False) -> Cell:
    """A new code cell (no metadata: a cell the student added) just before (or after) `anchor`."""
    cell = nbformat.v4.new_code_cell(source)
    notebook.cells.insert(notebook.cells.index(anchor) + after, cell)
    return cell


def code_cell_number(notebook: nbformat.NotebookNode, cell: Cell) -> int:
    return [c for c in notebook.cells if c.cell_type == "code"].index(cell) + 1


def helper_above_forward(notebook: nbformat.NotebookNode) -> None:
    """(a) A helper in a cell of its own above forward's answer cell, which uses it."""
    forward = answer(notebook, "forward")
    forward.source, count = re.subn(r"= (\w+) @ (\w+) \+ (\w+)$", r"= my_affine(\1, \2, \3)", forward.source,
                                    flags=re.M)
    assert count == 1, "the reference's forward no longer computes `Z = A @ W + b` on one line"
    insert(notebook, forward, "def my_affine(A, W, b):\n    return A @ W + b")


def imports_and_helpers_in_own_cells(notebook: nbformat.NotebookNode) -> None:
    """(b) `import numpy as np` in a cell of its own, an import only the helpers use, helpers in other cells."""
    cost = answer(notebook, "compute_cost")
    insert(notebook, answer(notebook, "initialize_zeros"), "import numpy as np")
    insert(notebook, cost, "import numpy as npx")
    insert(notebook, cost, re.sub(r"^def compute_cost\(", "def cross_entropy(", cost.source, flags=re.M))
    insert(notebook, cost, "def as_float(value):\n    return float(npx.asarray(value))")
    cost.source = "def compute_cost(AL, Y):\n    return as_float(cross_entropy(AL, Y))"


def constants_in_own_cell(notebook: nbformat.NotebookNode) -> None:
    """(c) Module-level constants in a cell of their own, used by an answer."""
    zeros = answer(notebook, "initialize_zeros")
    insert(notebook, zeros, "ZERO = 0.0\nBIAS_ROWS = 1\nFIRST_LAYER = 2 ** 0")
    zeros.source = ("def initialize_zeros(layer_dims):\n    params = {}\n"
                    "    for l in range(FIRST_LAYER, len(layer_dims)):\n"
                    '        params[f"W{l}"] = np.full((layer_dims[l - 1], layer_dims[l]), ZERO)\n'
                    '        params[f"b{l}"] = np.full((BIAS_ROWS, layer_dims[l]), ZERO)\n'
                    "    return params")


def redefined_after_its_answer(notebook: nbformat.NotebookNode) -> None:
    """(d) The answer cell left as the stub; the function written (correctly) in a new cell below it."""
    update = answer(notebook, "update_parameters")
    release = nbformat.read(ASSIGNMENT.release / ASSIGNMENT.notebook, as_version=4)
    stub = answer(release, "update_parameters").source
    assert "NotImplementedError" in stub
    insert(notebook, update, update.source, after=True)
    update.source = stub


def side_effects_elsewhere(notebook: nbformat.NotebookNode) -> None:
    """(f) Cells with effects: a seed, a print, a loop, a plot, a file written, and (last) a `del` that would
    break `forward` if grading ran it."""
    insert(notebook, answer(notebook, "initialize_random"), "np.random.seed(1)\nrng = np.random.default_rng(0)")
    notebook.cells.append(nbformat.v4.new_code_cell(
        f'print("{SIDE_EFFECT}")\nwith open("experiment_log.txt", "w") as log:\n    log.write("ran")\n'
        "for step in range(100_000):\n    pass\nimport matplotlib.pyplot as plt\n"
        "plt.plot([0, 1], [0, 1])\nplt.show()\ndel forward"))


def one_wrong_one_missing(notebook: nbformat.NotebookNode) -> None:
    """(g) One wrong function (biases of ones), one left as the stub: the invariant holds on FAIL and TODO."""
    answer(notebook, "initialize_zeros").source = (
        "def initialize_zeros(layer_dims):\n    params = {}\n    for l in range(1, len(layer_dims)):\n"
        '        params[f"W{l}"] = np.zeros((layer_dims[l - 1], layer_dims[l]))\n'
        '        params[f"b{l}"] = np.ones((1, layer_dims[l]))\n    return params')
    release = nbformat.read(ASSIGNMENT.release / ASSIGNMENT.notebook, as_version=4)
    answer(notebook, "worked_example").source = answer(release, "worked_example").source


def execution_counts_out_of_order(notebook: nbformat.NotebookNode) -> None:
    """(e) Saved with execution counts that say the cells ran out of order (applied after running)."""
    code = [c for c in notebook.cells if c.cell_type == "code"]
    for count, cell in zip(range(len(code), 0, -1), code, strict=True):
        cell.execution_count = count


VARIANTS: dict[str, Callable[[nbformat.NotebookNode], None]] = {
    "helper_above_forward": helper_above_forward,
    "imports_and_helpers_in_own_cells": imports_and_helpers_in_own_cells,
    "constants_in_own_cell": constants_in_own_cell,
    "redefined_after_its_answer": redefined_after_its_answer,
    "execution_counts_out_of_order": lambda notebook: None,
    "side_effects_elsewhere": side_effects_elsewhere,
    "one_wrong_one_missing": one_wrong_one_missing,
}
AFTER_RUNNING = {"execution_counts_out_of_order": execution_counts_out_of_order}


@dataclass
class Outcome:
    """One corpus notebook: as built, what its check cells printed, and what the grader made of it."""

    notebook: nbformat.NotebookNode
    folder: Path
    printed: dict[str, str]  # check id -> PASS / FAIL / TODO
    submission: Submission
    graded: GradedSubmission


def printed_statuses(notebook: nbformat.NotebookNode) -> dict[str, str]:
    text = "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code" and "check(" in c.source
                   for o in c.outputs if o.output_type == "stream")
    return {check_id: mark for mark, check_id in PRINTED.findall(text)}


def run_and_grade(name: str, root: Path) -> Outcome:
    folder = root / name
    assemble_labkit(ASSIGNMENT, folder / "labkit")
    notebook = filled_release()
    VARIANTS[name](notebook)
    built = nbformat.from_dict(notebook)  # execution fills in outputs; keep the cells as the student wrote them
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        NotebookClient(notebook, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(folder)}}).execute()
    AFTER_RUNNING.get(name, lambda notebook: None)(notebook)
    path = folder / ASSIGNMENT.notebook
    nbformat.write(notebook, path)
    submission = load_file(path, ASSIGNMENT)
    graded = grade_submission(submission, ASSIGNMENT.name, COURSE, PUBLIC_CHECKS)
    return Outcome(built, folder, printed_statuses(notebook), submission, graded)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    root = tmp_path_factory.mktemp("corpus")
    return {name: run_and_grade(name, root) for name in VARIANTS}


@pytest.mark.parametrize("name", VARIANTS)
def test_grading_agrees_with_what_the_notebook_printed(corpus: dict[str, Outcome], name: str) -> None:
    outcome = corpus[name]
    assert outcome.submission.error is None and outcome.graded.error is None, outcome.graded.error
    graded = {r.check_id: SYMBOLS.get(r.status, "FAIL") for r in outcome.graded.results}
    assert set(outcome.printed) == {c.id for c in PUBLIC_CHECKS}, "every public check printed its status"
    disagreements = {i: (mark, graded[i]) for i, mark in outcome.printed.items() if graded[i] != mark}
    assert not disagreements, {i: (m, [r.feedback for r in outcome.graded.results if r.check_id == i])
                               for i, m in disagreements.items()}


def _marks(outcome: Outcome, function: str) -> set[str]:
    return {mark for check_id, mark in outcome.printed.items()
            if next(c.function for c in PUBLIC_CHECKS if c.id == check_id) == function}


@pytest.mark.parametrize(("name", "function"), [
    ("helper_above_forward", "forward"),
    ("imports_and_helpers_in_own_cells", "compute_cost"),
    ("constants_in_own_cell", "initialize_zeros"),
    ("redefined_after_its_answer", "update_parameters"),
])
def test_code_outside_the_answer_cells_counts(corpus: dict[str, Outcome], name: str, function: str) -> None:
    assert _marks(corpus[name], function) == {"PASS"}


def test_a_later_definition_is_graded_and_the_feedback_says_so(corpus: dict[str, Outcome]) -> None:
    outcome = corpus["redefined_after_its_answer"]
    update = answer(outcome.notebook, "update_parameters")
    later = outcome.notebook.cells[outcome.notebook.cells.index(update) + 1]
    assert outcome.submission.notes == (
        f"`update_parameters` is defined again in code cell {code_cell_number(outcome.notebook, later)} (not its "
        f"answer cell, code cell {code_cell_number(outcome.notebook, update)}); that later definition is the one "
        "graded",)
    assert not corpus["helper_above_forward"].submission.notes


def test_effects_outside_the_answer_cells_do_not_run_when_grading(corpus: dict[str, Outcome]) -> None:
    outcome = corpus["side_effects_elsewhere"]
    assert (outcome.folder / "experiment_log.txt").read_text() == "ran", "the notebook run did run the cell"
    assert SIDE_EFFECT not in outcome.graded.output
    assert _marks(outcome, "forward") == {"PASS"}, "grading did not run the `del forward` either"


def test_the_corpus_has_failures_and_stubs_too(corpus: dict[str, Outcome]) -> None:
    outcome = corpus["one_wrong_one_missing"]
    assert "FAIL" in _marks(outcome, "initialize_zeros")
    assert _marks(outcome, "worked_example") == {"TODO"}
