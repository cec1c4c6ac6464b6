"""The program inside the sandbox: load one submission's code, run probe plans, send back plain data.

    python -I -S child.py RESULT_FD CPU_SECONDS MEMORY_BYTES FILE_BYTES PROCESSES PACKAGE_DIR...

stdin holds the request: a JSON line {"preamble": str, "source": str, optionally "cells": [str]}, then one
line of plain data per plan. With "cells" (the execute-notebooks mode) every cell of the notebook runs in
order in an IPython shell instead of the preamble and source, as a kernel would run them.
The child applies its limits, reads the whole request, runs the preamble and the student's code, then each
plan, and writes one line of plain data per event to RESULT_FD as it goes:
    {"loaded": true}  or  {"loaded": false, "kind": "error" | "exit" | "memory", "error": message}
    {"plan": i, "observation": <labkit.plan.execute's observation>}  or  {"plan": i, "exit": message}
Nothing it sends is trusted: the parent decodes it strictly and judges it itself.
This file runs from a private runtime copy next to labkit, never from the repository.
"""

import builtins
import contextlib
import json
import linecache
import os
import resource
import sys
import traceback
from collections.abc import Callable

STUDENT_FILE = "<student code>"  # labkit.plan points at frames whose file name starts with "<student"
SETUP_FILE = "<setup cell>"


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


def main() -> None:
    result_fd = int(sys.argv[1])
    apply_limits(*map(int, sys.argv[2:6]))
    # Started with -S: labkit's folder first, then the interpreter's package folders (no .pth processing);
    # site's exit(), quit() and help() exist as in any Python session, since student code may call them.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.path += sys.argv[6:]
    import site

    site.setquit()
    site.sethelper()
    from labkit import plain

    lines = sys.stdin.buffer.read().decode().split("\n")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # input() in student code sees end of file instead of the request
    write = os.write

    def send(message: dict) -> None:
        data = (plain.dumps(message) + "\n").encode()
        while data:
            data = data[write(result_fd, data):]

    def flush_output() -> None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # the student may have replaced or closed it
                stream.flush()

    header = json.loads(lines[0])
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    if "cells" in header:
        namespace = run_notebook(header["cells"])
        flush_output()
        send({"loaded": True})
        run_plans(lines[1:], namespace, send, flush_output)
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
    run_plans(lines[1:], namespace, send, flush_output)


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


def run_plans(lines: list[str], namespace: dict, send: Callable[[dict], None], flush_output: Callable[[], None]
              ) -> None:
    """Run each plan line against the loaded namespace, sending one line back per plan."""
    from labkit import plain, plan

    for index, line in enumerate(lines):
        if not line:
            continue
        try:
            observation = plan.execute(plain.loads(line), namespace)
        except SystemExit as error:
            flush_output()
            send({"plan": index, "exit": exit_message(error)})
            return
        except BaseException as error:  # raised outside the student's calls, e.g. by a returned object
            failure = {"kind": "error", "function": "", "message": f"{type(error).__name__}: {error}"[:600]}
            observation = {"values": {}, "failure": failure, "seconds": 0.0}
        flush_output()
        send({"plan": index, "observation": observation})


if __name__ == "__main__":
    main()
    os._exit(0)  # do not wait for threads the student's code left running
