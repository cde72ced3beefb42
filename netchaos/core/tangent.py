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
from numba import njit, prange, uint64

from .elementwise import LOSS_CROSS_ENTROPY, d2act, dact, fma
from .linalg import householder_qr
from .mlp import backward_tiled, forward_tiled, head_lanes, make_work, pad_tile


@njit(cache=True, error_model="numpy")
def hvp_lanes(theta, V, sizes, w_off, b_off, ro, act, loss_code, l2, wmask,
              X, yi, yf, lr, out, g, want_grad, tile):
    """``out = H V`` (``lr == 0``) or ``out = V - lr H V`` (``lr > 0``), and the gradient.

    Parameters
    ----------
    theta : ndarray of shape (n_params,)
    V, out : ndarray of shape (n_params, n_lanes)
        Directions as columns (C-contiguous); ``out`` receives the result.
    X : ndarray of shape (n_samples, n_in)
    yi : int64 ndarray of shape (n_samples,)
    yf : ndarray of shape (n_samples, n_out)
    lr : float
    g : ndarray of shape (n_params,)
        Receives the gradient of the loss when ``want_grad``.
    want_grad : bool
    tile : int
        Samples per pass of the base (one-lane) forward and backward passes.

    Notes
    -----
    The base pass is :func:`forward_tiled`, :func:`head_lanes` and
    :func:`backward_tiled` on a block of four copies of ``theta``, tile by
    tile (samples in tiles of a multiple of 4): ``g`` is bitwise the gradient
    of the trajectory kernels, so a tangent integration follows exactly the
    trajectory of :func:`netchaos.train`. The R-passes then run
    per sample over flat lane rows (direction ``q`` of row ``r`` at
    ``r * L + q``) with unsigned offsets, so the inner loops vectorise.
    """
    P = theta.shape[0]
    L = V.shape[1]
    nl = sizes.shape[0] - 1
    n_out = sizes[nl]
    N = X.shape[0]
    n_rows = ro[nl]
    scale = 1.0 / N if loss_code == LOSS_CROSS_ENTROPY else 1.0 / (N * n_out)
    v = V.reshape(P * L)
    o = out.reshape(P * L)
    # the base pass runs as a block of 4 identical lanes through the register
    # tiles (bitwise the one-lane pass, and faster); lane 0 is copied out
    tile = max(4, tile - tile % 4)
    A4, D4, scr, ti = make_work(sizes, 4, tile)
    A = np.empty(tile * n_rows)
    D = np.empty(tile * n_rows)
    tf = scr[0]
    sg = scr[1]
    s2 = scr[2]
    mx = scr[3]
    s1 = scr[4]
    lossacc = np.zeros(4)
    prod = np.ones(4)
    hits = np.zeros(4)
    tidx = np.empty(tile, dtype=np.int64)
    th4 = np.empty((P, 4))
    for p in range(P):
        for q in range(4):
            th4[p, q] = theta[p]
    th4f = th4.reshape(P * 4)
    G4 = np.zeros(P * 4)
    gb_ = np.zeros(P)
    pr = np.empty(n_out)
    RZ = np.empty(n_rows * L)
    RA = np.empty(n_rows * L)
    RD = np.empty(n_rows * L)
    RS = np.empty(L)
    for e in range(P * L):
        o[e] = 0.0
    oo_out = ro[nl - 1]
    m0 = 0
    while m0 < N:
        ns = min(tile, N - m0)
        for s in range(ns):
            tidx[s] = m0 + s
        pad_tile(tidx, ns, D4, (n_rows, oo_out, n_out), 4)
        forward_tiled(th4f, 4, sizes, w_off, b_off, ro, n_rows, act, X, tidx, ns, A4, tf, ti, s2)
        for s in range(ns):
            n = tidx[s]
            head_lanes(loss_code, A4, D4, (s * n_rows + oo_out) * 4, n_out, 4, yi[n], yf, n,
                       scale, lossacc, prod, hits, False, tf, ti, sg, mx, s1)
            for q in range(4):
                prod[q] = 1.0  # the loss itself is not needed
        # hidden deltas into D4, the gradient into G4
        backward_tiled(th4f, 4, sizes, w_off, b_off, ro, n_rows, act, X, tidx, ns, A4, D4, G4)
        for e in range(ns * n_rows):
            A[e] = A4[e * 4]
            D[e] = D4[e * 4]
        for s in range(ns):
            n = tidx[s]
            x = X[n]
            sb = s * n_rows
            # R forward: RZ_k = RA_{k-1} W_k + a_{k-1} V_W + V_b ; RA_k = f'(z_k) RZ_k
            for k in range(nl):
                nin = sizes[k]
                nout = sizes[k + 1]
                m = nout * L
                oo = uint64(ro[k] * L)
                vb = uint64(b_off[k] * L)
                for e in range(m):
                    u = uint64(e)
                    RZ[oo + u] = v[vb + u]
                # inputs two at a time: one store of RZ per pair
                i0 = nin % 2
                if k == 0:
                    if i0:
                        xi = x[0]
                        vw = uint64(w_off[k] * L)
                        for e in range(m):
                            u = uint64(e)
                            RZ[oo + u] = fma(xi, v[vw + u], RZ[oo + u])
                    for i in range(i0, nin, 2):
                        xa = x[i]
                        xb = x[i + 1]
                        va = uint64((w_off[k] + i * nout) * L)
                        vb2 = uint64(va + m)
                        for e in range(m):
                            u = uint64(e)
                            RZ[oo + u] = fma(xb, v[vb2 + u], fma(xa, v[va + u], RZ[oo + u]))
                else:
                    if i0:
                        ai = A[sb + ro[k - 1]]
                        ri = uint64(ro[k - 1] * L)
                        for j in range(nout):
                            w = w_off[k] + j
                            wij = theta[w]
                            vw = uint64(w * L)
                            rj = uint64((ro[k] + j) * L)
                            for q in range(L):
                                u = uint64(q)
                                RZ[rj + u] = fma(ai, v[vw + u], fma(wij, RA[ri + u], RZ[rj + u]))
                    for i in range(i0, nin, 2):
                        aa = A[sb + ro[k - 1] + i]
                        ab = A[sb + ro[k - 1] + i + 1]
                        ra = uint64((ro[k - 1] + i) * L)
                        rb = uint64(ra + L)
                        for j in range(nout):
                            wa = w_off[k] + i * nout + j
                            wb = wa + nout
                            wija = theta[wa]
                            wijb = theta[wb]
                            va = uint64(wa * L)
                            vb2 = uint64(wb * L)
                            rj = uint64((ro[k] + j) * L)
                            for q in range(L):
                                u = uint64(q)
                                z = fma(aa, v[va + u], fma(wija, RA[ra + u], RZ[rj + u]))
                                RZ[rj + u] = fma(ab, v[vb2 + u], fma(wijb, RA[rb + u], z))
                if k < nl - 1:
                    for j in range(nout):
                        da = dact(act, A[sb + ro[k] + j])
                        rj = uint64((ro[k] + j) * L)
                        for q in range(L):
                            u = uint64(q)
                            RA[rj + u] = da * RZ[rj + u]
            # R of the output deltas
            ob = uint64(oo_out * L)
            if loss_code == LOSS_CROSS_ENTROPY:
                # softmax of the output pre-activations (still in A)
                zm = A[sb + oo_out]
                for c in range(1, n_out):
                    zm = max(zm, A[sb + oo_out + c])
                ssum = 0.0
                for c in range(n_out):
                    pr[c] = math.exp(A[sb + oo_out + c] - zm)
                    ssum += pr[c]
                for q in range(L):
                    RS[q] = 0.0
                for c in range(n_out):
                    pr[c] /= ssum
                    cb = uint64((oo_out + c) * L)
                    for q in range(L):
                        u = uint64(q)
                        RS[q] = fma(pr[c], RZ[cb + u], RS[q])
                for c in range(n_out):
                    sp = scale * pr[c]
                    cb = uint64((oo_out + c) * L)
                    for q in range(L):
                        u = uint64(q)
                        RD[cb + u] = sp * (RZ[cb + u] - RS[q])
            else:
                for e in range(n_out * L):
                    u = uint64(e)
                    RD[ob + u] = (2.0 * scale) * RZ[ob + u]
            # R backward
            for k in range(nl - 1, -1, -1):
                nin = sizes[k]
                nout = sizes[k + 1]
                m = nout * L
                oo = uint64(ro[k] * L)
                gb = uint64(b_off[k] * L)
                for e in range(m):
                    u = uint64(e)
                    o[gb + u] += RD[oo + u]
                if k == 0:
                    for i in range(nin):
                        xi = x[i]
                        gw = uint64((w_off[k] + i * nout) * L)
                        for e in range(m):
                            u = uint64(e)
                            o[gw + u] = fma(xi, RD[oo + u], o[gw + u])
                else:
                    for i in range(nin):
                        ai = A[sb + ro[k - 1] + i]
                        ri = uint64((ro[k - 1] + i) * L)
                        si = 0.0
                        for q in range(L):
                            RS[q] = 0.0
                        for j in range(nout):
                            w = w_off[k] + i * nout + j
                            wij = theta[w]
                            dj = D[sb + ro[k] + j]
                            si = fma(wij, dj, si)
                            vw = uint64(w * L)
                            rj = uint64((ro[k] + j) * L)
                            for q in range(L):
                                u = uint64(q)
                                rdj = RD[rj + u]
                                o[vw + u] = fma(ai, rdj, fma(RA[ri + u], dj, o[vw + u]))
                                RS[q] = fma(v[vw + u], dj, fma(wij, rdj, RS[q]))
                        da = dact(act, ai)
                        c2 = d2act(act, ai, da) * si
                        for q in range(L):
                            u = uint64(q)
                            RD[ri + u] = fma(c2, RZ[ri + u], da * RS[q])
        m0 += ns
    for p in range(P):
        gb_[p] = G4[p * 4]
    if l2 != 0.0:
        for p in range(P):
            if wmask[p]:
                po = uint64(p * L)
                for q in range(L):
                    o[po + uint64(q)] = fma(l2, v[po + uint64(q)], o[po + uint64(q)])
                gb_[p] += l2 * theta[p]
    if want_grad:
        for p in range(P):
            g[p] = gb_[p]
    if lr != 0.0:
        for e in range(P * L):
            u = uint64(e)
            o[u] = v[u] - lr * o[u]


@njit(cache=True, error_model="numpy", parallel=True)
def hvp_blocks(theta, Vb, sizes, w_off, b_off, ro, act, loss_code, l2, wmask,
               X, yi, yf, lr, outb, g, want_grad, tile):
    """:func:`hvp_lanes` over blocks of directions ``Vb`` (n_blocks, n_params, n_lanes), in parallel.

    The gradient (``want_grad``) is taken from block 0.
    """
    for b in prange(Vb.shape[0]):
        hvp_lanes(theta, Vb[b], sizes, w_off, b_off, ro, act, loss_code, l2, wmask,
                  X, yi, yf, lr, outb[b], g, want_grad and b == 0, tile)


@njit(cache=True, error_model="numpy")
def tangent_qr_run(theta, Q, sizes, w_off, b_off, ro, act, loss_code, l2, wmask,
                   X, yi, yf, lr, n_steps, tile, n_blocks, absdiag):
    """Benettin iteration of the GD map with a QR step after every step, in place.

    Parameters
    ----------
    theta : ndarray of shape (n_params,)
        State, advanced in place by ``theta - lr * grad L(theta)``.
    Q : ndarray of shape (n_params, k), C-contiguous, ``4 < k <= n_params``
        Orthonormal tangent vectors, replaced in place by ``Q'`` of
        ``J(theta) Q = Q' R`` (with ``R_ii >= 0``) at every step.
    lr : float
    n_steps : int
    tile : int
        Samples per tile, as :func:`hvp_lanes`.
    n_blocks : int
        Blocks of directions computed in parallel by :func:`hvp_blocks` (each
        repeats the base pass; 2 on two or more threads pays from about 16
        directions on).
    absdiag : ndarray of shape (>= n_steps, k)
        Receives ``|R_ii|`` of every step.

    Returns
    -------
    done : int
        Steps completed. Fewer than ``n_steps`` when the next state, the
        tangent image or ``R`` is not finite; ``theta`` and ``Q`` then hold
        the last good values.

    Notes
    -----
    The same arithmetic as one :func:`hvp_lanes` call (directions padded
    with zero columns to a multiple of 4; :func:`hvp_blocks` over
    ``n_blocks`` parts of them), the update of ``theta`` and
    :func:`netchaos.core.linalg.householder_qr` per step, so the result is
    bitwise that of driving them one step at a time from Python, without the
    per-step interpreter overhead.
    """
    P = theta.shape[0]
    k = Q.shape[1]
    nb = max(1, min(n_blocks, k // 4))
    w = -(-k // nb)
    w += (-w) % 4
    V = np.zeros((nb, P, w))
    out = np.empty((nb, P, w))
    g = np.empty(P)
    nxt = np.empty(P)
    M = np.empty((P, k))
    on = P >= 0   # a value, not the constant True: no second compilation of hvp_blocks
    for t in range(n_steps):
        for b in range(nb):
            q0 = b * w
            for p in range(P):
                for c in range(min(w, k - q0)):
                    V[b, p, c] = Q[p, q0 + c]
        hvp_blocks(theta, V, sizes, w_off, b_off, ro, act, loss_code, l2, wmask,
                   X, yi, yf, lr, out, g, on, tile)
        bad = 0.0
        for p in range(P):
            nxt[p] = theta[p] - lr * g[p]
            bad += nxt[p] - nxt[p]
        if bad != 0.0:
            return t
        for b in range(nb):
            q0 = b * w
            for p in range(P):
                for c in range(min(w, k - q0)):
                    M[p, q0 + c] = out[b, p, c]
        for p in range(P):
            for q in range(k):
                bad += M[p, q] - M[p, q]
        if bad != 0.0:
            return t
        Qn, R = householder_qr(M)
        for i in range(k):
            bad += R[i, i] - R[i, i]
        if bad != 0.0:
            return t
        for i in range(k):
            d = R[i, i]
            absdiag[t, i] = abs(d)
            if d < 0.0:
                for p in range(P):
                    Qn[p, i] = -Qn[p, i]
        for p in range(P):
            theta[p] = nxt[p]
            for q in range(k):
                Q[p, q] = Qn[p, q]
    return n_steps
