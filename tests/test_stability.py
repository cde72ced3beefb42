"""Perturbation ensembles, finite network Lyapunov exponents, the network MLE
and weight-level measures (netchaos.stability).

Estimators are validated on series with known exponents (synthetic
exponential-then-plateau distances, the linear GD map of least squares) and
then on the reference protocol of Danovski et al. (2024)."""

import warnings

import numpy as np
import pytest

import netchaos as nc
from netchaos import stability as st


@pytest.fixture(scope="module")
def iris():
    return nc.datasets.iris()


@pytest.fixture(scope="module")
def iris_model():
    return nc.MLP([4, 10, 3], activation="sigmoid", loss="cross_entropy")


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
    fl = st.finite_lyapunov(d)
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
    fl = st.finite_lyapunov(d)
    np.testing.assert_allclose(fl.exponent, LAMS, rtol=0, atol=1e-3)
    assert np.all(fl.r2 > 0.999)
    assert np.all(fl.window[:, 1] - 1 <= kinks)


def test_finite_lyapunov_input_shapes():
    d, _ = synthetic(n_pert=3, noise=0.01, seed=4)
    three = st.finite_lyapunov(d)
    two = st.finite_lyapunov(d.mean(axis=1))
    np.testing.assert_array_equal(three.exponent, two.exponent)
    np.testing.assert_array_equal(three.window, two.window)
    one = st.finite_lyapunov(d[2].mean(axis=0))
    assert one.exponent.shape == (1,) and one.window.shape == (1, 2)
    assert one.exponent[0] == two.exponent[2]
    # mean of distances, then log (Eq. 3), not the mean of logs
    np.testing.assert_allclose(two.log_mean_distance, np.log(d.mean(axis=1)))


def test_finite_lyapunov_window_options():
    d, kinks = synthetic(n_pert=1)
    d = d[:, 0]
    for kw in (dict(lengths="all"), dict(lengths=[10, 20, 40]), dict(starts=[0, 3]),
               dict(starts=2), dict(min_window=14)):
        fl = st.finite_lyapunov(d, **kw)
        np.testing.assert_allclose(fl.exponent, LAMS, atol=1e-10, err_msg=str(kw))
        assert np.all(fl.window[:, 1] - 1 <= kinks)
    # lambda = 1 saturates after 29 steps: no window of 35 points fits before that
    fl = st.finite_lyapunov(d, min_window=35)
    np.testing.assert_array_equal(fl.reason, ["ok", "ok", "ok", "too_short"])
    # explicit saturation steps and max_steps bound the windows
    fl = st.finite_lyapunov(d, saturation=np.array([100, 50, 20, 12]), min_window=10)
    np.testing.assert_array_equal(fl.window[:, 1], [101, 51, 21, 13])
    np.testing.assert_allclose(fl.exponent, LAMS, atol=1e-10)
    fl = st.finite_lyapunov(d, max_steps=15, min_window=10)
    assert fl.log_mean_distance.shape == (4, 16)
    np.testing.assert_allclose(fl.exponent, LAMS, atol=1e-10)
    # windows pinned at the last step without saturation detection: the plateau enters the
    # fit and biases the slope down
    fl = st.finite_lyapunov(d, saturation=False, lengths=None)
    assert np.all(fl.window[:, 1] == 301)
    assert np.all(fl.exponent < LAMS)
    # free windows avoid the plateau by themselves (a kinked line has R^2 < 1)
    fl = st.finite_lyapunov(d, saturation=False)
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
    fl = st.finite_lyapunov(np.exp(y))
    assert abs(fl.exponent[0] - 0.301) < 0.03
    assert fl.r2[0] > 0.95


def test_finite_lyapunov_nan_reasons_without_warnings():
    d, _ = synthetic(n_pert=2)
    d = d.copy()
    d[1] = 0.0  # eps = 0: identical trajectories
    d[2, 1, 40:] = np.nan  # one member diverged
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fl = st.finite_lyapunov(d)
        np.testing.assert_array_equal(fl.reason, ["ok", "zero_distance", "nonfinite", "ok"])
        assert np.isnan(fl.exponent[1]) and np.isnan(fl.exponent[2])
        assert np.all(fl.window[1:3] == -1)
        assert np.isfinite(fl.exponent[[0, 3]]).all()
        # zero single series, too-short series, constant series
        assert st.finite_lyapunov(np.zeros(50)).reason[0] == "zero_distance"
        assert st.finite_lyapunov(np.ones(6)).reason[0] == "too_short"
        assert st.finite_lyapunov(np.full(50, 0.3)).reason[0] == "flat"
        # distances that are zero only at some steps: fit on the positive part
        z = exp_plateau(0.3, 120, 1e-6, 1.0)[0]
        z[:5] = 0.0
        fl = st.finite_lyapunov(z)
        assert fl.reason[0] == "ok" and abs(fl.exponent[0] - 0.3) < 1e-10
        assert fl.window[0, 0] >= 5
        # the result can feed network_mle with NaNs present
        mle = st.network_mle(st.finite_lyapunov(d), seed=0)
        assert mle.n_nan == 2
    assert set(fl.reason) <= set(st.REASONS)


def test_finite_lyapunov_bad_input():
    with pytest.raises(ValueError, match="distances"):
        st.finite_lyapunov(-np.ones(30))
    with pytest.raises(ValueError, match="distances"):
        st.finite_lyapunov(np.ones((2, 2, 2, 2)))
    with pytest.raises(TypeError, match="distances"):
        st.finite_lyapunov("abc")
    with pytest.raises(ValueError, match="min_window"):
        st.finite_lyapunov(np.ones(30), min_window=2)
    with pytest.raises(ValueError, match="lengths"):
        st.finite_lyapunov(np.ones(30), lengths="some")
    with pytest.raises(ValueError, match="starts"):
        st.finite_lyapunov(np.ones(30), starts=[-1, 2])
    with pytest.raises(ValueError, match="saturation_fraction"):
        st.finite_lyapunov(np.ones(30), saturation_fraction=1.5)


# --------------------------------------------------------------------------
# network MLE
# --------------------------------------------------------------------------
def test_network_mle_known_values():
    lam = np.array([0.3, 0.4, np.nan, 0.01, -0.2, 0.5, 0.2])
    r2 = np.array([0.95, 0.99, np.nan, 0.99, 0.99, 0.5, 0.9])  # r2 = 0.9 is not > 0.9
    m = st.network_mle(lam, r2, seed=0)
    np.testing.assert_array_equal(m.kept, [True, True, False, False, False, False, False])
    assert m.value == pytest.approx(0.35, abs=1e-15)
    assert m.n_kept == 2 and m.n == 7 and m.n_nan == 1
    assert m.kept_fraction == pytest.approx(2 / 7, abs=1e-15)
    assert m.rho == pytest.approx(5 / 6, abs=1e-15)  # over the 6 finite ones, before filtering
    assert m.std == pytest.approx(np.std([0.3, 0.4], ddof=1))
    # without r2 only the exponent filter applies
    m2 = st.network_mle(lam, seed=0)
    assert m2.n_kept == 4 and m2.value == pytest.approx(np.mean([0.3, 0.4, 0.5, 0.2]))
    # thresholds are parameters
    m3 = st.network_mle(lam, r2, min_r2=0.4, min_exponent=0.0, seed=0)
    assert m3.n_kept == 5 and m3.value == pytest.approx(np.mean([0.3, 0.4, 0.01, 0.5, 0.2]))
    assert "NetworkMLE" in repr(m)


def test_network_mle_bootstrap():
    rng = np.random.default_rng(1)
    widths = []
    for n in (40, 640):
        lam = rng.normal(0.33, 0.1, n)
        m = st.network_mle(lam, np.ones(n), n_boot=2000, seed=2)
        lo, hi = m.ci
        assert lo < m.value < hi
        widths.append(hi - lo)
        # percentile interval of the mean ~ 2 * 1.96 * sd / sqrt(n)
        assert hi - lo == pytest.approx(2 * 1.96 * np.std(lam[m.kept], ddof=1) / np.sqrt(m.n_kept),
                                        rel=0.15)
    assert widths[1] < widths[0] / 3  # narrows like 1/sqrt(n) (ratio 4 expected)
    # reproducible by seed; no interval without resamples
    a = st.network_mle(lam, seed=7)
    b = st.network_mle(lam, seed=7)
    assert a.ci == b.ci
    assert np.isnan(st.network_mle(lam, n_boot=0).ci[0])
    assert np.isnan(st.network_mle(np.array([0.3]), seed=0).ci[0])


def test_network_mle_bad_input():
    with pytest.raises(ValueError, match="r2"):
        st.network_mle(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="ci"):
        st.network_mle(np.ones(3), ci=1.5)
    with pytest.raises(ValueError, match="n_boot"):
        st.network_mle(np.ones(3), n_boot=-1)
    with pytest.raises(ValueError, match="r2"):
        st.network_mle(st.finite_lyapunov(np.exp(0.2 * np.arange(50))), r2=np.ones(1))


# --------------------------------------------------------------------------
# perturbation ensembles
# --------------------------------------------------------------------------
def test_ensemble_shapes_and_perturbations(iris, iris_model):
    eps = 1e-3
    res = st.perturbation_ensemble(iris_model, iris, lr=1.0, steps=15, eps=eps, n_init=20,
                                   n_pert=10, seed=11, record="all")
    P, mask = iris_model.n_params, iris_model.weight_mask
    assert res.distances.shape == (20, 10, 16) and res.distances_l2.shape == (20, 10, 16)
    assert res.loss.shape == (20, 16) and res.perturbed_loss.shape == (20, 10, 16)
    assert res.diverged.shape == (20, 11) and res.diverged_at.shape == (20, 11)
    assert res.delta.shape == (20, 10, P) and res.theta_final.shape == (20, 11, P)
    assert res.test_loss is None
    assert (res.lr, res.eps, res.steps, res.seed, res.scope, res.start) == (1.0, eps, 15, 11,
                                                                            "weights", 0)
    # biases untouched, weights within eps (up to one rounding unit of theta)
    assert np.all(res.delta[..., ~mask] == 0.0)
    assert np.all(np.abs(res.delta) <= eps * (1 + 1e-9))
    assert np.all(res.delta[..., mask] != 0.0)
    # d(0) is the L1 norm of the perturbation over the weights
    np.testing.assert_allclose(res.distances[..., 0], np.abs(res.delta[..., mask]).sum(-1),
                               rtol=1e-12)
    np.testing.assert_allclose(res.distances_l2[..., 0], np.sqrt((res.delta ** 2).sum(-1)),
                               rtol=1e-12)
    # E d(0) = eps * n_weights / 2 (sd of the mean of 200 draws: 0.4 %)
    assert res.distances[..., 0].mean() == pytest.approx(eps * mask.sum() / 2, rel=0.02)
    # references start at model.init of the init stream, zero biases
    assert np.all(res.theta_start[:, ~mask] == 0.0)
    assert res.n_diverged == 0 and "EnsembleResult" in repr(res)

    # the default keeps only what the exponents need, the same values
    lean = st.perturbation_ensemble(iris_model, iris, lr=1.0, steps=15, eps=eps, n_init=20,
                                    n_pert=10, seed=11)
    assert lean.distances_l2 is None and lean.perturbed_loss is None and lean.record == "distances"
    np.testing.assert_array_equal(lean.distances, res.distances)
    np.testing.assert_array_equal(lean.loss, res.loss)
    # the loss of a perturbed copy at t = 0 is the loss of its perturbed initial condition
    np.testing.assert_allclose(res.perturbed_loss[:, :, 0],
                               iris_model.loss((res.theta_start[:, None] + res.delta).reshape(-1, P),
                                               iris.X_train, iris.y_train).reshape(20, 10),
                               rtol=1e-12)
    with pytest.raises(ValueError, match="record"):
        st.perturbation_ensemble(iris_model, iris, lr=1.0, steps=2, eps=eps, record="weights")

    every = st.perturbation_ensemble(iris_model, iris, lr=1.0, steps=2, eps=eps, n_init=2,
                                     n_pert=2, seed=11, scope="all")
    assert np.all(every.delta != 0.0)
    np.testing.assert_allclose(every.distances[..., 0], np.abs(every.delta).sum(-1), rtol=1e-12)


def test_ensemble_reproducible(iris, iris_model):
    kw = dict(lr=1.0, steps=10, eps=1e-6, n_init=3, n_pert=2)
    a = st.perturbation_ensemble(iris_model, iris, seed=5, **kw)
    b = st.perturbation_ensemble(iris_model, iris, seed=5, **kw)
    c = st.perturbation_ensemble(iris_model, iris, seed=6, **kw)
    for name in ("distances", "loss", "delta", "theta_init", "theta_final"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.theta_init, c.theta_init)
    assert not np.array_equal(a.delta, c.delta)
    # a Generator seed: the integer recorded in .seed reproduces the run
    g = st.perturbation_ensemble(iris_model, iris, seed=np.random.default_rng(3), **kw)
    h = st.perturbation_ensemble(iris_model, iris, seed=g.seed, **kw)
    np.testing.assert_array_equal(g.distances, h.distances)
    # the same seed with another eps: same initial conditions, same directions
    e = st.perturbation_ensemble(iris_model, iris, seed=5, **dict(kw, eps=1e-3))
    np.testing.assert_array_equal(e.theta_init, a.theta_init)
    np.testing.assert_allclose(e.delta / 1e-3, a.delta / 1e-6, atol=1e-8)
    # explicit initial conditions
    t = st.perturbation_ensemble(iris_model, iris, seed=9, theta0=a.theta_init,
                                 **dict(kw, n_init=None))
    np.testing.assert_array_equal(t.theta_init, a.theta_init)
    np.testing.assert_array_equal(t.loss, a.loss)


def test_ensemble_start_matches_direct_training(iris, iris_model):
    T0, steps, lr = 40, 25, 1.0
    res = st.perturbation_ensemble(iris_model, iris, lr=lr, steps=steps, eps=1e-8, n_init=3,
                                   n_pert=2, seed=2, start=T0)
    direct = nc.train(iris_model, iris, res.theta_init, lr, T0 + steps)
    np.testing.assert_allclose(res.loss, direct.loss[:, T0:], rtol=1e-12, atol=0)
    mid = nc.train(iris_model, iris, res.theta_init, lr, T0, record="final")
    np.testing.assert_allclose(res.theta_start, mid.theta, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(res.theta_final[:, 0], direct.theta, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(res.time, np.arange(T0, T0 + steps + 1))
    # the perturbation is applied to the trained network, biases untouched
    assert np.all(res.delta[..., ~iris_model.weight_mask] == 0.0)
    assert np.any(res.theta_start[:, ~iris_model.weight_mask] != 0.0)


@pytest.fixture(scope="module")
def iris_mse(iris):
    """Iris with one-hot targets for an MSE network: GD at lr = 100 overflows.

    (The cross-entropy sigmoid network has bounded gradients and does not
    overflow at lr = 100 within a few hundred steps.)"""
    model = nc.MLP([4, 10, 3], activation="sigmoid", loss="mse")
    return model, (iris.X_train, np.eye(3)[iris.y_train], iris.X_test, np.eye(3)[iris.y_test])


def test_ensemble_divergence_is_counted(iris_mse):
    model, data = iris_mse
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = st.perturbation_ensemble(model, data, lr=100.0, steps=100, eps=1e-8,
                                       n_init=6, n_pert=2, seed=1)
        fl = st.finite_lyapunov(res)
        mle = st.network_mle(fl, seed=0)
    any_div = np.any(res.diverged, axis=1)
    assert res.n_diverged == int(any_div.sum()) > 0
    assert np.all(res.diverged_at[res.diverged] >= 0)
    assert np.all(res.diverged_at[~res.diverged] == -1)
    assert np.all(np.isnan(res.distances[any_div][..., -1]))
    assert np.all(fl.reason[any_div] == "nonfinite")
    assert mle.n_nan == res.n_diverged


def test_ensemble_bad_input(iris, iris_model):
    kw = dict(lr=1.0, steps=5, eps=1e-8, n_init=2)
    with pytest.raises(ValueError, match="scope"):
        st.perturbation_ensemble(iris_model, iris, scope="biases", **kw)
    with pytest.raises(ValueError, match="eps"):
        st.perturbation_ensemble(iris_model, iris, **dict(kw, eps=-1.0))
    with pytest.raises(ValueError, match="lr"):
        st.perturbation_ensemble(iris_model, iris, **dict(kw, lr=0.0))
    with pytest.raises(ValueError, match="n_pert"):
        st.perturbation_ensemble(iris_model, iris, n_pert=0, **kw)
    with pytest.raises(TypeError, match="steps"):
        st.perturbation_ensemble(iris_model, iris, **dict(kw, steps=2.5))
    with pytest.raises(ValueError, match="theta0"):
        st.perturbation_ensemble(iris_model, iris, theta0=np.zeros((2, 5)), **kw)
    with pytest.raises(ValueError, match="n_init"):
        st.perturbation_ensemble(iris_model, iris, theta0=np.zeros((3, 83)), **kw)
    with pytest.raises(TypeError, match="seed"):
        st.perturbation_ensemble(iris_model, iris, seed="zero", **kw)
    with pytest.raises(TypeError, match="model"):
        st.perturbation_ensemble(object(), iris, **kw)


# --------------------------------------------------------------------------
# the linear GD map of least squares: known exponent
# --------------------------------------------------------------------------
def test_linear_gd_map_exponent():
    """For linear regression (MSE, no hidden layer) the GD map is affine, so
    differences obey e(t+1) = (I - lr H) e(t) with a constant Hessian H. With
    lr * h_max = 2.5 the top multiplier is -1.5 and all others are smaller in
    modulus, so ln d(t) grows with slope ln 1.5 (exactly in the limit; the
    L1 norm adds only decaying transients of the other directions)."""
    rng = np.random.default_rng(0)
    N = 60
    X = rng.standard_normal((N, 3)) * np.array([3.0, 1.0, 0.3])
    y = X @ np.array([0.5, -1.0, 2.0]) + 0.1 * rng.standard_normal(N)
    model = nc.MLP([3, 1], loss="mse")
    H = model.hessian(np.zeros(model.n_params), X, y)
    h = np.linalg.eigvalsh(H)
    lr = 2.5 / h[-1]
    mult = np.abs(1 - lr * h)
    assert mult[-1] == pytest.approx(1.5) and np.sort(mult)[-2] < 1.2
    res = st.perturbation_ensemble(model, (X, y), lr=lr, steps=80, eps=1e-8, n_init=3,
                                   n_pert=3, seed=4, scope="all")
    assert res.n_diverged == 0
    fl = st.finite_lyapunov(res)
    assert np.all(fl.reason == "ok")
    np.testing.assert_allclose(fl.exponent, np.log(1.5), atol=0.02)
    mle = st.network_mle(fl, seed=0)
    assert mle.value == pytest.approx(np.log(1.5), abs=0.02) and mle.rho == 1.0

    # below the stability threshold (lr h_max < 2) every difference contracts
    res = st.perturbation_ensemble(model, (X, y), lr=1.5 / h[-1], steps=60, eps=1e-8,
                                   n_init=2, n_pert=2, seed=4, scope="all")
    fl = st.finite_lyapunov(res)
    rate = np.log(np.max(np.abs(1 - 1.5 / h[-1] * h)))
    assert np.all(fl.exponent < 0)
    np.testing.assert_allclose(fl.exponent, rate, atol=0.05)


# --------------------------------------------------------------------------
# sweeps
# --------------------------------------------------------------------------
def test_eps_sweep_shares_initial_conditions(iris, iris_model):
    eps_values = [1e-4, 1e-8]
    sw = st.eps_sweep(iris_model, iris, lr=1.0, steps=30, eps_values=eps_values, n_init=3,
                      n_pert=2, seed=8)
    assert sw.name == "eps" and list(sw.results) == eps_values
    a, b = sw.results[1e-4], sw.results[1e-8]
    np.testing.assert_array_equal(a.theta_init, b.theta_init)
    np.testing.assert_allclose(a.delta / 1e-4, b.delta / 1e-8, atol=1e-6)
    assert a.eps == 1e-4 and b.eps == 1e-8
    for arr in (sw.mle, sw.mle_std, sw.kept_fraction, sw.rho, sw.n_diverged, sw.final_loss):
        assert arr.shape == (2,)
    assert sw.mle_ci.shape == (2, 2) and sw.final_test_accuracy is None
    assert sw.mles[1e-8].value == sw.mle[1] or np.isnan(sw.mle[1])
    assert sw.params["seed"] == 8 and "SweepResult" in repr(sw)
    # independent perturbation streams: same initial conditions, other directions
    sw2 = st.eps_sweep(iris_model, iris, lr=1.0, steps=5, eps_values=eps_values, n_init=3,
                       n_pert=2, seed=8, same_perturbations=False)
    c, d = sw2.results[1e-4], sw2.results[1e-8]
    np.testing.assert_array_equal(c.theta_init, a.theta_init)
    assert not np.allclose(c.delta / 1e-4, d.delta / 1e-8)
    with pytest.raises(ValueError, match="eps_values"):
        st.eps_sweep(iris_model, iris, 1.0, 5, [1e-3, 1e-3], n_init=2, n_pert=1, seed=0)
    with pytest.raises(ValueError, match="eps_values"):
        st.eps_sweep(iris_model, iris, 1.0, 5, [-1e-3], n_init=2, n_pert=1, seed=0)


def test_run_chunk_is_pure(iris, iris_model):
    sw = st.eps_sweep(iris_model, iris, lr=1.0, steps=20, eps_values=[1e-6], n_init=2,
                      n_pert=2, seed=3, fit=dict(min_window=5), mle=dict(n_boot=50))
    params = dict(model=iris_model, data=iris, lr=1.0, steps=20, eps=1e-6, n_init=2, n_pert=2,
                  seed=3, pert_key=0, scope="weights", start=0, theta0=None, init_scale=1.0,
                  init_scheme="normal", test_metrics=False, fit=dict(min_window=5),
                  mle=dict(n_boot=50))
    one, two = st._run_chunk(dict(params)), st._run_chunk(dict(params))
    np.testing.assert_array_equal(one["ensemble"].distances, two["ensemble"].distances)
    np.testing.assert_array_equal(one["ensemble"].distances, sw.results[1e-6].distances)
    np.testing.assert_array_equal(one["fit"].exponent, sw.fits[1e-6].exponent)
    m1, m2 = st._merge_chunks([one], params), st._merge_chunks([two], params)
    assert m1["mle"].ci == m2["mle"].ci == sw.mles[1e-6].ci
    # a block of initial conditions is the slice of the whole ensemble, bit for bit
    blocks = [st._run_chunk(dict(params, block=b)) for b in ((0, 1), (1, 2))]
    np.testing.assert_array_equal(blocks[1]["ensemble"].distances,
                                  sw.results[1e-6].distances[1:])
    np.testing.assert_array_equal(blocks[0]["ensemble"].theta_final,
                                  sw.results[1e-6].theta_final[:1])
    merged = st._merge_chunks(blocks, params)
    np.testing.assert_array_equal(merged["fit"].exponent, sw.fits[1e-6].exponent)
    assert merged["ensemble"].n_init == 2 and merged["mle"].ci == sw.mles[1e-6].ci


def test_lr_sweep_with_divergence_and_test_metrics(iris_mse):
    model, data = iris_mse
    sw = st.lr_sweep(model, data, lr_values=[0.5, 100.0], steps=100, eps=1e-8, n_init=3,
                     n_pert=2, seed=1, test_metrics=True, progress=True)
    assert sw.name == "lr" and list(sw.results) == [0.5, 100.0]
    np.testing.assert_array_equal(sw.results[0.5].theta_init, sw.results[100.0].theta_init)
    assert sw.n_diverged[0] == 0 and sw.n_diverged[1] > 0
    assert sw.final_test_accuracy.shape == (2,)
    assert sw.results[0.5].test_loss.shape == (3, 101)
    assert np.isnan(sw.final_test_accuracy[0])  # accuracy is NaN for MSE models
    assert np.isfinite(sw.final_loss[0]) and np.all(np.isfinite(sw.results[0.5].test_loss))
    assert np.sum(sw.fits[100.0].reason == "nonfinite") == sw.n_diverged[1]
    with pytest.raises(ValueError, match="lr_values"):
        st.lr_sweep(model, data, [0.0], 5, 1e-8, n_init=2, n_pert=1, seed=0)


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
    res = st.perturbation_ensemble(iris_model, iris, lr=1.0, steps=200, eps=1e-8, n_init=60,
                                   n_pert=5, seed=2024)
    assert res.n_diverged == 0
    fl = st.finite_lyapunov(res)
    mle = st.network_mle(fl, seed=0)
    assert 0.2 <= mle.value <= 0.45, mle
    assert 0.6 <= mle.kept_fraction <= 1.0, mle
    assert mle.rho > 0.9
    # the windows stop at the detected saturation, before the plateau
    ok = fl.reason == "ok"
    assert np.all(fl.window[ok, 1] - 1 <= fl.saturation_step[ok])


# --------------------------------------------------------------------------
# weight-level measures
# --------------------------------------------------------------------------
def test_displacement_and_path_length():
    traj = np.array([[1.0, 0.0, -2.0],
                     [2.0, 1.0, -2.0],
                     [0.0, 1.0, -1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        disp = st.displacement(traj)
        np.testing.assert_array_equal(disp[[0, 2]], [1.0, 0.5])
        assert np.isnan(disp[1])
        np.testing.assert_array_equal(st.displacement(traj, floor=0.5), [1.0, 2.0, 0.5])
        np.testing.assert_array_equal(st.path_length(traj), [3.0, 1.0, 1.0])
        stack = np.stack([traj, 2 * traj])
        assert st.path_length(stack).shape == (2, 3)
        np.testing.assert_array_equal(st.path_length(stack)[1], [6.0, 2.0, 2.0])
        np.testing.assert_array_equal(st.displacement(stack, floor=0.5)[1], [1.0, 4.0, 0.5])
    # path length bounds displacement: |w(T) - w(0)| <= sum_t |w(t) - w(t-1)|
    rng = np.random.default_rng(0)
    walk = np.cumsum(rng.standard_normal((50, 7)), axis=0)
    assert np.all(np.abs(walk[-1] - walk[0]) <= st.path_length(walk) + 1e-12)
    with pytest.raises(ValueError, match="params"):
        st.path_length(np.ones(5))


def test_ablation_importance_matches_loop(iris, iris_model):
    theta = iris_model.init(seed=4)
    theta[~iris_model.weight_mask] = 0.1 * np.arange((~iris_model.weight_mask).sum())
    X, y = iris.X_train, iris.y_train
    imp = st.ablation_importance(iris_model, theta, X, y, chunk=7)
    base = iris_model.loss(theta, X, y)
    expected = np.empty(iris_model.n_params)
    for i in range(iris_model.n_params):
        ablated = theta.copy()
        ablated[i] = 0.0
        expected[i] = iris_model.loss(ablated, X, y) - base
    np.testing.assert_allclose(imp, expected, rtol=1e-12, atol=1e-14)
    assert imp[np.nonzero(~iris_model.weight_mask)[0][0]] == 0.0  # that bias is already 0
    w = st.ablation_importance(iris_model, theta, X, y, scope="weights")
    assert np.all(np.isnan(w[~iris_model.weight_mask]))
    np.testing.assert_allclose(w[iris_model.weight_mask], expected[iris_model.weight_mask],
                               rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="theta"):
        st.ablation_importance(iris_model, np.zeros(5), X, y)
