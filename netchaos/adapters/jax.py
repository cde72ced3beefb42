"""JAX adapter: an ``apply`` function and a params pytree, with a loss, as a netchaos model.

:class:`JaxModel` flattens the params pytree with ``jax.flatten_util.ravel_pytree`` into one
float64 vector ``theta`` and implements the network model protocol of netchaos on it: the
gradient by ``jax.grad``, Hessian-vector products ``H V`` by ``jax.jvp`` of the gradient
(forward over reverse) batched over the columns of ``V`` with ``jax.vmap``, all compiled with
``jax.jit``. No ``n_params x n_params`` matrix is formed. :meth:`JaxModel.map` and
:meth:`JaxModel.momentum_map` give the maps that :func:`netchaos.lyapunov_spectrum`,
:func:`netchaos.covariant_vectors` and the recorder take.

Float64: creating a :class:`JaxModel` turns on ``jax_enable_x64`` (JAX computes in float32
otherwise), a process-wide JAX setting. The flat order is that of ``ravel_pytree`` (dict
keys sorted); a list of ``(W, b)`` pairs with ``W`` of shape ``(n_in, n_out)`` has exactly the
layout of :class:`netchaos.MLP`.

This module imports jax; ``import netchaos`` does not.
"""

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax.flatten_util import ravel_pytree  # noqa: E402

from ._flat import FlatModel, block_slices  # noqa: E402

__all__ = ["JaxModel"]


class JaxModel(FlatModel):
    """A JAX model ``apply(params, X)`` with a loss over given data, on one flat vector.

    Parameters
    ----------
    apply : callable
        ``apply(params, X) -> outputs``, a pure JAX function.
    params : pytree of arrays
        Initial parameters (any pytree: dicts, lists, tuples, Flax/Haiku params); ``theta``.
    loss : callable
        With data: ``loss(outputs, y) -> scalar``. Without data: ``loss(params) -> scalar``,
        a custom objective of the parameters pytree.
    data : Dataset or tuple (X, y), optional
        Training data (numpy or JAX arrays): floating arrays become float64, integers int64.

    Attributes
    ----------
    n_params : int
    theta : ndarray of shape (n_params,)
    names : list of str
        Key path of every leaf, in the order of ``theta``.
    blocks : dict of str to slice
    weight_mask : ndarray of bool of shape (n_params,)
        True on leaves of two or more dimensions.

    Examples
    --------
    >>> import numpy as np
    >>> import jax, jax.numpy as jnp
    >>> import netchaos as nc
    >>> from netchaos.adapters.jax import JaxModel
    >>> def apply(params, X):
    ...     (W1, b1), (W2, b2) = params
    ...     return jax.nn.sigmoid(X @ W1 + b1) @ W2 + b2
    >>> def xent(z, y):
    ...     return jnp.mean(jax.nn.logsumexp(z, axis=1) - jnp.take_along_axis(z, y[:, None], 1)[:, 0])
    >>> native = nc.MLP([4, 3, 3])
    >>> data = nc.datasets.iris()
    >>> model = JaxModel(apply, native.unflatten(native.init(seed=0)), xent, data)
    >>> bool(np.allclose(model.grad(model.theta), native.grad(model.theta, *data.train)))
    True
    """

    framework = "jax"

    def __init__(self, apply, params, loss, data=None):
        if not callable(apply):
            raise TypeError(f"apply must be a callable, got {type(apply).__name__}")
        if not callable(loss):
            raise TypeError(f"loss must be a callable, got {type(loss).__name__}")
        params = jax.tree_util.tree_map(lambda a: jnp.asarray(a, dtype=jnp.float64), params)
        flat, self._unravel = ravel_pytree(params)
        leaves = jax.tree_util.tree_flatten_with_path(params)[0]
        if not leaves:
            raise ValueError("params has no arrays")
        self.names = [jax.tree_util.keystr(path) for path, _ in leaves]
        sizes = [int(np.size(leaf)) for _, leaf in leaves]
        self.n_params = int(flat.size)
        self.blocks = block_slices(self.names, sizes)
        mask = np.zeros(self.n_params, dtype=bool)
        for (_, leaf), sl in zip(leaves, self.blocks.values()):
            mask[sl] = np.ndim(leaf) >= 2
        self.weight_mask = mask
        self.theta = np.array(flat, dtype=np.float64)
        self._apply, self._loss_fn = apply, loss
        self._bind_data(data)

        def loss_flat(f, data):
            p = self._unravel(f)
            if data is None:
                return loss(p)
            return loss(apply(p, data[0]), data[1])

        g = jax.grad(loss_flat)

        def grad_hvp(f, V, data):
            return jax.vmap(lambda v: jax.jvp(lambda x: g(x, data), (f,), (v,)),
                            in_axes=1, out_axes=(None, 1))(V)

        self._loss_j = jax.jit(loss_flat)
        self._grad_j = jax.jit(g)
        self._grad_hvp_j = jax.jit(grad_hvp)

    def flatten(self, params):
        """Flat float64 vector of a params pytree of the same structure."""
        return np.array(ravel_pytree(params)[0], dtype=np.float64)

    def unflatten(self, theta):
        """The params pytree of ``theta``."""
        return self._unravel(jnp.asarray(self._theta(theta)))

    def _convert(self, X, y):
        return _array(X, "X"), _array(y, "y")

    def _loss(self, theta, data):
        return float(self._loss_j(theta, data))

    def _grad(self, theta, data):
        return np.asarray(self._grad_j(theta, data))

    def _grad_hvp(self, theta, V, data):
        if V.shape[1] == 0:
            return self._grad(theta, data), np.empty_like(V)
        g, HV = self._grad_hvp_j(theta, V, data)
        return np.asarray(g), np.asarray(HV)


def _array(a, name):
    arr = np.asarray(a)
    if np.issubdtype(arr.dtype, np.floating):
        return jnp.asarray(arr, dtype=jnp.float64)
    if np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool:
        return jnp.asarray(arr, dtype=jnp.int64 if arr.dtype != bool else bool)
    raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
