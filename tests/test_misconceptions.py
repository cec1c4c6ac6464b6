"""The misconception catalogue: every mutant, run as a submission, loses points exactly where it should and
is named by the diagnosis; correct but unusual submissions get full marks."""

import re
import warnings

import numpy as np
import pytest
from conftest import GRADING, REFERENCE, exec_submission, reference_source

from autograder.checks import assignment_checks
from autograder.checks.misconceptions import diagnose
from autograder.checks.reference import Solution
from autograder.course import load_course
from autograder.labkit.inprocess import run_checks

hidden_checks = GRADING.hidden_checks
CATALOGUE = GRADING.CATALOGUE

SOLUTION = Solution(REFERENCE)
HIDDEN_CHECKS = hidden_checks(SOLUTION)
HIDDEN_IDS = {c.id for c in HIDDEN_CHECKS}
ASSIGNMENT = load_course().assignment("initialization")
SALTS = ("mutant-a", "mutant-b")

def test_catalogue_is_large_unique_and_refers_to_real_checks():
    ids = [m.id for m in CATALOGUE]
    assert len(ids) >= 25 and len(ids) == len(set(ids))
    for m in CATALOGUE:
        assert m.fails and set(m.fails) | set(m.may_fail) <= HIDDEN_IDS, m.id
        assert not set(m.fails) & set(m.may_fail), m.id
        assert m.explanation and m.fix, m.id

def test_every_mutant_changes_only_its_function():
    source = reference_source()
    for m in CATALOGUE:
        mutated = m.apply(source)
        assert mutated != source, m.id
        start = source.index(f"\ndef {m.function}(")
        end = re.compile(r"^(def |__all__|# )", re.MULTILINE).search(source, start + 5).start()
        assert mutated.startswith(source[:start]) and mutated.endswith(source[end:]), m.id

def test_every_check_fails_at_least_one_known_wrong_variant():
    # Public and hidden alike: a check that no catalogued mistake can fail would test nothing.
    # (The conceptual questions are covered letter by letter below.)
    checks = [c for c in assignment_checks(ASSIGNMENT) if not c.function.startswith("q_")]
    never_failed = {c.id for c in checks}
    for m in CATALOGUE:
        namespace = exec_submission(m.apply(reference_source()))
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            never_failed -= {r.check_id for r in run_checks(checks, namespace, "coverage") if r.score < 1.0}
    assert never_failed == set()

def test_an_edit_that_does_not_apply_exactly_once_is_refused():
    m = CATALOGUE[0]
    broken = type(m)(m.id, m.function, (("no such text", "x"),), m.explanation, m.fix, m.fails)
    with pytest.raises(ValueError, match="occurs 0 times"):
        broken.apply(reference_source())

@pytest.mark.parametrize("misconception", CATALOGUE, ids=lambda m: m.id)
def test_mutant_loses_points_where_it_should_and_is_diagnosed(misconception):
    namespace = exec_submission(misconception.apply(reference_source()))
    for salt in SALTS:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            results = {r.check_id: r for r in run_checks(HIDDEN_CHECKS, namespace, salt)}
        lost = {cid for cid, r in results.items() if r.score < 1.0}
        assert set(misconception.fails) <= lost, (salt, set(misconception.fails) - lost)
        assert lost <= set(misconception.fails) | set(misconception.may_fail), (salt, lost - set(misconception.fails))
        primary = results[misconception.fails[0]]
        assert primary.diagnosis == misconception.id, (salt, primary.diagnosis, primary.feedback)
        assert misconception.explanation in primary.feedback and "See the notebook" in primary.feedback

def test_no_diagnosis_for_a_mistake_outside_the_catalogue(reference_namespace):
    """An unknown bug (AL scaled by 0.9) fails forward without a made-up diagnosis."""
    check = next(c for c in HIDDEN_CHECKS if c.id == "forward.matches_reference")

    def forward(X, params, activation="relu"):
        AL, caches = reference_namespace["forward"](X, params, activation)
        return 0.9 * AL, caches

    result = run_checks([check], dict(reference_namespace, forward=forward), "unknown")[0]
    assert result.score < 1.0 and result.diagnosis is None
    plan = check.probe(np.random.default_rng(0)).plan
    assert diagnose(SOLUTION, CATALOGUE, check.id, plan, {}, lambda a, b: False) is None

UNUSUAL = '''
"""A correct submission written the long way: other numpy calls, a namedtuple cache, loops, prints, plots."""
from collections import namedtuple
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from labkit.activations import sigmoid

print("hello from my notebook")

def _shape_pairs(layer_dims):
    return [(layer_dims[i], layer_dims[i + 1]) for i in range(len(layer_dims) - 1)]

def initialize_zeros(layer_dims):
    params = {}
    for index, (fan_in, fan_out) in enumerate(_shape_pairs(layer_dims), start=1):
        params["W" + str(index)] = np.zeros([fan_in, fan_out], dtype=float)
        params["b" + str(index)] = np.zeros([1, fan_out])
    return params

def initialize_random(layer_dims, scale=10.0, rng=None):
    if rng is None:
        rng = np.random.default_rng()
    params = {}
    for index, (fan_in, fan_out) in enumerate(_shape_pairs(layer_dims), start=1):
        params["W%d" % index] = np.random.Generator.normal(rng, 0.0, scale, size=(fan_in, fan_out))
        params["b%d" % index] = np.zeros((1, fan_out))
    return params

def initialize_he(layer_dims, rng=None):
    rng = rng or np.random.default_rng()
    params = {}
    for index, (fan_in, fan_out) in enumerate(_shape_pairs(layer_dims), start=1):
        params[f"W{index}"] = rng.normal(loc=0.0, scale=(2.0 / fan_in) ** 0.5, size=(fan_in, fan_out))
        params[f"b{index}"] = np.zeros((1, fan_out))
    warnings.warn("initialised with He")
    return params

def _g(z, name):
    if name == "relu":
        return np.where(z > 0, z, 0.0)
    if name == "tanh":
        return np.tanh(z)
    return sigmoid(z)

Cache = namedtuple("Cache", "input weights bias z kind")

def forward(X, params, activation="relu"):
    layers = len([k for k in params if k.startswith("W")])
    caches, A = [], X
    for l in range(1, layers + 1):
        name = activation if l != layers else "sigmoid"
        Z = np.dot(A, params["W" + str(l)]) + params["b" + str(l)]
        caches.append(Cache(A, params["W" + str(l)], params["b" + str(l)], Z, name))
        A = _g(Z, name)
    return A, caches

def compute_cost(AL, Y):
    total = 0.0
    for a, y in zip(AL.ravel(), Y.ravel()):
        a = min(max(a, 1e-15), 1 - 1e-15)
        total -= y * np.log(a) + (1 - y) * np.log(1 - a)
    return total / len(Y)

def _derivative(cache):
    _, _, _, z, kind = cache
    if kind == "relu":
        return (z > 0) * 1.0
    if kind == "tanh":
        return 1 - np.tanh(z) ** 2
    s = sigmoid(z)
    return s * (1 - s)

def backward(AL, Y, caches):
    grads = {}
    dZ = (AL - Y) / Y.shape[0]
    for l in reversed(range(1, len(caches) + 1)):
        A_prev, W = caches[l - 1][0], caches[l - 1][1]
        grads["dW" + str(l)] = np.dot(A_prev.T, dZ)
        grads["db" + str(l)] = np.sum(dZ, axis=0).reshape(1, -1)
        if l > 1:
            dZ = np.dot(dZ, W.T) * _derivative(caches[l - 2])
    return grads

def update_parameters(params, grads, learning_rate):
    new = {}
    for key in params:
        updated = np.array(params[key], dtype=float)
        for index in np.ndindex(updated.shape):
            updated[index] -= learning_rate * grads["d" + key][index]
        new[key] = updated
    return new

def gradient_check(params, X, Y, activation="relu", epsilon=1e-7):
    AL, caches = forward(X, params, activation)
    grads = backward(AL, Y, caches)
    g, g_num = [], []
    for key in sorted(params, reverse=True):  # another order than the reference's, consistently paired
        flat = params[key].ravel()
        for i in range(flat.size):
            plus = {k: v.copy() for k, v in params.items()}
            minus = {k: v.copy() for k, v in params.items()}
            plus[key].ravel()[i] += epsilon
            minus[key].ravel()[i] -= epsilon
            j_plus = compute_cost(forward(X, plus, activation)[0], Y)
            j_minus = compute_cost(forward(X, minus, activation)[0], Y)
            g_num.append((j_plus - j_minus) / (2 * epsilon))
            g.append(grads["d" + key].ravel()[i])
    g, g_num = np.array(g), np.array(g_num)
    return float(np.linalg.norm(g - g_num) / (np.linalg.norm(g) + np.linalg.norm(g_num)))

def train(X, Y, layer_dims, init="he", activation="relu", learning_rate=0.01, num_iterations=15000, rng=None):
    if init == "zeros":
        params = initialize_zeros(layer_dims)
    elif init == "random":
        params = initialize_random(layer_dims, rng=rng)
    else:
        params = initialize_he(layer_dims, rng=rng)
    costs = []
    for i in range(num_iterations):
        AL, caches = forward(X, params, activation)
        costs.append(compute_cost(AL, Y))
        params = update_parameters(params, backward(AL, Y, caches), learning_rate)
    fig, ax = plt.subplots()
    ax.plot(costs)
    plt.close(fig)
    return params, costs

def activation_statistics(X, params, activation="relu"):
    _, caches = forward(X, params, activation)
    out = []
    for cache in caches[:-1]:
        A = _g(cache[3], activation)
        if activation == "relu":
            sat = A <= 0
        elif activation == "tanh":
            sat = np.abs(A) > 0.99
        else:
            sat = (A < 0.01) | (A > 0.99)
        out.append({"mean": float(np.mean(A)), "std": float(np.sqrt(np.mean((A - A.mean()) ** 2))),
                    "saturated_fraction": float(np.count_nonzero(sat) / sat.size)})
    return out

def worked_example(W2):
    X = [[1, 2], [0, 3], [4, 1]]
    dZ2 = [1, 2, 3]
    W1 = [[1, 1, 1], [2, 2, 2]]
    A1 = [[sum(X[i][k] * W1[k][j] for k in range(2)) for j in range(3)] for i in range(3)]
    w2 = [float(v) for v in np.asarray(W2).ravel()]
    dW2 = np.array([[sum(A1[i][j] * dZ2[i] for i in range(3))] for j in range(3)])
    dZ1 = [[dZ2[i] * w2[j] for j in range(3)] for i in range(3)]
    dW1 = np.array([[sum(X[i][k] * dZ1[i][j] for i in range(3)) for j in range(3)] for k in range(2)])
    return dW1, dW2
'''

ANSWERS = {name: ("  " + value().upper() + " ") if isinstance(value(), str) else value()
           for name, value in exec_submission(reference_source()).items() if name.startswith("q_")}

def test_correct_but_unusual_submission_gets_full_marks():
    source = UNUSUAL + "".join(f"\n\ndef {name}():\n    return {answer!r}\n" for name, answer in ANSWERS.items())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        namespace = exec_submission(source)
        for salt in ("unusual-a", "unusual-b"):
            results = run_checks(assignment_checks(ASSIGNMENT), namespace, salt)
            assert [(r.check_id, r.feedback) for r in results if r.score != 1.0] == []

# --- one mistake, charged once -----------------------------------------------------------------------------------

INTEGRATION = {"train.he_learns"}  # the one check that runs the student's functions together, and says so
HELPERS = {"activation_derivative": "backward"}  # a helper's mistake is its caller's

def test_the_checks_that_run_functions_together_say_so_and_carry_at_most_5_percent():
    together = [c for c in assignment_checks(ASSIGNMENT) if "with your own functions" in c.title]
    assert {c.id for c in together} == INTEGRATION
    assert sum(ASSIGNMENT.points[c] for c in INTEGRATION) <= 0.05 * sum(ASSIGNMENT.points.values())

@pytest.mark.parametrize("misconception", CATALOGUE, ids=lambda m: m.id)
def test_one_mistake_costs_points_only_in_its_own_function_s_checks(misconception):
    """Graded by the real isolated grader: a mistake confined to one function loses no point in any other
    function's checks (public or hidden), apart from the named integration check."""
    from grading_helpers import grade_source

    source = misconception.apply(reference_source())
    graded = grade_source(source)
    owner = HELPERS.get(misconception.function, misconception.function)
    collateral = {r.check_id: graded.points[r.check_id] - graded.max_points[r.check_id] for r in graded.results
                  if r.function != owner and r.check_id not in INTEGRATION and r.score < 1.0}
    assert collateral == {}, collateral
    assert any(r.function == owner and r.score < 1.0 for r in graded.results)  # the mistake itself is charged
