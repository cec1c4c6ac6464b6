"""Bulk grading: many submissions in parallel workers, with a progress bar and a journal to resume from.

grade_batch expands the paths into submissions, skips those whose grade the journal (out_dir/journal.jsonl)
already holds under the current grading fingerprint (fingerprint.py: the grading code, the reference, the
grading settings, the grader's version; `force` regrades anyway), grades the rest in worker processes (each calls
the isolated runner, which sandboxes the student's code) and journals each grade as it arrives. At the end it
writes every report from the whole journal, so that grading a subset into an existing folder updates those rows
and keeps the rest of the class: per student, the rows of the last batch that named them. Kill it at any moment
and run it again: it finishes the rest, grades nothing twice, and its outputs equal an uninterrupted run's.
"""

import functools
import hashlib
import json
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, overload

from .checks import assignment_checks, misconception_explanations
from .course import Course
from .fingerprint import grading_fingerprint
from .graded import GradedSubmission, bounded
from .journal import JOURNAL_NAME, Entry, Journal
from .labkit.plan import Status
from .policies import course_policies
from .pool import run_pool
from .reports.writer import ClassRow, write_class_reports
from .submission import Submission, load_submissions

Grader = Callable[[Submission, str, Course], GradedSubmission]  # grade_submission(submission, assignment, course)
DEADLINE_MARGIN_SECONDS = 60.0
MAX_FOLDER_CHARS = 80  # a report folder's name: far below any file system's limit (255 bytes)
_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]+")


def submission_key(submission: Submission) -> str:
    """The journal key: the student id and the sha256 of what is graded (the answer code, or why there is none)."""
    # The cells count too: the execute-notebooks mode runs them (the fingerprint says whether it is on); and the
    # notes, which the grade repeats to the student. JSON keeps the parts apart and escapes any text to ASCII.
    content = json.dumps([submission.kind, submission.source, submission.error, submission.cells, submission.notes])
    digest = hashlib.sha256(content.encode("ascii")).hexdigest()
    return f"{submission.student_id}:{digest}"


def _folder_name(student_id: str) -> str:
    """The student id as an ASCII file name of at most MAX_FOLDER_CHARS + 13 characters; a longer id is cut and
    keeps a hash of the whole, so that two long ids stay two folders."""
    name = _UNSAFE.sub("_", student_id).lstrip(".") or "_"
    if len(name) <= MAX_FOLDER_CHARS:
        return name
    digest = hashlib.sha256(student_id.encode("utf-8", "backslashreplace")).hexdigest()
    return f"{name[:MAX_FOLDER_CHARS]}-{digest[:12]}"


def folder_names(rows: Sequence[tuple[str, str]]) -> list[str]:
    """A safe, bounded, unique folder name under out_dir/submissions/ per (student id, key) row: the student id if
    it can be, else with a piece of the key."""
    names = [_folder_name(student_id) for student_id, _ in rows]
    owners: dict[str, set[str]] = {}
    for name, (_, key) in zip(names, rows, strict=True):
        owners.setdefault(name.lower(), set()).add(key)
    return [name if len(owners[name.lower()]) == 1 else f"{name}-{key.rsplit(':', 1)[1][:8]}"
            for name, (_, key) in zip(names, rows, strict=True)]


def _not_run(submission: Submission, course: Course, assignment_name: str, status: Status, error: str,
             seconds: float) -> GradedSubmission:
    """The row of a submission whose grading itself failed: every check `status` with zero points, and why."""
    return GradedSubmission.not_run(submission.student_id, str(submission.path),
                                    assignment_checks(course.assignment(assignment_name)),
                                    course.assignment(assignment_name).points, status, error, seconds)


@dataclass(frozen=True)
class _Task:
    key: str
    submission: Submission


@dataclass(frozen=True)
class _Work:
    """What a worker does with one task: grade it (the parent journals and reports)."""

    grader: Grader
    course: Course
    assignment_name: str

    def __call__(self, task: _Task) -> dict[str, Any]:
        started = time.monotonic()
        try:
            graded = self.grader(task.submission, self.assignment_name, self.course)
        except Exception as error:  # a fault of the grader itself, not of the student's code
            graded = _not_run(task.submission, self.course, self.assignment_name, Status.CRASHED,
                              f"internal grader error: {type(error).__name__}: {error}", time.monotonic() - started)
        return bounded(graded).to_dict()  # capped here: a huge grade never even reaches the parent


class Progress:
    """A one-line progress bar on stderr when it is a terminal; otherwise only the final line."""

    WIDTH = 30

    def __init__(self, total: int, resumed: int, stream: TextIO | None = None) -> None:
        self.total, self.resumed, self.done, self.errors = total, resumed, resumed, 0
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.started = self.last_drawn = time.monotonic()

    def advance(self, graded: GradedSubmission) -> None:
        self.done += 1
        self.errors += graded.error is not None
        now = time.monotonic()
        if self.live and (now - self.last_drawn >= 0.1 or self.done == self.total):
            self.last_drawn = now
            filled = self.WIDTH * self.done // max(self.total, 1)
            rate = (self.done - self.resumed) / max(now - self.started, 1e-9)
            eta = (self.total - self.done) / rate if rate > 0 else 0.0
            self.stream.write(f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {self.done}/{self.total} "
                              f"{rate:.1f}/s eta {eta:.0f} s ")
            self.stream.flush()

    def finish(self) -> None:
        seconds = time.monotonic() - self.started
        graded_now = self.done - self.resumed
        line = (f"graded {graded_now} submissions in {seconds:.1f} s ({graded_now / max(seconds, 1e-9):.1f}/s)"
                + (f", {self.resumed} already in the journal" if self.resumed else "")
                + f"; {self.errors} could not be graded")
        self.stream.write(("\n" if self.live else "") + line + "\n")
        self.stream.flush()


class BatchResults(Sequence[GradedSubmission]):
    """The grades of a batch's submissions, in the order its paths expand to, read from the journal on demand
    (a batch of any size costs a few bytes per submission here)."""

    def __init__(self, journal: Journal, entries: list[Entry]) -> None:
        self.journal, self.entries = journal, entries

    def __len__(self) -> int:
        return len(self.entries)

    @overload
    def __getitem__(self, index: int) -> GradedSubmission: ...
    @overload
    def __getitem__(self, index: slice) -> list[GradedSubmission]: ...

    def __getitem__(self, index: int | slice) -> GradedSubmission | list[GradedSubmission]:
        if isinstance(index, slice):
            return list(self.journal.read(self.entries[index]))
        return next(self.journal.read([self.entries[index]]))

    def __iter__(self) -> Iterator[GradedSubmission]:
        return self.journal.read(self.entries)


def grade_batch(paths: Sequence[Path | str], out_dir: Path | str, course: Course, assignment_name: str,
                jobs: int, grader: Grader | None = None, hidden_visibility: str = "after_published",
                force: bool = False, scheduler: str | None = None) -> BatchResults:
    """Grade every submission under `paths` into `out_dir` (see the module docstring).

    Returns the grade of every submission, in the order the paths expand to.
    grader -- defaults to the sandboxed grading.grade_submission; a module-level function
    hidden_visibility -- results.json visibility of hidden checks ("after_published", "hidden", ...)
    force -- grade every submission again, whatever the journal holds
    scheduler -- grade on a Dask cluster (its scheduler's address, or "local[:N]"; see distributed.py), not here
    """
    from .grading import grade_submission

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    submissions = load_submissions([Path(p) for p in paths], assignment_name, course)
    keys = [submission_key(s) for s in submissions]
    journal = Journal(out / JOURNAL_NAME, grading_fingerprint(course, assignment_name))
    index = journal.scan()
    done = set() if force else index.done(journal.fingerprint)
    _carry_over(journal, keys, done)
    tasks = list({key: _Task(key, s) for key, s in zip(keys, submissions, strict=True) if key not in done}.values())
    progress = Progress(len(set(keys)), len(set(keys)) - len(tasks))
    # Where the sandbox cannot hide them by itself (rlimits), the output and every submission must be unreadable
    # to a submission's code: the grader proves it before grading (run/isolated.py), or refuses.
    private = (out.resolve(), *(Path(p).resolve() for p in paths))
    work = _Work(grader or functools.partial(grade_submission, private=private), course, assignment_name)
    lost_keys: set[str] = set()

    def lost(task: _Task, why: str, timed_out: bool, seconds: float) -> dict[str, Any]:
        lost_keys.add(task.key)
        status = Status.TIMEOUT if timed_out else Status.CRASHED
        return bounded(_not_run(task.submission, course, assignment_name, status, why, seconds)).to_dict()

    deadline = _deadline(course, assignment_name)
    if scheduler is None:
        finished = run_pool(tasks, jobs, work, deadline, lost)
    else:
        from .distributed import run_dask  # dask is optional and slow to import: only when asked for

        finished = run_dask(tasks, scheduler, work, deadline, lost)
    for task, value in finished:
        graded = GradedSubmission.from_dict(value).with_facts_of(task.submission)  # members, lateness, ignored
        # A lost worker may have been the machine's fault: its row is reported, and a rerun grades it again.
        journal.append(task.key, graded, retry=task.key in lost_keys)
        progress.advance(graded)
    progress.finish()
    _write_reports(journal, out, course, assignment_name, set(keys), hidden_visibility)
    return BatchResults(journal, [journal.index.latest[key] for key in keys])


def _carry_over(journal: Journal, keys: Sequence[str], done: set[str]) -> None:
    """Make this batch's rows the class's rows for every student it names: a student whose rows change (another
    file, or one more or fewer) gets their reused grades journaled again, in this batch."""
    named: dict[str, set[str]] = {}
    for key in keys:
        named.setdefault(Entry.student_of(key), set()).add(key)
    current = journal.index.student_keys()
    again = [journal.index.latest[k] for student, ks in named.items() if ks != current.get(student, set())
             for k in sorted(ks & done)]
    for entry, graded in zip(again, journal.read(again), strict=True):
        journal.append(entry.key, graded)


def _write_reports(journal: Journal, out: Path, course: Course, assignment_name: str, named: set[str],
                   hidden_visibility: str) -> None:
    """Every report of the class the journal holds: the gradebook and summary in one pass over its rows, and each
    row's own reports where this run named it or they are missing."""
    entries = journal.index.rows()
    folders = folder_names([(e.student_id, e.key) for e in entries])
    rows = (ClassRow(graded, folder, entry.fingerprint != journal.fingerprint, entry.key in named)
            for entry, folder, graded in zip(entries, folders, journal.read(entries), strict=True))
    assignment = course.assignment(assignment_name)
    # Columns in the catalogue's order, then any check that only rows graded with older checks have.
    checks = dict.fromkeys(c.id for c in assignment_checks(assignment)) | journal.index.check_ids
    write_class_reports(rows, out, assignment.title, list(checks), misconception_explanations(assignment),
                        hidden_visibility, course_policies(course, assignment_name))


def _deadline(course: Course, assignment_name: str) -> float:
    """How long one submission may take in a worker before the worker is killed: a backstop behind the
    isolated runner's own per-check limits, never reached by a submission those limits can stop."""
    grading = course.grading
    checks = len(course.assignment(assignment_name).points)
    load = grading.execute_timeout_seconds if grading.execute_notebooks else grading.load_timeout_seconds
    # Every check may time out, and each timeout or crash starts a new child that loads the code again.
    return (checks + 1) * (load + grading.check_timeout_seconds) + DEADLINE_MARGIN_SECONDS
