"""``netchaos.systems.logistic_exponents``: the exponent of the logistic map over a vector of r,
against closed forms and the QR engine one r at a time."""

import numpy as np
import pytest

import netchaos as nc
from netchaos.systems import logistic_exponents


def test_closed_forms():
    r = np.array([2.5, 3.2, 3.4, 4.0])
    got = logistic_exponents(r, steps=20000, transient=2000)
    fixed = np.log(np.abs(2.0 - r[0]))                     # f'(x*) = 2 - r at x* = 1 - 1/r
    two_cycle = 0.5 * np.log(np.abs(4.0 + 2.0 * r[1:3] - r[1:3] ** 2))
    np.testing.assert_allclose(got[0], fixed, atol=1e-9)
    np.testing.assert_allclose(got[1:3], two_cycle, atol=1e-6)
    assert got[3] == pytest.approx(np.log(2.0), abs=0.01)


def test_matches_the_qr_engine_one_r_at_a_time():
    r = np.array([3.56, 3.7, 3.835, 3.9, 3.99])
    got = logistic_exponents(r, steps=3000, transient=200, x0=0.3)
    ref = [nc.lyapunov_spectrum(nc.systems.logistic(float(v)), x0=0.3, steps=3000,
                                transient=200).exponents[0] for v in r]
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12)


def test_a_fine_grid_resolves_the_period_three_window():
    r = np.linspace(2.8, 4.0, 2001)
    lam = logistic_exponents(r, steps=2000, transient=500)
    inside = (r > 1 + np.sqrt(8) + 1e-3) & (r < 3.84)
    assert np.all(lam[inside] < 0)
    assert np.mean(lam[(r > 3.80) & (r < 3.82)] > 0.3) > 0.9   # chaos below, bar tiny windows


def test_bad_input():
    with pytest.raises(ValueError, match="r must lie"):
        logistic_exponents([3.0, 4.5])
    with pytest.raises(ValueError, match="1-D"):
        logistic_exponents(np.ones((2, 2)))
    with pytest.raises(ValueError, match="x0"):
        logistic_exponents([3.0], x0=1.0)
    with pytest.raises(TypeError, match="steps"):
        logistic_exponents([3.0], steps=1.5)
