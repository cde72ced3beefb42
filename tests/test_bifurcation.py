"""Bifurcation diagrams: per-lane learning rates, the logistic map's known answers, a linear GD map."""

import numpy as np
import pytest

import netchaos as nc
from netchaos.bifurcation import _periods, attractor_period

# period-doubling points of the logistic map (literature values, e.g. Feigenbaum 1978)
LOGISTIC_DOUBLINGS = [3.0, 3.449490, 3.544090, 3.564407, 3.568759]


def test_per_lane_lr_is_bitwise_the_single_lr_runs():
    model = nc.MLP([4, 10, 3])
    data = nc.datasets.iris()
    theta = model.init(seed=3)
    lrs = np.array([0.3, 1.0, 2.5, 5.0, 7.4, 0.01, 40.0])
    many = nc.train(model, data, np.repeat(theta[None], lrs.size, 0), lr=lrs, steps=150)
    for i, lr in enumerate(lrs):
        one = nc.train(model, data, theta, lr=float(lr), steps=150)
        assert np.array_equal(one.theta, many.theta[i])
        assert np.array_equal(one.loss, many.loss[i], equal_nan=True)
        assert one.diverged_at == many.diverged_at[i]


def test_per_parameter_lr_matches_a_plain_numpy_step():
    model = nc.MLP([4, 3, 3])
    X, y = nc.datasets.iris().train
    theta = model.init(seed=1)
    rates = np.linspace(0.1, 2.0, model.n_params)
    res = nc.train(model, (X, y), theta, lr=rates, steps=1, record="final")
    expected = theta - rates * model.grad(theta, X, y)
    np.testing.assert_allclose(res.theta, expected, rtol=1e-13, atol=1e-14)


def test_bad_lr_arrays_are_rejected():
    model = nc.MLP([4, 3, 3])
    data = nc.datasets.iris()
    th = model.init(seed=0, n=3)
    with pytest.raises(ValueError, match="lr"):
        nc.train(model, data, th, lr=np.ones(4), steps=2)
    with pytest.raises(ValueError, match="lr"):
        nc.train(model, data, th, lr=np.array([1.0, -1.0, 1.0]), steps=2)
    with pytest.raises(ValueError, match="lr"):
        nc.train(model, data, th, lr=np.array([1.0, np.nan, 1.0]), steps=2)


def test_logistic_periods_and_exponent_curve():
    r = np.array([2.8, 3.2, 3.5, 3.55, 3.83, 4.0])
    res = nc.bifurcation_diagram(nc.systems.logistic, lr_values=r, x0=0.3, steps=2000,
                                 transient=3000)
    assert res.period.tolist() == [1, 2, 4, 8, 3, 0]
    # exponent ln|f'| of the attracting orbit: at r = 2.8 the fixed point 1 - 1/r has f' = 2 - r
    assert res.exponent[0] == pytest.approx(np.log(0.8), abs=1e-6)
    assert abs(res.exponent[-1] - np.log(2)) < 0.02
    assert np.all(res.exponent[:5] < 0)
    # zero at the bifurcation points (a slow, algebraic approach: small but not exact)
    at = nc.bifurcation_diagram(nc.systems.logistic, lr_values=LOGISTIC_DOUBLINGS[:3], x0=0.3,
                                steps=20000, transient=20000)
    assert np.all(np.abs(at.exponent) < 0.01)


def test_feigenbaum_delta_from_the_first_doublings():
    pts = nc.period_doublings(nc.systems.logistic, 2.8, 0.3, n=5)
    np.testing.assert_allclose(pts, LOGISTIC_DOUBLINGS, atol=2e-6)
    delta = nc.feigenbaum_ratios(pts)[-1]
    assert abs(delta - 4.669201) / 4.669201 < 0.01


def test_henon_first_doubling_is_the_closed_form():
    # fixed point of the Henon map loses stability at a = 3 (1 - b)^2 / 4
    pts = nc.period_doublings(nc.systems.henon, 0.2, [0.1, 0.1], n=1)
    assert pts[0] == pytest.approx(3 * 0.7 ** 2 / 4, abs=1e-9)


def test_quadratic_loss_exponent_is_exact():
    # linear model + MSE: the GD map is linear with eigenvalues 1 - lr h_i
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    y = X @ [1.0, -2.0, 0.5] + 0.3
    model = nc.MLP([3, 1], loss="mse")
    A = np.hstack([X, np.ones((40, 1))])
    h = np.linalg.eigvalsh(2.0 / 40 * A.T @ A)
    lrs = np.array([0.5, 1.2, 1.9]) / h.max()
    res = nc.bifurcation_diagram(model, (X, y[:, None]), lrs, theta0=np.zeros(4), steps=4000,
                                 transient=0)
    expected = np.log(np.max(np.abs(1 - lrs[:, None] * h[None]), axis=1))
    np.testing.assert_allclose(res.exponent, expected, atol=2e-3)


def _linear_mse():
    """A linear model with MSE (a linear GD map) and its largest curvature h_max."""
    model = nc.MLP([3, 1], loss="mse")
    rng = np.random.default_rng(1)
    X = rng.standard_normal((30, 3))
    y = (X @ [0.5, 1.0, -1.0])[:, None]
    A = np.hstack([X, np.ones((30, 1))])
    return model, X, y, np.linalg.eigvalsh(2.0 / 30 * A.T @ A).max()


def test_network_diagram_flags_divergence_and_finds_periods():
    model, X, y, hmax = _linear_mse()
    res = nc.bifurcation_diagram(model, (X, y), [0.5 / hmax, 3.0 / hmax], theta0=np.zeros(4),
                                 steps=50, transient=2000)
    assert res.period[0] == 1 and not res.diverged[0]
    assert res.diverged[1] and res.period[1] == -1 and np.isnan(res.exponent[1])


def test_network_samples_are_the_losses_of_one_run_with_divergence():
    # lanes diverge in the transient and on the kept steps; the live lanes are repacked,
    # every sample and divergence step must stay those of one plain train call
    model, X, y, hmax = _linear_mse()
    lrs = np.linspace(0.5, 2.6, 40) / hmax
    res = nc.bifurcation_diagram(model, (X, y), lrs, theta0=np.zeros(4), steps=400,
                                 transient=2000)
    one = nc.train(model, (X, y), np.zeros((40, 4)), lr=lrs, steps=2400)
    assert (one.diverged_at < 2000).sum() >= 3 and ((one.diverged_at >= 2000)).sum() >= 1
    np.testing.assert_array_equal(res.diverged_at, one.diverged_at)
    live = one.diverged_at < 0
    assert np.array_equal(res.samples[live], one.loss[live, 2000:2400])
    assert np.isnan(res.samples[~live]).all() and np.isnan(res.exponent[~live]).all()


def test_attractor_period():
    assert attractor_period(np.tile([0.1, 0.5, 0.9], 10)) == 3
    assert attractor_period(np.tile([0.1, 0.5, 0.1, 0.9], 10)) == 4
    assert attractor_period(np.full(20, 0.3)) == 1
    assert attractor_period([0.1, np.nan, 0.2, 0.3]) == -1


def test_vectorised_periods_equal_attractor_period_row_by_row():
    rng = np.random.default_rng(0)
    T = 200
    rows = []
    for p in range(1, 16):                 # periods below, at and beyond max_period
        base = np.tile(rng.uniform(size=p), T // p + 1)[:T]
        for noise in (0.0, 1e-9, 5e-7, 2e-6, 1e-3):     # around the default tolerance
            rows.append(base + noise * rng.standard_normal(T))
    rows.append(np.full(T, 3.0))
    rows.append(np.where(np.arange(T) == 5, np.nan, rng.uniform(size=T)))
    burst = np.tile([0.1, 0.5, 0.9], 70)[:T]
    burst[100:130] = rng.uniform(size=30)  # intermittent: laminar period 3, no period
    rows.append(burst)
    rows.append(np.r_[np.tile([1.0, 2.0], 50), np.tile([1.0, 2.0 + 1e-7], 50)])
    S = np.array(rows)
    for max_period, tol in ((12, None), (5, None), (12, 1e-3), (12, 0.0), (199, None)):
        expected = [attractor_period(s, max_period, tol) for s in S]
        assert _periods(S, max_period, tol).tolist() == expected
    assert set(expected) >= {-1, 0, 1, 2, 3, 15}


def test_window_and_errors():
    res = nc.bifurcation_diagram(nc.systems.logistic, lr_values=np.linspace(3.8, 3.9, 41),
                                 x0=0.3, steps=500, transient=3000)
    lo, hi = res.window(3)
    # the period-3 window opens at 1 + sqrt(8) = 3.828427
    assert 1 + np.sqrt(8) <= lo <= 1 + np.sqrt(8) + 0.0026
    assert hi < 3.86
    with pytest.raises(ValueError, match="x0"):
        nc.bifurcation_diagram(nc.systems.logistic, lr_values=[3.0])
    with pytest.raises(ValueError, match="lr_values"):
        nc.bifurcation_diagram(nc.MLP([4, 3, 3]), nc.datasets.iris(), [1.0, -1.0])
    with pytest.raises(TypeError, match="model"):
        nc.bifurcation_diagram(3.0, lr_values=[1.0], x0=0.1)
