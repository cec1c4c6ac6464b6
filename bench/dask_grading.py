"""Benchmark: bulk grading on a Dask LocalCluster of 1 and 2 workers against the local pool, same submissions.

The submissions are bench/grading_vs_nbgrader.py's (the solution notebook as a student hands it in, about one in
ten with a wrong function; its infinite loop left out: a throughput figure, not a timeout's), graded from one
frozen snapshot of the working tree. Each way of grading runs grade_batch into a fresh folder; a thread watches
the journal grow, so that every run splits into:
- start: until the first grade is journaled (a LocalCluster's start, each worker's first imports, one grading);
- steady: submissions per second from the time a fifth of them are journaled to the last, and from it the
  per-submission cost of one worker process (workers / rate): what a 100,000-submission run pays per submission;
- reports: from the last grade to grade_batch's return (the gradebook, summary and every student's reports).
Two client costs are timed apart, as they decide a 100,000-submission run: per result, GradedSubmission.from_dict
and a fsynced journal line (they cap how many results per second one client takes, however many hosts grade); and
per report row, the marginal cost of writing the class's reports (bulk._write_reports on journals of REPORT_ROWS
rows: the batch's grades under other student ids), which the client pays once at the end.

    python bench/dask_grading.py [--n 40]

(Not named distributed.py: run as a script, its folder comes first on sys.path, where that name would shadow the
`distributed` package it benchmarks.)

Prints, and writes to bench/results/dask_grading.txt, the table, the per-submission costs and the projection
T(N hosts of C cores) = start + max(S * cost / (N * C), S * client) + S * report for S = 100,000 submissions.
"""

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from grading_vs_nbgrader import ASSIGNMENT, ROOT, load_course, make_submissions, snapshot

RESULTS = ROOT / "bench" / "results" / "dask_grading.txt"
CLASS = 100_000  # the projection's class size
HOST_CORES = 8  # the projection's hosts: one worker process per core
HOSTS = (1, 4, 16, 64)
REPORT_ROWS = (100, 1000)  # journal sizes whose report times give the marginal cost of one row
POLL_SECONDS = 0.01


@dataclass(frozen=True)
class Run:
    name: str
    workers: int
    wall: float
    start: float  # seconds until the first grade was journaled
    rate: float  # submissions per second, steady state
    reports: float  # seconds from the last grade to the end

    @property
    def cost(self) -> float:
        """Seconds one worker process spends per submission."""
        return self.workers / self.rate


def _arrivals(journal: Path, stop: threading.Event, times: list[float]) -> None:
    """Append the time each new journal line is first seen, until `stop`."""
    seen = 0
    while not stop.is_set():
        lines = journal.read_bytes().count(b"\n") if journal.exists() else 0
        times.extend([time.monotonic()] * (lines - seen))
        seen = lines
        time.sleep(POLL_SECONDS)


def timed(name: str, workers: int, paths: list[Path], out: Path, **how: object) -> Run:
    """grade_batch(paths) into `out`, with the journal watched (see the module docstring)."""
    from autograder.bulk import grade_batch
    from autograder.journal import JOURNAL_NAME

    stop, times = threading.Event(), []
    watcher = threading.Thread(target=_arrivals, args=(out / JOURNAL_NAME, stop, times))
    watcher.start()
    started = time.monotonic()
    grade_batch(paths, out, load_course(), ASSIGNMENT, **how)
    ended = time.monotonic()
    stop.set()
    watcher.join()
    fifth = len(times) // 5
    rate = (len(times) - 1 - fifth) / (times[-1] - times[fifth])
    return Run(name, workers, ended - started, times[0] - started, rate, ended - times[-1])


def client_seconds(journal: Path, repeats: int = 200) -> float:
    """The client's cost per result: decoding one grade and journaling it (fsynced), as grade_batch does."""
    from autograder.graded import GradedSubmission
    from autograder.journal import Journal

    raw = json.loads(journal.read_text().splitlines()[0])
    with tempfile.TemporaryDirectory() as scratch:
        target = Journal(Path(scratch) / "journal.jsonl", raw["fingerprint"])
        started = time.monotonic()
        for index in range(repeats):
            target.append(f"{raw['key']}{index}", GradedSubmission.from_dict(raw["graded"]))
        return (time.monotonic() - started) / repeats


def _require_grades(out: Path) -> None:
    """Stop unless every submission was graded: timings of error rows measure nothing."""
    from autograder.journal import JOURNAL_NAME

    errors = [raw["graded"]["error"] for raw in map(json.loads, (out / JOURNAL_NAME).read_text().splitlines())
              if raw["graded"]["error"]]
    if errors:
        raise SystemExit(f"{len(errors)} submissions could not be graded, e.g.: {errors[0]}")


def report_seconds(journal: Path, scratch: Path) -> float:
    """The marginal seconds of one row of the class's reports, from journals of REPORT_ROWS rows."""
    from autograder.bulk import _write_reports
    from autograder.journal import JOURNAL_NAME, Journal

    raws = [json.loads(line) for line in journal.read_text().splitlines()]
    seconds = []
    for rows in REPORT_ROWS:
        out = scratch / f"reports{rows}"
        out.mkdir()
        with open(out / JOURNAL_NAME, "w", encoding="ascii") as handle:
            for index in range(rows):
                raw = raws[index % len(raws)]
                student = f"s{index:05d}"
                graded = {**raw["graded"], "student_id": student, "source_path": f"{student}.ipynb"}
                handle.write(json.dumps({**raw, "key": f"{student}:{index:064x}", "graded": graded}) + "\n")
        target = Journal(out / JOURNAL_NAME, raw["fingerprint"])
        target.scan()
        started = time.monotonic()
        _write_reports(target, out, load_course(), ASSIGNMENT, set(), "after_published")
        seconds.append(time.monotonic() - started)
    return (seconds[1] - seconds[0]) / (REPORT_ROWS[1] - REPORT_ROWS[0])


def report(runs: list[Run], n: int, client: float, per_report: float) -> str:
    lines = [f"dask_grading: {n} notebook submissions (about one in ten wrong); {os.cpu_count()} CPUs, "
             f"Python {sys.version.split()[0]}",
             f"{'how':<28}{'wall':>9}{'start':>9}{'steady':>12}{'per sub/worker':>16}{'reports':>10}"]
    lines += [f"{r.name:<28}{r.wall:>8.1f}s{r.start:>8.1f}s{r.rate:>9.2f}/s{r.cost:>15.3f}s{r.reports:>9.1f}s"
              for r in runs]
    dask = {r.workers: r for r in runs if r.name.startswith("dask")}
    pool = {r.workers: r for r in runs if r.name.startswith("pool")}
    lines.append(f"dask / pool steady throughput: 1 worker {dask[1].rate / pool[1].rate:.2f}x, "
                 f"2 workers {dask[2].rate / pool[2].rate:.2f}x; "
                 f"dask 2 workers / 1 worker {dask[2].rate / dask[1].rate:.2f}x")
    cost, start = dask[2].cost, dask[2].start
    lines.append(f"client per result (decode + fsynced journal line): {client * 1000:.2f} ms, "
                 f"at most {1 / client:.0f} results/s per client; reports {per_report * 1000:.2f} ms per row")
    lines.append(f"projection, {CLASS:,} submissions on N hosts of {HOST_CORES} cores (one worker per core): "
                 f"T = {start:.0f} s + max({CLASS:,} x {cost:.3f} s / (N x {HOST_CORES}), {CLASS:,} x "
                 f"{client * 1000:.2f} ms) + {CLASS:,} x {per_report * 1000:.2f} ms of reports")
    for hosts in HOSTS:
        grading = max(CLASS * cost / (hosts * HOST_CORES), CLASS * client)
        total = start + grading + CLASS * per_report
        lines.append(f"  N = {hosts:>3}: grading {grading / 60:6.1f} min, total {total / 60:6.1f} min")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=40, help="submissions (default 40)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        snapshot(root / "code")
        folder = root / "submissions"
        folder.mkdir()
        kinds = make_submissions(args.n + 1, folder, full=False)
        for student in [s for s, kind in kinds.items() if kind == "loop"]:
            (folder / f"{student}.ipynb").unlink()
        paths = sorted(folder.iterdir())
        runs = []
        for workers in (1, 2):
            runs.append(timed(f"pool, jobs={workers}", workers, paths, root / f"pool{workers}", jobs=workers))
            runs.append(timed(f"dask, local:{workers}", workers, paths, root / f"dask{workers}", jobs=workers,
                              scheduler=f"local:{workers}"))
            print(runs[-2], runs[-1], sep="\n", flush=True)
        for name in ("pool1", "dask1", "pool2", "dask2"):
            _require_grades(root / name)
        same = all((root / f"{r}/gradebook.csv").read_bytes() == (root / "pool1/gradebook.csv").read_bytes()
                   for r in ("pool2", "dask1", "dask2"))
        journal = root / "dask2" / "journal.jsonl"
        text = report(runs, len(paths), client_seconds(journal), report_seconds(journal, root))
        text += f"\ngradebooks byte for byte equal across the four runs: {'yes' if same else 'NO'}"
    print(text)
    RESULTS.write_text(text + "\n")


if __name__ == "__main__":
    main()
