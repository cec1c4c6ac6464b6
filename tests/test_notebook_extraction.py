"""What grading runs of a notebook: its answer cells, the definitions of every other cell, never their effects."""

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autograder.graded import GradedSubmission
from autograder.labkit.framework import Result, Visibility
from autograder.labkit.notebook import (
    MAX_CELL_NOTES,
    MAX_PARSED_CELL,
    NotebookError,
    answer_code,
    defined_functions,
    extract,
    load_functions,
    read_cells,
)
from autograder.labkit.plan import Status
from autograder.reports.feedback import feedback_html, feedback_markdown
from autograder.reports.results_json import results_json

NAMES = frozenset({"forward", "compute_cost"})
BLANK_LINES = 200_000


def cell(source: str, answer: str | None = None) -> dict:
    """A code cell; an answer cell of the graded function `answer` if given."""
    nbgrader = {"grade_id": answer, "solution": True, "grade": False, "locked": False} if answer else None
    return {"cell_type": "code", "execution_count": None, "metadata": {"nbgrader": nbgrader} if nbgrader else {},
            "outputs": [], "source": source}


def run(source: str) -> dict[str, Any]:
    """Execute extracted code as the grader's child does (after a setup that imports numpy); what it printed
    must be nothing."""
    namespace: dict[str, Any] = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile("import numpy as np\n" + source, "<student code>", "exec"), namespace)
    assert printed.getvalue() == ""
    return namespace


STUDENT_CELLS = [
    cell("import numpy as np\nfrom math import sqrt\nimport not_installed_here as plotting_extras"),
    cell("EPS = 1e-7\nDIMS = [2, 10, 1]\nlr = 0.01\nSCALE = 2 ** 0.5\nn_x, n_y = 2, 1\nlr *= 2\n"
         "rng = np.random.default_rng()\nnp.random.seed(1)\nprint('seeded')"),
    cell("%matplotlib inline\ndef traced(function):\n    return function\n\n@traced\ndef my_affine(A, W, b):\n"
         "    return A @ W + b\n\nclass Layer:\n    units = 3\n\n"
         "for step in range(3):\n    print(step)\nwith open('written.txt', 'w') as f:\n    f.write('x')"),
    cell("def forward(X, params):\n    return my_affine(X, params['W1'], params['b1']), []", "forward"),
    cell("def compute_cost(AL, Y):\n    return float(-np.mean(Y * np.log(AL + EPS)))", "compute_cost"),
    cell("def plot_it(values=DATA):  # DATA came from a call, so this definition cannot be made\n    pass\n"
         "def helper(x=DIMS):\n    return x\nDIMS = [3]\nforward = None\ncompute_cost = lambda AL, Y: 0.0"),
    cell("x = = 1\ndef lost(): pass"),
    cell("%%bash\ndef not_python_either():\n    echo hi"),
    cell("%%time\nWARMUP = 3"),
]


def test_definitions_of_every_cell_run_in_order_and_nothing_else(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    extraction = extract(STUDENT_CELLS, NAMES)
    namespace = run(extraction.source)
    assert namespace["forward"](np.ones((1, 2)), {"W1": np.ones((2, 1)), "b1": np.ones((1, 1))})[0][0, 0] == 3.0
    assert namespace["EPS"] == 1e-7 and namespace["SCALE"] == 2 ** 0.5
    assert (namespace["n_x"], namespace["lr"]) == (2, 0.02)
    assert namespace["Layer"].units == 3 and namespace["sqrt"](4) == 2
    assert namespace["DIMS"] == [3] and namespace["helper"]() == [2, 10, 1], "in notebook order"
    # Effects did not run, a definition that fails is skipped, constants never replace a graded function.
    assert not (tmp_path / "written.txt").exists() and "rng" not in namespace and "plot_it" not in namespace
    assert namespace["compute_cost"].__name__ == "compute_cost" and callable(namespace["forward"])
    assert "lost" not in namespace and "not_python_either" not in namespace and namespace["WARMUP"] == 3
    assert extraction.notes == ("code cell 7 is not valid Python (line 1: invalid syntax), so the functions it "
                                "defines were not graded",)


def test_answer_cells_go_in_verbatim() -> None:
    broken = [cell("import numpy as np"), cell("def forward(X, params)\n    return X", "forward")]
    assert "def forward(X, params)\n    return X" in answer_code(broken, NAMES)
    with pytest.raises(SyntaxError):
        run(answer_code(broken, NAMES))
    with pytest.raises(NotebookError, match="no answer cell"):
        extract([cell("def helper():\n    pass\nhelper()")], NAMES)


def test_a_graded_function_defined_again_later_is_graded_and_noted() -> None:
    cells = [cell("def forward(X, params):\n    return 'earlier'"),  # above the answer cell: the answer wins
             cell("def forward(X, params):\n    raise NotImplementedError", "forward"),
             cell("check(forward)"),
             cell("import numpy as np\n\ndef forward(X, params):\n    return 'later'\n\nforward(1, 2)")]
    extraction = extract(cells, NAMES)
    assert run(extraction.source)["forward"](0, 0) == "later"
    assert extraction.notes == ("`forward` is defined again in code cell 4 (not its answer cell, code cell 2); "
                                "that later definition is the one graded",)
    assert extract(cells[:3], NAMES).notes == ()
    with pytest.raises(NotImplementedError):  # the answer cell's, not the one above it
        run(extract(cells[:3], NAMES).source)["forward"](0, 0)


def test_stripped_metadata_and_names_from_the_notebook_itself(tmp_path: Path) -> None:
    with_metadata = [cell("EPS = 0.5"), cell("def forward(X, params):\n    return EPS", "forward"), cell("x = f()")]
    stripped = [{**c, "metadata": {}} for c in with_metadata]
    assert extract(stripped, NAMES) == extract(with_metadata, NAMES) == extract(with_metadata)
    notebook = tmp_path / "mine.ipynb"
    notebook.write_text(json.dumps({"cells": with_metadata, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    assert load_functions(notebook)["forward"](0, 0) == 0.5, "the learner's check loads what the grader grades"


def test_huge_inputs_are_scanned_in_one_pass() -> None:
    # 200,000 blank lines before the code once made a `\s*` spanning newlines rescan them per line (quadratic).
    blank = "\n" * BLANK_LINES
    assert defined_functions(blank + "def compute_cost(AL, Y):\n    pass\n", NAMES) == {"compute_cost"}
    assert defined_functions(" " * BLANK_LINES + "\n" + "\t\n" * BLANK_LINES, NAMES) == set()
    cells = [cell(blank + "EPS = 2.0\n" + blank + "def helper():\n    return EPS"),
             cell(blank + "def forward(X, params):\n    return helper()\n")]
    extraction = extract(cells, NAMES)  # no metadata: the cell defining a graded function is the answer cell
    assert run(extraction.source)["forward"](0, 0) == 2.0


def test_a_cell_too_long_to_parse_is_skipped_with_a_note() -> None:
    dense = "def big():\n    return [" + "0," * MAX_PARSED_CELL + "]\n"
    extraction = extract([cell(dense), cell("def forward(X, params):\n    return 1", "forward")], NAMES)
    assert "big" not in run(extraction.source)
    size = len("".join(dense.split()))
    assert extraction.notes == (f"code cell 1 is too long to be read for definitions ({size:,} characters), so the "
                                "functions it defines were not graded",)


def test_notes_about_unreadable_cells_are_capped() -> None:
    cells = [cell("def forward(X, params):\n    return 1", "forward"), *[cell("x = = 1\ndef f(): pass")] * 1000]
    notes = extract(cells, NAMES).notes
    assert len(notes) == MAX_CELL_NOTES and notes[-1] == f"... and {1001 - MAX_CELL_NOTES} more cells like these"


def test_deeply_nested_json_is_a_notebook_error() -> None:
    with pytest.raises(NotebookError, match="nested too deeply"):
        read_cells("[" * 100_000 + "]" * 100_000)


def test_notes_open_the_feedback_and_results_json() -> None:
    note = "`forward` is defined again in code cell 4 (not its answer cell, code cell 2); that later ..."
    result = Result(check_id="forward.shapes", function="forward", title="shapes", visibility=Visibility.PUBLIC,
                    status=Status.PASSED, score=1.0, feedback="")
    graded = GradedSubmission("ada", "ada.ipynb", [result], {"forward.shapes": 1.0}, {"forward.shapes": 1.0},
                              0.1, "bubblewrap", notes=[note])
    markdown = feedback_markdown(graded, "Lab")
    assert markdown.index(f"> **Note:** {note}") < markdown.index("| function |")
    assert "<strong>Note:</strong> <code>forward</code> is defined again" in feedback_html(graded, "Lab")
    assert f"Note: {note}" in results_json(graded)["output"].splitlines()[:2]
    assert GradedSubmission.from_dict(graded.to_dict()).notes == [note], "journaled with the grade"

