"""Where a lane-kernel step of the Iris network spends its time, against the machine's FMA peak.

One block of 64 Iris 4-10-3 sigmoid trajectories (the block size the package uses), full
batch (150 samples), cross-entropy, timed phase by phase on one thread with the thread's CPU
time (``time.thread_time``: robust to other processes, which only steal wall time):

* the whole loss-and-gradient pass (``loss_grad_lanes``), at the tile of the package;
* its phases, each on all 150 samples in tiles as the pass runs them: the products of the
  forward pass, the sigmoid of the hidden layer, the softmax cross-entropy head, the
  backward pass;
* the machine's fused multiply-add peak on one thread, measured here on a loop of 12
  independent four-wide accumulators that stay in registers.

From these it prints each phase's share, the fraction of the FMA peak the products reach,
and a lower bound for the workloads of ``bench_routes.py``: the exponential phases as they
are (their arithmetic is fixed: every trajectory's bits depend on it) plus the products at
the FMA peak, on two threads with perfect scaling. A goal below that bound cannot be met by
faster products alone.

    python benchmarks/bench_lane_phases.py [--threads-scaling]

``--threads-scaling`` also times a 64 x 64 trainability map (500 steps) on one and two
threads (wall time; run it on a quiet machine).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _peers  # noqa: E402, F401  (import first: sets the thread caps)

import numpy as np  # noqa: E402
from numba import njit  # noqa: E402

import netchaos as nc  # noqa: E402
from netchaos import _blocks  # noqa: E402
from netchaos.core.dense import first_forward, hidden_forward  # noqa: E402
from netchaos.core.elementwise import activate_seg  # noqa: E402
from netchaos.core.mlp import (  # noqa: E402
    backward_tiled,
    flush_every,
    head_lanes,
    loss_grad_lanes,
    make_work,
    pad_tile,
)
from netchaos.core.simd import vfma, vload, vsplat, vstore  # noqa: E402

LANES = 64
ROUTES = {"diagram": (1000 * 2500, 10.0), "map": (256 * 256 * 500, 120.0),
          "zoom": (128 * 128 * 500, 15.0)}   # trajectory-steps and goal [s] of bench_routes


@njit(error_model="numpy")
def _fma_peak(a, out, reps):
    """12 independent four-wide FMA chains, ``reps`` rounds: 96 flops per round."""
    x = vsplat(1.0000001)
    y = vsplat(1e-9)
    c0 = vload(a, 0)
    c1 = vload(a, 4)
    c2 = vload(a, 8)
    c3 = vload(a, 12)
    c4 = vload(a, 16)
    c5 = vload(a, 20)
    c6 = vload(a, 24)
    c7 = vload(a, 28)
    c8 = vload(a, 32)
    c9 = vload(a, 36)
    c10 = vload(a, 40)
    c11 = vload(a, 44)
    for _ in range(reps):
        c0 = vfma(c0, x, y)
        c1 = vfma(c1, x, y)
        c2 = vfma(c2, x, y)
        c3 = vfma(c3, x, y)
        c4 = vfma(c4, x, y)
        c5 = vfma(c5, x, y)
        c6 = vfma(c6, x, y)
        c7 = vfma(c7, x, y)
        c8 = vfma(c8, x, y)
        c9 = vfma(c9, x, y)
        c10 = vfma(c10, x, y)
        c11 = vfma(c11, x, y)
    vstore(out, 0, c0)
    vstore(out, 4, c1)
    vstore(out, 8, c2)
    vstore(out, 12, c3)
    vstore(out, 16, c4)
    vstore(out, 20, c5)
    vstore(out, 24, c6)
    vstore(out, 28, c7)
    vstore(out, 32, c8)
    vstore(out, 36, c9)
    vstore(out, 40, c10)
    vstore(out, 44, c11)


@njit(error_model="numpy")
def _phase(mode, th, L, tile, sizes, w_off, b_off, ro, act, X, yi, yf, A, D, G, scr, ti,
           loss, prod, acc, reps):
    """One phase of ``loss_grad_lanes`` over all samples, in tiles, ``reps`` times."""
    nl = sizes.shape[0] - 1
    n_rows = ro[nl]
    n_out = sizes[nl]
    nb = X.shape[0]
    rs = n_rows * L
    tidx = np.empty(tile, np.int64)
    fl = flush_every(n_out)
    for _ in range(reps):
        m0 = 0
        while m0 < nb:
            ns = min(tile, nb - m0)
            ns4 = (ns + 3) // 4 * 4
            for s in range(ns):
                tidx[s] = m0 + s
            pad_tile(tidx, ns, D, (n_rows, ro[nl - 1], n_out), L)
            if mode == 0:      # the products of the forward pass
                first_forward(th, b_off[0] * L, w_off[0] * L, sizes[1] * L, sizes[0], X, tidx,
                              ns4, A, rs, ro[0] * L)
                for k in range(1, nl):
                    hidden_forward(th, b_off[k] * L, w_off[k] * L, L, sizes[k], sizes[k + 1],
                                   A, ns4, rs, ro[k - 1] * L, ro[k] * L)
            elif mode == 1:    # the hidden activations
                for k in range(nl - 1):
                    for s in range(ns4):
                        activate_seg(act, A, s * rs + ro[k] * L, sizes[k + 1] * L, scr[0], ti,
                                     scr[2])
            elif mode == 2:    # the softmax cross-entropy head
                for s in range(ns):
                    n = tidx[s]
                    head_lanes(0, A, D, (s * n_rows + ro[nl - 1]) * L, n_out, L, yi[n], yf, n,
                               1.0 / nb, loss, prod, acc, False, scr[0], ti, scr[1], scr[3],
                               scr[4])
                    if (m0 + s + 1) % fl == 0 or m0 + s == nb - 1:
                        for q in range(L):
                            prod[q] = 1.0
            else:              # the backward pass
                backward_tiled(th, L, sizes, w_off, b_off, ro, n_rows, act, X, tidx, ns, A, D, G)
            m0 += ns


def _cpu(f, reps=15):
    """Best CPU time of one call of ``f`` over ``reps`` runs (after a warm-up)."""
    f()
    best = np.inf
    for _ in range(reps):
        t = time.thread_time()
        f()
        best = min(best, time.thread_time() - t)
    return best


def _scaling():
    data = nc.datasets.iris(seed=0)
    model = nc.MLP([4, 10, 3])
    theta0 = model.init(seed=0)
    g = np.geomspace(0.1, 100, 64)
    out = {}
    import numba
    for n in (1, 2):
        numba.set_num_threads(n)
        nc.trainability_map(model, data, g[:8], g[:8], steps=2, theta0=theta0)
        t = time.perf_counter()
        nc.trainability_map(model, data, g, g, steps=500, theta0=theta0)
        out[n] = time.perf_counter() - t
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads-scaling", action="store_true")
    args = ap.parse_args(argv)

    data = nc.datasets.iris(seed=0)
    model = nc.MLP([4, 10, 3])
    X, y = data.train
    X, yi, yf = model._check_data(X, y)
    P, L = model.n_params, LANES
    tile = _blocks.tile_for(P)
    rng = np.random.default_rng(0)
    theta = np.ascontiguousarray(model.init(seed=0)[:, None] + 0.1 * rng.standard_normal((P, L)))
    ka = model._kernel_args()
    sizes, w_off, b_off, ro, act = ka[:5]
    A, D, scr, ti = make_work(sizes, L, tile)
    G = np.zeros((P, L))
    loss, acc, prod = np.zeros(L), np.zeros(L), np.ones(L)
    idx = np.empty(0, np.int64)
    reps = 20

    def whole():
        for _ in range(reps):
            loss_grad_lanes(theta, *ka, X, yi, yf, idx, True, False, G, loss, acc, A, D, scr, ti)

    per = 1e6 / (reps * L)     # seconds per call -> microseconds per trajectory-step
    t_all = _cpu(whole) * per
    loss_grad_lanes(theta, *ka, X, yi, yf, idx, True, False, G, loss, acc, A, D, scr, ti)
    th, g = theta.reshape(-1), G.reshape(-1)
    names = ["forward products", "sigmoid (hidden)", "softmax cross-entropy", "backward"]
    t_ph = []
    for mode in range(4):
        Ac, Dc = A.copy(), D.copy()     # the phases read what the whole pass left
        t_ph.append(_cpu(lambda: _phase(mode, th, L, tile, sizes, w_off, b_off, ro, act, X, yi,
                                        yf, Ac, Dc, g, scr, ti, loss, prod, acc, reps)) * per)
    a, out = np.ones(48), np.empty(48)
    n_fma = 2_000_000
    t_peak = _cpu(lambda: _fma_peak(a, out, n_fma), 5)
    peak = 96 * n_fma / t_peak / 1e9   # GFLOP/s on one thread

    n = data.X_train.shape[0]
    macs_fwd = sum(sizes[k] * sizes[k + 1] for k in range(len(sizes) - 1))
    macs_bwd = 2 * macs_fwd - sizes[0] * sizes[1]  # weight gradients + deltas (none into X)
    fwd_bound = 2 * macs_fwd * n / (peak * 1e3)    # microseconds per trajectory-step
    bwd_bound = 2 * macs_bwd * n / (peak * 1e3)
    print(f"netchaos lane-kernel phases: Iris 4-10-3 sigmoid, {n} samples, {L} lanes, tile "
          f"{tile}, one thread (CPU time); load average "
          + " ".join(f"{v:.2f}" for v in os.getloadavg()))
    print(f"FMA peak measured on one thread: {peak:.1f} GFLOP/s")
    print(f"{'phase':28s} {'us/traj-step':>13s} {'share':>7s} {'% FMA peak':>11s}")
    print(f"{'whole loss-and-gradient pass':28s} {t_all:13.3f} {100:6.0f}%")
    for name, t in zip(names, t_ph):
        pk = {0: f"{100 * fwd_bound / t:10.0f}%", 3: f"{100 * bwd_bound / t:10.0f}%"}
        print(f"{name:28s} {t:13.3f} {100 * t / t_all:6.0f}% {pk.get(names.index(name), ''):>11s}")
    exp_part = t_ph[1] + t_ph[2]
    bound = exp_part + fwd_bound + bwd_bound
    print(f"exponentials (sigmoid + head): {exp_part:.3f} us = {100 * exp_part / t_all:.0f}% of "
          f"the pass; lower bound with the products at the FMA peak: {bound:.3f} us/traj-step "
          f"({t_all / bound:.2f}x below today's pass)")
    print("routes workloads on two threads with perfect scaling (bench_routes.py goals):")
    for k, (ts, goal) in ROUTES.items():
        print(f"  {k:8s} today's pass {ts * t_all / 2e6:7.1f} s, bound {ts * bound / 2e6:7.1f} s, "
              f"goal {goal:g} s{'  (below the bound)' if goal < ts * bound / 2e6 else ''}")
    if args.threads_scaling:
        s = _scaling()
        print(f"64 x 64 map x 500 steps: 1 thread {s[1]:.2f} s, 2 threads {s[2]:.2f} s "
              f"(scaling {s[1] / s[2]:.2f}x)")


if __name__ == "__main__":
    main()
