"""Benchmark the routes-to-chaos workloads: bifurcation diagrams and trainability maps.

Iris 4-10-3 sigmoid (weights N(0, 1), biases 0, seed 0), full-batch GD:

* diagram: 1,000 learning rates in [0.5, 12] x 2,000 steps each (1,500 transient + 500 kept,
  the kept steps with the shadow trajectory of the exponent) in one
  ``nc.bifurcation_diagram`` call; also without the exponent;
* map: a 256 x 256 trainability map over the two layers' learning rates x 500 steps;
* zoom: a 128 x 128 map x 500 steps on a square 8 times narrower;
* early stop: a 48 x 48 map x 500 steps of Iris 4-10-3 tanh with MSE on one-hot targets over
  the two layers' learning rates in [0.01, 10], where about half of the points diverge, run
  in segments of 100 steps (diverged points left out of later calls, the default) against
  one call.

Peers measured in the same run: the same lane count at one scalar learning rate
(``nc.train``, the scalar-rate kernel: what a per-lane rate costs), and one ``nc.train`` call
per learning rate (the loop a per-lane rate replaces), timed on a subsample of learning
rates and reported per trajectory-step.

    python benchmarks/bench_routes.py [--quick] [--json PATH]

Goals (2 cores): diagram under 10 s, map under 120 s, zoom under 15 s.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _peers  # noqa: E402, F401  (import first: sets the thread caps)

import numpy as np  # noqa: E402

import netchaos as nc  # noqa: E402

GOALS = {"diagram": 10.0, "map": 120.0, "zoom": 15.0}
SEGMENT = 100        # steps per call of the early-stop row (the default of trainability_map)


def _timed(f, label=None):
    t = time.perf_counter()
    out = f()
    t = time.perf_counter() - t
    if label:                                  # a long run shows each row as it finishes
        print(f"  {label}: {t:.2f} s", flush=True)
    return t, out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    q = args.quick
    n_lr, transient, kept = (100, 300, 100) if q else (1000, 1500, 500)
    n_map, n_zoom, steps_map = (32, 16, 100) if q else (256, 128, 500)
    n_loop = 10 if q else 40

    data = nc.datasets.iris(seed=0)
    model = nc.MLP([4, 10, 3])
    theta0 = model.init(seed=0)
    lr = np.linspace(0.5, 12.0, n_lr)
    # warm-up (compilation of every kernel shape used below)
    nc.bifurcation_diagram(model, data, lr[:16], theta0=theta0, steps=20, transient=5)
    nc.trainability_map(model, data, [1.0, 2.0] * 4, [1.0] * 8, steps=2, theta0=theta0)
    nc.train(model, data, np.repeat(theta0[None], 16, 0), lr=1.0, steps=2)

    with open("/proc/loadavg") as fh:
        load_before = fh.read().split()[:3]
    rows = {}
    t, res = _timed(lambda: nc.bifurcation_diagram(model, data, lr, theta0=theta0, steps=kept,
                                                   transient=transient), "diagram")
    rows["diagram"] = (t, n_lr * (transient + 2 * kept))
    t, _ = _timed(lambda: nc.bifurcation_diagram(model, data, lr, theta0=theta0, steps=kept,
                                                 transient=transient, exponent=False), "no exponent")
    rows["diagram (no exponent)"] = (t, n_lr * (transient + kept))
    steps = transient + kept
    t, _ = _timed(lambda: nc.train(model, data, np.repeat(theta0[None], n_lr, 0), lr=1.0,
                                   steps=steps, record="metrics"), "scalar peer")
    rows["peer: scalar-lr kernel, same lanes"] = (t, n_lr * steps)
    sub = lr[:: max(1, n_lr // n_loop)][:n_loop]
    t, _ = _timed(lambda: [nc.train(model, data, theta0, lr=float(v), steps=steps)
                           for v in sub], "loop peer")
    rows["peer: one train call per lr"] = (t, len(sub) * steps)

    g = np.geomspace(0.1, 100, n_map)
    t, tm = _timed(lambda: nc.trainability_map(model, data, g, g, steps=steps_map,
                                               theta0=theta0), "map")
    rows["map"] = (t, n_map * n_map * steps_map)
    b = np.argwhere(tm.boundary)
    i, j = b[len(b) // 2]
    a, c = nc.trainability.zoom_grids(np.log(g), np.log(g), (np.log(g[i]), np.log(g[j])),
                                      factor=8, n=n_zoom)
    t, zm = _timed(lambda: nc.trainability_map(model, data, np.exp(a), np.exp(c),
                                               steps=steps_map, theta0=theta0), "zoom")
    rows["zoom"] = (t, n_zoom * n_zoom * steps_map)
    # early stop: a map where many points diverge (tanh network, MSE on one-hot targets)
    Xq, yq = data.train
    Yq = np.eye(3)[yq]
    mse = nc.MLP([4, 10, 3], activation="tanh", loss="mse")
    n_q, steps_q = (16, 200) if q else (48, 500)
    gq = np.geomspace(0.01, 10, n_q)
    qkw = dict(steps=steps_q, theta0=mse.init(seed=0))
    nc.trainability_map(mse, (Xq, Yq), gq[:4], gq[:4], **qkw)          # warm-up
    t, qm = _timed(lambda: nc.trainability_map(mse, (Xq, Yq), gq, gq, segment=SEGMENT, **qkw),
                   "early stop")
    rows["MSE map (segments of 100)"] = (t, n_q * n_q * steps_q)
    t, _ = _timed(lambda: nc.trainability_map(mse, (Xq, Yq), gq, gq, segment=steps_q, **qkw),
                  "early stop peer")
    rows["peer: MSE map, one call"] = (t, n_q * n_q * steps_q)
    with open("/proc/loadavg") as fh:
        load_after = fh.read().split()[:3]

    print(f"netchaos routes benchmark: Iris 4-10-3 sigmoid, {_peers.N_THREADS} threads"
          f"{' (quick)' if q else ''}; load average before {' '.join(load_before)}, "
          f"after {' '.join(load_after)}")
    print(f"{'workload':40s} {'time [s]':>9s} {'traj-steps/s':>13s} {'goal':>8s}")
    rate = {k: n / t for k, (t, n) in rows.items()}
    for k, (t, n) in rows.items():
        goal = GOALS.get(k)
        mark = "" if goal is None or q else (f"{'ok' if t < goal else 'MISSED'} <{goal:g}")
        print(f"{k:40s} {t:9.2f} {n / t:13.3g} {mark:>8s}")
    print(f"per-lane lr vs scalar-lr kernel (throughput, no exponent): "
          f"{rate['diagram (no exponent)'] / rate['peer: scalar-lr kernel, same lanes']:.2f}x")
    print(f"per-lane lr vs one call per lr: "
          f"{rate['diagram (no exponent)'] / rate['peer: one train call per lr']:.1f}x")
    d = qm.diverged_at.ravel()
    run = np.where(d >= 0, np.minimum(np.maximum(-(-d // SEGMENT), 1) * SEGMENT, steps_q), steps_q)
    print(f"early stop (MSE map, {100 * (d >= 0).mean():.0f} % diverged, "
          f"{100 * run.mean() / steps_q:.0f} % of the trajectory-steps run): "
          f"{rows['peer: MSE map, one call'][0] / rows['MSE map (segments of 100)'][0]:.2f}x"
          f" one call; Iris map and zoom: {100 * (tm.diverged_at >= 0).mean():.1f} % and "
          f"{100 * (zm.diverged_at >= 0).mean():.1f} % diverged")
    print(f"map: {100 * tm.trained.mean():.1f} % trained, dimension {tm.dimension:.2f} "
          f"{np.round(tm.dimension_interval, 2)}; zoom: dimension {zm.dimension:.2f} "
          f"{np.round(zm.dimension_interval, 2)}; diagram max exponent "
          f"{np.nanmax(res.exponent):.3f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"rows": {k: {"seconds": t, "trajectory_steps": n}
                                for k, (t, n) in rows.items()},
                       "load_before": load_before, "load_after": load_after,
                       "threads": _peers.N_THREADS, "quick": q}, fh, indent=1)


if __name__ == "__main__":
    main()
