"""A pool of worker processes that survives its workers: one dies or hangs, its task gets a row, work goes on.

concurrent.futures gives up on the whole pool when one worker dies (BrokenProcessPool). Here each worker
has its own pipe; the parent waits on the pipes and on the processes' sentinels, so it knows exactly which
task a dead worker held, reports it through `lost`, starts a fresh worker and carries on. A task that runs
past `deadline` seconds has its worker killed the same way. Workers die with the parent (PR_SET_PDEATHSIG
on Linux; elsewhere they notice their parent is gone at the next task).
"""

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

PR_SET_PDEATHSIG = 1
IDLE_POLL_SECONDS = 1.0
Lost = Callable[[Any, str, bool, float], Any]  # lost(task, why, timed_out, seconds) -> the task's value


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _worker(conn: Connection, work: Callable[[Any], Any], parent: int) -> None:
    """Run tasks from the pipe until told to stop (None), the pipe closes or the parent is gone."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    while True:
        while not conn.poll(IDLE_POLL_SECONDS):
            if os.getppid() != parent:
                return
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        conn.send(work(task))


@dataclass
class _Slot:
    process: Any  # multiprocessing.Process
    conn: Connection
    task: Any = None
    started: float = 0.0


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def run_pool(tasks: Iterable[Any], jobs: int, work: Callable[[Any], Any], deadline: float,
             lost: Lost) -> Iterator[tuple[Any, Any]]:
    """Yield (task, work(task)) for every task as it finishes, in `jobs` worker processes.

    work -- a picklable function of one task, run in a worker; its return value must be picklable
    deadline -- seconds one task may take before its worker is killed
    lost -- lost(task, why, timed_out, seconds) makes the value of a task whose worker died or was killed, in the parent
    """
    context = _context()
    pending = deque(tasks)
    slots: list[_Slot] = []

    def start() -> _Slot:
        parent_end, child_end = context.Pipe()
        process = context.Process(target=_worker, args=(child_end, work, os.getpid()), daemon=True)
        process.start()
        child_end.close()
        return _Slot(process, parent_end)

    def retire(slot: _Slot) -> None:
        slot.process.kill()
        slot.process.join()
        slot.conn.close()
        slots.remove(slot)

    try:
        slots.extend(start() for _ in range(min(max(jobs, 1), len(pending))))
        while pending or any(s.task is not None for s in slots):
            for slot in slots:
                if slot.task is None and pending:
                    slot.task, slot.started = pending.popleft(), time.monotonic()
                    with contextlib.suppress(OSError):  # a worker that died idle: _collect reports it
                        slot.conn.send(slot.task)
            busy = [s for s in slots if s.task is not None]
            timeout = max(0.0, min(s.started + deadline for s in busy) - time.monotonic())
            wait([s.conn for s in busy] + [s.process.sentinel for s in busy], timeout)
            for slot in busy:
                outcome = _collect(slot, deadline, lost)
                if outcome is None:
                    continue
                task, value, healthy = outcome
                slot.task = None
                if not healthy:
                    retire(slot)
                    if pending:
                        slots.append(start())
                yield task, value
    finally:
        for slot in list(slots):
            with contextlib.suppress(OSError):
                slot.conn.send(None)
            slot.process.join(timeout=1.0)
            retire(slot)


def _collect(slot: _Slot, deadline: float, lost: Lost) -> tuple[Any, Any, bool] | None:
    """(task, value, worker still healthy) if the slot's task is over, else None."""
    if slot.conn.poll():
        try:
            return slot.task, slot.conn.recv(), True
        except (EOFError, OSError):
            pass  # the worker died while (or instead of) answering: fall through
    if not slot.process.is_alive() or slot.conn.closed:
        slot.process.join()
        code = slot.process.exitcode
        why = f"killed by signal {-code}" if code is not None and code < 0 else f"exited with code {code}"
        message = f"the grading worker died ({why}) while grading this submission"
        return slot.task, lost(slot.task, message, False, time.monotonic() - slot.started), False
    if time.monotonic() - slot.started >= deadline:
        message = f"grading took longer than {deadline:g} s and was stopped"
        return slot.task, lost(slot.task, message, True, time.monotonic() - slot.started), False
    return None
