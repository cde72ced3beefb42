"""Helpers shared by the time-series estimators: series checks, embedding, fits, surrogates."""

import numbers

import numpy as np

from .._fit import line_fit
from .._progress import progress_bar
from .._validate import as_float_array, check_int, check_positive

#: scratch memory bound (bytes) for the batched shuffle ACFs
ACF_CHUNK_BYTES = 64 * 2**20


#: side of the wrapped grid of the box-assisted neighbour search
KANTZ_BOXES = 512


#: a Kantz curve needs at least this many reference points with neighbours
KANTZ_MIN_REFS = 10


#: automatic fit: windows start at one of these steps ...
FIT_STARTS = (1, 2, 3)


#: ... and hold at least this many points
FIT_MIN_POINTS = 5


SURROGATES = {"shuffle": "shuffle", "permutation": "shuffle", "phase": "phase",
               "fourier": "phase", "ft": "phase"}


FUTURES = {"vector": "vector", "last": "last", "scalar": "last"}


def as_series(series, name="series", min_len=2, squares=False):
    x = as_float_array(series, name, ndim=1)
    if x.size < min_len:
        raise ValueError(f"{name} must have at least {min_len} points, got {x.size}")
    if squares and x.size and np.max(np.abs(x)) * np.sqrt(x.size) > 1e150:
        # sums of squared differences would overflow float64
        raise ValueError(f"{name} has values up to {np.max(np.abs(x)):.3g}, too large for sums of "
                         "squares in float64; rescale it (exponents and autocorrelations do "
                         "not depend on the scale)")
    return x


def check_alpha(alpha):
    alpha = check_positive(alpha, "alpha")
    if not alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    return alpha


def check_dims(dims):
    """Embedding dimensions: an int or a non-empty sequence of ints >= 1, sorted and unique."""
    if isinstance(dims, numbers.Integral) and not isinstance(dims, bool):
        values = [dims]
    else:
        try:
            values = list(dims)
        except TypeError:
            raise TypeError("dims must be an int or a sequence of ints, got "
                            f"{type(dims).__name__}") from None
        if not values:
            raise ValueError("dims must not be empty")
    return np.array(sorted({check_int(m, "dims", minimum=1) for m in values}), dtype=np.int64)


def resolution(x):
    """Smallest meaningful distance for the values of ``x`` (floor inside logarithms)."""
    return float(4.0 * np.spacing(max(float(np.max(np.abs(x))), np.finfo(float).tiny)))


def embed(x, dim, delay):
    span = (dim - 1) * delay
    win = np.lib.stride_tricks.sliding_window_view(x, span + 1)
    return np.ascontiguousarray(win[:, ::delay])


def mean_period(x):
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


def auto_fit(curve):
    """Fit window of the automatic rule: best R^2 over windows starting at 1, 2 or 3, >= 5 points."""
    last = curve.size
    best, best_r2 = None, -np.inf
    if np.all(np.isfinite(curve)):
        steps = np.arange(last)
        for start in FIT_STARTS:
            for stop in range(start + FIT_MIN_POINTS, last + 1):
                r2 = line_fit(steps[start:stop], curve[start:stop])[2]
                if np.isfinite(r2) and r2 > best_r2 + 1e-12:
                    best, best_r2 = (start, stop), r2
    if best is None:
        start = min(FIT_STARTS[0], last - FIT_MIN_POINTS)
        best = (start, start + FIT_MIN_POINTS)
    return best


def check_window(window, max_steps):
    """``None`` (automatic window) or a checked ``(start, stop)`` window on the time axis."""
    if window is None:
        if max_steps < FIT_STARTS[0] + FIT_MIN_POINTS - 1:
            raise ValueError(f"max_steps must be >= {FIT_STARTS[0] + FIT_MIN_POINTS - 1} for the "
                             f"automatic fit range, got {max_steps}")
        return None
    try:
        start, stop = window
    except (TypeError, ValueError):
        raise TypeError("window must be None or a (start, stop) pair of ints") from None
    start = check_int(start, "window start", minimum=0)
    stop = check_int(stop, "window stop", minimum=start + 2, maximum=max_steps + 1)
    return (start, stop)


def fit_curve(curve, fixed):
    """(exponent, intercept, r2, window) of a curve, fit window ``fixed`` or automatic (None)."""
    window = auto_fit(curve) if fixed is None else fixed
    seg = curve[window[0]:window[1]]
    if not np.all(np.isfinite(seg)):
        return np.nan, np.nan, np.nan, window
    slope, intercept, r2 = (float(v) for v in line_fit(np.arange(window[0], window[1]), seg))
    return slope, intercept, r2, window


def end_matched(x):
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


def surrogate(x, kind, rng):
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


def surrogate_test(observed, x, kind, n_surrogates, rng, analyse, alpha, progress, desc,
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
    base = end_matched(x) if kind == "phase" else x
    if base.size < min_len:
        base = x
    tested = observed if base.size == x.size else analyse(base)
    bar = progress_bar(progress, n_surrogates, desc)
    for k in range(n_surrogates):
        surr[k] = analyse(surrogate(base, kind, rng))
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
