"""Perturbation ensembles: reference trajectories trained side by side with perturbed copies.

Each of ``n_init`` reference initial conditions gets ``n_pert`` copies
``theta + delta``, ``delta`` i.i.d. uniform(-eps, eps) on the weights (or on
every parameter), and the L1 distance between each copy and its reference is
followed in time, on the fly (:func:`perturbation_ensemble`, the protocol of
[1]_). Its growth rate is measured by :mod:`netchaos.exponents`.

References
----------
.. [1] K. Danovski, M. C. Soriano, L. Lacasa, "Dynamical stability and chaos
   in artificial neural network trajectories along training", Frontiers in
   Complex Systems 2, 1367957 (2024).
"""

from dataclasses import dataclass

import numpy as np

from ._random import INIT_STREAM, PERT_STREAM, seed_entropy, stream
from ._results import Result, fmt
from ._validate import (
    INIT_SCHEMES,
    as_float_array,
    check_bool,
    check_choice,
    check_int,
    check_model,
    check_positive,
    check_scope,
    distance_layout,
    split_data,
    to_numpy,
)
from .training import Owned, train

__all__ = ["EnsembleResult", "perturbation_ensemble", "RECORDS", "PRECISIONS"]

#: What an ensemble records: only the L1 distances, or every metric of every member.
RECORDS = {"distances": "distances", "all": "all"}
#: Precision of a recording.
PRECISIONS = {"float64": "float64", "float32": "float32"}


@dataclass(repr=False)
class EnsembleResult(Result):
    """Outcome of :func:`perturbation_ensemble`.

    Time index ``t = 0 .. steps`` counts GD steps from the moment of the
    perturbation, i.e. absolute step ``start + t``.

    Attributes
    ----------
    distances : ndarray of shape (n_init, n_pert, steps + 1)
        L1 distance ``d(t) = sum_i |theta_i(t) - theta'_i(t)|`` over all
        parameters between each perturbed trajectory and its reference;
        NaN from the step at which either of them diverged (``diverged_at``,
        the first step with a non-finite state or loss) on, so that
        :func:`finite_lyapunov` reports every initial condition with a
        diverged member (reason ``"nonfinite"``) instead of fitting it.
    distances_l2 : ndarray of shape (n_init, n_pert, steps + 1) or None
        Euclidean distance, same conventions (``record="all"`` only).
    loss : ndarray of shape (n_init, steps + 1)
        Training loss of the reference trajectories.
    perturbed_loss : ndarray of shape (n_init, n_pert, steps + 1) or None
        Training loss of the perturbed trajectories (``record="all"`` only).
    accuracy : ndarray of shape (n_init, steps + 1)
        Training accuracy of the references (NaN for MSE models).
    test_loss, test_accuracy : ndarray of shape (n_init, steps + 1) or None
        Test metrics of the references when ``test_metrics=True``.
    diverged : ndarray of bool of shape (n_init, 1 + n_pert)
        Column 0 is the reference, columns 1.. the perturbed copies.
    diverged_at : int ndarray of shape (n_init, 1 + n_pert)
        First step (from the perturbation) with a non-finite state or loss;
        -1 if never.
    start_diverged : ndarray of bool of shape (n_init,)
        Reference diverged during the ``start`` steps before the perturbation
        (its whole group is then NaN and counted in ``n_diverged``).
    theta_init : ndarray of shape (n_init, n_params)
        Initial conditions at absolute step 0.
    theta_start : ndarray of shape (n_init, n_params)
        References at the moment of the perturbation: when ``start == 0``,
        ``theta_init`` itself (the same array, not a copy).
    delta : ndarray of shape (n_init, n_pert, n_params)
        Realised perturbations ``theta' - theta`` in float64 (zero on the
        biases when ``scope="weights"``).
    theta_final : ndarray of shape (n_init, 1 + n_pert, n_params)
        Final states (last finite state for diverged trajectories).
    lr, eps, steps, n_init, n_pert, seed, scope, start, init_scale, init_scheme, record
        The parameters used; ``seed`` is the integer entropy from which all
        random streams were derived (pass it back to reproduce the run).
    precision : str
        ``"float64"``, or ``"float32"`` for a recording made in single precision
        (:meth:`from_arrays`, :class:`netchaos.recorder.Recorder`): its distances are
        resolved only down to about ``1e-7`` times the parameters' magnitude.

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> ens = nc.perturbation_ensemble(nc.MLP([4, 3, 3]), nc.datasets.iris(), lr=1.0,
    ...                                steps=20, eps=1e-8, n_init=2, n_pert=2, seed=0)
    >>> ens.distances.shape, ens.n_diverged
    ((2, 2, 21), 0)
    >>> bool(np.allclose(ens.distances[..., 0], np.abs(ens.delta).sum(axis=-1)))
    True
    """

    distances: np.ndarray
    distances_l2: np.ndarray
    loss: np.ndarray
    perturbed_loss: np.ndarray
    accuracy: np.ndarray
    test_loss: np.ndarray
    test_accuracy: np.ndarray
    diverged: np.ndarray
    diverged_at: np.ndarray
    start_diverged: np.ndarray
    theta_init: np.ndarray
    theta_start: np.ndarray
    delta: np.ndarray
    theta_final: np.ndarray
    lr: float
    eps: float
    steps: int
    n_init: int
    n_pert: int
    seed: int
    scope: str
    start: int
    init_scale: float
    init_scheme: str = "normal"
    record: str = "distances"
    precision: str = "float64"

    @classmethod
    def from_arrays(cls, distances, loss=None, layout=None, lr=None, eps=None, start=0,
                    precision=None):
        """An ensemble from distances recorded outside netchaos (any framework, any loop).

        Parameters
        ----------
        distances : array_like (numpy array or framework tensor)
            L1 distances of perturbed copies to their reference over time.
        loss : array_like of shape (n_init, T) or (T,), optional
            Training loss of the references.
        layout : str, optional
            The axes of ``distances``, comma-separated names among ``"init"``, ``"pert"``
            and ``"t"`` in the order of the array's axes, e.g. ``"pert,t"`` for one initial
            condition's (n_pert, T) array or ``"t,pert"`` for a time-first one. Optional for
            a 3-D array (``"init,pert,t"``) and a 1-D one (``"t"``); a 2-D array is
            ambiguous and needs it.
        lr, eps : float, optional
            Recorded in the result (NaN if not given).
        start : int, default 0
            Absolute step of time index 0.
        precision : {"float64", "float32"}, optional
            Precision of the recording; default from the dtype of ``distances``. A float32
            recording is stated in ``precision`` and with a warning.

        Returns
        -------
        EnsembleResult
            ``distances`` of shape (n_init, n_pert, T); ``diverged`` from the non-finite
            entries; the parameter arrays (``delta``, ``theta_init``, ...) are empty.

        Examples
        --------
        >>> import numpy as np
        >>> import netchaos as nc
        >>> d = 1e-8 * np.exp(0.3 * np.arange(60))[:, None] * np.ones((1, 4))   # (T, n_pert)
        >>> ens = nc.EnsembleResult.from_arrays(d, layout="t,pert", lr=1.0, eps=1e-8)
        >>> ens.distances.shape, round(float(nc.finite_lyapunov(ens).exponent[0]), 6)
        ((1, 4, 60), 0.3)
        """
        raw = to_numpy(distances, "distances")
        arr = as_float_array(raw, "distances", ndim=(1, 2, 3), finite=False)
        if precision is None:
            precision = "float32" if getattr(raw, "dtype", None) in (np.float32, np.float16) \
                else "float64"
        precision = check_choice(precision, "precision", PRECISIONS)
        arr = distance_layout(arr, layout)
        n_init, n_pert, T = arr.shape
        if n_init == 0 or n_pert == 0 or T == 0:
            raise ValueError(f"distances must hold at least one initial condition, "
                             f"perturbation and time, got shape {arr.shape}")
        with np.errstate(invalid="ignore"):
            if np.any(arr < 0):
                raise ValueError("distances must be >= 0")
        if loss is None:
            loss_arr = np.full((n_init, T), np.nan)
        else:
            loss_arr = as_float_array(to_numpy(loss, "loss"), "loss", ndim=(1, 2),
                                      finite=False)
            loss_arr = loss_arr[None] if loss_arr.ndim == 1 else loss_arr
            if loss_arr.shape != (n_init, T):
                raise ValueError(f"loss must have shape ({n_init}, {T}) (or ({T},) for one "
                                 f"initial condition) to match distances, got "
                                 f"{np.shape(loss)}")
        if precision == "float32":
            import warnings
            warnings.warn("EnsembleResult.from_arrays: a float32 recording resolves distances "
                          "only down to about 1e-7 times the parameters' magnitude; fits over "
                          "smaller distances measure rounding, not dynamics",
                          UserWarning, stacklevel=2)
        bad = ~np.isfinite(arr)
        ref_bad = ~np.isfinite(loss_arr) if loss is not None else np.zeros((n_init, T), bool)
        first = lambda m: np.where(m.any(axis=-1), m.argmax(axis=-1), -1)  # noqa: E731
        diverged_at = np.concatenate([first(ref_bad)[:, None], first(bad)], axis=1)
        nan = float("nan")
        empty = np.empty((n_init, 0))
        return cls(
            distances=arr.copy(), distances_l2=None, loss=loss_arr.copy(), perturbed_loss=None,
            accuracy=np.full((n_init, T), np.nan), test_loss=None, test_accuracy=None,
            diverged=diverged_at >= 0, diverged_at=diverged_at.astype(np.int64),
            start_diverged=np.zeros(n_init, dtype=bool), theta_init=empty, theta_start=empty,
            delta=np.empty((n_init, n_pert, 0)), theta_final=np.empty((n_init, 1 + n_pert, 0)),
            lr=nan if lr is None else check_positive(lr, "lr"),
            eps=nan if eps is None else check_positive(eps, "eps", allow_zero=True),
            steps=T - 1, n_init=n_init, n_pert=n_pert, seed=-1, scope="recorded",
            start=check_int(start, "start", minimum=0), init_scale=nan, init_scheme="recorded",
            record="distances", precision=precision)

    @property
    def n_diverged(self):
        """Number of initial conditions with at least one diverged member."""
        return int(np.sum(np.any(self.diverged, axis=1) | self.start_diverged))

    @property
    def time(self):
        """Absolute GD step of every time index, shape (steps + 1,)."""
        return self.start + np.arange(self.steps + 1)

    def __repr__(self):
        return (f"EnsembleResult(n_init={self.n_init}, n_pert={self.n_pert}, steps={self.steps}, "
                f"lr={fmt(self.lr)}, eps={fmt(self.eps)}, scope={self.scope!r}, "
                f"start={self.start}, n_diverged={self.n_diverged}, seed={self.seed})")


def ensemble_block(model, data, lr, steps, eps, n_init, n_pert, entropy, pert_key, scope, start,
                   theta0, init_scale, init_scheme, test_metrics, progress, record="distances",
                   block=None):
    """Core of :func:`perturbation_ensemble` with checked arguments and a seed entropy.

    ``block=(lo, hi)`` computes only initial conditions ``lo .. hi - 1`` of the
    ensemble of ``n_init``: the random draws are those of the whole ensemble,
    sliced, and every trajectory evolves on its own, so the blocks of an
    ensemble put together are bitwise identical to the ensemble.
    """
    P = model.n_params
    lo, hi = (0, n_init) if block is None else block
    if theta0 is None and hasattr(model, "_init_rows"):
        theta_init = model._init_rows(stream(entropy, INIT_STREAM), n_init, (lo, hi), init_scale,
                                      init_scheme)
    elif theta0 is None:       # a protocol model: its own init, all n_init rows, sliced
        theta_init = as_float_array(model.init(seed=stream(entropy, INIT_STREAM), n=n_init,
                                               scale=init_scale, scheme=init_scheme),
                                    "model.init()", ndim=2)[lo:hi].copy()
    else:
        theta_init = np.array(theta0[lo:hi], dtype=np.float64, copy=True)

    if start > 0:
        pre = train(model, data, theta_init, lr, start, record="final")
        theta_start = np.array(pre.theta, copy=True)
        start_diverged = np.asarray(pre.diverged, dtype=bool).copy()
    else:   # one array for both: an ensemble keeps no second copy of its references
        theta_start = theta_init
        start_diverged = np.zeros(hi - lo, dtype=bool)

    # perturbations: eps * U(-1, 1) so the same stream gives the same directions for any eps
    rng = stream(entropy, PERT_STREAM, pert_key)
    mask = np.ones(P, dtype=bool) if scope == "all" else np.asarray(model.weight_mask, dtype=bool)
    G = 1 + n_pert
    reference = np.full((hi - lo, G), -1, dtype=np.int64)
    reference[:, 1:] = (np.arange(hi - lo) * G)[:, None]
    reference = reference.ravel()
    delta = np.empty((hi - lo, n_pert, P))
    # the stacked states are handed over to train, which frees them once they are packed
    states = Owned(_stacked_states(theta_start, eps, rng, mask, lo, n_pert, delta))
    res = train(model, data, states,
                lr, steps, record="metrics", reference=reference, test_metrics=test_metrics,
                progress=progress)
    n_init = hi - lo
    T = steps + 1
    full = record == "all"
    d1 = res.distance_l1.reshape(n_init, G, T)[:, 1:].copy()
    d2 = res.distance_l2.reshape(n_init, G, T)[:, 1:].copy() if full else None
    loss = res.loss.reshape(n_init, G, T)
    acc = res.accuracy.reshape(n_init, G, T)
    diverged = np.asarray(res.diverged, dtype=bool).reshape(n_init, G).copy()
    diverged_at = np.asarray(res.diverged_at, dtype=np.int64).reshape(n_init, G).copy()
    # NaN from the step at which the pair diverged on: train flags the first step whose
    # state *or loss* is non-finite, and the distance at that step must not enter a fit
    pair_at = np.where((diverged_at[:, :1] >= 0)
                       & ((diverged_at[:, 1:] < 0) | (diverged_at[:, :1] < diverged_at[:, 1:])),
                       diverged_at[:, :1], diverged_at[:, 1:])
    gone = (pair_at[..., None] >= 0) & (np.arange(T) >= pair_at[..., None])
    gone |= start_diverged[:, None, None]
    d1[gone] = np.nan
    if full:
        d2[gone] = np.nan
    test_loss = test_acc = None
    if test_metrics:
        test_loss = res.test_loss.reshape(n_init, G, T)[:, 0].copy()
        test_acc = res.test_accuracy.reshape(n_init, G, T)[:, 0].copy()
    return EnsembleResult(
        distances=d1, distances_l2=d2,
        loss=loss[:, 0].copy(), perturbed_loss=loss[:, 1:].copy() if full else None,
        accuracy=acc[:, 0].copy(),
        test_loss=test_loss, test_accuracy=test_acc,
        diverged=diverged, diverged_at=diverged_at, start_diverged=start_diverged,
        theta_init=theta_init, theta_start=theta_start, delta=delta,
        theta_final=np.asarray(res.theta).reshape(n_init, G, P),
        lr=lr, eps=eps, steps=steps, n_init=n_init, n_pert=n_pert, seed=entropy,
        scope=scope, start=start, init_scale=init_scale, init_scheme=init_scheme,
        record=record,
    )


def _stacked_states(theta_start, eps, rng, mask, lo, n_pert, delta):
    """The (b * (1 + n_pert), P) states of references ``theta_start`` and their copies.

    The draws are those of the whole ensemble's ``(n_init, n_pert, n_mask)``
    uniform array: the ``lo`` initial conditions before the block are skipped
    in pieces and the block's are drawn one initial condition at a time, so
    memory is bounded by the block. ``delta`` (shape (b, n_pert, P)) receives
    the perturbations as realised in float64.
    """
    b, P = theta_start.shape
    m = int(mask.sum())
    skip, per = lo * n_pert * m, max(1, 2**20)
    while skip > 0:
        rng.uniform(-1.0, 1.0, size=min(skip, per))
        skip -= per
    stacked = np.empty((b, 1 + n_pert, P))
    unit = np.zeros((n_pert, P))
    for i in range(b):
        unit[:, mask] = rng.uniform(-1.0, 1.0, size=(n_pert, m))
        stacked[i, 0] = theta_start[i]
        np.add(theta_start[i], eps * unit, out=stacked[i, 1:])
        np.subtract(stacked[i, 1:], theta_start[i], out=delta[i])
    return stacked.reshape(b * (1 + n_pert), P)


def check_ensemble_args(model, lr, steps, eps, n_init, n_pert, scope, start, theta0, init_scale):
    if hasattr(model, "_kernel_args"):
        check_model(model)
    else:  # a model of the network protocol (an adapter): trained through its grad
        check_model(model, "tangent")
        if scope == "weights" and not hasattr(model, "weight_mask"):
            raise TypeError(f"scope='weights' needs model.weight_mask, which "
                            f"{type(model).__name__} lacks; give scope='all'")
        if theta0 is None and not hasattr(model, "init"):
            raise TypeError(f"{type(model).__name__} has no init(seed, n, scale, scheme): "
                            f"give the initial conditions as theta0")
    lr = check_positive(lr, "lr")
    steps = check_int(steps, "steps", minimum=1)
    eps = check_positive(eps, "eps", allow_zero=True)
    n_pert = check_int(n_pert, "n_pert", minimum=1)
    scope = check_scope(scope)
    start = check_int(start, "start", minimum=0)
    # larger scales overflow the Gaussian initial weights
    init_scale = check_positive(init_scale, "init_scale", allow_zero=True, maximum=1e300)
    if theta0 is not None:
        arr = as_float_array(theta0, "theta0", ndim=(1, 2))
        if arr.ndim == 1:
            arr = arr[None]
        if arr.shape[1] != model.n_params:
            raise ValueError(f"theta0 must have {model.n_params} parameters in its last axis, "
                             f"got shape {np.shape(theta0)}")
        if arr.shape[0] == 0:
            raise ValueError(f"theta0 must hold at least one initial condition, got shape "
                             f"{np.shape(theta0)}")
        if n_init is not None and check_int(n_init, "n_init", minimum=1) != arr.shape[0]:
            raise ValueError(f"n_init={n_init} does not match theta0 with {arr.shape[0]} rows")
        n_init = arr.shape[0]
        theta0 = arr
    else:
        n_init = 10 if n_init is None else check_int(n_init, "n_init", minimum=1)
    return lr, steps, eps, n_init, n_pert, scope, start, theta0, init_scale


def perturbation_ensemble(model, data, lr, steps, eps, n_init=None, n_pert=5, seed=None,
                          scope="weights", start=0, theta0=None, init_scale=1.0,
                          init_scheme="normal", test_metrics=False, record="distances",
                          progress=False):
    """Train reference initial conditions together with perturbed copies.

    Each of ``n_init`` reference initial conditions theta gets ``n_pert``
    copies ``theta + delta`` with ``delta`` i.i.d. uniform(-eps, eps) on the
    weight-matrix entries (``scope="weights"``, the published protocol [1]_)
    or on all parameters (``scope="all"``). All ``n_init * (1 + n_pert)``
    trajectories are advanced by one call of :func:`netchaos.train`, which
    computes the distance of every perturbed trajectory to its reference on
    the fly, so memory is O(n_init * n_pert * (n_params + steps)).

    Parameters
    ----------
    model : MLP or a model of the network model protocol
        E.g. a :mod:`netchaos.adapters` model; :func:`netchaos.train` steps it
        through its ``grad``. Without ``theta0`` its ``init`` gives the initial
        conditions (an adapter's: its module's parameters, repeated).
    data : Dataset or tuple
        As for :func:`netchaos.train`.
    lr : float
        Learning rate, > 0.
    steps : int
        GD steps after the perturbation, >= 1.
    eps : float
        Perturbation radius, >= 0 (``eps = 0`` gives identical copies).
    n_init : int, optional
        Number of reference initial conditions (default 10, or the rows of
        ``theta0``).
    n_pert : int, default 5
        Perturbed copies per reference.
    seed : int, numpy.random.Generator, numpy.random.SeedSequence or None
        All randomness (initial conditions and perturbations, in independent
        streams) derives from it; the integer actually used is stored in the
        result's ``seed``.
    scope : {"weights", "all"}
        Perturb the weight matrices only (biases untouched) or all parameters.
    start : int, default 0
        Train the references ``start`` steps first (``record="final"``) and
        perturb then: ``start = 0`` probes orbital stability from the
        initialisation, a large ``start`` the dynamical stability of a trained
        network [1]_.
    theta0 : ndarray of shape (n_init, n_params) or (n_params,), optional
        Explicit initial conditions instead of ``model.init``.
    init_scale : float, default 1
        Standard-deviation factor of ``model.init`` (weights N(0, 1) and zero
        biases by default, as in [1]_).
    init_scheme : {"normal", "glorot", "he"}
        Initialisation scheme of ``model.init``.
    test_metrics : bool, default False
        Also record the references' test loss and accuracy.
    record : {"distances", "all"}, default "distances"
        ``"distances"`` keeps the L1 distances and the references' metrics
        (what the exponents need); ``"all"`` also keeps the Euclidean
        distances and the loss of every perturbed trajectory, three times
        the memory.
    progress : bool, default False
        Progress bar of the training run (tqdm.auto).

    Returns
    -------
    EnsembleResult
        ``distances`` of shape (n_init, n_pert, steps + 1) and the rest.

    Notes
    -----
    Streams: the initial conditions come from stream ``(0,)`` and the
    perturbations from stream ``(1, 0)`` of ``numpy.random.SeedSequence(seed)``.
    The perturbations are drawn as ``eps * U(-1, 1)``, so two runs with the
    same seed and different ``eps`` share initial conditions and perturbation
    directions (common random numbers, as :func:`eps_sweep` relies on).
    ``delta`` is stored as realised in float64 (``(theta + eps*u) - theta``),
    so ``distances[..., 0] == sum |delta|`` up to summation order; it can
    exceed ``eps`` by one rounding unit of theta.

    The distance covers every parameter, biases included, whatever ``scope``
    (the biases of perturbed copies drift away from the reference's too).

    Trajectories that overflow are stopped and flagged by
    :func:`netchaos.train`; their distances are NaN from then on and
    :func:`finite_lyapunov` reports them instead of averaging them in.

    References
    ----------
    .. [1] Danovski, Soriano, Lacasa (2024), Sec. 2.1 and 3-4.

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> res = nc.perturbation_ensemble(nc.MLP([4, 10, 3]), nc.datasets.iris(), lr=1.0,
    ...                                steps=50, eps=1e-8, n_init=4, n_pert=3, seed=0)
    >>> res.distances.shape
    (4, 3, 51)
    >>> bool(np.all(np.abs(res.delta) <= 1e-8 * (1 + 1e-6)))   # |delta_i| <= eps
    True
    """
    lr, steps, eps, n_init, n_pert, scope, start, theta0, init_scale = check_ensemble_args(
        model, lr, steps, eps, n_init, n_pert, scope, start, theta0, init_scale)
    init_scheme = check_choice(init_scheme, "init_scheme", INIT_SCHEMES)
    test_metrics = check_bool(test_metrics, "test_metrics")
    record = check_choice(record, "record", RECORDS)
    progress = check_bool(progress, "progress")
    split_data(data)
    entropy = seed_entropy(seed)
    return ensemble_block(model, data, lr, steps, eps, n_init, n_pert, entropy, 0, scope, start,
                     theta0, init_scale, init_scheme, test_metrics, progress, record)
