"""The bundled sample submissions: generated from the reference and the catalogue, they score what it predicts.

Each sample is graded by the real isolated grader, as the README's main job grades it."""

import pytest
from conftest import GRADING
from grading_helpers import tight_course

from autograder.checks import assignment_samples
from autograder.course import load_course
from autograder.grading import grade_submission
from autograder.labkit.plan import Status
from autograder.submission import load_file

CATALOGUE = GRADING.CATALOGUE
SAMPLES = GRADING.SAMPLES

ASSIGNMENT = load_course().assignment("initialization")
FOLDER = ASSIGNMENT.source / "submissions"
MISTAKES = {m.id: m for m in CATALOGUE}

def graded(name: str):
    course = tight_course()
    return grade_submission(load_file(FOLDER / name, course.assignment("initialization")), "initialization", course)

def test_the_committed_samples_are_the_generated_ones():
    expected = assignment_samples(ASSIGNMENT)
    assert sorted(p.name for p in FOLDER.iterdir()) == sorted(expected)
    assert all((FOLDER / name).read_text(encoding="utf-8") == text for name, text in expected.items())

@pytest.mark.parametrize("name", ["complete_and_correct.ipynb", "correct_but_metadata_stripped.ipynb"])
def test_correct_notebooks_get_full_marks(name):
    result = graded(name)
    assert result.score == result.max_score, [(r.check_id, r.feedback) for r in result.results if not r.passed]

@pytest.mark.parametrize("spec", [s for s in SAMPLES if s.mistakes and not s.append and not s.edits],
                         ids=lambda s: s.name)
def test_every_bundled_mistake_scores_what_the_catalogue_predicts(spec):
    result = graded(f"{spec.name}.py")
    lost = {r.check_id for r in result.results if r.score < 1.0 and r.visibility == "hidden"}
    must = {c for m in spec.mistakes for c in MISTAKES[m].fails}
    may = {c for m in spec.mistakes for c in MISTAKES[m].may_fail}
    assert must <= lost <= must | may, (must - lost, lost - must - may)
    functions = {MISTAKES[m].function for m in spec.mistakes}
    assert {r.function for r in result.results if r.score < 1.0} <= functions | {"train"}  # train.he_learns only

@pytest.mark.parametrize(("name", "function", "status"), [("infinite_loop_in_train.py", "train", Status.TIMEOUT),
                                                          ("memory_bomb.py", "initialize_zeros", Status.CRASHED)])
def test_a_hang_or_a_memory_bomb_costs_only_its_own_function(name, function, status):
    result = graded(name)
    failed = [r for r in result.results if not r.passed]
    assert failed and {r.function for r in failed} == {function}
    assert {r.status for r in failed} == {status}
