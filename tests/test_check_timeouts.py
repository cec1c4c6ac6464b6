"""Each check's time limits: CPU time a multiple of what the reference takes on the same plan, wall time twice that,
within the course's bounds."""

import dataclasses

import pytest
from conftest import reference_source
from grading_helpers import grade_source, tight_course

from autograder.checks import assignment_checks
from autograder.checks.timing import check_limits
from autograder.course import CheckLimits, Grading
from autograder.labkit.plan import Status

LOOP_IN_ZEROS = "\n    while True:\n        pass\n"


@pytest.mark.parametrize(("reference_seconds", "cpu", "wall"), [
    (0.0, 1.0, 2.0), (0.001, 1.0, 2.0), (0.0123, 2.0, 4.0), (0.0321, 4.0, 8.0), (0.05, 5.0, 10.0), (0.2, 5.0, 10.0)])
def test_the_cpu_limit_is_the_multiple_of_the_reference_time_in_whole_seconds_and_the_wall_limit_twice_that(
        reference_seconds: float, cpu: float, wall: float) -> None:
    grading = Grading(check_timeout_seconds=10.0, check_timeout_min_seconds=2.0, check_cpu_min_seconds=1.0,
                      check_timeout_multiple=100.0)
    assert grading.check_limits(reference_seconds) == CheckLimits(cpu, wall)


def test_minimums_at_the_maximum_are_one_fixed_limit() -> None:
    grading = Grading(check_timeout_seconds=7.0, check_timeout_min_seconds=7.0, check_cpu_min_seconds=7.0)
    assert {grading.check_limits(s) for s in (0.0, 0.01, 1.0, 100.0)} == {CheckLimits(3.5, 7.0)}


@pytest.mark.parametrize("reference_seconds", [0.0, 0.0004, 0.0013, 0.007, 0.0091, 0.05, 3.0])
def test_the_wall_limit_always_leaves_room_for_the_cpu_limit(reference_seconds: float) -> None:
    # Found in review: capped at the same maximum, a heavy check's wall limit came down to its CPU limit, and a
    # busy machine could stop a correct function by the wall clock before its CPU time ran out.
    limits = Grading().check_limits(reference_seconds)
    assert limits.wall >= 2 * limits.cpu


def test_checks_that_make_the_reference_work_longer_get_longer_limits() -> None:
    course = tight_course()
    assignment = course.assignment("initialization")
    unbounded = dataclasses.replace(course.grading, check_timeout_seconds=1e9, check_timeout_min_seconds=0.0,
                                    check_cpu_min_seconds=0.0,
                                    check_timeout_multiple=1e5)  # the reference's own times, in units of 10 us
    limits = check_limits(assignment, assignment_checks(assignment), unbounded)
    # 20-layer nets of width 64 to 128, against one 4-3-1 network of zeros: thousands of times the work.
    assert limits["activation_statistics.signal_depth"].cpu > 10 * limits["initialize_zeros.shapes"].cpu > 0


def test_an_infinite_loop_in_a_quick_function_costs_the_minimum_cpu_limit_not_the_maximum() -> None:
    source = reference_source().replace('    params = {}\n', '    params = {}' + LOOP_IN_ZEROS, 1)
    assert source.count("while True") == 1 and "def initialize_zeros" in source.split("while True")[0]
    checks = assignment_checks(tight_course().assignment("initialization"))
    graded = grade_source(source, checks, check_timeout_seconds=30.0)
    zeros = [r for r in graded.results if r.function == "initialize_zeros"]
    assert zeros[0].status == Status.TIMEOUT
    assert zeros[0].feedback == "used more than 1 s of CPU time while checking `initialize_zeros`"
    others = [r for r in graded.results if r.function in ("initialize_he", "forward", "backward")]
    assert others and all(r.status == Status.PASSED for r in others)
