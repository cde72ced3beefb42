"""Forward pass, loss and backpropagation of an MLP over lanes of trajectories.

Layout (see :class:`netchaos.MLP`): the flat parameter vector holds, per layer
``k``, the weight matrix ``W_k`` of shape ``(sizes[k], sizes[k+1])`` row-major
from ``w_off[k]`` and the bias from ``b_off[k]``. The kernels here take a
*block* ``theta`` of shape ``(n_params, n_lanes)``: column ``q`` is the
parameter vector of lane (trajectory) ``q``. The data ``x`` are shared by all
lanes, so every multiply-add is a scalar times a contiguous lane row, and no
operation mixes lanes: each lane follows exactly the arithmetic of a single
network.

Inside the kernels every block is a flat array: parameter ``p`` of lane ``q``
at ``p * L + q``. Activations of layer ``k`` (its outputs) occupy unit rows
``ro[k]:ro[k]+sizes[k+1]`` of ``n_rows = sum(sizes[1:])`` rows per sample, in
a flat work array ``A`` holding a tile of samples; the deltas (derivatives of
the loss with respect to pre-activations) use the same layout in ``D``.
Scratch ``scr`` of shape (6, max_width * n_lanes), see :func:`make_work`:
row 0 (``tf``, with ``ti`` its int64 view) and rows 1-2 serve the
exponentials of whole layers at once, rows 3-5 hold per-lane values.

Blocks whose lane count is a multiple of 4 (all blocks that the public API
packs) take the register-tiled passes :func:`forward_tiled` and
:func:`backward_tiled` (see :mod:`netchaos.core.dense`); other blocks, such as
the one-lane base pass of the Hessian-vector product, take the plain loops
:func:`forward_lanes` and :func:`backward_lanes`. Both give the same bits.
"""

import math

import numpy as np
from numba import njit, uint64

from .dense import (
    bias_grad,
    first_forward,
    first_grad,
    hidden_delta,
    hidden_forward,
    hidden_grad,
)
from .elementwise import (
    ACT_LINEAR,
    LOSS_CROSS_ENTROPY,
    activate_seg,
    dact,
    exp_seg,
    fma,
)

#: samples per tile in :func:`loss_grad_lanes`
TILE = 8


@njit(cache=True, error_model="numpy")
def forward_lanes(th, L, sizes, w_off, b_off, ro, n_rows, act, X, idx, ns, A, tf, ti, s2):
    """Forward pass of a tile of ``ns`` samples for every lane.

    Parameters
    ----------
    th : ndarray of shape (n_params * n_lanes,)
        Flat block: parameter ``p`` of lane ``q`` at ``p * L + q``.
    L : int
        Number of lanes.
    X : ndarray of shape (n_samples, n_in)
    idx : int64 ndarray of shape (>= ns,)
        Rows of ``X`` in the tile.
    A : ndarray of shape (>= ns * n_rows * n_lanes,)
        Receives the activations of sample ``s``, unit row ``r`` at
        ``(s * n_rows + r) * L``; the output rows hold pre-activations.
    tf, ti, s2 : scratch for :func:`activate_seg`.

    Notes
    -----
    Pre-activations accumulate as ``b + sum_i a_i W_i`` in the order of ``i``
    with fused multiply-adds. Each weight row is applied to all samples of the
    tile before the next row is read; the arithmetic of a sample is the same
    as without tiling. Flat offsets rather than array views keep the inner
    loops free of bookkeeping; offsets are unsigned, which spares every access
    the negative-index check that would otherwise stop vectorisation.
    """
    nl = sizes.shape[0] - 1
    for k in range(nl):
        nin = sizes[k]
        nout = sizes[k + 1]
        m = nout * L
        bo = uint64(b_off[k] * L)
        for s in range(ns):
            ao = uint64((s * n_rows + ro[k]) * L)
            for e in range(m):
                u = uint64(e)
                A[ao + u] = th[bo + u]
        if k == 0:
            for i in range(nin):
                wo = uint64((w_off[k] + i * nout) * L)
                for s in range(ns):
                    xi = X[idx[s], i]
                    ao = uint64((s * n_rows + ro[k]) * L)
                    for e in range(m):
                        u = uint64(e)
                        A[ao + u] = fma(xi, th[wo + u], A[ao + u])
        else:
            for i in range(nin):
                for s in range(ns):
                    ai = uint64((s * n_rows + ro[k - 1] + i) * L)
                    for j in range(nout):
                        wo = uint64((w_off[k] + i * nout + j) * L)
                        aj = uint64((s * n_rows + ro[k] + j) * L)
                        for q in range(L):
                            u = uint64(q)
                            A[aj + u] = fma(A[ai + u], th[wo + u], A[aj + u])
        if k < nl - 1 and act != ACT_LINEAR:
            for s in range(ns):
                activate_seg(act, A, (s * n_rows + ro[k]) * L, m, tf, ti, s2)


@njit(cache=True, error_model="numpy")
def head_lanes(loss_code, A, D, base, n_out, L, y_label, yf, n, scale, lossacc, prodacc,
               correct, want_acc, tf, ti, sh, mx, s1):
    """Loss of one sample and its output deltas, output rows at flat offset ``base``.

    Cross-entropy: adds ``max - z_y`` to ``lossacc`` and multiplies the sum of
    shifted exponentials into ``prodacc`` (the logarithm is taken once per
    flush by the caller, as ``sum log s = log prod s``); deltas are
    ``scale * (softmax - onehot)``. MSE: adds ``sum (z - y)^2`` to ``lossacc``;
    deltas ``2 * scale * (z - y)``. ``correct`` counts argmax hits (first
    maximum wins, as ``numpy.argmax``).
    """
    if loss_code == LOSS_CROSS_ENTROPY:
        yb = uint64(base + y_label * L)
        if want_acc:
            for q in range(L):
                s1[q] = 1.0
            for k in range(n_out):
                if k == y_label:
                    continue
                kb = uint64(base + k * L)
                for q in range(L):
                    u = uint64(q)
                    zy = A[yb + u]
                    zk = A[kb + u]
                    hit = zy > zk if k < y_label else zy >= zk
                    s1[q] = s1[q] if hit else 0.0
            for q in range(L):
                correct[q] += s1[q]
        b0 = uint64(base)
        for q in range(L):
            mx[q] = A[b0 + uint64(q)]
        for k in range(1, n_out):
            kb = uint64(base + k * L)
            for q in range(L):
                v = A[kb + uint64(q)]
                mx[q] = v if v > mx[q] else mx[q]
        for k in range(n_out):
            kb = uint64(base + k * L)
            for q in range(L):
                sh[k * L + q] = A[kb + uint64(q)] - mx[q]
        exp_seg(sh, 0, D, base, n_out * L, tf, ti)
        for q in range(L):
            s1[q] = 0.0
        for k in range(n_out):
            kb = uint64(base + k * L)
            for q in range(L):
                s1[q] += D[kb + uint64(q)]
        for q in range(L):
            lossacc[q] += mx[q] - A[yb + uint64(q)]
            prodacc[q] *= s1[q]
            s1[q] = scale / s1[q]
        for k in range(n_out):
            kb = uint64(base + k * L)
            for q in range(L):
                u = uint64(q)
                D[kb + u] *= s1[q]
        for q in range(L):
            D[yb + uint64(q)] -= scale
    else:
        for k in range(n_out):
            yk = yf[n, k]
            kb = uint64(base + k * L)
            for q in range(L):
                u = uint64(q)
                r = A[kb + u] - yk
                lossacc[q] = fma(r, r, lossacc[q])
                D[kb + u] = (2.0 * scale) * r


@njit(cache=True, error_model="numpy")
def backward_lanes(th, L, sizes, w_off, b_off, ro, n_rows, act, X, idx, ns, A, D, G):
    """Accumulate the gradient of a tile of samples into the flat block ``G``.

    ``D`` holds the output deltas of every sample of the tile on entry (same
    layout as ``A``); the hidden deltas are backpropagated into it,
    ``delta_i = f'(a_i) sum_j W_ij delta_j``. Contributions to each gradient
    entry are added in sample order, as an untiled loop over samples would.
    """
    nl = sizes.shape[0] - 1
    for k in range(nl - 1, -1, -1):
        nin = sizes[k]
        nout = sizes[k + 1]
        m = nout * L
        gb = uint64(b_off[k] * L)
        for s in range(ns):
            do = uint64((s * n_rows + ro[k]) * L)
            for e in range(m):
                u = uint64(e)
                G[gb + u] += D[do + u]
        if k == 0:
            for i in range(nin):
                gw = uint64((w_off[k] + i * nout) * L)
                for s in range(ns):
                    xi = X[idx[s], i]
                    do = uint64((s * n_rows + ro[k]) * L)
                    for e in range(m):
                        u = uint64(e)
                        G[gw + u] = fma(xi, D[do + u], G[gw + u])
        else:
            for i in range(nin):
                for s in range(ns):
                    ai = uint64((s * n_rows + ro[k - 1] + i) * L)
                    do = uint64((s * n_rows + ro[k]) * L)
                    w = uint64((w_off[k] + i * nout) * L)
                    for q in range(L):
                        u = uint64(q)
                        d = D[do + u]
                        G[w + u] = fma(A[ai + u], d, G[w + u])
                        D[ai + u] = th[w + u] * d
                    for j in range(1, nout):
                        w = uint64((w_off[k] + i * nout + j) * L)
                        dj = uint64((s * n_rows + ro[k] + j) * L)
                        for q in range(L):
                            u = uint64(q)
                            d = D[dj + u]
                            G[w + u] = fma(A[ai + u], d, G[w + u])
                            D[ai + u] = fma(th[w + u], d, D[ai + u])
                    for q in range(L):
                        u = uint64(q)
                        D[ai + u] *= dact(act, A[ai + u])


@njit(cache=True, error_model="numpy")
def forward_tiled(th, L, sizes, w_off, b_off, ro, n_rows, act, X, idx, ns, A, tf, ti, s2):
    """:func:`forward_lanes` with register tiles, for ``L`` a multiple of 4.

    Computes ``ns`` rounded up to a multiple of 4 samples: ``idx`` must hold
    that many rows (the caller repeats a sample) and ``A`` room for them.
    Bitwise the same activations as :func:`forward_lanes`.
    """
    nl = sizes.shape[0] - 1
    ns4 = (ns + 3) // 4 * 4
    rs = n_rows * L
    for k in range(nl):
        nin = sizes[k]
        nout = sizes[k + 1]
        m = nout * L
        if k == 0:
            first_forward(th, b_off[0] * L, w_off[0] * L, m, nin, X, idx, ns4, A, rs, ro[0] * L)
        else:
            hidden_forward(th, b_off[k] * L, w_off[k] * L, L, nin, nout, A, ns4, rs,
                           ro[k - 1] * L, ro[k] * L)
        if k < nl - 1 and act != ACT_LINEAR:
            for s in range(ns4):
                activate_seg(act, A, s * rs + ro[k] * L, m, tf, ti, s2)


@njit(cache=True, error_model="numpy")
def backward_tiled(th, L, sizes, w_off, b_off, ro, n_rows, act, X, idx, ns, A, D, G):
    """:func:`backward_lanes` with register tiles, for ``L`` a multiple of 4.

    The output deltas of the padding samples ``ns .. ns4-1`` (``ns`` rounded up
    to a multiple of 4) must be zero on entry: their deltas are propagated
    but never enter ``G``. Bitwise the same gradient as :func:`backward_lanes`.
    """
    nl = sizes.shape[0] - 1
    ns4 = (ns + 3) // 4 * 4
    rs = n_rows * L
    for k in range(nl - 1, -1, -1):
        nin = sizes[k]
        nout = sizes[k + 1]
        m = nout * L
        bias_grad(G, b_off[k] * L, m, D, ns, rs, ro[k] * L)
        if k == 0:
            first_grad(G, w_off[0] * L, m, nin, X, idx, ns, D, rs, ro[0] * L)
        else:
            ai = ro[k - 1] * L
            hidden_grad(G, w_off[k] * L, L, nin, nout, A, D, ns, rs, ai, ro[k] * L)
            hidden_delta(th, w_off[k] * L, L, nin, nout, D, ns4, rs, ai, ro[k] * L)
            n = nin * L
            for s in range(ns4):
                o = uint64(s * rs + ai)
                for e in range(n):
                    u = o + uint64(e)
                    D[u] *= dact(act, A[u])


@njit(cache=True, error_model="numpy")
def pad_tile(tidx, ns, D, rows, L):
    """Round a tile of ``ns`` samples up to a multiple of 4 for the register tiles.

    The padding samples repeat ``tidx[ns-1]`` and get zero output deltas, so
    their backpropagated deltas are finite and never enter a gradient.
    ``rows = (n_rows, first output row, n_out)``.
    """
    n_rows, out_row, n_out = rows
    for s in range(ns, (ns + 3) // 4 * 4):
        tidx[s] = tidx[ns - 1]
        o = (s * n_rows + out_row) * L
        for e in range(n_out * L):
            D[o + e] = 0.0


@njit(cache=True, error_model="numpy")
def flush_every(n_out):
    """How many cross-entropy samples can be multiplied (each factor in [1, n_out]) before a log."""
    c = max(n_out, 2)
    return max(1, int(300.0 / math.log10(c)))  # c**n <= 1e300


@njit(cache=True, error_model="numpy")
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
    A, D, scr, ti : work arrays from :func:`make_work`.
    """
    P = theta.shape[0]
    L = theta.shape[1]
    nl = sizes.shape[0] - 1
    n_out = sizes[nl]
    n_rows = ro[nl]
    full = idx.shape[0] == 0
    nb = X.shape[0] if full else idx.shape[0]
    if loss_code == LOSS_CROSS_ENTROPY:
        scale = 1.0 / nb
    else:
        scale = 1.0 / (nb * n_out)
    th = theta.reshape(P * L)
    g = G.reshape(G.shape[0] * G.shape[1])
    tf = scr[0]
    sg = scr[1]
    s2 = scr[2]
    mx = scr[3]
    s1 = scr[4]
    prod = scr[5]
    if want_grad:
        for e in range(P * L):
            g[e] = 0.0
    for q in range(L):
        loss[q] = 0.0
        acc[q] = 0.0
        prod[q] = 1.0
    fl = flush_every(n_out)
    tile = A.shape[0] // (n_rows * L)
    tidx = np.empty(tile, dtype=np.int64)
    tiled = L % 4 == 0 and tile >= 4
    if tiled:
        tile -= tile % 4
    m0 = 0
    while m0 < nb:
        ns = min(tile, nb - m0)
        for s in range(ns):
            tidx[s] = m0 + s if full else idx[m0 + s]
        if tiled:
            pad_tile(tidx, ns, D, (n_rows, ro[nl - 1], n_out), L)
            forward_tiled(th, L, sizes, w_off, b_off, ro, n_rows, act, X, tidx, ns, A, tf, ti, s2)
        else:
            forward_lanes(th, L, sizes, w_off, b_off, ro, n_rows, act, X, tidx, ns, A, tf, ti, s2)
        for s in range(ns):
            n = tidx[s]
            head_lanes(loss_code, A, D, (s * n_rows + ro[nl - 1]) * L, n_out, L, yi[n], yf, n,
                       scale, loss, prod, acc, want_acc, tf, ti, sg, mx, s1)
            m = m0 + s
            if loss_code == LOSS_CROSS_ENTROPY and ((m + 1) % fl == 0 or m == nb - 1):
                for q in range(L):
                    loss[q] += math.log(prod[q])
                    prod[q] = 1.0
        if want_grad and tiled:
            backward_tiled(th, L, sizes, w_off, b_off, ro, n_rows, act, X, tidx, ns, A, D, g)
        elif want_grad:
            backward_lanes(th, L, sizes, w_off, b_off, ro, n_rows, act, X, tidx, ns, A, D, g)
        m0 += ns
    for q in range(L):
        loss[q] *= scale
        acc[q] = acc[q] / nb if loss_code == LOSS_CROSS_ENTROPY else np.nan
    if l2 != 0.0:
        for p in range(P):
            if wmask[p]:
                po = uint64(p * L)
                for q in range(L):
                    w = th[po + uint64(q)]
                    loss[q] += 0.5 * l2 * w * w
                    if want_grad:
                        g[po + uint64(q)] += l2 * w


@njit(cache=True, error_model="numpy")
def make_work(sizes, n_lanes, tile):
    """Allocate the work arrays (A, D, scratch, int64 view of scratch row 0).

    ``A`` and ``D`` are flat, of length ``tile * n_rows * n_lanes``; the scratch
    has shape (6, max_width * n_lanes).
    """
    n_rows = 0
    width = 0
    for k in range(1, sizes.shape[0]):
        n_rows += sizes[k]
        width = max(width, sizes[k])
    A = np.empty(tile * n_rows * n_lanes)
    D = np.empty(tile * n_rows * n_lanes)
    scr = np.empty((6, width * n_lanes))
    return A, D, scr, scr[0].view(np.int64)
