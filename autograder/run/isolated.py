"""The isolated runner: a submission's code runs in a sandboxed child, verdicts run here.

For one submission: make every check's probe on this (trusted) side, with inputs seeded per submission;
send only the plans to a child process (see child.py, sandbox.py); read back one message of plain data per
plan, strictly decoded; judge it here. A plan that times out, crashes the child, exits or runs out of
memory fails only its own check: the child is killed completely and a new one resumes with the rest.
All of a submission's children share one confinement (a fresh uid, one memory limit; see sandbox.confine)
and one wall budget, so reloads after crashes cannot multiply its limits.
"""

import contextlib
import hashlib
import json
import os
import re
import select
import signal
import subprocess
import tempfile
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ..course import COURSE_FILE, Assignment, CheckLimits, Course, Grading
from ..graded import GradedSubmission
from ..labkit import plain
from ..labkit.framework import Check, Probe, Result, check_seed, judge
from ..labkit.plan import Status
from ..plugin import activate
from ..submission import Submission, release_preamble
from .sandbox import (
    BUBBLEWRAP,
    Child,
    Confinement,
    SandboxUnavailableError,
    begin_child,
    confine,
    exposed_secrets,
    resolve_level,
)

PACKAGE = Path(__file__).resolve().parents[1]  # the grader's own code, which a submission must not read
MAX_MESSAGE_BYTES = 8 * 2**20  # the most plain data one plan may send back (the largest check sends 0.4 MB)
MAX_LINE_BYTES = 2**20  # the most of it outside arrays: JSON text (the largest check's is 8 KB), which decodes into
# Python objects many times its size
CANNOT_READ = "your code wrote data the grader cannot read into the grader's channel"
EXIT_GRACE_SECONDS = 0.5  # how long a child that closed its channel may take to exit before it is killed
_MEMORY_ERROR = re.compile(r"raised (_Array)?MemoryError")


def submission_salt(seed_salt: str, source: str) -> str:
    """The seed of a submission's probes: reproducible for the same code, unpredictable without the salt."""
    return f"{seed_salt}:{hashlib.sha256(source.encode()).hexdigest()}"


class ChildGone(Exception):  # a state, not an error of ours
    """The child ended (or broke the protocol) before answering; the message says how, for the student."""


@dataclass
class _Channel:
    """Messages (labkit.plain) from the child's result pipe, with deadlines, noticing when the child is gone.

    Linear in what the child sends: each byte is searched for the newline once, and the buffer never holds more
    than MAX_MESSAGE_BYTES plus one read (a longer message, one announcing more, or a first line longer than
    MAX_LINE_BYTES ends the child's turn).
    """

    fd: int
    pidfd: int

    def __post_init__(self) -> None:
        self.buffer = bytearray()
        self.scanned = 0  # how much of the buffer is known to hold no newline
        self.length = -1  # the first message's length, once its first line is in

    def read_message(self, timeout: float) -> bytes | None:
        """The next message; None if the child ended first. Raises TimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not self._complete():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self.fd, self.pidfd], [], [], remaining)
            if self.fd in ready:
                chunk = os.read(self.fd, 2**20)
                if not chunk:
                    return None
                self.buffer += chunk
            elif self.pidfd in ready:
                self._drain()
                if not self._complete():
                    return None
        message = bytes(self.buffer[:self.length])
        del self.buffer[:self.length]
        self.scanned, self.length = 0, -1
        return message

    def _complete(self) -> bool:
        """Is the buffer's first message all there? Searches only bytes not searched before for its newline."""
        if self.length < 0:
            end = self.buffer.find(b"\n", self.scanned)
            if end < 0:
                self.scanned = len(self.buffer)
                _within_limit(self.scanned, MAX_LINE_BYTES)
                return False
            _within_limit(end, MAX_LINE_BYTES)
            try:  # the size is in the line's first few bytes: no copy of the line
                self.length = end + 1 + plain.raw_size(self.buffer[:min(end, plain.MAX_SIZE_DIGITS + 1)])
            except plain.ChannelError:
                raise ChildGone(CANNOT_READ) from None
            _within_limit(self.length, MAX_MESSAGE_BYTES)
        return len(self.buffer) >= self.length

    def _drain(self) -> None:
        # The child has exited; take what it wrote without waiting for grandchildren holding the pipe.
        os.set_blocking(self.fd, False)
        with contextlib.suppress(BlockingIOError):
            while len(self.buffer) <= MAX_MESSAGE_BYTES and (chunk := os.read(self.fd, 2**20)):
                self.buffer += chunk


def _within_limit(size: int, limit: int) -> None:
    if size > limit:
        raise ChildGone(f"your code sent more than {limit // 2**20} MB of data back at once")


def _decode(message: bytes) -> Any:
    try:
        return plain.loads(message)
    except plain.ChannelError:
        raise ChildGone(CANNOT_READ) from None


def _valid_observation(observation: Any) -> bool:
    if type(observation) is not dict or type(observation.get("values")) is not dict:
        return False
    failure = observation.get("failure")
    return failure is None or (type(failure) is dict and all(type(failure.get(k)) is str
                                                             for k in ("kind", "function", "message")))


def _how_it_ended(child: Child, grading: Grading) -> tuple[str, int]:
    """Why the child is gone, in words for the student, and the number of the signal that ended it (0: none)."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.process.wait(EXIT_GRACE_SECONDS)  # it closed the channel: give it a moment to exit by itself
    child.kill()
    code = child.process.returncode
    # bubblewrap reports a signal n as exit code 128 + n; the child reports os._exit's code itself, so a code
    # above 128 is a signal unless C code called exit() directly.
    number = -code if code < 0 else code - 128 if child.level == BUBBLEWRAP and code > 128 else 0
    if child.ran_out_of_memory():
        words = f"ran out of memory (limit {grading.memory_mb} MB for all its processes together)"
    elif number == signal.SIGXCPU:
        words = f"used more than {grading.cpu_seconds} s of CPU time"
    elif number:
        words = f"was killed by signal {signal.Signals(number).name}" if number in signal.valid_signals() \
            else f"was killed by signal {number}"
    else:
        words = f"ended the grading process (exit code {code}, e.g. by os._exit or sys.exit)"
    return words, number


def _runner_result(check: Check, status: str, feedback: str, seconds: float) -> Result:
    return Result(check.id, check.function, check.title, check.visibility, status, 0.0, feedback, None, seconds)


def _judged(check: Check, probe: Probe, observation: Any, seconds: float, grading: Grading) -> Result:
    """Judge what a plan observed; anything that is not a well-formed observation is the child's crash."""
    if not _valid_observation(observation):
        return _runner_result(check, Status.CRASHED, "your code wrote malformed data into the grader's channel",
                              seconds)
    failure = observation["failure"]
    if failure is not None and failure["kind"] == Status.ERROR and _MEMORY_ERROR.search(failure["message"]):
        return _runner_result(check, Status.CRASHED, f"ran out of memory (limit {grading.memory_mb} MB) while "
                                                     f"checking `{check.function}`", seconds)
    observation = {**observation, "seconds": seconds}
    try:
        return judge(check, probe, observation)
    except Exception as error:  # a verdict surprised by data of the right types but odd structure
        return _runner_result(check, Status.INVALID, f"`{check.function}` returned data of an unexpected structure "
                                                     f"({type(error).__name__}: {error})", seconds)


@dataclass
class _Starting:
    """A child asked for and not yet waited on, with both ends of its request pipe and of its result pipe."""

    wait: Callable[[], Child]
    request_read: int
    request_write: int
    result_read: int
    result_write: int


def _send(fd: int, data: bytes, timeout: float) -> None:
    """Write the child's whole request into its pipe and close it, in at most `timeout` seconds (the child reads
    it all before any code of the submission runs). A child that is gone, or too slow, gets what it got: it then
    fails to load, and says so on its channel or by ending."""
    deadline = time.monotonic() + timeout
    os.set_blocking(fd, False)
    try:
        view = memoryview(data)
        while view and (remaining := deadline - time.monotonic()) > 0:
            if select.select([], [fd], [], remaining)[1]:
                view = view[os.write(fd, view):]
    except BrokenPipeError:
        pass
    finally:
        os.close(fd)


def _covers(hung: CheckLimits, limits: CheckLimits) -> bool:
    """Would code that exceeded `hung` exceed `limits` too (neither of them is longer)?"""
    return hung.cpu >= limits.cpu and hung.wall >= limits.wall


def _functions_called(plan: list[dict]) -> frozenset[str]:
    """The student functions a plan calls, and those its calls are known to reach (an integration check's)."""
    called = set()
    for step in plan:
        if step["op"] == "call":
            called |= {step["function"], *step.get("uses", ())}
    return frozenset(called)


class _Session:
    """One submission's children, one after another, until every check has a result.

    After a check times out, later checks whose plans call all the functions its plan called, with no longer
    limits, are not run (they would hang the same way): one infinite loop costs one timeout, not one per check.
    All children together get `budget` seconds of wall time; checks left when it is spent are not run.
    """

    def __init__(self, box: Confinement, grading: Grading, output: BinaryIO, load_timeout: float,
                 limits: Mapping[str, CheckLimits]) -> None:
        self.box, self.grading, self.output, self.limits = box, grading, output, limits
        self.load_timeout = load_timeout  # loading may run the whole notebook (execute mode): its own budget
        self.budget = grading.submission_budget(load_timeout)
        self.deadline = time.monotonic() + self.budget
        self.request: dict = {}
        self.probes: list[tuple[Check, Probe]] = []
        self.plans: list[bytes] = []
        self.calls: list[frozenset[str]] = []
        self.results: dict[int, Result] = {}
        self.hung: dict[int, str] = {}  # the checks that timed out: how (e.g. "timed out after 2 s")
        self.load_failure: str | None = None  # why the code could not be loaded at all, if it could not
        self.starting: _Starting | None = None  # the next child, asked for before its request was ready

    def begin(self) -> None:
        """Ask for the first child now: it is set up while the caller makes the probes."""
        self.starting = self._ask()

    def close(self) -> None:
        """Let go of a child asked for and never sent its request (making the probes failed, or there was no
        check): our pipe ends closed, the child killed once it runs."""
        starting, self.starting = self.starting, None
        if starting is None:
            return
        for fd in (starting.request_read, starting.request_write, starting.result_read, starting.result_write):
            os.close(fd)
        with contextlib.suppress(Exception):  # it may never have started: nothing is left to kill then
            starting.wait().kill()

    def run(self, request: dict, probes: list[tuple[Check, Probe]]) -> list[Result]:
        """Run every probe's plan on the code the request holds (the header of child.py's request, but the CPU
        limits); one result per probe, in order."""
        self.request, self.probes = request, probes
        self.plans = [plain.dumps(probe.plan) for _, probe in probes]
        self.calls = [_functions_called(probe.plan) for _, probe in probes]
        while len(self.results) < len(self.probes):
            pending = self._skip_hung([i for i in range(len(self.probes)) if i not in self.results])
            if pending and self._left() <= 0:
                self._fail_all(pending, Status.TIMEOUT, f"not run: {self._spent()}")
            elif pending:
                self._one_child(pending)
        return [self.results[i] for i in range(len(self.probes))]

    def _left(self) -> float:
        return self.deadline - time.monotonic()

    def _spent(self) -> str:
        return f"the submission used its whole time budget of {self.budget:g} s"

    def _read(self, channel: _Channel, timeout: float) -> bytes | None:
        """The child's next message within `timeout` and what is left of the budget (TimeoutError after either)."""
        return channel.read_message(min(timeout, max(self._left(), 0.0)))

    def _skip_hung(self, pending: list[int]) -> list[int]:
        """Fill in the pending checks that would call what already hung (within a limit no longer than theirs: a
        slow function may still finish in a check that allows it more time); return the others."""
        kept = []
        for i in pending:
            limits = self.limits[self.probes[i][0].id]
            cause = next((h for h in self.hung if self.calls[h] <= self.calls[i]
                          and _covers(self.limits[self.probes[h][0].id], limits)), None)
            if cause is None:
                kept.append(i)
                continue
            check, hung_check = self.probes[i][0], self.probes[cause][0]
            called = ", ".join(f"`{f}`" for f in sorted(self.calls[cause]))
            self.results[i] = _runner_result(check, Status.TIMEOUT,
                                             f"not run: it calls {called}, which {self.hung[cause]} in "
                                             f"{hung_check.id}", 0.0)
        return kept

    def _ask(self) -> "_Starting":
        """Ask for a child (begin_child), with a pipe for its request and one for its results."""
        fds = [*os.pipe(), *os.pipe()]
        try:
            wait = begin_child(self.box, self.grading, fds[0], fds[3], self.output.fileno())
        except BaseException:
            for fd in fds:
                os.close(fd)
            raise
        return _Starting(wait, *fds)

    def _start(self, pending: list[int]) -> tuple[Child, _Channel]:
        """A running child that has been sent the request for the `pending` checks."""
        starting, self.starting = self.starting or self._ask(), None
        try:
            child = starting.wait()
        except BaseException:
            os.close(starting.request_write)
            os.close(starting.result_read)
            raise
        finally:  # the child's ends
            os.close(starting.request_read)
            os.close(starting.result_write)
        try:
            limits = [self.limits[self.probes[i][0].id].cpu for i in pending]
            request = b"".join([json.dumps({**self.request, "cpu_limits": limits}).encode(), b"\n",
                                *(self.plans[i] for i in pending)])
            _send(starting.request_write, request, min(self.load_timeout, max(self._left(), 0.0)))
            return child, _Channel(starting.result_read, child.pidfd())
        except BaseException:  # never leave a started child, or our end of its channel, behind
            child.kill()
            os.close(starting.result_read)
            raise

    def _one_child(self, pending: list[int]) -> None:
        child, channel = self._start(pending)
        try:
            if not self._load(child, channel, pending):
                return
            for position, i in enumerate(pending):
                self.results[i] = self._answer(child, channel, i, position)
                if self.results[i].status in (Status.TIMEOUT, Status.CRASHED):
                    return
        finally:
            child.kill()
            os.close(channel.fd)
            os.close(channel.pidfd)

    def _fail_all(self, pending: list[int], status: str, message: str) -> None:
        if not self.results:  # the first load: nothing ran, the whole submission failed for this one reason
            self.load_failure = message
        for i in pending:
            self.results[i] = _runner_result(self.probes[i][0], status, message, 0.0)

    def _load(self, child: Child, channel: _Channel, pending: list[int]) -> bool:
        """Wait for the child to load the code; False (and every remaining check failed) if it could not."""
        timeout = self.load_timeout
        try:
            reply = self._read(channel, timeout)
            if reply is None:
                raise ChildGone(_how_it_ended(child, self.grading)[0] + " while your code was loaded")
            message = _decode(reply)
        except TimeoutError:
            if self._left() > 0:
                message = f"loading your code timed out after {timeout:g} s"
            else:  # checks have run before: these would have run but for the budget
                message = f"not run: {self._spent()}" if self.results else f"loading your code timed out: " \
                                                                          f"{self._spent()}"
            self._fail_all(pending, Status.TIMEOUT, message)
            return False
        except ChildGone as gone:
            self._fail_all(pending, Status.CRASHED, str(gone))
            return False
        if type(message) is dict and message.get("loaded") is True:
            return True
        kind = message.get("kind") if type(message) is dict else None
        error = message.get("error") if type(message) is dict else None
        if kind == "memory":
            error = f"your code ran out of memory (limit {self.grading.memory_mb} MB) while it was loaded"
        status = Status.ERROR if kind == "error" else Status.CRASHED
        self._fail_all(pending, status, error if type(error) is str else "your code could not be loaded")
        return False

    def _answer(self, child: Child, channel: _Channel, i: int, position: int) -> Result:
        """The result of probe i, the child's plan `position`; a check that hangs is noted in self.hung."""
        check, probe = self.probes[i]
        limits = self.limits[check.id]
        start = time.perf_counter()
        try:
            reply = self._read(channel, limits.wall)
            seconds = time.perf_counter() - start
            if reply is None:
                words, number = _how_it_ended(child, self.grading)
                if number != signal.SIGPROF:  # else: the child's CPU timer for this plan (child.run_plans)
                    raise ChildGone(f"your code {words} while checking `{check.function}`")
                self.hung[i] = f"used more than {limits.cpu:g} s of CPU time"
                return _runner_result(check, Status.TIMEOUT, f"{self.hung[i]} while checking `{check.function}`",
                                      seconds)
            message = _decode(reply)
        except TimeoutError:
            if self._left() <= 0:  # not a hang: the budget was spent
                return _runner_result(check, Status.TIMEOUT, f"timed out while checking `{check.function}`: "
                                                             f"{self._spent()}", time.perf_counter() - start)
            self.hung[i] = f"timed out after {limits.wall:g} s"
            return _runner_result(check, Status.TIMEOUT, f"{self.hung[i]} while checking `{check.function}`",
                                  limits.wall)
        except ChildGone as gone:
            return _runner_result(check, Status.CRASHED, str(gone), time.perf_counter() - start)
        if type(message) is not dict or message.get("plan") != position:
            return _runner_result(check, Status.CRASHED, "your code wrote into the grader's channel", seconds)
        if "exit" in message:
            return _runner_result(check, Status.CRASHED, f"{message['exit']} while checking `{check.function}`"[:600],
                                  seconds)
        return _judged(check, probe, message.get("observation"), seconds, self.grading)

    def printed(self, limit_kb: int) -> str:
        """What the submission printed, cut after limit_kb."""
        size = self.output.seek(0, os.SEEK_END)
        self.output.seek(0)
        text = self.output.read(limit_kb * 1024).decode(errors="replace")
        return text + (f"\n[... output cut at {limit_kb} KB]" if size > limit_kb * 1024 else "")


def grade_isolated(submission: Submission, assignment: Assignment, course: Course, checks: list[Check],
                   limits: Mapping[str, CheckLimits], private: Sequence[Path] = ()) -> GradedSubmission:
    """Grade one submission in a sandboxed child; every verdict is reached in this process.

    checks -- the checks to run (grading.grade_submission passes the assignment's); each needs points in course.toml.
    limits -- {check id: the CPU and wall time its calls may take} (grading.py derives them from the reference's times)
    private -- more paths the submission's code must not be able to open (e.g. the output folder)
    """
    start = time.perf_counter()
    activate(assignment)  # the child's labkit is the general kit plus this assignment's kit
    unpriced = [c.id for c in checks if c.id not in assignment.points]
    if unpriced:
        raise ValueError(f"checks without points in course.toml [assignments.{assignment.name}.points]: {unpriced}")
    max_points = {c.id: assignment.points[c.id] for c in checks}
    if submission.error is not None:
        return GradedSubmission.not_run(submission.student_id, str(submission.path), checks, max_points, Status.ERROR,
                                        submission.error, time.perf_counter() - start)
    level, _ = resolve_level(course.grading.isolation)  # its warnings went to the instructor's log (stderr)
    salt = submission_salt(course.seed_salt, submission.source)
    request = {"preamble": release_preamble(assignment), "source": submission.source}
    load_timeout = course.grading.load_timeout_seconds
    if course.grading.execute_notebooks and submission.cells:
        request["cells"] = list(submission.cells)
        load_timeout = course.grading.execute_timeout_seconds
    with confine(level, course.grading) as box, tempfile.TemporaryFile() as output:
        _ensure_hidden(box, course, submission, private)
        session = _Session(box, course.grading, output, load_timeout, limits)
        with contextlib.closing(session):
            session.begin()  # the child is set up (a zygote's fork waits on the kernel) while the probes are made
            probes = [(check, check.probe(check_seed(check.id, salt))) for check in checks]
            # A uid of its own: empty its keyrings before any code runs (the last submission of this uid left them).
            results = session.run({**request, "clear_keyrings": box.uid is not None}, probes)
        printed = session.printed(course.grading.output_kb)
    points = {r.check_id: round(max_points[r.check_id] * r.score, 6) for r in results}
    # Isolation warnings are for the instructor's log only: students never see them.
    return GradedSubmission(submission.student_id, str(submission.path), results, points, max_points,
                            time.perf_counter() - start, level, session.load_failure, printed,
                            notes=list(submission.notes))


def _ensure_hidden(box: Confinement, course: Course, submission: Submission, private: Sequence[Path]) -> None:
    """Under rlimits, refuse to grade (isolation "auto") or warn (isolation "rlimits", the risk accepted) when the
    submission's code could open a file it must not see: the course, the reference and hidden checks, the
    submission's own files (as a sample of the submissions around it) and `private` (e.g. the output folder)."""
    secrets = [COURSE_FILE, PACKAGE / "checks", *(a.source for a in course.assignments.values()),
               *(a.reference for a in course.assignments.values()), Path(submission.path), *private]
    exposed = exposed_secrets(box, course.grading, secrets)
    if exposed is None:
        return
    if course.grading.isolation == "auto":
        raise SandboxUnavailableError(f"no safe isolation here: bubblewrap does not work, and {exposed}. Make them "
                                      "private (chmod -R go-rwx), or install bubblewrap")
    warnings.warn(f"isolation = 'rlimits' accepted the risk: {exposed}", stacklevel=2)
