"""Plain-numpy reference implementation of the MLP, its loss, gradient and GD map.

Deliberately simple and independent of netchaos (no numba, no imports from
the package): every quantity is computed the obvious way, layer by layer,
with numpy matmuls, following the conventions netchaos documents for
:class:`netchaos.MLP`:

* flat layout: for each layer, W (n_in, n_out) row-major, then b (n_out,)
* forward: a_0 = x; z_l = a_{l-1} @ W_l + b_l; a_l = act(z_l) (hidden only);
  output z_L (linear)
* cross_entropy: L = mean_n [logsumexp(z_n) - z_n[y_n]] + l2/2 * sum(W**2)
* mse:           L = sum (z - y)**2 / (N * n_out)   + l2/2 * sum(W**2)
  (biases are not regularised)

The gradient is a hand-written backward pass; finite-difference helpers are
provided to check it (and anything else) numerically.
"""

import numpy as np

ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear")
LOSSES = ("cross_entropy", "mse")


# --------------------------------------------------------------------------
# layout
# --------------------------------------------------------------------------
def n_params(sizes):
    return int(sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:])))


def unflatten(sizes, theta):
    """theta (P,) -> list of (W (n_in, n_out), b (n_out,)) views."""
    theta = np.asarray(theta, dtype=np.float64)
    assert theta.shape == (n_params(sizes),), (theta.shape, sizes)
    layers = []
    pos = 0
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        W = theta[pos:pos + n_in * n_out].reshape(n_in, n_out)
        pos += n_in * n_out
        b = theta[pos:pos + n_out]
        pos += n_out
        layers.append((W, b))
    return layers


def flatten(layers):
    parts = []
    for W, b in layers:
        parts.append(np.asarray(W, dtype=np.float64).ravel())
        parts.append(np.asarray(b, dtype=np.float64).ravel())
    return np.concatenate(parts)


def weight_mask(sizes):
    mask = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        mask.extend([True] * (n_in * n_out))
        mask.extend([False] * n_out)
    return np.array(mask, dtype=bool)


# --------------------------------------------------------------------------
# activations
# --------------------------------------------------------------------------
def sigmoid(z):
    # numerically safe for large |z|
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def act(name, z):
    if name == "sigmoid":
        return sigmoid(z)
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "linear":
        return z.copy()
    raise ValueError(name)


def act_deriv(name, z):
    """d act / dz, elementwise (relu: 0 at z == 0; only used off the kink)."""
    if name == "sigmoid":
        s = sigmoid(z)
        return s * (1.0 - s)
    if name == "tanh":
        t = np.tanh(z)
        return 1.0 - t * t
    if name == "relu":
        return (z > 0).astype(np.float64)
    if name == "linear":
        return np.ones_like(z)
    raise ValueError(name)


# --------------------------------------------------------------------------
# forward / loss / gradient
# --------------------------------------------------------------------------
def forward(sizes, activation, theta, X):
    """Returns (zs, as_): pre-activations z_1..z_L and activations a_0..a_{L-1}."""
    X = np.asarray(X, dtype=np.float64)
    layers = unflatten(sizes, theta)
    a = X
    as_ = [a]
    zs = []
    for i, (W, b) in enumerate(layers):
        z = a @ W + b
        zs.append(z)
        if i < len(layers) - 1:
            a = act(activation, z)
            as_.append(a)
    return zs, as_


def output(sizes, activation, theta, X):
    """Last-layer pre-activation z_L, shape (N, n_out)."""
    return forward(sizes, activation, theta, X)[0][-1]


def logsumexp(z):
    m = np.max(z, axis=1, keepdims=True)
    return (m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True)))[:, 0]


def softmax(z):
    m = np.max(z, axis=1, keepdims=True)
    e = np.exp(z - m)
    return e / e.sum(axis=1, keepdims=True)


def predict(sizes, activation, loss, theta, X):
    z = output(sizes, activation, theta, X)
    return softmax(z) if loss == "cross_entropy" else z


def _targets(sizes, y):
    y = np.asarray(y, dtype=np.float64)
    return y.reshape(len(y), sizes[-1])


def l2_term(sizes, l2, theta):
    if l2 == 0:
        return 0.0  # no 0 * inf = NaN for huge weights
    w = np.asarray(theta, dtype=np.float64)[weight_mask(sizes)]
    return 0.5 * l2 * float(np.sum(w * w))


def loss_fn(sizes, activation, loss, l2, theta, X, y):
    z = output(sizes, activation, theta, X)
    N = z.shape[0]
    if loss == "cross_entropy":
        yi = np.asarray(y).astype(np.int64)
        data = float(np.sum(logsumexp(z) - z[np.arange(N), yi])) / N
    elif loss == "mse":
        r = z - _targets(sizes, y)
        data = float(np.sum(r * r)) / (N * sizes[-1])
    else:
        raise ValueError(loss)
    return data + l2_term(sizes, l2, theta)


def grad_fn(sizes, activation, loss, l2, theta, X, y):
    """Analytic gradient by a manual backward pass."""
    zs, as_ = forward(sizes, activation, theta, X)
    layers = unflatten(sizes, theta)
    z = zs[-1]
    N = z.shape[0]
    if loss == "cross_entropy":
        yi = np.asarray(y).astype(np.int64)
        delta = softmax(z)
        delta[np.arange(N), yi] -= 1.0
        delta /= N
    else:
        delta = 2.0 * (z - _targets(sizes, y)) / (N * sizes[-1])
    grads = [None] * len(layers)
    for i in range(len(layers) - 1, -1, -1):
        W, b = layers[i]
        gW = as_[i].T @ delta + (l2 * W if l2 != 0 else 0.0)
        gb = delta.sum(axis=0)
        grads[i] = (gW, gb)
        if i > 0:
            delta = (delta @ W.T) * act_deriv(activation, zs[i - 1])
    return flatten(grads)


def accuracy(sizes, activation, theta, X, y):
    z = output(sizes, activation, theta, X)
    return float(np.mean(np.argmax(z, axis=1) == np.asarray(y)))


def min_abs_hidden_preact(sizes, activation, theta, X):
    """Smallest |z| over all hidden pre-activations (inf if no hidden layer)."""
    zs, _ = forward(sizes, activation, theta, X)
    hidden = zs[:-1]
    if not hidden:
        return np.inf
    return float(min(np.min(np.abs(z)) for z in hidden))


# --------------------------------------------------------------------------
# gradient-descent trajectory
# --------------------------------------------------------------------------
def ref_train(sizes, activation, loss, l2, X, y, theta0, lr, steps):
    """Full-batch GD.  Returns thetas (steps+1, P) and losses (steps+1,)
    with thetas[t] = theta(t), losses[t] = L(theta(t)).  No divergence
    handling: non-finite values simply propagate."""
    theta = np.array(theta0, dtype=np.float64)
    P = theta.shape[0]
    thetas = np.empty((steps + 1, P))
    losses = np.empty(steps + 1)
    with np.errstate(all="ignore"):
        for t in range(steps + 1):
            thetas[t] = theta
            losses[t] = loss_fn(sizes, activation, loss, l2, theta, X, y)
            if t < steps:
                theta = theta - lr * grad_fn(sizes, activation, loss, l2, theta, X, y)
    return thetas, losses


# --------------------------------------------------------------------------
# finite differences
# --------------------------------------------------------------------------
def fd_grad(sizes, activation, loss, l2, theta, X, y, h=1e-6):
    """Central-difference gradient of the reference loss."""
    theta = np.asarray(theta, dtype=np.float64)
    g = np.empty_like(theta)
    for i in range(theta.size):
        tp = theta.copy()
        tm = theta.copy()
        tp[i] += h
        tm[i] -= h
        g[i] = (loss_fn(sizes, activation, loss, l2, tp, X, y)
                - loss_fn(sizes, activation, loss, l2, tm, X, y)) / (tp[i] - tm[i])
    return g


def fd_hvp(sizes, activation, loss, l2, theta, v, X, y, h=1e-5):
    """Central-difference Hessian-vector product of the reference gradient.
    v of shape (P,) or (P, k); the result has v's shape."""
    theta = np.asarray(theta, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    if v.ndim == 2:
        return np.stack([fd_hvp(sizes, activation, loss, l2, theta, v[:, j], X, y, h)
                         for j in range(v.shape[1])], axis=1)
    gp = grad_fn(sizes, activation, loss, l2, theta + h * v, X, y)
    gm = grad_fn(sizes, activation, loss, l2, theta - h * v, X, y)
    return (gp - gm) / (2.0 * h)


def fd_hessian(sizes, activation, loss, l2, theta, X, y, h=1e-5):
    """Full Hessian by central differences of the reference gradient
    (column j = FD HVP on the j-th unit vector)."""
    P = np.asarray(theta).shape[0]
    return fd_hvp(sizes, activation, loss, l2, theta, np.eye(P), X, y, h)
