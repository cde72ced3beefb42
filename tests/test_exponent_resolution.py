"""Which finite-time exponents a run resolves (``SpectrumResult.resolved``), and the angle
between a covariant vector and a subspace (``netchaos.clv.principal_angle``,
``CLVResult.angle_to_span``), on cases with known answers."""

import dataclasses

import numpy as np
import pytest

import netchaos as nc
from netchaos.clv import principal_angle


def _linear(A):
    A = np.asarray(A, dtype=float)
    return (lambda x: A @ x), (lambda x: A)


# --------------------------------------------------------------------------
# standard errors and resolution
# --------------------------------------------------------------------------
def test_standard_errors_of_iid_local_rates():
    # local rates i.i.d. N(0.1, 0.5^2) over T steps: the mean has the error 0.5 / sqrt(T)
    T, sd = 4000, 0.5
    base = nc.lyapunov_spectrum(nc.systems.linear(np.eye(3)), x0=np.ones(3), steps=T, seed=0)
    rng = np.random.default_rng(5)
    errors, spread = [], []
    for _ in range(40):
        local = rng.normal(0.1, sd, size=(T, 3))
        res = dataclasses.replace(base, local=local, exponents=local.mean(axis=0))
        errors.append(res.standard_errors(20))
        spread.append(res.exponents)
    expected = sd / np.sqrt(T)
    np.testing.assert_allclose(np.mean(errors, axis=0), expected, rtol=0.1)
    # and the spread of the exponents over independent runs is the same size
    np.testing.assert_allclose(np.std(spread, axis=0, ddof=1), expected, rtol=0.35)


def test_resolved_linear_map_and_run_length():
    A = np.diag(np.exp([0.5, 0.0, -0.5]))
    res = nc.lyapunov_spectrum(nc.systems.linear(A), x0=np.zeros(3), steps=20, seed=0)
    assert res.resolved().tolist() == [True, False, True]
    # 0.01 and -0.01 per step: below ln(5) / (2 T) = 0.04 after 20 steps, above it (0.0004)
    # after 2000
    A = np.diag(np.exp([0.5, 0.01, 0.0, -0.01, -0.5]))
    # (aligned first: the 20-step window follows a transient; without it the vectors of
    # exponents 0.01 apart have not aligned after 20 steps, see the Notes of `resolved`)
    short = nc.lyapunov_spectrum(nc.systems.linear(A), x0=np.zeros(5), steps=20,
                                 transient=500, seed=0)
    long = nc.lyapunov_spectrum(nc.systems.linear(A), x0=np.zeros(5), steps=2000, seed=0)
    assert short.resolved().tolist() == [True, False, False, False, True]
    assert long.resolved().tolist() == [True, True, False, True, True]


def test_resolved_calibration_on_noise():
    # 400 mean-zero columns of i.i.d. local rates: about 5-8 % beyond 2 batch-means errors
    # (a t distribution with 9 degrees of freedom), a column of mean 0.3 always
    T, m = 1000, 400
    base = nc.lyapunov_spectrum(nc.systems.linear(np.eye(2)), x0=np.zeros(2), steps=T, seed=0)
    rng = np.random.default_rng(2)
    local = rng.normal(0.0, 1.0, size=(T, m + 1))
    local[:, 0] += 0.3
    res = dataclasses.replace(base, local=local, exponents=local.mean(axis=0),
                              Q=np.eye(m + 1))
    hit = res.resolved(z=2)
    assert hit[0]
    assert 0.02 < hit[1:].mean() < 0.15
    assert not res.resolved(z=20)[0]


def test_resolution_bad_input():
    res = nc.lyapunov_spectrum(nc.systems.linear(np.eye(2)), x0=np.ones(2), steps=30, seed=0)
    with pytest.raises(ValueError, match="n_batches"):
        res.standard_errors(1)
    with pytest.raises(ValueError, match="n_batches"):
        res.standard_errors(31)
    with pytest.raises(ValueError, match="z"):
        res.resolved(z=-1.0)


# --------------------------------------------------------------------------
# principal angles
# --------------------------------------------------------------------------
def test_principal_angle_known_cases():
    e = np.eye(3)
    assert principal_angle([1.0, 0.0, 1.0], e[:, 1:]) == pytest.approx(np.pi / 4, abs=1e-12)
    assert principal_angle(e[:, 0], e[:, 1:]) == pytest.approx(np.pi / 2, abs=1e-12)
    assert principal_angle(e[:, 0], e[:, :2]) == pytest.approx(0.0, abs=1e-7)
    # the same span, given by non-orthogonal columns
    b = np.array([[1.0, 1.0], [1.0, 1.0], [0.0, 1.0]])
    assert principal_angle(e[:, 0], b) == pytest.approx(np.pi / 4, abs=1e-12)
    # two planes in R^4 that share one direction
    a = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [0.0, 0.0]])
    c = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    assert principal_angle(a, c) == pytest.approx(0.0, abs=1e-7)


def test_principal_angle_against_least_squares_projection():
    rng = np.random.default_rng(0)
    for _ in range(20):
        v = rng.normal(size=7)
        B = rng.normal(size=(7, 3))
        coef = np.linalg.lstsq(B, v, rcond=None)[0]
        proj = B @ coef
        expected = np.arccos(np.linalg.norm(proj) / np.linalg.norm(v))
        assert principal_angle(v, B) == pytest.approx(expected, abs=1e-10)


def test_principal_angle_bad_input():
    with pytest.raises(ValueError, match="rows"):
        principal_angle(np.ones(3), np.ones((4, 1)))
    with pytest.raises(ValueError, match="linearly dependent"):
        principal_angle(np.ones(3), np.ones((3, 2)))
    with pytest.raises(ValueError, match="finite"):
        principal_angle([np.nan, 1.0], np.eye(2))


def test_angle_to_span_of_a_linear_map_against_its_eigenvectors():
    P = np.array([[1.0, 0.3, -0.5, 0.1], [0.2, 1.0, 0.4, 0.0], [-0.4, 0.6, 1.0, 0.3],
                  [0.1, -0.2, 0.5, 1.0]])
    lam = np.array([2.0, 1.2, 0.7, 0.4])
    A = P @ np.diag(lam) @ np.linalg.inv(P)
    f, J = _linear(A)
    res = nc.covariant_vectors(step=f, jacobian=J, x0=np.zeros(4), steps=10, n_forward=150,
                               n_backward=150, seed=1)
    contracting = [2, 3]                                 # |eigenvalue| < 1
    coef = np.linalg.lstsq(P[:, contracting], P[:, 0], rcond=None)[0]
    expected = np.arccos(np.linalg.norm(P[:, contracting] @ coef) / np.linalg.norm(P[:, 0]))
    got = res.angle_to_span(0, contracting)
    assert got.shape == (11,)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    # differs from the angle to the neighbouring vector alone
    assert abs(res.angles(0, 1)[0] - expected) > 0.05
    with pytest.raises(ValueError, match="other than i"):
        res.angle_to_span(0, [0, 2])
    with pytest.raises(ValueError, match="columns"):
        res.angle_to_span(0)
