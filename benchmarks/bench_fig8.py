"""Benchmark the end-to-end workload of Fig. 8 of Danovski et al. (2024).

Iris 4-10-3 sigmoid, lr = 1, 200 full-batch steps; 14 perturbation radii eps log-spaced
from 1e-14 to 1e-2; for every eps 500 initial conditions x (1 reference + 5 perturbed
copies) = 3,000 trajectories, the L1 distance of every copy to its reference computed on
the fly, then every fit: the finite network Lyapunov exponent of each initial condition
(:func:`netchaos.finite_lyapunov`, best-R^2 window search) and lambda_nMLE with its
bootstrap interval (:func:`netchaos.network_mle`). One call: :func:`netchaos.eps_sweep`.

The workload runs in a fresh subprocess so that its peak resident memory (``VmHWM``,
which includes the interpreter, numpy, Numba and its compiled kernels) is its own. The
peer row is what the original protocol stores: every weight of every trajectory at every
step, 14 x 3,000 x 83 x 201 float64 values (not run; its size is computed).

    python benchmarks/bench_fig8.py [--quick] [--json PATH] [--repeats N]

Goals: under 60 s and under 500 MB peak.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _peers  # noqa: E402  (import first: sets the thread caps)

TITLE = "netchaos benchmark Fig. 8 workload (eps sweep at lr = 1, wall time and peak memory)"

CHILD = r"""
import json, resource, sys, time
def status_mb(field):
    # VmHWM (peak) and VmRSS of this process image; ru_maxrss would also count the
    # parent's memory copied by fork before exec
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
def rss_mb():
    return status_mb("VmRSS")
t0 = time.perf_counter()
import numpy as np
import netchaos as nc
t1 = time.perf_counter()
rss_import = rss_mb()
n_init, n_eps = int(sys.argv[1]), int(sys.argv[2])
data = nc.datasets.iris(seed=0)
model = nc.MLP([4, 10, 3], activation="sigmoid", loss="cross_entropy")
eps_values = np.geomspace(1e-14, 1e-2, n_eps)
t2 = time.perf_counter()
sweep = nc.eps_sweep(model, data, lr=1.0, steps=200, eps_values=eps_values, n_init=n_init,
                     n_pert=5, seed=0)
t3 = time.perf_counter()
peak = status_mb("VmHWM")
print("@@RESULT@@" + json.dumps({
    "import_s": t1 - t0, "sweep_s": t3 - t2, "total_s": t3 - t0, "peak_rss_mb": peak,
    "rss_after_import_mb": rss_import, "rss_end_mb": rss_mb(),
    "eps": eps_values.tolist(), "mle": sweep.mle.tolist(),
    "kept_fraction": sweep.kept_fraction.tolist(), "n_diverged": sweep.n_diverged.tolist()}))
"""


def _child(n_init, n_eps):
    env = dict(os.environ)
    env["PYTHONPATH"] = _peers._REPO_ROOT + (os.pathsep + env["PYTHONPATH"]
                                             if env.get("PYTHONPATH") else "")
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, str(n_init), str(n_eps)], env=env,
                          capture_output=True, text=True, timeout=3600, cwd=_peers._REPO_ROOT)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip()[-2000:] or f"exit code {proc.returncode}")
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("@@RESULT@@"))
    res = json.loads(line[len("@@RESULT@@"):])
    res["process_wall_s"] = wall
    return res


def main(argv=None):
    args = _peers.parse_args(argv, description=__doc__)
    n_init, n_eps = (50, 4) if args.quick else (500, 14)
    repeats = 1 if args.quick else max(1, min(args.repeats, 3))
    steps, n_pert, P = 200, 5, 83
    n_traj = n_eps * n_init * (1 + n_pert)
    stored_gb = n_traj * P * (steps + 1) * 8 / 1e9
    text, env = _peers.header(TITLE, [
        f"workload: nc.eps_sweep, Iris [4,10,3] sigmoid, lr=1, {steps} steps, {n_eps} eps "
        f"(1e-14..1e-2), {n_init} ICs x (1 + {n_pert}) = {n_traj:,} trajectories in all, "
        f"every fit + bootstrap",
        "          fresh subprocess per run (interpreter + imports + Numba cache load included "
        "in 'process')"], repeats,
        timing=f"wall clock; {repeats} run(s), median reported; peak = VmHWM of the child")
    print(text, flush=True)
    payload = {"benchmark": "fig8" + ("_quick" if args.quick else ""), "title": TITLE,
               "env": env, "rows": []}
    ok, why = _peers.netchaos_available()
    if not ok:
        print(f"SKIPPED: {why}")
        payload["rows"].append({"peer": "netchaos", "status": "skipped", "note": why})
        _peers.write_json(args.json, payload)
        return payload

    _child(4, 1)  # populate the Numba cache (untimed)
    runs = [_child(n_init, n_eps) for _ in range(repeats)]
    keys = ("sweep_s", "total_s", "process_wall_s", "peak_rss_mb", "rss_after_import_mb")
    med = {k: statistics.median([r[k] for r in runs]) for k in keys}
    last = runs[-1]
    print(f"{'row':<44} {'wall s':>9} {'peak MB':>9}")
    print(f"{'netchaos eps_sweep (in-process)':<44} {med['sweep_s']:>9.1f} {'':>9}")
    print(f"{'netchaos whole process':<44} {med['process_wall_s']:>9.1f} "
          f"{med['peak_rss_mb']:>9.0f}")
    print(f"{'  of which after imports':<44} {'':>9} {med['rss_after_import_mb']:>9.0f}")
    print(f"{'storing every weight (original protocol)':<44} {'-':>9} "
          f"{stored_gb * 1e3:>9.0f}  (computed, not run)")
    print("-" * 66)
    print("eps        lambda_nMLE  kept")
    for e, m, k in zip(last["eps"], last["mle"], last["kept_fraction"]):
        print(f"{e:<10.1e} {m:>11.3f}  {k:.3f}")
    if not args.quick:
        goal_t = med["process_wall_s"] < 60
        goal_m = med["peak_rss_mb"] < 500
        print(f"goal wall < 60 s: {'met' if goal_t else 'NOT met'} ({med['process_wall_s']:.1f} s);"
              f" goal peak < 500 MB: {'met' if goal_m else 'NOT met'} "
              f"({med['peak_rss_mb']:.0f} MB); memory ratio vs storing every weight "
              f"{stored_gb * 1e3 / med['peak_rss_mb']:.0f}x")
    payload["rows"] = [
        {"peer": "netchaos", "status": "ok", "time_s": med["process_wall_s"], **med,
         "runs": runs},
        {"peer": "store every weight", "status": "computed", "memory_mb": stored_gb * 1e3},
    ]
    _peers.write_json(args.json, payload)
    return payload


if __name__ == "__main__":
    main()
