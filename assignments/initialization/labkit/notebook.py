"""A student's notebook -> the code grading runs: its answer cells, plus the definitions of every other cell.

The notebook is what the student ran, top to bottom, so grading sees, in notebook order, the answer cells
(nbgrader marks them `"solution": true`) verbatim, and from every other code cell only its top-level
definitions: `def` (decorators included), `class`, `import` / `from ... import`, and assignments of constants
(a name bound to an expression that calls nothing, like `EPS = 1e-7` or `DIMS = [2, 10, 1]`). Statements with
effects elsewhere (training loops, plots, prints, file I/O, `rng = np.random.default_rng()`) do not run. Each
such definition runs on its own and is skipped if it raises (an import the grader does not have, a default
computed by a cell whose effects did not run), so one of them cannot stop the rest from loading.

When a notebook editor stripped the metadata, the code cells that define a graded function count as answer
cells instead. IPython-only lines (`%magic`, `!shell`) are dropped: plain Python runs the result.

Every scan of the student's text here is linear in its length, and the parsing of other cells is capped
(a syntax tree costs up to ~500 bytes per character of dense code), so no notebook can stall the grader.
"""

import ast
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SETUP_CELL = "setup"
STUDENT_FILENAME = "<student code>"  # plan.py recognises frames of student code by this prefix
MAX_PARSED_CELL = 100_000  # non-blank characters of one non-answer cell that are parsed for definitions
MAX_PARSED_NOTEBOOK = 1_000_000  # ... and of all of a notebook's non-answer cells together
# `[ \t\f]*`, unlike `\s*`, cannot run past the end of a line: a scan visits each character a bounded number of times.
_DEF = re.compile(r"^[ \t\f]*(?:async[ \t]+)?def[ \t]+(\w+)[ \t]*\(", re.MULTILINE)
_LEFT_MARGIN_DEF = re.compile(r"^def \w+\(", re.MULTILINE)
_IPYTHON_LINE = re.compile(r"^\s*[%!]")  # matched against one line at a time, so `\s*` stays within it
_BODY_RUNS_MAGICS = ("%%time", "%%capture")  # cell magics that run the cell's body as Python in the namespace
MAX_CELL_NOTES = 5  # notes about unreadable cells; one submission must not make the reports grow without bound


class NotebookError(ValueError):
    """The file is not a usable notebook; the message says why, for the student."""


@dataclass(frozen=True)
class Extraction:
    """The code grading runs for a notebook, and notes for the student on how it was put together."""

    source: str
    notes: tuple[str, ...] = ()


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


def _defs(source: str) -> list[str]:
    """The names of the functions a source defines with `def`, at any indentation, in one linear scan."""
    return _DEF.findall(source)


def defined_functions(source: str, names: frozenset[str]) -> set[str]:
    """Which of `names` the source defines with a `def`."""
    return names.intersection(_defs(source))


def read_cells(text: str) -> list[dict]:
    """The code cells of a notebook's JSON text; NotebookError when it is not a notebook."""
    if not text.strip():
        raise NotebookError("the notebook file is empty")
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotebookError(f"the notebook is not valid JSON (line {error.lineno}): was it saved completely?") from None
    except RecursionError:
        raise NotebookError("the notebook's JSON is nested too deeply to be a Jupyter notebook") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise NotebookError("it is JSON but not a Jupyter notebook (no list of cells)")
    return [c for c in notebook["cells"] if isinstance(c, dict) and c.get("cell_type") == "code"]


def setup_code(cells: list[dict]) -> str:
    """The setup cell's source ("" if the notebook has none)."""
    return next((strip_ipython(cell_source(c)) for c in cells if nbgrader_metadata(c).get("grade_id") == SETUP_CELL),
                "")


def _answer_cells(cells: list[dict], sources: list[str], names: frozenset[str] | None) -> set[int]:
    """Indexes of the answer cells: nbgrader's, plus (metadata lost, or code moved) the cells defining the
    graded functions `names` that no answer cell defines; without names and metadata, every cell with a `def`
    at the left margin."""
    answers = {i for i, c in enumerate(cells) if nbgrader_metadata(c).get("solution") is True}
    if names is not None:
        defined = set().union(*(defined_functions(sources[i], names) for i in answers))
        answers |= {i for i, source in enumerate(sources) if defined_functions(source, names - defined)}
    elif not answers:
        answers = {i for i, source in enumerate(sources) if _LEFT_MARGIN_DEF.search(source)}
    return answers


def _calls(node: ast.AST) -> bool:
    """Whether evaluating the expression calls anything (a lambda's body runs only when it is called)."""
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Call | ast.Await | ast.Yield | ast.YieldFrom):
            return True
        stack.extend([node.args] if isinstance(node, ast.Lambda) else ast.iter_child_nodes(node))
    return False


def _bound_names(target: ast.expr) -> list[str] | None:
    """The names an assignment target binds, or None when it stores into something else (`a[0]`, `a.b`)."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Starred):
        return _bound_names(target.value)
    if isinstance(target, ast.Tuple | ast.List):
        bound = [_bound_names(t) for t in target.elts]
        return None if None in bound else [name for names in bound for name in names]
    return None


def _definition(node: ast.stmt, names: frozenset[str]) -> bool:
    """Whether a top-level statement of a non-answer cell is a definition that grading runs."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Import):
        return True
    if isinstance(node, ast.ImportFrom):
        return node.module != "__future__"  # only legal at the top of the whole source
    if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        bound = [_bound_names(t) for t in targets]
        values = [node.value, getattr(node, "annotation", None)]
        # A constant never re-binds a graded function: answers may use constants, not be replaced by them.
        return (node.value is not None and None not in bound
                and not names.intersection(name for each in bound for name in each)
                and not any(_calls(v) for v in values if v is not None))
    return False


def _guarded(node: ast.stmt) -> str:
    """The statement as code that goes on loading when it raises (an import the grader lacks, a missing name)."""
    handler = ast.ExceptHandler(type=ast.Name("Exception", ast.Load()), name=None, body=[ast.Pass()])
    return ast.unparse(ast.Try(body=[node], handlers=[handler], orelse=[], finalbody=[]))


def _definitions(raw: str, source: str, names: frozenset[str], number: int) -> tuple[list[str], list[str], str | None]:
    """A non-answer cell's definitions as guarded code, the graded functions it defines, and a note if its
    definitions could not be read."""
    first = raw.lstrip().split(None, 1)[:1]
    if first and first[0].startswith("%%") and first[0] not in _BODY_RUNS_MAGICS:
        return [], [], None  # `%%bash`, `%%writefile`, ...: the body is not run as Python
    try:
        with warnings.catch_warnings():  # e.g. an invalid escape: the student's business, not the grader's log
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
            compile(tree, STUDENT_FILENAME, "exec")  # what parsing misses (`return` outside a function) fails here
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        if not _defs(source):
            return [], [], None
        where = f" (line {error.lineno}: {str(error.msg)[:120]})" if isinstance(error, SyntaxError) else ""
        return [], [], f"code cell {number} is not valid Python{where}, so the functions it defines were not graded"
    code, graded = [], []
    for node in tree.body:
        if not _definition(node, names):
            continue
        try:
            code.append(_guarded(node))
        except RecursionError:  # an expression too deeply nested to print back
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name in names:
            graded.append(node.name)
    return code, graded, None


def extract(cells: list[dict], names: frozenset[str] | None = None) -> Extraction:
    """The code grading runs for a notebook's code cells; NotebookError when it has no answer cell.

    names -- the graded functions (default: the notebook's own answer cells' grade ids).
    A graded function defined again in a later non-answer cell is graded by that later definition, as
    running the notebook top to bottom would leave it; a note says so.
    """
    sources = [strip_ipython(cell_source(c)) for c in cells]
    answers = _answer_cells(cells, sources, names)
    if not answers:
        example = f" (e.g. `def {min(names)}(`)" if names else ""
        raise NotebookError(f"no answer cell and no graded function{example} found in the notebook")
    if names is None:
        ids = (nbgrader_metadata(cells[i]).get("grade_id") for i in answers)
        names = frozenset(i for i in ids if isinstance(i, str))
    parts: list[str] = []
    notes: list[str] = []
    answered: dict[str, int] = {}  # graded function -> the last answer cell defining it
    later: dict[str, int] = {}  # graded function -> the last non-answer cell defining it after that
    budget = MAX_PARSED_NOTEBOOK
    for i, (cell, source) in enumerate(zip(cells, sources, strict=True)):
        if i in answers:
            parts.append(source)
            for name in defined_functions(source, names):
                answered[name] = i
                later.pop(name, None)
            continue
        size = sum(map(len, source.split()))  # what parsing costs grows with the code, not with blank space
        if size > min(MAX_PARSED_CELL, budget):
            if _defs(source):
                notes.append(f"code cell {i + 1} is too long to be read for definitions ({size:,} characters), "
                             "so the functions it defines were not graded")
            continue
        budget -= size
        code, graded, note = _definitions(cell_source(cell), source, names, i + 1)
        parts += code
        notes += [note] if note else []
        later.update({name: i for name in graded if name in answered})
    if len(notes) > MAX_CELL_NOTES:
        notes[MAX_CELL_NOTES - 1:] = [f"... and {len(notes) - MAX_CELL_NOTES + 1} more cells like these"]
    redefined = [f"`{name}` is defined again in code cell {cell + 1} (not its answer cell, code cell "
                 f"{answered[name] + 1}); that later definition is the one graded"
                 for name, cell in sorted(later.items(), key=lambda item: (item[1], item[0]))]
    return Extraction("\n\n".join(parts), (*redefined, *notes))


def answer_code(cells: list[dict], names: frozenset[str] | None = None) -> str:
    """The code grading runs for a notebook's code cells (see `extract`); NotebookError when it has none."""
    return extract(cells, names).source


def load_functions(path: Path) -> dict[str, Any]:
    """Execute a notebook's extracted code (see `extract`) or a .py file, and return the resulting namespace.

    The same code as grading runs (grading adds the release's setup cell before it). This runs the student's
    code in *this* process: fine for a learner checking their own work, never for grading other people's code
    (the grader uses a sandboxed child process).
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        text = answer_code(read_cells(text))
    namespace: dict[str, Any] = {"__name__": "student_submission"}
    exec(compile(text, STUDENT_FILENAME, "exec"), namespace)
    return namespace


RELEASE_INFO = "release.json"  # in a release's labkit/: {"assignment": name, "notebook": file name}


def release_notebook(labkit_folder: Path) -> Path:
    """The assignment's notebook beside a release's labkit/ folder, as the release names it."""
    return labkit_folder.parent / json.loads((labkit_folder / RELEASE_INFO).read_text())["notebook"]
