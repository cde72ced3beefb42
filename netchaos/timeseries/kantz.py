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
    check_alpha,
    check_dims,
    check_window,
    fit_curve,
    mean_period,
    resolution,
    surrogate_test,
)

__all__ = ["KantzResult", "kantz"]


@dataclass(repr=False)
class KantzResult(Result):
    """Outcome of :func:`kantz`.

    Attributes
    ----------
    t : int ndarray of shape (max_steps + 1,)
        Time offsets dt = 0 .. max_steps.
    stretching : ndarray of shape (n_dim, n_eps, max_steps + 1)
        S(m, eps, dt); NaN for (m, eps) cells with fewer than 10 reference
        points that have neighbours.
    mean_curve : ndarray of shape (max_steps + 1,)
        Mean of the valid rows of ``stretching``; the exponent is its slope.
    exponent : float
        Slope of the linear fit of ``mean_curve`` over ``window``
        (per time step, natural log). NaN when no cell was valid.
    window : tuple of int
        ``(start, stop)``: the fit uses ``steps[start:stop]``.
    intercept, r2 : float
        Intercept and coefficient of determination of that fit.
    p_value : float
        Surrogate p-value of the exponent (see :func:`kantz`); NaN when no
        surrogates were run.
    significant : bool
        ``p_value < alpha``.
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

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> x = nc.systems.orbit(nc.systems.logistic(4.0), 0.3, 1000)[:, 0]
    >>> res = nc.kantz(x, n_surrogates=0, seed=0)
    >>> res.stretching.shape, res.window, round(res.exponent, 2)
    ((4, 4, 21), (1, 6), 0.68)
    >>> bool(np.isnan(res.p_value)), res.significant   # no surrogates, no test
    (True, False)
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

    def __repr__(self):
        return (f"KantzResult(exponent={fmt(self.exponent)}, window={tuple(self.window)}, "
                f"r2={fmt(self.r2, 3)}, p_value={fmt(self.p_value, 3)}, "
                f"significant={bool(self.significant)}, dims={[int(m) for m in np.atleast_1d(self.dims)]}, "
                f"n_eps={np.size(self.eps)})")


def _kantz_curves(x, dims, delay, eps, max_steps, theiler, future, max_pairs, rng):
    """S(m, eps, dt) for every m in dims (eps ascending): (stretching, n_ref)."""
    n_eps = eps.size
    floor = resolution(x)
    last_only = future == "last"
    stretch = np.full((dims.size, n_eps, max_steps + 1), np.nan)
    n_ref = np.zeros((dims.size, n_eps), dtype=np.int64)
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
            per_ref = max(float(counts.mean()), 1.0)
            if per_ref * n_use > max_pairs:
                size = int(min(n_use, max(50, max_pairs // per_ref)))
                refs = np.sort(rng.choice(n_use, size=size, replace=False)).astype(np.int64)
        total = np.zeros((n_eps, max_steps + 1))
        kantz_sums(x, m, delay, eps, theiler, max_steps, last_only, floor, heads, nxt, refs,
                   total, n_ref[a])
        valid = n_ref[a] >= KANTZ_MIN_REFS
        stretch[a, valid] = total[valid] / n_ref[a, valid, None]
    return stretch, n_ref


@renamed_keywords(dim="dims", fit="window")
def kantz(series, dims=(2, 3, 4, 5), delay=1, eps=None, n_eps=4, max_steps=20, theiler=None,
          window=None, n_surrogates=99, surrogate="phase", future="last", alpha=0.05,
          max_pairs=1_000_000, seed=None, progress=False):
    """Largest Lyapunov exponent of a scalar series by Kantz's method, with a surrogate test.

    Parameters
    ----------
    series : ndarray of shape (n,)
        Finite samples at unit time steps (e.g. a training-loss series).
    dims : int or sequence of int, default (2, 3, 4, 5)
        Embedding dimensions m.
    delay : int, default 1
        Embedding delay tau.
    eps : float or ndarray of shape (n_eps,), optional
        Neighbourhood radii (max-norm). Default: ``n_eps`` values spaced
        geometrically from 1% to 10% of the standard deviation of the series.
    n_eps : int, default 4
        Number of default radii (ignored when ``eps`` is given).
    max_steps : int, default 20
        Largest time offset dt.
    theiler : int, optional
        Neighbours j of a reference point i need ``|i - j| > theiler``.
        Default: the mean period of the series, ``1 / (power-weighted mean
        frequency)`` of its periodogram, rounded.
    window : (int, int), optional
        Fit window ``(start, stop)`` on the dt axis (``steps[start:stop]``).
        Default: automatic, see Notes.
    n_surrogates : int, default 99
        Surrogates for the significance test (0: no test, p-value NaN).
        The smallest attainable p-value is ``1 / (n_surrogates + 1)``.
    surrogate : {"phase", "shuffle"}, default "phase"
        Fourier phase-randomised copies (null: a linear Gaussian process
        with the same power spectrum) or random permutations (null: no
        temporal order at all). See Notes.
    future : {"last", "vector"}, default "last"
        Distance of the futures: of the last (newest) coordinates,
        ``|x_{i+dt+(m-1)tau} - x_{j+dt+(m-1)tau}|`` as in Kantz (1994), or
        the Euclidean distance of the whole delay vectors (the TISEAN
        convention). See Notes.
    alpha : float, default 0.05
        Level of the test.
    max_pairs : int or None, default 1_000_000
        Work bound: when the expected number of (reference, neighbour)
        pairs of a dimension exceeds it, a random subset of reference points
        (drawn from ``seed``) is used. None: always all points.
    seed : int or numpy.random.Generator, optional
        Surrogates and reference subsets.
    progress : bool, default False
        Progress bar over the surrogates.

    Returns
    -------
    KantzResult
        ``t`` (max_steps + 1,) (formerly ``steps``), ``stretching`` (n_dim,
        n_eps, max_steps + 1), ``mean_curve`` (max_steps + 1,), ``exponent``,
        ``window``, ``intercept``, ``r2``, ``p_value``, ``significant``.

    Raises
    ------
    ValueError
        Non-finite series; series too short (it needs
        ``(max(dims) - 1) * delay + max_steps + 2 * theiler + 20`` points);
        bad parameters.

    Notes
    -----
    Delay vectors ``s_i = (x_i, x_{i+tau}, ..., x_{i+(m-1)tau})`` are formed
    for the i whose future ``s_{i+max_steps}`` exists. For every reference
    point i, ``U_i`` is the set of j with ``max_k |s_i - s_j|_k <= eps`` and
    ``|i - j| > theiler``, found by the box-assisted search of TISEAN [3]_
    (a grid of side ``max(eps)`` over the first and the last coordinate).
    Kantz's stretching function [1]_ is

    ``S(m, eps, dt) = < ln( mean_{j in U_i} dist(i, j, dt) ) >_i``,

    averaged over the reference points with a non-empty ``U_i``; a cell
    (m, eps) with fewer than 10 such points is NaN. With ``future="last"``
    ``dist(i, j, dt) = |x_{i+dt+(m-1)tau} - x_{j+dt+(m-1)tau}|``, the newest
    coordinate only, as in Kantz's paper; with ``"vector"`` it is
    ``|s_{i+dt} - s_{j+dt}|`` (Euclidean). The whole-vector distance shares
    m - 1 coordinates with the neighbourhood condition at small dt, so for
    noise S climbs for m steps instead of jumping at dt = 1; the null
    distribution of the slope is then wide and the test weak, hence the
    default. Mean distances are floored at the floating-point resolution of
    the data, so exactly periodic series give flat curves instead of
    ``-inf``. For a chaotic series S grows linearly in dt with slope equal
    to the largest Lyapunov exponent, for every m above the embedding
    threshold and every small eps, until the distances saturate at the
    attractor size [1]_, [3]_.

    The exponent is the least-squares slope of the mean of the valid
    curves. The automatic fit window is the one with the highest R^2 among
    all windows of at least 5 consecutive steps that start at dt = 1, 2 or 3
    (dt = 0 is skipped because neighbours need a step to align with the
    unstable direction, and noise jumps there). With the default radii the
    linear region of the logistic map (exponent ln 2 per step) spans about
    six steps; for faster divergence it is shorter and ``window`` should be
    given. With
    ``max_pairs``, large neighbourhoods (low dimension, large radius, long
    series) are handled with a random subset of reference points.

    Significance ("random evolution cannot be rejected", Danovski et al.
    [4]_, Fig. 11): ``n_surrogates`` surrogates are analysed exactly like the
    data -- same dims, delay, radii, Theiler window and fit rule, each
    choosing its own automatic fit window so that the choice of the window
    does not bias the test -- and the one-sided rank p-value is
    ``p = (1 + #{surrogate exponents >= exponent}) / (n_surrogates + 1)``
    (a surrogate without a valid curve counts as exceeding). Phase
    surrogates keep the power spectrum and randomise the Fourier phases of
    the stretch of the series with the best-matching ends (at most 5% is
    trimmed off each end, which limits spectral leakage); the exponent of
    the data on that same stretch is the one ranked (``tested_exponent``),
    since the curves depend slightly on the length of the series. They are
    realisations of linear stochastic processes, whose Kantz curves may
    rise too (false neighbours of a torus, diffusion of a correlated
    process) but not faster than the data's own linear structure allows
    [5]_. Shuffles test only "no temporal order" (the null of the paper's
    ACF band): quasi-periodic signals and correlated noise come out
    significant against them.

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
    >>> import numpy as np
    >>> x = np.empty(3000); x[0] = 0.3
    >>> for t in range(1, x.size):
    ...     x[t] = 4.0 * x[t - 1] * (1.0 - x[t - 1])
    >>> res = kantz(x, n_surrogates=39, seed=0)
    >>> bool(abs(res.exponent - np.log(2)) < 0.05), res.significant
    (True, True)
    """
    x = as_series(series, min_len=3, squares=True)
    dims = check_dims(dims)
    delay = check_int(delay, "delay", minimum=1)
    max_steps = check_int(max_steps, "max_steps", minimum=1)
    fixed = check_window(window, max_steps)
    n_surrogates = check_int(n_surrogates, "n_surrogates", minimum=0)
    kind = check_choice(surrogate, "surrogate", SURROGATES)
    future = check_choice(future, "future", FUTURES)
    alpha = check_alpha(alpha)
    if max_pairs is not None:
        max_pairs = check_int(max_pairs, "max_pairs", minimum=1000)
    rng = rng_from(seed)
    if theiler is None:
        theiler = mean_period(x)
    else:
        theiler = check_int(theiler, "theiler", minimum=0)
    span = (int(dims[-1]) - 1) * delay
    need = span + max_steps + 2 * theiler + 20
    if x.size < need:
        raise ValueError(f"series of length {x.size} is too short for dims={[int(m) for m in dims]}, "
                         f"delay={delay}, max_steps={max_steps} and theiler={theiler}: it needs at "
                         f"least (max(dims) - 1) * delay + max_steps + 2 * theiler + 20 = {need} points")
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

    def analyse(y):
        stretch, n_ref = _kantz_curves(y, dims, delay, radii, max_steps, theiler, future,
                                       max_pairs, rng)
        valid = n_ref >= KANTZ_MIN_REFS
        mean_curve = stretch[valid].mean(axis=0) if valid.any() else np.full(max_steps + 1, np.nan)
        return stretch, n_ref, mean_curve

    stretch, n_ref, mean_curve = analyse(x)
    exponent, intercept, r2, window = fit_curve(mean_curve, fixed)
    p, significant, surr, tested = surrogate_test(
        exponent, x, kind, n_surrogates, rng, lambda y: fit_curve(analyse(y)[2], fixed)[0],
        alpha, progress, "Kantz surrogates", need)
    return KantzResult(t=np.arange(max_steps + 1), stretching=stretch, mean_curve=mean_curve,
                       exponent=exponent, window=tuple(int(v) for v in window),
                       intercept=intercept, r2=r2, p_value=p, significant=significant,
                       dims=dims, eps=radii, n_ref=n_ref, theiler=int(theiler),
                       surrogate_exponents=surr, tested_exponent=tested, alpha=alpha)


# names of this version's predecessors, kept with a DeprecationWarning
renamed_field(KantzResult, "fit_range", "window")
renamed_field(KantzResult, "steps", "t")
