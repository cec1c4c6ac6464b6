"""Submissions: a filled-in .ipynb, a .py, a folder, or a .zip of many -> `Submission`s to grade.

A notebook is graded by the code of its answer cells only (nbgrader marks them `"solution": true`); when a
notebook editor stripped that metadata, by the code cells that define a graded function. Added, moved or
deleted cells, plots and experiments elsewhere do not matter. IPython-only lines (`%magic`, `!shell`) are
dropped. Archives (Canvas, Moodle and Gradescope bulk downloads) are read in memory, entry by entry, with
limits on size, count and compression ratio; folders are walked without following links. Links, devices and
paths leaving the archive are refused. A folder or an archive holds many students' files and folders (the
rules are in the README, "Grading"); student ids come from names parsed against each LMS's whole naming
scheme, and two rows with one id are both errors. Whatever is wrong with a file becomes the `error` of its
Submission, never an exception, and names in messages are display-safe (see display_name).

The LMS naming schemes, from each LMS's own code or documentation (README, "LMS downloads"):
- Canvas (canvas-lms lib/content_zipper.rb, get_filename / add_upload_submission):
  `<sortable name, lower case, non-word characters removed>_[LATE_]<user id>_<file id>_<uploaded name>`, or with
  anonymous grading `[LATE_]anon_<anonymous id>_<file id>_<uploaded name>`, the anonymous id 5 base58 characters
  (lib/anonymity.rb). A file uploaded again under the same name is renamed `<stem>-<n><suffix>` by Canvas.
- Moodle (mod/assign/locallib.php, download_submissions): a folder `<full name>_<participant id>_assignsubmission_file_`
  (the participant id is the grading worksheet's `Participant <id>`); no submission time in the download.
- Blackboard Learn ("Assignment File Download"): `<assignment>_<username>_attempt_<YYYY-MM-DD-HH-MM-SS>_<uploaded
  name>`, plus a receipt `<assignment>_<username>_attempt_<YYYY-MM-DD-HH-MM-SS>.txt` per attempt ("Date
  Submitted: ..."); the attempt time in the name is that same moment, in the server's time zone.
- Gradescope ("Export Submissions"): `assignment_<n>_export/submission_metadata.yml` maps each `submission_<n>`
  folder to its `:submitters:`, a list of `- :name:`, `:sid:`, `:email:` (several for a group).
"""

import ast
import dataclasses
import errno
import hashlib
import logging
import os
import re
import stat
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath

from .course import Assignment, Course, load_course
from .graded import Member
from .labkit.notebook import cell_source, defined_functions, extract, nbgrader_metadata, read_cells, setup_code

NOTEBOOK, PYTHON = "notebook", "python"

MAX_FILE_BYTES = 20 * 2**20  # one notebook or .py (embedded plots included)
MAX_ARCHIVE_ENTRIES = 20_000  # files in an archive or a folder
MAX_ARCHIVE_BYTES = 2 * 2**30  # all entries of an archive uncompressed, all code files of a folder
MAX_RATIO = 200  # uncompressed / compressed size of one entry larger than 1 MB
MAX_NAME_CHARS = 120  # a student id or a name in a message (see display_name)
MAX_LISTED = 8  # names an error message lists before "and N more"
CODE_SUFFIXES = (".ipynb", ".py")
GRADESCOPE_METADATA = "submission_metadata.yml"

MAX_MEMBERS = 50  # members of one group submission kept (Gradescope groups are a handful)

# Whole-name patterns (fullmatch): what an LMS generates, with no room for a student's text to supply the id.
_CANVAS = re.compile(r"(?P<name>[^_]+)_(?P<late>LATE_)?(?P<id>[0-9]+)_(?P<file>[0-9]+)_(?P<upload>.+)", re.DOTALL)
_CANVAS_ANONYMOUS = re.compile(r"(?P<late>LATE_)?(?P<id>anon_[1-9A-HJ-NP-Za-km-z]+)_(?P<file>[0-9]+)_(?P<upload>.+)",
                               re.DOTALL)
_CANVAS_RENAMED = re.compile(r"(?P<stem>.+)-(?P<n>[0-9]{1,6})(?P<suffix>\.[^.]*)?", re.DOTALL)
_BLACKBOARD_ATTEMPT = "_attempt_"
_BLACKBOARD_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{2}")
_MOODLE_SUFFIX = "_assignsubmission_file_"
_GRADESCOPE_EXPORT = re.compile(r"assignment_[0-9]+_export")
_GRADESCOPE_FOLDER = re.compile(r"submission_[0-9]+")
_DRIVE = re.compile(r"[A-Za-z]:")
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    """One student's code, ready to grade.

    source -- what grading runs after the setup preamble: a notebook's answer cells and the other cells'
              definitions (labkit.notebook.extract), or the whole file (a .py)
    cells -- every code cell of a notebook, unchanged (what the execute-notebooks mode runs); () for a .py
    error -- why it cannot be graded (not a notebook, no graded function, refused archive entry), else None
    """

    student_id: str
    path: Path
    kind: str
    source: str = ""
    error: str | None = None
    cells: tuple[str, ...] = ()  # a notebook's code cells, all of them in order, for the execute-notebooks mode
    notes: tuple[str, ...] = ()  # for the student: how a notebook's code was put together (labkit.notebook.extract)
    ignored: tuple[str, ...] = ()  # the student's other code files, not graded by the rule in _pick (display names)
    late: bool = False  # the LMS marked the submission late (Canvas's LATE_)
    submitted_at: str | None = None  # ISO 8601, when the LMS says it was submitted (Blackboard's attempt time)
    members: tuple[Member, ...] = ()  # everyone a group submission belongs to (Gradescope); () for one student


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
    """The setup cell (the imports every student's code runs after): the release notebook's, else the source's."""
    return setup_code(_release_cells(assignment)) or setup_code(_cells_if_any(assignment.source_notebook))


def _release_cells(assignment: Assignment) -> list[dict]:
    return _cells_if_any(assignment.release_notebook)


def _cells_if_any(path: Path) -> list[dict]:
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
        extraction = extract(cells, names) if kind == NOTEBOOK else None
        source = extraction.source if extraction else text
        if kind == PYTHON and not defined_functions(source, names):
            raise ValueError(f"the file defines none of the graded functions (e.g. `def {min(names)}(`)")
    except UnicodeDecodeError:
        return Submission(student_id, path, kind, error=f"{name}: the file is not UTF-8 text")
    except ValueError as error:
        return Submission(student_id, path, kind, error=f"{name}: {error}")
    return Submission(student_id, path, kind, source, cells=tuple(cell_source(c) for c in cells),
                      notes=extraction.notes if extraction else ())


def display_name(name: str) -> str:
    """A file name as text every report and the journal can hold: bytes that were not UTF-8 and control
    characters as backslash escapes, at most MAX_NAME_CHARS characters (a longer name keeps a hash of the
    whole, so two long names stay two)."""
    text = name if name.isprintable() else "".join(c if c.isprintable() else ascii(c)[1:-1] for c in name)
    if len(text) <= MAX_NAME_CHARS:
        return text
    return f"{text[:MAX_NAME_CHARS - 13]}~{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def _moodle_id(name: str) -> str | None:
    """`Full Name_id` of a Moodle folder `Full Name_id_assignsubmission_file_`: the id is the one Moodle put
    last, so a full name that imitates the scheme cannot borrow another student's id."""
    if not name.endswith(_MOODLE_SUFFIX):
        return None
    person, _, number = name[: -len(_MOODLE_SUFFIX)].rpartition("_")
    return f"{person}_{number}" if person and number.isascii() and number.isdigit() else None


@dataclass(frozen=True)
class Upload:
    """What an LMS's name for one uploaded file says (the schemes are in the module docstring).

    student_id -- whose file it is (Canvas `name_id` or `anon_<id>`, Blackboard's username)
    upload -- the name the student gave the file, without Canvas's `-<n>` renaming
    attempt -- sorts later for a later attempt (Blackboard's attempt time); "" where the LMS has one attempt
    revision -- higher for a later upload of the same name (Canvas's `-<n>` renaming; 0 for the first)
    """

    student_id: str
    upload: str
    attempt: str = ""
    revision: int = 0
    late: bool = False
    submitted_at: str | None = None


def _canvas_upload(name: str) -> Upload | None:
    """A Canvas download's file name, anonymous grading's first (`anon_12345_...` would also parse as a name)."""
    anonymous = _CANVAS_ANONYMOUS.fullmatch(name)
    found = anonymous or _CANVAS.fullmatch(name)
    if found is None:
        return None
    student_id = found["id"] if anonymous else f"{found['name']}_{found['id']}"
    renamed = _CANVAS_RENAMED.fullmatch(found["upload"])
    upload = renamed["stem"] + (renamed["suffix"] or "") if renamed else found["upload"]
    return Upload(student_id, upload, revision=int(renamed["n"]) if renamed else 0, late=found["late"] is not None)


def _blackboard_upload(name: str) -> Upload | None:
    """A Blackboard download's file or receipt name: the first `_<username>_attempt_<time>` in it is Blackboard's
    (the assignment's name comes before it, the student's file name after). Found with str.find: linear."""
    at = name.find(_BLACKBOARD_ATTEMPT)
    while at > 0:
        start, end = name.rfind("_", 0, at) + 1, at + len(_BLACKBOARD_ATTEMPT) + 19
        stamp = name[at + len(_BLACKBOARD_ATTEMPT):end]
        receipt = len(name) == end + 4 and name.endswith(".txt")
        if 1 < start < at and _BLACKBOARD_TIME.fullmatch(stamp) and (receipt or name.startswith("_", end)):
            day, clock = stamp[:10], stamp[11:].replace("-", ":")
            return Upload(name[start:at], name[end + (0 if receipt else 1):], attempt=stamp,
                          submitted_at=f"{day}T{clock}")
        at = name.find(_BLACKBOARD_ATTEMPT, at + 1)
    return None


def lms_upload(name: str) -> Upload | None:
    """The Canvas or Blackboard reading of a top-level file name, or None for any other name."""
    return _canvas_upload(name) or _blackboard_upload(name)


def student_id_from(name: str) -> str:
    """The student id in a top-level file or folder name, parsed against an LMS's whole naming scheme (Canvas,
    Blackboard, Moodle; see the module docstring), else the name without its extension; always display-safe and
    bounded (see display_name)."""
    upload = lms_upload(name)
    found = _moodle_id(name) or (upload.student_id if upload else None)
    return display_name(found or (PurePosixPath(name).stem if name.endswith((*CODE_SUFFIXES, ".zip")) else name))


class RefusedError(ValueError):
    """A folder, an archive or one of their entries breaks the reading rules; the message says why."""


@dataclass(frozen=True)
class _Tree:
    """A folder or an archive: its regular files by relative "/"-separated name, the entries refused (links,
    devices) with why, and a reader of one file that raises RefusedError."""

    root: Path
    files: list[str]
    refused: dict[str, str]
    read: Callable[[str], bytes]


def _kind(name: str) -> str:
    return PYTHON if name.endswith(".py") else NOTEBOOK


def _loaded(tree: _Tree, name: str, student_id: str, names: frozenset[str]) -> Submission:
    """One file of a tree as a Submission, or as its error row: bad bytes fail only their own entry."""
    path, shown = tree.root / name, display_name(name)
    if name in tree.refused:
        return Submission(student_id, path, _kind(name), error=f"{shown}: refused: {tree.refused[name]}")
    try:
        return _from_bytes(tree.read(name), shown, student_id, path, names)
    except RefusedError as error:
        return Submission(student_id, path, _kind(name), error=f"{shown}: {error}")
    except RecursionError:  # json's decoder on `[[[[...`: the file, not the grader, is at fault
        return Submission(student_id, path, _kind(name), error=f"{shown}: the notebook's JSON is nested too deeply")


def _is_noise(part: str) -> bool:
    """Names no student submits: hidden files and folders (.ipynb_checkpoints, .DS_Store), OS and cache folders."""
    return part.startswith(".") or part in ("__MACOSX", "__pycache__")


def _read_path(path: Path) -> bytes:
    """A regular file's first MAX_FILE_BYTES + 1 bytes; never follows a link, never waits on a pipe."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        raise RefusedError("a symbolic link" if error.errno == errno.ELOOP
                           else f"cannot be read ({error.strerror})") from None
    with open(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise RefusedError("not a regular file")
        return handle.read(MAX_FILE_BYTES + 1)


def _folder_tree(folder: Path) -> _Tree:
    """A folder's files, walked without following links; RefusedError when it is too big to be submissions."""
    files: list[str] = []
    refused: dict[str, str] = {}
    pending, size = [""], 0
    while pending:
        prefix = pending.pop()
        with os.scandir(folder / prefix) as scan:
            for entry in scan:
                name = prefix + entry.name
                if _is_noise(entry.name):
                    continue
                if entry.is_symlink():
                    refused[name] = "a symbolic link"
                elif entry.is_dir(follow_symlinks=False):
                    pending.append(name + "/")
                elif entry.is_file(follow_symlinks=False):
                    files.append(name)
                    size += entry.stat(follow_symlinks=False).st_size if name.endswith(CODE_SUFFIXES) else 0
                else:
                    refused[name] = "not a regular file"
        if len(files) + len(refused) > MAX_ARCHIVE_ENTRIES or size > MAX_ARCHIVE_BYTES:
            raise RefusedError(f"more than {MAX_ARCHIVE_ENTRIES} files or {MAX_ARCHIVE_BYTES // 2**30} GB of code")
    return _Tree(folder, sorted(files), refused, lambda name: _read_path(folder / name))


def _listing(names: Iterable[str]) -> str:
    """Names for an error message: the first MAX_LISTED, and how many more."""
    names = sorted(names)
    shown = ", ".join(display_name(n) for n in names[:MAX_LISTED]) or "nothing"
    return shown + (f" and {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else "")


def _could_be_work(name: str, row: Submission, refused: dict[str, str]) -> bool:
    """Whether a code file may be a student's work: every notebook, every .py that defines a graded function, and
    a refused one too (a link), so that it gets its error row instead of vanishing."""
    return name.endswith(".ipynb") or row.error is None or name in refused


def _uploaded_name(name: str, uploads: dict[str, Upload]) -> str:
    """The name the student gave a file: what an LMS's name for it says, else its own name."""
    return uploads[name].upload if name in uploads else PurePosixPath(name).name


def _candidates(rows: dict[str, Submission], assignment: Assignment, refused: dict[str, str],
                uploads: dict[str, Upload]) -> list[str]:
    """The files that may be one student's submission: the assignment's notebook where there is one, else every
    file that could be work (see _could_be_work)."""
    named = [n for n in rows if _uploaded_name(n, uploads) == assignment.notebook]
    return named or [n for n, row in rows.items() if _could_be_work(n, row, refused)]


def _pick(members: list[str], rows: dict[str, Submission], assignment: Assignment, refused: dict[str, str],
          uploads: dict[str, Upload]) -> list[str]:
    """The files one student's submission may be, by the rule (README, "LMS downloads"): the latest attempt's files
    only (Blackboard), of those the assignment's notebook if there is one, else every file that could be work; of
    several uploads of one name, the latest (Canvas's `-<n>` renaming). One file left: it is graded."""
    attempt = max((uploads[n].attempt for n in members if n in uploads), default="")
    current = {n: rows[n] for n in members if n in rows and (n not in uploads or uploads[n].attempt == attempt)}
    chosen = _candidates(current, assignment, refused, uploads)
    if len(chosen) > 1 and all(n in uploads for n in chosen) and len({uploads[n].upload for n in chosen}) == 1:
        latest = max(uploads[n].revision for n in chosen)
        return [n for n in chosen if uploads[n].revision == latest]
    return chosen


def _ignored(names: list[str]) -> tuple[str, ...]:
    """The listing of a student's files that were not graded: at most MAX_LISTED names, then how many more."""
    names = sorted(names)
    more = (f"and {len(names) - MAX_LISTED} more",) if len(names) > MAX_LISTED else ()
    return tuple(display_name(n) for n in names[:MAX_LISTED]) + more


def _graded_file(row: Submission, student_id: str, upload: Upload | None, others: list[str]) -> Submission:
    """The chosen file's row under the student's id, with what the LMS said and the files that were not graded
    (also told to the student in a note)."""
    ignored = _ignored(others)
    note = (f"Graded {display_name(row.path.name)}; not graded: {', '.join(ignored)} (the assignment's notebook "
            "is graded over other files, and the latest attempt or upload over earlier ones).")
    return dataclasses.replace(row, student_id=student_id, ignored=ignored,
                               notes=row.notes + ((note,) if others else ()), late=upload.late if upload else False,
                               submitted_at=upload.submitted_at if upload else None)


def _student_files(tree: _Tree, members: list[str], rows: dict[str, Submission], where: str, student_id: str,
                   assignment: Assignment, uploads: dict[str, Upload] | None = None) -> Submission:
    """One student's files (a folder's, or those an LMS named for them): graded from the one file the rule picks
    (see _pick); otherwise an error row listing the candidates or what there is.

    where -- the folder under the tree's root ("" for the root), or the student's first file
    uploads -- what the LMS's names say, by file (Canvas, Blackboard); none for a folder's files
    """
    uploads = uploads or {}
    chosen = _pick(members, rows, assignment, tree.refused, uploads)
    if len(chosen) == 1:
        others = [n for n in members if n in rows and n != chosen[0]]
        return _graded_file(rows[chosen[0]], student_id, uploads.get(chosen[0]), others)
    shown = display_name(where or tree.root.name)
    if chosen:
        why = f"several files could be the submission ({_listing(chosen)}): keep one"
    else:
        why = f"no .ipynb or .py file that could be the submission (found: {_listing(members)})"
    latest = max((uploads[n] for n in members if n in uploads), key=lambda u: u.attempt, default=None)
    return Submission(student_id, tree.root / where, NOTEBOOK, error=f"{shown}: {why}",
                      late=latest.late if latest else False, submitted_at=latest.submitted_at if latest else None)


def _member(fields: dict[str, str]) -> Member:
    """A submitter of Gradescope's metadata; the id is their sid, else email, else name."""
    return Member(display_name(fields.get("sid") or fields.get("email") or fields.get("name", "")),
                  display_name(fields.get("name", "")), display_name(fields.get("email", "")))


def _gradescope_members(text: str) -> dict[str, tuple[Member, ...]]:
    """Gradescope's submission_metadata.yml: `submission_<n>` folder -> its `:submitters:`, each `- :name:` item a
    member with its `:sid:` and `:email:` (at most MAX_MEMBERS). Read line by line with string methods: linear in
    the file's size whatever it holds."""
    found: dict[str, list[dict[str, str]]] = {}
    current, block = None, -1  # block: the indentation of the current `:submitters:` key, -1 outside one
    for line in text.splitlines():
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if line[:1].strip():  # a top-level key: the next submission, or something else
            key = line.rstrip()
            current, block = (key[:-1] if key.endswith(":") and _GRADESCOPE_FOLDER.fullmatch(key[:-1]) else None), -1
            continue
        if stripped.startswith(":") and indent <= block:
            block = -1  # the next key of the submission: the list of submitters is over
        if current and stripped == ":submitters:":
            block = indent
            continue
        field = stripped.removeprefix("-").strip()
        key, _, value = field.removeprefix(":").partition(":")
        people = found.setdefault(current, []) if current and block >= 0 else None
        if people is None or not field.startswith(":") or key not in ("sid", "email", "name"):
            continue
        if (stripped.startswith("-") or not people) and len(people) < MAX_MEMBERS:
            people.append({})
        people[-1].setdefault(key, value.strip().strip("'\""))
    return {folder: tuple(_member(f) for f in people if any(f.values())) for folder, people in found.items() if people}


def _gradescope_root(tree: _Tree) -> tuple[str, dict[str, tuple[Member, ...]]]:
    """(prefix of the submissions, folder -> its members): a Gradescope export is honoured only at its root, the
    tree's top or its only folder `assignment_<n>_export/`, never in a student's folder."""
    tops = {name.split("/", 1)[0] for name in [*tree.files, *tree.refused]}
    only = next(iter(tops)) if len(tops) == 1 else ""
    for base in ("", f"{only}/" if _GRADESCOPE_EXPORT.fullmatch(only) else None):
        if base is not None and base + GRADESCOPE_METADATA in tree.files:
            try:
                text = tree.read(base + GRADESCOPE_METADATA)[:MAX_FILE_BYTES].decode(errors="replace")
            except RefusedError:
                text = ""
            return base, _gradescope_members(text)
    return "", {}


def _groups(names: Iterable[str], base: str) -> dict[str, list[str]]:
    """Entries under `base` per top-level name: a top-level file is its own group, a folder holds its files."""
    groups: dict[str, list[str]] = {}
    for name in names:
        if name.startswith(base) and name != base + GRADESCOPE_METADATA:
            groups.setdefault(name[len(base):].split("/", 1)[0], []).append(name)
    return groups


def _lms_students(tree: _Tree, files: list[str], base: str, rows: dict[str, Submission],
                  assignment: Assignment) -> tuple[list[Submission], list[str]]:
    """(one row per student, the files left): the top-level files an LMS named (Canvas, Blackboard) grouped by
    student, each group graded by the rule in _pick; the other files are left as they are."""
    uploads = {f: upload for f in files if (upload := lms_upload(f[len(base):])) is not None}
    students: dict[str, list[str]] = {}
    for name, upload in uploads.items():
        students.setdefault(display_name(upload.student_id), []).append(name)
    graded = []
    for student_id, members in sorted(students.items()):
        chosen = _pick(members, rows, assignment, tree.refused, uploads)
        if len(chosen) > 1 and len({uploads[n].upload for n in chosen}) == 1:
            # One name uploaded twice with no `-<n>`: Canvas never names files so. Both are claims (see _conflicts).
            graded += [dataclasses.replace(rows[n], student_id=student_id) for n in chosen]
        else:
            graded.append(_student_files(tree, members, rows, members[0], student_id, assignment, uploads))
    return graded, [f for f in files if f not in uploads]


def _tree_rows(tree: _Tree, assignment: Assignment, whole: str | None) -> list[Submission]:
    """The submissions in a folder or archive (the rules are in the README, "Grading").

    whole -- the student id of the tree if it turns out to be one student's folder (a folder given to `grade`);
             None for an archive, which is always a bulk download of many
    """
    names, shown = graded_names(assignment), display_name(tree.root.name)
    base, gradescope = _gradescope_root(tree)
    groups = _groups([*tree.files, *tree.refused], base)
    rows = {n: _loaded(tree, n, "", names) for n in [*tree.files, *tree.refused]
            if n.startswith(base) and n.endswith(CODE_SUFFIXES)}
    tops = {top: members for top, members in groups.items() if members != [base + top]}
    files = sorted(base + top for top, members in groups.items() if members == [base + top])
    top_candidates = [f for f in files if f in rows and _could_be_work(f, rows[f], tree.refused)]
    folders_with_candidates = [t for t, members in tops.items() if _candidates(
        {n: rows[n] for n in members if n in rows}, assignment, tree.refused, {})]
    if whole is not None and not folders_with_candidates and len(top_candidates) == 1:
        return [dataclasses.replace(rows[top_candidates[0]], student_id=whole)]  # one student's folder
    if whole is not None and any(PurePosixPath(f).name == assignment.notebook for f in top_candidates):
        found = _listing([*top_candidates, *(f"{t}/" for t in folders_with_candidates)])
        return [Submission(whole, tree.root, NOTEBOOK, error=f"{shown}: ambiguous: is it one student's "
                           f"folder or a class's? It holds the assignment's notebook {assignment.notebook} beside "
                           f"other submissions (found: {found}); give each student a file or a folder of their own")]
    submissions, files = _lms_students(tree, files, base, rows, assignment)
    ignored = {f for f in files if f not in rows and f not in tree.refused}
    if ignored:
        _log.warning("%s: not graded (neither a notebook nor a .py file): %s", tree.root, _listing(ignored))
    submissions += [dataclasses.replace(rows[f] if f in rows else _loaded(tree, f, "", names),
                                        student_id=student_id_from(f[len(base):])) for f in files if f not in ignored]
    for top, members in sorted(tops.items()):
        group = gradescope.get(top, ())
        student_id = group[0].id if group else student_id_from(top)
        row = _student_files(tree, members, rows, base + top, student_id, assignment)
        submissions.append(dataclasses.replace(row, members=group))
    if not submissions:
        return [Submission(whole or student_id_from(tree.root.name), tree.root, NOTEBOOK,
                           error=f"{shown}: no .ipynb or .py file (found: {_listing(tree.files)})")]
    return submissions


def load_file(path: Path, assignment: Assignment, student_id: str | None = None) -> Submission:
    """One student's submission: a .ipynb or .py file, or a folder holding one candidate (see _pick)."""
    student_id = student_id or student_id_from(path.name)
    tree = _Tree(path.parent, [path.name], {}, lambda name: _read_path(path.parent / name))
    if path.is_dir() and not path.is_symlink():
        try:
            tree = _folder_tree(path)
        except (RefusedError, OSError) as error:
            return Submission(student_id, path, NOTEBOOK, error=f"{display_name(path.name)}: refused ({error})")
        members = [*tree.files, *tree.refused]
        rows = {n: _loaded(tree, n, student_id, graded_names(assignment)) for n in members
                if n.endswith(CODE_SUFFIXES)}
        return _student_files(tree, members, rows, "", student_id, assignment)
    if not path.name.endswith(CODE_SUFFIXES):
        return Submission(student_id, path, NOTEBOOK,
                          error=f"{display_name(path.name)}: not a notebook (.ipynb) or a .py file")
    return _loaded(tree, path.name, student_id, graded_names(assignment))


def load_folder(path: Path, assignment: Assignment) -> list[Submission]:
    """A folder given to `grade`: one student's work, or many students' files and folders (README, "Grading")."""
    try:
        return _tree_rows(_folder_tree(path), assignment, student_id_from(path.name))
    except (RefusedError, OSError) as error:
        return [Submission(student_id_from(path.name), path, NOTEBOOK,
                           error=f"{display_name(path.name)}: refused ({error})")]


def _latin_letters(text: str) -> int:
    """How many of a name's first 255 characters are Latin letters beyond ASCII (bounded: names are any length)."""
    return sum(unicodedata.name(c, "").startswith("LATIN ") for c in text[:255] if not c.isascii())


def _entry_name(info: zipfile.ZipInfo) -> str:
    """An archive entry's name decoded as its maker meant it. Without the UTF-8 flag (bit 11) zipfile decodes cp437,
    the ZIP standard's code page (APPNOTE 4.4.4), but many tools write UTF-8 without the flag (`müller` then reads
    `m├╝ller`), Windows' own zip writes the OEM code page (cp850 in Western Europe: `sørensen`, not `s¢rensen`),
    and some tools cp1252. The bytes are recovered from the cp437 text and read as UTF-8 when they are that, else
    in whichever of cp437, cp850 and cp1252 gives the most Latin letters (cp437 on a tie). Python 3.10 has no
    ZipFile(metadata_encoding=...)."""
    if info.flag_bits & 0x800 or info.orig_filename.isascii():
        return info.filename
    raw = info.orig_filename.encode("cp437")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        readings = [info.orig_filename, raw.decode("cp850"), raw.decode("cp1252", errors="replace")]
        text = max((r for r in readings if "\ufffd" not in r), key=_latin_letters)
    return text.split("\0", 1)[0]  # as zipfile does: a name ends at a NUL


def _safe_entries(archive: zipfile.ZipFile) -> tuple[dict[str, zipfile.ZipInfo], dict[str, str], list[str]]:
    """Regular-file entries and refused ones (links) by their normalised name, and the names of entries whose
    path leaves the archive."""
    infos = archive.infolist()
    if len(infos) > MAX_ARCHIVE_ENTRIES:
        raise RefusedError(f"more than {MAX_ARCHIVE_ENTRIES} entries")
    if sum(i.file_size for i in infos) > MAX_ARCHIVE_BYTES:
        raise RefusedError(f"more than {MAX_ARCHIVE_BYTES // 2**30} GB uncompressed")
    entries, refused, leaving = {}, {}, []
    for info in infos:
        name = _entry_name(info).replace("\\", "/")
        parts = PurePosixPath(name).parts
        if name.startswith("/") or ".." in parts or _DRIVE.match(name):
            leaving.append(info.filename)
        elif info.is_dir() or any(_is_noise(p) for p in parts):
            continue
        elif stat.S_ISLNK(info.external_attr >> 16):
            refused["/".join(parts)] = "a link"
        else:
            entries["/".join(parts)] = info
    return entries, refused, leaving


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """An entry's bytes, stopping as soon as it proves bigger than declared or allowed."""
    limit = min(info.file_size, MAX_FILE_BYTES) + 1
    if info.file_size > 2**20 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise RefusedError(f"compression ratio above {MAX_RATIO} (a zip bomb?)")
    try:
        with archive.open(info) as handle:
            data = handle.read(limit)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError) as error:
        raise RefusedError(f"cannot be unpacked ({type(error).__name__}: {str(error)[:200]})") from None
    if len(data) > info.file_size or len(data) > MAX_FILE_BYTES:
        raise RefusedError("larger than allowed")
    return data


def load_zip(path: Path, assignment: Assignment) -> list[Submission]:
    """A bulk download (Canvas, Moodle, Gradescope or plain): one Submission per student."""
    shown = display_name(path.name)
    try:
        with zipfile.ZipFile(path) as archive:
            entries, refused, leaving = _safe_entries(archive)
            tree = _Tree(path, sorted(entries), refused, lambda name: _read_entry(archive, entries[name]))
            rows = [Submission(display_name(name), path, NOTEBOOK,
                               error=f"{shown}: refused {display_name(name)}: a path leaving the archive")
                    for name in leaving]
            return rows + _tree_rows(tree, assignment, None)
    except (zipfile.BadZipFile, RefusedError, OSError, EOFError, RuntimeError, NotImplementedError,
            UnicodeDecodeError) as error:  # UnicodeDecodeError: an entry's name flagged UTF-8 is not
        return [Submission(student_id_from(path.name), path, NOTEBOOK,
                           error=f"{shown}: archive refused or unreadable ({type(error).__name__}: "
                                 f"{str(error)[:200]})")]


def _claimed_ids(submission: Submission) -> list[str]:
    """The student ids a submission would give gradebook rows: its own, and each member's of a group."""
    return list(dict.fromkeys([submission.student_id, *(m.id for m in submission.members)]))


def _conflicts(submissions: list[Submission]) -> list[Submission]:
    """Every row whose student id another row also claims (as its own, or as a group member's: a student who
    submitted alone and in a group) becomes an error that names the other rows: the grader never picks one of
    them in silence. The same file given twice is one row."""
    unique = list({(s.student_id, s.path): s for s in submissions}.values())
    claims: dict[str, list[Path]] = {}
    for submission in unique:
        for student_id in _claimed_ids(submission):
            claims.setdefault(student_id, []).append(submission.path)
    flagged = []
    for s in unique:
        shared = {i: [str(p) for p in claims[i] if p != s.path] for i in _claimed_ids(s)}
        shared = {i: others for i, others in shared.items() if others}
        if shared:
            student_id, others = next(iter(shared.items()))
            why = (f"{display_name(str(s.path))}: conflict: student id {student_id} is also claimed by "
                   f"{_listing(others)}; none of them is graded until the files are told apart")
            s = dataclasses.replace(s, source="", cells=(), error=why + (f" (and: {s.error})" if s.error else ""))
        flagged.append(s)
    return flagged


def load_submissions(paths: Path | Iterable[Path], assignment_name: str | None = None,
                     course: Course | None = None) -> list[Submission]:
    """Every submission in the given files, folders and archives, in the order given (course: course.toml's).
    A path that is a symbolic link is refused: it may point anywhere, the reference included."""
    assignment = (load_course() if course is None else course).assignment(assignment_name)
    submissions = []
    for path in [paths] if isinstance(paths, Path) else paths:
        path = Path(path)
        if path.is_symlink():
            submissions.append(Submission(student_id_from(path.name), path, _kind(path.name),
                                          error=f"{display_name(path.name)}: refused: a symbolic link"))
        elif path.suffix == ".zip" and path.is_file():
            submissions += load_zip(path, assignment)
        elif path.is_dir():
            submissions += load_folder(path, assignment)
        else:
            submissions.append(load_file(path, assignment))
    return _conflicts(submissions)
