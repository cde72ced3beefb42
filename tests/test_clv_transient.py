"""The forward transient of covariant_vectors: converged by default, a warning when it is not,
on linear maps whose covariant vectors are the eigenvectors."""

import warnings

import numpy as np
import pytest

import netchaos as nc

A = np.array([[1.5, 1.0, 0.5], [0.0, 1.1, 1.0], [0.0, 0.0, 0.6]])


def misalignment(res, A):
    """1 - |cos| between each covariant vector and the eigenvector of A it should be, (n_times, k)."""
    w, V = np.linalg.eig(A)
    V = V[:, np.argsort(-np.abs(w))].real
    V /= np.linalg.norm(V, axis=0)
    k = res.vectors.shape[2]
    return 1.0 - np.abs(np.einsum("tnk,nk->tk", res.vectors, V[:, :k]))


def run(**kw):
    return nc.covariant_vectors(step=lambda x: A @ x, jacobian=lambda x: A, x0=np.zeros(3),
                                steps=20, seed=0, **kw)


def test_default_transient_converges_from_the_first_vector_of_the_window():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = run()
    assert res.n_forward == nc.clv.N_FORWARD and res.times[0] == nc.clv.N_FORWARD
    off = misalignment(res, A)
    assert off[0].max() < 1e-10
    assert off.max() < 1e-5      # near the end the backward pass has had n_backward = 20 steps
    assert res.forward_error.shape == (2,) and np.all(res.forward_error < 1e-10)


def test_no_transient_warns_and_the_vectors_are_off_at_the_start():
    with pytest.warns(RuntimeWarning, match=r"n_forward=0.*vectors 1\.\.2"):
        res = run(n_forward=0)
    off = misalignment(res, A)
    assert off[0, 0] > 0.1 and off[0, 1] > 0.1          # unconverged at the window start
    assert off[-1, :2].max() < 1e-3                     # converged 20 iterations later
    np.testing.assert_array_equal(res.forward_error, [1.0, 1.0])


def test_short_transient_is_caught_by_the_two_start_check():
    # eigenvalue ratio 1.1 / 1.5 between the first two: 5 iterations leave ~0.2 of error
    with pytest.warns(RuntimeWarning, match="n_forward=5"):
        res = run(n_forward=5)
    assert res.forward_error.max() > 1e-3
    assert misalignment(res, A)[0, :2].max() > 1e-4
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet = run(n_forward=5, check=False)
    assert np.all(np.isnan(quiet.forward_error))
    np.testing.assert_array_equal(quiet.vectors, res.vectors)   # the check changes nothing


def test_degenerate_exponents_warn_whatever_the_transient():
    D = np.diag([2.0, 1.0, 1.0])            # vectors 2 and 3 not unique: span of 2 never settles
    with pytest.warns(RuntimeWarning, match="vectors 2..2"):
        res = nc.covariant_vectors(step=lambda x: D @ x, jacobian=lambda x: D, x0=np.zeros(3),
                                   steps=5, seed=1, n_forward=300)
    assert res.forward_error[0] < 1e-10 and res.forward_error[1] > 1e-3


def test_check_arguments():
    with pytest.raises(TypeError, match="check"):
        run(check=1)
    with pytest.raises(ValueError, match="tol"):
        run(tol=-1.0)
