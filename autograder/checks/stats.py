"""Calibrated statistics for the hidden checks: the normal-distribution battery, unit spread, relative error.

The distribution battery decides whether a weight matrix looks like i.i.d. draws from N(mean, std^2) with
`mean` and `std` fully specified by the assignment (e.g. He: 0 and sqrt(2 / fan_in)). It runs four tests,
each two-sided at level ALPHA = 2.5e-7, so by the union bound a correct matrix fails the battery with
probability at most 4 * ALPHA = 1e-6, whatever the dependence between the tests:

- mean: z = (xbar - mean) * sqrt(n) / std is exactly N(0, 1) under the null; reject |z| > z_{ALPHA/2} (~5.16).
- variance: S = sum((x - mean)^2) / std^2 is exactly chi-square with n degrees of freedom (the mean is
  known, not estimated); reject S outside [chi2_n(ALPHA/2), chi2_n(1 - ALPHA/2)]. This is the test that
  catches a wrong scale (1/n instead of 2/n is a variance ratio of 2, about 30 standard errors at n = 2000).
- shape: the Kolmogorov-Smirnov statistic D = sup |F_n(x) - Phi((x - mean) / std)| against the fully
  specified normal; its exact null distribution is scipy's `kstwo(n)`; reject D > kstwo(n).isf(ALPHA).
  From n = 1000 on, the asymptotic bound kolmogi(ALPHA) / sqrt(n) is used instead: it is slightly above
  the exact one (by 0.17% at n = 2000), so it is conservative, and it costs nothing where kstwo costs 2 ms.
- kurtosis: the Anscombe-Glynn (1983) transform of the sample excess kurtosis is approximately N(0, 1)
  under normality for n >= 20; reject |Z| > z_{ALPHA/2}. This is the test that catches a uniform draw
  with the right variance (excess kurtosis -1.2; its standard error at n = 2000 is about 0.11).
The kurtosis test is the only approximate one; tests/test_stats.py measures the battery's false-positive
rate at a larger alpha on many seeds to show the approximation holds.

Symmetry is judged on *unit vectors*: hidden unit j of layer l is the concatenation of its incoming weights
W{l}[:, j], its bias b{l}[0, j] and its outgoing weights W{l+1}[j, :]. Two units compute the same function
and receive the same updates forever exactly when these vectors are equal. Spreads are relative to the
largest unit vector's norm: units are IDENTICAL if the spread is <= 1e-9 and symmetry is BROKEN if the
smallest pairwise spread is > 1e-6 (BLAS round-off between identical units reaches about 4e-14).

The critical values are computed here from the standard library (math.lgamma, statistics.NormalDist) and Phi
from Cephes' rational approximations in numpy (the battery takes Phi of thousands of weights at once), not
scipy: importing scipy.stats costs the grader half a second per cold start, and scipy.special a fifth of one.
tests/test_stats.py holds them to scipy.stats's values. Only the exact small-sample KS bound (n < 1000, which
no hidden check reaches) imports scipy.stats, when first asked for.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist

import numpy as np

from ..labkit.compare import relative_error

__all__ = [
    "ALPHA",
    "BROKEN_SPREAD",
    "IDENTICAL_SPREAD",
    "TestOutcome",
    "min_pairwise_spread",
    "normal_battery",
    "normal_cdf",
    "relative_error",
    "unit_spread",
    "unit_vectors",
]

ALPHA = 2.5e-7  # per test, two-sided: four tests give <= 1e-6 per matrix
IDENTICAL_SPREAD = 1e-9
BROKEN_SPREAD = 1e-6
MIN_ENTRIES = 20  # the kurtosis transform needs n >= 20


@dataclass(frozen=True)
class TestOutcome:
    """One test of the battery: its name, whether the sample passed, and what it measured (for feedback)."""

    name: str
    passed: bool
    measured: str


# Cephes' rational approximations (Moshier, Cephes Math Library 2.9, as in scipy.special.ndtr): erf on |x| < 1,
# erfc on [1, 8) and [8, inf). Leading coefficients of 1 in the denominators are implicit.
_ERF_T = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3, 7.00332514112805075473e3,
          5.55923013010394962768e4)
_ERF_U = (3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3, 2.26290000613890934246e4,
          4.92673942608635921086e4)
_ERFC_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0, 4.86371970985681366614e1,
           1.96520832956077098242e2, 5.26445194995477358631e2, 9.34528527171957607540e2, 1.02755188689515710272e3,
           5.57535335369399327526e2)
_ERFC_Q = (1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2, 9.75708501743205489753e2,
           1.82390916687909736289e3, 2.24633760818710981792e3, 1.65666309194161350182e3, 5.57535340817727675546e2)
_ERFC_R = (5.64189583547755073984e-1, 1.27536670759978104416e0, 5.01905042251180477414e0, 6.16021097993053585195e0,
           7.40974269950448939160e0, 2.97886665372100240670e0)
_ERFC_S = (2.26052863220117276590e0, 9.39603524938001434673e0, 1.20489539808096656605e1, 1.70814450747565897222e1,
           9.60896809063285878198e0, 3.36907645100081516050e0)


def _polynomial(x: np.ndarray, coefficients: tuple[float, ...], monic: bool = False) -> np.ndarray:
    """sum c_i x^(n-i) by Horner's rule; monic: with a leading coefficient 1 not listed."""
    value = x + coefficients[0] if monic else np.full_like(x, coefficients[0])
    for c in coefficients[1:]:
        value = value * x + c
    return value


def normal_cdf(x: np.ndarray | float) -> np.ndarray:
    """Phi(x), the standard normal CDF, elementwise, vectorized: scipy.special.ndtr to about 1e-14 relative.

    Phi(x) = (1 + erf(x / sqrt 2)) / 2 where |x| < 1 (erf as a rational function of x^2), else
    erfc(|x| / sqrt 2) / 2 on the side of the tail (erfc(z) = exp(-z^2) P(z) / Q(z)), reflected for x > 0."""
    x = np.asarray(x, dtype=np.float64)
    z = np.abs(x) * math.sqrt(0.5)
    with np.errstate(all="ignore"):  # every branch runs on every element; the unused ones may overflow
        z2 = z * z
        erf = z * _polynomial(z2, _ERF_T) / _polynomial(z2, _ERF_U, monic=True)
        near = np.where(z < 8.0, _polynomial(z, _ERFC_P) / _polynomial(z, _ERFC_Q, monic=True),
                        _polynomial(z, _ERFC_R) / _polynomial(z, _ERFC_S, monic=True))
        tail = 0.5 * np.exp(-z2) * near  # Phi(-|x|)
        tail = np.where(z < 1.0, 0.5 - 0.5 * erf, np.where(z > 40.0, 0.0, tail))  # Phi(-56) underflows anyway
        central = 0.5 + 0.5 * np.where(x < 0, -erf, erf)
    value = np.where(np.abs(x) < 1.0, central, np.where(x < 0, tail, 1.0 - tail))
    return np.where(np.isnan(x), np.nan, value)


def _solve(log_tail: Callable[[float], tuple[float, float]], target: float, x: float) -> float:
    """The x > 0 where a monotone tail probability equals `target`, by Newton on its log from a close start.

    `log_tail(x)` returns (log tail(x), d/dx log tail(x)); on the log scale a tail is nearly linear, so Newton
    converges in a handful of steps. Steps are halved to keep x positive."""
    goal = math.log(target)
    for _ in range(100):
        value, slope = log_tail(x)
        step = (value - goal) / slope
        while x - step <= 0:
            step /= 2
        x -= step
        if abs(step) <= 1e-12 * x:  # convergence is quadratic: what is left is round-off (~1e-15 of x)
            return x
    raise ArithmeticError(f"no convergence towards tail probability {target}")


def _log_gamma_tail(a: float, x: float, upper: bool) -> tuple[float, float]:
    """(log, d/dx log) of the regularized incomplete gamma Q(a, x) (upper) or P(a, x): the series below
    x = a + 1 and the continued fraction above (Numerical Recipes, 6.2), so the tail asked for is summed
    directly, without cancellation, at the bounds the battery uses."""
    log_density = (a - 1) * math.log(x) - x - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        k = a
        while term > total * 1e-17:
            k += 1
            term *= x / k
            total += term
        log_p = math.log(total) + log_density + math.log(x)
        log_tail = math.log1p(-math.exp(log_p)) if upper else log_p
    else:
        tiny = 1e-300  # modified Lentz
        b, c, d = x + 1 - a, 1 / tiny, 1 / (x + 1 - a)
        h, i = d, 1
        while True:
            an = -i * (i - a)
            b += 2
            d = an * d + b
            d = 1 / (d if abs(d) > tiny else tiny)
            c = b + an / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
            if abs(d * c - 1) <= 1e-16:
                break
            i += 1
        log_q = math.log(h) + log_density + math.log(x)
        log_tail = log_q if upper else math.log1p(-math.exp(log_q))
    density_ratio = math.exp(log_density - log_tail)
    return log_tail, -density_ratio if upper else density_ratio


@lru_cache(maxsize=64)
def _z_critical(alpha: float) -> float:
    """scipy.stats.norm.isf(alpha / 2)."""
    return -NormalDist().inv_cdf(alpha / 2)


@lru_cache(maxsize=256)
def _chi2_bounds(n: int, alpha: float) -> tuple[float, float]:
    """(scipy.stats.chi2.ppf(alpha / 2, n), chi2.isf(alpha / 2, n)): chi2_n is Gamma(n / 2) scaled by 2."""
    z = _z_critical(alpha)
    # Wilson-Hilferty: (chi2_n / n)^(1/3) is nearly normal; a start within a few percent of the answer.
    mean, sd = 1 - 2 / (9 * n), math.sqrt(2 / (9 * n))
    bounds = []
    for upper, sign in ((False, -1), (True, 1)):
        start = n / 2 * max(mean + sign * z * sd, 0.1) ** 3
        bounds.append(2 * _solve(lambda x, up=upper: _log_gamma_tail(n / 2, x, up), alpha / 2, start))
    return bounds[0], bounds[1]


def _log_kolmogorov(y: float) -> tuple[float, float]:
    """(log, d/dy log) of the Kolmogorov survival function 2 sum_k (-1)^(k-1) exp(-2 k^2 y^2) (y >~ 0.3)."""
    total = slope = 0.0
    k = 1
    while True:
        term = math.exp(-2 * k * k * y * y)
        total += (-1) ** (k - 1) * term
        slope += (-1) ** (k - 1) * -4 * k * k * y * term
        if term < 1e-20:
            return math.log(2 * total), slope / total
        k += 1


@lru_cache(maxsize=256)
def _ks_critical(n: int, alpha: float) -> float:
    """scipy.stats.kstwo.isf(alpha, n); from n = 1000, the conservative scipy.special.kolmogi(alpha) / sqrt(n)."""
    if n >= 1000:
        return _solve(_log_kolmogorov, alpha, math.sqrt(-math.log(alpha / 2) / 2)) / math.sqrt(n)
    from scipy import stats  # the exact distribution; half a second to import, for samples no check draws

    return float(stats.kstwo.isf(alpha, n))


def _kurtosis_z(x: np.ndarray) -> tuple[float, float]:
    """(sample excess kurtosis, Anscombe-Glynn Z) of a centred sample x, as scipy.stats.kurtosistest."""
    n = x.size
    squares = x * x  # not x**4: float powers are ten times slower
    m2, m4 = np.mean(squares), np.mean(squares * squares)
    b2 = m4 / m2**2
    expected = 3.0 * (n - 1) / (n + 1)
    variance = 24.0 * n * (n - 2) * (n - 3) / ((n + 1) ** 2 * (n + 3) * (n + 5))
    standardized = (b2 - expected) / np.sqrt(variance)
    skew_of_b2 = 6.0 * (n * n - 5 * n + 2) / ((n + 7) * (n + 9)) * np.sqrt(
        6.0 * (n + 3) * (n + 5) / (n * (n - 2) * (n - 3)))
    a = 6.0 + 8.0 / skew_of_b2 * (2.0 / skew_of_b2 + np.sqrt(1 + 4.0 / skew_of_b2**2))
    term = (1 - 2.0 / a) / (1 + standardized * np.sqrt(2 / (a - 4.0)))
    z = ((1 - 2.0 / (9.0 * a)) - np.cbrt(term)) / np.sqrt(2 / (9.0 * a))
    return float(b2 - 3.0), float(z)


def normal_battery(sample: np.ndarray, mean: float, std: float, alpha: float = ALPHA) -> list[TestOutcome]:
    """Run the four tests (see the module docstring) on every entry of `sample` (any shape, >= 20 entries).

    Returns one TestOutcome per test, in the order mean, variance, shape (KS), kurtosis.
    A sample with non-finite entries fails every test.
    """
    x = np.asarray(sample, dtype=np.float64).ravel()
    n = x.size
    if n < MIN_ENTRIES:
        raise ValueError(f"the battery needs at least {MIN_ENTRIES} entries, got {n}")
    if not np.all(np.isfinite(x)):
        return [TestOutcome(name, False, "non-finite entries") for name in ("mean", "variance", "shape", "kurtosis")]
    z_crit = _z_critical(alpha)
    centred = x - mean
    xbar = float(x.mean())
    z = (xbar - mean) * np.sqrt(n) / std
    s = float(np.dot(centred, centred) / std**2)
    low, high = _chi2_bounds(n, alpha)
    cdf = normal_cdf(np.sort(centred) / std)
    ranks = np.arange(1, n + 1) / n
    d = float(max(np.max(ranks - cdf), np.max(cdf - (ranks - 1.0 / n))))
    excess, kz = _kurtosis_z(x - xbar)
    sample_std = float(np.sqrt(s / n)) * std
    return [
        TestOutcome("mean", bool(abs(z) <= z_crit), f"mean {xbar:.3g} (expected {mean:.3g})"),
        TestOutcome("variance", bool(low <= s <= high), f"std {sample_std:.4g} (expected {std:.4g})"),
        TestOutcome("shape", bool(d <= _ks_critical(n, alpha)), f"KS distance to the normal {d:.3g}"),
        TestOutcome("kurtosis", bool(abs(kz) <= z_crit), f"excess kurtosis {excess:.2f} (normal: 0)"),
    ]


def unit_vectors(params: dict[str, np.ndarray], layer: int) -> np.ndarray:
    """(n_l, n_{l-1} + 1 + n_{l+1}) array: row j is hidden unit j of `layer` (incoming W, bias, outgoing W)."""
    incoming = np.asarray(params[f"W{layer}"], dtype=np.float64)
    bias = np.asarray(params[f"b{layer}"], dtype=np.float64).reshape(1, -1)
    outgoing = np.asarray(params[f"W{layer + 1}"], dtype=np.float64)
    return np.hstack([incoming.T, bias.T, outgoing])


def _scale(units: np.ndarray) -> float:
    return float(np.max(np.linalg.norm(units, axis=1)))


def unit_spread(units: np.ndarray) -> float:
    """max_j ||u_j - u_0|| / max_j ||u_j|| (0 when every unit is zero): <= IDENTICAL_SPREAD means identical."""
    scale = _scale(units)
    if scale == 0.0:
        return 0.0
    return float(np.max(np.linalg.norm(units - units[0], axis=1)) / scale)


def min_pairwise_spread(units: np.ndarray) -> float:
    """min_{i<j} ||u_i - u_j|| / max_j ||u_j||: > BROKEN_SPREAD means every pair of units differs."""
    scale = _scale(units)
    if scale == 0.0 or units.shape[0] < 2:
        return 0.0
    # Differences directly, not via the Gram matrix: that loses half the digits (sqrt of round-off ~ 1e-8).
    i, j = np.triu_indices(units.shape[0], 1)
    return float(np.min(np.linalg.norm(units[i] - units[j], axis=1)) / scale)
