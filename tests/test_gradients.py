"""Loss, gradient, Hessian-vector product, Hessian and tangent map of
``netchaos.MLP`` against the plain-numpy reference (tests/reference.py) and
against finite differences, on randomly drawn small architectures."""

from dataclasses import dataclass

import numpy as np
import pytest
import reference as R
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import netchaos as nc

SETTINGS = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


# --------------------------------------------------------------------------
# problem generation
# --------------------------------------------------------------------------
@dataclass
class Problem:
    sizes: list
    activation: str
    loss: str
    l2: float
    X: np.ndarray
    y: np.ndarray
    theta: np.ndarray
    rng: np.random.Generator

    @property
    def P(self):
        return R.n_params(self.sizes)

    def model(self):
        return nc.MLP(sizes=list(self.sizes), activation=self.activation, loss=self.loss, l2=self.l2)

    # reference shortcuts
    def ref_loss(self, theta=None):
        t = self.theta if theta is None else theta
        return R.loss_fn(self.sizes, self.activation, self.loss, self.l2, t, self.X, self.y)

    def ref_grad(self, theta=None):
        t = self.theta if theta is None else theta
        return R.grad_fn(self.sizes, self.activation, self.loss, self.l2, t, self.X, self.y)

    def fd_grad(self, h=1e-6):
        return R.fd_grad(self.sizes, self.activation, self.loss, self.l2, self.theta, self.X, self.y, h=h)

    def fd_hvp(self, v, h=1e-5):
        return R.fd_hvp(self.sizes, self.activation, self.loss, self.l2, self.theta, v, self.X, self.y, h=h)


def _make_data(rng, sizes, loss, N, y_flat):
    X = rng.normal(size=(N, sizes[0]))
    if loss == "cross_entropy":
        y = rng.integers(0, sizes[-1], size=N).astype(np.int64)
    elif sizes[-1] == 1 and y_flat:
        y = rng.normal(size=N)
    else:
        y = rng.normal(size=(N, sizes[-1]))
    return X, y


@st.composite
def problems(draw, n_theta=None):
    """A random small problem.  For relu, examples with a hidden
    pre-activation within 1e-3 of the kink (for any of the thetas used)
    are rejected so that derivatives and finite differences are smooth."""
    n_layers = draw(st.integers(2, 4))
    loss = draw(st.sampled_from(R.LOSSES))
    sizes = [draw(st.integers(1, 6)) for _ in range(n_layers - 1)]
    sizes.append(draw(st.integers(2, 6)) if loss == "cross_entropy" else draw(st.integers(1, 6)))
    activation = draw(st.sampled_from(R.ACTIVATIONS))
    l2 = draw(st.sampled_from([0.0, 0.01]))
    N = draw(st.integers(1, 8))
    y_flat = draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    X, y = _make_data(rng, sizes, loss, N, y_flat)
    P = R.n_params(sizes)
    shape = (P,) if n_theta is None else (n_theta, P)
    theta = rng.normal(size=shape) * 0.5
    if activation == "relu":
        for t in np.atleast_2d(theta):
            assume(R.min_abs_hidden_preact(sizes, activation, t, X) > 1e-3)
    return Problem(sizes, activation, loss, l2, X, y, theta, rng)


def _scale(*arrays):
    return max(1.0, *(float(np.max(np.abs(a))) for a in arrays))


# --------------------------------------------------------------------------
# warm-up: trigger numba compilation once for every activation / loss
# --------------------------------------------------------------------------
@pytest.fixture(scope="module", autouse=True)
def _warmup():
    rng = np.random.default_rng(0)
    for activation in R.ACTIVATIONS:
        for loss in R.LOSSES:
            for sizes in ([3, 2], [3, 4, 2]):
                m = nc.MLP(sizes=sizes, activation=activation, loss=loss, l2=0.01)
                X, y = _make_data(rng, sizes, loss, 5, True)
                th = rng.normal(size=m.n_params)
                m.loss(th, X, y)
                m.grad(th, X, y)
                m.loss(np.stack([th, th]), X, y)
                m.grad(np.stack([th, th]), X, y)
                m.hvp(th, th, X, y)
                m.hvp(th, np.stack([th, th], axis=1), X, y)
                m.hessian(th, X, y)
                m.jvp_map(th, th, X, y, 0.1)
                m.jvp_map(th, np.stack([th, th], axis=1), X, y, 0.1)
                m.step_tangent(th, np.stack([th, th], axis=1), X, y, 0.1)


# --------------------------------------------------------------------------
# the reference itself (independent of netchaos)
# --------------------------------------------------------------------------
def test_reference_hand_computed():
    # sizes [1, 1], mse: L = mean((w x + b - y)^2) + l2/2 w^2
    X = np.array([[1.0], [2.0], [-1.0]])
    y = np.array([0.5, 1.0, 2.0])
    w, b, l2 = 0.7, -0.2, 0.3
    theta = np.array([w, b])
    r = w * X[:, 0] + b - y
    L = np.mean(r**2) + 0.5 * l2 * w**2
    assert R.loss_fn([1, 1], "tanh", "mse", l2, theta, X, y) == pytest.approx(L, rel=1e-15)
    g = np.array([2 * np.mean(r * X[:, 0]) + l2 * w, 2 * np.mean(r)])
    np.testing.assert_allclose(R.grad_fn([1, 1], "tanh", "mse", l2, theta, X, y), g, rtol=1e-14)
    # zero parameters, cross-entropy: L = log(n_out)
    sizes = [3, 4, 5]
    X = np.random.default_rng(0).normal(size=(6, 3))
    y = np.array([0, 1, 2, 3, 4, 0])
    assert R.loss_fn(sizes, "sigmoid", "cross_entropy", 0.5, np.zeros(R.n_params(sizes)), X, y) == pytest.approx(
        np.log(5), rel=1e-15
    )
    # one-hidden-unit net, explicit formula
    # sizes [2, 1, 2], tanh: z = tanh(x @ W1 + b1) @ W2 + b2
    W1 = np.array([[0.3], [-0.4]])
    b1 = np.array([0.1])
    W2 = np.array([[1.5, -0.5]])
    b2 = np.array([0.2, 0.0])
    theta = np.concatenate([W1.ravel(), b1, W2.ravel(), b2])
    X = np.array([[1.0, 2.0], [0.5, -1.0]])
    y = np.array([1, 0])
    h = np.tanh(X @ W1 + b1)
    z = h @ W2 + b2
    L = np.mean(np.log(np.exp(z).sum(1)) - z[[0, 1], y]) + 0.5 * 0.01 * (np.sum(W1**2) + np.sum(W2**2))
    assert R.loss_fn([2, 1, 2], "tanh", "cross_entropy", 0.01, theta, X, y) == pytest.approx(L, rel=1e-14)


@settings(max_examples=100, **SETTINGS)
@given(problems())
def test_reference_grad_and_hessian_match_finite_differences(pb):
    g = pb.ref_grad()
    np.testing.assert_allclose(g, pb.fd_grad(), rtol=0, atol=1e-6 * _scale(g))
    H = R.fd_hessian(pb.sizes, pb.activation, pb.loss, pb.l2, pb.theta, pb.X, pb.y)
    np.testing.assert_allclose(H, H.T, rtol=0, atol=1e-6 * _scale(H))


# --------------------------------------------------------------------------
# netchaos vs reference
# --------------------------------------------------------------------------
@settings(max_examples=200, **SETTINGS)
@given(problems())
def test_loss_matches_reference(pb):
    m = pb.model()
    assert m.n_params == pb.P
    L = m.loss(pb.theta, pb.X, pb.y)
    assert np.ndim(L) == 0
    L = float(L)
    np.testing.assert_allclose(L, pb.ref_loss(), rtol=1e-12, atol=1e-14)


@settings(max_examples=200, **SETTINGS)
@given(problems())
def test_grad_matches_reference_and_finite_differences(pb):
    m = pb.model()
    g = m.grad(pb.theta, pb.X, pb.y)
    assert isinstance(g, np.ndarray) and g.shape == (pb.P,) and g.dtype == np.float64
    g_ref = pb.ref_grad()
    np.testing.assert_allclose(g, g_ref, rtol=1e-10, atol=1e-12 * _scale(g_ref))
    g_fd = pb.fd_grad()
    np.testing.assert_allclose(g, g_fd, rtol=0, atol=1e-6 * _scale(g_fd))


@settings(max_examples=150, **SETTINGS)
@given(problems(), st.integers(1, 3))
def test_hvp_matches_finite_differences(pb, k):
    m = pb.model()
    v = pb.rng.normal(size=pb.P)
    Hv = m.hvp(pb.theta, v, pb.X, pb.y)
    assert Hv.shape == (pb.P,)
    Hv_fd = pb.fd_hvp(v)
    np.testing.assert_allclose(Hv, Hv_fd, rtol=0, atol=1e-5 * _scale(Hv_fd))

    V = pb.rng.normal(size=(pb.P, k))
    HV = m.hvp(pb.theta, V, pb.X, pb.y)
    assert HV.shape == (pb.P, k)
    HV_fd = pb.fd_hvp(V)
    np.testing.assert_allclose(HV, HV_fd, rtol=0, atol=1e-5 * _scale(HV_fd))
    # the block version is column-wise the vector version
    for j in range(k):
        col = m.hvp(pb.theta, np.ascontiguousarray(V[:, j]), pb.X, pb.y)
        np.testing.assert_allclose(HV[:, j], col, rtol=1e-12, atol=1e-13 * _scale(col))


@settings(max_examples=150, **SETTINGS)
@given(problems())
def test_hessian_symmetric_and_consistent_with_hvp(pb):
    m = pb.model()
    H = m.hessian(pb.theta, pb.X, pb.y)
    assert H.shape == (pb.P, pb.P)
    s = _scale(H)
    np.testing.assert_allclose(H, H.T, rtol=0, atol=1e-12 * s)
    H_cols = m.hvp(pb.theta, np.eye(pb.P), pb.X, pb.y)
    np.testing.assert_allclose(H, H_cols, rtol=0, atol=1e-12 * s)
    H_fd = R.fd_hessian(pb.sizes, pb.activation, pb.loss, pb.l2, pb.theta, pb.X, pb.y)
    np.testing.assert_allclose(H, H_fd, rtol=0, atol=1e-5 * _scale(H_fd))


@settings(max_examples=120, **SETTINGS)
@given(problems(), st.sampled_from([1e-3, 0.1, 1.0, 3.7]), st.integers(1, 3))
def test_jvp_map_is_identity_minus_lr_hessian(pb, lr, k):
    m = pb.model()
    H = m.hessian(pb.theta, pb.X, pb.y)
    v = pb.rng.normal(size=pb.P)
    out = m.jvp_map(pb.theta, v, pb.X, pb.y, lr)
    expect = v - lr * (H @ v)
    assert out.shape == (pb.P,)
    np.testing.assert_allclose(out, expect, rtol=0, atol=1e-12 * _scale(v, lr * (H @ v)))
    V = pb.rng.normal(size=(pb.P, k))
    out = m.jvp_map(pb.theta, V, pb.X, pb.y, lr)
    expect = V - lr * (H @ V)
    assert out.shape == (pb.P, k)
    np.testing.assert_allclose(out, expect, rtol=0, atol=1e-12 * _scale(V, lr * (H @ V)))
    # and against the finite-difference Hessian of the reference
    expect_fd = V - lr * pb.fd_hvp(V)
    np.testing.assert_allclose(out, expect_fd, rtol=0, atol=1e-5 * _scale(V, expect_fd))


@settings(max_examples=100, **SETTINGS)
@given(problems(), st.sampled_from([0.1, 1.0, 3.7]), st.integers(0, 9))
def test_step_tangent_is_the_train_step_and_the_tangent_map(pb, lr, k):
    """One pass gives the GD step bitwise as nc.train takes it, and J V as jvp_map."""
    m = pb.model()
    V = pb.rng.normal(size=(pb.P, k))
    theta_next, JV = m.step_tangent(pb.theta, V, pb.X, pb.y, lr)
    tr = nc.train(m, (pb.X, pb.y), pb.theta, lr, 1, record="final")
    np.testing.assert_array_equal(theta_next, tr.theta)
    assert JV.shape == (pb.P, k)
    if k:
        ref = m.jvp_map(pb.theta, V, pb.X, pb.y, lr)
        np.testing.assert_allclose(JV, ref, rtol=0, atol=1e-13 * _scale(V, ref))
    # against the independent reference too
    np.testing.assert_allclose(theta_next, pb.theta - lr * pb.ref_grad(), rtol=0,
                               atol=1e-12 * _scale(pb.theta, lr * pb.ref_grad()))


@settings(max_examples=120, **SETTINGS)
@given(problems(n_theta=4), st.integers(1, 4))
def test_ensemble_loss_and_grad_stack_rows(pb, K):
    m = pb.model()
    Theta = np.ascontiguousarray(pb.theta[:K])
    L = m.loss(Theta, pb.X, pb.y)
    G = m.grad(Theta, pb.X, pb.y)
    assert isinstance(L, np.ndarray) and L.shape == (K,)
    assert G.shape == (K, pb.P)
    for k in range(K):
        np.testing.assert_allclose(L[k], pb.ref_loss(Theta[k]), rtol=1e-12, atol=1e-14)
        g_ref = pb.ref_grad(Theta[k])
        np.testing.assert_allclose(G[k], g_ref, rtol=1e-10, atol=1e-12 * _scale(g_ref))
        # and the single-theta call agrees with the ensemble row
        np.testing.assert_allclose(L[k], m.loss(Theta[k], pb.X, pb.y), rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(G[k], m.grad(Theta[k], pb.X, pb.y), rtol=1e-12, atol=1e-14 * _scale(g_ref))


def test_mse_targets_shapes_equivalent():
    """For n_out == 1, y of shape (N,) and (N, 1) mean the same thing."""
    rng = np.random.default_rng(5)
    m = nc.MLP(sizes=[3, 4, 1], activation="tanh", loss="mse")
    X = rng.normal(size=(7, 3))
    y = rng.normal(size=7)
    th = rng.normal(size=m.n_params)
    np.testing.assert_allclose(m.loss(th, X, y), m.loss(th, X, y[:, None]), rtol=1e-15)
    np.testing.assert_allclose(m.grad(th, X, y), m.grad(th, X, y[:, None]), rtol=1e-15)
    np.testing.assert_allclose(m.loss(th, X, y), R.loss_fn([3, 4, 1], "tanh", "mse", 0.0, th, X, y), rtol=1e-12)


def test_l2_covers_weights_only():
    """The L2 term adds l2 * W to weight gradients and nothing to biases."""
    rng = np.random.default_rng(6)
    sizes = [3, 5, 2]
    X = rng.normal(size=(9, 3))
    y = rng.integers(0, 2, size=9)
    th = rng.normal(size=R.n_params(sizes))
    m0 = nc.MLP(sizes=sizes, activation="sigmoid", loss="cross_entropy", l2=0.0)
    m1 = nc.MLP(sizes=sizes, activation="sigmoid", loss="cross_entropy", l2=0.25)
    mask = R.weight_mask(sizes)
    np.testing.assert_allclose(
        m1.loss(th, X, y) - m0.loss(th, X, y), 0.125 * np.sum(th[mask] ** 2), rtol=1e-12
    )
    dg = m1.grad(th, X, y) - m0.grad(th, X, y)
    np.testing.assert_allclose(dg[mask], 0.25 * th[mask], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dg[~mask], 0.0, rtol=0, atol=1e-14)
    dH = m1.hessian(th, X, y) - m0.hessian(th, X, y)
    np.testing.assert_allclose(dH, np.diag(0.25 * mask), rtol=0, atol=1e-12)


@pytest.mark.parametrize("n_out", [2, 3, 10])
def test_cross_entropy_many_samples(n_out):
    """Large N: the mean over samples must not overflow or lose accuracy,
    in particular when the softmax is close to uniform (small weights)."""
    N = 3000
    rng = np.random.default_rng(n_out)
    sizes = [5, 8, n_out]
    X = rng.normal(size=(N, 5))
    y = rng.integers(0, n_out, size=N)
    m = nc.MLP(sizes=sizes, activation="tanh", loss="cross_entropy")
    P = m.n_params
    for th in (np.zeros(P), rng.normal(size=P) * 0.01, rng.normal(size=P)):
        L_ref = R.loss_fn(sizes, "tanh", "cross_entropy", 0.0, th, X, y)
        np.testing.assert_allclose(m.loss(th, X, y), L_ref, rtol=1e-12)
        g_ref = R.grad_fn(sizes, "tanh", "cross_entropy", 0.0, th, X, y)
        np.testing.assert_allclose(m.grad(th, X, y), g_ref, rtol=1e-10, atol=1e-12 * _scale(g_ref))
    np.testing.assert_allclose(m.loss(np.zeros(P), X, y), np.log(n_out), rtol=1e-13)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_saturated_activations_stay_finite(activation, loss):
    """Huge hidden pre-activations: sigmoid/tanh saturate (no inf/inf or
    0*inf NaNs), relu stays linear; values match the reference."""
    sizes = [1, 2, 2]
    X = np.array([[1.0], [-1.0], [0.5]])
    y = np.array([0, 1, 1]) if loss == "cross_entropy" else np.array([[0.5, -1.0], [1.0, 0.0], [0.0, 2.0]])
    m = nc.MLP(sizes=sizes, activation=activation, loss=loss)
    ws = [10.0, 360.0, 800.0, 1e5] + ([1e300] if activation != "relu" else [])
    for w in ws:
        th = np.array([w, -w, 0.0, 0.0, 1.0, -1.0, 2.0, 0.1, 0.0, 0.0])
        L = m.loss(th, X, y)
        g = m.grad(th, X, y)
        H = m.hessian(th, X, y)
        assert np.isfinite(L) and np.all(np.isfinite(g)) and np.all(np.isfinite(H)), w
        np.testing.assert_allclose(L, R.loss_fn(sizes, activation, loss, 0.0, th, X, y), rtol=1e-12)
        g_ref = R.grad_fn(sizes, activation, loss, 0.0, th, X, y)
        np.testing.assert_allclose(g, g_ref, rtol=1e-10, atol=1e-12 * _scale(g_ref))
