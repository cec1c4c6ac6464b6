"""The batch journal: one fsynced JSON line per graded submission, the source of every class report.

Each line holds the submission's key (student id + sha256 of what is graded), the grading fingerprint (see
fingerprint.py: a grade is reused only under the same one), the number of the batch that wrote it, and the
GradedSubmission; `"retry": true` marks a row whose worker was lost, reported but graded again next time. A line
is written with one write() and fsynced before the batch moves on; a line cut short by a kill is dropped (and cut
off the file) when the journal is scanned again.

The class is what the journal says, whichever subset a batch graded: per student, the rows of the last batch that
named the student. `scan` reads the journal once and keeps only a small Entry per key (where its line is, whose
it is); the reports then read each row's line again by its offset, one at a time, so memory does not grow with
the size of the grades.
"""

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .graded import GradedSubmission

JOURNAL_NAME = "journal.jsonl"


@dataclass(frozen=True)
class Entry:
    """Where a key's latest line is, and what the reports need to order and name its row without reading it."""

    key: str
    student_id: str
    source_path: str
    fingerprint: str
    batch: int
    offset: int
    retry: bool

    @staticmethod
    def student_of(key: str) -> str:
        """The student id a key starts with (as the submission named it, before any report cut it)."""
        return key.rsplit(":", 1)[0]


@dataclass
class JournalIndex:
    """What one pass over the journal found: the latest line of every key, and every check id seen, in order."""

    latest: dict[str, Entry] = field(default_factory=dict)
    check_ids: dict[str, None] = field(default_factory=dict)  # an ordered set

    def done(self, fingerprint: str) -> set[str]:
        """The keys whose latest grade holds under `fingerprint` (a lost worker's row does not)."""
        return {k for k, e in self.latest.items() if e.fingerprint == fingerprint and not e.retry}

    def student_keys(self) -> dict[str, set[str]]:
        """Per student, the keys of the last batch that named the student: the class's rows."""
        last: dict[str, int] = {}
        for entry in self.latest.values():
            last[entry.student_id] = max(entry.batch, last.get(entry.student_id, -1))
        keys: dict[str, set[str]] = {}
        for entry in self.latest.values():
            if entry.batch == last[entry.student_id]:
                keys.setdefault(entry.student_id, set()).add(entry.key)
        return keys

    def rows(self) -> list[Entry]:
        """The class's rows, sorted by student id and source path."""
        winners = [self.latest[k] for keys in self.student_keys().values() for k in keys]
        return sorted(winners, key=lambda e: (e.student_id, e.source_path, e.key))


class Journal:
    """Append-only record of the graded submissions of one output folder (one writer at a time)."""

    def __init__(self, path: Path, fingerprint: str) -> None:
        self.path = path
        self.fingerprint = fingerprint
        self.index = JournalIndex()  # filled by scan(), kept current by append()
        self.batch = 0  # the number this run's lines carry: one more than any scanned

    def _lines(self) -> Iterator[tuple[int, bytes]]:
        """(offset, line) of every complete line; cuts a torn last line off the file."""
        if not self.path.exists():
            return
        offset = 0
        with open(self.path, "rb") as handle:
            for line in handle:
                if not line.endswith(b"\n"):  # the batch was killed mid-line: forget the fragment
                    break
                yield offset, line
                offset += len(line)
        if offset < self.path.stat().st_size:
            with open(self.path, "r+b") as handle:
                handle.truncate(offset)
                os.fsync(handle.fileno())

    def scan(self) -> JournalIndex:
        """Index the journal in one pass, and number this run's batch after the last one in it."""
        self.index = JournalIndex()
        for offset, line in self._lines():
            try:
                self._note(json.loads(line), offset)
            except (ValueError, KeyError, TypeError, AttributeError):
                continue  # a damaged line is as good as absent: that submission is graded again
        self.batch = max((e.batch + 1 for e in self.index.latest.values()), default=0)
        return self.index

    def _note(self, raw: dict, offset: int) -> None:
        graded = raw["graded"]
        entry = Entry(raw["key"], Entry.student_of(raw["key"]), graded["source_path"], raw["fingerprint"],
                      int(raw.get("batch", 0)), offset, raw.get("retry", False) is True)
        self.index.check_ids.update(dict.fromkeys(graded["max_points"]))
        self.index.latest[entry.key] = entry

    def read(self, entries: Iterable[Entry]) -> Iterator[GradedSubmission]:
        """The grade on each entry's line, read one at a time."""
        if not self.path.exists():  # nothing journaled yet: there can be no entry
            return
        with open(self.path, "rb") as handle:
            for entry in entries:
                handle.seek(entry.offset)
                yield GradedSubmission.from_dict(json.loads(handle.readline())["graded"])

    def append(self, key: str, graded: GradedSubmission, retry: bool = False) -> None:
        """Record one graded submission durably, in this run's batch."""
        raw = {"key": key, "fingerprint": self.fingerprint, "batch": self.batch, "graded": graded.to_dict()}
        if retry:
            raw["retry"] = True
        # ASCII escapes: any text encodes, lone surrogates (file names that were not UTF-8) included.
        line = (json.dumps(raw, sort_keys=True) + "\n").encode("ascii")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            offset = os.fstat(fd).st_size  # where O_APPEND puts the line: this journal has one writer
            while line:
                line = line[os.write(fd, line):]
            os.fsync(fd)
        finally:
            os.close(fd)
        self._note(raw, offset)
