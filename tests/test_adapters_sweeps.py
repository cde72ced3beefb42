"""Perturbation ensembles and the eps / lr sweeps on adapter models, unchanged: the torch and
JAX adapters of the native MLP give the native sweep to rounding, and a protocol model is
trained through its own gradient."""

import numpy as np
import pytest

import netchaos as nc

# few, short trajectories: every step of an adapter model is one framework call
KW = dict(steps=25, n_pert=2, seed=7, fit_kwargs={"min_window": 8}, mle_kwargs={"n_boot": 50})


@pytest.fixture(scope="module")
def iris():
    return nc.datasets.iris()


@pytest.fixture(scope="module")
def native():
    return nc.MLP([4, 10, 3])


@pytest.fixture(scope="module")
def theta0(native):
    return native.init(seed=3, n=2)


def _torch_model(iris):
    torch = pytest.importorskip("torch")
    from netchaos.adapters.torch import TorchModel
    net = torch.nn.Sequential(torch.nn.Linear(4, 10), torch.nn.Sigmoid(), torch.nn.Linear(10, 3))
    return TorchModel(net, torch.nn.functional.cross_entropy, iris)


def _jax_model(iris, native):
    pytest.importorskip("jax")
    from netchaos.adapters.jax import JaxModel
    from test_adapters_jax import _mlp, _xent     # the 4-10-3 network in JAX
    return JaxModel(_mlp, native.unflatten(native.init(seed=0)), _xent, iris)


def _same_sweep(a, b, atol_exp):
    """Two sweeps of the same network, one native, one through an adapter."""
    assert list(a.results) == list(b.results)
    for v in a.results:
        ea, eb = a.results[v], b.results[v]
        np.testing.assert_array_equal(eb.delta, ea.delta)        # the same perturbations
        np.testing.assert_array_equal(eb.theta_init, ea.theta_init)
        np.testing.assert_allclose(eb.distances, ea.distances, rtol=1e-6)
        # lr = 1 is chaotic: rounding differences grow ~exp(0.3 t), to ~1e-11 by step 25
        np.testing.assert_allclose(eb.loss, ea.loss, rtol=0, atol=1e-9)
        assert (eb.diverged == ea.diverged).all()
        fa, fb = a.fits[v], b.fits[v]
        np.testing.assert_allclose(fb.exponent, fa.exponent, rtol=0, atol=atol_exp)
        np.testing.assert_array_equal(fb.window, fa.window)
        np.testing.assert_array_equal(fb.reason, fa.reason)
    np.testing.assert_allclose(b.mle, a.mle, rtol=0, atol=atol_exp)
    np.testing.assert_array_equal(b.kept_fraction, a.kept_fraction)
    np.testing.assert_allclose(b.final_loss, a.final_loss, rtol=0, atol=1e-9)


@pytest.mark.parametrize("framework", ["torch", "jax"])
def test_eps_and_lr_sweeps_match_the_native_path(framework, iris, native, theta0):
    model = _torch_model(iris) if framework == "torch" else _jax_model(iris, native)
    assert model.n_params == native.n_params
    eps = dict(lr=1.0, eps_values=[1e-8, 1e-6], theta0=theta0, **KW)
    _same_sweep(nc.eps_sweep(native, iris, **eps), nc.eps_sweep(model, iris, **eps), 1e-7)
    lr = dict(lr_values=[0.5, 2.0], eps=1e-8, theta0=theta0, **KW)
    a, b = nc.lr_sweep(native, iris, **lr), nc.lr_sweep(model, iris, **lr)
    _same_sweep(a, b, 1e-7)
    assert b.settings["model"] == repr(model) and b.n_diverged.tolist() == [0, 0]


def test_pretraining_test_metrics_and_chunks_on_an_adapter(iris, native, theta0):
    """start > 0 pre-trains through the adapter; chunks put together give the whole sweep."""
    model = _torch_model(iris)
    kw = dict(lr=1.0, steps=20, eps=1e-7, theta0=theta0, n_pert=2, seed=1, start=10,
              test_metrics=True)
    a = nc.perturbation_ensemble(native, iris, **kw)
    b = nc.perturbation_ensemble(model, iris, **kw)
    np.testing.assert_allclose(b.theta_start, a.theta_start, rtol=0, atol=1e-12)
    np.testing.assert_allclose(b.distances, a.distances, rtol=1e-6)
    np.testing.assert_allclose(b.test_loss, a.test_loss, rtol=0, atol=1e-12)
    assert np.isnan(b.test_accuracy).all()        # an adapter has no accuracy
    sw = dict(lr=1.0, eps_values=[1e-8], theta0=theta0, **KW)
    whole = nc.eps_sweep(model, iris, **sw)
    parts = nc.eps_sweep(model, iris, chunk_size=1, **sw)
    np.testing.assert_array_equal(parts.results[1e-8].distances, whole.results[1e-8].distances)


def test_train_on_a_protocol_model_flags_divergence_like_the_kernels(iris, native, theta0):
    model = _torch_model(iris)
    bad = theta0[0].copy()
    bad[5] = np.nan
    rows = np.vstack([theta0, theta0[:1], bad])
    lr = np.array([1.0, 1.0, 1e306, 1.0])          # the third overflows after a step or two
    for record in ("metrics", "params"):
        a = nc.train(native, iris, rows, lr=lr, steps=15, record=record)
        b = nc.train(model, iris, rows, lr=lr, steps=15, record=record)
        np.testing.assert_array_equal(b.diverged_at, a.diverged_at)
        np.testing.assert_array_equal(np.isnan(b.loss), np.isnan(a.loss))
        keep = [0, 1, 3]      # row 2's last finite state (~1e305) is rounding-dominated
        np.testing.assert_allclose(b.theta[keep], a.theta[keep], rtol=1e-9, atol=1e-9)
        assert np.isfinite(b.theta[2]).all()
    assert a.diverged.tolist() == [False, False, True, True]
    assert a.diverged_at[3] == 0 and a.diverged_at[2] > 0
    np.testing.assert_allclose(b.params[keep], a.params[keep], rtol=1e-9, atol=1e-9,
                               equal_nan=True)
    np.testing.assert_array_equal(np.isnan(b.params), np.isnan(a.params))
    one = nc.train(model, iris, theta0[0], lr=0.5, steps=5, record="metrics")
    ref = nc.train(native, iris, theta0[0], lr=0.5, steps=5, record="metrics")
    np.testing.assert_allclose(one.loss, ref.loss, rtol=0, atol=1e-13)
    assert one.diverged is False and one.diverged_at == -1


class _Quadratic:
    """L = theta^T A theta / 2 without data: the network model protocol, nothing more."""

    def __init__(self, a):
        self.a = np.asarray(a, dtype=float)
        self.n_params = self.a.size

    def grad(self, theta, X, y):
        return self.a * theta

    def hvp(self, theta, V, X, y):
        return self.a[:, None] * V if np.ndim(V) == 2 else self.a * V


def test_a_bare_protocol_model_has_the_exponents_of_its_linear_map():
    """GD on a quadratic is linear: the finite exponent is max_i ln|1 - lr a_i|."""
    model, data = _Quadratic([0.5, 2.4]), (np.zeros((3, 1)), np.zeros(3))
    with pytest.raises(TypeError, match="weight_mask"):
        nc.perturbation_ensemble(model, data, lr=1.0, steps=30, eps=1e-9, theta0=np.ones(2))
    with pytest.raises(TypeError, match="theta0"):
        nc.perturbation_ensemble(model, data, lr=1.0, steps=30, eps=1e-9, scope="all")
    sw = nc.lr_sweep(model, data, lr_values=[0.5, 1.0], steps=40, eps=1e-9, n_pert=3,
                     theta0=np.ones((2, 2)), scope="all", seed=0,
                     fit_kwargs={"saturation": False, "min_window": 10})
    expect = np.log(np.abs(1 - np.outer([0.5, 1.0], model.a))).max(axis=1)   # -0.288, 0.336
    for lr, e in zip(sw.values, expect):
        np.testing.assert_allclose(sw.fits[lr].exponent, e, atol=1e-3)
    assert np.isnan(sw.final_loss).all()          # no loss in the protocol: NaN, not invented
    with pytest.raises(TypeError, match="network model protocol"):
        nc.eps_sweep(object(), data, lr=1.0, steps=5, eps_values=[1e-8], theta0=np.ones(2))


def test_torch_threads_stay_as_they_were_when_the_adapter_was_built(iris, native, theta0):
    """A parallel Numba kernel raises the shared OpenMP thread count; torch's is put back."""
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    model = _torch_model(iris)
    nc.train(native, iris, native.init(seed=0, n=64), lr=1.0, steps=3)   # parallel blocks
    torch.set_num_threads(before + 1)
    model.grad(model.theta)
    assert torch.get_num_threads() == before
