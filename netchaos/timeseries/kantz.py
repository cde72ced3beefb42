"""Kantz's estimator of the largest Lyapunov exponent of a scalar series."""

from dataclasses import dataclass, field

import numpy as np

from .._results import Result, fmt, renamed_field
from .._validate import (
    as_float_array,
    check_choice,
    check_int,
    renamed_keywords,
    rng_from,
)
from ..core.embedding import count_neighbours, fill_boxes, kantz_sums
from ._common import (
    FUTURES,
    KANTZ_BOXES,
    KANTZ_MIN_REFS,
    SURROGATES,
    as_series,
    check_dims,
    check_dt,
    check_surrogates,
    curve_axis,
    fit_curve,
    mean_rows,
    rounding_scale,
    surrogate_test,
)

__all__ = ["KantzResult", "kantz"]


@dataclass(repr=False)
class KantzResult(Result):
    """Outcome of :func:`kantz`.

    Attributes
    ----------
    t : ndarray of shape (n_t,)
        Time offsets of the curve points, in units of ``dt``: ``dt`` times
        0, stride, 2 stride, ..., max_steps (stride 1 unless max_steps is
        automatic and above 50).
    stretching : ndarray of shape (n_dim, n_eps, n_t)
        S(m, eps, t); NaN for (m, eps) cells with fewer than 10 reference
        points that have neighbours (and at offsets where every distance
        was exactly zero).
    mean_curve : ndarray of shape (n_t,)
        Mean of the valid rows of ``stretching``; the exponent is its slope.
    exponent : float
        Slope of the linear fit of ``mean_curve`` against ``t`` over
        ``window`` (per unit of ``dt``, natural log). NaN when no cell was
        valid; ``reason`` says why.
    window : tuple of int
        ``(start, stop)``: the fit uses ``t[start:stop]``, the time range
        ``t[start]`` .. ``t[stop - 1]``.
    intercept, r2 : float
        Intercept and coefficient of determination of that fit.
    p_value : float
        Surrogate p-value of the exponent (see :func:`kantz`); NaN when no
        surrogates were run.
    significant : bool
        A positive exponent beyond the null: ``p_value < alpha``,
        ``exponent > 0`` and above the ``1 - alpha`` quantile of
        ``surrogate_exponents``.
    dims : int ndarray of shape (n_dim,)
    eps : ndarray of shape (n_eps,)
        Neighbourhood radii (max-norm), ascending.
    n_ref : int ndarray of shape (n_dim, n_eps)
        Reference points with at least one neighbour, per cell.
    theiler : int
    surrogate_exponents : ndarray of shape (n_surrogates,)
        Exponents of the surrogates, each analysed like the data
        (NaN for a surrogate without any valid cell).
    tested_exponent : float
        The data's exponent that was ranked among ``surrogate_exponents``:
        ``exponent`` itself, or for phase surrogates that of the end-matched
        stretch they were made from when it is shorter than the series.
    alpha : float
    delay : int
        Embedding delay used (samples).
    dt : float
        Sampling interval: the unit of ``t``.
    reason : str or None
        Why ``exponent`` (and with it ``p_value``) is NaN, or, for a finite
        exponent, ``"no_surrogates"`` when ``p_value`` is NaN because no test
        was run; None when both are finite. Codes and their meaning:
        ``netchaos.timeseries.REASONS``.

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> x = nc.systems.orbit(nc.systems.logistic(4.0), 0.3, 1000)[:, 0]
    >>> res = nc.kantz(x, n_surrogates=0, seed=0)
    >>> res.stretching.shape, res.window, round(res.exponent, 2)
    ((4, 4, 21), (1, 5), 0.69)
    >>> bool(np.isnan(res.p_value)), res.significant, res.reason   # no surrogates, no test
    (True, False, 'no_surrogates')
    """

    t: np.ndarray
    stretching: np.ndarray
    mean_curve: np.ndarray
    exponent: float
    window: tuple
    intercept: float
    r2: float
    p_value: float
    significant: bool
    dims: np.ndarray = None
    eps: np.ndarray = None
    n_ref: np.ndarray = None
    theiler: int = None
    surrogate_exponents: np.ndarray = field(default_factory=lambda: np.empty(0))
    tested_exponent: float = np.nan
    alpha: float = 0.05
    delay: int = 1
    dt: float = 1.0
    reason: str = None

    def __repr__(self):
        return (f"KantzResult(exponent={fmt(self.exponent)}, window={tuple(self.window)}, "
                f"r2={fmt(self.r2, 3)}, p_value={fmt(self.p_value, 3)}, "
                f"significant={bool(self.significant)}, dims={[int(m) for m in np.atleast_1d(self.dims)]}, "
                f"n_eps={np.size(self.eps)})")


def _kantz_curves(x, dims, delay, eps, offsets, theiler, future, max_pairs, rng):
    """S(m, eps, k) for every m in dims (eps ascending): (stretching, n_ref, rejected)."""
    n_eps = eps.size
    tiny = rounding_scale(x)
    last_only = future == "last"
    max_steps = int(offsets[-1])
    stretch = np.full((dims.size, n_eps, offsets.size), np.nan)
    n_ref = np.zeros((dims.size, n_eps), dtype=np.int64)
    rejected = np.zeros(2, dtype=np.int64)
    n_boxes = int(min(KANTZ_BOXES, np.ceil(np.ptp(x) / eps[-1]) + 3))
    heads = np.empty((n_boxes, n_boxes), dtype=np.int64)
    for a, m in enumerate(dims):
        m = int(m)
        n_use = x.size - (m - 1) * delay - max_steps   # vectors whose future to max_steps exists
        nxt = np.empty(n_use, dtype=np.int64)
        fill_boxes(x, m, delay, n_use, eps[-1], heads, nxt)
        refs = np.arange(n_use, dtype=np.int64)
        if max_pairs is not None:
            # expected work from the neighbour counts of an evenly spaced sample
            probe = np.unique(np.linspace(0, n_use - 1, min(n_use, 256)).astype(np.int64))
            counts = np.empty(probe.size, dtype=np.int64)
            count_neighbours(x, m, delay, eps[-1], theiler, heads, nxt, probe, counts)
            per_ref = max(float(counts.mean()), 1.0) * offsets.size / 21.0
            if per_ref * n_use > max_pairs:
                size = int(min(n_use, max(50, max_pairs // per_ref)))
                refs = np.sort(rng.choice(n_use, size=size, replace=False)).astype(np.int64)
        total = np.zeros((n_eps, offsets.size))
        n_valid = np.zeros((n_eps, offsets.size), dtype=np.int64)
        kantz_sums(x, m, delay, eps, theiler, offsets, last_only, tiny, heads, nxt, refs,
                   total, n_valid, n_ref[a], rejected)
        valid = n_ref[a] >= KANTZ_MIN_REFS
        with np.errstate(invalid="ignore", divide="ignore"):
            cells = np.where(n_valid > 0, total / np.maximum(n_valid, 1), np.nan)
        stretch[a, valid] = cells[valid]
    return stretch, n_ref, rejected


def nan_reason(n_ref, rejected):
    """Reason code of an exponent without a usable curve (see ``REASONS``)."""
    if np.any(n_ref > 0):
        return "too_few_references"
    if rejected[1] > 0:
        return "rounding_level"
    if rejected[0] > 0:
        return "theiler_window"
    return "no_neighbours"


@renamed_keywords(dim="dims", fit="window")
def kantz(series, dims=(2, 3, 4, 5), delay=None, eps=None, n_eps=4, max_steps=None, theiler=None,
          window=None, n_surrogates=99, surrogate="phase", future="last", alpha=0.05,
          max_pairs=1_000_000, dt=1.0, seed=None, progress=False):
    """Largest Lyapunov exponent of a scalar series by Kantz's method, with a surrogate test.

    Parameters
    ----------
    series : ndarray of shape (n,)
        Finite samples at equal time steps ``dt`` (e.g. a training-loss
        series, ``dt = 1`` step, or a sampled flow).
    dims : int or sequence of int, default (2, 3, 4, 5)
        Embedding dimensions m.
    delay : int, optional
        Embedding delay tau (samples). Default: ``max(1, round(P / 10))``
        with P the mean period of the series (see ``theiler``): 1 for
        map-like series (P < 15), a tenth of the mean period for a sampled
        flow.
    eps : float or ndarray of shape (n_eps,), optional
        Neighbourhood radii (max-norm). Default: ``n_eps`` values spaced
        geometrically from 1% to 10% of the standard deviation of the series.
    n_eps : int, default 4
        Number of default radii (ignored when ``eps`` is given).
    max_steps : int, optional
        Largest time offset k, in samples. Default: the larger of 20 and
        2 P, as far as the series holds it; the curve then has at most 51
        points (every ``ceil(max_steps / 50)`` samples). Given explicitly,
        the curve has a point at every sample, and a warning says when it
        covers less than half a mean period.
    theiler : int, optional
        Neighbours j of a reference point i need ``|i - j| > theiler``.
        Default: the mean period P of the series, ``1 / (power-weighted mean
        frequency)`` of its periodogram, rounded (samples).
    window : (int, int), optional
        Fit window ``(start, stop)``: indices into ``t`` (the fit uses
        ``t[start:stop]``). Default: automatic, the curve's linear region
        (see Notes).
    n_surrogates : int, default 99
        Surrogates for the significance test (0: no test, p-value NaN).
        The smallest attainable p-value is ``1 / (n_surrogates + 1)``, so
        a positive count must satisfy ``1 / (n_surrogates + 1) < alpha``
        (at least 19 at alpha = 0.05).
    surrogate : {"phase", "shuffle"}, default "phase"
        Fourier phase-randomised copies (null: a linear Gaussian process
        with the same power spectrum) or random permutations (null: no
        temporal order at all). See Notes.
    future : {"last", "vector"}, default "last"
        Distance of the futures: of the last (newest) coordinates,
        ``|x_{i+k+(m-1)tau} - x_{j+k+(m-1)tau}|`` as in Kantz (1994), or
        the Euclidean distance of the whole delay vectors. See Notes.
    alpha : float, default 0.05
        Level of the test.
    max_pairs : int or None, default 1_000_000
        Work bound: when the expected number of (reference, neighbour)
        pairs of a dimension (scaled by the number of curve points over 21)
        exceeds it, a random subset of reference points (drawn from
        ``seed``) is used. None: always all points.
    dt : float, default 1.0
        Sampling interval: ``t`` is in its units and the exponent is per
        unit of time (per sample with the default).
    seed : int or numpy.random.Generator, optional
        Surrogates and reference subsets.
    progress : bool, default False
        Progress bar over the surrogates.

    Returns
    -------
    KantzResult
        ``t`` (n_t,), ``stretching`` (n_dim, n_eps, n_t), ``mean_curve``
        (n_t,), ``exponent``, ``window``, ``intercept``, ``r2``,
        ``p_value``, ``significant``, ``reason``.

    Raises
    ------
    ValueError
        Non-finite or constant series; series too short (it needs
        ``(max(dims) - 1) * delay + max_steps + 2 * theiler + 20`` points);
        ``n_surrogates`` too small to reach ``alpha``; bad parameters.

    Warns
    -----
    UserWarning
        An explicit ``max_steps`` below half the mean period: the curve of a
        sampled flow then ends before its linear region.

    Notes
    -----
    Delay vectors ``s_i = (x_i, x_{i+tau}, ..., x_{i+(m-1)tau})`` are formed
    for the i whose future ``s_{i+max_steps}`` exists. For every reference
    point i, ``U_i`` is the set of j with ``delta < max_k |s_i - s_j|_k <=
    eps`` and ``|i - j| > theiler``, found with a box-assisted search (a
    grid of side ``max(eps)`` over the first and the last coordinate).
    Kantz's stretching function [1]_ is

    ``S(m, eps, k) = < ln( mean_{j in U_i} dist(i, j, k) ) >_i``,

    averaged over the reference points with a non-empty ``U_i``; a cell
    (m, eps) with fewer than 10 such points is NaN. With ``future="last"``
    ``dist(i, j, k) = |x_{i+k+(m-1)tau} - x_{j+k+(m-1)tau}|``, the newest
    coordinate only, as in Kantz's paper; with ``"vector"`` it is
    ``|s_{i+k} - s_{j+k}|`` (Euclidean). The whole-vector distance shares
    m - 1 coordinates with the neighbourhood condition at small k, so for
    noise S climbs for m steps instead of jumping at k = 1; the null
    distribution of the slope is then wide and the test weak, hence the
    default. For a chaotic series S grows linearly in k with slope equal
    to the largest Lyapunov exponent (per sample; per unit of time in
    ``t = k dt``), for every m above the embedding
    threshold and every small eps, until the distances saturate at the
    attractor size [1]_, [3]_.

    TISEAN's ``lyap_k`` [3]_ computes the same function with other
    conventions: the data are rescaled to the unit interval and the radii
    (default 5, from 1/1000 to 1/100 of the data interval) refer to it; the
    neighbourhood is a Euclidean eps-ball of the delay vectors; the
    distance after k samples is the Euclidean distance of the whole delay vectors
    ``s_{i+k}``, ``s_{j+k}``; per reference point it averages the
    *squared* distances of the neighbours (the logarithm is that of their
    root mean square), leaving out neighbours at distance exactly zero;
    the Theiler window is 0 by default; one curve is written per (m, eps)
    and the exponent is read off by the user. ``future="vector"`` here is
    the closest to it (mean rather than root-mean-square distance,
    max-norm neighbourhoods).

    Rounding-level neighbours and zero distances: two delay vectors closer
    than ``delta = max(sqrt(u) * std(x), 64 * u * max|x|)``, with ``u`` the
    unit roundoff of the data (``2**-24`` when all values are exact float32
    numbers, else ``2**-53``), agree to fewer than half of the digits the
    spread of the series carries (and to within 64 rounding units of its
    values); their separation is rounding error (an exactly periodic series
    has such copies a period apart), and its "growth" to typical rounding
    noise would fake a divergence. Such pairs never seed a curve, and
    ``reason="rounding_level"`` reports a series that has no other
    neighbours. Distances that are exactly zero later on (quantized data)
    are skipped, not floored: the mean is over the neighbours at non-zero
    distance, and a time offset at which all are zero is left out of that
    reference point's average.

    The exponent is the least-squares slope of the mean of the valid
    curves against ``t`` (per unit of ``dt``). The automatic fit window is
    found from the curve's linear region: with ``top`` the curve's maximum
    after t = 0 and ``rise = top - S(t_1)``, the fit ends before the first
    curve point k_sat with ``S >= top - 0.3 rise`` (distances growing
    exponentially from the radius bend over well before they saturate at
    the attractor size), and starts at the point >= 1 that gives the
    highest R^2 over at least ``max(4, (k_sat - 1) / 2)`` points (t = 0 is
    skipped: neighbours need a step to align with the unstable direction,
    and noise jumps there; a later start skips the initial alignment of a
    sampled flow). For a map (logistic r = 4, ln 2 per step) this is steps
    1-4; for the Lorenz flow sampled at 0.01 or 0.05 it is about 0.4-2
    time units. ``window`` reports the range
    fitted. With ``max_pairs``, large neighbourhoods (low dimension, large
    radius, long series) are handled with a random subset of reference
    points.

    Significance ("random evolution cannot be rejected", Danovski et al.
    [4]_, Fig. 11): ``n_surrogates`` surrogates are analysed exactly like the
    data -- same dims, delay, radii, Theiler window, time axis and fit rule,
    each choosing its own automatic fit window so that the choice of the
    window does not bias the test -- and the one-sided rank p-value is
    ``p = (1 + #{surrogate exponents >= exponent}) / (n_surrogates + 1)``
    (a surrogate without a valid curve counts as exceeding). Significant
    means a positive exponent beyond the null: ``p < alpha``, the exponent
    > 0, and the exponent above the ``1 - alpha`` quantile of the surrogate
    exponents. Phase surrogates keep the power spectrum and randomise the
    Fourier phases of the stretch of the series with the best-matching ends
    (at most 5% is trimmed off each end, which limits spectral leakage);
    the exponent of the data on that same stretch is the one ranked
    (``tested_exponent``), since the curves depend slightly on the length
    of the series. They are realisations of linear stochastic processes,
    whose Kantz curves may rise too (false neighbours of a torus, diffusion
    of a correlated process) but not faster than the data's own linear
    structure allows [5]_. Shuffles test only "no temporal order" (the null
    of the paper's ACF band): quasi-periodic signals and correlated noise
    come out significant against them.

    References
    ----------
    .. [1] H. Kantz, "A robust method to estimate the maximal Lyapunov
       exponent of a time series", Phys. Lett. A 185, 77-87 (1994).
    .. [2] M. T. Rosenstein, J. J. Collins, C. J. De Luca, "A practical method
       for calculating largest Lyapunov exponents from small data sets",
       Physica D 65, 117-134 (1993).
    .. [3] R. Hegger, H. Kantz, T. Schreiber, "Practical implementation of
       nonlinear time series methods: The TISEAN package", Chaos 9, 413-435
       (1999).
    .. [4] K. Danovski, M. C. Soriano, L. Lacasa, "Dynamical stability and
       chaos in artificial neural network trajectories along training",
       Front. Complex Syst. 2 (2024).
    .. [5] J. Theiler, S. Eubank, A. Longtin, B. Galdrikian, J. D. Farmer,
       "Testing for nonlinearity in time series: the method of surrogate
       data", Physica D 58, 77-94 (1992); T. Schreiber, A. Schmitz,
       "Surrogate time series", Physica D 142, 346-382 (2000).

    Examples
    --------
    The logistic map at r = 4 has exponent ln 2 per step; a sine wave is
    not chaotic:

    >>> import numpy as np
    >>> x = np.empty(3000); x[0] = 0.3
    >>> for t in range(1, x.size):
    ...     x[t] = 4.0 * x[t - 1] * (1.0 - x[t - 1])
    >>> res = kantz(x, n_surrogates=39, seed=0)
    >>> bool(abs(res.exponent - np.log(2)) < 0.05), res.significant
    (True, True)
    >>> kantz(np.sin(2 * np.pi * np.arange(2000) / 16 + 0.4), n_surrogates=39,
    ...       seed=1).significant
    False
    """
    x = as_series(series, min_len=3, squares=True)
    dims = check_dims(dims)
    dt = check_dt(dt)
    n_surrogates, alpha = check_surrogates(n_surrogates, alpha)
    kind = check_choice(surrogate, "surrogate", SURROGATES)
    future = check_choice(future, "future", FUTURES)
    if max_pairs is not None:
        max_pairs = check_int(max_pairs, "max_pairs", minimum=1000)
    scale = float(np.std(x))
    if eps is None:
        n_eps = check_int(n_eps, "n_eps", minimum=1)
        if not scale > 0:
            raise ValueError("series is constant: give eps explicitly or use a varying series")
        radii = scale * np.geomspace(0.01, 0.1, n_eps)
    else:
        radii = np.atleast_1d(as_float_array(eps, "eps", ndim=(0, 1)))
        if radii.size == 0 or np.any(radii <= 0):
            raise ValueError("eps must hold positive radii")
        radii = np.unique(radii)
    rng = rng_from(seed)
    delay, theiler, offsets, fixed, need, t = curve_axis(
        x, "kantz", int(dims[-1]), f"dims={[int(m) for m in dims]}", "max(dims)", delay, max_steps,
        theiler, window, dt)

    def analyse(y):
        stretch, n_ref, rejected = _kantz_curves(y, dims, delay, radii, offsets, theiler, future,
                                                 max_pairs, rng)
        valid = n_ref >= KANTZ_MIN_REFS
        mean_curve = mean_rows(stretch[valid], offsets.size)
        return stretch, n_ref, rejected, mean_curve

    stretch, n_ref, rejected, mean_curve = analyse(x)
    exponent, intercept, r2, window = fit_curve(mean_curve, fixed, t)
    p, significant, surr, tested = surrogate_test(
        exponent, x, kind, n_surrogates, rng, lambda y: fit_curve(analyse(y)[3], fixed, t)[0],
        alpha, progress, "Kantz surrogates", need)
    if np.isfinite(exponent):
        reason = None if n_surrogates else "no_surrogates"
    elif np.any(n_ref >= KANTZ_MIN_REFS):
        reason = "zero_distances"
    else:
        reason = nan_reason(n_ref, rejected)
    return KantzResult(t=t, stretching=stretch, mean_curve=mean_curve,
                       exponent=exponent, window=tuple(int(v) for v in window),
                       intercept=intercept, r2=r2, p_value=p, significant=significant,
                       dims=dims, eps=radii, n_ref=n_ref, theiler=int(theiler),
                       surrogate_exponents=surr, tested_exponent=tested, alpha=alpha,
                       delay=int(delay), dt=dt, reason=reason)


# names of this version's predecessors, kept with a DeprecationWarning
renamed_field(KantzResult, "fit_range", "window")
renamed_field(KantzResult, "steps", "t")
