"""The probe-plan interpreter: refs, rngs, failures, argument reports and patches."""

import numpy as np

from autograder.labkit.plan import call, execute, numerical_gradient, patch, ref, rng


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


def test_inputs_given_to_the_student_are_copies_and_mutation_is_reported() -> None:
    data = np.ones((2, 2))

    def mutate(params):
        params["W1"] *= 2
        return params

    observation = execute([call("m", "mutate", {"W1": data}, returns="params", report_args=True)], {"mutate": mutate})
    assert np.array_equal(data, np.ones((2, 2)))  # our copy is untouched
    assert np.array_equal(observation["values"]["m.args_after"]["args"][0]["W1"], 2 * np.ones((2, 2)))


def test_patch_scales_a_key_during_the_plan_and_is_undone() -> None:
    namespace = {"backward": lambda: {"dW1": np.ones(2)}}
    namespace["probe"] = lambda: namespace["backward"]()["dW1"]
    observation = execute([patch("backward", "dW1", 1.5), call("g", "probe", returns="array")], namespace)
    assert np.array_equal(observation["values"]["g"], [1.5, 1.5])
    assert np.array_equal(namespace["backward"]()["dW1"], [1.0, 1.0])


def test_numerical_gradient_uses_the_students_forward_and_cost(reference_namespace) -> None:
    generator = np.random.default_rng(0)
    X, Y = generator.standard_normal((4, 2)), np.array([[1.0], [0.0], [0.0], [1.0]])
    params = reference_namespace["initialize_he"]([2, 3, 1], rng=generator)
    observation = execute([numerical_gradient("n", params, X, Y, "tanh", 1e-6)], reference_namespace)
    AL, caches = reference_namespace["forward"](X, params, "tanh")
    grads = reference_namespace["backward"](AL, Y, caches)
    for key, value in grads.items():
        assert np.allclose(observation["values"]["n"][key], value, atol=1e-8)


def test_a_cost_that_is_not_a_float_fails_the_numerical_gradient_step_by_name(reference_namespace) -> None:
    # A common mistake: compute_cost without the mean returns an (m, 1) array, not a float.
    def compute_cost(AL, Y):
        return -(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))

    namespace = {**reference_namespace, "compute_cost": compute_cost}
    X, Y = np.ones((3, 2)), np.array([[1.0], [0.0], [1.0]])
    params = reference_namespace["initialize_he"]([2, 2, 1], rng=np.random.default_rng(0))
    observation = execute([numerical_gradient("n", params, X, Y, "tanh", 1e-6)], namespace)
    assert observation["failure"]["kind"] == "invalid" and observation["failure"]["function"] == "compute_cost"
    assert "should be a Python float" in observation["failure"]["message"]
