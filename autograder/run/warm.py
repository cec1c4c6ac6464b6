"""The grader's side of the warm start: one zygote per grading process, which forks each child (see zygote.py).

A zygote is started on first use, in a bubblewrap sandbox of its own, and lives as long as this process (it dies
with it, and ends when its control socket closes). Each child is asked for with one datagram carrying the
child's descriptors; the zygote answers, on a socket made for that child alone, with the child's pidfd (the
handle this side waits on and kills through) and later its exit status. Where no zygote can start, children
start cold (sandbox.start_child) and the instructor's log says why, once.
"""

import atexit
import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import tempfile
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

READY_SECONDS = 60.0  # how long a zygote may take to import numpy and labkit
FORK_SECONDS = 30.0  # how long one fork may take to be set up (namespaces, mounts, uid)


class ZygoteGone(Exception):
    """The zygote did not answer: it died, or could not set a child up (the message says why)."""


@dataclass
class Forked:
    """A child forked by the zygote, as the grader sees it: the part of subprocess.Popen that sandbox.Child uses."""

    pidfd: int
    report: socket.socket
    pid: int  # in the grader's pid namespace
    zygote: int  # the pid of the zygote's sandbox that forked it
    returncode: int | None = field(default=None, init=False)

    def wait(self, timeout: float | None = None) -> int:
        """Its exit status once it has ended (the exit code, 128 + n for a signal n, -9 if we killed it)."""
        if self.returncode is None:
            if not select.select([self.pidfd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired("forked child", timeout or 0.0)
            self.report.setblocking(False)
            try:
                status = self.report.recv(64)
            except BlockingIOError:
                status = b""
            self.returncode = int(status) if status.isdigit() else -signal.SIGKILL
            self.close()
        return self.returncode

    def kill(self) -> None:
        """SIGKILL it; the init of its pid namespace dies with it, and the namespace with its init."""
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)

    def close(self) -> None:
        os.close(self.pidfd)
        self.report.close()


def _pid_of(pidfd: int) -> int:
    """The process's pid in our own pid namespace."""
    with open(f"/proc/self/fdinfo/{pidfd}") as info:
        fields = dict(line.split(":", 1) for line in info if ":" in line)
    return int(fields["Pid"])


class Zygote:
    """A running zygote: the sandboxed process that forks children, and our end of its control socket."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115 (what the zygote says, kept while it lives)
        try:
            self.process = subprocess.Popen([*command, str(theirs.fileno())], stdin=subprocess.DEVNULL,
                                            stdout=self.errors, stderr=self.errors, pass_fds=(theirs.fileno(),),
                                            env=env, start_new_session=True)
        finally:
            theirs.close()
        self.control = ours
        self.lock = threading.Lock()
        self.ready = False

    def wait_ready(self) -> None:
        """Return once the zygote has said it is ready (it imports numpy and the kit first); raises ZygoteGone, the
        zygote stopped, if it does not say so."""
        if self.ready:
            return
        self.control.settimeout(READY_SECONDS)
        try:
            ready = self.control.recv(16)
        except OSError:
            ready = b""
        if ready != b"ready":
            said = self._said()
            self.stop()
            raise ZygoteGone(f"the zygote did not start: {said}")
        self.control.settimeout(None)
        self.ready = True

    def _said(self) -> str:
        """What the zygote wrote to its error log; "no message" once another thread has stopped it (a Dask worker's
        thread restarting a dead zygote closes the log while this one still reports the death)."""
        try:
            self.errors.seek(0)
            return self.errors.read(2000).decode(errors="replace").strip() or "no message"
        except ValueError:  # I/O operation on a closed file
            return "no message"

    def alive(self) -> bool:
        return self.process.poll() is None

    def fork(self, request: dict, fds: list[int]) -> Callable[[], Forked]:
        """Ask for a new child set up as `request` says, holding `fds` (stdin, result, output, then cgroup.procs
        files); returns the wait for it, so the caller can work while the zygote sets the child up."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            with self.lock:
                socket.send_fds(self.control, [json.dumps(request).encode()], [*fds[:3], theirs.fileno(), *fds[3:]])
        except OSError as error:
            ours.close()
            raise ZygoteGone(f"the zygote is gone: {error}") from None
        finally:
            theirs.close()
        return lambda: self._forked(ours)

    def _forked(self, ours: socket.socket) -> Forked:
        """The child asked for on `ours`, once the zygote says it is set up."""
        ours.settimeout(FORK_SECONDS)
        try:
            message, handles, _, _ = socket.recv_fds(ours, 4096, 1)
        except OSError as error:
            message, handles = f"no answer ({error})".encode(), []
        ours.settimeout(None)
        if message != b"forked" or len(handles) != 1:
            for handle in handles:
                os.close(handle)
            ours.close()
            raise ZygoteGone((message.decode(errors="replace") if message else "the zygote is gone")
                             + f" ({self._said()})")
        return Forked(handles[0], ours, _pid_of(handles[0]), self.process.pid)

    def stop(self) -> None:
        """Close the control socket (the zygote ends) and reap it."""
        self.control.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.errors.close()


# Per process id and command: a forked grading worker starts its own, and so does an assignment whose labkit (in the
# command's runtime folder) differs from the one a zygote already imported.
_zygotes: dict[tuple[int, tuple[str, ...]], Zygote | None] = {}
_start_lock = threading.Lock()


@atexit.register
def _stop() -> None:
    """End this process's zygote with it (it would anyway: it dies with its parent)."""
    for key in [k for k in _zygotes if k[0] == os.getpid()]:
        current = _zygotes.pop(key)
        if current is not None:
            current.stop()


def zygote(command: list[str], env: dict[str, str], wait: bool = True) -> Zygote | None:
    """This process's zygote, started on first use (or again, if it died) and ready; None where none can start.
    wait=False: start it and return at once (its first use with wait=True waits until it is ready). Start it in
    the thread that will use it: it dies with the thread that started it."""
    with _start_lock:
        key = (os.getpid(), tuple(command))
        current = _zygotes.get(key, False)
        if current is None:
            return None
        fresh = not (current and current.alive())
        while True:
            if fresh:
                if current:  # it died (e.g. with the thread that started it): start another
                    current.stop()
                try:
                    current = _zygotes[key] = Zygote(command, env)
                except OSError as error:
                    return _no_zygote(key, error)
            if not wait:
                return current
            try:
                current.wait_ready()
                return current
            except ZygoteGone as error:
                if fresh:
                    return _no_zygote(key, error)
                fresh = True  # started earlier without waiting, perhaps by a thread gone since: once more, here


def _no_zygote(key: tuple[int, tuple[str, ...]], error: Exception) -> None:
    warnings.warn(f"children start cold (no warm start): {error}", stacklevel=3)
    _zygotes[key] = None
