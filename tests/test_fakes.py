"""The fake collaborators: the trusted side's predictions of them are exact, and the mistakes they are meant to
expose give answers that differ from a correct run's."""

import itertools

import numpy as np
import pytest
from autograder.labkit.public_checks import TOY_SHAPES, tagged_train_call, toy_difference

from autograder.labkit import fakes
from autograder.labkit.plan import call, execute, fake


def test_the_toy_cost_s_backward_is_its_exact_gradient() -> None:
    generator = np.random.default_rng(5)
    spec = fakes.toy_spec(generator, TOY_SHAPES)
    functions = fakes.build("toy_cost", spec)
    params = {k: generator.standard_normal(shape) for k, shape in TOY_SHAPES.items()}
    grads = functions["backward"](*functions["forward"](None, params)[:1], None, None)
    for key, value in params.items():
        for index in np.ndindex(value.shape):
            shifted = {k: v.copy() for k, v in params.items()}
            costs = []
            for step in (1e-5, -1e-5):
                shifted[key][index] = value[index] + step
                costs.append(functions["compute_cost"](functions["forward"](None, shifted)[0], None))
            assert np.isclose((costs[0] - costs[1]) / 2e-5, grads["d" + key][index], rtol=1e-7, atol=1e-9)


def test_the_reference_gradient_check_on_the_toy_cost_gives_the_predicted_value(reference_namespace) -> None:
    generator = np.random.default_rng(9)
    for factors in ({}, {"dW2": 2.0}, {"db1": 0.5, "dW1": 3.0}):
        spec = fakes.toy_spec(generator, TOY_SHAPES, factors)
        params = {k: generator.standard_normal(shape) for k, shape in TOY_SHAPES.items()}
        plan = [fake("toy_cost", spec), call("d", "gradient_check", params, np.ones((3, 2)), np.ones((3, 1)),
                                             returns="float")]
        got = execute(plan, reference_namespace)["values"]["d"]
        expected = toy_difference(spec, params)
        assert (got < 1e-7) if not factors else abs(got - expected) <= 1e-6 * expected


@pytest.mark.parametrize("init", sorted(fakes.INIT_TAGS))
def test_simulate_is_what_the_reference_train_returns_on_the_tagged_fakes(init, reference_namespace) -> None:
    dims, X, Y = [3, 4, 2, 1], np.ones((5, 3)), np.array([[1.0], [0.0], [1.0], [0.0], [0.0]])
    observation = execute(tagged_train_call("run", X, Y, dims, init, "sigmoid", 0.3, 4, 17), reference_namespace)
    params, costs = observation["values"]["run"]
    want_params, want_costs = fakes.simulate(Y, dims, init, 0.3, 4, 17)
    assert np.allclose(costs, want_costs, rtol=1e-12) and len(costs) == 4
    assert all(np.allclose(params[k], want_params[k], rtol=1e-12) for k in want_params)


def test_every_orchestration_mistake_changes_the_costs_so_the_verdict_can_tell_them_apart() -> None:
    Y, dims = np.array([[1.0], [0.0], [0.0]]), [2, 3, 1]
    variants = {"right": {}, "no rng": {"seed": None}, "after": {"cost_after_update": True},
                "inline": {"inline_update": True}, **{f"init {i}": {"init": i} for i in ("zeros", "random")}}
    runs = {name: fakes.simulate(**{"Y": Y, "layer_dims": dims, "init": "he", "learning_rate": 0.2,
                                    "num_iterations": 3, "seed": 4, **v})[1] for name, v in variants.items()}
    for (a, costs_a), (b, costs_b) in itertools.combinations(runs.items(), 2):
        assert not np.allclose(costs_a, costs_b, rtol=1e-9), (a, b)
