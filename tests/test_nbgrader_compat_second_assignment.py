"""nbgrader compatibility follows the assignment: a course kept outside this package (the fixture course,
tests/fixtures/activations_course) is graded under nbgrader by naming its course.toml in AUTOGRADER_COURSE.

The fixture is released into a tmp folder with `autograder --course ... release`; its source notebook's hidden cells
are what nbgrader runs. Grading runs in a child process (as nbgrader's kernel does), so that the fixture's kit, once
active, does not replace the initialization kit the rest of the test session uses.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from autograder.course import COURSE_FILE, CourseError, load_course
from autograder.nbgrader_compat import COURSE_ENV, WrongCourseError, compat_course_file, grade_function

FIXTURE = ROOT / "tests" / "fixtures" / "activations_course"
HIDDEN_CALL = re.compile(r'grade_function\("(\w+)", globals\(\), "([^"]+)"\)')
WRONG_RELU = ("np.maximum(Z, 0.0)", "np.abs(Z)")  # relu as |Z|: both relu checks fail, relu_backward's do not

GRADE = """
import json, sys
from autograder.nbgrader_compat import grade_function
namespace = {"__name__": "submission"}
exec(compile(sys.stdin.read(), "<student code>", "exec"), namespace)
print(json.dumps(grade_function(sys.argv[1], namespace, sys.argv[2])))
"""


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture course copied out and released: its course.toml."""
    folder = tmp_path_factory.mktemp("course") / "activations_course"
    shutil.copytree(FIXTURE, folder, ignore=shutil.ignore_patterns("__pycache__", "release", "submissions",
                                                                    "*.ipynb"))
    done = subprocess.run([sys.executable, "-m", "autograder", "--course", str(folder / "course.toml"), "release"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return folder / "course.toml"


def _assignment(course: Path):
    return load_course(course).assignment("activations")


def _stamps(course: Path) -> dict[str, str]:
    """{function: stamp} of the hidden grader calls in the released source notebook: what nbgrader runs."""
    notebook = json.loads(_assignment(course).source_notebook.read_text())
    calls = [HIDDEN_CALL.search("".join(c["source"])) for c in notebook["cells"] if c["cell_type"] == "code"]
    return {m.group(1): m.group(2) for m in calls if m}


def _solution(course: Path, old: str = "", new: str = "") -> str:
    """The fixture's reference as a student would write it (solution markers removed), with `old` -> `new`."""
    reference = _assignment(course).reference.read_text()
    source = "".join(line for line in reference.splitlines(keepends=True) if "###" not in line)
    assert old in source
    return source.replace(old, new) if old else source


def _grade(course: Path | None, function: str, stamp: str, source: str, cwd: Path) -> tuple[float, str]:
    """grade_function in a fresh process, with AUTOGRADER_COURSE=course (unset when None): (points, output)."""
    env = {k: v for k, v in os.environ.items() if k != COURSE_ENV} | {"PYTHONPATH": str(ROOT)}
    if course is not None:
        env[COURSE_ENV] = str(course)
    done = subprocess.run([sys.executable, "-c", GRADE, function, stamp], input=source, cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    *feedback, last = done.stdout.splitlines()
    return json.loads(last), "\n".join(feedback)


def test_the_source_notebook_stamps_each_function_with_the_fixture_assignment(course: Path) -> None:
    stamps = _stamps(course)
    assert set(stamps) == {"relu", "relu_backward"}
    assert {s.rpartition("-")[0] for s in stamps.values()} == {"activations"}


def test_correct_functions_earn_every_point_of_the_fixture(course: Path, tmp_path: Path) -> None:
    assignment = _assignment(course)
    for function, stamp in _stamps(course).items():
        earned, feedback = _grade(course, function, stamp, _solution(course), tmp_path)
        assert earned == assignment.function_points(function) == 3, feedback


def test_a_wrong_relu_loses_its_points_and_says_why(course: Path, tmp_path: Path) -> None:
    stamps, wrong = _stamps(course), _solution(course, *WRONG_RELU)
    earned, feedback = _grade(course, "relu", stamps["relu"], wrong, tmp_path)
    assert earned < _assignment(course).function_points("relu")
    assert "relu.known_answer" in feedback and "relu.matches_reference" in feedback
    earned, _ = _grade(course, "relu_backward", stamps["relu_backward"], wrong, tmp_path)
    assert earned == 3  # the other function of the same notebook is unaffected


def test_without_the_course_named_the_fixture_notebook_is_refused(course: Path, tmp_path: Path) -> None:
    """Unset, the package's own course grades: it has no such assignment, and the error says what to set."""
    env = {k: v for k, v in os.environ.items() if k != COURSE_ENV} | {"PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", GRADE, "relu", _stamps(course)["relu"]], input=_solution(course),
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "WrongCourseError" in done.stderr and "'activations'" in done.stderr and COURSE_ENV in done.stderr


def test_the_course_file_defaults_to_the_package_s_and_follows_the_variable(
        course: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(COURSE_ENV, raising=False)
    assert compat_course_file() == COURSE_FILE
    monkeypatch.setenv(COURSE_ENV, str(course))
    assert compat_course_file() == course.resolve()


def test_a_missing_course_file_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(COURSE_ENV, str(tmp_path / "no-course.toml"))
    with pytest.raises(CourseError, match=rf"{COURSE_ENV}=.*no-course\.toml.*not a file"):
        grade_function("relu", {}, "activations-000000000000")


def test_a_course_lacking_the_stamp_s_assignment_is_refused(course: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(COURSE_ENV, str(course))
    with pytest.raises(WrongCourseError, match=r"'initialization'.*has activations.*Set AUTOGRADER_COURSE"):
        grade_function("initialize_he", {}, "initialization-000000000000")


def test_another_version_of_the_assignment_is_refused(course: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same assignment name, other points: the digest differs, and the error names the variable and the file."""
    changed = course.with_name("changed.toml")
    changed.write_text(course.read_text().replace('"relu.matches_reference" = 2', '"relu.matches_reference" = 3'))
    monkeypatch.setenv(COURSE_ENV, str(changed))
    with pytest.raises(WrongCourseError, match=rf"changed\.toml \(from {COURSE_ENV}\).*Set {COURSE_ENV}="):
        grade_function("relu", {}, _stamps(course)["relu"])


# nbgrader itself, end to end: generate_assignment and autograde of the fixture's source notebook.


def _nbgrader(root: Path, *args: str, course: Path | None) -> subprocess.CompletedProcess:
    """nbgrader in `root`; its kernels import this package from PYTHONPATH (as if installed) and see
    AUTOGRADER_COURSE=course (unset when None)."""
    env = {k: v for k, v in os.environ.items() if k != COURSE_ENV} | {"PYTHONPATH": str(ROOT)}
    if course is not None:
        env[COURSE_ENV] = str(course)
    return subprocess.run([sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={root}"], cwd=root,
                          env=env, capture_output=True, text=True, check=False, timeout=600)


def _notebook_folder(course: Path, folder: Path, old: str = "", new: str = "") -> None:
    """The source notebook (its answer cells with `old` -> `new`) and the release's labkit/, in `folder`."""
    assignment = _assignment(course)
    notebook = json.loads(assignment.source_notebook.read_text())
    for cell in notebook["cells"]:
        if old and cell["metadata"].get("nbgrader", {}).get("solution"):
            cell["source"] = "".join(cell["source"]).replace(old, new)
    folder.mkdir(parents=True)
    (folder / assignment.notebook).write_text(json.dumps(notebook))
    shutil.copytree(assignment.release / "labkit", folder / "labkit")


def test_nbgrader_autograde_grades_the_fixture_with_its_own_course(course: Path, tmp_path: Path) -> None:
    pytest.importorskip("nbgrader")
    name = _assignment(course).name
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.ExecutePreprocessor.timeout = 120\n")
    _notebook_folder(course, tmp_path / "source" / name)
    done = _nbgrader(tmp_path, "generate_assignment", name, "--force", course=course)
    assert done.returncode == 0, done.stdout + done.stderr
    for student, edit in (("right", ()), ("wrong", WRONG_RELU)):
        _notebook_folder(course, tmp_path / "submitted" / student / name, *edit)
    done = _nbgrader(tmp_path, "autograde", name, "--force", course=course)  # creates the students it finds
    assert done.returncode == 0, done.stdout + done.stderr
    # Without AUTOGRADER_COURSE the kernel's grader reads the package's own course, which refuses the notebook.
    _notebook_folder(course, tmp_path / "submitted" / "unnamed" / name)
    done = _nbgrader(tmp_path, "autograde", name, "--student", "unnamed", "--force", course=None)
    assert done.returncode == 0, done.stdout + done.stderr
    refused = (tmp_path / "autograded" / "unnamed" / name / _assignment(course).notebook).read_text()
    assert "WrongCourseError" in refused and COURSE_ENV in refused  # the hidden cells' error, in the notebook
    export = tmp_path / "grades.csv"
    assert _nbgrader(tmp_path, "export", f"--CsvExportPlugin.to={export}", course=course).returncode == 0
    header, *rows = (line.split(",") for line in export.read_text().splitlines())
    scores = {row["student_id"]: (float(row["raw_score"]), float(row["max_score"]))
              for row in (dict(zip(header, r, strict=True)) for r in rows)}
    assert scores == {"right": (6.0, 6.0), "wrong": (3.0, 6.0), "unnamed": (0.0, 6.0)}
