"""Limits and isolation for the child processes that hold a submission's code.

Two levels:
- "bubblewrap": the child runs in a bubblewrap sandbox with no network, its own pid/ipc/uts namespaces
  and a filesystem made only of the Python installation and /etc (read-only), a private copy of labkit and
  the child program (read-only) and a small private tmpfs as /tmp.
- "rlimits": where bubblewrap does not work. The child runs with the same resource limits, in a
  private working directory; it can read whatever its uid may read, so before grading the grader proves,
  as that uid, that it can open none of the files it must hide (`exposed_secrets`).
Isolation is per submission, not per process (`confine`): when the grader runs as root, all of a submission's
children run under a uid of their own, fresh from course.toml's range, whose kernel keyrings are emptied
before any of its code runs (and under rlimits its files removed after it); all of them share one memory and
process limit (a cgroup, else a watchdog; see memory.py).
Both levels give the child the same fixed environment (no proxies, no grading marker).
Warm start (bubblewrap as root, course.toml's `warm_start`): instead of a new bubblewrap sandbox and interpreter
per child, a zygote per grading process, sandboxed once with numpy and labkit loaded, forks each child, which
enters the submission's cgroup, uid and namespaces of its own before any of its code runs (zygote.py, warm.py).
"""

import compileall
import contextlib
import ctypes
import hashlib
import itertools
import json
import os
import select
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy

from .. import labkit
from ..course import Grading
from . import warm
from .memory import Cgroup, Watchdog, make_cgroup
from .uids import UidLease, lease_uid, range_conflicts

BUBBLEWRAP, RLIMITS = "bubblewrap", "rlimits"
LEVELS = ("auto", BUBBLEWRAP, RLIMITS)

SCRATCH_MB = 64  # size of the child's /tmp, and the largest file (its output included) it may write
SANDBOX_TASKS = 4  # tasks of the sandbox itself (bwrap and its init) beside the submission's own, for pids.max
PROBE_UID = 65534  # `nobody`: the uid the one-off test of bubblewrap (no student code) runs as
SHARED_TEMP = ("/tmp", "/var/tmp", "/dev/shm")  # where any uid may leave files (under rlimits)
_groups = itertools.count()
CHILD = Path(__file__).resolve().parent / "child.py"
ZYGOTE = Path(__file__).resolve().parent / "zygote.py"
PROGRAMS = (CHILD, ZYGOTE)  # what runs inside the sandbox besides labkit
# What the zygote needs to set each fork up (zygote.py): its uid, mount and namespace calls, emptying its
# bounding set. Every fork drops them all before any submission code runs.
ZYGOTE_CAPABILITIES = ("CAP_SETUID", "CAP_SETGID", "CAP_SYS_ADMIN", "CAP_SETPCAP")
RUNTIME_INSIDE = "/opt/runtime"  # where the runtime dir appears inside the bubblewrap sandbox

# The child's whole environment, plus HOME, TMPDIR and PWD (its private directory). Thread counts keep BLAS
# single-threaded (and under the process limit). Nothing in it says "grading".
BASE_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MPLBACKEND": "Agg",
}


class SandboxUnavailableError(RuntimeError):
    """The isolation level asked for cannot be provided on this machine."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one child process, in the units the child applies them in."""

    cpu_seconds: int
    memory_bytes: int
    file_bytes: int
    processes: int

    def argv(self) -> list[str]:
        """The limits as the child program's command-line arguments (see child.py)."""
        return [str(self.cpu_seconds), str(self.memory_bytes), str(self.file_bytes), str(self.processes)]


def _tasks_of(uid: int) -> int:
    """How many tasks (processes and threads) uid runs now: RLIMIT_NPROC counts them all."""
    count = 0
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text()
        except (OSError, ValueError):
            continue
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        if fields.get("Uid", "").split("\t")[0] == str(uid):
            count += int(fields.get("Threads", "1"))
    return count


def limits_for(grading: Grading, uid: int | None) -> Limits:
    """The child's limits; without a uid of its own its process limit must allow the user's other tasks."""
    processes = grading.max_processes if uid is not None else grading.max_processes + _tasks_of(os.getuid())
    return Limits(int(grading.cpu_seconds), grading.memory_mb * 2**20, SCRATCH_MB * 2**20, processes)


@cache
def package_dirs() -> list[str]:
    """Where this interpreter's packages (numpy, matplotlib, IPython) live: the child's sys.path after labkit."""
    paths = sysconfig.get_paths()
    return list(dict.fromkeys([paths["purelib"], paths["platlib"], str(Path(numpy.__file__).parent.parent)]))


def runtime_dir() -> Path:
    """A world-readable copy of labkit and the child and zygote programs: the only code of ours the child sees.

    labkit is the general kit plus the active assignment's kit (autograder.labkit's package path, plugin.py).
    One folder per version of that code, shared by every grading process (workers end without running
    atexit handlers, so per-process copies were left behind), compiled ahead so children start fast.
    It is made under a temporary name and renamed into place, so it is complete or absent, and it is
    used only if this user owns it and no one else can write to it.
    """
    return _runtime_for(tuple(labkit.__path__))


@cache
def _runtime_for(labkit_dirs: tuple[str, ...]) -> Path:
    files: dict[str, Path] = {}
    for folder in map(Path, labkit_dirs):  # a later folder (the assignment's kit) wins over the general kit
        files.update({p.name: p for p in sorted(folder.glob("*.py")) if not p.name.startswith(("test_", "conftest"))})
    digest = hashlib.sha256()
    for name, path in [*sorted(files.items()), *((program.name, program) for program in PROGRAMS)]:
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    root = Path(tempfile.gettempdir()) / f"labrt-{digest.hexdigest()[:20]}"
    if not root.exists():
        staging = Path(tempfile.mkdtemp(prefix="labrt-staging-"))
        (staging / "labkit").mkdir()
        for name, path in files.items():
            shutil.copyfile(path, staging / "labkit" / name)
        for program in PROGRAMS:
            shutil.copy(program, staging / program.name)
        compileall.compile_dir(staging, quiet=1)
        for path in [staging, *staging.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        try:
            staging.rename(root)
        except OSError:  # another process made it first
            shutil.rmtree(staging, ignore_errors=True)
    if not _trustworthy(root):
        raise SandboxUnavailableError(f"{root} exists but is not ours alone; remove it and grade again")
    return root


def _trustworthy(root: Path) -> bool:
    """Owned by us, with nothing in it that another user could write."""
    for path in [root, *root.rglob("*")]:
        info = path.lstat()
        if info.st_uid != os.geteuid() or info.st_mode & 0o022 or stat.S_ISLNK(info.st_mode):
            return False
    return True


def _python_paths() -> list[Path]:
    """Directories the child's Python needs: the installation and its site-packages."""
    paths = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(sys.executable).resolve().parent}
    for entry in sys.path:
        if entry and "site-packages" in entry and Path(entry).is_dir():
            paths.add(Path(entry).resolve())
    outside_usr = [p for p in paths if not p.is_relative_to("/usr")]
    # Keep only the outermost directories.
    return sorted(p for p in outside_usr if not any(p != q and p.is_relative_to(q) for q in outside_usr))


def _ancestors(path: Path) -> list[Path]:
    return [p for p in reversed(path.parents) if p != Path("/")]


def _bwrap_command(scratch_mb: int, uid: int | None, capabilities: Sequence[str] = ()) -> list[str]:
    command = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
               "--die-with-parent", "--new-session", "--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = Path("/") / name
        if host.is_symlink():
            command += ["--symlink", os.readlink(host), str(host)]
        elif host.is_dir():
            command += ["--ro-bind", str(host), str(host)]
    # /etc as it is: Debian's numpy finds its BLAS through /etc/alternatives, the loader reads ld.so.cache, and
    # Debian's matplotlib its /etc/matplotlibrc. It holds no grading secret; what it keeps private stays so.
    command += ["--ro-bind", "/etc", "/etc"]
    made: set[Path] = set()
    for path in _python_paths():
        for parent in _ancestors(path):
            if parent not in made:
                made.add(parent)
                command += ["--perms", "0755", "--dir", str(parent)]
        command += ["--ro-bind", str(path), str(path)]
    grader = Path(__file__).resolve().parent.parent
    if any(grader.is_relative_to(p) for p in _python_paths()):  # an installed grader: hide its checks
        command += ["--tmpfs", str(grader)]
    command += ["--perms", "0755", "--dir", str(Path(RUNTIME_INSIDE).parent),
                "--ro-bind", str(runtime_dir()), RUNTIME_INSIDE, "--proc", "/proc", "--dev", "/dev",
                "--size", str(scratch_mb * 2**20), "--perms", "1777", "--tmpfs", "/tmp", "--chdir", "/tmp",
                "--cap-drop", "ALL"]
    for capability in capabilities:
        command += ["--cap-add", capability]
    if uid is not None:
        command += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--",
                    "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
    return [*command, "--"]


@cache
def bubblewrap_works() -> bool:
    """Can this machine run a child in the bubblewrap sandbox? (tried once per process)"""
    if shutil.which("bwrap") is None:
        return False
    command = [*_bwrap_command(8, PROBE_UID if os.geteuid() == 0 else None), sys.executable, "-I", "-c",
               "import numpy"]
    try:
        return subprocess.run(command, capture_output=True, timeout=30, env=BASE_ENV).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def resolve_level(requested: str) -> tuple[str, list[str]]:
    """The isolation level to use for `requested` ("auto", "bubblewrap", "rlimits"), and warnings."""
    if requested not in LEVELS:
        raise ValueError(f"isolation must be one of {LEVELS}; got {requested!r}")
    if requested != RLIMITS and bubblewrap_works():
        return BUBBLEWRAP, []
    if requested == BUBBLEWRAP:
        raise SandboxUnavailableError("isolation = 'bubblewrap' but bubblewrap does not work on this machine")
    own_user = rlimits_can_switch_uid()
    if requested == "auto" and not own_user:
        # Running as the grader's own user, submission code could write the journal and other students'
        # results: never fall into that silently.
        raise SandboxUnavailableError(
            "no safe isolation here: bubblewrap does not work, and submissions cannot run as a user of their "
            "own (run as root with Python where other users can reach it). Install bubblewrap "
            "(apt-get install bubblewrap), or set isolation = 'rlimits' in course.toml to accept the risk")
    why = "bubblewrap is not available here" if requested == "auto" else "isolation = 'rlimits'"
    message = (f"weaker isolation ({why}): submissions run with resource limits in a private directory, "
               "but can read any file their user may read"
               + ("" if own_user else ", and, running as the grader's own user, write what it may write"))
    warnings.warn(message, stacklevel=2)
    return RLIMITS, [message]


def rlimits_can_switch_uid() -> bool:
    """Can rlimits-level children run under a uid of their own? Not unless we are root, and not when the
    interpreter lives where other users cannot reach it (e.g. /root/.pyenv): then they keep ours."""
    return os.geteuid() == 0 and _reachable_by_others(Path(sys.executable).resolve())


def _switches_uid(level: str) -> bool:
    return os.geteuid() == 0 and (level == BUBBLEWRAP or rlimits_can_switch_uid())


@cache
def _check_uid_range(base: int, count: int) -> None:
    problems = range_conflicts(base, count)
    if problems:
        raise SandboxUnavailableError(
            f"the sandbox uid range {base}..{base + count - 1} (sandbox_uid_base, sandbox_uid_count in course.toml) "
            "is not free on this machine: " + "; ".join(problems[:5]))


def _reachable_by_others(path: Path) -> bool:
    return all(os.stat(p).st_mode & 0o001 for p in [*_ancestors(path), path])


def _runs_tasks(uid: int) -> bool:
    for entry in os.scandir("/proc"):
        with contextlib.suppress(OSError):
            if entry.name.isdigit() and entry.stat().st_uid == uid:
                return True
    return False


def _wait_until_gone(uid: int, timeout: float = 5.0) -> None:
    """Wait until the kernel has finished killing every process of uid (a pid namespace dies asynchronously)."""
    deadline = time.monotonic() + timeout
    while _runs_tasks(uid) and time.monotonic() < deadline:
        time.sleep(0.002)


@dataclass
class Confinement:
    """What all of one submission's children share, and nothing else does: a uid (when the grader is root;
    None otherwise) and one memory and process limit (a cgroup; None where a watchdog stands in)."""

    level: str
    uid: int | None
    cgroup: Cgroup | None


@contextlib.contextmanager
def confine(level: str, grading: Grading) -> Iterator[Confinement]:
    """A fresh uid and cgroup for one submission; afterwards the cgroup is removed and the uid left clean."""
    lease: UidLease | None = None
    if _switches_uid(level):
        _check_uid_range(grading.sandbox_uid_base, grading.sandbox_uid_count)
        lease = lease_uid(grading.sandbox_uid_base, grading.sandbox_uid_count, _runs_tasks)
    uid = None if lease is None else lease.uid
    try:
        cgroup = make_cgroup(f"autograder-{os.getpid()}-{next(_groups)}", grading.memory_mb * 2**20,
                             grading.max_processes + SANDBOX_TASKS)
        try:
            yield Confinement(level, uid, cgroup)
        finally:
            if cgroup is not None:
                cgroup.remove()
            if uid is not None:
                _leave_uid_clean(uid, level)
    finally:
        if lease is not None:
            lease.release()


def _leave_uid_clean(uid: int, level: str) -> None:
    """Before the uid goes back to the range: wait until none of its processes is left, and under rlimits remove
    its files in the places every user may write and its System V IPC objects (bubblewrap gives each child private
    ones). Its kernel keyrings are not cleared here: every submission's first child empties them before any of its
    code runs (child.py), which also covers a grader killed before it could clean up."""
    _wait_until_gone(uid)
    if level == RLIMITS:
        _remove_files_of(uid)
        _remove_ipc_of(uid)


def _remove_files_of(uid: int) -> None:
    for top in SHARED_TEMP:
        with contextlib.suppress(OSError), os.scandir(top) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    if entry.stat(follow_symlinks=False).st_uid != uid:
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        shutil.rmtree(entry.path, ignore_errors=True)
                    else:
                        os.unlink(entry.path)


def _remove_ipc_of(uid: int) -> None:
    """Delete the uid's shared memory segments, semaphore sets and message queues (IPC_RMID)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for kind, remove in (("shm", lambda i: libc.shmctl(i, 0, None)), ("sem", lambda i: libc.semctl(i, 0, 0)),
                         ("msg", lambda i: libc.msgctl(i, 0, None))):
        with contextlib.suppress(OSError):
            lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()
            columns = lines[0].split()
            for line in lines[1:]:
                row = dict(zip(columns, line.split(), strict=False))
                if uid in (int(row.get("uid", -1)), int(row.get("cuid", -1))):
                    remove(int(row["shmid" if kind == "shm" else "semid" if kind == "sem" else "msqid"]))


@dataclass
class Child:
    """A running child process and how to get rid of it completely."""

    process: subprocess.Popen | warm.Forked
    box: Confinement
    workdir: str | None
    watchdog: Watchdog | None

    @property
    def level(self) -> str:
        return self.box.level

    @property
    def uid(self) -> int | None:
        return self.box.uid

    def kill(self) -> None:
        """SIGKILL the child and everything it started (busy threads and signal handlers included)."""
        if self.watchdog is not None:
            self.watchdog.stop()
        if self.box.cgroup is not None:
            self.box.cgroup.kill()
        if isinstance(self.process, warm.Forked):
            self.process.kill()
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        if self.level == RLIMITS and self.uid is not None:
            # Grandchildren may have left the process group: kill every process of the child's uid.
            subprocess.run(["kill", "-KILL", "-1"], user=self.uid, group=self.uid, extra_groups=[],
                           capture_output=True, check=False)
        self.process.wait()
        if self.uid is not None:
            _wait_until_gone(self.uid)
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def pidfd(self) -> int:
        """A new pidfd of the child: readable once it has ended."""
        if isinstance(self.process, warm.Forked):
            return os.dup(self.process.pidfd)
        return os.pidfd_open(self.process.pid)

    def ran_out_of_memory(self) -> bool:
        """Was it (or a process it started) killed for holding more than the submission's memory limit?"""
        if self.box.cgroup is not None:
            return self.box.cgroup.new_oom_kill()
        return self.watchdog is not None and self.watchdog.tripped


# Run as root before anything else, this joins the submission's cgroup (every hierarchy's cgroup.procs named
# before "--"), so that no process of the child ever runs outside it, then becomes the child.
_JOIN = 'for f; do [ "$f" = -- ] && break; echo $$ > "$f" || exit 126; shift; done; shift; exec "$@"'


def _command(box: Confinement) -> tuple[list[str], dict[str, str], str | None]:
    """The command that starts the child program (its arguments follow), its environment and folder."""
    prefix = [] if box.cgroup is None else ["/bin/sh", "-c", _JOIN, "sh", *map(str, box.cgroup.procs_files), "--"]
    if box.level == BUBBLEWRAP:
        command = [*prefix, *_bwrap_command(SCRATCH_MB, box.uid), sys.executable, "-I", "-S",
                   f"{RUNTIME_INSIDE}/child.py"]
        return command, {**BASE_ENV, "HOME": "/tmp", "TMPDIR": "/tmp", "PWD": "/tmp"}, None
    workdir = tempfile.mkdtemp(prefix="tmp")
    if box.uid is not None:
        os.chown(workdir, box.uid, box.uid)
        prefix += ["setpriv", f"--reuid={box.uid}", f"--regid={box.uid}", "--clear-groups", "--"]
    command = [*prefix, sys.executable, "-I", "-S", str(runtime_dir() / "child.py")]
    return command, {**BASE_ENV, "HOME": workdir, "TMPDIR": workdir, "PWD": workdir}, workdir


def start_child(box: Confinement, grading: Grading, stdin_fd: int, result_fd: int, output_fd: int) -> Child:
    """Start the child program in the submission's confinement: it reads its request on stdin_fd, answers on
    result_fd, and its own stdout and stderr go to output_fd. Forked by the zygote where warm start applies."""
    return begin_child(box, grading, stdin_fd, result_fd, output_fd)()


def begin_child(box: Confinement, grading: Grading, stdin_fd: int, result_fd: int,
                output_fd: int) -> Callable[[], Child]:
    """start_child in two halves: this one asks for the child, the function it returns waits until it runs.
    In between, the caller may work (e.g. make the probes) while a zygote sets the child up; it keeps the
    descriptors open until the wait has returned. A cold child starts here, and the wait returns it."""
    fds = [stdin_fd, result_fd, output_fd]
    if box.level == BUBBLEWRAP and box.uid is not None and grading.warm_start:
        asked = _ask_zygote(box, grading, fds)
        if asked is not None:
            return lambda: _warm_child(box, grading, fds, asked)
    child = _cold_child(box, grading, fds)
    return lambda: child


def _cold_child(box: Confinement, grading: Grading, fds: list[int]) -> Child:
    """The child program in a new interpreter (in a new bubblewrap sandbox at that level)."""
    stdin_fd, result_fd, output_fd = fds
    command, env, workdir = _command(box)
    # -S skips site's .pth processing (~30 ms a child): the child puts the package folders on sys.path itself.
    command += [str(result_fd), *limits_for(grading, box.uid).argv(), *package_dirs()]
    try:
        process = subprocess.Popen(command, stdin=stdin_fd, stdout=output_fd, stderr=output_fd,
                                   pass_fds=(result_fd,), env=env, cwd=workdir, start_new_session=True)
    except BaseException:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
        raise
    watchdog = None if box.cgroup is not None else Watchdog(process.pid, box.uid, grading.memory_mb * 2**20)
    return Child(process, box, workdir, watchdog)


def _zygote_command() -> list[str]:
    """The zygote's sandbox: the children's, run as root with the capabilities it needs to set each fork up."""
    return [*_bwrap_command(1, None, ZYGOTE_CAPABILITIES), sys.executable, "-I", "-S",
            f"{RUNTIME_INSIDE}/{ZYGOTE.name}", *package_dirs()]


_Asked = tuple[warm.Zygote, Callable[[], warm.Forked]]  # a zygote, and the wait for the child asked of it


def _zygote(wait: bool = True) -> warm.Zygote | None:
    """This process's zygote (see warm.zygote)."""
    return warm.zygote(_zygote_command(), {**BASE_ENV, "HOME": "/tmp", "TMPDIR": "/tmp", "PWD": "/tmp"}, wait)


def warm_up(grading: Grading) -> None:
    """Where children will be forked by this process's zygote, start it if it is not running: its interpreter
    loads numpy and the kit while the caller works (e.g. times the reference), and its first use waits for it."""
    if grading.warm_start and grading.isolation != RLIMITS and os.geteuid() == 0 and bubblewrap_works():
        _zygote(wait=False)


def _ask_zygote(box: Confinement, grading: Grading, fds: list[int]) -> _Asked | None:
    """Ask this process's zygote (started, or started again, as needed) for a child; None where none starts."""
    assert box.uid is not None
    zygote = _zygote()
    if zygote is None:
        return None
    request = {"uid": box.uid, "scratch_mb": SCRATCH_MB,
               "arguments": [*limits_for(grading, box.uid).argv(), *package_dirs()]}
    procs = [] if box.cgroup is None else [os.open(p, os.O_WRONLY | os.O_CLOEXEC) for p in box.cgroup.procs_files]
    try:
        return zygote, zygote.fork(request, [*fds, *procs])
    except warm.ZygoteGone as error:  # said by the wait, where a dead zygote is started again
        return zygote, _raising(error)
    finally:
        for fd in procs:
            os.close(fd)


def _raising(error: Exception) -> Callable[[], warm.Forked]:
    def wait() -> warm.Forked:
        raise error

    return wait


def _warm_child(box: Confinement, grading: Grading, fds: list[int], asked: _Asked) -> Child:
    """The child the zygote forked. A zygote that died since its last fork is started again and asked once more;
    where none starts any more, the child starts cold."""
    zygote, forked = asked
    for attempt in (1, 2):
        try:
            process = forked()
            break
        except warm.ZygoteGone as error:
            if zygote.alive():
                raise SandboxUnavailableError(f"the warm-start sandbox could not set a child up: {error}") from None
            if attempt == 2:
                raise SandboxUnavailableError("the warm-start zygote died twice in a row") from None
        again = _ask_zygote(box, grading, fds)
        if again is None:
            return _cold_child(box, grading, fds)
        zygote, forked = again
    try:  # the watchdog counts the submission's uid: the zygote's forks above it are the grader's
        watchdog = None if box.cgroup is not None else Watchdog(None, box.uid, grading.memory_mb * 2**20)
    except BaseException:
        process.kill()
        process.wait()
        raise
    return Child(process, box, None, watchdog)


def run_helper(box: Confinement, grading: Grading, request: dict, timeout: float) -> dict:
    """Start the child program exactly as for a submission, but with a request of the grader's own (no student
    code runs), and return the one line it answers, decoded; {} if it answers nothing in `timeout` seconds."""
    with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as output:
        stdin.write(json.dumps(request).encode())
        stdin.seek(0)
        read_fd, write_fd = os.pipe()
        try:
            child = start_child(box, grading, stdin.fileno(), write_fd, output.fileno())
        finally:
            os.close(write_fd)
        try:
            answer = _read_all(read_fd, timeout)
        finally:
            child.kill()
            os.close(read_fd)
        if not answer:
            output.seek(0)
            return {"output": output.read(2000).decode(errors="replace")}
    return json.loads(answer)


def _read_all(fd: int, timeout: float) -> bytes:
    deadline, data = time.monotonic() + timeout, b""
    while (remaining := deadline - time.monotonic()) > 0 and select.select([fd], [], [], remaining)[0]:
        chunk = os.read(fd, 2**16)
        if not chunk:
            break
        data += chunk
    return data


def exposed_secrets(box: Confinement, grading: Grading, secrets: Sequence[Path]) -> str | None:
    """Under rlimits, whether the submission's children could open any of `secrets` (files, and folders with
    what they hold), found by a child of the same uid trying: None if none, else what it could open, in words.

    Under bubblewrap the child's file system holds none of them: nothing to prove.
    """
    if box.level != RLIMITS:
        return None
    paths = _probe_paths(secrets)
    answer = run_helper(box, grading, {"mode": "probe", "paths": [str(p) for p in paths]},
                        grading.load_timeout_seconds)
    opened = answer.get("opened")
    if not isinstance(opened, list):
        return f"a test child could not run under the sandbox's uid (interpreter {sys.executable}): {answer}"[:800]
    if not opened:
        return None
    return (f"a submission's code (uid {box.uid if box.uid is not None else os.geteuid()}) could open "
            f"{len(opened)} of the files it must not see, e.g. {', '.join(opened[:3])}")


_PROBED_PER_FOLDER = 64  # files tried inside each secret folder: enough to meet a readable one in practice


def _probe_paths(secrets: Sequence[Path]) -> list[Path]:
    """The secrets, and for each folder the first files and folders inside it (a folder others may not list
    can still let them open a file whose name they know)."""
    paths: list[Path] = []
    for secret in secrets:
        if not secret.exists():
            continue
        paths.append(secret)
        if secret.is_dir():
            inside = (p for p in sorted(secret.rglob("*")) if "__pycache__" not in p.parts)
            paths += itertools.islice(inside, _PROBED_PER_FOLDER)
    return list(dict.fromkeys(paths))
