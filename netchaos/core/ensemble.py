"""Gradient-descent map over blocks of trajectories, parallel over blocks.

An ensemble of ``K`` trajectories is packed into ``n_blocks`` blocks of
``n_lanes`` lanes, ``thetas`` of shape ``(n_blocks, n_params, n_lanes)``. Each
block is advanced through all requested steps by one thread (the block stays in
cache), blocks are independent, and no arithmetic mixes lanes, so the result of
a trajectory is the same bits whatever the number of threads or the company it
keeps in its block.

Per lane, the state of the run is ``alive`` (1 while finite) and ``div_at``
(the first step ``t`` at which theta(t) or its loss is non-finite, -1 if none).
A lane whose next state would be non-finite keeps its last finite state and
stops. Records for steps after the divergence are NaN.

Perturbation ensembles: ``ref[b, q]`` is the lane (in the same block) of the
reference of lane ``q``, or -1. The L1 and L2 distances to the reference are
computed on the fly after every step.
"""

import numpy as np
from numba import njit, prange

from .mlp import loss_grad_lanes, make_work
from .wide import columns_work, loss_grad_columns


@njit(cache=True, error_model="numpy")
def _distances(theta, ref, alive, d1, d2, t):
    """Write the L1/L2 distance of every lane to its reference lane at record row ``t``."""
    P = theta.shape[0]
    L = theta.shape[1]
    for q in range(L):
        r = ref[q]
        if r < 0:
            d1[t, q] = 0.0
            d2[t, q] = 0.0
        elif alive[q] == 0 or alive[r] == 0:
            d1[t, q] = np.nan
            d2[t, q] = np.nan
        else:
            a = 0.0
            s = 0.0
            for p in range(P):
                v = theta[p, q] - theta[p, r]
                a += abs(v)
                s += v * v
            d1[t, q] = a
            d2[t, q] = np.sqrt(s)


@njit(cache=True, error_model="numpy", parallel=True)  # calls a parallel kernel
def _loss_grad(wide, theta, sizes, w_off, b_off, ro, act, loss_code, l2, wmask,
               X, yi, yf, idx, want_grad, want_acc, G, loss, acc, A, D, scr, ti, wk):
    """The lane kernel (work arrays ``A, D, scr, ti``), or the matrix-product kernel of wide
    networks (``wide``; work array ``wk``)."""
    if wide:
        loss_grad_columns(theta, sizes, w_off, b_off, ro, act, loss_code, l2, wmask,
                          X, yi, yf, idx, want_grad, want_acc, G, loss, acc, wk)
    else:
        loss_grad_lanes(theta, sizes, w_off, b_off, ro, act, loss_code, l2, wmask,
                        X, yi, yf, idx, want_grad, want_acc, G, loss, acc, A, D, scr, ti)


@njit(cache=True, error_model="numpy")
def _record_params(theta, out, r):
    P = theta.shape[0]
    L = theta.shape[1]
    for p in range(P):
        for q in range(L):
            out[r, p, q] = theta[p, q]


@njit(cache=True, error_model="numpy", parallel=True)  # calls a parallel kernel
def run_block(theta, sizes, w_off, b_off, ro, act, loss_code, l2, wmask,
              X, yi, yf, batches, lr, t0, t1, n_steps, alive, div_at,
              want_metrics, loss_out, acc_out,
              Xte, yite, yfte, want_test, te_loss_out, te_acc_out,
              every, params_out, ref, d1_out, d2_out, tile, lrs, lr_group, wide, threads):
    """Advance one block from step ``t0`` to ``t1`` (``t1 <= n_steps``).

    ``theta`` (n_params, n_lanes) is updated in place. Metrics at theta(t) are
    written to row ``t`` of the ``*_out`` arrays (shape (n_steps+1, n_lanes));
    when ``t1 == n_steps`` the metrics of the final state are written too.
    ``batches`` (n_steps, batch) holds mini-batch indices, or has zero rows for
    full-batch GD; the recorded loss and accuracy are always those of all
    training samples at theta(t). ``params_out`` (n_rec, n_params, n_lanes) receives theta(t)
    for ``t % every == 0`` when it has rows; ``d1_out``/``d2_out`` receive the
    distances when they have rows. ``tile`` is the number of samples per
    pass over the weights (see :func:`netchaos.core.mlp.forward_lanes`).

    Learning rates: the scalar ``lr`` for every lane and parameter when
    ``lrs`` (n_groups, n_lanes) has zero rows; otherwise parameter ``p`` of
    lane ``q`` steps with ``lrs[lr_group[p], q]`` (one group: a learning rate
    per lane; one group per layer: per-layer rates). The update is the same
    product ``theta - lr * G`` either way, so a lane given the scalar's value
    follows the bits of the scalar run.

    ``wide`` selects the matrix-product kernel :func:`netchaos.core.wide.loss_grad_columns`
    (for wide networks; it runs threads of its own, so it is never called from
    :func:`run_blocks`) instead of the lane kernel; its work array, allocated once for all
    the steps, has room for the sample groups of ``threads`` threads at a time.
    """
    P = theta.shape[0]
    L = theta.shape[1]
    A, D, scr, ti = make_work(sizes, L, 0 if wide else tile)
    sgd = batches.shape[0] > 0
    # the wide kernel's work, once for all the steps
    wk = columns_work(sizes, L, sgd, threads) if wide else np.empty(0)
    per_lane = lrs.shape[0] > 0
    G = np.empty((P, L))
    loss = np.empty(L)
    acc = np.empty(L)
    tl = np.empty(L)
    ta = np.empty(L)
    bad = np.empty(L)
    no_idx = np.empty(0, dtype=np.int64)
    # the kernels' flags below are values, never constants: Numba compiles a function once
    # more for every constant argument it is called with (literal dispatch)
    on = L >= 0
    off = not on
    rec_params = params_out.shape[0] > 0
    rec_dist = d1_out.shape[0] > 0
    if t0 == 0:
        for q in range(L):
            bad[q] = 0.0
        for p in range(P):
            for q in range(L):
                bad[q] += theta[p, q] - theta[p, q]
        for q in range(L):
            if alive[q] == 1 and bad[q] != 0.0:
                alive[q] = 0
                div_at[q] = 0
        if rec_params:
            _record_params(theta, params_out, 0)
        if rec_dist:
            _distances(theta, ref, alive, d1_out, d2_out, 0)
    last = t1 + 1 if t1 == n_steps else t1
    for t in range(t0, last):
        step = t < n_steps
        if sgd and step:
            # gradient on the mini-batch; metrics on all training samples
            _loss_grad(wide, theta, sizes, w_off, b_off, ro, act, loss_code, l2, wmask,
                       X, yi, yf, batches[t], on, off, G, loss, acc, A, D, scr, ti, wk)
            for q in range(L):
                if alive[q] == 1 and not np.isfinite(loss[q]):
                    alive[q] = 0
                    div_at[q] = t
        if want_metrics or not (sgd and step):
            _loss_grad(wide, theta, sizes, w_off, b_off, ro, act, loss_code, l2, wmask,
                       X, yi, yf, no_idx, step and not sgd, want_metrics, G, tl, ta,
                       A, D, scr, ti, wk)
            for q in range(L):
                if alive[q] == 1 and not np.isfinite(tl[q]):
                    alive[q] = 0
                    div_at[q] = t
        if want_metrics:
            for q in range(L):
                if alive[q] == 1:
                    loss_out[t, q] = tl[q]
                    acc_out[t, q] = ta[q]
                else:
                    loss_out[t, q] = np.nan
                    acc_out[t, q] = np.nan
        if want_test:
            _loss_grad(wide, theta, sizes, w_off, b_off, ro, act, loss_code, l2, wmask,
                       Xte, yite, yfte, no_idx, off, on, G, loss, acc,
                       A, D, scr, ti, wk)
            for q in range(L):
                if alive[q] == 1:
                    te_loss_out[t, q] = loss[q]
                    te_acc_out[t, q] = acc[q]
                else:
                    te_loss_out[t, q] = np.nan
                    te_acc_out[t, q] = np.nan
        if not step:
            break
        # candidate update: a lane whose next state is non-finite keeps its state
        for q in range(L):
            bad[q] = 0.0
        for p in range(P):
            gp = lr_group[p]
            for q in range(L):
                v = theta[p, q] - (lrs[gp, q] if per_lane else lr) * G[p, q]
                bad[q] += v - v
        for q in range(L):
            if alive[q] == 1 and bad[q] != 0.0:
                alive[q] = 0
                div_at[q] = t + 1
        for p in range(P):
            gp = lr_group[p]
            for q in range(L):
                v = theta[p, q] - (lrs[gp, q] if per_lane else lr) * G[p, q]
                theta[p, q] = v if alive[q] == 1 else theta[p, q]
        if rec_params and (t + 1) % every == 0:
            _record_params(theta, params_out, (t + 1) // every)
            for q in range(L):
                if alive[q] == 0:
                    for p in range(P):
                        params_out[(t + 1) // every, p, q] = np.nan
        if rec_dist:
            _distances(theta, ref, alive, d1_out, d2_out, t + 1)


@njit(cache=True, error_model="numpy", parallel=True)
def run_blocks(thetas, sizes, w_off, b_off, ro, act, loss_code, l2, wmask,
               X, yi, yf, batches, lr, t0, t1, n_steps, alive, div_at,
               want_metrics, loss_out, acc_out,
               Xte, yite, yfte, want_test, te_loss_out, te_acc_out,
               every, params_out, ref, d1_out, d2_out, tile, lrs, lr_group):
    """:func:`run_block` for every block, in parallel over blocks.

    Every per-block array carries a leading block axis (``lrs`` too); arrays
    that are not recorded have zero length on their second axis.
    """
    nb = thetas.shape[0]
    for b in prange(nb):
        run_block(thetas[b], sizes, w_off, b_off, ro, act, loss_code, l2, wmask,
                  X, yi, yf, batches, lr, t0, t1, n_steps, alive[b], div_at[b],
                  want_metrics, loss_out[b], acc_out[b],
                  Xte, yite, yfte, want_test, te_loss_out[b], te_acc_out[b],
                  every, params_out[b], ref[b], d1_out[b], d2_out[b], tile, lrs[b], lr_group,
                  False, 0)


@njit(cache=True, error_model="numpy", parallel=True)  # calls a parallel kernel
def eval_block(theta, sizes, w_off, b_off, ro, act, loss_code, l2, wmask,
               X, yi, yf, want_grad, want_acc, G, loss, acc, tile, wide):
    """Loss, accuracy and (optionally) gradient ``G`` of every lane of one block
    (``wide``: with the matrix-product kernel, see :func:`run_block`)."""
    L = theta.shape[1]
    A, D, scr, ti = make_work(sizes, L, 0 if wide else tile)
    wk = np.empty(0)   # one call: the wide kernel allocates its own work
    if not want_grad:
        G = np.empty((theta.shape[0], L))
    _loss_grad(wide, theta, sizes, w_off, b_off, ro, act, loss_code, l2, wmask,
               X, yi, yf, np.empty(0, dtype=np.int64), want_grad, want_acc, G, loss, acc,
               A, D, scr, ti, wk)


@njit(cache=True, error_model="numpy", parallel=True)
def eval_blocks(thetas, sizes, w_off, b_off, ro, act, loss_code, l2, wmask,
                X, yi, yf, want_grad, want_acc, grads, losses, accs, tile):
    """:func:`eval_block` for every block, in parallel over blocks.

    ``grads`` has shape (n_blocks, n_params, n_lanes), or a zero-length
    second axis when ``want_grad`` is False.
    """
    for b in prange(thetas.shape[0]):
        eval_block(thetas[b], sizes, w_off, b_off, ro, act, loss_code, l2, wmask,
                   X, yi, yf, want_grad, want_acc, grads[b], losses[b], accs[b], tile, False)
