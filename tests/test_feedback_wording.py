"""Feedback a student reads once and understands: real section names, plain sentences, no repeats, numbers that
differ when they differ, the transposition named, and the worked example's own error caught by a public check."""

import re

import numpy as np
import pytest
from autograder.labkit.params import shape_problems
from autograder.labkit.public_checks import PUBLIC_CHECKS, WORKED_EXAMPLE
from conftest import GRADING, REFERENCE, exec_submission

from autograder.checks import assignment_checks
from autograder.checks.reference import Solution
from autograder.course import load_course
from autograder.graded import GradedSubmission
from autograder.labkit.compare import printed_pair, section_reference, summary_pair
from autograder.labkit.framework import Result, Visibility
from autograder.labkit.inprocess import REPEAT, run_checks, without_repeats
from autograder.labkit.plan import Status
from autograder.reports.feedback import feedback_html, feedback_markdown, notebook_anchor

CATALOGUE = GRADING.CATALOGUE

ASSIGNMENT = load_course().assignment("initialization")
HEADINGS = {line.lstrip("#").strip() for line in (ASSIGNMENT.source / "lesson.md").read_text().splitlines()
            if line.startswith("#")}
SOURCE = Solution(REFERENCE).source
WORKED = next(c for c in PUBLIC_CHECKS if c.function == "worked_example")

def submission(*edits: tuple[str, str]) -> dict:
    source = SOURCE
    for old, new in edits:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return exec_submission("\n".join(line for line in source.splitlines() if "### " not in line) + "\n")

def test_every_section_a_check_names_is_a_heading_of_the_notebook():
    checks = assignment_checks(ASSIGNMENT)
    assert all(c.section for c in checks) and {c.id for c in PUBLIC_CHECKS} <= {c.id for c in checks}
    assert {c.section for c in checks} <= HEADINGS, {c.section for c in checks} - HEADINGS

def test_a_diagnosis_reads_as_sentences_with_no_internal_label(reference_namespace):
    xavier = next(m for m in CATALOGUE if m.id == "he_xavier_scale")
    namespace = submission(("np.sqrt(2.0 / fan_in)", "np.sqrt(1.0 / fan_in)"))
    result = next(r for r in run_checks(assignment_checks(ASSIGNMENT), namespace, "wording")
                  if r.check_id == "initialize_he.distribution")
    assert result.diagnosis == xavier.id
    assert f"These results are what you get when {xavier.explanation}. To fix it: {xavier.fix}." in result.feedback
    assert result.feedback.endswith(section_reference("Part 1 · Three ways to start"))
    assert not re.search(r"Likely|misconception|\bhe[ _]xavier", result.feedback, re.IGNORECASE)

def test_a_public_failure_ends_with_its_section():
    result = run_checks([WORKED], submission(("dZ1 = dZ2 @ np.asarray(W2, dtype=np.float64).T",
                                              "dZ1 = dZ2 @ np.ones((1, 3))")))[0]
    assert result.status == Status.FAILED and result.feedback.endswith(section_reference(WORKED_EXAMPLE))

@pytest.mark.parametrize(("got", "expected"), [(17.2712345, 17.2712341), (17.27, 17.2700001),
                                               ([[0.1234567], [2.0]], [[0.1234568], [2.0]])])
def test_numbers_that_differ_never_print_the_same(got, expected):
    mine, theirs = printed_pair(got, expected)
    assert mine != theirs.split(" (")[0] and "relative error" in theirs

def test_numbers_far_apart_print_plainly_and_equal_summaries_give_the_error():
    assert printed_pair(0.5, 0.25) == ("0.5", "0.25")
    text = summary_pair(np.array([1.0, 2.0]), np.array([1.0, 2.0000001]))
    assert "relative error" in text and "; expected" not in text

def test_a_transposed_weight_names_both_conventions():
    got = {"W1": np.zeros((3, 2)), "b1": np.zeros((1, 3)), "W2": np.zeros((1, 3)), "b2": np.zeros((1, 1))}
    first, second = shape_problems(got, [2, 3, 1], "initialize_he([2, 3, 1])")
    assert first.startswith('initialize_he([2, 3, 1])["W1"] has shape (3, 2), expected (2, 3); transposed: ')
    assert "(n_{l-1}, n_l) because examples are rows" in first and "Coursera course uses (n_l, n_{l-1})" in first
    assert second.endswith("(3, 1), transposed as well")  # the convention is explained once

@pytest.mark.parametrize(("edit", "named"), [
    (("dZ1 = dZ2 @ np.asarray(W2, dtype=np.float64).T", "dZ1 = dZ2 @ dW2.T"), "course text's own error"),
    (("dZ1 = dZ2 @ np.asarray(W2, dtype=np.float64).T", "dZ1 = dZ2 @ np.ones((1, 3))"), "as if every outgoing"),
    (("dW1 = X.T @ dZ1", "dW1 = dZ1.T @ X"), "dW1 = X^T dZ1 (X^T is 2 x 3), not dZ1^T X"),
    (("dW1 = X.T @ dZ1", "dW1 = X.T @ dZ1 + 1.0"), "column j of dW1 is W2[j] X^T dZ2"),
])
def test_the_public_worked_example_check_judges_dw1_and_names_the_mistake(edit, named):
    result = run_checks([WORKED], submission(edit))[0]
    assert result.status == Status.FAILED and named in result.feedback

def test_the_public_worked_example_check_passes_the_reference(reference_namespace):
    assert run_checks([WORKED], reference_namespace)[0].passed

def _result(check_id: str, feedback: str, diagnosis: str | None = None) -> Result:
    return Result(check_id=check_id, function=check_id.split(".")[0], title="a title", visibility=Visibility.PUBLIC,
                  status=Status.FAILED, score=0.0, feedback=feedback, diagnosis=diagnosis)

PART1 = "Part 1 · Three ways to start"
DIAGNOSIS = "These results are what you get when W is transposed. To fix it: use (n_{l-1}, n_l)."
RESULTS = [_result("initialize_he.shapes", "\n".join(["W1 has shape (3, 2).", DIAGNOSIS, section_reference(PART1)]),
                   "he_transposed"),
           _result("initialize_he.scale", "\n".join(["W1 has std 0.1.", DIAGNOSIS, section_reference(PART1)]),
                   "he_transposed")]

def test_a_diagnosis_shared_by_several_checks_is_stated_once():
    texts = without_repeats(RESULTS)
    assert DIAGNOSIS in texts["initialize_he.shapes"] and DIAGNOSIS not in texts["initialize_he.scale"]
    assert REPEAT.format("`initialize_he.shapes`") in texts["initialize_he.scale"]
    assert "W1 has std 0.1." in texts["initialize_he.scale"] and "Part 1" in texts["initialize_he.scale"]

def test_the_reports_state_it_once_and_link_the_section_to_the_notebook_heading():
    ids = [r.check_id for r in RESULTS]
    graded = GradedSubmission("ann", "uploads/ann.ipynb", RESULTS, dict.fromkeys(ids, 0.0), dict.fromkeys(ids, 1.0),
                              0.1, "bubblewrap")
    assert feedback_markdown(graded, "Lab").count(DIAGNOSIS) == 1
    page = feedback_html(graded, "Lab")
    assert page.count("These results are what you get when") == 1
    assert f'<a href="ann.ipynb#{notebook_anchor(PART1)}">' in page
    assert notebook_anchor(PART1) == "Part-1-%C2%B7-Three-ways-to-start"

def test_a_transposed_initializer_is_explained_once_in_the_whole_report():
    transposed = next(m for m in CATALOGUE if m.id == "he_transposed")
    namespace = exec_submission("\n".join(line for line in transposed.apply(SOURCE).splitlines()
                                          if "### " not in line) + "\n")
    checks = [c for c in assignment_checks(ASSIGNMENT) if c.function == "initialize_he"]  # public, then hidden
    assert {c.visibility for c in checks} == {Visibility.PUBLIC, Visibility.HIDDEN}
    results = run_checks(checks, namespace, "wording")
    ids = [r.check_id for r in results]
    graded = GradedSubmission("ann", "ann.py", results, dict.fromkeys(ids, 0.0), dict.fromkeys(ids, 1.0), 0.1,
                              "bubblewrap")
    markdown = feedback_markdown(graded, "Lab")
    assert sum(not r.passed for r in results) >= 4
    assert markdown.count("the Coursera course uses") == 1 and markdown.count(transposed.explanation) == 1
    assert "the rest as explained under `initialize_he.shapes` above" in markdown


def test_a_public_check_names_its_first_problems_and_counts_the_rest() -> None:
    from autograder.labkit.compare import SHOWN_PROBLEMS, all_or_nothing

    verdict = all_or_nothing([f"problem {i}" for i in range(SHOWN_PROBLEMS + 4)])
    assert verdict.score == 0.0 and verdict.feedback.count("problem") == SHOWN_PROBLEMS
    assert verdict.feedback.endswith("(+4 more like these)")
    assert all_or_nothing(["only one"]).feedback == "only one"
