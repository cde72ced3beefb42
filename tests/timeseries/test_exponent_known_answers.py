"""Known answers of the time-series exponents (:func:`netchaos.kantz`, :func:`netchaos.rosenstein`).

Periodic signals, noise and linear processes are not chaotic; the logistic
and tent maps at full height have lambda = ln 2 per step, the Henon map
0.419 per step, the Lorenz flow 0.906 per unit of time -- also from quantized,
noisy and sampled-flow series. Every series is generated here with plain
numpy loops.
"""

import numpy as np
import pytest

from netchaos.timeseries import REASONS, kantz, rosenstein
from netchaos.timeseries._common import surrogate_test

LN2 = float(np.log(2.0))
#: Henon map (a = 1.4, b = 0.3), largest exponent per iteration (Sprott 2003: 0.41922)
HENON = 0.419
#: Lorenz (sigma = 10, rho = 28, beta = 8/3), largest exponent per unit of time
#: (Sprott 2003: 0.9056)
LORENZ = 0.906


def logistic(n, x0=0.3141, transient=100):
    x = np.empty(n + transient)
    x[0] = x0
    for t in range(1, x.size):
        x[t] = 4.0 * x[t - 1] * (1.0 - x[t - 1])
    return x[transient:]


def tent(n):
    """The tent map of slope 2 through its conjugacy with the logistic map,
    u = (2 / pi) arcsin(sqrt(x)) (iterating the tent map itself in binary floating
    point collapses to 0 within 60 steps)."""
    return 2.0 / np.pi * np.arcsin(np.sqrt(logistic(n, x0=0.2718)))


def henon_x(n, transient=100):
    x = np.empty(n + transient)
    x[0], y = 0.1, 0.1
    for t in range(1, x.size):
        x[t], y = 1.0 - 1.4 * x[t - 1] ** 2 + y, 0.3 * x[t - 1]
    return x[transient:]


def lorenz_x(dt, n, h=0.01, transient=50.0):
    """x(t) of the Lorenz flow, fixed-step RK4 of step h (dt a multiple of h), after a transient."""
    def f(s):
        return np.array([10.0 * (s[1] - s[0]), s[0] * (28.0 - s[2]) - s[1],
                         s[0] * s[1] - 8.0 / 3.0 * s[2]])

    def rk4(s):
        k1 = f(s)
        k2 = f(s + 0.5 * h * k1)
        k3 = f(s + 0.5 * h * k2)
        k4 = f(s + h * k3)
        return s + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)

    sub = round(dt / h)
    s = np.array([1.0, 1.0, 20.0])
    for _ in range(round(transient / h)):
        s = rk4(s)
    out = np.empty(n)
    for i in range(n):
        for _ in range(sub):
            s = rk4(s)
        out[i] = s[0]
    return out


def ar1(n, phi, seed):
    e = np.random.default_rng(seed).normal(size=n + 200)
    x = np.zeros(n + 200)
    for t in range(1, x.size):
        x[t] = phi * x[t - 1] + e[t]
    return x[200:]


def within(value, truth, rel):
    return abs(value - truth) <= rel * abs(truth)


ESTIMATORS = {"kantz": kantz, "rosenstein": rosenstein}


# --------------------------------------------------------------------------
# not chaotic: periodic, noise, linear
# --------------------------------------------------------------------------
PERIODS = [(3, 0.4), (4.7, 1.3), (5, 2.1), (7.3, 0.4), (10, 1.3), (13.7, 2.1), (16, 0.4),
           (20, 1.3)]


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
@pytest.mark.parametrize("period, phase", PERIODS)
def test_sines_are_not_chaotic(name, period, phase):
    """Integer periods (exact recurrences at rounding distance) and non-integer ones."""
    x = np.sin(2.0 * np.pi * np.arange(1000) / period + phase)
    res = ESTIMATORS[name](x, n_surrogates=19, alpha=0.1, seed=1)
    assert not res.significant, (period, phase, res)


def test_the_reported_sines_are_not_chaotic():
    """The two sines once reported chaotic (their surrogate tests run in the docstrings)."""
    n = np.arange(2000)
    r = rosenstein(np.sin(2 * np.pi * n / 10 + 0.4), n_surrogates=0, seed=1)
    assert abs(r.exponent) < 0.01
    k = kantz(np.sin(2 * np.pi * n / 16 + 0.4), n_surrogates=0, seed=1)
    # the only neighbours of an exactly periodic series are rounding-level copies
    assert np.isnan(k.exponent) and k.reason == "rounding_level"


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_period3_orbit_and_float32_periodic_data(name):
    orbit = np.tile([0.15, 0.95, 0.55], 400)
    f32 = np.sin(2.0 * np.pi * np.arange(1200) / 8 + 0.7).astype(np.float32).astype(float)
    f32_irrational = np.cos(np.sqrt(2.0) * np.arange(1200)).astype(np.float32).astype(float)
    for x in (orbit, f32, f32_irrational):
        res = ESTIMATORS[name](x, n_surrogates=19, alpha=0.1, seed=2)
        assert not res.significant, res


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_noise_and_ar1_are_not_chaotic(name):
    white = np.random.default_rng(5).normal(size=1500)
    for x in (white, ar1(1500, 0.9, seed=6)):
        res = ESTIMATORS[name](x, n_surrogates=20, seed=3)
        assert not res.significant, res


# --------------------------------------------------------------------------
# chaotic maps: ln 2 and 0.419 per step, also quantized and noisy
# --------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(ESTIMATORS))
@pytest.mark.parametrize("system", ["logistic", "tent"])
@pytest.mark.parametrize("decimals", [None, 3])
def test_full_height_maps_give_ln2(name, system, decimals):
    x = logistic(3000) if system == "logistic" else tent(3000)
    if decimals is not None:
        x = np.round(x, decimals)
    res = ESTIMATORS[name](x, n_surrogates=0, seed=0)
    assert within(res.exponent, LN2, 0.05), res


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_henon_clean_and_noisy(name):
    x = henon_x(4000)
    res = ESTIMATORS[name](x, n_surrogates=0, seed=0)
    assert within(res.exponent, HENON, 0.05), res
    noisy = x + 0.05 * np.std(x) * np.random.default_rng(4).normal(size=x.size)
    res = ESTIMATORS[name](noisy, n_surrogates=0, seed=0)
    assert within(res.exponent, HENON, 0.35), res


def test_logistic_and_henon_are_significant():
    for x in (logistic(2000), henon_x(2000)):
        for fn in (kantz, rosenstein):
            assert fn(x, n_surrogates=20, seed=7).significant


def test_exact_copies_do_not_seed_curves():
    """A series holding an exact copy of itself: every point's nearest neighbour is at distance 0."""
    a = logistic(1500)
    x = np.concatenate([a, a])
    assert within(kantz(x, n_surrogates=0).exponent, LN2, 0.05)
    assert within(rosenstein(x, n_surrogates=0).exponent, LN2, 0.05)


# --------------------------------------------------------------------------
# a sampled flow: dt and the automatic window
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lorenz():
    return {0.01: lorenz_x(0.01, 20_000), 0.05: lorenz_x(0.05, 5_000)}


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
@pytest.mark.parametrize("dt", [0.01, 0.05])
def test_lorenz_flow_per_unit_time(lorenz, name, dt):
    res = ESTIMATORS[name](lorenz[dt], dt=dt, n_surrogates=0, seed=0)
    assert within(res.exponent, LORENZ, 0.10), res
    # the fitted range is reported on the time axis, past the initial alignment
    a, b = res.window
    assert res.t[a] > 0 and res.t[b - 1] - res.t[a] >= 0.3
    assert res.dt == dt and np.all(np.diff(res.t) > 0)
    np.testing.assert_allclose(res.t / dt, np.round(res.t / dt), atol=1e-9)


def test_dt_scales_the_time_axis_and_the_exponent():
    x = henon_x(1500)
    one = kantz(x, n_surrogates=0)
    half = kantz(x, n_surrogates=0, dt=0.5)
    np.testing.assert_allclose(half.t, 0.5 * np.arange(21))
    assert half.window == one.window
    assert half.exponent == pytest.approx(2.0 * one.exponent, rel=1e-12)
    r = rosenstein(x, n_surrogates=0, dt=0.5)
    np.testing.assert_allclose(r.t, 0.5 * np.arange(21))
    with pytest.raises(ValueError, match="dt"):
        kantz(x, dt=0.0)
    with pytest.raises(ValueError, match="dt"):
        rosenstein(x, dt=-1.0)


def test_short_explicit_curve_of_a_flow_warns(lorenz):
    with pytest.warns(UserWarning, match="max_steps=20 covers less than half the mean period"):
        kantz(lorenz[0.01][:3000], max_steps=20, dt=0.01, n_surrogates=0)


# --------------------------------------------------------------------------
# significance rule, refused arguments, reason codes
# --------------------------------------------------------------------------
def test_significant_means_positive_beyond_the_null():
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)

    def below(value):
        return lambda y: value

    # above every surrogate but negative: not significant
    p, sig, _, _ = surrogate_test(-0.5, x, "shuffle", 39, rng, below(-1.0), 0.05, False, "", 10)
    assert p == 1 / 40 and not sig
    # positive and above every surrogate: significant
    p, sig, _, _ = surrogate_test(0.5, x, "shuffle", 39, rng, below(0.1), 0.05, False, "", 10)
    assert p == 1 / 40 and sig
    # positive but not above the surrogates: not significant
    p, sig, _, _ = surrogate_test(0.5, x, "shuffle", 39, rng, below(0.5), 0.05, False, "", 10)
    assert p == 1.0 and not sig


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_too_few_surrogates_for_alpha_are_refused(name):
    x = henon_x(600)
    with pytest.raises(ValueError, match=r"n_surrogates=10.*alpha=0.05"):
        ESTIMATORS[name](x, n_surrogates=10)
    with pytest.raises(ValueError, match=r"n_surrogates=19.*alpha=0.05"):
        ESTIMATORS[name](x, n_surrogates=19)
    with pytest.raises(ValueError, match=r"n_surrogates=3.*alpha=0.25"):
        ESTIMATORS[name](x, n_surrogates=3, alpha=0.25)
    assert ESTIMATORS[name](x, n_surrogates=20, seed=0).surrogate_exponents.size == 20


def test_constant_series_refused_by_all():
    from netchaos.timeseries import acf
    for fn in (kantz, rosenstein, acf):
        with pytest.raises(ValueError, match="constant"):
            fn(np.full(500, 0.25))


def test_reason_codes():
    # a converging loss: every neighbour is a temporal neighbour
    loss = np.exp(-np.arange(800) / 150.0) + 0.1
    k = kantz(loss, n_surrogates=20, seed=0)
    assert np.isnan(k.exponent) and k.reason == "theiler_window" and not k.significant
    periodic = np.tile([0.15, 0.95, 0.55], 300)
    assert kantz(periodic, n_surrogates=0).reason == "rounding_level"
    far = kantz(henon_x(600), eps=1e-9, n_surrogates=0)
    assert np.isnan(far.exponent) and far.reason == "no_neighbours"
    ok = kantz(henon_x(600), n_surrogates=0)
    assert np.isfinite(ok.exponent) and ok.reason == "no_surrogates"
    assert kantz(henon_x(600), n_surrogates=20, seed=0).reason is None
    assert rosenstein(henon_x(600), n_surrogates=0).reason == "no_surrogates"
    assert set(REASONS) >= {"theiler_window", "rounding_level", "no_neighbours",
                            "too_few_references", "zero_distances", "no_surrogates"}


def test_acf_never_returns_nan():
    from netchaos.timeseries import acf
    with pytest.raises(ValueError, match="series varies by only"):
        acf(1e-170 * np.random.default_rng(0).normal(size=200), nlags=5, n_surrogates=20)
    res = acf(1e-100 * np.random.default_rng(0).normal(size=200), nlags=5, n_surrogates=20)
    assert np.all(np.isfinite(res.acf)) and np.all(np.isfinite(res.lower))
