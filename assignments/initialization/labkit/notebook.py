"""A student's notebook -> the code of its answer cells, and the functions that code defines.

Only the answer cells count (nbgrader marks them `"solution": true`), plus the setup cell's imports:
added, moved or deleted cells, plots and long experiments elsewhere do not matter. When a notebook
editor stripped the metadata, every code cell that defines a function (`def ...` at the left margin)
counts instead. IPython-only lines (`%magic`, `!shell`) are dropped: plain Python runs the result.
"""

import json
import re
from pathlib import Path
from typing import Any

SETUP_CELL = "setup"
STUDENT_FILENAME = "<student code>"  # plan.py recognises frames of student code by this prefix
_DEFINES_FUNCTION = re.compile(r"^def \w+\(", re.MULTILINE)
_IPYTHON_LINE = re.compile(r"^\s*[%!]")


class NotebookError(ValueError):
    """The file is not a usable notebook; the message says why, for the student."""


def cell_source(cell: dict) -> str:
    """A cell's source as one string (notebooks store it as a string or a list of lines)."""
    source = cell.get("source", "")
    return "".join(map(str, source)) if isinstance(source, list) else str(source)


def nbgrader_metadata(cell: dict) -> dict:
    """The cell's nbgrader metadata ({} when there is none, or it is malformed)."""
    metadata = cell.get("metadata")
    nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return nbgrader if isinstance(nbgrader, dict) else {}


def strip_ipython(source: str) -> str:
    """Drop `%magic` and `!shell` lines, which plain Python cannot run."""
    return "\n".join(line for line in source.splitlines() if not _IPYTHON_LINE.match(line))


def defined_functions(source: str, names: frozenset[str]) -> set[str]:
    """Which of `names` the source defines with a `def`."""
    return {n for n in names if re.search(rf"^\s*def\s+{re.escape(n)}\s*\(", source, re.MULTILINE)}


def read_cells(text: str) -> list[dict]:
    """The code cells of a notebook's JSON text; NotebookError when it is not a notebook."""
    if not text.strip():
        raise NotebookError("the notebook file is empty")
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotebookError(f"the notebook is not valid JSON (line {error.lineno}): was it saved completely?") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise NotebookError("it is JSON but not a Jupyter notebook (no list of cells)")
    return [c for c in notebook["cells"] if isinstance(c, dict) and c.get("cell_type") == "code"]


def setup_code(cells: list[dict]) -> str:
    """The setup cell's source ("" if the notebook has none)."""
    return next((strip_ipython(cell_source(c)) for c in cells if nbgrader_metadata(c).get("grade_id") == SETUP_CELL),
                "")


def answer_code(cells: list[dict], names: frozenset[str] | None = None) -> str:
    """The code of a notebook's answer cells, joined; NotebookError when there is none.

    Answer cells are those nbgrader marks `"solution": true`. Cells that lost their metadata (or code moved
    elsewhere) still count for the graded functions (`names`) not defined so far; without names, every cell
    that defines a function at the left margin counts when no cell has the metadata.
    """
    sources = [strip_ipython(cell_source(c)) for c in cells]
    answers = {i for i, c in enumerate(cells) if nbgrader_metadata(c).get("solution") is True}
    if names is not None:
        defined = set().union(*(defined_functions(sources[i], names) for i in answers))
        answers |= {i for i, source in enumerate(sources) if defined_functions(source, names - defined)}
    elif not answers:
        answers = {i for i, source in enumerate(sources) if _DEFINES_FUNCTION.search(source)}
    if not answers:
        raise NotebookError("no answer cell and no graded function (e.g. `def initialize_he(`) found in the notebook")
    return "\n\n".join(sources[i] for i in sorted(answers))


def load_functions(path: Path) -> dict[str, Any]:
    """Execute a notebook's setup and answer cells (or a .py file) and return the resulting namespace.

    This runs the student's code in *this* process: fine for a learner checking their own work,
    never for grading other people's code (the grader uses a sandboxed child process).
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        cells = read_cells(text)
        text = setup_code(cells) + "\n\n" + answer_code(cells)
    namespace: dict[str, Any] = {"__name__": "student_submission"}
    exec(compile(text, STUDENT_FILENAME, "exec"), namespace)
    return namespace
