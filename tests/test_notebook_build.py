"""The nbgrader source notebook: current with lesson.md + reference.py, faithful to it, valid for nbgrader."""

import ast

import nbformat
import pytest
from nbgrader.preprocessors import CheckCellMetadata

from autograder.checks import assignment_checks
from autograder.course import load_course
from autograder.labkit.framework import check_seed
from autograder.nbgrader_compat import course_stamp
from autograder.release.notebook import (
    LessonError,
    build_notebook,
    build_source_notebook,
    publicly_checked,
    reference_functions,
    source_of_test_cell,
)

ASSIGNMENT = load_course().assignment("initialization")
REFERENCE = ASSIGNMENT.reference.read_text()
FUNCTIONS = reference_functions(REFERENCE)
NOTEBOOK = nbformat.read(ASSIGNMENT.source_notebook, as_version=4)
PUBLICLY_CHECKED = publicly_checked(ASSIGNMENT)
STAMP = course_stamp(ASSIGNMENT)


def nbgrader_cells(**wanted: object) -> list:
    return [c for c in NOTEBOOK.cells
            if "nbgrader" in c.metadata and all(c.metadata.nbgrader.get(k) == v for k, v in wanted.items())]


def test_the_source_notebook_is_current() -> None:
    assert ASSIGNMENT.source_notebook.read_text() == build_source_notebook(ASSIGNMENT), (
        "solutions/initialization/initialization.ipynb is stale: run `python -m autograder.release`")


def test_every_answer_cell_holds_the_reference_functions_verbatim() -> None:
    answered = []
    for cell in nbgrader_cells(solution=True):
        in_cell = reference_functions(cell.source)
        assert in_cell, f"answer cell {cell.metadata.nbgrader.grade_id} defines no function"
        assert cell.metadata.nbgrader.grade_id == next(iter(in_cell))
        for name, source in in_cell.items():
            assert source == FUNCTIONS[name], f"answer cell of {name} differs from reference.py"
        assert cell.source == "\n\n\n".join(in_cell.values()), "an answer cell holds more than its functions"
        answered += in_cell
    with_solution = sorted(n for n, s in FUNCTIONS.items() if "### BEGIN SOLUTION" in s)
    assert sorted(answered) == with_solution


def test_backward_and_its_helper_share_one_answer_cell() -> None:
    [cell] = [c for c in nbgrader_cells(solution=True) if c.metadata.nbgrader.grade_id == "backward"]
    assert list(reference_functions(cell.source)) == ["backward", "activation_derivative"]


def test_nbgrader_accepts_the_cell_metadata() -> None:
    CheckCellMetadata().preprocess(nbformat.from_dict(NOTEBOOK), {})


def test_metadata_is_schema_3_with_unique_grade_ids_and_no_tasks() -> None:
    metadata = [c.metadata.nbgrader for c in NOTEBOOK.cells if "nbgrader" in c.metadata]
    assert all(m.schema_version == 3 and m.task is False for m in metadata)
    grade_ids = [m.grade_id for m in metadata]
    assert len(grade_ids) == len(set(grade_ids))
    for m in metadata:
        assert set(m) >= {"grade", "grade_id", "locked", "schema_version", "solution", "task"}
        assert not (m.solution and m.locked), f"{m.grade_id}: a solution cell must be editable"
        assert m.grade == ("points" in m), f"{m.grade_id}: points exactly on graded cells"


def test_test_cells_are_worth_the_points_of_course_toml() -> None:
    tests = nbgrader_cells(grade=True)
    functions = {c.metadata.nbgrader.grade_id.removeprefix("test_") for c in tests}
    assert functions == {check_id.split(".")[0] for check_id in ASSIGNMENT.points}, (
        "every function with points needs exactly one test cell, and no other function may have one")
    for cell in tests:
        function = cell.metadata.nbgrader.grade_id.removeprefix("test_")
        assert cell.metadata.nbgrader.locked is True
        assert cell.metadata.nbgrader.points == ASSIGNMENT.function_points(function) > 0
        assert cell.source == source_of_test_cell(function, PUBLICLY_CHECKED, STAMP)


def test_a_test_cell_checks_publicly_and_grades_in_a_hidden_region() -> None:
    assert source_of_test_cell("initialize_he", frozenset({"initialize_he"}), "initialization-abc") == (
        'check(initialize_he)\n### BEGIN HIDDEN TESTS\n'
        'from autograder.nbgrader_compat import grade_function  # noqa: E402\n\n'
        'grade_function("initialize_he", globals(), "initialization-abc")\n### END HIDDEN TESTS')
    assert "check(" not in source_of_test_cell("q_symmetry", frozenset({"initialize_he"}), "initialization-abc")


def test_the_setup_cell_is_the_first_code_cell_locked_and_cheap() -> None:
    first = next(c for c in NOTEBOOK.cells if c.cell_type == "code")
    assert first.metadata.nbgrader.grade_id == "setup"
    assert first.metadata.nbgrader.locked is True and first.metadata.nbgrader.grade is False
    tree = ast.parse(first.source)
    assert all(isinstance(node, (ast.Import, ast.ImportFrom)) for node in tree.body), "setup holds only imports"
    assert "matplotlib" not in first.source and "%" not in first.source


def test_the_setup_cell_imports_what_the_reference_imports() -> None:
    def imported(source: str) -> set[str]:
        return {alias.asname or alias.name for node in ast.parse(source).body
                if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}

    setup = next(c for c in NOTEBOOK.cells if c.cell_type == "code").source
    assert imported(REFERENCE) <= imported(setup)


def test_code_cells_come_from_python_fences_only() -> None:
    lesson = "Intro\n\n```text\nnot code\n```\n\n```python setup\nimport numpy as np\n```\n\n```python\nx = 1\n```\n"
    lesson += "<!-- answer: f -->\n<!-- test: f -->\n"
    reference = 'def f():\n    """Doc."""\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n'
    nb = nbformat.reads(build_notebook(lesson, reference, lambda _: 2.0, frozenset({"f"}), "stamp"), as_version=4)
    assert [c.cell_type for c in nb.cells] == ["markdown", "code", "code", "code", "code"]
    assert "not code" in nb.cells[0].source
    assert nb.cells[3].source == reference.rstrip("\n")
    assert nb.cells[4].metadata.nbgrader.points == 2


@pytest.mark.parametrize(("lesson", "problem"), [
    ("```python\nx = 1\n```\n```python setup\nimport numpy\n```\n<!-- answer: f -->\n<!-- test: f -->", "setup"),
    ("```python setup\nimport numpy\n", "never closed"),
    ("```python setup\nimport numpy\n```\n<!-- answer: f -->", "no test cell"),
    ("```python setup\nimport numpy\n```\n<!-- answer: g -->\n<!-- test: g -->", "does not define"),
    ("```python setup\nimport numpy\n```\n<!-- test: f -->", "answer cells cover"),
])
def test_a_malformed_lesson_is_refused(lesson: str, problem: str) -> None:
    reference = 'def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n'
    with pytest.raises(LessonError, match=problem):
        build_notebook(lesson, reference, lambda _: 1.0, frozenset(), "stamp")


def test_a_function_without_points_is_refused() -> None:
    lesson = "```python setup\nimport numpy\n```\n<!-- answer: f -->\n<!-- test: f -->"
    reference = 'def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n'
    with pytest.raises(LessonError, match="no points"):
        build_notebook(lesson, reference, lambda _: 0.0, frozenset(), "stamp")


def test_every_function_a_check_calls_is_answered_before_that_checks_test_cell() -> None:
    """nbgrader runs the cells in order: a test cell can only use functions whose answer cells came before it."""
    position = {}
    for index, cell in enumerate(NOTEBOOK.cells):
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            position.update(dict.fromkeys(reference_functions(cell.source), index))
    tests = {c.metadata.nbgrader.grade_id.removeprefix("test_"): i for i, c in enumerate(NOTEBOOK.cells)
             if c.metadata.get("nbgrader", {}).get("grade")}
    for check in assignment_checks(ASSIGNMENT):
        plan = check.probe(check_seed(check.id, "order")).plan
        called = {step["function"] for step in plan if "function" in step}
        if any(step["op"] == "numerical_gradient" for step in plan):
            called |= {"forward", "compute_cost"}
        late = sorted(f for f in called if position[f] > tests[check.function])
        assert not late, f"{check.id} (test cell of {check.function}) calls {late}, answered later in the notebook"
