"""Multilayer perceptrons over a flat float64 parameter vector."""

import numpy as np

from . import _blocks
from ._blas import one_blas_thread
from ._validate import (INIT_SCHEMES, as_array, as_float_array, check_choice, check_int,
                        check_memory, check_positive, rng_from)
from .core import elementwise as ew
from .core.ensemble import eval_block, eval_blocks
from .core.tangent import hvp_blocks, hvp_lanes
from .core.wide import hvp_wide

_ACTIVATIONS = {
    "sigmoid": "sigmoid",
    "logistic": "sigmoid",
    "tanh": "tanh",
    "relu": "relu",
    "linear": "linear",
    "identity": "linear",
}
_ACT_CODES = {"sigmoid": ew.ACT_SIGMOID, "tanh": ew.ACT_TANH, "relu": ew.ACT_RELU,
              "linear": ew.ACT_LINEAR}
_LOSSES = {
    "cross_entropy": "cross_entropy",
    "crossentropy": "cross_entropy",
    "ce": "cross_entropy",
    "softmax_cross_entropy": "cross_entropy",
    "mse": "mse",
    "squared_error": "mse",
}
_LOSS_CODES = {"cross_entropy": ew.LOSS_CROSS_ENTROPY, "mse": ew.LOSS_MSE}
#: largest supported parameter count (one parameter vector of 8 TiB)
_MAX_PARAMS = 2**40


class MLP:
    """A fully connected feed-forward network whose parameters form one flat vector.

    Training by gradient descent is then the map
    ``theta(t+1) = theta(t) - lr * grad L(theta(t))`` on that vector.

    Parameters
    ----------
    sizes : sequence of int
        Units per layer, input first, output last; ``[4, 10, 3]`` is the
        4-10-3 network of the reference protocol. Two entries mean no hidden
        layer (linear or multinomial logistic regression).
    activation : {"sigmoid", "tanh", "relu", "linear"}
        Activation of the hidden layers. The output layer is linear; the loss
        applies the softmax.
    loss : {"cross_entropy", "mse"}
        ``"cross_entropy"``: softmax outputs, integer labels,
        ``L = (1/N) sum_n [logsumexp(z_n) - z_n[y_n]]``.
        ``"mse"``: linear outputs, real targets,
        ``L = (1/(N n_out)) sum_n sum_k (z_nk - y_nk)^2``.
    l2 : float, default 0
        Adds ``(l2/2) * sum(w^2)`` over the weight matrices (not the biases).

    Attributes
    ----------
    sizes : tuple of int
    n_params : int
        Length of the flat parameter vector.
    activation, objective : str
        Canonical names of the activation and of the loss.
    weight_mask : ndarray of bool of shape (n_params,)
        True on weight-matrix entries, False on biases.

    Notes
    -----
    Flat layout: for each layer, its weight matrix ``W`` of shape
    ``(n_in, n_out)`` in row-major order (``W[i, j]`` connects input ``i`` to
    unit ``j``), then its bias of shape ``(n_out,)``. ``MLP([4, 10, 3])`` has
    ``4*10 + 10 + 10*3 + 3 = 83`` parameters.

    Examples
    --------
    >>> import netchaos as nc
    >>> model = nc.MLP([4, 10, 3], activation="sigmoid")
    >>> model.n_params
    83
    >>> theta = model.init(seed=0)
    >>> theta.shape
    (83,)
    """

    def __init__(self, sizes, activation="sigmoid", loss="cross_entropy", l2=0.0):
        if (isinstance(sizes, (str, bytes, dict)) or not hasattr(sizes, "__len__")
                or (isinstance(sizes, np.ndarray) and sizes.ndim == 0)):
            raise TypeError(f"sizes must be a sequence of layer widths, got {type(sizes).__name__}")
        if len(sizes) < 2:
            raise ValueError(f"sizes needs at least an input and an output width, got {list(sizes)}")
        clean = []
        for s in sizes:
            if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
                raise TypeError(f"sizes must contain integers, got {s!r}")
            if s < 1:
                raise ValueError(f"sizes must be positive layer widths, got {list(sizes)}")
            clean.append(int(s))
        n_params = sum(a * b + b for a, b in zip(clean[:-1], clean[1:]))
        if n_params > _MAX_PARAMS:
            raise ValueError(f"sizes {clean} give {n_params} parameters, more than the "
                             f"{_MAX_PARAMS} one float64 parameter vector may hold here")
        self.sizes = tuple(clean)
        self.activation = check_choice(activation, "activation", _ACTIVATIONS)
        self.objective = check_choice(loss, "loss", _LOSSES)
        self.l2 = check_positive(l2, "l2", allow_zero=True)
        self._act = _ACT_CODES[self.activation]
        self._loss = _LOSS_CODES[self.objective]
        sz = np.array(self.sizes, dtype=np.int64)
        w_off, b_off = [], []
        off = 0
        for k in range(len(sz) - 1):
            w_off.append(off)
            off += sz[k] * sz[k + 1]
            b_off.append(off)
            off += sz[k + 1]
        self.n_params = int(off)
        self._sizes = sz
        self._wide = _blocks.is_wide(sz)
        self._w_off = np.array(w_off, dtype=np.int64)
        self._b_off = np.array(b_off, dtype=np.int64)
        self._ro = np.concatenate([[0], np.cumsum(sz[1:])]).astype(np.int64)
        mask = np.zeros(self.n_params, dtype=bool)
        for k in range(len(sz) - 1):
            mask[w_off[k]:b_off[k]] = True
        self.weight_mask = mask
        self._wmask = mask.astype(np.uint8)

    # ------------------------------------------------------------------ layout
    @property
    def n_inputs(self):
        """Width of the input layer."""
        return self.sizes[0]

    @property
    def n_outputs(self):
        """Width of the output layer (classes for cross-entropy)."""
        return self.sizes[-1]

    def __repr__(self):
        return (f"MLP(sizes={list(self.sizes)}, activation={self.activation!r}, "
                f"loss={self.objective!r}, l2={self.l2}) with {self.n_params} parameters")

    def _kernel_args(self):
        return (self._sizes, self._w_off, self._b_off, self._ro, self._act, self._loss,
                self.l2, self._wmask)

    def unflatten(self, theta):
        """Split a flat vector into layers.

        Parameters
        ----------
        theta : ndarray of shape (n_params,)

        Returns
        -------
        list of (W, b)
            ``W`` of shape (n_in, n_out) and ``b`` of shape (n_out,), views of ``theta``.

        Examples
        --------
        >>> import netchaos as nc
        >>> model = nc.MLP([4, 3, 3])
        >>> [(W.shape, b.shape) for W, b in model.unflatten(model.init(seed=0))]
        [((4, 3), (3,)), ((3, 3), (3,))]
        """
        theta = self._check_theta(theta, allow_ensemble=False)[0]
        layers = []
        for k in range(len(self.sizes) - 1):
            n_in, n_out = self.sizes[k], self.sizes[k + 1]
            W = theta[self._w_off[k]:self._b_off[k]].reshape(n_in, n_out)
            b = theta[self._b_off[k]:self._b_off[k] + n_out]
            layers.append((W, b))
        return layers

    def flatten(self, layers):
        """Inverse of :meth:`unflatten`: a list of (W, b) -> ndarray of shape (n_params,).

        Examples
        --------
        >>> import numpy as np
        >>> import netchaos as nc
        >>> model = nc.MLP([4, 3, 3])
        >>> theta = model.init(seed=0)
        >>> bool(np.array_equal(model.flatten(model.unflatten(theta)), theta))
        True
        """
        n_layers = len(self.sizes) - 1
        if isinstance(layers, (str, bytes, np.ndarray)) or not hasattr(layers, "__len__"):
            raise TypeError(f"layers must be a list of {n_layers} (W, b) pairs, "
                            f"got {type(layers).__name__}")
        if len(layers) != n_layers:
            raise ValueError(f"layers must hold {n_layers} (W, b) pairs, got {len(layers)}")
        parts = []
        for k, pair in enumerate(layers):
            if isinstance(pair, (str, bytes)) or not hasattr(pair, "__len__") or len(pair) != 2:
                raise TypeError(f"layers[{k}] must be a (W, b) pair, got {type(pair).__name__}")
            W, b = pair
            n_in, n_out = self.sizes[k], self.sizes[k + 1]
            W = as_float_array(W, f"layers[{k}] W", ndim=2, finite=False)
            b = as_float_array(b, f"layers[{k}] b", ndim=1, finite=False)
            if W.shape != (n_in, n_out) or b.shape != (n_out,):
                raise ValueError(f"layers[{k}] must have W of shape {(n_in, n_out)} and b of shape "
                                 f"{(n_out,)}, got {W.shape} and {b.shape}")
            parts += [W.ravel(), b]
        return np.concatenate(parts)

    def init(self, seed=None, n=None, scale=1.0, scheme="normal"):
        """Random initial parameters: Gaussian weights, zero biases.

        Parameters
        ----------
        seed : int, numpy.random.Generator or None
        n : int, optional
            Number of parameter vectors; None returns a single vector.
        scale : float, default 1
            Multiplies the standard deviation.
        scheme : {"normal", "glorot", "he"}
            Standard deviation of the weights of a layer: ``scale`` (the
            reference protocol's N(0, 1)), ``scale * sqrt(2 / (n_in + n_out))``
            or ``scale * sqrt(2 / n_in)``.

        Returns
        -------
        theta : ndarray of shape (n_params,) or (n, n_params)

        Examples
        --------
        >>> import numpy as np
        >>> import netchaos as nc
        >>> model = nc.MLP([4, 3, 3])
        >>> theta = model.init(seed=0, n=5)
        >>> theta.shape, bool(np.all(theta[:, ~model.weight_mask] == 0))   # zero biases
        ((5, 27), True)
        """
        rng = rng_from(seed)
        scheme = check_choice(scheme, "scheme", INIT_SCHEMES)
        scale = check_positive(scale, "scale", allow_zero=True)
        m = 1 if n is None else check_int(n, "n", minimum=1)
        theta = self._init_rows(rng, m, (0, m), scale, scheme)
        return theta[0] if n is None else theta

    def _init_rows(self, rng, n, rows, scale=1.0, scheme="normal"):
        """Rows ``lo .. hi - 1`` of ``init(rng, n, scale, scheme)``, drawing no more.

        The draws of the rows outside ``rows = (lo, hi)`` are made in pieces of at
        most about 8 MiB and dropped, so the random stream advances exactly as for
        the whole ensemble and memory is that of the rows asked for: one chunk of
        a sweep holds its own initial conditions, not its ensemble's. Arguments
        are checked by :meth:`init`, which calls this with ``rows = (0, n)``.

        Returns
        -------
        theta : ndarray of shape (hi - lo, n_params)
        """
        lo, hi = rows
        # theta plus the largest block of normal draws
        check_memory(8 * (hi - lo) * self.n_params * 2,
                     f"MLP.init(n={hi - lo}) with {self.n_params} parameters",
                     "ask for fewer initial conditions at a time")
        theta = np.zeros((hi - lo, self.n_params))
        last = len(self.sizes) - 2
        for k in range(last + 1):
            n_in, n_out = self.sizes[k], self.sizes[k + 1]
            if scheme == "normal":
                std = scale
            elif scheme == "glorot":
                std = scale * np.sqrt(2.0 / (n_in + n_out))
            else:
                std = scale * np.sqrt(2.0 / n_in)
            q = n_in * n_out
            _skip_normal(rng, lo, q)
            sl = slice(self._w_off[k], self._b_off[k])
            with np.errstate(over="ignore"):
                theta[:, sl] = std * rng.standard_normal((hi - lo, q))
            if k < last:               # the next layer's draws follow all n rows of this one
                _skip_normal(rng, n - hi, q)
        if not np.all(np.isfinite(theta)):
            raise ValueError(f"scale={scale} makes initial weights overflow to inf")
        return theta

    # ------------------------------------------------------------- validation
    def _check_theta(self, theta, allow_ensemble=True, name="theta"):
        arr = as_float_array(theta, name, ndim=(1, 2) if allow_ensemble else 1, finite=False)
        if arr.shape[-1] != self.n_params:
            raise ValueError(f"{name} must have {self.n_params} parameters in its last axis "
                             f"(for {list(self.sizes)}), got shape {arr.shape}")
        single = arr.ndim == 1
        return arr, single

    def _check_X(self, X, name="X"):
        X = as_float_array(X, name, ndim=2)
        if X.shape[1] != self.n_inputs:
            raise ValueError(f"{name} must have {self.n_inputs} features (columns), got shape {X.shape}")
        if X.shape[0] == 0:
            raise ValueError(f"{name} has no samples")
        return X

    def _check_data(self, X, y, xname="X", yname="y"):
        """Validated (X, y_int, y_float) as the kernels take them."""
        X = self._check_X(X, xname)
        n = X.shape[0]
        if self.objective == "cross_entropy":
            y_arr = as_array(y, yname)
            if y_arr.ndim != 1 or y_arr.shape[0] != n:
                raise ValueError(f"{yname} must hold one class label per row of {xname}: expected "
                                 f"shape ({n},), got {y_arr.shape}")
            if not (np.issubdtype(y_arr.dtype, np.integer) or np.issubdtype(y_arr.dtype, np.floating)
                    or y_arr.dtype == bool):
                raise TypeError(f"{yname} must hold integer class labels, got dtype {y_arr.dtype}")
            if np.issubdtype(y_arr.dtype, np.floating):
                if not np.all(np.isfinite(y_arr)) or np.any(y_arr != np.round(y_arr)):
                    raise ValueError(f"{yname} must hold integer class labels")
            yi = np.ascontiguousarray(y_arr, dtype=np.int64)
            if yi.min() < 0 or yi.max() >= self.n_outputs:
                raise ValueError(f"{yname} labels must lie in [0, {self.n_outputs}) for "
                                 f"{self.n_outputs} outputs, got range [{yi.min()}, {yi.max()}]")
            yf = np.zeros((n, 0))
        else:
            yf = as_float_array(y, yname, ndim=(1, 2))
            if yf.ndim == 1:
                yf = yf[:, None]
            if yf.shape != (n, self.n_outputs):
                raise ValueError(f"{yname} must have shape ({n},) or ({n}, {self.n_outputs}) for "
                                 f"the {n} rows of {xname} and {self.n_outputs} outputs, "
                                 f"got {np.shape(y)}")
            yf = np.ascontiguousarray(yf)
            yi = np.zeros(n, dtype=np.int64)
        return X, yi, yf

    # ------------------------------------------------------------- evaluation
    def _evaluate(self, theta, X, y, want_grad, want_acc):
        arr, single = self._check_theta(theta)
        X, yi, yf = self._check_data(X, y)
        rows = arr[None] if single else arr
        K = rows.shape[0]
        lanes = K if self._wide else _blocks.lanes_for(self.n_params, K, _num_threads())
        slots, where = _blocks.plan(K, lanes, multiple=1 if self._wide else _blocks.LANE_MULTIPLE)
        lanes = slots.shape[1]
        blocks = _blocks.pack(rows, slots)
        nb = blocks.shape[0]
        grads = np.empty_like(blocks) if want_grad else np.empty((nb, 0, lanes))
        losses = np.empty((nb, lanes))
        accs = np.empty((nb, lanes))
        args = (*self._kernel_args(), X, yi, yf, want_grad, want_acc)
        tile = _blocks.tile_for(self.n_params)
        if nb == 1 or self._wide:  # the serial kernel, no thread launch over blocks
            with one_blas_thread(X.size if self._wide else 0):
                for b in range(nb):
                    eval_block(blocks[b], *args, grads[b], losses[b], accs[b], tile, self._wide)
        else:
            eval_blocks(blocks, *args, grads, losses, accs, tile)
        loss = _blocks.unpack(losses, where)
        acc = _blocks.unpack(accs, where)
        grad = _blocks.unpack(grads, where) if want_grad else None
        if single:
            return float(loss[0]), (float(acc[0]) if want_acc else None), \
                (grad[0] if want_grad else None)
        return loss, (acc if want_acc else None), grad

    def loss(self, theta, X, y):
        """Training loss.

        Parameters
        ----------
        theta : ndarray of shape (n_params,) or (K, n_params)
        X : ndarray of shape (n_samples, n_inputs)
        y : ndarray of shape (n_samples,) (labels) or (n_samples, n_outputs) (targets)

        Returns
        -------
        float or ndarray of shape (K,)

        Examples
        --------
        With all parameters zero the softmax is uniform, so the loss is ln 3:

        >>> import numpy as np
        >>> import netchaos as nc
        >>> model = nc.MLP([4, 3, 3])
        >>> X, y = nc.datasets.iris().train
        >>> round(model.loss(np.zeros(model.n_params), X, y), 6)
        1.098612
        >>> model.loss(model.init(seed=0, n=4), X, y).shape
        (4,)
        """
        return self._evaluate(theta, X, y, False, False)[0]

    def grad(self, theta, X, y):
        """Gradient of the loss (backpropagation).

        Parameters
        ----------
        theta : ndarray of shape (n_params,) or (K, n_params)
        X : ndarray of shape (n_samples, n_inputs)
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)

        Returns
        -------
        ndarray of shape (n_params,) or (K, n_params)

        Examples
        --------
        The first component against a central difference:

        >>> import numpy as np
        >>> import netchaos as nc
        >>> model = nc.MLP([4, 3, 3])
        >>> X, y = nc.datasets.iris().train
        >>> theta = model.init(seed=0)
        >>> g = model.grad(theta, X, y)
        >>> e = np.zeros(model.n_params); e[0] = 1e-6
        >>> fd = (model.loss(theta + e, X, y) - model.loss(theta - e, X, y)) / 2e-6
        >>> g.shape, bool(abs(g[0] - fd) < 1e-7)
        ((27,), True)
        """
        return self._evaluate(theta, X, y, True, False)[2]

    def accuracy(self, theta, X, y):
        """Fraction of samples whose largest output is the label (cross-entropy models).

        Parameters
        ----------
        theta : ndarray of shape (n_params,) or (K, n_params)
        X : ndarray of shape (n_samples, n_inputs)
        y : ndarray of shape (n_samples,)
            Integer class labels.

        Returns
        -------
        float or ndarray of shape (K,)

        Raises
        ------
        ValueError
            For an ``mse`` model.

        Examples
        --------
        >>> import numpy as np
        >>> import netchaos as nc
        >>> model = nc.MLP([4, 3, 3])
        >>> X, y = nc.datasets.iris().train
        >>> theta = model.init(seed=0)
        >>> acc = model.accuracy(theta, X, y)
        >>> bool(np.isclose(acc, np.mean(model.predict(theta, X).argmax(axis=1) == y)))
        True
        """
        if self.objective != "cross_entropy":
            raise ValueError("accuracy is defined for cross_entropy models only; this model uses mse")
        return self._evaluate(theta, X, y, False, True)[1]

    def predict(self, theta, X):
        """Network outputs: softmax probabilities (cross-entropy) or linear outputs (mse).

        Parameters
        ----------
        theta : ndarray of shape (n_params,) or (K, n_params)
        X : ndarray of shape (n_samples, n_inputs)

        Returns
        -------
        ndarray of shape (n_samples, n_outputs) or (K, n_samples, n_outputs)

        Examples
        --------
        >>> import numpy as np
        >>> import netchaos as nc
        >>> model = nc.MLP([4, 3, 3])
        >>> X, y = nc.datasets.iris().train
        >>> theta = model.init(seed=0)
        >>> p = model.predict(theta, X)
        >>> p.shape, bool(np.allclose(p.sum(axis=1), 1.0))   # softmax probabilities
        ((120, 3), True)
        >>> model.predict(model.init(seed=0, n=2), X).shape
        (2, 120, 3)
        """
        arr, single = self._check_theta(theta)
        X = self._check_X(X)
        rows = arr[None] if single else arr
        out = np.empty((rows.shape[0], X.shape[0], self.n_outputs))
        with np.errstate(over="ignore", invalid="ignore"):
            for r, th in enumerate(rows):
                a = X
                layers = self.unflatten(th)
                for k, (W, b) in enumerate(layers):
                    z = a @ W + b
                    if k < len(layers) - 1:
                        z = _activate_numpy(self.activation, z)
                    a = z
                if self.objective == "cross_entropy":
                    a = np.exp(a - a.max(axis=1, keepdims=True))
                    a /= a.sum(axis=1, keepdims=True)
                out[r] = a
        return out[0] if single else out

    # ----------------------------------------------------------- tangent map
    def _tangent(self, theta, v, X, y, lr, name="v", want_grad=False):
        theta = self._check_theta(theta, allow_ensemble=False)[0]
        X, yi, yf = self._check_data(X, y)
        V = as_float_array(v, name, ndim=(1, 2), finite=False)
        if V.shape[0] != self.n_params:
            raise ValueError(f"{name} must have {self.n_params} rows (one per parameter), "
                             f"got shape {V.shape}")
        single = V.ndim == 1
        out, g = self._tangent_kernel(theta, V[:, None] if single else V, X, yi, yf, lr,
                                      want_grad)
        return (out[:, 0].copy() if single else out), g

    def _tangent_kernel(self, theta, V, X, yi, yf, lr, want_grad):
        """``V - lr H V`` (``H V`` when ``lr == 0``) and the gradient, on checked arrays.

        ``theta`` (n_params,) and ``V`` (n_params, k) float64; ``X, yi, yf`` from
        :meth:`_check_data`. Returns ``(out, g)``; ``g`` is empty unless ``want_grad``.
        """
        k = V.shape[1]
        g = np.empty(self.n_params) if want_grad else np.empty(0)
        if k == 0:
            if want_grad:
                g = self.grad(theta, X, yi if self.objective == "cross_entropy" else yf)
            return V.copy(), g
        if self._wide:  # matrix products over the directions; gradient bitwise that of train
            out = np.empty((self.n_params, k))
            with one_blas_thread(X.size):
                hvp_wide(theta, np.ascontiguousarray(V), *self._kernel_args(), X, yi, yf,
                         float(lr), out, g if want_grad else np.empty(self.n_params), want_grad)
            return out, g
        tile = _blocks.tile_for(self.n_params)
        n_blocks = _blocks.direction_blocks(X.shape[0], self.n_params, k)
        if n_blocks == 1:
            # lane rows a multiple of one AVX2 vector: no scalar remainder loops
            # (83 directions padded to 84 run 1.3x faster)
            pad = -k % 4
            Vc = np.zeros((self.n_params, k + pad))
            Vc[:, :k] = V
            out = np.empty_like(Vc)
            hvp_lanes(theta, Vc, *self._kernel_args(), X, yi, yf, float(lr), out, g,
                      want_grad, tile)
            return (np.ascontiguousarray(out[:, :k]) if pad else out), g
        width = -(-k // n_blocks)
        width = -(-width // 4) * 4  # lane rows a multiple of one AVX2 vector
        n_blocks = -(-k // width)
        pad = n_blocks * width - k
        Vp = np.concatenate([V, np.zeros((self.n_params, pad))], axis=1) if pad else V
        Vb = np.ascontiguousarray(Vp.reshape(self.n_params, n_blocks, width).transpose(1, 0, 2))
        outb = np.empty_like(Vb)
        hvp_blocks(theta, Vb, *self._kernel_args(), X, yi, yf, float(lr), outb, g, want_grad,
                   tile)
        out = outb.transpose(1, 0, 2).reshape(self.n_params, n_blocks * width)[:, :k]
        return np.ascontiguousarray(out), g

    def hvp(self, theta, v, X, y):
        """Exact Hessian-vector product ``H(theta) v`` (Pearlmutter's R-operator).

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
        v : ndarray of shape (n_params,) or (n_params, k)
            One direction, or ``k`` directions as columns.
        X : ndarray of shape (n_samples, n_inputs)
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)

        Returns
        -------
        ndarray of the shape of ``v``

        Notes
        -----
        One pass over the data computes the directional derivative of the
        forward and backward passes for all columns at once; the cost is a small
        multiple of one gradient per column and no Hessian is formed [1]_.

        References
        ----------
        .. [1] B. A. Pearlmutter, "Fast exact multiplication by the Hessian",
           Neural Computation 6, 147-160 (1994).

        Examples
        --------
        >>> import numpy as np
        >>> import netchaos as nc
        >>> model = nc.MLP([4, 3, 3])
        >>> X, y = nc.datasets.iris().train
        >>> theta = model.init(seed=0)
        >>> V = np.random.default_rng(0).standard_normal((model.n_params, 2))
        >>> HV = model.hvp(theta, V, X, y)
        >>> HV.shape, bool(np.allclose(HV, model.hessian(theta, X, y) @ V))
        ((27, 2), True)
        """
        return self._tangent(theta, v, X, y, 0.0)[0]

    def hessian(self, theta, X, y):
        """Full Hessian of the loss, ndarray of shape (n_params, n_params) (``n_params`` HVPs).

        Symmetrised, ``(H + H^T) / 2``; for small networks only (memory ``n_params^2``).

        Examples
        --------
        >>> import numpy as np
        >>> import netchaos as nc
        >>> model = nc.MLP([4, 3, 3])
        >>> X, y = nc.datasets.iris().train
        >>> theta = model.init(seed=0)
        >>> H = model.hessian(theta, X, y)
        >>> H.shape, bool(np.array_equal(H, H.T))
        ((27, 27), True)
        """
        H = self._tangent(theta, np.eye(self.n_params), X, y, 0.0)[0]
        return 0.5 * (H + H.T)

    def jvp_map(self, theta, V, X, y, lr):
        """Tangent map of one gradient-descent step: ``V - lr * H(theta) V``.

        ``J(theta) = I - lr H(theta)`` is the Jacobian of
        ``g(theta) = theta - lr grad L(theta)``; its products with a block of
        vectors drive Lyapunov spectra and covariant vectors.

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
        V : ndarray of shape (n_params,) or (n_params, k)
        X : ndarray of shape (n_samples, n_inputs)
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        lr : float
            Learning rate, > 0.

        Returns
        -------
        ndarray of the shape of ``V``

        Examples
        --------
        >>> import numpy as np
        >>> import netchaos as nc
        >>> model = nc.MLP([4, 3, 3])
        >>> X, y = nc.datasets.iris().train
        >>> theta = model.init(seed=0)
        >>> V = np.random.default_rng(0).standard_normal((model.n_params, 2))
        >>> JV = model.jvp_map(theta, V, X, y, lr=0.5)
        >>> bool(np.allclose(JV, V - 0.5 * model.hvp(theta, V, X, y)))
        True
        """
        lr = check_positive(lr, "lr")
        return self._tangent(theta, V, X, y, lr, name="V")[0]

    def step_tangent(self, theta, V, X, y, lr):
        """One GD step and its tangent map in one pass over the data.

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
        V : ndarray of shape (n_params,) or (n_params, k)
        X : ndarray of shape (n_samples, n_inputs)
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        lr : float
            Learning rate, > 0.

        Returns
        -------
        theta_next : ndarray of shape (n_params,)
            ``theta - lr * grad L(theta)``, bitwise the step of :func:`netchaos.train`.
        JV : ndarray of the shape of ``V``
            ``V - lr * H(theta) V``, as :meth:`jvp_map`.

        Notes
        -----
        The base forward and backward passes that the R-operator needs also
        give the gradient, so a tangent integration (Lyapunov spectra,
        covariant vectors) pays for one pass per step instead of two.

        Examples
        --------
        >>> import numpy as np
        >>> import netchaos as nc
        >>> model = nc.MLP([4, 3, 3])
        >>> X, y = nc.datasets.iris().train
        >>> theta = model.init(seed=0)
        >>> V = np.eye(model.n_params)[:, :3]
        >>> theta1, JV = model.step_tangent(theta, V, X, y, lr=1.0)
        >>> one_step = nc.train(model, (X, y), theta, lr=1.0, steps=1, record="final").theta
        >>> bool(np.array_equal(theta1, one_step)), JV.shape
        (True, (27, 3))
        """
        lr = check_positive(lr, "lr")
        JV, g = self._tangent(theta, V, X, y, lr, name="V", want_grad=True)
        theta = self._check_theta(theta, allow_ensemble=False)[0]
        return theta - lr * g, JV


def _activate_numpy(name, z):
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    return z


def _num_threads():
    import numba

    return numba.get_num_threads()


def _skip_normal(rng, rows, q, piece_bytes=2**23):
    """Advance ``rng`` past ``rows * q`` standard normal draws, in pieces of bounded size."""
    per = max(1, piece_bytes // (8 * q))
    while rows > 0:
        r = min(rows, per)
        rng.standard_normal((r, q))
        rows -= r
