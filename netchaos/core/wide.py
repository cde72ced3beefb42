"""Loss and gradient of one wide network with matrix products, parallel over fixed sample groups.

The lane kernels (:mod:`netchaos.core.mlp`) hold many trajectories side by side and
win where the networks are small. When the layers are wide (MNIST-sized: 784 inputs,
tens to hundreds of hidden units) a trajectory's pass over the data is a sequence of
matrix products, and the machine's GEMM (the BLAS that NumPy's ``dot`` calls inside
Numba kernels) is faster than any lane loop. These kernels process one parameter
vector at a time, in its own contiguous layout (``W_k`` row-major ``(sizes[k],
sizes[k+1])`` from ``w_off[k]``, as :class:`netchaos.MLP` stores it):

* samples are cut into chunks of :data:`CHUNK` rows; per chunk and layer the forward
  pass is ``Z = A_prev @ W`` plus the bias, the backward pass
  ``G_W += A_prev^T @ D``, ``G_b += sum_s D_s`` and ``D_prev = (D @ W^T) * f'(A_prev)``;
* the chunks are split into :data:`GROUPS` contiguous groups of samples whose partial
  losses and gradients are computed in parallel and then added in group order.

The split depends only on the number of samples: neither the number of threads nor
the other trajectories of an ensemble change a trajectory's bits. The callers run
these kernels with BLAS limited to one thread (a product is then always summed in the
same order) and never from inside another parallel loop.

Every cached function that calls a parallel kernel is compiled ``parallel=True`` itself
(it has no parallel loop of its own): a serial cached caller of a parallel cached
function can crash when it is loaded back from Numba's cache.
"""

import math

import numpy as np
from numba import njit, prange

from .elementwise import ACT_LINEAR, LOSS_CROSS_ENTROPY, activate_seg, d2act, dact, exp_seg
from .blas import dgemm
from .mlp import flush_every

#: samples per matrix product
CHUNK = 256
#: sample groups computed in parallel and added in order (fixed: bits never depend on threads)
GROUPS = 4


@njit(cache=True, error_model="numpy")
def group_rows(nb, s):
    """Sample range ``[m0, m1)`` of group ``s``: whole chunks, groups as even as possible."""
    n_chunks = -(-nb // CHUNK)
    c0 = (n_chunks * s) // GROUPS
    c1 = (n_chunks * (s + 1)) // GROUPS
    return min(c0 * CHUNK, nb), min(c1 * CHUNK, nb)


@njit(cache=True, error_model="numpy")
def _head(loss_code, Z, D, ns, n_out, yi, yf, rows, scale, want_acc, stats, sh, tf, ti, fl):
    """Loss terms of ``ns`` samples (logits ``Z`` flat (ns, n_out)) and their output deltas ``D``.

    ``stats`` = (loss sum, running product of softmax denominators, correct count,
    samples since the last logarithm). Cross-entropy multiplies the denominators
    and takes one logarithm every ``fl`` samples (as the lane kernels do).
    """
    if loss_code == LOSS_CROSS_ENTROPY:
        for s in range(ns):
            o = s * n_out
            mx = Z[o]
            for k in range(1, n_out):
                v = Z[o + k]
                mx = v if v > mx else mx
            for k in range(n_out):
                sh[o + k] = Z[o + k] - mx
            y = yi[rows[s]]
            stats[0] += mx - Z[o + y]
            if want_acc:
                hit = 1.0
                zy = Z[o + y]
                for k in range(n_out):
                    if k < y and not zy > Z[o + k]:
                        hit = 0.0
                    elif k > y and not zy >= Z[o + k]:
                        hit = 0.0
                stats[2] += hit
        exp_seg(sh, 0, D, 0, ns * n_out, tf, ti)
        for s in range(ns):
            o = s * n_out
            den = 0.0
            for k in range(n_out):
                den += D[o + k]
            stats[1] *= den
            stats[3] += 1.0
            if stats[3] >= fl:
                stats[0] += math.log(stats[1])
                stats[1] = 1.0
                stats[3] = 0.0
            f = scale / den
            for k in range(n_out):
                D[o + k] *= f
            D[o + yi[rows[s]]] -= scale
    else:
        for s in range(ns):
            o = s * n_out
            n = rows[s]
            for k in range(n_out):
                r = Z[o + k] - yf[n, k]
                stats[0] += r * r
                D[o + k] = (2.0 * scale) * r


@njit(cache=True, error_model="numpy")
def _largest(sizes):
    """(widest layer including the input, most weights in one layer)."""
    wmax = sizes[0]
    pmax = 0
    for k in range(sizes.shape[0] - 1):
        wmax = max(wmax, sizes[k + 1])
        pmax = max(pmax, sizes[k] * sizes[k + 1])
    return wmax, pmax


@njit(cache=True, error_model="numpy")
def _load_chunk(X, idx, full, c0, ns, rows, Xc):
    """Rows ``c0 .. c0+ns-1`` of the batch: the sample indices and the matrix of inputs."""
    for s in range(ns):
        rows[s] = c0 + s if full else idx[c0 + s]
    if full:
        return X[c0:c0 + ns]
    for s in range(ns):
        for i in range(X.shape[1]):
            Xc[s, i] = X[rows[s], i]
    return Xc[:ns]


@njit(cache=True, error_model="numpy")
def _forward(th, sizes, w_off, b_off, ro, act, xc, ns, A, tf, ti, s2, k0):
    """Activations of a chunk: layer ``k`` as (ns, sizes[k+1]) from ``A[CHUNK * ro[k]]``,
    for layers ``k0`` on (those before are in ``A`` already)."""
    nl = sizes.shape[0] - 1
    p0 = CHUNK * ro[k0 - 1] if k0 > 0 else 0
    prev = xc if k0 == 0 else A[p0:p0 + ns * sizes[k0]].reshape(ns, sizes[k0])
    for k in range(k0, nl):
        nin = sizes[k]
        nout = sizes[k + 1]
        W = th[w_off[k]:w_off[k] + nin * nout].reshape(nin, nout)
        ao = CHUNK * ro[k]
        Z = A[ao:ao + ns * nout].reshape(ns, nout)
        np.dot(prev, W, Z)
        bo = b_off[k]
        for s in range(ns):
            for j in range(nout):
                Z[s, j] += th[bo + j]
        if k < nl - 1 and act != ACT_LINEAR:
            activate_seg(act, A, ao, ns * nout, tf, ti, s2)
        prev = Z


@njit(cache=True, error_model="numpy")
def _backward(th, sizes, w_off, b_off, ro, act, xc, ns, A, D, WD, T, g, k1):
    """Add the chunk's gradient of layers ``k1`` on to ``g``; ``D`` holds the output deltas
    on entry and the deltas of every layer on exit, ``WD`` the back-propagated
    ``D_k W_k^T`` before the activation's derivative (when it has room)."""
    nl = sizes.shape[0] - 1
    keep = WD.shape[0] > 0
    for k in range(nl - 1, k1 - 1, -1):
        nin = sizes[k]
        nout = sizes[k + 1]
        do = CHUNK * ro[k]
        Dk = D[do:do + ns * nout].reshape(ns, nout)
        bo = b_off[k]
        for s in range(ns):
            for j in range(nout):
                g[bo + j] += Dk[s, j]
        po = CHUNK * ro[k - 1] if k > 0 else 0
        pa = xc if k == 0 else A[po:po + ns * nin].reshape(ns, nin)
        Tk = T[:nin * nout].reshape(nin, nout)
        np.dot(pa.T, Dk, Tk)
        wo = w_off[k]
        for e in range(nin * nout):
            g[wo + e] += T[e]
        if k > 0:
            W = th[w_off[k]:w_off[k] + nin * nout].reshape(nin, nout)
            Dp = D[po:po + ns * nin].reshape(ns, nin)
            np.dot(Dk, W.T, Dp)
            if keep:
                for e in range(ns * nin):
                    WD[po + e] = D[po + e]
            for e in range(ns * nin):
                D[po + e] *= dact(act, A[po + e])


@njit(cache=True, error_model="numpy")
def _base_chunk(th, sizes, w_off, b_off, ro, act, loss_code, X, yi, yf, idx, full, c0, ns,
                rows, Xc, A, D, scale, want_acc, stats, tf, ti, s2):
    """Load a chunk, run the forward pass and the loss head; returns the chunk's inputs."""
    nl = sizes.shape[0] - 1
    n_out = sizes[nl]
    oo = CHUNK * ro[nl - 1]
    xc = _load_chunk(X, idx, full, c0, ns, rows, Xc)
    _forward(th, sizes, w_off, b_off, ro, act, xc, ns, A, tf, ti, s2, 0)
    _head(loss_code, A[oo:oo + ns * n_out], D[oo:oo + ns * n_out], ns, n_out, yi, yf, rows,
          scale, want_acc, stats, s2, tf, ti, flush_every(n_out))
    return xc


@njit(cache=True, error_model="numpy")
def group_pass(th, sizes, w_off, b_off, ro, act, loss_code, X, yi, yf, idx, m0, m1, scale,
               want_grad, want_acc, g, stats):
    """Add the loss terms and the gradient of samples ``m0 .. m1-1`` to ``stats`` and ``g``.

    Parameters
    ----------
    th : ndarray of shape (n_params,)
    X : ndarray of shape (n_samples, n_in), C-contiguous
    idx : int64 ndarray of shape (n_batch,)
        Rows of ``X`` in batch order; empty for all samples in order.
    g : ndarray of shape (n_params,)
        Gradient accumulator (left alone unless ``want_grad``).
    stats : ndarray of shape (4,)
        See :func:`_head`; start from (0, 1, 0, 0).
    """
    nl = sizes.shape[0] - 1
    n_rows = ro[nl]
    wmax, pmax = _largest(sizes)
    A = np.empty(CHUNK * n_rows)
    D = np.empty(CHUNK * n_rows)
    tf = np.empty(CHUNK * wmax)
    ti = tf.view(np.int64)
    s2 = np.empty(CHUNK * wmax)
    T = np.empty(pmax if want_grad else 0)
    full = idx.shape[0] == 0
    Xc = np.empty((0 if full else CHUNK, sizes[0]))
    rows = np.empty(CHUNK, dtype=np.int64)
    no_wd = np.empty(0)
    c0 = m0
    while c0 < m1:
        ns = min(CHUNK, m1 - c0)
        xc = _base_chunk(th, sizes, w_off, b_off, ro, act, loss_code, X, yi, yf, idx, full, c0,
                         ns, rows, Xc, A, D, scale, want_acc, stats, tf, ti, s2)
        if want_grad:
            _backward(th, sizes, w_off, b_off, ro, act, xc, ns, A, D, no_wd, T, g, 0)
        c0 += ns
    _flush(stats)


@njit(cache=True, error_model="numpy")
def _flush(stats):
    """Take the pending logarithm of the softmax denominators."""
    if stats[3] > 0.0:
        stats[0] += math.log(stats[1])
        stats[1] = 1.0
        stats[3] = 0.0


@njit(cache=True, error_model="numpy")
def _combine(th, parts, stats, l2, wmask, scale, want_grad, g):
    """Add the groups' partial gradients in order, then the L2 term; returns (loss, correct)."""
    P = th.shape[0]
    loss = 0.0
    correct = 0.0
    for s in range(GROUPS):
        loss += stats[s, 0]
        correct += stats[s, 2]
    loss *= scale
    if want_grad:
        for p in range(P):
            v = parts[0, p]
            for s in range(1, GROUPS):
                v += parts[s, p]
            g[p] = v
    if l2 != 0.0:
        for p in range(P):
            if wmask[p]:
                w = th[p]
                loss += 0.5 * l2 * w * w
                if want_grad:
                    g[p] += l2 * w
    return loss, correct


@njit(cache=True, error_model="numpy", parallel=True)
def loss_grad_wide(th, sizes, w_off, b_off, ro, act, loss_code, l2, wmask,
                   X, yi, yf, idx, want_grad, want_acc, g, res):
    """Loss, accuracy and (optionally) gradient of one parameter vector.

    Parameters
    ----------
    th : ndarray of shape (n_params,)
    X, yi, yf, idx : as :func:`netchaos.core.mlp.loss_grad_lanes`
    g : ndarray of shape (n_params,)
        Overwritten with the gradient when ``want_grad``.
    res : ndarray of shape (2,)
        Receives the loss and the accuracy (NaN for MSE).

    Notes
    -----
    Each of the :data:`GROUPS` sample groups (see :func:`group_rows`) accumulates its
    own partial loss and gradient; they are added in group order, then the L2
    penalty. The cross-entropy of a sample is ``max z - z_y + log sum exp(z - max z)``.
    """
    P = th.shape[0]
    nl = sizes.shape[0] - 1
    n_out = sizes[nl]
    full = idx.shape[0] == 0
    nb = X.shape[0] if full else idx.shape[0]
    scale = 1.0 / nb if loss_code == LOSS_CROSS_ENTROPY else 1.0 / (nb * n_out)
    parts = np.zeros((GROUPS, P if want_grad else 0))
    stats = np.zeros((GROUPS, 4))
    for s in prange(GROUPS):
        stats[s, 1] = 1.0
        m0, m1 = group_rows(nb, s)
        group_pass(th, sizes, w_off, b_off, ro, act, loss_code, X, yi, yf, idx, m0, m1, scale,
                   want_grad, want_acc, parts[s], stats[s])
    loss, correct = _combine(th, parts, stats, l2, wmask, scale, want_grad, g)
    res[0] = loss
    res[1] = correct / nb if loss_code == LOSS_CROSS_ENTROPY else np.nan


#: lanes whose first layers share one matrix product (X @ [W_1 ... W_SUB]); bounds the
#: partial gradients of a call to GROUPS * SUB parameter vectors
SUB = 8

#: bytes of first-layer products of a sub-block computed at once (whole chunks, at least one)
FORWARD_BYTES = 8 << 20

#: bytes of one sub-block's lane states (``Ls * n_params`` floats) above which a sub-block
#: holds fewer than :data:`SUB` lanes: its first layers, every group's partial gradients
#: and the first-layer gradients of every running group grow alike, about nine copies in all
SUB_BYTES = 8 << 20


@njit(cache=True, error_model="numpy")
def sub_lanes(n_params, n_lanes):
    """Lanes of the sub-blocks of :func:`loss_grad_columns` for a block of ``n_lanes``: at
    most :data:`SUB`, and within :data:`SUB_BYTES` of states (one lane at least): as few
    sub-blocks as that allows, of as nearly equal size as sub-blocks of one size but the
    last can be. A lane's bits do not depend on the lanes of its sub-block, so this sets
    memory and speed only."""
    cap = max(1, min(SUB, SUB_BYTES // (8 * n_params)))
    if n_lanes <= cap:
        return max(1, n_lanes)
    if cap == SUB:             # the sub-blocks of SUB lanes, the last one the rest
        return SUB
    n_sub = -(-n_lanes // cap)
    return -(-n_lanes // n_sub)


@njit(cache=True, error_model="numpy")
def forward_rows(h):
    """Samples whose first products (``X_c @ W1``, ``h`` units per lane) are one matrix
    product: whole chunks, at most four, within :data:`FORWARD_BYTES` for :data:`SUB` lanes.
    A row of a product does not depend on the rows computed with it, so this sets speed and
    memory only."""
    return _product_rows(h * SUB)


#: multiply-adds (rows x columns x depth) of a matrix product up to which OpenBLAS may take
#: its small-matrix path (x86-64 AVX-512 builds: 100 ** 3), whose sums differ in rounding
#: from those of its blocked path; products that could take it are computed in the shape
#: a trajectory alone gives them, so that no trajectory's bits depend on its neighbours
SMALL_PRODUCT = 100 ** 3


#: columns of OpenBLAS's register tile along a product's columns (x86-64 AVX-512: 16): a
#: column's sum is the same whatever the columns and rows beside it only where every lane's
#: block of columns starts at the same place in a tile as a trajectory's own product does
LANE_ALIGN = 16


@njit(cache=True, error_model="numpy")
def _weight_products(m, k, A, a_off, B, b_off, ldb, C, ldc, c0, c1, w):
    """``C[:, c0:c1] += A_c^T @ B[:, c0:c1]`` (row-major blocks at element offsets, as
    :func:`netchaos.core.blas.dgemm`; ``A_c`` is the (k, m) block of ``A`` at ``a_off``)
    for columns that are blocks of ``w`` (lanes, or a network's weights and its
    directions): one product when ``w`` is a multiple of :data:`LANE_ALIGN`, else one per
    block, so that a block's sums are those of the block alone."""
    if w % LANE_ALIGN == 0:
        dgemm(True, False, m, c1 - c0, k, 1.0, A, a_off, m, B, b_off + c0, ldb, 1.0, C, c0,
              ldc)
    else:
        for c in range(c0, c1, w):
            dgemm(True, False, m, w, k, 1.0, A, a_off, m, B, b_off + c, ldb, 1.0, C, c, ldc)


@njit(cache=True, error_model="numpy")
def _whole_product_rows(nf, h, n_in):
    """Rows of the first ``nf`` samples of a first product (``h`` units per lane, ``n_in``
    inputs) that may be one product for all the lanes and chunks: none unless ``h`` is a
    multiple of :data:`LANE_ALIGN` (OpenBLAS's sums of such products depend on the rows
    and columns beside them), else whole chunks whose one-lane product is above
    :data:`SMALL_PRODUCT` (and so is any product of them), but a last short chunk small
    enough for the small-matrix path. The rest goes chunk by chunk and lane by lane, in
    the shape of a trajectory's own products."""
    if h % LANE_ALIGN != 0 or CHUNK * h * n_in <= SMALL_PRODUCT:
        return 0
    tail = nf % CHUNK
    if tail > 0 and tail * h * n_in <= SMALL_PRODUCT:
        return nf - tail
    return nf


@njit(cache=True, error_model="numpy")
def _product_rows(cols):
    """Samples of a first product with ``cols`` columns: whole chunks, at most four, within
    :data:`FORWARD_BYTES`."""
    return CHUNK * max(1, min(4, FORWARD_BYTES // (CHUNK * cols * 8)))


@njit(cache=True, error_model="numpy")
def _pad(n):
    """``n`` rounded up to whole 64-byte lines of float64, so that every array carved from a
    work array starts on a cache line of its own."""
    return -(-n // 8) * 8


@njit(cache=True, error_model="numpy")
def _group_floats(sizes, Ls, batched):
    """Length of the work of one sample group of :func:`block_group_pass` for ``Ls`` lanes
    (``batched``: room for a mini-batch's gathered inputs too)."""
    nl = sizes.shape[0] - 1
    n_in = sizes[0]
    h = sizes[1]
    n_rows = 0
    for k in range(1, nl + 1):
        n_rows += sizes[k]
    wmax, pmax = _largest(sizes)
    FR = forward_rows(h)
    n = 2 * _pad(Ls * CHUNK * n_rows) + 2 * _pad(CHUNK * wmax) + _pad(pmax)
    n += _pad(FR * h * Ls) + _pad(n_in * h * Ls)
    return n + (_pad(FR * n_in) if batched else 0)


@njit(cache=True, error_model="numpy")
def _g_in_groups(sizes, P, Ls):
    """Whether the lanes' gradients fit in the room of one group's work (which is free
    once the groups are done)."""
    unbatched = Ls < 0   # False, as a value (a constant would compile a variant)
    return Ls * P <= _group_floats(sizes, Ls, unbatched)


@njit(cache=True, error_model="numpy")
def _top_floats(sizes, P, Ls):
    """Length of the work of a sub-block of :func:`loss_grad_columns` (lanes, first
    layers, partial gradients of every group, and the gradients unless they fit in a
    group's room), before the groups' work."""
    n = _pad(Ls * P) + _pad(sizes[0] * sizes[1] * Ls) + _pad(GROUPS * Ls * P)
    return n if _g_in_groups(sizes, P, Ls) else n + _pad(Ls * P)


@njit(cache=True, error_model="numpy")
def columns_work(sizes, n_lanes, batched, threads):
    """The work array of :func:`loss_grad_columns` for blocks of ``n_lanes`` lanes.

    A caller that evaluates the same network many times (a training run) allocates it
    once: the kernel's arrays of a call are tens to hundreds of MB, and fresh memory on
    every call costs the operating system's page faults (about 5 % of a step of an MNIST
    network). Its size depends on the network, on the lanes of :func:`sub_lanes` and on the
    ``threads`` that run the sample groups (one group's work each, at most :data:`GROUPS`),
    never on the samples; ``batched`` makes room for gathering mini-batches.
    """
    P = 0
    for k in range(sizes.shape[0] - 1):
        P += sizes[k] * sizes[k + 1] + sizes[k + 1]
    Ls = sub_lanes(P, n_lanes)
    slots = max(1, min(GROUPS, threads))
    return np.empty(_top_floats(sizes, P, Ls) + slots * _group_floats(sizes, Ls, batched))


@njit(cache=True, error_model="numpy")
def block_group_pass(ths, W1, sizes, w_off, b_off, ro, act, loss_code, X, yi, yf, idx, m0, m1,
                     scale, want_grad, want_acc, parts, stats, gw):
    """:func:`group_pass` for the ``Ls`` lanes ``ths`` (Ls, n_params), their first layers in
    one matrix product.

    ``W1`` (sizes[0], sizes[1] * Ls) holds the first layer's weights of every lane, unit
    ``j`` of lane ``q`` in column ``q * sizes[1] + j``: ``X_c @ W1`` is every lane's first product
    and ``X_c^T @ [D_1 ... D_Ls]`` every lane's first-layer weight gradient. A column of a
    product is the same sum whatever the columns beside it, so a lane gets the bits of
    :func:`group_pass`. ``parts`` (Ls, n_params) and ``stats`` (Ls, 4) accumulate.

    The first products of :func:`forward_rows` samples are one product; the first-layer
    weight gradients of the chunks accumulate in one array with the product's ``beta = 1``
    (:func:`netchaos.core.blas.dgemm`: the chunk's product is added to the running sum as
    :func:`group_pass` adds it, without an array of its own and a pass adding it), and
    are added to ``parts`` once at the end. Every array of more than a few rows is carved
    from ``gw``, the group's part of :func:`columns_work` (of :func:`_group_floats`).
    """
    Ls = ths.shape[0]
    nl = sizes.shape[0] - 1
    n_in = sizes[0]
    h = sizes[1]
    n_out = sizes[nl]
    n_rows = ro[nl]
    wmax, pmax = _largest(sizes)
    FR = forward_rows(h)
    hL = h * Ls
    full = idx.shape[0] == 0
    o = 0
    A = gw[o:o + Ls * CHUNK * n_rows].reshape((Ls, CHUNK * n_rows))
    o += _pad(Ls * CHUNK * n_rows)
    D = gw[o:o + Ls * CHUNK * n_rows].reshape((Ls, CHUNK * n_rows))
    o += _pad(Ls * CHUNK * n_rows)
    tf = gw[o:o + CHUNK * wmax]
    ti = tf.view(np.int64)
    o += _pad(CHUNK * wmax)
    s2 = gw[o:o + CHUNK * wmax]
    o += _pad(CHUNK * wmax)
    T = gw[o:o + (pmax if want_grad else 0)]
    o += _pad(pmax)
    Z = gw[o:o + FR * hL].reshape((FR, hL))
    o += _pad(FR * hL)
    grad1 = want_grad and m1 > m0    # an empty group adds nothing (and touches no memory)
    nG = n_in if grad1 else 0
    G1 = gw[o:o + nG * hL].reshape((nG, hL))
    o += _pad(n_in * hL)
    for i in range(nG):
        for e in range(hL):
            G1[i, e] = 0.0
    nX = 0 if full else FR
    Xc = gw[o:o + nX * n_in].reshape((nX, n_in))
    rows = np.empty(FR, dtype=np.int64)
    no_wd = np.empty(0)
    fl = flush_every(n_out)
    oo = CHUNK * ro[nl - 1]
    bo = b_off[0]
    wo = w_off[0]
    f0 = m0
    while f0 < m1:
        # the first products of up to FR samples at once; then chunk by chunk
        nf = min(FR, m1 - f0)
        xf = _load_chunk(X, idx, full, f0, nf, rows, Xc)
        nw = _whole_product_rows(nf, h, n_in)
        src = X if full else Xc
        so = f0 * n_in if full else 0
        if nw > 0:
            np.dot(xf[:nw], W1, Z[:nw])
        r0 = nw
        while r0 < nf:      # chunk by chunk and lane by lane, as group_pass computes them
            ns = min(CHUNK, nf - r0)
            for q in range(Ls):
                dgemm(False, False, ns, h, n_in, 1.0, src, so + r0 * n_in, n_in, W1, q * h, hL,
                      0.0, Z, r0 * hL + q * h, hL)
            r0 += ns
        r0 = 0
        while r0 < nf:
            ns = min(CHUNK, nf - r0)
            xc = xf[r0:r0 + ns]
            for q in range(Ls):
                for s in range(ns):
                    for j in range(h):
                        A[q, s * h + j] = Z[r0 + s, q * h + j] + ths[q, bo + j]
                if nl > 1 and act != ACT_LINEAR:
                    activate_seg(act, A[q], 0, ns * h, tf, ti, s2)
                _forward(ths[q], sizes, w_off, b_off, ro, act, xc, ns, A[q], tf, ti, s2, 1)
                _head(loss_code, A[q, oo:oo + ns * n_out], D[q, oo:oo + ns * n_out], ns, n_out,
                      yi, yf, rows[r0:r0 + ns], scale, want_acc, stats[q], s2, tf, ti, fl)
                if want_grad:
                    _backward(ths[q], sizes, w_off, b_off, ro, act, xc, ns, A[q], D[q], no_wd, T,
                              parts[q], 1)
                    for s in range(ns):
                        for j in range(h):
                            parts[q, bo + j] += D[q, s * h + j]
                            Z[r0 + s, q * h + j] = D[q, s * h + j]
            if want_grad:   # G1 += X_c^T [D_1 ... D_Ls], X_c at its place in X or Xc
                src = X if full else Xc
                so = (f0 + r0) * n_in if full else r0 * n_in
                _weight_products(n_in, ns, src, so, Z, r0 * hL, hL, G1, hL, 0, hL, h)
            r0 += ns
        f0 += nf
    if grad1:
        for q in range(Ls):
            for i in range(n_in):
                for j in range(h):
                    parts[q, wo + i * h + j] += G1[i, q * h + j]
    for q in range(Ls):
        _flush(stats[q])


@njit(cache=True, error_model="numpy", parallel=True)
def loss_grad_columns(theta, sizes, w_off, b_off, ro, act, loss_code, l2, wmask,
                      X, yi, yf, idx, want_grad, want_acc, G, loss, acc, wk):
    """:func:`loss_grad_wide` for every column (lane) of a block ``theta`` (n_params, n_lanes).

    Same outputs as :func:`netchaos.core.mlp.loss_grad_lanes`. Lanes go in sub-blocks (of
    :func:`sub_lanes`) through :func:`block_group_pass` (parallel over the sample groups);
    a lane's bits never depend on the others. ``wk`` is the work array of :func:`columns_work` for
    ``n_lanes`` lanes (with room for a mini-batch when ``idx`` is not empty); an empty one
    makes the call allocate its own (for :data:`GROUPS` threads).
    """
    P = theta.shape[0]
    L = theta.shape[1]
    nl = sizes.shape[0] - 1
    n_in = sizes[0]
    h = sizes[1]
    n_out = sizes[nl]
    full = idx.shape[0] == 0
    nb = X.shape[0] if full else idx.shape[0]
    scale = 1.0 / nb if loss_code == LOSS_CROSS_ENTROPY else 1.0 / (nb * n_out)
    Lm = sub_lanes(P, L)
    o_w1 = _pad(Lm * P)
    o_parts = o_w1 + _pad(n_in * h * Lm)
    o_grp = _top_floats(sizes, P, Lm)
    o_g = o_grp if _g_in_groups(sizes, P, Lm) else o_parts + _pad(GROUPS * Lm * P)
    gsz = _group_floats(sizes, Lm, not full)
    if wk.shape[0] == 0:
        wk = columns_work(sizes, L, not full, GROUPS)
    # the room of one group's work per thread: groups slot, slot + slots, ... take turns in it
    slots = min(GROUPS, (wk.shape[0] - o_grp) // gsz)
    if wk.shape[0] < o_grp or slots < 1:
        raise ValueError("loss_grad_columns: the work array is smaller than columns_work's")
    for q0 in range(0, L, Lm):
        Ls = min(Lm, L - q0)
        ths = wk[:Ls * P].reshape((Ls, P))
        for p in range(P):
            for q in range(Ls):
                ths[q, p] = theta[p, q0 + q]
        W1 = wk[o_w1:o_w1 + n_in * h * Ls].reshape((n_in, h * Ls))
        for i in range(n_in):
            for q in range(Ls):
                for j in range(h):
                    W1[i, q * h + j] = ths[q, w_off[0] + i * h + j]
        Pg = P if want_grad else 0
        parts = wk[o_parts:o_parts + GROUPS * Ls * Pg].reshape((GROUPS, Ls, Pg))
        stats = np.zeros((GROUPS, Ls, 4))
        # the groups' zeroing and the lanes' sums in parallel too: element by element, no
        # bits change (the copies in and out stay serial: they cost less than they compile);
        # a group's sums do not depend on the slot of work it runs in
        for slot in prange(slots):
            gw = wk[o_grp + slot * gsz:o_grp + (slot + 1) * gsz]
            for s in range(slot, GROUPS, slots):
                for q in range(Ls):
                    stats[s, q, 1] = 1.0
                    for p in range(Pg):
                        parts[s, q, p] = 0.0
                m0, m1 = group_rows(nb, s)
                block_group_pass(ths, W1, sizes, w_off, b_off, ro, act, loss_code, X, yi, yf,
                                 idx, m0, m1, scale, want_grad, want_acc, parts[s], stats[s], gw)
        g = wk[o_g:o_g + Ls * P].reshape((Ls, P))
        for q in prange(Ls):
            lq, cq = _combine(ths[q], parts[:, q], stats[:, q], l2, wmask, scale, want_grad,
                              g[q])
            loss[q0 + q] = lq
            acc[q0 + q] = cq / nb if loss_code == LOSS_CROSS_ENTROPY else np.nan
        if want_grad:
            for p in range(P):
                for q in range(Ls):
                    G[p, q0 + q] = g[q, p]


# ----------------------------------------------------------------------------------------
# Hessian-vector products (Pearlmutter's R-operator, as netchaos.core.tangent) of J
# directions at once. R-quantities of a layer are (ns, units, J) ("direction-minor", the
# layout of the columns of V); products with a layer's own weights take them as
# (ns * J, units) ("direction-major").
# ----------------------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def _to_major(src, so, ns, n, J, dst):
    """``dst (ns, J, n) = src[so:] (ns, n, J)`` transposed per sample."""
    for s in range(ns):
        for i in range(n):
            o = so + (s * n + i) * J
            for j in range(J):
                dst[(s * J + j) * n + i] = src[o + j]


@njit(cache=True, error_model="numpy")
def _add_minor(src, ns, n, J, dst, do):
    """``dst[do:] (ns, n, J) += src (ns, J, n)`` transposed per sample."""
    for s in range(ns):
        for j in range(J):
            o = (s * J + j) * n
            for i in range(n):
                dst[do + (s * n + i) * J + j] += src[o + i]


@njit(cache=True, error_model="numpy")
def hvp_group(th, V, VT, WV, sizes, w_off, b_off, ro, act, loss_code, X, yi, yf, m0, m1,
              scale, want_grad, g, out, stats):
    """Add ``H V`` (without the L2 term) and, when ``want_grad``, the gradient of samples
    ``m0 .. m1-1``.

    Parameters
    ----------
    th : ndarray of shape (n_params,)
    V : ndarray of shape (n_params, J), C-contiguous
    WV : ndarray of shape (sizes[0], sizes[1] * (1 + J))
        The first layer's weights and then their rows of ``V`` (unit ``c``, direction ``j``
        in column ``sizes[1] + c * J + j``): the base and tangent products of the first
        layer are one product each (``X_c @ WV`` and ``X_c^T @ [D | R D]``).
    VT : ndarray of shape (n_weights * J,)
        The weights' rows of ``V`` with the two weight axes swapped: layer ``k`` as
        (sizes[k+1], sizes[k], J) from ``w_off[k] * J``.
    g : ndarray of shape (n_params,)
        Gradient accumulator: the same operations as :func:`group_pass`. Without
        ``want_grad`` its first-layer weights are left alone (the product that gives them,
        ``X_c^T D``, is a quarter of the work of a one-direction product and is skipped).
    out : ndarray of shape (n_params * J,)
        Accumulator of ``H V`` (flat, layout of ``V``).

    Notes
    -----
    As in :func:`block_group_pass`, the first products of up to four chunks are one product,
    and the first layer's weight products of the chunks accumulate in one array with the
    product's ``beta = 1``: a column of a product is the same sum whatever the columns
    beside it, and the running sum adds the chunks in the same order, so ``H V`` has the
    same bits with the gradient and without.
    """
    nl = sizes.shape[0] - 1
    n_out = sizes[nl]
    n_rows = ro[nl]
    J = V.shape[1]
    v = V.reshape(V.shape[0] * J)
    wmax, pmax = _largest(sizes)
    A = np.empty(CHUNK * n_rows)
    D = np.empty(CHUNK * n_rows)
    WD = np.empty(CHUNK * n_rows)
    tf = np.empty(CHUNK * wmax)
    ti = tf.view(np.int64)
    s2 = np.empty(CHUNK * wmax)
    T = np.empty(pmax * J)
    RZ = np.empty(CHUNK * n_rows * J)
    RA = np.empty(CHUNK * n_rows * J)
    RD = np.empty(CHUNK * n_rows * J)
    M1 = np.empty(CHUNK * wmax * J)
    M2 = np.empty(CHUNK * wmax * J)
    Q1 = np.empty(CHUNK * wmax * J)
    h = sizes[1]
    hh = h * (1 + J)
    n_in = sizes[0]
    FR = _product_rows(hh)
    ZZ = np.empty((FR, hh))
    c_lo = 0 if want_grad else h   # the columns of [D | R D] whose weight products count
    GG = np.zeros((n_in, hh))
    Xc = np.empty((0, n_in))
    rows = np.empty(FR, dtype=np.int64)
    no_idx = np.empty(0, dtype=np.int64)
    # the whole batch, no accuracy: values, not constants (no second compilation of the
    # helpers, tests/core/test_dispatch.py)
    full = no_idx.shape[0] == 0
    want_acc = not full
    oo = CHUNK * ro[nl - 1]
    b0 = b_off[0]
    w0 = w_off[0]
    fl = flush_every(n_out)
    f0 = m0
    while f0 < m1:
        # the first products (base and tangent) of up to FR samples at once; then chunk by chunk
        nf = min(FR, m1 - f0)
        xf = _load_chunk(X, no_idx, full, f0, nf, rows, Xc)
        nw = _whole_product_rows(nf, h, n_in)
        if nw > 0:
            np.dot(xf[:nw], WV, ZZ[:nw])
        r0 = nw
        while r0 < nf:      # the weights' and each direction's product alone, as group_pass's
            ns = min(CHUNK, nf - r0)
            for q in range(hh // h):
                dgemm(False, False, ns, h, n_in, 1.0, X, (f0 + r0) * n_in, n_in, WV, q * h,
                      hh, 0.0, ZZ, r0 * hh + q * h, hh)
            r0 += ns
        r0 = 0
        while r0 < nf:
            ns = min(CHUNK, nf - r0)
            xc = xf[r0:r0 + ns]
            # base pass as group_pass
            for s in range(ns):
                for c in range(h):
                    A[s * h + c] = ZZ[r0 + s, c] + th[b0 + c]
                for e in range(h * J):
                    RZ[s * h * J + e] = ZZ[r0 + s, h + e] + v[b0 * J + e]
            if nl > 1 and act != ACT_LINEAR:
                activate_seg(act, A, 0, ns * h, tf, ti, s2)
            _forward(th, sizes, w_off, b_off, ro, act, xc, ns, A, tf, ti, s2, 1)
            cr = rows[r0:r0 + ns]
            _head(loss_code, A[oo:oo + ns * n_out], D[oo:oo + ns * n_out], ns, n_out, yi, yf, cr,
                  scale, want_acc, stats, s2, tf, ti, fl)
            if loss_code == LOSS_CROSS_ENTROPY:   # softmax probabilities, before backprop
                for s in range(ns):
                    for c in range(n_out):
                        e = oo + s * n_out + c
                        WD[e] = D[e] / scale + (1.0 if c == yi[cr[s]] else 0.0)
            _backward(th, sizes, w_off, b_off, ro, act, xc, ns, A, D, WD, T[:pmax], g, 1)
            for s in range(ns):
                for c in range(h):
                    g[b0 + c] += D[s * h + c]
                    ZZ[r0 + s, c] = D[s * h + c]
            # R forward: Rz_k = Ra_{k-1} W_k + a_{k-1} V_W + V_b, Ra_k = f'(a_k) Rz_k
            for k in range(nl):
                nin = sizes[k]
                nout = sizes[k + 1]
                zo = CHUNK * ro[k] * J
                if k > 0:   # the first layer's came with the base product
                    Rz = RZ[zo:zo + ns * nout * J].reshape(ns, nout * J)
                    pa = A[CHUNK * ro[k - 1]:CHUNK * ro[k - 1] + ns * nin].reshape(ns, nin)
                    VW = v[w_off[k] * J:(w_off[k] + nin * nout) * J].reshape(nin, nout * J)
                    np.dot(pa, VW, Rz)
                    bo = b_off[k] * J
                    for s in range(ns):
                        for e in range(nout * J):
                            RZ[zo + s * nout * J + e] += v[bo + e]
                    W = th[w_off[k]:w_off[k] + nin * nout].reshape(nin, nout)
                    _to_major(RA, CHUNK * ro[k - 1] * J, ns, nin, J, M1)
                    np.dot(M1[:ns * J * nin].reshape(ns * J, nin), W,
                           M2[:ns * J * nout].reshape(ns * J, nout))
                    _add_minor(M2, ns, nout, J, RZ, zo)
                if k < nl - 1:
                    ao = CHUNK * ro[k]
                    for s in range(ns):
                        for i in range(nout):
                            da = dact(act, A[ao + s * nout + i])
                            o = zo + (s * nout + i) * J
                            for j in range(J):
                                RA[o + j] = da * RZ[o + j]
            # R output deltas
            zo = CHUNK * ro[nl - 1] * J
            for s in range(ns):
                so = zo + s * n_out * J
                if loss_code != LOSS_CROSS_ENTROPY:
                    for e in range(n_out * J):
                        RD[so + e] = (2.0 * scale) * RZ[so + e]
                else:   # s p (Rz - <p, Rz>)
                    for j in range(J):
                        m = 0.0
                        for c in range(n_out):
                            m += WD[oo + s * n_out + c] * RZ[so + c * J + j]
                        for c in range(n_out):
                            p = WD[oo + s * n_out + c]
                            RD[so + c * J + j] = scale * p * (RZ[so + c * J + j] - m)
            # R backward (the first layer's weight products shared with the base pass, below)
            for k in range(nl - 1, -1, -1):
                nin = sizes[k]
                nout = sizes[k + 1]
                do = CHUNK * ro[k] * J
                Rd = RD[do:do + ns * nout * J].reshape(ns, nout * J)
                bo = b_off[k] * J
                for s in range(ns):
                    for e in range(nout * J):
                        out[bo + e] += RD[do + s * nout * J + e]
                if k == 0:
                    for s in range(ns):
                        for e in range(h * J):
                            ZZ[r0 + s, h + e] = RD[s * h * J + e]
                    break
                po = CHUNK * ro[k - 1]
                pa = A[po:po + ns * nin].reshape(ns, nin)
                Tk = T[:nin * nout * J].reshape(nin, nout * J)
                np.dot(pa.T, Rd, Tk)
                wo = w_off[k] * J
                for e in range(nin * nout * J):
                    out[wo + e] += T[e]
                if k > 0:
                    dk = CHUNK * ro[k]
                    Dk = D[dk:dk + ns * nout].reshape(ns, nout)
                    # Ra_{k-1}^T delta_k: (nin*J, nout), added as (nin, nout, J)
                    Ra = RA[po * J:(po + ns * nin) * J].reshape(ns, nin * J)
                    T2 = T[:nin * J * nout].reshape(nin * J, nout)
                    np.dot(Ra.T, Dk, T2)
                    for i in range(nin):
                        for j in range(J):
                            r = (i * J + j) * nout
                            for c in range(nout):
                                out[wo + (i * nout + c) * J + j] += T[r + c]
                    # R delta_{k-1} = f'(a) (delta_k V_W^T + Rdelta_k W^T) + f''(a) Rz (W delta)
                    VTk = VT[w_off[k] * J:(w_off[k] + nin * nout) * J].reshape(nout, nin * J)
                    np.dot(Dk, VTk, Q1[:ns * nin * J].reshape(ns, nin * J))
                    W = th[w_off[k]:w_off[k] + nin * nout].reshape(nin, nout)
                    _to_major(RD, do, ns, nout, J, M1)
                    np.dot(M1[:ns * J * nout].reshape(ns * J, nout), W.T,
                           M2[:ns * J * nin].reshape(ns * J, nin))
                    _add_minor(M2, ns, nin, J, Q1, 0)
                    zp = po * J
                    for s in range(ns):
                        for i in range(nin):
                            a = A[po + s * nin + i]
                            da = dact(act, a)
                            dd = d2act(act, a, da) * WD[po + s * nin + i]
                            o = (s * nin + i) * J
                            for j in range(J):
                                RD[zp + o + j] = da * Q1[o + j] + dd * RZ[zp + o + j]
            # GG[:, c_lo:] += X_c^T [D | R D][:, c_lo:], X_c at its place in X
            _weight_products(n_in, ns, X, (f0 + r0) * n_in, ZZ, r0 * hh, hh, GG, hh, c_lo, hh, h)
            r0 += ns
        f0 += nf
    if m1 > m0:
        for i in range(n_in):
            if want_grad:
                for c in range(h):
                    g[w0 + i * h + c] += GG[i, c]
            o = (w0 + i * h) * J
            for e in range(h * J):
                out[o + e] += GG[i, h + e]
    _flush(stats)


@njit(cache=True, error_model="numpy", parallel=True)
def hvp_wide(th, V, sizes, w_off, b_off, ro, act, loss_code, l2, wmask,
             X, yi, yf, lr, out, g, want_grad):
    """``out = H V`` (``lr == 0``) or ``out = V - lr H V``, and the gradient ``g``.

    Parameters
    ----------
    th : ndarray of shape (n_params,)
    V, out : ndarray of shape (n_params, J), C-contiguous
    X : ndarray of shape (n_samples, n_in), C-contiguous
    lr : float
    g : ndarray of shape (n_params,)
        Receives the gradient when ``want_grad``: bitwise that of
        :func:`loss_grad_wide`, so a tangent integration follows the trajectory of
        :func:`netchaos.train`.

    Notes
    -----
    The base pass of every chunk is that of :func:`group_pass`; the R-passes then differentiate
    it in the ``J`` directions, with the products ``a_{k-1} V_W`` and ``a_{k-1}^T R delta_k``
    of all directions in one matrix product each. Groups of samples as :func:`loss_grad_wide`.
    """
    P = th.shape[0]
    J = V.shape[1]
    nl = sizes.shape[0] - 1
    n_out = sizes[nl]
    nb = X.shape[0]
    scale = 1.0 / nb if loss_code == LOSS_CROSS_ENTROPY else 1.0 / (nb * n_out)
    n_w = 0
    for k in range(nl):
        n_w = max(n_w, w_off[k] + sizes[k] * sizes[k + 1])
    VT = np.empty(n_w * J)
    for k in range(nl):
        nin = sizes[k]
        nout = sizes[k + 1]
        for i in range(nin):
            for c in range(nout):
                dst = (w_off[k] + c * nin + i) * J
                for j in range(J):
                    VT[dst + j] = V[w_off[k] + i * nout + c, j]
    h = sizes[1]
    WV = np.empty((sizes[0], h * (1 + J)))
    for i in range(sizes[0]):
        for c in range(h):
            WV[i, c] = th[w_off[0] + i * h + c]
            for j in range(J):
                WV[i, h + c * J + j] = V[w_off[0] + i * h + c, j]
    parts = np.zeros((GROUPS, P))
    hv = np.zeros((GROUPS, P * J))
    stats = np.zeros((GROUPS, 4))
    for s in prange(GROUPS):
        stats[s, 1] = 1.0
        m0, m1 = group_rows(nb, s)
        hvp_group(th, V, VT, WV, sizes, w_off, b_off, ro, act, loss_code, X, yi, yf, m0, m1,
                  scale, want_grad, parts[s], hv[s], stats[s])
    _combine(th, parts, stats, l2, wmask, scale, want_grad, g)
    o = out.reshape(P * J)
    v = V.reshape(P * J)
    for e in range(P * J):
        h = hv[0, e]
        for s in range(1, GROUPS):
            h += hv[s, e]
        p = e // J
        if l2 != 0.0 and wmask[p]:
            h += l2 * v[e]
        o[e] = v[e] - lr * h if lr > 0.0 else h
