"""Autocorrelation with a shuffled-null band, and delay embedding."""

from dataclasses import dataclass

import numpy as np

from .._progress import progress_bar
from .._results import Result, renamed_field
from .._validate import check_int, renamed_keywords, rng_from
from ._common import ACF_CHUNK_BYTES, as_series, check_alpha, embed

__all__ = ["ACFResult", "acf", "delay_embed"]


@dataclass(repr=False)
class ACFResult(Result):
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
    n_surrogates : int
        Number of shuffled series behind the band (formerly ``n_shuffles``).
    alpha : float
        Two-sided level of the band.

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> res = nc.acf(np.sin(np.arange(200) * np.pi / 2), nlags=8, n_surrogates=19, seed=0)
    >>> res.lags.tolist(), np.round(res.acf[:5], 2)
    ([0, 1, 2, 3, 4, 5, 6, 7, 8], array([ 1.  ,  0.  , -0.99,  0.  ,  0.98]))
    >>> np.flatnonzero(res.significant).tolist()   # the even lags of a period-4 signal
    [2, 4, 6, 8]
    """

    lags: np.ndarray
    acf: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    significant: np.ndarray
    n_surrogates: int
    alpha: float = 0.05

    def __repr__(self):
        sig = np.flatnonzero(self.significant)
        shown = ", ".join(str(int(k)) for k in sig[:8]) + (", ..." if sig.size > 8 else "")
        return (f"ACFResult(nlags={self.lags.size - 1}, n_surrogates={self.n_surrogates}, "
                f"alpha={self.alpha}, significant lags=[{shown}])")


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

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> nc.delay_embed(np.arange(6.0), dim=3, delay=2)
    array([[0., 2., 4.],
           [1., 3., 5.]])
    """
    x = as_series(series, min_len=1)
    dim = check_int(dim, "dim", minimum=1)
    delay = check_int(delay, "delay", minimum=1)
    span = (dim - 1) * delay
    if x.size <= span:
        raise ValueError(f"series of length {x.size} is too short for dim={dim} and delay={delay}: "
                         f"it needs at least (dim - 1) * delay + 1 = {span + 1} points")
    return embed(x, dim, delay)


@renamed_keywords(n_shuffles="n_surrogates")
def acf(series, nlags=50, n_surrogates=1000, seed=None, alpha=0.05, progress=False):
    """Sample autocorrelation function with a shuffled-null significance band.

    Parameters
    ----------
    series : ndarray of shape (n,)
        A finite, non-constant series with n > nlags.
    nlags : int, default 50
        Largest lag.
    n_surrogates : int, default 1000
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
        (nlags + 1,) and ``n_surrogates``.

    Raises
    ------
    ValueError
        For a constant or non-finite series, one whose deviations underflow
        when squared, ``nlags >= n`` or bad numbers. (The result never holds
        NaN.)

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
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = np.sin(2 * np.pi * np.arange(600) / 3) + 0.1 * rng.normal(size=600)
    >>> res = acf(x, nlags=10, n_surrogates=200, seed=1)
    >>> bool(res.significant[3])
    True
    """
    from scipy import fft as _fft  # imported here: scipy costs 0.4 s of import time
    x = as_series(series, min_len=3, squares=True)
    n = x.size
    nlags = check_int(nlags, "nlags", minimum=1)
    if nlags >= n:
        raise ValueError(f"nlags={nlags} must be smaller than the series length {n}: "
                         f"the series must have at least nlags + 1 = {nlags + 1} points")
    n_surrogates = check_int(n_surrogates, "n_surrogates", minimum=1)
    alpha = check_alpha(alpha)
    rng = rng_from(seed)
    if np.ptp(x) == 0:
        raise ValueError("series is constant: its autocorrelation is undefined")

    xc = x - x.mean()
    c0 = float(np.dot(xc, xc))
    if not c0 > 0:
        # deviations so small that their squares underflow: the ACF would be NaN
        raise ValueError(f"series varies by only {np.ptp(x):.3g}, too little for sums of squares "
                         "in float64; rescale it (the autocorrelation does not depend on the "
                         "scale)")
    nfft = _fft.next_fast_len(n + nlags, real=True)   # no circular wrap up to lag nlags
    r = _acf_rows(xc[None, :], nfft, nlags)[0] / c0
    r[0] = 1.0

    rows_per_chunk = int(max(1, min(n_surrogates, ACF_CHUNK_BYTES // (24 * nfft))))
    null = np.empty((n_surrogates, nlags + 1))
    bar = progress_bar(progress, n_surrogates, "ACF shuffles")
    for lo in range(0, n_surrogates, rows_per_chunk):
        hi = min(n_surrogates, lo + rows_per_chunk)
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
                     significant=significant, n_surrogates=n_surrogates, alpha=alpha)


def _acf_rows(rows, nfft, nlags):
    """Autocovariance numerators of the (centred) rows, lags 0..nlags: shape (B, nlags + 1)."""
    from scipy import fft as _fft
    spec = _fft.rfft(rows, n=nfft, axis=1)
    power = spec.real ** 2 + spec.imag ** 2
    return _fft.irfft(power, n=nfft, axis=1)[:, :nlags + 1]


renamed_field(ACFResult, "n_shuffles", "n_surrogates")
