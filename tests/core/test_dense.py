"""Register-tiled kernels (``netchaos.core.dense``, ``netchaos.core.simd``).

Blocks whose lane count is a multiple of 4 run through four-wide register
tiles; other blocks through the plain lane loops of ``netchaos.core.mlp``.
The tiles keep each accumulator's terms in the plain loops' order, so the
two paths must agree bit for bit. The plain path is the reference here: every
lane of a tiled block is recomputed alone (a one-lane block, plain path) and
the loss, accuracy and gradient must be identical, over architectures that
exercise every tile and remainder (layer widths 1-13, 0-3 hidden layers),
tiles of samples that do not divide the data, mini-batches, both losses and
L2. The plain path itself is tested against numpy in ``test_gradients``.
"""

from fractions import Fraction

import numpy as np
import pytest
from numba import njit

import netchaos as nc
from netchaos import _blocks
from netchaos.core.mlp import loss_grad_lanes, make_work
from netchaos.core.simd import vadd, vfma, vload, vmul, vsplat, vstore


@njit(cache=True)
def _vector_ops(a, b, c, x, out):
    va = vload(a, 1)
    vb = vload(b, 1)
    vc = vload(c, 1)
    vstore(out, 0, vfma(va, vb, vc))
    vstore(out, 4, vadd(va, vb))
    vstore(out, 8, vmul(va, vb))
    vstore(out, 12, vfma(vsplat(x), vb, vc))


def _fma(p, q, r):
    """``p * q + r`` rounded once (exact rational arithmetic, then one rounding)."""
    return float(Fraction(p) * Fraction(q) + Fraction(r))


def test_vector_ops_round_like_scalar_ops():
    rng = np.random.default_rng(0)
    for _ in range(50):
        a, b, c = (rng.normal(size=6) * 10.0 ** rng.integers(-8, 8, 6) for _ in range(3))
        x = float(rng.normal())
        out = np.full(17, -1.0)
        _vector_ops(a, b, c, x, out)
        s = slice(1, 5)
        want_fma = [_fma(p, q, r) for p, q, r in zip(a[s], b[s], c[s])]
        assert np.array_equal(out[0:4], want_fma)
        assert np.array_equal(out[4:8], a[s] + b[s])
        assert np.array_equal(out[8:12], a[s] * b[s])
        assert np.array_equal(out[12:16], [_fma(x, q, r) for q, r in zip(b[s], c[s])])
        assert out[16] == -1.0  # nothing written past the last vector


def _loss_grad(model, theta, X, y_int, y_float, idx, tile):
    P, L = theta.shape
    args = model._kernel_args()
    A, D, scr, ti = make_work(args[0], L, tile)
    G = np.zeros((P, L))
    loss = np.empty(L)
    acc = np.empty(L)
    loss_grad_lanes(np.ascontiguousarray(theta), *args, X, y_int, y_float, idx, True, True,
                    G, loss, acc, A, D, scr, ti)
    return G, loss, acc


CASES = [
    ([4, 10, 3], "sigmoid", "cross_entropy", 0.0),
    ([64, 32, 10], "tanh", "cross_entropy", 0.0),
    ([5, 7, 6, 4], "relu", "mse", 0.01),
    ([3, 2], "linear", "cross_entropy", 0.0),
    ([3, 2], "tanh", "mse", 0.0),
    ([6, 13, 5, 9, 2], "tanh", "cross_entropy", 0.1),
    ([2, 1, 1], "sigmoid", "mse", 0.0),
    ([9, 4, 8], "linear", "mse", 0.0),
]


@pytest.mark.parametrize("sizes,activation,loss,l2", CASES)
def test_tiled_block_matches_one_lane_blocks_bitwise(sizes, activation, loss, l2):
    model = nc.MLP(sizes, activation=activation, loss=loss, l2=l2)
    rng = np.random.default_rng(len(sizes) * 100 + sizes[0])
    for n in (1, 3, 13, 40):
        X = rng.normal(size=(n, sizes[0]))
        y_int = rng.integers(0, sizes[-1], n).astype(np.int64)
        y_float = rng.normal(size=(n, sizes[-1]))
        for lanes, tile in ((4, 4), (8, 5), (12, 8), (8, 16)):
            theta = rng.normal(size=(model.n_params, lanes))
            for idx in (np.empty(0, np.int64), rng.integers(0, n, 7).astype(np.int64)):
                G, lo, ac = _loss_grad(model, theta, X, y_int, y_float, idx, tile)
                for q in range(lanes):
                    g1, lo1, ac1 = _loss_grad(model, theta[:, q:q + 1], X, y_int, y_float,
                                              idx, tile)
                    assert np.array_equal(G[:, q], g1[:, 0])
                    assert lo[q] == lo1[0]
                    assert np.array_equal(ac[q:q + 1], ac1, equal_nan=True)
                assert np.all(np.isfinite(G))


def test_blocks_have_lanes_in_fours():
    for n_traj in (1, 3, 5, 13, 100):
        for lanes in (1, 3, 6, 24):
            slots, where = _blocks.plan(n_traj, lanes)
            assert slots.shape[1] % 4 == 0
            assert np.array_equal(slots[where[:, 0], where[:, 1]], np.arange(n_traj))
    groups = [np.arange(6 * g, 6 * g + 6) for g in range(5)]
    slots, where = _blocks.plan(30, 8, groups)
    assert slots.shape[1] % 4 == 0
    assert np.array_equal(slots[where[:, 0], where[:, 1]], np.arange(30))
    for grp in groups:  # a reference and its perturbations share a block
        assert len(set(where[grp, 0])) == 1


def test_train_with_padded_lanes_matches_single_trajectories():
    """Three trajectories fill a 4-lane block (one padding lane); each must match its lone run."""
    data = nc.datasets.iris(seed=0)
    model = nc.MLP([4, 10, 3])
    theta0 = model.init(seed=3, n=3)
    run = nc.train(model, data, theta0, 1.0, 30, record="final")
    for k in range(3):
        alone = nc.train(model, data, theta0[k], 1.0, 30, record="final")
        assert np.array_equal(run.theta[k], alone.theta)
