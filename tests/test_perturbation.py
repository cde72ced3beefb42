"""Perturbation ensembles (netchaos.perturbation), and the linear GD map of least squares,
whose exponent is known exactly."""

import warnings

import numpy as np
import pytest

import netchaos as nc


# --------------------------------------------------------------------------
# perturbation ensembles
# --------------------------------------------------------------------------
def test_ensemble_shapes_and_perturbations(iris, iris_model):
    eps = 1e-3
    res = nc.perturbation_ensemble(iris_model, iris, lr=1.0, steps=15, eps=eps, n_init=20,
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
    lean = nc.perturbation_ensemble(iris_model, iris, lr=1.0, steps=15, eps=eps, n_init=20,
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
        nc.perturbation_ensemble(iris_model, iris, lr=1.0, steps=2, eps=eps, record="weights")

    every = nc.perturbation_ensemble(iris_model, iris, lr=1.0, steps=2, eps=eps, n_init=2,
                                     n_pert=2, seed=11, scope="all")
    assert np.all(every.delta != 0.0)
    np.testing.assert_allclose(every.distances[..., 0], np.abs(every.delta).sum(-1), rtol=1e-12)


def test_ensemble_reproducible(iris, iris_model):
    kw = dict(lr=1.0, steps=10, eps=1e-6, n_init=3, n_pert=2)
    a = nc.perturbation_ensemble(iris_model, iris, seed=5, **kw)
    b = nc.perturbation_ensemble(iris_model, iris, seed=5, **kw)
    c = nc.perturbation_ensemble(iris_model, iris, seed=6, **kw)
    for name in ("distances", "loss", "delta", "theta_init", "theta_final"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.theta_init, c.theta_init)
    assert not np.array_equal(a.delta, c.delta)
    # a Generator seed: the integer recorded in .seed reproduces the run
    g = nc.perturbation_ensemble(iris_model, iris, seed=np.random.default_rng(3), **kw)
    h = nc.perturbation_ensemble(iris_model, iris, seed=g.seed, **kw)
    np.testing.assert_array_equal(g.distances, h.distances)
    # the same seed with another eps: same initial conditions, same directions
    e = nc.perturbation_ensemble(iris_model, iris, seed=5, **dict(kw, eps=1e-3))
    np.testing.assert_array_equal(e.theta_init, a.theta_init)
    np.testing.assert_allclose(e.delta / 1e-3, a.delta / 1e-6, atol=1e-8)
    # explicit initial conditions
    t = nc.perturbation_ensemble(iris_model, iris, seed=9, theta0=a.theta_init,
                                 **dict(kw, n_init=None))
    np.testing.assert_array_equal(t.theta_init, a.theta_init)
    np.testing.assert_array_equal(t.loss, a.loss)


def test_ensemble_start_matches_direct_training(iris, iris_model):
    T0, steps, lr = 40, 25, 1.0
    res = nc.perturbation_ensemble(iris_model, iris, lr=lr, steps=steps, eps=1e-8, n_init=3,
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


def test_ensemble_divergence_is_counted(iris_mse):
    model, data = iris_mse
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = nc.perturbation_ensemble(model, data, lr=100.0, steps=100, eps=1e-8,
                                       n_init=6, n_pert=2, seed=1)
        fl = nc.finite_lyapunov(res)
        mle = nc.network_mle(fl, seed=0)
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
        nc.perturbation_ensemble(iris_model, iris, scope="biases", **kw)
    with pytest.raises(ValueError, match="eps"):
        nc.perturbation_ensemble(iris_model, iris, **dict(kw, eps=-1.0))
    with pytest.raises(ValueError, match="lr"):
        nc.perturbation_ensemble(iris_model, iris, **dict(kw, lr=0.0))
    with pytest.raises(ValueError, match="n_pert"):
        nc.perturbation_ensemble(iris_model, iris, n_pert=0, **kw)
    with pytest.raises(TypeError, match="steps"):
        nc.perturbation_ensemble(iris_model, iris, **dict(kw, steps=2.5))
    with pytest.raises(ValueError, match="theta0"):
        nc.perturbation_ensemble(iris_model, iris, theta0=np.zeros((2, 5)), **kw)
    with pytest.raises(ValueError, match="n_init"):
        nc.perturbation_ensemble(iris_model, iris, theta0=np.zeros((3, 83)), **kw)
    with pytest.raises(TypeError, match="seed"):
        nc.perturbation_ensemble(iris_model, iris, seed="zero", **kw)
    with pytest.raises(TypeError, match="model"):
        nc.perturbation_ensemble(object(), iris, **kw)


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
    res = nc.perturbation_ensemble(model, (X, y), lr=lr, steps=80, eps=1e-8, n_init=3,
                                   n_pert=3, seed=4, scope="all")
    assert res.n_diverged == 0
    fl = nc.finite_lyapunov(res)
    assert np.all(fl.reason == "ok")
    np.testing.assert_allclose(fl.exponent, np.log(1.5), atol=0.02)
    mle = nc.network_mle(fl, seed=0)
    assert mle.exponent == pytest.approx(np.log(1.5), abs=0.02) and mle.rho == 1.0

    # below the stability threshold (lr h_max < 2) every difference contracts
    res = nc.perturbation_ensemble(model, (X, y), lr=1.5 / h[-1], steps=60, eps=1e-8,
                                   n_init=2, n_pert=2, seed=4, scope="all")
    fl = nc.finite_lyapunov(res)
    rate = np.log(np.max(np.abs(1 - 1.5 / h[-1] * h)))
    assert np.all(fl.exponent < 0)
    np.testing.assert_allclose(fl.exponent, rate, atol=0.05)
