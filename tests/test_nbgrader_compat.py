"""nbgrader compatibility mode: a function's points, in-process, from the notebook's namespace."""

import pytest
from conftest import exec_submission, reference_source

from autograder.checks import assignment_checks
from autograder.course import COURSE_FILE, load_course
from autograder.nbgrader_compat import COURSE_ENV, WrongCourseError, course_stamp, grade_function

INITIALIZATION = load_course().assignment("initialization")

POINTS = load_course().assignment("initialization").points
STAMP = course_stamp(INITIALIZATION)


def _possible(function: str) -> float:
    return sum(POINTS[c.id] for c in assignment_checks(INITIALIZATION) if c.function == function)


def test_the_reference_earns_every_point_of_a_function(reference_namespace: dict) -> None:
    for function in ("initialize_he", "backward", "worked_example"):
        assert grade_function(function, reference_namespace, STAMP) == _possible(function) > 0


def test_a_wrong_function_loses_points_and_says_why(capsys: pytest.CaptureFixture) -> None:
    namespace = exec_submission(reference_source().replace("np.sqrt(2.0 / fan_in)", "np.sqrt(1.0 / fan_in)"))
    earned = grade_function("initialize_he", namespace, STAMP)
    assert earned < _possible("initialize_he")
    assert "initialize_he.scale" in capsys.readouterr().out


def test_an_unknown_function_is_refused(reference_namespace: dict) -> None:
    with pytest.raises(ValueError, match="no check grades"):
        grade_function("no_such_function", reference_namespace, STAMP)


def test_a_notebook_built_for_another_course_is_refused(reference_namespace: dict) -> None:
    """The package that happens to be importable must be the course's own: same assignment, same points."""
    with pytest.raises(WrongCourseError, match="pip install -e"):
        grade_function("initialize_he", reference_namespace, "initialization-000000000000")


def test_the_course_named_in_the_environment_grades(reference_namespace: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    """AUTOGRADER_COURSE names the course file (here the package's own, by path): the same points as the default."""
    monkeypatch.setenv(COURSE_ENV, str(COURSE_FILE))
    assert grade_function("initialize_he", reference_namespace, STAMP) == _possible("initialize_he") > 0
    monkeypatch.setenv(COURSE_ENV, str(COURSE_FILE.with_name("no-such-course.toml")))
    with pytest.raises(ValueError, match=r"no-such-course\.toml, which is not a file"):
        grade_function("initialize_he", reference_namespace, STAMP)
