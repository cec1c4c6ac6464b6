"""A fresh uid for each submission, from the range that course.toml's [grading] sets aside for sandboxes.

Every submission's children run under a uid that no other submission uses at the same time, taken round-robin
so that a uid comes back only after all the others have been used. Leases are byte-range locks (the byte at the
uid's own offset) in one root-only file, so grading processes (parallel workers, other batches, other courses'
ranges) never hand out the same uid at once; the kernel drops a lock when its process dies, so a killed grader
leaks nothing.
"""

import fcntl
import os
import stat
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_COUNTER_BYTES = 16  # the file starts with the next index to try, in ASCII; lock byte 0 guards it
_held: set[int] = set()  # uids leased by this process: record locks do not exclude the process's own threads
_held_lock = threading.Lock()
_files: dict[tuple[int, Path], int] = {}  # (pid, path) -> open lock file: closing any descriptor drops our locks


def range_conflicts(base: int, count: int, etc: Path = Path("/etc")) -> list[str]:
    """What on this machine already uses ids in [base, base + count): accounts, groups, subordinate ranges."""
    problems = []
    end = base + count
    if base < 1000 or count < 1 or end > 2**32 - 2:
        problems.append(f"the range {base}..{end - 1} must lie within 1000..{2**32 - 3}")
    for path, kind in ((etc / "passwd", "user"), (etc / "group", "group")):
        for fields in _records(path):
            if len(fields) > 2 and fields[2].isdigit() and base <= int(fields[2]) < end:
                problems.append(f"{path} has the {kind} {fields[0]} with id {fields[2]}")
    for path in (etc / "subuid", etc / "subgid"):
        for fields in _records(path):
            if len(fields) == 3 and fields[1].isdigit() and fields[2].isdigit():
                start, size = int(fields[1]), int(fields[2])
                if start < end and base < start + size:
                    problems.append(f"{path} gives {fields[0]} the ids {start}..{start + size - 1}")
    return problems


def _records(path: Path) -> list[list[str]]:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return []
    return [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]


@dataclass
class UidLease:
    """A uid this process may run one submission's children under until release()."""

    uid: int
    _fd: int
    _offset: int

    def release(self) -> None:
        fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, self._offset)
        with _held_lock:
            _held.discard(self.uid)


def lease_uid(base: int, count: int, busy: Callable[[int], bool]) -> UidLease:
    """The next uid of the range that no grading process holds and `busy` does not reject.

    Raises RuntimeError when every uid of the range is taken.
    """
    fd = _lock_file()
    fcntl.lockf(fd, fcntl.LOCK_EX, 1, 0)
    try:
        start = _read_counter(fd) % count
        for step in range(count):
            index = (start + step) % count
            uid = base + index
            offset = _COUNTER_BYTES + uid
            if _try_lock(fd, uid, offset):
                if not busy(uid):
                    os.pwrite(fd, f"{(index + 1) % count:<{_COUNTER_BYTES}}".encode(), 0)
                    return UidLease(uid, fd, offset)
                UidLease(uid, fd, offset).release()
    finally:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, 0)
    raise RuntimeError(f"all {count} sandbox uids from {base} are in use; raise sandbox_uid_count in course.toml")


def _try_lock(fd: int, uid: int, offset: int) -> bool:
    with _held_lock:
        if uid in _held:
            return False
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset)
        except OSError:  # another grading process holds it
            return False
        _held.add(uid)
        return True


def _read_counter(fd: int) -> int:
    text = os.pread(fd, _COUNTER_BYTES, 0).decode(errors="replace").strip()
    return int(text) if text.isdigit() else 0


def _lock_file() -> int:
    """This process's descriptor of the lock file: owned by us, writable by no one else."""
    path = Path(tempfile.gettempdir()) / "labuids"
    key = (os.getpid(), path)  # a forked worker opens its own: record locks belong to a process
    if key not in _files:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        info = os.fstat(fd)
        if info.st_uid != os.geteuid() or info.st_mode & 0o077 or not stat.S_ISREG(info.st_mode):
            os.close(fd)
            raise PermissionError(f"{path} is not ours alone; remove it and grade again")
        _files[key] = fd
    return _files[key]
