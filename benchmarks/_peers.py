"""Shared peer implementations, data, initialisation and timing helpers for the
netchaos benchmarks.

Every *training peer* has the signature::

    peer(sizes, activation, X, y, theta0, lr, steps) -> theta_final

with ``theta0`` of shape (K, P) in the netchaos flat layout (for each layer:
W of shape (n_in, n_out) row-major, then b of shape (n_out,)), ``X`` float64
(N, n_in), ``y`` int (N,) class labels, loss = mean softmax cross-entropy over
the samples (no L2), full-batch gradient descent
``theta <- theta - lr * grad L(theta)``, float64 everywhere. Peers return the
final parameters as a NumPy array (K, P) in the same layout.

Thread policy (applied when this module is imported, *before* numpy / numba /
jax / torch are imported by the benchmark scripts): every peer gets the same
``N_THREADS`` cores (default 2, override with the environment variable
``NETCHAOS_BENCH_THREADS``):

* the process CPU affinity is restricted to ``N_THREADS`` cores (this also caps
  XLA's Eigen thread pool, which sizes itself from the visible cores);
* OMP/OpenBLAS/MKL/NUMBA thread counts are set to ``N_THREADS``;
* torch: ``torch.set_num_threads(N_THREADS)``;
* numba: ``numba.set_num_threads(N_THREADS)``.

Import this module first in every benchmark script.
"""
from __future__ import annotations

import os
import sys

# --------------------------------------------------------------------------
# thread caps -- must happen before numpy/numba/jax/torch are imported
# --------------------------------------------------------------------------
N_THREADS = int(os.environ.get("NETCHAOS_BENCH_THREADS", "2"))
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "NUMBA_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = str(N_THREADS)
# expose N_THREADS XLA host devices so the sharded JAX peer can use every core
# (the plain jax_vmap_jit peer runs on device 0 as usual)
if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                               f" --xla_force_host_platform_device_count={N_THREADS}").strip()
try:  # restrict the visible cores (caps XLA, which has no thread-count flag)
    _cpus = sorted(os.sched_getaffinity(0))
    if len(_cpus) > N_THREADS:
        os.sched_setaffinity(0, _cpus[:N_THREADS])
except (AttributeError, OSError):  # pragma: no cover - non-Linux
    pass

import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Callable  # noqa: E402

import numpy as np  # noqa: E402

# make the checkout importable when the package is not pip-installed
# (appended, so an installed netchaos takes precedence)
_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _REPO_ROOT not in sys.path:
    sys.path.append(_REPO_ROOT)

ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear")


# ==========================================================================
# data, layout, initialisation
# ==========================================================================
def iris_data():
    """Iris raw features, shuffled with default_rng(0).permutation(150); first 120 = train."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    perm = np.random.default_rng(0).permutation(len(X))
    X, y = X[perm][:120], y[perm][:120]
    return np.ascontiguousarray(X, dtype=np.float64), np.ascontiguousarray(y, dtype=np.int64)


def digits_data():
    """sklearn digits / 16, shuffled with default_rng(0).permutation(1797); first 1437 = train."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    perm = np.random.default_rng(0).permutation(len(X))
    X, y = X[perm][:1437] / 16.0, y[perm][:1437]
    return np.ascontiguousarray(X, dtype=np.float64), np.ascontiguousarray(y, dtype=np.int64)


DATASETS = {"iris": iris_data, "digits": digits_data}


def layer_slices(sizes):
    """[(w_start, w_stop, b_start, b_stop, n_in, n_out), ...] in the flat layout."""
    out, off = [], 0
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        w0 = off
        off += n_in * n_out
        b0 = off
        off += n_out
        out.append((w0, b0, b0, off, n_in, n_out))
    return out


def n_params(sizes):
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def unflatten(theta, sizes):
    """theta (..., P) -> [(W (..., n_in, n_out), b (..., n_out)), ...] (views)."""
    lead = theta.shape[:-1]
    return [(theta[..., w0:w1].reshape(lead + (n_in, n_out)), theta[..., b0:b1])
            for (w0, w1, b0, b1, n_in, n_out) in layer_slices(sizes)]


def flatten(layers):
    """Inverse of unflatten: [(W (..., n_in, n_out), b (..., n_out))] -> (..., P)."""
    parts = []
    for W, b in layers:
        W = np.asarray(W)
        parts.append(W.reshape(W.shape[:-2] + (-1,)))
        parts.append(np.asarray(b))
    return np.concatenate(parts, axis=-1)


def init_theta(sizes, K, seed=0):
    """(K, P): weights iid N(0, 1), biases 0, flat netchaos layout."""
    rng = np.random.default_rng(seed)
    theta = np.zeros((K, n_params(sizes)))
    for (w0, w1, _b0, _b1, _ni, _no) in layer_slices(sizes):
        theta[:, w0:w1] = rng.standard_normal((K, w1 - w0))
    return theta


def one_hot(y, n_classes):
    Y = np.zeros((len(y), n_classes))
    Y[np.arange(len(y)), y] = 1.0
    return Y


# ==========================================================================
# numpy activations (value, derivative from the activation value, second
# derivative from the activation value) -- used by the numpy peers
# ==========================================================================
def _np_act(name, z):
    if name == "sigmoid":
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "linear":
        return z
    raise ValueError(f"unknown activation {name!r}")


def _np_dact(name, a, z):
    """f'(z) expressed via a = f(z) (and z for relu)."""
    if name == "sigmoid":
        return a * (1.0 - a)
    if name == "tanh":
        return 1.0 - a * a
    if name == "relu":
        return (z > 0).astype(z.dtype)
    if name == "linear":
        return np.ones_like(a)
    raise ValueError(name)


def _np_d2act(name, a, z):
    """f''(z) expressed via a = f(z)."""
    if name == "sigmoid":
        return a * (1.0 - a) * (1.0 - 2.0 * a)
    if name == "tanh":
        return -2.0 * a * (1.0 - a * a)
    if name in ("relu", "linear"):
        return np.zeros_like(a)
    raise ValueError(name)


# ==========================================================================
# plain numpy single-network reference (the ground truth of the cross-check)
# ==========================================================================
def np_loss_single(theta, sizes, activation, X, y):
    a = X
    layers = unflatten(theta, sizes)
    for l, (W, b) in enumerate(layers):
        z = a @ W + b
        a = _np_act(activation, z) if l < len(layers) - 1 else z
    m = a.max(axis=1, keepdims=True)
    lse = (m + np.log(np.exp(a - m).sum(axis=1, keepdims=True)))[:, 0]
    return float(np.mean(lse - a[np.arange(len(y)), y]))


def np_grad_single(theta, sizes, activation, X, Y1h):
    """Gradient of the mean softmax cross-entropy of one network, theta (P,)."""
    N = X.shape[0]
    layers = unflatten(theta, sizes)
    L = len(layers)
    acts, zs = [X], []
    for l, (W, b) in enumerate(layers):
        z = acts[-1] @ W + b
        zs.append(z)
        if l < L - 1:
            acts.append(_np_act(activation, z))
    z = zs[-1]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    delta = (p - Y1h) / N
    grads = [None] * L
    for l in range(L - 1, -1, -1):
        W = layers[l][0]
        grads[l] = (acts[l].T @ delta, delta.sum(axis=0))
        if l > 0:
            delta = (delta @ W.T) * _np_dact(activation, acts[l], zs[l - 1])
    return flatten(grads)


def numpy_reference(sizes, activation, X, y, theta0, lr, steps):
    """One network at a time, plain numpy -- slow, used only for the cross-check."""
    Y1h = one_hot(y, sizes[-1])
    out = np.array(theta0, dtype=np.float64, copy=True)
    for k in range(out.shape[0]):
        th = out[k].copy()
        for _ in range(steps):
            th = th - lr * np_grad_single(th, sizes, activation, X, Y1h)
        out[k] = th
    return out


# ==========================================================================
# peer 3: numpy_einsum -- ensemble-batched manual forward/backward
# ==========================================================================
def _np_act_inplace(name, z):
    if name == "sigmoid":
        np.negative(z, out=z)
        with np.errstate(over="ignore"):
            np.exp(z, out=z)
        z += 1.0
        np.reciprocal(z, out=z)
    elif name == "tanh":
        np.tanh(z, out=z)
    elif name == "relu":
        np.maximum(z, 0.0, out=z)
    elif name != "linear":
        raise ValueError(name)
    return z


def _np_dact_mul(name, delta, a):
    """delta *= f'(z), f' expressed via a = f(z)."""
    if name == "sigmoid":
        t = 1.0 - a
        t *= a
        delta *= t
    elif name == "tanh":
        t = a * a
        np.subtract(1.0, t, out=t)
        delta *= t
    elif name == "relu":
        delta *= (a > 0)


def numpy_einsum(sizes, activation, X, y, theta0, lr, steps):
    """Batched over the ensemble axis with NumPy, manual backprop, float64.

    Contraction ordering chosen by measurement (np.einsum with optimize=True maps to
    the same BLAS calls; plain einsum is 2-10x slower here):
    * activations stored feature-major (K, n, N) so that the softmax reductions run
      over a non-contiguous small axis (fast in NumPy) and sample sums are contiguous;
    * the first layer (input X shared by all K networks) is ONE BLAS GEMM
      [W_1^T; ...; W_K^T] (K*n1, n0) @ X^T (n0, N), and its weight gradient is one
      GEMM delta (K*n1, N) @ X (N, n0);
    * deeper layers use stacked np.matmul (K, n_out, n_in) @ (K, n_in, N);
    * elementwise work in place (numpy's float64 exp is the bottleneck).
    """
    theta = np.array(theta0, dtype=np.float64, copy=True)
    K = theta.shape[0]
    N = X.shape[0]
    L = len(sizes) - 1
    Y1hT_n = np.ascontiguousarray(one_hot(y, sizes[-1]).T) / N      # (C, N)
    X = np.ascontiguousarray(X, dtype=np.float64)
    XT = np.ascontiguousarray(X.T)
    sl = layer_slices(sizes)
    grad = np.empty_like(theta)
    inv_n = 1.0 / N
    n0, n1 = sizes[0], sizes[1]
    for _ in range(steps):
        layers = unflatten(theta, sizes)
        # ---- forward
        W0, b0 = layers[0]
        z = (np.ascontiguousarray(W0.transpose(0, 2, 1)).reshape(K * n1, n0) @ XT)
        z = z.reshape(K, n1, N)
        z += b0[:, :, None]
        acts = [None]
        for l in range(1, L):
            a = _np_act_inplace(activation, z)
            acts.append(a)
            W, b = layers[l]
            z = np.matmul(W.transpose(0, 2, 1), a)
            z += b[:, :, None]
        # ---- softmax over the class axis; delta = (p - onehot) / N, (K, C, N)
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        s = z.sum(axis=1, keepdims=True)
        np.reciprocal(s, out=s)
        s *= inv_n
        z *= s
        z -= Y1hT_n
        delta = z
        # ---- backward
        for l in range(L - 1, -1, -1):
            w0, w1, b0_, b1_, n_in, n_out = sl[l]
            grad[:, b0_:b1_] = delta.sum(axis=2)
            if l > 0:
                gW = np.matmul(acts[l], delta.transpose(0, 2, 1))         # (K, n_in, n_out)
                grad[:, w0:w1] = gW.reshape(K, -1)
                delta_prev = np.matmul(layers[l][0], delta)                # (K, n_in, N)
                _np_dact_mul(activation, delta_prev, acts[l])
                delta = delta_prev
            else:
                gWt = (delta.reshape(K * n_out, N) @ X).reshape(K, n_out, n_in)
                grad[:, w0:w1].reshape(K, n_in, n_out)[...] = gWt.transpose(0, 2, 1)
        theta -= lr * grad
    return theta


# ==========================================================================
# peer 1: jax_vmap_jit
# ==========================================================================
_JAX_CACHE: dict = {}


def _importable(module):
    """(True, "") when ``module`` imports, else (False, reason)."""
    try:
        __import__(module)
        return True, ""
    except Exception as exc:  # pragma: no cover
        return False, f"{module} not importable: {exc!r}"


def jax_available():
    return _importable("jax")


def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    return jax, jnp


def _jax_act(name):
    jax, jnp = _jax()
    return {"sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh, "relu": jax.nn.relu,
            "linear": lambda z: z}[name]


def jax_loss_fn(sizes, activation):
    """Mean softmax cross-entropy of ONE network with flat parameters theta (P,)."""
    jax, jnp = _jax()
    act = _jax_act(activation)
    sl = layer_slices(sizes)

    def loss(theta, X, Y1h):
        a = X
        for l, (w0, w1, b0, b1, n_in, n_out) in enumerate(sl):
            z = a @ theta[w0:w1].reshape(n_in, n_out) + theta[b0:b1]
            a = act(z) if l < len(sl) - 1 else z
        lse = jax.nn.logsumexp(a, axis=1)
        return jnp.mean(lse - jnp.sum(a * Y1h, axis=1))

    return loss


def _jax_train_fn(sizes, activation):
    key = ("train", tuple(sizes), activation)
    if key not in _JAX_CACHE:
        jax, jnp = _jax()
        grad_one = jax.grad(jax_loss_fn(sizes, activation))
        grad_ens = jax.vmap(grad_one, in_axes=(0, None, None))

        @jax.jit
        def run(theta0, X, Y1h, lr, steps):
            def body(_i, th):
                return th - lr * grad_ens(th, X, Y1h)
            return jax.lax.fori_loop(0, steps, body, theta0)

        _JAX_CACHE[key] = run
    return _JAX_CACHE[key]


def jax_vmap_jit(sizes, activation, X, y, theta0, lr, steps):
    """jax.grad of one network, jax.vmap over the ensemble, whole loop jitted (fori_loop)."""
    jax, jnp = _jax()
    run = _jax_train_fn(sizes, activation)
    out = run(jnp.asarray(theta0, dtype=jnp.float64), jnp.asarray(X, dtype=jnp.float64),
              jnp.asarray(one_hot(y, sizes[-1])), jnp.float64(lr), steps)
    return np.asarray(out)


def jax_vmap_jit_sharded(sizes, activation, X, y, theta0, lr, steps):
    """The same jitted vmap/fori_loop program, with the ensemble axis sharded over the
    N_THREADS XLA CPU devices (jax.sharding.NamedSharding) so XLA uses every core
    (the plain program mostly runs on one core: XLA CPU does not parallelise these
    small ops). Trajectories are independent, so the partitioned program needs no
    communication."""
    jax, jnp = _jax()
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    devs = jax.devices()
    K = theta0.shape[0]
    nd = len(devs)
    while nd > 1 and K % nd:
        nd -= 1
    mesh = Mesh(np.array(devs[:nd]), ("k",))
    run = _jax_train_fn(sizes, activation)
    rep = NamedSharding(mesh, PartitionSpec())
    th = jax.device_put(np.asarray(theta0, dtype=np.float64),
                        NamedSharding(mesh, PartitionSpec("k", None)))
    out = run(th, jax.device_put(np.asarray(X, dtype=np.float64), rep),
              jax.device_put(one_hot(y, sizes[-1]), rep), jnp.float64(lr), steps)
    return np.asarray(out)


def jax_n_devices():
    try:
        jax, _ = _jax()
        return len(jax.devices())
    except Exception:
        return 0


# ==========================================================================
# torch peers
# ==========================================================================
_TORCH_READY = False


def torch_available():
    return _importable("torch")


def _torch():
    global _TORCH_READY
    import torch

    if not _TORCH_READY:
        torch.set_num_threads(N_THREADS)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass
        _TORCH_READY = True
    return torch


def _torch_act(name):
    torch = _torch()
    return {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
            "linear": lambda z: z}[name]


def _torch_split(theta, sizes):
    """theta (K, P) tensor -> list of [W (K, n_in, n_out), b (K, 1, n_out)] (copies)."""
    params = []
    for (w0, w1, b0, b1, n_in, n_out) in layer_slices(sizes):
        params.append(theta[:, w0:w1].reshape(-1, n_in, n_out).clone())
        params.append(theta[:, b0:b1].reshape(-1, 1, n_out).clone())
    return params


def _torch_join(params):
    torch = _torch()
    K = params[0].shape[0]
    return torch.cat([p.reshape(K, -1) for p in params], dim=1)


def torch_batched(sizes, activation, X, y, theta0, lr, steps):
    """Batched tensors (K, n_in, n_out), torch.matmul/bmm forward, autograd backward,
    update under torch.no_grad -- all K networks at once, float64."""
    torch = _torch()
    act = _torch_act(activation)
    K = theta0.shape[0]
    N = X.shape[0]
    Xt = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float64))
    yK = torch.from_numpy(np.ascontiguousarray(y, dtype=np.int64)).repeat(K)
    params = [p.requires_grad_(True)
              for p in _torch_split(torch.from_numpy(np.array(theta0, dtype=np.float64)), sizes)]
    L = len(sizes) - 1
    for _ in range(steps):
        a = Xt
        for l in range(L):
            z = torch.matmul(a, params[2 * l]) + params[2 * l + 1]   # (K, N, n_out)
            a = act(z) if l < L - 1 else z
        # sum over networks of each network's mean CE -> per-network gradients
        loss = torch.nn.functional.cross_entropy(a.reshape(K * N, -1), yK, reduction="sum") / N
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g in zip(params, grads):
                p.sub_(lr * g)
    with torch.no_grad():
        return _torch_join(params).numpy().copy()


def torch_batched_manual(sizes, activation, X, y, theta0, lr, steps):
    """Same workload as torch_batched but no autograd: hand-written batched backward,
    feature-major activations (K, n, N), first layer as one GEMM (like numpy_einsum)."""
    torch = _torch()
    K = theta0.shape[0]
    N = X.shape[0]
    L = len(sizes) - 1
    sl = layer_slices(sizes)
    n0, n1 = sizes[0], sizes[1]
    Xt = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float64))
    XT = Xt.T.contiguous()
    Y1hT_n = torch.from_numpy(np.ascontiguousarray(one_hot(y, sizes[-1]).T) / N)
    act = _torch_act(activation)
    theta = torch.from_numpy(np.array(theta0, dtype=np.float64))
    with torch.no_grad():
        Ws = [theta[:, w0:w1].reshape(K, ni, no).clone() for (w0, w1, _b0, _b1, ni, no) in sl]
        bs = [theta[:, b0:b1].reshape(K, no, 1).clone() for (_w0, _w1, b0, b1, _ni, no) in sl]
        for _ in range(steps):
            z = torch.addmm(bs[0].reshape(K * n1, 1),
                            Ws[0].transpose(1, 2).reshape(K * n1, n0), XT).view(K, n1, N)
            acts = [None]
            for l in range(1, L):
                a = act(z)
                acts.append(a)
                z = torch.baddbmm(bs[l], Ws[l].transpose(1, 2), a)
            delta = torch.softmax(z, dim=1).div_(N).sub_(Y1hT_n)          # (K, C, N)
            for l in range(L - 1, -1, -1):
                gb = delta.sum(dim=2, keepdim=True)
                if l > 0:
                    a = acts[l]
                    gW = torch.bmm(a, delta.transpose(1, 2))
                    delta_prev = torch.bmm(Ws[l], delta)
                    if activation == "sigmoid":
                        delta_prev.mul_(a * (1.0 - a))
                    elif activation == "tanh":
                        delta_prev.mul_(1.0 - a * a)
                    elif activation == "relu":
                        delta_prev.mul_((a > 0).to(a.dtype))
                    delta = delta_prev
                else:
                    gW = torch.mm(delta.reshape(K * n1, N), Xt).view(K, n1, n0).transpose(1, 2)
                Ws[l].sub_(gW, alpha=lr)
                bs[l].sub_(gb, alpha=lr)
        out = torch.cat([torch.cat([W.reshape(K, -1), b.reshape(K, -1)], 1)
                         for W, b in zip(Ws, bs)], 1)
        return out.numpy().copy()


def torch_loop(sizes, activation, X, y, theta0, lr, steps):
    """One network at a time: Python loop over the K trajectories, each trained with
    torch autograd (float64)."""
    torch = _torch()
    act = _torch_act(activation)
    Xt = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float64))
    yt = torch.from_numpy(np.ascontiguousarray(y, dtype=np.int64))
    L = len(sizes) - 1
    sl = layer_slices(sizes)
    out = np.empty_like(np.asarray(theta0, dtype=np.float64))
    for k in range(theta0.shape[0]):
        th = torch.from_numpy(np.array(theta0[k], dtype=np.float64))
        params = []
        for (w0, w1, b0, b1, n_in, n_out) in sl:
            params.append(th[w0:w1].reshape(n_in, n_out).clone().requires_grad_(True))
            params.append(th[b0:b1].clone().requires_grad_(True))
        for _ in range(steps):
            a = Xt
            for l in range(L):
                z = torch.addmm(params[2 * l + 1], a, params[2 * l])
                a = act(z) if l < L - 1 else z
            loss = torch.nn.functional.cross_entropy(a, yt)
            grads = torch.autograd.grad(loss, params)
            with torch.no_grad():
                for p, g in zip(params, grads):
                    p.sub_(lr * g)
        with torch.no_grad():
            out[k] = torch.cat([p.reshape(-1) for p in params]).numpy()
    return out


# ==========================================================================
# peer 5: numba_prange_naive -- the "plain loop" baseline
# ==========================================================================
_ACT_CODE = {"sigmoid": 0, "tanh": 1, "relu": 2, "linear": 3}

try:
    import numba as _numba
    from numba import njit as _njit
    from numba import prange as _prange
    _NUMBA_ERR = ""
except Exception as _exc:  # pragma: no cover
    _numba = None
    _NUMBA_ERR = f"numba not importable: {_exc!r}"


def numba_available():
    return (_numba is not None), _NUMBA_ERR


if _numba is not None:
    _numba.set_num_threads(min(N_THREADS, _numba.config.NUMBA_NUM_THREADS))

    @_njit(cache=True, inline="always")
    def _nb_act(code, x):
        if code == 0:
            return 1.0 / (1.0 + np.exp(-x))
        elif code == 1:
            return np.tanh(x)
        elif code == 2:
            return x if x > 0.0 else 0.0
        return x

    @_njit(cache=True, inline="always")
    def _nb_dact(code, a):
        if code == 0:
            return a * (1.0 - a)
        elif code == 1:
            return 1.0 - a * a
        elif code == 2:
            return 1.0 if a > 0.0 else 0.0
        return 1.0

    @_njit(parallel=True, cache=True)
    def _nb_train_naive(theta0, X, y, sizes, w_off, b_off, act_code, lr, steps):
        K, P = theta0.shape
        N = X.shape[0]
        L = sizes.shape[0] - 1
        wmax = 0
        for l in range(L + 1):
            if sizes[l] > wmax:
                wmax = sizes[l]
        out = np.empty_like(theta0)
        inv_n = 1.0 / N
        for k in _prange(K):
            th = theta0[k].copy()
            g = np.empty(P)
            acts = np.empty((L + 1, wmax))
            deltas = np.empty((L + 1, wmax))
            for _s in range(steps):
                for p in range(P):
                    g[p] = 0.0
                for n in range(N):
                    # ---- forward, one sample
                    for i in range(sizes[0]):
                        acts[0, i] = X[n, i]
                    for l in range(L):
                        nin = sizes[l]
                        nout = sizes[l + 1]
                        wo = w_off[l]
                        bo = b_off[l]
                        for j in range(nout):
                            acts[l + 1, j] = th[bo + j]
                        for i in range(nin):          # W row-major: inner loop contiguous
                            ai = acts[l, i]
                            for j in range(nout):
                                acts[l + 1, j] += ai * th[wo + i * nout + j]
                        if l < L - 1:
                            for j in range(nout):
                                acts[l + 1, j] = _nb_act(act_code, acts[l + 1, j])
                    # ---- softmax cross-entropy: delta_L = (p - onehot) / N
                    C = sizes[L]
                    m = acts[L, 0]
                    for j in range(1, C):
                        if acts[L, j] > m:
                            m = acts[L, j]
                    ssum = 0.0
                    for j in range(C):
                        e = np.exp(acts[L, j] - m)
                        deltas[L, j] = e
                        ssum += e
                    for j in range(C):
                        deltas[L, j] = deltas[L, j] / ssum * inv_n
                    deltas[L, y[n]] -= inv_n
                    # ---- backward, accumulate the gradient
                    for l in range(L - 1, -1, -1):
                        nin = sizes[l]
                        nout = sizes[l + 1]
                        wo = w_off[l]
                        bo = b_off[l]
                        for j in range(nout):
                            g[bo + j] += deltas[l + 1, j]
                        for i in range(nin):
                            ai = acts[l, i]
                            acc = 0.0
                            for j in range(nout):
                                idx = wo + i * nout + j
                                g[idx] += ai * deltas[l + 1, j]
                                acc += th[idx] * deltas[l + 1, j]
                            if l > 0:
                                deltas[l, i] = acc * _nb_dact(act_code, ai)
                for p in range(P):
                    th[p] -= lr * g[p]
            out[k] = th
        return out


    @_njit(parallel=True, cache=True)
    def _nb_train_naive_1h(theta0, X, y, n1, C, act_code, lr, steps):
        """Same plain loops, written out for exactly one hidden layer (sizes given at
        run time): no per-layer indirection, so the inner loops are simpler."""
        K, P = theta0.shape
        N, n0 = X.shape
        w1o = 0
        b1o = n0 * n1
        w2o = b1o + n1
        b2o = w2o + n1 * C
        inv_n = 1.0 / N
        out = np.empty_like(theta0)
        for k in _prange(K):
            th = theta0[k].copy()
            g = np.empty(P)
            a1 = np.empty(n1)
            d1 = np.empty(n1)
            z2 = np.empty(C)
            for _s in range(steps):
                for p in range(P):
                    g[p] = 0.0
                for n in range(N):
                    # ---- forward, one sample
                    for j in range(n1):
                        a1[j] = th[b1o + j]
                    for i in range(n0):
                        xi = X[n, i]
                        for j in range(n1):
                            a1[j] += xi * th[w1o + i * n1 + j]
                    for j in range(n1):
                        a1[j] = _nb_act(act_code, a1[j])
                    for c in range(C):
                        z2[c] = th[b2o + c]
                    for j in range(n1):
                        aj = a1[j]
                        for c in range(C):
                            z2[c] += aj * th[w2o + j * C + c]
                    # ---- softmax cross-entropy: delta = (p - onehot) / N
                    m = z2[0]
                    for c in range(1, C):
                        if z2[c] > m:
                            m = z2[c]
                    ssum = 0.0
                    for c in range(C):
                        z2[c] = np.exp(z2[c] - m)
                        ssum += z2[c]
                    for c in range(C):
                        z2[c] = z2[c] / ssum * inv_n
                    z2[y[n]] -= inv_n
                    # ---- backward, accumulate the gradient
                    for c in range(C):
                        g[b2o + c] += z2[c]
                    for j in range(n1):
                        aj = a1[j]
                        acc = 0.0
                        for c in range(C):
                            g[w2o + j * C + c] += aj * z2[c]
                            acc += th[w2o + j * C + c] * z2[c]
                        d1[j] = acc * _nb_dact(act_code, aj)
                    for j in range(n1):
                        g[b1o + j] += d1[j]
                    for i in range(n0):
                        xi = X[n, i]
                        for j in range(n1):
                            g[w1o + i * n1 + j] += xi * d1[j]
                for p in range(P):
                    th[p] -= lr * g[p]
            out[k] = th
        return out


def numba_prange_naive(sizes, activation, X, y, theta0, lr, steps):
    """@njit(parallel=True): prange over trajectories; each trajectory a plain loop over
    steps with per-sample forward/backward on the flat (P,) parameter vector.
    One-hidden-layer networks use the written-out kernel (~1.3x faster than the
    generic any-depth kernel, identical results); other depths the generic one."""
    if len(sizes) == 3:
        return _nb_train_naive_1h(np.ascontiguousarray(theta0, dtype=np.float64),
                                  np.ascontiguousarray(X, dtype=np.float64),
                                  np.ascontiguousarray(y, dtype=np.int64),
                                  int(sizes[1]), int(sizes[2]), _ACT_CODE[activation],
                                  float(lr), int(steps))
    sl = layer_slices(sizes)
    w_off = np.array([s[0] for s in sl], dtype=np.int64)
    b_off = np.array([s[2] for s in sl], dtype=np.int64)
    return _nb_train_naive(np.ascontiguousarray(theta0, dtype=np.float64),
                 np.ascontiguousarray(X, dtype=np.float64),
                 np.ascontiguousarray(y, dtype=np.int64),
                 np.asarray(sizes, dtype=np.int64), w_off, b_off,
                 _ACT_CODE[activation], float(lr), int(steps))


# ==========================================================================
# peer 6: netchaos
# ==========================================================================
def netchaos_available():
    try:
        import netchaos as nc

        for attr in ("MLP", "train"):
            if not hasattr(nc, attr):
                return False, f"netchaos imported but has no attribute {attr!r} yet"
        return True, ""
    except Exception as exc:
        return False, f"netchaos not importable: {exc!r}"


def _netchaos_train(sizes, activation, X, y, theta0, lr, steps, record):
    import netchaos as nc

    model = nc.MLP(list(sizes), activation=activation, loss="cross_entropy")
    res = nc.train(model, (X, y), theta0, lr, steps, record=record)
    return np.asarray(res.theta)


def netchaos_final(sizes, activation, X, y, theta0, lr, steps):
    """nc.train(..., record="final")"""
    return _netchaos_train(sizes, activation, X, y, theta0, lr, steps, "final")


def netchaos_metrics(sizes, activation, X, y, theta0, lr, steps):
    """nc.train(..., record="metrics") -- also computes loss+accuracy at every step"""
    return _netchaos_train(sizes, activation, X, y, theta0, lr, steps, "metrics")


# ==========================================================================
# tangent dynamics (Benettin / QR) peers
#
# Every *tangent peer* has the signature::
#
#     peer(sizes, activation, X, y, theta0 (P,), Q0 (P, k), lr, steps)
#         -> (theta_final (P,), Q_final (P, k), log_r_sum (k,))
#
# and runs, for t = 0..steps-1:
#     JQ = J(theta) Q with J = I - lr * H(theta)   (tangent map of the GD step)
#     Q, R = qr(JQ);  log_r_sum += log|diag R|
#     theta = theta - lr * grad L(theta)
# so that log_r_sum / steps is the finite-time Lyapunov spectrum estimate.
# ==========================================================================
def np_jvp_map(theta, V, sizes, activation, X, Y1h, lr):
    """Exact V - lr * H(theta) V for one network, V (P, k), with a hand-written
    R-operator (Pearlmutter forward-over-reverse), batched over the k columns."""
    N = X.shape[0]
    layers = unflatten(theta, sizes)
    L = len(layers)
    VT = np.ascontiguousarray(V.T)                      # (k, P)
    vlayers = unflatten(VT, sizes)                      # VW (k, n_in, n_out), Vb (k, n_out)
    # forward + R-forward
    acts, Racts, zs, Rzs = [X], [None], [], []
    for l, ((W, b), (VW, Vb)) in enumerate(zip(layers, vlayers)):
        z = acts[-1] @ W + b                                         # (N, n_out)
        Rz = np.matmul(acts[-1], VW) + Vb[:, None, :]                # (k, N, n_out)
        if Racts[-1] is not None:
            Rz += np.matmul(Racts[-1], W)
        zs.append(z)
        Rzs.append(Rz)
        if l < L - 1:
            a = _np_act(activation, z)
            acts.append(a)
            Racts.append(Rz * _np_dact(activation, a, z))
    z = zs[-1]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    delta = (p - Y1h) / N                                            # (N, C)
    Rz = Rzs[-1]
    Rdelta = p * (Rz - np.sum(p * Rz, axis=2, keepdims=True)) / N    # (k, N, C)
    Rg = [None] * L
    for l in range(L - 1, -1, -1):
        W = layers[l][0]
        VW = vlayers[l][0]
        RgW = np.matmul(acts[l].T, Rdelta)                           # (k, n_in, n_out)
        if Racts[l] is not None:
            RgW += np.matmul(Racts[l].transpose(0, 2, 1), delta)
        Rg[l] = (RgW, Rdelta.sum(axis=1))
        if l > 0:
            a, zp = acts[l], zs[l - 1]
            e = delta @ W.T                                          # (N, n_in)
            Re = np.matmul(Rdelta, W.T) + np.matmul(delta, VW.transpose(0, 2, 1))
            d1 = _np_dact(activation, a, zp)
            Rdelta = Re * d1 + e * _np_d2act(activation, a, zp) * Rzs[l - 1]
            delta = e * d1
    HV = flatten(Rg)                                                 # (k, P)
    return V - lr * HV.T


def numpy_rop_tangent(sizes, activation, X, y, theta0, Q0, lr, steps):
    """Reference tangent peer: numpy R-operator J Q, np.linalg.qr, numpy gradient."""
    Y1h = one_hot(y, sizes[-1])
    theta = np.array(theta0, dtype=np.float64, copy=True)
    Q = np.array(Q0, dtype=np.float64, copy=True)
    logs = np.zeros(Q.shape[1])
    for _ in range(steps):
        JQ = np_jvp_map(theta, Q, sizes, activation, X, Y1h, lr)
        Q, R = np.linalg.qr(JQ)
        logs += np.log(np.abs(np.diag(R)))
        theta = theta - lr * np_grad_single(theta, sizes, activation, X, Y1h)
    return theta, Q, logs


def _jax_tangent_fn(sizes, activation, variant):
    key = ("tangent", tuple(sizes), activation, variant)
    if key not in _JAX_CACHE:
        jax, jnp = _jax()
        grad = jax.grad(jax_loss_fn(sizes, activation))

        @jax.jit
        def run(theta0, Q0, X, Y1h, lr, steps):
            def gd(th):
                return th - lr * grad(th, X, Y1h)

            def body(_i, carry):
                th, Q, logs = carry
                if variant == "jacfwd":
                    # full Jacobian of the GD map (P JVPs), value returned as aux
                    J, th_next = jax.jacfwd(lambda t: (gd(t), gd(t)), has_aux=True)(th)
                    JQ = J @ Q
                else:
                    # JVPs of the GD map directly on the k columns of Q
                    th_next, lin = jax.linearize(gd, th)
                    JQ = jax.vmap(lin, in_axes=1, out_axes=1)(Q)
                Qn, R = jnp.linalg.qr(JQ)
                return th_next, Qn, logs + jnp.log(jnp.abs(jnp.diag(R)))

            logs0 = jnp.zeros(Q0.shape[1], dtype=Q0.dtype)
            return jax.lax.fori_loop(0, steps, body, (theta0, Q0, logs0))

        _JAX_CACHE[key] = run
    return _JAX_CACHE[key]


def _jax_tangent(variant, sizes, activation, X, y, theta0, Q0, lr, steps):
    jax, jnp = _jax()
    run = _jax_tangent_fn(sizes, activation, variant)
    th, Q, logs = run(jnp.asarray(theta0, dtype=jnp.float64), jnp.asarray(Q0, dtype=jnp.float64),
                      jnp.asarray(X, dtype=jnp.float64), jnp.asarray(one_hot(y, sizes[-1])),
                      jnp.float64(lr), steps)
    return np.asarray(th), np.asarray(Q), np.asarray(logs)


def jax_jacfwd_tangent(sizes, activation, X, y, theta0, Q0, lr, steps):
    """jax.jacfwd of g(theta) = theta - lr*grad L(theta), J @ Q, jnp.linalg.qr, theta
    advance -- the whole Benettin loop in one jitted fori_loop."""
    return _jax_tangent("jacfwd", sizes, activation, X, y, theta0, Q0, lr, steps)


def jax_linearize_tangent(sizes, activation, X, y, theta0, Q0, lr, steps):
    """jax.linearize of the GD map + vmap of the linear map over the columns of Q
    (JVPs applied to Q directly, no explicit J), QR, all in one jitted fori_loop."""
    return _jax_tangent("linearize", sizes, activation, X, y, theta0, Q0, lr, steps)


def torch_func_tangent(sizes, activation, X, y, theta0, Q0, lr, steps):
    """torch.func.jacfwd(torch.func.grad(loss)) -> H, J Q = Q - lr H Q,
    torch.linalg.qr; Python loop over steps (eager torch), float64."""
    torch = _torch()
    from torch.func import grad as tgrad
    from torch.func import jacfwd

    act = _torch_act(activation)
    sl = layer_slices(sizes)
    Xt = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float64))
    yt = torch.from_numpy(np.ascontiguousarray(y, dtype=np.int64))

    def loss(th):
        a = Xt
        for l, (w0, w1, b0, b1, n_in, n_out) in enumerate(sl):
            z = torch.addmm(th[b0:b1], a, th[w0:w1].reshape(n_in, n_out))
            a = act(z) if l < len(sl) - 1 else z
        return torch.nn.functional.cross_entropy(a, yt)

    g = tgrad(loss)

    def g_aux(th):
        gr = g(th)
        return gr, gr

    hess_and_grad = jacfwd(g_aux, has_aux=True)
    theta = torch.from_numpy(np.array(theta0, dtype=np.float64))
    Q = torch.from_numpy(np.array(Q0, dtype=np.float64))
    logs = torch.zeros(Q.shape[1], dtype=torch.float64)
    for _ in range(steps):
        H, gr = hess_and_grad(theta)
        Q, R = torch.linalg.qr(Q - lr * (H @ Q))
        logs += torch.log(torch.abs(torch.diagonal(R)))
        theta = theta - lr * gr
    return theta.numpy(), Q.numpy(), logs.numpy()


def netchaos_jvp_map_tangent(sizes, activation, X, y, theta0, Q0, lr, steps):
    """Python loop: model.jvp_map(theta, Q, X, y, lr) (= J Q), np.linalg.qr,
    theta -= lr * model.grad(theta, X, y)."""
    import netchaos as nc

    model = nc.MLP(list(sizes), activation=activation, loss="cross_entropy")
    theta = np.array(theta0, dtype=np.float64, copy=True)
    Q = np.array(Q0, dtype=np.float64, copy=True)
    logs = np.zeros(Q.shape[1])
    for _ in range(steps):
        JQ = model.jvp_map(theta, Q, X, y, lr)
        Q, R = np.linalg.qr(JQ)
        logs += np.log(np.abs(np.diag(R)))
        theta = theta - lr * model.grad(theta, X, y)
    return theta, Q, logs


def netchaos_step_tangent(sizes, activation, X, y, theta0, Q0, lr, steps):
    """Python loop: model.step_tangent(theta, Q, X, y, lr) (the GD step and J Q in one
    pass over the data), np.linalg.qr."""
    import netchaos as nc

    model = nc.MLP(list(sizes), activation=activation, loss="cross_entropy")
    theta = np.array(theta0, dtype=np.float64, copy=True)
    Q = np.array(Q0, dtype=np.float64, copy=True)
    logs = np.zeros(Q.shape[1])
    for _ in range(steps):
        theta_next, JQ = model.step_tangent(theta, Q, X, y, lr)
        Q, R = np.linalg.qr(JQ)
        logs += np.log(np.abs(np.diag(R)))
        theta = theta_next
    return theta, Q, logs


def netchaos_tangent_available():
    ok, why = netchaos_available()
    if not ok:
        return ok, why
    import netchaos as nc

    m = nc.MLP([2, 2], activation="linear", loss="cross_entropy")
    for attr in ("jvp_map", "grad", "step_tangent"):
        if not hasattr(m, attr):
            return False, f"netchaos MLP has no {attr!r} yet"
    return True, ""


# >>> NETCHAOS-LYAPUNOV >>> ------------------------------------------------------
# Spot for the dedicated netchaos routine ``nc.lyapunov_spectrum``. The adapter below
# follows the signature seen in netchaos/spectra.py at the time of writing:
#     nc.lyapunov_spectrum(model, data, theta, lr, steps, k=None, *, seed=None, ...)
#     -> SpectrumResult(exponents (k,), x = final theta, Q = final tangent vectors, ...)
# It starts from its own random orthonormal Q0 (seeded), not from our Q0, so only the
# final theta and the SUM of the exponents (= mean log|det J|, independent of Q0 when
# k = P) are cross-checked for this row (``tangent_compare="sum"``). If the API
# changes, edit ``netchaos_lyapunov_builtin`` (or set the flag below to False to skip).
NETCHAOS_LYAPUNOV_ADAPTER_READY = True


def netchaos_lyapunov_builtin(sizes, activation, X, y, theta0, Q0, lr, steps):
    import netchaos as nc

    model = nc.MLP(list(sizes), activation=activation, loss="cross_entropy")
    res = nc.lyapunov_spectrum(model, (X, y), np.asarray(theta0, dtype=np.float64), lr, steps,
                               k=Q0.shape[1], seed=0)
    return np.asarray(res.x), np.asarray(res.Q), np.asarray(res.exponents) * steps


def netchaos_lyapunov_available():
    ok, why = netchaos_available()
    if not ok:
        return ok, why
    import inspect

    import netchaos as nc

    if not hasattr(nc, "lyapunov_spectrum"):
        return False, "netchaos has no lyapunov_spectrum yet (spot: NETCHAOS-LYAPUNOV in _peers.py)"
    if not NETCHAOS_LYAPUNOV_ADAPTER_READY:
        return False, "adapter disabled (NETCHAOS-LYAPUNOV in _peers.py)"
    try:
        params = inspect.signature(nc.lyapunov_spectrum).parameters
    except (TypeError, ValueError):
        params = {}
    missing = [p for p in ("model", "data", "theta", "lr", "steps", "k", "seed")
               if params and p not in params]
    if missing:
        return False, (f"nc.lyapunov_spectrum signature changed (no {missing}); update the "
                       f"adapter (NETCHAOS-LYAPUNOV in _peers.py)")
    return True, ""
# <<< NETCHAOS-LYAPUNOV <<< ------------------------------------------------------


def tangent_peers():
    return [
        Peer("netchaos", netchaos_step_tangent, netchaos_tangent_available,
             "loop: model.step_tangent + np.linalg.qr", is_netchaos=True),
        Peer("netchaos[jvp_map+grad]", netchaos_jvp_map_tangent, netchaos_tangent_available,
             "loop: model.jvp_map + np.linalg.qr + model.grad (two passes)",
             is_netchaos=True, extra=True),
        Peer("netchaos[lyapunov]", netchaos_lyapunov_builtin, netchaos_lyapunov_available,
             "nc.lyapunov_spectrum(k=83, seed=0): own random Q0", is_netchaos=True,
             extra=True, tangent_compare="sum"),
        Peer("jax_jacfwd_scan", jax_jacfwd_tangent, jax_available,
             "jit(fori_loop(jacfwd(GD map) @ Q, qr))"),
        Peer("jax_linearize_scan", jax_linearize_tangent, jax_available,
             "jit(fori_loop(vmap(linearize(GD map)) on Q, qr))", extra=True),
        Peer("torch_func_jacfwd", torch_func_tangent, torch_available,
             "eager loop: torch.func.jacfwd(grad) + torch.linalg.qr"),
        Peer("numpy_rop", numpy_rop_tangent, _always,
             "numpy R-operator (exact HVP) + np.linalg.qr, the reference", extra=True),
    ]


# ==========================================================================
# peer registry
# ==========================================================================
@dataclass
class Peer:
    name: str
    fn: Callable
    available: Callable
    description: str
    max_traj: int | None = None       # subsample the timed workload to this many trajectories
    is_netchaos: bool = False
    extra: bool = False               # optional extra row (not one of the required peers)
    tangent_compare: str = "all"      # tangent cross-check: "all" exponents or only their "sum"


def select_peers(peers, names=None):
    """Keep only the peers named in ``names`` (None: all); warn about unknown names."""
    if not names:
        return peers
    known = {p.name for p in peers}
    for n in names:
        if n not in known:
            print(f"WARNING: unknown peer {n!r}; known: {', '.join(sorted(known))}")
    return [p for p in peers if p.name in names]


def _always():
    return True, ""


def training_peers(torch_loop_traj=20):
    return [
        Peer("netchaos", netchaos_final, netchaos_available,
             'nc.train(record="final")', is_netchaos=True),
        Peer("netchaos[metrics]", netchaos_metrics, netchaos_available,
             'nc.train(record="metrics"): + loss/acc every step', is_netchaos=True, extra=True),
        Peer("jax_vmap_jit", jax_vmap_jit, jax_available,
             "jax.grad + vmap, fori_loop inside jit"),
        Peer("jax_vmap_jit_sharded", jax_vmap_jit_sharded, jax_available,
             "same jitted program, K sharded over the XLA CPU devices (all cores)",
             extra=True),
        Peer("torch_batched", torch_batched, torch_available,
             "batched (K,n_in,n_out) tensors, autograd"),
        Peer("torch_batched_manual", torch_batched_manual, torch_available,
             "batched tensors, hand-written backward (no autograd)", extra=True),
        Peer("numpy_einsum", numpy_einsum, _always,
             "batched manual fwd/bwd, big GEMM + stacked matmul"),
        Peer("torch_loop", torch_loop, torch_available,
             f"one net at a time, autograd (timed on {torch_loop_traj} traj.)",
             max_traj=torch_loop_traj),
        Peer("numba_prange_naive", numba_prange_naive, numba_available,
             "prange over traj., per-sample loops on (P,)"),
    ]


# ==========================================================================
# timing helpers
# ==========================================================================
def time_call(fn, *args, repeats=3, warmup=None):
    """Run ``warmup()`` (if given; compile / first-call costs, untimed), then time
    ``fn(*args)`` ``repeats`` times. Returns (result_of_last_call, list_of_seconds)."""
    if warmup is not None:
        warmup()
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - t0)
    return out, times


def _cpu_seconds():
    """CPU time (user + system) of this process, all threads."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def time_interleaved(jobs, repeats=3, log=print, settle=0.0):
    """Time several jobs fairly on a noisy machine.

    ``jobs``: list of dicts with keys ``name``, ``run`` (zero-arg callable, the timed
    work) and optionally ``warmup`` (zero-arg callable: JIT compilation / first call,
    never timed). All warm-ups run first; then ``repeats`` rounds, each round timing
    every job once (round-robin), so slow phases of a shared machine hit all peers
    alike. ``settle`` seconds of sleep before every timed job let the previous job's
    thread pools stop spinning: OpenBLAS's and XLA's threads busy-wait for a while after
    their work, and a job started at once shares its cores with them (a 60 ms
    Hessian-vector product measured 90 ms right after a JAX call on one core, 75 ms
    instead of 40 on two). Returns {name: {"wall": [s per round], "cpu": [process CPU s
    per round]}} (or the exception a job raised).
    """
    times = {}
    for job in jobs:
        try:
            if job.get("warmup") is not None:
                t0 = time.perf_counter()
                job["warmup"]()
                log(f"  warm-up {job['name']:<22} {time.perf_counter() - t0:7.2f} s (untimed)")
            times[job["name"]] = {"wall": [], "cpu": []}
        except Exception as exc:
            times[job["name"]] = exc
            log(f"  warm-up {job['name']:<22} FAILED: {type(exc).__name__}: {exc}")
    for r in range(repeats):
        line = []
        for job in jobs:
            rec = times[job["name"]]
            if isinstance(rec, Exception):
                continue
            try:
                if settle > 0:
                    time.sleep(settle)
                c0 = _cpu_seconds()
                t0 = time.perf_counter()
                job["run"]()
                dt = time.perf_counter() - t0
                rec["wall"].append(dt)
                rec["cpu"].append(_cpu_seconds() - c0)
                line.append(f"{job['name']} {dt:.3g}s")
            except Exception as exc:
                times[job["name"]] = exc
                line.append(f"{job['name']} FAILED")
        log(f"  round {r + 1}/{repeats}: " + ", ".join(line))
    return times


def summarize_times(rec, work):
    """rec: {"wall": [...], "cpu": [...]}; work: units of work per call (e.g.
    trajectory-steps) -> row fields. ``cores_used`` = CPU time / wall time of the best
    run (how many cores the peer kept busy); ``spread`` = slowest / fastest run."""
    wall, cpu = rec["wall"], rec["cpu"]
    i = int(np.argmin(wall))
    best = wall[i]
    return dict(status="ok", work=work, time_s=best, time_median_s=statistics.median(wall),
                times_s=list(wall), cpu_times_s=list(cpu), cores_used=cpu[i] / best,
                spread=max(wall) / best, traj_steps_per_s=work / best)


def start_rows(peers, log=print):
    """One result row per peer; unavailable peers are marked skipped. Returns (rows, available)."""
    rows, available = [], []
    for p in peers:
        row = {"peer": p.name, "description": p.description}
        rows.append(row)
        ok, why = p.available()
        if not ok:
            row.update(status="skipped", note=why)
            log(f"  skip    {p.name:<22} {why}")
            continue
        available.append(p)
    return rows, available


def timed_rows(rows, times):
    """Yield (row, times) for peers that were timed; rows whose run raised are marked error."""
    for row in rows:
        t = times.get(row["peer"])
        if t is None:
            continue
        if isinstance(t, Exception):
            row.update(status="error", note=f"{type(t).__name__}: {t}")
            continue
        yield row, t


def row_cells(row, diffs):
    """Table cells shared by every report: (cross-check diff, ratio, paired ratio)."""
    d = diffs.get(row["peer"])
    dstr = f"{d:.1e}" if isinstance(d, float) else ("err" if d else "-")
    ratio = row.get("ratio_netchaos_over_peer")
    rstr = f"{ratio:.2f}x" if ratio is not None else "n/a"
    pr = row.get("ratio_paired_median")
    pstr = f"{pr:.2f}x" if pr is not None else "n/a"
    return dstr, rstr, pstr


def run_training_peers(peers, sizes, activation, X, y, theta0, lr, steps, repeats=3,
                       warmup_steps=2, log=print):
    """Time training peers on the workload (interleaved rounds, see time_interleaved).
    Warm-up = one call with the same shapes and ``warmup_steps`` steps (compilation,
    first-call costs), excluded from timing. Returns table rows."""
    rows, available = start_rows(peers, log)
    jobs, meta = [], {}
    for p in available:
        th = theta0 if p.max_traj is None else theta0[: p.max_traj]
        meta[p.name] = th.shape[0]
        jobs.append(dict(
            name=p.name,
            warmup=(lambda p=p, th=th: p.fn(sizes, activation, X, y, th, lr, warmup_steps)),
            run=(lambda p=p, th=th: p.fn(sizes, activation, X, y, th, lr, steps))))
    times = time_interleaved(jobs, repeats=repeats, log=log)
    for row, t in timed_rows(rows, times):
        K = meta[row["peer"]]
        row.update(K=K, steps=steps, **summarize_times(t, K * steps))
        if K != theta0.shape[0]:
            row["note"] = (f"timed on {K} of {theta0.shape[0]} traj.; "
                           f"throughput per traj-step")
    return rows


def cross_check(peers, sizes, activation, X, y, theta0, lr, steps=20, max_traj=None):
    """Run every available peer for ``steps`` steps and compare its final parameters with
    the plain-numpy single-network reference. Returns {peer_name: max_abs_diff}."""
    th = theta0 if max_traj is None else theta0[:max_traj]
    ref = numpy_reference(sizes, activation, X, y, th, lr, steps)
    diffs = {"numpy_reference": 0.0}
    for p in peers:
        ok, _ = p.available()
        if not ok:
            continue
        sub = th if p.max_traj is None else th[: p.max_traj]
        try:
            out = p.fn(sizes, activation, X, y, sub, lr, steps)
            diffs[p.name] = float(np.max(np.abs(np.asarray(out) - ref[: sub.shape[0]])))
        except Exception as exc:
            diffs[p.name] = f"error: {type(exc).__name__}: {exc}"
    return diffs


# ==========================================================================
# environment / reporting
# ==========================================================================
def _version(mod):
    try:
        m = __import__(mod)
        return getattr(m, "__version__", "?")
    except Exception:
        return None


def environment():
    env = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu": _cpu_name(),
        "cpu_count": os.cpu_count(),
        "threads": N_THREADS,
        "affinity": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "dtype": "float64",
        "loadavg_1_5_15": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }
    for mod in ("numpy", "numba", "jax", "torch", "netchaos"):
        env[mod] = _version(mod)
    env["blas"] = blas_kernels()
    return env


def blas_kernels():
    """The BLAS libraries of the process and the kernel sets they chose, as
    ``"name version (architecture)"``, with the ``OPENBLAS_CORETYPE`` that forced them if
    set: a DYNAMIC_ARCH OpenBLAS runs its AVX2 (Haswell) kernels at two thirds of the speed
    of its AVX-512 (SkylakeX) ones on a CPU that has both, and the variable overrides its
    choice."""
    try:
        import scipy.linalg.cython_blas  # noqa: F401 - the BLAS that Numba's kernels call
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown"
    libs = [f"{os.path.basename(i['filepath'])} {i.get('version')} "
            f"({i.get('architecture', '?')})" for i in threadpool_info()
            if i.get("user_api") == "blas"]
    forced = os.environ.get("OPENBLAS_CORETYPE")
    return "; ".join(libs) + (f"; OPENBLAS_CORETYPE={forced}" if forced else "")


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def header(title, workload_lines, repeats, timing=None):
    env = environment()
    if timing is None:
        timing = (f"float64 everywhere; warm-up call (JIT compile / first call) excluded; "
                  f"{repeats} interleaved rounds (each round times every peer once); best "
                  f"reported, median also shown")
    lines = [
        "=" * 100,
        title,
        "=" * 100,
        *workload_lines,
        f"machine : {env['cpu']} | {env['cpu_count']} logical CPUs | python {env['python']} | "
        f"load average (1/5/15 min) at start: "
        + ("/".join(f"{v:.2f}" for v in env["loadavg_1_5_15"]) if env["loadavg_1_5_15"] else "?")
        + _busy_note(env),
        f"versions: numpy {env['numpy']} | numba {env['numba']} | jax {env['jax']} | "
        f"torch {env['torch']} | netchaos {env['netchaos'] or 'not importable'}",
        f"threads : every peer capped at {N_THREADS} cores: CPU affinity {env['affinity']}, "
        f"OMP/OPENBLAS/MKL/NUMBA_NUM_THREADS={N_THREADS}, torch.set_num_threads({N_THREADS}), "
        f"numba.set_num_threads({N_THREADS}), XLA thread pool = visible cores",
        f"timing  : {timing}",
        "-" * 100,
    ]
    return "\n".join(lines), env


def _busy_note(env):
    la = env.get("loadavg_1_5_15")
    if la and la[0] > 0.5:
        return ("\n          WARNING: the machine is busy (other processes running); timings will be "
                "noisy and multi-threaded peers suffer most")
    return ""


def fmt_rate(x):
    if x is None:
        return "-"
    if x >= 1e6:
        return f"{x / 1e6:.2f}M"
    if x >= 1e3:
        return f"{x / 1e3:.1f}k"
    return f"{x:.1f}"


def add_ratios(rows, nc_name="netchaos", key="traj_steps_per_s"):
    """ratio = netchaos throughput / peer throughput (> 1: netchaos faster), from the best
    runs; ``ratio_paired_median`` = median over rounds of (peer time / netchaos time) in
    the same interleaved round (robust when the machine load changes between rounds)."""
    nc = next((r for r in rows if r["peer"] == nc_name and r.get("status") == "ok"), None)
    for r in rows:
        r["ratio_netchaos_over_peer"] = None
        r["ratio_paired_median"] = None
        if nc is None or r.get("status") != "ok":
            continue
        r["ratio_netchaos_over_peer"] = nc[key] / r[key]
        tn, tp = nc.get("times_s", []), r.get("times_s", [])
        if tn and len(tn) == len(tp):
            scale = (r.get("work", 1.0) / nc.get("work", 1.0))   # per-unit-of-work times
            r["ratio_paired_median"] = statistics.median(
                (b / scale) / a for a, b in zip(tn, tp))
    return nc


def format_table(rows, diffs=None, rate_key="traj_steps_per_s", rate_label="traj-steps/s",
                 time_label="time [s]", diff_label="max|dθ| 20st", time_scale=1.0):
    diffs = diffs or {}
    hdr = (f"{'peer':<22} {time_label:>10} {'median':>9} {rate_label:>13} "
           f"{'netchaos/peer':>13} {'paired':>7} {'cores':>5} {diff_label:>13}  note")
    out = [hdr, "-" * len(hdr)]
    for r in rows:
        dstr, rstr, pstr = row_cells(r, diffs)
        if r.get("status") != "ok":
            out.append(f"{r['peer']:<22} {'-':>10} {'-':>9} {'-':>13} {'-':>13} {'-':>7} "
                       f"{'-':>5} {dstr:>13}  {r.get('status', '').upper()}: "
                       f"{r.get('note', '')}")
            continue
        note = r.get("note") or r.get("description", "")
        out.append(f"{r['peer']:<22} {r['time_s'] * time_scale:>10.4g} "
                   f"{r['time_median_s'] * time_scale:>9.4g} {fmt_rate(r[rate_key]):>13} "
                   f"{rstr:>13} {pstr:>7} {r.get('cores_used', float('nan')):>5.2f} "
                   f"{dstr:>13}  {note}")
    return "\n".join(out)


TABLE_LEGEND = (
    "  netchaos/peer = netchaos throughput / peer throughput from the best runs (> 1: netchaos "
    "faster); paired = median over\n  rounds of the same ratio within one interleaved round; "
    "cores = CPU time / wall time of the best run;\n  max|dθ| 20st = max abs difference of "
    "the final parameters after the 20-step cross-check run vs the reference")


def noise_warning(rows, threshold=1.3):
    bad = [f"{r['peer']} {r['spread']:.2f}x" for r in rows
           if r.get("status") == "ok" and r.get("spread", 1.0) > threshold]
    if bad:
        return ("NOTE: noisy timings (slowest/fastest run > %.1fx): " % threshold + ", ".join(bad)
                + " -- the machine was busy; best-of is reported, consider --repeats 5")
    return ""


def target_line(rows, peer_name, factor, nc_name="netchaos", key="traj_steps_per_s"):
    """Check 'netchaos >= factor x peer' on the throughput column ``key``."""
    nc = next((r for r in rows if r["peer"] == nc_name and r.get("status") == "ok"), None)
    pr = next((r for r in rows if r["peer"] == peer_name and r.get("status") == "ok"), None)
    label = f"{nc_name} >= {factor:g}x {peer_name}"
    if nc is None or pr is None:
        missing = nc_name if nc is None else peer_name
        return {"target": label, "measured": None, "met": None,
                "text": f"TARGET {label}: n/a ({missing} not measured)"}
    ratio = nc[key] / pr[key]
    met = bool(ratio >= factor)
    return {"target": label, "measured": ratio, "met": met,
            "text": f"*** TARGET {label}: measured {ratio:.2f}x -> "
                    f"{'MET' if met else 'NOT MET'} ***"}


def parse_args(argv=None, description=None, extra=None):
    """Common command line of every benchmark script."""
    import argparse

    ap = argparse.ArgumentParser(description=description,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="short smoke version (a few seconds)")
    ap.add_argument("--json", metavar="PATH", help="write the results to PATH as JSON")
    ap.add_argument("--repeats", type=int, default=None,
                    help="timed rounds per peer (interleaved; best is reported). "
                         "Default 3 (2 with --quick)")
    ap.add_argument("--peers", default=None,
                    help="comma-separated subset of peers to run (default: all)")
    ap.add_argument("--no-check", action="store_true", help="skip the 20-step cross-check")
    if extra is not None:
        extra(ap)
    args = ap.parse_args(argv)
    if args.repeats is None:
        args.repeats = 2 if args.quick else 3
    args.peer_list = [p.strip() for p in args.peers.split(",")] if args.peers else None
    return args


def write_json(path, payload):
    if not path:
        return
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    with open(path, "w") as fh:
        json.dump(payload, fh, indent=2, default=_json_default)
    print(f"results written to {path}")


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


# ==========================================================================
# generic driver for the training benchmarks (W1, digits)
# ==========================================================================
@dataclass
class TrainingWorkload:
    name: str
    dataset: str
    sizes: tuple
    activation: str
    lr: float
    K: int
    steps: int
    seed: int = 0
    torch_loop_traj: int = 20
    check_steps: int = 20
    check_traj: int | None = None      # None: all K trajectories
    check_tol: float = 1e-10
    targets: list = field(default_factory=list)   # [(peer_name, factor)]


def run_training_benchmark(wl: TrainingWorkload, title, repeats=3, peers_filter=None,
                           json_path=None, skip_check=False):
    X, y = DATASETS[wl.dataset]()
    theta0 = init_theta(wl.sizes, wl.K, seed=wl.seed)
    P = theta0.shape[1]
    workload = [
        f"workload: {wl.name}: {wl.dataset} N={X.shape[0]} | sizes {list(wl.sizes)} "
        f"({P} params) {wl.activation} | softmax cross-entropy, full batch, lr={wl.lr}",
        f"          K={wl.K} trajectories x {wl.steps} steps = {wl.K * wl.steps:,} "
        f"trajectory-steps | theta0: W ~ N(0,1), b = 0 (seed {wl.seed})",
    ]
    text, env = header(title, workload, repeats)
    print(text, flush=True)
    peers = select_peers(training_peers(wl.torch_loop_traj), peers_filter)

    diffs = {}
    if not skip_check:
        n_check = wl.K if wl.check_traj is None else min(wl.check_traj, wl.K)
        print(f"cross-check: {wl.check_steps} steps, lr={wl.lr}, {n_check} trajectories "
              f"(torch_loop: first {wl.torch_loop_traj}), final theta vs plain-numpy "
              f"single-network reference ...", flush=True)
        diffs = cross_check(peers, wl.sizes, wl.activation, X, y, theta0, wl.lr,
                            steps=wl.check_steps, max_traj=wl.check_traj)
        for name, d in diffs.items():
            if name == "numpy_reference":
                continue
            flag = "ok" if isinstance(d, float) and d <= wl.check_tol else "MISMATCH"
            print(f"  {name:<22} max|dθ| = {d if isinstance(d, str) else f'{d:.2e}'}  [{flag}]")
        print(f"  (tolerance {wl.check_tol:g}; lr={wl.lr} dynamics amplify rounding differences "
              f"between implementations, so the check uses a short run)")
        print("-" * 100, flush=True)

    print(f"timing ({repeats} interleaved rounds) ...", flush=True)
    rows = run_training_peers(peers, wl.sizes, wl.activation, X, y, theta0, wl.lr, wl.steps,
                              repeats=repeats, log=lambda m: print(m, flush=True))
    add_ratios(rows)
    print()
    print(format_table(rows, diffs))
    print(TABLE_LEGEND)
    nw = noise_warning(rows)
    if nw:
        print(nw)
    targets = [target_line(rows, name, factor) for name, factor in wl.targets]
    if any(n == "jax_vmap_jit" for n, _ in wl.targets):
        # informational: the same factor against JAX using both cores via sharding
        for name, factor in wl.targets:
            if name == "jax_vmap_jit":
                t = target_line(rows, "jax_vmap_jit_sharded", factor)
                t["informational"] = True
                t["text"] = "    (info) " + t["text"].strip("* ")
                targets.append(t)
    for t in targets:
        print(t["text"])
    payload = {"benchmark": wl.name, "title": title, "env": env,
               "workload": {k: (list(v) if isinstance(v, tuple) else v)
                            for k, v in wl.__dict__.items() if k != "targets"},
               "repeats": repeats, "rows": rows, "cross_check_max_abs_diff": diffs,
               "targets": targets}
    write_json(json_path, payload)
    return payload
