"""Isolation per submission, not per process: one memory limit and one wall budget for all of a submission's
processes, no kernel state that one submission leaves for the next, secrets proven hidden where bubblewrap cannot
run, and exit codes told apart from signals.

Every attack test proves that the attack really ran: a control run in which it succeeds, or its effect read back
inside the attacking submission and reported through a check's value.
"""

import ctypes
import os
import platform
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from grading_helpers import grade_source, text_check, tight_course, value_check
from test_gradescope import CORRECT, assert_grader_failed, broken_bundle, bundle, run_autograder  # noqa: F401

from autograder.course import COURSE_FILE, Grading
from autograder.labkit.plan import Status
from autograder.run import sandbox
from autograder.run.memory import make_cgroup
from autograder.run.sandbox import RLIMITS, SandboxUnavailableError, confine, exposed_secrets
from autograder.run.uids import range_conflicts

pytestmark = [pytest.mark.filterwarnings("ignore:weaker isolation"),
              pytest.mark.filterwarnings("ignore:isolation = .rlimits. accepted the risk")]
OUT_OF_MEMORY = "ran out of memory (limit 512 MB for all its processes together)"


def _told(source: str, **grading: object) -> str:
    """What f() returned inside the sandbox."""
    return grade_source(source, [text_check("f")], **grading).results[0].feedback


# --- one memory limit for all of a submission's processes -------------------------------------------------------

# f(mb): the process and three forks each hold mb MB at once; returns how many did (negative: a fork was killed).
HOARD = """
import os, select, time

def f(mb):
    size = int(mb) * 2**20
    reader, writer = os.pipe()
    children = []
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            try:
                block = b"x" * size
                os.write(writer, b"1")
                time.sleep(60)
            finally:
                os._exit(0)
        children.append(pid)
    os.close(writer)
    block = b"x" * size
    held, deadline = 1, time.monotonic() + 5
    while held < 4 and select.select([reader], [], [], max(deadline - time.monotonic(), 0))[0]:
        if not os.read(reader, 1):
            break
        held += 1
    alive = all(os.waitpid(pid, os.WNOHANG) == (0, 0) for pid in children)
    return float(held if alive else -held)
"""
HOARDED = value_check("f", 150.0, 4.0)  # passes only if four processes held 150 MB each at once


@pytest.fixture(params=["live", "watchdog"])
def memory_guard(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each test runs with whatever this machine gives (a cgroup where one can be made) and with the watchdog."""
    if request.param == "watchdog":
        monkeypatch.setattr(sandbox, "make_cgroup", lambda *args: None)
    yield request.param


def test_forked_processes_share_one_memory_limit(memory_guard: str) -> None:
    # The control: with room for all four, the attack holds 4 x 150 MB at once, each process within its own limit.
    control = grade_source(HOARD, [HOARDED], memory_mb=1536)
    assert control.results[0].status == Status.PASSED, control.results[0].feedback
    result = grade_source(HOARD, [HOARDED]).results[0]  # 512 MB for the whole submission
    assert result.status != Status.PASSED
    if memory_guard == "watchdog":
        assert result.status == Status.CRASHED and OUT_OF_MEMORY in result.feedback, result.feedback
    else:  # the kernel kills a process of the group: the child itself, or one of its forks (whose sibling then
        # waits for its word until the check's time is up)
        assert (OUT_OF_MEMORY in result.feedback or result.feedback.startswith("got -")
                or result.status == Status.TIMEOUT), result.feedback


def test_the_live_guard_is_a_cgroup_where_one_can_be_made_and_is_removed_after() -> None:
    group = make_cgroup(f"autograder-probe-{os.getpid()}", 2**28, 8)
    if group is not None:  # this machine can make cgroups: grading must have made and removed one per submission
        group.remove()
        parents = {d.parent for d in group.dirs}
        before = {p for parent in parents for p in parent.glob(f"autograder-{os.getpid()}-*")}
        assert grade_source(HOARD, [HOARDED]).results[0].status != Status.PASSED
        assert {p for parent in parents for p in parent.glob(f"autograder-{os.getpid()}-*")} == before == set()
    else:  # none here: the watchdog stands in (exercised by the "live" run of the test above)
        assert grade_source(HOARD, [HOARDED]).results[0].status != Status.PASSED


# --- one wall budget for the whole submission -------------------------------------------------------------------

SLEEP_AND_CRASH = "import time\ntime.sleep(1.0)\n" + "".join(
    f"def f{i}(x):\n    import os\n    os._exit(3)\n" for i in range(8))


def test_reloads_cannot_multiply_the_time_budget() -> None:
    checks = [value_check(f"f{i}", 1.0, 1.0) for i in range(8)]
    graded = grade_source(SLEEP_AND_CRASH, checks, submission_timeout_seconds=4.0)
    crashed = [r for r in graded.results if r.status == Status.CRASHED]
    spent = [r for r in graded.results if r.status == Status.TIMEOUT]
    # The attack ran: each child that loaded slept, then the check crashed it.
    assert crashed and all("os._exit(3)" in r.feedback for r in crashed)
    # Every load sleeps 1 s, so a 4 s budget pays for at most four of them; the rest were not run.
    assert len(crashed) <= 4 and len(crashed) + len(spent) == len(checks)
    assert {r.feedback for r in spent} == {"not run: the submission used its whole time budget of 4 s"}


def test_a_load_that_outlasts_the_budget_is_cut_by_it() -> None:
    graded = grade_source("import time\ntime.sleep(60)\n", [value_check("f", 1.0, 1.0)],
                          load_timeout_seconds=30.0, submission_timeout_seconds=2.0)
    assert graded.results[0].status == Status.TIMEOUT
    assert graded.results[0].feedback == "loading your code timed out: the submission used its whole time budget " \
                                         "of 2 s"


def test_the_default_budget_is_derived_from_the_per_check_limits() -> None:
    grading = Grading(check_timeout_seconds=10.0, load_timeout_seconds=20.0)
    assert grading.submission_budget(20.0) == 120.0  # one load and ten checks' timeouts
    assert grading.submission_budget(300.0) == 400.0  # execute-notebooks mode: its longer load
    assert Grading(submission_timeout_seconds=45.0).submission_budget(20.0) == 45.0


# --- no kernel state survives from one submission to the next ----------------------------------------------------

_CALLS = {"x86_64": (248, 250), "aarch64": (217, 219)}[platform.machine()]  # add_key, keyctl
KEYRINGS = f"""
import ctypes, os
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
ADD_KEY, KEYCTL = {_CALLS}
RINGS = {{"user": -4, "user session": -5, "session": -3}}

def _keyctl(*args):
    return _libc.syscall(ctypes.c_long(KEYCTL), *args)

def _rings():
    persistent = _keyctl(ctypes.c_long(22), ctypes.c_long(-1), ctypes.c_long(-3))  # KEYCTL_GET_PERSISTENT
    return {{**RINGS, "persistent": persistent}}

def _read(ring):
    key = _keyctl(ctypes.c_long(10), ctypes.c_long(ring), b"user", b"covert", ctypes.c_long(0))  # KEYCTL_SEARCH
    if key < 0:
        return None
    buffer = ctypes.create_string_buffer(64)
    size = _keyctl(ctypes.c_long(11), ctypes.c_long(key), buffer, ctypes.c_long(64))  # KEYCTL_READ
    return buffer.raw[:size].decode() if size >= 0 else "unreadable"

def write():
    for ring in _rings().values():
        key = _libc.syscall(ctypes.c_long(ADD_KEY), b"user", b"covert", b"full marks", ctypes.c_size_t(10),
                            ctypes.c_long(ring))
        _keyctl(ctypes.c_long(5), ctypes.c_long(key), ctypes.c_long(0x3f3f3f3f))  # KEYCTL_SETPERM: all to all

def read():
    for ring in (-4, -5):  # link the uid's keyrings into our session keyring: what it holds is then ours to read
        _keyctl(ctypes.c_long(8), ctypes.c_long(ring), ctypes.c_long(-3))  # KEYCTL_LINK
    return f"uid {{os.getuid()}}: " + ", ".join(f"{{name}}={{_read(ring)}}" for name, ring in _rings().items())
"""
UID = 2_000_012_345  # a range of this one uid: every submission graded with it runs as it


def _as_uid(uid: int, keyring_call: Callable[[ctypes.CDLL], bool]) -> bool:
    """Whether `keyring_call(libc)` holds in a process of `uid` that this (root) process forks, outside any sandbox:
    the view of another program of the machine that runs as that uid."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            libc = ctypes.CDLL(None, use_errno=True)
            libc.syscall.restype = ctypes.c_long
            os._exit(0 if keyring_call(libc) else 1)
        finally:
            os._exit(2)
    return os.waitpid(pid, 0)[1] == 0


def _planted(libc: ctypes.CDLL) -> bool:  # KEYCTL_SEARCH of the user keyring (-4) for the planted key
    return libc.syscall(ctypes.c_long(_CALLS[1]), ctypes.c_long(10), ctypes.c_long(-4), b"user", b"planted",
                        ctypes.c_long(0)) >= 0


def _plant(libc: ctypes.CDLL) -> bool:  # add_key into the user keyring
    return libc.syscall(ctypes.c_long(_CALLS[0]), b"user", b"planted", b"full marks", ctypes.c_size_t(10),
                        ctypes.c_long(-4)) >= 0


def test_a_key_in_the_sandbox_uids_keyring_is_gone_before_a_submission_of_that_uid_runs() -> None:
    # Submission code cannot add keys (below), but what a uid's keyrings hold outlives its processes: they are
    # emptied before any submission's code runs, whoever left a key there (a grader killed mid-way, another
    # program, a machine where the filter cannot be installed).
    assert _as_uid(UID, _plant) and _as_uid(UID, _planted)
    graded = grade_source("def f(x):\n    return x\n", [value_check("f", 1.0, 1.0)], sandbox_uid_base=UID,
                          sandbox_uid_count=1)
    assert graded.results[0].status == Status.PASSED
    assert not _as_uid(UID, _planted)


LOCKER = KEYRINGS + """
import errno

def f():
    key = _libc.syscall(ctypes.c_long(ADD_KEY), b"user", b"covert", b"x", ctypes.c_size_t(1), ctypes.c_long(-3))
    added = errno.errorcode.get(ctypes.get_errno()) if key < 0 else "added"
    # Found in review: locking its own user keyring (no write, no setattr) made it impossible to clear for the
    # next submission of the uid; a world-readable key outlived the submission as a drop box for later ones.
    locked = _keyctl(ctypes.c_long(5), ctypes.c_long(-4), ctypes.c_long(0x0B0B0000))  # KEYCTL_SETPERM on @u
    return f"{added} {errno.errorcode.get(ctypes.get_errno()) if locked < 0 else 'locked'}"
"""


def test_submission_code_cannot_use_kernel_keys_at_all() -> None:
    assert _told(LOCKER) == "EPERM EPERM"  # seccomp: add_key, request_key and keyctl all fail


def test_each_submission_gets_a_fresh_uid_from_the_configured_range() -> None:
    source = "import os\ndef f():\n    return str(os.getuid())\n"
    first, second = int(_told(source)), int(_told(source))
    grading = tight_course().grading
    assert first != second and first != os.getuid()
    assert all(grading.sandbox_uid_base <= uid < grading.sandbox_uid_base + grading.sandbox_uid_count
               for uid in (first, second))


def test_a_uid_range_that_overlaps_the_machines_ids_is_refused(tmp_path: Path) -> None:
    (tmp_path / "passwd").write_text("root:x:0:0::/root:/bin/sh\nann:x:70000:70000::/home/ann:/bin/sh\n")
    (tmp_path / "group").write_text("ann:x:70001:\n")
    (tmp_path / "subuid").write_text("ann:100000:65536\n")
    (tmp_path / "subgid").write_text("ann:300000:65536\n")
    assert range_conflicts(2_000_000_000, 65_536, tmp_path) == []
    problems = range_conflicts(60_000, 50_000, tmp_path)
    assert [p.split(" ")[0] for p in problems] == [str(tmp_path / n) for n in ("passwd", "group", "subuid")]
    assert "ann:300000" not in "".join(problems) and range_conflicts(360_000, 10, tmp_path)[0].endswith("365535")
    # and grading refuses one, before any code runs (65534 is `nobody` in /etc/passwd)
    with pytest.raises(SandboxUnavailableError, match="not free on this machine: /etc/passwd has the user"):
        _told("def f():\n    return ''\n", sandbox_uid_base=65_534, sandbox_uid_count=1)


# --- exit codes are not signals -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "words"), [
    ("import os\n    os._exit(130)", "os._exit(130) (exit code 130)"),
    ("import posix\n    posix._exit(159)", "os._exit(159) (exit code 159)"),
    ("import os, signal\n    os.kill(os.getpid(), signal.SIGTERM)", "was killed by signal SIGTERM"),
])
@pytest.mark.parametrize("level", ["bubblewrap", RLIMITS])
def test_an_exit_code_above_128_is_not_read_as_a_signal(level: str, body: str, words: str) -> None:
    result = grade_source(f"def f(x):\n    {body}\n", [value_check("f", 1.0, 1.0)], isolation=level).results[0]
    assert result.status == Status.CRASHED and words in result.feedback, result.feedback


def test_a_fork_that_exits_does_not_speak_for_the_child() -> None:
    source = "import os\ndef f(x):\n    pid = os.fork()\n    if pid == 0:\n        os._exit(7)\n" \
             "    return float(os.waitpid(pid, 0)[1] >> 8)\n"
    result = grade_source(source, [value_check("f", 1.0, 7.0)]).results[0]
    assert result.status == Status.PASSED, result.feedback


# --- /etc inside bubblewrap ----------------------------------------------------------------------------------------

def test_the_sandbox_sees_etc_read_only_and_keeps_its_private_files_private() -> None:
    source = """
import ctypes, os
def f():
    try:
        open("/etc/shadow").read()
        shadow = "readable"
    except OSError as error:
        shadow = type(error).__name__
    try:
        open("/etc/hostname-by-a-student", "w")
        written = "written"
    except OSError as error:
        written = type(error).__name__
    cache = open("/etc/ld.so.cache", "rb").read()
    return repr((sorted(os.listdir("/etc/alternatives")), sorted(os.listdir("/etc/ld.so.conf.d")), len(cache),
                 shadow, written))
"""
    alternatives, conf, cache, shadow, written = eval(_told(source))
    assert alternatives == sorted(os.listdir("/etc/alternatives")) and conf == sorted(os.listdir("/etc/ld.so.conf.d"))
    assert cache == len(Path("/etc/ld.so.cache").read_bytes())  # what the loader resolves libraries through
    assert (shadow, written) == ("PermissionError", "OSError")


# --- where bubblewrap cannot run, secrets are proven hidden ----------------------------------------------------------

@pytest.fixture
def reachable_python(monkeypatch: pytest.MonkeyPatch) -> str:
    """The system's own Python (which other users can run) as the children's interpreter: the probe needs only
    the standard library, and this machine's own Python lives under /root, out of a sandbox uid's reach."""
    python = "/usr/bin/python3"
    assert os.access(python, os.X_OK), "these tests need the distribution's python3 (any Debian or Ubuntu has it)"
    monkeypatch.setattr(sys, "executable", python)
    return python


@pytest.fixture
def secrets() -> Iterator[dict[str, Path]]:
    """A folder other users may enter, holding a public file, a private folder and a root-only file."""
    top = Path(tempfile.mkdtemp(prefix="secrets-"))  # outside pytest's own 0700 folder
    top.chmod(0o755)
    paths = {"top": top, "public": top / "public.txt", "private": top / "private",
             "hidden": top / "private" / "reference.py", "root-only": top / "answers.json"}
    paths["public"].write_text("everyone may read this")
    paths["private"].mkdir(mode=0o700)
    paths["hidden"].write_text("the reference")
    paths["hidden"].chmod(0o644)  # readable in itself: only its folder hides it
    paths["root-only"].write_text("{}")
    paths["root-only"].chmod(0o600)
    yield paths
    for path in (paths["hidden"], paths["root-only"], paths["public"]):
        path.unlink()
    paths["private"].rmdir()
    top.rmdir()


def test_the_probe_runs_as_the_childs_uid_and_finds_what_it_can_open(reachable_python: str,
                                                                      secrets: dict[str, Path]) -> None:
    grading = tight_course(isolation=RLIMITS).grading
    with confine(RLIMITS, grading) as box:
        assert box.uid is not None and box.uid != os.getuid()
        exposed = exposed_secrets(box, grading, [secrets["top"]])
        assert exposed_secrets(box, grading, [secrets["private"], secrets["root-only"]]) is None
    # root could open all four; the child's uid only the folder and the public file
    assert exposed is not None and f"uid {box.uid}" in exposed and "could open 2 of the files" in exposed
    assert str(secrets["public"]) in exposed and str(secrets["hidden"]) not in exposed


def test_rlimits_grading_refuses_when_the_child_could_read_a_secret(reachable_python: str,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "bubblewrap_works", lambda: False)
    # The repository is readable by every user on this machine: a child could read the reference.
    assert COURSE_FILE.stat().st_mode & stat.S_IROTH
    with pytest.warns(UserWarning, match="weaker isolation"), \
            pytest.raises(SandboxUnavailableError, match=r"no safe isolation here.*course\.toml"):
        _told("def f():\n    return ''\n", isolation="auto")


def test_gradescope_without_bubblewrap_makes_its_tree_private_and_says_why_it_refuses(broken_bundle: Path,  # noqa: F811
                                                                                        tmp_path: Path) -> None:
    import shutil

    tools = tmp_path / "bin"  # the commands run_autograder uses, without bwrap: as on Gradescope
    tools.mkdir()
    for tool in ("bash", "env", "mktemp", "rm", "mkdir", "tee", "tail", "tr", "head", "chmod"):
        (tools / tool).symlink_to(shutil.which(tool))
    for folder in ("source", "results"):
        (broken_bundle / folder).mkdir(exist_ok=True)
        (broken_bundle / folder).chmod(0o755)
    results, _ = run_autograder(broken_bundle, [CORRECT], PATH=str(tools))
    # This machine's Python lives under /root, out of any other user's reach: no safe level, and it says so.
    assert_grader_failed(results, "SandboxUnavailableError", "no safe isolation here")
    assert all((broken_bundle / f).stat().st_mode & 0o077 == 0 for f in ("source", "submission", "results"))


def test_what_a_uid_left_in_shared_places_is_removed_after_it(reachable_python: str) -> None:
    # Under rlimits a child may leave files where every user may write, and System V IPC objects, for the
    # next submission: the grader deletes those of the submission's uid. Made here by a process of that uid.
    grading = tight_course(isolation=RLIMITS).grading
    leave = ("import ctypes, os\n"
             "open('/tmp/covert-{uid}', 'w').write('full marks')\n"
             "os.makedirs('/dev/shm/covert-{uid}/deep')\n"
             "print(ctypes.CDLL(None).shmget(0x5eed0000 + os.getuid() % 65536, 4096, 0o1666))\n")
    with confine(RLIMITS, grading) as box:
        uid = box.uid
        made = subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", reachable_python,
                               "-I", "-S", "-c", leave.format(uid=uid)], capture_output=True, text=True, check=True)
        segment = int(made.stdout)
        assert segment >= 0 and Path(f"/tmp/covert-{uid}").exists() and Path(f"/dev/shm/covert-{uid}").is_dir()
        assert any(line.split()[1] == str(segment) for line in Path("/proc/sysvipc/shm").read_text().splitlines()[1:])
    assert not Path(f"/tmp/covert-{uid}").exists() and not Path(f"/dev/shm/covert-{uid}").exists()
    assert all(line.split()[1] != str(segment) for line in Path("/proc/sysvipc/shm").read_text().splitlines()[1:])
