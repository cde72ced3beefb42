"""Intermittency at lr = 5: fundamental periods, laminar phases and bursts, the ACF of a burst, Kantz's exponent of several runs."""


import numpy as np

from .._progress import progress_bar
from .._validate import as_float_array, check_int, check_positive, renamed_keywords
from ..timeseries import acf, dominant_period, kantz, laminar_phases


def fundamental_period(series, max_period=12, tolerance=0.1):
    """The smallest period whose laminar fraction is within ``tolerance`` of the best one.

    Parameters
    ----------
    series : array_like of shape (n,)
        Finite, non-constant, n > max_period.
    max_period : int, default 12
        Candidate periods 1 .. max_period.
    tolerance : float, default 0.1
        Relative tolerance, in [0, 1).

    Returns
    -------
    period : int
    fractions : ndarray of shape (max_period,)
        Laminar fraction (:func:`netchaos.laminar_phases`) for p = 1 .. max_period.

    Notes
    -----
    :func:`netchaos.dominant_period` picks the period with the largest fraction of points
    matching ``x_{t-p}``; a 3-cycle interrupted by a few period-doubled stretches then
    matches slightly better at 6. The fundamental period is the smallest p with a laminar
    fraction of at least ``(1 - tolerance)`` times the best one.

    Examples
    --------
    >>> import numpy as np
    >>> p, fr = fundamental_period(np.tile([0.0, 1.0, 3.0], 40))
    >>> p, fr.shape, float(fr[2])
    (3, (12,), 1.0)
    """
    x = as_float_array(series, "series", ndim=1)
    max_period = check_int(max_period, "max_period", minimum=1)
    tolerance = check_positive(tolerance, "tolerance", allow_zero=True)
    if tolerance >= 1:
        raise ValueError(f"tolerance must be < 1, got {tolerance}")
    fr = np.array([laminar_phases(x, period=p).laminar_fraction
                   for p in range(1, max_period + 1)])
    best = fr.max()
    period = int(np.argmax(fr >= (1.0 - tolerance) * best)) + 1
    return period, fr


def longest_burst(series, laminar):
    """The longest burst of a series that is not constant.

    Parameters
    ----------
    series : array_like of shape (n,)
        The series the laminar phases were found in.
    laminar : LaminarResult
        From :func:`netchaos.laminar_phases` of ``series``.

    Returns
    -------
    tuple (start, stop) or None
        The burst ``series[start:stop]`` (the first of equally long ones), None when every
        burst is constant or there is none.

    Notes
    -----
    A constant stretch (a fixed point reached after the laminar phases) is no burst worth
    an autocorrelation.

    Examples
    --------
    >>> import numpy as np
    >>> from netchaos import laminar_phases
    >>> x = np.concatenate([np.tile([0.0, 1.0, 3.0], 20), [2.0, 0.5, 2.5, 1.5, 0.2, 2.2],
    ...                     np.tile([0.0, 1.0, 3.0], 20)])
    >>> longest_burst(x, laminar_phases(x, period=3))
    (60, 66)
    """
    x = np.asarray(series, dtype=float)
    best, where = 0, None
    for s, e in laminar.bursts:
        if e - s > best and np.ptp(x[s:e]) > 0:
            best, where = int(e - s), (int(s), int(e))
    return where


def laminar_periods(series, max_period=12, tolerance=0.1):
    """Periods, laminar phases and bursts of several loss series (Danovski et al., Fig. 9).

    Parameters
    ----------
    series : array_like of shape (n_runs, n)
        One loss series per run (after the burn-in); runs with a non-finite value (a
        divergence) are skipped.
    max_period : int, default 12
    tolerance : float, default 0.1
        Of :func:`fundamental_period`.

    Returns
    -------
    dict
        Per run (None for a skipped run): ``estimator_periods``
        (:func:`netchaos.dominant_period`), ``fundamental`` (:func:`fundamental_period`),
        ``fractions`` (laminar fraction per candidate period), ``laminar``
        (:class:`netchaos.LaminarResult`: phases of every period up to ``max_period``, each
        with its own), ``laminar_fraction``,
        ``n_phases``, ``mean_length``. Over runs: ``ok_runs`` (the runs analysed),
        ``counts`` and ``estimator_counts`` (``np.bincount`` of the two periods over
        ``ok_runs``), ``dominant`` (the most common fundamental period among runs not
        settled on a fixed point, ties to the smaller; 1 when every run settled) and
        ``longest_burst`` (``(length, run, (start, stop))`` of the longest non-constant
        burst over all runs, ``(0, None, None)`` when there is none).

    Notes
    -----
    Runs that settled on a fixed point (period 1) have no laminar phases to speak of, so
    they do not vote for the dominant period. The laminar phases and bursts of a run come from
    the multi-period segmentation of :func:`netchaos.laminar_phases`: a run that switches from
    a period-10 phase to a period-3 phase at another level has two laminar phases, not one
    phase and a burst.

    Examples
    --------
    >>> import numpy as np
    >>> runs = np.stack([np.tile([0.0, 1.0, 3.0], 40), np.tile([0.0, 2.0], 60),
    ...                  np.tile([1.0, 2.0, 5.0], 40)])
    >>> lp = laminar_periods(runs)
    >>> lp["fundamental"], lp["dominant"], lp["ok_runs"]
    ([3, 2, 3], 3, [0, 1, 2])
    """
    X = as_float_array(series, "series", ndim=2, finite=False)
    keys = ("estimator_periods", "fundamental", "fractions", "laminar", "laminar_fraction",
            "n_phases", "mean_length")
    out = {k: [] for k in keys}
    best = (0, None, None)              # (length, run, (start, stop)) in series coordinates
    for i, x in enumerate(X):
        if not np.all(np.isfinite(x)):
            for k in keys:
                out[k].append(None)
            continue
        fund, fr = fundamental_period(x, max_period=max_period, tolerance=tolerance)
        lam = laminar_phases(x, max_period=max_period)
        out["estimator_periods"].append(dominant_period(x, max_period=max_period))
        out["fundamental"].append(int(fund))
        out["fractions"].append(fr)
        out["laminar"].append(lam)
        out["laminar_fraction"].append(lam.laminar_fraction)
        out["n_phases"].append(int(len(lam.phases)))
        out["mean_length"].append(lam.mean_length)
        where = longest_burst(x, lam)
        if where is not None and where[1] - where[0] > best[0]:
            best = (where[1] - where[0], i, where)
    ok = [i for i, p in enumerate(out["fundamental"]) if p is not None]
    out["ok_runs"] = ok
    out["longest_burst"] = best
    if ok:
        out["estimator_counts"] = np.bincount([out["estimator_periods"][i] for i in ok])
        counts = np.bincount([out["fundamental"][i] for i in ok])
        moving = counts.copy()
        moving[:2] = 0
        out["counts"] = counts
        out["dominant"] = int(np.argmax(moving)) if moving.any() else 1
    else:
        out["estimator_counts"] = out["counts"] = np.zeros(0, dtype=int)
        out["dominant"] = None
    return out


@renamed_keywords(n_shuffles="n_surrogates")
def burst_acf(series, periods, *, min_burst=100, nlags=50, n_surrogates=1000, alpha=0.05,
              seed=None):
    """ACF with a shuffled band of the longest burst among several runs (Danovski et al., Fig. 10).

    Parameters
    ----------
    series : array_like of shape (n_runs, n)
        The loss series :func:`laminar_periods` analysed.
    periods : dict
        :func:`laminar_periods` of ``series`` (at least one run analysed).
    min_burst : int, default 100
        Shortest burst analysed (at least ``nlags + 2`` points too); below that the whole
        series of the first analysed, non-constant run is used.
    nlags, n_surrogates : int
        Of :func:`netchaos.acf` (``nlags`` is cut to the segment length - 1).
    alpha : float, default 0.05
    seed : int, optional
        Seed of the shuffles.

    Returns
    -------
    dict
        ``run``, ``segment`` (``(start, stop)`` in series coordinates), ``kind``
        (``"longest burst"`` or ``"whole series"``), ``acf`` (:class:`netchaos.ACFResult`,
        None for a segment too short or constant) and ``fraction_outside`` (fraction of
        lags 1 .. nlags outside the shuffled band, None without an ACF).

    Notes
    -----
    The random-looking intermissions between laminar phases are far from i.i.d.: their ACF
    leaves the band of shuffled copies at many lags. That is all the shuffled null tests: a
    regular series that only changes level, or any periodic one, leaves the band too.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> burst = np.cumsum(rng.normal(size=120))            # a random walk: long memory
    >>> x = np.concatenate([np.tile([0.0, 1.0, 3.0], 30), burst, np.tile([0.0, 1.0, 3.0], 30)])
    >>> b = burst_acf(x[None], laminar_periods(x[None]), nlags=20, n_surrogates=99, seed=0)
    >>> b["kind"], b["segment"], b["fraction_outside"] > 0.5
    ('longest burst', (90, 210), True)
    """
    X = as_float_array(series, "series", ndim=2, finite=False)
    ok = periods["ok_runs"]
    if not ok:
        raise ValueError("no run was analysed (every series diverged)")
    length, run, where = periods["longest_burst"]
    if length >= max(min_burst, nlags + 2):
        s, e = where
        kind = "longest burst"
    else:
        moving = [i for i in ok if np.ptp(X[i]) > 0]
        run = moving[0] if moving else ok[0]
        s, e = 0, X.shape[1]
        kind = "whole series"
    segment = X[run, s:e]
    res, frac = None, None
    if segment.size > 3 and np.ptp(segment) > 0:
        res = acf(segment, nlags=int(min(nlags, segment.size - 1)), n_surrogates=n_surrogates,
                  seed=seed, alpha=alpha)
        frac = float(np.mean(res.significant[1:]))
    return {"run": run, "segment": (int(s), int(e)), "kind": kind, "acf": res,
            "fraction_outside": frac}


def kantz_runs(series, *, n_surrogates=39, alpha=0.05, seeds=None, max_len=None,
               progress=False):
    """Kantz's exponent with a surrogate test for each of several series (Danovski et al., Fig. 11).

    Parameters
    ----------
    series : sequence of array_like of shape (n,)
        One series per run.
    n_surrogates : int, default 39
    alpha : float, default 0.05
    seeds : sequence of int, optional
        One seed per series (default None for every series: fresh entropy).
    max_len : int, optional
        Use only the first ``max_len`` points of each series.
    progress : bool, default False
        A progress bar over the series.

    Returns
    -------
    dict
        Per series: ``exponents`` and ``p_values`` (NaN where the estimator refused the
        series), ``results`` (:class:`netchaos.KantzResult` or None) and ``errors``
        (message or None). Over series: ``n_tested`` and ``fraction_significant``
        (p < alpha among the tested; None when none was).

    Notes
    -----
    A series the estimator refuses (for instance a run that settled on a constant loss)
    is reported, not raised.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.empty(600); x[0] = 0.3
    >>> for t in range(599):
    ...     x[t + 1] = 4 * x[t] * (1 - x[t])               # chaotic logistic map
    >>> k = kantz_runs([x, np.ones(600)], n_surrogates=39, seeds=[0, 1])
    >>> round(k["exponents"][0], 1), k["p_values"][0], k["errors"][1] is not None
    (0.7, 0.025, True)
    >>> k["n_tested"], k["fraction_significant"]
    (1, 1.0)
    """
    series = list(series)
    seeds = [None] * len(series) if seeds is None else list(seeds)
    if len(seeds) != len(series):
        raise ValueError(f"seeds has {len(seeds)} entries for {len(series)} series")
    out = {"exponents": [], "p_values": [], "results": [], "errors": []}
    bar = progress_bar(progress, len(series), "Kantz (loss series)")
    for x, seed in zip(series, seeds):
        if max_len is not None:
            x = x[:max_len]
        try:
            kr = kantz(x, n_surrogates=n_surrogates, alpha=alpha, seed=seed)
            out["exponents"].append(float(kr.exponent))
            out["p_values"].append(float(kr.p_value))
            out["results"].append(kr)
            out["errors"].append(None)
        except ValueError as exc:
            out["exponents"].append(float("nan"))
            out["p_values"].append(float("nan"))
            out["results"].append(None)
            out["errors"].append(str(exc))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    kp = np.array(out["p_values"], dtype=float)
    tested = np.isfinite(kp)
    out["n_tested"] = int(tested.sum())
    out["fraction_significant"] = float(np.mean(kp[tested] < alpha)) if tested.any() else None
    return out
