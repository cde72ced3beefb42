"""Gradient-descent trajectories of ``netchaos.train`` against the numpy
reference (tests/reference.py), closed forms, record modes, on-the-fly
distances, divergence handling, determinism and mini-batch SGD."""

import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import reference as R

import netchaos as nc


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def bitwise_equal(a, b, what=""):
    a = np.asarray(a)
    b = np.asarray(b)
    assert a.shape == b.shape, f"{what}: shapes {a.shape} != {b.shape}"
    assert a.dtype == b.dtype, f"{what}: dtypes {a.dtype} != {b.dtype}"
    if a.tobytes() != b.tobytes():
        with np.errstate(invalid="ignore"):
            d = np.nanmax(np.abs(a.astype(float) - b.astype(float)))
        raise AssertionError(f"{what}: not bitwise identical (max abs diff {d})")


def ref_run(spec, X, y, theta0, lr, steps):
    sizes, act, loss, l2 = spec
    return R.ref_train(sizes, act, loss, l2, X, y, theta0, lr, steps)


def ref_acc(spec, thetas, X, y):
    sizes, act, loss, _ = spec
    return np.array([R.accuracy(sizes, act, th, X, y) for th in thetas])


def ref_sensitivity(spec, X, y, theta0, lr, steps, seed=0):
    """Relative change of the final reference state under a 1e-15 relative
    perturbation of theta0: guards that a configuration is not so chaotic
    that comparing two correct implementations at rtol ~1e-9 is unfair."""
    rng = np.random.default_rng(seed)
    t1, _ = ref_run(spec, X, y, theta0, lr, steps)
    t2, _ = ref_run(spec, X, y, theta0 * (1 + 1e-15 * rng.normal(size=theta0.shape)), lr, steps)
    return float(np.max(np.abs(t1 - t2)) / np.max(np.abs(t1)))


def make_model(spec):
    sizes, act, loss, l2 = spec
    return nc.MLP(sizes=list(sizes), activation=act, loss=loss, l2=l2)


def first_nonfinite(thetas, losses):
    bad = ~np.isfinite(losses) | ~np.all(np.isfinite(thetas), axis=1)
    return int(np.argmax(bad)) if bad.any() else -1


IRIS_SIG = ([4, 10, 3], "sigmoid", "cross_entropy", 0.0)


@pytest.fixture(scope="module")
def reg_xy(regression_xy):
    return regression_xy


# --------------------------------------------------------------------------
# full-batch GD vs reference
# --------------------------------------------------------------------------
CASES = [
    # id, spec, data, lr, steps, init scale, seed
    ("sigmoid-lr1", IRIS_SIG, "iris", 1.0, 30, 1.0, 11),
    ("sigmoid-lr0.01", IRIS_SIG, "iris", 0.01, 200, 1.0, 12),
    ("sigmoid-l2", ([4, 10, 3], "sigmoid", "cross_entropy", 0.01), "iris", 0.5, 50, 1.0, 13),
    ("tanh", ([4, 10, 3], "tanh", "cross_entropy", 0.0), "iris", 0.1, 50, 0.5, 14),
    ("relu", ([4, 10, 3], "relu", "cross_entropy", 0.0), "iris", 0.02, 50, 0.5, 15),
    ("linear-2hidden", ([4, 6, 5, 3], "linear", "cross_entropy", 0.0), "iris", 0.005, 50, 0.3, 16),
    ("mse-tanh", ([3, 8, 2], "tanh", "mse", 0.0), "reg", 0.1, 100, 0.7, 17),
    ("mse-relu-l2", ([3, 8, 8, 2], "relu", "mse", 0.01), "reg", 0.05, 100, 0.5, 18),
]


def _data(name, iris_xy, reg_xy):
    return iris_xy if name == "iris" else reg_xy


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_single_trajectory_matches_reference(case, iris_xy, reg_xy):
    _, spec, dname, lr, steps, scale, seed = case
    X, y = _data(dname, iris_xy, reg_xy)
    model = make_model(spec)
    P = model.n_params
    theta0 = np.random.default_rng(seed).normal(size=P) * scale
    assert ref_sensitivity(spec, X, y, theta0, lr, steps) < 1e-11

    res = nc.train(model, (X, y), theta0, lr, steps)
    thetas, losses = ref_run(spec, X, y, theta0, lr, steps)

    assert res.theta.shape == (P,)
    assert res.loss.shape == (steps + 1,)
    assert res.accuracy.shape == (steps + 1,)
    np.testing.assert_allclose(res.theta, thetas[-1], rtol=1e-9, atol=1e-12 * np.abs(thetas[-1]).max())
    np.testing.assert_allclose(res.loss, losses, rtol=1e-9, atol=1e-14)
    if spec[2] == "cross_entropy":
        np.testing.assert_array_equal(res.accuracy, ref_acc(spec, thetas, X, y))
    else:
        assert np.all(np.isnan(res.accuracy))
    assert not res.diverged and res.diverged_at == -1 and res.n_diverged == 0
    assert res.params is None and res.param_steps is None
    assert res.distance_l1 is None and res.distance_l2 is None
    assert res.test_loss is None and res.test_accuracy is None
    # train does not modify its input
    np.testing.assert_array_equal(theta0, np.random.default_rng(seed).normal(size=P) * scale)


@pytest.mark.parametrize("case", [CASES[0], CASES[3], CASES[6]], ids=[CASES[i][0] for i in (0, 3, 6)])
def test_ensemble_matches_reference(case, iris_xy, reg_xy):
    _, spec, dname, lr, steps, scale, seed = case
    X, y = _data(dname, iris_xy, reg_xy)
    model = make_model(spec)
    K = 5
    theta0 = np.random.default_rng(seed + 100).normal(size=(K, model.n_params)) * scale
    res = nc.train(model, (X, y), theta0, lr, steps)
    assert res.theta.shape == (K, model.n_params)
    assert res.loss.shape == (K, steps + 1) and res.accuracy.shape == (K, steps + 1)
    assert res.diverged.shape == (K,) and res.diverged.dtype == bool and not res.diverged.any()
    np.testing.assert_array_equal(res.diverged_at, -1)
    assert res.n_diverged == 0
    for k in range(K):
        assert ref_sensitivity(spec, X, y, theta0[k], lr, steps) < 1e-11
        thetas, losses = ref_run(spec, X, y, theta0[k], lr, steps)
        np.testing.assert_allclose(res.theta[k], thetas[-1], rtol=1e-9, atol=1e-12 * np.abs(thetas[-1]).max())
        np.testing.assert_allclose(res.loss[k], losses, rtol=1e-9, atol=1e-14)
        if spec[2] == "cross_entropy":
            np.testing.assert_array_equal(res.accuracy[k], ref_acc(spec, thetas, X, y))


def test_zero_steps(iris_xy):
    X, y = iris_xy
    model = make_model(IRIS_SIG)
    theta0 = np.random.default_rng(0).normal(size=(3, model.n_params))
    res = nc.train(model, (X, y), theta0, 0.5, 0)
    np.testing.assert_array_equal(res.theta, theta0)
    assert res.loss.shape == (3, 1)
    for k in range(3):
        np.testing.assert_allclose(res.loss[k, 0], R.loss_fn(*IRIS_SIG, theta0[k], X, y), rtol=1e-12)


# --------------------------------------------------------------------------
# linear model: GD is an affine map with a closed-form orbit
# --------------------------------------------------------------------------
@pytest.mark.parametrize("l2", [0.0, 0.05])
@pytest.mark.parametrize("activation", ["relu", "sigmoid"])  # irrelevant: no hidden layer
def test_linear_regression_closed_form(l2, activation):
    rng = np.random.default_rng(42)
    N, d, m = 30, 4, 2
    X = rng.normal(size=(N, d)) * np.array([1.0, 3.0, 0.5, 2.0]) + np.array([0.5, -1.0, 0.2, 0.0])
    Y = rng.normal(size=(N, m))
    Xa = np.hstack([X, np.ones((N, 1))])  # theta.reshape(d+1, m) = [W; b]
    assert np.linalg.matrix_rank(Xa) == d + 1
    # L = 1/(N m) ||Xa T - Y||^2 + l2/2 ||W||^2
    # grad = c Xa^T (Xa T - Y) + l2 D T,  c = 2/(N m),  D = diag(1,..,1,0)
    c = 2.0 / (N * m)
    D = np.diag(np.r_[np.ones(d), 0.0])
    M = c * Xa.T @ Xa + l2 * D
    T_star = np.linalg.solve(M, c * Xa.T @ Y)
    lam, Q = np.linalg.eigh(M)
    lr = 1.0 / lam.max()
    steps, every = 100, 10

    def closed(theta0, t):
        dT = theta0.reshape(d + 1, m) - T_star
        A_t = Q @ np.diag((1.0 - lr * lam) ** t) @ Q.T
        return (A_t @ dT + T_star).ravel()

    model = nc.MLP(sizes=[d, m], activation=activation, loss="mse", l2=l2)
    assert model.n_params == (d + 1) * m
    theta0 = rng.normal(size=(3, model.n_params)) * 2.0
    res = nc.train(model, (X, Y), theta0, lr, steps, record="params", every=every)
    np.testing.assert_array_equal(res.param_steps, np.arange(0, steps + 1, every))
    for k in range(3):
        # the run has not simply converged to theta*: the test sees the transient
        assert np.linalg.norm(closed(theta0[k], steps) - T_star.ravel()) > 1e-3 * np.linalg.norm(
            theta0[k] - T_star.ravel()
        )
        for i, t in enumerate(res.param_steps):
            np.testing.assert_allclose(res.params[k, i], closed(theta0[k], t), rtol=0, atol=1e-9)
        np.testing.assert_allclose(res.theta[k], closed(theta0[k], steps), rtol=0, atol=1e-9)
        expect_loss = [R.loss_fn([d, m], activation, "mse", l2, closed(theta0[k], t), X, Y) for t in range(steps + 1)]
        np.testing.assert_allclose(res.loss[k], expect_loss, rtol=1e-9)
        assert np.all(np.isnan(res.accuracy[k]))


def test_logistic_regression_no_hidden_layer(iris_xy):
    """sizes of length 2 with cross-entropy: multinomial logistic regression."""
    X, y = iris_xy
    spec = ([4, 3], "tanh", "cross_entropy", 0.0)
    model = make_model(spec)
    theta0 = np.random.default_rng(3).normal(size=model.n_params) * 0.1
    res = nc.train(model, (X, y), theta0, 0.05, 100)
    thetas, losses = ref_run(spec, X, y, theta0, 0.05, 100)
    np.testing.assert_allclose(res.theta, thetas[-1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(res.loss, losses, rtol=1e-10)


# --------------------------------------------------------------------------
# record modes
# --------------------------------------------------------------------------
def test_record_final(iris_xy):
    X, y = iris_xy
    model = make_model(IRIS_SIG)
    theta0 = np.random.default_rng(1).normal(size=(4, model.n_params))
    res = nc.train(model, (X, y), theta0, 0.5, 20, record="final")
    assert res.loss is None and res.accuracy is None
    assert res.params is None and res.param_steps is None
    assert res.theta.shape == theta0.shape
    for k in range(4):
        thetas, _ = ref_run(IRIS_SIG, X, y, theta0[k], 0.5, 20)
        np.testing.assert_allclose(res.theta[k], thetas[-1], rtol=1e-9, atol=1e-12)
    assert not res.diverged.any() and res.n_diverged == 0
    # same trajectories as record="metrics"
    res_m = nc.train(model, (X, y), theta0, 0.5, 20)
    np.testing.assert_allclose(res.theta, res_m.theta, rtol=1e-13, atol=1e-15)


def test_record_params_single(iris_xy):
    X, y = iris_xy
    model = make_model(IRIS_SIG)
    theta0 = np.random.default_rng(2).normal(size=model.n_params)
    steps, every = 40, 5
    res = nc.train(model, (X, y), theta0, 0.5, steps, record="params", every=every)
    thetas, losses = ref_run(IRIS_SIG, X, y, theta0, 0.5, steps)
    np.testing.assert_array_equal(res.param_steps, np.arange(0, steps + 1, every))
    assert res.params.shape == (steps // every + 1, model.n_params)
    np.testing.assert_array_equal(res.params[0], theta0)
    np.testing.assert_allclose(res.params, thetas[res.param_steps], rtol=1e-9, atol=1e-12)
    # the final recorded state is the final state
    bitwise_equal(res.params[-1], res.theta, "params[-1] vs theta")
    np.testing.assert_allclose(res.loss, losses, rtol=1e-9)
    np.testing.assert_array_equal(res.accuracy, ref_acc(IRIS_SIG, thetas, X, y))
    # loss[t] is L(theta(t)) of the recorded state, also by the model itself
    for i, t in enumerate(res.param_steps):
        np.testing.assert_allclose(res.loss[t], model.loss(res.params[i], X, y), rtol=1e-13)
        np.testing.assert_allclose(res.accuracy[t], model.accuracy(res.params[i], X, y), rtol=0)


def test_record_params_ensemble_every1(iris_xy):
    X, y = iris_xy
    model = make_model(IRIS_SIG)
    K, steps = 3, 15
    theta0 = np.random.default_rng(3).normal(size=(K, model.n_params))
    res = nc.train(model, (X, y), theta0, 1.0, steps, record="params", every=1)
    assert res.params.shape == (K, steps + 1, model.n_params)
    np.testing.assert_array_equal(res.param_steps, np.arange(steps + 1))
    for k in range(K):
        thetas, losses = ref_run(IRIS_SIG, X, y, theta0[k], 1.0, steps)
        np.testing.assert_allclose(res.params[k], thetas, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(res.loss[k], losses, rtol=1e-9)
        np.testing.assert_array_equal(res.accuracy[k], ref_acc(IRIS_SIG, thetas, X, y))


def test_record_params_every_not_dividing_steps(iris_xy):
    X, y = iris_xy
    model = make_model(IRIS_SIG)
    theta0 = np.random.default_rng(4).normal(size=(2, model.n_params))
    steps, every = 23, 5
    res = nc.train(model, (X, y), theta0, 0.5, steps, record="params", every=every)
    ps = np.asarray(res.param_steps)
    # 0, 5, ..., 20 must be there; the final step may or may not be appended
    np.testing.assert_array_equal(ps[:5], [0, 5, 10, 15, 20])
    assert np.all(np.diff(ps) > 0) and ps[-1] <= steps
    assert set(ps[5:]) <= {steps}
    assert res.params.shape == (2, len(ps), model.n_params)
    for k in range(2):
        thetas, _ = ref_run(IRIS_SIG, X, y, theta0[k], 0.5, steps)
        np.testing.assert_allclose(res.params[k], thetas[ps], rtol=1e-9, atol=1e-12)


def test_test_metrics_with_dataset(iris_xy):
    X, y = iris_xy
    perm = np.random.default_rng(0).permutation(len(y))
    tr, te = perm[:120], perm[120:]
    data = nc.datasets.Dataset(X[tr], y[tr], X[te], y[te])
    model = make_model(IRIS_SIG)
    theta0 = np.random.default_rng(5).normal(size=(2, model.n_params))
    res = nc.train(model, data, theta0, 0.5, 20, test_metrics=True)
    res_tuple = nc.train(model, (X[tr], y[tr]), theta0, 0.5, 20)
    bitwise_equal(res.theta, res_tuple.theta, "Dataset vs tuple theta")
    bitwise_equal(res.loss, res_tuple.loss, "Dataset vs tuple loss")
    assert res_tuple.test_loss is None and res_tuple.test_accuracy is None
    assert res.test_loss.shape == (2, 21) and res.test_accuracy.shape == (2, 21)
    for k in range(2):
        thetas, losses = ref_run(IRIS_SIG, X[tr], y[tr], theta0[k], 0.5, 20)
        np.testing.assert_allclose(res.loss[k], losses, rtol=1e-9)
        test_losses = [R.loss_fn(*IRIS_SIG, th, X[te], y[te]) for th in thetas]
        np.testing.assert_allclose(res.test_loss[k], test_losses, rtol=1e-9)
        np.testing.assert_array_equal(res.test_accuracy[k], ref_acc(IRIS_SIG, thetas, X[te], y[te]))


# --------------------------------------------------------------------------
# distances to reference trajectories
# --------------------------------------------------------------------------
def test_reference_distances(iris_xy):
    X, y = iris_xy
    model = make_model(IRIS_SIG)
    P = model.n_params
    rng = np.random.default_rng(8)
    base = rng.normal(size=(2, P))
    theta0 = np.empty((6, P))
    theta0[0] = base[0]
    theta0[3] = base[1]
    theta0[[1, 2]] = base[0] + 1e-6 * rng.normal(size=(2, P))
    theta0[[4, 5]] = base[1] + 1e-6 * rng.normal(size=(2, P))
    reference = np.array([-1, 0, 0, -1, 3, 3])
    steps = 30
    res = nc.train(model, (X, y), theta0, 1.0, steps, record="params", every=1, reference=reference)
    assert res.distance_l1.shape == (6, steps + 1) and res.distance_l2.shape == (6, steps + 1)
    for k in range(6):
        r = reference[k]
        if r < 0:
            np.testing.assert_array_equal(res.distance_l1[k], 0.0)
            np.testing.assert_array_equal(res.distance_l2[k], 0.0)
            continue
        diff = res.params[k] - res.params[r]  # (steps+1, P)
        np.testing.assert_allclose(res.distance_l1[k], np.abs(diff).sum(axis=1), rtol=1e-12, atol=0)
        np.testing.assert_allclose(res.distance_l2[k], np.sqrt((diff**2).sum(axis=1)), rtol=1e-12, atol=0)
        assert np.all(res.distance_l1[k] > 0)
    # the same distances are computed when parameters are not recorded
    res_m = nc.train(model, (X, y), theta0, 1.0, steps, reference=reference)
    assert res_m.params is None
    np.testing.assert_allclose(res_m.distance_l1, res.distance_l1, rtol=1e-12, atol=0)
    np.testing.assert_allclose(res_m.distance_l2, res.distance_l2, rtol=1e-12, atol=0)
    # and against the independent reference trajectories (loose: 1e-6-sized differences of O(1) states)
    t0, _ = ref_run(IRIS_SIG, X, y, theta0[0], 1.0, steps)
    t1, _ = ref_run(IRIS_SIG, X, y, theta0[1], 1.0, steps)
    np.testing.assert_allclose(res.distance_l1[1], np.abs(t1 - t0).sum(axis=1), rtol=1e-5)


# --------------------------------------------------------------------------
# divergence
# --------------------------------------------------------------------------
def _check_diverged_row(res, k, thetas, losses, d, ce):
    """Row k of an ensemble result against reference trajectory rows with
    first non-finite step d."""
    assert res.diverged[k], k
    assert res.diverged_at[k] == d, (k, res.diverged_at[k], d)
    loss = res.loss[k]
    assert not np.isfinite(loss[d]), k
    assert np.all(np.isnan(loss[d + 1:])), k
    np.testing.assert_allclose(loss[:d], losses[:d], rtol=1e-9)
    if ce:
        assert np.all(np.isnan(res.accuracy[k, d + 1:])), k
    if np.all(np.isfinite(thetas[0])):
        # the final theta is the last finite state: theta(d-1), or theta(d) when
        # only the loss (not theta) became non-finite at step d
        th = res.theta[k]
        assert np.all(np.isfinite(th)), k
        candidates = [thetas[d - 1]] if d > 0 else []
        if np.all(np.isfinite(thetas[d])):
            candidates.append(thetas[d])
        assert any(np.allclose(th, c, rtol=1e-9, atol=0) for c in candidates), k


def test_divergence_mixed_ensemble_iris_lr100(iris_xy):
    X, y = iris_xy
    model = make_model(IRIS_SIG)
    P = model.n_params
    lr, steps = 100.0, 40
    theta0 = np.random.default_rng(9).normal(size=(5, P))
    theta0[1, 50:] = 1e308  # every output weight and bias huge: z_L overflows, L(theta(0)) is NaN
    theta0[3, 50:80] = -1e308
    theta0[3, 80:] = 1e308
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = nc.train(model, (X, y), theta0, lr, steps)
    assert res.diverged.dtype == bool
    np.testing.assert_array_equal(res.diverged, [False, True, False, True, False])
    np.testing.assert_array_equal(res.diverged_at, [-1, 0, -1, 0, -1])
    assert res.n_diverged == 2
    for k in (1, 3):
        # a finite but useless initial state is its own last finite state
        np.testing.assert_array_equal(res.theta[k], theta0[k])
        assert not np.isfinite(res.loss[k, 0])
        assert np.all(np.isnan(res.loss[k, 1:]))
        assert np.all(np.isnan(res.accuracy[k, 1:]))
    # the healthy rows are unaffected by their broken neighbours (lr=100 with sigmoid
    # grows the weights only polynomially, so they stay finite)
    ok = [0, 2, 4]
    res_ok = nc.train(model, (X, y), theta0[ok], lr, steps)
    bitwise_equal(res.theta[ok], res_ok.theta, "healthy rows theta")
    bitwise_equal(res.loss[ok], res_ok.loss, "healthy rows loss")
    for k in ok:
        thetas, losses = ref_run(IRIS_SIG, X, y, theta0[k], lr, steps)
        assert first_nonfinite(thetas, losses) == -1
        assert np.all(np.isfinite(res.loss[k])) and np.all(np.isfinite(res.theta[k]))
        np.testing.assert_allclose(res.loss[k, :5], losses[:5], rtol=1e-9)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_theta0(iris_xy, bad):
    """A non-finite initial state is either rejected (ValueError naming
    theta0) or accepted and flagged as diverged at step 0; never a crash or
    a RuntimeWarning, and never contaminating the other trajectories."""
    X, y = iris_xy
    model = make_model(IRIS_SIG)
    theta0 = np.random.default_rng(9).normal(size=(3, model.n_params))
    theta0[1, 7] = bad
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            res = nc.train(model, (X, y), theta0, 0.5, 10)
        except ValueError as e:
            assert "theta0" in str(e)
            return
    np.testing.assert_array_equal(res.diverged, [False, True, False])
    np.testing.assert_array_equal(res.diverged_at, [-1, 0, -1])
    assert np.all(np.isnan(res.loss[1, 1:]))
    res_ok = nc.train(model, (X, y), theta0[[0, 2]], 0.5, 10)
    bitwise_equal(res.theta[[0, 2]], res_ok.theta, "healthy rows theta")


def test_divergence_midrun_deep_linear_mse():
    """A deep linear net with mse: small initial weights converge, large ones
    blow up super-exponentially after a few steps (same lr for all)."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(20, 2))
    Y = X @ np.array([[1.0], [-2.0]]) + 0.3
    spec = ([2, 3, 1], "linear", "mse", 0.0)
    model = make_model(spec)
    P = model.n_params
    scales = np.array([0.1, 2.0, 0.5, 3.0, 1.0, 2.5])
    theta0 = np.random.default_rng(4).normal(size=(6, P)) * scales[:, None]
    lr, steps = 0.05, 60
    refs = [ref_run(spec, X, Y, theta0[k], lr, steps) for k in range(6)]
    d_ref = np.array([first_nonfinite(*r) for r in refs])
    assert d_ref[[0, 2, 4]].tolist() == [-1, -1, -1]
    assert np.all(d_ref[[1, 3, 5]] > 1)  # genuinely mid-run
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = nc.train(model, (X, Y), theta0, lr, steps)
    np.testing.assert_array_equal(res.diverged, d_ref >= 0)
    np.testing.assert_array_equal(res.diverged_at, d_ref)
    assert res.n_diverged == 3
    for k in range(6):
        thetas, losses = refs[k]
        if d_ref[k] < 0:
            np.testing.assert_allclose(res.loss[k], losses, rtol=1e-9, atol=1e-20)
            np.testing.assert_allclose(res.theta[k], thetas[-1], rtol=1e-9, atol=1e-12)
        else:
            _check_diverged_row(res, k, thetas, losses, d_ref[k], ce=False)
    # single-trajectory form of a diverging run
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r1 = nc.train(model, (X, Y), theta0[3], lr, steps)
    assert bool(r1.diverged) and np.ndim(r1.diverged) == 0
    assert int(r1.diverged_at) == d_ref[3] and np.ndim(r1.diverged_at) == 0
    assert r1.n_diverged == 1
    assert np.all(np.isfinite(r1.theta))
    assert np.all(np.isnan(r1.loss[d_ref[3] + 1:]))
    # divergence is detected the same way when no metrics are recorded
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rf = nc.train(model, (X, Y), theta0, lr, steps, record="final")
    np.testing.assert_array_equal(rf.diverged, res.diverged)
    np.testing.assert_array_equal(rf.diverged_at, res.diverged_at)
    np.testing.assert_allclose(rf.theta, res.theta, rtol=1e-13, atol=0)


def test_divergence_mse_net_large_lr(reg_xy):
    """lr=10 on a relu regression net: every trajectory blows up within a few steps."""
    X, Y = reg_xy
    spec = ([3, 8, 2], "relu", "mse", 0.0)
    model = make_model(spec)
    theta0 = np.random.default_rng(10).normal(size=(4, model.n_params))
    lr, steps = 10.0, 200
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = nc.train(model, (X, Y), theta0, lr, steps, record="params", every=1)
    assert res.diverged.all() and res.n_diverged == 4
    for k in range(4):
        thetas, losses = ref_run(spec, X, Y, theta0[k], lr, steps)
        d = first_nonfinite(thetas, losses)
        assert d > 0
        _check_diverged_row(res, k, thetas, losses, d, ce=False)


def test_divergence_by_parameter_overflow():
    """The loss at theta(0) is finite but the step overflows: theta(1) is
    non-finite, so diverged_at == 1 and the final state is theta(0)."""
    rng = np.random.default_rng(12)
    X = rng.normal(size=(10, 3))
    Y = 1e3 + rng.normal(size=(10, 2))
    spec = ([3, 2], "linear", "mse", 0.0)
    model = make_model(spec)
    theta0 = rng.normal(size=(3, model.n_params))
    lr, steps = 1e306, 5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = nc.train(model, (X, Y), theta0, lr, steps, record="params", every=1)
    for k in range(3):
        thetas, losses = ref_run(spec, X, Y, theta0[k], lr, steps)
        assert np.isfinite(losses[0]) and not np.all(np.isfinite(thetas[1]))
        assert first_nonfinite(thetas, losses) == 1
        assert res.diverged[k] and res.diverged_at[k] == 1
        np.testing.assert_array_equal(res.theta[k], theta0[k])
        np.testing.assert_allclose(res.loss[k, 0], losses[0], rtol=1e-12)
        assert np.all(np.isnan(res.loss[k, 1:]))
        np.testing.assert_array_equal(res.params[k, 0], theta0[k])
    assert res.n_diverged == 3


def test_divergence_distances_become_nan():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(20, 2))
    Y = X @ np.array([[1.0], [-2.0]]) + 0.3
    spec = ([2, 3, 1], "linear", "mse", 0.0)
    model = make_model(spec)
    P = model.n_params
    g = np.random.default_rng(4)
    stable = g.normal(size=P) * 0.1
    unstable = g.normal(size=P) * 3.0
    theta0 = np.stack([stable, stable + 1e-7 * g.normal(size=P), unstable, unstable + 1e-7 * g.normal(size=P)])
    reference = np.array([-1, 0, -1, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = nc.train(model, (X, Y), theta0, 0.05, 40, reference=reference, record="params", every=1)
    assert list(res.diverged) == [False, False, True, True]
    d = int(min(res.diverged_at[2], res.diverged_at[3]))
    assert d > 0
    assert np.all(np.isfinite(res.distance_l1[1])) and np.all(res.distance_l1[1] > 0)
    assert np.all(np.isnan(res.distance_l1[3, d + 1:])) and np.all(np.isnan(res.distance_l2[3, d + 1:]))
    diff = res.params[3, :d] - res.params[2, :d]
    np.testing.assert_allclose(res.distance_l1[3, :d], np.abs(diff).sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(res.distance_l2[3, :d], np.sqrt((diff**2).sum(axis=1)), rtol=1e-12)
    np.testing.assert_array_equal(res.distance_l1[[0, 2]], 0.0)


# --------------------------------------------------------------------------
# determinism
# --------------------------------------------------------------------------
def test_repeated_calls_bitwise_identical(iris_xy):
    X, y = iris_xy
    model = make_model(IRIS_SIG)
    theta0 = model.init(seed=123, n=8)
    a = nc.train(model, (X, y), theta0, 1.0, 60)
    b = nc.train(model, (X, y), model.init(seed=123, n=8), 1.0, 60)
    bitwise_equal(a.theta, b.theta, "theta")
    bitwise_equal(a.loss, b.loss, "loss")
    bitwise_equal(a.accuracy, b.accuracy, "accuracy")
    s1 = nc.train(model, (X, y), theta0[0], 1.0, 60)
    s2 = nc.train(model, (X, y), theta0[0].copy(), 1.0, 60)
    bitwise_equal(s1.theta, s2.theta, "single theta")
    bitwise_equal(s1.loss, s2.loss, "single loss")


def test_trajectory_independent_of_ensemble_companions(iris_xy):
    X, y = iris_xy
    model = make_model(IRIS_SIG)
    theta0 = np.random.default_rng(21).normal(size=(19, model.n_params))
    steps = 80  # long enough at lr=1 that any rounding difference would be amplified
    full = nc.train(model, (X, y), theta0, 1.0, steps)
    for sel in (slice(0, 7), slice(3, 10), slice(18, 19), slice(None, None, -1)):
        part = nc.train(model, (X, y), np.ascontiguousarray(theta0[sel]), 1.0, steps)
        bitwise_equal(part.theta, full.theta[sel], f"theta rows {sel}")
        bitwise_equal(part.loss, full.loss[sel], f"loss rows {sel}")
        bitwise_equal(part.accuracy, full.accuracy[sel], f"accuracy rows {sel}")


_THREAD_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import netchaos as nc
    from sklearn.datasets import load_iris
    out = sys.argv[1]
    d = load_iris()
    X, y = np.ascontiguousarray(d.data, dtype=np.float64), d.target.astype(np.int64)
    model = nc.MLP(sizes=[4, 10, 3], activation="sigmoid", loss="cross_entropy")
    theta0 = np.random.default_rng(2024).normal(size=(50, model.n_params))
    res = nc.train(model, (X, y), theta0, 1.0, 100)
    np.save(out + "_theta.npy", res.theta)
    np.save(out + "_loss.npy", res.loss)
    import numba
    print(numba.get_num_threads())
    """
)


def test_results_independent_of_thread_count(tmp_path, iris_xy):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    procs = {}
    for n in ("1", "2"):
        env = {**os.environ, "NUMBA_NUM_THREADS": n}
        env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
        procs[n] = subprocess.Popen(
            [sys.executable, "-c", _THREAD_SCRIPT, str(tmp_path / f"t{n}")],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    for n, p in procs.items():
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, f"NUMBA_NUM_THREADS={n} failed:\n{err}"
        assert out.strip().splitlines()[-1] == n
    for what in ("theta", "loss"):
        a = (tmp_path / f"t1_{what}.npy").read_bytes()
        b = (tmp_path / f"t2_{what}.npy").read_bytes()
        assert a == b, f"{what} differs between 1 and 2 threads"
    # and the in-process result (default thread count) is the same too
    X, y = iris_xy
    model = nc.MLP(sizes=[4, 10, 3], activation="sigmoid", loss="cross_entropy")
    theta0 = np.random.default_rng(2024).normal(size=(50, model.n_params))
    res = nc.train(model, (X, y), theta0, 1.0, 100)
    bitwise_equal(res.theta, np.load(tmp_path / "t1_theta.npy"), "in-process theta")
    bitwise_equal(res.loss, np.load(tmp_path / "t1_loss.npy"), "in-process loss")


# --------------------------------------------------------------------------
# mini-batch SGD
# --------------------------------------------------------------------------
def test_sgd_reproducible_and_seeded(iris_xy):
    X, y = iris_xy
    model = make_model(IRIS_SIG)
    theta0 = np.random.default_rng(30).normal(size=(5, model.n_params))
    kw = dict(batch_size=16)
    a = nc.train(model, (X, y), theta0, 0.5, 40, seed=7, **kw)
    b = nc.train(model, (X, y), theta0, 0.5, 40, seed=7, **kw)
    bitwise_equal(a.theta, b.theta, "sgd theta same seed")
    bitwise_equal(a.loss, b.loss, "sgd loss same seed")
    c = nc.train(model, (X, y), theta0, 0.5, 40, seed=8, **kw)
    assert not np.array_equal(a.theta, c.theta)
    gd = nc.train(model, (X, y), theta0, 0.5, 40)
    assert not np.allclose(a.theta, gd.theta, rtol=1e-6, atol=0)
    # the batches are the same for every trajectory: a sub-ensemble gives the same rows
    sub = nc.train(model, (X, y), np.ascontiguousarray(theta0[2:4]), 0.5, 40, seed=7, **kw)
    bitwise_equal(sub.theta, a.theta[2:4], "sgd sub-ensemble theta")
    bitwise_equal(sub.loss, a.loss[2:4], "sgd sub-ensemble loss")
    # a numpy Generator seed is reproducible as well
    g1 = nc.train(model, (X, y), theta0, 0.5, 10, seed=np.random.default_rng(5), **kw)
    g2 = nc.train(model, (X, y), theta0, 0.5, 10, seed=np.random.default_rng(5), **kw)
    bitwise_equal(g1.theta, g2.theta, "sgd Generator seed")


def test_sgd_recorded_loss_is_full_data_loss(iris_xy):
    """Under SGD the step uses a mini-batch, but loss[t] / accuracy[t] are
    L(theta(t)) and the accuracy on the training data (contract: value at theta(t))."""
    X, y = iris_xy
    model = make_model(IRIS_SIG)
    theta0 = np.random.default_rng(31).normal(size=model.n_params)
    res = nc.train(model, (X, y), theta0, 0.5, 20, batch_size=16, seed=1, record="params", every=1)
    full = [R.loss_fn(*IRIS_SIG, th, X, y) for th in res.params]
    np.testing.assert_allclose(res.loss, full, rtol=1e-12)
    np.testing.assert_array_equal(res.accuracy, ref_acc(IRIS_SIG, res.params, X, y))


def test_sgd_steps_are_minibatch_gradient_steps():
    """Each SGD step is theta - lr * grad of the mse on a batch of batch_size
    samples.  With X = identity in a linear-regression model sample n only
    touches weight n (and the bias), so the batch can be read off the update:
    weight n moves by -lr * 2/B * c_n * r_n where c_n is how often sample n
    is in the batch (sum c_n == B) and r_n its residual."""
    N, B = 12, 4
    X = np.eye(N)
    Y = np.arange(1.0, N + 1.0)
    model = nc.MLP(sizes=[N, 1], activation="linear", loss="mse")
    theta0 = np.zeros(model.n_params)
    lr = 0.3
    steps = 6
    res = nc.train(model, (X, Y), theta0, lr, steps, batch_size=B, seed=0, record="params", every=1)
    seen = set()
    for t in range(steps):
        th = res.params[t]
        step = res.params[t + 1] - th
        resid = th[:N] + th[N] - Y
        assert np.all(np.abs(resid) > 1e-3)
        counts = step[:N] / (-lr * 2.0 / B * resid)
        np.testing.assert_allclose(counts, np.round(counts), rtol=0, atol=1e-9)
        counts = np.round(counts)
        assert np.all(counts >= 0) and counts.sum() == B, f"step {t}: counts {counts}"
        np.testing.assert_allclose(step[N], -lr * 2.0 / B * np.sum(counts * resid), rtol=1e-12)
        # the recorded loss is the full-data loss at theta(t)
        np.testing.assert_allclose(res.loss[t], np.mean(resid**2), rtol=1e-12)
        seen.add(tuple(counts))
    assert len(seen) > 1  # the batches change from step to step


def test_sgd_full_batch_equals_gd(iris_xy):
    X, y = iris_xy
    model = make_model(IRIS_SIG)
    theta0 = np.random.default_rng(32).normal(size=(3, model.n_params))
    gd = nc.train(model, (X, y), theta0, 0.1, 30)
    sgd = nc.train(model, (X, y), theta0, 0.1, 30, batch_size=len(y), seed=5)
    np.testing.assert_allclose(sgd.theta, gd.theta, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(sgd.loss, gd.loss, rtol=1e-12)


# --------------------------------------------------------------------------
# miscellaneous options
# --------------------------------------------------------------------------
def test_progress_does_not_change_results(iris_xy):
    X, y = iris_xy
    model = make_model(IRIS_SIG)
    theta0 = np.random.default_rng(40).normal(size=(4, model.n_params))
    kw = dict(record="params", every=3, reference=np.array([-1, 0, 0, -1]))
    a = nc.train(model, (X, y), theta0, 1.0, 70, **kw)
    b = nc.train(model, (X, y), theta0, 1.0, 70, progress=True, **kw)
    for name in ("theta", "loss", "accuracy", "params", "distance_l1", "distance_l2", "diverged_at"):
        bitwise_equal(getattr(a, name), getattr(b, name), name)
    # a diverging run, too
    rng = np.random.default_rng(3)
    Xr = rng.normal(size=(20, 2))
    Yr = Xr @ np.array([[1.0], [-2.0]]) + 0.3
    m2 = make_model(([2, 3, 1], "linear", "mse", 0.0))
    t0 = np.random.default_rng(4).normal(size=(3, m2.n_params)) * np.array([[0.1], [3.0], [2.0]])
    a = nc.train(m2, (Xr, Yr), t0, 0.05, 60)
    b = nc.train(m2, (Xr, Yr), t0, 0.05, 60, progress=True)
    for name in ("theta", "loss", "diverged_at"):
        bitwise_equal(getattr(a, name), getattr(b, name), name)


def test_reference_validation(iris_xy):
    X, y = iris_xy
    model = make_model(IRIS_SIG)
    theta0 = np.random.default_rng(41).normal(size=(4, model.n_params))
    with pytest.raises((ValueError, TypeError), match="reference"):
        # trajectory 2 refers to 1, which is not a reference (it has reference 0)
        nc.train(model, (X, y), theta0, 0.1, 5, reference=np.array([-1, 0, 1, -1]))
    with pytest.raises((ValueError, TypeError), match="reference"):
        nc.train(model, (X, y), theta0, 0.1, 5, reference=np.array([-1, 0, 0]))  # wrong length
    with pytest.raises((ValueError, TypeError), match="reference"):
        nc.train(model, (X, y), theta0, 0.1, 5, reference=np.array([-1, 0, 7, -1]))  # out of range


def test_train_many_samples_near_uniform_softmax():
    """A 10-class problem with a few thousand samples started from small
    weights (near-uniform softmax, as at a typical initialisation): nothing
    diverges and the trajectory matches the reference."""
    rng = np.random.default_rng(50)
    N, n_out = 2000, 10
    X = rng.normal(size=(N, 6))
    y = (np.abs(X[:, 0] * 3).astype(int) + (X[:, 1] > 0)) % n_out
    spec = ([6, 12, n_out], "tanh", "cross_entropy", 0.0)
    model = make_model(spec)
    theta0 = rng.normal(size=(3, model.n_params)) * 0.05
    res = nc.train(model, (X, y), theta0, 0.5, 5)
    assert not res.diverged.any(), res.diverged_at
    for k in range(3):
        thetas, losses = ref_run(spec, X, y, theta0[k], 0.5, 5)
        np.testing.assert_allclose(res.loss[k], losses, rtol=1e-10)
        np.testing.assert_allclose(res.theta[k], thetas[-1], rtol=1e-9, atol=1e-13)
