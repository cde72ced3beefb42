"""The network model protocol: any object with n_params, grad and hvp runs the tangent tools,
a missing member is named up front, no framework is imported by ``import netchaos``, the
Hessian extremes agree with a dense Hessian, and figures reach pyplot in interactive sessions."""

import os
import subprocess
import sys

import numpy as np
import pytest

import netchaos as nc
from netchaos._validate import MODEL_PROTOCOL

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Minimal:
    """Only the required members, wrapping a native network."""

    def __init__(self, model):
        self.n_params, self._m = model.n_params, model

    def grad(self, theta, X, y):
        return self._m.grad(theta, X, y)

    def hvp(self, theta, V, X, y):
        return self._m.hvp(theta, V, X, y)


def test_an_object_with_the_required_members_runs():
    data = nc.datasets.iris()
    native = nc.MLP([4, 3, 3])
    theta = native.init(seed=0)
    X, y = data.train
    a = nc.lyapunov_spectrum(native, data, theta, lr=1.0, steps=20, k=3, seed=0)
    b = nc.lyapunov_spectrum(Minimal(native), data, theta, lr=1.0, steps=20, k=3, seed=0)
    np.testing.assert_allclose(b.exponents, a.exponents, atol=1e-12)
    assert nc.sharpness(Minimal(native), theta, X, y, seed=0) == pytest.approx(
        nc.sharpness(native, theta, X, y, seed=0), rel=1e-10)
    c = nc.covariant_vectors(Minimal(native), data, theta, lr=1.0, steps=3, k=2, seed=0)
    assert c.vectors.shape[2] == 2


def test_missing_members_are_named():
    class NoHvp:
        n_params = 3

        def grad(self, theta, X, y):
            return theta

    with pytest.raises(TypeError, match=r"lacks \.hvp"):
        nc.lyapunov_spectrum(NoHvp(), nc.datasets.iris(), np.zeros(3), lr=1.0, steps=2)
    with pytest.raises(TypeError, match=r"lacks \.n_params.*\.grad.*\.hvp"):
        nc.sharpness(object(), np.zeros(3), np.zeros((2, 4)), np.zeros(2))


def test_protocol_is_documented():
    with open(os.path.join(ROOT, "docs", "architecture.md"), encoding="utf-8") as fh:
        text = fh.read()
    for name in MODEL_PROTOCOL:
        assert f"`{name}" in text, name


def test_import_netchaos_imports_no_framework():
    code = "import netchaos, sys; print('torch' in sys.modules, 'jax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": ROOT}, check=True).stdout
    assert out.split() == ["False", "False"]


def test_hessian_extremes_match_the_dense_hessian():
    model = nc.MLP([4, 5, 3], activation="tanh")
    X, y = nc.datasets.iris().train
    theta = model.init(seed=2)
    H = model.hessian(theta, X, y)
    ev = nc.hessian_eigenvalues(model, theta, X, y, k=3, blocks="layers", seed=0)
    h = np.linalg.eigvalsh(H)
    np.testing.assert_allclose(ev.top[0], h[::-1][:3], rtol=1e-9)
    np.testing.assert_allclose(ev.bottom[0], h[:3], rtol=1e-9, atol=1e-12)
    assert h[0] < 0 and ev.converged.all()
    stops = [0, 4 * 5 + 5, model.n_params]
    for row, (a, b) in enumerate(zip(stops[:-1], stops[1:]), start=1):
        hb = np.linalg.eigvalsh(H[a:b, a:b])
        np.testing.assert_allclose(ev.top[row], hb[::-1][:3], rtol=1e-9)
        # the bottom of a block is a repeated zero (a flat direction of the softmax), which
        # a Krylov space holds once: only the smallest eigenvalue is compared
        assert ev.bottom[row, 0] == pytest.approx(hb[0], rel=1e-9, abs=1e-11)
    assert np.all(ev.residual_top <= 1e-9) and ev.n_matvec[0] < model.n_params
    with pytest.raises(ValueError, match="blocks"):
        nc.hessian_eigenvalues(model, theta, X, y, blocks={"x": slice(0, 0)})


def test_figures_reach_pyplot_under_an_interactive_backend():
    code = ("import numpy as np, matplotlib.pyplot as plt, netchaos.plots as P; "
            "fig = P.plot_spectrum(np.array([0.1, -0.2])); print(fig in map(plt.figure, plt.get_fignums()))")
    env = {**os.environ, "PYTHONPATH": ROOT}
    for backend, expect in (("webagg", "True"), ("agg", "False")):
        env["MPLBACKEND"] = backend
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=env, check=True).stdout
        assert out.strip() == expect, backend
