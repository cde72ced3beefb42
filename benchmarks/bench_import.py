"""Benchmark start-up costs of netchaos.

1. ``python -c "import netchaos"`` in a fresh subprocess: wall time measured by the
   parent (median of 5; includes interpreter start-up, which is measured separately with
   ``python -c "pass"`` and subtracted in the "net" column). Uses the normal Numba cache
   (one untimed import first so the cache is populated).
2. First call of ``nc.train`` in a new process:
   * cold: NUMBA_CACHE_DIR points to a fresh empty temporary directory, so every Numba
     function is compiled from scratch (the "first ever" call);
   * warm: a second process with the same NUMBA_CACHE_DIR (Numba cache hit).
   With --quick the cold run is skipped (it takes as long as netchaos' full compilation)
   unless --cold is given, and the warm run uses the default Numba cache.
   Inside the child: time of ``import netchaos``, of the first ``nc.train`` call
   (Iris [4,10,3] sigmoid, 8 trajectories, 5 steps, default record="metrics"), of a
   following record="final" call and of a repeat of the first call (steady state).

    python benchmarks/bench_import.py [--quick] [--json PATH] [--repeats N]
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _peers  # noqa: E402  (import first: sets the thread caps)
import numpy as np  # noqa: E402

TITLE = "netchaos benchmark import / first call (Numba cache cold vs warm)"

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import netchaos as nc
t1 = time.perf_counter()
import numpy as np
d = np.load(sys.argv[1])
X, y = d["X"], d["y"]
model = nc.MLP([4, 10, 3], activation="sigmoid", loss="cross_entropy")
theta0 = d["theta0"]
t2 = time.perf_counter()
nc.train(model, (X, y), theta0, 1.0, 5)                    # first call, record="metrics"
t3 = time.perf_counter()
nc.train(model, (X, y), theta0, 1.0, 5, record="final")    # first record="final" call
t4 = time.perf_counter()
nc.train(model, (X, y), theta0, 1.0, 5)                    # steady state
t5 = time.perf_counter()
print("@@RESULT@@" + json.dumps({"import_s": t1 - t0, "first_train_s": t3 - t2,
                                 "first_train_final_s": t4 - t3, "steady_train_s": t5 - t4}))
"""


def _run(cmd, env=None, timeout=1800):
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout,
                          cwd=_peers._REPO_ROOT)
    wall = time.perf_counter() - t0
    return proc, wall


def _child_env(cache_dir=None):
    env = dict(os.environ)
    # the subprocess must find the checkout even without `pip install -e .`
    env["PYTHONPATH"] = _peers._REPO_ROOT + (os.pathsep + env["PYTHONPATH"]
                                             if env.get("PYTHONPATH") else "")
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    return env


def _first_call(data_path, cache_dir):
    proc, wall = _run([sys.executable, "-c", CHILD, data_path], env=_child_env(cache_dir))
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip()
                           else f"exit code {proc.returncode}")
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("@@RESULT@@"))
    res = json.loads(line[len("@@RESULT@@"):])
    res["process_wall_s"] = wall
    return res


def main(argv=None):
    args = _peers.parse_args(argv, description=__doc__, extra=lambda ap: ap.add_argument(
        "--cold", action="store_true",
        help="with --quick: also do the cold-cache run (always done without --quick)"))
    do_cold = args.cold or not args.quick
    n_import = 3 if args.quick else 5
    n_warm = 1 if args.quick else max(args.repeats, 3)
    text, env = _peers.header(TITLE, [
        f"workload: subprocess `python -c \"import netchaos\"` (median of {n_import}); "
        f"first nc.train call in a new process, Numba cache cold (fresh NUMBA_CACHE_DIR) "
        f"vs warm ({n_warm} run(s))",
        "          child train call: Iris [4,10,3] sigmoid, K=8, 5 steps, lr=1"], n_import,
        timing="wall clock (time.perf_counter); subprocess times measured by the parent, "
               "in-child phases by the child; medians reported")
    print(text, flush=True)
    payload = {"benchmark": "import" + ("_quick" if args.quick else ""), "title": TITLE,
               "env": env, "rows": []}
    ok, why = _peers.netchaos_available()
    if not ok:
        print(f"SKIPPED: {why}")
        payload["rows"].append({"peer": "netchaos", "status": "skipped", "note": why})
        _peers.write_json(args.json, payload)
        return payload

    # --- 1. bare import -------------------------------------------------------------
    env0 = _child_env()
    _run([sys.executable, "-c", "import netchaos"], env=env0)          # populate caches
    base = [_run([sys.executable, "-c", "pass"], env=env0)[1] for _ in range(n_import)]
    imp = []
    for _ in range(n_import):
        proc, wall = _run([sys.executable, "-c", "import netchaos"], env=env0)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr)
        imp.append(wall)
    imp_med, base_med = statistics.median(imp), statistics.median(base)
    rows = [
        {"peer": "python -c pass", "status": "ok", "time_s": base_med, "times_s": base},
        {"peer": "python -c 'import netchaos'", "status": "ok", "time_s": imp_med,
         "times_s": imp, "net_s": imp_med - base_med},
    ]

    # --- 2. first call, cold vs warm Numba cache -----------------------------------------
    X, y = _peers.iris_data()
    with tempfile.TemporaryDirectory(prefix="netchaos-bench-") as tmp:
        data_path = os.path.join(tmp, "data.npz")
        np.savez(data_path, X=X, y=y, theta0=_peers.init_theta((4, 10, 3), 8, seed=0))
        cache_dir = os.path.join(tmp, "numba_cache")
        os.makedirs(cache_dir)
        try:
            if do_cold:
                cold = _first_call(data_path, cache_dir)
            else:
                # --quick: no timed cold compile; the warm run uses the default Numba
                # cache, populated by one untimed child run (fast if already populated)
                cold = None
                cache_dir = None
                print("populating the default Numba cache (untimed child run) ...", flush=True)
                _first_call(data_path, cache_dir)
            warm = [_first_call(data_path, cache_dir) for _ in range(n_warm)]
        except Exception as exc:
            print(f"ERROR in child process: {exc}")
            payload["rows"] = rows + [{"peer": "first call", "status": "error",
                                       "note": str(exc)}]
            _peers.write_json(args.json, payload)
            return payload
        n_cache_files = (sum(len(f) for _, _, f in os.walk(cache_dir))
                         if cache_dir is not None else None)

    def med(key):
        return statistics.median(w[key] for w in warm)

    if cold is not None:
        rows.append({"peer": "first call, cache cold", "status": "ok", **cold})
    else:
        rows.append({"peer": "first call, cache cold", "status": "skipped",
                     "note": "--quick (use --cold)"})
    rows.append({"peer": "first call, cache warm", "status": "ok",
                 **{k: med(k) for k in warm[0]}, "runs": warm,
                 "cache": "fresh dir populated by the cold run" if cold is not None
                 else "default Numba cache"})
    payload["rows"] = rows
    payload["numba_cache_files"] = n_cache_files

    print(f"{'measurement':<32} {'median [s]':>11} {'net of python start-up [s]':>27}   runs")
    print("-" * 100)
    print(f"{'python -c pass':<32} {base_med:>11.3f} {'':>27}   "
          + " ".join(f"{t:.3f}" for t in base))
    label_imp = 'python -c "import netchaos"'
    print(f"{label_imp:<32} {imp_med:>11.3f} {imp_med - base_med:>27.3f}   "
          + " ".join(f"{t:.3f}" for t in imp))
    print()
    hdr = (f"{'new process, Numba cache':<26} {'import':>8} {'1st train':>10} "
           f"{'1st final':>10} {'steady':>8} {'process wall':>13}")
    print(hdr)
    print("-" * len(hdr))
    for label, r in (("cold (fresh cache dir)", cold), (f"warm (median of {n_warm})",
                                                        rows[-1])):
        if r is None:
            print(f"{label:<26} skipped with --quick (add --cold)")
            continue
        print(f"{label:<26} {r['import_s']:>8.3f} {r['first_train_s']:>10.3f} "
              f"{r['first_train_final_s']:>10.3f} {r['steady_train_s']:>8.4f} "
              f"{r['process_wall_s']:>13.3f}")
    print(f"  seconds; 1st train = first nc.train(record='metrics') call, 1st final = first "
          f"record='final' call after it,\n  steady = the same call again; cache files written: "
          f"{n_cache_files}")
    if cold is not None:
        speed = cold["first_train_s"] / max(rows[-1]["first_train_s"], 1e-9)
        print(f"cache hit speeds up the first train call {speed:.1f}x "
              f"(cold {cold['first_train_s']:.2f} s -> warm {rows[-1]['first_train_s']:.2f} s)")
    _peers.write_json(args.json, payload)
    return payload


if __name__ == "__main__":
    main()
