"""Forward pass, loss and backpropagation of an MLP over lanes of trajectories.

Layout (see :class:`netchaos.MLP`): the flat parameter vector holds, per layer
``k``, the weight matrix ``W_k`` of shape ``(sizes[k], sizes[k+1])`` row-major
from ``w_off[k]`` and the bias from ``b_off[k]``. The kernels here take a
*block* ``theta`` of shape ``(n_params, n_lanes)``: column ``q`` is the
parameter vector of lane (trajectory) ``q``. The data ``x`` are shared by all
lanes, so every multiply-add is a scalar times a contiguous lane row, and no
operation mixes lanes: each lane follows exactly the arithmetic of a single
network.

Activations of layer ``k`` (its outputs) live in rows ``ro[k]:ro[k]+sizes[k+1]``
of a work array ``A`` of shape ``(sum(sizes[1:]), n_lanes)``; the deltas
(derivative of the loss with respect to pre-activations) in the same rows of
``D``. Scratch: ``scr`` of shape (6, max_width * n_lanes), see :func:`make_work`;
row 0 (``tf``, with ``ti`` its int64 view) and rows 1-2 serve the exponentials
of whole row ranges at once, rows 3-5 hold per-lane values.
"""

import math

import numpy as np
from numba import njit

from .elementwise import (
    ACT_LINEAR,
    LOSS_CROSS_ENTROPY,
    activate_row,
    dact,
    exp_row,
)


@njit(cache=True)
def forward_lanes(theta, sizes, w_off, b_off, ro, act, x, A, scr, ti):
    """Forward pass of one sample ``x`` of shape (n_in,) for every lane of ``theta``."""
    nl = sizes.shape[0] - 1
    L = theta.shape[1]
    for k in range(nl):
        nin = sizes[k]
        nout = sizes[k + 1]
        wo = w_off[k]
        bo = b_off[k]
        oo = ro[k]
        for j in range(nout):
            for q in range(L):
                A[oo + j, q] = theta[bo + j, q]
        if k == 0:
            for i in range(nin):
                xi = x[i]
                for j in range(nout):
                    w = wo + i * nout + j
                    for q in range(L):
                        A[oo + j, q] += xi * theta[w, q]
        else:
            io = ro[k - 1]
            for i in range(nin):
                for j in range(nout):
                    w = wo + i * nout + j
                    for q in range(L):
                        A[oo + j, q] += A[io + i, q] * theta[w, q]
        if k < nl - 1 and act != ACT_LINEAR:
            activate_row(act, A[oo:oo + nout].reshape(nout * L), scr[0], ti, scr[1], scr[2])


@njit(cache=True)
def head_lanes(loss_code, A, D, oo, n_out, yi, yrow, scale, lossacc, prodacc,
               correct, want_acc, scr, ti):
    """Loss of one sample at the output rows ``oo:oo+n_out`` and the output deltas.

    Cross-entropy: adds ``max - z_y`` to ``lossacc`` and multiplies the sum of
    shifted exponentials into ``prodacc`` (the logarithm is taken once per
    flush by the caller, as ``sum log s = log prod s``); deltas are
    ``scale * (softmax - onehot)``. MSE: adds ``sum (z - y)^2`` to ``lossacc``;
    deltas ``2 * scale * (z - y)``. ``correct`` counts argmax hits (first
    maximum wins, as ``numpy.argmax``).
    """
    L = A.shape[1]
    mx = scr[3]
    s1 = scr[4]
    if loss_code == LOSS_CROSS_ENTROPY:
        if want_acc:
            for q in range(L):
                s1[q] = 1.0
            for k in range(n_out):
                if k == yi:
                    continue
                for q in range(L):
                    zy = A[oo + yi, q]
                    zk = A[oo + k, q]
                    hit = zy > zk if k < yi else zy >= zk
                    s1[q] = s1[q] if hit else 0.0
            for q in range(L):
                correct[q] += s1[q]
        for q in range(L):
            mx[q] = A[oo, q]
        for k in range(1, n_out):
            for q in range(L):
                v = A[oo + k, q]
                mx[q] = v if v > mx[q] else mx[q]
        sh = scr[1]
        for k in range(n_out):
            for q in range(L):
                sh[k * L + q] = A[oo + k, q] - mx[q]
        exp_row(sh[:n_out * L], D[oo:oo + n_out].reshape(n_out * L), scr[0], ti)
        for q in range(L):
            s1[q] = 0.0
        for k in range(n_out):
            for q in range(L):
                s1[q] += D[oo + k, q]
        for q in range(L):
            lossacc[q] += mx[q] - A[oo + yi, q]
            prodacc[q] *= s1[q]
            s1[q] = scale / s1[q]
        for k in range(n_out):
            for q in range(L):
                D[oo + k, q] *= s1[q]
        for q in range(L):
            D[oo + yi, q] -= scale
    else:
        for k in range(n_out):
            yk = yrow[k]
            for q in range(L):
                r = A[oo + k, q] - yk
                lossacc[q] += r * r
                D[oo + k, q] = (2.0 * scale) * r


@njit(cache=True)
def backward_lanes(theta, sizes, w_off, b_off, ro, act, x, A, D, G):
    """Accumulate the gradient of one sample into ``G`` (same shape as ``theta``)."""
    nl = sizes.shape[0] - 1
    L = theta.shape[1]
    for k in range(nl - 1, -1, -1):
        nin = sizes[k]
        nout = sizes[k + 1]
        wo = w_off[k]
        bo = b_off[k]
        oo = ro[k]
        for j in range(nout):
            for q in range(L):
                G[bo + j, q] += D[oo + j, q]
        if k == 0:
            for i in range(nin):
                xi = x[i]
                for j in range(nout):
                    w = wo + i * nout + j
                    for q in range(L):
                        G[w, q] += xi * D[oo + j, q]
        else:
            io = ro[k - 1]
            for i in range(nin):
                for q in range(L):
                    D[io + i, q] = 0.0
                for j in range(nout):
                    w = wo + i * nout + j
                    for q in range(L):
                        d = D[oo + j, q]
                        G[w, q] += A[io + i, q] * d
                        D[io + i, q] += theta[w, q] * d
                for q in range(L):
                    D[io + i, q] *= dact(act, A[io + i, q])


@njit(cache=True)
def flush_every(n_out):
    """How many cross-entropy samples can be multiplied (each factor in [1, n_out]) before a log."""
    c = max(n_out, 2)
    return max(1, int(600.0 / math.log10(c)))


@njit(cache=True)
def loss_grad_lanes(theta, sizes, w_off, b_off, ro, act, loss_code, l2, wmask,
                    X, yi, yf, idx, want_grad, want_acc, G, loss, acc, A, D, scr, ti):
    """Loss (and gradient, accuracy) of every lane of ``theta`` on the samples ``idx``.

    Parameters
    ----------
    theta : ndarray of shape (n_params, n_lanes)
    X : ndarray of shape (n_samples, n_in)
    yi : int64 ndarray of shape (n_samples,)
        Class labels (cross-entropy); ignored for MSE.
    yf : ndarray of shape (n_samples, n_out)
        Regression targets (MSE); ignored for cross-entropy.
    idx : int64 ndarray of shape (n_batch,)
        Samples to use; an empty array means all samples.
    G : ndarray of shape (n_params, n_lanes)
        Overwritten with the gradient when ``want_grad``.
    loss, acc : ndarray of shape (n_lanes,)
        Overwritten with the loss and the accuracy (NaN for MSE).
    scr : ndarray of shape (6, max_width * n_lanes)
        Scratch rows; ``ti`` is the int64 view of ``scr[0]``.
    """
    L = theta.shape[1]
    P = theta.shape[0]
    nl = sizes.shape[0] - 1
    n_out = sizes[nl]
    oo = ro[nl - 1]
    full = idx.shape[0] == 0
    nb = X.shape[0] if full else idx.shape[0]
    if loss_code == LOSS_CROSS_ENTROPY:
        scale = 1.0 / nb
    else:
        scale = 1.0 / (nb * n_out)
    prod = scr[5]
    if want_grad:
        for p in range(P):
            for q in range(L):
                G[p, q] = 0.0
    for q in range(L):
        loss[q] = 0.0
        acc[q] = 0.0
        prod[q] = 1.0
    fl = flush_every(n_out)
    for m in range(nb):
        n = m if full else idx[m]
        x = X[n]
        forward_lanes(theta, sizes, w_off, b_off, ro, act, x, A, scr, ti)
        head_lanes(loss_code, A, D, oo, n_out, yi[n], yf[n], scale, loss, prod,
                   acc, want_acc, scr, ti)
        if want_grad:
            backward_lanes(theta, sizes, w_off, b_off, ro, act, x, A, D, G)
        if loss_code == LOSS_CROSS_ENTROPY and ((m + 1) % fl == 0 or m == nb - 1):
            for q in range(L):
                loss[q] += math.log(prod[q])
                prod[q] = 1.0
    for q in range(L):
        loss[q] *= scale
        acc[q] = acc[q] / nb if loss_code == LOSS_CROSS_ENTROPY else np.nan
    if l2 != 0.0:
        for p in range(P):
            if wmask[p]:
                for q in range(L):
                    w = theta[p, q]
                    loss[q] += 0.5 * l2 * w * w
                    if want_grad:
                        G[p, q] += l2 * w


@njit(cache=True)
def make_work(sizes, n_lanes):
    """Allocate the work arrays (A, D, scratch, int64 view of scratch row 0) for ``n_lanes`` lanes."""
    n_rows = 0
    width = 0
    for k in range(1, sizes.shape[0]):
        n_rows += sizes[k]
        width = max(width, sizes[k])
    A = np.empty((n_rows, n_lanes))
    D = np.empty((n_rows, n_lanes))
    scr = np.empty((6, width * n_lanes))
    return A, D, scr, scr[0].view(np.int64)
