"""Benchmark a digits learning-rate sweep on a Dask LocalCluster against one process.

Workload: :func:`netchaos.lr_sweep` on scikit-learn's digits (64-32-10 tanh, 1,437
training samples, full batch, N(0, 1) weights, zero biases, eps = 1e-8), the protocol of
the onset-of-chaos study; each learning rate is one chunk (its 24 trajectories fill one
lane block of the kernels: splitting it into chunks of 12 trajectories was measured 1.37x
slower per trajectory on one thread). Rows:

- ``one process, 1 thread``: the local path with Numba capped to one thread, i.e. what
  one single-threaded worker does;
- ``one process, 2 threads``: the local path as a laptop runs it (Numba's parallel loops
  over trajectories on both cores);
- ``LocalCluster 1 x 1`` and ``LocalCluster 2 x 1``: the same call with
  ``executor=client`` on clusters of one and two single-threaded worker processes
  (started and warmed up before the clock starts).

Speed-up goal: 2 workers at least 1.7x one process (one thread). The per-chunk overhead
is measured with 40 tiny chunks (one trajectory pair, one step) on the 1-worker cluster:
(cluster wall - local wall) / 40. Every distributed result is checked bitwise against the
local one.

The last lines estimate the MNIST-size sweep of the study (784-64-10, 60,000 training
samples, 16 learning rates x 50 initial conditions x 6 trajectories) in worker-hours from
a measured single-thread throughput of the 784-64-10 network.

    python benchmarks/bench_distributed.py [--quick] [--json PATH] [--repeats N]
"""
from __future__ import annotations

import contextlib
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _peers  # noqa: E402  (import first: sets the thread caps)

TITLE = "netchaos benchmark: digits learning-rate sweep on Dask vs one process"

MNIST = dict(n_lr=16, n_init=50, traj=6, n_train=60000, sizes=[784, 64, 10])


def _identical(a, b):
    import numpy as np

    for v in a.values:
        x, y = a.results[float(v)], b.results[float(v)]
        if not (np.array_equal(x.distances, y.distances, equal_nan=True)
                and np.array_equal(x.theta_final, y.theta_final, equal_nan=True)):
            return False
    return bool(np.array_equal(a.mle, b.mle, equal_nan=True)
                and np.array_equal(a.mle_ci, b.mle_ci, equal_nan=True))


def _timed(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times), out


def _mnist_rate():
    """Trajectory-steps per second of one thread on a 784-64-10 tanh network, measured on
    6,000 random MNIST-shaped samples (the cost is linear in the sample count)."""
    import numba
    import numpy as np

    import netchaos as nc

    rng = np.random.default_rng(0)
    n = 6000
    X = rng.random((n, 784))
    y = rng.integers(0, 10, n)
    model = nc.MLP(MNIST["sizes"], activation="tanh")
    theta = model.init(seed=0, n=6)
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        nc.train(model, (X, y), theta, 1.0, 1, record="final")
        t0 = time.perf_counter()
        steps = 3
        nc.train(model, (X, y), theta, 1.0, steps, record="final")
        dt = time.perf_counter() - t0
    finally:
        numba.set_num_threads(before)
    return 6 * steps / dt * n / MNIST["n_train"]


def main(argv=None):
    args = _peers.parse_args(argv, description=__doc__)
    if args.quick:
        lrs, n_init, steps = [1.0, 2.0, 4.0, 8.0], 2, 60
    else:
        # the study's 16 learning rates: 16 chunks keep both workers busy to the end
        lrs, n_init, steps = [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0,
                              6.0, 7.0, 8.0, 10.0], 4, 100
    n_pert = 5
    chunk = None  # one chunk per learning rate: all its trajectories in one lane block
    repeats = max(1, min(args.repeats, 2))
    traj_steps = len(lrs) * n_init * (1 + n_pert) * steps
    text, env = _peers.header(TITLE, [
        f"workload: nc.lr_sweep, digits [64,32,10] tanh, 1,437 samples, full batch, "
        f"{len(lrs)} learning rates x {n_init} ICs x (1 + {n_pert}) trajectories x {steps} "
        f"steps = {traj_steps:,} trajectory-steps, every fit + bootstrap; one chunk per lr",
        "          clusters: LocalCluster(n_workers=N, threads_per_worker=1, processes=True), "
        "started and warmed up before timing"], repeats,
        timing=f"wall clock of the lr_sweep call; {repeats} interleaved rounds, best reported")
    print(text, flush=True)
    payload = {"benchmark": "distributed" + ("_quick" if args.quick else ""), "title": TITLE,
               "env": env, "rows": []}
    ok, why = _peers.netchaos_available()
    if not ok or not _peers._importable("distributed")[0]:
        why = why if not ok else "dask.distributed not installed (pip install netchaos[distributed])"
        print(f"SKIPPED: {why}")
        payload["rows"].append({"peer": "netchaos", "status": "skipped", "note": why})
        _peers.write_json(args.json, payload)
        return payload

    import numba
    from distributed import Client, LocalCluster

    import netchaos as nc

    data = nc.datasets.digits(seed=0)
    model = nc.MLP([64, 32, 10], activation="tanh")
    kw = dict(steps=steps, eps=1e-8, n_init=n_init, n_pert=n_pert, seed=0)

    def sweep(executor=None, values=lrs, **extra):
        return nc.lr_sweep(model, data, values, executor=executor, **{**kw, **extra})

    sweep(values=lrs[:1], steps=3)  # compile / load the kernels (untimed)
    top = numba.get_num_threads()

    def one_thread():
        numba.set_num_threads(1)
        try:
            return sweep()
        finally:
            numba.set_num_threads(top)

    # both clusters stay up for the whole run and the rows are timed in interleaved rounds
    # (each round times every row once), so a change of the machine's speed during the run
    # hits every row alike; paired = median over rounds of the ratio within a round
    with contextlib.ExitStack() as stack:
        clients = {}
        for n_workers in (1, 2):
            cluster = stack.enter_context(LocalCluster(
                n_workers=n_workers, threads_per_worker=1, processes=True,
                dashboard_address=":0"))
            client = stack.enter_context(Client(cluster))
            sweep(client, values=lrs[:n_workers], steps=3)  # warm-up plugin + first task
            clients[n_workers] = client
        runs = [("one process, 1 thread", one_thread),
                (f"one process, {top} threads", sweep),
                ("LocalCluster 1 x 1", lambda: sweep(clients[1], chunk_size=chunk)),
                ("LocalCluster 2 x 1", lambda: sweep(clients[2], chunk_size=chunk))]
        times = {name: [] for name, _ in runs}
        same = {name: True for name, _ in runs}
        ref = None
        for _ in range(repeats):
            for name, fn in runs:
                t0 = time.perf_counter()
                out = fn()
                times[name].append(time.perf_counter() - t0)
                ref = out if ref is None else ref
                same[name] &= _identical(out, ref)
        tiny = dict(values=[float(v) for v in range(1, 41)], steps=1, n_init=1, n_pert=1,
                    mle_kwargs={"n_boot": 10}, fit_kwargs={"min_window": 3})
        t_local = min(_timed(lambda: sweep(None, **tiny), 3)[:2])
        t_dask = min(_timed(lambda: sweep(clients[1], **tiny), 3)[:2])
        overhead = (t_dask - t_local) / 40
    rows = [dict(peer=name, time_s=min(times[name]), time_median_s=statistics.median(times[name]),
                 times_s=times[name], same=same[name]) for name, _ in runs]
    base = rows[0]["time_s"]
    print(f"{'row':<26} {'best s':>8} {'median s':>9} {'traj-steps/s':>13} "
          f"{'speed-up':>9}  identical")
    for r in rows:
        r["status"] = "ok"
        r["traj_steps_per_s"] = traj_steps / r["time_s"]
        r["speedup_vs_one_thread"] = base / r["time_s"]
        r["note"] = (f"{r['speedup_vs_one_thread']:.2f}x one process (1 thread); "
                     f"bitwise identical: {'yes' if r['same'] else 'NO'}")
        print(f"{r['peer']:<26} {r['time_s']:>8.2f} {r['time_median_s']:>9.2f} "
              f"{_peers.fmt_rate(r['traj_steps_per_s']):>13} {r['speedup_vs_one_thread']:>8.2f}x"
              f"  {'yes' if r['same'] else 'NO'}")
    two = rows[-1]["time_s"]
    paired = [statistics.median(a / b for a, b in zip(r["times_s"], rows[-1]["times_s"]))
              for r in rows]
    print("-" * 80)
    print("paired (median over rounds of row time / 2-worker time in the same round): "
          + ", ".join(f"{r['peer']} {p:.2f}x" for r, p in zip(rows, paired)))
    print(f"speed-up of 2 workers: {base / two:.2f}x one process (1 thread), "
          f"{rows[1]['time_s'] / two:.2f}x one process ({top} threads), "
          f"{rows[2]['time_s'] / two:.2f}x 1 worker")
    print(f"per-chunk overhead on the cluster: {overhead * 1e3:.1f} ms "
          f"(40 one-step chunks, cluster minus local)")
    met = base / two >= 1.7 and paired[0] >= 1.7
    target = {"target": "LocalCluster 2 x 1 >= 1.7x one process (1 thread)",
              "measured": base / two, "paired": paired[0], "met": met,
              "informational": bool(args.quick),
              "text": f"*** TARGET 2 workers >= 1.7x one process: measured {base / two:.2f}x "
                      f"(best), {paired[0]:.2f}x (paired) -> {'MET' if met else 'NOT MET'} ***"}
    for r, p in zip(rows, paired):
        r["paired_speedup_of_2_workers"] = p
    print(target["text"] + (" (quick size: informational)" if args.quick else ""))
    payload["targets"] = [target]
    rate = _mnist_rate()
    per_step_hours = MNIST["n_lr"] * MNIST["n_init"] * MNIST["traj"] / rate / 3600
    print(f"MNIST-size estimate: 784-64-10 tanh, {MNIST['n_train']:,} samples: "
          f"{rate:.2f} trajectory-steps/s per single-thread worker; the study's sweep "
          f"({MNIST['n_lr']} lr x {MNIST['n_init']} ICs x {MNIST['traj']} trajectories) costs "
          f"{per_step_hours:.3f} worker-hours per GD step, {per_step_hours * 1000:.0f} "
          f"worker-hours for 1,000 steps ({per_step_hours * 1000 / 64:.1f} h of wall time "
          f"on 64 workers)")
    payload["rows"] = rows
    payload["per_chunk_overhead_s"] = overhead
    payload["mnist_traj_steps_per_s_per_worker"] = rate
    payload["mnist_worker_hours_per_step"] = per_step_hours
    _peers.write_json(args.json, payload)
    return payload


if __name__ == "__main__":
    main()
