"""The PyTorch adapter: the native MLP reproduced to rounding, a CNN, LayerNorm and momentum SGD
through every analysis, and a tangent map that never forms a Jacobian."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import netchaos as nc  # noqa: E402
from netchaos.adapters.torch import TorchModel  # noqa: E402
from netchaos.recorder import Recorder, map_ensemble  # noqa: E402

F = torch.nn.functional


@pytest.fixture(scope="module")
def iris():
    return nc.datasets.iris()


@pytest.fixture(scope="module")
def pair(iris):
    """The 4-10-3 sigmoid network natively and in torch, with one initial condition."""
    net = torch.nn.Sequential(torch.nn.Linear(4, 10), torch.nn.Sigmoid(), torch.nn.Linear(10, 3))
    native = nc.MLP([4, 10, 3])
    return native, TorchModel(net, F.cross_entropy, iris), native.init(seed=0)


@pytest.fixture(scope="module")
def digits():
    return nc.datasets.digits(n_train=60)


def _cnn():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Unflatten(1, (1, 8, 8)), torch.nn.Conv2d(1, 2, 3),
                               torch.nn.Tanh(), torch.nn.Flatten(), torch.nn.Linear(72, 10))


def test_layout_is_the_native_one(pair):
    native, model, theta = pair
    assert model.n_params == native.n_params == 83
    params = model.unflatten(theta)
    (W1, b1), (W2, b2) = native.unflatten(theta)
    # netchaos stores W as (n_in, n_out), torch as (out, in): the adapter transposes
    np.testing.assert_array_equal(params["0.weight"].numpy(), W1.T)
    np.testing.assert_array_equal(params["2.bias"].numpy(), b2)
    np.testing.assert_array_equal(model.weight_mask, native.weight_mask)
    net = model.load(theta, _fresh_mlp().double())
    np.testing.assert_array_equal(model.flatten(net), theta)
    raw = TorchModel(net, F.cross_entropy, layout="torch")
    np.testing.assert_array_equal(raw.theta[:40], W1.T.ravel())


def _fresh_mlp():
    return torch.nn.Sequential(torch.nn.Linear(4, 10), torch.nn.Sigmoid(), torch.nn.Linear(10, 3))


def test_loss_grad_hvp_match_native(pair, iris):
    native, model, theta = pair
    X, y = iris.train
    V = np.random.default_rng(1).standard_normal((83, 4))
    assert model.loss(theta) == pytest.approx(native.loss(theta, X, y), rel=1e-14)
    np.testing.assert_allclose(model.grad(theta), native.grad(theta, X, y), atol=1e-14)
    np.testing.assert_allclose(model.hvp(theta, V), native.hvp(theta, V, X, y), atol=1e-13)
    np.testing.assert_allclose(model.hvp(theta, V[:, 0], X, y),
                               native.hvp(theta, V[:, 0], X, y), atol=1e-13)


def test_trajectory_spectrum_and_sharpness_match_native(pair, iris):
    native, model, theta = pair
    X, y = iris.train
    steps = 30
    ref = nc.train(native, iris, theta, lr=1.0, steps=steps, record="params").params
    orbit = nc.systems.orbit(model.map(1.0), theta, steps + 1)
    np.testing.assert_allclose(orbit, ref, rtol=0, atol=1e-12)
    a = nc.lyapunov_spectrum(native, iris, theta, lr=1.0, steps=40, k=6, seed=0)
    b = nc.lyapunov_spectrum(model.map(1.0), x0=theta, steps=40, k=6, seed=0)
    c = nc.lyapunov_spectrum(model, iris, theta, lr=1.0, steps=40, k=6, seed=0)  # network mode
    np.testing.assert_allclose(b.exponents, a.exponents, rtol=0, atol=1e-11)
    np.testing.assert_allclose(c.exponents, a.exponents, rtol=0, atol=1e-11)
    assert nc.sharpness(model, theta, X, y, k=3, seed=0) == pytest.approx(
        nc.sharpness(native, theta, X, y, k=3, seed=0), rel=1e-10)
    # a short forward transient: over the default 500 chaotic steps the two implementations'
    # rounding differences grow to O(1), and the vectors would belong to different points
    clv_a = nc.covariant_vectors(native, iris, theta, lr=1.0, steps=5, k=3, seed=0,
                                 n_forward=10, check=False)
    clv_b = nc.covariant_vectors(model.map(1.0), x0=theta, steps=5, k=3, seed=0,
                                 n_forward=10, check=False)
    np.testing.assert_allclose(clv_b.exponents, clv_a.exponents, atol=1e-10)


def test_perturbation_ensemble_and_fits_match_native(pair, iris):
    native, model, _ = pair
    theta0 = native.init(seed=3, n=3)
    # 30 steps: later, the chaotic growth (lambda ~ 0.3) brings rounding differences of the
    # two implementations up to the size of the distances themselves
    ens_n = nc.perturbation_ensemble(native, iris, lr=1.0, steps=30, eps=1e-8, n_pert=3,
                                     theta0=theta0, seed=7)
    ens_t = map_ensemble(model.map(1.0), theta0, steps=30, eps=1e-8, n_pert=3, seed=7,
                         mask=model.weight_mask, loss=model.loss)
    np.testing.assert_array_equal(ens_t.delta, ens_n.delta)
    np.testing.assert_allclose(ens_t.distances, ens_n.distances, rtol=1e-5)
    np.testing.assert_allclose(ens_t.loss, ens_n.loss, atol=1e-9)
    fl_n = nc.finite_lyapunov(ens_n, min_window=10)
    fl_t = nc.finite_lyapunov(ens_t, min_window=10)
    np.testing.assert_allclose(fl_t.exponent, fl_n.exponent, atol=1e-6)
    assert nc.network_mle(fl_t, seed=0).n_kept == nc.network_mle(fl_n, seed=0).n_kept


def test_recorder_beside_a_torch_optimizer_loop(pair, iris):
    """A hand-written torch loop (torch.optim.SGD) with rec.step per step."""
    native, model, theta = pair
    net = model.load(theta, _fresh_mlp().double())
    opt = torch.optim.SGD(net.parameters(), lr=1.0)
    X = torch.as_tensor(iris.X_train)
    y = torch.as_tensor(iris.y_train)
    rec = Recorder(model.map(1.0), model.flatten(net), eps=1e-8, n_pert=3, seed=7,
                   mask=model.weight_mask, flatten=model.flatten)
    with rec:
        for _ in range(30):
            opt.zero_grad()
            loss = F.cross_entropy(net(X), y)
            loss.backward()
            opt.step()
            rec.step(net, loss=loss)
    ens = rec.result()
    ref = nc.perturbation_ensemble(native, iris, lr=1.0, steps=30, eps=1e-8, n_pert=3,
                                   theta0=theta, seed=7)
    assert ens.distances.shape == (1, 3, 31) and ens.precision == "float64"
    np.testing.assert_allclose(ens.distances, ref.distances, rtol=1e-5)
    np.testing.assert_allclose(ens.loss[0, 1:], ref.loss[0, :-1], atol=1e-12)  # before each step
    np.testing.assert_allclose(nc.finite_lyapunov(ens, min_window=10).exponent,
                               nc.finite_lyapunov(ref, min_window=10).exponent, atol=1e-6)


def test_tiny_cnn_on_digits_runs_every_analysis(digits):
    model = TorchModel(_cnn(), F.cross_entropy, digits)
    theta = model.theta
    assert model.n_params == 2 * 9 + 2 + 72 * 10 + 10
    X, y = digits.train
    m = model.map(lr=0.5)
    spec = nc.lyapunov_spectrum(m, x0=theta, steps=8, k=4, seed=0)
    assert spec.exponents.shape == (4,) and not spec.diverged
    clv = nc.covariant_vectors(m, x0=theta, steps=3, k=2, seed=0)
    assert clv.vectors.shape[1:] == (model.n_params, 2)
    # sharpness and the extreme eigenvalues against the dense Hessian (formed here only)
    H = model.hvp(theta, np.eye(model.n_params))
    np.testing.assert_allclose(H, H.T, atol=1e-10)
    h = np.linalg.eigvalsh(0.5 * (H + H.T))
    assert nc.sharpness(model, theta, X, y, seed=0) == pytest.approx(h[-1], rel=1e-9)
    blocks = {name: model.blocks[name] for name in ("1.weight", "4.bias")}
    ev = nc.hessian_eigenvalues(model, theta, X, y, k=2, blocks=blocks, seed=0)
    np.testing.assert_allclose(ev.top[0], h[::-1][:2], rtol=1e-8)
    np.testing.assert_allclose(ev.bottom[0], h[:2], rtol=1e-8, atol=1e-10)
    for row, sl in enumerate(blocks.values(), start=1):
        hb = np.linalg.eigvalsh(H[sl, sl])
        np.testing.assert_allclose(ev.top[row], hb[::-1][:2], rtol=1e-8)
        np.testing.assert_allclose(ev.bottom[row], hb[:2], rtol=1e-8, atol=1e-10)
    assert ev.converged.all() and ev.method == ["lanczos", "lanczos", "lanczos"]
    ens = map_ensemble(m, theta, steps=30, eps=1e-6, n_pert=2, seed=0, loss=model.loss)
    fl = nc.finite_lyapunov(ens, min_window=10)
    assert fl.reason[0] in nc.exponents.REASONS
    assert nc.network_mle(fl, seed=0).reason in nc.exponents.MLE_REASONS


def test_layernorm_tangent_is_the_derivative_of_the_step(digits):
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(64, 8), torch.nn.LayerNorm(8), torch.nn.Tanh(),
                              torch.nn.Linear(8, 10))
    model = TorchModel(net, F.cross_entropy, digits)
    m = model.map(lr=0.3)
    theta = model.theta
    V = np.random.default_rng(0).standard_normal((model.n_params, 2))
    # reference: the Hessian by reverse over reverse (torch.autograd), a different route
    H = torch.autograd.functional.hessian(
        lambda f: model._loss_flat(f, model._data), torch.as_tensor(theta)).numpy()
    np.testing.assert_allclose(m.tangent(theta, V), V - 0.3 * H @ V, atol=1e-12)
    spec = nc.lyapunov_spectrum(m, x0=theta, steps=10, k=3, seed=0)
    assert np.isfinite(spec.exponents).all()


class _Quadratic(torch.nn.Module):
    def __init__(self, A):
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(A.shape[0], dtype=torch.float64))
        self.A = torch.as_tensor(A)

    def forward(self, x):
        return 0.5 * self.w @ self.A @ self.w


def test_momentum_map_exponents_on_a_quadratic():
    """Heavy ball on L = w^T A w / 2 is linear: exponents ln|eigenvalues| of its 2x2 blocks."""
    a = np.array([0.5, 3.0])
    model = TorchModel(_Quadratic(np.diag(a)), lambda f: f(None))   # a data-free objective
    lr, beta = 0.4, 0.7
    m = model.momentum_map(lr, beta)
    x0 = np.concatenate([model.theta, np.zeros(2)])
    res = nc.lyapunov_spectrum(m, x0=x0, steps=400, transient=50, seed=0)
    expect = []
    for ai in a:
        M = np.array([[1 - lr * ai, -lr * beta], [ai, beta]])
        expect += list(np.log(np.abs(np.linalg.eigvals(M))))
    np.testing.assert_allclose(np.sort(res.exponents), np.sort(expect), atol=2e-3)
    v = np.random.default_rng(0).standard_normal(4)
    fd = (m.step(x0 + 1e-6 * v) - m.step(x0 - 1e-6 * v)) / 2e-6
    np.testing.assert_allclose(m.tangent(x0, v[:, None])[:, 0], fd, atol=1e-8)


def test_leading_directions_never_form_a_jacobian(monkeypatch):
    """300k parameters: a dense Jacobian would need 720 GB; k = 2 directions take two columns."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 4000), torch.nn.Tanh(), torch.nn.Linear(4000, 10))
    data = nc.datasets.digits(n_train=16)
    model = TorchModel(net, F.cross_entropy, data)
    assert model.n_params > 300_000
    m = model.map(lr=0.1)
    widths = []
    inner = m._step_tangent

    def spy(x, V):
        widths.append(V.shape)
        return inner(x, V)

    monkeypatch.setattr(m, "_step_tangent", spy)
    monkeypatch.setattr(m, "jacobian", lambda x: pytest.fail("a dense Jacobian was formed"))
    res = nc.lyapunov_spectrum(m, x0=model.theta, steps=2, k=2, seed=0)
    assert np.isfinite(res.exponents).all()
    assert widths == [(model.n_params, 2)] * 2


def test_float32_recording_is_stated(pair):
    _, model, theta = pair
    rec = Recorder(model.map(1.0), torch.as_tensor(theta, dtype=torch.float32), eps=1e-6,
                   n_pert=2, seed=0)
    x = theta
    for _ in range(5):
        x = model.map(1.0).step(x)
        rec.step(torch.as_tensor(x, dtype=torch.float32))
    with pytest.warns(UserWarning, match="float32"):
        ens = rec.result()
    assert ens.precision == "float32"


def test_bad_arguments_name_themselves(iris):
    with pytest.raises(TypeError, match="module"):
        TorchModel("net", F.cross_entropy, iris)
    model = TorchModel(_fresh_mlp(), F.cross_entropy, iris)
    with pytest.raises(ValueError, match="theta"):
        model.grad(np.zeros(5))
    with pytest.raises(ValueError, match="V"):
        model.hvp(model.theta, np.zeros((5, 2)))
    with pytest.raises(ValueError, match="layout"):
        TorchModel(_fresh_mlp(), F.cross_entropy, layout="jax")
