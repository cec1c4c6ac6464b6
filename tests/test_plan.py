"""The probe-plan interpreter: refs, rngs, tuples, failures, stubs named where they are, repeated calls, fakes."""

import json

import numpy as np

from autograder.labkit import fakes, plain
from autograder.labkit.plan import AGAIN, Status, call, execute, fake, normal, ref, rng, tuples


def test_refs_pass_the_original_object_and_rngs_are_fresh_generators() -> None:
    seen = {}

    def make():
        return {"cache": object()}

    def use(value, generator):
        seen["value"], seen["draw"] = value, generator.standard_normal()
        return 1.0

    plan = [call("a", "make", returns="opaque"), call("b", "use", ref("a", plain=False), rng(3), returns="float")]
    observation = execute(plan, {"make": make, "use": use})
    assert observation["failure"] is None and observation["values"]["b"] == 1.0
    assert "cache" in seen["value"] and seen["draw"] == np.random.default_rng(3).standard_normal()


def test_refs_are_plain_copies_by_default_so_lying_objects_do_not_carry_over() -> None:
    class Liar(np.ndarray):
        def std(self, *args, **kwargs):
            return 1.0

    def init():
        return {"W1": np.zeros((3, 2)).view(Liar)}

    def spread(params):
        return float(params["W1"].std())

    observation = execute([call("p", "init", returns="opaque"), call("s", "spread", ref("p"), returns="float")],
                          {"init": init, "spread": spread})
    assert observation["values"]["s"] == 0.0  # the real data's std, not the subclass's claim


def test_failures_are_classified_and_stop_the_plan() -> None:
    def stub():
        raise NotImplementedError()

    def broken():
        return [1, 2][5]

    namespace = {"stub": stub, "broken": broken, "bad_type": lambda: object()}
    cases = {"stub": "not_attempted", "broken": "error", "bad_type": "invalid", "absent": "missing"}
    for function, kind in cases.items():
        observation = execute([call("x", function, returns="array"), call("y", "stub")], namespace)
        assert observation["failure"]["kind"] == kind, function
        assert observation["failure"]["function"] == function
        assert "y" not in observation["values"]


def test_a_status_is_its_plain_value_in_text_and_json_and_comes_back_from_json() -> None:
    assert (str(Status.NOT_ATTEMPTED), f"{Status.PASSED}|{Status.FAILED:>8}", format(Status.ERROR)) == \
        ("not_attempted", "passed|  failed", "error")
    assert json.dumps({Status.TIMEOUT: [Status.CRASHED]}) == '{"timeout": ["crashed"]}'
    assert Status(json.loads(json.dumps(Status.INVALID))) is Status.INVALID == "invalid"


def test_inputs_given_to_the_student_are_copies_and_a_second_call_shows_mutation() -> None:
    data = np.ones((2, 2))

    def mutate(params):
        params["W1"] *= 2
        return {"W1": params["W1"].copy()}

    def pure(params):
        return {"W1": params["W1"] * 2}

    observation = execute([call("m", "mutate", {"W1": data}, returns="params", again=True),
                           call("p", "pure", {"W1": data}, returns="params", again=True)],
                          {"mutate": mutate, "pure": pure})
    values = observation["values"]
    assert np.array_equal(data, np.ones((2, 2)))  # our copy is untouched
    # The second call got the same (changed) objects: a function that mutates answers differently.
    assert np.array_equal(values["m"]["W1"], 2 * data) and np.array_equal(values["m" + AGAIN]["W1"], 4 * data)
    assert np.array_equal(values["p"]["W1"], values["p" + AGAIN]["W1"])


def test_a_stub_called_by_a_written_function_is_named_and_the_caller_is_not_called_not_attempted() -> None:
    namespace = {"__name__": "submission"}
    exec(compile("def helper(x):\n    raise NotImplementedError\n\ndef backward(x):\n    return helper(x)\n\n"
                 "def stub(x):\n    raise NotImplementedError\n", "<student code>", "exec"), namespace)
    failure = execute([call("g", "backward", 1.0)], namespace)["failure"]
    assert failure["kind"] == "incomplete" and failure["function"] == "backward"
    assert "`backward` calls `helper`, which is not attempted yet" in failure["message"]
    assert execute([call("s", "stub", 1.0)], namespace)["failure"]["kind"] == "not_attempted"


def test_tuples_turn_items_into_tuples() -> None:
    seen = {}

    def backward(caches):
        seen["types"] = [type(layer) for layer in caches]
        return 0.0

    execute([call("b", "backward", tuples([[np.ones(2), "relu"], [np.zeros(1), "sigmoid"]]), returns="float")],
            {"backward": backward})
    assert seen["types"] == [tuple, tuple]


def test_fakes_replace_collaborators_during_the_plan_and_are_removed_after() -> None:
    namespace = {"__name__": "submission"}
    exec(compile("def forward(X, params, activation='relu'):\n    return 'mine', []\n\n"
                 "def cost_of(params):\n    return compute_cost(forward(None, params)[0], None)\n",
                 "<student code>", "exec"), namespace)
    spec = fakes.toy_spec(np.random.default_rng(0), {"W1": (2, 1)})
    params = {"W1": np.array([[0.5], [-0.5]])}
    observation = execute([fake("toy_cost", spec), call("c", "cost_of", params, returns="float")], namespace)
    d = params["W1"] - spec["centre"]["W1"]
    expected = np.sum(spec["curvature"]["W1"] * d**2 / 2 + spec["cubic"]["W1"] * d**3 / 6)
    assert observation["failure"] is None and np.isclose(observation["values"]["c"], expected)
    assert namespace["forward"](None, None)[0] == "mine"  # the student's own forward is back
    assert "compute_cost" not in namespace  # and a fake the student never defined is gone


def test_misusing_a_fake_is_the_callers_error_with_the_fakes_words() -> None:
    namespace = {"__name__": "submission"}
    exec(compile("def train(X, Y, layer_dims, init='he', activation='relu', learning_rate=0.1, num_iterations=1, "
                 "rng=None):\n    p = initialize_he(layer_dims, rng=rng)\n    forward(X, p, 'relu')\n",
                 "<student code>", "exec"), namespace)
    spec = {"layer_dims": [2, 1], "activation": "tanh", "m": 3}
    plan = [fake("tagged_training", spec), call("t", "train", np.ones((3, 2)), np.ones((3, 1)), [2, 1],
                                                activation="tanh")]
    failure = execute(plan, namespace)["failure"]
    assert failure["kind"] == "error" and "activation='relu'" in failure["message"] and "'tanh'" in failure["message"]


def test_normal_inputs_are_drawn_where_the_plan_runs_from_the_seed_that_travels() -> None:
    seen = []

    def stats(W):
        seen.append(W)
        return float(W.sum())

    plan = [call("s", "stats", normal(7, (300, 40), 0.5), returns="float")]
    execute(plain.loads(plain.dumps(plan)), {"stats": stats})
    execute(plan, {"stats": stats})
    expected = 0.5 * np.random.default_rng(7).standard_normal((300, 40))
    assert all(W.dtype == np.float64 and np.array_equal(W, expected) for W in seen)  # same values on both sides
    assert len(plain.dumps(plan)) < 300  # the seed travels, not 12,000 numbers


def test_keep_sends_back_only_the_named_items_of_a_returned_dict() -> None:
    def grads(n):
        return {f"dW{l}": np.full((n, n), float(l)) for l in range(1, 11)}

    plan = [call("g", "grads", 3, returns="params", keep=("dW1", "dW10", "dW99")),
            call("all", "grads", 3, returns="params"), call("n", "count", returns="int", keep=("dW1",))]
    values = execute(plan, {"grads": grads, "count": lambda: 7})["values"]
    assert sorted(values["g"]) == ["dW1", "dW10"] and np.array_equal(values["g"]["dW10"], np.full((3, 3), 10.0))
    assert len(values["all"]) == 10 and values["n"] == 7  # without keep, or not a dict: all of it
