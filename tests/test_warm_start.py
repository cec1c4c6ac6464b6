"""Warm start: children forked from one pre-started zygote are as isolated from each other as cold-started ones.

Every attack proves that it ran: the first child reads back, inside itself, what it wrote.
"""

import json
import os
import select
import signal
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from grading_helpers import grade_source, text_check, tight_course, value_check
from test_sandbox_limits import KEYRINGS

from autograder.labkit import plain
from autograder.labkit.plan import Status, call
from autograder.run import sandbox, warm
from autograder.run.sandbox import BUBBLEWRAP, Child, confine, start_child

# The first child: at load it leaves a trace in every place two processes could share, and reads each back.
WRITER = KEYRINGS + """
import os, random, socket, ctypes, signal
import numpy, labkit.plain

open("/tmp/covert", "w").write("full marks")
write()  # a key in every keyring this process can reach
SEGMENT = ctypes.CDLL(None).shmget(0x5eed, 4096, 0o1666)  # IPC_CREAT, readable and writable by all
LISTENER = socket.socket(socket.AF_UNIX)
LISTENER.bind("\\0covert")  # an abstract socket: no file, one name per network namespace
LISTENER.listen()
os.environ["COVERT"] = "full marks"
numpy.COVERT = "full marks"
numpy.mean = lambda *args, **kwargs: 42.0
labkit.plain.COVERT = "full marks"
DRAWS = (float(numpy.random.random()), random.random())

def traces():
    probe = socket.socket(socket.AF_UNIX)
    probe.connect("\\0covert")
    return repr({"tmp": open("/tmp/covert").read(), "keys": read(), "shm": ctypes.CDLL(None).shmget(0x5eed, 0, 0) >= 0,
                 "socket": True, "env": os.environ.get("COVERT"), "numpy": (numpy.COVERT, numpy.mean([1, 2])),
                 "labkit": labkit.plain.COVERT, "draws": DRAWS, "pid": os.getpid(), "uid": os.getuid()})

def hold():
    signal.signal(signal.SIGUSR1, lambda *args: None)
    signal.sigtimedwait([signal.SIGUSR1], 60)  # released by the test, once the second child is done
    return traces()
"""

# The second child: looks for every trace, and tries to signal and trace the first one's processes.
READER = KEYRINGS + """
import os, random, socket, ctypes, errno
import numpy, labkit.plain

libc = ctypes.CDLL(None, use_errno=True)
DRAWS = (float(numpy.random.random()), random.random())

def _error(result):
    return "ok" if result == 0 else errno.errorcode[ctypes.get_errno()]

def traces():
    try:
        socket.socket(socket.AF_UNIX).connect("\\0covert")
        found = True
    except OSError:
        found = False
    return repr({"tmp": os.path.exists("/tmp/covert"), "keys": read(), "shm": libc.shmget(0x5eed, 0, 0) >= 0,
                 "socket": found, "env": os.environ.get("COVERT"), "numpy": (hasattr(numpy, "COVERT"),
                 float(numpy.mean([1, 2]))), "labkit": hasattr(labkit.plain, "COVERT"), "draws": DRAWS,
                 "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()), "uid": os.getuid(),
                 "kill": [_error(libc.kill(pid, 9)) for pid in FIRST],
                 "ptrace": [_error(libc.ptrace(16, pid, None, None)) for pid in FIRST]})  # PTRACE_ATTACH
"""


def _request(source: str, functions: list[str]) -> bytes:
    header = json.dumps({"preamble": "", "source": source, "clear_keyrings": True,
                         "cpu_limits": [10.0] * len(functions)})
    return b"".join([header.encode(), b"\n", *(plain.dumps([call("r", f, returns="str")]) for f in functions)])


class _Running:
    """A child started through sandbox.start_child, as the isolated runner starts one, and its result channel."""

    def __init__(self, box: sandbox.Confinement, source: str, functions: list[str]) -> None:
        self.request, self.output = tempfile.TemporaryFile(), tempfile.TemporaryFile()  # noqa: SIM115 (closed by close)
        self.request.write(_request(source, functions))
        self.request.seek(0)
        self.read_fd, write_fd = os.pipe()
        self.child: Child = start_child(box, tight_course().grading, self.request.fileno(), write_fd,
                                        self.output.fileno())
        os.close(write_fd)
        self.buffer = b""

    def message(self) -> dict:
        while b"\n" not in self.buffer or len(self.buffer) < self._length():
            assert select.select([self.read_fd], [], [], 60)[0], "the child did not answer"
            chunk = os.read(self.read_fd, 2**16)
            assert chunk, f"the child ended: {self._printed()}"
            self.buffer += chunk
        message, self.buffer = self.buffer[:self._length()], self.buffer[self._length():]
        return plain.loads(message)

    def _length(self) -> int:
        end = self.buffer.index(b"\n")
        return end + 1 + plain.raw_size(self.buffer[:end])

    def value(self) -> dict:
        """What the next plan's function returned, evaluated."""
        message = self.message()
        assert "observation" in message and message["observation"]["failure"] is None, (message, self._printed())
        return eval(message["observation"]["values"]["r"])

    def _printed(self) -> str:
        self.output.seek(0)
        return self.output.read().decode(errors="replace")

    def close(self) -> None:
        self.child.kill()
        os.close(self.read_fd)
        self.request.close()
        self.output.close()


@pytest.fixture
def two_boxes() -> Iterator[tuple[sandbox.Confinement, sandbox.Confinement]]:
    """Two submissions' confinements at once, as two grading threads of one process would hold them."""
    grading = tight_course().grading
    assert grading.warm_start and os.geteuid() == 0 and sandbox.bubblewrap_works()
    with confine(BUBBLEWRAP, grading) as first, confine(BUBBLEWRAP, grading) as second:
        yield first, second


def _processes_of(uid: int) -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and os.stat(f"/proc/{p}").st_uid == uid]


def test_two_children_of_one_zygote_cannot_see_or_touch_each_other(
        two_boxes: tuple[sandbox.Confinement, sandbox.Confinement]) -> None:
    first_box, second_box = two_boxes
    with ExitStack() as stack:
        first = _Running(first_box, WRITER, ["traces", "hold"])
        stack.callback(first.close)
        assert first.message() == {"loaded": True}
        written = first.value()
        # Everything was written and is there to be read, inside the first child; but no key: key management is
        # refused to submission code (test_sandbox_limits.py).
        assert written["tmp"] == "full marks" and written["keys"].endswith(
            "user=None, user session=None, session=None, persistent=None")
        assert written["shm"] and written["socket"] and written["env"] == "full marks"
        assert written["numpy"] == ("full marks", 42.0) and written["labkit"] == "full marks"

        first_pids = _processes_of(first_box.uid)  # its processes, as this (the grader's) namespace numbers them
        assert first_pids
        second = _Running(second_box, f"FIRST = {first_pids!r}\n" + READER, ["traces"])
        stack.callback(second.close)
        assert second.message() == {"loaded": True}
        seen = second.value()
        # Both came from the same zygote, running at the same time under different uids.
        assert isinstance(first.child.process, warm.Forked) and isinstance(second.child.process, warm.Forked)
        assert first.child.process.zygote == second.child.process.zygote
        assert seen["uid"] == second_box.uid != written["uid"] == first_box.uid
        # None of the first child's traces reaches the second.
        assert seen["tmp"] is False and seen["shm"] is False and seen["socket"] is False
        assert seen["keys"].endswith("user=None, user session=None, session=None, persistent=None")
        assert seen["env"] is None and seen["numpy"] == (False, 1.5) and seen["labkit"] is False
        assert seen["draws"][0] != written["draws"][0] and seen["draws"][1] != written["draws"][1]  # reseeded
        # It sees only its own pid namespace (its init and itself), and cannot signal or trace the first child.
        assert seen["pids"] == [1, 2] and written["pid"] == 2
        assert seen["kill"] == ["ESRCH"] * len(first_pids) and seen["ptrace"] == ["ESRCH"] * len(first_pids)

        for pid in _processes_of(first_box.uid):  # release the first child: it was alive, its traces intact
            os.kill(pid, signal.SIGUSR1)
        assert first.value() == {**written, "pid": 2}


def test_a_child_holds_no_capability_and_no_descriptor_of_the_zygote() -> None:
    source = """
import os
def _target(fd):
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return "closed"  # the descriptor listdir had open
def f():
    status = dict(line.split(":\\t") for line in open("/proc/self/status").read().splitlines() if ":\\t" in line)
    keys = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs")
    return repr(([status[k] for k in keys], [_target(fd) for fd in sorted(os.listdir("/proc/self/fd"), key=int)]))
"""
    capabilities, targets = eval(grade_source(source, [text_check("f")]).results[0].feedback)
    assert capabilities == ["0000000000000000"] * 5 + ["1"]
    # stdin (/dev/null once loaded), the output file twice, the result pipe, the child's /dev/null, listdir's own
    assert [t.split(":")[0] for t in targets] == ["/dev/null", targets[1], targets[1], "pipe", "/dev/null", "closed"]
    assert targets[1].startswith("/tmp/")  # the output file the grader made, not a socket of the zygote


def test_the_zygote_never_holds_a_submission() -> None:
    marker = f"covert-{uuid.uuid4().hex}"
    graded = grade_source(f"def f():\n    return {marker!r}\n", [text_check("f")])
    assert graded.results[0].feedback == marker  # the child had it
    zygote = warm.zygote(sandbox._zygote_command(), {})
    assert zygote is not None
    inside = _sandboxed_python(zygote.process.pid)
    memory = _memory_of(inside)
    assert b"PROC_COVERED" in memory  # the scan reads the zygote: its own program is there
    assert marker.encode() not in memory
    # Its descriptors: standard input, output and error, and its control socket; nothing of any child.
    descriptors = sorted(os.listdir(f"/proc/{inside}/fd"), key=int)
    assert descriptors[:3] == ["0", "1", "2"] and len(descriptors) == 4
    assert os.readlink(f"/proc/{inside}/fd/{descriptors[3]}").startswith("socket:")


def _sandboxed_python(bwrap: int) -> int:
    """The zygote's interpreter: the descendant of its bubblewrap process that runs zygote.py."""
    todo = [bwrap]
    while todo:
        pid = todo.pop()
        if b"zygote.py" in Path(f"/proc/{pid}/cmdline").read_bytes() and b"bwrap" not in \
                Path(f"/proc/{pid}/cmdline").read_bytes():
            return pid
        todo += [int(c) for t in os.listdir(f"/proc/{pid}/task")
                 for c in Path(f"/proc/{pid}/task/{t}/children").read_text().split()]
    raise AssertionError("no zygote interpreter found")


def _memory_of(pid: int) -> bytes:
    """Every readable mapping of a process, concatenated."""
    chunks = []
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as memory:
        for line in maps:
            span, permissions = line.split()[:2]
            if permissions[0] != "r":
                continue
            start, end = (int(x, 16) for x in span.split("-"))
            try:
                memory.seek(start)
                chunks.append(memory.read(end - start))
            except (OSError, ValueError, OverflowError):
                continue
    return b"".join(chunks)


def test_a_dead_zygote_is_replaced() -> None:
    check = value_check("f", 2.0, 4.0)
    source = "def f(x):\n    return x * x\n"
    assert grade_source(source, [check]).results[0].status == Status.PASSED
    old = warm.zygote(sandbox._zygote_command(), {})
    assert old is not None
    old.process.kill()
    old.process.wait()
    assert grade_source(source, [check]).results[0].status == Status.PASSED
    new = warm.zygote(sandbox._zygote_command(), {})
    assert new is not None and new is not old and new.alive()


def test_warm_up_starts_the_zygote_that_the_first_child_then_comes_from() -> None:
    check, source = value_check("f", 2.0, 4.0), "def f(x):\n    return x * x\n"
    old = warm.zygote(sandbox._zygote_command(), {})
    assert old is not None
    old.process.kill()
    old.process.wait()
    sandbox.warm_up(tight_course().grading)  # what grade_submission does before it times the reference
    started = warm._zygotes[(os.getpid(), tuple(sandbox._zygote_command()))]
    assert started is not None and started is not old and not started.ready  # started, not waited for
    assert grade_source(source, [check]).results[0].status == Status.PASSED
    assert warm.zygote(sandbox._zygote_command(), {}) is started and started.ready


def test_a_zygote_started_ahead_that_never_gets_ready_is_started_once_more() -> None:
    # Found in review: a zygote warm_up started dies with its thread (a Dask worker's, say); its first use must
    # start another, not turn warm start off for the rest of the process.
    key = (os.getpid(), tuple(sandbox._zygote_command()))
    sandbox.warm_up(tight_course().grading)
    ahead = warm._zygotes[key]
    assert ahead is not None and ahead.alive()

    def gone() -> None:
        ahead.stop()
        raise warm.ZygoteGone("the zygote did not start: died with the thread that started it")

    ahead.wait_ready = gone  # alive when asked, gone when waited for
    assert grade_source("def f(x):\n    return x * x\n", [value_check("f", 2.0, 4.0)]).results[0].status == \
        Status.PASSED
    again = warm._zygotes[key]
    assert again is not None and again is not ahead and again.ready and again.alive()


@pytest.mark.parametrize("warm_start", [True, False])
def test_warm_and_cold_children_report_alike(warm_start: bool) -> None:
    crash = grade_source("def f(x):\n    import os\n    os._exit(130)\n", [value_check("f", 1.0, 1.0)],
                         warm_start=warm_start).results[0]
    assert crash.status == Status.CRASHED and "os._exit(130) (exit code 130)" in crash.feedback
    killed = grade_source("def f(x):\n    import os, signal\n    os.kill(os.getpid(), signal.SIGTERM)\n",
                          [value_check("f", 1.0, 1.0)], warm_start=warm_start).results[0]
    assert killed.status == Status.CRASHED and "was killed by signal SIGTERM" in killed.feedback
    told = grade_source("import os\ndef f():\n    return repr((os.getpid(), os.getcwd(), os.listdir('/tmp')))\n",
                        [text_check("f")], warm_start=warm_start).results[0].feedback
    assert eval(told) == (2, "/tmp", [])  # pid 2 of its own namespace, in its own empty /tmp


def test_a_zygote_that_died_and_cannot_start_again_gives_a_cold_child(monkeypatch: pytest.MonkeyPatch) -> None:
    class DeadZygote:
        def alive(self) -> bool:
            return False

    def gone() -> warm.Forked:
        raise warm.ZygoteGone("died while setting the child up")

    monkeypatch.setattr(sandbox, "_ask_zygote", lambda box, grading, fds: None)  # no zygote starts any more
    grading = tight_course().grading
    with confine(BUBBLEWRAP, grading) as box, tempfile.TemporaryFile() as output:
        request_read, request_write = os.pipe()
        result_read, result_write = os.pipe()
        try:
            child = sandbox._warm_child(box, grading, [request_read, result_write, output.fileno()],
                                        (DeadZygote(), gone))
            assert isinstance(child.process, subprocess.Popen)  # started cold, as if warm start were off
            child.kill()
        finally:
            for fd in (request_read, request_write, result_read, result_write):
                os.close(fd)


def test_a_zygote_stopped_by_another_thread_still_says_why_a_fork_failed() -> None:
    zygote = warm.Zygote(sandbox._zygote_command(), {**sandbox.BASE_ENV, "HOME": "/tmp", "TMPDIR": "/tmp"})
    zygote.stop()  # as a thread that found it dead does before starting another
    assert zygote._said() == "no message"  # not ValueError: the failing fork is reported as ZygoteGone
