"""The program inside the sandbox: load one submission's code, run probe plans, send back plain data.

    python -I -S child.py RESULT_FD CPU_SECONDS MEMORY_BYTES FILE_BYTES PROCESSES PACKAGE_DIR...

stdin holds the request: a JSON line {"preamble": str, "source": str, "clear_keyrings": bool (a uid of the
submission's own: its keyrings are emptied first), "cpu_limits": [seconds per plan], optionally "cells": [str]},
then one message of plain data (labkit.plain) per plan; or, from the grader alone (no student code runs),
{"mode": "probe", "paths": [str]} (answered by the JSON {"opened": [the paths it could open]}). With "cells" (the
execute-notebooks mode) every cell of the notebook runs in order in an IPython shell instead of the preamble and
source, as a kernel would run them.
The child applies its limits, reads the whole request, runs the preamble and the student's code, then each
plan, and writes one message of plain data per event to RESULT_FD as it goes:
    {"loaded": true}  or  {"loaded": false, "kind": "error" | "exit" | "memory" | "request", "error": message}
    {"plan": i, "observation": <labkit.plan.execute's observation>}  or  {"plan": i, "exit": message}
A plan that uses more CPU time than its limit ends the process by SIGPROF (the grader's sign of that check's
timeout): its wall-time limit is the grader's to keep.
Before anything else it leaves the session keyring it inherited for a new one of its own, so that no kernel
keyring is shared with the grader or another submission. os._exit says its code before ending the process, so
that an exit code is never mistaken for a signal (bubblewrap reports a signal n as exit code 128 + n).
Nothing it sends is trusted: the parent decodes it strictly and judges it itself.
This file runs from a private runtime copy next to labkit, never from the repository: started cold as above, or
imported by the warm-start zygote (zygote.py), whose fork calls run() with the same arguments.
"""

import builtins
import contextlib
import ctypes
import errno
import json
import linecache
import os
import posix
import resource
import signal
import sys
import traceback
from collections.abc import Callable

STUDENT_FILE = "<student code>"  # labkit.plan points at frames whose file name starts with "<student"
SETUP_FILE = "<setup cell>"

# keyctl(2) has no wrapper in libc: its system call number per machine.
KEYCTL_CALL = {"x86_64": 250, "aarch64": 219, "arm64": 219, "riscv64": 219, "i386": 288, "i686": 288,
               "armv7l": 311, "ppc64le": 271, "s390x": 280}
KEYCTL_GET_PERSISTENT, KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_CLEAR = 22, 1, 7
KEY_SPEC_SESSION_KEYRING, KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING = -3, -4, -5
NO_KEYRINGS = (errno.ENOSYS, errno.EPERM, errno.EOPNOTSUPP)  # none in this kernel, or refused to everyone
REAL_EXIT = os._exit  # before report_exits wraps it


def apply_limits(cpu: int, memory: int, file_size: int, processes: int) -> None:
    """Hard resource limits for this process and everything it starts."""
    for which, value in ((resource.RLIMIT_CPU, cpu), (resource.RLIMIT_AS, memory), (resource.RLIMIT_FSIZE, file_size),
                         (resource.RLIMIT_NPROC, processes), (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(which, (value, value))


def compile_source(source: str, filename: str) -> object:
    """Compile code so tracebacks can quote its lines."""
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    return compile(source, filename, "exec")


def describe_failure(error: BaseException, where: str) -> str:
    """A student-readable sentence about an exception raised while loading code."""
    if isinstance(error, SyntaxError):
        text = f": `{error.text.strip()}`" if error.text else ""
        return f"{where} has a syntax error on line {error.lineno}{text} ({error.msg})"
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename in (STUDENT_FILE, SETUP_FILE)]
    line = ""
    if frames:
        text = f": `{frames[-1].line.strip()}`" if frames[-1].line else ""
        line = f" (line {frames[-1].lineno}{text})"
    return f"{where} raised {type(error).__name__} when it was loaded: {error}"[:600] + line


def exit_message(error: SystemExit) -> str:
    return f"your code called sys.exit({error.code!r})"


def keyctl(operation: int, *arguments: int) -> int:
    """The keyctl system call; raises OSError on failure."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    result = libc.syscall(ctypes.c_long(KEYCTL_CALL[os.uname().machine]), ctypes.c_long(operation),
                          *(ctypes.c_long(a) for a in arguments))
    if result == -1:
        number = ctypes.get_errno()
        raise OSError(number, os.strerror(number))
    return result


def own_session_keyring() -> None:
    """Leave the inherited session keyring (the grader's, shared by every child) for a new, empty one."""
    try:
        keyctl(KEYCTL_JOIN_SESSION_KEYRING, 0)
    except OSError as error:
        if error.errno not in NO_KEYRINGS:
            raise


def clear_keyrings() -> None:
    """Empty every keyring that outlives a process of this uid (the user, user-session and persistent ones);
    raises RuntimeError if one cannot be emptied."""
    clear = [lambda: KEY_SPEC_USER_KEYRING, lambda: KEY_SPEC_USER_SESSION_KEYRING,
             lambda: keyctl(KEYCTL_GET_PERSISTENT, -1, KEY_SPEC_SESSION_KEYRING)]
    for keyring in clear:
        try:
            keyctl(KEYCTL_CLEAR, keyring())
        except OSError as error:
            if error.errno not in NO_KEYRINGS:
                raise RuntimeError(f"the grader could not clear this sandbox uid's kernel keyrings: {error}") from None


# Per machine: its seccomp audit architecture, and the system calls of the kernel's key management (add_key,
# request_key, keyctl). Keys are not namespaced: a key one submission left world-readable, or a keyring it made
# impossible to clear, would outlive it and reach later submissions. Student code never needs them; Docker's
# default seccomp profile refuses them too.
KEY_SYSCALLS = {"x86_64": (0xC000003E, (248, 249, 250)), "aarch64": (0xC00000B7, (217, 218, 219)),
                "arm64": (0xC00000B7, (217, 218, 219))}
X32_SYSCALL_BIT = 0x40000000  # x86_64's x32 ABI: same architecture, other numbers
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO = 0x7FFF0000, 0x00050000
BPF_LOAD_WORD, BPF_JUMP_EQUAL, BPF_JUMP_AT_LEAST, BPF_RETURN = 0x20, 0x15, 0x35, 0x06  # ld [k]; jeq/jge #k; ret #k


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _SockProgram(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def forbid_keyrings() -> bool:
    """From now on, in this process and all it starts, the key management system calls fail with EPERM (and so
    does every system call of another ABI, x32 or 32-bit, which could reach them by other numbers). A seccomp
    filter: it cannot be removed. False where the machine is not in KEY_SYSCALLS or the kernel refuses."""
    known = KEY_SYSCALLS.get(os.uname().machine)
    if known is None:
        return False
    arch, calls = known
    deny = 4 + len(calls) + 1  # the index of the last instruction
    program = [(BPF_LOAD_WORD, 0, 0, 4), (BPF_JUMP_EQUAL, 0, deny - 2, arch),  # seccomp_data.arch
               (BPF_LOAD_WORD, 0, 0, 0), (BPF_JUMP_AT_LEAST, deny - 4, 0, X32_SYSCALL_BIT)]  # seccomp_data.nr
    program += [(BPF_JUMP_EQUAL, deny - len(program) - 1 - i, 0, call) for i, call in enumerate(calls)]
    program += [(BPF_RETURN, 0, 0, SECCOMP_RET_ALLOW), (BPF_RETURN, 0, 0, SECCOMP_RET_ERRNO | errno.EPERM)]
    filters = (_SockFilter * len(program))(*(_SockFilter(*instruction) for instruction in program))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    installed = libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(_SockProgram(len(program), filters)), 0, 0)
    return installed == 0


def openable(paths: list[str]) -> list[str]:
    """The paths this process can open for reading."""
    opened = []
    for path in paths:
        try:
            os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
        except OSError:
            continue
        opened.append(path)
    return opened


def report_exits(send: Callable[[dict], None], flush_output: Callable[[], None], where: dict) -> None:
    """Make os._exit say its code on the channel first (in this process only: a fork's _exit is its own)."""
    pid = os.getpid()

    def _exit(code: int) -> None:
        if os.getpid() == pid and type(code) is int:
            flush_output()
            words = f"your code ended the grading process with os._exit({code!r}) (exit code {code!r})"
            if where["plan"] is None:
                send({"loaded": False, "kind": "exit", "error": words + " while it was loaded"})
            else:
                send({"plan": where["plan"], "exit": words})
        REAL_EXIT(code)

    os._exit = posix._exit = _exit


def main(arguments: list[str]) -> None:
    """Serve one request; `arguments` are the command line's after the program (RESULT_FD, the limits, the
    package folders)."""
    result_fd = int(arguments[0])
    apply_limits(*map(int, arguments[1:5]))
    own_session_keyring()
    header_line, _, plans = sys.stdin.buffer.read().partition(b"\n")
    header = json.loads(header_line)
    if "mode" in header:  # the grader's own request: answered with the standard library alone
        answer = {"opened": openable(header["paths"])}
        os.write(result_fd, (json.dumps(answer) + "\n").encode())
        return
    if header.get("clear_keyrings"):
        clear_keyrings()
    forbid_keyrings()
    # Started with -S: labkit's folder first, then the interpreter's package folders (no .pth processing);
    # site's exit(), quit() and help() exist as in any Python session, since student code may call them.
    # (Forked by the zygote, they are there already.)
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:0] = [] if here in sys.path else [here]
    sys.path += [d for d in arguments[5:] if d not in sys.path]
    import site

    site.setquit()
    site.sethelper()
    from labkit import plain

    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # input() in student code sees end of file instead of the request
    write = os.write

    def send(message: dict) -> None:
        data = memoryview(plain.dumps(message))
        while data:
            data = data[write(result_fd, data):]

    def flush_output() -> None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # the student may have replaced or closed it
                stream.flush()

    where: dict = {"plan": None}
    report_exits(send, flush_output, where)
    try:  # before any code of the submission runs: what it does cannot be blamed on a cut request
        plans = plain.messages(plans)
    except plain.ChannelError:
        send({"loaded": False, "kind": "request", "error": "the grader's request reached the sandbox cut short "
                                                           "(its time to send it ran out)"})
        return
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    if "cells" in header:
        namespace = run_notebook(header["cells"])
        flush_output()
        send({"loaded": True})
        run_plans(plans, header["cpu_limits"], namespace, send, flush_output, where)
        return
    try:
        exec(compile_source(header["preamble"], SETUP_FILE), namespace)
    except BaseException as error:
        send({"loaded": False, "kind": "error", "error": describe_failure(error, "the notebook's setup cell")})
        return
    try:
        exec(compile_source(header["source"], STUDENT_FILE), namespace)
    except SystemExit as error:
        send({"loaded": False, "kind": "exit", "error": exit_message(error) + " while it was loaded"})
        return
    except MemoryError:
        send({"loaded": False, "kind": "memory", "error": "your code ran out of memory while it was loaded"})
        return
    except BaseException as error:
        send({"loaded": False, "kind": "error", "error": describe_failure(error, "your code")})
        return
    flush_output()
    send({"loaded": True})
    run_plans(plans, header["cpu_limits"], namespace, send, flush_output, where)


def run_notebook(cells: list[str]) -> dict:
    """Run every cell in order in an IPython shell, as a kernel would; return its namespace.

    A cell that raises is reported on stderr (part of the submission's output) and the run goes on,
    as nbgrader's autograde does. Plots go to the Agg backend.
    """
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    for number, cell in enumerate(cells, start=1):
        result = shell.run_cell(cell, store_history=False)
        error = result.error_before_exec or result.error_in_exec
        if isinstance(error, SystemExit):
            raise error
        if error is not None:
            print(f"[cell {number} raised {type(error).__name__}: {error}]", file=sys.stderr)
    return shell.user_ns


def run_plans(plans: list[bytes], cpu_limits: list[float], namespace: dict, send: Callable[[dict], None],
              flush_output: Callable[[], None], where: dict) -> None:
    """Run each plan (a message of plain data) against the loaded namespace, sending one message back per plan
    (`where` says which plan runs). While plan i runs, the process may use cpu_limits[i] seconds of CPU time (all
    its threads): SIGPROF's default action then ends it. Code that disarms the timer meets the wall limit only."""
    from labkit import plain, plan

    signal.signal(signal.SIGPROF, signal.SIG_DFL)
    for index, message in enumerate(plans):
        where["plan"] = index
        try:
            signal.setitimer(signal.ITIMER_PROF, cpu_limits[index])
            observation = plan.execute(plain.loads(message), namespace)
        except SystemExit as error:
            flush_output()
            send({"plan": index, "exit": exit_message(error)})
            return
        except BaseException as error:  # raised outside the student's calls, e.g. by a returned object
            failure = {"kind": "error", "function": "", "message": f"{type(error).__name__}: {error}"[:600]}
            observation = {"values": {}, "failure": failure, "seconds": 0.0}
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
        flush_output()
        send({"plan": index, "observation": observation})


def run(arguments: list[str]) -> None:
    """main(arguments), then end the process: a cold child's whole life, and a forked one's (see zygote.py)."""
    try:
        main(arguments)
    except BaseException:
        traceback.print_exc()
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        REAL_EXIT(1)
    REAL_EXIT(0)  # do not wait for threads the student's code left running


if __name__ == "__main__":
    run(sys.argv[1:])
