"""The conceptual questions: an answer key that cannot be gamed, checks that explain, numbers that are true."""

import dataclasses
import math
import re
from typing import Any

import numpy as np
import pytest
from conftest import GRADING

from autograder.course import load_course
from autograder.labkit.framework import Check, Result, Visibility
from autograder.labkit.inprocess import run_checks
from autograder.labkit.questions import (
    ABSOLUTE,
    MC,
    NUMBER,
    RELATIVE,
    Mistake,
    Question,
    dumps_key,
    loads_key,
    self_checks,
)
from autograder.release.generate import set_answer_key
from autograder.release.notebook import reference_functions

QUESTIONS, question_checks = GRADING.QUESTIONS, GRADING.questions.question_checks

ASSIGNMENT = load_course().assignment("initialization")
DOCS = reference_functions(ASSIGNMENT.reference.read_text())
LESSON = (ASSIGNMENT.source / "lesson.md").read_text()
BY_ID = {q.id: q for q in QUESTIONS}
CHECKS = {c.function: c for c in question_checks()}
MCS = [q for q in QUESTIONS if q.kind == MC]
NUMBERS = [q for q in QUESTIONS if q.kind == NUMBER]

def options(question: Question) -> dict[str, str]:
    """{letter: option text} as the question's docstring shows them."""
    return dict(re.findall(r"^\s+([a-z])\) (.*)$", DOCS[question.id], flags=re.MULTILINE))

def judge(question: Question, answer: Any, check: Check | None = None) -> Result:
    """The result of the question's check for a q_...() that returns `answer`."""
    return run_checks([check or CHECKS[question.id]], {question.id: lambda: answer}, "questions")[0]

def typical(mistake: Mistake) -> float:
    """A value in the middle of a known mistake's range (ten times its low end when the range is unbounded)."""
    return mistake.low * 10 if mistake.high > 1e100 else (mistake.low + mistake.high) / 2

def inside_and_outside(question: Question) -> tuple[list[float], list[float]]:
    """Answers just inside and just outside the stated tolerance, on both sides."""
    a, t = float(question.answer), question.tolerance
    if question.tolerance_kind == ABSOLUTE:
        return [a - 0.99 * t, a + 0.99 * t], [a - 1.01 * t, a + 1.01 * t]
    if question.tolerance_kind == RELATIVE:
        return [a * (1 - 0.99 * t), a * (1 + 0.99 * t)], [a * (1 - 1.01 * t), a * (1 + 1.01 * t)]
    return [a / t * 1.01, a * t * 0.99], [a / t * 0.99, a * t * 1.01]

# --- the key and the questions fit together --------------------------------------------------------------

def test_the_key_covers_exactly_the_reference_questions_and_the_reference_answers_it(reference_namespace):
    assert sorted(BY_ID) == sorted(name for name in DOCS if name.startswith("q_"))
    assert len(QUESTIONS) >= 8 and len(NUMBERS) * 2 >= len(QUESTIONS)
    for question in QUESTIONS:
        assert reference_namespace[question.id]() == question.answer, question.id

def test_every_section_is_a_heading_of_the_notebook():
    headings = {line.lstrip("#").strip() for line in LESSON.splitlines() if line.startswith("#")}
    assert {q.section for q in QUESTIONS} <= headings

@pytest.mark.parametrize("question", MCS, ids=lambda q: q.id)
def test_a_choice_explains_every_wrong_option_and_only_those(question: Question):
    shown = options(question)
    assert list(shown) == question.letters == [chr(ord("a") + i) for i in range(len(shown))] and len(shown) >= 4
    assert question.answer in shown and question.answer not in question.explanations
    assert len(set(question.explanations.values())) == len(question.explanations)

@pytest.mark.parametrize("question", MCS, ids=lambda q: q.id)
def test_options_are_parallel_in_length(question: Question):
    lengths = [len(text) for text in options(question).values()]
    assert max(lengths) <= 1.2 * min(lengths), lengths

def test_the_right_option_is_the_longest_in_at_most_a_quarter_of_the_choices():
    longest = [q.id for q in MCS if len(options(q)[q.answer]) >= max(len(t) for t in options(q).values())]
    assert len(longest) <= len(MCS) / 4, longest

@pytest.mark.parametrize("question", NUMBERS, ids=lambda q: q.id)
def test_a_number_question_states_its_tolerance_and_no_known_mistake_is_accepted(question: Question):
    assert "Returns: a float" in DOCS[question.id] and question.tolerance_text() in DOCS[question.id]
    for mistake in question.mistakes:
        assert not any(question.accepts(x) for x in (mistake.low, mistake.high, typical(mistake))), mistake

# --- the checks ----------------------------------------------------------------------------------------------

def test_every_question_check_passes_the_reference(reference_namespace):
    results = run_checks(question_checks(), reference_namespace, "questions")
    assert [(r.check_id, r.feedback) for r in results if not r.passed] == []

@pytest.mark.parametrize("question", MCS, ids=lambda q: q.id)
def test_each_wrong_option_fails_with_its_own_explanation(question: Question):
    for letter, why in question.explanations.items():
        result = judge(question, letter)
        assert result.score == 0.0 and why in result.feedback and question.section in result.feedback
        assert not [other for other in question.explanations.values() if other != why and other in result.feedback]

@pytest.mark.parametrize("question", NUMBERS, ids=lambda q: q.id)
def test_numbers_are_graded_with_the_stated_tolerance(question: Question):
    inside, outside = inside_and_outside(question)
    assert all(judge(question, x).passed for x in inside), inside
    assert not any(judge(question, x).passed for x in outside), outside
    for mistake in question.mistakes:
        result = judge(question, typical(mistake))
        assert result.score == 0.0 and mistake.why in result.feedback and question.section in result.feedback

@pytest.mark.parametrize("question", MCS, ids=lambda q: q.id)
def test_a_letter_is_read_leniently_but_never_two(question: Question):
    right, wrong = question.answer, next(iter(question.explanations))
    for form in (right.upper(), f" {right} ", f"({right})", f"{right.upper()}.", f"{right})", f'"{right}"'):
        assert judge(question, form).passed, form
    for malformed in (f"{right}) {options(question)[right][:20]}", f"{right}, {wrong}", f"{right}{wrong}",
                      f"{right} or {wrong}", "", 1, None, ["a"]):
        result = judge(question, malformed)
        assert result.score == 0.0 and "letter" in result.feedback, malformed
    assert "not an option" in judge(question, "z").feedback

@pytest.mark.parametrize("question", NUMBERS, ids=lambda q: q.id)
def test_a_number_is_read_leniently_and_a_malformed_one_gets_a_hint(question: Question):
    answer = float(question.answer)
    for form in (repr(answer), f" {answer} ", np.float64(answer), np.array([answer])):
        assert judge(question, form).passed, form
    for malformed in (f"{answer} or so", f"about {answer}", f"{answer * 100:g}%", "c", True, [answer],
                      {"answer": answer}, float("nan"), None):
        result = judge(question, malformed)
        assert result.score == 0.0 and "For example: return" in result.feedback, malformed
    assert "percentage" in judge(question, "87%").feedback

def test_the_hidden_checks_are_hidden_and_carry_points():
    assert all(c.visibility != Visibility.PUBLIC for c in CHECKS.values())
    assert all(ASSIGNMENT.points.get(c.id, 0) > 0 for c in CHECKS.values())

# --- the numbers are true --------------------------------------------------------------------------------

def test_zero_relu_ends_at_the_cost_of_predicting_the_base_rate(reference_namespace):
    exact = -(0.7 * math.log(0.7) + 0.3 * math.log(0.3))
    X = np.random.default_rng(0).standard_normal((100, 2))
    Y = (np.arange(100) % 10 < 7).astype(float).reshape(-1, 1)
    _, costs = reference_namespace["train"](X, Y, [2, 10, 5, 1], init="zeros", learning_rate=0.5,
                                            num_iterations=3000)
    assert BY_ID["q_zero_relu"].accepts(exact) and BY_ID["q_zero_relu"].accepts(costs[-1])

def test_the_first_dw3_of_a_zero_sigmoid_net_is_half_of_db3(reference_namespace):
    params = reference_namespace["initialize_zeros"]([2, 10, 5, 1])
    X = np.random.default_rng(0).standard_normal((50, 2))
    Y = (np.arange(50) % 10 < 7).astype(float).reshape(-1, 1)
    AL, caches = reference_namespace["forward"](X, params, "sigmoid")
    grads = reference_namespace["backward"](AL, Y, caches)
    assert np.allclose(grads["dW3"], -0.1) and np.allclose(grads["db3"], -0.2)
    assert BY_ID["q_zero_hidden_activation"].answer == -0.1

def test_the_saturated_fraction_matches_the_closed_form_and_a_measurement():
    t, z_std = math.atanh(0.99), 0.25 * math.sqrt(256)
    closed_form = math.erfc(t / z_std / math.sqrt(2))  # 2 Phi(-t / (sigma sqrt(n)))
    g = np.random.default_rng(3)
    A = np.tanh(g.standard_normal((2000, 256)) @ (0.25 * g.standard_normal((256, 256))))
    question = BY_ID["q_saturated_fraction"]
    assert question.accepts(closed_form) and question.accepts(float((np.abs(A) > 0.99).mean()))
    assert abs(closed_form - question.answer) < 0.001

def test_the_gradient_ratio_is_what_the_notebook_cell_prints(reference_namespace):
    ns = reference_namespace
    X = np.random.default_rng(1).standard_normal((500, 256))  # the cell's seeds: inputs 1, weights 2, labels 4
    params = ns["initialize_random"]([256] * 11 + [1], scale=1.0, rng=np.random.default_rng(2))
    labels = (np.random.default_rng(4).random((500, 1)) < 0.5).astype(float)
    AL, caches = ns["forward"](X, params, "tanh")
    grads = ns["backward"](AL, labels, caches)
    ratio = np.linalg.norm(grads["dW1"]) / np.linalg.norm(grads["dW10"])
    assert abs(ratio - BY_ID["q_explosion"].answer) < 1.0

def test_var_z_is_n_var_w_times_the_second_moment_of_the_inputs():
    second_moment = float(np.mean(np.maximum(2.0 * np.random.default_rng(0).standard_normal(4_000_000), 0) ** 2))
    assert abs(second_moment - 2.0) < 0.01
    assert BY_ID["q_variance_of_z"].accepts(200 * 0.1**2 * second_moment)

def test_the_he_std_uses_the_fan_in():
    assert BY_ID["q_he_std"].answer == math.sqrt(2 / 512)

def test_the_signal_ratio_matches_the_formula_and_the_experiment(reference_namespace):
    question = BY_ID["q_signal_ratio"]
    assert question.answer == pytest.approx((256 * 1.5 / 256 / 2) ** 19)
    X = np.random.default_rng(5).standard_normal((500, 256))  # the experiment's seeds: inputs 5, weights 6
    params = reference_namespace["initialize_random"]([256] * 21 + [1], scale=math.sqrt(1.5 / 256),
                                                      rng=np.random.default_rng(6))
    stats = reference_namespace["activation_statistics"](X, params, "relu")
    moments = [s["std"] ** 2 + s["mean"] ** 2 for s in stats]
    assert question.accepts(moments[-1] / moments[0])

# --- the answer key a release ships ------------------------------------------------------------------------

def test_the_shipped_key_round_trips_and_its_self_checks_agree_with_the_hidden_checks(tmp_path):
    path = tmp_path / "answers.json"
    path.write_text(dumps_key(list(QUESTIONS)))
    assert tuple(loads_key(path.read_text())) == QUESTIONS
    offline = {c.function: c for c in self_checks(path)}
    assert all(c.visibility == Visibility.PUBLIC for c in offline.values()) and offline.keys() == CHECKS.keys()
    for question in QUESTIONS:
        wrong = inside_and_outside(question)[1] if question.kind == NUMBER else list(question.explanations)
        for answer in (question.answer, *wrong, "a) text"):
            shipped, hidden = judge(question, answer, offline[question.id]), judge(question, answer)
            assert (shipped.status, shipped.feedback) == (hidden.status, hidden.feedback), (question.id, answer)
    assert self_checks(tmp_path / "missing.json") == []

def test_the_release_ships_the_key_only_when_the_course_reveals_answers(tmp_path):
    key = tmp_path / "labkit" / "answers.json"
    key.parent.mkdir()
    set_answer_key(dataclasses.replace(ASSIGNMENT, reveal_answers=True), tmp_path)
    assert loads_key(key.read_text()) == list(QUESTIONS)
    set_answer_key(dataclasses.replace(ASSIGNMENT, reveal_answers=False), tmp_path)
    assert not key.exists()
