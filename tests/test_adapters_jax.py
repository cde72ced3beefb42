"""The JAX adapter: the native MLP reproduced to rounding, a small CNN on the digits through the
analyses, momentum on a quadratic with known exponents."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")

import netchaos as nc  # noqa: E402
from netchaos.adapters.jax import JaxModel  # noqa: E402
from netchaos.recorder import Recorder, map_ensemble  # noqa: E402

jnp = jax.numpy


def _mlp(params, X):
    (W1, b1), (W2, b2) = params
    return jax.nn.sigmoid(X @ W1 + b1) @ W2 + b2


def _xent(z, y):
    return jnp.mean(jax.nn.logsumexp(z, axis=1) - jnp.take_along_axis(z, y[:, None], 1)[:, 0])


@pytest.fixture(scope="module")
def pair():
    iris = nc.datasets.iris()
    native = nc.MLP([4, 10, 3])
    theta = native.init(seed=0)
    return iris, native, JaxModel(_mlp, native.unflatten(theta), _xent, iris), theta


def test_matches_native(pair):
    iris, native, model, theta = pair
    X, y = iris.train
    assert model.n_params == 83
    np.testing.assert_array_equal(model.theta, theta)
    np.testing.assert_array_equal(model.weight_mask, native.weight_mask)
    V = np.random.default_rng(0).standard_normal((83, 3))
    np.testing.assert_allclose(model.grad(theta), native.grad(theta, X, y), atol=1e-14)
    np.testing.assert_allclose(model.hvp(theta, V), native.hvp(theta, V, X, y), atol=1e-13)
    ref = nc.train(native, iris, theta, lr=1.0, steps=30, record="params").params
    np.testing.assert_allclose(nc.systems.orbit(model.map(1.0), theta, 31), ref, atol=1e-12)
    a = nc.lyapunov_spectrum(native, iris, theta, lr=1.0, steps=40, k=5, seed=0)
    b = nc.lyapunov_spectrum(model.map(1.0), x0=theta, steps=40, k=5, seed=0)
    np.testing.assert_allclose(b.exponents, a.exponents, atol=1e-11)
    assert nc.sharpness(model, theta, X, y, seed=0) == pytest.approx(
        nc.sharpness(native, theta, X, y, seed=0), rel=1e-10)
    ens_n = nc.perturbation_ensemble(native, iris, lr=1.0, steps=40, eps=1e-8, n_pert=2,
                                     theta0=theta, seed=1)
    ens_j = map_ensemble(model.map(1.0), theta, 40, 1e-8, n_pert=2, seed=1,
                         mask=model.weight_mask)
    np.testing.assert_allclose(ens_j.distances, ens_n.distances, rtol=1e-6)


def _cnn(params, X):
    x = X.reshape(-1, 1, 8, 8)
    z = jax.lax.conv_general_dilated(x, params["conv"], (1, 1), "VALID")
    z = jnp.tanh(z + params["cb"][None, :, None, None]).reshape(X.shape[0], -1)
    return z @ params["W"] + params["b"]


def test_small_cnn_on_digits():
    data = nc.datasets.digits(n_train=60)
    rng = np.random.default_rng(0)
    params = {"conv": 0.3 * rng.standard_normal((2, 1, 3, 3)), "cb": np.zeros(2),
              "W": 0.1 * rng.standard_normal((72, 10)), "b": np.zeros(10)}
    model = JaxModel(_cnn, params, _xent, data)
    assert model.n_params == 18 + 2 + 720 + 10
    assert list(model.blocks) == ["['W']", "['b']", "['cb']", "['conv']"]   # sorted keys
    X, y = data.train
    theta = model.theta
    m = model.map(0.5)
    assert np.isfinite(nc.lyapunov_spectrum(m, x0=theta, steps=6, k=3, seed=0).exponents).all()
    assert nc.covariant_vectors(m, x0=theta, steps=3, k=2, seed=0).vectors.shape[2] == 2
    H = model.hvp(theta, np.eye(model.n_params))
    h = np.linalg.eigvalsh(0.5 * (H + H.T))
    blocks = {name: model.blocks[name] for name in ("['conv']", "['b']")}
    ev = nc.hessian_eigenvalues(model, theta, X, y, k=1, blocks=blocks, seed=0)
    assert ev.converged.all()
    assert ev.top[0, 0] == pytest.approx(h[-1], rel=1e-8)
    assert ev.bottom[0, 0] == pytest.approx(h[0], rel=1e-8, abs=1e-10)
    sl = model.blocks["['conv']"]
    assert ev.top[ev.names.index("['conv']"), 0] == pytest.approx(
        np.linalg.eigvalsh(H[sl, sl])[-1], rel=1e-8)
    # a custom loop in JAX with the recorder
    step = jax.jit(lambda p: jax.tree_util.tree_map(
        lambda a, g: a - 0.5 * g, p, jax.grad(lambda q: _xent(_cnn(q, X), y))(p)))
    p = model.unflatten(theta)
    rec = Recorder(m, p, eps=1e-7, n_pert=2, seed=0, flatten=model.flatten)
    for _ in range(25):
        p = step(p)
        rec.step(p)
    ens = rec.result()
    ref = map_ensemble(m, theta, 25, 1e-7, n_pert=2, seed=0)
    np.testing.assert_allclose(ens.distances, ref.distances, rtol=1e-6)


def test_momentum_on_a_quadratic():
    A = np.diag([1.0, 2.5])
    model = JaxModel(lambda p, X: p, {"w": np.ones(2)},
                     lambda p: 0.5 * p["w"] @ jnp.asarray(A) @ p["w"])
    lr, beta = 0.3, 0.5
    res = nc.lyapunov_spectrum(model.momentum_map(lr, beta), x0=np.array([1.0, 1, 0, 0]),
                               steps=400, transient=50, seed=0)
    expect = np.concatenate([np.log(np.abs(np.linalg.eigvals(
        np.array([[1 - lr * a, -lr * beta], [a, beta]])))) for a in (1.0, 2.5)])
    np.testing.assert_allclose(np.sort(res.exponents), np.sort(expect), atol=2e-3)


def _layernorm_net(params, X):
    h = X @ params["W1"] + params["b1"]
    mu = h.mean(axis=1, keepdims=True)
    var = ((h - mu) ** 2).mean(axis=1, keepdims=True)
    h = (h - mu) / jnp.sqrt(var + 1e-5) * params["gamma"] + params["beta"]
    return jnp.tanh(h) @ params["W2"] + params["b2"]


def test_layernorm_spectrum_sharpness_and_ensemble():
    data = nc.datasets.digits(n_train=60)
    rng = np.random.default_rng(1)
    params = {"W1": 0.2 * rng.standard_normal((64, 8)), "b1": np.zeros(8),
              "gamma": np.ones(8), "beta": np.zeros(8),
              "W2": 0.3 * rng.standard_normal((8, 10)), "b2": np.zeros(10)}
    model = JaxModel(_layernorm_net, params, _xent, data)
    assert model.n_params == 64 * 8 + 8 + 8 + 8 + 80 + 10
    X, y = data.train
    theta, lr = model.theta, 0.3
    # reference: the dense Hessian of the flat loss by jax.hessian (forward over reverse
    # of the whole Jacobian, a different route from the adapter's jvp of the gradient)
    hess = jax.jit(jax.hessian(lambda f: _xent(_layernorm_net(model._unravel(f), X),
                                              jnp.asarray(y))))
    H = np.asarray(hess(jnp.asarray(theta)))
    V = rng.standard_normal((model.n_params, 3))     # k = 3 columns, as the spectrum's
    m = model.map(lr)
    np.testing.assert_allclose(m.tangent(theta, V), V - lr * H @ V, atol=1e-12)
    h = np.linalg.eigvalsh(0.5 * (H + H.T))
    assert nc.sharpness(model, theta, X, y, seed=0) == pytest.approx(h[-1], rel=1e-9)
    # the matrix-free spectrum against the same QR iteration on dense Jacobians I - lr H
    eye = np.eye(model.n_params)
    dense = nc.Map(m.step, jacobian=lambda x: eye - lr * np.asarray(hess(jnp.asarray(x))))
    spec = nc.lyapunov_spectrum(m, x0=theta, steps=6, k=3, seed=0)
    ref = nc.lyapunov_spectrum(dense, x0=theta, steps=6, k=3, seed=0)
    assert np.isfinite(spec.exponents).all()
    np.testing.assert_allclose(spec.exponents, ref.exponents, rtol=0, atol=1e-10)
    # an ensemble through the protocol equals the ensemble of the adapter's map
    ens = nc.perturbation_ensemble(model, data, lr=lr, steps=20, eps=1e-7, n_pert=2,
                                   theta0=theta, seed=2)
    ref = map_ensemble(m, theta, 20, 1e-7, n_pert=2, seed=2, mask=model.weight_mask,
                       loss=model.loss)
    np.testing.assert_array_equal(ens.delta, ref.delta)
    np.testing.assert_allclose(ens.distances, ref.distances, rtol=1e-12)
    np.testing.assert_allclose(ens.loss, ref.loss, rtol=1e-12)
    fl = nc.finite_lyapunov(ens, min_window=8)
    assert fl.reason[0] in nc.exponents.REASONS and ens.n_diverged == 0
