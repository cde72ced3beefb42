"""Benchmark the torch adapter: the leading-10 Lyapunov spectrum of a ~10k-parameter torch
model through ``netchaos.adapters.torch`` against the same loop hand-written in torch.func.

Workload: digits (1,437 training images, 8x8), a torch MLP 64-144-10 tanh with
cross-entropy (10,810 parameters), full-batch GD at lr = 0.5, k = 10 tangent directions,
``steps`` GD steps with a QR after each.

Peers:
  netchaos[adapter]   nc.lyapunov_spectrum(TorchModel(net, F.cross_entropy, data).map(lr), ...)
  torch_func          the loop by hand: vmap(jvp(grad(loss))) for (g, H Q), Q - lr H Q,
                      torch.linalg.qr with positive diagonal, theta -= lr g

Prints the time per step of each, the ratio adapter / hand-written (the goal is <= 1.3),
the host load, and the largest difference of the two spectra.

    python benchmarks/bench_adapters.py [--quick] [--repeats N]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _peers  # noqa: E402,F401  (sets the thread caps before numpy/torch)
import numpy as np  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    import torch
    from torch.func import functional_call, grad, jvp, vmap

    import netchaos as nc
    from netchaos.adapters.torch import TorchModel

    torch.set_num_threads(1)
    steps = 10 if args.quick else 50
    k, lr = 10, 0.5
    data = nc.datasets.digits()
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 144), torch.nn.Tanh(),
                              torch.nn.Linear(144, 10)).double()
    F = torch.nn.functional
    model = TorchModel(net, F.cross_entropy, data, layout="torch")
    P = model.n_params
    Q0 = np.linalg.qr(np.random.default_rng(0).standard_normal((P, k)))[0]

    def adapter():
        res = nc.lyapunov_spectrum(model.map(lr), x0=model.theta, steps=steps, k=k, seed=0)
        return res.exponents

    X = torch.as_tensor(data.X_train)
    y = torch.as_tensor(data.y_train)
    names = [n for n, _ in net.named_parameters()]
    shapes = [p.shape for _, p in net.named_parameters()]
    sizes = [p.numel() for _, p in net.named_parameters()]

    def loss(flat):
        params = {n: c.view(s) for n, c, s in zip(names, torch.split(flat, sizes), shapes)}
        return F.cross_entropy(functional_call(net, params, (X,)), y)

    g = grad(loss)

    def by_hand():
        # the thread count the adapter keeps (Numba's OpenMP layer raises the shared one)
        torch.set_num_threads(1)
        theta = torch.as_tensor(model.theta).clone()
        Q = torch.as_tensor(np.linalg.qr(np.random.default_rng(0).standard_normal((P, k)))[0])
        logs = torch.zeros(k, dtype=torch.float64)
        for _ in range(steps):
            gr, HQ = vmap(lambda v: jvp(g, (theta,), (v,)), in_dims=1, out_dims=(None, 1))(Q)
            Q, R = torch.linalg.qr(Q - lr * HQ)
            d = torch.diagonal(R)
            Q = Q * torch.sign(d)
            logs += torch.log(torch.abs(d))
            theta = theta - lr * gr
        return (logs / steps).numpy()

    del Q0
    times = {"netchaos[adapter]": [], "torch_func": []}
    out = {}
    adapter(), by_hand()                                   # warm-up
    for _ in range(args.repeats):
        for name, fn in (("netchaos[adapter]", adapter), ("torch_func", by_hand)):
            t = time.perf_counter()
            out[name] = fn()
            times[name].append((time.perf_counter() - t) / steps)
    best = {n: min(v) for n, v in times.items()}
    with open("/proc/loadavg") as fh:
        load = fh.read().strip()
    print(f"bench_adapters: torch MLP 64-144-10 tanh on digits, {P} parameters, k={k}, "
          f"{steps} steps, best of {args.repeats}")
    for name, t in best.items():
        print(f"  {name:<20s} {1e3 * t:8.2f} ms/step")
    ratio = best["netchaos[adapter]"] / best["torch_func"]
    print(f"  ratio adapter / torch_func: {ratio:.3f}  (goal <= 1.3)")
    print(f"  max |exponent difference|: "
          f"{np.max(np.abs(np.sort(out['netchaos[adapter]']) - np.sort(out['torch_func']))):.2e}")
    print(f"  /proc/loadavg: {load}")
    return ratio


if __name__ == "__main__":
    main()
