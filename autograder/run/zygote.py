"""The warm start: one pre-started interpreter per grading process that forks every submission's child.

    python -I -S zygote.py PACKAGE_DIR... CONTROL_FD

It runs inside one bubblewrap sandbox (the children's file system, no network) as root with four capabilities
(CAP_SETUID, CAP_SETGID, CAP_SYS_ADMIN, CAP_SETPCAP) and no_new_privs, imports numpy and labkit (no student code,
no file the sandbox hides: it never reads anything else), says "ready" on CONTROL_FD and then, for each request,
forks. A request is one datagram on CONTROL_FD: JSON {"uid", "scratch_mb", "arguments"} with the descriptors
[stdin, result, output, report, cgroup.procs of each hierarchy...]. The fork (C1) and its descendants cut
everything they inherited before any student code runs:
- C1 joins the submission's cgroup (every process after it is born inside), enters new mount, pid, IPC, network,
  UTS and cgroup namespaces, and forks C2, the new pid namespace's init; once C3 is set up it reports its own pidfd
  on the child's report socket (the grader's handle: killing C1 kills C2, and with it the namespace) and, when C2
  ends, C2's exit status, then exits. A fork that cannot be set up says why there instead.
- C2 dies with C1 (SIGKILL), mounts a private tmpfs on /tmp and a /proc of its own pid namespace, forks C3, drops
  every capability and waits: when C3 ends it ends, and the kernel kills whatever is left in the namespace.
- C3 keeps only stdin, stdout/stderr (output) and the result channel, becomes the submission's uid with no
  capability (bounding and inheritable sets emptied, no_new_privs), reseeds the random generators it inherited,
  and runs child.py's main, exactly as a cold child would.
The zygote itself never reads a request's descriptors (it closes its copies as soon as C1 has them), so its
memory holds nothing of any submission; the kernel reaps its forks (SIGCHLD ignored).
"""

import contextlib
import ctypes
import fcntl
import gc
import importlib
import json
import os
import pkgutil
import random
import select
import signal
import socket
import sys
from collections.abc import Callable

CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS = 0x00020000, 0x02000000, 0x04000000
CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET = 0x08000000, 0x20000000, 0x40000000
NAMESPACES = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND = 0x1, 0x2, 0x4, 0x8, 0x20, 0x1000
MS_REC, MS_PRIVATE = 0x4000, 0x40000
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 1, 4, 24, 38, 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
CAPABILITY_VERSION_3 = 0x20080522
PROC_COVERED = ("sys", "sysrq-trigger", "irq", "bus")  # read-only in /proc, as bubblewrap's --proc leaves them
MAX_FDS = 8
RESULT_FD = 3  # where C3 keeps the result channel
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt(3)

_libc = ctypes.CDLL(None, use_errno=True)
_exit = os._exit  # the child program wraps os._exit in C3; C1 and C2 must end silently


def _check(result: int, what: str) -> None:
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def _bytes(text: str | None) -> bytes | None:
    return None if text is None else text.encode()


def _mount(source: str | None, target: str, kind: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc.mount(_bytes(source), target.encode(), _bytes(kind), ctypes.c_ulong(flags), _bytes(data)),
           f"mount {target}")


def _prctl(option: int, argument: int, third: int = 0) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(argument), ctypes.c_ulong(third), 0, 0), f"prctl {option}")


def drop_capabilities() -> None:
    """Empty the effective, permitted and inheritable sets (the ambient set follows the permitted one)."""
    header = (ctypes.c_uint32 * 2)(CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()
    _check(_libc.capset(header, data), "capset")


def drop_bounding_set() -> None:
    """No capability can ever come back (needs CAP_SETPCAP, so before the uid changes)."""
    with open("/proc/sys/kernel/cap_last_cap") as last:
        for capability in range(int(last.read()) + 1):
            _prctl(PR_CAPBSET_DROP, capability)


def become(uid: int) -> None:
    """The submission's uid and gid, no supplementary groups, no capability, no way to gain one."""
    drop_bounding_set()
    _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    _prctl(PR_SET_NO_NEW_PRIVS, 1)
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)  # from root to a uid of its own: the kernel clears the permitted and effective sets
    drop_capabilities()
    _prctl(PR_SET_DUMPABLE, 1)  # as after an exec: its own /proc entries belong to its uid


def private_mounts(scratch_mb: int) -> None:
    """In the new mount namespace: a private tmpfs /tmp and a /proc that shows only the new pid namespace."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={scratch_mb * 2**20},mode=1777")
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for name in PROC_COVERED:
        path = f"/proc/{name}"
        if os.path.exists(path):
            _mount(path, path, None, MS_BIND | MS_REC)
            _mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)



def close_all_but(keep: set[int]) -> None:
    """Close every descriptor not in `keep` (without /proc: C1 shares its mount namespace with C2's /proc)."""
    low = 0
    for fd in [*sorted(keep), os.sysconf("SC_OPEN_MAX")]:
        if fd > low:  # closerange(n, n) would close everything from n on (close_range with an unsigned n - 1)
            os.closerange(low, fd)
        low = fd + 1


def exit_code(status: int) -> int:
    """A wait status as bubblewrap reports it: the exit code, or 128 + the signal's number."""
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


def run_submission(request: dict, fds: list[int], setup: int) -> None:
    """C3: keep only its three channels, become the submission's uid, say so on `setup`, run the child program."""
    # Moved out of the way first, so that no descriptor is overwritten before it has been placed.
    stdin, result, output = (fcntl.fcntl(fd, fcntl.F_DUPFD, 16) for fd in fds[:3])
    for source, target in ((stdin, 0), (output, 1), (output, 2), (result, RESULT_FD)):
        os.dup2(source, target)
    close_all_but({0, 1, 2, RESULT_FD, setup})
    os.setsid()
    become(request["uid"])
    os.chdir("/tmp")
    # The zygote's generators were seeded once: each child draws fresh entropy, as a new interpreter does.
    random.seed()
    import numpy

    numpy.random.seed()
    import child

    sys.argv = [child.__file__, str(RESULT_FD), *request["arguments"]]
    os.write(setup, b"ok")
    os.close(setup)
    child.run(sys.argv[1:])


def init(request: dict, fds: list[int], alive: int, setup: int) -> None:
    """C2, pid 1 of the submission's pid namespace: mount, fork C3, wait for it, exit with its status."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if select.select([alive], [], [], 0)[0]:  # C1 died before PDEATHSIG was set: nothing would kill us
        _exit(1)
    private_mounts(request["scratch_mb"])
    pid = os.fork()
    if pid == 0:
        _setup_step(setup, lambda: run_submission(request, fds, setup))
    close_all_but(set())
    drop_bounding_set()
    drop_capabilities()
    while True:  # reap whatever the namespace leaves to its init, until the submission's own process ends
        ended, status = os.waitpid(-1, 0)
        if ended == pid:
            _exit(exit_code(status))


def _setup_step(setup: int, step: Callable[[], None]) -> None:
    """Run one fork's part (it never returns); if it fails before the child program runs, say why on `setup`."""
    try:
        step()
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.write(setup, f"{type(error).__name__}: {error}".encode()[:1000])
    finally:
        _exit(1)


def start_child(request: dict, fds: list[int], report: socket.socket) -> None:
    """C1: join the cgroup and new namespaces, fork C2, report its pidfd (or why it failed) and C2's status."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for procs in fds[4:]:
        os.write(procs, b"0")  # "0": this process; the descriptor was opened by the grader, outside the sandbox
        os.close(procs)
    _check(_libc.unshare(NAMESPACES), "unshare")
    alive, keep_alive = os.pipe()
    setup_read, setup = _high(os.pipe())  # above C3's standard descriptors and result channel, never moved
    pid = os.fork()
    if pid == 0:
        os.close(keep_alive)  # C1 alone holds it: its end of file tells C2 that C1 is gone
        _setup_step(setup, lambda: init(request, fds, alive, setup))
    close_all_but({report.fileno(), keep_alive, setup_read})  # the request's descriptors are C2's and C3's now
    answer = _read_all(setup_read)
    if answer != b"ok":
        raise RuntimeError((answer or b"the sandbox's init ended before the child was set up").decode())
    pidfd = os.pidfd_open(os.getpid())
    socket.send_fds(report, [b"forked"], [pidfd])
    os.close(pidfd)
    _, status = os.waitpid(pid, 0)
    report.sendall(str(exit_code(status)).encode())
    _exit(0)


def _high(fds: tuple[int, int]) -> tuple[int, int]:
    moved = tuple(fcntl.fcntl(fd, fcntl.F_DUPFD, 16) for fd in fds)
    for fd in fds:
        os.close(fd)
    return moved


def _read_all(fd: int) -> bytes:
    data = b""
    while chunk := os.read(fd, 4096):
        data += chunk
    return data


def serve(control: socket.socket) -> None:
    """Fork one child per request until the grader closes the control socket."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the forks: statuses travel on their reports
    control.sendall(b"ready")
    while True:
        message, fds, _, _ = socket.recv_fds(control, 65536, MAX_FDS)
        if not message:
            return
        pid = os.fork()
        if pid == 0:
            control.close()
            report = socket.socket(fileno=fds[3])
            try:
                start_child(json.loads(message), fds, report)
            except BaseException as error:
                with contextlib.suppress(OSError):
                    report.sendall(f"failed: {type(error).__name__}: {error}".encode()[:2000])
            finally:
                _exit(1)
        for fd in fds:
            os.close(fd)


def keep_freed_memory() -> None:
    """glibc's malloc here, and so in every fork: freed blocks up to 32 MB stay in the heap for the next ones (up
    to 64 MB of them, so that the memory limit loses little to memory freed and kept). By default each array over
    128 KB is a fresh mapping whose every page faults in anew (a fifth of a child's page faults). Set here rather
    than by MALLOC_* variables, which student code could read as a sign of grading."""
    mallopt = getattr(_libc, "mallopt", None)  # glibc's; another C library keeps its own habits
    if mallopt is not None:
        mallopt(M_MMAP_THRESHOLD, 32 * 2**20)
        mallopt(M_TRIM_THRESHOLD, 64 * 2**20)  # a child's whole heap is a few MB: what is freed stays


def main() -> None:
    keep_freed_memory()
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    sys.path += sys.argv[1:-1]
    # What every child needs, loaded once and shared copy-on-write: no student code, nothing the sandbox hides.
    # Every labkit module, since the release preamble imports the assignment's kit (its pytest files aside).
    import child  # noqa: F401
    import labkit
    import numpy  # noqa: F401

    for module in pkgutil.iter_modules(labkit.__path__):
        if not module.name.startswith("test_") and module.name != "conftest":
            importlib.import_module(f"labkit.{module.name}")

    # Leave what is loaded out of every future collection: a child's collections would otherwise touch (and so
    # copy, page by page) the whole inherited heap.
    gc.freeze()
    serve(socket.socket(fileno=int(sys.argv[-1])))


if __name__ == "__main__":
    main()
