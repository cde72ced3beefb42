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


#: automatic fit: windows hold at least this many curve points ...
FIT_MIN_POINTS = 4


#: ... and at least this fraction of the points before saturation
FIT_MIN_FRACTION = 1 / 2


#: the curve has saturated once it is within this fraction of its rise from its top
FIT_SATURATION = 0.3


#: default curves hold at most this many points after t = 0 (longer ones are strided)
MAX_CURVE_POINTS = 50


#: why an exponent (or a p-value) is NaN: reason code -> explanation
REASONS = {
    "theiler_window": "every neighbour of every reference point lies inside the Theiler window "
                      "(give a smaller theiler, or a longer series)",
    "rounding_level": "the only neighbours are rounding-level copies (an exactly repeating "
                      "series): nothing diverges",
    "no_neighbours": "no reference point has a neighbour within eps (give larger eps)",
    "too_few_references": "fewer than 10 reference points have neighbours in every "
                          "(dims, eps) cell",
    "zero_distances": "at some time offset of the fit window every distance is exactly zero",
    "no_surrogates": "n_surrogates=0: no surrogate test was run",
}


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


def rounding_scale(x):
    """Distance at or below which two delay vectors are rounding-level copies of each other.

    ``delta = max(sqrt(u) * std(x), 64 * u * max|x|)`` with ``u`` the unit
    roundoff of the data's precision: ``2**-24`` when every value is exactly
    a float32 number (data recorded in float32), else ``2**-53``. See the
    Notes of :func:`~netchaos.timeseries.kantz`.
    """
    u = 2.0 ** -24 if np.array_equal(x.astype(np.float32).astype(np.float64), x) else 2.0 ** -53
    return float(max(np.sqrt(u) * float(np.std(x)), 64.0 * u * float(np.max(np.abs(x)))))


def check_surrogates(n_surrogates, alpha):
    """Checked ``(n_surrogates, alpha)``: 0 (no test) or enough surrogates to reach p < alpha."""
    n_surrogates = check_int(n_surrogates, "n_surrogates", minimum=0)
    alpha = check_alpha(alpha)
    if n_surrogates and not 1.0 / (n_surrogates + 1) < alpha:
        need = int(np.floor(1.0 / alpha))
        raise ValueError(f"n_surrogates={n_surrogates} can never give a p-value below "
                         f"alpha={alpha:g}: the smallest attainable p-value is "
                         f"1 / (n_surrogates + 1) = {1.0 / (n_surrogates + 1):.3g}; use "
                         f"n_surrogates >= {need} (or 0 for no test), or a larger alpha")
    return n_surrogates, alpha


def check_dt(dt):
    """The sampling interval: a finite float > 0."""
    dt = check_positive(dt, "dt")
    if not np.isfinite(dt):
        raise ValueError(f"dt must be finite, got {dt}")
    return float(dt)


def embedding_defaults(x, delay, max_steps, theiler, span_dims):
    """``(delay, max_steps, theiler, stride, mean period)`` with the automatic rules filled in.

    ``span_dims`` is the largest embedding dimension. With P the mean period
    (samples): theiler = P; delay = max(1, round(P / 10)); max_steps = the
    largest of 20 and 2 P that the series can hold (it needs
    ``(m - 1) delay + max_steps + 2 theiler + 20`` points); the curve is
    evaluated every ``stride = ceil(max_steps / 50)`` samples when max_steps
    is automatic, else every sample.
    """
    period = mean_period(x)
    theiler = period if theiler is None else check_int(theiler, "theiler", minimum=0)
    delay = max(1, round(period / 10)) if delay is None else check_int(delay, "delay",
                                                                                minimum=1)
    if max_steps is None:
        room = x.size - (span_dims - 1) * delay - 2 * theiler - 20
        max_steps = int(max(20, min(2 * period, room)))
        stride = int(np.ceil(max_steps / MAX_CURVE_POINTS))
    else:
        max_steps = check_int(max_steps, "max_steps", minimum=1)
        stride = 1
    return delay, max_steps, theiler, stride, period


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
    """Fit window of the automatic rule (see the Notes of :func:`~netchaos.timeseries.kantz`).

    The fit ends before the saturation point k_sat, the first curve point
    within ``FIT_SATURATION`` of the curve's rise (from point 1 to its top)
    below its top; it starts at the point a >= 1 that gives the highest R^2
    with at least ``max(FIT_MIN_POINTS, (k_sat - 1) / 2)`` points.
    """
    last = curve.size
    lo = min(1, last - FIT_MIN_POINTS)
    fallback = (lo, lo + FIT_MIN_POINTS)
    if not np.all(np.isfinite(curve[1:])):
        return fallback
    top = float(np.max(curve[1:]))
    rise = top - float(curve[1])
    if not rise > 0:
        return fallback
    stop = 1 + int(np.argmax(curve[1:] >= top - FIT_SATURATION * rise))
    min_points = int(max(FIT_MIN_POINTS, np.ceil(FIT_MIN_FRACTION * (stop - 1))))
    if stop - 1 < min_points:
        return fallback
    steps = np.arange(last, dtype=float)
    best, best_r2 = fallback, -np.inf
    for start in range(1, stop - min_points + 1):
        r2 = line_fit(steps[start:stop], curve[start:stop])[2]
        if np.isfinite(r2) and r2 > best_r2 + 1e-12:
            best, best_r2 = (start, stop), r2
    return best


def check_window(window, n_points):
    """``None`` (automatic window) or a checked ``(start, stop)`` window of curve indices."""
    if window is None:
        if n_points < FIT_MIN_POINTS + 1:
            raise ValueError(f"max_steps must be >= {FIT_MIN_POINTS} for the automatic fit "
                             f"range, got {n_points - 1}")
        return None
    try:
        start, stop = window
    except (TypeError, ValueError):
        raise TypeError("window must be None or a (start, stop) pair of ints") from None
    start = check_int(start, "window start", minimum=0)
    stop = check_int(stop, "window stop", minimum=start + 2, maximum=n_points)
    return (start, stop)


def fit_curve(curve, fixed, t):
    """(exponent per time unit, intercept, r2, window) of a curve over the time axis ``t``."""
    window = auto_fit(curve) if fixed is None else fixed
    seg = curve[window[0]:window[1]]
    if not np.all(np.isfinite(seg)):
        return np.nan, np.nan, np.nan, window
    slope, intercept, r2 = (float(v) for v in line_fit(t[window[0]:window[1]], seg))
    return slope, intercept, r2, window


def curve_axis(x, name, dim, dim_text, dim_expr, delay, max_steps, theiler, window, dt):
    """The time axis of a divergence curve, with the automatic defaults and the length check.

    ``dim`` is the largest embedding dimension, ``dim_text``/``dim_expr`` how
    the error message names it. Returns ``(delay, theiler, offsets, window,
    need, t)``: offsets in samples, the checked fit window (None: automatic),
    the series length needed and ``t = offsets * dt``.
    """
    explicit = max_steps is not None
    delay, max_steps, theiler, stride, period = embedding_defaults(x, delay, max_steps, theiler,
                                                                  dim)
    offsets = np.arange(0, max_steps + 1, stride, dtype=np.int64)
    fixed = check_window(window, offsets.size)
    need = (dim - 1) * delay + max_steps + 2 * theiler + 20
    if x.size < need:
        raise ValueError(f"series of length {x.size} is too short for {dim_text}, delay={delay}, "
                         f"max_steps={max_steps} and theiler={theiler}: it needs at least "
                         f"({dim_expr} - 1) * delay + max_steps + 2 * theiler + 20 = {need} points")
    if explicit and fixed is None:
        warn_short_curve(name, max_steps, period)
    return delay, theiler, offsets, fixed, need, offsets * dt


def mean_rows(rows, n_t):
    """Mean over the rows of a (k, n_t) array, NaN-skipping per column; all NaN if k = 0."""
    if rows.shape[0] == 0:
        return np.full(n_t, np.nan)
    finite = np.isfinite(rows)
    n = finite.sum(axis=0)
    with np.errstate(invalid="ignore"):
        return np.where(n > 0, np.where(finite, rows, 0.0).sum(axis=0) / n, np.nan)


def warn_short_curve(name, max_steps, period):
    """Warn when an explicit max_steps covers less than half a mean period."""
    if 2 * max_steps < period:
        import warnings
        warnings.warn(f"{name}: max_steps={max_steps} covers less than half the mean period of "
                      f"the series ({period} samples): for a sampled flow the curve ends before "
                      "its linear region and the exponent is that of the initial transient; "
                      "leave max_steps at its default or give window explicitly",
                      UserWarning, stacklevel=5)


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
    ``(p, significant, surrogate_exponents, tested_exponent)``; significant
    means a positive exponent beyond the null: ``p < alpha``, both the data's
    exponent and the tested one > 0, and the tested one above the
    ``1 - alpha`` quantile of the surrogate exponents.
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
    upper = float(np.quantile(np.where(np.isfinite(surr), surr, np.inf), 1.0 - alpha,
                              method="higher"))
    significant = bool(p < alpha and observed > 0 and tested > 0 and tested > upper)
    return p, significant, surr, tested
