"""PyTorch adapter: a ``torch.nn.Module`` and a loss as a netchaos network model.

:class:`TorchModel` flattens the trainable parameters of a module into one float64 vector
``theta`` and implements the network model protocol of netchaos on it (``grad``, ``hvp``,
``jvp_map``, ``step_tangent``, ``loss``, ``n_params``), with ``torch.func``:
the gradient by ``torch.func.grad`` of a ``functional_call`` of the module, Hessian-vector
products ``H V`` by ``torch.func.jvp`` of that gradient (forward over reverse), batched over
the columns of ``V`` with ``torch.func.vmap``. No ``n_params x n_params`` matrix is ever formed.
The same object gives the gradient-descent map (:meth:`TorchModel.map`) and the momentum map
(:meth:`TorchModel.momentum_map`) as :class:`netchaos.systems.Map` objects, so
:func:`netchaos.lyapunov_spectrum`, :func:`netchaos.covariant_vectors`,
:func:`netchaos.sharpness`, :func:`netchaos.hessian_eigenvalues` and the recorder of
:mod:`netchaos.recorder` run on any module.

Layout: with ``layout="netchaos"`` (default) the weight of every ``torch.nn.Linear`` enters
``theta`` transposed, as ``(in, out)`` row-major, so that a ``Linear``/activation stack has
exactly the flat layout of :class:`netchaos.MLP` (weights ``(n_in, n_out)`` then bias, layer
by layer); ``layout="torch"`` keeps every tensor in torch's own order (``(out, in)``).

This module imports torch; ``import netchaos`` does not.
"""

import copy

import numpy as np
import torch
from torch.func import functional_call, grad, jvp, vmap

from .._validate import check_choice
from ._flat import FlatModel, block_slices

__all__ = ["TorchModel", "LAYOUTS"]

#: Flat layouts of the parameters.
LAYOUTS = {"netchaos": "netchaos", "torch": "torch"}


class TorchModel(FlatModel):
    """A torch module with a loss over given data, as a model of one flat float64 vector.

    Parameters
    ----------
    module : torch.nn.Module
        The network. A float64 copy is used (the module itself is left untouched); its
        current parameters are ``theta``. Modules whose forward pass mutates buffers
        (BatchNorm in training mode) are not supported: call ``module.eval()`` first.
    loss : callable
        With data: ``loss(module(X), y) -> scalar tensor`` (e.g.
        ``torch.nn.functional.cross_entropy``). Without data: ``loss(forward) -> scalar``,
        ``forward(x)`` the module at the current parameters (a custom objective).
    data : Dataset or tuple (X, y), optional
        Training data; numpy arrays or tensors. Floating arrays become float64 tensors,
        integer labels int64.
    layout : {"netchaos", "torch"}, default "netchaos"
        Flat layout of ``theta``: ``"netchaos"`` stores ``Linear`` weights as
        ``(in, out)`` (the layout of :class:`netchaos.MLP`), ``"torch"`` as ``(out, in)``.

    Attributes
    ----------
    n_params : int
    theta : ndarray of shape (n_params,)
        The module's parameters at construction, flat.
    names : list of str
        Parameter names, in the order of ``theta``.
    blocks : dict of str to slice
        The slice of ``theta`` holding each parameter tensor.
    weight_mask : ndarray of bool of shape (n_params,)
        True on the entries of tensors of two or more dimensions (weights, kernels).

    Notes
    -----
    ``H V`` is ``jvp(grad L, (theta,), (v,))`` for every column ``v`` of ``V`` under
    ``vmap``: the gradient is the primal output of the same pass, so one GD step and its
    tangent cost one forward-over-reverse evaluation. Everything is float64.

    Threads: every evaluation runs with the torch intra-op thread count of the moment the
    adapter was built (``torch.get_num_threads()``). Numba's OpenMP layer shares the OpenMP
    runtime with torch and raises its thread count to ``NUMBA_NUM_THREADS`` once a parallel
    netchaos kernel has run in the process; torch then splits the small operations of a
    small network over threads (measured on a loaded 2-core host: 4-6 ms per gradient of the
    83-parameter Iris network before, 30-90 ms after). The count is put back before every
    evaluation when it has drifted; build the adapter after ``torch.set_num_threads`` to
    choose another.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> import netchaos as nc
    >>> from netchaos.adapters.torch import TorchModel
    >>> data = nc.datasets.iris()
    >>> net = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Sigmoid(), torch.nn.Linear(3, 3))
    >>> model = TorchModel(net, torch.nn.functional.cross_entropy, data)
    >>> model.n_params, list(model.blocks)
    (27, ['0.weight', '0.bias', '2.weight', '2.bias'])
    >>> native = nc.MLP([4, 3, 3])            # the same network, the same flat layout
    >>> X, y = data.train
    >>> bool(np.isclose(model.loss(model.theta), native.loss(model.theta, X, y)))
    True
    >>> res = nc.lyapunov_spectrum(model.map(lr=1.0), x0=model.theta, steps=20, k=3, seed=0)
    >>> res.exponents.shape
    (3,)
    """

    framework = "torch"

    def __init__(self, module, loss, data=None, *, layout="netchaos"):
        if not isinstance(module, torch.nn.Module):
            raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
        if not callable(loss):
            raise TypeError(f"loss must be a callable, got {type(loss).__name__}")
        self.layout = check_choice(layout, "layout", LAYOUTS)
        self.module = copy.deepcopy(module).to(torch.float64)
        self._loss_fn = loss
        named = [(n, p) for n, p in self.module.named_parameters() if p.requires_grad]
        if not named:
            raise ValueError("module has no trainable parameters")
        linear = {f"{n}.weight" if n else "weight" for n, m in self.module.named_modules()
                  if isinstance(m, torch.nn.Linear)}
        self.names = [n for n, _ in named]
        self._transposed = [self.layout == "netchaos" and n in linear and p.ndim == 2
                            for n, p in named]
        self._shapes = [tuple(p.shape) for _, p in named]
        self._stored = [s[::-1] if t else s for s, t in zip(self._shapes, self._transposed)]
        self._sizes = [int(np.prod(s)) for s in self._shapes]
        self._fixed = {n: p.detach() for n, p in self.module.named_parameters()
                       if not p.requires_grad}
        self._fixed.update({n: b.detach() for n, b in self.module.named_buffers()})
        self._threads = torch.get_num_threads()
        self.n_params = int(sum(self._sizes))
        self.blocks = block_slices(self.names, self._sizes)
        mask = np.zeros(self.n_params, dtype=bool)
        for (_, p), sl in zip(named, self.blocks.values()):
            mask[sl] = p.ndim >= 2
        self.weight_mask = mask
        self.theta = self.flatten(self.module)
        self._bind_data(data)
        self._grad_fn = grad(self._loss_flat)

        def grad_hvp(flat, V, data):
            def one(v):
                return jvp(lambda f: self._grad_fn(f, data), (flat,), (v,))
            return vmap(one, in_dims=1, out_dims=(None, 1))(V)
        self._grad_hvp_fn = grad_hvp

    # ----------------------------------------------------------------- layout
    def flatten(self, params):
        """Flat float64 vector of a module's parameters, a ``{name: tensor}`` dict or a list.

        The inverse of :meth:`unflatten`; ``Linear`` weights are transposed with
        ``layout="netchaos"``. A flat vector of ``n_params`` entries is returned as a copy.
        """
        if isinstance(params, (np.ndarray, torch.Tensor)) and params.ndim == 1 \
                and params.shape[0] == self.n_params:
            return np.array(params.detach() if isinstance(params, torch.Tensor) else params,
                            dtype=np.float64)
        if isinstance(params, torch.nn.Module):
            d = dict(params.named_parameters())
            tensors = [d[n] for n in self.names]
        elif isinstance(params, dict):
            missing = [n for n in self.names if n not in params]
            if missing:
                raise ValueError(f"params lacks the parameters {missing}")
            tensors = [params[n] for n in self.names]
        else:
            tensors = list(params)
            if len(tensors) != len(self.names):
                raise ValueError(f"params must hold {len(self.names)} tensors "
                                 f"({', '.join(self.names)}), got {len(tensors)}")
        parts = []
        for name, p, shape, t in zip(self.names, tensors, self._shapes, self._transposed):
            p = torch.as_tensor(p).detach()
            if tuple(p.shape) != shape:
                raise ValueError(f"parameter {name!r} must have shape {shape}, "
                                 f"got {tuple(p.shape)}")
            parts.append((p.T if t else p).to(torch.float64).cpu().contiguous())
        return torch.nn.utils.parameters_to_vector(parts).numpy().copy()

    def unflatten(self, theta):
        """``{name: tensor}`` of the parameters in ``theta`` (views of one float64 tensor)."""
        flat = theta if isinstance(theta, torch.Tensor) else torch.from_numpy(
            np.ascontiguousarray(self._theta(theta)))
        return self._unflatten(flat)

    def _unflatten(self, flat):
        out = {}
        for name, chunk, stored, t in zip(self.names, torch.split(flat, self._sizes),
                                          self._stored, self._transposed):
            p = chunk.view(stored)
            out[name] = p.T if t else p
        return out

    def load(self, theta, module):
        """Copy ``theta`` into the parameters of ``module`` (in place, without gradient)."""
        params = self.unflatten(theta)
        with torch.no_grad():
            for name, p in module.named_parameters():
                if name in params:
                    p.copy_(params[name].to(p.dtype))
        return module

    # ----------------------------------------------------------------- primitives
    def _convert(self, X, y):
        return _tensor(X, "X"), _tensor(y, "y")

    def _loss_flat(self, flat, data):
        params = self._unflatten(flat)
        params.update(self._fixed)
        if data is None:
            return self._loss_fn(lambda x: functional_call(self.module, params, (x,)))
        X, y = data
        return self._loss_fn(functional_call(self.module, params, (X,)), y)

    def _pin_threads(self):
        if torch.get_num_threads() != self._threads:
            torch.set_num_threads(self._threads)

    def _loss(self, theta, data):
        self._pin_threads()
        with torch.no_grad():
            return self._loss_flat(torch.from_numpy(np.ascontiguousarray(theta)), data).item()

    def _grad(self, theta, data):
        self._pin_threads()
        return self._grad_fn(torch.from_numpy(np.ascontiguousarray(theta)), data).numpy()

    def _grad_hvp(self, theta, V, data):
        flat = torch.from_numpy(np.ascontiguousarray(theta))
        if V.shape[1] == 0:
            return self._grad(theta, data), np.empty_like(V)
        self._pin_threads()
        g, HV = self._grad_hvp_fn(flat, torch.from_numpy(np.ascontiguousarray(V)), data)
        return g.numpy(), HV.numpy()


def _tensor(a, name):
    t = a if isinstance(a, torch.Tensor) else torch.as_tensor(np.asarray(a))
    if t.is_floating_point():
        return t.detach().to(torch.float64)
    if t.dtype in (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8):
        return t.detach().to(torch.int64)
    if t.dtype == torch.bool:
        return t.detach()
    raise TypeError(f"{name} must hold real numbers, got dtype {t.dtype}")
