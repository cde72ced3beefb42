"""netchaos.core.blas.dgemm, the accumulating matrix product of the wide kernels, against
NumPy's products: every transpose, blocks at offsets inside larger arrays, alpha and beta."""

import numpy as np
import pytest
from numba import njit

from netchaos.core.blas import dgemm


@njit(cache=False)
def _call(ta, tb, m, n, k, alpha, A, ao, lda, B, bo, ldb, beta, C, co, ldc):
    dgemm(ta, tb, m, n, k, alpha, A, ao, lda, B, bo, ldb, beta, C, co, ldc)


@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
@pytest.mark.parametrize("alpha, beta", [(1.0, 0.0), (1.0, 1.0), (-0.5, 2.0)])
def test_a_block_product_at_offsets_matches_numpy(ta, tb, alpha, beta):
    rng = np.random.default_rng(0)
    m, n, k = 7, 5, 11
    # blocks inside larger row-major arrays: op(A) is rows 3.. of A (or of its transpose)
    A = rng.normal(size=(20, 30))
    B = rng.normal(size=(25, 40))
    C = rng.normal(size=(12, 9))
    a = A[3:3 + k, 2:2 + m].T if ta else A[3:3 + m, 2:2 + k]
    b = B[4:4 + n, 1:1 + k].T if tb else B[4:4 + k, 1:1 + n]
    want = C.copy()
    want[2:2 + m, 3:3 + n] = alpha * (a @ b) + beta * C[2:2 + m, 3:3 + n]
    got = C.copy()
    _call(ta, tb, m, n, k, alpha, A, 3 * 30 + 2, 30, B, 4 * 40 + 1, 40, beta, got, 2 * 9 + 3, 9)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)
    outside = np.ones(C.shape, bool)
    outside[2:2 + m, 3:3 + n] = False
    assert np.array_equal(got[outside], C[outside])       # nothing outside the block moved


def test_beta_zero_ignores_what_c_held():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(6, 4))
    B = rng.normal(size=(4, 3))
    C = np.full((6, 3), np.nan)
    _call(False, False, 6, 3, 4, 1.0, A, 0, 4, B, 0, 3, 0.0, C, 0, 3)
    np.testing.assert_allclose(C, A @ B, rtol=1e-14)


def test_accumulating_chunks_gives_the_sum_of_their_products():
    # the weight gradient of the wide kernels: C += X_c^T D_c, chunk by chunk
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 8))
    D = rng.normal(size=(300, 5))
    C = np.zeros((8, 5))
    for c0 in range(0, 300, 64):
        ns = min(64, 300 - c0)
        _call(True, False, 8, 5, ns, 1.0, X, c0 * 8, 8, D, c0 * 5, 5, 1.0, C, 0, 5)
    np.testing.assert_allclose(C, X.T @ D, rtol=1e-12)


@pytest.mark.parametrize("bad", ["int", "fortran"])
def test_other_arrays_are_refused_when_compiling(bad):
    A = np.ones((3, 3), dtype=np.int64) if bad == "int" else np.asfortranarray(np.ones((3, 3)))
    with pytest.raises(Exception, match="C-contiguous float64"):
        _call(False, False, 3, 3, 3, 1.0, A, 0, 3, np.ones((3, 3)), 0, 3, 0.0, np.ones((3, 3)),
              0, 3)
