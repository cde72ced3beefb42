"""Sweeps of eps and lr in chunks (netchaos.sweeps)."""


import numpy as np
import pytest

import netchaos as nc
from netchaos import sweeps


# --------------------------------------------------------------------------
# sweeps
# --------------------------------------------------------------------------
def test_eps_sweep_shares_initial_conditions(iris, iris_model):
    eps_values = [1e-4, 1e-8]
    sw = nc.eps_sweep(iris_model, iris, lr=1.0, steps=30, eps_values=eps_values, n_init=3,
                      n_pert=2, seed=8)
    assert sw.name == "eps" and list(sw.results) == eps_values
    a, b = sw.results[1e-4], sw.results[1e-8]
    np.testing.assert_array_equal(a.theta_init, b.theta_init)
    np.testing.assert_allclose(a.delta / 1e-4, b.delta / 1e-8, atol=1e-6)
    assert a.eps == 1e-4 and b.eps == 1e-8
    for arr in (sw.mle, sw.mle_std, sw.kept_fraction, sw.rho, sw.n_diverged, sw.final_loss):
        assert arr.shape == (2,)
    assert sw.mle_ci.shape == (2, 2) and sw.final_test_accuracy is None
    assert sw.mles[1e-8].exponent == sw.mle[1] or np.isnan(sw.mle[1])
    assert sw.settings["seed"] == 8 and "SweepResult" in repr(sw)
    # independent perturbation streams: same initial conditions, other directions
    sw2 = nc.eps_sweep(iris_model, iris, lr=1.0, steps=5, eps_values=eps_values, n_init=3,
                       n_pert=2, seed=8, same_perturbations=False)
    c, d = sw2.results[1e-4], sw2.results[1e-8]
    np.testing.assert_array_equal(c.theta_init, a.theta_init)
    assert not np.allclose(c.delta / 1e-4, d.delta / 1e-8)
    with pytest.raises(ValueError, match="eps_values"):
        nc.eps_sweep(iris_model, iris, 1.0, 5, [1e-3, 1e-3], n_init=2, n_pert=1, seed=0)
    with pytest.raises(ValueError, match="eps_values"):
        nc.eps_sweep(iris_model, iris, 1.0, 5, [-1e-3], n_init=2, n_pert=1, seed=0)


def test_run_chunk_is_pure(iris, iris_model):
    sw = nc.eps_sweep(iris_model, iris, lr=1.0, steps=20, eps_values=[1e-6], n_init=2,
                      n_pert=2, seed=3, fit_kwargs=dict(min_window=5), mle_kwargs=dict(n_boot=50))
    params = dict(model=iris_model, data=iris, lr=1.0, steps=20, eps=1e-6, n_init=2, n_pert=2,
                  seed=3, pert_key=0, scope="weights", start=0, theta0=None, init_scale=1.0,
                  init_scheme="normal", test_metrics=False, fit=dict(min_window=5),
                  mle=dict(n_boot=50))
    one, two = sweeps._run_chunk(dict(params)), sweeps._run_chunk(dict(params))
    np.testing.assert_array_equal(one["ensemble"].distances, two["ensemble"].distances)
    np.testing.assert_array_equal(one["ensemble"].distances, sw.results[1e-6].distances)
    np.testing.assert_array_equal(one["fit"].exponent, sw.fits[1e-6].exponent)
    m1, m2 = sweeps._merge_chunks([one], params), sweeps._merge_chunks([two], params)
    assert m1["mle"].ci == m2["mle"].ci == sw.mles[1e-6].ci
    # a block of initial conditions is the slice of the whole ensemble, bit for bit
    blocks = [sweeps._run_chunk(dict(params, block=b)) for b in ((0, 1), (1, 2))]
    np.testing.assert_array_equal(blocks[1]["ensemble"].distances,
                                  sw.results[1e-6].distances[1:])
    np.testing.assert_array_equal(blocks[0]["ensemble"].theta_final,
                                  sw.results[1e-6].theta_final[:1])
    merged = sweeps._merge_chunks(blocks, params)
    np.testing.assert_array_equal(merged["fit"].exponent, sw.fits[1e-6].exponent)
    assert merged["ensemble"].n_init == 2 and merged["mle"].ci == sw.mles[1e-6].ci


def test_lr_sweep_with_divergence_and_test_metrics(iris_mse):
    model, data = iris_mse
    sw = nc.lr_sweep(model, data, lr_values=[0.5, 100.0], steps=100, eps=1e-8, n_init=3,
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
        nc.lr_sweep(model, data, [0.0], 5, 1e-8, n_init=2, n_pert=1, seed=0)
