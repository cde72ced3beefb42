"""``netchaos.spectra``: Lyapunov spectra (QR method), covariant Lyapunov vectors,
sharpness, and early FTLEs against the final loss.

The estimators are validated on maps with known answers: linear maps, gradient
descent on a quadratic loss (a linear GD map), the logistic, tent and Hénon maps.
"""

import warnings

import numpy as np
import pytest

import netchaos as nc
from netchaos import (
    CLVResult,
    FTLELossResult,
    SharpnessSeries,
    SpectrumResult,
    covariant_vectors,
    ftle_vs_final_loss,
    lyapunov_spectrum,
    sharpness,
    sharpness_series,
)
from netchaos.core.linalg import householder_qr
from netchaos.hessian import _power_top

LN2 = np.log(2.0)


# --------------------------------------------------------------------------
# maps with known exponents
# --------------------------------------------------------------------------
def logistic(x):
    return 4.0 * x * (1.0 - x)


def logistic_jac(x):
    return 4.0 - 8.0 * x


def tent(mu):
    return (lambda x: mu * np.minimum(x, 1.0 - x),
            lambda x: np.where(x < 0.5, mu, -mu))


HENON_A, HENON_B = 1.4, 0.3


def henon(x):
    return np.array([1.0 - HENON_A * x[0] ** 2 + x[1], HENON_B * x[0]])


def henon_jac(x):
    return np.array([[-2.0 * HENON_A * x[0], 1.0], [HENON_B, 0.0]])


def linear(A):
    A = np.asarray(A, dtype=float)
    return (lambda x: A @ x), (lambda x: A)


@pytest.fixture(scope="module")
def henon_run():
    return lyapunov_spectrum(step=henon, jacobian=henon_jac, x0=[0.1, 0.1], steps=20000,
                             transient=200, seed=1)


@pytest.fixture(scope="module")
def quad():
    """Linear regression (no hidden layer, MSE): the loss is quadratic in theta.

    Seed 68 gives ratios |1 - lr h_(i+1)| / |1 - lr h_i| <= 0.84 for the learning
    rates below, so a short transient aligns the tangent vectors to rounding.
    """
    rng = np.random.default_rng(68)
    N, d = 20, 3
    X = rng.normal(size=(N, d))
    y = rng.normal(size=N)
    model = nc.MLP([d, 1], loss="mse")
    design = np.hstack([X, np.ones((N, 1))])        # flat layout: weights, then bias
    H = 2.0 / N * design.T @ design                  # n_out = 1
    h = np.linalg.eigvalsh(H)
    return model, X, y, H, h


# --------------------------------------------------------------------------
# linear maps and quadratic losses: exact answers
# --------------------------------------------------------------------------
def test_diagonal_linear_map_exact():
    a = np.array([0.5, -3.0, 1.2, -0.1, 2.0])
    f, J = linear(np.diag(a))
    res = lyapunov_spectrum(step=f, jacobian=J, x0=np.zeros(5), steps=300, transient=300, seed=0)
    expected = np.sort(np.log(np.abs(a)))[::-1]
    assert isinstance(res, SpectrumResult)
    assert res.exponents.shape == (5,)
    np.testing.assert_allclose(res.exponents, expected, rtol=0, atol=1e-12)
    assert not res.diverged and res.diverged_at == -1
    # the leading k only
    res2 = lyapunov_spectrum(step=f, jacobian=J, x0=np.zeros(5), steps=300, k=2,
                             transient=300, seed=0)
    np.testing.assert_allclose(res2.exponents, expected[:2], rtol=0, atol=1e-12)
    assert res2.Q.shape == (5, 2)


def test_running_local_times_and_renorm():
    a = np.array([1.5, -0.7, 0.2])
    f, J = linear(np.diag(a))
    res = lyapunov_spectrum(step=f, jacobian=J, x0=np.zeros(3), steps=100, transient=200, seed=2)
    assert res.running.shape == res.local.shape == (100, 3)
    np.testing.assert_array_equal(res.times, np.arange(1, 101))
    np.testing.assert_allclose(res.running[-1], res.exponents, rtol=0, atol=0)
    np.testing.assert_allclose(res.local.mean(axis=0), res.exponents, rtol=0, atol=1e-13)
    # aligned vectors: every one-step finite-time exponent is already ln|a_i|
    np.testing.assert_allclose(res.local, np.tile(np.log(np.abs(a)), (100, 1)), atol=1e-12)
    # QR every 7 steps (last block of 2 steps): same exponents, blocks of 7
    res7 = lyapunov_spectrum(step=f, jacobian=J, x0=np.zeros(3), steps=100, transient=200,
                             renorm=7, seed=2)
    assert res7.local.shape == (15, 3)
    assert res7.times[-1] == 100 and res7.times[0] == 7
    np.testing.assert_allclose(res7.exponents, np.log(np.abs(a)), atol=1e-12)


@pytest.mark.parametrize("lr_factor", [0.5, 1.5, 2.3])
def test_quadratic_gd_exact_model_and_generic(quad, lr_factor):
    """GD on a quadratic loss is linear: exponents ln|1 - lr h_i| (lr above 2/h_max too)."""
    model, X, y, H, h = quad
    lr = lr_factor / h.max()
    expected = np.sort(np.log(np.abs(1.0 - lr * h)))[::-1]
    # the ratios of |1 - lr h_i| are well separated, so a transient aligns Q fast
    theta0 = np.zeros(model.n_params)
    res = lyapunov_spectrum(model, (X, y), theta0, lr, steps=40, transient=160, seed=0)
    np.testing.assert_allclose(res.exponents, expected, rtol=0, atol=1e-8)
    assert res.lr == lr and res.exponents.shape == (4,)
    # generic mode with the closed-form gradient (2/N) A^T (A theta - y)
    design = np.hstack([X, np.ones((X.shape[0], 1))])
    b = 2.0 / X.shape[0] * design.T @ y
    gen = lyapunov_spectrum(step=lambda th: th - lr * (H @ th - b),
                            jacobian=lambda th: np.eye(4) - lr * H,
                            x0=theta0, steps=40, transient=160, seed=0)
    np.testing.assert_allclose(gen.exponents, expected, rtol=0, atol=1e-8)
    # both followed the same GD trajectory
    np.testing.assert_allclose(gen.x, res.x, rtol=1e-9, atol=1e-12)


def test_quadratic_hessian_matches_design_matrix(quad):
    model, X, y, H, _ = quad
    np.testing.assert_allclose(model.hessian(np.zeros(model.n_params), X, y), H, atol=1e-13)


def test_dataset_and_tuple_data_agree(quad):
    model, X, y, _, h = quad
    ds = nc.datasets.Dataset(X, y, task="regression")
    lr = 1.0 / h.max()
    a = lyapunov_spectrum(model, ds, np.zeros(4), lr, steps=20, seed=5)
    b = lyapunov_spectrum(model, (X, y), np.zeros(4), lr, steps=20, seed=5)
    np.testing.assert_array_equal(a.exponents, b.exponents)


# --------------------------------------------------------------------------
# chaotic maps
# --------------------------------------------------------------------------
def test_logistic_map_ln2():
    res = lyapunov_spectrum(step=logistic, jacobian=logistic_jac, x0=0.3, steps=50000,
                            transient=100, seed=0)
    # the floating-point orbit did not fall onto the fixed point 0 (or onto 1 -> 0)
    assert 0.0 < res.x[0] < 1.0 and not res.diverged
    assert abs(res.exponents[0] - LN2) < 1e-3
    assert res.running.shape == (50000, 1)


def test_tent_map_ln_mu():
    # |f'| = mu everywhere except exactly at 1/2: the exponent is ln mu to rounding
    # (mu < 2: with mu = 2 the floating-point orbit collapses onto 0)
    mu = 1.9
    f, J = tent(mu)
    res = lyapunov_spectrum(step=f, jacobian=J, x0=0.2345, steps=5000, transient=10, seed=0)
    assert 0.0 < res.x[0] < 1.0
    assert abs(res.exponents[0] - np.log(mu)) < 1e-3
    assert abs(res.exponents[0] - np.log(mu)) < 1e-12


def test_henon_exponents(henon_run):
    lam = henon_run.exponents
    assert abs(lam[0] - 0.4192) < 0.01
    assert abs(lam[1] - (-1.6232)) < 0.01
    # |det J| = b everywhere: the QR log-diagonals sum to ln b at every step
    assert abs(lam.sum() - np.log(HENON_B)) < 1e-10
    np.testing.assert_allclose(henon_run.local.sum(axis=1), np.log(HENON_B), atol=1e-12)
    assert henon_run.n_positive == 1
    assert 1.2 < henon_run.kaplan_yorke_dimension < 1.3     # ~1.258


def test_divergence_flagged_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = lyapunov_spectrum(step=logistic, jacobian=logistic_jac, x0=2.0, steps=100, seed=0)
    assert res.diverged is True
    assert res.diverged_at > 0
    assert np.all(np.isnan(res.exponents))
    # finite-time values before the divergence are kept, NaN afterwards
    before = res.diverged_at - 1
    assert np.all(np.isfinite(res.running[:before]))
    assert np.all(np.isnan(res.running[before:]))
    assert np.all(np.isfinite(res.x))                 # last finite state
    assert "diverged" in repr(res)


def test_divergence_during_transient_and_nonfinite_start():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = lyapunov_spectrum(step=logistic, jacobian=logistic_jac, x0=2.0, steps=10,
                                transient=50, seed=0)
        assert res.diverged and np.all(np.isnan(res.exponents))
        assert np.all(np.isnan(res.running)) and res.running.shape == (10, 1)
        res = lyapunov_spectrum(step=logistic, jacobian=logistic_jac, x0=np.nan, steps=10)
        assert res.diverged and res.diverged_at == 0


def test_neural_divergence_flagged():
    """A huge learning rate on a quadratic loss blows up: flagged, NaN exponents."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(10, 2)) * 10, rng.normal(size=10)
    model = nc.MLP([2, 1], loss="mse")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = lyapunov_spectrum(model, (X, y), np.ones(3), lr=50.0, steps=2000, seed=0)
    assert res.diverged and 0 < res.diverged_at <= 2000
    assert np.all(np.isnan(res.exponents))


def test_superstable_direction_gives_minus_inf():
    f, J = linear(np.diag([2.0, 0.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = lyapunov_spectrum(step=f, jacobian=J, x0=[0.0, 0.0], steps=10, transient=1,
                                seed=0)
    assert not res.diverged
    assert res.exponents[0] == pytest.approx(LN2, abs=1e-12)
    assert res.exponents[1] == -np.inf


def test_keep_q_histories_factorise_the_tangent_map():
    A = np.array([[1.1, 0.4, 0.0], [-0.3, 0.9, 0.2], [0.1, 0.0, 0.5]])
    f, J = linear(A)
    res = lyapunov_spectrum(step=f, jacobian=J, x0=np.zeros(3), steps=12, renorm=3, seed=0,
                            keep_q=True)
    assert res.Q_history.shape == (5, 3, 3) and res.R_history.shape == (4, 3, 3)
    A3 = np.linalg.matrix_power(A, 3)
    for b in range(4):
        Qb, Qn, R = res.Q_history[b], res.Q_history[b + 1], res.R_history[b]
        np.testing.assert_allclose(A3 @ Qb, Qn @ R, atol=1e-13)
        np.testing.assert_allclose(Qn.T @ Qn, np.eye(3), atol=1e-13)
        assert np.allclose(R, np.triu(R)) and np.all(np.diagonal(R) > 0)
    assert lyapunov_spectrum(step=f, jacobian=J, x0=np.zeros(3), steps=3).Q_history is None


def test_seed_reproducible_and_generator_accepted():
    f, J = henon, henon_jac
    a = lyapunov_spectrum(step=f, jacobian=J, x0=[0.1, 0.1], steps=50, seed=7)
    b = lyapunov_spectrum(step=f, jacobian=J, x0=[0.1, 0.1], steps=50, seed=7)
    c = lyapunov_spectrum(step=f, jacobian=J, x0=[0.1, 0.1], steps=50,
                          seed=np.random.default_rng(7))
    np.testing.assert_array_equal(a.running, b.running)
    np.testing.assert_array_equal(a.running, c.running)


# --------------------------------------------------------------------------
# covariant Lyapunov vectors
# --------------------------------------------------------------------------
def _abs_cos(u, v):
    return abs(u @ v) / (np.linalg.norm(u) * np.linalg.norm(v))


def test_clv_triangular_linear_map():
    A = np.array([[2.0, 1.0], [0.0, 0.5]])
    f, J = linear(A)
    res = covariant_vectors(step=f, jacobian=J, x0=[0.0, 0.0], steps=20, n_forward=60,
                            n_backward=60, seed=0)
    assert isinstance(res, CLVResult)
    assert res.vectors.shape == (21, 2, 2)
    np.testing.assert_array_equal(res.times, 60 + np.arange(21))
    e1 = np.array([1.0, 0.0])
    e2 = np.array([1.0, -1.5])                  # (A - 0.5 I) e2 = 0; not orthogonal to e1
    for V in res.vectors:
        assert _abs_cos(V[:, 0], e1) > 1 - 1e-8
        assert _abs_cos(V[:, 1], e2) > 1 - 1e-8
    np.testing.assert_allclose(np.linalg.norm(res.vectors, axis=1), 1.0, atol=1e-13)
    np.testing.assert_allclose(res.exponents, np.log([2.0, 0.5]), atol=1e-12)
    np.testing.assert_allclose(res.clv_exponents, np.log([2.0, 0.5]), atol=1e-10)
    expected_angle = np.arccos(_abs_cos(e1, e2))
    np.testing.assert_allclose(res.angles(0, 1), expected_angle, atol=1e-7)


def test_clv_diagonalisable_map_known_eigenvectors():
    P = np.array([[1.0, 0.3, -0.5], [0.2, 1.0, 0.4], [-0.4, 0.6, 1.0]])
    lam = np.array([3.0, -1.5, 0.2])
    A = P @ np.diag(lam) @ np.linalg.inv(P)
    f, J = linear(A)
    res = covariant_vectors(step=f, jacobian=J, x0=np.zeros(3), steps=30, n_forward=80,
                            n_backward=80, renorm=2, seed=3)
    assert res.vectors.shape == (16, 3, 3)
    for V in res.vectors:
        for j in range(3):
            assert _abs_cos(V[:, j], P[:, j]) > 1 - 1e-8
    np.testing.assert_allclose(res.exponents, np.log(np.abs(lam)), atol=1e-10)
    np.testing.assert_allclose(res.clv_exponents, np.log(np.abs(lam)), atol=1e-10)
    # the leading k only
    res2 = covariant_vectors(step=f, jacobian=J, x0=np.zeros(3), steps=10, k=2, n_forward=80,
                             n_backward=80, seed=3)
    assert res2.vectors.shape == (11, 3, 2)
    assert _abs_cos(res2.vectors[5, :, 1], P[:, 1]) > 1 - 1e-8


def test_clv_partial_last_block_and_progress(capsys):
    A = np.array([[2.0, 1.0], [0.0, 0.5]])
    f, J = linear(A)
    res = covariant_vectors(step=f, jacobian=J, x0=[0.0, 0.0], steps=10, renorm=3,
                            n_forward=50, n_backward=40, seed=0, progress=True)
    np.testing.assert_array_equal(res.times, [50, 53, 56, 59, 60])
    assert res.local.shape == (4, 2)
    np.testing.assert_allclose(res.exponents, np.log([2.0, 0.5]), atol=1e-12)
    np.testing.assert_allclose(res.clv_exponents, np.log([2.0, 0.5]), atol=1e-10)
    assert _abs_cos(res.vectors[-1, :, 1], [1.0, -1.5]) > 1 - 1e-8
    assert "Lyapunov" in capsys.readouterr().err         # the tqdm bar went to stderr


def test_clv_henon_covariance_and_local_exponents():
    res = covariant_vectors(step=henon, jacobian=henon_jac, x0=[0.1, 0.1], steps=8000,
                            n_forward=200, n_backward=200, seed=4)
    # covariance: J(x_t) v_j(t) is parallel to v_j(t + 1)
    x = np.array([0.1, 0.1])
    for _ in range(200):
        x = henon(x)
    for t in range(0, 60):
        Jx = henon_jac(x)
        for j in range(2):
            assert _abs_cos(Jx @ res.vectors[t, :, j], res.vectors[t + 1, :, j]) > 1 - 1e-8
        x = henon(x)
    # local CLV growth rates average to the Lyapunov exponents
    np.testing.assert_allclose(res.clv_exponents, res.exponents, atol=0.01)
    assert abs(res.exponents[0] - 0.4192) < 0.02 and abs(res.exponents[1] + 1.6232) < 0.02
    ang = res.angles()
    assert ang.shape == (8001,) and np.all((ang >= 0) & (ang <= np.pi / 2))
    assert ang.min() < 0.2          # Hénon has near-tangencies between the two directions


def test_clv_divergence_gives_nan_no_exception():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = covariant_vectors(step=logistic, jacobian=logistic_jac, x0=2.0, steps=20, seed=0)
    assert res.diverged and np.all(np.isnan(res.vectors)) and np.all(np.isnan(res.exponents))


def test_clv_network_mode_quadratic(quad):
    """On a quadratic loss, CLVs of GD are Hessian eigenvectors (J symmetric)."""
    model, X, y, H, h = quad
    lr = 1.5 / h.max()
    w, U = np.linalg.eigh(H)
    order = np.argsort(np.abs(1 - lr * w))[::-1]
    res = covariant_vectors(model, (X, y), np.zeros(4), lr, steps=5, n_forward=120,
                            n_backward=120, seed=0)
    for j in range(4):
        assert _abs_cos(res.vectors[0, :, j], U[:, order[j]]) > 1 - 1e-8
    assert res.lr == lr


# --------------------------------------------------------------------------
# neural mode
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def iris():
    return nc.datasets.iris(), nc.MLP([4, 10, 3], activation="sigmoid")


def test_iris_full_spectrum_smoke(iris):
    data, model = iris
    theta = model.init(seed=0)
    res = lyapunov_spectrum(model, data, theta, 1.0, steps=200, seed=0)
    assert res.exponents.shape == (83,) and np.all(np.isfinite(res.exponents))
    assert res.running.shape == res.local.shape == (200, 83)
    # the state is the GD trajectory of nc.train
    tr = nc.train(model, data, theta, 1.0, 200, record="final")
    np.testing.assert_allclose(res.x, tr.theta, rtol=1e-10, atol=1e-10)


def test_iris_sum_of_exponents_is_mean_log_det(iris):
    data, model = iris
    X, y = data.X_train, data.y_train
    theta = model.init(seed=0)
    steps = 30
    res = lyapunov_spectrum(model, data, theta, 1.0, steps=steps, seed=0)
    logdets = []
    th = theta.copy()
    for _ in range(steps):
        sign, ld = np.linalg.slogdet(np.eye(83) - 1.0 * model.hessian(th, X, y))
        assert sign != 0
        logdets.append(ld)
        th = th - 1.0 * model.grad(th, X, y)
    assert abs(res.exponents.sum() - np.mean(logdets)) < 1e-8
    np.testing.assert_allclose(res.local.sum(axis=1), logdets, atol=1e-8)


# --------------------------------------------------------------------------
# sharpness
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_net():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(25, 3))
    y = rng.integers(0, 2, size=25)
    model = nc.MLP([3, 5, 2], activation="tanh")
    theta = model.init(seed=2, scale=1.5)
    return model, theta, X, y


@pytest.mark.parametrize("method", ["lanczos", "power"])
def test_sharpness_matches_dense_eigvalsh(small_net, method):
    model, theta, X, y = small_net
    ev = np.linalg.eigvalsh(model.hessian(theta, X, y))[::-1]
    top = sharpness(model, theta, X, y, method=method, seed=0)
    assert isinstance(top, float)
    assert top == pytest.approx(ev[0], rel=1e-8)
    top3 = sharpness(model, theta, X, y, method=method, k=3, seed=0)
    assert top3.shape == (3,)
    np.testing.assert_allclose(top3, ev[:3], rtol=1e-8)


def test_sharpness_power_and_lanczos_agree_on_iris(iris):
    data, model = iris
    theta = model.init(seed=0)
    a = sharpness(model, theta, data.X_train, data.y_train, method="lanczos", seed=0)
    b = sharpness(model, theta, data.X_train, data.y_train, method="power", seed=0)
    assert a == pytest.approx(b, rel=1e-8)


@pytest.mark.parametrize("k", [1, 2])
def test_power_method_negative_dominant_eigenvalue(k):
    """Largest algebraic eigenvalues even when a negative one dominates in magnitude."""
    rng = np.random.default_rng(0)
    Qm, _ = np.linalg.qr(rng.normal(size=(30, 30)))
    ev = np.concatenate([[-10.0, -6.0], np.linspace(-1.0, 1.0, 26), [2.0, 3.0]])
    H = Qm @ np.diag(ev) @ Qm.T
    vals, ok = _power_top(lambda V: H @ V, 30, k, 1e-10, 20000, np.random.default_rng(1))
    assert ok
    np.testing.assert_allclose(vals, [3.0, 2.0][:k], rtol=1e-8)


def test_sharpness_series_iris(iris):
    data, model = iris
    theta = model.init(seed=0)
    ser = sharpness_series(model, data, theta, lr=1.0, steps=20, every=5, seed=0)
    assert isinstance(ser, SharpnessSeries)
    np.testing.assert_array_equal(ser.t, [0, 5, 10, 15, 20])
    assert ser.sharpness.shape == ser.loss.shape == (5,)
    assert ser.threshold == 2.0 and not ser.diverged
    tr = nc.train(model, data, theta, 1.0, 20, record="params", every=5)
    np.testing.assert_allclose(ser.loss, tr.loss[::5])
    direct = sharpness(model, tr.params[2], data.X_train, data.y_train, seed=0)
    assert ser.sharpness[2] == pytest.approx(direct, rel=1e-7)
    assert ser.first_crossing in (-1, 0, 5, 10, 15, 20)
    ser2 = sharpness_series(model, data, theta, lr=1.0, steps=4, every=2, k=2, seed=0)
    assert ser2.sharpness.shape == (3, 2) and np.all(ser2.sharpness[:, 0] >= ser2.sharpness[:, 1])
    assert "2/lr" in repr(ser)


# --------------------------------------------------------------------------
# FTLE vs final loss
# --------------------------------------------------------------------------
def test_ftle_vs_final_loss_regression():
    data = nc.datasets.regression(n_train=40, n_test=10, seed=0)
    model = nc.MLP([1, 6, 1], activation="tanh", loss="mse")
    res = ftle_vs_final_loss(model, data, lr=0.2, n_init=12, t_early=10, t_final=60, k=2,
                             seed=0)
    assert isinstance(res, FTLELossResult)
    assert res.ftle.shape == (12, 2) and res.final_loss.shape == (12,)
    assert np.all(np.isfinite(res.ftle))
    # the FTLE of an initial condition is lyapunov_spectrum over t_early steps, with the
    # initial tangent vectors drawn from the same stream (init, then one draw per run)
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(model.init(rng, n=12), res.theta0)
    for i in range(4):
        one = lyapunov_spectrum(model, data, res.theta0[i], 0.2, steps=10, k=2, seed=rng)
    np.testing.assert_allclose(one.exponents, res.ftle[3], rtol=1e-12, atol=1e-14)
    # the final loss is the loss after t_final GD steps
    tr = nc.train(model, data, res.theta0[5], 0.2, 60, record="final")
    assert res.final_loss[5] == pytest.approx(model.loss(tr.theta, data.X_train, data.y_train),
                                              rel=1e-10)
    # default threshold: the middle of the widest gap between final loss levels
    assert res.loss_threshold == nc.protocols.loss_gap_threshold(res.final_loss)[0]
    np.testing.assert_array_equal(res.high_loss, res.final_loss > res.loss_threshold)
    assert 0.5 <= res.baseline_accuracy <= 1.0             # the best constant guess
    assert res.train_idx.size == 6 and res.test_idx.size == 6
    assert not set(res.train_idx) & set(res.test_idx)
    assert 0.0 <= res.test_accuracy <= 1.0 and 0.5 <= res.train_accuracy <= 1.0
    assert -1.0 <= res.spearman <= 1.0 and -1.0 <= res.pearson <= 1.0
    np.testing.assert_array_equal(res.predict(res.ftle)[res.train_idx].mean() >= 0, True)
    again = ftle_vs_final_loss(model, data, lr=0.2, n_init=12, t_early=10, t_final=60, k=2,
                               seed=0)
    np.testing.assert_array_equal(again.ftle, res.ftle)
    assert "spearman" in repr(res)


# --------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------
def test_bad_inputs_name_the_argument(quad):
    model, X, y, H, h = quad
    th = np.zeros(4)
    ok = dict(step=henon, jacobian=henon_jac, x0=[0.1, 0.1])
    with pytest.raises(ValueError, match="steps"):
        lyapunov_spectrum(**ok)
    with pytest.raises(ValueError, match="steps"):
        lyapunov_spectrum(steps=0, **ok)
    with pytest.raises(TypeError, match="steps"):
        lyapunov_spectrum(steps=2.5, **ok)
    with pytest.raises(ValueError, match="k"):
        lyapunov_spectrum(steps=5, k=3, **ok)
    with pytest.raises(ValueError, match="renorm"):
        lyapunov_spectrum(steps=5, renorm=0, **ok)
    with pytest.raises(ValueError, match="transient"):
        lyapunov_spectrum(steps=5, transient=-1, **ok)
    with pytest.raises(TypeError, match="seed"):
        lyapunov_spectrum(steps=5, seed="a", **ok)
    with pytest.raises(TypeError, match="step"):
        lyapunov_spectrum(step=3, jacobian=henon_jac, x0=[0.1, 0.1], steps=5)
    with pytest.raises(TypeError, match="jacobian"):
        lyapunov_spectrum(step=henon, x0=[0.1, 0.1], steps=5)
    with pytest.raises(ValueError, match="x0"):
        lyapunov_spectrum(step=henon, jacobian=henon_jac, steps=5)
    with pytest.raises(ValueError, match="jacobian"):
        lyapunov_spectrum(step=henon, jacobian=lambda x: np.eye(3), x0=[0.1, 0.1], steps=5)
    with pytest.raises(ValueError, match="step"):
        lyapunov_spectrum(step=lambda x: np.zeros(3), jacobian=henon_jac, x0=[0.1, 0.1], steps=5)
    with pytest.raises(ValueError, match="missing map"):
        lyapunov_spectrum(steps=5)
    with pytest.raises(ValueError, match="not both"):
        lyapunov_spectrum(model, (X, y), th, 0.1, steps=5, step=henon)
    with pytest.raises(ValueError, match="lr"):
        lyapunov_spectrum(lr=0.1, steps=5, **ok)
    with pytest.raises(ValueError, match="lr"):
        lyapunov_spectrum(model, (X, y), th, -0.1, steps=5)
    with pytest.raises(ValueError, match="lr"):
        lyapunov_spectrum(model, (X, y), th, None, steps=5)
    with pytest.raises(ValueError, match="theta"):
        lyapunov_spectrum(model, (X, y), np.zeros(5), 0.1, steps=5)
    with pytest.raises(ValueError, match="theta"):
        lyapunov_spectrum(model, (X, y), None, 0.1, steps=5)
    with pytest.raises(TypeError, match="data"):
        lyapunov_spectrum(model, "iris", th, 0.1, steps=5)
    with pytest.raises(ValueError, match="X"):
        lyapunov_spectrum(model, (X[:, :2], y), th, 0.1, steps=5)
    with pytest.raises(TypeError, match="model"):
        lyapunov_spectrum("net", (X, y), th, 0.1, steps=5)
    with pytest.raises(TypeError, match="keep_q"):
        lyapunov_spectrum(steps=5, keep_q="yes", **ok)
    with pytest.raises(ValueError, match="n_backward"):
        covariant_vectors(steps=5, n_backward=-1, **ok)
    with pytest.raises(ValueError, match="n_forward"):
        covariant_vectors(steps=5, n_forward=3, transient=3, **ok)
    with pytest.raises(ValueError, match="method"):
        sharpness(model, th, X, y, method="arnoldi")
    with pytest.raises(ValueError, match="k"):
        sharpness(model, th, X, y, k=5)
    with pytest.raises(ValueError, match="tol"):
        sharpness(model, th, X, y, tol=0)
    with pytest.raises(ValueError, match="theta"):
        sharpness(model, np.zeros(3), X, y)
    with pytest.raises(ValueError, match="every"):
        sharpness_series(model, (X, y), th, 0.1, 5, every=0)
    with pytest.raises(ValueError, match="theta0"):
        sharpness_series(model, (X, y), np.zeros(2), 0.1, 5)
    with pytest.raises(ValueError, match="n_init"):
        ftle_vs_final_loss(model, (X, y), 0.1, n_init=2, t_early=3, t_final=3)
    with pytest.raises(ValueError, match="t_early"):
        ftle_vs_final_loss(model, (X, y), 0.1, n_init=4, t_early=0, t_final=3)
    with pytest.raises(ValueError, match="theta0"):
        ftle_vs_final_loss(model, (X, y), 0.1, n_init=4, t_early=2, t_final=3,
                           theta0=np.zeros((3, 4)))


def test_sharpness_nan_theta_returns_nan(quad):
    model, X, y, H, h = quad
    assert np.isnan(sharpness(model, np.full(4, np.nan), X, y))
    np.testing.assert_allclose(sharpness(model, np.zeros(4), X, y, k=4), h[::-1], rtol=1e-12)


def test_reprs_are_short(henon_run):
    text = repr(henon_run)
    assert text.startswith("SpectrumResult(") and len(text) < 200
    f, J = linear(np.diag([2.0, 0.5]))
    clv = covariant_vectors(step=f, jacobian=J, x0=[0.0, 0.0], steps=3, seed=0)
    assert repr(clv).startswith("CLVResult(") and len(repr(clv)) < 200


# --------------------------------------------------------------------------
# the QR kernel and the fused iteration
# --------------------------------------------------------------------------
@pytest.mark.parametrize("n,k", [(1, 1), (7, 1), (5, 3), (10, 10), (83, 83), (200, 50), (31, 29)])
def test_householder_qr_against_numpy(n, k):
    """Orthonormal Q, upper-triangular R, Q R = M, |R_ii| as numpy's (LAPACK) QR."""
    rng = np.random.default_rng(n * 1000 + k)
    for M in (rng.normal(size=(n, k)), rng.normal(size=(n, k)) * np.geomspace(1, 1e-9, k)):
        Q, R = householder_qr(np.ascontiguousarray(M))
        assert Q.shape == (n, k) and R.shape == (k, k) and Q.flags.c_contiguous
        assert np.abs(Q.T @ Q - np.eye(k)).max() < 1e-14 * max(1, k)
        assert np.abs(Q @ R - M).max() < 1e-14 * max(1, k) * np.abs(M).max()
        assert np.all(np.tril(R, -1) == 0.0)
        _, Rn = np.linalg.qr(M)
        d, dn = np.abs(np.diag(R)), np.abs(np.diag(Rn))
        assert np.allclose(d, dn, rtol=1e-11, atol=1e-14 * np.abs(M).max())


def test_householder_qr_zero_and_repeated_columns():
    rng = np.random.default_rng(3)
    M = rng.normal(size=(6, 4))
    M[:, 1] = 0.0
    M[:, 3] = M[:, 0]
    Q, R = householder_qr(M)
    assert R[1, 1] == 0.0
    assert abs(R[3, 3]) < 1e-14
    assert np.abs(Q @ R - M).max() < 1e-14
    assert np.abs(Q.T @ Q - np.eye(4)).max() < 1e-14


def _python_path(monkeypatch):
    """Drive the tangent iteration one step at a time from Python (no fused kernel)."""
    monkeypatch.setattr(nc.GDMap, "fused", property(lambda self: None))


@pytest.mark.parametrize("k", [5, 17, 83])
def test_fused_iteration_matches_step_by_step(monkeypatch, iris, k):
    """The one-kernel QR iteration (two blocks of directions for k >= 16) gives the same bits."""
    data, model = iris
    kw = dict(model=model, data=data, theta=model.init(seed=0), lr=1.0, steps=40, k=k,
              transient=3, seed=2)
    fused = lyapunov_spectrum(**kw)
    _python_path(monkeypatch)
    plain = lyapunov_spectrum(**kw)
    assert np.array_equal(fused.exponents, plain.exponents)
    assert np.array_equal(fused.running, plain.running, equal_nan=True)


def test_fused_iteration_divergence_matches_step_by_step(monkeypatch):
    data = nc.datasets.iris(seed=0)
    model = nc.MLP([4, 10, 3], activation="linear")
    kw = dict(model=model, data=data, theta=model.init(seed=0), lr=100.0, steps=60, k=20, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fused = lyapunov_spectrum(**kw)
        _python_path(monkeypatch)
        plain = lyapunov_spectrum(**kw)
    assert fused.diverged and 0 < fused.diverged_at < 60
    assert fused.diverged_at == plain.diverged_at
    assert np.array_equal(fused.exponents, plain.exponents, equal_nan=True)
