"""Dynamical and orbital stability of gradient-descent training.

Nearby initial conditions are trained side by side and the L1 distance
between each perturbed trajectory and its reference is followed in time
(:func:`perturbation_ensemble`, :func:`eps_sweep`, :func:`lr_sweep`). The
growth rate of that distance is the finite network Lyapunov exponent of one
initial condition (:func:`finite_lyapunov`, Eq. 3 of [1]_), and the mean over
initial conditions of the well-fitted positive exponents is the network
maximum Lyapunov exponent (:func:`network_mle`, [1]_, [2]_). Weight-level
measures (:func:`displacement`, :func:`path_length`,
:func:`ablation_importance`) describe how far, and how much, individual
parameters travel and matter.

Everything here is plain numpy on top of :func:`netchaos.train`; the analyses
accept plain arrays, so trajectories recorded by any framework can be studied.

References
----------
.. [1] D. Danovski, M. C. Soriano, L. Lacasa, "Dynamical stability and chaos
   in artificial neural network trajectories along training", Frontiers in
   Complex Systems 2, 1367957 (2024).
.. [2] A. Caligiuri, V. M. Eguiluz, L. Di Gaetano, T. Galla, L. Lacasa,
   "Lyapunov exponents for temporal networks", Phys. Rev. E 108, 044305 (2023).
.. [3] G. Benettin, L. Galgani, A. Giorgilli, J.-M. Strelcyn, "Lyapunov
   characteristic exponents for smooth dynamical systems and for Hamiltonian
   systems; a method for computing all of them", Meccanica 15, 9-20 (1980).
.. [4] B. Efron, "Bootstrap methods: another look at the jackknife", Annals of
   Statistics 7, 1-26 (1979).
"""

import numbers
from dataclasses import dataclass, field, fields

import numpy as np

from ._validate import (as_array, as_float_array, check_bool as _check_bool, check_choice,
                        check_int, check_positive)

__all__ = [
    "EnsembleResult",
    "FiniteLyapunovResult",
    "NetworkMLE",
    "SweepResult",
    "REASONS",
    "perturbation_ensemble",
    "eps_sweep",
    "lr_sweep",
    "finite_lyapunov",
    "network_mle",
    "displacement",
    "path_length",
    "ablation_importance",
]

_SCOPES = ("weights", "all")

#: Codes of :attr:`FiniteLyapunovResult.reason`, with their meaning.
REASONS = {
    "ok": "exponent fitted",
    "zero_distance": "the mean distance is zero (eps=0 or identical trajectories): ln 0 "
                     "leaves no window of finite values",
    "nonfinite": "the distance series holds NaN or inf (a trajectory diverged)",
    "too_short": "no candidate window of at least min_window steps before saturation",
    "flat": "ln d is exactly constant on every candidate window (R^2 undefined)",
}


# ============================================================================
# argument checks and seeds
# ============================================================================
def _check_model(model):
    for attr in ("n_params", "weight_mask", "init", "loss"):
        if not hasattr(model, attr):
            raise TypeError(f"model must be a netchaos.MLP, got {type(model).__name__}")
    return model


def _check_scope(scope):
    if not isinstance(scope, str):
        raise TypeError(f"scope must be a string, got {type(scope).__name__}")
    if scope not in _SCOPES:
        raise ValueError(f"scope must be one of {_SCOPES}, got {scope!r}")
    return scope


def _check_scheme(init_scheme):
    from .model import _SCHEMES

    return check_choice(init_scheme, "init_scheme", _SCHEMES)


def _check_record(record):
    return check_choice(record, "record", {"distances": "distances", "all": "all"})


def _check_nonneg(value, name):
    return check_positive(value, name, allow_zero=True)


def _seed_entropy(seed):
    """One integer from which every random stream of a run is derived.

    ``None`` draws fresh OS entropy; an int is used as is; a Generator gives
    one draw (so the caller's generator advances); a SeedSequence gives its
    entropy.
    """
    if seed is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63 - 1))
    if isinstance(seed, np.random.SeedSequence):
        return int(seed.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError("seed must be an int, a numpy Generator, a SeedSequence or None, "
                        f"got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return int(seed)


def _stream(entropy, *key):
    """An independent Generator for the stream ``key`` of run ``entropy``."""
    return np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=tuple(key)))


# stream keys: (0,) initial conditions, (1, k) perturbations (k = perturbation
# stream of a sweep value, 0 by default), (2,) bootstrap of the network MLE
_INIT, _PERT, _BOOT = 0, 1, 2


# ============================================================================
# results
# ============================================================================
def _fmt(x):
    return f"{x:.4g}" if isinstance(x, (float, np.floating)) and np.isfinite(x) else str(x)


@dataclass(repr=False)
class EnsembleResult:
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
        References at the moment of the perturbation (``theta_init`` when
        ``start == 0``).
    delta : ndarray of shape (n_init, n_pert, n_params)
        Realised perturbations ``theta' - theta`` in float64 (zero on the
        biases when ``scope="weights"``).
    theta_final : ndarray of shape (n_init, 1 + n_pert, n_params)
        Final states (last finite state for diverged trajectories).
    lr, eps, steps, n_init, n_pert, seed, scope, start, init_scale, init_scheme, record
        The parameters used; ``seed`` is the integer entropy from which all
        random streams were derived (pass it back to reproduce the run).
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
                f"lr={_fmt(self.lr)}, eps={_fmt(self.eps)}, scope={self.scope!r}, "
                f"start={self.start}, n_diverged={self.n_diverged}, seed={self.seed})")


@dataclass(repr=False)
class FiniteLyapunovResult:
    """Outcome of :func:`finite_lyapunov`: one finite exponent per initial condition.

    Attributes
    ----------
    exponent : ndarray of shape (n_init,)
        Finite network Lyapunov exponent Lambda (per GD step); NaN when no fit
        was possible (see ``reason``).
    r2 : ndarray of shape (n_init,)
        Coefficient of determination of the chosen linear fit of ln d(t).
    intercept : ndarray of shape (n_init,)
        Fitted ln d at t = 0 (``ln d(t) ~ intercept + exponent * t``).
    window : int ndarray of shape (n_init, 2)
        Chosen window ``[start, stop)`` in time indices; (-1, -1) if none.
    saturation_step : int ndarray of shape (n_init,)
        Last time index any window may use: the detected saturation step, or
        the last step when no saturation was detected or requested.
    saturated : ndarray of bool of shape (n_init,)
        Whether a saturation was detected (or given).
    log_mean_distance : ndarray of shape (n_init, T)
        ``y(t) = ln(mean_j d_j(t))`` (``-inf`` where the mean distance is 0,
        NaN where it is NaN).
    reason : ndarray of str of shape (n_init,)
        ``"ok"`` or why the exponent is NaN; the codes are in :data:`REASONS`.
    min_window, starts, lengths, saturation_fraction, min_rise, max_steps
        The parameters used (``starts`` as the array of candidate starts).
    """

    exponent: np.ndarray
    r2: np.ndarray
    intercept: np.ndarray
    window: np.ndarray
    saturation_step: np.ndarray
    saturated: np.ndarray
    log_mean_distance: np.ndarray
    reason: np.ndarray
    min_window: int
    starts: np.ndarray
    lengths: object
    saturation_fraction: float
    min_rise: float
    max_steps: object

    @property
    def n_init(self):
        return int(self.exponent.shape[0])

    @property
    def n_diverged(self):
        """Initial conditions whose distance series is non-finite (reason ``"nonfinite"``)."""
        return int(np.sum(self.reason == "nonfinite"))

    def __repr__(self):
        ok = self.reason == "ok"
        mean = np.mean(self.exponent[ok]) if ok.any() else np.nan
        return (f"FiniteLyapunovResult(n_init={self.n_init}, n_fitted={int(ok.sum())}, "
                f"mean exponent={_fmt(float(mean))}, T={self.log_mean_distance.shape[1]})")


@dataclass(repr=False)
class NetworkMLE:
    """Outcome of :func:`network_mle`.

    Attributes
    ----------
    value : float
        lambda_nMLE: mean of the kept finite exponents (NaN if none kept).
    std : float
        Standard deviation (ddof=1) of the kept exponents: the spread of
        P(Lambda), not an error of the mean (NaN with fewer than 2 kept).
    ci : tuple of float
        ``(low, high)`` bootstrap percentile interval of the mean at level
        ``ci_level`` (NaN if fewer than 2 kept or ``n_boot == 0``).
    kept : ndarray of bool of shape (n,)
        Exponents used: finite, ``r2 > min_r2`` and ``exponent > min_exponent``.
    n_kept : int
    kept_fraction : float
        ``n_kept / n`` over all initial conditions, NaN ones included.
    rho : float
        Fraction of the finite exponents that are > 0 (all finite ones, not
        only the kept ones).
    n : int
        Number of initial conditions.
    n_nan : int
        Number of NaN exponents.
    exponents : ndarray of shape (n,)
    min_r2, min_exponent, n_boot, ci_level, seed
        The parameters used.
    n_diverged : int
        Initial conditions left out because a trajectory diverged (reason
        ``"nonfinite"`` of a :class:`FiniteLyapunovResult`; 0 for plain
        exponents, whose NaN are only counted in ``n_nan``). Always
        ``<= n_nan``.
    """

    value: float
    std: float
    ci: tuple
    kept: np.ndarray
    n_kept: int
    kept_fraction: float
    rho: float
    n: int
    n_nan: int
    exponents: np.ndarray
    min_r2: float
    min_exponent: float
    n_boot: int
    ci_level: float
    seed: int
    n_diverged: int = 0

    def __repr__(self):
        return (f"NetworkMLE(value={_fmt(self.value)}, std={_fmt(self.std)}, "
                f"ci=({_fmt(self.ci[0])}, {_fmt(self.ci[1])}), kept={self.n_kept}/{self.n}, "
                f"rho={_fmt(self.rho)}, n_nan={self.n_nan}, n_diverged={self.n_diverged})")


@dataclass(repr=False)
class SweepResult:
    """Outcome of :func:`eps_sweep` and :func:`lr_sweep`.

    Attributes
    ----------
    name : str
        The swept parameter, ``"eps"`` or ``"lr"``.
    values : ndarray of shape (n_values,)
        Its values, in the order given.
    results : dict
        ``{value: EnsembleResult}``.
    fits : dict
        ``{value: FiniteLyapunovResult}``.
    mles : dict
        ``{value: NetworkMLE}``.
    mle, mle_std : ndarray of shape (n_values,)
        lambda_nMLE and the spread of P(Lambda) per value.
    mle_ci : ndarray of shape (n_values, 2)
        Bootstrap interval of lambda_nMLE per value.
    kept_fraction, rho : ndarray of shape (n_values,)
    n_diverged : int ndarray of shape (n_values,)
    final_loss : ndarray of shape (n_values,)
        Median over initial conditions of the final reference training loss
        (diverged references ignored; NaN if all diverged).
    final_test_accuracy : ndarray of shape (n_values,) or None
        Mean final test accuracy of the references (``test_metrics=True``).
    params : dict
        The fixed parameters of the sweep (``seed`` included).
    """

    name: str
    values: np.ndarray
    results: dict
    fits: dict
    mles: dict
    mle: np.ndarray
    mle_std: np.ndarray
    mle_ci: np.ndarray
    kept_fraction: np.ndarray
    rho: np.ndarray
    n_diverged: np.ndarray
    final_loss: np.ndarray
    final_test_accuracy: np.ndarray = None
    params: dict = field(default_factory=dict)

    def __repr__(self):
        vals = ", ".join(_fmt(float(v)) for v in self.values)
        mles = ", ".join(_fmt(float(v)) for v in self.mle)
        return f"SweepResult({self.name}=[{vals}], mle=[{mles}])"


# ============================================================================
# perturbation ensembles
# ============================================================================
def _split_xy(data):
    if hasattr(data, "X_train"):
        return data.X_train, data.y_train
    if isinstance(data, (tuple, list)) and len(data) in (2, 4):
        return data[0], data[1]
    raise TypeError("data must be a netchaos.datasets.Dataset or a tuple (X, y), "
                    f"got {type(data).__name__}")


def _ensemble(model, data, lr, steps, eps, n_init, n_pert, entropy, pert_key, scope, start,
              theta0, init_scale, init_scheme, test_metrics, progress, record="distances",
              block=None):
    """Core of :func:`perturbation_ensemble` with checked arguments and a seed entropy.

    ``block=(lo, hi)`` computes only initial conditions ``lo .. hi - 1`` of the
    ensemble of ``n_init``: the random draws are those of the whole ensemble,
    sliced, and every trajectory evolves on its own, so the blocks of an
    ensemble put together are bitwise identical to the ensemble.
    """
    from .training import train

    P = model.n_params
    lo, hi = (0, n_init) if block is None else block
    if theta0 is None:
        theta_init = model.init(_stream(entropy, _INIT), n=n_init, scale=init_scale,
                                scheme=init_scheme)[lo:hi].copy()
    else:
        theta_init = np.array(theta0[lo:hi], dtype=np.float64, copy=True)

    if start > 0:
        pre = train(model, data, theta_init, lr, start, record="final")
        theta_start = np.array(pre.theta, copy=True)
        start_diverged = np.asarray(pre.diverged, dtype=bool).copy()
    else:
        theta_start = theta_init.copy()
        start_diverged = np.zeros(hi - lo, dtype=bool)

    # perturbations: eps * U(-1, 1) so the same stream gives the same directions for any eps
    rng = _stream(entropy, _PERT, pert_key)
    mask = np.ones(P, dtype=bool) if scope == "all" else np.asarray(model.weight_mask, dtype=bool)
    unit = np.zeros((n_init, n_pert, P))
    unit[:, :, mask] = rng.uniform(-1.0, 1.0, size=(n_init, n_pert, int(mask.sum())))
    unit = unit[lo:hi]
    n_init = hi - lo
    perturbed = theta_start[:, None, :] + eps * unit
    delta = perturbed - theta_start[:, None, :]  # realised in float64

    G = 1 + n_pert
    stacked = np.empty((n_init, G, P))
    stacked[:, 0] = theta_start
    stacked[:, 1:] = perturbed
    stacked = stacked.reshape(n_init * G, P)
    reference = np.full((n_init, G), -1, dtype=np.int64)
    reference[:, 1:] = (np.arange(n_init) * G)[:, None]
    reference = reference.ravel()

    res = train(model, data, stacked, lr, steps, record="metrics", reference=reference,
                test_metrics=test_metrics, progress=progress)
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
        theta_final=np.asarray(res.theta).reshape(n_init, G, P).copy(),
        lr=lr, eps=eps, steps=steps, n_init=n_init, n_pert=n_pert, seed=entropy,
        scope=scope, start=start, init_scale=init_scale, init_scheme=init_scheme,
        record=record,
    )


def _check_ensemble_args(model, lr, steps, eps, n_init, n_pert, scope, start, theta0, init_scale):
    _check_model(model)
    lr = check_positive(lr, "lr")
    steps = check_int(steps, "steps", minimum=1)
    eps = _check_nonneg(eps, "eps")
    n_pert = check_int(n_pert, "n_pert", minimum=1)
    scope = _check_scope(scope)
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
    model : MLP
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
    >>> import netchaos as nc
    >>> from netchaos.stability import perturbation_ensemble
    >>> res = perturbation_ensemble(nc.MLP([4, 10, 3]), nc.datasets.iris(), lr=1.0,
    ...                             steps=50, eps=1e-8, n_init=4, n_pert=3, seed=0)
    >>> res.distances.shape
    (4, 3, 51)
    """
    lr, steps, eps, n_init, n_pert, scope, start, theta0, init_scale = _check_ensemble_args(
        model, lr, steps, eps, n_init, n_pert, scope, start, theta0, init_scale)
    init_scheme = _check_scheme(init_scheme)
    test_metrics = _check_bool(test_metrics, "test_metrics")
    record = _check_record(record)
    progress = _check_bool(progress, "progress")
    _split_xy(data)
    entropy = _seed_entropy(seed)
    return _ensemble(model, data, lr, steps, eps, n_init, n_pert, entropy, 0, scope, start,
                     theta0, init_scale, init_scheme, test_metrics, progress, record)


# ============================================================================
# sweeps
# ============================================================================
def _run_chunk(params):
    """One chunk of a sweep: a pure function of ``params``.

    Parameters
    ----------
    params : dict
        Keys: ``model, data, lr, steps, eps, n_init, n_pert, seed`` (int
        entropy), ``pert_key`` (int perturbation stream), ``scope, start,
        theta0, init_scale, init_scheme, test_metrics, record``, ``fit``
        (kwargs of :func:`finite_lyapunov`) and ``block``: ``(lo, hi)``, the
        initial conditions of this chunk among the value's ``n_init``.

    Returns
    -------
    dict
        ``{"ensemble": EnsembleResult, "fit": FiniteLyapunovResult}`` of the
        chunk's initial conditions. :func:`_merge_chunks` puts the chunks of
        one value together and adds the network MLE.
    """
    ens = _ensemble(params["model"], params["data"], params["lr"], params["steps"],
                    params["eps"], params["n_init"], params["n_pert"], params["seed"],
                    params["pert_key"], params["scope"], params["start"], params["theta0"],
                    params["init_scale"], params["init_scheme"], params["test_metrics"], False,
                    params.get("record", "distances"), params.get("block"))
    fit = finite_lyapunov(ens.distances, **params["fit"])
    return {"ensemble": ens, "fit": fit}


# the fields of a FiniteLyapunovResult that hold one row per initial condition
_FIT_ROWS = ("exponent", "r2", "intercept", "window", "saturation_step", "saturated",
             "log_mean_distance", "reason")


def _concat(results, rows):
    """One dataclass result from the per-block results (``rows``: the per-row fields)."""
    first = results[0]
    if len(results) == 1:
        return first
    kw = {}
    for f in fields(first):
        v = getattr(first, f.name)
        if f.name in rows and v is not None:
            v = np.concatenate([getattr(r, f.name) for r in results], axis=0)
        kw[f.name] = v
    if "n_init" in kw:
        kw["n_init"] = sum(r.n_init for r in results)
    return type(first)(**kw)


_ENSEMBLE_ROWS = ("distances", "distances_l2", "loss", "perturbed_loss", "accuracy",
                  "test_loss", "test_accuracy", "diverged", "diverged_at", "start_diverged",
                  "theta_init", "theta_start", "delta", "theta_final")


def _merge_chunks(outs, params):
    """The chunks of one sweep value put together, with its network MLE."""
    ens = _concat([o["ensemble"] for o in outs], _ENSEMBLE_ROWS)
    fit = _concat([o["fit"] for o in outs], _FIT_ROWS)
    mle_kw = dict(params["mle"])
    mle_kw.setdefault("seed", int(np.random.SeedSequence(params["seed"], spawn_key=(_BOOT,))
                                  .generate_state(1)[0]))
    return {"ensemble": ens, "fit": fit, "mle": network_mle(fit, **mle_kw)}


def _sweep_store(name, vals, base, same_perturbations, checkpoint, resume, seed_given):
    """The checkpoint directory of a sweep (None without ``checkpoint``).

    The manifest holds every parameter of the sweep and a fingerprint of the
    model, the data and the initial conditions, so a resumed run cannot mix
    its chunks with another run's. With ``seed=None`` a resumed run takes the
    seed entropy of the run it continues.
    """
    if checkpoint is None:
        return None
    from . import io as _io
    from .training import _split_data

    resume = _check_bool(resume, "resume")
    model = base["model"]
    X, y, Xte, yte = _split_data(base["data"])
    names = ("X_train", "y_train") if hasattr(base["data"], "X_train") else ("X", "y")
    arrays = list(model._check_data(X, y, *names))
    if base["test_metrics"] and Xte is not None and len(Xte):
        arrays += list(model._check_data(Xte, yte, "X_test", "y_test"))
    if resume and not seed_given:
        stored = _io._ChunkStore.stored(checkpoint)
        if stored is not None:
            base["seed"] = int(stored["params"]["seed"])
    params = {k: v for k, v in base.items() if k not in ("model", "data", "theta0", name)}
    params["same_perturbations"] = same_perturbations
    manifest = {"sweep": name, "values": vals, "model": repr(model), "params": params,
                "fingerprint": _io._fingerprint(repr(model), *arrays, base["theta0"])}
    return _io._ChunkStore(checkpoint, manifest, resume)


def _sweep(name, values, base, progress, same_perturbations, checkpoint=None, resume=False,
           seed_given=True, executor=None, chunk_size=None):
    from .distributed import _check_executor, dashboard_link, run_chunks

    vals = as_float_array(values, f"{name}_values", ndim=1)
    if vals.size == 0:
        raise ValueError(f"{name}_values must not be empty")
    if len(np.unique(vals)) != vals.size:
        raise ValueError(f"{name}_values must not repeat a value")
    for v in vals:
        if name == "lr":
            check_positive(float(v), "lr_values entries")
        else:
            _check_nonneg(float(v), "eps_values entries")
    _check_executor(executor)
    n_init = base["n_init"]
    size = n_init if chunk_size is None else check_int(chunk_size, "chunk_size", minimum=1)
    size = min(size, n_init)
    blocks = [(lo, min(lo + size, n_init)) for lo in range(0, n_init, size)]
    base["chunk_size"] = size
    store = _sweep_store(name, vals, base, same_perturbations, checkpoint, resume, seed_given)

    chunks, tags = [], []
    for i, v in enumerate(vals):
        for lo, hi in blocks:
            p = dict(base)
            p[name] = float(v)
            p["pert_key"] = 0 if same_perturbations else i + 1
            p["block"] = (lo, hi)
            chunks.append(p)
            tags.append([float(v), lo, hi])
    done = {}
    if store is not None:
        for i, tag in enumerate(tags):
            out = store.load(i, tag)
            if out is not None:
                done[i] = out

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(chunks), desc=f"{name} sweep", unit="chunk", initial=len(done))
        link = dashboard_link(executor)
        if link:
            bar.write(f"{name} sweep: {len(chunks) - len(done)} chunks on Dask, "
                      f"dashboard at {link}")

    def finished(i, out):
        # in this process as each chunk arrives: saved at once, so that an interruption
        # never loses a finished chunk
        if store is not None:
            store.save(i, tags[i], out)
        if bar is not None:
            bar.set_postfix({name: f"{tags[i][0]:.3g}", "block": f"{tags[i][1]}:{tags[i][2]}"})
            bar.update(1)

    try:
        parts = run_chunks(_run_chunk, chunks, executor, done=done, on_result=finished)
    finally:
        if bar is not None:
            bar.close()
    nb = len(blocks)
    outs = [_merge_chunks(parts[j * nb:(j + 1) * nb], chunks[j * nb]) for j in range(len(vals))]

    keys = [float(v) for v in vals]
    final_loss = []
    final_acc = []
    for o in outs:
        ens = o["ensemble"]
        ok = ~(ens.diverged[:, 0] | ens.start_diverged)
        final_loss.append(float(np.median(ens.loss[ok, -1])) if ok.any() else np.nan)
        if base["test_metrics"]:
            final_acc.append(float(np.mean(ens.test_accuracy[ok, -1])) if ok.any() else np.nan)
    # the parameters that define the result (the chunking only schedules the work)
    fixed = {k: v for k, v in base.items()
             if k not in ("model", "data", "theta0", "chunk_size", name)}
    fixed["model"] = repr(base["model"])
    fixed["same_perturbations"] = same_perturbations
    return SweepResult(
        name=name, values=vals,
        results={k: o["ensemble"] for k, o in zip(keys, outs)},
        fits={k: o["fit"] for k, o in zip(keys, outs)},
        mles={k: o["mle"] for k, o in zip(keys, outs)},
        mle=np.array([o["mle"].value for o in outs]),
        mle_std=np.array([o["mle"].std for o in outs]),
        mle_ci=np.array([o["mle"].ci for o in outs], dtype=np.float64).reshape(len(outs), 2),
        kept_fraction=np.array([o["mle"].kept_fraction for o in outs]),
        rho=np.array([o["mle"].rho for o in outs]),
        n_diverged=np.array([o["ensemble"].n_diverged for o in outs], dtype=np.int64),
        final_loss=np.array(final_loss),
        final_test_accuracy=np.array(final_acc) if base["test_metrics"] else None,
        params=fixed,
    )


def _check_fit_mle_kwargs(fit, mle, steps, n_init):
    """Check the ``fit`` and ``mle`` keyword dicts of a sweep before any training.

    Unknown keywords and bad values are reported up front (naming ``fit`` or
    ``mle`` and the keyword), not after the first ensemble has been trained.
    (A fit window longer than the run is not an error: its exponents are NaN
    with reason ``"too_short"``.)
    """
    import inspect

    out = []
    for name, kw, fn, reserved in (("fit", fit, finite_lyapunov, ("distances",)),
                                   ("mle", mle, network_mle, ("fl", "r2"))):
        if kw is None:
            out.append({})
            continue
        if not isinstance(kw, dict):
            raise TypeError(f"{name} must be a dict of keyword arguments or None, "
                            f"got {type(kw).__name__}")
        known = [p for p in inspect.signature(fn).parameters if p not in reserved]
        for key in kw:
            if key not in known:
                raise TypeError(f"{name} has an unknown keyword {key!r}; {fn.__name__} "
                                f"takes {', '.join(known)}")
        out.append(dict(kw))
    fit, mle = out
    # the values themselves, on small stand-in inputs (the messages name the keyword)
    which = "fit"
    try:
        finite_lyapunov(np.ones((n_init, min(steps + 1, 64))), **fit)
        which = "mle"
        if mle.get("seed") is not None:  # an int now, so the check below draws nothing
            mle["seed"] = _seed_entropy(mle["seed"])
        trial = dict(mle)
        if isinstance(trial.get("n_boot"), numbers.Integral) and trial["n_boot"] > 10:
            trial["n_boot"] = 10
        network_mle(np.array([0.1, 0.2]), **trial)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{which}: {exc}") from None
    return fit, mle


def _sweep_base(model, data, lr, steps, eps, n_init, n_pert, seed, scope, start, theta0,
                init_scale, init_scheme, test_metrics, fit, mle, progress, same_perturbations):
    lr, steps, eps, n_init, n_pert, scope, start, theta0, init_scale = _check_ensemble_args(
        model, lr, steps, eps, n_init, n_pert, scope, start, theta0, init_scale)
    init_scheme = _check_scheme(init_scheme)
    _split_xy(data)
    fit, mle = _check_fit_mle_kwargs(fit, mle, steps, n_init)
    base = dict(model=model, data=data, lr=lr, steps=steps, eps=eps, n_init=n_init,
                n_pert=n_pert, seed=_seed_entropy(seed), scope=scope, start=start,
                theta0=theta0, init_scale=init_scale, init_scheme=init_scheme,
                test_metrics=_check_bool(test_metrics, "test_metrics"), fit=fit, mle=mle)
    return base, _check_bool(progress, "progress"), _check_bool(same_perturbations,
                                                                "same_perturbations")


def eps_sweep(model, data, lr, steps, eps_values, n_init=None, n_pert=5, seed=None,
              scope="weights", start=0, theta0=None, init_scale=1.0, init_scheme="normal",
              same_perturbations=True, fit=None, mle=None, test_metrics=False,
              record="distances", progress=False, checkpoint=None, resume=False,
              executor=None, chunk_size=None):
    """Network MLE as a function of the perturbation radius (Fig. 8 of [1]_).

    Every eps uses the same initial conditions, so the curves are comparable;
    by default also the same perturbation directions, scaled by eps.

    Parameters
    ----------
    model, data, lr, steps, n_init, n_pert, seed, scope, start, theta0, init_scale, init_scheme
        As for :func:`perturbation_ensemble`.
    eps_values : array_like of shape (n_values,)
        Perturbation radii, >= 0, distinct.
    same_perturbations : bool, default True
        Share the perturbation directions across eps (common random numbers);
        False draws an independent perturbation stream per value (the
        initial conditions stay shared).
    fit : dict, optional
        Keyword arguments of :func:`finite_lyapunov`.
    mle : dict, optional
        Keyword arguments of :func:`network_mle` (its bootstrap seed derives
        from ``seed`` unless given).
    test_metrics : bool, default False
        Record the references' test metrics.
    record : {"distances", "all"}, default "distances"
        What every value's :class:`EnsembleResult` keeps, as for
        :func:`perturbation_ensemble`.
    progress : bool, default False
        One tqdm.auto bar over the values.
    checkpoint : str or os.PathLike, optional
        Directory in which every finished value is saved at once
        (``chunk-NNNN.npz``, written atomically, plus ``manifest.json`` with
        the sweep's parameters); see :mod:`netchaos.io`.
    resume : bool, default False
        With ``checkpoint``: reload the values already saved there by an
        interrupted run with the same arguments and compute only the rest.
        False refuses a non-empty directory rather than overwrite it; a
        directory written with other arguments is refused either way. With
        ``seed=None`` a resumed run continues with the seed of the saved run.
    executor : dask.distributed.Client or concurrent.futures.Executor, optional
        Where the chunks run (see :mod:`netchaos.distributed`). None (default)
        runs them one after the other in this process, each on Numba's
        threads. The result is bitwise identical whatever the executor, the
        number of workers or the order in which chunks finish.
    chunk_size : int, optional
        Initial conditions per chunk: each value is split into blocks of this
        many initial conditions (default: one chunk per value). Smaller
        chunks spread a sweep with few values over more workers and lose less
        work to an interruption; they do not change the result. The
        trajectories of a chunk share the kernels' lane blocks, so keep
        ``chunk_size * (1 + n_pert)`` at 24 or more (a digits-sized network
        ran 1.4x slower per trajectory in chunks of 12 trajectories).

    Returns
    -------
    SweepResult
        ``results``, ``fits`` and ``mles`` keyed by eps (float), summary
        arrays in the order of ``eps_values``.

    Notes
    -----
    The sweep is split into chunks, one per value and block of
    ``chunk_size`` initial conditions, each computed by
    ``_run_chunk(params)``: a pure function of a parameter dict (model, data,
    the value, the block and the seed entropy). The random draws of a block
    are those of the whole ensemble, sliced, and the trajectories evolve
    independently, so chunks can be cached, resumed or farmed out to any
    executor and the result stays bitwise identical. A resumed sweep is
    bitwise identical to an uninterrupted one: saved chunks hold every array
    and float exactly.

    References
    ----------
    .. [1] Danovski, Soriano, Lacasa (2024), Fig. 8.
    """
    base, progress, same = _sweep_base(model, data, lr, steps, 0.0, n_init, n_pert, seed, scope,
                                       start, theta0, init_scale, init_scheme, test_metrics, fit,
                                       mle, progress, same_perturbations)
    base["record"] = _check_record(record)
    return _sweep("eps", eps_values, base, progress, same, checkpoint, resume, seed is not None,
                  executor, chunk_size)


def lr_sweep(model, data, lr_values, steps, eps, n_init=None, n_pert=5, seed=None,
             scope="weights", start=0, theta0=None, init_scale=1.0, init_scheme="normal",
             same_perturbations=True, fit=None, mle=None, test_metrics=False,
             record="distances", progress=False, checkpoint=None, resume=False,
             executor=None, chunk_size=None):
    """Network MLE as a function of the learning rate.

    The same initial conditions (and by default perturbation directions) are
    used for every learning rate. With ``start > 0`` each learning rate
    pre-trains its own references before the perturbation.

    Parameters
    ----------
    model, data, steps, eps, n_init, n_pert, seed, scope, start, theta0, init_scale, init_scheme
        As for :func:`perturbation_ensemble`.
    lr_values : array_like of shape (n_values,)
        Learning rates, > 0, distinct.
    same_perturbations, fit, mle, record, progress, checkpoint, resume, executor, chunk_size
        As for :func:`eps_sweep`.
    test_metrics : bool, default False
        Record the references' test loss and accuracy (then
        ``final_test_accuracy`` is filled), e.g. to relate the exponent to
        generalisation.

    Returns
    -------
    SweepResult
        Keyed by learning rate (float).

    Notes
    -----
    Divergent learning rates are not an error: diverged trajectories are
    flagged, counted in ``n_diverged`` and their exponents are NaN.
    """
    base, progress, same = _sweep_base(model, data, 1.0, steps, eps, n_init, n_pert, seed, scope,
                                       start, theta0, init_scale, init_scheme, test_metrics, fit,
                                       mle, progress, same_perturbations)
    base["record"] = _check_record(record)
    return _sweep("lr", lr_values, base, progress, same, checkpoint, resume, seed is not None,
                  executor, chunk_size)


# ============================================================================
# finite network Lyapunov exponents
# ============================================================================
def _as_distance_array(distances):
    if hasattr(distances, "distances") and not isinstance(distances, np.ndarray):
        distances = distances.distances
    arr = as_float_array(distances, "distances", ndim=(1, 2, 3), finite=False)
    with np.errstate(invalid="ignore"):
        if np.any(arr < 0):
            raise ValueError("distances must be >= 0")
    if arr.ndim == 1:
        arr = arr[None]
    if arr.ndim == 3:
        if arr.shape[1] == 0:
            raise ValueError("distances has no perturbations (axis 1 is empty)")
        # a NaN member makes the mean NaN: divergence is reported, never averaged away
        arr = arr.mean(axis=1)
    if arr.shape[0] == 0:
        raise ValueError("distances has no initial conditions")
    return arr


def _saturation(y, fraction, min_rise):
    """Saturation step of one finite log-distance series, or None."""
    fin = np.isfinite(y)
    if not fin.any():
        return None
    yf = np.where(fin, y, -np.inf)
    top = int(np.argmax(yf))
    low_part = np.where(fin[:top + 1], y[:top + 1], np.inf)
    bottom = int(np.argmin(low_part))
    rise = y[top] - y[bottom]
    if not rise >= min_rise:
        return None
    level = y[top] - fraction * rise
    after = np.nonzero(fin[bottom:top + 1] & (y[bottom:top + 1] >= level))[0]
    return bottom + int(after[0])


def _windows(T_use, starts, lengths, min_window):
    """Candidate windows [a, b) inside [0, T_use) as two int arrays."""
    s = starts[starts < T_use]
    if lengths is None:  # anchored at the saturation step (Eq. 3: ends at tau)
        a = s
        b = np.full_like(s, T_use)
    elif isinstance(lengths, str):  # "all"
        a, b = np.meshgrid(s, np.arange(T_use + 1), indexing="ij")
        a, b = a.ravel(), b.ravel()
    else:
        a, L = np.meshgrid(s, lengths, indexing="ij")
        a, b = a.ravel(), (a + L).ravel()
    ok = (b - a >= min_window) & (b <= T_use)
    return a[ok], b[ok]


def _fit_line(t, y):
    """Least squares y ~ c + m t on centred data: (slope, intercept, r2)."""
    tc = t - t.mean()
    yc = y - y.mean()
    stt = np.dot(tc, tc)
    syy = np.dot(yc, yc)
    sty = np.dot(tc, yc)
    slope = sty / stt
    r2 = (sty * sty) / (stt * syy) if syy > 0 else np.nan
    return slope, y.mean() - slope * t.mean(), r2


def _best_window(y, a, b):
    """Index of the best-R^2 window among candidates (-1 if none valid) and its status."""
    T = y.size
    fin = np.isfinite(y)
    t = np.arange(T, dtype=np.float64)
    # windows must lie entirely on finite values
    bad = np.concatenate([[0], np.cumsum(~fin)])
    ok = (bad[b] - bad[a]) == 0
    if not ok.any():
        return -1, "zero_distance"
    a, b = a[ok], b[ok]
    idx = np.nonzero(ok)[0]
    # prefix sums on centred values for all windows at once
    y0 = np.where(fin, y, 0.0)
    yc = y0 - (y0[fin].mean() if fin.any() else 0.0)
    tc = t - t.mean()
    cs = lambda v: np.concatenate([[0.0], np.cumsum(v)])  # noqa: E731
    S_t, S_tt, S_y, S_yy, S_ty = cs(tc), cs(tc * tc), cs(yc), cs(yc * yc), cs(tc * yc)
    n = (b - a).astype(np.float64)
    st, sy = S_t[b] - S_t[a], S_y[b] - S_y[a]
    vt = (S_tt[b] - S_tt[a]) - st * st / n
    vy = (S_yy[b] - S_yy[a]) - sy * sy / n
    cty = (S_ty[b] - S_ty[a]) - st * sy / n
    scale = np.maximum(S_yy[b] - S_yy[a], 1e-300)
    valid = vy > 1e-14 * scale
    if not valid.any():
        return -1, "flat"
    r2 = np.full(a.shape, -np.inf)
    r2[valid] = np.clip(cty[valid] ** 2 / (vt[valid] * vy[valid]), 0.0, 1.0)
    best = r2.max()
    # ties (to rounding): the longest window, then the earliest
    tied = np.nonzero(r2 >= best - 1e-12)[0]
    length = b[tied] - a[tied]
    cand = tied[length == length.max()]
    k = cand[np.argmin(a[cand])]
    return idx[k], "ok"


def finite_lyapunov(distances, min_window=20, starts=None, lengths="all", max_steps=None,
                    saturation=True, saturation_fraction=0.1, min_rise=1.0):
    """Finite network Lyapunov exponents, one per initial condition (Eq. 3 of [1]_).

    For each initial condition the distances are averaged over the
    perturbations, ``y(t) = ln(mean_j d_j(t))``, and Lambda is the slope of a
    least-squares line ``y ~ c + Lambda t`` over the candidate window with the
    best R^2.

    Parameters
    ----------
    distances : array_like of shape (n_init, n_pert, T), (n_init, T) or (T,)
        Distances d_j(t) >= 0 between perturbed and reference trajectories
        (already averaged over perturbations when 2-D; one series when 1-D),
        or an :class:`EnsembleResult`.
    min_window : int, default 20
        Minimum number of points of a fit window, >= 3.
    starts : int or array_like of int, optional
        Candidate window starts. An int is a stride: ``0, s, 2s, ...``;
        default stride 5.
    lengths : "all", None or array_like of int, default "all"
        Candidate window lengths. ``"all"`` (default): every length >=
        ``min_window`` that ends at or before the saturation step tau. None:
        every window runs from its start up to tau, ``[start, tau + 1)``
        (the end pinned at tau, only the start floats). An array: those
        lengths (windows still end at or before tau).
    max_steps : int, optional
        Use only ``t = 0 .. max_steps``.
    saturation : bool or int or array_like of int, default True
        True detects the saturation step of every series (below); False uses
        the last step; an int or an (n_init,) int array gives it explicitly.
    saturation_fraction : float, default 0.1
        The saturation step is the first step at which y comes within this
        fraction of its total rise below its maximum.
    min_rise : float, default 1.0
        A series whose ln-distance never rises by at least ``min_rise`` has no
        saturation (all steps are usable, e.g. decaying distances).

    Returns
    -------
    FiniteLyapunovResult
        ``exponent`` (n_init,), ``r2`` (n_init,), ``window`` (n_init, 2),
        ``saturation_step`` (n_init,), ``log_mean_distance`` (n_init, T),
        ``reason`` (n_init,) — a 1-D input is one initial condition, so the
        arrays have length 1.

    Notes
    -----
    Eq. 3 of [1]_ reads ``Lambda = (1/tau) ln(<d(tau)> / <d(0)>)`` with tau the
    saturation time, "found numerically as the window with the best
    exponential fit" [1]_, [2]_. Here:

    1. ``y(t) = ln(mean_j d_j(t))`` (the mean of distances, then the log, as
       in Eq. 3).
    2. Saturation: with ``top`` the first maximum of y and ``bottom`` the
       minimum of y before it, ``rise = y[top] - y[bottom]``; tau is the first
       step after ``bottom`` where ``y >= y[top] - saturation_fraction *
       rise``. No window extends past tau, so the plateau where the distance
       has reached the size of the attractor never enters a fit. If
       ``rise < min_rise`` there is no saturation and tau is the last step.
    3. Candidate windows ``[a, b)`` (``a`` in ``starts``, lengths as above,
       at least ``min_window`` points, finite y throughout); each gets an
       ordinary least-squares line and its R^2; the best R^2 wins, ties to
       rounding going to the longest then earliest window. The starts let
       the fit skip the initial transient in which a random perturbation
       aligns with the most unstable direction (and may even shrink) [3]_.

    Why free windows of at least 20 points: the search is the one of [1]_
    ("the window yielding the best exponential fit"), so a series whose best
    straight stretch is flat gets a small Lambda and is dropped by the
    Lambda > 0.05 filter of :func:`network_mle` -- that is what the filter
    is for. At lr = 1, ln d(t) grows in steps with short, very smooth,
    nearly flat stretches between bursts (period-2 oscillations of the GD
    map at the edge of stability); windows shorter than about 20 steps fit
    such a stretch with R^2 ~ 0.999 and report ~0 for an evidently
    diverging initial condition. Measured on the reference protocol
    (Iris 4-10-3, lr = 1, 5 perturbations, 200 steps, 500 initial
    conditions; lambda_nMLE / kept fraction):

    ========================  =============  =============  =============
    window rule               eps = 1e-8     eps = 1e-10    eps = 1e-14
    ========================  =============  =============  =============
    free, >= 20 (default)     0.31 / 0.85    0.32 / 0.88    0.34 / 0.91
    free, >= 10               0.37 / 0.80    0.39 / 0.83    0.40 / 0.85
    end pinned at tau, >= 10  0.34 / 0.98    0.35 / 0.99    0.36 / 0.99
    start pinned at 0, >= 10  0.24 / 0.69    0.23 / 0.76    0.24 / 0.86
    ========================  =============  =============  =============

    [1]_ reports about 0.33 with about 90 % kept. Pinning the end at tau
    (``lengths=None``) keeps nearly every initial condition, because every
    fit then spans the whole divergence phase.

    The exponent is in units of 1/step. With the L1 distance the slope is
    the maximal Lyapunov exponent only asymptotically (the L1 norm of a
    vector growing along one direction grows at the same rate, up to
    transients of the other directions).

    NaN results, each with a ``reason`` code (see :data:`REASONS`), never a
    warning: all-zero distances (``eps = 0``), NaN/inf distances (a diverged
    trajectory anywhere in the series), no window long enough before
    saturation, and exactly constant series.

    References
    ----------
    .. [1] Danovski, Soriano, Lacasa (2024), Eq. 3 and Fig. 8.
    .. [2] Caligiuri et al., Phys. Rev. E 108, 044305 (2023).
    .. [3] Benettin et al., Meccanica 15, 9-20 (1980).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(200)
    >>> d = 1e-7 * np.exp(0.3 * np.minimum(t, 60))   # exponential, then a plateau
    >>> fl = finite_lyapunov(d)
    >>> round(float(fl.exponent[0]), 6), str(fl.reason[0])
    (0.3, 'ok')
    """
    D = _as_distance_array(distances)
    min_window = check_int(min_window, "min_window", minimum=3)
    if max_steps is not None:
        max_steps = check_int(max_steps, "max_steps", minimum=1)
        D = D[:, :max_steps + 1]
    n_init, T = D.shape
    # candidate starts
    if starts is None:
        starts_arr = np.arange(0, T, 5, dtype=np.int64)
    elif isinstance(starts, numbers.Integral) and not isinstance(starts, bool):
        stride = check_int(starts, "starts", minimum=1)
        starts_arr = np.arange(0, T, stride, dtype=np.int64)
    else:
        s = as_array(starts, "starts")
        if s.ndim != 1 or s.size == 0 or not np.issubdtype(s.dtype, np.integer):
            raise ValueError("starts must be a positive int stride or a non-empty 1-D array of "
                             "int steps")
        if np.any(s < 0):
            raise ValueError("starts must be >= 0")
        starts_arr = np.unique(s.astype(np.int64))
    # candidate lengths
    if lengths is None:
        lengths_arg = None
    elif isinstance(lengths, str):
        if lengths != "all":
            raise ValueError(f"lengths must be None, 'all' or an array of ints, got {lengths!r}")
        lengths_arg = "all"
    else:
        L = as_array(lengths, "lengths")
        if L.ndim != 1 or L.size == 0 or not np.issubdtype(L.dtype, np.integer):
            raise ValueError("lengths must be None, 'all' or a non-empty 1-D array of ints")
        if np.any(L < 3):
            raise ValueError("lengths must be >= 3 (a line through fewer points has no R^2)")
        lengths_arg = np.unique(L.astype(np.int64))
    # saturation
    if isinstance(saturation, (bool, np.bool_)):
        detect, given = bool(saturation), None
    else:
        sat = as_array(saturation, "saturation")
        if not np.issubdtype(sat.dtype, np.integer) or sat.ndim > 1:
            raise TypeError("saturation must be True, False, an int step or an int array of "
                            "shape (n_init,)")
        if sat.ndim == 1 and sat.shape != (n_init,):
            raise ValueError(f"saturation must be one int step or an int array of shape "
                             f"({n_init},), got shape {sat.shape}")
        given = np.broadcast_to(sat, (n_init,)).astype(np.int64)
        if np.any(given < 0):
            raise ValueError("saturation steps must be >= 0")
        detect = False
    frac = check_positive(saturation_fraction, "saturation_fraction")
    if frac >= 1:
        raise ValueError(f"saturation_fraction must be < 1, got {frac}")
    min_rise = _check_nonneg(min_rise, "min_rise")

    with np.errstate(divide="ignore", invalid="ignore"):
        Y = np.log(D)

    exponent = np.full(n_init, np.nan)
    intercept = np.full(n_init, np.nan)
    r2 = np.full(n_init, np.nan)
    window = np.full((n_init, 2), -1, dtype=np.int64)
    sat_step = np.full(n_init, T - 1, dtype=np.int64)
    saturated = np.zeros(n_init, dtype=bool)
    reason = np.full(n_init, "ok", dtype="<U16")
    t_all = np.arange(T, dtype=np.float64)

    for i in range(n_init):
        y = Y[i]
        d = D[i]
        if np.any(np.isnan(d)) or np.any(np.isinf(d)):
            reason[i] = "nonfinite"
            continue
        if not np.any(d > 0):
            reason[i] = "zero_distance"
            continue
        if given is not None:
            tau = int(min(given[i], T - 1))
            saturated[i] = True
        elif detect:
            s = _saturation(y, frac, min_rise)
            tau = T - 1 if s is None else s
            saturated[i] = s is not None
        else:
            tau = T - 1
        sat_step[i] = tau
        a, b = _windows(tau + 1, starts_arr, lengths_arg, min_window)
        if a.size == 0:
            reason[i] = "too_short"
            continue
        k, status = _best_window(y, a, b)
        if k < 0:
            reason[i] = status
            continue
        lo, hi = int(a[k]), int(b[k])
        slope, icpt, rr = _fit_line(t_all[lo:hi], y[lo:hi])
        exponent[i], intercept[i], r2[i] = slope, icpt, rr
        window[i] = (lo, hi)

    return FiniteLyapunovResult(
        exponent=exponent, r2=r2, intercept=intercept, window=window,
        saturation_step=sat_step, saturated=saturated, log_mean_distance=Y, reason=reason,
        min_window=min_window, starts=starts_arr, lengths=lengths_arg,
        saturation_fraction=frac, min_rise=min_rise, max_steps=max_steps,
    )


# ============================================================================
# network maximum Lyapunov exponent
# ============================================================================
def network_mle(fl, r2=None, min_r2=0.9, min_exponent=0.05, n_boot=1000, ci=0.95, seed=None):
    """Network maximum Lyapunov exponent lambda_nMLE from finite exponents [1]_, [2]_.

    Parameters
    ----------
    fl : FiniteLyapunovResult or array_like of shape (n,)
        Finite exponents Lambda, one per initial condition (NaN allowed).
    r2 : array_like of shape (n,), optional
        R^2 of each fit; taken from ``fl`` when it is a
        :class:`FiniteLyapunovResult`. None with plain exponents: no R^2 filter.
    min_r2 : float, default 0.9
        Keep fits with ``r2 > min_r2``.
    min_exponent : float, default 0.05
        Keep exponents ``> min_exponent`` (cases without visible exponential
        divergence are excluded, as in [1]_).
    n_boot : int, default 1000
        Bootstrap resamples for the interval of the mean (0: no interval).
    ci : float, default 0.95
        Level of the bootstrap percentile interval, in (0, 1).
    seed : int, numpy.random.Generator, SeedSequence or None
        Seed of the bootstrap.

    Returns
    -------
    NetworkMLE
        ``value``, ``std``, ``ci``, ``kept`` (n,), ``kept_fraction``, ``rho``,
        ``n``, ``n_nan``.

    Notes
    -----
    lambda_nMLE is the mean of the kept Lambda, meaningful when P(Lambda) is
    unimodal [1]_. ``kept_fraction`` counts all initial conditions in the
    denominator (NaN ones included), as the "about 90 % kept" of [1]_.
    ``rho`` is the fraction of positive exponents among the finite ones,
    before any filtering. The interval is the percentile bootstrap [4]_ of
    the mean of the kept exponents: resample them with replacement
    ``n_boot`` times and take the ``(1 - ci)/2`` and ``(1 + ci)/2``
    quantiles of the resampled means.

    References
    ----------
    .. [1] Danovski, Soriano, Lacasa (2024), Sec. 4.1 and Fig. 8.
    .. [2] Caligiuri et al., Phys. Rev. E 108, 044305 (2023).
    .. [4] Efron, Annals of Statistics 7, 1-26 (1979).
    """
    if isinstance(fl, FiniteLyapunovResult):
        if r2 is not None:
            raise ValueError("r2 must be None when fl is a FiniteLyapunovResult (it has its own)")
        lam = np.asarray(fl.exponent, dtype=np.float64)
        r2_arr = np.asarray(fl.r2, dtype=np.float64)
    else:
        lam = as_float_array(fl, "fl", ndim=1, finite=False)
        if r2 is None:
            r2_arr = None
        else:
            r2_arr = as_float_array(r2, "r2", ndim=1, finite=False)
            if r2_arr.shape != lam.shape:
                raise ValueError(f"r2 must have the shape of the exponents {lam.shape}, "
                                 f"got {r2_arr.shape}")
    if lam.size == 0:
        raise ValueError("fl holds no exponents")
    with np.errstate(invalid="ignore"):
        if np.any(np.abs(lam[np.isfinite(lam)]) > 1e150):
            raise ValueError("fl holds exponents above 1e150 in magnitude, which float64 cannot "
                             "average (an exponent is a rate per step)")
    if isinstance(min_r2, bool) or not isinstance(min_r2, numbers.Real):
        raise TypeError(f"min_r2 must be a real number, got {type(min_r2).__name__}")
    if isinstance(min_exponent, bool) or not isinstance(min_exponent, numbers.Real):
        raise TypeError(f"min_exponent must be a real number, got {type(min_exponent).__name__}")
    n_boot = check_int(n_boot, "n_boot", minimum=0)
    level = check_positive(ci, "ci")
    if level >= 1:
        raise ValueError(f"ci must lie in (0, 1), got {level}")
    entropy = _seed_entropy(seed)

    finite = np.isfinite(lam)
    kept = finite & (lam > float(min_exponent))
    if r2_arr is not None:
        with np.errstate(invalid="ignore"):
            kept &= np.isfinite(r2_arr) & (r2_arr > float(min_r2))
    vals = lam[kept]
    m = vals.size
    value = float(vals.mean()) if m else np.nan
    std = float(vals.std(ddof=1)) if m > 1 else np.nan
    lo = hi = np.nan
    if m > 1 and n_boot > 0:
        rng = np.random.default_rng(entropy)
        means = np.empty(n_boot)
        chunk = max(1, 2_000_000 // m)
        for s in range(0, n_boot, chunk):
            e = min(n_boot, s + chunk)
            means[s:e] = vals[rng.integers(0, m, size=(e - s, m))].mean(axis=1)
        lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
        lo, hi = float(lo), float(hi)
    n_fin = int(finite.sum())
    rho = float(np.mean(lam[finite] > 0)) if n_fin else np.nan
    return NetworkMLE(
        value=value, std=std, ci=(lo, hi), kept=kept, n_kept=int(m),
        kept_fraction=m / lam.size, rho=rho, n=int(lam.size), n_nan=int(lam.size - n_fin),
        exponents=lam, min_r2=float(min_r2), min_exponent=float(min_exponent),
        n_boot=n_boot, ci_level=level, seed=entropy,
        n_diverged=fl.n_diverged if isinstance(fl, FiniteLyapunovResult) else 0,
    )


# ============================================================================
# weight-level measures
# ============================================================================
def _check_params(params):
    arr = as_float_array(params, "params", ndim=(2, 3), finite=False)
    if arr.shape[-2] < 1:
        raise ValueError("params needs at least one recorded step (axis -2)")
    return arr


def displacement(params, floor=0.0):
    """Relative net displacement of every parameter over a trajectory.

    ``Delta_w = |w(T) - w(0)| / max(|w(0)|, floor)``.

    Parameters
    ----------
    params : array_like of shape (T, n_params) or (K, T, n_params)
        Recorded parameters, e.g. ``train(..., record="params").params``.
    floor : float, default 0
        Lower bound of the denominator. With the default 0, parameters
        starting at exactly 0 (the biases of the reference initialisation)
        get NaN; a positive floor turns them into ``|w(T)| / floor``.

    Returns
    -------
    ndarray of shape (n_params,) or (K, n_params)

    Notes
    -----
    Displacement measures how far a weight ends up from where it started,
    :func:`path_length` how much it travelled; their ratio tells straight
    drifts from oscillation. NaN in the record (a diverged trajectory)
    propagates. No warning is raised for the 0/0 cases.
    """
    arr = _check_params(params)
    floor = _check_nonneg(floor, "floor")
    w0 = arr[..., 0, :]
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf in a diverged record
        num = np.abs(arr[..., -1, :] - w0)
        den = np.maximum(np.abs(w0), floor)
        out = np.full(num.shape, np.nan)
        np.divide(num, den, out=out, where=den > 0)
    return out


def path_length(params):
    """Total distance travelled by every parameter, ``D_w = sum_t |w(t) - w(t-1)|``.

    Parameters
    ----------
    params : array_like of shape (T, n_params) or (K, T, n_params)

    Returns
    -------
    ndarray of shape (n_params,) or (K, n_params)

    Notes
    -----
    Computed on the recorded steps: with ``record="params", every > 1`` it
    is a lower bound of the path length of the full trajectory. NaN in the
    record propagates.
    """
    arr = _check_params(params)
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf in a diverged record
        return np.abs(np.diff(arr, axis=-2)).sum(axis=-2)


def ablation_importance(model, theta, X, y, scope="all", chunk=256):
    """Loss change when each parameter alone is set to zero.

    ``I_i = L(theta with theta_i = 0) - L(theta)``.

    Parameters
    ----------
    model : MLP
    theta : array_like of shape (n_params,)
    X : array_like of shape (n_samples, n_inputs)
    y : array_like of shape (n_samples,) or (n_samples, n_outputs)
    scope : {"all", "weights"}
        Ablate every parameter, or only weight-matrix entries (biases NaN).
    chunk : int, default 256
        Ablated copies evaluated per call of ``model.loss``.

    Returns
    -------
    ndarray of shape (n_params,)

    Notes
    -----
    The ablated copies are evaluated as an ensemble ``(k, n_params)`` in one
    ``model.loss`` call per chunk, so the cost is that of ``n_params`` loss
    evaluations and memory is ``chunk * n_params``. A parameter already
    equal to 0 has importance exactly 0.
    """
    _check_model(model)
    th = as_float_array(theta, "theta", ndim=1)
    if th.shape[0] != model.n_params:
        raise ValueError(f"theta must have {model.n_params} parameters, got shape {th.shape}")
    scope = _check_scope(scope)
    chunk = check_int(chunk, "chunk", minimum=1)
    base = float(model.loss(th, X, y))
    idx = np.arange(model.n_params) if scope == "all" else np.nonzero(model.weight_mask)[0]
    out = np.full(model.n_params, np.nan)
    for s in range(0, idx.size, chunk):
        sel = idx[s:s + chunk]
        copies = np.repeat(th[None], sel.size, axis=0)
        copies[np.arange(sel.size), sel] = 0.0
        out[sel] = np.asarray(model.loss(copies, X, y)) - base
    return out
