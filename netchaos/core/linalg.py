"""Householder QR of a tall matrix stored row-major, for the Benettin re-orthonormalisation.

A Lyapunov spectrum of all ``k`` exponents needs a reduced QR of an
``n x k`` matrix at every step. LAPACK's ``dgeqrf``/``dorgqr`` run their
unblocked code below 128 columns, two level-2 BLAS calls per column, so for
the sizes of the tangent maps here (tens to a few hundred columns) most of
their time goes into call overhead and copies to column-major order. This
kernel works on the row-major array itself: applying a reflector
``I - tau v v^T`` to the trailing columns is a sum of rows ``w = sum_p v_p
W[p, :]`` followed by rank-one row updates, both contiguous loops, run in
chunks of 12 columns whose sums stay in vector registers over all rows.
"""

import math

import numpy as np
from numba import njit

from .elementwise import fma
from .simd import vfma, vload, vsplat, vstore


@njit(cache=True, error_model="numpy")
def _row_sums(w, B, V, k, col, p0, n, c0, m):
    """``w[c0+c] += sum_{p0 <= p < n} V[p*k + col] * B[p*k + c0 + c]`` for ``c < m``.

    Fused multiply-adds in the order of ``p``, whichever chunk a column falls in.
    """
    m24 = m - m % 24
    m12 = m - m % 12
    m4 = m - m % 4
    for c in range(0, m24, 24):
        # six independent sums: the multiply-add latency is hidden
        a0 = vload(w, c0 + c)
        a1 = vload(w, c0 + c + 4)
        a2 = vload(w, c0 + c + 8)
        a3 = vload(w, c0 + c + 12)
        a4 = vload(w, c0 + c + 16)
        a5 = vload(w, c0 + c + 20)
        for p in range(p0, n):
            vp = vsplat(V[p * k + col])
            r = p * k + c0 + c
            a0 = vfma(vp, vload(B, r), a0)
            a1 = vfma(vp, vload(B, r + 4), a1)
            a2 = vfma(vp, vload(B, r + 8), a2)
            a3 = vfma(vp, vload(B, r + 12), a3)
            a4 = vfma(vp, vload(B, r + 16), a4)
            a5 = vfma(vp, vload(B, r + 20), a5)
        vstore(w, c0 + c, a0)
        vstore(w, c0 + c + 4, a1)
        vstore(w, c0 + c + 8, a2)
        vstore(w, c0 + c + 12, a3)
        vstore(w, c0 + c + 16, a4)
        vstore(w, c0 + c + 20, a5)
    for c in range(m24, m12, 12):
        a0 = vload(w, c0 + c)
        a1 = vload(w, c0 + c + 4)
        a2 = vload(w, c0 + c + 8)
        for p in range(p0, n):
            vp = vsplat(V[p * k + col])
            r = p * k + c0 + c
            a0 = vfma(vp, vload(B, r), a0)
            a1 = vfma(vp, vload(B, r + 4), a1)
            a2 = vfma(vp, vload(B, r + 8), a2)
        vstore(w, c0 + c, a0)
        vstore(w, c0 + c + 4, a1)
        vstore(w, c0 + c + 8, a2)
    for c in range(m12, m4, 4):
        a0 = vload(w, c0 + c)
        for p in range(p0, n):
            a0 = vfma(vsplat(V[p * k + col]), vload(B, p * k + c0 + c), a0)
        vstore(w, c0 + c, a0)
    for c in range(m4, m):
        a = w[c0 + c]
        for p in range(p0, n):
            a = fma(V[p * k + col], B[p * k + c0 + c], a)
        w[c0 + c] = a


@njit(cache=True, error_model="numpy")
def _rank_one(B, V, w, k, col, p0, n, c0, m):
    """``B[p*k + c0 + c] -= V[p*k + col] * w[c0 + c]`` (one rounding) for ``p0 <= p < n``, ``c < m``."""
    m12 = m - m % 12
    m4 = m - m % 4
    for c in range(0, m12, 12):
        a0 = vload(w, c0 + c)
        a1 = vload(w, c0 + c + 4)
        a2 = vload(w, c0 + c + 8)
        for p in range(p0, n):
            vp = vsplat(-V[p * k + col])
            r = p * k + c0 + c
            vstore(B, r, vfma(vp, a0, vload(B, r)))
            vstore(B, r + 4, vfma(vp, a1, vload(B, r + 4)))
            vstore(B, r + 8, vfma(vp, a2, vload(B, r + 8)))
    for c in range(m12, m4, 4):
        a0 = vload(w, c0 + c)
        for p in range(p0, n):
            r = p * k + c0 + c
            vstore(B, r, vfma(vsplat(-V[p * k + col]), a0, vload(B, r)))
    for c in range(m4, m):
        a = w[c0 + c]
        for p in range(p0, n):
            r = p * k + c0 + c
            B[r] = fma(-V[p * k + col], a, B[r])



@njit(cache=True, error_model="numpy")
def householder_qr(M):
    """Reduced QR of ``M`` by Householder reflections.

    Parameters
    ----------
    M : ndarray of shape (n, k), C-contiguous, finite, ``n >= k``

    Returns
    -------
    Q : ndarray of shape (n, k)
        Orthonormal columns, C-contiguous.
    R : ndarray of shape (k, k)
        Upper triangular, ``M = Q R``.

    Notes
    -----
    Reflector ``j`` maps column ``j`` of the trailing block onto
    ``beta e_1`` with ``beta = -sign(alpha) ||x||`` (``alpha`` its first
    entry), as LAPACK's ``dlarfg``: no cancellation in ``alpha - beta``. The
    norm is scaled by the largest entry, so it neither overflows nor
    underflows. A zero column gives ``tau = 0`` (no reflection) and
    ``R[j, j] = 0``. ``Q`` is accumulated backwards from the identity, as
    ``dorg2r``.
    """
    n = M.shape[0]
    k = M.shape[1]
    W = M.copy().reshape(n * k)
    tau = np.zeros(k)
    w = np.empty(k)
    for j in range(k):
        jj = j * k + j
        scale = 0.0
        for p in range(j, n):
            scale = max(scale, abs(W[p * k + j]))
        if scale == 0.0:
            continue
        ss = 0.0
        for p in range(j, n):
            t = W[p * k + j] / scale
            ss += t * t
        norm = scale * math.sqrt(ss)
        alpha = W[jj]
        beta = -norm if alpha >= 0.0 else norm
        d = alpha - beta
        t = (beta - alpha) / beta
        tau[j] = t
        W[jj] = beta
        for p in range(j + 1, n):
            W[p * k + j] /= d
        if j + 1 == k:
            continue
        # w = v^T W[j:, j+1:] with v = (1, W[j+1:, j]); then W -= tau v w
        m = k - j - 1
        for c in range(m):
            w[j + 1 + c] = W[jj + 1 + c]
        _row_sums(w, W, W, k, j, j + 1, n, j + 1, m)
        for c in range(m):
            w[j + 1 + c] *= t
            W[jj + 1 + c] -= w[j + 1 + c]
        _rank_one(W, W, w, k, j, j + 1, n, j + 1, m)
    R = np.zeros((k, k))
    for i in range(k):
        for c in range(i, k):
            R[i, c] = W[i * k + c]
    Q = np.zeros(n * k)
    for i in range(k):
        Q[i * k + i] = 1.0
    for j in range(k - 1, -1, -1):
        t = tau[j]
        if t == 0.0:
            continue
        jj = j * k + j
        m = k - j
        for c in range(m):
            w[j + c] = Q[jj + c]
        _row_sums(w, Q, W, k, j, j + 1, n, j, m)
        for c in range(m):
            w[j + c] *= t
            Q[jj + c] -= w[j + c]
        _rank_one(Q, W, w, k, j, j + 1, n, j, m)
    return Q.reshape(n, k), R
