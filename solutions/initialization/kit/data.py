"""The two-circles data set (provided code, not graded): generated with numpy, no download.

Two noisy concentric circles in the plane: the outer circle (radius 1) is class 0, the inner circle
(radius `factor`) is class 1. No straight line separates them, so a network has to learn a curved
boundary, which only works once its initialization lets every hidden unit learn something different.
Examples are rows: X is (m, 2), Y is (m, 1).
"""

import numpy as np

DEFAULT_SEED = 1


def _circles(m: int, noise: float, factor: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """m points, half on each circle (the outer one gets the odd point), shuffled: X (m, 2), Y (m, 1)."""
    n_outer = m - m // 2
    radius = np.concatenate([np.ones(n_outer), np.full(m // 2, factor)])
    labels = np.concatenate([np.zeros(n_outer), np.ones(m // 2)])
    angle = rng.uniform(0.0, 2.0 * np.pi, size=m)
    X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    X += noise * rng.standard_normal((m, 2))
    order = rng.permutation(m)
    return X[order], labels[order].reshape(m, 1)


def make_circles(
    n_train: int = 300,
    n_test: int = 100,
    noise: float = 0.05,
    factor: float = 0.5,
    seed: int = DEFAULT_SEED,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A seeded train/test split of the two-circles data set.

    Arguments:
    n_train, n_test -- number of training and test examples (each split is half class 0, half class 1)
    noise -- standard deviation of the Gaussian noise added to every coordinate
    factor -- radius of the inner circle (class 1); the outer circle (class 0) has radius 1
    seed -- the same seed always gives the same data

    Returns:
    X_train -- (n_train, 2) float64 points, one example per row
    Y_train -- (n_train, 1) float64 labels in {0.0, 1.0}
    X_test -- (n_test, 2)
    Y_test -- (n_test, 1)
    """
    rng = np.random.default_rng(seed)
    X_train, Y_train = _circles(n_train, noise, factor, rng)
    X_test, Y_test = _circles(n_test, noise, factor, rng)
    return X_train, Y_train, X_test, Y_test
