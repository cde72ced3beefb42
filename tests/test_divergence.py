"""Divergent training at large learning rates, and zero distances.

Every test runs with ``warnings.simplefilter("error")``: a diverging
trajectory is flagged (with the step at which it became non-finite), counted
in ``n_diverged`` and left out of every average, and no RuntimeWarning reaches
the user. Zero distances (``eps = 0``) give NaN exponents with the reason
``"zero_distance"``.

On Iris, the reference network (sigmoid hidden layer, softmax
cross-entropy) does not blow up even at lr = 100: its gradient is bounded, so
the weights grow at most linearly. With linear hidden units the same network
is a product of matrices and lr = 20 or 100 blows up within 80 steps.
"""

import warnings

import numpy as np
import pytest

import netchaos as nc
from netchaos.exponents import REASONS

LRS = [20.0, 100.0]


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.fixture(scope="module")
def iris():
    return nc.datasets.iris(seed=0)


@pytest.fixture(scope="module")
def sigmoid():
    return nc.MLP([4, 10, 3])


@pytest.fixture(scope="module")
def linear():
    return nc.MLP([4, 10, 3], activation="linear")


def _first_nonfinite(loss, params):
    bad = ~np.isfinite(loss) | ~np.all(np.isfinite(params), axis=-1)
    return int(np.argmax(bad)) if bad.any() else -1


# --------------------------------------------------------------------------
# trajectories
# --------------------------------------------------------------------------
@pytest.mark.parametrize("lr", LRS)
def test_reference_network_stays_finite(iris, sigmoid, lr):
    res = nc.train(sigmoid, iris, sigmoid.init(seed=0, n=20), lr, 1000, record="final")
    assert res.n_diverged == 0 and np.all(res.diverged_at == -1)
    assert np.all(np.isfinite(res.theta))
    assert np.all(np.isfinite(sigmoid.loss(res.theta, iris.X_train, iris.y_train)))


@pytest.mark.parametrize("lr", LRS)
def test_train_flags_the_step_of_divergence(iris, linear, lr):
    theta0 = linear.init(seed=1, n=6)
    res = nc.train(linear, iris, theta0, lr, 150, record="params")
    assert res.n_diverged == 6 and res.diverged.all()
    for k in range(6):
        d = int(res.diverged_at[k])
        assert 10 < d < 100
        assert d == _first_nonfinite(res.loss[k], res.params[k])
        assert np.all(np.isfinite(res.loss[k, :d])) and np.all(np.isnan(res.loss[k, d + 1:]))
        assert np.all(np.isfinite(res.theta[k]))               # the last finite state
        np.testing.assert_array_equal(res.theta[k], res.params[k, d - 1]
                                      if not np.all(np.isfinite(res.params[k, d]))
                                      else res.params[k, d])
    # weight-level measures over the diverged record: NaN, no warning
    assert np.all(np.isnan(nc.path_length(res.params)))
    assert np.all(np.isnan(nc.displacement(res.params[:, :, :40])))
    # a diverged loss series is not a time series to analyse: a clear error
    with pytest.raises(ValueError, match="series"):
        nc.acf(res.loss[0], nlags=5)


# --------------------------------------------------------------------------
# ensembles, exponents and the network MLE
# --------------------------------------------------------------------------
def test_mixed_ensemble_excludes_diverged_initial_conditions(iris, linear):
    # lr = 20, 76 steps: a few initial conditions blow up before the end, the others not yet
    ens = nc.perturbation_ensemble(linear, iris, lr=20.0, steps=76, eps=1e-8, n_init=12,
                                   n_pert=3, seed=0)
    bad = ens.diverged.any(axis=1)
    assert 0 < bad.sum() < 12 and ens.n_diverged == bad.sum()
    assert np.all(ens.diverged_at[bad].max(axis=1) > 0)
    for i in np.nonzero(bad)[0]:
        d = int(ens.diverged_at[i][ens.diverged_at[i] >= 0].min())
        assert np.all(np.isnan(ens.distances[i, :, d + 1:].mean(axis=0)))
    assert np.all(np.isfinite(ens.distances[~bad]))
    fl = nc.finite_lyapunov(ens.distances, min_window=10)
    assert np.all(fl.reason[bad] == "nonfinite") and np.all(np.isnan(fl.exponent[bad]))
    assert not np.any(fl.reason[~bad] == "nonfinite")
    assert fl.n_diverged == ens.n_diverged
    mle = nc.network_mle(fl, n_boot=100, seed=0)
    assert mle.n_diverged == ens.n_diverged and mle.n_nan >= mle.n_diverged
    assert not mle.kept[bad].any() and mle.n_kept > 0
    assert mle.exponent == pytest.approx(np.mean(fl.exponent[mle.kept]), rel=1e-12)
    assert np.isfinite(mle.exponent) and np.isfinite(mle.ci[0])


def test_divergence_during_pretraining_is_counted(iris, linear):
    ens = nc.perturbation_ensemble(linear, iris, lr=20.0, steps=10, eps=1e-8, n_init=5,
                                   n_pert=2, seed=0, start=100)
    assert ens.start_diverged.all() and ens.n_diverged == 5
    assert np.all(np.isnan(ens.distances))
    fl = nc.finite_lyapunov(ens)
    assert np.all(fl.reason == "nonfinite") and fl.n_diverged == 5
    assert np.isnan(nc.network_mle(fl).exponent)


def test_lr_sweep_counts_and_excludes_divergence(iris, linear):
    sw = nc.lr_sweep(linear, iris, [0.01, 20.0, 100.0], steps=100, eps=1e-8, n_init=6,
                     n_pert=2, seed=0, fit_kwargs={"min_window": 10}, mle_kwargs={"n_boot": 50})
    np.testing.assert_array_equal(sw.n_diverged, [0, 6, 6])
    for lr, n_div in zip(sw.values, sw.n_diverged):
        assert sw.fits[lr].n_diverged == sw.mles[lr].n_diverged == n_div
        assert sw.results[lr].n_diverged == n_div
    assert np.isfinite(sw.final_loss[0]) and np.all(np.isnan(sw.final_loss[1:]))
    assert np.all(np.isnan(sw.mle[1:])) and np.all(sw.kept_fraction[1:] == 0)
    assert np.all(sw.results[100.0].diverged_at[:, 0] < sw.results[20.0].diverged_at[:, 0])
    # a value whose initial conditions partly diverge: only the survivors are averaged
    part = nc.lr_sweep(linear, iris, [20.0], steps=76, eps=1e-8, n_init=12, n_pert=3, seed=0,
                       fit_kwargs={"min_window": 10}, mle_kwargs={"n_boot": 50})
    ens, mle = part.results[20.0], part.mles[20.0]
    assert 0 < part.n_diverged[0] < 12
    ok = ~(ens.diverged[:, 0] | ens.start_diverged)
    assert part.final_loss[0] == np.median(ens.loss[ok, -1])
    assert part.mle[0] == mle.exponent == pytest.approx(np.mean(mle.exponents[mle.kept]), rel=1e-12)


@pytest.mark.parametrize("lr", LRS)
def test_reference_network_sweep_has_no_false_flags(iris, sigmoid, lr):
    sw = nc.lr_sweep(sigmoid, iris, [lr], steps=200, eps=1e-8, n_init=5, n_pert=2, seed=0,
                     mle_kwargs={"n_boot": 50})
    assert sw.n_diverged[0] == 0 and not np.any(sw.fits[lr].reason == "nonfinite")
    assert np.isfinite(sw.final_loss[0])


# --------------------------------------------------------------------------
# tangent space
# --------------------------------------------------------------------------
@pytest.mark.parametrize("lr", LRS)
def test_spectrum_and_sharpness_flag_divergence(iris, linear, lr):
    theta = linear.init(seed=1)
    tr = nc.train(linear, iris, theta, lr, 200)
    spec = nc.lyapunov_spectrum(linear, iris, theta, lr, steps=200, k=3, seed=0)
    assert spec.diverged and np.all(np.isnan(spec.exponents))
    # train flags the first non-finite loss, the spectrum the first non-finite state
    assert tr.diverged_at <= spec.diverged_at <= tr.diverged_at + 2
    assert np.all(np.isfinite(spec.running[:tr.diverged_at - 1]))
    assert np.all(np.isfinite(spec.x))
    clv = nc.covariant_vectors(linear, iris, theta, lr, steps=150, k=2, seed=0)
    assert clv.diverged and np.all(np.isnan(clv.vectors))
    ss = nc.sharpness_series(linear, iris, theta, lr, steps=150, every=5, k=2, seed=0)
    assert ss.diverged and ss.diverged_at == tr.diverged_at
    before = ss.t < ss.diverged_at
    assert np.all(np.isfinite(ss.sharpness[before])) and np.all(np.isnan(ss.sharpness[~before]))
    # at the step of divergence the state is still finite but the loss and the
    # Hessian-vector products overflow: the sharpness is NaN, not an ARPACK error
    edge = nc.train(linear, iris, theta, lr, tr.diverged_at, record="final").theta
    assert np.all(np.isfinite(edge)) and not np.isfinite(tr.loss[tr.diverged_at])
    for method in ("lanczos", "power"):
        assert np.all(np.isnan(nc.sharpness(linear, edge, iris.X_train, iris.y_train, k=2,
                                            method=method)))


def test_reference_network_spectrum_is_finite_at_lr_100(iris, sigmoid):
    spec = nc.lyapunov_spectrum(sigmoid, iris, sigmoid.init(seed=1), 100.0, steps=100, k=2,
                                seed=0)
    assert not spec.diverged and np.all(np.isfinite(spec.exponents))


def test_ftle_vs_final_loss_with_diverging_training(iris, linear):
    res = nc.ftle_vs_final_loss(linear, iris, 20.0, n_init=6, t_early=5, t_final=120, seed=0)
    assert res.diverged.all() and np.all(res.final_loss == np.inf)
    assert np.all(np.isfinite(res.ftle))
    assert np.isnan(res.spearman) and np.isnan(res.pearson)


# --------------------------------------------------------------------------
# zero distances
# --------------------------------------------------------------------------
def test_eps_zero_gives_nan_with_a_reason(iris, sigmoid):
    ens = nc.perturbation_ensemble(sigmoid, iris, lr=1.0, steps=60, eps=0.0, n_init=4,
                                   n_pert=3, seed=0)
    assert np.all(ens.distances == 0.0) and ens.n_diverged == 0
    fl = nc.finite_lyapunov(ens)
    assert np.all(fl.reason == "zero_distance") and np.all(np.isnan(fl.exponent))
    assert np.all(fl.log_mean_distance == -np.inf) and fl.n_diverged == 0
    assert "eps=0" in REASONS["zero_distance"]
    mle = nc.network_mle(fl)
    assert np.isnan(mle.exponent) and mle.n_nan == 4 and mle.n_kept == 0 and mle.n_diverged == 0
    assert np.isnan(mle.ci[0]) and np.isnan(mle.rho)
    # in a sweep, next to a positive eps
    sw = nc.eps_sweep(sigmoid, iris, 1.0, 60, [1e-8, 0.0], n_init=4, n_pert=3, seed=0,
                      fit_kwargs={"min_window": 10}, mle_kwargs={"n_boot": 50})
    assert np.isfinite(sw.mle[0]) and np.isnan(sw.mle[1])
    assert np.all(sw.fits[0.0].reason == "zero_distance")


def test_identical_trajectories_and_log_zero(iris, sigmoid):
    theta = sigmoid.init(seed=3, n=2)
    theta[1] = theta[0]
    res = nc.train(sigmoid, iris, theta, 1.0, 40, reference=np.array([-1, 0]))
    assert np.all(res.distance_l1[1] == 0.0)
    fl = nc.finite_lyapunov(res.distance_l1[1])
    assert fl.reason[0] == "zero_distance" and np.isnan(fl.exponent[0])
    # zeros at some steps only: the fit uses the finite logarithms
    d = 1e-8 * np.exp(0.2 * np.arange(60))
    d[:5] = 0.0
    fl = nc.finite_lyapunov(d, min_window=10)
    assert fl.reason[0] == "ok" and fl.window[0, 0] >= 5
    assert fl.exponent[0] == pytest.approx(0.2, rel=1e-9)
