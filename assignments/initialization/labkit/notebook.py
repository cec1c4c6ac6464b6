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


class NotebookError(Exception):
    """The file is not a usable notebook; the message says why, for the student."""


def _cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _nbgrader(cell: dict) -> dict:
    metadata = cell.get("metadata")
    nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return nbgrader if isinstance(nbgrader, dict) else {}


def strip_ipython(source: str) -> str:
    """Drop `%magic` and `!shell` lines, which plain Python cannot run."""
    return "\n".join(line for line in source.splitlines() if not _IPYTHON_LINE.match(line))


def read_cells(text: str) -> list[dict]:
    """The code cells of a notebook's JSON text; NotebookError when it is not a notebook."""
    if not text.strip():
        raise NotebookError("the notebook file is empty")
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotebookError(f"the notebook is not valid JSON (line {error.lineno}): was it saved completely?") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise NotebookError("the file is JSON but not a Jupyter notebook (no list of cells)")
    return [c for c in notebook["cells"] if isinstance(c, dict) and c.get("cell_type") == "code"]


def answer_code(cells: list[dict]) -> tuple[str, str]:
    """(setup cell source, answer cells' source joined) of a notebook's code cells."""
    setup = next((_cell_source(c) for c in cells if _nbgrader(c).get("grade_id") == SETUP_CELL), "")
    answers = [c for c in cells if _nbgrader(c).get("solution") is True]
    if not answers:  # metadata stripped: fall back to the cells that define functions
        answers = [c for c in cells if _DEFINES_FUNCTION.search(_cell_source(c))]
    return strip_ipython(setup), "\n\n".join(strip_ipython(_cell_source(c)) for c in answers)


def load_functions(path: Path) -> dict[str, Any]:
    """Execute a notebook's setup and answer cells (or a .py file) and return the resulting namespace.

    This runs the student's code in *this* process: fine for a learner checking their own work,
    never for grading other people's code (the grader uses a sandboxed child process).
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        setup, answers = answer_code(read_cells(text))
        text = setup + "\n\n" + answers
    namespace: dict[str, Any] = {"__name__": "student_submission"}
    exec(compile(text, STUDENT_FILENAME, "exec"), namespace)
    return namespace
