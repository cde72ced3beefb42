"""Finite network Lyapunov exponents and the network MLE (netchaos.exponents), on
synthetic distances with a known exponent and on the reference protocol of Danovski et al.
(2024) as a literature range."""

import warnings

import numpy as np
import pytest

import netchaos as nc
from netchaos import exponents


# --------------------------------------------------------------------------
# synthetic distances with a known exponent
# --------------------------------------------------------------------------
def exp_plateau(lam, T, d0, top):
    """d0 * exp(lam * t) until it reaches ``top``, then constant; also the kink time."""
    t = np.arange(T, dtype=float)
    t_kink = np.log(top / d0) / lam
    return d0 * np.exp(lam * np.minimum(t, t_kink)), t_kink


LAMS = np.array([0.1, 0.25, 0.5, 1.0])


def synthetic(n_pert=1, noise=0.0, seed=0, T=301):
    rng = np.random.default_rng(seed)
    out = np.empty((LAMS.size, n_pert, T))
    kinks = []
    for i, lam in enumerate(LAMS):
        base, tk = exp_plateau(lam, T, 1e-12, 5.0)
        kinks.append(tk)
        scale = rng.uniform(0.5, 2.0, size=(n_pert, 1))  # same kink, different prefactors
        out[i] = scale * base * np.exp(noise * rng.standard_normal((n_pert, T)))
    return out, np.array(kinks)


def test_finite_lyapunov_noise_free_exact():
    d, kinks = synthetic(n_pert=5)
    fl = nc.finite_lyapunov(d)
    np.testing.assert_allclose(fl.exponent, LAMS, rtol=0, atol=1e-10)
    np.testing.assert_allclose(fl.r2, 1.0, atol=1e-10)
    assert np.all(fl.reason == "ok")
    assert np.all(fl.saturated)
    # the fit never reaches into the plateau
    assert np.all(fl.window[:, 1] - 1 <= kinks)
    assert np.all(fl.saturation_step <= kinks)
    assert np.all(fl.window[:, 1] - fl.window[:, 0] >= fl.min_window)
    assert fl.log_mean_distance.shape == (4, 301)


def test_finite_lyapunov_noisy():
    d, kinks = synthetic(n_pert=5, noise=0.01, seed=3)
    fl = nc.finite_lyapunov(d)
    np.testing.assert_allclose(fl.exponent, LAMS, rtol=0, atol=1e-3)
    assert np.all(fl.r2 > 0.999)
    assert np.all(fl.window[:, 1] - 1 <= kinks)


def test_finite_lyapunov_input_shapes():
    d, _ = synthetic(n_pert=3, noise=0.01, seed=4)
    three = nc.finite_lyapunov(d)
    two = nc.finite_lyapunov(d.mean(axis=1), layout="init,t")     # the means, named
    with pytest.raises(ValueError, match="ambiguous.*layout=.*'init,t'"):
        nc.finite_lyapunov(d.mean(axis=1))                        # (4, 301): rows < T
    np.testing.assert_array_equal(three.exponent, two.exponent)
    np.testing.assert_array_equal(three.window, two.window)
    one = nc.finite_lyapunov(d[2].mean(axis=0))
    assert one.exponent.shape == (1,) and one.window.shape == (1, 2)
    assert one.exponent[0] == two.exponent[2]
    # mean of distances, then log (Eq. 3), not the mean of logs
    np.testing.assert_allclose(two.log_mean_distance, np.log(d.mean(axis=1)))


def test_finite_lyapunov_window_options():
    d, kinks = synthetic(n_pert=1)
    d = d[:, :1]                   # (n_init, 1, T): one perturbation each
    for kw in (dict(lengths="all"), dict(lengths=[10, 20, 40]), dict(starts=[0, 3]),
               dict(starts=2), dict(min_window=14)):
        fl = nc.finite_lyapunov(d, **kw)
        np.testing.assert_allclose(fl.exponent, LAMS, atol=1e-10, err_msg=str(kw))
        assert np.all(fl.window[:, 1] - 1 <= kinks)
    # lambda = 1 saturates after 29 steps: no window of 35 points fits before that
    fl = nc.finite_lyapunov(d, min_window=35)
    np.testing.assert_array_equal(fl.reason, ["ok", "ok", "ok", "too_short"])
    # explicit saturation steps and max_steps bound the windows
    fl = nc.finite_lyapunov(d, saturation=np.array([100, 50, 20, 12]), min_window=10)
    np.testing.assert_array_equal(fl.window[:, 1], [101, 51, 21, 13])
    np.testing.assert_allclose(fl.exponent, LAMS, atol=1e-10)
    fl = nc.finite_lyapunov(d, max_steps=15, min_window=10)
    assert fl.log_mean_distance.shape == (4, 16)
    np.testing.assert_allclose(fl.exponent, LAMS, atol=1e-10)
    # windows pinned at the last step without saturation detection: the plateau enters the
    # fit and biases the slope down
    fl = nc.finite_lyapunov(d, saturation=False, lengths=None)
    assert np.all(fl.window[:, 1] == 301)
    assert np.all(fl.exponent < LAMS)
    # free windows avoid the plateau by themselves (a kinked line has R^2 < 1)
    fl = nc.finite_lyapunov(d, saturation=False)
    np.testing.assert_allclose(fl.exponent, LAMS, atol=1e-10)
    assert np.all(fl.window[:, 1] - 1 <= kinks + 1)


def test_finite_lyapunov_staircase_average_rate():
    """GD distances often grow in bursts separated by nearly flat, smooth
    stretches. The default (windows ending at the saturation step) returns
    the average rate of the divergence phase instead of a flat stretch."""
    rng = np.random.default_rng(5)
    inc = np.tile(np.r_[np.full(10, 0.6), np.full(10, 0.002)], 5)  # 0.301 per step on average
    y = np.r_[np.log(1e-7), np.log(1e-7) + np.cumsum(inc)]
    y = np.r_[y, np.full(100, y[-1])] + 0.003 * rng.standard_normal(y.size + 100)
    fl = nc.finite_lyapunov(np.exp(y))
    assert abs(fl.exponent[0] - 0.301) < 0.03
    assert fl.r2[0] > 0.95


def test_finite_lyapunov_nan_reasons_without_warnings():
    d, _ = synthetic(n_pert=2)
    d = d.copy()
    d[1] = 0.0  # eps = 0: identical trajectories
    d[2, 1, 40:] = np.nan  # one member diverged
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fl = nc.finite_lyapunov(d)
        np.testing.assert_array_equal(fl.reason, ["ok", "zero_distance", "nonfinite", "ok"])
        assert np.isnan(fl.exponent[1]) and np.isnan(fl.exponent[2])
        assert np.all(fl.window[1:3] == -1)
        assert np.isfinite(fl.exponent[[0, 3]]).all()
        # zero single series, too-short series, constant series
        assert nc.finite_lyapunov(np.zeros(50)).reason[0] == "zero_distance"
        assert nc.finite_lyapunov(np.ones(6)).reason[0] == "too_short"
        assert nc.finite_lyapunov(np.full(50, 0.3)).reason[0] == "flat"
        # distances that are zero only at some steps: fit on the positive part
        z = exp_plateau(0.3, 120, 1e-6, 1.0)[0]
        z[:5] = 0.0
        fl = nc.finite_lyapunov(z)
        assert fl.reason[0] == "ok" and abs(fl.exponent[0] - 0.3) < 1e-10
        assert fl.window[0, 0] >= 5
        # the result can feed network_mle with NaNs present
        mle = nc.network_mle(nc.finite_lyapunov(d), seed=0)
        assert mle.n_nan == 2
    assert set(fl.reason) <= set(exponents.REASONS)


def test_finite_lyapunov_bad_input():
    with pytest.raises(ValueError, match="distances"):
        nc.finite_lyapunov(-np.ones(30))
    with pytest.raises(ValueError, match="distances"):
        nc.finite_lyapunov(np.ones((2, 2, 2, 2)))
    with pytest.raises(TypeError, match="distances"):
        nc.finite_lyapunov("abc")
    with pytest.raises(ValueError, match="min_window"):
        nc.finite_lyapunov(np.ones(30), min_window=2)
    with pytest.raises(ValueError, match="lengths"):
        nc.finite_lyapunov(np.ones(30), lengths="some")
    with pytest.raises(ValueError, match="starts"):
        nc.finite_lyapunov(np.ones(30), starts=[-1, 2])
    with pytest.raises(ValueError, match="saturation_fraction"):
        nc.finite_lyapunov(np.ones(30), saturation_fraction=1.5)


# --------------------------------------------------------------------------
# network MLE
# --------------------------------------------------------------------------
def test_network_mle_known_values():
    lam = np.array([0.3, 0.4, np.nan, 0.01, -0.2, 0.5, 0.2])
    r2 = np.array([0.95, 0.99, np.nan, 0.99, 0.99, 0.5, 0.9])  # r2 = 0.9 is not > 0.9
    m = nc.network_mle(lam, r2, seed=0)
    np.testing.assert_array_equal(m.kept, [True, True, False, False, False, False, False])
    assert m.exponent == pytest.approx(0.35, abs=1e-15)
    assert m.n_kept == 2 and m.n == 7 and m.n_nan == 1
    assert m.kept_fraction == pytest.approx(2 / 7, abs=1e-15)
    assert m.rho == pytest.approx(5 / 6, abs=1e-15)  # over the 6 finite ones, before filtering
    assert m.std == pytest.approx(np.std([0.3, 0.4], ddof=1))
    # without r2 only the exponent filter applies
    m2 = nc.network_mle(lam, seed=0)
    assert m2.n_kept == 4 and m2.exponent == pytest.approx(np.mean([0.3, 0.4, 0.5, 0.2]))
    # thresholds are parameters
    m3 = nc.network_mle(lam, r2, min_r2=0.4, min_exponent=0.0, seed=0)
    assert m3.n_kept == 5 and m3.exponent == pytest.approx(np.mean([0.3, 0.4, 0.01, 0.5, 0.2]))
    assert "NetworkMLE" in repr(m)


def test_network_mle_bootstrap():
    rng = np.random.default_rng(1)
    widths = []
    for n in (40, 640):
        lam = rng.normal(0.33, 0.1, n)
        m = nc.network_mle(lam, np.ones(n), n_boot=2000, seed=2)
        lo, hi = m.ci
        assert lo < m.exponent < hi
        widths.append(hi - lo)
        # percentile interval of the mean ~ 2 * 1.96 * sd / sqrt(n)
        assert hi - lo == pytest.approx(2 * 1.96 * np.std(lam[m.kept], ddof=1) / np.sqrt(m.n_kept),
                                        rel=0.15)
    assert widths[1] < widths[0] / 3  # narrows like 1/sqrt(n) (ratio 4 expected)
    # reproducible by seed; no interval without resamples
    a = nc.network_mle(lam, seed=7)
    b = nc.network_mle(lam, seed=7)
    assert a.ci == b.ci
    assert np.isnan(nc.network_mle(lam, n_boot=0).ci[0])
    assert np.isnan(nc.network_mle(np.array([0.3]), seed=0).ci[0])


def test_network_mle_bad_input():
    with pytest.raises(ValueError, match="r2"):
        nc.network_mle(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="ci"):
        nc.network_mle(np.ones(3), ci=1.5)
    with pytest.raises(ValueError, match="n_boot"):
        nc.network_mle(np.ones(3), n_boot=-1)
    with pytest.raises(ValueError, match="r2"):
        nc.network_mle(nc.finite_lyapunov(np.exp(0.2 * np.arange(50))), r2=np.ones(1))


# --------------------------------------------------------------------------
# the reference protocol (literature range)
# --------------------------------------------------------------------------
def test_reference_protocol_literature_range(iris, iris_model):
    """Danovski, Soriano, Lacasa (2024), Sec. 4.1, Figs. 7-8: Iris, 4-10-3
    sigmoid network, weights N(0, 1), full-batch GD at lr = 1 (edge of
    stability), eps = 1e-8, 5 perturbations, 200 steps; fits with R^2 > 0.9
    and Lambda > 0.05 kept ("around 90 %"), lambda_nMLE ~ 0.33 (500 initial
    conditions there, 60 here). Measured with this module's default window
    search over 500 initial conditions: see the module report."""
    res = nc.perturbation_ensemble(iris_model, iris, lr=1.0, steps=200, eps=1e-8, n_init=60,
                                   n_pert=5, seed=2024)
    assert res.n_diverged == 0
    fl = nc.finite_lyapunov(res)
    mle = nc.network_mle(fl, seed=0)
    assert 0.2 <= mle.exponent <= 0.45, mle
    assert 0.6 <= mle.kept_fraction <= 1.0, mle
    assert mle.rho > 0.9
    # the windows stop at the detected saturation, before the plateau
    ok = fl.reason == "ok"
    assert np.all(fl.window[ok, 1] - 1 <= fl.saturation_step[ok])
