"""Hidden checks of the initialization assignment: fresh random inputs, the reference, calibrated statistics.

Every check's probe draws its inputs from the grading seed and returns a data-only plan; its verdict runs
on the trusted side, where it may run the same plan against the reference (`solution.run`) and, when the
check fails, against the catalogued misconceptions (misconceptions.diagnose) to name the mistake.
Each check judges ONE function: what that function would call is given to it as data the trusted side
computed (backward gets caches the reference's forward built; activation_statistics gets weights drawn
here) or replaced by fakes (labkit/fakes.py: a toy cost for gradient_check, tagged training for train), so
a mistake costs points only in its own function's checks. The one exception says so in its title ("with
your own functions") and carries few points. Every derived number (norms, ratios, "inputs unchanged") is
computed here from what the student's functions returned.
Every probe is sized so the whole suite costs well under a second (see bench/hidden_suite.py), with
thresholds chosen far outside the spread a correct submission shows (the numbers are in the comments).
"""

import math
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
from autograder.labkit.data import make_circles
from autograder.labkit.params import caches_layout_problems, expected_keys, shape_problems
from autograder.labkit.public_checks import (
    PART1,
    PART2,
    PART3,
    PART4,
    PART5,
    PART6,
    PART7,
    TOY_SHAPES,
    WORKED_EXAMPLE,
    tagged_train_call,
    toy_difference,
    train_orchestration_problems,
)

from autograder.checks.misconceptions import diagnose
from autograder.checks.reference import Solution
from autograder.checks.stats import (
    ALPHA,
    BROKEN_SPREAD,
    IDENTICAL_SPREAD,
    min_pairwise_spread,
    normal_battery,
    normal_cdf,
    unit_spread,
    unit_vectors,
)
from autograder.checks.verdicts import (
    Assess,
    Parts,
    Same,
    changed_inputs,
    compare,
    dict_parts,
    hidden_check,
    values_close,
)
from autograder.labkit import fakes
from autograder.labkit.compare import summary
from autograder.labkit.framework import Check, Probe
from autograder.labkit.plan import AGAIN, call, drawn, fake, normal, rng, tuples

from .misconceptions import CATALOGUE
from .questions import question_checks

ACTIVATIONS = ("relu", "tanh", "sigmoid")

# Notebook headings the feedback points to (labkit.public_checks spells them as the lesson does).
INIT = HE = PART1
FORWARD = COST = UPDATE = PART2
BACKWARD = GRADCHECK = PART3
SYMMETRY, TRAINING, SATURATION, SIGNAL = PART4, PART5, PART6, PART7


def _check(solution: Solution, check_id: str, title: str, section: str,
           probe: Callable[[np.random.Generator], Probe], assess: Assess, same: Same = values_close,
           figure: Callable[[dict[str, Any], Probe], dict[str, Any]] | None = None) -> Check:
    """A hidden check whose failures are diagnosed against this solution's misconception catalogue."""
    return hidden_check(check_id, title, section, probe, assess,
                        lambda *args: diagnose(solution, CATALOGUE, *args), same, figure)


# --- random inputs -----------------------------------------------------------------------------------------

def _random_dims(g: np.random.Generator, depth: tuple[int, int], width: tuple[int, int]) -> list[int]:
    """Layer widths with every consecutive pair different (so fan_in != fan_out), last one 1."""
    dims = [int(g.integers(*width))]
    for _ in range(int(g.integers(*depth)) - 1):
        dims.append(int(g.choice([w for w in range(*width) if w != dims[-1]])))
    return [*dims, 1]


def _net(g: np.random.Generator, dims: list[int], weight_scale: float = 1.0) -> dict[str, np.ndarray]:
    """He-scaled weights times weight_scale, small random biases."""
    params = {}
    for l in range(1, len(dims)):
        params[f"W{l}"] = g.standard_normal((dims[l - 1], dims[l])) * math.sqrt(2 / dims[l - 1]) * weight_scale
        params[f"b{l}"] = 0.1 * g.standard_normal((1, dims[l]))
    return params


def _labels(m: int) -> np.ndarray:
    """(m, 1) labels, one in three positive: unbalanced, so no gradient cancels by symmetry."""
    return (np.arange(m) % 3 == 0).astype(np.float64).reshape(m, 1)


# --- initializers --------------------------------------------------------------------------------------------

def _init_call(step_id: str, function: str, dims: list[int], seed: int, **kwargs: Any) -> dict:
    extra = {} if function == "initialize_zeros" else {"rng": rng(seed)}
    return call(step_id, function, dims, returns="params", **extra, **kwargs)


def _structure_signature(values: dict) -> dict:
    return {k: (v.shape, v.dtype.name, bool(np.any(v != 0))) for k, v in values["init"].items()}


def _shapes_check(solution: Solution, function: str) -> Check:
    def probe(g: np.random.Generator) -> Probe:
        dims = _random_dims(g, (2, 5), (2, 13))
        kwargs = {"scale": float(g.uniform(0.5, 3))} if function == "initialize_random" else {}
        return Probe([_init_call("init", function, dims, int(g.integers(2**31)), **kwargs)], {"dims": dims})

    def assess(values: dict, p: Probe) -> Parts:
        got, dims = values["init"], p.context["dims"]
        what = f"{function}(layer_dims of {len(dims)} layers)"
        zero_keys = list(got) if function == "initialize_zeros" else [k for k in got if k.startswith("b")]
        return [
            (0.5, shape_problems(got, dims, what)),
            (0.25, [f'{what}["{k}"] has dtype {v.dtype}, expected float64' for k, v in got.items()
                    if v.dtype != np.float64]),
            (0.25, [f'{what}["{k}"] should be all zeros; got {summary(got[k])}' for k in zero_keys
                    if np.any(got[k] != 0)]),
        ]

    return _check(solution, f"{function}.hidden_shapes", "keys, shapes, float64 and zero biases on random layer_dims",
                        HE if function == "initialize_he" else INIT, probe, assess,
                        lambda a, b: _structure_signature(a) == _structure_signature(b))


def _wide_dims(g: np.random.Generator, layers: int) -> list[int]:
    """Alternating narrow (40-59) and wide (100-139) layers: >= 4000 entries per matrix and fan_in / fan_out
    >= 1.7, so a fan-out scale is a variance ratio >= 1.7, dozens of standard errors away."""
    narrow, wide = int(g.integers(40, 60)), int(g.integers(100, 140))
    pair = [narrow, wide] if g.random() < 0.5 else [wide, narrow]
    return [pair[i % 2] for i in range(layers + 1)]


def _target_stds(function: str, dims: list[int], scale: float) -> list[float]:
    if function == "initialize_he":
        return [math.sqrt(2 / n) for n in dims[:-1]]
    return [scale] * (len(dims) - 1)


def _matrix_features(W: np.ndarray, std: float) -> np.ndarray:
    """(std, mean, excess kurtosis) in units of the target std: what a diagnosis compares."""
    centred = W - W.mean()
    return np.array([W.std() / std, W.mean() / std, np.mean(centred**4) / max(np.mean(centred**2), 1e-300)**2 - 3])


def _distribution_check(solution: Solution, function: str, points_note: str) -> Check:
    def probe(g: np.random.Generator) -> Probe:
        dims = _wide_dims(g, 3)
        calls = [("default", {})]
        if function == "initialize_random":
            calls.append(("scaled", {"scale": round(float(g.uniform(0.3, 3)), 3)}))
        plan = [_init_call(name, function, dims, int(g.integers(2**31)), **kw) for name, kw in calls]
        return Probe(plan, {"dims": dims, "calls": calls})

    def matrices(values: dict, p: Probe) -> list[tuple[str, np.ndarray, float]]:
        dims = p.context["dims"]
        return [(f'{function}{"(scale=" + str(kw["scale"]) + ")" if kw else ""}["W{l}"]', values[name][f"W{l}"], std)
                for name, kw in p.context["calls"]
                for l, std in enumerate(_target_stds(function, dims, kw.get("scale", 10.0)), start=1)]

    def assess(values: dict, p: Probe) -> Parts:
        dims = p.context["dims"]
        structure = [problem for name, _ in p.context["calls"] for problem in shape_problems(values[name], dims,
                                                                                             function)]
        if structure:
            return [(1.0, structure)]
        parts: Parts = [(0.25, [])]
        tested = matrices(values, p)
        alpha = ALPHA / len(tested)  # Bonferroni: a correct submission fails the whole check w.p. <= 1e-6
        for what, W, std in tested:
            outcomes = normal_battery(W, 0.0, std, alpha)
            failed = [o for o in outcomes if not o.passed]
            text = (f"{what} (shape {W.shape}, fan_in {W.shape[0]}): " + ", ".join(o.measured for o in failed)
                    + f" -- fails the {'/'.join(o.name for o in failed)} test at alpha {alpha:.2g}")
            parts += [(0.75 / (4 * len(tested)), [text] if not o.passed else []) for o in outcomes]
        return parts

    def same(a: dict, b: dict) -> bool:
        for name in a:
            for key, W in a[name].items():
                if key.startswith("W"):
                    V = b[name].get(key)
                    if V is None or V.shape != W.shape:
                        return False
                    std = float(V.std()) or 1.0
                    fa, fb = _matrix_features(W, std), _matrix_features(V, std)
                    if abs(fa[0] - fb[0]) > 0.06 or abs(fa[1] - fb[1]) > 0.1 or abs(fa[2] - fb[2]) > 0.6:
                        return False
        return True

    def figure(values: dict, p: Probe) -> dict:
        """Your entries of the matrix whose std is furthest off, in units of the target std, against N(0, 1)."""
        what, W, std = max(matrices(values, p), key=lambda m: abs(np.log((float(m[1].std()) or 1e-300) / m[2])))
        edges = np.linspace(-6.0, 6.0, 61)
        counts, _ = np.histogram(np.clip(W.ravel() / std, -6.0, 6.0), edges)
        centres = (edges[:-1] + edges[1:]) / 2
        return {"kind": "histogram", "title": f"{what}: your weights / the target std {std:.3g}",
                "xlabel": "weight / target std", "centres": centres.tolist(),
                "series": {"yours": (counts / (W.size * (edges[1] - edges[0]))).tolist(),
                           "expected N(0, 1)": (np.exp(-centres**2 / 2) / np.sqrt(2 * np.pi)).tolist()}}

    return _check(solution, f"{function}.distribution", f"every weight matrix passes the calibrated normal battery "
                        f"({points_note})", HE if function == "initialize_he" else INIT, probe, assess, same,
                        figure=figure)


def _rng_check(solution: Solution, function: str) -> Check:
    def probe(g: np.random.Generator) -> Probe:
        dims = _random_dims(g, (2, 4), (5, 16))
        s1, s2 = (int(s) for s in g.choice(2**31, size=2, replace=False))
        plan = [_init_call("first", function, dims, s1), _init_call("again", function, dims, s1),
                _init_call("other", function, dims, s2), call("default", function, dims, returns="params")]
        return Probe(plan, {"dims": dims})

    def signature(values: dict) -> tuple[bool, bool]:
        first, again, other = values["first"], values["again"], values["other"]
        weights = [k for k in first if k.startswith("W")]
        reproducible = first.keys() == again.keys() and all(np.array_equal(first[k], again[k]) for k in first)
        varies = any(not np.array_equal(first[k], other.get(k)) for k in weights)
        return reproducible, varies

    def assess(values: dict, p: Probe) -> Parts:
        reproducible, varies = signature(values)
        return [
            (0.4, [] if reproducible else [f"{function}(dims, rng=np.random.default_rng(s)) gave different weights "
                                           "for the same seed: draw from `rng`, not from np.random"]),
            (0.3, [] if varies else [f"{function} gave the same weights for two different seeds"]),
            (0.3, shape_problems(values["default"], p.context["dims"], f"{function}(dims) without rng")),
        ]

    return _check(solution, f"{function}.rng_honoured",
                        "same seed gives the same weights, other seeds others; rng=None works",
                        HE if function == "initialize_he" else INIT, probe, assess,
                        lambda a, b: signature(a) == signature(b))


def _dependent_pairs(params: dict[str, np.ndarray]) -> list[tuple[str, str, str]]:
    """(a, b, how) for weight matrices a, b that are not independent draws.

    Compared after standardising: the raveled matrices ("stream": a reused matrix, or a generator re-seeded
    per layer, which repeats the same numbers) and their common top-left block ("block": slices of one big
    draw). Every matrix has >= 2025 entries, so an independent pair's correlation has sd <= 0.023 and the
    threshold 0.25 is > 10 sd away.
    """
    weights = {k: (v - v.mean()) / (v.std() or 1.0) for k, v in params.items() if k.startswith("W")}
    pairs = []
    names = sorted(weights)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            A, B = weights[a], weights[b]
            r, c = min(A.shape[0], B.shape[0]), min(A.shape[1], B.shape[1])
            n = min(A.size, B.size)
            correlations = {"stream": float(np.mean(A.ravel()[:n] * B.ravel()[:n])),
                            "block": float(np.corrcoef(A[:r, :c].ravel(), B[:r, :c].ravel())[0, 1])}
            pairs += [(a, b, how) for how, value in correlations.items() if abs(value) > 0.25]
    return pairs


def _independence_check(solution: Solution, function: str) -> Check:
    def probe(g: np.random.Generator) -> Probe:
        narrow, wide = int(g.integers(45, 60)), int(g.integers(70, 90))
        dims = [narrow, wide, narrow, wide, narrow]  # same-shape layers, so a reused matrix would fit
        return Probe([_init_call("init", function, dims, int(g.integers(2**31)))], {"dims": dims})

    def assess(values: dict, p: Probe) -> Parts:
        structure = shape_problems(values["init"], p.context["dims"], function)
        if structure:
            return [(1.0, structure)]
        pairs = _dependent_pairs(values["init"])
        return [(1.0, sorted({f"{a} and {b} are strongly correlated: every layer needs its own, new draws from rng"
                              for a, b, _ in pairs}))]

    return _check(solution, f"{function}.independent_layers", "every layer is an independent draw",
                        HE if function == "initialize_he" else INIT, probe, assess,
                        lambda a, b: _dependent_pairs(a["init"]) == _dependent_pairs(b["init"]))


# --- forward, cost ------------------------------------------------------------------------------------------

def _caches_problems(got: list, expected: list, what: str) -> list[str]:
    """forward's caches against the reference's: the contract's layout (A_prev, W, b, Z, activation) per layer."""
    layout = caches_layout_problems(got, f"{what} caches")
    if layout:
        return layout
    if len(got) != len(expected):
        return [f"{what} returned {len(got)} caches; expected {len(expected)}, one (A_prev, W, b, Z, activation) "
                "per layer"]
    problems = []
    for l, (layer, want) in enumerate(zip(got, expected, strict=True), start=1):
        for name, item, target in zip(("A_prev", "W", "b", "Z"), layer[:4], want[:4], strict=True):
            problems += compare(item, target, f"{what} caches[{l - 1}] {name}", rtol=1e-9)
        if layer[4] != want[4]:
            problems.append(f"{what} caches[{l - 1}] activation is {layer[4]!r}, expected {want[4]!r}")
    return problems


def _forward_check(solution: Solution, check_id: str, title: str, weight_scale: float, full: bool) -> Check:
    """forward on a random net for every activation vs the reference (weight_scale 1000: exp(|Z|) overflows).

    full: also the caches (the contract's layout) and, from a second call on the same objects, that
    forward leaves X and params unchanged.
    """

    def probe(g: np.random.Generator) -> Probe:
        dims = _random_dims(g, (2, 5), (2, 9))
        m = int(g.integers(4, 12))
        X, params = g.standard_normal((m, dims[0])), _net(g, dims, weight_scale)
        returns = ["array", "tuples"] if full else ["array", "opaque"]
        plan = [call(a, "forward", X, params, activation=a, returns=returns, again=full) for a in ACTIVATIONS]
        return Probe(plan, {"shape": X.shape})

    def assess(values: dict, p: Probe) -> Parts:
        expected = solution.run(p.plan)
        shape = p.context["shape"]
        what = {a: f"forward(X {shape}, params, '{a}')" for a in ACTIVATIONS}
        weight = 0.2 if full else 1 / 3
        parts: Parts = [(weight, compare(values[a][0], expected[a][0], f"{what[a]} AL", rtol=1e-9))
                        for a in ACTIVATIONS]
        if full:
            parts += [(0.1, _caches_problems(values[a][1], expected[a][1], what[a])) for a in ACTIVATIONS]
            parts.append((0.1, sorted({t for a in ACTIVATIONS for t in changed_inputs(values, a, "forward")})))
        return parts

    return _check(solution, check_id, title, FORWARD, probe, assess)


def _cost_check(solution: Solution) -> Check:
    def probe(g: np.random.Generator) -> Probe:
        m = int(g.integers(3, 30))
        AL = g.uniform(0.02, 0.98, size=(m, 1))
        Y = (g.random((m, 1)) < 0.5).astype(np.float64)
        Y[0, 0], Y[1, 0] = 0.0, 1.0
        return Probe([call("cost", "compute_cost", AL, Y, returns="float", again=True)], {"AL": AL, "Y": Y})

    def assess(values: dict, p: Probe) -> Parts:
        expected = solution.run(p.plan)["cost"]
        shape = p.context["AL"].shape
        # 1e-6: an epsilon like log(AL + 1e-8) instead of clipping is fine on these inputs
        return [(0.8, compare(values["cost"], expected, f"compute_cost(AL {shape}, Y {shape})", rtol=1e-6)),
                (0.2, changed_inputs(values, "cost", "compute_cost"))]

    return _check(solution, "compute_cost.matches_reference", "mean cross-entropy on random outputs and labels",
                  COST, probe, assess)


def _clipped_cost(AL: np.ndarray, Y: np.ndarray, clip: float) -> float:
    P = np.clip(AL, clip, 1 - clip)
    return float(-np.mean(Y * np.log(P) + (1 - Y) * np.log(1 - P)))


def _cost_stable_check(solution: Solution) -> Check:
    def probe(g: np.random.Generator) -> Probe:
        m = int(g.integers(8, 30))
        AL = g.uniform(0.05, 0.95, size=(m, 1))
        Y = (g.random((m, 1)) < 0.5).astype(np.float64)
        # confidently wrong on both labels, confidently right on both
        AL[:4, 0], Y[:4, 0] = [1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0]
        return Probe([call("cost", "compute_cost", AL, Y, returns="float")], {"AL": AL, "Y": Y})

    def assess(values: dict, p: Probe) -> Parts:
        AL, Y, got = p.context["AL"], p.context["Y"], values["cost"]
        # Any clip from 1e-16 to 1e-8 (e.g. log(AL + 1e-8)) is sound; the docstring's 1e-15 is in between.
        # Narrow enough that the sum, a flipped sign or a missing (1 - Y) term always falls outside.
        low, high = _clipped_cost(AL, Y, 1e-8), _clipped_cost(AL, Y, 1e-16)
        if math.isfinite(got) and low - 1e-9 <= got <= high + 1e-9:
            return [(1.0, [])]
        return [(1.0, [f"compute_cost with some outputs exactly 0 or 1 (AL {AL.shape}) returned {got:.4g}; expected a "
                       f"finite cost near {_clipped_cost(AL, Y, 1e-15):.4g}"])]

    return _check(solution, "compute_cost.stable", "finite and right when outputs saturate to exactly 0 or 1", COST,
                        probe, assess)


# --- backward -----------------------------------------------------------------------------------------------

def _backward_call(solution: Solution, step_id: str, X: np.ndarray, Y: np.ndarray, params: dict,
                   activation: str, keep: tuple[str, ...] = ()) -> dict:
    """A call of the student's backward on caches the REFERENCE's forward built (trusted side), as plain data:
    a mistake in the student's forward costs backward nothing. `keep`: only these gradients travel back.
    Weights given as normal(...) draws travel as such inside the caches too: their seeds, not the arrays."""
    arrays = {k: drawn(v) if isinstance(v, dict) else v for k, v in params.items()}
    with np.errstate(all="ignore"):  # weight scale 1000 saturates on purpose
        AL, caches = solution.module.forward(X, arrays, activation)
    layers = [[A_prev, params[f"W{l}"], *rest] for l, (A_prev, _, *rest) in enumerate(caches, start=1)]
    return call(step_id, "backward", AL, Y, tuples(layers), returns="params", keep=keep)


def _backward_check(solution: Solution, check_id: str, title: str, weight_scale: float, with_kinks: bool
                    ) -> Check:
    """backward vs the reference on a random net for every activation.

    with_kinks: one example is all zeros and the hidden biases are <= 0, half of them exactly 0, so that
    example's hidden activations are all 0 and some Z are exactly 0 in every hidden layer, the last one
    included (whose dA always reaches back): there relu'(0) = 0 matters.
    """

    def probe(g: np.random.Generator) -> Probe:
        dims = _random_dims(g, (2, 5), (2, 9))
        m = int(g.integers(4, 12))
        X, params = g.standard_normal((m, dims[0])), _net(g, dims, weight_scale)
        if with_kinks:
            X[0] = 0.0
            for l in range(1, len(dims) - 1):
                params[f"b{l}"] = -np.abs(params[f"b{l}"])
                params[f"b{l}"][0, ::2] = 0.0
        Y = _labels(m)
        return Probe([_backward_call(solution, a, X, Y, params, a) for a in ACTIVATIONS], {"shape": X.shape})

    def assess(values: dict, p: Probe) -> Parts:
        expected = solution.run(p.plan)
        return [part for a in ACTIVATIONS for part in dict_parts(
            values[a], expected[a], f"backward ('{a}', X {p.context['shape']})", 1.0)]

    return _check(solution, check_id, title, BACKWARD, probe, assess)


def _gradient_units(grads: dict, layer: int) -> np.ndarray:
    """unit_vectors of a gradient dict: row j is what hidden unit j of `layer` receives."""
    return unit_vectors({k[1:]: v for k, v in grads.items()}, layer)


def _constant_init_check(solution: Solution) -> Check:
    """A constant-init tanh net and the states the reference reaches from it: every hidden unit of a layer
    must receive the same gradient (identical units stay identical)."""
    steps = 3

    def probe(g: np.random.Generator) -> Probe:
        dims = _random_dims(g, (3, 4), (3, 7))
        c = float(g.uniform(0.2, 0.8))
        params = {}
        for l in range(1, len(dims)):
            params[f"W{l}"] = np.full((dims[l - 1], dims[l]), c)
            params[f"b{l}"] = np.zeros((1, dims[l]))
        X, Y = g.standard_normal((8, dims[0])), _labels(8)
        plan, reference = [], solution.module
        for i in range(steps):  # the states a correct training run passes through: still symmetric
            plan.append(_backward_call(solution, f"g{i}", X, Y, params, "tanh"))
            AL, caches = reference.forward(X, params, "tanh")
            params = reference.update_parameters(params, reference.backward(AL, Y, caches), 0.5)
        return Probe(plan, {"dims": dims})

    def assess(values: dict, p: Probe) -> Parts:
        dims = p.context["dims"]
        symmetric, moving = [], []
        for i in range(steps):
            grads = values[f"g{i}"]
            structure = shape_problems(grads, dims, "backward", prefix="d")
            if structure:
                return [(1.0, structure)]
            symmetric += [f"from a constant init, the units of hidden layer {l} get different gradients (relative "
                          f"spread {s:.2g}, expected <= {IDENTICAL_SPREAD:g}): identical units must get identical "
                          "gradients" for l, s in ((l, unit_spread(_gradient_units(grads, l)))
                                                   for l in range(1, len(dims) - 1)) if s > IDENTICAL_SPREAD]
            if all(not np.any(v) for v in grads.values()):
                moving.append("backward returned all-zero gradients for a constant-init tanh net; they are not zero")
        return [(0.7, symmetric), (0.3, moving)]

    return _check(solution, "backward.constant_init_symmetric",
                  "constant init: every unit of a layer gets the same gradient", SYMMETRY, probe, assess)


def _zero_relu_check(solution: Solution) -> Check:
    def probe(g: np.random.Generator) -> Probe:
        dims = _random_dims(g, (3, 5), (2, 8))
        params = {}
        for l in range(1, len(dims)):
            params[f"W{l}"], params[f"b{l}"] = np.zeros((dims[l - 1], dims[l])), np.zeros((1, dims[l]))
        m = int(g.integers(5, 12))
        return Probe([_backward_call(solution, "grads", g.standard_normal((m, dims[0])), _labels(m), params, "relu")],
                     {"dims": dims})

    def assess(values: dict, p: Probe) -> Parts:
        grads, L = values["grads"], len(p.context["dims"]) - 1
        structure = shape_problems(grads, p.context["dims"], "backward", prefix="d")
        if structure:
            return [(1.0, structure)]
        expected = solution.run(p.plan)["grads"]
        hidden = [f"with every parameter zero and ReLU hidden layers, {k} should be exactly 0 (relu(0) = 0 and "
                  f"relu'(0) = 0); got {summary(grads[k])}" for k in expected_keys(p.context["dims"], "d")
                  if k != f"db{L}" and np.any(grads[k] != 0)]
        return [(0.6, hidden), (0.4, compare(grads[f"db{L}"], expected[f"db{L}"], f"db{L}", rtol=1e-9))]

    return _check(solution, "backward.zero_relu_no_hidden_gradient",
                  "zero init with ReLU: only the output bias gets a gradient", SYMMETRY, probe, assess)


def _deep_gradients_check(solution: Solution) -> Check:
    """10 hidden layers of width 64, ||dW1|| / ||dW10|| from your backward on caches of weights drawn here
    (labels all 1, so the output gradient never cancels). Measured on the reference over 4000 seeds: tanh
    with std 1 gives log10 ratio 2.81 +- 0.24 (min 1.80), sigmoid with std 1/sqrt(64) gives -6.05 +- 0.12
    (max -5.63); the thresholds 0.5 and -1.5 are > 9 sd away."""
    width, m = 64, 16
    dims = [width] * 11 + [1]
    cases = {"tanh": (1.0, 0.5), "sigmoid": (1 / math.sqrt(width), -1.5)}

    def probe(g: np.random.Generator) -> Probe:
        X, Y = g.standard_normal((m, width)), np.ones((m, 1))
        plan = []
        for a, (scale, _) in cases.items():
            params = {}
            for l in range(1, len(dims)):
                params[f"W{l}"] = normal(int(g.integers(2**63)), (dims[l - 1], dims[l]), scale)
                params[f"b{l}"] = np.zeros((1, dims[l]))
            plan.append(_backward_call(solution, a, X, Y, params, a, keep=("dW1", "dW10")))
        return Probe(plan)

    def assess(values: dict, _: Probe) -> Parts:
        parts: Parts = []
        for a, (_, threshold) in cases.items():
            grads = values[a]
            if "dW1" not in grads or "dW10" not in grads:
                parts.append((0.5, [f"backward ('{a}', 10 hidden layers) returned no dW1 or dW10"]))
                continue
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = float(np.log10(np.linalg.norm(grads["dW1"]) / np.linalg.norm(grads["dW10"])))
            explodes = a == "tanh"
            ok = ratio > threshold if explodes else ratio < threshold
            parts.append((0.5, [] if ok else [
                f"10 {a} layers of width {width}, std {cases[a][0]:.3g}: ||dW1|| / ||dW10|| = 10^{ratio:.2f}; expected "
                + ("growth toward the input (> 10^0.5): large weights make tanh gradients explode"
                   if explodes else "vanishing toward the input (< 10^-1.5): sigmoid' <= 0.25 shrinks every layer")]))
        return parts

    return _check(solution, "backward.deep_gradients",
                  "gradient norms: tanh with std 1 explodes toward the input, sigmoid at 1/n vanishes",
                  SATURATION, probe, assess)


# --- update, gradient check ---------------------------------------------------------------------------------

def _update_probe(g: np.random.Generator) -> Probe:
    dims = _random_dims(g, (2, 4), (2, 9))
    params, grads = _net(g, dims), {"d" + k: v for k, v in _net(g, dims).items()}
    lr = float(g.uniform(0.01, 2.0))
    return Probe([call("new", "update_parameters", params, grads, lr, returns="params", again=True)])


def _update_checks(solution: Solution) -> list[Check]:
    def values_assess(values: dict, p: Probe) -> Parts:
        return dict_parts(values["new"], solution.run(p.plan)["new"], "update_parameters(params, grads, lr)", 1.0,
                          rtol=1e-12)

    def inputs_assess(values: dict, _: Probe) -> Parts:
        return [(1.0, changed_inputs(values, "new", "update_parameters"))]

    return [_check(solution, "update_parameters.matches_reference", "one step on random params, grads and rate",
                   UPDATE, _update_probe, values_assess),
            _check(solution, "update_parameters.inputs_unchanged", "params and grads are left unchanged", UPDATE,
                   _update_probe, inputs_assess)]


def _gradient_check_check(solution: Solution, broken: bool) -> Check:
    """gradient_check on a toy cost (fakes: forward, compute_cost and backward are not the student's), so the
    check judges gradient_check alone. Its value must be ||g - g_num|| / (||g|| + ||g_num||) for the toy's
    gradient g (scaled on one key when `broken`) and the exact one as g_num, computed here.
    broken also calls it twice on the same params with epsilon 1e-4: a gradient_check that leaves params
    shifted by epsilon changes that value by ~1e-4 relative; round-off alone, by < 1e-10."""

    def probe(g: np.random.Generator) -> Probe:
        shapes = {**TOY_SHAPES, "W1": (int(g.integers(2, 5)), TOY_SHAPES["W1"][1])}
        key = f"d{g.choice(list(shapes))}"
        spec = fakes.toy_spec(g, shapes, {key: float(g.uniform(1.3, 3.0))} if broken else {})
        params = {k: g.standard_normal(shape) for k, shape in shapes.items()}
        X, Y = g.standard_normal((3, shapes["W1"][0])), np.ones((3, 1))
        activation = str(g.choice(ACTIVATIONS))
        kwargs = {"activation": activation, "epsilon": 1e-4} if broken else {"activation": activation}
        return Probe([fake("toy_cost", spec),
                      call("diff", "gradient_check", params, X, Y, returns="float", again=broken, **kwargs)],
                     {"spec": spec, "params": params, "key": key})

    def assess(values: dict, p: Probe) -> Parts:
        expected, got = toy_difference(p.context["spec"], p.context["params"]), values["diff"]
        good = abs(got - expected) <= 1e-4 * expected if broken else 0 <= got < 1e-6
        factor = p.context["spec"]["factors"].get(p.context["key"])
        context = f"with backward's {p.context['key']} multiplied by {factor:.2f}" if broken else \
            "with an exact backward"
        parts: Parts = [(0.8 if broken else 1.0, [] if good else [
            f"gradient_check on a toy cost {context} returned {got:.3g}; ||g - g_num|| / (||g|| + ||g_num||) is "
            f"{expected:.3g} there (forward, compute_cost and backward were fakes in this check)"
            + (" -- 1/3 is what dividing by epsilon instead of 2 epsilon gives" if abs(got - 1 / 3) < 1e-3 else "")])]
        if broken:
            second = values["diff" + AGAIN]
            parts.append((0.2, [] if abs(second - got) <= 1e-9 * abs(got) else [
                f"called twice on the same params, gradient_check returned {got:.10g}, then {second:.10g}: it left "
                "params changed; perturb a copy of each parameter"]))
        return parts

    return _check(solution, f"gradient_check.{'broken' if broken else 'correct'}_value",
                  ("its value when backward is deliberately wrong; params unchanged" if broken
                   else "tiny when backward is exact") + " (on a toy cost)",
                  GRADCHECK, probe, assess, lambda a, b: abs(a["diff"] - b["diff"]) <= 1e-3 * abs(b["diff"]) + 1e-6)


# --- training -------------------------------------------------------------------------------------------------

def _circles(g: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray]:
    X, Y, _, _ = make_circles(m, 0, seed=int(g.integers(2**31)))
    return X, Y


def _orchestration_check(solution: Solution) -> Check:
    """train with tagged fakes as its collaborators (labkit/fakes.py): for each init name, its (params, costs)
    must be what initializer -> (forward -> compute_cost -> backward -> update_parameters) x n gives."""

    def probe(g: np.random.Generator) -> Probe:
        dims = _random_dims(g, (2, 4), (2, 6))
        m, activation = int(g.integers(4, 10)), str(g.choice(ACTIVATIONS))
        X, Y = g.standard_normal((m, dims[0])), _labels(m)
        runs = {init: (round(float(g.uniform(0.05, 1.0)), 4), int(g.integers(2, 7)), int(g.integers(2**31)))
                for init in fakes.INIT_TAGS}
        plan = [step for init, (lr, n, seed) in runs.items()
                for step in tagged_train_call(init, X, Y, dims, init, activation, lr, n, seed)]
        return Probe(plan, {"Y": Y, "spec": {"layer_dims": dims}, "runs": runs})

    def assess(values: dict, p: Probe) -> Parts:
        return [(1 / 3, train_orchestration_problems(values[init], p.context["spec"], p.context["Y"], init, lr, n,
                                                     seed)) for init, (lr, n, seed) in p.context["runs"].items()]

    return _check(solution, "train.orchestration", "initializer by name and rng, then forward, cost, backward, "
                  "update each iteration (with fake collaborators)", TRAINING, probe, assess)


def _he_learns_check(solution: Solution) -> Check:
    """The one integration check: train with the student's OWN initializer, forward, cost, backward and update.
    Over 3000 reference seeds 20 steps already reach accuracy 1.0; 40 leave a 2x margin."""
    dims, steps = [2, 64, 1], 40
    together = ("initialize_he", "forward", "compute_cost", "backward", "update_parameters")

    def probe(g: np.random.Generator) -> Probe:
        X, Y = _circles(g, 100)
        return Probe([call("run", "train", X, Y, dims, init="he", activation="relu", learning_rate=4.0,
                           num_iterations=steps, rng=rng(int(g.integers(2**31))), returns=["params", "floats"],
                           uses=together)], {"X": X, "Y": Y})

    def assess(values: dict, p: Probe) -> Parts:
        params = values["run"][0]
        structure = shape_problems(params, dims, "the params train returned")
        if structure:
            return [(1.0, structure)]
        AL = solution.module.forward(p.context["X"], {k: np.asarray(v, dtype=np.float64) for k, v in params.items()},
                                     "relu")[0]
        accuracy = float(np.mean((AL > 0.5) == (p.context["Y"] > 0.5)))
        spread = min_pairwise_spread(unit_vectors(params, 1))
        return [
            (0.7, [] if accuracy >= 0.95 else [f"He init, [2, 64, 1] ReLU, {steps} steps at learning rate 4 on the "
                                               f"circles: train accuracy {accuracy:.2f}, expected >= 0.95"]),
            (0.3, [] if spread > BROKEN_SPREAD else [f"after He init and training two hidden units are identical "
                                                     f"(relative spread {spread:.2g}); random init breaks symmetry"]),
        ]

    return _check(solution, "train.he_learns", "with your own functions: He init learns the circles (>= 95% train "
                  "accuracy) and breaks symmetry", TRAINING, probe, assess)


# --- activation statistics ------------------------------------------------------------------------------------

def _statistics_match_check(solution: Solution) -> Check:
    def probe(g: np.random.Generator) -> Probe:
        dims = _random_dims(g, (2, 5), (2, 9))
        X, params = g.standard_normal((int(g.integers(4, 12)), dims[0])), _net(g, dims, 3.0)
        plan = [call(a, "activation_statistics", X, params, activation=a, returns="stats") for a in ACTIVATIONS]
        return Probe(plan, {"shape": X.shape})

    def assess(values: dict, p: Probe) -> Parts:
        expected = solution.run(p.plan)
        parts: Parts = []
        for a in ACTIVATIONS:
            got, want = values[a], expected[a]
            what = f"activation_statistics(X {p.context['shape']}, params, '{a}')"
            if len(got) != len(want) or any(set(s) != set(w) for s, w in zip(got, want, strict=True)):
                parts.append((1 / 3, [f"{what} returned {len(got)} layers with keys "
                                      f"{sorted(got[0]) if got else []}; expected {len(want)} hidden layers with "
                                      f"{sorted(want[0])}"]))
                continue
            parts.append((1 / 3, [f"{what}[{i}]['{k}'] = {s[k]:.6g}, expected {w[k]:.6g}"
                                  for i, (s, w) in enumerate(zip(got, want, strict=True)) for k in w
                                  if not abs(s[k] - w[k]) <= 1e-9 * (1 + abs(w[k]))]))
        return parts

    return _check(solution, "activation_statistics.matches_reference", "mean, std and saturated fraction per hidden "
                        "layer on random nets", SATURATION, probe, assess)


def _random_weights(g: np.random.Generator, dims: list[int], std: float | None) -> dict[str, Any]:
    """Weights drawn by the plan (not by the student's initializers): N(0, std^2), or He's N(0, 2/fan_in) for None.
    Megabytes of them, where only their distribution matters: their seeds travel, drawn from `g`."""
    params: dict[str, Any] = {}
    for l in range(1, len(dims)):
        scale = math.sqrt(2 / dims[l - 1]) if std is None else std
        params[f"W{l}"] = normal(int(g.integers(2**63)), (dims[l - 1], dims[l]), scale)
        params[f"b{l}"] = np.zeros((1, dims[l]))
    return params


def _saturation_closed_form_check(solution: Solution) -> Check:
    """First-layer saturation with weights N(0, sigma^2) drawn here, against the closed form.

    Given X, z_ij = x_i . w_j ~ N(0, sigma^2 ||x_i||^2), so unit j saturates on example i (|z| > t, with
    t = atanh(0.99) for tanh, logit(0.99) for sigmoid) with probability p_i = 2 Phi(-t / (sigma ||x_i||)).
    The units are independent, each unit's fraction has sd <= s = mean_i sqrt(p_i (1 - p_i)) (Cauchy-Schwarz
    on the covariances), so over n units the observed fraction is within z_{ALPHA/2} s / sqrt(n) of mean_i p_i
    except with probability ALPHA (CLT over 2000 independent bounded terms).
    """
    m, n_x, units = 16, 16, 2000
    thresholds = {"tanh": math.atanh(0.99), "sigmoid": math.log(0.99 / 0.01)}

    def probe(g: np.random.Generator) -> Probe:
        X = g.standard_normal((m, n_x))
        sigmas = {"tanh": float(g.uniform(0.2, 0.6)), "sigmoid": float(g.uniform(1.5, 3.0))}
        plan = [call(a, "activation_statistics", X, _random_weights(g, [n_x, units, 1], sigma), activation=a,
                     returns="stats") for a, sigma in sigmas.items()]
        return Probe(plan, {"X": X, "sigmas": sigmas})

    def assess(values: dict, p: Probe) -> Parts:
        norms = np.linalg.norm(p.context["X"], axis=1)
        parts: Parts = []
        for a, sigma in p.context["sigmas"].items():
            probability = 2 * normal_cdf(-thresholds[a] / (sigma * norms))
            expected = float(probability.mean())
            tolerance = 5.16 * float(np.mean(np.sqrt(probability * (1 - probability)))) / math.sqrt(units) + 1e-3
            stats = values[a]
            got = stats[0].get("saturated_fraction", math.nan) if stats else math.nan
            parts.append((0.5, [] if abs(got - expected) <= tolerance else [
                f"{a}, {units} units with weights of std {sigma:.2f}: layer-1 saturated fraction {got:.3f}; the "
                f"closed form 2 Phi(-t / (sigma ||x||)) averaged over the examples gives {expected:.3f}"]))
        return parts

    return _check(solution, "activation_statistics.saturation_closed_form",
                  "first-layer saturation under large weights follows 2 Phi(-t / (sigma ||x||))",
                  SATURATION, probe, assess)


def _signal_depth_check(solution: Solution) -> Check:
    """Second moment of layer 20 over layer 1 (log10), from your activation_statistics on weights drawn here.

    He at width 128 (not the notebook's 256, which costs 35 ms of normal draws alone): over 2000 reference
    seeds log10 ratio -0.12 +- 0.32 (range -1.1..1.1), so |log10| < 2 is a 5.8 sd margin; at width 256 the
    sd is 0.23 and the notebook's 1.5 holds. Collapse at width 64: std 1/sqrt(n) gives -6.0 +- 0.47 (max -4.6),
    std 0.01 about -40; the bound -3 is > 6 sd away.
    """
    depth = 20

    def probe(g: np.random.Generator) -> Probe:
        plan = []
        for name, width, std in (("he", 128, None), ("tiny", 64, 0.01), ("xavier", 64, 1 / 8)):
            dims = [width] * (depth + 1) + [1]
            plan.append(call(name, "activation_statistics", g.standard_normal((16, width)),
                             _random_weights(g, dims, std), activation="relu", returns="stats"))
        return Probe(plan)

    def log_ratio(stats: list[dict]) -> float:
        second = [s["mean"] ** 2 + s["std"] ** 2 for s in (stats[0], stats[depth - 1])]
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(np.log10(np.float64(second[1]) / second[0]))

    def assess(values: dict, _: Probe) -> Parts:
        if any(len(values[name]) != depth for name in ("he", "tiny", "xavier")):
            return [(1.0, [f"activation_statistics on a net with {depth} hidden layers should return {depth} dicts"])]
        he, tiny, xavier = (log_ratio(values[name]) for name in ("he", "tiny", "xavier"))
        return [
            (0.5, [] if abs(he) < 2.0 else [f"{depth} ReLU layers with He weights: second moment of layer {depth} / "
                                            f"layer 1 = 10^{he:.2f}; He keeps it near 1 (|log10| < 2)"]),
            (0.25, [] if tiny < -3 else [f"std 0.01: the signal should collapse over {depth} layers; "
                                         f"ratio 10^{tiny:.2f}"]),
            (0.25, [] if xavier < -3 else [f"std 1/sqrt(n) with ReLU: the signal should halve every layer; "
                                           f"ratio 10^{xavier:.2f}"]),
        ]

    def figure(values: dict, p: Probe) -> dict:
        """Per-layer second moment of the student's statistics beside the reference's on the same inputs."""
        expected = solution.run(p.plan)
        series = {}
        for name, label in (("he", "He"), ("xavier", "std 1/sqrt(n)"), ("tiny", "std 0.01")):
            series[f"yours: {label}"] = [s["mean"] ** 2 + s["std"] ** 2 for s in values[name]]
            series[f"reference: {label}"] = [s["mean"] ** 2 + s["std"] ** 2 for s in expected[name]]
        return {"kind": "per_layer", "title": f"Signal through {depth} ReLU layers",
                "ylabel": "second moment E[a^2] of the activations", "log": True, "series": series}

    return _check(solution, "activation_statistics.signal_depth",
                  "20 ReLU layers: He keeps the second moment, 0.01 and 1/n collapse", SIGNAL, probe, assess,
                  figure=figure)


# --- the worked example ---------------------------------------------------------------------------------------

def _worked_example_check(solution: Solution) -> Check:
    given = {"W2 = [3, 1, 2]": ([3.0, 1.0, 2.0], [[39, 13, 26], [33, 11, 22]], 0.4),
             "W2 = [3, 3, 3]": ([3.0, 3.0, 3.0], [[39, 39, 39], [33, 33, 33]], 0.3)}

    def probe(g: np.random.Generator) -> Probe:
        plan = [call(name, "worked_example", np.array(w2).reshape(3, 1), returns=["array", "array"])
                for name, (w2, _, _) in given.items()]
        plan.append(call("random", "worked_example", g.integers(-5, 6, size=(3, 1)).astype(np.float64),
                         returns=["array", "array"]))
        return Probe(plan)

    def assess(values: dict, p: Probe) -> Parts:
        parts: Parts = [(weight, compare(values[name][0], np.array(dW1, dtype=np.float64), f"dW1 with {name}",
                                          rtol=1e-9)) for name, (_, dW1, weight) in given.items()]
        parts.append((0.3, compare(values["random"][0], solution.run(p.plan)["random"][0], "dW1 with another W2",
                                    rtol=1e-9)))
        return parts

    return _check(solution, "worked_example.dW1", "dW1 = X^T (dZ2 W2^T): columns differ when the outgoing weights do",
                        WORKED_EXAMPLE, probe, assess)


@cache
def hidden_checks(solution: Solution) -> list[Check]:
    """Every hidden check of the assignment, judged against this reference solution, in grading order
    (the integration check last, so a function that hung already is not reached through it again)."""
    return [
        _shapes_check(solution, "initialize_zeros"),
        _shapes_check(solution, "initialize_random"),
        _distribution_check(solution, "initialize_random", "default scale 10 and a random scale"),
        _rng_check(solution, "initialize_random"),
        _independence_check(solution, "initialize_random"),
        _shapes_check(solution, "initialize_he"),
        _distribution_check(solution, "initialize_he", "std sqrt(2 / fan_in)"),
        _rng_check(solution, "initialize_he"),
        _independence_check(solution, "initialize_he"),
        _forward_check(solution, "forward.matches_reference", "AL and caches on random nets, every activation; "
                       "inputs unchanged", 1.0, True),
        _forward_check(solution, "forward.large_inputs", "no nan or overflow when |pre-activations| exceed 1000",
                       1000.0, False),
        _cost_check(solution),
        _cost_stable_check(solution),
        _backward_check(solution, "backward.matches_reference", "every gradient on random nets, every activation",
                        1.0, True),
        _backward_check(solution, "backward.saturated", "finite and right when every unit saturates", 1000.0, False),
        _constant_init_check(solution),
        _zero_relu_check(solution),
        _deep_gradients_check(solution),
        *_update_checks(solution),
        _gradient_check_check(solution, broken=False),
        _gradient_check_check(solution, broken=True),
        _orchestration_check(solution),
        _statistics_match_check(solution),
        _saturation_closed_form_check(solution),
        _signal_depth_check(solution),
        _worked_example_check(solution),
        *question_checks(),
        _he_learns_check(solution),
    ]
