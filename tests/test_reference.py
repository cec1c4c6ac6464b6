"""The reference solution is right: gradients, the worked example, symmetry, stability, and training."""

import warnings
from typing import Any

import numpy as np
import pytest
from autograder.labkit.data import make_circles
from conftest import exec_submission, reference_source

ACTIVATIONS = ["relu", "tanh", "sigmoid"]


def _centred_differences(ref: dict[str, Any], params: dict, X: np.ndarray, Y: np.ndarray, activation: str,
                         epsilon: float) -> dict[str, np.ndarray]:
    """d cost / d every parameter by centred differences, written here independently of gradient_check."""
    gradient = {}
    for key, value in params.items():
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            costs = []
            for sign in (1, -1):
                shifted = {k: v.copy() for k, v in params.items()}
                shifted[key][index] += sign * epsilon
                costs.append(ref["compute_cost"](ref["forward"](X, shifted, activation)[0], Y))
            grad[index] = (costs[0] - costs[1]) / (2 * epsilon)
        gradient["d" + key] = grad
    return gradient


def _net_away_from_kinks(ref: dict[str, Any], seed: int) -> tuple[dict, np.ndarray, np.ndarray]:
    """A [4, 5, 3, 1] net and data whose hidden pre-activations are all >= 0.05 away from 0 (the ReLU kink)."""
    rng = np.random.default_rng(seed)
    while True:
        params = ref["initialize_he"]([4, 5, 3, 1], rng=rng)
        params = {k: v + 0.1 * rng.standard_normal(v.shape) for k, v in params.items()}  # non-zero biases too
        X = rng.standard_normal((6, 4))
        Y = np.array([[1.0], [0.0], [0.0], [1.0], [0.0], [0.0]])  # unbalanced: no gradient cancels
        _, caches = ref["forward"](X, params, "relu")
        if all(np.abs(cache[2]).min() > 0.05 for cache in caches[:-1]):
            return params, X, Y


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backward_matches_centred_differences(reference_namespace, activation: str, seed: int) -> None:
    ref = reference_namespace
    params, X, Y = _net_away_from_kinks(ref, seed)
    AL, caches = ref["forward"](X, params, activation)
    grads = ref["backward"](AL, Y, caches)
    numeric = _centred_differences(ref, params, X, Y, activation, 1e-5)
    keys = sorted(numeric)
    g = np.concatenate([grads[k].ravel() for k in keys])
    g_num = np.concatenate([numeric[k].ravel() for k in keys])
    assert np.linalg.norm(g - g_num) / (np.linalg.norm(g) + np.linalg.norm(g_num)) <= 1e-7
    assert ref["gradient_check"](params, X, Y, activation, 1e-5) <= 1e-7


def test_gradient_check_exposes_a_broken_backward() -> None:
    namespace = exec_submission(reference_source())  # a private copy: its backward is replaced below
    correct_backward = namespace["backward"]
    namespace["backward"] = lambda *args: {k: 2 * v for k, v in correct_backward(*args).items()}
    params, X, Y = _net_away_from_kinks(namespace, 0)
    # ||2g - g|| / (||2g|| + ||g||) = 1/3 exactly, up to the centred differences' own error.
    assert namespace["gradient_check"](params, X, Y, "tanh", 1e-5) == pytest.approx(1 / 3, abs=1e-6)


def test_the_corrected_worked_example(reference_namespace) -> None:
    dW1, dW2 = reference_namespace["worked_example"](np.array([[3.0], [1.0], [2.0]]))
    assert dW2.tolist() == [[35.0], [35.0], [35.0]]
    assert dW1.tolist() == [[39.0, 13.0, 26.0], [33.0, 11.0, 22.0]]  # columns differ: symmetry breaks
    dW1_equal, _ = reference_namespace["worked_example"](np.array([[3.0], [3.0], [3.0]]))
    assert dW1_equal.tolist() == [[39.0, 39.0, 39.0], [33.0, 33.0, 33.0]]


def _units_identical(W: np.ndarray) -> bool:
    spread = np.abs(W - W[:, :1]).max()
    return spread <= 1e-9 * max(np.abs(W).max(), 1e-300)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_zero_init_keeps_every_hidden_layers_units_identical(reference_namespace, activation: str) -> None:
    ref = reference_namespace
    X, Y, _, _ = make_circles(n_train=60, n_test=10, seed=3)
    Y = (np.arange(60) % 3 == 0).astype(float).reshape(60, 1)  # unbalanced labels
    params, _ = ref["train"](X, Y, [2, 6, 4, 1], init="zeros", activation=activation, learning_rate=0.5,
                             num_iterations=40)
    for l in (1, 2, 3):
        assert _units_identical(params[f"W{l}"]), f"W{l}"


def test_zero_init_with_relu_gives_no_hidden_gradient(reference_namespace) -> None:
    ref = reference_namespace
    X, _, _, _ = make_circles(n_train=50, n_test=10, seed=4)
    Y = (np.arange(50) % 4 == 0).astype(float).reshape(50, 1)
    params = ref["initialize_zeros"]([2, 8, 4, 1])
    AL, caches = ref["forward"](X, params, "relu")
    grads = ref["backward"](AL, Y, caches)
    assert all(not np.any(grads[k]) for k in grads if k != "db3")
    assert grads["db3"].item() == pytest.approx(0.5 - 0.26)  # mean(AL - Y): only the output bias moves


def test_he_trains_the_circles(reference_namespace) -> None:
    ref = reference_namespace
    X, Y, _, _ = make_circles(seed=1)
    params, costs = ref["train"](X, Y, [2, 10, 5, 1], init="he", learning_rate=0.5, num_iterations=3000,
                                 rng=np.random.default_rng(0))
    accuracy = float(((ref["forward"](X, params, "relu")[0] > 0.5) == Y).mean())
    assert accuracy >= 0.95 and costs[-1] < costs[0] and len(costs) == 3000


def test_saturated_outputs_give_finite_cost_and_no_overflow_warning(reference_namespace) -> None:
    ref = reference_namespace
    params = ref["initialize_random"]([2, 10, 5, 1], scale=1000.0, rng=np.random.default_rng(0))
    X = np.random.default_rng(1).standard_normal((20, 2))
    Y = (np.arange(20) % 2).astype(float).reshape(20, 1)
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        for activation in ACTIVATIONS:
            AL, caches = ref["forward"](X, params, activation)
            assert set(np.unique(AL)) <= {0.0, 1.0}  # saturated to exactly 0 and 1
            cost = ref["compute_cost"](AL, Y)
            grads = ref["backward"](AL, Y, caches)
            assert np.isfinite(cost) and all(np.all(np.isfinite(g)) for g in grads.values())
    # The documented answer: clipped to [1e-15, 1 - 1e-15], a confidently wrong example costs -log(1e-15).
    wrong = ref["compute_cost"](np.array([[1.0], [0.0]]), np.array([[0.0], [1.0]]))
    assert wrong == pytest.approx(-np.log(1e-15), rel=1e-4)  # 1 - (1 - 1e-15) rounds to 1.1e-15 in float64


def test_update_returns_new_arrays_and_leaves_its_inputs_alone(reference_namespace) -> None:
    params = {"W1": np.ones((2, 3)), "b1": np.zeros((1, 3))}
    grads = {"dW1": np.full((2, 3), 2.0), "db1": np.ones((1, 3))}
    new = reference_namespace["update_parameters"](params, grads, 0.25)
    assert np.array_equal(new["W1"], np.full((2, 3), 0.5)) and np.array_equal(new["b1"], np.full((1, 3), -0.25))
    assert np.array_equal(params["W1"], np.ones((2, 3))) and np.array_equal(grads["dW1"], np.full((2, 3), 2.0))
