"""What hostile input costs the grader: time and memory are linear and bounded, what is stored is capped.

    python bench/hostile_inputs.py

Times (best of 3, on this machine) and sizes for:
- the result channel receiving a 20 MB first line (the limit is MAX_LINE_BYTES): how long until it is refused and how
  much memory the channel held; and, for comparison, the loop the channel used before (`bytes +=` and a search of
  the whole buffer after every read: quadratic) on the same pipe;
- a notebook of 10^7 nested brackets (json raises RecursionError): time to its error row;
- a zip of 20,000 entries with 1,000-character names, and a Gradescope metadata file of one 20 MB line;
- a grade whose 8 checks each repeat a 4 MB dictionary key: its journal line before and after `bounded`.
Prints a table and writes it to bench/results/hostile_inputs.txt. Numbers, not assertions.
"""

import contextlib
import json
import logging
import os
import sys
import tempfile
import threading
import time
import tracemalloc
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from clock import best_seconds  # noqa: E402

from autograder import submission  # noqa: E402
from autograder.course import load_course  # noqa: E402
from autograder.graded import GradedSubmission, bounded  # noqa: E402
from autograder.labkit.framework import Result  # noqa: E402
from autograder.run import isolated  # noqa: E402

LINE = 20 * 2**20


def _pipe_with(data: bytes) -> int:
    """The read end of a pipe a thread fills with `data` in 64 KB writes (a pipe's size), as a child would."""
    read_fd, write_fd = os.pipe()

    def write() -> None:
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(write_fd, view[: 2**16]):]
        except BrokenPipeError:
            pass
        finally:
            os.close(write_fd)

    threading.Thread(target=write, daemon=True).start()
    return read_fd


def channel_refusal() -> tuple[float, int]:
    """Seconds and peak bytes for the channel to refuse one LINE-byte first line of a message."""
    read_fd, pidfd = _pipe_with(b"x" * LINE + b"\n"), os.pidfd_open(os.getpid())
    tracemalloc.start()
    start = time.perf_counter()
    with contextlib.suppress(isolated.ChildGone):
        isolated._Channel(read_fd, pidfd).read_message(600)
    seconds, peak = time.perf_counter() - start, tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    os.close(read_fd)
    os.close(pidfd)
    return seconds, peak


def old_loop() -> float:
    """The loop the channel used before, reading the same LINE-byte line to its end (its limit was 64 MB)."""
    read_fd = _pipe_with(b"x" * LINE + b"\n")
    start = time.perf_counter()
    buffer = b""
    while b"\n" not in buffer:
        buffer += os.read(read_fd, 2**20)
    os.close(read_fd)
    return time.perf_counter() - start


def zip_of_long_names(folder: str) -> Path:
    path = Path(folder, "names.zip")
    with zipfile.ZipFile(path, "w") as archive:
        for index in range(20_000):
            archive.writestr(f"{index:05d}" + "n" * 995 + ".txt", b"")
    return path


def main() -> None:
    logging.disable(logging.WARNING)  # the loader names the 20,000 ignored files: not the point here
    assignment = load_course().assignment("initialization")
    rows = [f"{'input':<58} {'result':>24}"]
    seconds, peak = channel_refusal()
    what = f"channel: one 20 MB line (limit {isolated.MAX_LINE_BYTES // 2**20} MB), refused after"
    rows.append(f"{what:<58} {seconds:>9.3f} s, {peak / 2**20:>5.1f} MB")
    rows.append(f"{'channel before: the same line read to its end':<58} {old_loop():>9.3f} s")
    deep = b'{"cells": ' + b"[" * 10**7 + b"}"
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "deep.ipynb").write_bytes(deep)
        took = best_seconds(lambda: submission.load_file(Path(folder, "deep.ipynb"), assignment))
        rows.append(f"{'notebook of 10^7 nested brackets -> its error row':<58} {took:>9.3f} s")
        archive = zip_of_long_names(folder)
        took = best_seconds(lambda: submission.load_zip(archive, assignment))
        rows.append(f"{'zip of 20,000 entries with 1,000-character names':<58} {took:>9.3f} s")
    metadata = "submission_1:\n  - :sid: '" + " " * (20 * 2**20) + "x'\n"
    took = best_seconds(lambda: submission._gradescope_members(metadata))
    rows.append(f"{'Gradescope metadata: one 20 MB line':<58} {took:>9.3f} s")
    key = "K" * 4_000_000
    results = [Result(f"initialize_zeros.c{i}", "initialize_zeros", "t", "public", "failed", 0.0,
                      f"unexpected key {key!r}") for i in range(8)]
    graded = GradedSubmission("big", "big.py", results, {}, {}, 1.0, "bubblewrap")
    before, after = (len(json.dumps(g.to_dict())) for g in (graded, bounded(graded)))
    rows.append(f"{'a 4 MB key in 8 checks: journal line before / after':<58} "
                f"{before / 2**20:>6.1f} MB / {after / 1024:>4.0f} KB")
    text = "\n".join(rows) + "\n"
    print(text, end="")
    (ROOT / "bench" / "results" / "hostile_inputs.txt").write_text(text)


if __name__ == "__main__":
    main()
