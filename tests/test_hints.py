"""Graded hints: every public check has two levels, every symptom is what its mistake really shows, and
`hint(...)` / `autograder check --hint` step from the nudge to the rule."""

import subprocess
import sys
from pathlib import Path

import pytest
from autograder.labkit.hint_data import CHECK_HINTS, SYMPTOMS
from autograder.labkit.public_checks import PUBLIC_CHECKS
from conftest import GRADING, REFERENCE, ROOT, exec_submission

from autograder.checks.reference import Solution
from autograder.labkit.hints import Symptom, hint_text, symptom_of
from autograder.labkit.inprocess import make_hint_helper, run_checks

CATALOGUE = GRADING.CATALOGUE

SOURCE = Solution(REFERENCE).source
BY_ID = {m.id: m for m in CATALOGUE}
# symptom -> a mistake that shows it: a catalogued misconception, or (old, new) edits of the reference
MISTAKES: dict[str, str | tuple[tuple[str, str], ...]] = {
    "transposed": "he_transposed",
    "xavier_scale": "he_xavier_scale",
    "fan_out": "he_fan_out",
    "variance_as_std": "he_no_sqrt",
    "uniform": ((" rng.standard_normal((fan_in, layer_dims[l])) * np.sqrt(2.0 / fan_in)",
                 " rng.random((fan_in, layer_dims[l]))"),),
    "cost_summed": "cost_sum",
    "update_sign": "update_sign",
    "update_in_place": "update_in_place",
    "gradient_check_one_epsilon": "gradient_check_one_epsilon",
    "gradient_check_changes_params": "gradient_check_leaves_params_shifted",
    "train_rng": "train_ignores_rng",
    "train_init": "train_ignores_init",
    "train_cost_after_update": "train_cost_after_update",
    "train_inline_update": (("params = update_parameters(params, backward(AL, Y, caches), learning_rate)",
                             "params = {k: v - learning_rate * backward(AL, Y, caches)['d' + k] "
                             "for k, v in params.items()}"),),
    "worked_dW2_for_W2": (("dZ1 = dZ2 @ np.asarray(W2, dtype=np.float64).T", "dZ1 = dZ2 @ dW2.T"),),
    "worked_ones_for_W2": "worked_example_ignores_W2",
}

def with_mistake(symptom_id: str) -> dict:
    """The reference with the mistake behind `symptom_id` in it, executed as a student's submission."""
    mistake = MISTAKES[symptom_id]
    if isinstance(mistake, str):
        source = BY_ID[mistake].apply(SOURCE)
    else:
        source = SOURCE
        for old, new in mistake:
            assert source.count(old) == 1, old
            source = source.replace(old, new)
    return exec_submission("\n".join(line for line in source.splitlines() if "### " not in line) + "\n")

def test_every_public_check_has_a_nudge_and_a_rule():
    assert set(CHECK_HINTS) == {c.id for c in PUBLIC_CHECKS}
    levels = [*CHECK_HINTS.values(), *(s.levels for s in SYMPTOMS)]
    assert all(len(pair) == 2 and all(len(text) > 20 for text in pair) for pair in levels)

@pytest.mark.parametrize("text", sorted({t for pair in [*CHECK_HINTS.values(), *(s.levels for s in SYMPTOMS)]
                                         for t in pair}))
def test_hints_are_words_and_formulas_never_code(text: str):
    assert not any(code in text for code in ("def ", "import ", "return ", " @ ", "```", "lambda", "for l in"))

@pytest.mark.parametrize("symptom", SYMPTOMS, ids=lambda s: s.id)
def test_each_symptom_is_what_its_mistake_shows(symptom: Symptom):
    assert set(MISTAKES) == {s.id for s in SYMPTOMS}
    results = [r for r in run_checks(PUBLIC_CHECKS, with_mistake(symptom.id)) if not r.passed]
    shown = [r for r in results if symptom_of(r) == symptom]
    assert shown, [(r.check_id, r.feedback) for r in results]
    assert symptom.check_id in (None, shown[0].check_id)

def test_the_notebook_hint_goes_from_nudge_to_rule_and_stops_there(capsys):
    hint = make_hint_helper(PUBLIC_CHECKS)
    namespace = with_mistake("xavier_scale")
    xavier = next(s for s in SYMPTOMS if s.id == "xavier_scale")
    printed = []
    for _ in range(3):
        hint("initialize_he", namespace)
        printed.append(capsys.readouterr().out)
    assert printed[0].startswith("Hint 1 of 2 for initialize_he.scale") and xavier.levels[0] in printed[0]
    assert "Run hint(initialize_he) again" in printed[0] and xavier.levels[1] not in printed[0]
    assert printed[1].startswith("Hint 2 of 2") and xavier.levels[1] in printed[1]
    assert 'That was the last hint. See the notebook section "Part 1 · Three ways to start".' in printed[1]
    assert printed[2] == printed[1]
    hint("forward", namespace)  # another function: its checks pass
    assert "no hint needed" in capsys.readouterr().out

def test_a_hint_for_an_exercise_not_started_is_the_checks_nudge(capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError

    make_hint_helper(PUBLIC_CHECKS)("train", {"train": stub})
    assert CHECK_HINTS["train.steps"][0] in capsys.readouterr().out

def test_the_level_is_clamped_to_the_hints_there_are():
    check = next(c for c in PUBLIC_CHECKS if c.id == "worked_example.shapes")
    result = run_checks([check], with_mistake("worked_dW2_for_W2"))[0]
    assert hint_text(check, result, 0, "again").startswith("Hint 1 of 2")
    assert hint_text(check, result, 9, "again").startswith("Hint 2 of 2")

def test_the_command_line_gives_the_hint_of_the_level_asked(tmp_path: Path):
    submission = tmp_path / "worked.py"
    source = SOURCE.replace("dZ1 = dZ2 @ np.asarray(W2, dtype=np.float64).T", "dZ1 = dZ2 @ dW2.T")
    submission.write_text("\n".join(line for line in source.splitlines() if "### " not in line) + "\n")
    worked = next(s for s in SYMPTOMS if s.id == "worked_dW2_for_W2")

    def run(*options: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "autograder", "check", str(submission), *options], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)

    first, second = run("--hint"), run("--hint", "2", "--function", "worked_example")
    assert first.returncode == second.returncode == 1
    assert worked.levels[0] in first.stdout and "For the next hint: --hint 2" in first.stdout
    assert worked.levels[1] in second.stdout and "That was the last hint" in second.stdout
