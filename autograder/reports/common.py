"""What the reports share: atomic file writes, status words, and the check order of a submission."""

import base64
import contextlib
import glob
import html
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ..graded import GradedSubmission
from ..labkit.plan import Status

# How each status reads in feedback and summaries.
STATUS_LABELS = {
    Status.PASSED: "passed",
    Status.FAILED: "wrong",
    Status.NOT_ATTEMPTED: "not attempted",
    Status.MISSING: "function missing",
    Status.ERROR: "raised an error",
    Status.INVALID: "returned the wrong type",
    Status.TIMEOUT: "timed out",
    Status.CRASHED: "crashed",
}
NOT_GRADED = "not graded"  # a check with no result: the submission could not be graded at all


def status_label(status: Status) -> str:
    """The words a reader sees for a result status."""
    return STATUS_LABELS.get(status, status.replace("_", " "))


def submission_status(graded: GradedSubmission) -> str:
    """One word for the whole submission: "error" (could not be graded), "timeout"/"crashed", or "ok"."""
    if graded.error is not None:
        return "error"
    for status in (Status.TIMEOUT, Status.CRASHED):
        if any(r.status == status for r in graded.results):
            return status
    return "ok"


def check_ids(graded: GradedSubmission) -> list[str]:
    """Every check of the submission's assignment: those with a result first, then any left ungraded."""
    ids = [r.check_id for r in graded.results]
    return ids + [c for c in graded.max_points if c not in ids]


@contextlib.contextmanager
def atomic_open(path: Path) -> Iterator[BinaryIO]:
    """A file to write `path` through, so that readers (and a resumed batch) see the old content or the new,
    never a part: it replaces `path` when the block ends, and vanishes if the block raises. What a killed run left
    half-written for `path` goes when `path` is written again (one writer per output folder: the journal's)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        stale.unlink(missing_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write a whole file atomically (see atomic_open)."""
    with atomic_open(path) as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)


def svg_image(svg: str, alt: str) -> str:
    """An <img> that carries an SVG picture inline (a data URI): the page stays one self-contained file."""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/svg+xml;base64,{data}" style="max-width:100%">'
