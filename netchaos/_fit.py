"""The one least-squares line fit of the package (exponent fits, decay fits, time-series slopes)."""

import numpy as np

__all__ = ["line_fit", "slope_stderr", "window_slopes"]


def line_fit(t, y):
    """Least squares ``y ~ intercept + slope * t`` on centred data.

    Parameters
    ----------
    t, y : ndarray of shape (n,)
        Abscissae and ordinates (float64, finite, n >= 2, t not constant).

    Returns
    -------
    slope, intercept, r2 : float
        ``r2`` is the squared correlation ``s_ty^2 / (s_tt s_yy)``, NaN when ``y`` is constant.

    Notes
    -----
    With ``tc = t - mean(t)`` and ``yc = y - mean(y)``: ``slope = <tc, yc> / <tc, tc>``,
    ``intercept = mean(y) - slope * mean(t)``. Centring first keeps the sums well conditioned
    for long windows far from ``t = 0``.
    """
    tc = t - t.mean()
    yc = y - y.mean()
    stt = np.dot(tc, tc)
    syy = np.dot(yc, yc)
    sty = np.dot(tc, yc)
    slope = sty / stt
    r2 = (sty * sty) / (stt * syy) if syy > 0 else np.nan
    return slope, y.mean() - slope * t.mean(), r2


def window_slopes(y, a, b):
    """Least-squares slopes of y over the windows [a, b) (finite values only), by cumulative sums."""
    t = np.arange(y.size, dtype=np.float64)
    c = lambda v: np.concatenate(([0.0], np.cumsum(v)))  # noqa: E731
    St, Sy, Stt, Sty = c(t), c(y), c(t * t), c(t * y)
    n = (b - a).astype(np.float64)
    st, sy = St[b] - St[a], Sy[b] - Sy[a]
    den = n * (Stt[b] - Stt[a]) - st * st
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = (n * (Sty[b] - Sty[a]) - st * sy) / den
    return slope[np.isfinite(slope)]


def slope_stderr(t, y, slope, intercept):
    """Standard error of a fitted slope, corrected for serially correlated residuals.

    Parameters
    ----------
    t, y : ndarray of shape (n,)
        The fitted points (n >= 3).
    slope, intercept : float
        The least-squares line through them.

    Returns
    -------
    float
        ``sqrt(s^2 / sum (t - mean t)^2) * sqrt((1 + phi) / (1 - phi))``, with ``s^2``
        the residual variance (n - 2 degrees of freedom) and ``phi`` the lag-1
        autocorrelation of the residuals, clipped to [0, 0.99].

    Notes
    -----
    The residuals of a fit of ``ln d(t)`` wander smoothly around the line, so the
    ordinary standard error, which assumes independent residuals, is far too small.
    For AR(1) residuals with coefficient phi the variance of the slope grows by about
    ``(1 + phi) / (1 - phi)`` (the effective number of independent points shrinks by that
    factor) [1]_; the correction is capped at phi = 0.99 (a factor of about 14).

    References
    ----------
    .. [1] G. S. Watson, "Serial correlation in regression analysis. I", Biometrika 42,
       327-341 (1955).

    Examples
    --------
    Alternating residuals (phi < 0, clipped to 0) give the ordinary standard error; smooth
    ones (a slow sine) a larger one:

    >>> import numpy as np
    >>> t = np.arange(50.0)
    >>> y = 0.1 * t + np.where(t % 2 == 0, 0.01, -0.01)
    >>> (slope, intercept), cov = np.polyfit(t, y, 1, cov=True)
    >>> bool(np.isclose(slope_stderr(t, y, slope, intercept), np.sqrt(cov[0, 0])))
    True
    >>> z = 0.1 * t + 0.01 * np.sin(t / 5)
    >>> (slope, intercept), cov = np.polyfit(t, z, 1, cov=True)
    >>> bool(slope_stderr(t, z, slope, intercept) > 5 * np.sqrt(cov[0, 0]))
    True
    """
    n = t.size
    res = y - (intercept + slope * t)
    tc = t - t.mean()
    s2 = float(np.dot(res, res)) / max(n - 2, 1)
    se = np.sqrt(s2 / float(np.dot(tc, tc)))
    rc = res - res.mean()
    den = float(np.dot(rc, rc))
    phi = float(np.dot(rc[1:], rc[:-1])) / den if den > 0 else 0.0
    phi = min(max(phi, 0.0), 0.99)
    return float(se * np.sqrt((1.0 + phi) / (1.0 - phi)))
