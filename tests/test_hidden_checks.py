"""The hidden checks: every check passes the reference, on 1000 grading seeds; the catalogue is complete,
has points, and reports a stub as not attempted, not as a traceback."""

import multiprocessing
from typing import Any

import numpy as np
import pytest
from conftest import GRADING, REFERENCE, exec_submission, reference_source

from autograder.checks import assignment_checks
from autograder.checks.reference import Solution
from autograder.course import load_course
from autograder.labkit.framework import Visibility
from autograder.labkit.inprocess import run_checks
from autograder.labkit.plan import Status

hidden_checks = GRADING.hidden_checks

SEEDS = 1000
ALL_CHECKS = assignment_checks(load_course().assignment("initialization"))
HIDDEN_CHECKS = hidden_checks(Solution(REFERENCE))

def test_catalogue_ids_are_unique_hidden_and_have_points():
    ids = [c.id for c in ALL_CHECKS]
    assert len(ids) == len(set(ids))
    points = load_course().assignment("initialization").points
    assert all(c.visibility == Visibility.HIDDEN and c.section for c in HIDDEN_CHECKS)
    assert {c.id for c in ALL_CHECKS} == set(points)
    hidden = sum(points[c.id] for c in HIDDEN_CHECKS)
    public = sum(points[c.id] for c in ALL_CHECKS if c.visibility == Visibility.PUBLIC)
    assert hidden > 2 * public  # hidden checks carry most of the points

def test_every_graded_function_and_question_has_hidden_checks(reference_namespace):
    functions = {c.function for c in HIDDEN_CHECKS}
    graded = {"initialize_zeros", "initialize_random", "initialize_he", "forward", "compute_cost", "backward",
              "update_parameters", "gradient_check", "train", "activation_statistics", "worked_example"}
    questions = {name for name in reference_namespace if name.startswith("q_")}
    assert len(questions) >= 5
    assert graded | questions <= functions

@pytest.mark.parametrize("salt", ["a", "winit-2026-fall"])
def test_every_check_passes_the_reference(reference_namespace, salt):
    results = run_checks(ALL_CHECKS, reference_namespace, salt)
    assert [(r.check_id, r.feedback) for r in results if r.score != 1.0] == []

def _failures(salts: list[str]) -> list[tuple[str, str, str]]:
    namespace = exec_submission(reference_source())
    return [(salt, r.check_id, r.feedback) for salt in salts
            for r in run_checks(ALL_CHECKS, namespace, salt) if r.score != 1.0]

def test_reference_gets_full_marks_on_1000_grading_seeds():
    # Public checks included: the grader seeds them per submission too.
    salts = [f"seed-{i}" for i in range(SEEDS)]
    with multiprocessing.get_context("fork").Pool(2) as pool:  # the suite is CPU-bound; 2 cores
        chunks = pool.map(_failures, [salts[0::2], salts[1::2]])
    assert [f for chunk in chunks for f in chunk] == []

def _stub(*_: Any, **__: Any) -> Any:
    raise NotImplementedError

def test_a_stub_is_not_attempted(reference_namespace):
    namespace = dict(reference_namespace, initialize_he=_stub, backward=_stub)
    results = {r.check_id: r for r in run_checks(HIDDEN_CHECKS, namespace, "stub")}
    assert results["initialize_he.distribution"].status == Status.NOT_ATTEMPTED
    assert results["backward.matches_reference"].status == Status.NOT_ATTEMPTED
    assert results["backward.matches_reference"].score == 0.0
    assert "Traceback" not in results["backward.matches_reference"].feedback
    assert results["forward.matches_reference"].score == 1.0

def test_partial_credit_follows_structure(reference_namespace):
    """Right shapes with a wrong scale earn the shapes' share; a tanh-only bug loses only tanh's share."""

    def xavier(layer_dims: list[int], rng: np.random.Generator | None = None) -> dict[str, np.ndarray]:
        params = reference_namespace["initialize_he"](layer_dims, rng)
        return {k: v / np.sqrt(2) if k[0] == "W" else v for k, v in params.items()}

    def tanh_wrong(X: np.ndarray, params: dict, activation: str = "relu") -> tuple:
        AL, caches = reference_namespace["forward"](X, params, activation)
        return (AL * 0.9 if activation == "tanh" else AL), caches

    namespace = dict(reference_namespace, initialize_he=xavier, forward=tanh_wrong)
    results = {r.check_id: r for r in run_checks(HIDDEN_CHECKS, namespace, "partial")}
    assert results["initialize_he.hidden_shapes"].score == 1.0
    assert 0.25 < results["initialize_he.distribution"].score < 1.0
    assert results["forward.matches_reference"].score == pytest.approx(0.8)  # tanh's AL share: 0.2

def test_feedback_is_short_and_points_to_the_notebook(reference_namespace):
    namespace = dict(reference_namespace, compute_cost=lambda AL, Y: float(np.sum(AL)))
    result = next(r for r in run_checks(HIDDEN_CHECKS, namespace, "feedback")
                  if r.check_id == "compute_cost.matches_reference")
    assert result.score < 1.0
    assert "compute_cost" in result.feedback
    assert 'See the notebook section "Part 2 · Forward propagation, the cost, and one step of descent".' \
        in result.feedback
    assert len(result.feedback) < 600
