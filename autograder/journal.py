"""The batch journal: one fsynced JSON line per finished submission, so a killed batch resumes.

Each line holds the submission's key (student id + sha256 of its content), the grading fingerprint
(assignment, seed salt, points: a change in any of them means old grades no longer apply) and the
GradedSubmission. A line is written with one write() and fsynced before the batch moves on; a line cut
short by a kill is dropped (and cut off the file) when the journal is opened again.
"""

import json
import os
from pathlib import Path

from .graded import GradedSubmission

JOURNAL_NAME = "journal.jsonl"


class Journal:
    """Append-only record of the graded submissions of one output folder."""

    def __init__(self, path: Path, fingerprint: str) -> None:
        self.path = path
        self.fingerprint = fingerprint

    def load(self) -> dict[str, GradedSubmission]:
        """The grades already recorded under this fingerprint, by key; repairs a torn last line."""
        if not self.path.exists():
            return {}
        raw = self.path.read_bytes()
        end = raw.rfind(b"\n") + 1
        if end < len(raw):  # the batch was killed mid-line: forget the fragment
            with open(self.path, "r+b") as handle:
                handle.truncate(end)
                os.fsync(handle.fileno())
        done: dict[str, GradedSubmission] = {}
        for line in raw[:end].splitlines():
            try:
                entry = json.loads(line)
                if entry["fingerprint"] == self.fingerprint:
                    done.setdefault(entry["key"], GradedSubmission.from_dict(entry["graded"]))
            except (ValueError, KeyError, TypeError):
                continue  # a damaged line is as good as absent: that submission is graded again
        return done

    def append(self, key: str, graded: GradedSubmission) -> None:
        """Record one finished submission durably."""
        entry = {"key": key, "fingerprint": self.fingerprint, "graded": graded.to_dict()}
        # ASCII escapes: any text encodes, lone surrogates (file names that were not UTF-8) included.
        line = (json.dumps(entry, sort_keys=True) + "\n").encode("ascii")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            while line:
                line = line[os.write(fd, line):]
            os.fsync(fd)
        finally:
            os.close(fd)
