"""course.toml agrees with the check catalogue, and labkit can ship on its own."""

import ast
from pathlib import Path

from autograder.checks import assignment_checks
from autograder.course import load_course

INITIALIZATION = load_course().assignment("initialization")

LABKIT = Path(__file__).resolve().parent.parent / "autograder" / "labkit"


def test_every_check_has_points_and_every_points_entry_is_a_check() -> None:
    assignment = load_course().assignment("initialization")
    ids = [c.id for c in assignment_checks(INITIALIZATION)]
    assert len(ids) == len(set(ids)), "check ids must be unique"
    assert sorted(set(ids) - set(assignment.points)) == [], "checks without points in course.toml"
    assert sorted(set(assignment.points) - set(ids)) == [], "course.toml points for checks that do not exist"
    assert all(p > 0 for p in assignment.points.values())


def test_every_check_id_names_its_function() -> None:
    for check in assignment_checks(INITIALIZATION):
        assert check.id.split(".")[0] == check.function, check.id
        assert check.visibility in ("public", "hidden")


def test_labkit_imports_nothing_from_the_rest_of_the_autograder() -> None:
    # The release copies labkit/ next to the student notebook: it must not need (or reveal) anything else.
    for path in [*LABKIT.glob("*.py"), *INITIALIZATION.kit.glob("*.py")]:  # the general kit and the assignment's
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                assert node.level <= 1, f"{path.name} reaches outside labkit: level {node.level}"
                assert node.level == 1 or not (node.module or "").startswith("autograder"), path.name
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("autograder") for a in node.names), path.name
