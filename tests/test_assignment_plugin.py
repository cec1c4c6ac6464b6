"""An assignment is a plug-in: a second, tiny assignment (tests/fixtures/activations_course) goes through every
command, and the engine (autograder/) names no assignment and none of its functions."""

import ast
import json
import shutil
import subprocess
import sys
import tokenize
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT

from autograder.course import load_course

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "activations_course"


def _names_of(reference: Path) -> set[str]:
    tree = ast.parse(reference.read_text())
    return next(set(ast.literal_eval(n.value)) for n in tree.body
                if isinstance(n, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in n.targets))


def test_the_engine_names_no_assignment_and_none_of_its_functions() -> None:
    """No identifier of autograder/ is an assignment's name or graded function, and no string or comment names an
    assignment's distinctive function names (those with an underscore: `forward` is also an English word)."""
    assignments = [a for c in (load_course(), load_course(FIXTURE / "course.toml")) for a in c.assignments.values()]
    functions = set().union(*(_names_of(a.reference) for a in assignments))
    identifiers = functions | {a.name for a in assignments}
    distinctive = {f for f in functions if "_" in f} | {"initialization"}
    offenders = []
    for path in sorted((ROOT / "autograder").rglob("*.py")):
        with path.open("rb") as handle:
            for token in tokenize.tokenize(handle.readline):
                named = token.string in identifiers if token.type == tokenize.NAME else \
                    token.type in (tokenize.STRING, tokenize.COMMENT) and any(d in token.string for d in distinctive)
                if named:
                    offenders.append(f"{path.relative_to(ROOT)}:{token.start[0]}: {token.string[:60]!r}")
    assert offenders == []


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture course copied out, released: its course.toml."""
    folder = tmp_path_factory.mktemp("course") / "activations_course"
    shutil.copytree(FIXTURE, folder, ignore=shutil.ignore_patterns("__pycache__", "release", "submissions",
                                                                    "*.ipynb"))
    done = autograder(folder / "course.toml", "release")
    assert done.returncode == 0, done.stdout + done.stderr
    return folder / "course.toml"


def autograder(course: Path, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", "--course", str(course), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_release_ships_this_assignment_s_kit_only(course: Path) -> None:
    release = course.parent / "release" / "activations"
    labkit = {p.name for p in (release / "labkit").glob("*.py")}
    assert {"public_checks.py", "framework.py", "plan.py", "inprocess.py"} <= labkit
    assert not labkit & {"fakes.py", "activations.py", "hint_data.py", "params.py"}  # initialization's kit
    assert "relu.known_answer" in (release / "labkit" / "public_checks.py").read_text()
    assert json.loads((release / "labkit" / "release.json").read_text())["notebook"] == "activations.ipynb"
    assert autograder(course, "release", "--check").returncode == 0
    # The learner's pytest finds this assignment's notebook; untouched, both checks are TODO (skipped).
    done = subprocess.run([sys.executable, "-m", "pytest", "labkit", "-p", "no:cacheprovider"], cwd=release,
                          capture_output=True, text=True, timeout=120)
    assert "2 skipped" in done.stdout, done.stdout


def test_check_and_grade_use_this_assignment_s_checks(course: Path, tmp_path: Path) -> None:
    reference = course.parent / "activations" / "reference.py"
    solved = tmp_path / "solved.py"
    solved.write_text("".join(line for line in reference.read_text().splitlines(keepends=True) if "###" not in line))
    done = autograder(course, "check", str(solved))
    assert done.returncode == 0 and "2 of 2 public checks passed" in done.stdout, done.stdout + done.stderr
    graded = json.loads(autograder(course, "grade", str(solved), "--json").stdout)
    assert graded["score"] == 6 and {t["name"].split(":")[0] for t in graded["tests"]} == {
        "relu.known_answer", "relu_backward.known_answer", "relu.matches_reference",
        "relu_backward.matches_reference"}
    wrong = tmp_path / "wrong.py"
    wrong.write_text(solved.read_text().replace("(Z > 0)", "(Z >= 0)"))
    graded = json.loads(autograder(course, "grade", str(wrong), "--json").stdout)
    lost = [t for t in graded["tests"] if t["score"] < t["max_score"]]
    assert [t["name"].split(":")[0] for t in lost] == ["relu_backward.known_answer", "relu_backward.matches_reference"]
    assert "relu'(0) is taken as 1" in lost[1]["output"]  # the fixture's own misconception, diagnosed
    absolute = tmp_path / "absolute.py"  # relu as |Z|: both relu checks fail, relu_backward's do not
    absolute.write_text(solved.read_text().replace("np.maximum(Z, 0.0)", "np.abs(Z)"))
    graded = json.loads(autograder(course, "grade", str(absolute), "--json").stdout)
    assert {t["name"].split(":")[0] for t in graded["tests"] if t["score"] < t["max_score"]} == {
        "relu.known_answer", "relu.matches_reference"}
    out = tmp_path / "out"
    assert autograder(course, "grade", str(solved), str(wrong), "--out", str(out)).returncode == 0
    assert (out / "gradebook.csv").read_text().count("\n") == 3


def test_gradescope_zip_of_this_course_grades(course: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "autograder.zip"
    done = subprocess.run([sys.executable, "-m", "autograder.gradescope", "build", "--course", str(course), "--out",
                           str(bundle)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    source = tmp_path / "source"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(source)
    assert (source / "activations" / "grading" / "__init__.py").is_file()
    submission, results = tmp_path / "submission", tmp_path / "results"
    submission.mkdir()
    reference = (source / "activations" / "reference.py").read_text()
    (submission / "answers.py").write_text("".join(line for line in reference.splitlines(keepends=True)
                                                   if "###" not in line))
    done = subprocess.run([sys.executable, "-m", "autograder.gradescope", "run", "--submission", str(submission),
                           "--results", str(results / "results.json")], cwd=source, capture_output=True, text=True,
                          timeout=300)
    assert json.loads((results / "results.json").read_text())["score"] == 6, done.stderr


def test_several_assignments_without_assignment_say_which_exist(tmp_path: Path) -> None:
    both = (ROOT / "course.toml").read_text().replace('= "solutions/', f'= "{ROOT}/solutions/').replace(
        '= "assignments/', f'= "{ROOT}/assignments/')
    fixture = (FIXTURE / "course.toml").read_text()
    both += "\n" + fixture[fixture.index("[assignments.activations]"):].replace('= "activations',
                                                                            f'= "{FIXTURE}/activations')
    (tmp_path / "course.toml").write_text(both.replace('"release/activations"', f'"{tmp_path}/release"'))
    done = autograder(tmp_path / "course.toml", "release", "--check")
    assert done.returncode == 2 and "activations, initialization" in done.stderr and "--assignment" in done.stderr
