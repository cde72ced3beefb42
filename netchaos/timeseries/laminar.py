"""Laminar (near-periodic) phases, the bursts between them, and their length statistics."""

from dataclasses import dataclass

import numpy as np

from .._results import Result, fmt
from .._validate import as_float_array, check_int, check_positive
from ._common import as_series

__all__ = ["LaminarResult", "LaminarLengthStats", "dominant_period", "laminar_phases", "laminar_length_stats"]


@dataclass(repr=False)
class LaminarResult(Result):
    """Outcome of :func:`laminar_phases`.

    Attributes
    ----------
    period : int
        The period given, or (multi-period segmentation) the period covering
        the most laminar points (ties to the smaller; :func:`dominant_period`
        when there are no phases).
    tol : float
        Absolute tolerance of the test ``|x_t - x_{t-p}| <= tol``.
    mask : bool ndarray of shape (n,)
        True for points inside a laminar phase.
    phases : int ndarray of shape (n_phases, 2)
        ``[start, stop)`` of each laminar phase, in time order.
    bursts : int ndarray of shape (n_bursts, 2)
        ``[start, stop)`` of the stretches between (and around) the phases.
    lengths : int ndarray of shape (n_phases,)
        ``stop - start`` of each phase.
    periods : int ndarray of shape (n_phases,)
        Period of each phase (all equal to ``period`` when it was given).
    laminar_fraction : float
        ``mask.mean()``.
    mean_length : float
        Mean phase length (NaN without phases).

    Examples
    --------
    A period-3 pattern, 30 random points, and the pattern again:

    >>> import numpy as np
    >>> import netchaos as nc
    >>> rng = np.random.default_rng(0)
    >>> pattern = [0.1, 0.5, 0.9]
    >>> x = np.concatenate([np.tile(pattern, 20), rng.uniform(size=30), np.tile(pattern, 10)])
    >>> res = nc.laminar_phases(x)
    >>> res.period, res.bursts.tolist(), res.burst_lengths.tolist(), res.laminar_fraction
    (3, [[60, 90]], [30], 0.75)
    """

    period: int
    tol: float
    mask: np.ndarray
    phases: np.ndarray
    bursts: np.ndarray
    lengths: np.ndarray
    laminar_fraction: float
    mean_length: float
    periods: np.ndarray = None

    def __post_init__(self):
        if self.periods is None and self.phases is not None:   # files saved before periods
            self.periods = np.full(len(self.phases), self.period, dtype=np.int64)

    @property
    def burst_lengths(self):
        """int ndarray of shape (n_bursts,): ``stop - start`` of each burst."""
        return self.bursts[:, 1] - self.bursts[:, 0]

    def __repr__(self):
        return (f"LaminarResult(period={self.period}, n={self.mask.size}, "
                f"n_phases={len(self.phases)}, n_bursts={len(self.bursts)}, "
                f"laminar_fraction={fmt(self.laminar_fraction, 3)}, "
                f"mean_length={fmt(self.mean_length, 4)})")


@dataclass(repr=False)
class LaminarLengthStats(Result):
    """Outcome of :func:`laminar_length_stats`.

    Attributes
    ----------
    n : int
        Number of laminar phases.
    mean, std, median : float
        Of the lengths (std with ``ddof=0``; NaN when ``n == 0``).
    values : int ndarray of shape (n_unique,)
        Distinct lengths, ascending.
    survival : ndarray of shape (n_unique,)
        Complementary CDF ``P(L >= values[k])`` (``survival[0] == 1``).

    Examples
    --------
    >>> import netchaos as nc
    >>> stats = nc.laminar_length_stats([3, 3, 5, 9])
    >>> stats.n, stats.mean, stats.median, stats.values.tolist()
    (4, 5.0, 4.0, [3, 5, 9])
    """

    n: int
    mean: float
    std: float
    median: float
    values: np.ndarray
    survival: np.ndarray

    def __repr__(self):
        return (f"LaminarLengthStats(n={self.n}, mean={fmt(self.mean)}, std={fmt(self.std)}, "
                f"median={fmt(self.median)})")


def _default_tol(x):
    """1% of the interquartile range (of the range when the IQR vanishes)."""
    q25, q75 = np.percentile(x, [25, 75])
    scale = q75 - q25
    if not scale > 0:
        scale = np.ptp(x)
    return 0.01 * float(scale)


def _tol(tol, x):
    if tol is None:
        return _default_tol(x)
    return check_positive(tol, "tol", allow_zero=True)


def _laminar_fractions(x, max_period, tol):
    """Fraction of t >= p with |x_t - x_{t-p}| <= tol, for p = 1..max_period: shape (max_period,)."""
    return np.array([np.mean(np.abs(x[p:] - x[:-p]) <= tol) for p in range(1, max_period + 1)])


def dominant_period(series, max_period=12, tol=None):
    """Period of the laminar (near-periodic) phases of a series.

    Parameters
    ----------
    series : ndarray of shape (n,)
        Finite, with n > max_period.
    max_period : int, default 12
    tol : float, optional
        Absolute tolerance; default 1% of the interquartile range of the
        series (of its range when the IQR is zero).

    Returns
    -------
    int
        The p in 1..max_period that maximises the fraction of points with
        ``|x_t - x_{t-p}| <= tol``; ties go to the smallest p, so a period-3
        orbit gives 3 rather than 6 or 9.

    Notes
    -----
    The fraction of matching points is preferred over the mean absolute
    difference because it is insensitive to the amplitude of the bursts: a
    series that is period-3 half of the time and wildly chaotic otherwise
    still peaks at p = 3. For a laminar phase of length L the fraction
    counts L - p matches, so the fundamental period beats its multiples.

    References
    ----------
    .. [1] K. Danovski, M. C. Soriano, L. Lacasa, "Dynamical stability and
       chaos in artificial neural network trajectories along training",
       Front. Complex Syst. 2 (2024), sec. 4.2 (period-3 laminar phases).

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> rng = np.random.default_rng(0)
    >>> pattern = [0.1, 0.5, 0.9]
    >>> x = np.concatenate([np.tile(pattern, 20), rng.uniform(size=30), np.tile(pattern, 10)])
    >>> nc.dominant_period(x)
    3
    """
    x = as_series(series)
    max_period = check_int(max_period, "max_period", minimum=1)
    if x.size <= max_period:
        raise ValueError(f"series of length {x.size} is too short for max_period={max_period}: "
                         f"it needs at least max_period + 1 = {max_period + 1} points")
    tol = _tol(tol, x)
    frac = _laminar_fractions(x, max_period, tol)
    best = frac.max()
    return int(np.flatnonzero(frac >= best - 1e-12)[0] + 1)


def _runs(flags):
    """[start, stop) of the runs of True in a bool array: int array of shape (n_runs, 2)."""
    padded = np.concatenate(([False], flags, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return edges.reshape(-1, 2).astype(np.int64)


def _candidates(x, p, tol, min_length):
    """[start, stop) of the stretches that repeat with period p, at least min_length long."""
    match = np.zeros(x.size, dtype=bool)
    match[p:] = np.abs(x[p:] - x[:-p]) <= tol
    cand = _runs(match)
    cand[:, 0] -= p
    return cand[cand[:, 1] - cand[:, 0] >= min_length]


def _min_length(min_length, p):
    """Default: the pattern seen three times, and at least four matching points."""
    return max(3 * p, p + 4) if min_length is None else min_length


def laminar_phases(series, period=None, tol=None, min_length=None, max_period=12):
    """Laminar (near-periodic) phases and bursts of a series.

    Parameters
    ----------
    series : ndarray of shape (n,)
    period : int, optional
        Look for phases of this period only. Default: phases of every period
        1 .. ``max_period``, each stretch labelled with its own (smallest)
        period.
    tol : float, optional
        Absolute tolerance of ``|x_t - x_{t-p}| <= tol``; default 1% of the
        interquartile range (of the range when the IQR is zero).
    min_length : int, optional
        Shortest laminar phase, in points (default ``max(3 p, p + 4)`` for
        period p: the pattern seen three times, and at least four matching
        points, so that three equal values in a burst are no fixed point).
        Must be > p (> ``max_period`` when ``period`` is not given).
    max_period : int, default 12
        Longest period searched when ``period`` is not given.

    Returns
    -------
    LaminarResult
        ``period``, ``tol``, ``mask`` (n,), ``phases`` (n_phases, 2),
        ``periods`` (n_phases,), ``bursts`` (n_bursts, 2), ``lengths``,
        ``laminar_fraction``, ``mean_length``.

    Notes
    -----
    A time t >= p *matches* period p when ``|x_t - x_{t-p}| <= tol``. A run
    of consecutive matches ``[s, e)`` means that ``x_{s-p} .. x_{e-1}`` repeat
    with period p, so the candidate phase is ``[s - p, e)`` (of length
    ``e - s + p``): it starts where the periodic pattern starts, not p steps
    later. Candidates shorter than ``min_length`` are dropped.

    With one ``period``, overlapping candidates are merged into phases. With
    several (the default), every point is labelled with the smallest period
    p whose candidates contain it (a period-3 stretch also repeats with
    period 6, 9 and 12 and is labelled 3), and a phase is a maximal run of
    points with the same label; so one series can hold phases of different
    periods, at different levels, side by side. Everything outside the
    phases is a burst (including the stretches before the first and after
    the last phase). A stretch of a larger period cut by a phase of a
    smaller one can leave a piece shorter than its ``min_length``; it stays
    a phase of its period.

    In type-I intermittency the mean laminar length scales as
    ``eps^{-1/2}`` with the distance eps to the tangent bifurcation [1]_;
    compare the length statistics with :func:`laminar_length_stats`.
    Danovski et al. [2]_ observe period-3 laminar phases of the loss at
    learning rate 5, interrupted by irregular bursts.

    References
    ----------
    .. [1] Y. Pomeau, P. Manneville, "Intermittent transition to turbulence in
       dissipative dynamical systems", Commun. Math. Phys. 74, 189-197
       (1980).
    .. [2] K. Danovski, M. C. Soriano, L. Lacasa, "Dynamical stability and
       chaos in artificial neural network trajectories along training",
       Front. Complex Syst. 2 (2024), sec. 4.2.

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> rng = np.random.default_rng(0)
    >>> pattern = [0.1, 0.5, 0.9]
    >>> x = np.concatenate([np.tile(pattern, 20), rng.uniform(size=30), np.tile(pattern, 10)])
    >>> res = nc.laminar_phases(x)
    >>> res.period, res.phases.tolist(), res.lengths.tolist()
    (3, [[0, 60], [90, 120]], [60, 30])

    A period-3 phase, a burst, and a period-5 phase at a higher level:

    >>> y = np.concatenate([np.tile(pattern, 20), rng.uniform(size=30),
    ...                     2 + np.tile([0.1, 0.7, 0.3, 0.9, 0.5], 8)])
    >>> res = nc.laminar_phases(y)
    >>> res.phases.tolist(), res.periods.tolist()
    ([[0, 60], [90, 130]], [3, 5])
    """
    x = as_series(series)
    n = x.size
    max_period = check_int(max_period, "max_period", minimum=1)
    tol = _tol(tol, x)
    if period is not None:
        period = check_int(period, "period", minimum=1)
        if n <= period:
            raise ValueError(f"series of length {n} is too short for period={period}: "
                             f"it needs at least period + 1 = {period + 1} points")
        if min_length is not None:
            min_length = check_int(min_length, "min_length", minimum=period + 1)
        merged = []
        for start, stop in _candidates(x, period, tol, _min_length(min_length, period)):
            if merged and start < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], stop)
            else:
                merged.append([start, stop])
        phases = np.array(merged, dtype=np.int64).reshape(-1, 2)
        periods = np.full(len(phases), period, dtype=np.int64)
    else:
        if n <= max_period:
            raise ValueError(f"series of length {n} is too short for max_period={max_period}: "
                             f"it needs at least max_period + 1 = {max_period + 1} points")
        if min_length is not None:
            min_length = check_int(min_length, "min_length", minimum=max_period + 1)
        label = np.zeros(n, dtype=np.int64)
        for p in range(max_period, 0, -1):          # smaller periods overwrite larger ones
            for start, stop in _candidates(x, p, tol, _min_length(min_length, p)):
                label[start:stop] = p
        change = np.flatnonzero(np.diff(label)) + 1
        bounds = np.concatenate(([0], change, [n]))
        runs = np.stack([bounds[:-1], bounds[1:]], axis=1).astype(np.int64)
        keep = label[runs[:, 0]] > 0
        phases = runs[keep]
        periods = label[phases[:, 0]]
        covered = np.bincount(periods, weights=phases[:, 1] - phases[:, 0],
                              minlength=max_period + 1)
        period = (int(np.argmax(covered)) if covered.any()
                  else dominant_period(x, max_period=max_period, tol=tol))
    mask = np.zeros(n, dtype=bool)
    for start, stop in phases:
        mask[start:stop] = True
    bursts = _runs(~mask)
    lengths = phases[:, 1] - phases[:, 0]
    return LaminarResult(period=int(period), tol=float(tol), mask=mask, phases=phases,
                         bursts=bursts, lengths=lengths, laminar_fraction=float(mask.mean()),
                         mean_length=float(lengths.mean()) if lengths.size else np.nan,
                         periods=periods)


def laminar_length_stats(lengths):
    """Summary statistics and survival function of laminar-phase lengths.

    Parameters
    ----------
    lengths : ndarray of shape (n_phases,) or LaminarResult
        Positive phase lengths (a :class:`LaminarResult` contributes its
        ``lengths``).

    Returns
    -------
    LaminarLengthStats
        ``n``, ``mean``, ``std``, ``median``, ``values`` (distinct lengths)
        and ``survival`` with ``survival[k] = P(L >= values[k])``.

    Notes
    -----
    The complementary CDF is the empirical one, ``#{L_i >= l} / n``. For
    type-I intermittency the lengths are distributed with a mean scaling
    like ``eps^{-1/2}`` and a density peaked at both ends of its support
    [1]_; exponential survival instead points to a memoryless escape from
    the laminar region.

    References
    ----------
    .. [1] H. G. Schuster, W. Just, *Deterministic Chaos*, 4th ed., Wiley-VCH
       (2005), ch. 4.

    Examples
    --------
    >>> import netchaos as nc
    >>> stats = nc.laminar_length_stats([3, 3, 5, 9])
    >>> stats.values.tolist(), stats.survival.tolist()
    ([3, 5, 9], [1.0, 0.5, 0.25])
    >>> round(stats.std, 3)
    2.449
    """
    if isinstance(lengths, LaminarResult):
        lengths = lengths.lengths
    arr = as_float_array(lengths, "lengths", ndim=1)
    if np.any(arr <= 0):
        raise ValueError("lengths must be positive")
    if np.any(arr != np.round(arr)):
        raise ValueError("lengths must be whole numbers of steps")
    if np.any(arr >= 2.0**63):
        raise ValueError("lengths must fit in a 64-bit integer")
    arr = arr.astype(np.int64)
    if arr.size == 0:
        return LaminarLengthStats(n=0, mean=np.nan, std=np.nan, median=np.nan,
                                  values=np.empty(0, dtype=np.int64), survival=np.empty(0))
    values, counts = np.unique(arr, return_counts=True)
    survival = counts[::-1].cumsum()[::-1] / arr.size
    return LaminarLengthStats(n=int(arr.size), mean=float(arr.mean()), std=float(arr.std()),
                              median=float(np.median(arr)), values=values, survival=survival)
