"""Elementwise kernels of ``netchaos.core.elementwise`` against numpy references.

The GD-map kernels use their own vectorisable ``exp``/``expm1`` (range
reduction plus a polynomial) and an explicit fused multiply-add. These tests
bound their error in units in the last place (ulp) against numpy's libm
results, check NaN propagation and clamping, and check that ``fma`` rounds
once (exact against rational arithmetic).
"""

from fractions import Fraction

import numpy as np
import pytest
from numba import njit

from netchaos.core.elementwise import (
    ACT_LINEAR,
    ACT_RELU,
    ACT_SIGMOID,
    ACT_TANH,
    activate_row,
    exp_row,
    expm1_row,
    fma,
)


def _scratch(n):
    tf = np.empty(n)
    return tf, tf.view(np.int64), np.empty(n)


def _ulp_error(got, want):
    mask = want != 0
    return np.max(np.abs(got[mask] - want[mask]) / np.spacing(np.abs(want[mask])))


@pytest.fixture(scope="module")
def wide_range():
    rng = np.random.default_rng(0)
    return np.concatenate([rng.uniform(-708, 709, 100_000), rng.uniform(-3, 3, 100_000),
                           rng.normal(0, 1e-8, 1000), [0.0, -0.0, 1e-300, -1e-300, 709.0, -708.0]])


def test_exp_within_one_ulp(wide_range):
    tf, ti, _ = _scratch(wide_range.size)
    out = np.empty_like(wide_range)
    exp_row(wide_range, out, tf, ti)
    assert _ulp_error(out, np.exp(wide_range)) <= 1.0


def test_expm1_within_two_ulp_and_exact_near_zero(wide_range):
    tf, ti, _ = _scratch(wide_range.size)
    out = np.empty_like(wide_range)
    expm1_row(wide_range, out, tf, ti)
    assert _ulp_error(out, np.expm1(wide_range)) <= 2.0
    tiny = np.array([1e-300, -1e-300, 1e-20])
    out = np.empty(3)
    expm1_row(tiny, out, *_scratch(3)[:2])
    np.testing.assert_array_equal(out, tiny)  # expm1(x) == x below half an ulp of x^2/2


def test_exp_clamps_instead_of_overflowing_and_keeps_nan():
    x = np.array([800.0, np.inf, -800.0, -np.inf, np.nan, 709.0, -708.0])
    out = np.empty(7)
    exp_row(x, out, *_scratch(7)[:2])
    assert out[0] == out[1] == out[5]  # clamped at 709
    assert out[2] == out[3] == out[6]  # clamped at -708
    assert np.isnan(out[4])
    assert _ulp_error(out[5:], np.exp(x[5:])) <= 1.0


@pytest.mark.parametrize("code, ref, max_ulp", [
    (ACT_SIGMOID, lambda z: 1.0 / (1.0 + np.exp(-z)), 2.0),
    (ACT_TANH, np.tanh, 3.0),
    (ACT_RELU, lambda z: np.maximum(z, 0.0), 0.0),
    (ACT_LINEAR, lambda z: z, 0.0),
])
def test_activations_match_numpy(code, ref, max_ulp):
    rng = np.random.default_rng(1)
    z = np.concatenate([rng.normal(0, 5, 50_000), [0.0, -0.0, 1e-12, -1e-12, 40.0, -40.0, 800.0]])
    got = z.copy()
    tf, ti, s2 = _scratch(z.size)
    activate_row(code, got, tf, ti, s2)
    want = ref(z)
    assert _ulp_error(got, want) <= max_ulp
    assert np.all(np.isfinite(got))


@pytest.mark.parametrize("code", [ACT_SIGMOID, ACT_TANH, ACT_RELU])
def test_activations_propagate_nan(code):
    z = np.array([np.nan, 1.0])
    activate_row(code, z, *_scratch(2))
    assert np.isnan(z[0]) and np.isfinite(z[1])


def test_tanh_is_odd_and_saturates():
    z = np.linspace(-30, 30, 1001)
    pos, neg = z.copy(), -z
    activate_row(ACT_TANH, pos, *_scratch(z.size))
    activate_row(ACT_TANH, neg, *_scratch(z.size))
    np.testing.assert_array_equal(pos, -neg)
    assert pos[-1] == 1.0 and pos[0] == -1.0


@njit
def _fma_loop(a, b, c, out):
    for i in range(a.shape[0]):
        out[i] = fma(a[i], b[i], c[i])


def test_fma_rounds_once():
    rng = np.random.default_rng(2)
    a, b, c = rng.normal(size=(3, 2000))
    out = np.empty(2000)
    _fma_loop(a, b, c, out)
    exact = [float(Fraction(x) * Fraction(y) + Fraction(z)) for x, y, z in zip(a, b, c)]
    np.testing.assert_array_equal(out, exact)
    # a case where separate rounding loses everything: (1 + 2^-30)(1 - 2^-30) - 1 = -2^-60
    e = 2.0 ** -30
    _fma_loop(np.array([1 + e]), np.array([1 - e]), np.array([-1.0]), out[:1])
    assert out[0] == -(2.0 ** -60)
