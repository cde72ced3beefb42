"""Benchmark W1: Iris [4, 10, 3] sigmoid, lr = 1, 1,200 trajectories x 200 steps, full batch.

Times netchaos against the peers of ``_peers.py`` in the same run and prints the
throughput (trajectory-steps per second) of every peer and the ratio
netchaos / peer. Target: netchaos >= 4x jax_vmap_jit.

    python benchmarks/bench_w1.py [--quick] [--json PATH] [--repeats N] [--peers a,b] [--no-check]
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _peers  # noqa: E402  (import first: sets the thread caps before numpy/jax/torch)

TITLE = "netchaos benchmark W1: Iris [4,10,3] sigmoid, lr=1 (target: netchaos >= 4x jax_vmap_jit)"
FULL = dict(K=1200, steps=200, torch_loop_traj=20)
QUICK = dict(K=120, steps=40, torch_loop_traj=4)


def workload(quick=False):
    return _peers.TrainingWorkload(
        name="w1" + ("_quick" if quick else ""), dataset="iris", sizes=(4, 10, 3),
        activation="sigmoid", lr=1.0, check_steps=20, check_tol=1e-9,
        targets=[("jax_vmap_jit", 4.0)], **(QUICK if quick else FULL))


def main(argv=None):
    args = _peers.parse_args(argv, description=__doc__)
    return _peers.run_training_benchmark(
        workload(args.quick), TITLE, repeats=args.repeats, peers_filter=args.peer_list,
        json_path=args.json, skip_check=args.no_check)


if __name__ == "__main__":
    main()
