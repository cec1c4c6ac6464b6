"""Submissions: a filled-in .ipynb, a .py, a folder, or a .zip of many -> `Submission`s to grade.

A notebook is graded by the code of its answer cells only (nbgrader marks them `"solution": true`); when a
notebook editor stripped that metadata, by the code cells that define a graded function. Added, moved or
deleted cells, plots and experiments elsewhere do not matter. IPython-only lines (`%magic`, `!shell`) are
dropped. Archives (Canvas, Moodle and Gradescope bulk downloads) are read in memory, entry by entry, with
limits on size, count and compression ratio; links and paths leaving the archive are refused. Whatever
is wrong with a file becomes the `error` of its Submission, never an exception.
"""

import ast
import re
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath

from .course import Assignment, Course, load_course
from .labkit.notebook import answer_code, cell_source, defined_functions, nbgrader_metadata, read_cells, setup_code

NOTEBOOK, PYTHON = "notebook", "python"
DEFAULT_PREAMBLE = ("import numpy as np\nfrom labkit import check, data, plots\n"
                    "from labkit.activations import activate, relu, sigmoid")

MAX_FILE_BYTES = 20 * 2**20  # one notebook or .py (embedded plots included)
MAX_ARCHIVE_ENTRIES = 20_000
MAX_ARCHIVE_BYTES = 2 * 2**30  # all entries of an archive, uncompressed
MAX_RATIO = 200  # uncompressed / compressed size of one entry larger than 1 MB

_CANVAS = re.compile(r"^(?P<name>[^_]+)(?:_LATE)?_(?P<id>\d+)_\d+_")
_MOODLE = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_")
_GRADESCOPE_ENTRY = re.compile(r"^(submission_\d+):\s*$")
_GRADESCOPE_FIELD = re.compile(r"^\s*-?\s*:(sid|email|name):\s*['\"]?(.*?)['\"]?\s*$")


@dataclass(frozen=True)
class Submission:
    """One student's code, ready to grade.

    source -- the code of the answer cells (a notebook) or the whole file (a .py), without the setup preamble
    cells -- every code cell of a notebook, unchanged (what the execute-notebooks mode runs); () for a .py
    error -- why it cannot be graded (not a notebook, no graded function, refused archive entry), else None
    """

    student_id: str
    path: Path
    kind: str
    source: str = ""
    error: str | None = None
    cells: tuple[str, ...] = ()  # a notebook's code cells, all of them in order, for the execute-notebooks mode


def graded_names(assignment: Assignment) -> frozenset[str]:
    """The graded functions' names: the release notebook's answer cells, else the reference's __all__."""
    cells = _release_cells(assignment)
    names = {nbgrader_metadata(c).get("grade_id") for c in cells if nbgrader_metadata(c).get("solution") is True}
    names.discard(None)
    if names:
        return frozenset(names)
    return _reference_names(assignment.reference)


@cache
def _reference_names(reference: Path) -> frozenset[str]:
    tree = ast.parse(reference.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return frozenset(ast.literal_eval(node.value))
    raise ValueError(f"{reference} has no __all__")


def release_preamble(assignment: Assignment) -> str:
    """The release notebook's setup cell: the imports every student's code runs after."""
    return setup_code(_release_cells(assignment)) or DEFAULT_PREAMBLE


def _release_cells(assignment: Assignment) -> list[dict]:
    path = assignment.release_notebook
    return _cells_of(path, path.stat().st_mtime_ns) if path.is_file() else []


@cache
def _cells_of(path: Path, mtime_ns: int) -> list[dict]:
    return read_cells(path.read_text())


def _from_bytes(data: bytes, name: str, student_id: str, path: Path, names: frozenset[str]) -> Submission:
    kind = NOTEBOOK if name.endswith(".ipynb") else PYTHON
    try:
        if len(data) > MAX_FILE_BYTES:
            raise ValueError(f"the file is larger than {MAX_FILE_BYTES // 2**20} MB")
        text = data.decode("utf-8-sig")
        cells = read_cells(text) if kind == NOTEBOOK else []
        source = answer_code(cells, names) if kind == NOTEBOOK else text
        if kind == PYTHON and not defined_functions(source, names):
            raise ValueError("the file defines none of the graded functions (e.g. `def initialize_he(`)")
    except UnicodeDecodeError:
        return Submission(student_id, path, kind, error=f"{name}: the file is not UTF-8 text")
    except ValueError as error:
        return Submission(student_id, path, kind, error=f"{name}: {error}")
    return Submission(student_id, path, kind, source, cells=tuple(cell_source(c) for c in cells))


def student_id_from(name: str) -> str:
    """The student id in an LMS file or folder name (Canvas, Moodle), else the name without extension."""
    for pattern in (_MOODLE, _CANVAS):
        match = pattern.match(name)
        if match:
            return f"{match['name']}_{match['id']}"
    return PurePosixPath(name).stem if name.endswith((".ipynb", ".py", ".zip")) else name


def _pick(names: list[str], assignment: Assignment) -> str | None:
    """The submission file among a folder's files: the assignment's notebook, another notebook, a .py."""
    names = [n for n in names if ".ipynb_checkpoints" not in n and not PurePosixPath(n).name.startswith(".")]
    for suffix in (assignment.notebook, ".ipynb", ".py"):
        chosen = sorted((n for n in names if n.endswith(suffix)), key=lambda n: (n.count("/"), n))
        if chosen:
            return chosen[0]
    return None


def load_file(path: Path, assignment: Assignment, student_id: str | None = None) -> Submission:
    """One .ipynb, .py or folder holding one of them."""
    student_id = student_id or student_id_from(path.name)
    if path.is_dir():
        files = [str(p.relative_to(path)) for p in path.rglob("*") if p.is_file() and not p.is_symlink()]
        chosen = _pick(files, assignment)
        if chosen is None:
            return Submission(student_id, path, NOTEBOOK, error=f"{path.name}: no .ipynb or .py file in the folder")
        path = path / chosen
    if path.suffix not in (".ipynb", ".py"):
        return Submission(student_id, path, NOTEBOOK, error=f"{path.name}: not a notebook (.ipynb) or a .py file")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        return Submission(student_id, path, NOTEBOOK, error=f"{path.name}: cannot be read ({error.strerror})")
    return _from_bytes(data, path.name, student_id, path, graded_names(assignment))


class ArchiveRefusedError(ValueError):
    """An archive (or one of its entries) breaks the unpacking rules."""


def _safe_entries(archive: zipfile.ZipFile) -> tuple[dict[str, zipfile.ZipInfo], list[str]]:
    """Regular-file entries by their normalised name, and the reasons other entries were refused."""
    infos = archive.infolist()
    if len(infos) > MAX_ARCHIVE_ENTRIES:
        raise ArchiveRefusedError(f"more than {MAX_ARCHIVE_ENTRIES} entries")
    if sum(i.file_size for i in infos) > MAX_ARCHIVE_BYTES:
        raise ArchiveRefusedError(f"more than {MAX_ARCHIVE_BYTES // 2**30} GB uncompressed")
    entries, refused = {}, []
    for info in infos:
        name = info.filename.replace("\\", "/")
        parts = PurePosixPath(name).parts
        if name.startswith("/") or ".." in parts or re.match(r"^[A-Za-z]:", name):
            refused.append(f"{info.filename}: a path leaving the archive")
        elif stat.S_ISLNK(info.external_attr >> 16):
            refused.append(f"{info.filename}: a link")
        elif not info.is_dir() and "__MACOSX" not in parts:
            entries["/".join(parts)] = info
    return entries, refused


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """An entry's bytes, stopping as soon as it proves bigger than declared or allowed."""
    limit = min(info.file_size, MAX_FILE_BYTES) + 1
    if info.file_size > 2**20 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise ArchiveRefusedError(f"{info.filename}: compression ratio above {MAX_RATIO} (a zip bomb?)")
    with archive.open(info) as handle:
        data = handle.read(limit)
    if len(data) > info.file_size or len(data) > MAX_FILE_BYTES:
        raise ArchiveRefusedError(f"{info.filename}: larger than allowed")
    return data


def _gradescope_ids(text: str) -> dict[str, str]:
    """Gradescope's submission_metadata.yml: folder name -> the first submitter's sid, email or name."""
    found: dict[str, dict[str, str]] = {}
    current = None
    for line in text.splitlines():
        entry = _GRADESCOPE_ENTRY.match(line)
        if entry or re.match(r"^\S", line):
            current = entry.group(1) if entry else None
            continue
        field = _GRADESCOPE_FIELD.match(line)
        if current and field and field.group(2):
            found.setdefault(current, {}).setdefault(field.group(1), field.group(2))
    return {folder: f.get("sid") or f.get("email") or f.get("name", folder) for folder, f in found.items()}


def _groups(names: Iterable[str]) -> dict[str, list[str]]:
    """Entries per submission: each top-level file is one, each top-level folder is one."""
    groups: dict[str, list[str]] = {}
    for name in names:
        top, _, rest = name.partition("/")
        groups.setdefault(top, []).append(rest or top)
    return groups


def load_zip(path: Path, assignment: Assignment) -> list[Submission]:
    """A bulk download (Canvas, Moodle, Gradescope or plain): one Submission per student."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries, refused = _safe_entries(archive)
            names = list(entries)
            metadata = next((n for n in names if n.endswith("submission_metadata.yml")), None)
            ids = _gradescope_ids(_read_entry(archive, entries[metadata]).decode(errors="replace")) if metadata else {}
            base = PurePosixPath(metadata).parent.as_posix() + "/" if metadata and "/" in metadata else ""
            groups = _groups(n[len(base):] for n in names if n.startswith(base) and n != metadata)
            submissions = [Submission(path.stem, path, NOTEBOOK, error=f"{path.name}: refused {reason}")
                           for reason in refused]
            for top, members in sorted(groups.items()):
                student = ids.get(top) or student_id_from(top)
                chosen = top if members == [top] else _pick(members, assignment)
                if chosen is None:
                    submissions.append(Submission(student, path / top, NOTEBOOK,
                                                  error=f"{top}: no .ipynb or .py file in the folder"))
                    continue
                full = base + (top if members == [top] else f"{top}/{chosen}")
                if not full.endswith((".ipynb", ".py")):
                    continue  # a stray file beside the submissions (a readme, an index)
                try:
                    data = _read_entry(archive, entries[full])
                except ArchiveRefusedError as error:
                    submissions.append(Submission(student, path / full, NOTEBOOK, error=f"refused {error}"))
                    continue
                submissions.append(_from_bytes(data, full, student, path / full, graded_names(assignment)))
            return submissions
    except (zipfile.BadZipFile, ArchiveRefusedError, OSError, EOFError, RuntimeError, NotImplementedError) as error:
        return [Submission(path.stem, path, NOTEBOOK, error=f"{path.name}: archive refused or unreadable ({error})")]


def load_submissions(paths: Path | Iterable[Path], assignment_name: str | None = None,
                     course: Course | None = None) -> list[Submission]:
    """Every submission in the given files, folders and archives, in the order given (course: course.toml's)."""
    assignment = (load_course() if course is None else course).assignment(assignment_name)
    submissions = []
    for path in [paths] if isinstance(paths, Path) else paths:
        path = Path(path)
        if path.suffix == ".zip" and path.is_file():
            submissions += load_zip(path, assignment)
        else:
            submissions.append(load_file(path, assignment))
    return submissions

