"""The framework-neutral half of the adapters: a model on a flat float64 parameter vector.

:class:`FlatModel` implements the network model protocol of netchaos (``n_params``,
``grad``, ``hvp``, ``loss``, ``jvp_map``, ``step_tangent``; see ``docs/architecture.md``)
on top of four primitives that a framework adapter provides on its own tensors; it builds
the gradient-descent map and the momentum map as :class:`netchaos.systems.Map` objects.
Nothing here imports a framework.
"""

import numpy as np

from .._validate import as_float_array, check_int, check_positive, check_theta, split_data
from ..systems import Map

__all__ = ["FlatModel"]


class FlatModel:
    """A differentiable model of a framework seen as a function of one flat vector.

    Subclasses set ``n_params``, ``weight_mask``, ``blocks``, ``theta`` and implement
    ``_convert(X, y)`` (data to framework arrays), ``_loss(theta, data)``,
    ``_grad(theta, data)`` and ``_grad_hvp(theta, V, data)`` (``V`` of shape
    (n_params, k); returns the gradient and ``H V`` as float64 numpy arrays).

    ``X`` and ``y`` of every method are optional: without them the data given to the
    adapter are used; with them (as netchaos's network mode passes its ``data``) they
    replace it for that call.
    """

    framework = "framework"

    def _bind_data(self, data):
        if data is None:
            self._data = None
            self._key = None
            return
        X, y = split_data(data)[:2]
        self._data = self._convert(X, y)
        self._key = (id(X), id(y))
        self._raw = (X, y)          # keeps the ids above valid

    def _data_for(self, X, y):
        if X is None and y is None:
            return self._data
        if X is None or y is None:
            raise ValueError("give both X and y, or neither (then the adapter's data are used)")
        if self._key == (id(X), id(y)):
            return self._data
        key = (id(X), id(y))
        cache = getattr(self, "_cache", None)
        if cache is not None and cache[0] == key:
            return cache[1]
        conv = self._convert(X, y)
        self._cache = (key, conv, (X, y))
        return conv

    def _theta(self, theta, name="theta"):
        return check_theta(self, theta, name)

    def _block(self, V, name="V"):
        V = as_float_array(V, name, ndim=(1, 2), finite=False)
        if V.shape[0] != self.n_params:
            raise ValueError(f"{name} must have {self.n_params} rows (one per parameter), "
                             f"got shape {V.shape}")
        return V

    # ----------------------------------------------------------------- the protocol
    def loss(self, theta, X=None, y=None):
        """Training loss at ``theta`` (n_params,), a float."""
        return float(self._loss(self._theta(theta), self._data_for(X, y)))

    def grad(self, theta, X=None, y=None):
        """Gradient of the loss, ndarray of shape (n_params,)."""
        return self._grad(self._theta(theta), self._data_for(X, y))

    def hvp(self, theta, V, X=None, y=None):
        """Hessian-vector products ``H(theta) V`` for ``V`` of shape (n_params,) or (n_params, k)."""
        V = self._block(V)
        single = V.ndim == 1
        _, HV = self._grad_hvp(self._theta(theta), V[:, None] if single else V,
                               self._data_for(X, y))
        return HV[:, 0] if single else HV

    def jvp_map(self, theta, V, X=None, y=None, lr=None):
        """Tangent map of one GD step, ``V - lr H(theta) V``."""
        lr = check_positive(lr, "lr")
        V = self._block(V)
        return V - lr * self.hvp(theta, V, X, y)

    def step_tangent(self, theta, V, X=None, y=None, lr=None):
        """``(theta - lr grad, V - lr H V)`` from one forward-over-reverse pass."""
        lr = check_positive(lr, "lr")
        theta = self._theta(theta)
        V = self._block(V)
        g, HV = self._grad_hvp(theta, V, self._data_for(X, y))
        return theta - lr * g, V - lr * HV

    # ----------------------------------------------------------------- maps
    def map(self, lr):
        """The gradient-descent map ``theta -> theta - lr grad L(theta)`` as a netchaos map.

        Its tangent is ``V -> V - lr H V`` by Jacobian-vector products of the gradient
        (matrix-free: no ``n_params x n_params`` matrix is formed).
        """
        lr = check_positive(lr, "lr")
        data = self._data

        def step(theta):
            return theta - lr * self._grad(theta, data)

        def step_tangent(theta, V):
            g, HV = self._grad_hvp(theta, V, data)
            return theta - lr * g, V - lr * HV

        m = Map(step, tangent=lambda th, V: step_tangent(th, V)[1], step_tangent=step_tangent,
                label=f"GD ({self.framework})")
        m.lr = lr
        return m

    def momentum_map(self, lr, beta):
        """Heavy-ball momentum SGD (full batch) as a map on the state ``(theta, v)``.

        ``v' = beta v + grad L(theta)``, ``theta' = theta - lr v'``: the state is the
        concatenation ``[theta, v]`` of length ``2 n_params``, and the tangent map is
        ``dv' = beta dv + H dtheta``, ``dtheta' = dtheta - lr dv'``.
        """
        lr = check_positive(lr, "lr")
        beta = check_positive(beta, "beta", allow_zero=True, maximum=1.0)
        P, data = self.n_params, self._data

        def step_tangent(x, V):
            theta, v = x[:P], x[P:]
            g, HV = self._grad_hvp(theta, V[:P], data)
            v_new = beta * v + g
            dv = beta * V[P:] + HV
            return (np.concatenate([theta - lr * v_new, v_new]),
                    np.concatenate([V[:P] - lr * dv, dv]))

        def step(x):
            v_new = beta * x[P:] + self._grad(x[:P], data)
            return np.concatenate([x[:P] - lr * v_new, v_new])

        m = Map(step, tangent=lambda x, V: step_tangent(x, V)[1], step_tangent=step_tangent,
                label=f"momentum ({self.framework})")
        m.lr = lr
        return m

    def init(self, seed=None, n=None, scale=1.0, scheme="normal"):
        """The module's own initial parameters (``theta``), repeated ``n`` times if given.

        The adapter does not draw parameters: initialise the model in the framework.
        ``seed``, ``scale`` and ``scheme`` are accepted for the network protocol and unused.
        """
        if n is None:
            return self.theta.copy()
        n = check_int(n, "n", minimum=1)
        return np.repeat(self.theta[None], n, axis=0)

    def __repr__(self):
        return f"{type(self).__name__}({self.n_params} parameters, {len(self.blocks)} blocks)"


def block_slices(names, sizes):
    """``{name: slice}`` of consecutive blocks of the given sizes."""
    out, off = {}, 0
    for name, size in zip(names, sizes):
        out[name] = slice(off, off + int(size))
        off += int(size)
    return out
