"""Build the nbgrader source notebook from the lesson source and the reference solution.

The lesson (solutions/<assignment>/lesson.md) is a Markdown document with a few directives:

- Markdown text becomes markdown cells. A cell ends at the next code cell or directive, or at a line
  `<!-- split -->` (which starts a new markdown cell).
- A fenced block opened by a line that is exactly ```` ```python ```` becomes an experiment code cell
  (no nbgrader metadata: students may change it). ```` ```python setup ```` marks the setup cell: the first
  code cell, locked, with grade_id "setup"; the grader re-uses its source as the preamble of the student's code.
  Other fences (```` ```text ````, ```` ``` ````) are part of the Markdown.
- `<!-- answer: f g -->` becomes one answer cell holding the source of functions f and g, copied verbatim from
  reference.py (with its `### BEGIN SOLUTION` regions); its grade_id is the first name, f.
- `<!-- test: f -->` becomes the test cell of f: `check(f)` for the student (or, when no public check is about f,
  as for the conceptual questions unless the release ships their answer key, a comment saying so) plus a hidden
  call of the grader, stamped with the course it was built for (nbgrader_compat.course_stamp), worth
  `function_points(f)` from course.toml. Under `nbgrader validate`, `check(f)` raises when a check does not pass.

The build is an ordered pipeline of small steps (like nbgrader's preprocessors), each taking and returning
the list of cells; `build_notebook` runs them and serializes the result deterministically.
"""

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import nbformat

from autograder.checks import answer_key, assignment_checks
from autograder.course import Assignment
from autograder.labkit.framework import Visibility
from autograder.nbgrader_compat import course_stamp

LESSON_FILE = "lesson.md"
SETUP_ID = "setup"
SCHEMA_VERSION = 3

MARKDOWN, SETUP, CODE, ANSWER, TEST = "markdown", "setup", "code", "answer", "test"
DIRECTIVE = re.compile(r"^<!--\s*(answer|test|split)\s*:?\s*([\w\s]*?)\s*-->\s*$")
FENCE_OPEN = re.compile(r"^```python( setup)?\s*$")

NO_PUBLIC_CHECK = "# No public check for this one (it would give the answer away): it is graded when you submit."
TEST_TEMPLATE = """{visible}
### BEGIN HIDDEN TESTS
from autograder.nbgrader_compat import grade_function{noqa}

grade_function("{name}", globals(), "{stamp}")
### END HIDDEN TESTS"""


class LessonError(ValueError):
    """The lesson source and the reference or course.toml do not fit together."""


@dataclass(frozen=True)
class Cell:
    """One cell on its way to the notebook: kind, the functions it is about, source, nbgrader metadata."""

    kind: str
    names: tuple[str, ...] = ()
    source: str = ""
    nbgrader: dict = field(default_factory=dict)

    @property
    def grade_id(self) -> str | None:
        return self.nbgrader.get("grade_id")


@dataclass(frozen=True)
class Context:
    """What the steps need besides the cells: the reference's function sources, the points of a function, the
    functions that public checks are about, and the course stamp of the hidden grader calls."""

    functions: dict[str, str]
    points: Callable[[str], float]
    publicly_checked: frozenset[str]
    stamp: str


Step = Callable[[list[Cell], Context], list[Cell]]


def parse_lesson(text: str) -> list[Cell]:
    """Split the lesson source into cells (answer and test cells still without source)."""
    cells: list[Cell] = []
    markdown: list[str] = []

    def flush_markdown() -> None:
        content = "\n".join(markdown).strip("\n")
        if content.strip():
            cells.append(Cell(MARKDOWN, source=content))
        markdown.clear()

    lines = iter(text.splitlines())
    for line in lines:
        directive = DIRECTIVE.match(line)
        fence = FENCE_OPEN.match(line)
        if directive:
            flush_markdown()
            kind, names = directive.group(1), tuple(directive.group(2).split())
            if kind != "split":
                if not names or (kind == TEST and len(names) != 1):
                    raise LessonError(f"malformed directive: {line!r}")
                cells.append(Cell(kind, names))
        elif fence:
            flush_markdown()
            body = []
            for inner in lines:
                if inner.rstrip() == "```":
                    break
                body.append(inner)
            else:
                raise LessonError(f"code block opened by {line!r} is never closed")
            cells.append(Cell(SETUP if fence.group(1) else CODE, source="\n".join(body).strip("\n")))
        else:
            markdown.append(line)
    flush_markdown()
    return cells


def reference_functions(reference_source: str) -> dict[str, str]:
    """{name: verbatim source} of every top-level function of the reference (no decorators).

    A function runs from its def line through its last statement and the indented comment lines right after it
    (the `### END SOLUTION` marker, which the syntax tree does not count as part of the function).
    """
    lines = reference_source.splitlines()
    functions = {}
    for node in ast.parse(reference_source).body:
        if isinstance(node, ast.FunctionDef):
            end = node.end_lineno
            while end < len(lines) and lines[end].startswith((" ", "\t")) and lines[end].strip().startswith("#"):
                end += 1
            functions[node.name] = "\n".join(lines[node.lineno - 1:end])
    return functions


def fill_answers(cells: list[Cell], context: Context) -> list[Cell]:
    """Answer cells get the reference's source of their functions, verbatim, two blank lines apart."""
    filled = []
    for cell in cells:
        if cell.kind == ANSWER:
            unknown = [n for n in cell.names if n not in context.functions]
            if unknown:
                raise LessonError(f"answer cell names functions that reference.py does not define: {unknown}")
            source = "\n\n\n".join(context.functions[n] for n in cell.names)
            if source.count("### BEGIN SOLUTION") != source.count("### END SOLUTION"):
                raise LessonError(f"unbalanced solution markers in the answer cell of {cell.names}")
            cell = replace(cell, source=source)
        filled.append(cell)
    return filled


def source_of_test_cell(name: str, publicly_checked: frozenset[str], stamp: str) -> str:
    """The source of the test cell of function `name`."""
    if name in publicly_checked:  # the import follows code, which linters flag in a notebook: say it is meant
        return TEST_TEMPLATE.format(visible=f"check({name})", noqa="  # noqa: E402", name=name, stamp=stamp)
    return TEST_TEMPLATE.format(visible=NO_PUBLIC_CHECK, noqa="", name=name, stamp=stamp)


def fill_tests(cells: list[Cell], context: Context) -> list[Cell]:
    """Test cells get the public check call (where there is a public check) and the hidden grader call."""
    return [replace(c, source=source_of_test_cell(c.names[0], context.publicly_checked, context.stamp))
            if c.kind == TEST else c for c in cells]


def _nbgrader(grade_id: str, *, solution: bool, grade: bool, locked: bool, points: float | None = None) -> dict:
    metadata = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA_VERSION,
                "solution": solution, "task": False}
    if points is not None:
        metadata["points"] = points
    return metadata


def attach_metadata(cells: list[Cell], context: Context) -> list[Cell]:
    """nbgrader metadata: setup locked, answers are solution cells, tests are graded with course.toml's points."""
    out = []
    for cell in cells:
        if cell.kind == SETUP:
            cell = replace(cell, nbgrader=_nbgrader(SETUP_ID, solution=False, grade=False, locked=True))
        elif cell.kind == ANSWER:
            cell = replace(cell, nbgrader=_nbgrader(cell.names[0], solution=True, grade=False, locked=False))
        elif cell.kind == TEST:
            points = context.points(cell.names[0])
            if points <= 0:
                raise LessonError(f"course.toml gives no points to the checks of {cell.names[0]!r}")
            points = int(points) if float(points).is_integer() else points
            cell = replace(cell, nbgrader=_nbgrader(f"test_{cell.names[0]}", solution=False, grade=True,
                                                    locked=True, points=points))
        out.append(cell)
    return out


def check_structure(cells: list[Cell], context: Context) -> list[Cell]:
    """The setup cell comes first; every solution function has one answer cell; every answer has a test after it."""
    code = [c for c in cells if c.kind != MARKDOWN]
    if not code or code[0].kind != SETUP or sum(c.kind == SETUP for c in cells) != 1:
        raise LessonError("the first code cell, and only it, must be the setup cell (```python setup)")
    answered = [n for c in cells if c.kind == ANSWER for n in c.names]
    with_solution = [n for n, source in context.functions.items() if "### BEGIN SOLUTION" in source]
    if sorted(answered) != sorted(with_solution):
        raise LessonError(f"answer cells cover {sorted(answered)}, reference.py has {sorted(with_solution)}")
    grade_ids = [c.grade_id for c in cells if c.grade_id]
    if len(grade_ids) != len(set(grade_ids)):
        raise LessonError(f"duplicate grade_ids: {sorted(g for g in grade_ids if grade_ids.count(g) > 1)}")
    for index, cell in enumerate(cells):
        if cell.kind == ANSWER:
            later_tests = [c.names[0] for c in cells[index + 1:] if c.kind == TEST]
            if cell.names[0] not in later_tests:
                raise LessonError(f"answer cell {cell.names[0]!r} has no test cell after it")
    return cells


PIPELINE: tuple[Step, ...] = (fill_answers, fill_tests, attach_metadata, check_structure)


def to_notebook(cells: list[Cell]) -> nbformat.NotebookNode:
    """The nbformat 4 notebook, with stable cell ids (grade_id where there is one, else kind and position)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for index, cell in enumerate(cells):
        cell_id = cell.grade_id or f"{cell.kind}-{index:03d}"
        if cell.kind == MARKDOWN:
            node = nbformat.v4.new_markdown_cell(cell.source, id=cell_id)
        else:
            node = nbformat.v4.new_code_cell(cell.source, id=cell_id)
        if cell.nbgrader:
            node.metadata["nbgrader"] = dict(cell.nbgrader)
        nb.cells.append(node)
    nbformat.validate(nb)
    return nb


def build_notebook(lesson_text: str, reference_source: str, points: Callable[[str], float],
                   publicly_checked: frozenset[str], stamp: str) -> str:
    """Lesson source + reference -> the source notebook's text (deterministic: same inputs, same bytes)."""
    context = Context(reference_functions(reference_source), points, publicly_checked, stamp)
    cells = parse_lesson(lesson_text)
    for step in PIPELINE:
        cells = step(cells, context)
    return nbformat.writes(to_notebook(cells)) + "\n"


def build_source_notebook(assignment: Assignment) -> str:
    """The source notebook's text for `assignment`, from its lesson.md, reference.py, course.toml and checks."""
    lesson = (assignment.source / LESSON_FILE).read_text()
    return build_notebook(lesson, assignment.reference.read_text(), assignment.function_points,
                          publicly_checked(assignment), course_stamp(assignment))


def publicly_checked(assignment: Assignment) -> frozenset[str]:
    """The functions whose test cell calls `check(...)`: those with public checks, and the conceptual questions
    when the release ships their answer key (course.toml's reveal_answers)."""
    checked = {c.function for c in assignment_checks(assignment, Visibility.PUBLIC)}
    if assignment.reveal_answers:
        checked |= {question.id for question in answer_key(assignment)}
    return frozenset(checked)


def write_source_notebook(assignment: Assignment) -> Path:
    """Rebuild and write solutions/<assignment>/<notebook>; returns its path."""
    path = assignment.source_notebook
    path.write_text(build_source_notebook(assignment))
    return path
