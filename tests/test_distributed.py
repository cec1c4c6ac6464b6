"""Grading on a Dask cluster (autograder/distributed.py): the local pool's gradebook, byte for byte, with a worker
killed mid-batch; an interrupted client resumes with nothing lost or graded twice; a task past its deadline."""

import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, reference_source
from distributed import Client, LocalCluster
from grading_helpers import tight_course

from autograder.bulk import _Task, _Work, grade_batch
from autograder.course import load_course
from autograder.distributed import run_dask
from autograder.grading import grade_submission
from autograder.journal import JOURNAL_NAME
from autograder.submission import PYTHON, Submission

COURSE = load_course()
ASSIGNMENT = "initialization"
SLOW = "import time\ntime.sleep(0.5)\n"  # loading takes a moment, so that tasks are in flight when a worker dies
WRONG_HE = reference_source().replace("np.sqrt(2.0 / fan_in)", "np.sqrt(1.0 / fan_in)")


@dataclasses.dataclass(frozen=True)
class Batch:
    paths: list[Path]
    pool: Path  # the local pool's output folder


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Batch:
    """Six .py submissions (correct, wrong, not Python), graded once by the local pool."""
    root = tmp_path_factory.mktemp("distributed")
    folder = root / "in"
    folder.mkdir()
    for index in range(3):
        (folder / f"right{index}.py").write_text(SLOW + reference_source() + f"# {index}\n")
    for index in range(2):
        (folder / f"wrong{index}.py").write_text(SLOW + WRONG_HE + f"# {index}\n")
    (folder / "broken.py").write_text("def initialize_he(:\n")
    paths = sorted(folder.iterdir())
    grade_batch(paths, root / "pool", COURSE, ASSIGNMENT, jobs=2)
    return Batch(paths, root / "pool")


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[LocalCluster, Client]]:
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as local, Client(local) as client:
        yield local, client


def _journal_lines(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / JOURNAL_NAME).read_text().splitlines()]


def _kill_a_busy_worker(client: Client, out: Path, killed: list[str]) -> None:
    """Once the batch has journaled a grade, SIGKILL a worker that holds a task (its nanny starts a new one)."""
    pids = client.run(os.getpid)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        busy = {worker: keys for worker, keys in client.processing().items() if keys}
        if busy and (out / JOURNAL_NAME).exists() and (out / JOURNAL_NAME).read_text():
            worker, keys = next(iter(busy.items()))
            os.kill(pids[worker], signal.SIGKILL)
            killed.extend(keys)
            return
        time.sleep(0.02)


def test_a_worker_killed_mid_batch_changes_nothing(batch: Batch, cluster: tuple[LocalCluster, Client],
                                                   tmp_path: Path) -> None:
    local, client = cluster
    out, killed = tmp_path / "out", []
    killer = threading.Thread(target=_kill_a_busy_worker, args=(client, out, killed))
    killer.start()
    grade_batch(batch.paths, out, COURSE, ASSIGNMENT, jobs=2, scheduler=local.scheduler_address)
    killer.join()
    assert killed, "a worker should have died holding a task"
    lines = _journal_lines(out)
    keys = [line["key"] for line in lines]
    assert len(keys) == len(set(keys)) == len(batch.paths)  # Dask ran the dead worker's task again: one line each
    assert not any(line.get("retry") for line in lines)  # and it was graded, not reported lost
    assert (out / "gradebook.csv").read_bytes() == (batch.pool / "gradebook.csv").read_bytes()


def _cli(paths: list[Path], out: Path, scheduler: str) -> list[str]:
    return [sys.executable, "-m", "autograder", "grade", *map(str, paths), "--out", str(out), "--scheduler", scheduler]


def test_an_interrupted_client_resumes(batch: Batch, cluster: tuple[LocalCluster, Client], tmp_path: Path) -> None:
    """The client dies mid-batch (the cluster lives on); the rerun, here on a LocalCluster of its own, finishes."""
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    client = subprocess.Popen(_cli(batch.paths, out, cluster[0].scheduler_address), env=env, cwd=ROOT,
                              start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not (out / JOURNAL_NAME).exists() or not (out / JOURNAL_NAME).read_text():
        assert time.monotonic() < deadline and client.poll() is None, "the batch never journaled a submission"
        time.sleep(0.02)
    os.killpg(client.pid, signal.SIGKILL)
    client.wait()
    before = [line["key"] for line in _journal_lines(out)]
    assert 1 <= len(before) < len(batch.paths), "the kill should land mid-way"

    resumed = subprocess.run(_cli(batch.paths, out, "local:2"), env=env, cwd=ROOT, capture_output=True, text=True,
                             timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(before)} already in the journal" in resumed.stderr
    keys = [line["key"] for line in _journal_lines(out)]
    assert len(keys) == len(set(keys)) == len(batch.paths) and keys[: len(before)] == before
    assert (out / "gradebook.csv").read_bytes() == (batch.pool / "gradebook.csv").read_bytes()


def test_a_task_past_its_deadline_is_lost_and_the_batch_goes_on(cluster: tuple[LocalCluster, Client]) -> None:
    local, _ = cluster
    course = tight_course()
    hang = _Task("hang", Submission("hang", Path("hang.py"), PYTHON, "import time\ntime.sleep(60)\n" + WRONG_HE))
    fine = _Task("fine", Submission("fine", Path("fine.py"), PYTHON, WRONG_HE))
    lost: list[tuple[str, bool]] = []

    def on_lost(task: _Task, why: str, timed_out: bool, seconds: float) -> str:
        lost.append((task.key, timed_out))
        assert "longer than 2 s" in why and seconds >= 2
        return "lost"

    work = _Work(grade_submission, course, ASSIGNMENT)
    values = dict(run_dask([hang, fine], local.scheduler_address, work, 2.0, on_lost))
    assert values[hang] == "lost" and lost == [("hang", True)]
    assert values[fine]["student_id"] == "fine" and values[fine]["points"]["forward.tiny_example"] > 0


def test_a_worker_with_other_grading_code_stops_the_batch_with_a_clear_error(
        batch: Batch, cluster: tuple[LocalCluster, Client], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from autograder import cli, distributed

    # The client thinks it grades with other code than the workers do (as with another version installed there).
    monkeypatch.setattr(distributed, "grading_fingerprint", lambda course, assignment: "another-version")
    local, _ = cluster
    out = tmp_path / "out"
    code = cli.main(["grade", *map(str, batch.paths), "--out", str(out), "--scheduler", local.scheduler_address])
    error = capsys.readouterr().err
    assert code == 2 and "cannot grade on this cluster" in error and "another-version" in error
    assert "Traceback" not in error
    assert not (out / JOURNAL_NAME).exists() or not (out / JOURNAL_NAME).read_text()  # no grade of theirs is kept
