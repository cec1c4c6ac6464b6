"""Limits and isolation for the child process that holds a submission's code.

Two levels:
- "bubblewrap": the child runs in a bubblewrap sandbox with no network, its own pid/ipc/uts namespaces
  and a filesystem made only of the Python installation (read-only), a private copy of labkit and the
  child program (read-only) and a small private tmpfs as /tmp. When the grader runs as root the child
  also runs under its own unprivileged uid (via setpriv), so the process limit is per child.
- "rlimits": where bubblewrap does not work. The child runs with the same resource limits, in a
  private working directory, under its own uid when possible; it can read whatever that uid may read.
Both levels give the child the same fixed environment (no proxies, no grading marker).
"""

import compileall
import contextlib
import hashlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy

from ..course import Grading

BUBBLEWRAP, RLIMITS = "bubblewrap", "rlimits"
LEVELS = ("auto", BUBBLEWRAP, RLIMITS)

SCRATCH_MB = 64  # size of the child's /tmp, and the largest file (its output included) it may write
UID_BASE = 100_000  # child uid = UID_BASE + the grading process's pid: unique per worker
LABKIT = Path(__file__).resolve().parent.parent / "labkit"
CHILD = Path(__file__).resolve().parent / "child.py"
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


def child_uid() -> int | None:
    """The unprivileged uid children of this process run as, or None when we cannot switch uids."""
    return UID_BASE + os.getpid() if os.geteuid() == 0 else None


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


@cache
def runtime_dir() -> Path:
    """A world-readable copy of labkit and the child program: the only code of ours the child sees.

    One folder per version of that code, shared by every grading process (workers end without running
    atexit handlers, so per-process copies were left behind), compiled ahead so children start fast.
    It is made under a temporary name and renamed into place, so it is complete or absent, and it is
    used only if this user owns it and no one else can write to it.
    """
    files = sorted(p for p in LABKIT.rglob("*.py") if "__pycache__" not in p.parts and not p.name.startswith("test_"))
    digest = hashlib.sha256()
    for path in [*files, CHILD]:
        digest.update(str(path.relative_to(LABKIT.parent) if path != CHILD else "child.py").encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    root = Path(tempfile.gettempdir()) / f"labrt-{digest.hexdigest()[:20]}"
    if not root.exists():
        staging = Path(tempfile.mkdtemp(prefix="labrt-staging-"))
        shutil.copytree(LABKIT, staging / "labkit", ignore=shutil.ignore_patterns("__pycache__", "test_*"))
        shutil.copy(CHILD, staging / "child.py")
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


def _bwrap_command(scratch_mb: int, uid: int | None) -> list[str]:
    command = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
               "--die-with-parent", "--new-session", "--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = Path("/") / name
        if host.is_symlink():
            command += ["--symlink", os.readlink(host), str(host)]
        elif host.is_dir():
            command += ["--ro-bind", str(host), str(host)]
    for path in ("/etc/alternatives", "/etc/ld.so.cache", "/etc/localtime", "/etc/fonts"):
        if Path(path).exists():
            command += ["--ro-bind", path, path]
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
    if uid is not None:
        command += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--",
                    "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
    return [*command, "--"]


@cache
def bubblewrap_works() -> bool:
    """Can this machine run a child in the bubblewrap sandbox? (tried once per process)"""
    if shutil.which("bwrap") is None:
        return False
    command = [*_bwrap_command(8, child_uid()), sys.executable, "-I", "-c", "import numpy"]
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
    own_user = rlimits_uid() is not None
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


def rlimits_uid() -> int | None:
    """The uid rlimits-level children run as: their own, or None when they must keep ours (not root, or the
    interpreter lives where other users cannot reach it, e.g. /root/.pyenv)."""
    uid = child_uid()
    return uid if uid is not None and _reachable_by_others(Path(sys.executable).resolve()) else None


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
class Child:
    """A running child process and how to get rid of it completely."""

    process: subprocess.Popen
    level: str
    uid: int | None
    workdir: str | None

    def kill(self) -> None:
        """SIGKILL the child and everything it started (busy threads and signal handlers included)."""
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


def start_child(level: str, grading: Grading, stdin_fd: int, result_fd: int, output_fd: int) -> Child:
    """Start the child program under `level`: it reads its request on stdin_fd, answers on result_fd,
    and its own stdout and stderr go to output_fd."""
    uid = child_uid()
    if level == BUBBLEWRAP:
        workdir = None
        command = [*_bwrap_command(SCRATCH_MB, uid), sys.executable, "-I", "-S", f"{RUNTIME_INSIDE}/child.py"]
        env, cwd, user = {**BASE_ENV, "HOME": "/tmp", "TMPDIR": "/tmp", "PWD": "/tmp"}, None, None
    else:
        uid = rlimits_uid()
        workdir = tempfile.mkdtemp(prefix="tmp")
        if uid is not None:
            os.chown(workdir, uid, uid)
        command = [sys.executable, "-I", "-S", str(runtime_dir() / "child.py")]
        env, cwd, user = {**BASE_ENV, "HOME": workdir, "TMPDIR": workdir, "PWD": workdir}, workdir, uid
    # -S skips site's .pth processing (~30 ms a child): the child puts the package folders on sys.path itself.
    command += [str(result_fd), *limits_for(grading, uid).argv(), *package_dirs()]
    try:
        process = subprocess.Popen(
            command, stdin=stdin_fd, stdout=output_fd, stderr=output_fd, pass_fds=(result_fd,), env=env, cwd=cwd,
            start_new_session=True, user=user, group=user, extra_groups=[] if user is not None else None,
        )
    except BaseException:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
        raise
    return Child(process, level, uid, workdir)
