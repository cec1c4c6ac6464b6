"""Bulk grading on a Dask distributed cluster: pool.run_pool's contract, on as many machines as join the scheduler.

The client (the `grade` command) keeps the journal and the reports; the cluster only grades.
- The work (grader, course, settings) goes to each worker once, in a worker plugin that workers joining later get
  too, with the bytes of the only course files grading reads: each assignment's reference.py, kit/ and grading/
  (plugin.py) and its release notebook (its setup cell is every submission's preamble). A worker needs this package
  and bubblewrap, not the course's folder. A worker whose grading fingerprint (its grading code and version, the
  shipped assignment files and settings) differs from the client's fails every task with GraderMismatchError, which
  stops the batch: another grader's grades must not enter the journal.
- A task carries one submission (its code as text, never a path to read); its value comes back as plain data.
- Dask runs the tasks of a worker that died again on another worker. A task's future completes once and is yielded
  only then, so the journal gets one line per task whatever the retries. When Dask gives up (the task was on
  `distributed.scheduler.allowed-failures` + 1 workers that died: KilledWorker) or the task fails for another
  reason of the cluster's, `lost` makes its value, as run_pool does for a worker that died.
- A task running `deadline` seconds after it started (workers report starts as events) is cancelled and its
  worker restarted by its nanny (the other task it held runs again elsewhere); `lost` makes its value.
- At most a window of tasks (WINDOW_PER_THREAD per worker thread) is in the cluster at once, so neither the client
  nor the scheduler holds the whole class, and an interrupted client leaves nothing behind (its futures die with it).
"""

import dataclasses
import queue
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Protocol

from distributed import Client, Future, KilledWorker, LocalCluster, WorkerPlugin, get_worker

from .course import Assignment, Course
from .fingerprint import GraderMismatchError, grading_fingerprint
from .pool import Lost

LOCAL = "local"  # --scheduler local[:N]: a LocalCluster of N worker processes (default: one per core)
WINDOW_PER_THREAD = 2  # tasks in the cluster per worker thread: one running, one ready to start
MIN_WINDOW = 2  # while no worker has joined yet
POLL_SECONDS = 1.0  # how often the client looks at deadlines and at workers that joined
_END = object()  # what next() gives when no task is left
_SHIPPED: dict[str, "CourseWork | GraderMismatchError"] = {}  # in a worker: the work of each batch it serves


class CourseWork(Protocol):
    """What run_dask runs: a picklable frozen dataclass, called with one task, that grades under `course`."""

    course: Course
    assignment_name: str

    def __call__(self, task: Any) -> Any: ...


@dataclasses.dataclass(frozen=True)
class _CourseFiles:
    """The bytes of what grading reads of one assignment's files."""

    source: dict[str, bytes]  # path relative to the assignment folder -> bytes: reference.py, kit/, grading/
    release_notebook: bytes | None  # None: the course has no release yet (grading then uses the source's setup)


def _assignment_sources(assignment: Assignment) -> dict[str, bytes]:
    """The files of the assignment folder that grading reads: its reference, kit/ and grading/ (plugin.py)."""
    paths = [assignment.reference, *sorted(assignment.kit.glob("*.py")), *sorted(assignment.grading.glob("*.py"))]
    return {p.relative_to(assignment.source).as_posix(): p.read_bytes() for p in paths}


def _course_files(course: Course) -> dict[str, _CourseFiles]:
    """{assignment name: its files}, read on the client."""
    def release(assignment: Assignment) -> bytes | None:
        path = assignment.release_notebook
        return path.read_bytes() if path.is_file() else None

    return {name: _CourseFiles(_assignment_sources(a), release(a)) for name, a in course.assignments.items()}


def _placed(course: Course, files: dict[str, _CourseFiles], root: Path) -> Course:
    """The course with each assignment's files written under `root` and its paths pointing there."""
    assignments = {}
    for name, assignment in course.assignments.items():
        # The assignment folder keeps its name: the reference module is named after it.
        source = root / name / assignment.source.name
        release = root / name / "release"
        for relative, data in files[name].source.items():
            (source / relative).parent.mkdir(parents=True, exist_ok=True)
            (source / relative).write_bytes(data)
        release.mkdir()
        if files[name].release_notebook is not None:
            (release / assignment.notebook).write_bytes(files[name].release_notebook)
        reference = source / assignment.reference.relative_to(assignment.source)
        assignments[name] = dataclasses.replace(assignment, source=source, reference=reference, release=release)
    return dataclasses.replace(course, assignments=assignments, overrides=None)  # overrides apply on the client


class _ShipWork(WorkerPlugin):
    """Puts one batch's work, with its course files, in every worker of the cluster (see the module docstring)."""

    idempotent = True  # a worker that registers again keeps the work it has

    def __init__(self, name: str, work: CourseWork, fingerprint: str) -> None:
        self.name, self.work, self.fingerprint = name, work, fingerprint
        self.files = _course_files(work.course)
        self.root: Path | None = None

    def setup(self, worker: Any) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="autograder-course-"))  # 0700: no sandbox uid can read it
        work = dataclasses.replace(self.work, course=_placed(self.work.course, self.files, self.root))
        mine = grading_fingerprint(work.course, work.assignment_name)
        _SHIPPED[self.name] = work if mine == self.fingerprint else GraderMismatchError(
            f"the worker {worker.address} grades with fingerprint {mine}, the client with {self.fingerprint}: "
            "install the same version of this package (and its grading code) on every grading host")

    def teardown(self, worker: Any) -> None:
        _SHIPPED.pop(self.name, None)
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)


def _grade(name: str, task: Any) -> Any:
    """The task run in a worker: tell the client it started, then run the batch's work on it."""
    worker = get_worker()
    worker.log_event(name, {"key": worker.get_current_task(), "worker": worker.address})
    work = _SHIPPED[name]
    if isinstance(work, GraderMismatchError):
        raise work
    return work(task)


@contextmanager
def connect(scheduler: str) -> Iterator[Client]:
    """A client of the scheduler at `scheduler`, or of a LocalCluster started here for `local[:N]`."""
    if scheduler != LOCAL and not scheduler.startswith(LOCAL + ":"):
        with Client(scheduler) as client:
            yield client
        return
    workers = int(scheduler.split(":", 1)[1]) if ":" in scheduler else None
    if workers is not None and workers < 1:
        raise ValueError(f"--scheduler {scheduler}: a LocalCluster needs at least one worker")
    # One thread per worker process: a grading's trusted side holds the GIL while it judges.
    with LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        yield client


class _Starts:
    """When and where each running task started, as the workers report it (_grade's events)."""

    def __init__(self) -> None:
        self.at: dict[str, tuple[float, str]] = {}  # task key -> (client monotonic time, worker address)

    def __call__(self, event: tuple[float, dict[str, str]]) -> None:
        self.at[event[1]["key"]] = (time.monotonic(), event[1]["worker"])

    def forget(self, key: str, submitted: float) -> float:
        """Forget a task that is over; returns when it started (when it was submitted, if no start came)."""
        return self.at.pop(key, (submitted, ""))[0]

    def overdue(self, keys: Iterable[str], deadline: float) -> list[str]:
        """Of `keys`, those of tasks that started `deadline` seconds ago or more; forgets the starts of any other
        task (a start reported after its task was over)."""
        keys = set(keys)
        for key in self.at.keys() - keys:
            del self.at[key]
        now = time.monotonic()
        return [key for key, (started, _) in list(self.at.items()) if now - started >= deadline]


def run_dask(tasks: Iterable[Any], scheduler: str, work: CourseWork, deadline: float,
             lost: Lost) -> Iterator[tuple[Any, Any]]:
    """Yield (task, work(task)) for every task as it finishes, on the Dask cluster at `scheduler` (or `local[:N]`).

    work -- see CourseWork; it and its course files go to each worker once
    deadline -- seconds one task may run before it is cancelled and its worker restarted
    lost -- lost(task, why, timed_out, seconds) makes the value of a task the cluster could not finish, on the client
    """
    name = f"autograder-{uuid.uuid4().hex}"
    with connect(scheduler) as client:
        client.register_plugin(_ShipWork(name, work, grading_fingerprint(work.course, work.assignment_name)), name)
        starts = _Starts()
        client.subscribe_topic(name, starts)
        try:
            yield from _run(client, name, iter(tasks), deadline, lost, starts)
        finally:
            with suppress(Exception):  # a cluster already gone has nothing to clean up
                client.unsubscribe_topic(name)
                client.unregister_worker_plugin(name)


def _run(client: Client, name: str, pending: Iterator[Any], deadline: float, lost: Lost,
         starts: _Starts) -> Iterator[tuple[Any, Any]]:
    """Keep a window of tasks in the cluster, yield each as it completes, stop those past the deadline."""
    running: dict[str, tuple[Future, Any, float]] = {}  # key -> (future, task, when submitted)
    finished: queue.SimpleQueue[Future] = queue.SimpleQueue()  # wakes the loop up: completions, in order
    window = _Window(client)
    while True:
        while len(running) < window.size() and (task := next(pending, _END)) is not _END:
            future = client.submit(_grade, name, task, key=f"{name}-{uuid.uuid4().hex}", pure=False)
            future.add_done_callback(finished.put)
            running[future.key] = (future, task, time.monotonic())
        if not running:
            return
        _drain(finished, POLL_SECONDS)
        for key in [k for k, (future, _, _) in running.items() if future.done()]:
            future, task, submitted = running.pop(key)
            seconds = time.monotonic() - starts.forget(key, submitted)
            yield task, _value(future, task, lost, seconds)
            future.release()
        for key in starts.overdue(running, deadline):
            future, task, _ = running.pop(key)
            started, worker = starts.at.pop(key)
            future.cancel()
            client.restart_workers([worker], raise_for_error=False)  # its nanny starts a fresh one
            yield task, lost(task, f"grading took longer than {deadline:g} s and was stopped", True,
                             time.monotonic() - started)


def _drain(finished: "queue.SimpleQueue[Future]", timeout: float) -> None:
    """Wait up to `timeout` seconds for a completion, then take every completion there is."""
    with suppress(queue.Empty):
        finished.get(timeout=timeout)
        while True:
            finished.get_nowait()


def _value(future: Future, task: Any, lost: Lost, seconds: float) -> Any:
    """The task's value, or lost's when the cluster could not finish it; raises GraderMismatchError."""
    if future.status == "finished":
        return future.result()
    error = future.exception() if future.status == "error" else None
    if isinstance(error, GraderMismatchError):
        raise error
    if isinstance(error, KilledWorker):
        why = "the grading workers died while grading this submission, each time Dask ran it again"
    elif error is not None:
        why = f"the cluster could not grade this submission ({type(error).__name__}: {error})"
    else:
        why = f"the cluster could not grade this submission (its task was {future.status})"
    return lost(task, why, False, seconds)


class _Window:
    """How many tasks to keep in the cluster: WINDOW_PER_THREAD per worker thread, re-read as workers come and go."""

    def __init__(self, client: Client) -> None:
        self.client, self.read_at, self.value = client, float("-inf"), MIN_WINDOW

    def size(self) -> int:
        if time.monotonic() - self.read_at >= POLL_SECONDS:
            self.read_at = time.monotonic()
            self.value = max(MIN_WINDOW, WINDOW_PER_THREAD * sum(self.client.nthreads().values()))
        return self.value
