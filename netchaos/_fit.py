"""The one least-squares line fit of the package (exponent fits, decay fits, time-series slopes)."""

import numpy as np

__all__ = ["line_fit"]


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
