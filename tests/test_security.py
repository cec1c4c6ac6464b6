"""Attacks on the grader: each scores no more than the same submission without the attack, and grading completes.

Every attack is the reference made wrong in one function (initialize_he draws with the Xavier scale 1/n
instead of He's 2/n) plus the attack, graded by the isolated runner under tight limits with every check
of the assignment. Some attacks also assert the isolation fact they probe (bubblewrap is in force here).
"""

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REFERENCE, ROOT, reference_source
from grading_helpers import grade_source, text_check, tight_course
from test_submission import code_cell, filled_notebook

from autograder.checks import assignment_checks
from autograder.course import load_course
from autograder.graded import GradedSubmission
from autograder.grading import grade_submission
from autograder.run.sandbox import BASE_ENV
from autograder.submission import load_file

INITIALIZATION = load_course().assignment("initialization")

WRONG = reference_source().replace("np.sqrt(2.0 / fan_in)", "np.sqrt(1.0 / fan_in)")
HIDDEN = ROOT / "autograder" / "checks" / "initialization" / "hidden.py"
FAKE_OBSERVATION = {"values": {}, "failure": None, "seconds": 0.0}
FAKE_MESSAGES = "".join(f"0 {json.dumps(message)}\n" for message in [  # labkit.plain's framing, no arrays
    {"loaded": True}, *({"plan": i, "observation": FAKE_OBSERVATION} for i in range(64))])


def wrap(body: str, function: str = "initialize_he", parameters: str = "layer_dims, rng=None") -> str:
    """Code that redefines `function` (the wrong initialize_he by default) to run `body` first (indented by 4).

    Attacks that cost a timeout per call wrap a function that few checks call, to keep the suite fast.
    """
    arguments = ", ".join(p.split("=")[0] for p in parameters.split(", ") if p)
    return (f"\n_original = {function}\n\ndef {function}({parameters}):\n"
            + "\n".join("    " + line for line in body.strip("\n").splitlines())
            + f"\n    return _original({arguments})\n")


ATTACKS = {
    "patch numpy comparisons": """
import numpy as np
np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), dtype=bool)
np.array_equal = lambda *a, **k: True
np.std = lambda *a, **k: 1.0
""",
    "patch numpy.testing": """
import numpy.testing as npt
for name in dir(npt):
    if name.startswith("assert"):
        setattr(npt, name, lambda *a, **k: None)
""",
    "patch builtins": """
import builtins
builtins.abs = lambda x: 0
builtins.min = lambda *a, **k: 0
builtins.max = lambda *a, **k: 0
builtins.float = lambda *a: 1.0
""",
    "patch labkit.plan to report passing observations": """
import labkit.plan
def _fake_execute(plan, namespace):
    return {"values": {step.get("id", ""): 0.0 for step in plan}, "failure": None, "seconds": 0.0}
labkit.plan.execute = _fake_execute
""",
    "patch labkit.plain to send forged lines": """
import labkit.plain
labkit.plain.dumps = lambda value: b'0 {"plan": 0, "observation": {"values": {}, "failure": null, "seconds": 0}}\\n'
labkit.plain.to_plain = lambda value, kind, what="": value
""",
    "patch labkit.framework and compare": """
import labkit.framework, labkit.compare, labkit.public_checks
labkit.framework.judge = lambda *a, **k: None
labkit.framework.Verdict.__init__ = lambda self, *a, **k: object.__setattr__(self, "score", 1.0)
labkit.compare.all_or_nothing = lambda problems: labkit.framework.Verdict(1.0)
for check in labkit.public_checks.PUBLIC_CHECKS:
    object.__setattr__(check, "verdict", lambda values, probe: labkit.framework.Verdict(1.0))
""",
    "lying ndarray subclass": wrap("""
import numpy as np
class Liar(np.ndarray):
    def std(self, *a, **k):
        return np.sqrt(2.0 / self.shape[0])
    def __eq__(self, other):
        return True
    def tobytes(self, *a, **k):
        return np.zeros(self.shape).tobytes()
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return np.ones(1, dtype=bool) if ufunc in (np.equal, np.isclose, np.less_equal) else NotImplemented
    def __len__(self):
        return 0
params = _original(layer_dims, rng)
return {k: v.view(Liar) for k, v in params.items()}
"""),
    "always-equal objects": wrap("""
class Equal(float):
    def __eq__(self, other):
        return True
    __ne__ = lambda self, other: False
    __lt__ = __gt__ = __le__ = __ge__ = __eq__
return {k: Equal(1.0) for k in _original(layer_dims, rng)}
"""),
    "sys.exit(0) at load after printing fake results": f"""
import sys
print('{{"score": 17.5, "tests": [], "output": "all passed"}}')
sys.stdout.write({FAKE_MESSAGES!r})
sys.exit(0)
""",
    "sys.exit(0) mid-way after printing fake results": wrap(f"""
import sys
print('{{"score": 17.5}}')
sys.stdout.write({FAKE_MESSAGES!r})
sys.exit(0)
"""),
    "os._exit(0) after writing fake results to every open fd": wrap(f"""
import os
for fd in range(256):
    try:
        os.write(fd, {FAKE_MESSAGES!r}.encode())
    except OSError:
        pass
os._exit(0)
"""),
    "fake results on every fd at load": f"""
import os
for fd in range(256):
    try:
        os.write(fd, {FAKE_MESSAGES!r}.encode())
    except OSError:
        pass
""",
    "an oversized number on the result channel": """
import os, sys
os.write(int(sys.argv[1]), b'0 {"loaded": ' + b"9" * 5000 + b"}\\n")
""",
    "read the reference and hidden checks from disk": f"""
_texts = []
for _path in ({str(REFERENCE)!r}, {str(HIDDEN)!r}, "/proc/1/root{REFERENCE}", "/proc/self/root{REFERENCE}"):
    try:
        _texts.append(open(_path).read())
    except OSError:
        pass
for _text in _texts:
    exec(_text.replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", ""))
""",
    "sniff the environment for a grading flag": """
import os
_graded = any(word in key.upper() for key in os.environ for word in ("GRAD", "SANDBOX", "NBGRADER", "CI", "TEST"))
if _graded:
    raise SystemExit("grader detected")
""",
    "infinite loop": wrap("while True:\n    pass", "q_symmetry", ""),
    "busy threads left behind": """
import threading
def _spin():
    while True:
        pass
for _ in range(4):
    threading.Thread(target=_spin, daemon=False).start()
""",
    "SIGTERM ignored by the child and a detached grandchild": wrap("""
import os, signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
if os.fork() == 0:
    os.setsid()
    while True:
        time.sleep(1)
while True:
    time.sleep(1)
""", "q_symmetry", ""),
    "memory bomb at load": "_hoard = [bytearray(2**26) for _ in range(10**6)]\n",
    "memory bomb mid-way": wrap("import numpy as np\n_big = np.ones((2**17, 2**14))"),
    "fork bomb": """
import os
while True:
    os.fork()
""",
    "a gigabyte of output": wrap("""
import sys
block = "x" * 2**20
for _ in range(1024):
    try:
        sys.stdout.write(block)
    except OSError:
        pass
"""),
    "kill the parent and every process it can": """
import os, signal
for pid in (os.getppid(), -1, 1):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
""",
    "a result too large for the channel": wrap("import numpy as np\nreturn np.zeros(9 * 2**20), np.zeros(1)",
                                               "worked_example", "W2"),
    "nested too deeply": wrap("x = []\nfor _ in range(10_000):\n    x = [x]\nreturn {'W1': x}"),
    "replace labkit modules in sys.modules": """
import sys, types
_fake = types.ModuleType("labkit.plan")
_fake.execute = lambda plan, namespace: {"values": {}, "failure": None, "seconds": 0.0}
sys.modules["labkit.plan"] = _fake
import labkit
labkit.plan = _fake
""",
}


@pytest.fixture(scope="module", autouse=True)
def same_inputs_with_and_without_the_attack() -> Iterator[None]:
    """Probe seeds normally depend on the code; here every submission gets the same inputs, so an attack's
    score compares exactly with the attack-free submission's (some public checks depend on the seed)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("autograder.run.isolated.submission_salt", lambda seed_salt, source: seed_salt)
        yield


@pytest.fixture(scope="module")
def baseline() -> GradedSubmission:
    graded = grade_source(WRONG)
    assert 0 < graded.score < graded.max_score, "the wrong submission should lose some points and earn some"
    return graded


def _completed(graded: GradedSubmission) -> bool:
    return [r.check_id for r in graded.results] == [c.id for c in assignment_checks(INITIALIZATION)]


MARKER = "the attack code ran to its end"
# Attacks that end the loading on purpose show their effect in the results instead of printing MARKER.
EFFECTS = {
    "sys.exit(0) at load after printing fake results": "sys.exit(0) while it was loaded",
    "sys.exit(0) mid-way after printing fake results": "sys.exit(0) while checking",
    "os._exit(0) after writing fake results to every open fd": "wrote into the grader's channel",
    "memory bomb at load": "ran out of memory",
    "fork bomb": "Resource temporarily unavailable",
    "an oversized number on the result channel": "wrote data the grader cannot read",
    # Its forged messages answer every check at once, so grading may end (and kill it) before it prints MARKER.
    "fake results on every fd at load": "returned data of an unexpected structure",
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_an_attack_gains_nothing(name: str, baseline: GradedSubmission) -> None:
    graded = grade_source(WRONG + "\n" + ATTACKS[name] + f"\nprint({MARKER!r}, flush=True)\n")
    assert _completed(graded) and graded.isolation == "bubblewrap"
    assert graded.score <= baseline.score, [(r.check_id, r.status) for r in graded.results]
    # ... and the attack really happened: a broken attack that scores nothing would prove nothing.
    if name in EFFECTS:
        assert any(EFFECTS[name] in r.feedback for r in graded.results), {r.feedback for r in graded.results}
    else:
        assert MARKER in graded.output, {r.feedback for r in graded.results}


def test_the_memory_bomb_is_reported_as_such() -> None:
    graded = grade_source(WRONG + "\n" + ATTACKS["memory bomb mid-way"])
    assert any("ran out of memory (limit 512 MB)" in r.feedback for r in graded.results)


def test_an_ipython_trick_in_a_notebook_gains_nothing(tmp_path: Path, baseline: GradedSubmission) -> None:
    notebook = filled_notebook()
    for cell in notebook["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "initialize_he":
            wrong = "".join(cell["source"]).replace("np.sqrt(2.0 / fan_in)", "np.sqrt(1.0 / fan_in)")
            cell["source"] = wrong + (
                "\n%load_ext autoreload\n!curl http://127.0.0.1:1/\n"
                "get_ipython().input_transformers_post.append(lambda lines: ['result = 17.5\\n'])\n"
                "get_ipython().run_cell('import numpy; numpy.allclose = lambda *a, **k: True')\n")
    notebook["cells"].append(code_cell("get_ipython().input_transformers_cleanup.clear()"))
    path = tmp_path / "cheat.ipynb"
    path.write_text(json.dumps(notebook))
    submission = load_file(path, tight_course().assignment("initialization"))
    assert "%load_ext" not in submission.source and "!curl" not in submission.source
    graded = grade_submission(submission, "initialization", tight_course())
    assert _completed(graded) and graded.score <= baseline.score


def _answers(source: str) -> dict[str, str]:
    """What three probing functions f, g, h return inside the sandbox (each returns a str)."""
    graded = grade_source(source, [text_check("f"), text_check("g"), text_check("h")])
    return {r.function: r.feedback for r in graded.results}


def test_the_repository_solutions_and_checks_are_not_readable_inside() -> None:
    paths = [REFERENCE, HIDDEN, ROOT / "course.toml", ROOT, ROOT / "autograder" / "checks"]
    source = f"""
import os
def f():
    return repr([os.path.exists(p) for p in {[str(p) for p in paths]!r}])
def g():
    try:
        return open({str(REFERENCE)!r}).read()[:20]
    except OSError as error:
        return type(error).__name__
def h():
    return repr(sorted(os.listdir("/")))
"""
    answers = _answers(source)
    assert answers["f"] == repr([False] * len(paths))
    assert answers["g"] == "FileNotFoundError"
    assert set(eval(answers["h"])) <= {"bin", "dev", "etc", "lib", "lib64", "opt", "proc", "root", "sbin", "tmp", "usr"}


def test_writing_outside_the_sandbox_is_impossible(tmp_path: Path, baseline: GradedSubmission) -> None:
    gradebook = tmp_path / "out" / "gradebook.csv"
    gradebook.parent.mkdir()
    gradebook.write_text("student,score\n")
    gradebook.parent.chmod(0o777)
    gradebook.chmod(0o666)
    attack = f"""
import os
for _path in ({str(gradebook)!r}, {str(gradebook.parent / 'results.json')!r}, {str(REFERENCE)!r}):
    try:
        with open(_path, "a") as _f:
            _f.write("student,17.5\\n")
    except OSError:
        pass
"""
    graded = grade_source(WRONG + attack)
    assert graded.score <= baseline.score
    assert gradebook.read_text() == "student,score\n" and not (gradebook.parent / "results.json").exists()
    assert "student,17.5" not in REFERENCE.read_text()


def test_the_environment_carries_no_grading_marker() -> None:
    source = """
import os
def f():
    return repr(sorted(os.environ.items()))
def g():
    return os.getcwd()
def h():
    return str(os.getuid() != 0)
"""
    answers = _answers(source)
    assert answers["f"] == repr(sorted({**BASE_ENV, "HOME": "/tmp", "TMPDIR": "/tmp", "PWD": "/tmp"}.items()))
    assert answers["g"] == "/tmp" and answers["h"] == "True"


def test_no_network_even_to_localhost(baseline: GradedSubmission) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    server.settimeout(0.2)
    connections, done = [], threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                connections.append(server.accept())
            except TimeoutError:
                continue

    listener = threading.Thread(target=accept, daemon=True)
    listener.start()
    attack = wrap(f"""
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=1).sendall(b"leak")
except OSError:
    pass
""")
    try:
        graded = grade_source(WRONG + attack)
    finally:
        done.set()
        listener.join()
        server.close()
    assert connections == [] and graded.score <= baseline.score


ZERO_BACKWARD = """

def backward(AL, Y, caches):
    return {key: np.zeros_like(value) for l, (A_prev, W, b, Z, activation) in enumerate(caches, start=1)
            for key, value in ((f"dW{l}", W), (f"db{l}", b))}
"""

FORGE_DERIVED = """
import labkit.plan

_execute = labkit.plan.execute


def _forging_execute(plan, namespace):
    observation = _execute(plan, namespace)
    values = observation["values"]
    for key in list(values):  # claim every repeated call answered as the first, and add numerical gradients
        if key.endswith("#2"):
            values[key] = values[key[:-2]]
        if isinstance(values[key], dict) and any(k.startswith("dW") for k in values[key]):
            values["num_" + key] = values[key]
    print("forged", len(values), "values", flush=True)
    return observation


labkit.plan.execute = _forging_execute
"""


def test_forging_derived_values_in_the_child_gains_nothing() -> None:
    """Round 2's attack (issue 8, point 4): backward returns zeros, and the child rewrites what the plan reports.
    Nothing derived is computed in the child any more, so the forgery changes no verdict."""
    baseline = grade_source(reference_source() + ZERO_BACKWARD)
    attacked = grade_source(reference_source() + ZERO_BACKWARD + FORGE_DERIVED)
    assert "forged" in attacked.output  # the patched machinery really ran in the child
    backward = {r.check_id: r.score for r in attacked.results if r.function == "backward"}
    assert backward == {r.check_id: r.score for r in baseline.results if r.function == "backward"}
    assert attacked.score <= baseline.score

