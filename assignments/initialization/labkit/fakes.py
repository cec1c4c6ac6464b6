"""Fake collaborators, so that a check judges one function alone: one mistake is charged once.

`gradient_check` calls forward, compute_cost and backward; `train` calls an initializer, forward,
compute_cost, backward and update_parameters. Their checks replace those collaborators (plan step
`fake`) with the functions built here from plain data: they have the contract's signatures, give answers
the trusted side predicts exactly, and reveal nothing about the real ones (they are not a network).

- "toy_cost": forward / compute_cost / backward of a separable cubic cost of the parameters,
      J(theta) = sum_i a_i d_i^2 / 2 + c_i d_i^3 / 6,  d = theta - centre,  dJ/dtheta_i = a_i d_i + c_i d_i^2 / 2.
  forward's AL is theta itself as a column, so compute_cost(forward(X, p)[0], Y) is J(p); backward returns
  the exact gradient, with the entries of `factors` (e.g. {"dW2": 1.7}) scaling it to play a broken backward.
- "tagged_training": initializers, forward, compute_cost, backward and update_parameters of a made-up
  model whose numbers depend on which function produced them and with what: train's returned params and
  costs tell which initializer it called, whether it passed its rng, and in what order it ran the steps.
  `simulate` runs the contract's training loop on the same fakes (the trusted side's expectation).
Misuse of a fake (a wrong activation, layer_dims or key) raises FakeMisuse with a sentence for the student.
"""

from collections.abc import Callable
from typing import Any

import numpy as np

from .plan import FakeMisuse

Params = dict[str, np.ndarray]


# --- toy cost, for gradient_check --------------------------------------------------------------------------

def toy_spec(generator: np.random.Generator, shapes: dict[str, tuple[int, ...]],
             factors: dict[str, float] | None = None) -> dict[str, Any]:
    """A toy cost over parameters of these shapes, drawn from `generator` (trusted side)."""
    def draw(low: float, high: float) -> dict[str, np.ndarray]:
        return {k: generator.uniform(low, high, shape) for k, shape in shapes.items()}

    return {"centre": draw(-1.0, 1.0), "curvature": draw(0.5, 2.0), "cubic": draw(-1.0, 1.0),
            "factors": dict(factors or {})}


def toy_gradient(spec: dict[str, Any], params: Params) -> Params:
    """The exact gradient of the toy cost at `params`, scaled by spec["factors"]: {"dW1": ..., ...}."""
    grads = {}
    for key, centre in spec["centre"].items():
        d = np.asarray(params[key], dtype=np.float64) - centre
        grads["d" + key] = (spec["curvature"][key] * d + spec["cubic"][key] * d**2 / 2) \
            * spec["factors"].get("d" + key, 1.0)
    return grads


def _toy_functions(spec: dict[str, Any]) -> dict[str, Callable]:
    keys = list(spec["centre"])
    shapes = {k: np.shape(v) for k, v in spec["centre"].items()}

    def theta(params: Any) -> np.ndarray:
        if not isinstance(params, dict) or set(params) != set(keys):
            raise FakeMisuse(f"forward was called with parameters whose keys are "
                             f"{sorted(params) if isinstance(params, dict) else type(params).__name__}; "
                             f"expected the keys of the params given to gradient_check, {sorted(keys)}")
        wrong = [k for k in keys if np.shape(params[k]) != shapes[k]]
        if wrong:
            raise FakeMisuse(f'forward was called with params["{wrong[0]}"] of shape {np.shape(params[wrong[0]])}; '
                             f"expected {shapes[wrong[0]]}")
        return np.concatenate([np.ravel(np.asarray(params[k], dtype=np.float64)) for k in keys])

    def unflatten(vector: np.ndarray) -> Params:
        params, start = {}, 0
        for k in keys:
            size = int(np.prod(shapes[k]))
            params[k] = vector[start:start + size].reshape(shapes[k])
            start += size
        return params

    def forward(X: Any, params: Params, activation: str = "relu") -> tuple[np.ndarray, list]:
        vector = theta(params)
        return vector.reshape(-1, 1), [("toy cost", vector.copy())]

    def compute_cost(AL: Any, Y: Any) -> float:
        d = np.ravel(np.asarray(AL, dtype=np.float64)) - np.concatenate([np.ravel(spec["centre"][k]) for k in keys])
        curvature = np.concatenate([np.ravel(spec["curvature"][k]) for k in keys])
        cubic = np.concatenate([np.ravel(spec["cubic"][k]) for k in keys])
        return float(np.sum(curvature * d**2 / 2 + cubic * d**3 / 6))

    def backward(AL: Any, Y: Any, caches: Any) -> Params:
        return toy_gradient(spec, unflatten(np.ravel(np.asarray(AL, dtype=np.float64))))

    return {"forward": forward, "compute_cost": compute_cost, "backward": backward}


# --- tagged training, for train ----------------------------------------------------------------------------

INIT_TAGS = {"zeros": 0.25, "random": 0.5, "he": 0.75}  # the init name -> the level its fake starts at
NO_RNG = -0.125  # what a fake initializer draws when it is given no Generator
UPDATE_MARK = 1e-3  # the fake update adds this: a train that updates inline, not with update_parameters, shows it


def _draw(generator: Any) -> float:
    return float(generator.random()) if isinstance(generator, np.random.Generator) else NO_RNG


def tagged_init(layer_dims: list[int], init: str, draw: float, scale: float = 10.0) -> Params:
    """What the fake initializer of `init` returns, given what it drew from its rng."""
    level = (INIT_TAGS[init] + draw) * (scale / 10.0 if init == "random" else 1.0)
    params = {}
    for l in range(1, len(layer_dims)):
        params[f"W{l}"] = np.full((layer_dims[l - 1], layer_dims[l]), level + 0.01 * l)
        params[f"b{l}"] = np.full((1, layer_dims[l]), -level - 0.02 * l)
    return params


def _tagged_forward(params: Params, m: int) -> tuple[np.ndarray, list]:
    s = sum(float(np.mean(v)) / (i + 1) for i, (_, v) in enumerate(sorted(params.items())))
    return np.full((m, 1), 0.5 + 0.4 * np.tanh(s)), [("tagged", {k: np.array(v) for k, v in params.items()})]


def _tagged_cost(AL: np.ndarray, Y: np.ndarray) -> float:
    return float(np.mean((AL - 0.3) ** 2) + 0.01 * np.mean(Y))


def _tagged_backward(AL: np.ndarray, caches: list) -> Params:
    params = caches[0][1]
    pull = float(np.mean(AL)) - 0.3
    return {"d" + k: np.full(np.shape(v), pull * (i + 1) * 0.5) + 0.1 * np.asarray(v)
            for i, (k, v) in enumerate(sorted(params.items()))}


def _tagged_update(params: Params, grads: Params, learning_rate: float) -> Params:
    return {k: np.asarray(v, dtype=np.float64) - learning_rate * np.asarray(grads["d" + k]) + UPDATE_MARK
            for k, v in params.items()}


def _tagged_functions(spec: dict[str, Any]) -> dict[str, Callable]:
    dims, expected_activation, m = [int(n) for n in spec["layer_dims"]], spec["activation"], int(spec["m"])

    def check_dims(function: str, layer_dims: Any) -> None:
        if [int(n) for n in np.ravel(layer_dims)] != dims:
            raise FakeMisuse(f"train called {function}({list(np.ravel(layer_dims))}); expected the layer_dims "
                             f"train was given, {dims}")

    def initialize_zeros(layer_dims: list[int]) -> Params:
        check_dims("initialize_zeros", layer_dims)
        return tagged_init(dims, "zeros", 0.0)

    def initialize_random(layer_dims: list[int], scale: float = 10.0, rng: Any = None) -> Params:
        check_dims("initialize_random", layer_dims)
        return tagged_init(dims, "random", _draw(rng), float(scale))

    def initialize_he(layer_dims: list[int], rng: Any = None) -> Params:
        check_dims("initialize_he", layer_dims)
        return tagged_init(dims, "he", _draw(rng))

    def forward(X: Any, params: Params, activation: str = "relu") -> tuple[np.ndarray, list]:
        if activation != expected_activation:
            raise FakeMisuse(f"train called forward(X, params, activation={activation!r}); expected "
                             f"{expected_activation!r}, the activation train was given")
        if np.shape(X) != (m, dims[0]):
            raise FakeMisuse(f"train called forward with X of shape {np.shape(X)}; expected the training X, "
                             f"{(m, dims[0])}")
        return _tagged_forward(params, m)

    def compute_cost(AL: Any, Y: Any) -> float:
        return _tagged_cost(np.asarray(AL, dtype=np.float64), np.asarray(Y, dtype=np.float64))

    def backward(AL: Any, Y: Any, caches: Any) -> Params:
        return _tagged_backward(np.asarray(AL, dtype=np.float64), caches)

    def update_parameters(params: Params, grads: Params, learning_rate: float) -> Params:
        return _tagged_update(params, grads, float(learning_rate))

    return {"initialize_zeros": initialize_zeros, "initialize_random": initialize_random,
            "initialize_he": initialize_he, "forward": forward, "compute_cost": compute_cost,
            "backward": backward, "update_parameters": update_parameters}


def simulate(Y: np.ndarray, layer_dims: list[int], init: str, learning_rate: float, num_iterations: int,
             seed: int | None, cost_after_update: bool = False, inline_update: bool = False
             ) -> tuple[Params, list[float]]:
    """The (params, costs) the contract's train returns on the tagged fakes (trusted side).

    seed -- the seed of the rng train was given (None: train passed no rng to the initializer);
    cost_after_update, inline_update -- two common orchestration mistakes, so the verdict can name them.
    """
    draw = 0.0 if init == "zeros" else float(np.random.default_rng(seed).random()) if seed is not None else NO_RNG
    params, costs = tagged_init(layer_dims, init, draw), []
    for _ in range(num_iterations):
        AL, caches = _tagged_forward(params, len(Y))
        grads = _tagged_backward(AL, caches)
        params = {k: v - learning_rate * grads["d" + k] for k, v in params.items()} if inline_update \
            else _tagged_update(params, grads, learning_rate)
        costs.append(_tagged_cost(_tagged_forward(params, len(Y))[0] if cost_after_update else AL, Y))
    return params, costs


_MODELS: dict[str, Callable[[dict[str, Any]], dict[str, Callable]]] = {
    "toy_cost": _toy_functions, "tagged_training": _tagged_functions}


def build(model: str, spec: dict[str, Any]) -> dict[str, Callable]:
    """The fake functions of `model`, by the names they replace."""
    return _MODELS[model](spec)
