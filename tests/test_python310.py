"""Python 3.10, the python3 of Gradescope's default image (Ubuntu 22.04): the grader and the unpacked zip run on it.

The tests grade with a real 3.10 interpreter in a venv holding only the runtime dependencies of pyproject.toml,
made once and cached in ~/.cache/weight-init-lab/venv310/ (rebuilt when the dependencies or the interpreter change).
Not in the repository: a checkout under /tmp would put the venv's Python where the sandbox mounts its own empty
/tmp. The interpreter is $PYTHON310, else a working `python3.10` on PATH, else pyenv's newest 3.10. Without one
the tests fail: a grader that breaks on 3.10 must not pass silently.
"""

import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from test_gradescope import CORRECT, WRONG, run_autograder, unpack_bundle

from autograder.course import tomllib
from autograder.gradescope import build_autograder_zip

CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "weight-init-lab"
VENV = CACHE / "venv310"
LOCK = CACHE / "venv310.lock"
READY = VENV / "ready.json"  # what the venv was made from; written last, so a half-made venv is rebuilt
HOW_TO_GET_ONE = ("set PYTHON310=/path/to/python3.10, or install one: `pyenv install 3.10` (this project's machine "
                  "image has it in ~/.pyenv/versions), or on Ubuntu 22.04 `apt-get install python3.10-venv`")


def _is_python310(candidate: str) -> bool:
    """Does `candidate` run, and is it a Python 3.10 that can make venvs? (pyenv shims exist but may not run)"""
    try:
        done = subprocess.run([candidate, "-c", "import sys, ensurepip, venv; print(sys.version_info[:2])"],
                              capture_output=True, text=True, timeout=30)
    except OSError:
        return False
    return done.returncode == 0 and done.stdout.strip() == "(3, 10)"


def find_python310() -> str:
    """The path of a working Python 3.10 interpreter; fails the test with how to get one when there is none."""
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    newest_first = sorted(pyenv.glob("3.10.*/bin/python3.10"), reverse=True,
                          key=lambda p: [int(part) if part.isdigit() else -1 for part in p.parts[-3].split(".")])
    candidates = [os.environ.get("PYTHON310", ""), shutil.which("python3.10") or "", *map(str, newest_first)]
    for candidate in filter(None, candidates):
        if _is_python310(candidate):
            return candidate
    pytest.fail(f"no Python 3.10 interpreter found (tried {[c for c in candidates if c]}): {HOW_TO_GET_ONE}")


def _runtime_dependencies() -> list[str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


@pytest.fixture(scope="session")
def python310() -> str:
    """The 3.10 venv's interpreter, making the venv first if it is missing or stale (~15 s)."""
    interpreter = find_python310()
    wanted = {"interpreter": interpreter, "dependencies": _runtime_dependencies()}
    CACHE.mkdir(parents=True, exist_ok=True)
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another test session may be making it too
        try:
            ready = json.loads(READY.read_text()) == wanted
        except (OSError, ValueError):
            ready = False
        if not ready:
            shutil.rmtree(VENV, ignore_errors=True)
            subprocess.run([interpreter, "-m", "venv", str(VENV)], check=True, capture_output=True, timeout=120)
            done = subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet",
                                   "--disable-pip-version-check", *wanted["dependencies"]],
                                  capture_output=True, text=True, timeout=600)
            assert done.returncode == 0, f"pip install in {VENV} failed:\n{done.stderr[-3000:]}"
            READY.write_text(json.dumps(wanted))
    return str(VENV / "bin" / "python")


def _env() -> dict[str, str]:
    """The environment of a 3.10 run: the grader comes from the working directory, nothing else leaks in."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}


def test_the_venv_is_python_310_with_the_runtime_dependencies_only(python310: str) -> None:
    done = subprocess.run([python310, "-c", "import sys, tomli, numpy, scipy, matplotlib, nbformat; "
                           "import importlib.util as u; print(sys.version_info[:2], u.find_spec('pytest'))"],
                          capture_output=True, text=True, cwd="/", env=_env(), check=True)
    assert done.stdout.split() == ["(3,", "10)", "None"]  # no pytest: the grader needs none of the dev tools


def test_every_source_file_compiles_on_python_310(python310: str) -> None:
    sources = [p for folder in ("autograder", "bench", "tests") for p in (ROOT / folder).rglob("*.py")]
    sources += [ROOT / "solutions" / "initialization" / "reference.py",
                *(ROOT / "assignments").rglob("*.py"), *(ROOT / "solutions").glob("*/labkit/*.py")]
    script = ("import sys\nfor path in sys.argv[1:]:\n"
              "    compile(open(path, encoding='utf-8').read(), path, 'exec')\n")  # compiles, writes no .pyc
    done = subprocess.run([python310, "-c", script, *map(str, sources)], capture_output=True, text=True, env=_env())
    assert done.returncode == 0, done.stderr
    assert len(sources) > 50


def _grade(python310: str, submission: Path) -> dict:
    done = subprocess.run([python310, "-m", "autograder", "grade", str(submission), "--json"], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _scores(results: dict) -> dict[str, float]:
    return {t["name"]: t["score"] for t in results["tests"]}


def test_the_grader_runs_on_python_310(python310: str) -> None:
    correct, wrong = _grade(python310, CORRECT), _grade(python310, WRONG)
    total = sum(t["max_score"] for t in correct["tests"])
    assert total > 0 and correct["score"] == pytest.approx(total)
    assert all(t["status"] == "passed" for t in correct["tests"])
    assert 0 < wrong["score"] < total
    # The same grade as on this Python: hidden inputs come from the submission's content, not the interpreter.
    assert _scores(wrong) == pytest.approx(_scores(_grade(sys.executable, WRONG)))


def test_the_gradescope_zip_runs_on_python_310(python310: str, tmp_path: Path) -> None:
    # Built by the host's Python, run by 3.10: as on Gradescope, where the zip is built on the instructor's machine.
    root = unpack_bundle(build_autograder_zip(tmp_path / "autograder.zip"), tmp_path / "autograder")
    correct, stderr = run_autograder(root, [CORRECT], python=python310)
    assert "Traceback" not in stderr
    total = sum(t["max_score"] for t in correct["tests"])
    assert total > 0 and correct["score"] == pytest.approx(total)
    wrong, _ = run_autograder(root, [WRONG], python=python310)
    assert 0 < wrong["score"] < total
    empty, _ = run_autograder(root, [], python=python310)
    assert empty["score"] == 0 and "nothing was uploaded" in empty["output"]


def test_python_310_is_what_the_package_declares() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["requires-python"] == ">=3.10"
    assert project["tool"]["ruff"]["target-version"] == "py310"
    assert 'tomli>=2; python_version < "3.11"' in project["project"]["dependencies"]
