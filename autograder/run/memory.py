"""One memory and process limit for all of a submission's processes together.

RLIMIT_AS and RLIMIT_NPROC bind each process (or uid) on its own: three forked processes may each hold the
whole memory limit. So every child of a submission also joins one cgroup made for that submission, under the
cgroup the grader runs in (v2 where its memory and pids controllers can be given to a child group, else the v1
memory and pids hierarchies), with memory.max / memory.limit_in_bytes and pids.max. Where no cgroup can be made
(most containers), a Watchdog in the parent sums the resident memory of the child, its descendants and every
process of the submission's uid, and kills them all once the sum is over the limit.
"""

import contextlib
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

WATCH_INTERVAL = 0.05  # seconds between two measurements of the watchdog
_PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Cgroup:
    """A submission's cgroup: one directory (v2), or one per hierarchy, memory's first (v1)."""

    dirs: list[Path]
    version: int
    _ooms_seen: int = field(default=0, init=False)

    @property
    def procs_files(self) -> list[Path]:
        """The files a process writes its pid to, to join (every hierarchy's)."""
        return [d / "cgroup.procs" for d in self.dirs]

    def pids(self) -> set[int]:
        found: set[int] = set()
        for path in self.procs_files:
            with contextlib.suppress(OSError):
                found |= {int(p) for p in path.read_text().split()}
        return found

    def new_oom_kill(self) -> bool:
        """Did the kernel kill a process of this group for memory since the last time we asked?"""
        ooms = self._oom_kills()
        new, self._ooms_seen = ooms > self._ooms_seen, ooms
        return new

    def _oom_kills(self) -> int:
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        try:
            fields = dict(line.split() for line in (self.dirs[0] / name).read_text().splitlines())
        except (OSError, ValueError):
            return 0
        return int(fields.get("oom_kill", 0))

    def kill(self, timeout: float = 5.0) -> None:
        """SIGKILL every process in the group, forks made meanwhile included."""
        deadline = time.monotonic() + timeout
        while (pids := self.pids()) and time.monotonic() < deadline:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.002)

    def remove(self) -> None:
        """Kill what is left in the group and delete it (an exiting process leaves it a moment later)."""
        self.kill()
        deadline = time.monotonic() + 5.0
        for path in self.dirs:
            while path.exists():
                try:
                    path.rmdir()
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.005)


def make_cgroup(name: str, memory_bytes: int, processes: int) -> Cgroup | None:
    """A new cgroup limiting everything in it to memory_bytes and processes tasks; None where none can be made."""
    for make in (_make_v2, _make_v1):
        made: list[Path] = []
        try:
            group = make(name, memory_bytes, processes, made)
        except OSError:
            group = None
        if group is not None:
            return group
        for path in reversed(made):
            with contextlib.suppress(OSError):
                path.rmdir()
    return None


def _mounts() -> list[tuple[str, str, str, set[str]]]:
    """(root inside the hierarchy, mount point, file system type, super options) of the cgroup mounts."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        before, _, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        if len(fields) >= 5 and len(tail) >= 3 and tail[0] in ("cgroup", "cgroup2"):
            found.append((fields[3], fields[4], tail[0], set(tail[2].split(","))))
    return found


def _own_cgroups() -> dict[str, str]:
    """Controller (or "" for v2) -> this process's cgroup path, from /proc/self/cgroup."""
    own = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            own[controller] = path
    return own


def _directory(mount_root: str, mount_point: str, path: str) -> Path | None:
    """Where cgroup `path` appears under a mount of the hierarchy's `mount_root`."""
    if path != mount_root and not path.startswith(mount_root.rstrip("/") + "/"):
        return None
    return Path(mount_point) / path[len(mount_root):].lstrip("/")


def _make_v2(name: str, memory_bytes: int, processes: int, made: list[Path]) -> Cgroup | None:
    own = _own_cgroups().get("")
    mount = next((m for m in _mounts() if m[2] == "cgroup2"), None)
    parent = None if own is None or mount is None else _directory(mount[0], mount[1], own)
    if parent is None or not {"memory", "pids"} <= set((parent / "cgroup.controllers").read_text().split()):
        return None
    enabled = set((parent / "cgroup.subtree_control").read_text().split())
    if not {"memory", "pids"} <= enabled:
        # Refused (EBUSY) while the grader's own group holds processes, as it usually does: then no v2 group.
        (parent / "cgroup.subtree_control").write_text("+memory +pids")
    group = parent / name
    group.mkdir()
    made.append(group)
    (group / "memory.max").write_text(str(memory_bytes))
    with contextlib.suppress(FileNotFoundError):  # no swap accounting: no swap to spill into either
        (group / "memory.swap.max").write_text("0")
    (group / "pids.max").write_text(str(processes))
    return Cgroup([group], 2)


def _make_v1(name: str, memory_bytes: int, processes: int, made: list[Path]) -> Cgroup | None:
    own = _own_cgroups()
    dirs = []
    for controller in ("memory", "pids"):
        mount = next((m for m in _mounts() if m[2] == "cgroup" and controller in m[3]), None)
        parent = None if mount is None or controller not in own else _directory(mount[0], mount[1], own[controller])
        if parent is None:
            return None
        dirs.append(parent / name)
    for group in dirs:
        group.mkdir()
        made.append(group)
    memory, pids = dirs
    (memory / "memory.limit_in_bytes").write_text(str(memory_bytes))
    with contextlib.suppress(OSError):  # memory plus swap, where swap is accounted: no swap to spill into
        (memory / "memory.memsw.limit_in_bytes").write_text(str(memory_bytes))
    (pids / "pids.max").write_text(str(processes))
    return Cgroup(dirs, 1)


def sandbox_processes(root: int | None, uid: int | None) -> set[int]:
    """The process `root` (if any), all its descendants, and every process of `uid` (where it is the sandbox's
    own): grandchildren that detached from the tree still run under the uid."""
    children: dict[int, list[int]] = {}
    of_uid = set()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat_line = Path(entry.path, "stat").read_text()
            owner = entry.stat().st_uid
        except OSError:  # gone meanwhile
            continue
        parent = int(stat_line.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
        if uid is not None and owner == uid:
            of_uid.add(int(entry.name))
    found, todo = set(), [] if root is None else [root]
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo += children.get(pid, [])
    return found | of_uid


def resident_bytes(pids: set[int]) -> int:
    """The resident memory of these processes added up (pages shared between them count once for each)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE
    return total


class Watchdog:
    """Where no cgroup can be made: kill all of a child's processes once together they hold more than the limit."""

    def __init__(self, root: int | None, uid: int | None, limit_bytes: int) -> None:
        self.root, self.uid, self.limit = root, uid, limit_bytes
        self.tripped = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name=f"watchdog-{root}", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(WATCH_INTERVAL):
            pids = sandbox_processes(self.root, self.uid)
            if resident_bytes(pids) > self.limit:
                self.tripped = True
                for pid in pids:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
