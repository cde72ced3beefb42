"""Exact Hessian-vector products and the tangent map of the GD step.

Pearlmutter's R-operator: differentiate the forward and backward passes in
the direction ``v``. One parameter vector ``theta`` is shared; the lanes hold
the directions, a block ``V`` of shape ``(n_params, n_lanes)``, so ``H V`` for
many directions is one sweep over the data with SIMD across directions.

For each sample, with ``a`` the activations, ``z`` the pre-activations and
``delta`` the backpropagated derivatives of the base pass:

* forward:  ``Rz_k = Ra_{k-1} W_k + a_{k-1} V_W + V_b``, ``Ra_k = f'(z_k) Rz_k``;
* output:   cross-entropy ``R delta = s p * (Rz - <p, Rz>)``; MSE ``R delta = 2 s Rz``;
* backward: ``R g_W = Ra_{k-1} delta_k^T + a_{k-1} R delta_k^T``, ``R g_b = R delta_k``,
  ``R delta_{k-1} = f''(z) Rz (W delta) + f'(z) (V_W delta + W R delta)``;

plus ``l2 V`` on the weights.
"""

import math

import numpy as np
from numba import njit, prange

from .elementwise import LOSS_CROSS_ENTROPY, d2act, dact
from .mlp import forward_lanes, make_work


@njit(cache=True, error_model="numpy")
def hvp_lanes(theta, V, sizes, w_off, b_off, ro, act, loss_code, l2, wmask,
              X, yi, yf, lr, out):
    """``out = H V`` (``lr == 0``) or ``out = V - lr H V`` (``lr > 0``).

    Parameters
    ----------
    theta : ndarray of shape (n_params,)
    V, out : ndarray of shape (n_params, n_lanes)
    X : ndarray of shape (n_samples, n_in)
    yi : int64 ndarray of shape (n_samples,)
    yf : ndarray of shape (n_samples, n_out)
    """
    P = theta.shape[0]
    L = V.shape[1]
    nl = sizes.shape[0] - 1
    n_out = sizes[nl]
    N = X.shape[0]
    n_rows = 0
    for k in range(1, nl + 1):
        n_rows += sizes[k]
    scale = 1.0 / N if loss_code == LOSS_CROSS_ENTROPY else 1.0 / (N * n_out)
    A, _, scr, ti = make_work(sizes, 1, 1)
    one = np.zeros(1, dtype=np.int64)
    dl = np.empty(n_rows)  # base deltas
    RZ = np.empty((n_rows, L))
    RA = np.empty((n_rows, L))
    RD = np.empty((n_rows, L))
    RS = np.empty(L)
    pr = np.empty(n_out)
    for p in range(P):
        for q in range(L):
            out[p, q] = 0.0
    oo_out = ro[nl - 1]
    for n in range(N):
        x = X[n]
        one[0] = n
        forward_lanes(theta, 1, sizes, w_off, b_off, ro, n_rows, act, X, one, 1, A, scr[0], ti,
                      scr[2])
        # R forward
        for k in range(nl):
            nin = sizes[k]
            nout = sizes[k + 1]
            wo = w_off[k]
            bo = b_off[k]
            oo = ro[k]
            for j in range(nout):
                for q in range(L):
                    RZ[oo + j, q] = V[bo + j, q]
            if k == 0:
                for i in range(nin):
                    xi = x[i]
                    for j in range(nout):
                        w = wo + i * nout + j
                        for q in range(L):
                            RZ[oo + j, q] += xi * V[w, q]
            else:
                io = ro[k - 1]
                for i in range(nin):
                    ai = A[io + i]
                    for j in range(nout):
                        w = wo + i * nout + j
                        wij = theta[w]
                        for q in range(L):
                            RZ[oo + j, q] += ai * V[w, q] + wij * RA[io + i, q]
            if k < nl - 1:
                for j in range(nout):
                    da = dact(act, A[oo + j])
                    for q in range(L):
                        RA[oo + j, q] = da * RZ[oo + j, q]
        # output deltas and their R derivatives
        if loss_code == LOSS_CROSS_ENTROPY:
            m = A[oo_out]
            for c in range(1, n_out):
                m = max(m, A[oo_out + c])
            s = 0.0
            for c in range(n_out):
                pr[c] = math.exp(A[oo_out + c] - m)
                s += pr[c]
            for c in range(n_out):
                pr[c] /= s
                dl[oo_out + c] = scale * (pr[c] - (1.0 if c == yi[n] else 0.0))
            for q in range(L):
                RS[q] = 0.0
            for c in range(n_out):
                for q in range(L):
                    RS[q] += pr[c] * RZ[oo_out + c, q]
            for c in range(n_out):
                sp = scale * pr[c]
                for q in range(L):
                    RD[oo_out + c, q] = sp * (RZ[oo_out + c, q] - RS[q])
        else:
            for c in range(n_out):
                dl[oo_out + c] = 2.0 * scale * (A[oo_out + c] - yf[n, c])
                for q in range(L):
                    RD[oo_out + c, q] = 2.0 * scale * RZ[oo_out + c, q]
        # R backward
        for k in range(nl - 1, -1, -1):
            nin = sizes[k]
            nout = sizes[k + 1]
            wo = w_off[k]
            bo = b_off[k]
            oo = ro[k]
            for j in range(nout):
                for q in range(L):
                    out[bo + j, q] += RD[oo + j, q]
            if k == 0:
                for i in range(nin):
                    xi = x[i]
                    for j in range(nout):
                        w = wo + i * nout + j
                        for q in range(L):
                            out[w, q] += xi * RD[oo + j, q]
            else:
                io = ro[k - 1]
                for i in range(nin):
                    ai = A[io + i]
                    si = 0.0
                    for q in range(L):
                        RS[q] = 0.0
                    for j in range(nout):
                        w = wo + i * nout + j
                        wij = theta[w]
                        dj = dl[oo + j]
                        si += wij * dj
                        for q in range(L):
                            out[w, q] += ai * RD[oo + j, q] + RA[io + i, q] * dj
                            RS[q] += V[w, q] * dj + wij * RD[oo + j, q]
                    da = dact(act, ai)
                    dda = d2act(act, ai, da)
                    dl[io + i] = da * si
                    c2 = dda * si
                    for q in range(L):
                        RD[io + i, q] = c2 * RZ[io + i, q] + da * RS[q]
    if l2 != 0.0:
        for p in range(P):
            if wmask[p]:
                for q in range(L):
                    out[p, q] += l2 * V[p, q]
    if lr != 0.0:
        for p in range(P):
            for q in range(L):
                out[p, q] = V[p, q] - lr * out[p, q]


@njit(cache=True, error_model="numpy", parallel=True)
def hvp_blocks(theta, Vb, sizes, w_off, b_off, ro, act, loss_code, l2, wmask,
               X, yi, yf, lr, outb):
    """:func:`hvp_lanes` over blocks of directions ``Vb`` (n_blocks, n_params, n_lanes), in parallel."""
    for b in prange(Vb.shape[0]):
        hvp_lanes(theta, Vb[b], sizes, w_off, b_off, ro, act, loss_code, l2, wmask,
                  X, yi, yf, lr, outb[b])
