"""Public checks of the initialization assignment: properties and small hand-verifiable answers.

They ship with the student release and run in the notebook (`check(initialize_he)`), with pytest, and
as part of grading. They never use the reference solution: every expected number here is either a
property (shapes, zero biases, a scale within a wide tolerance) or a tiny example you can verify by
hand. Hidden checks (instructor side) compare against the reference on fresh inputs.
"""

import math
from typing import Any

import numpy as np

from .compare import all_or_nothing, expected_keys, relative_error, shape_problems, summary
from .framework import PUBLIC, Check, Probe, Verdict
from .plan import call, numerical_gradient, patch, ref, rng

ACTIVATIONS = ("relu", "tanh", "sigmoid")

# A tiny network, small enough to verify by hand: 2 inputs, 3 hidden units, 1 output; 2 examples.
# E.g. with ReLU, Z1 = [[-1.1, -1.0, 1.0], [0.41, -0.11, -0.2]], so A1 = [[0, 0, 1], [0.41, 0, 0]].
TINY_X = [[1.0, -2.0], [0.5, 0.3]]
TINY_PARAMS = {
    "W1": [[0.2, -0.4, 0.1], [0.7, 0.3, -0.5]],
    "b1": [[0.1, 0.0, -0.1]],
    "W2": [[0.5], [-0.3], [0.8]],
    "b2": [[0.05]],
}
TINY_AL = {  # forward(TINY_X, TINY_PARAMS, activation)[0], one value per example
    "relu": [0.700567142473973, 0.5634067862621936],
    "tanh": [0.6195182768101695, 0.5297656683100556],
    "sigmoid": [0.6635231477864201, 0.6385135717432332],
}
TINY_STATS = {  # activation_statistics(TINY_X, TINY_PARAMS, activation)[0]
    "relu": {"mean": 0.235, "std": 0.3734412046538696, "saturated_fraction": 4 / 6},
    "tanh": {"mean": -0.11982668866398367, "std": 0.5651799842260399, "saturated_fraction": 0.0},
    "sigmoid": {"mean": 0.4622535785993634, "std": 0.170447652786417, "saturated_fraction": 0.0},
}

# Widths with fan_in != fan_out everywhere, and >= 1800 entries per weight matrix: a scale
# off by the factor sqrt(2) (1/n instead of 2/n) or fan-out instead of fan-in cannot hide.
WIDE_DIMS = [60, 40, 90, 1]


def _arrays(params: dict[str, Any]) -> dict[str, np.ndarray]:
    return {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}


def _tiny_params() -> dict[str, np.ndarray]:
    return _arrays(TINY_PARAMS)


def _dtype_problems(got: dict[str, np.ndarray], what: str) -> list[str]:
    return [f'{what}["{k}"] has dtype {v.dtype}, expected float64' for k, v in got.items() if v.dtype != np.float64]


def _bias_problems(got: dict[str, np.ndarray], what: str) -> list[str]:
    return [f'{what}["{k}"] should be all zeros; got {summary(v)}'
            for k, v in got.items() if k.startswith("b") and np.any(v != 0)]


# --- initializers --------------------------------------------------------------------------------------

def _init_shapes_check(function: str, extra_kwargs: dict[str, Any]) -> Check:
    dims = [3, 5, 2, 1]

    def probe(_: np.random.Generator) -> Probe:
        kwargs = {"rng": rng(0), **extra_kwargs} if function != "initialize_zeros" else {}
        return Probe([call("init", function, dims, returns="params", **kwargs)], {"dims": dims})

    def verdict(values: dict, p: Probe) -> Verdict:
        got = values["init"]
        what = f"{function}({p.context['dims']})"
        return all_or_nothing(shape_problems(got, p.context["dims"], what) + _dtype_problems(got, what))

    return Check(f"{function}.shapes", function, "a W and a b per layer, right shapes, float64", PUBLIC,
                 probe, verdict)


def _zeros_values_check() -> Check:
    dims = [4, 3, 1]

    def probe(_: np.random.Generator) -> Probe:
        return Probe([call("init", "initialize_zeros", dims, returns="params")], {"dims": dims})

    def verdict(values: dict, p: Probe) -> Verdict:
        got = values["init"]
        problems = shape_problems(got, p.context["dims"], "initialize_zeros")
        problems += [f'W and b should be all zeros; "{k}" has {summary(v)}' for k, v in got.items() if np.any(v != 0)]
        return all_or_nothing(problems)

    return Check("initialize_zeros.zeros", "initialize_zeros", "every weight and bias is zero", PUBLIC,
                 probe, verdict)


def _scale_problems(got: dict[str, np.ndarray], dims: list[int], expected_std: list[float], what: str) -> list[str]:
    """Per large weight matrix: is the sample std within 10% of the target?

    With >= 1800 entries the std's sampling noise is ~1.7%, so 10% is 6 standard errors and the mean
    bound (0.2 target) 8.5: a correct draw, whatever numpy call made it, essentially never fails.
    """
    problems = shape_problems(got, dims, what)
    if problems:
        return problems
    problems += _bias_problems(got, what)
    for l, target in enumerate(expected_std, start=1):
        W = got[f"W{l}"]
        if W.size < 1000:
            continue  # too few draws to judge a scale without failing correct code by chance
        std, mean = float(W.std()), float(W.mean())
        if not 0.9 * target <= std <= 1.1 * target:
            problems.append(f'{what}["W{l}"] (fan_in {dims[l - 1]}) has std {std:.4g}, expected {target:.4g}'
                            + _scale_hint(std, dims[l - 1], dims[l]))
        elif abs(mean) > 0.2 * target:
            problems.append(f'{what}["W{l}"] has mean {mean:.3g}: weights should be centred on 0 (use a normal '
                            f"draw, not a uniform one on [0, 1))")
    return problems


def _scale_hint(std: float, fan_in: int, fan_out: int) -> str:
    """Name the usual mistake when the std matches it."""
    known = {
        f"sqrt(1/fan_in) = {math.sqrt(1 / fan_in):.4g}, the Xavier/LeCun scale, not He's": math.sqrt(1 / fan_in),
        f"sqrt(2/fan_out) = {math.sqrt(2 / fan_out):.4g}: use fan_in = W.shape[0] = n_(l-1)": math.sqrt(2 / fan_out),
        f"2/fan_in = {2 / fan_in:.4g}: the variance is 2/n, so the std needs a square root": 2 / fan_in,
        "0.2887, the std of rand (uniform on [0, 1)): use a normal draw": math.sqrt(1 / 12),
    }
    for text, value in known.items():
        if abs(std - value) <= 0.05 * value:
            return f" -- this matches {text}"
    return ""


def _random_scale_check() -> Check:
    def probe(_: np.random.Generator) -> Probe:
        plan = [call("default", "initialize_random", WIDE_DIMS, rng=rng(1), returns="params"),
                call("scaled", "initialize_random", WIDE_DIMS, scale=0.5, rng=rng(2), returns="params")]
        return Probe(plan)

    def verdict(values: dict, _: Probe) -> Verdict:
        problems = _scale_problems(values["default"], WIDE_DIMS, [10.0] * 3, "initialize_random(dims)")
        problems += _scale_problems(values["scaled"], WIDE_DIMS, [0.5] * 3, "initialize_random(dims, scale=0.5)")
        return all_or_nothing(problems)

    return Check("initialize_random.scale", "initialize_random", "weights have std `scale` (default 10), biases 0",
                 PUBLIC, probe, verdict)


def _he_scale_check() -> Check:
    def probe(_: np.random.Generator) -> Probe:
        return Probe([call("he", "initialize_he", WIDE_DIMS, rng=rng(3), returns="params")])

    def verdict(values: dict, _: Probe) -> Verdict:
        targets = [math.sqrt(2 / n) for n in WIDE_DIMS[:-1]]
        return all_or_nothing(_scale_problems(values["he"], WIDE_DIMS, targets, f"initialize_he({WIDE_DIMS})"))

    return Check("initialize_he.scale", "initialize_he", "W{l} has std sqrt(2 / fan_in), biases 0", PUBLIC,
                 probe, verdict, "He initialization")


def _he_rng_check() -> Check:
    dims = [30, 20, 1]

    def probe(_: np.random.Generator) -> Probe:
        plan = [call(name, "initialize_he", dims, rng=rng(seed), returns="params")
                for name, seed in (("first", 7), ("again", 7), ("other", 8))]
        return Probe(plan)

    def verdict(values: dict, _: Probe) -> Verdict:
        first, again, other = values["first"], values["again"], values["other"]
        if set(first) != set(again) or any(not np.array_equal(first[k], again[k]) for k in first):
            return Verdict(0.0, "initialize_he(dims, rng=np.random.default_rng(7)) gave different weights on two "
                                "calls: draw from the `rng` argument (rng.standard_normal), not np.random")
        if all(np.array_equal(first[k], other.get(k)) for k in first if k.startswith("W")):
            return Verdict(0.0, "initialize_he gave the same weights for seeds 7 and 8: draw from `rng`")
        return Verdict(1.0)

    return Check("initialize_he.rng", "initialize_he", "draws from the rng argument (same seed, same weights)",
                 PUBLIC, probe, verdict, "He initialization")


# --- forward, cost, backward, update -----------------------------------------------------------------

def _forward_known_answer_check() -> Check:
    def probe(_: np.random.Generator) -> Probe:
        X, params = np.array(TINY_X), _tiny_params()
        plan = [call(a, "forward", X, params, activation=a, returns=["array", "opaque"]) for a in ACTIVATIONS]
        return Probe(plan)

    def verdict(values: dict, _: Probe) -> Verdict:
        problems = []
        for a in ACTIVATIONS:
            AL = values[a][0]
            expected = np.array(TINY_AL[a]).reshape(2, 1)
            if AL.shape != (2, 1):
                problems.append(f"forward(X (2, 2), params, '{a}') returned AL of shape {AL.shape}, expected (2, 1)")
            elif relative_error(AL, expected) > 1e-7:
                problems.append(f"forward(..., activation='{a}') on the tiny example gave AL = "
                                f"{np.round(AL.ravel(), 6).tolist()}, expected {np.round(expected.ravel(), 6).tolist()}"
                                " (hidden layers use the activation, the output layer sigmoid)")
        return all_or_nothing(problems)

    return Check("forward.tiny_example", "forward", "the tiny 2-3-1 example gives the right AL for every activation",
                 PUBLIC, probe, verdict, "Forward propagation")


def _cost_known_answer_check() -> Check:
    AL, Y = [[0.8], [0.9], [0.4]], [[1.0], [1.0], [0.0]]
    expected = -(math.log(0.8) + math.log(0.9) + math.log(0.6)) / 3

    def probe(_: np.random.Generator) -> Probe:
        return Probe([call("cost", "compute_cost", np.array(AL), np.array(Y), returns="float")])

    def verdict(values: dict, _: Probe) -> Verdict:
        got = values["cost"]
        if abs(got - expected) <= 1e-9 * expected:
            return Verdict(1.0)
        hint = " -- that is the sum, not the mean over examples" if abs(got - 3 * expected) < 1e-6 else ""
        return Verdict(0.0, f"compute_cost(AL={AL}, Y={Y}) returned {got:.6g}, expected "
                            f"-(ln 0.8 + ln 0.9 + ln 0.6) / 3 = {expected:.6g}{hint}")

    return Check("compute_cost.known_answer", "compute_cost", "mean cross-entropy of a 3-example case", PUBLIC,
                 probe, verdict, "Cost")


def _cost_saturated_check() -> Check:
    AL, Y = [[1.0], [0.0], [0.5]], [[0.0], [1.0], [1.0]]

    def probe(_: np.random.Generator) -> Probe:
        return Probe([call("cost", "compute_cost", np.array(AL), np.array(Y), returns="float")])

    def verdict(values: dict, _: Probe) -> Verdict:
        got = values["cost"]
        if math.isfinite(got) and got > 20:
            return Verdict(1.0)
        return Verdict(0.0, f"compute_cost(AL={AL}, Y={Y}) returned {got}: outputs that saturate to exactly 0 or 1 "
                            "must give a large finite cost, not inf or nan -- clip AL to [1e-15, 1 - 1e-15]")

    return Check("compute_cost.saturated", "compute_cost", "finite when outputs saturate to exactly 0 or 1", PUBLIC,
                 probe, verdict, "Cost")


def _small_net(generator: np.random.Generator, dims: list[int], m: int) -> tuple[np.ndarray, np.ndarray, dict]:
    X = generator.standard_normal((m, dims[0]))
    Y = (np.arange(m) % 3 == 0).astype(np.float64).reshape(m, 1)  # unbalanced labels: no gradient cancels
    params = {}
    for l in range(1, len(dims)):
        params[f"W{l}"] = generator.standard_normal((dims[l - 1], dims[l])) * math.sqrt(2 / dims[l - 1])
        params[f"b{l}"] = 0.1 * generator.standard_normal((1, dims[l]))
    return X, Y, params


def _relu_net_clear_of_kinks(generator: np.random.Generator, dims: list[int], m: int
                             ) -> tuple[np.ndarray, np.ndarray, dict]:
    """A ReLU test net whose every hidden pre-activation is >= 0.1 away from the kink at 0, by construction.

    Inputs are positive, and each hidden unit's incoming weights and bias share one sign: a "+" unit gets
    Z >= 0.1 (active), a "-" unit Z <= -0.1 (inactive), whatever the positive activations below it are. So
    a finite difference never straddles the kink, and both branches of relu' are exercised.
    """
    X = generator.uniform(0.5, 1.5, (m, dims[0]))
    Y = (np.arange(m) % 3 == 0).astype(np.float64).reshape(m, 1)
    params = {}
    for l in range(1, len(dims)):
        fan_in, width = dims[l - 1], dims[l]
        if l == len(dims) - 1:  # sigmoid output: any sign, modest size
            params[f"W{l}"] = generator.standard_normal((fan_in, width)) / np.sqrt(fan_in)
            params[f"b{l}"] = 0.1 * generator.standard_normal((1, width))
            continue
        signs = np.where(np.arange(width) % 2 == 0, 1.0, -1.0)  # alternate: some units active, some not
        params[f"W{l}"] = generator.uniform(0.1, 1.0, (fan_in, width)) * signs / fan_in
        params[f"b{l}"] = generator.uniform(0.1, 0.3, (1, width)) * signs
    return X, Y, params


def _backward_numerical_check() -> Check:
    dims, m = [3, 4, 3, 1], 5

    def probe(generator: np.random.Generator) -> Probe:
        nets = {"relu": _relu_net_clear_of_kinks(generator, dims, m), "tanh": _small_net(generator, dims, m),
                "sigmoid": _small_net(generator, dims, m)}
        plan = []
        for a in ACTIVATIONS:
            X, Y, params = nets[a]
            plan += [call(f"fwd_{a}", "forward", X, params, activation=a, returns=["array", "opaque"]),
                     call(f"grads_{a}", "backward", ref(f"fwd_{a}", 0), Y, ref(f"fwd_{a}", 1, plain=False),
                          returns="params"),
                     numerical_gradient(f"num_{a}", params, X, Y, a, 1e-6)]
        return Probe(plan, {"dims": dims})

    def verdict(values: dict, p: Probe) -> Verdict:
        # One L2 relative error over all gradients stacked: a per-key ratio is noise when a key is nearly zero.
        problems = []
        keys = expected_keys(p.context["dims"], "d")
        for a in ACTIVATIONS:
            grads, numeric = values[f"grads_{a}"], values[f"num_{a}"]
            shape = shape_problems(grads, p.context["dims"], f"backward (activation '{a}')", prefix="d")
            if shape:
                problems += shape
                continue
            error = relative_error(np.concatenate([grads[k].ravel() for k in keys]),
                                   np.concatenate([numeric[k].ravel() for k in keys]))
            if error > 1e-6:
                worst = max(keys, key=lambda k: np.linalg.norm(grads[k] - numeric[k]))
                problems.append(f"backward with '{a}' hidden layers differs from the centred differences of your "
                                f"forward + compute_cost (relative error {error:.2g}); most of all in {worst}: got "
                                f"{summary(grads[worst])}, numerically {summary(numeric[worst])}")
        return all_or_nothing(problems)

    return Check("backward.numerical_gradient", "backward",
                 "matches centred differences of your own forward + cost (every activation)", PUBLIC, probe, verdict,
                 "Backward propagation")


def _update_check() -> Check:
    params = {"W1": [[1.0, -2.0]], "b1": [[0.5, 0.0]]}
    grads = {"dW1": [[0.1, 0.2]], "db1": [[-1.0, 4.0]]}
    expected = {"W1": [[0.95, -2.1]], "b1": [[1.0, -2.0]]}

    def probe(_: np.random.Generator) -> Probe:
        return Probe([call("new", "update_parameters", _arrays(params), _arrays(grads), 0.5, returns="params",
                           report_args=True)])

    def verdict(values: dict, _: Probe) -> Verdict:
        got = values["new"]
        problems = shape_problems(got, [1, 2], "update_parameters(...)")
        if not problems:
            for key, value in expected.items():
                if relative_error(got[key], np.array(value)) > 1e-12:
                    hint = " (sign: subtract learning_rate * gradient)" if np.allclose(
                        got[key], 2 * np.array(params[key]) - np.array(value)) else ""
                    problems.append(f'update_parameters gave {key} = {got[key].tolist()}, expected {value}{hint}')
        after = values["new.args_after"]["args"]
        if not np.array_equal(after[0]["W1"], np.array(params["W1"])) or not np.array_equal(
                after[0]["b1"], np.array(params["b1"])):
            problems.append("update_parameters changed the `params` dict it was given: build and return a new dict")
        return all_or_nothing(problems)

    return Check("update_parameters.known_answer", "update_parameters",
                 "one step with learning rate 0.5; the input dict is left unchanged", PUBLIC, probe, verdict,
                 "Gradient descent")


# --- gradient check, training, statistics ----------------------------------------------------------------

def _gradient_check_checks() -> list[Check]:
    dims, m = [2, 3, 1], 4

    def correct_probe(generator: np.random.Generator) -> Probe:
        X, Y, params = _small_net(generator, dims, m)
        return Probe([call("diff", "gradient_check", params, X, Y, activation="tanh", returns="float")])

    def correct_verdict(values: dict, _: Probe) -> Verdict:
        diff = values["diff"]
        if 0 <= diff < 1e-6:
            return Verdict(1.0)
        return Verdict(0.0, f"gradient_check on a small tanh network returned {diff:.3g}, expected below 1e-6 "
                            "(if backward's own checks pass, the bug is in gradient_check: centred differences, "
                            "||g - g_num|| / (||g|| + ||g_num||))")

    def broken_probe(generator: np.random.Generator) -> Probe:
        X, Y, params = _small_net(generator, dims, m)
        return Probe([patch("backward", None, 2.0),
                      call("diff", "gradient_check", params, X, Y, activation="tanh", returns="float")])

    def broken_verdict(values: dict, _: Probe) -> Verdict:
        # Every gradient doubled: ||2g - g|| / (||2g|| + ||g||) = 1/3 exactly, whatever the inputs.
        diff = values["diff"]
        if abs(diff - 1 / 3) < 1e-3:
            return Verdict(1.0)
        return Verdict(0.0, f"with every gradient of backward deliberately doubled, gradient_check returned {diff:.3g};"
                            " a correct check returns ||2g - g|| / (||2g|| + ||g||) = 1/3. Does it call backward, "
                            "and divide by ||g|| + ||g_num||?")

    return [
        Check("gradient_check.correct_backward", "gradient_check", "tiny for a correct backward", PUBLIC,
              correct_probe, correct_verdict, "Gradient checking"),
        Check("gradient_check.broken_backward", "gradient_check", "large when backward is wrong", PUBLIC,
              broken_probe, broken_verdict, "Gradient checking"),
    ]


def _train_check() -> Check:
    dims, iterations = [2, 4, 1], 50

    def probe(generator: np.random.Generator) -> Probe:
        X = generator.standard_normal((40, 2))
        Y = (X[:, :1] + X[:, 1:] > 0).astype(np.float64)
        return Probe([call("run", "train", X, Y, dims, init="he", learning_rate=0.5, num_iterations=iterations,
                           rng=rng(0), returns=["params", "floats"])], {"dims": dims})

    def verdict(values: dict, p: Probe) -> Verdict:
        params, costs = values["run"]
        problems = shape_problems(params, p.context["dims"], "the params train returned")
        if len(costs) != iterations:
            problems.append(f"train(..., num_iterations={iterations}) returned {len(costs)} costs, expected one per "
                            "iteration")
        elif not costs[-1] < costs[0]:
            problems.append(f"the cost did not go down on an easy problem (first {costs[0]:.4g}, last {costs[-1]:.4g})")
        return all_or_nothing(problems)

    return Check("train.outputs", "train", "returns (params, costs) with one cost per iteration, and learns",
                 PUBLIC, probe, verdict, "Training")


def _statistics_check() -> Check:
    def probe(_: np.random.Generator) -> Probe:
        X, params = np.array(TINY_X), _tiny_params()
        return Probe([call(a, "activation_statistics", X, params, activation=a, returns="stats") for a in ACTIVATIONS])

    def verdict(values: dict, _: Probe) -> Verdict:
        problems = []
        for a in ACTIVATIONS:
            got = values[a]
            if len(got) != 1:
                problems.append(f"activation_statistics on a network with one hidden layer returned {len(got)} "
                                "entries; expected one per hidden layer (the output layer does not count)")
                continue
            for key, expected in TINY_STATS[a].items():
                if key not in got[0]:
                    problems.append(f'activation_statistics(...)[0] has no "{key}"')
                elif abs(got[0][key] - expected) > 1e-9:
                    problems.append(f"'{a}' tiny example: {key} is {got[0][key]:.6g}, expected {expected:.6g}")
        return all_or_nothing(problems)

    return Check("activation_statistics.tiny_example", "activation_statistics",
                 "mean, std and saturated fraction of the tiny example", PUBLIC, probe, verdict,
                 "Signal propagation")


def _worked_example_check() -> Check:
    def probe(_: np.random.Generator) -> Probe:
        return Probe([call("grads", "worked_example", np.array([[3.0], [1.0], [2.0]]), returns=["array", "array"])])

    def verdict(values: dict, _: Probe) -> Verdict:
        dW1, dW2 = values["grads"]
        problems = []
        if dW1.shape != (2, 3):
            problems.append(f"dW1 has shape {dW1.shape}, expected (2, 3), the shape of W1")
        if dW2.shape != (3, 1):
            problems.append(f"dW2 has shape {dW2.shape}, expected (3, 1), the shape of W2")
        elif not np.allclose(dW2, 35.0):
            problems.append(f"dW2 = {dW2.ravel().tolist()}, expected [35, 35, 35] (A1^T dZ2; the course text has this "
                            "one right)")
        return all_or_nothing(problems)

    return Check("worked_example.shapes", "worked_example", "dW1 and dW2 have the shapes of W1 and W2; dW2 is right",
                 PUBLIC, probe, verdict, "The worked example, corrected")


PUBLIC_CHECKS: list[Check] = [
    _init_shapes_check("initialize_zeros", {}),
    _zeros_values_check(),
    _init_shapes_check("initialize_random", {}),
    _random_scale_check(),
    _init_shapes_check("initialize_he", {}),
    _he_scale_check(),
    _he_rng_check(),
    _forward_known_answer_check(),
    _cost_known_answer_check(),
    _cost_saturated_check(),
    _backward_numerical_check(),
    _update_check(),
    *_gradient_check_checks(),
    _train_check(),
    _statistics_check(),
    _worked_example_check(),
]
