"""Benchmark the tangent map of the GD step (Benettin / QR Lyapunov spectrum).

Workload: Iris [4, 10, 3] sigmoid (P = 83), lr = 1, one GD trajectory of 200 steps
from theta0 (W ~ N(0,1), b = 0, seed 0), Q0 = I (83 x 83). At every step the tangent
map J = I - lr*H(theta) is applied to the full 83-column block (83 Jacobian-vector
products = the full Jacobian), Q <- qr(J Q) (log|diag R| accumulated), and theta is
advanced by one GD step.

Peers (``_peers.tangent_peers``):
  netchaos            Python loop: model.jvp_map(theta, Q, X, y, lr), np.linalg.qr,
                      theta -= lr*model.grad(theta, X, y)
  netchaos[lyapunov]  nc.lyapunov_spectrum (model mode, all 83 exponents; the
                      NETCHAOS-LYAPUNOV adapter in _peers.py)
  jax_jacfwd_scan     jax.jacfwd of the GD map, J @ Q, jnp.linalg.qr, theta advance, the
                      whole loop in one jitted fori_loop
  jax_linearize_scan  (extra) jax.linearize + vmap over Q's columns, same jitted loop
  torch_func_jacfwd   eager loop: torch.func.jacfwd(torch.func.grad(loss)), torch.linalg.qr
  numpy_rop           (extra, reference) hand-written exact R-operator in numpy

Reports time per step and the ratio netchaos / peer (speed); cross-checks final theta
and the Lyapunov spectrum estimate of a 20-step run against the numpy reference.

    python benchmarks/bench_tangent.py [--quick] [--json PATH] [--repeats N] [--peers a,b]
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _peers  # noqa: E402  (import first: sets the thread caps before numpy/jax/torch)
import numpy as np  # noqa: E402

TITLE = "netchaos benchmark tangent: Benettin QR on Iris [4,10,3] sigmoid, lr=1, Q = 83x83"
SIZES = (4, 10, 3)
ACTIVATION = "sigmoid"
LR = 1.0
FULL = dict(steps=200)
QUICK = dict(steps=20)
CHECK_STEPS = 20
CHECK_TOL = 1e-9


def fd_sanity(X, y, theta, rng_seed=1, k=3, eps=1e-5):
    """Max abs error of the numpy R-operator J V vs central differences of the numpy
    gradient (validates the reference itself; O(eps^2) + rounding ~ 1e-8 expected)."""
    Y1h = _peers.one_hot(y, SIZES[-1])
    V = np.random.default_rng(rng_seed).standard_normal((theta.size, k))
    JV = _peers.np_jvp_map(theta, V, SIZES, ACTIVATION, X, Y1h, LR)
    fd = np.stack([V[:, i] - LR * (
        _peers.np_grad_single(theta + eps * V[:, i], SIZES, ACTIVATION, X, Y1h)
        - _peers.np_grad_single(theta - eps * V[:, i], SIZES, ACTIVATION, X, Y1h)) / (2 * eps)
        for i in range(k)], axis=1)
    return float(np.max(np.abs(JV - fd))), float(np.max(np.abs(JV)))


def main(argv=None):
    args = _peers.parse_args(argv, description=__doc__)
    steps = (QUICK if args.quick else FULL)["steps"]
    X, y = _peers.iris_data()
    theta0 = _peers.init_theta(SIZES, 1, seed=0)[0]
    P = theta0.size
    Q0 = np.eye(P)
    workload = [
        f"workload: tangent{'_quick' if args.quick else ''}: iris N={X.shape[0]} | sizes "
        f"{list(SIZES)} ({P} params) {ACTIVATION} | softmax CE, lr={LR} | one trajectory, "
        f"{steps} steps",
        f"          per step: J = I - lr*H applied to Q ({P}x{P}: {P} JVPs = full Jacobian), "
        f"Q,R = qr(JQ), theta <- theta - lr*grad",
    ]
    text, env = _peers.header(TITLE, workload, args.repeats)
    print(text, flush=True)
    peers = _peers.select_peers(_peers.tangent_peers(), args.peer_list)

    diffs, diffs_spec = {}, {}
    if not args.no_check:
        err, scale = fd_sanity(X, y, theta0)
        print(f"reference sanity: numpy R-operator J V vs central differences of the gradient: "
              f"max err {err:.1e} (|JV| max {scale:.1e})")
        print(f"cross-check: {CHECK_STEPS} steps vs numpy_rop (final theta; spectrum "
              f"estimate log|diag R| sum / steps) ...", flush=True)
        ref = _peers.numpy_rop_tangent(SIZES, ACTIVATION, X, y, theta0, Q0, LR, CHECK_STEPS)
        for p in peers:
            ok, why = p.available()
            if not ok:
                continue
            try:
                th, _Q, logs = p.fn(SIZES, ACTIVATION, X, y, theta0, Q0, LR, CHECK_STEPS)
                d_th = float(np.max(np.abs(th - ref[0])))
                if p.tangent_compare == "sum":   # own Q0: only sum(exponents) comparable
                    d_sp = float(abs(np.sum(logs) - np.sum(ref[2]))) / CHECK_STEPS
                else:
                    d_sp = float(np.max(np.abs(logs - ref[2]))) / CHECK_STEPS
                diffs[p.name] = d_th
                diffs_spec[p.name] = d_sp
                flag = "ok" if max(d_th, d_sp) <= CHECK_TOL else "MISMATCH"
                what = "|dΣλ|" if p.tangent_compare == "sum" else "max|dλ|"
                print(f"  {p.name:<22} max|dθ| = {d_th:.2e}   {what:>7} = {d_sp:.2e}  [{flag}]")
            except Exception as exc:
                diffs[p.name] = f"error: {type(exc).__name__}: {exc}"
                print(f"  {p.name:<22} ERROR {type(exc).__name__}: {exc}")
        print("-" * 100, flush=True)

    print(f"timing ({args.repeats} interleaved rounds) ...", flush=True)
    rows, available = _peers.start_rows(peers, log=print)
    jobs, results = [], {}
    for p in available:

        def run(p=p, n=steps):
            results[p.name] = p.fn(SIZES, ACTIVATION, X, y, theta0, Q0, LR, n)

        jobs.append(dict(name=p.name, run=run,
                         warmup=lambda p=p: p.fn(SIZES, ACTIVATION, X, y, theta0, Q0, LR, 2)))
    times = _peers.time_interleaved(jobs, repeats=args.repeats,
                                    log=lambda m: print(m, flush=True))
    for row, t in _peers.timed_rows(rows, times):
        row.update(steps=steps, **_peers.summarize_times(t, steps))
        row["steps_per_s"] = row.pop("traj_steps_per_s")
        row["time_per_step_s"] = row["time_s"] / steps
        row["jvps_per_s"] = row["steps_per_s"] * P
        th, _Q, logs = results[row["peer"]]
        spec = np.sort(logs / steps)[::-1]
        row["lyapunov_top3"] = [float(v) for v in spec[:3]]
        row["lyapunov_sum"] = float(np.sum(logs) / steps)
    _peers.add_ratios(rows, key="steps_per_s")
    print()
    print(_peers.format_table(rows, diffs, rate_key="steps_per_s", rate_label="steps/s",
                              time_label="ms/step", time_scale=1e3 / steps))
    print("  netchaos/peer = netchaos speed / peer speed from the best runs (> 1: netchaos "
          "faster); paired = median over rounds of\n  the same ratio within one interleaved "
          "round; cores = CPU time / wall time of the best run;\n  max|dθ| 20st = final-theta "
          "difference after the 20-step cross-check run vs numpy_rop (spectrum differences "
          "printed above)")
    print("  Lyapunov spectrum estimates of the timed run (top 3, per step):")
    for r in rows:
        if r.get("status") == "ok":
            print(f"    {r['peer']:<22} " + "  ".join(f"{v:+.6f}" for v in r["lyapunov_top3"])
                  + f"   sum {r['lyapunov_sum']:+.6f}")
    print("  (the GD trajectory is itself chaotic at lr=1: rounding differences between "
          "implementations reach O(1) in theta\n   after ~100-150 steps, so timed-run spectra "
          "of longer runs legitimately differ; the sum of the exponents is the mean log|det J|."
          "\n"
          "   netchaos[lyapunov] starts from its own random Q0. Correctness = the 20-step "
          "cross-check above.)")
    nw = _peers.noise_warning(rows)
    if nw:
        print(nw)
    # goal: the Lyapunov spectrum routine at least 2x JAX jacfwd + QR; the hand-written
    # loop (numpy's LAPACK QR, Python between steps) is shown for information
    targets = [_peers.target_line(rows, "jax_jacfwd_scan", 2.0, nc_name="netchaos[lyapunov]",
                                  key="steps_per_s")]
    for t in targets:
        print(t["text"])
    loop = _peers.target_line(rows, "jax_jacfwd_scan", 2.0, nc_name="netchaos", key="steps_per_s")
    if loop["measured"] is not None:
        print(f"    (info) Python loop step_tangent + np.linalg.qr: {loop['measured']:.2f}x "
              "jax_jacfwd_scan")
    payload = {"benchmark": "tangent" + ("_quick" if args.quick else ""), "title": TITLE,
               "env": env, "workload": dict(sizes=list(SIZES), activation=ACTIVATION, lr=LR,
                                            steps=steps, P=P, Q_columns=P, seed=0,
                                            dataset="iris"),
               "repeats": args.repeats, "rows": rows, "cross_check_max_abs_diff": diffs,
               "cross_check_spectrum_max_abs_diff": diffs_spec, "targets": targets}
    _peers.write_json(args.json, payload)
    return payload


if __name__ == "__main__":
    main()
