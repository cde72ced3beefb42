"""Scalar time-series diagnostics for loss (or weight) series of training runs.

* :func:`acf` -- sample autocorrelation with a shuffled-null significance band;
* :func:`kantz` and :func:`rosenstein` -- the largest (finite-time) Lyapunov
  exponent of a scalar series from its delay embedding, with a surrogate test
  of "random evolution";
* :func:`dominant_period`, :func:`laminar_phases` and
  :func:`laminar_length_stats` -- near-periodic (laminar) phases and the bursts
  between them, the signature of intermittency;
* :func:`delay_embed` -- delay vectors of a scalar series.

All functions take a 1-D float series, reject non-finite values and series too
short for the requested embedding or window, and return small dataclasses.
"""

import numbers
from dataclasses import dataclass, field

import numpy as np

from ._validate import as_float_array, check_choice, check_int, check_positive, rng_from
from .core.embedding import count_neighbours, fill_boxes, kantz_sums

__all__ = [
    "ACFResult",
    "KantzResult",
    "LaminarLengthStats",
    "LaminarResult",
    "RosensteinResult",
    "acf",
    "delay_embed",
    "dominant_period",
    "kantz",
    "laminar_length_stats",
    "laminar_phases",
    "rosenstein",
]

#: scratch memory bound (bytes) for the batched shuffle ACFs
_ACF_CHUNK_BYTES = 64 * 2**20
#: side of the wrapped grid of the box-assisted neighbour search
_KANTZ_BOXES = 512
#: a Kantz curve needs at least this many reference points with neighbours
_KANTZ_MIN_REFS = 10
#: automatic fit: windows start at one of these steps ...
_FIT_STARTS = (1, 2, 3)
#: ... and hold at least this many points
_FIT_MIN_POINTS = 5
_SURROGATES = {"shuffle": "shuffle", "permutation": "shuffle", "phase": "phase",
               "fourier": "phase", "ft": "phase"}
_FUTURES = {"vector": "vector", "last": "last", "scalar": "last"}


# --------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------
def _fmt(value, digits=4):
    """Short float formatting for reprs (NaN-safe)."""
    if value is None:
        return "None"
    value = float(value)
    if not np.isfinite(value):
        return str(value)
    return f"{value:.{digits}g}"


@dataclass(repr=False)
class ACFResult:
    """Outcome of :func:`acf`.

    Attributes
    ----------
    lags : int ndarray of shape (nlags + 1,)
        0, 1, ..., nlags.
    acf : ndarray of shape (nlags + 1,)
        Sample autocorrelation (biased estimator), ``acf[0] == 1``.
    lower, upper : ndarray of shape (nlags + 1,)
        Per-lag ``alpha/2`` and ``1 - alpha/2`` quantiles of the ACF of the
        shuffled series (both 1 at lag 0).
    significant : bool ndarray of shape (nlags + 1,)
        ``acf`` outside ``[lower, upper]``; always False at lag 0.
    n_shuffles : int
    alpha : float
    """

    lags: np.ndarray
    acf: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    significant: np.ndarray
    n_shuffles: int
    alpha: float = 0.05

    def __repr__(self):
        sig = np.flatnonzero(self.significant)
        shown = ", ".join(str(int(k)) for k in sig[:8]) + (", ..." if sig.size > 8 else "")
        return (f"ACFResult(nlags={self.lags.size - 1}, n_shuffles={self.n_shuffles}, "
                f"alpha={self.alpha}, significant lags=[{shown}])")


@dataclass(repr=False)
class KantzResult:
    """Outcome of :func:`kantz`.

    Attributes
    ----------
    steps : int ndarray of shape (max_steps + 1,)
        Time offsets dt = 0 .. max_steps.
    stretching : ndarray of shape (n_dim, n_eps, max_steps + 1)
        S(m, eps, dt); NaN for (m, eps) cells with fewer than 10 reference
        points that have neighbours.
    mean_curve : ndarray of shape (max_steps + 1,)
        Mean of the valid rows of ``stretching``; the exponent is its slope.
    exponent : float
        Slope of the linear fit of ``mean_curve`` over ``fit_range``
        (per time step, natural log). NaN when no cell was valid.
    fit_range : tuple of int
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
    """

    steps: np.ndarray
    stretching: np.ndarray
    mean_curve: np.ndarray
    exponent: float
    fit_range: tuple
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
        return (f"KantzResult(exponent={_fmt(self.exponent)}, fit_range={tuple(self.fit_range)}, "
                f"r2={_fmt(self.r2, 3)}, p_value={_fmt(self.p_value, 3)}, "
                f"significant={bool(self.significant)}, dims={[int(m) for m in np.atleast_1d(self.dims)]}, "
                f"n_eps={np.size(self.eps)})")


@dataclass(repr=False)
class RosensteinResult:
    """Outcome of :func:`rosenstein`.

    Attributes
    ----------
    steps : int ndarray of shape (max_steps + 1,)
    divergence : ndarray of shape (max_steps + 1,)
        ``<ln d_j(i)>``: mean over reference points j of the log distance to
        their nearest neighbour after i steps.
    exponent : float
        Slope of the linear fit of ``divergence`` over ``fit_range``.
    fit_range : tuple of int
    intercept, r2 : float
    p_value : float
    significant : bool
    dim, delay, min_tsep : int
    surrogate_exponents : ndarray of shape (n_surrogates,)
    tested_exponent : float
        As in :class:`KantzResult`.
    alpha : float
    """

    steps: np.ndarray
    divergence: np.ndarray
    exponent: float
    fit_range: tuple
    intercept: float
    r2: float
    p_value: float
    significant: bool
    dim: int = None
    delay: int = None
    min_tsep: int = None
    surrogate_exponents: np.ndarray = field(default_factory=lambda: np.empty(0))
    tested_exponent: float = np.nan
    alpha: float = 0.05

    def __repr__(self):
        return (f"RosensteinResult(exponent={_fmt(self.exponent)}, "
                f"fit_range={tuple(self.fit_range)}, r2={_fmt(self.r2, 3)}, "
                f"p_value={_fmt(self.p_value, 3)}, significant={bool(self.significant)}, "
                f"dim={self.dim}, min_tsep={self.min_tsep})")


@dataclass(repr=False)
class LaminarResult:
    """Outcome of :func:`laminar_phases`.

    Attributes
    ----------
    period : int
        The period p of the laminar phases.
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
    laminar_fraction : float
        ``mask.mean()``.
    mean_length : float
        Mean phase length (NaN without phases).
    """

    period: int
    tol: float
    mask: np.ndarray
    phases: np.ndarray
    bursts: np.ndarray
    lengths: np.ndarray
    laminar_fraction: float
    mean_length: float

    @property
    def burst_lengths(self):
        """int ndarray of shape (n_bursts,): ``stop - start`` of each burst."""
        return self.bursts[:, 1] - self.bursts[:, 0]

    def __repr__(self):
        return (f"LaminarResult(period={self.period}, n={self.mask.size}, "
                f"n_phases={len(self.phases)}, n_bursts={len(self.bursts)}, "
                f"laminar_fraction={_fmt(self.laminar_fraction, 3)}, "
                f"mean_length={_fmt(self.mean_length, 4)})")


@dataclass(repr=False)
class LaminarLengthStats:
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
    """

    n: int
    mean: float
    std: float
    median: float
    values: np.ndarray
    survival: np.ndarray

    def __repr__(self):
        return (f"LaminarLengthStats(n={self.n}, mean={_fmt(self.mean)}, std={_fmt(self.std)}, "
                f"median={_fmt(self.median)})")


# --------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------
def _series(series, name="series", min_len=2, squares=False):
    x = as_float_array(series, name, ndim=1)
    if x.size < min_len:
        raise ValueError(f"{name} must have at least {min_len} points, got {x.size}")
    if squares and x.size and np.max(np.abs(x)) * np.sqrt(x.size) > 1e150:
        # sums of squared differences would overflow float64
        raise ValueError(f"{name} has values up to {np.max(np.abs(x)):.3g}, too large for sums of "
                         "squares in float64; rescale it (exponents and autocorrelations do "
                         "not depend on the scale)")
    return x


def _check_alpha(alpha):
    alpha = check_positive(alpha, "alpha")
    if not alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    return alpha


def _dims(dim):
    if isinstance(dim, numbers.Integral) and not isinstance(dim, bool):
        dims = [dim]
    else:
        try:
            dims = list(dim)
        except TypeError:
            raise TypeError(f"dim must be an int or a sequence of ints, got {type(dim).__name__}") from None
        if not dims:
            raise ValueError("dim must not be empty")
    return np.array(sorted({check_int(m, "dim", minimum=1) for m in dims}), dtype=np.int64)


def _resolution(x):
    """Smallest meaningful distance for the values of ``x`` (floor inside logarithms)."""
    return float(4.0 * np.spacing(max(float(np.max(np.abs(x))), np.finfo(float).tiny)))


def _progress(progress, total, desc):
    if not progress or total == 0:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc)


# --------------------------------------------------------------------------
# delay embedding
# --------------------------------------------------------------------------
def delay_embed(series, dim, delay=1):
    """Delay vectors of a scalar series.

    Parameters
    ----------
    series : ndarray of shape (n,)
    dim : int
        Embedding dimension m >= 1.
    delay : int, default 1
        Delay tau >= 1 (in samples).

    Returns
    -------
    ndarray of shape (n - (dim - 1) * delay, dim)
        Row i is ``(x_i, x_{i+tau}, ..., x_{i+(m-1)tau})`` (a contiguous copy).

    Raises
    ------
    ValueError
        If the series has fewer than ``(dim - 1) * delay + 1`` points, or holds
        NaN/inf.

    Notes
    -----
    Row i collects the present value and the m - 1 delayed ones *forward* in
    time, so row i + dt is the image of row i after dt steps. By Takens'
    theorem the rows of a generic observable of a deterministic system trace
    a diffeomorphic copy of its attractor once m exceeds twice its box
    dimension [1]_.

    References
    ----------
    .. [1] H. Kantz and T. Schreiber, *Nonlinear Time Series Analysis*,
       2nd ed., Cambridge University Press (2004), ch. 3.
    """
    x = _series(series, min_len=1)
    dim = check_int(dim, "dim", minimum=1)
    delay = check_int(delay, "delay", minimum=1)
    span = (dim - 1) * delay
    if x.size <= span:
        raise ValueError(f"series of length {x.size} is too short for dim={dim} and delay={delay}: "
                         f"it needs at least (dim - 1) * delay + 1 = {span + 1} points")
    return _embed(x, dim, delay)


def _embed(x, dim, delay):
    span = (dim - 1) * delay
    win = np.lib.stride_tricks.sliding_window_view(x, span + 1)
    return np.ascontiguousarray(win[:, ::delay])


# --------------------------------------------------------------------------
# autocorrelation with a shuffled null
# --------------------------------------------------------------------------
def acf(series, nlags=50, n_shuffles=1000, seed=None, alpha=0.05, progress=False):
    """Sample autocorrelation function with a shuffled-null significance band.

    Parameters
    ----------
    series : ndarray of shape (n,)
        A finite, non-constant series with n > nlags.
    nlags : int, default 50
        Largest lag.
    n_shuffles : int, default 1000
        Random permutations of the series forming the null model.
    seed : int or numpy.random.Generator, optional
    alpha : float, default 0.05
        Two-sided level of the band: quantiles alpha/2 and 1 - alpha/2.
    progress : bool, default False
        Show a progress bar over the shuffle chunks.

    Returns
    -------
    ACFResult
        ``lags``, ``acf``, ``lower``, ``upper``, ``significant`` of shape
        (nlags + 1,) and ``n_shuffles``.

    Raises
    ------
    ValueError
        For a constant or non-finite series, ``nlags >= n`` or bad numbers.

    Notes
    -----
    The estimator is the biased one of Box and Jenkins,

    ``r(k) = sum_{t<n-k} (x_t - xbar)(x_{t+k} - xbar) / sum_t (x_t - xbar)^2``,

    so ``r(0) = 1`` and the sequence is positive semi-definite. Shuffling
    keeps the mean and the variance, so only the numerators change; they are
    computed for many shuffles at once as ``irfft(|rfft(x, nfft)|^2)`` with
    ``nfft >= n + nlags`` (zero padding that keeps lags up to nlags free of
    circular wrap-around), in chunks of at most ~64 MB. The
    band is the per-lag empirical ``alpha/2`` and ``1 - alpha/2`` quantiles of
    the shuffled ACFs -- the null "no temporal order" of Danovski et al. [2]_
    (their Fig. 10 uses 1,000 shuffles and alpha = 0.05). For white noise
    the band is about ``+-1.96/sqrt(n)`` and narrows like ``1/sqrt(n)``.
    Lag 0 is never flagged (r(0) = 1 for every permutation).

    References
    ----------
    .. [1] G. E. P. Box, G. M. Jenkins, G. C. Reinsel, *Time Series Analysis*,
       4th ed., Wiley (2008), sec. 2.1.
    .. [2] K. Danovski, M. C. Soriano, L. Lacasa, "Dynamical stability and
       chaos in artificial neural network trajectories along training",
       Front. Complex Syst. 2 (2024).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.sin(2 * np.pi * np.arange(600) / 3) + 0.1 * rng.normal(size=600)
    >>> res = acf(x, nlags=10, n_shuffles=200, seed=1)
    >>> bool(res.significant[3])
    True
    """
    from scipy import fft as _fft  # imported here: scipy costs 0.4 s of import time
    x = _series(series, min_len=3, squares=True)
    n = x.size
    nlags = check_int(nlags, "nlags", minimum=1)
    if nlags >= n:
        raise ValueError(f"nlags={nlags} must be smaller than the series length {n}: "
                         f"the series must have at least nlags + 1 = {nlags + 1} points")
    n_shuffles = check_int(n_shuffles, "n_shuffles", minimum=1)
    alpha = _check_alpha(alpha)
    rng = rng_from(seed)
    if np.ptp(x) == 0:
        raise ValueError("series is constant: its autocorrelation is undefined")

    xc = x - x.mean()
    c0 = float(np.dot(xc, xc))
    nfft = _fft.next_fast_len(n + nlags, real=True)   # no circular wrap up to lag nlags
    r = _acf_rows(xc[None, :], nfft, nlags)[0] / c0
    r[0] = 1.0

    rows_per_chunk = int(max(1, min(n_shuffles, _ACF_CHUNK_BYTES // (24 * nfft))))
    null = np.empty((n_shuffles, nlags + 1))
    bar = _progress(progress, n_shuffles, "ACF shuffles")
    for lo in range(0, n_shuffles, rows_per_chunk):
        hi = min(n_shuffles, lo + rows_per_chunk)
        block = np.tile(xc, (hi - lo, 1))
        rng.permuted(block, axis=1, out=block)
        null[lo:hi] = _acf_rows(block, nfft, nlags) / c0
        if bar is not None:
            bar.update(hi - lo)
    if bar is not None:
        bar.close()
    null[:, 0] = 1.0
    lower, upper = np.quantile(null, [alpha / 2, 1 - alpha / 2], axis=0)
    significant = (r < lower) | (r > upper)
    significant[0] = False
    return ACFResult(lags=np.arange(nlags + 1), acf=r, lower=lower, upper=upper,
                     significant=significant, n_shuffles=n_shuffles, alpha=alpha)


def _acf_rows(rows, nfft, nlags):
    """Autocovariance numerators of the (centred) rows, lags 0..nlags: shape (B, nlags + 1)."""
    from scipy import fft as _fft
    spec = _fft.rfft(rows, n=nfft, axis=1)
    power = spec.real ** 2 + spec.imag ** 2
    return _fft.irfft(power, n=nfft, axis=1)[:, :nlags + 1]


# --------------------------------------------------------------------------
# shared pieces of the Lyapunov estimators
# --------------------------------------------------------------------------
def _mean_period(x):
    """Mean period (samples) = 1 / power-weighted mean frequency of the FFT, rounded, >= 1."""
    xc = x - x.mean()
    power = np.abs(np.fft.rfft(xc)) ** 2
    freqs = np.fft.rfftfreq(x.size)
    power[0] = 0.0
    total = power.sum()
    if not total > 0:
        return 1
    mean_f = float(np.dot(freqs, power) / total)
    return int(max(1, round(1.0 / mean_f)))


def _linfit(t, y):
    """Least-squares line through (t, y): slope, intercept, R^2 (NaN when y is constant)."""
    t = np.asarray(t, dtype=float)
    tm, ym = t.mean(), y.mean()
    dt = t - tm
    sxx = float(np.dot(dt, dt))
    slope = float(np.dot(dt, y - ym) / sxx)
    intercept = float(ym - slope * tm)
    resid = y - (intercept + slope * t)
    ss_tot = float(np.dot(y - ym, y - ym))
    r2 = 1.0 - float(np.dot(resid, resid)) / ss_tot if ss_tot > 0 else np.nan
    return slope, intercept, r2


def _auto_fit(curve):
    """Fit window of the automatic rule: best R^2 over windows starting at 1, 2 or 3, >= 5 points."""
    last = curve.size
    best, best_r2 = None, -np.inf
    if np.all(np.isfinite(curve)):
        steps = np.arange(last)
        for start in _FIT_STARTS:
            for stop in range(start + _FIT_MIN_POINTS, last + 1):
                r2 = _linfit(steps[start:stop], curve[start:stop])[2]
                if np.isfinite(r2) and r2 > best_r2 + 1e-12:
                    best, best_r2 = (start, stop), r2
    if best is None:
        start = min(_FIT_STARTS[0], last - _FIT_MIN_POINTS)
        best = (start, start + _FIT_MIN_POINTS)
    return best


def _check_fit(fit, max_steps):
    if fit is None:
        if max_steps < _FIT_STARTS[0] + _FIT_MIN_POINTS - 1:
            raise ValueError(f"max_steps must be >= {_FIT_STARTS[0] + _FIT_MIN_POINTS - 1} for the "
                             f"automatic fit range, got {max_steps}")
        return None
    try:
        start, stop = fit
    except (TypeError, ValueError):
        raise TypeError("fit must be None or a (start, stop) pair of ints") from None
    start = check_int(start, "fit start", minimum=0)
    stop = check_int(stop, "fit stop", minimum=start + 2, maximum=max_steps + 1)
    return (start, stop)


def _fit_curve(curve, fit):
    """(exponent, intercept, r2, fit_range) of a curve, fit window fixed or automatic."""
    window = _auto_fit(curve) if fit is None else fit
    seg = curve[window[0]:window[1]]
    if not np.all(np.isfinite(seg)):
        return np.nan, np.nan, np.nan, window
    slope, intercept, r2 = _linfit(np.arange(window[0], window[1]), seg)
    return slope, intercept, r2, window


def _end_matched(x):
    """The stretch x[a:b] (a and b within 5% of the ends) whose periodic continuation jumps least.

    Phase randomisation treats the series as one period of a periodic signal;
    a jump between its last and first values leaks power into all
    frequencies and makes the surrogates noisier than the data. Following
    Schreiber and Schmitz, the stretch minimising the squared mismatch of the
    end values plus that of the end slopes is used.
    """
    n = x.size
    trim = int(min(n // 20, 200))
    if trim < 1:
        return x
    a = np.arange(trim + 1)[:, None]
    b = (n - np.arange(trim + 1))[None, :]           # stop (exclusive)
    jump = (x[a] - x[b - 1]) ** 2 + ((x[a + 1] - x[a]) - (x[b - 1] - x[b - 2])) ** 2
    k = np.argmin(jump)
    start, stop = int(a[k // (trim + 1), 0]), int(b[0, k % (trim + 1)])
    return x[start:stop]


def _surrogate(x, kind, rng):
    """A surrogate of the series: random permutation or Fourier phase randomisation."""
    if kind == "shuffle":
        return rng.permutation(x)
    n = x.size
    mean = x.mean()
    spec = np.fft.rfft(x - mean)
    phases = rng.uniform(0.0, 2.0 * np.pi, spec.size)
    phases[0] = 0.0
    out = np.abs(spec) * np.exp(1j * phases)
    if n % 2 == 0:                                  # the Nyquist term stays real
        out[-1] = np.abs(spec[-1]) * (1.0 if rng.random() < 0.5 else -1.0)
    return np.fft.irfft(out, n=n) + mean


def _surrogate_test(observed, x, kind, n_surrogates, rng, analyse, alpha, progress, desc,
                    min_len):
    """One-sided rank test of the exponent against ``analyse(surrogate)`` exponents.

    Phase surrogates are made from the end-matched stretch of ``x``; when that
    stretch is shorter than ``x``, the data's statistic is recomputed on it, so
    that data and surrogates have the same length (curves of short series
    start higher: nearest neighbours are farther apart); the whole series is
    used when the stretch would be shorter than ``min_len``. Returns
    ``(p, significant, surrogate_exponents, tested_exponent)``.
    """
    surr = np.full(n_surrogates, np.nan)
    if n_surrogates == 0:
        return np.nan, False, surr, observed
    base = _end_matched(x) if kind == "phase" else x
    if base.size < min_len:
        base = x
    tested = observed if base.size == x.size else analyse(base)
    bar = _progress(progress, n_surrogates, desc)
    for k in range(n_surrogates):
        surr[k] = analyse(_surrogate(base, kind, rng))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    if not np.isfinite(tested):
        return 1.0, False, surr, tested
    # a surrogate without a usable curve counts against the data (conservative)
    exceed = int(np.sum(~(surr < tested)))
    p = (1 + exceed) / (n_surrogates + 1)
    return p, bool(p < alpha), surr, tested


# --------------------------------------------------------------------------
# Kantz
# --------------------------------------------------------------------------
def _kantz_curves(x, dims, delay, eps, max_steps, theiler, future, max_pairs, rng):
    """S(m, eps, dt) for every m in dims (eps ascending): (stretching, n_ref)."""
    n_eps = eps.size
    floor = _resolution(x)
    last_only = future == "last"
    stretch = np.full((dims.size, n_eps, max_steps + 1), np.nan)
    n_ref = np.zeros((dims.size, n_eps), dtype=np.int64)
    n_boxes = int(min(_KANTZ_BOXES, np.ceil(np.ptp(x) / eps[-1]) + 3))
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
        valid = n_ref[a] >= _KANTZ_MIN_REFS
        stretch[a, valid] = total[valid] / n_ref[a, valid, None]
    return stretch, n_ref


def kantz(series, dim=(2, 3, 4, 5), delay=1, eps=None, n_eps=4, max_steps=20, theiler=None,
          fit=None, n_surrogates=99, surrogate="phase", future="last", alpha=0.05,
          max_pairs=1_000_000, seed=None, progress=False):
    """Largest Lyapunov exponent of a scalar series by Kantz's method, with a surrogate test.

    Parameters
    ----------
    series : ndarray of shape (n,)
        Finite samples at unit time steps (e.g. a training-loss series).
    dim : int or sequence of int, default (2, 3, 4, 5)
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
    fit : (int, int), optional
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
        ``steps`` (max_steps + 1,), ``stretching`` (n_dim, n_eps,
        max_steps + 1), ``mean_curve`` (max_steps + 1,), ``exponent``,
        ``fit_range``, ``intercept``, ``r2``, ``p_value``, ``significant``.

    Raises
    ------
    ValueError
        Non-finite series; series too short (it needs
        ``(max(dim) - 1) * delay + max_steps + 2 * theiler + 20`` points);
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
    six steps; for faster divergence it is shorter and ``fit`` should be
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
    >>> x = np.empty(3000); x[0] = 0.3
    >>> for t in range(1, x.size):
    ...     x[t] = 4.0 * x[t - 1] * (1.0 - x[t - 1])
    >>> res = kantz(x, n_surrogates=39, seed=0)
    >>> bool(abs(res.exponent - np.log(2)) < 0.05), res.significant
    (True, True)
    """
    x = _series(series, min_len=3, squares=True)
    dims = _dims(dim)
    delay = check_int(delay, "delay", minimum=1)
    max_steps = check_int(max_steps, "max_steps", minimum=1)
    fit = _check_fit(fit, max_steps)
    n_surrogates = check_int(n_surrogates, "n_surrogates", minimum=0)
    kind = check_choice(surrogate, "surrogate", _SURROGATES)
    future = check_choice(future, "future", _FUTURES)
    alpha = _check_alpha(alpha)
    if max_pairs is not None:
        max_pairs = check_int(max_pairs, "max_pairs", minimum=1000)
    rng = rng_from(seed)
    if theiler is None:
        theiler = _mean_period(x)
    else:
        theiler = check_int(theiler, "theiler", minimum=0)
    span = (int(dims[-1]) - 1) * delay
    need = span + max_steps + 2 * theiler + 20
    if x.size < need:
        raise ValueError(f"series of length {x.size} is too short for dim={int(dims[-1])}, "
                         f"delay={delay}, max_steps={max_steps} and theiler={theiler}: it needs at "
                         f"least (max(dim) - 1) * delay + max_steps + 2 * theiler + 20 = {need} points")
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
        valid = n_ref >= _KANTZ_MIN_REFS
        mean_curve = stretch[valid].mean(axis=0) if valid.any() else np.full(max_steps + 1, np.nan)
        return stretch, n_ref, mean_curve

    stretch, n_ref, mean_curve = analyse(x)
    exponent, intercept, r2, window = _fit_curve(mean_curve, fit)
    p, significant, surr, tested = _surrogate_test(
        exponent, x, kind, n_surrogates, rng, lambda y: _fit_curve(analyse(y)[2], fit)[0],
        alpha, progress, "Kantz surrogates", need)
    return KantzResult(steps=np.arange(max_steps + 1), stretching=stretch, mean_curve=mean_curve,
                       exponent=exponent, fit_range=tuple(int(v) for v in window),
                       intercept=intercept, r2=r2, p_value=p, significant=significant,
                       dims=dims, eps=radii, n_ref=n_ref, theiler=int(theiler),
                       surrogate_exponents=surr, tested_exponent=tested, alpha=alpha)


# --------------------------------------------------------------------------
# Rosenstein
# --------------------------------------------------------------------------
def _rosenstein_curve(x, dim, delay, min_tsep, max_steps):
    """<ln d_j(i)>, i = 0..max_steps, over all reference points j."""
    from scipy.spatial import cKDTree  # imported here: scipy costs 0.4 s of import time
    span = (dim - 1) * delay
    n_use = x.size - span - max_steps
    X = _embed(x[:n_use + span], dim, delay)
    tree = cKDTree(X)
    nn = np.full(n_use, -1, dtype=np.int64)
    todo = np.arange(n_use)
    # a few neighbours usually suffice; 2 * min_tsep + 2 always leave one outside the window
    for k in sorted({min(n_use, 8, 2 * min_tsep + 2), min(n_use, 2 * min_tsep + 2)}):
        if todo.size == 0:
            break
        idx = tree.query(X[todo], k=k)[1].reshape(todo.size, k)
        ok = np.abs(idx - todo[:, None]) > min_tsep
        first = np.argmax(ok, axis=1)
        hit = ok[np.arange(todo.size), first]
        nn[todo[hit]] = idx[hit, first[hit]]
        todo = todo[~hit]
    refs = np.flatnonzero(nn >= 0)
    nn = nn[refs]
    floor = _resolution(x)
    offsets = np.arange(0, span + 1, delay)
    out = np.empty(max_steps + 1)
    for i in range(max_steps + 1):
        diff = x[(refs + i)[:, None] + offsets] - x[(nn + i)[:, None] + offsets]
        d = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        out[i] = np.mean(np.log(np.maximum(d, floor)))
    return out


def rosenstein(series, dim=5, delay=1, min_tsep=None, max_steps=20, fit=None, n_surrogates=99,
               surrogate="phase", alpha=0.05, seed=None, progress=False):
    """Largest Lyapunov exponent by the nearest-neighbour method of Rosenstein et al.

    Parameters
    ----------
    series : ndarray of shape (n,)
    dim : int, default 5
        Embedding dimension m.
    delay : int, default 1
    min_tsep : int, optional
        Temporal separation: the nearest neighbour j of point i must have
        ``|i - j| > min_tsep``. Default: the mean period of the series (the
        inverse of the power-weighted mean frequency of its periodogram),
        as Rosenstein et al. [1]_ suggest.
    max_steps : int, default 20
    fit : (int, int), optional
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
        ``steps`` and ``divergence`` of shape (max_steps + 1,), ``exponent``,
        ``fit_range``, ``intercept``, ``r2``, ``p_value``, ``significant``.

    Raises
    ------
    ValueError
        Non-finite series, too short (it needs
        ``(dim - 1) * delay + max_steps + 2 * min_tsep + 20`` points), bad
        parameters.

    Notes
    -----
    Every delay vector ``s_j`` whose future ``s_{j+max_steps}`` exists gets
    its Euclidean nearest neighbour ``s_{nn(j)}`` (k-d tree) among the
    points with ``|j - nn| > min_tsep``; ``d_j(i) = |s_{j+i} - s_{nn(j)+i}|``
    and the divergence curve is ``y(i) = <ln d_j(i)>_j`` (distances floored
    at the floating-point resolution of the data). ``y(i) ~ ln d_0 +
    lambda_1 i`` in the linear region [1]_. Unlike Kantz's method the single
    nearest neighbour needs no radius, but the curve is noisier for short
    series; and as the whole delay vectors are compared, the curve of pure
    noise climbs for about m steps before it levels off (so its fitted
    "exponent" is not 0 -- the surrogates show the same climb).

    Fit window and significance test are those of :func:`kantz`: best-R^2
    window of at least 5 steps starting at step 1, 2 or 3 unless ``fit`` is
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
    """
    x = _series(series, min_len=3, squares=True)
    dim = check_int(dim, "dim", minimum=1)
    delay = check_int(delay, "delay", minimum=1)
    max_steps = check_int(max_steps, "max_steps", minimum=1)
    fit = _check_fit(fit, max_steps)
    n_surrogates = check_int(n_surrogates, "n_surrogates", minimum=0)
    kind = check_choice(surrogate, "surrogate", _SURROGATES)
    alpha = _check_alpha(alpha)
    rng = rng_from(seed)
    if min_tsep is None:
        min_tsep = _mean_period(x)
    else:
        min_tsep = check_int(min_tsep, "min_tsep", minimum=0)
    span = (dim - 1) * delay
    need = span + max_steps + 2 * min_tsep + 20
    if x.size < need:
        raise ValueError(f"series of length {x.size} is too short for dim={dim}, delay={delay}, "
                         f"max_steps={max_steps} and min_tsep={min_tsep}: it needs at least "
                         f"(dim - 1) * delay + max_steps + 2 * min_tsep + 20 = {need} points")

    curve = _rosenstein_curve(x, dim, delay, min_tsep, max_steps)
    exponent, intercept, r2, window = _fit_curve(curve, fit)
    p, significant, surr, tested = _surrogate_test(
        exponent, x, kind, n_surrogates, rng,
        lambda y: _fit_curve(_rosenstein_curve(y, dim, delay, min_tsep, max_steps), fit)[0],
        alpha, progress, "Rosenstein surrogates", need)
    return RosensteinResult(steps=np.arange(max_steps + 1), divergence=curve, exponent=exponent,
                            fit_range=tuple(int(v) for v in window), intercept=intercept, r2=r2,
                            p_value=p, significant=significant, dim=dim, delay=delay,
                            min_tsep=int(min_tsep), surrogate_exponents=surr,
                            tested_exponent=tested, alpha=alpha)


# --------------------------------------------------------------------------
# intermittency: laminar phases
# --------------------------------------------------------------------------
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
    """
    x = _series(series)
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


def laminar_phases(series, period=None, tol=None, min_length=None, max_period=12):
    """Laminar (near-periodic) phases and bursts of a series.

    Parameters
    ----------
    series : ndarray of shape (n,)
    period : int, optional
        Period p of the laminar phases; default :func:`dominant_period`.
    tol : float, optional
        Absolute tolerance of ``|x_t - x_{t-p}| <= tol``; default 1% of the
        interquartile range (of the range when the IQR is zero).
    min_length : int, optional
        Shortest laminar phase, in points (default ``3 * p``: the pattern
        seen three times). Must be > p.
    max_period : int, default 12
        Search range of the default period.

    Returns
    -------
    LaminarResult
        ``period``, ``tol``, ``mask`` (n,), ``phases`` (n_phases, 2),
        ``bursts`` (n_bursts, 2), ``lengths``, ``laminar_fraction``,
        ``mean_length``.

    Notes
    -----
    A time t >= p *matches* when ``|x_t - x_{t-p}| <= tol``. A run of
    consecutive matches ``[s, e)`` means that ``x_{s-p} .. x_{e-1}`` repeat
    with period p, so the laminar phase is ``[s - p, e)`` (of length
    ``e - s + p``): it starts where the periodic pattern starts, not p steps
    later. Phases shorter than ``min_length`` are dropped, then overlapping
    phases are merged; everything outside the phases is a burst (including
    the stretches before the first and after the last phase). In type-I
    intermittency the mean laminar length scales as ``eps^{-1/2}`` with the
    distance eps to the tangent bifurcation [1]_; compare the length
    statistics with :func:`laminar_length_stats`. Danovski et al. [2]_
    observe period-3 laminar phases of the loss at learning rate 5,
    interrupted by irregular bursts.

    References
    ----------
    .. [1] Y. Pomeau, P. Manneville, "Intermittent transition to turbulence in
       dissipative dynamical systems", Commun. Math. Phys. 74, 189-197
       (1980).
    .. [2] K. Danovski, M. C. Soriano, L. Lacasa, "Dynamical stability and
       chaos in artificial neural network trajectories along training",
       Front. Complex Syst. 2 (2024), sec. 4.2.
    """
    x = _series(series)
    n = x.size
    max_period = check_int(max_period, "max_period", minimum=1)
    tol = _tol(tol, x)
    if period is None:
        period = dominant_period(x, max_period=max_period, tol=tol)
    else:
        period = check_int(period, "period", minimum=1)
        if n <= period:
            raise ValueError(f"series of length {n} is too short for period={period}: "
                             f"it needs at least period + 1 = {period + 1} points")
    if min_length is None:
        min_length = 3 * period
    else:
        min_length = check_int(min_length, "min_length", minimum=period + 1)

    match = np.zeros(n, dtype=bool)
    match[period:] = np.abs(x[period:] - x[:-period]) <= tol
    cand = _runs(match)
    cand[:, 0] -= period
    cand = cand[cand[:, 1] - cand[:, 0] >= min_length]
    merged = []
    for start, stop in cand:
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], stop)
        else:
            merged.append([start, stop])
    phases = np.array(merged, dtype=np.int64).reshape(-1, 2)
    mask = np.zeros(n, dtype=bool)
    for start, stop in phases:
        mask[start:stop] = True
    bursts = _runs(~mask)
    lengths = phases[:, 1] - phases[:, 0]
    return LaminarResult(period=int(period), tol=float(tol), mask=mask, phases=phases,
                         bursts=bursts, lengths=lengths, laminar_fraction=float(mask.mean()),
                         mean_length=float(lengths.mean()) if lengths.size else np.nan)


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
