"""Perturbation ensembles beside a custom training loop, and of any map.

A :class:`Recorder` keeps ``n_pert`` perturbed copies of a training run in step with the
user's own loop: the loop calls ``rec.step(params)`` once per training step with the
reference parameters it has just computed; the recorder advances every copy with the same
update and stores only their L1 distances to the reference, so memory is O(n_pert * n_params)
whatever the number of steps. :meth:`Recorder.result` is an :class:`netchaos.EnsembleResult`
that :func:`netchaos.finite_lyapunov` and :func:`netchaos.network_mle` take.
:func:`map_ensemble` runs the same protocol on any map object (the GD or momentum map of an
adapter of :mod:`netchaos.adapters`, a :class:`netchaos.Map`).

References
----------
.. [1] K. Danovski, M. C. Soriano, L. Lacasa, "Dynamical stability and chaos in artificial
   neural network trajectories along training", Frontiers in Complex Systems 2, 1367957
   (2024).
"""

import dataclasses
import warnings

import numpy as np

from ._random import PERT_STREAM, seed_entropy, stream
from ._validate import as_float_array, check_int, check_positive, to_numpy
from .perturbation import EnsembleResult
from .systems import Map

__all__ = ["Recorder", "map_ensemble"]


class Recorder:
    """Perturbed copies of a run, advanced beside a custom training loop.

    Parameters
    ----------
    step : Map or callable
        The update applied to the copies: a map object (``step.step(theta)``, e.g.
        ``adapter.map(lr)``) or a callable ``step(theta, *args) -> theta'`` on flat float64
        vectors; ``rec.step(params, *args)`` passes ``args`` on (e.g. the minibatch of the
        step, so that every copy sees the reference's batch).
    theta : array_like of shape (n_params,)
        The reference at the moment of the perturbation (a flat vector, a tensor, or
        anything ``flatten`` takes).
    eps : float
        Perturbation radius: ``delta ~ U(-eps, eps)`` on the perturbed parameters.
    n_pert : int, default 5
    seed : int, numpy.random.Generator, SeedSequence or None
    mask : array_like of bool of shape (n_params,), optional
        The parameters perturbed (e.g. ``model.weight_mask`` for the published protocol);
        default all.
    flatten : callable, optional
        ``flatten(params) -> flat vector`` for what the loop passes (e.g.
        ``adapter.flatten`` for a torch module); default: the array itself, flattened.
    lr : float, optional
        Recorded in the result.
    loss : float, optional
        The reference's loss at the start (time 0), when ``step`` is given losses.
    delta : array_like of shape (n_pert, n_params), optional
        Explicit perturbations instead of the random draw (``eps`` is then only recorded).

    Notes
    -----
    The perturbations are those of :func:`netchaos.perturbation_ensemble` for one initial
    condition with the same seed (stream ``(1, 0)``, ``eps * U(-1, 1)`` on the mask), so a
    recorder beside a loop that applies the same map reproduces that ensemble. A copy whose
    state becomes non-finite is stopped and its distances are NaN from then on; a
    non-finite reference makes every distance NaN from that step (reported by
    :func:`netchaos.finite_lyapunov` as ``"nonfinite"``, never fitted). If the loop's
    parameters are float32, the result states ``precision="float32"``.

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> A = np.diag([1.2, 0.5])
    >>> rec = Recorder(lambda th: A @ th, theta=[1.0, 1.0], eps=1e-8, n_pert=3, seed=0)
    >>> theta = np.array([1.0, 1.0])
    >>> for t in range(60):               # the user's own loop
    ...     theta = A @ theta
    ...     rec.step(theta)
    >>> ens = rec.result()
    >>> ens.distances.shape, round(float(nc.finite_lyapunov(ens).exponent[0]), 4)
    ((1, 3, 61), 0.1823)
    """

    def __init__(self, step, theta, eps, n_pert=5, seed=None, mask=None, flatten=None,
                 lr=None, loss=None, delta=None):
        if isinstance(step, Map):
            self._advance, self._takes_args = step.step, False
        elif callable(step):
            self._advance, self._takes_args = step, True
        else:
            raise TypeError(f"step must be a netchaos Map or a callable theta -> theta', "
                            f"got {type(step).__name__}")
        if flatten is not None and not callable(flatten):
            raise TypeError(f"flatten must be a callable, got {type(flatten).__name__}")
        self._flatten = flatten
        self.precision = "float64"
        ref = self._flat(theta, "theta")
        if ref.size == 0:
            raise ValueError("theta must hold at least one parameter")
        eps = check_positive(eps, "eps", allow_zero=True)
        n_pert = check_int(n_pert, "n_pert", minimum=1)
        P = ref.size
        if mask is None:
            mask = np.ones(P, dtype=bool)
        else:
            mask = np.asarray(mask)
            if mask.dtype != bool or mask.shape != (P,):
                raise ValueError(f"mask must be a bool array of shape ({P},), got "
                                 f"{mask.dtype} {mask.shape}")
        self.entropy = seed_entropy(seed)
        if delta is None:
            unit = _units(self.entropy, 1, n_pert, mask)[0]
            self.copies = ref[None, :] + eps * unit
        else:
            delta = as_float_array(to_numpy(delta, "delta"), "delta", ndim=2)
            if delta.shape != (n_pert, P):
                raise ValueError(f"delta must have shape ({n_pert}, {P}), got {delta.shape}")
            self.copies = ref[None, :] + delta
        self.delta = self.copies - ref[None, :]
        self.theta_start = ref.copy()
        self.eps, self.n_pert, self.lr = eps, n_pert, lr
        self._alive = np.ones(n_pert, dtype=bool)
        self._ref_ok = True
        self._d = [np.abs(self.delta).sum(axis=1)]
        self._loss = [] if loss is None else [float(to_numpy(loss, "loss"))]

    def _flat(self, params, name):
        raw = self._flatten(params) if self._flatten is not None else params
        raw = to_numpy(raw, name)
        if getattr(raw, "dtype", None) in (np.float32, np.float16):
            self.precision = "float32"
        return as_float_array(raw, name, finite=False).reshape(-1)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    @property
    def steps(self):
        """Steps recorded so far."""
        return len(self._d) - 1

    def step(self, params, *args, loss=None):
        """Advance every copy by one step and record its distance to ``params``.

        Parameters
        ----------
        params : the reference after the step (flat vector, tensor, or what ``flatten`` takes)
        *args : passed to a callable ``step`` (not to a map object)
        loss : float, optional
            The reference's training loss at this step (recorded; if given at every step
            it becomes the result's ``loss``).
        """
        ref = self._flat(params, "params")
        if ref.shape != self.theta_start.shape:
            raise ValueError(f"params must have {self.theta_start.size} parameters, "
                             f"got {ref.size}")
        if args and not self._takes_args:
            raise TypeError("extra arguments need a callable step, not a map object")
        d = np.full(self.n_pert, np.nan)
        self._ref_ok = self._ref_ok and bool(np.isfinite(ref).all())
        with np.errstate(over="ignore", invalid="ignore"):
            for j in np.nonzero(self._alive)[0]:
                nxt = as_float_array(self._advance(self.copies[j], *args), "step", finite=False)
                if nxt.shape != ref.shape or not np.isfinite(nxt).all():
                    if nxt.shape != ref.shape:
                        raise ValueError(f"step must return {ref.size} parameters, got "
                                         f"shape {nxt.shape}")
                    self._alive[j] = False
                    continue
                self.copies[j] = nxt
                if self._ref_ok:
                    d[j] = np.abs(nxt - ref).sum()
        self._d.append(d)
        if loss is not None:
            self._loss.append(float(to_numpy(loss, "loss")))

    def result(self):
        """The recording as an :class:`netchaos.EnsembleResult` (one initial condition)."""
        D = np.array(self._d).T[None]
        T = D.shape[2]
        loss = None
        if self._loss and len(self._loss) in (T, T - 1):
            loss = np.array(([np.nan] if len(self._loss) == T - 1 else []) + self._loss)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            ens = EnsembleResult.from_arrays(D, loss=loss, layout="init,pert,t", lr=self.lr,
                                             eps=self.eps, precision=self.precision)
        if self.precision == "float32":
            warnings.warn("Recorder: the reference parameters were float32; distances are "
                          "resolved only down to about 1e-7 times their magnitude "
                          "(precision='float32' in the result)", UserWarning, stacklevel=2)
        return dataclasses.replace(
            ens, theta_init=self.theta_start[None].copy(), theta_start=self.theta_start[None].copy(),
            delta=self.delta[None].copy(), seed=self.entropy,
            theta_final=np.concatenate([self.theta_start[None] * np.nan, self.copies])[None])


def _units(entropy, n_init, n_pert, mask):
    """The unit perturbations ``U(-1, 1)`` on ``mask`` of :func:`netchaos.perturbation_ensemble`
    (stream ``(1, 0)``), shape (n_init, n_pert, n)."""
    unit = np.zeros((n_init, n_pert, mask.size))
    unit[:, :, mask] = stream(entropy, PERT_STREAM, 0).uniform(
        -1.0, 1.0, size=(n_init, n_pert, int(mask.sum())))
    return unit


def map_ensemble(m, theta0, steps, eps, n_pert=5, seed=None, mask=None, loss=None):
    """A perturbation ensemble of any map: each reference and its copies iterated by ``m``.

    Parameters
    ----------
    m : Map
        E.g. ``adapter.map(lr)`` or ``adapter.momentum_map(lr, beta)``.
    theta0 : array_like of shape (n_init, n) or (n,)
        Reference initial states.
    steps : int
        Iterations after the perturbation, >= 1.
    eps, n_pert, seed, mask :
        As in :class:`Recorder`. The perturbations are those of
        :func:`netchaos.perturbation_ensemble` with the same ``seed`` and ``theta0``.
    loss : callable, optional
        ``loss(x) -> float`` recorded for the references (e.g. ``adapter.loss``).

    Returns
    -------
    EnsembleResult
        ``distances`` (n_init, n_pert, steps + 1).

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> ens = map_ensemble(nc.systems.linear(np.diag([1.5, 0.5])), [[1.0, 1.0], [2.0, 0.0]],
    ...                    steps=40, eps=1e-9, n_pert=2, seed=0)
    >>> np.round(nc.finite_lyapunov(ens).exponent, 4)
    array([0.4055, 0.4055])
    """
    if not isinstance(m, Map):
        raise TypeError(f"m must be a netchaos Map, got {type(m).__name__}")
    X0 = as_float_array(theta0, "theta0", ndim=(1, 2))
    X0 = X0[None] if X0.ndim == 1 else X0
    steps = check_int(steps, "steps", minimum=1)
    eps = check_positive(eps, "eps", allow_zero=True)
    n_pert = check_int(n_pert, "n_pert", minimum=1)
    if loss is not None and not callable(loss):
        raise TypeError(f"loss must be a callable, got {type(loss).__name__}")
    n = X0.shape[1]
    mask = np.ones(n, dtype=bool) if mask is None else np.asarray(mask)
    if mask.dtype != bool or mask.shape != (n,):
        raise ValueError(f"mask must be a bool array of shape ({n},), got {mask.dtype} "
                         f"{mask.shape}")
    entropy = seed_entropy(seed)
    deltas = (X0[:, None, :] + eps * _units(entropy, X0.shape[0], n_pert, mask)) - X0[:, None]
    parts = []
    for x, delta in zip(X0, deltas):
        rec = Recorder(m, x, eps, n_pert=n_pert, seed=entropy, lr=getattr(m, "lr", None),
                       loss=None if loss is None else loss(x), delta=delta)
        for _ in range(steps):
            x = m.step(x)
            rec.step(x, loss=None if loss is None else loss(x))
        parts.append(rec.result())
    cat = lambda name: np.concatenate([getattr(p, name) for p in parts])  # noqa: E731
    return dataclasses.replace(
        parts[0], **{f: cat(f) for f in ("distances", "loss", "accuracy", "diverged",
                                          "diverged_at", "start_diverged", "theta_init",
                                          "theta_start", "delta", "theta_final")},
        n_init=len(parts))
