"""Rosenstein's estimator of the largest Lyapunov exponent of a scalar series."""

from dataclasses import dataclass, field

import numpy as np

from .._results import Result, fmt, renamed_field
from .._validate import check_choice, check_int, renamed_keywords, rng_from
from ._common import (
    SURROGATES,
    as_series,
    check_dt,
    check_surrogates,
    curve_axis,
    embed,
    fit_curve,
    rounding_scale,
    surrogate_test,
)

__all__ = ["RosensteinResult", "rosenstein"]


@dataclass(repr=False)
class RosensteinResult(Result):
    """Outcome of :func:`rosenstein`.

    Attributes
    ----------
    t : ndarray of shape (n_t,)
        Time offsets of the curve points in units of ``dt`` (formerly
        ``steps``), as in :class:`KantzResult`.
    divergence : ndarray of shape (n_t,)
        ``<ln d_j(t)>``: mean over reference points j of the log distance to
        their nearest neighbour after time t (exact zeros skipped).
    exponent : float
        Slope of the linear fit of ``divergence`` against ``t`` over
        ``window`` (per unit of ``dt``); NaN with a ``reason``.
    window : tuple of int
        ``(start, stop)``: the fit uses ``t[start:stop]``.
    intercept, r2 : float
    p_value : float
    significant : bool
    dim, delay, theiler : int
    surrogate_exponents : ndarray of shape (n_surrogates,)
    tested_exponent : float
        As in :class:`KantzResult`.
    alpha : float
    dt : float
        Sampling interval: the unit of ``t``.
    reason : str or None
        Why ``exponent`` or ``p_value`` is NaN (codes in
        ``netchaos.timeseries.REASONS``), None when both are finite.

    Examples
    --------
    >>> import netchaos as nc
    >>> x = nc.systems.orbit(nc.systems.logistic(4.0), 0.3, 1000)[:, 0]
    >>> res = nc.rosenstein(x, dim=2, n_surrogates=0, seed=0)
    >>> res.t.shape, res.divergence.shape, res.window
    ((21,), (21,), (1, 8))
    """

    t: np.ndarray
    divergence: np.ndarray
    exponent: float
    window: tuple
    intercept: float
    r2: float
    p_value: float
    significant: bool
    dim: int = None
    delay: int = None
    theiler: int = None
    surrogate_exponents: np.ndarray = field(default_factory=lambda: np.empty(0))
    tested_exponent: float = np.nan
    alpha: float = 0.05
    dt: float = 1.0
    reason: str = None

    def __repr__(self):
        return (f"RosensteinResult(exponent={fmt(self.exponent)}, "
                f"window={tuple(self.window)}, r2={fmt(self.r2, 3)}, "
                f"p_value={fmt(self.p_value, 3)}, significant={bool(self.significant)}, "
                f"dim={self.dim}, theiler={self.theiler})")


def _rosenstein_curve(x, dim, delay, theiler, offsets):
    """<ln d_j(t)> at the time offsets ``offsets``: (curve, n_ref, rejected)."""
    from scipy.spatial import cKDTree  # imported here: scipy costs 0.4 s of import time
    span = (dim - 1) * delay
    n_use = x.size - span - int(offsets[-1])
    X = embed(x[:n_use + span], dim, delay)
    tiny = rounding_scale(x)
    tree = cKDTree(X)
    nn = np.full(n_use, -1, dtype=np.int64)
    todo = np.arange(n_use)
    rejected = np.zeros(2, dtype=np.int64)     # closest candidates: in the window, rounding-level
    # a few neighbours usually suffice; 2 * theiler + 2 leave one outside the window, and
    # rounding-level copies (a period apart in a periodic series) need more: double k
    k = min(n_use, 8, 2 * theiler + 2)
    while todo.size:
        dist, idx = tree.query(X[todo], k=k)
        dist, idx = dist.reshape(todo.size, k), idx.reshape(todo.size, k)
        outside = np.abs(idx - todo[:, None]) > theiler
        ok = outside & (dist > tiny)
        first = np.argmax(ok, axis=1)
        hit = ok[np.arange(todo.size), first]
        nn[todo[hit]] = idx[hit, first[hit]]
        miss = ~hit
        if k >= n_use:
            rejected[0] = int(np.sum(miss & ~np.any(outside, axis=1)))
            rejected[1] = int(np.sum(miss & np.any(outside, axis=1)))
            break
        todo = todo[miss]
        k = min(n_use, max(2 * k, 2 * theiler + 2))
    refs = np.flatnonzero(nn >= 0)
    nn = nn[refs]
    out = np.full(offsets.size, np.nan)
    if refs.size == 0:
        return out, 0, rejected
    lags = np.arange(0, span + 1, delay)
    for k, i in enumerate(offsets):
        diff = x[(refs + i)[:, None] + lags] - x[(nn + i)[:, None] + lags]
        d = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        d = d[d > 0]                  # exact zeros are skipped, not floored
        if d.size:
            out[k] = np.mean(np.log(d))
    return out, int(refs.size), rejected


@renamed_keywords(min_tsep="theiler", fit="window")
def rosenstein(series, dim=5, delay=None, theiler=None, max_steps=None, window=None,
               n_surrogates=99, surrogate="phase", alpha=0.05, dt=1.0, seed=None, progress=False):
    """Largest Lyapunov exponent by the nearest-neighbour method of Rosenstein et al.

    Parameters
    ----------
    series : ndarray of shape (n,)
        Finite, non-constant samples at equal time steps ``dt``.
    dim : int, default 5
        Embedding dimension m.
    delay : int, optional
        Embedding delay (samples); default ``max(1, round(P / 10))`` with P
        the mean period, as in :func:`kantz`.
    theiler : int, optional
        Temporal separation: the nearest neighbour j of point i must have
        ``|i - j| > theiler``. Default: the mean period P of the series (the
        inverse of the power-weighted mean frequency of its periodogram),
        as Rosenstein et al. [1]_ suggest.
    max_steps : int, optional
        Largest time offset (samples); default and curve points as in
        :func:`kantz`.
    window : (int, int), optional
        Fit window: indices into ``t``; default the curve's linear region,
        found as in :func:`kantz`.
    n_surrogates : int, default 99
        Surrogates of the significance test (0: none, p-value NaN); a
        positive count needs ``1 / (n_surrogates + 1) < alpha``.
    surrogate : {"phase", "shuffle"}, default "phase"
        Null model, as in :func:`kantz`.
    alpha : float, default 0.05
    dt : float, default 1.0
        Sampling interval: ``t`` is in its units and the exponent per unit
        of time.
    seed : int or numpy.random.Generator, optional
    progress : bool, default False

    Returns
    -------
    RosensteinResult
        ``t`` and ``divergence`` of shape (n_t,), ``exponent``, ``window``,
        ``intercept``, ``r2``, ``p_value``, ``significant``, ``reason``.

    Raises
    ------
    ValueError
        Non-finite or constant series, too short (it needs
        ``(dim - 1) * delay + max_steps + 2 * theiler + 20`` points),
        ``n_surrogates`` too small to reach ``alpha``, bad parameters.

    Warns
    -----
    UserWarning
        An explicit ``max_steps`` below half the mean period (as in
        :func:`kantz`).

    Notes
    -----
    Every delay vector ``s_j`` whose future ``s_{j+max_steps}`` exists gets
    its Euclidean nearest neighbour ``s_{nn(j)}`` (k-d tree) among the
    points with ``|j - nn| > theiler`` and ``|s_j - s_nn| > delta``, where
    ``delta`` is the rounding-level distance defined in :func:`kantz` (a
    copy of s_j that differs from it by rounding error only never seeds a
    curve); ``d_j(t) = |s_{j+t} - s_{nn(j)+t}|`` and the divergence curve
    is ``y(t) = <ln d_j(t)>_j`` over the pairs with ``d_j(t) > 0`` (exact
    zeros, as in quantized data, are skipped, not floored). ``y(t) ~ ln d_0
    + lambda_1 t`` in the linear region [1]_. Unlike Kantz's method the
    single nearest neighbour needs no radius, but the curve is noisier for
    short series; and as the whole delay vectors are compared, the curve of
    pure noise climbs for about m steps before it levels off (so its fitted
    "exponent" is not 0 -- the surrogates show the same climb).

    Time axis, fit window and significance test are those of
    :func:`kantz`: the linear region before saturation, unless ``window``
    is given; ``n_surrogates`` phase-randomised (default) or shuffled
    surrogates analysed the same way, each with its own automatic window;
    ``p = (1 + #{surrogate exponents >= exponent}) / (n_surrogates + 1)``;
    significant means ``p < alpha`` with a positive exponent above the
    ``1 - alpha`` quantile of the surrogate exponents.

    References
    ----------
    .. [1] M. T. Rosenstein, J. J. Collins, C. J. De Luca, "A practical method
       for calculating largest Lyapunov exponents from small data sets",
       Physica D 65, 117-134 (1993).
    .. [2] H. Kantz, "A robust method to estimate the maximal Lyapunov
       exponent of a time series", Phys. Lett. A 185, 77-87 (1994).
    .. [3] R. Hegger, H. Kantz, T. Schreiber, "Practical implementation of
       nonlinear time series methods: The TISEAN package", Chaos 9, 413-435
       (1999).
    .. [4] K. Danovski, M. C. Soriano, L. Lacasa, "Dynamical stability and
       chaos in artificial neural network trajectories along training",
       Front. Complex Syst. 2 (2024).

    Examples
    --------
    The logistic map at r = 4 has exponent ln 2; with 39 surrogates the
    smallest attainable p-value is 1/40 < alpha:

    >>> import numpy as np
    >>> import netchaos as nc
    >>> x = nc.systems.orbit(nc.systems.logistic(4.0), 0.3, 1000)[:, 0]
    >>> res = nc.rosenstein(x, dim=2, n_surrogates=39, seed=0)
    >>> bool(abs(res.exponent - np.log(2)) < 0.05), res.p_value, res.significant
    (True, 0.025, True)

    An exactly periodic series is not chaotic:

    >>> sine = np.sin(2 * np.pi * np.arange(2000) / 10 + 0.4)
    >>> nc.rosenstein(sine, n_surrogates=39, seed=1).significant
    False
    """
    x = as_series(series, min_len=3, squares=True)
    if np.ptp(x) == 0:
        raise ValueError("series is constant: nearest neighbours and their divergence are "
                         "undefined")
    dim = check_int(dim, "dim", minimum=1)
    dt = check_dt(dt)
    n_surrogates, alpha = check_surrogates(n_surrogates, alpha)
    kind = check_choice(surrogate, "surrogate", SURROGATES)
    rng = rng_from(seed)
    delay, theiler, offsets, fixed, need, t = curve_axis(
        x, "rosenstein", dim, f"dim={dim}", "dim", delay, max_steps, theiler, window, dt)

    curve, n_ref, rejected = _rosenstein_curve(x, dim, delay, theiler, offsets)
    exponent, intercept, r2, window = fit_curve(curve, fixed, t)
    p, significant, surr, tested = surrogate_test(
        exponent, x, kind, n_surrogates, rng,
        lambda y: fit_curve(_rosenstein_curve(y, dim, delay, theiler, offsets)[0], fixed, t)[0],
        alpha, progress, "Rosenstein surrogates", need)
    if np.isfinite(exponent):
        reason = None if n_surrogates else "no_surrogates"
    elif n_ref:
        reason = "zero_distances"
    else:
        reason = "rounding_level" if rejected[1] else "theiler_window"
    return RosensteinResult(t=t, divergence=curve, exponent=exponent,
                            window=tuple(int(v) for v in window), intercept=intercept, r2=r2,
                            p_value=p, significant=significant, dim=dim, delay=delay,
                            theiler=int(theiler), surrogate_exponents=surr,
                            tested_exponent=tested, alpha=alpha, dt=dt, reason=reason)


# names of this version's predecessors, kept with a DeprecationWarning
renamed_field(RosensteinResult, "steps", "t")
renamed_field(RosensteinResult, "min_tsep", "theiler")
renamed_field(RosensteinResult, "fit_range", "window")
