"""Peak memory of perturbation ensembles and of one sweep chunk, against the state they hold.

Each case runs in a fresh Python process, which reports its peak resident set size
(``ru_maxrss``) above the resident size it had once the package was imported, the kernels
compiled (a tiny warm-up run) and the data made. Two questions:

* one chunk of a sweep (``chunk_size = 2`` initial conditions of a 784-512-10 network):
  its memory must depend on the chunk, not on the ``n_init`` of the ensemble it belongs to;
* a whole :func:`netchaos.perturbation_ensemble`: its peak in copies of the (K, P) state of
  its K = n_init * (1 + n_pert) trajectories; ``kept/state`` is what the result itself
  keeps (the final states, the perturbations and the references at the perturbation: two
  copies when ``start == 0``, where ``theta_start`` is ``theta_init``).

Usage::

    python benchmarks/bench_memory.py            # the cases below, about a minute
"""

import json
import os
import subprocess
import sys

CASE = r"""
import json, resource, sys
import numpy as np
import netchaos as nc
from netchaos import sweeps
from netchaos._random import seed_entropy

kind, sizes, n_init, n_pert, n_samples = json.loads(sys.argv[1])
rng = np.random.default_rng(0)
X = rng.standard_normal((n_samples, sizes[0]))
y = rng.integers(0, sizes[-1], n_samples)
model = nc.MLP(sizes, activation="tanh")
small = nc.MLP([sizes[0], 2, sizes[-1]], activation="tanh")
nc.perturbation_ensemble(small, (X[:4], y[:4]), 0.1, 2, 1e-8, n_init=2, n_pert=1, seed=0)
if model._wide:   # load the matrix-product kernels too, outside the measured run
    narrow_wide = nc.MLP([sizes[0], 30_000 // sizes[0] + 1, sizes[-1]], activation="tanh")
    nc.perturbation_ensemble(narrow_wide, (X[:4], y[:4]), 0.1, 2, 1e-8, n_init=2, n_pert=1,
                             seed=0)


def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024


base = rss()
if kind == "chunk":
    params = dict(model=model, data=(X, y), lr=0.1, steps=2, eps=1e-8, n_init=n_init,
                  n_pert=n_pert, seed=seed_entropy(0), pert_key=0, scope="weights", start=0,
                  theta0=None, init_scale=1.0, init_scheme="normal", test_metrics=False,
                  record="distances", fit={}, block=(0, 2))
    out = sweeps._run_chunk(params)
    K = 2 * (1 + n_pert)
else:
    out = nc.perturbation_ensemble(model, (X, y), 0.1, 2, 1e-8, n_init=n_init, n_pert=n_pert,
                                   seed=0)
    K = n_init * (1 + n_pert)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
res = out["ensemble"] if isinstance(out, dict) else out
arrays = {id(a): a for a in (getattr(res, f, None) for f in ("theta_init", "theta_start",
                                                              "delta", "theta_final"))
          if isinstance(a, np.ndarray)}
kept = sum(a.nbytes for a in arrays.values())   # the result's own states, each array once
print(json.dumps({"peak": peak - base, "state": 8 * K * model.n_params, "P": model.n_params,
                  "kept": kept}))
"""

CASES = [
    ("chunk", [784, 512, 10], 2, 5, 200),
    ("chunk", [784, 512, 10], 60, 5, 200),
    ("ensemble", [784, 512, 10], 20, 5, 200),
    ("ensemble", [784, 64, 10], 100, 5, 200),
]


def run(case):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", CASE, json.dumps(case)], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    print(f"{'case':<10}{'network':<16}{'n_init':>7}{'n_pert':>7}{'peak MiB':>10}"
          f"{'state MiB':>11}{'peak/state':>12}{'kept/state':>12}")
    for case in CASES:
        r = run(case)
        kind, sizes, n_init, n_pert, _ = case
        print(f"{kind:<10}{'-'.join(map(str, sizes)):<16}{n_init:>7}{n_pert:>7}"
              f"{r['peak'] / 2**20:>10.0f}{r['state'] / 2**20:>11.0f}"
              f"{r['peak'] / r['state']:>12.2f}"
              + (f"{r['kept'] / r['state']:>12.2f}" if r["kept"] else f"{'-':>12}"))


if __name__ == "__main__":
    main()
