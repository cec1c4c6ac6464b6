"""Sample submissions, generated from the reference so they never drift from it.

- `solved_notebook`: the release notebook with every answer cell holding the reference's code: what a student
  who got everything right submits (tests and benchmarks build their notebooks from it too);
- `SampleSpec`: a .py sample is the reference (solution markers removed) with catalogued mistakes and text
  edits applied, and code appended (attacks); each edit must apply exactly once, so a reference change that
  breaks a sample fails loudly at release time;
- `write_samples`: the notebooks (solved, solved in a student's own cells, metadata stripped, not attempted,
  truncated, empty) and every spec's .py, into the assignment's submissions folder.
"""

import copy
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .course import Assignment

Notebook = dict[str, Any]
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
TRUNCATED_BYTES = 5000  # a browser upload cut short


class Mistake(Protocol):
    id: str

    def apply(self, source: str) -> str: ...


@dataclass(frozen=True)
class SampleSpec:
    """One .py sample: name (file stem), what it shows, and how it differs from the reference."""

    name: str
    description: str
    mistakes: tuple[str, ...] = ()  # misconception ids, applied in order
    edits: tuple[tuple[str, str], ...] = ()  # (old, new), each occurring exactly once
    append: str = ""  # code after the functions (attacks)
    from_reference: bool = True  # False: only the imports, then `append`


def without_markers(source: str) -> str:
    """Solution code as a student writes it: the nbgrader marker lines dropped."""
    return "".join(line for line in source.splitlines(keepends=True) if not line.strip().startswith(MARKERS))


def _imports(source: str) -> str:
    return "".join(line for line in source.splitlines(keepends=True) if line.startswith(("import ", "from ")))


def sample_source(spec: SampleSpec, reference: str, catalogue: dict[str, Mistake]) -> str:
    """The text of one .py sample."""
    source = without_markers(reference) if spec.from_reference else _imports(reference)
    for mistake in spec.mistakes:
        source = catalogue[mistake].apply(source)
    for old, new in spec.edits:
        if source.count(old) != 1:
            raise ValueError(f"sample {spec.name}: {old!r} occurs {source.count(old)} times in the reference")
        source = source.replace(old, new)
    return f"# {spec.description}\n" + source + spec.append


def _grade_id(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def solved_notebook(release: Notebook, source: Notebook) -> Notebook:
    """The release notebook with every answer cell holding the source notebook's solution (markers dropped)."""
    answers = {_grade_id(c): c for c in source["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
    notebook = copy.deepcopy(release)
    for cell in notebook["cells"]:
        if _grade_id(cell) in answers:
            cell["source"] = without_markers("".join(answers[_grade_id(cell)]["source"]))
    return notebook


def without_experiments(notebook: Notebook) -> Notebook:
    """A copy without the experiment cells (code cells nbgrader does not mark): fast to run, same grade."""
    notebook = copy.deepcopy(notebook)
    notebook["cells"] = [c for c in notebook["cells"] if c.get("cell_type") != "code" or _grade_id(c) is not None]
    return notebook


def with_helper_cell(notebook: Notebook, grade_id: str, helper: str, old: str, new: str) -> Notebook:
    """A copy where `helper` sits in a new cell of the student's own just above answer cell `grade_id`, and that
    answer uses it (`old` replaced by `new`): how students really spread their code."""
    notebook = copy.deepcopy(notebook)
    index = next(i for i, c in enumerate(notebook["cells"]) if _grade_id(c) == grade_id)
    answer = notebook["cells"][index]
    text = "".join(answer["source"])
    if text.count(old) != 1:
        raise ValueError(f"{old!r} occurs {text.count(old)} times in the {grade_id} answer cell")
    answer["source"] = text.replace(old, new)
    notebook["cells"].insert(index, {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                                     "source": helper})
    return notebook


def without_metadata(notebook: Notebook) -> Notebook:
    """A copy as an editor that drops cell metadata saves it (no nbgrader marks left)."""
    notebook = copy.deepcopy(notebook)
    for cell in notebook["cells"]:
        cell["metadata"] = {}
    return notebook


def notebook_text(notebook: Notebook) -> str:
    """JSON as Jupyter writes it (one-space indent, UTF-8, final newline)."""
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def sample_files(assignment: Assignment, specs: Iterable[SampleSpec], catalogue: dict[str, Mistake],
                 helper: tuple[str, str, str, str] | None) -> dict[str, str]:
    """{file name: text} of every sample. helper = (answer grade_id, helper code, old, new), see with_helper_cell;
    None: the correct notebook has its answers in the answer cells only."""
    release = json.loads(assignment.release_notebook.read_text())
    solved = solved_notebook(release, json.loads(assignment.source_notebook.read_text()))
    complete = notebook_text(with_helper_cell(solved, *helper) if helper else solved)
    files = {"complete_and_correct.ipynb": complete,
             "correct_but_metadata_stripped.ipynb": notebook_text(without_metadata(solved)),
             "not_attempted.ipynb": notebook_text(release),
             "truncated_upload.ipynb": complete.encode()[:TRUNCATED_BYTES].decode(errors="ignore"),
             "empty_file.ipynb": ""}
    reference = assignment.reference.read_text()
    files.update({f"{spec.name}.py": sample_source(spec, reference, catalogue) for spec in specs})
    return files


def write_samples(folder: Path, files: dict[str, str]) -> None:
    """Replace the samples folder's files by `files`."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        if old.is_file() and old.name not in files:
            old.unlink()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
