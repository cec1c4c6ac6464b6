"""The calibrated battery: it accepts correct draws, rejects each kind of wrong draw, and its false-positive
rate is what its alpha says; its critical values are scipy.stats's; the unit-spread helpers tell identical
units from distinct ones."""

import subprocess
import sys

import numpy as np
import pytest

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

N = 2000  # the smallest matrix the hidden checks test


def failed(sample: np.ndarray, mean: float = 0.0, std: float = 1.0, alpha: float = ALPHA) -> set[str]:
    return {o.name for o in normal_battery(sample, mean, std, alpha) if not o.passed}


def test_correct_draws_pass_whatever_numpy_call_made_them():
    g = np.random.default_rng(0)
    std = np.sqrt(2 / 50)
    assert failed(g.standard_normal((50, 120)) * std, std=std) == set()
    assert failed(g.normal(0.0, std, size=(120, 50)), std=std) == set()
    assert failed(np.random.default_rng(1).normal(3.0, 0.5, N), mean=3.0, std=0.5) == set()


@pytest.mark.parametrize(("name", "sample", "must_fail"), [
    ("xavier scale sqrt(1/n) for He's sqrt(2/n)", np.random.default_rng(2).standard_normal(N) / np.sqrt(2),
     {"variance"}),
    ("5% too wide", 1.2 * np.random.default_rng(3).standard_normal(N), {"variance"}),
    ("uniform on [0, 1)", np.random.default_rng(4).random(N), {"mean"}),
    ("uniform with the right variance", np.random.default_rng(5).uniform(-np.sqrt(3), np.sqrt(3), N), {"kurtosis"}),
    ("shifted mean", 0.2 + np.random.default_rng(6).standard_normal(N), {"mean"}),
    ("heavy tails (student t, 5 dof, unit variance)", np.random.default_rng(7).standard_t(5, N) / np.sqrt(5 / 3),
     {"kurtosis"}),
    ("two-point +-1", np.random.default_rng(8).choice([-1.0, 1.0], N), {"shape", "kurtosis"}),
])
def test_wrong_draws_fail_the_test_that_sees_them(name, sample, must_fail):
    assert must_fail <= failed(sample), name


def test_non_finite_entries_fail_everything():
    sample = np.random.default_rng(9).standard_normal(N)
    sample[3] = np.nan
    assert failed(sample) == {"mean", "variance", "shape", "kurtosis"}


def test_too_small_samples_are_refused():
    with pytest.raises(ValueError, match="at least"):
        normal_battery(np.zeros(5), 0.0, 1.0)


def test_false_positive_rate_matches_alpha():
    """At alpha = 0.01 per test, each test rejects ~1% of correct samples (binomial bounds at ~4.5 sd over
    3000 seeds); at the production alpha none of those 3000 is rejected (expected 0.003)."""
    seeds = 3000
    rejections = {"mean": 0, "variance": 0, "shape": 0, "kurtosis": 0}
    production = 0
    for seed in range(seeds):
        sample = np.random.default_rng(10_000 + seed).standard_normal(N)
        for name in failed(sample, alpha=0.01):
            rejections[name] += 1
        production += bool(failed(sample))
    for name, count in rejections.items():
        assert 6 <= count <= 55, (name, count)  # mean 30, sd 5.4
    assert production == 0


def test_unit_spread_identical_and_broken():
    g = np.random.default_rng(11)
    column, out = g.standard_normal((4, 1)), g.standard_normal((1, 2))
    identical = {"W1": np.tile(column, (1, 5)), "b1": np.full((1, 5), 0.3), "W2": np.tile(out, (5, 1))}
    assert unit_spread(unit_vectors(identical, 1)) <= IDENTICAL_SPREAD
    distinct = {"W1": g.standard_normal((4, 5)), "b1": np.zeros((1, 5)), "W2": g.standard_normal((5, 2))}
    assert min_pairwise_spread(unit_vectors(distinct, 1)) > BROKEN_SPREAD
    # only the outgoing weights differ (the worked example): still broken
    outgoing = dict(identical, W2=g.standard_normal((5, 2)))
    assert unit_spread(unit_vectors(outgoing, 1)) > BROKEN_SPREAD
    # two equal units among distinct ones: not broken
    twins = dict(distinct, W1=distinct["W1"].copy(), W2=distinct["W2"].copy())
    twins["W1"][:, 1], twins["W2"][1] = twins["W1"][:, 0], twins["W2"][0]
    assert min_pairwise_spread(unit_vectors(twins, 1)) <= IDENTICAL_SPREAD


def test_all_zero_units_are_identical():
    zeros = {"W1": np.zeros((3, 4)), "b1": np.zeros((1, 4)), "W2": np.zeros((4, 1))}
    assert unit_spread(unit_vectors(zeros, 1)) == 0.0
    assert min_pairwise_spread(unit_vectors(zeros, 1)) == 0.0


def test_kurtosis_z_is_scipys_kurtosistest_at_the_sizes_the_checks_use() -> None:
    # The battery computes the Anscombe-Glynn statistic itself (for speed); it must be scipy's, far tails too.
    from scipy import stats as scipy_stats

    from autograder.checks.stats import _kurtosis_z

    for n in (2000, 4000, 8000):
        for scale_of_tails in (1.0, 0.7, 1.6):  # normal, light tails, heavy tails: z near 0 and far out
            rng = np.random.default_rng(n)
            x = rng.standard_normal(n) * np.where(rng.random(n) < 0.1, scale_of_tails, 1.0)
            x = x - x.mean()
            assert _kurtosis_z(x)[1] == pytest.approx(scipy_stats.kurtosistest(x).statistic, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("n", [20, 50, 999, 1000, 2000, 4000, 5600, 8000, 100_000])
@pytest.mark.parametrize("alpha", [0.01, ALPHA, ALPHA / 9, 1e-12])
def test_critical_values_are_scipy_stats(n: int, alpha: float) -> None:
    # The battery computes its bounds without scipy (its import costs every cold start); they must be scipy's.
    from scipy import special
    from scipy import stats as scipy_stats

    from autograder.checks.stats import _chi2_bounds, _ks_critical, _z_critical

    assert _z_critical(alpha) == pytest.approx(scipy_stats.norm.isf(alpha / 2), rel=1e-13)
    low, high = _chi2_bounds(n, alpha)
    assert low == pytest.approx(scipy_stats.chi2.ppf(alpha / 2, n), rel=1e-11)
    assert high == pytest.approx(scipy_stats.chi2.isf(alpha / 2, n), rel=1e-11)
    exact = special.kolmogi(alpha) / np.sqrt(n) if n >= 1000 else scipy_stats.kstwo.isf(alpha, n)
    assert _ks_critical(n, alpha) == pytest.approx(exact, rel=1e-13)


def test_normal_cdf_is_scipys_ndtr() -> None:
    from scipy import special

    x = np.concatenate([np.linspace(-40.0, 40.0, 20001), [np.inf, -np.inf, 0.0, 1e62, -1e62, 1e300, -1e300]])
    np.testing.assert_allclose(normal_cdf(x), special.ndtr(x), rtol=1e-14, atol=1e-300)  # subnormals differ
    assert np.isnan(normal_cdf(np.nan))


def test_grading_one_submission_imports_no_scipy_or_matplotlib() -> None:
    # What `autograder grade ONE --json` imports on the trusted side: scipy.stats alone is half a second.
    code = ("import sys\n"
            "import autograder.checks, autograder.reports.results_json, autograder.run.isolated, autograder.cli\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'scipy', 'matplotlib', 'nbformat', 'nbgrader'}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
