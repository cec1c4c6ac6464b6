"""The network's parameter and gradient dicts: their keys, shapes, and what is wrong with a returned one.

W{l} is (n_{l-1}, n_l) and b{l} is (1, n_l) (examples are rows); gradients have the same keys with a "d" in front.
forward's caches follow the contract caches[l-1] == (A_prev, W, b, Z, activation).
"""

import numpy as np

CACHE_FIELDS = ("A_prev", "W", "b", "Z", "activation")


def expected_keys(layer_dims: list[int], prefix: str = "") -> list[str]:
    """["W1", "b1", ..., "WL", "bL"] (with prefix "d": the gradient keys)."""
    return [f"{prefix}{name}{l}" for l in range(1, len(layer_dims)) for name in ("W", "b")]


def expected_shapes(layer_dims: list[int], prefix: str = "") -> dict[str, tuple[int, int]]:
    """{"W1": (n_0, n_1), "b1": (1, n_1), ...} (or the gradient keys with prefix "d")."""
    shapes = {}
    for l in range(1, len(layer_dims)):
        shapes[f"{prefix}W{l}"] = (layer_dims[l - 1], layer_dims[l])
        shapes[f"{prefix}b{l}"] = (1, layer_dims[l])
    return shapes


def shape_problems(got: dict[str, np.ndarray], layer_dims: list[int], what: str, prefix: str = "") -> list[str]:
    """Every missing key, extra key and wrong shape in a params/grads dict, as feedback lines."""
    shapes = expected_shapes(layer_dims, prefix)
    problems = []
    missing = [k for k in shapes if k not in got]
    extra = sorted(k for k in got if k not in shapes)
    if missing:
        problems.append(f"{what} is missing keys {missing} (layer_dims {layer_dims})")
    if extra:
        problems.append(f"{what} has unexpected keys {extra}")
    explained: set[str] = set()  # the convention is explained once per kind of array, then just named
    for key, shape in shapes.items():
        if key in got and np.shape(got[key]) != shape:
            transposed = np.shape(got[key]) == shape[::-1] and shape[0] != shape[1]
            problems.append(f'{what}["{key}"] has shape {np.shape(got[key])}, expected {shape}'
                            + (_transposed(key, explained) if transposed else ""))
    return problems


def _transposed(key: str, explained: set[str]) -> str:
    """Name a transposition; the first time per kind (W or b), say which convention explains it."""
    kind = key.lstrip("d")[0]  # "dW1" and "W1" are both W
    if kind in explained:
        return ", transposed as well"
    explained.add(kind)
    if kind == "W":
        return ("; transposed: this notebook's W{l} is (n_{l-1}, n_l) because examples are rows "
                "(Z = A_prev @ W + b), while the Coursera course uses (n_l, n_{l-1}) because its examples are columns")
    return "; transposed: b{l} is a row, (1, n_l), added to every row (example) of Z"


def caches_layout_problems(caches: list, what: str) -> list[str]:
    """Problems of forward's caches (plain data: one list per layer) against the contract's layout."""
    layout = "(A_prev, W, b, Z, activation)"
    problems = []
    for l, layer in enumerate(caches, start=1):
        if len(layer) != len(CACHE_FIELDS):
            problems.append(f"{what}[{l - 1}] (layer {l}) should be the tuple {layout}; it has {len(layer)} items")
        elif not isinstance(layer[-1], str):
            problems.append(f"{what}[{l - 1}] (layer {l}): its last item should be the activation's name, a str")
        elif not all(isinstance(item, np.ndarray) for item in layer[:-1]):
            problems.append(f"{what}[{l - 1}] (layer {l}): A_prev, W, b and Z should be numpy arrays")
    return problems
