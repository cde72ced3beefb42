"""Finite network Lyapunov exponents and the network maximum Lyapunov exponent.

The growth rate of the mean distance between perturbed trajectories and
their reference is the finite network Lyapunov exponent of one initial
condition (:func:`finite_lyapunov`, Eq. 3 of [1]_), fitted over the window of
best R^2; the mean over initial conditions of the well-fitted positive
exponents is the network maximum Lyapunov exponent (:func:`network_mle`, [1]_,
[2]_) with a bootstrap interval [3]_. Both take plain arrays, so distances
recorded by any framework can be analysed.

References
----------
.. [1] K. Danovski, M. C. Soriano, L. Lacasa, "Dynamical stability and chaos
   in artificial neural network trajectories along training", Frontiers in
   Complex Systems 2, 1367957 (2024).
.. [2] A. Caligiuri, V. M. Eguiluz, L. Di Gaetano, T. Galla, L. Lacasa,
   "Lyapunov exponents for temporal networks", Phys. Rev. E 108, 044305 (2023).
.. [3] B. Efron, "Bootstrap methods: another look at the jackknife", Annals of
   Statistics 7, 1-26 (1979).
"""

import numbers
from dataclasses import dataclass

import numpy as np

from ._fit import line_fit, slope_stderr, window_slopes
from ._random import seed_entropy
from ._results import Result, fmt, renamed_field
from ._validate import (
    as_array,
    as_float_array,
    check_int,
    check_positive,
    distance_layout,
    to_numpy,
)

__all__ = ["REASONS", "MLE_REASONS", "FiniteLyapunovResult", "NetworkMLE", "finite_lyapunov",
           "network_mle", "slope_stderr"]

#: Codes of :attr:`FiniteLyapunovResult.reason`, with their meaning.
REASONS = {
    "ok": "exponent fitted",
    "zero_distance": "the mean distance is zero (eps=0 or identical trajectories): ln 0 "
                     "leaves no window of finite values",
    "nonfinite": "the distance series holds NaN or inf (a trajectory diverged)",
    "too_short": "no candidate window of at least min_window steps before saturation",
    "flat": "ln d is exactly constant on every candidate window (R^2 undefined)",
}


#: Codes of :attr:`NetworkMLE.reason`: why ``exponent``, ``std`` or ``ci`` is NaN.
MLE_REASONS = {
    "ok": "exponent, std and ci computed",
    "all_nan": "every exponent is NaN (see the reason codes of the fits): all NaN",
    "none_kept": "no exponent passes min_r2 and min_exponent: all NaN",
    "one_kept": "a single exponent kept: std and ci are NaN",
    "no_bootstrap": "n_boot = 0: ci is NaN",
}


@dataclass(repr=False)
class FiniteLyapunovResult(Result):
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
    stderr : ndarray of shape (n_init,)
        Standard error of the fitted slope, corrected for the serial
        correlation of the fit's residuals
        (:func:`~netchaos.exponents.slope_stderr`); NaN without a fit.
    window_spread : ndarray of shape (n_init,)
        Standard deviation of the slopes of every candidate window (the
        uncertainty that comes from choosing the window); NaN without a fit.
    min_window, starts, lengths, saturation_fraction, min_rise, max_steps
        The parameters used (``starts`` as the array of candidate starts).

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> fl = nc.finite_lyapunov(1e-8 * np.exp(0.2 * np.arange(100)))
    >>> fl.window.tolist(), fl.saturation_step.tolist(), round(float(fl.r2[0]), 6)
    ([[0, 91]], [90], 1.0)
    >>> nc.finite_lyapunov(np.zeros((2, 3, 50))).reason.tolist()   # eps = 0
    ['zero_distance', 'zero_distance']
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
    stderr: np.ndarray = None
    window_spread: np.ndarray = None

    def __post_init__(self):
        # files saved before the fits had uncertainties
        if self.exponent is None:
            return
        if self.stderr is None:
            self.stderr = np.full(self.exponent.shape, np.nan)
        if self.window_spread is None:
            self.window_spread = np.full(self.exponent.shape, np.nan)

    @property
    def n_init(self):
        """Number of initial conditions (rows)."""
        return int(self.exponent.shape[0])

    @property
    def n_diverged(self):
        """Initial conditions whose distance series is non-finite (reason ``"nonfinite"``)."""
        return int(np.sum(self.reason == "nonfinite"))

    def __repr__(self):
        ok = self.reason == "ok"
        mean = np.mean(self.exponent[ok]) if ok.any() else np.nan
        return (f"FiniteLyapunovResult(n_init={self.n_init}, n_fitted={int(ok.sum())}, "
                f"mean exponent={fmt(float(mean))}, T={self.log_mean_distance.shape[1]})")


@dataclass(repr=False)
class NetworkMLE(Result):
    """Outcome of :func:`network_mle`.

    Attributes
    ----------
    exponent : float
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
    reason : str
        ``"ok"`` or why ``exponent``, ``std`` or ``ci`` is NaN; the codes are in
        :data:`MLE_REASONS`.

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> m = nc.network_mle([0.3, 0.35, 0.4, np.nan, 0.01], seed=0)
    >>> round(m.exponent, 3), m.n_kept, m.n_nan, m.kept_fraction, m.rho
    (0.35, 3, 1, 0.6, 1.0)
    """

    exponent: float
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
    reason: str = "ok"

    def __repr__(self):
        return (f"NetworkMLE(exponent={fmt(self.exponent)}, std={fmt(self.std)}, "
                f"ci=({fmt(self.ci[0])}, {fmt(self.ci[1])}), kept={self.n_kept}/{self.n}, "
                f"rho={fmt(self.rho)}, n_nan={self.n_nan}, n_diverged={self.n_diverged})")


def _as_distance_array(distances, layout=None):
    if hasattr(distances, "distances") and not isinstance(distances, np.ndarray):
        distances = distances.distances
    arr = as_float_array(to_numpy(distances, "distances"), "distances", ndim=(1, 2, 3),
                         finite=False)
    arr = distance_layout(arr, layout)     # (n_init, n_pert, T); a 2-D array needs layout
    with np.errstate(invalid="ignore"):
        if np.any(arr < 0):
            raise ValueError("distances must be >= 0")
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
                    saturation=True, saturation_fraction=0.1, min_rise=1.0, layout=None):
    """Finite network Lyapunov exponents, one per initial condition (Eq. 3 of [1]_).

    For each initial condition the distances are averaged over the
    perturbations, ``y(t) = ln(mean_j d_j(t))``, and Lambda is the slope of a
    least-squares line ``y ~ c + Lambda t`` over the candidate window with the
    best R^2.

    Parameters
    ----------
    distances : array_like of shape (n_init, n_pert, T) or (T,), or 2-D with ``layout``
        Distances d_j(t) >= 0 between perturbed and reference trajectories
        (one series when 1-D), or an :class:`EnsembleResult`. A 2-D array is
        ambiguous -- (n_init, T) means over the perturbations, one initial
        condition's (n_pert, T), or either time first -- and is refused with a
        ValueError unless ``layout`` names its axes (``layout="init,t"`` for
        the (n_init, T) means).
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
    layout : str, optional
        The axes of a recorded array, as in
        :meth:`netchaos.EnsembleResult.from_arrays`: ``"pert,t"`` for one initial
        condition's (n_pert, T) array, ``"t,pert"`` time first, ``"init,t"`` for
        the (n_init, T) means, ``"init,pert,t"``...
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
    D = _as_distance_array(distances, layout)
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
    min_rise = check_positive(min_rise, "min_rise", allow_zero=True)

    with np.errstate(divide="ignore", invalid="ignore"):
        Y = np.log(D)

    exponent = np.full(n_init, np.nan)
    intercept = np.full(n_init, np.nan)
    r2 = np.full(n_init, np.nan)
    stderr = np.full(n_init, np.nan)
    spread = np.full(n_init, np.nan)
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
        slope, icpt, rr = line_fit(t_all[lo:hi], y[lo:hi])
        exponent[i], intercept[i], r2[i] = slope, icpt, rr
        stderr[i] = slope_stderr(t_all[lo:hi], y[lo:hi], slope, icpt)
        fin = np.isfinite(y)
        if fin.all():
            slopes = window_slopes(y, a, b)
            spread[i] = float(np.std(slopes)) if slopes.size else np.nan
        window[i] = (lo, hi)

    return FiniteLyapunovResult(
        exponent=exponent, r2=r2, intercept=intercept, window=window,
        saturation_step=sat_step, saturated=saturated, log_mean_distance=Y, reason=reason,
        min_window=min_window, starts=starts_arr, lengths=lengths_arg,
        saturation_fraction=frac, min_rise=min_rise, max_steps=max_steps, stderr=stderr,
        window_spread=spread,
    )


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
        ``exponent`` (lambda_nMLE; ``value`` is its deprecated alias), ``std``,
        ``ci``, ``kept`` (n,), ``kept_fraction``, ``rho``, ``n``, ``n_nan``,
        ``n_diverged``.

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

    Examples
    --------
    Three initial conditions whose distances grow at 0.2, 0.3 and 0.4 per step
    before saturating:

    >>> import numpy as np
    >>> import netchaos as nc
    >>> rates = np.array([0.2, 0.3, 0.4])
    >>> d = 1e-8 * np.exp(rates[:, None] * np.minimum(np.arange(150), 50))   # (n_init, T)
    >>> m = nc.network_mle(nc.finite_lyapunov(d, layout="init,t"), seed=0)
    >>> round(m.exponent, 3), m.n_kept, m.ci[0] < m.exponent < m.ci[1]
    (0.3, 3, True)
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
    entropy = seed_entropy(seed)

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
    reason = ("all_nan" if n_fin == 0 else "none_kept" if m == 0 else "one_kept" if m == 1
              else "no_bootstrap" if n_boot == 0 else "ok")
    return NetworkMLE(
        exponent=value, std=std, ci=(lo, hi), kept=kept, n_kept=int(m),
        kept_fraction=m / lam.size, rho=rho, n=int(lam.size), n_nan=int(lam.size - n_fin),
        exponents=lam, min_r2=float(min_r2), min_exponent=float(min_exponent),
        n_boot=n_boot, ci_level=level, seed=entropy,
        n_diverged=fl.n_diverged if isinstance(fl, FiniteLyapunovResult) else 0,
        reason=reason,
    )


renamed_field(NetworkMLE, "value", "exponent")
