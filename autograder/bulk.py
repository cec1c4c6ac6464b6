"""Bulk grading: many submissions in parallel workers, with a progress bar and a journal to resume from.

grade_batch expands the paths into submissions, skips those the journal (out_dir/journal.jsonl) already
holds, grades the rest in worker processes (each calls the isolated runner, which sandboxes the student's
code) and journals each grade as it arrives. At the end it writes every report (results.json and feedback per
submission, the gradebook, the class summary) from the journal, each file atomically. Kill it at any moment
and run it again: it finishes the rest, grades nothing twice, and its outputs equal an uninterrupted run's.
"""

import hashlib
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .checks import assignment_checks
from .course import Course
from .graded import GradedSubmission, bounded
from .journal import JOURNAL_NAME, Journal
from .labkit.framework import CRASHED, TIMEOUT
from .pool import run_pool
from .reports.writer import write_batch_reports
from .submission import Submission, load_submissions

Grader = Callable[[Submission, str, Course], GradedSubmission]  # grade_submission(submission, assignment, course)
DEADLINE_MARGIN_SECONDS = 60.0
MAX_FOLDER_CHARS = 80  # a report folder's name: far below any file system's limit (255 bytes)
_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]+")


def submission_key(submission: Submission) -> str:
    """The journal key: the student id and the sha256 of what is graded (the answer code, or why there is none)."""
    # The cells count too: the execute-notebooks mode runs them (the fingerprint says whether it is on).
    content = f"{submission.kind}\0{submission.source}\0{submission.error or ''}\0" + "\0".join(submission.cells)
    digest = hashlib.sha256(content.encode("utf-8", "backslashreplace")).hexdigest()
    return f"{submission.student_id}:{digest}"


def grading_fingerprint(course: Course, assignment_name: str) -> str:
    """What grades depend on besides the submission: a different value means old journal lines do not apply."""
    assignment = course.assignment(assignment_name)
    settings = {"assignment": assignment.name, "salt": course.seed_salt, "points": assignment.points,
                "execute_notebooks": course.grading.execute_notebooks}
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


def _folder_name(student_id: str) -> str:
    """The student id as an ASCII file name of at most MAX_FOLDER_CHARS + 13 characters; a longer id is cut and
    keeps a hash of the whole, so that two long ids stay two folders."""
    name = _UNSAFE.sub("_", student_id).lstrip(".") or "_"
    if len(name) <= MAX_FOLDER_CHARS:
        return name
    digest = hashlib.sha256(student_id.encode("utf-8", "backslashreplace")).hexdigest()
    return f"{name[:MAX_FOLDER_CHARS]}-{digest[:12]}"


def folder_names(submissions: Sequence[Submission]) -> list[str]:
    """A safe, bounded, unique folder name per submission under out_dir/submissions/ (the student id if it can be)."""
    keys = [submission_key(s) for s in submissions]
    names = [_folder_name(s.student_id) for s in submissions]
    owners: dict[str, set[str]] = {}
    for name, key in zip(names, keys, strict=True):
        owners.setdefault(name.lower(), set()).add(key)
    return [name if len(owners[name.lower()]) == 1 else f"{name}-{key.rsplit(':', 1)[1][:8]}"
            for name, key in zip(names, keys, strict=True)]


def _not_run(submission: Submission, course: Course, assignment_name: str, status: str, error: str,
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
            graded = _not_run(task.submission, self.course, self.assignment_name, CRASHED,
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


def grade_batch(paths: Sequence[Path | str], out_dir: Path | str, course: Course, assignment_name: str,
                jobs: int, grader: Grader | None = None,
                hidden_visibility: str = "after_published") -> list[GradedSubmission]:
    """Grade every submission under `paths` into `out_dir` (see the module docstring).

    Returns one GradedSubmission per submission, in the order the paths expand to.
    grader -- defaults to the sandboxed run.isolated.grade_submission; a module-level function
    hidden_visibility -- results.json visibility of hidden checks ("after_published", "hidden", ...)
    """
    from .run.isolated import grade_submission

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    submissions = load_submissions([Path(p) for p in paths], assignment_name, course)
    keys = [submission_key(s) for s in submissions]
    journal = Journal(out / JOURNAL_NAME, grading_fingerprint(course, assignment_name))
    done = journal.load()
    tasks, queued = [], set()
    for key, submission in zip(keys, submissions, strict=True):
        if key not in done and key not in queued:
            queued.add(key)
            tasks.append(_Task(key, submission))
    unique = len(set(keys))
    progress = Progress(unique, unique - len(tasks))
    work = _Work(grader or grade_submission, course, assignment_name)
    deadline = _deadline(course, assignment_name)

    lost_keys: set[str] = set()

    def lost(task: _Task, why: str, timed_out: bool, seconds: float) -> dict[str, Any]:
        lost_keys.add(task.key)
        status = TIMEOUT if timed_out else CRASHED
        return bounded(_not_run(task.submission, course, assignment_name, status, why, seconds)).to_dict()

    for task, value in run_pool(tasks, jobs, work, deadline, lost):
        graded = GradedSubmission.from_dict(value)
        if task.key not in lost_keys:  # a lost worker is not journaled: a rerun tries that submission again
            journal.append(task.key, graded)
        done[task.key] = graded
        progress.advance(graded)
    progress.finish()
    results = [done[key] for key in keys]
    write_batch_reports(results, folder_names(submissions), out, course.assignment(assignment_name).title,
                        hidden_visibility)
    return results


def _deadline(course: Course, assignment_name: str) -> float:
    """How long one submission may take in a worker before the worker is killed: a backstop behind the
    isolated runner's own per-check limits, never reached by a submission those limits can stop."""
    grading = course.grading
    checks = len(course.assignment(assignment_name).points)
    load = grading.execute_timeout_seconds if grading.execute_notebooks else grading.load_timeout_seconds
    # Every check may time out, and each timeout or crash starts a new child that loads the code again.
    return (checks + 1) * (load + grading.check_timeout_seconds) + DEADLINE_MARGIN_SECONDS
