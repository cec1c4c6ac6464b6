"""Public checks of the initialization assignment: properties and small hand-verifiable answers.

They ship with the student release and run in the notebook (`check(initialize_he)`), with pytest, and
as part of grading. They never use the reference solution: every expected number here is either a
property (shapes, zero biases, a scale within a wide tolerance) or a tiny example you can verify by
hand. Hidden checks (instructor side) compare against the reference on fresh inputs.
Each check judges one function: what that function calls is given to it as data (backward gets caches
built here) or replaced by fakes (fakes.py) for gradient_check and train, so one mistake costs points once.
"""

import math
from dataclasses import replace
from typing import Any

import numpy as np

from . import fakes
from .activations import activate, sigmoid
from .compare import all_or_nothing, printed_pair, relative_error, section_reference, summary
from .framework import Check, Probe, Verdict, Visibility
from .params import caches_layout_problems, shape_problems
from .plan import AGAIN, call, fake, rng, tuples

ACTIVATIONS = ("relu", "tanh", "sigmoid")

# The notebook's headings, spelled exactly as lesson.md spells them (tests/test_feedback_wording.py holds them to
# it); failures name the one that teaches the function (the hidden checks use them too).
PART1 = "Part 1 · Three ways to start"
PART2 = "Part 2 · Forward propagation, the cost, and one step of descent"
PART3 = "Part 3 · Backward propagation, checked numerically"
PART4 = "Part 4 · Symmetry: why equal weights stay equal"
WORKED_EXAMPLE = "The worked example, done right"
PART5 = "Part 5 · Training from three starts"
PART6 = "Part 6 · Saturation: large weights and flat tails"
PART7 = "Part 7 · Why 2/n: keeping the signal alive through depth"
SECTIONS = {"initialize_zeros": PART1, "initialize_random": PART1, "initialize_he": PART1, "forward": PART2,
            "compute_cost": PART2, "update_parameters": PART2, "backward": PART3, "gradient_check": PART3,
            "worked_example": WORKED_EXAMPLE, "train": PART5, "activation_statistics": PART6}

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
TINY_Y = [[1.0], [0.0]]
TINY_Z1 = [[-1.1, -1.0, 1.0], [0.41, -0.11, -0.2]]  # the same for every activation: X @ W1 + b1
TINY_Z2 = {  # the output layer's pre-activation, per hidden activation
    "relu": [[0.85], [0.255]],
    "tanh": [[0.4875040606710266], [0.11920362499243614]],
    "sigmoid": [[0.6790343836954467], [0.5689184328775808]],
}
TINY_GRADS = {  # backward(AL, TINY_Y, caches) on the tiny example's caches, per hidden activation
    "relu": {"dW1": [[0.0704258482827742, 0.0, -0.11977314301041081], [0.04225550896966452, 0.0, 0.23954628602082162]],
             "db1": [[0.1408516965655484, 0.0, -0.11977314301041081]],
             "dW2": [[0.1154983911837497], [0.0], [-0.1497164287630135]], "db2": [[0.13198696436808333]]},
    "tanh": {"dW1": [[0.022059889715048124, -0.015286630325373054, 0.037908491152019136],
                     [0.10207113206309465, -0.07149107706042333, 0.18892935833174346]],
             "db1": [[0.07828716336627539, -0.05454214482966899, 0.13973400678116596]],
             "dW2": [[0.25518736813305903], [0.11586617031858967], [-0.1971676626281057]],
             "db2": [[0.07464197256011251]]},
    "sigmoid": {"dW1": [[0.0033765402410864814, -0.002012682027811307, 0.005146392419690549],
                        [0.04300558187001367, -0.027008201334527714, 0.07188941443272347]],
                "db1": [[0.022514487299619804, -0.013948668716330664, 0.036754930601269234]],
                "dW2": [[0.14988553745676486], [0.10561139190405547], [0.020726406466112846]],
                "db2": [[0.15101835976482664]]},
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

    return Check(id=f"{function}.shapes", function=function, title="a W and a b per layer, right shapes, float64",
                 visibility=Visibility.PUBLIC, probe=probe, verdict=verdict)


def _zeros_values_check() -> Check:
    dims = [4, 3, 1]

    def probe(_: np.random.Generator) -> Probe:
        return Probe([call("init", "initialize_zeros", dims, returns="params")], {"dims": dims})

    def verdict(values: dict, p: Probe) -> Verdict:
        got = values["init"]
        problems = shape_problems(got, p.context["dims"], "initialize_zeros")
        problems += [f'W and b should be all zeros; "{k}" has {summary(v)}' for k, v in got.items() if np.any(v != 0)]
        return all_or_nothing(problems)

    return Check(id="initialize_zeros.zeros", function="initialize_zeros", title="every weight and bias is zero",
                 visibility=Visibility.PUBLIC, probe=probe, verdict=verdict)


def _scale_problems(got: dict[str, np.ndarray], dims: list[int], expected_std: list[float], what: str) -> list[str]:
    """Per large weight matrix: is the sample std within 10% of the target?

    With >= 1800 entries the std's sampling noise is ~1.7%, so 10% is 6 standard errors and the mean
    bound (0.2 target) 8.5: a correct draw, whatever numpy call made it, essentially never fails.
    """
    problems = shape_problems(got, dims, what)
    if problems:
        return problems
    problems += _bias_problems(got, what)
    named: set[str] = set()  # a mistake is explained once; later layers just say they match it too
    for l, target in enumerate(expected_std, start=1):
        W = got[f"W{l}"]
        if W.size < 1000:
            continue  # too few draws to judge a scale without failing correct code by chance
        std, mean = float(W.std()), float(W.mean())
        if not 0.9 * target <= std <= 1.1 * target:
            problems.append(f'{what}["W{l}"] (fan_in {dims[l - 1]}) has std {std:.4g}, expected {target:.4g}'
                            + _scale_hint(std, dims[l - 1], dims[l], named))
        elif abs(mean) > 0.2 * target:
            problems.append(f'{what}["W{l}"] has mean {mean:.3g}: weights should be centred on 0 (use a normal '
                            f"draw, not a uniform one on [0, 1))")
    return problems


def _scale_hint(std: float, fan_in: int, fan_out: int, named: set[str]) -> str:
    """Name the usual mistake when the std matches it (its meaning only the first time: `named` remembers)."""
    known = [  # (formula, its value, what it means)
        ("sqrt(1/fan_in)", math.sqrt(1 / fan_in), "the Xavier/LeCun scale, not He's"),
        ("sqrt(2/fan_out)", math.sqrt(2 / fan_out), "the layer's own width; He uses fan_in = W.shape[0] = n_{l-1}"),
        ("2/fan_in", 2 / fan_in, "the variance; the std is its square root"),
        ("sqrt(1/12)", math.sqrt(1 / 12), "the std of a uniform draw on [0, 1); He's draw is normal"),
    ]
    for formula, value, meaning in known:
        if abs(std - value) <= 0.05 * value:
            said = formula in named
            named.add(formula)
            return f": this matches {formula} = {value:.4g}" + (" as well" if said else f", {meaning}")
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

    return Check(id="initialize_random.scale", function="initialize_random",
                 title="weights have std `scale` (default 10), biases 0",
                 visibility=Visibility.PUBLIC, probe=probe, verdict=verdict)


def _he_scale_check() -> Check:
    def probe(_: np.random.Generator) -> Probe:
        return Probe([call("he", "initialize_he", WIDE_DIMS, rng=rng(3), returns="params")])

    def verdict(values: dict, _: Probe) -> Verdict:
        targets = [math.sqrt(2 / n) for n in WIDE_DIMS[:-1]]
        return all_or_nothing(_scale_problems(values["he"], WIDE_DIMS, targets, f"initialize_he({WIDE_DIMS})"))

    return Check(id="initialize_he.scale", function="initialize_he", title="W{l} has std sqrt(2 / fan_in), biases 0",
                 visibility=Visibility.PUBLIC, probe=probe, verdict=verdict)


def _rng_check(function: str) -> Check:
    dims = [30, 20, 1]

    def probe(_: np.random.Generator) -> Probe:
        plan = [call(name, function, dims, rng=rng(seed), returns="params")
                for name, seed in (("first", 7), ("again", 7), ("other", 8))]
        return Probe(plan)

    def verdict(values: dict, _: Probe) -> Verdict:
        first, again, other = values["first"], values["again"], values["other"]
        if set(first) != set(again) or any(not np.array_equal(first[k], again[k]) for k in first):
            return Verdict(0.0, f"{function}(dims, rng=np.random.default_rng(7)) gave different weights on two "
                                "calls: draw from the `rng` argument (rng.standard_normal), not np.random")
        if all(np.array_equal(first[k], other.get(k)) for k in first if k.startswith("W")):
            return Verdict(0.0, f"{function} gave the same weights for seeds 7 and 8: draw from `rng`")
        return Verdict(1.0)

    return Check(id=f"{function}.rng", function=function, title="draws from the rng argument (same seed, same weights)",
                 visibility=Visibility.PUBLIC, probe=probe, verdict=verdict)


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
                mine, theirs = printed_pair(AL.ravel(), expected.ravel())
                problems.append(f"forward(..., activation='{a}') on the tiny example gave AL = {mine}, expected "
                                f"{theirs} (hidden layers use the activation, the output layer sigmoid)")
        return all_or_nothing(problems)

    return Check(id="forward.tiny_example", function="forward",
                 title="the tiny 2-3-1 example gives the right AL for every activation",
                 visibility=Visibility.PUBLIC, probe=probe, verdict=verdict)


def _tiny_caches(activation: str) -> list[tuple]:
    """The tiny example's caches in the contract's layout: (A_prev, W, b, Z, activation) per layer."""
    params, Z1, Z2 = _tiny_params(), np.array(TINY_Z1), np.array(TINY_Z2[activation])
    return [(np.array(TINY_X), params["W1"], params["b1"], Z1, activation),
            (activate(Z1, activation), params["W2"], params["b2"], Z2, "sigmoid")]


def _forward_caches_check() -> Check:
    def probe(_: np.random.Generator) -> Probe:
        X, params = np.array(TINY_X), _tiny_params()
        return Probe([call(a, "forward", X, params, activation=a, returns=["opaque", "tuples"]) for a in ACTIVATIONS])

    def verdict(values: dict, _: Probe) -> Verdict:
        problems = []
        for a in ACTIVATIONS:
            got, expected = values[a][1], _tiny_caches(a)
            layout = caches_layout_problems(got, f"forward(..., '{a}') caches")
            if layout:
                problems += layout
                continue
            if len(got) != len(expected):
                problems.append(f"forward(..., '{a}') on a 2-layer network returned {len(got)} caches, expected 2: "
                                "one tuple (A_prev, W, b, Z, activation) per layer")
                continue
            for l, (layer, want) in enumerate(zip(got, expected, strict=True), start=1):
                for name, item, target in zip(("A_prev", "W", "b", "Z"), layer[:4], want[:4], strict=True):
                    if np.shape(item) != np.shape(target) or not np.allclose(item, target, rtol=1e-9, atol=1e-12):
                        problems.append(f"forward(..., '{a}'): caches[{l - 1}] should be (A_prev, W, b, Z, activation);"
                                        f" its {name} is {summary(np.asarray(item))}, expected {summary(target)}")
                if layer[4] != want[4]:
                    problems.append(f"forward(..., '{a}'): caches[{l - 1}][4] is {layer[4]!r}, expected {want[4]!r} "
                                    "(the layer's activation; the output layer's is 'sigmoid')")
        return all_or_nothing(problems)

    return Check(id="forward.caches", function="forward",
                 title="caches[l-1] == (A_prev, W, b, Z, activation) on the tiny example",
                 visibility=Visibility.PUBLIC, probe=probe, verdict=verdict)


def _cost_known_answer_check() -> Check:
    AL, Y = [[0.8], [0.9], [0.4]], [[1.0], [1.0], [0.0]]
    expected = -(math.log(0.8) + math.log(0.9) + math.log(0.6)) / 3

    def probe(_: np.random.Generator) -> Probe:
        return Probe([call("cost", "compute_cost", np.array(AL), np.array(Y), returns="float")])

    def verdict(values: dict, _: Probe) -> Verdict:
        got = values["cost"]
        if abs(got - expected) <= 1e-9 * expected:
            return Verdict(1.0)
        hint = ": that is the sum over the examples, not the mean" if abs(got - 3 * expected) < 1e-6 else ""
        mine, theirs = printed_pair(got, expected)
        return Verdict(0.0, f"compute_cost(AL={AL}, Y={Y}) returned {mine}, expected "
                            f"-(ln 0.8 + ln 0.9 + ln 0.6) / 3 = {theirs}{hint}")

    return Check(id="compute_cost.known_answer", function="compute_cost",
                 title="mean cross-entropy of a 3-example case",
                 visibility=Visibility.PUBLIC, probe=probe, verdict=verdict)


def _cost_saturated_check() -> Check:
    AL, Y = [[1.0], [0.0], [0.5]], [[0.0], [1.0], [1.0]]

    def probe(_: np.random.Generator) -> Probe:
        return Probe([call("cost", "compute_cost", np.array(AL), np.array(Y), returns="float")])

    def verdict(values: dict, _: Probe) -> Verdict:
        got = values["cost"]
        if math.isfinite(got) and got > 20:
            return Verdict(1.0)
        return Verdict(0.0, f"compute_cost(AL={AL}, Y={Y}) returned {got}: outputs that saturate to exactly 0 or 1 "
                            "must give a large finite cost, not inf or nan: clip AL to [1e-15, 1 - 1e-15] first")

    return Check(id="compute_cost.saturated", function="compute_cost",
                 title="finite when outputs saturate to exactly 0 or 1",
                 visibility=Visibility.PUBLIC, probe=probe, verdict=verdict)


def _backward_tiny_check() -> Check:
    """backward on the tiny example's caches (built here, not by your forward), against its known gradients."""

    def probe(_: np.random.Generator) -> Probe:
        plan = [call(a, "backward", sigmoid(np.array(TINY_Z2[a])), np.array(TINY_Y),
                     tuples([list(layer) for layer in _tiny_caches(a)]), returns="params") for a in ACTIVATIONS]
        return Probe(plan)

    def verdict(values: dict, _: Probe) -> Verdict:
        problems = []
        for a in ACTIVATIONS:
            grads = values[a]
            shape = shape_problems(grads, [2, 3, 1], f"backward (activation '{a}')", prefix="d")
            if shape:
                problems += shape
                continue
            for key, expected in TINY_GRADS[a].items():
                if relative_error(grads[key], np.array(expected)) > 1e-7:
                    mine, theirs = printed_pair(grads[key], expected)
                    problems.append(f"backward on the tiny example ('{a}' hidden layer, Y = {TINY_Y}) gave {key} = "
                                    f"{mine}, expected {theirs}")
        return all_or_nothing(problems)

    return Check(id="backward.tiny_example", function="backward",
                 title="the tiny example's gradients, every activation, from given caches",
                 visibility=Visibility.PUBLIC, probe=probe, verdict=verdict)


def _update_check() -> Check:
    params = {"W1": [[1.0, -2.0]], "b1": [[0.5, 0.0]]}
    grads = {"dW1": [[0.1, 0.2]], "db1": [[-1.0, 4.0]]}
    expected = {"W1": [[0.95, -2.1]], "b1": [[1.0, -2.0]]}

    def probe(_: np.random.Generator) -> Probe:
        return Probe([call("new", "update_parameters", _arrays(params), _arrays(grads), 0.5, returns="params",
                           again=True)])

    def verdict(values: dict, _: Probe) -> Verdict:
        got = values["new"]
        problems = shape_problems(got, [1, 2], "update_parameters(...)")
        if not problems:
            for key, value in expected.items():
                if relative_error(got[key], np.array(value)) > 1e-12:
                    hint = " (sign: subtract learning_rate * gradient)" if np.allclose(
                        got[key], 2 * np.array(params[key]) - np.array(value)) else ""
                    problems.append(f'update_parameters gave {key} = {got[key].tolist()}, expected {value}{hint}')
        second = values["new" + AGAIN]
        if set(second) != set(got) or any(not np.array_equal(second[k], got[k]) for k in got):
            problems.append("called twice with the same params and grads, update_parameters gave different results: "
                            "it changed the `params` it was given; build and return a new dict")
        return all_or_nothing(problems)

    return Check(id="update_parameters.known_answer", function="update_parameters",
                 title="one step with learning rate 0.5; the input dict is left unchanged",
                 visibility=Visibility.PUBLIC, probe=probe, verdict=verdict)


# --- gradient check, training, statistics ----------------------------------------------------------------

TOY_SHAPES = {"W1": (2, 3), "b1": (1, 3), "W2": (3, 1), "b2": (1, 1)}


def _toy_probe(generator: np.random.Generator, factors: dict[str, float]) -> Probe:
    """gradient_check on a toy cost: forward, compute_cost and backward are fakes (fakes.py), not yours."""
    spec = fakes.toy_spec(generator, TOY_SHAPES, factors)
    params = {k: generator.standard_normal(shape) for k, shape in TOY_SHAPES.items()}
    X, Y = generator.standard_normal((4, 2)), np.ones((4, 1))
    return Probe([fake("toy_cost", spec),
                  call("diff", "gradient_check", params, X, Y, activation="tanh", returns="float", again=True)],
                 {"spec": spec, "params": params})


def toy_difference(spec: dict, params: dict) -> float:
    """||g - g_num|| / (||g|| + ||g_num||) on the toy cost, g its (maybe scaled) gradient, g_num the exact one."""
    exact = fakes.toy_gradient({**spec, "factors": {}}, params)
    scaled = fakes.toy_gradient(spec, params)
    g = np.concatenate([np.ravel(scaled[k]) for k in exact])
    g_num = np.concatenate([np.ravel(exact[k]) for k in exact])
    return float(np.linalg.norm(g - g_num) / (np.linalg.norm(g) + np.linalg.norm(g_num)))


def _gradient_check_hint(got: float, expected: float) -> str:
    if expected < 1e-6 and abs(got - 1 / 3) < 1e-3:
        return (": 1/3 is what dividing the centred difference by epsilon instead of 2 epsilon gives "
                "(then g_num = 2g)")
    return ""


def _gradient_check_checks() -> list[Check]:
    def verdict(values: dict, p: Probe) -> Verdict:
        got, expected = values["diff"], toy_difference(p.context["spec"], p.context["params"])
        broken = bool(p.context["spec"]["factors"])
        good = abs(got - expected) <= 1e-4 * expected if broken else 0 <= got < 1e-6
        backward = "deliberately wrong (every dW1 and db2 entry x1.5)" if broken else "exact"
        shown, target = printed_pair(got, expected, 4) if broken else (f"{got:.4g}", "below 1e-6")
        problems = [] if good else [
            f"on a toy cost whose backward is {backward}, gradient_check returned {shown}; "
            f"||g - g_num|| / (||g|| + ||g_num||) is {target} there (forward, compute_cost and backward were fakes "
            f"in this check, so the mistake is in gradient_check itself){_gradient_check_hint(got, expected)}"]
        if values["diff" + AGAIN] != got:
            problems.append("called twice with the same params, gradient_check gave different results: it changed "
                            "`params`; perturb a copy")
        return all_or_nothing(problems)

    return [
        Check(id="gradient_check.correct_backward", function="gradient_check",
              title="tiny when backward is exact (on a toy cost)",
              visibility=Visibility.PUBLIC, probe=lambda g: _toy_probe(g, {}), verdict=verdict),
        Check(id="gradient_check.broken_backward", function="gradient_check",
              title="its value when backward is wrong (on a toy cost)",
              visibility=Visibility.PUBLIC, probe=lambda g: _toy_probe(g, {"dW1": 1.5, "db2": 1.5}), verdict=verdict),
    ]


def train_orchestration_problems(got: tuple, spec: dict, Y: np.ndarray, init: str, learning_rate: float,
                                 num_iterations: int, seed: int | None) -> list[str]:
    """What is wrong with train's (params, costs) on the tagged fakes, naming the usual orchestration mistakes."""
    params, costs = got
    what = f"train(..., init={init!r}, learning_rate={learning_rate:g}, num_iterations={num_iterations})"
    if len(costs) != num_iterations:
        return [f"{what} returned {len(costs)} costs; expected one per iteration, {num_iterations}"]
    run = dict(Y=Y, layer_dims=spec["layer_dims"], learning_rate=learning_rate, num_iterations=num_iterations)
    expected = fakes.simulate(init=init, seed=seed, **run)
    if _same_run((params, costs), expected):
        return []
    known = {f"started from initialize_{other}, not initialize_{init}": dict(init=other, seed=seed)
             for other in fakes.INIT_TAGS if other != init}
    if init != "zeros":
        known[f"did not pass its rng to initialize_{init} (call initialize_{init}(layer_dims, rng=rng))"] = \
            dict(init=init, seed=None)
    known["recorded each cost after the update; record the cost before it"] = \
        dict(init=init, seed=seed, cost_after_update=True)
    known["updated the parameters itself instead of calling update_parameters(params, grads, learning_rate)"] = \
        dict(init=init, seed=seed, inline_update=True)
    for mistake, variant in known.items():
        if _same_run((params, costs), fakes.simulate(**variant, **run)):
            return [f"{what} {mistake} (its collaborators were fakes in this check)"]
    return [f"{what} with fake collaborators gave costs {np.round(costs[:3], 5).tolist()}...; the loop "
            f"initializer -> (forward -> compute_cost -> backward -> update_parameters) x {num_iterations} gives "
            f"{np.round(expected[1][:3], 5).tolist()}...: check the order of the steps and what each is given"]


def _same_run(got: tuple, expected: tuple) -> bool:
    (params, costs), (want_params, want_costs) = got, expected
    return (len(costs) == len(want_costs) and set(params) == set(want_params)
            and relative_error(np.array(costs), np.array(want_costs)) <= 1e-9
            and all(np.shape(params[k]) == want_params[k].shape and relative_error(params[k], want_params[k]) <= 1e-9
                    for k in want_params))


def tagged_train_call(step_id: str, X: np.ndarray, Y: np.ndarray, dims: list[int], init: str, activation: str,
                      learning_rate: float, num_iterations: int, seed: int) -> list[dict]:
    """The plan steps of one train run on the tagged fakes."""
    spec = {"layer_dims": dims, "activation": activation, "m": len(X)}
    return [fake("tagged_training", spec),
            call(step_id, "train", X, Y, dims, init=init, activation=activation, learning_rate=learning_rate,
                 num_iterations=num_iterations, rng=rng(seed), returns=["params", "floats"])]


def _train_check() -> Check:
    dims, iterations, learning_rate = [2, 3, 1], 4, 0.5

    def probe(generator: np.random.Generator) -> Probe:
        X, Y = generator.standard_normal((6, 2)), np.array([[1.0], [0.0], [1.0], [1.0], [0.0], [1.0]])
        plan = [step for init in ("he", "zeros") for step in tagged_train_call(
            init, X, Y, dims, init, "tanh", learning_rate, iterations, 11)]
        return Probe(plan, {"Y": Y, "spec": {"layer_dims": dims}})

    def verdict(values: dict, p: Probe) -> Verdict:
        return all_or_nothing([problem for init in ("he", "zeros") for problem in train_orchestration_problems(
            values[init], p.context["spec"], p.context["Y"], init, learning_rate, iterations, 11)])

    return Check(id="train.steps", function="train",
                 title="initializer by name, then forward, cost, backward, update each iteration "
                       "(with fake collaborators)",
                 visibility=Visibility.PUBLIC, probe=probe, verdict=verdict)


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
                    mine, theirs = printed_pair(got[0][key], expected)
                    problems.append(f"'{a}' tiny example: {key} is {mine}, expected {theirs}")
        return all_or_nothing(problems)

    return Check(id="activation_statistics.tiny_example", function="activation_statistics",
                 title="mean, std and saturated fraction of the tiny example",
                 visibility=Visibility.PUBLIC, probe=probe, verdict=verdict)


# The worked example, on outgoing weights of the learner's choosing: X^T dZ2 = (1·1 + 0·2 + 4·3, 2·1 + 3·2 + 1·3)
# = (13, 11), and column j of dW1 = X^T (dZ2 W2^T) is W2[j] times it. W2 = (1, 0, 2) is not one of the hidden
# check's cases: a unit whose outgoing weight is 0 gets no gradient at all.
WORKED_W2 = [1.0, 0.0, 2.0]
WORKED_XT_DZ2 = [13.0, 11.0]
WORKED_DW2 = 35.0  # every entry of dW2 = A1^T dZ2 (rows of A1: 5, 6, 6)


def _worked_example_check() -> Check:
    def probe(_: np.random.Generator) -> Probe:
        return Probe([call("grads", "worked_example", np.array(WORKED_W2).reshape(3, 1), returns=["array", "array"])])

    def verdict(values: dict, _: Probe) -> Verdict:
        dW1, dW2 = values["grads"]
        problems = []
        if dW2.shape != (3, 1):
            problems.append(f"dW2 has shape {dW2.shape}, expected (3, 1), the shape of W2")
        elif not np.allclose(dW2, WORKED_DW2):
            problems.append(f"dW2 = {dW2.ravel().tolist()}, expected [35, 35, 35]: dW2 = A1^T dZ2, and every column "
                            "of A1 = X W1 is (5, 6, 6) (the course text has this one right)")
        if dW1.shape != (2, 3):
            problems.append(f"dW1 has shape {dW1.shape}, expected (2, 3), the shape of W1"
                            + (": dW1 = X^T dZ1 (X^T is 2 x 3), not dZ1^T X" if dW1.shape == (3, 2) else ""))
        else:
            problems += _worked_dw1_problems(dW1)
        return all_or_nothing(problems)

    return Check(id="worked_example.shapes", function="worked_example",
                 title="dW1 and dW2 have the shapes of W1 and W2, dW2 is right, and column j of dW1 is W2[j] X^T dZ2",
                 visibility=Visibility.PUBLIC, probe=probe, verdict=verdict)


def _worked_dw1_problems(dW1: np.ndarray) -> list[str]:
    """dW1 for W2 = WORKED_W2 against the column rule, naming the course text's error when it explains dW1."""
    column = np.array(WORKED_XT_DZ2).reshape(2, 1)
    if np.allclose(dW1, column * np.array(WORKED_W2)):
        return []
    shown = np.round(dW1, 6).tolist()
    if np.allclose(dW1, column * WORKED_DW2):
        return [f"with W2 = {WORKED_W2}, dW1 = {shown}: every column is 35 (13, 11), so dA1 was computed with the "
                "gradient dW2 = (35, 35, 35) in place of the weights W2. That is the course text's own error: the "
                "signal sent back to layer 1 is dA1 = dZ2 W2^T, with the outgoing weights, and it is why the "
                "columns of dW1 differ when the outgoing weights do"]
    if np.allclose(dW1, column * np.ones(3)):
        return [f"with W2 = {WORKED_W2}, dW1 = {shown}: every column is (13, 11), as if every outgoing weight were "
                "1. The outgoing weights belong in dA1 = dZ2 W2^T: column j of dW1 is W2[j] (13, 11)"]
    return [f"with W2 = {WORKED_W2}, dW1 = {shown}, expected {(column * np.array(WORKED_W2)).tolist()}: "
            "dW1 = X^T dZ1 with dZ1 = dA1 = dZ2 W2^T (identity activation), so column j of dW1 is W2[j] X^T dZ2 "
            "= W2[j] (13, 11). A unit whose outgoing weight is 0 gets no gradient"]


def _in_section(check: Check) -> Check:
    """The check with the notebook section that teaches its function, named at the end of every failure."""
    section = SECTIONS[check.function]

    def verdict(values: dict, p: Probe) -> Verdict:
        found = check.verdict(values, p)
        if found.score >= 1.0 or not found.feedback:
            return found
        return replace(found, feedback=f"{found.feedback.rstrip('.')}.\n{section_reference(section)}")

    return replace(check, verdict=verdict, section=section)


PUBLIC_CHECKS: list[Check] = [_in_section(check) for check in (
    _init_shapes_check("initialize_zeros", {}),
    _zeros_values_check(),
    _init_shapes_check("initialize_random", {}),
    _random_scale_check(),
    _rng_check("initialize_random"),
    _init_shapes_check("initialize_he", {}),
    _he_scale_check(),
    _rng_check("initialize_he"),
    _forward_known_answer_check(),
    _forward_caches_check(),
    _cost_known_answer_check(),
    _cost_saturated_check(),
    _backward_tiny_check(),
    _update_check(),
    *_gradient_check_checks(),
    _train_check(),
    _statistics_check(),
    _worked_example_check(),
)]
