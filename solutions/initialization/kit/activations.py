"""Activation functions given to students (provided code, not graded).

Every function is elementwise: it takes an array of any shape and returns an array of the same shape.
The derivatives are *not* here: writing them is part of the `backward` exercise.
"""

import numpy as np

ACTIVATIONS = ("relu", "tanh", "sigmoid")

# A unit counts as saturated when its activation's derivative is (nearly) zero:
# tanh beyond |a| > 0.99 (tanh' < 0.02), sigmoid below 0.01 or above 0.99 (sigmoid' < 0.0099),
# ReLU at a <= 0 (relu' = 0, a "dead" unit for that example).
SATURATION_THRESHOLD = 0.99


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Numerically stable logistic function 1 / (1 + exp(-z)), any shape.

    Written with exp of a non-positive number only, so large |z| gives exactly 0.0 or 1.0
    without an overflow warning.
    """
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def relu(z: np.ndarray) -> np.ndarray:
    """max(z, 0), any shape."""
    return np.maximum(z, 0.0)


def activate(z: np.ndarray, activation: str) -> np.ndarray:
    """Apply the named activation ("relu", "tanh" or "sigmoid") to z, any shape."""
    if activation == "relu":
        return relu(z)
    if activation == "tanh":
        return np.tanh(z)
    if activation == "sigmoid":
        return sigmoid(z)
    raise ValueError(f"unknown activation {activation!r}; expected one of {ACTIVATIONS}")


def saturated(a: np.ndarray, activation: str) -> np.ndarray:
    """Boolean mask, same shape as a: where the unit's derivative is (nearly) zero."""
    if activation == "relu":
        return a <= 0.0
    if activation == "tanh":
        return np.abs(a) > SATURATION_THRESHOLD
    if activation == "sigmoid":
        return (a < 1.0 - SATURATION_THRESHOLD) | (a > SATURATION_THRESHOLD)
    raise ValueError(f"unknown activation {activation!r}; expected one of {ACTIVATIONS}")
