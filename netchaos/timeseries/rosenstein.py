"""Rosenstein's estimator of the largest Lyapunov exponent of a scalar series."""

from dataclasses import dataclass, field

import numpy as np

from .._results import Result, fmt, renamed_field
from .._validate import check_choice, check_int, renamed_keywords, rng_from
from ._common import (
    SURROGATES,
    as_series,
    check_alpha,
    check_window,
    embed,
    fit_curve,
    mean_period,
    resolution,
    surrogate_test,
)

__all__ = ["RosensteinResult", "rosenstein"]


@dataclass(repr=False)
class RosensteinResult(Result):
    """Outcome of :func:`rosenstein`.

    Attributes
    ----------
    t : int ndarray of shape (max_steps + 1,)
        Steps i = 0 .. max_steps (formerly ``steps``).
    divergence : ndarray of shape (max_steps + 1,)
        ``<ln d_j(i)>``: mean over reference points j of the log distance to
        their nearest neighbour after i steps.
    exponent : float
        Slope of the linear fit of ``divergence`` over ``window``.
    window : tuple of int
    intercept, r2 : float
    p_value : float
    significant : bool
    dim, delay, theiler : int
    surrogate_exponents : ndarray of shape (n_surrogates,)
    tested_exponent : float
        As in :class:`KantzResult`.
    alpha : float

    Examples
    --------
    >>> import netchaos as nc
    >>> x = nc.systems.orbit(nc.systems.logistic(4.0), 0.3, 1000)[:, 0]
    >>> res = nc.rosenstein(x, dim=2, n_surrogates=0, seed=0)
    >>> res.t.shape, res.divergence.shape, res.window
    ((21,), (21,), (1, 7))
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

    def __repr__(self):
        return (f"RosensteinResult(exponent={fmt(self.exponent)}, "
                f"window={tuple(self.window)}, r2={fmt(self.r2, 3)}, "
                f"p_value={fmt(self.p_value, 3)}, significant={bool(self.significant)}, "
                f"dim={self.dim}, theiler={self.theiler})")


def _rosenstein_curve(x, dim, delay, theiler, max_steps):
    """<ln d_j(i)>, i = 0..max_steps, over all reference points j."""
    from scipy.spatial import cKDTree  # imported here: scipy costs 0.4 s of import time
    span = (dim - 1) * delay
    n_use = x.size - span - max_steps
    X = embed(x[:n_use + span], dim, delay)
    tree = cKDTree(X)
    nn = np.full(n_use, -1, dtype=np.int64)
    todo = np.arange(n_use)
    # a few neighbours usually suffice; 2 * theiler + 2 always leave one outside the window
    for k in sorted({min(n_use, 8, 2 * theiler + 2), min(n_use, 2 * theiler + 2)}):
        if todo.size == 0:
            break
        idx = tree.query(X[todo], k=k)[1].reshape(todo.size, k)
        ok = np.abs(idx - todo[:, None]) > theiler
        first = np.argmax(ok, axis=1)
        hit = ok[np.arange(todo.size), first]
        nn[todo[hit]] = idx[hit, first[hit]]
        todo = todo[~hit]
    refs = np.flatnonzero(nn >= 0)
    nn = nn[refs]
    floor = resolution(x)
    offsets = np.arange(0, span + 1, delay)
    out = np.empty(max_steps + 1)
    for i in range(max_steps + 1):
        diff = x[(refs + i)[:, None] + offsets] - x[(nn + i)[:, None] + offsets]
        d = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        out[i] = np.mean(np.log(np.maximum(d, floor)))
    return out


@renamed_keywords(min_tsep="theiler", fit="window")
def rosenstein(series, dim=5, delay=1, theiler=None, max_steps=20, window=None, n_surrogates=99,
               surrogate="phase", alpha=0.05, seed=None, progress=False):
    """Largest Lyapunov exponent by the nearest-neighbour method of Rosenstein et al.

    Parameters
    ----------
    series : ndarray of shape (n,)
    dim : int, default 5
        Embedding dimension m.
    delay : int, default 1
    theiler : int, optional
        Temporal separation: the nearest neighbour j of point i must have
        ``|i - j| > theiler``. Default: the mean period of the series (the
        inverse of the power-weighted mean frequency of its periodogram),
        as Rosenstein et al. [1]_ suggest.
    max_steps : int, default 20
    window : (int, int), optional
        Fit window on the step axis; default automatic as in :func:`kantz`.
    n_surrogates : int, default 99
        Surrogates of the significance test (0: none, p-value NaN).
    surrogate : {"phase", "shuffle"}, default "phase"
        Null model, as in :func:`kantz`.
    alpha : float, default 0.05
    seed : int or numpy.random.Generator, optional
    progress : bool, default False

    Returns
    -------
    RosensteinResult
        ``t`` (formerly ``steps``) and ``divergence`` of shape (max_steps + 1,),
        ``exponent``, ``window``, ``intercept``, ``r2``, ``p_value``,
        ``significant``.

    Raises
    ------
    ValueError
        Non-finite series, too short (it needs
        ``(dim - 1) * delay + max_steps + 2 * theiler + 20`` points), bad
        parameters.

    Notes
    -----
    Every delay vector ``s_j`` whose future ``s_{j+max_steps}`` exists gets
    its Euclidean nearest neighbour ``s_{nn(j)}`` (k-d tree) among the
    points with ``|j - nn| > theiler``; ``d_j(i) = |s_{j+i} - s_{nn(j)+i}|``
    and the divergence curve is ``y(i) = <ln d_j(i)>_j`` (distances floored
    at the floating-point resolution of the data). ``y(i) ~ ln d_0 +
    lambda_1 i`` in the linear region [1]_. Unlike Kantz's method the single
    nearest neighbour needs no radius, but the curve is noisier for short
    series; and as the whole delay vectors are compared, the curve of pure
    noise climbs for about m steps before it levels off (so its fitted
    "exponent" is not 0 -- the surrogates show the same climb).

    Fit window and significance test are those of :func:`kantz`: best-R^2
    window of at least 5 steps starting at step 1, 2 or 3 unless ``window`` is
    given; ``n_surrogates`` phase-randomised (default) or shuffled
    surrogates analysed the same way, each with its own automatic window;
    ``p = (1 + #{surrogate exponents >= exponent}) / (n_surrogates + 1)``.

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
    """
    x = as_series(series, min_len=3, squares=True)
    if np.ptp(x) == 0:
        raise ValueError("series is constant: nearest neighbours and their divergence are "
                         "undefined")
    dim = check_int(dim, "dim", minimum=1)
    delay = check_int(delay, "delay", minimum=1)
    max_steps = check_int(max_steps, "max_steps", minimum=1)
    fixed = check_window(window, max_steps)
    n_surrogates = check_int(n_surrogates, "n_surrogates", minimum=0)
    kind = check_choice(surrogate, "surrogate", SURROGATES)
    alpha = check_alpha(alpha)
    rng = rng_from(seed)
    if theiler is None:
        theiler = mean_period(x)
    else:
        theiler = check_int(theiler, "theiler", minimum=0)
    span = (dim - 1) * delay
    need = span + max_steps + 2 * theiler + 20
    if x.size < need:
        raise ValueError(f"series of length {x.size} is too short for dim={dim}, delay={delay}, "
                         f"max_steps={max_steps} and theiler={theiler}: it needs at least "
                         f"(dim - 1) * delay + max_steps + 2 * theiler + 20 = {need} points")

    curve = _rosenstein_curve(x, dim, delay, theiler, max_steps)
    exponent, intercept, r2, window = fit_curve(curve, fixed)
    p, significant, surr, tested = surrogate_test(
        exponent, x, kind, n_surrogates, rng,
        lambda y: fit_curve(_rosenstein_curve(y, dim, delay, theiler, max_steps), fixed)[0],
        alpha, progress, "Rosenstein surrogates", need)
    return RosensteinResult(t=np.arange(max_steps + 1), divergence=curve, exponent=exponent,
                            window=tuple(int(v) for v in window), intercept=intercept, r2=r2,
                            p_value=p, significant=significant, dim=dim, delay=delay,
                            theiler=int(theiler), surrogate_exponents=surr,
                            tested_exponent=tested, alpha=alpha)


# names of this version's predecessors, kept with a DeprecationWarning
renamed_field(RosensteinResult, "steps", "t")
renamed_field(RosensteinResult, "min_tsep", "theiler")
renamed_field(RosensteinResult, "fit_range", "window")
