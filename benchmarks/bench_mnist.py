"""Benchmark research-scale (MNIST-sized) gradient-descent ensembles and tangent maps.

Workloads (synthetic MNIST-shaped data, 784 features in [0, 1], 10 classes, float64, full
batch, lr 0.1; real MNIST with ``--mnist PATH``, the folder of its four IDX files or an ``.npz``
as :func:`netchaos.datasets.mnist` reads them):

* training: ``netchaos.train`` of K trajectories of 784-64-10 tanh and 784-256-256-10 tanh on
  N samples, against JAX (``jax.grad`` of one network, ``vmap`` over the ensemble, the whole
  loop jitted) and against the machine's DGEMM on the same matrix shapes: one step of the K
  trajectories, the first layer as one product for all of them (``X @ [W_1 ... W_K]`` and
  ``X^T @ [D_1 ... D_K]``: they share the data), the hidden layers as K products each
  (forward, weight gradient, back-propagation), timed with NumPy's BLAS at the same thread
  count as a third peer, in the same interleaved rounds;
* tangent (784-64-10, N = 10,000): one Hessian-vector product (``model.hvp``) against
  ``jax.jvp`` of ``jax.grad`` (jitted); Lanczos sharpness (``netchaos.hessian.sharpness``,
  ARPACK, tol 1e-8) against the same algorithm on JAX Hessian-vector products (the
  ``netchaos.jax`` adapter of the same network); ``lyapunov_spectrum(k=10)`` against
  ``jax.linearize`` + ``vmap`` over the 10 directions + QR in one jitted loop. Fractions of
  peak count the products of a base pass plus one pass per direction.

Every row prints traj-steps/s (or ms per call), GFLOP/s of the matrix products, the fraction
of the DGEMM peak and the ratio netchaos / JAX, measured in the same process, interleaved
(round-robin), at 1 thread (one core) and at 2 threads; and the host's load. A training rate
is that of a step: K (steps - 1) / (t(steps) - t(1)), best times of calls of ``steps`` and of
1 step, so that what a call costs once counts for neither peer (netchaos evaluates the loss of
the final state, which flags its divergence; JAX copies its arguments to its arrays). The JSON
keeps the rate of whole calls too. Each thread
count runs in fresh subprocesses (``NETCHAOS_BENCH_THREADS``, see ``_peers.py``), one for the
training rows and one for the tangent rows; every timed
call starts after a pause of ``SETTLE`` seconds, so that no peer shares its cores with the
previous one's spinning threads.

The DGEMM peak and netchaos's products are OpenBLAS's; JAX brings its own (XLA's). The
script prints the kernel set that OpenBLAS chose: a machine that sets ``OPENBLAS_CORETYPE``
(for an older OpenBLAS that miscomputes on its CPU) may hold a current OpenBLAS to its AVX2
kernels on a CPU with AVX-512, two thirds of its speed there; run the benchmark with
``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`` to measure the library as it chooses.

    python benchmarks/bench_mnist.py [--quick] [--full] [--rows SPEC] [--threads 1,2]
                                     [--repeats N] [--mnist PATH] [--json PATH]

Default rows: 784-64-10 at N = 10,000 with K = 6 and 48, 784-256-256-10 at N = 10,000 with
K = 6, and the tangent rows. ``--full`` adds N = 60,000 and the deeper network at K = 48
(long: about an hour on two cores). ``--quick``: K = 6 and N = 10,000 only, 2 steps.
``--rows "784-64-10,60000,48;784-256-256-10,10000,48"`` runs the given rows instead.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

NETS = {"784-64-10": (784, 64, 10), "784-256-256-10": (784, 256, 256, 10)}
#: seconds of sleep before every timed call (``_peers.time_interleaved``): the previous
#: peer's spinning BLAS / XLA threads would otherwise share the next one's cores
SETTLE = 0.5


def step_flops(sizes, N):
    """Flops of the matrix products of one trajectory step (forward, weight gradient,
    back-propagation through the hidden layers)."""
    f = 0
    for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        f += 2 * N * a * b * (3 if k > 0 else 2)
    return f


def synthetic(N, seed=0):
    import numpy as np
    rng = np.random.default_rng(seed)
    X = rng.random((N, 784))
    y = rng.integers(0, 10, N)
    return X, y


def load(mnist, N):
    """N samples: synthetic, or the first N MNIST training images read by
    :func:`netchaos.datasets.mnist` from ``mnist`` (the IDX folder or an ``.npz``), in [0, 1]."""
    if not mnist:
        return synthetic(N)
    import netchaos as nc
    data = nc.datasets.mnist(path=mnist, n_train=N, n_test=0)
    return data.X_train, data.y_train


def gemm_step(sizes, N, K, seed=0):
    """The matrix products of one step of K trajectories with NumPy's BLAS, as a callable.

    The first layer is one product for all trajectories (they share the data):
    ``X @ [W_1 ... W_K]`` and ``X^T @ [D_1 ... D_K]``; the hidden layers' inputs differ per
    trajectory, so their products are K separate ones. Timed as a peer, in the same rounds,
    so that the fraction of the peak compares times of the same moments of the host.
    """
    import numpy as np
    rng = np.random.default_rng(seed)
    X = rng.random((N, sizes[0]))
    W1 = rng.random((sizes[0], sizes[1] * K))
    D1 = rng.random((N, sizes[1] * K))
    hidden = [(rng.random((N, a)), rng.random((a, b)), rng.random((N, b)))
              for a, b in zip(sizes[1:-1], sizes[2:])]

    def run():
        X @ W1
        X.T @ D1
        for _k in range(K):
            for A, W, D in hidden:
                A @ W
                A.T @ D
                D @ W.T
    return run


def worker(args):
    """One thread count: every row, printed as JSON lines."""
    os.environ["NETCHAOS_BENCH_THREADS"] = str(args.worker)
    sys.path.insert(0, HERE)
    import _peers  # noqa: F401  (thread caps before numpy / jax)
    import numpy as np

    import netchaos as nc
    from netchaos import hessian

    rows = []
    for net, N, K in args.rows:
        sizes = NETS[net]
        X, y = load(args.mnist, N)
        model = nc.MLP(list(sizes), activation="tanh")
        theta0 = model.init(n=K, seed=1)
        steps = args.steps
        base = 1   # the rate is the cost of steps - base steps: fixed costs of a call cancel
        jobs = [dict(name="netchaos",
                     warmup=lambda: nc.train(model, (X, y), theta0, lr=0.1, steps=1,
                                             record="final"),
                     run=lambda: nc.train(model, (X, y), theta0, lr=0.1, steps=steps,
                                          record="final")),
                dict(name="netchaos_base",
                     run=lambda: nc.train(model, (X, y), theta0, lr=0.1, steps=base,
                                          record="final")),
                dict(name="dgemm", run=gemm_step(sizes, N, K))]
        if _peers.jax_available()[0]:
            jobs += [dict(name="jax_vmap_jit",
                          warmup=lambda: _peers.jax_vmap_jit(sizes, "tanh", X, y, theta0,
                                                             0.1, 1),
                          run=lambda: _peers.jax_vmap_jit(sizes, "tanh", X, y, theta0, 0.1,
                                                          steps)),
                     dict(name="jax_vmap_jit_base",
                          run=lambda: _peers.jax_vmap_jit(sizes, "tanh", X, y, theta0, 0.1,
                                                          base))]
        times = _peers.time_interleaved(jobs, repeats=args.repeats, log=lambda s: None,
                                        settle=SETTLE)
        peak = K * step_flops(sizes, N) / min(times["dgemm"]["wall"])
        row = dict(kind="train", net=net, N=N, K=K, threads=args.worker, steps=steps,
                   blas=_peers.blas_kernels(),
                   base_steps=base, peak_gflops=peak / 1e9, load=os.getloadavg()[0])
        for name in ("netchaos", "jax_vmap_jit"):
            rec, rec0 = times.get(name), times.get(name + "_base")
            if rec is None or isinstance(rec, Exception) or isinstance(rec0, Exception):
                row[name] = None
                continue
            best, best0 = min(rec["wall"]), min(rec0["wall"])
            rate = K * (steps - base) / (best - best0)
            row[name] = dict(traj_steps_per_s=rate,
                             gflops=rate * step_flops(sizes, N) / 1e9,
                             call_traj_steps_per_s=K * steps / best,
                             seconds=best, base_seconds=best0)
        rows.append(row)
        print(json.dumps(row), flush=True)

    if not args.tangent:
        return
    sizes = NETS["784-64-10"]
    N = 10_000
    X, y = load(args.mnist, N)
    model = nc.MLP(list(sizes), activation="tanh")
    theta = model.init(seed=1)
    v = np.random.default_rng(2).normal(size=model.n_params)
    hvp_flops = step_flops(sizes, N)     # per direction; a call of J directions: (1 + J) x
    n_steps = max(1, args.steps)
    counts = {}

    def counted(m, name):
        """Count the Hessian-vector products (directions) a model is asked for."""
        hvp = m.hvp

        def wrapper(th, V, *a):
            counts[name] = counts.get(name, 0) + (1 if np.ndim(V) == 1 else np.shape(V)[1])
            return hvp(th, V, *a)
        m.hvp = wrapper
        return m

    counted(model, "netchaos")
    jobs = [dict(name="netchaos_hvp", warmup=lambda: model.hvp(theta, v, X, y),
                 run=lambda: model.hvp(theta, v, X, y)),
            dict(name="netchaos_sharpness",
                 warmup=lambda: counts.update(
                     netchaos_sharpness=hessian.sharpness(model, theta, X, y, tol=1e-8, seed=0),
                     netchaos_calls=counts.pop("netchaos", 0)),
                 run=lambda: hessian.sharpness(model, theta, X, y, tol=1e-8, seed=0)),
            dict(name="netchaos_spectrum",
                 warmup=lambda: nc.lyapunov_spectrum(model, (X, y), theta, lr=0.1, steps=1,
                                                     k=10, seed=0),
                 run=lambda: nc.lyapunov_spectrum(model, (X, y), theta, lr=0.1,
                                                  steps=n_steps, k=10, seed=0)),
            dict(name="dgemm", run=gemm_step(sizes, N, 1))]
    if _peers.jax_available()[0]:
        jax, jnp = _peers._jax()
        from netchaos.adapters.jax import JaxModel
        loss = _peers.jax_loss_fn(sizes, "tanh")
        grad = jax.grad(loss)
        Xj = jnp.asarray(X)
        Yj = jnp.asarray(_peers.one_hot(y, 10))

        @jax.jit
        def jhvp(th, u):
            return jax.jvp(lambda t: grad(t, Xj, Yj), (th,), (u,))[1]

        def apply(params, A):
            (W1, b1), (W2, b2) = params
            return jnp.tanh(A @ W1 + b1) @ W2 + b2

        def xent(z, labels):
            return jnp.mean(jax.nn.logsumexp(z, axis=1)
                            - jnp.take_along_axis(z, labels[:, None], 1)[:, 0])

        jm = counted(JaxModel(apply, model.unflatten(theta), xent, (X, y)), "jax")
        thj = jnp.asarray(theta)
        vj = jnp.asarray(v)
        Q0 = np.linalg.qr(np.random.default_rng(3).normal(size=(model.n_params, 10)))[0]
        jobs += [dict(name="jax_hvp", warmup=lambda: jhvp(thj, vj).block_until_ready(),
                      run=lambda: jhvp(thj, vj).block_until_ready()),
                 dict(name="jax_sharpness",
                      warmup=lambda: counts.update(
                          jax_sharpness=hessian.sharpness(jm, theta, None, None, tol=1e-8,
                                                          seed=0),
                          jax_calls=counts.pop("jax", 0)),
                      run=lambda: hessian.sharpness(jm, theta, None, None, tol=1e-8, seed=0)),
                 dict(name="jax_spectrum",
                      warmup=lambda: _peers.jax_linearize_tangent(sizes, "tanh", X, y, theta,
                                                                  Q0, 0.1, 1),
                      run=lambda: _peers.jax_linearize_tangent(sizes, "tanh", X, y, theta, Q0,
                                                               0.1, n_steps))]
    times = _peers.time_interleaved(jobs, repeats=args.repeats, log=lambda s: None,
                                    settle=SETTLE)
    best = {k: (min(r["wall"]) if not isinstance(r, Exception) else None)
            for k, r in times.items()}
    peak = step_flops(sizes, N) / best.pop("dgemm")
    errors = {k: repr(r) for k, r in times.items() if isinstance(r, Exception)}
    row = dict(kind="tangent", net="784-64-10", N=N, threads=args.worker,
               blas=_peers.blas_kernels(),
               peak_gflops=peak / 1e9, load=os.getloadavg()[0], steps=n_steps,
               hvp_flops=hvp_flops, seconds=best, errors=errors, hvp_counts=counts)
    print(json.dumps(row), flush=True)


def parent(args):
    rows = [("784-64-10", 10_000, 6), ("784-64-10", 10_000, 48), ("784-256-256-10", 10_000, 6)]
    if args.quick:
        rows = [("784-64-10", 10_000, 6), ("784-256-256-10", 10_000, 6)]
    if args.full:
        rows += [("784-64-10", 60_000, 6), ("784-64-10", 60_000, 48),
                 ("784-256-256-10", 60_000, 6), ("784-256-256-10", 10_000, 48)]
    if args.rows:
        rows = args.rows
    spec = ";".join(f"{n},{N},{K}" for n, N, K in rows)
    results = []
    print(f"netchaos benchmark mnist: full-batch GD ensembles, tanh, float64; host load "
          f"{os.getloadavg()[0]:.2f}")
    # the training rows and the tangent rows of a thread count in processes of their own:
    # the tangent peers do not start on the heap and thread pools the training left
    parts = [(spec, False)] + ([] if args.no_tangent else [("", True)])
    for t in args.threads:
        for part_rows, tangent in parts:
            cmd = [sys.executable, os.path.abspath(__file__), "--worker", str(t), "--rows",
                   part_rows, "--steps", str(args.steps), "--repeats", str(args.repeats)]
            if args.mnist:
                cmd += ["--mnist", args.mnist]
            if tangent:
                cmd += ["--tangent"]
            env = dict(os.environ, NETCHAOS_BENCH_THREADS=str(t))
            out = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if out.returncode != 0:
                print(out.stderr[-3000:])
                raise SystemExit(f"worker with {t} threads failed")
            for line in out.stdout.splitlines():
                if line.startswith("{"):
                    results.append(json.loads(line))
    print()
    for b in sorted({r.get("blas", "unknown") for r in results}):
        print(f"BLAS (numpy's, and SciPy's, which the kernels call): {b}")
    print()
    print(f"{'network':<16}{'N':>7}{'K':>4}{'thr':>4}  {'peak GF/s':>9}  "
          f"{'netchaos traj-st/s (GF/s, %peak)':>34}  {'JAX traj-st/s (GF/s, %peak)':>30}"
          f"  {'vs JAX':>7}  load")
    for r in results:
        if r["kind"] != "train":
            continue
        nc_, jx = r.get("netchaos"), r.get("jax_vmap_jit")
        pk = r["peak_gflops"]

        def cell(d):
            if not d:
                return "n/a"
            return (f"{d['traj_steps_per_s']:8.2f} ({d['gflops']:5.1f}, "
                    f"{100 * d['gflops'] / pk:4.0f} %)")
        ratio = f"{nc_['traj_steps_per_s'] / jx['traj_steps_per_s']:6.2f}x" if nc_ and jx \
            else "   n/a"
        print(f"{r['net']:<16}{r['N']:>7}{r['K']:>4}{r['threads']:>4}  {pk:9.1f}  "
              f"{cell(nc_):>34}  {cell(jx):>30}  {ratio:>7}  {r['load']:.2f}")
    for r in results:
        if r["kind"] != "tangent":
            continue
        s = r["seconds"]
        pk = r["peak_gflops"]
        print(f"\ntangent, 784-64-10, N = {r['N']}, {r['threads']} thread(s), peak "
              f"{pk:.1f} GF/s, load {r['load']:.2f}")

        def frac(sec, n_flops):
            return 100 * n_flops * r["hvp_flops"] / sec / 1e9 / pk

        c = r["hvp_counts"]
        n_lz = c.get("jax_calls", 0)
        print(f"  Lanczos (ARPACK, tol 1e-8): netchaos {c.get('netchaos_calls', 0)} HVPs, "
              f"top eigenvalue {c.get('netchaos_sharpness', float('nan')):.6f}; the same "
              f"algorithm on JAX HVPs (netchaos.jax adapter) {n_lz} HVPs, "
              f"{c.get('jax_sharpness', float('nan')):.6f}")
        # products per call, in units of one trajectory step: base pass + one per direction
        pairs = [("HVP (one direction)", "netchaos_hvp", "jax_hvp", 2),
                 ("Lanczos sharpness", "netchaos_sharpness", "jax_sharpness", 2 * max(1, n_lz)),
                 (f"spectrum k=10, {r['steps']} step(s)", "netchaos_spectrum", "jax_spectrum",
                  11 * r["steps"])]
        for name, err in r.get("errors", {}).items():
            print(f"  {name} failed: {err}")
        for label, a, b, n in pairs:
            ta, tb = s.get(a), s.get(b)
            if ta is None:
                continue
            line = f"  {label:<28} netchaos {1e3 * ta:9.1f} ms ({frac(ta, n):4.0f} % peak)"
            if tb:
                line += (f"   JAX {1e3 * tb:9.1f} ms ({frac(tb, n):4.0f} % peak)   "
                         f"netchaos {tb / ta:5.2f}x")
            print(line)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--full", action="store_true")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--mnist", default=None)
    p.add_argument("--json", default=None)
    p.add_argument("--no-tangent", action="store_true")
    p.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--rows", default="",
                   help="training rows instead of the default ones: NET,N,K;NET,N,K;... "
                        f"with NET one of {', '.join(NETS)}")
    p.add_argument("--tangent", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.steps is None:
        args.steps = 2 if args.quick else 4
    if args.steps < 2:
        p.error("--steps must be at least 2 (the rate is that of steps - 1 steps)")
    try:
        args.rows = [(n, int(N), int(K)) for n, N, K in
                     (r.split(",") for r in args.rows.split(";") if r)]
    except ValueError:
        p.error(f"--rows: expected NET,N,K;NET,N,K;..., got {args.rows!r}")
    for net, N, K in args.rows:
        if net not in NETS or N < 1 or K < 1:
            p.error(f"--rows: unknown network {net!r} or N, K < 1 (networks: {', '.join(NETS)})")
    if args.worker is not None:
        worker(args)
        return
    args.threads = [int(t) for t in args.threads.split(",")]
    parent(args)


if __name__ == "__main__":
    main()
