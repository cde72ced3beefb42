"""Benchmark digits: sklearn digits (/16, 1,437 training samples) [64, 32, 10] tanh,
lr = 0.1, 48 trajectories x 50 steps, full batch.

Same harness as bench_w1.py (peers from ``_peers.py``); a larger network and data set,
where BLAS-based peers are at their best. Target: netchaos >= 1.5x jax_vmap_jit.

    python benchmarks/bench_digits.py [--quick] [--json PATH] [--repeats N] [--peers a,b] [--no-check]
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _peers  # noqa: E402  (import first: sets the thread caps before numpy/jax/torch)

TITLE = ("netchaos benchmark digits: [64,32,10] tanh, N=1437, lr=0.1 "
         "(target: netchaos >= 1.5x jax_vmap_jit)")
FULL = dict(K=48, steps=50, torch_loop_traj=8)
QUICK = dict(K=8, steps=10, torch_loop_traj=2)


def workload(quick=False):
    return _peers.TrainingWorkload(
        name="digits" + ("_quick" if quick else ""), dataset="digits", sizes=(64, 32, 10),
        activation="tanh", lr=0.1, check_steps=20, check_tol=1e-10,
        targets=[("jax_vmap_jit", 1.5)], **(QUICK if quick else FULL))


def main(argv=None):
    args = _peers.parse_args(argv, description=__doc__)
    return _peers.run_training_benchmark(
        workload(args.quick), TITLE, repeats=args.repeats, peers_filter=args.peer_list,
        json_path=args.json, skip_check=args.no_check)


if __name__ == "__main__":
    main()
