"""Orbital and dynamical stability (Danovski et al. 2024): fit windows, the spread of d(t) over radii, eps tables, sharpness against 2 / lr."""

import math

import numpy as np

from ..exponents import finite_lyapunov, network_mle


def fitted_phase(fl, i):
    """The fitted exponential phase of initial condition ``i`` of a finite-Lyapunov fit.

    Parameters
    ----------
    fl : FiniteLyapunovResult
        From :func:`netchaos.finite_lyapunov`; ``exponent``, ``intercept`` of shape
        (n_init,), ``window`` of shape (n_init, 2).
    i : int
        Initial condition.

    Returns
    -------
    tuple (intercept, slope, (start, stop)) or None
        ``ln d(t) ~ intercept + slope * t`` on the steps ``start .. stop - 1``, as Python
        floats and ints (what the distance plots draw); None when no window was fitted (a
        NaN exponent).

    Notes
    -----
    The explorers, the reproductions and the notebooks draw the fitted phase of an
    initial condition with this tuple.

    Examples
    --------
    >>> import numpy as np
    >>> from netchaos import finite_lyapunov
    >>> t = np.arange(60.0)
    >>> d = 1e-8 * np.exp(0.3 * np.minimum(t, 40))      # grows, then saturates
    >>> a, b, (s, e) = fitted_phase(finite_lyapunov(d), 0)
    >>> round(b, 6), bool(abs(a - np.log(1e-8)) < 1e-6), s, e <= 41   # within the growth
    (0.3, True, 0, True)
    """
    if not np.isfinite(fl.exponent[i]):
        return None
    return (float(fl.intercept[i]), float(fl.exponent[i]), tuple(int(v) for v in fl.window[i]))


def orbital_spread(sweep, eps_values=None):
    """How much ``ln d(t)/d(0)`` depends on the perturbation radius (Danovski et al., Figs. 3-4).

    Parameters
    ----------
    sweep : SweepResult
        From :func:`netchaos.eps_sweep` (the same initial conditions for every radius).
    eps_values : sequence of float, optional
        The radii to compare, keys of ``sweep.results`` (default all, in sweep order).

    Returns
    -------
    dict
        ``mean_distance`` (n_eps, n_init, T) mean over perturbations; ``log_ratio_spread``
        (n_init,) the maximum over t of the spread across radii of ``ln d(t)/d(0)``;
        ``log_ratio_spread_excluding_largest_eps`` (n_init,) the same without the largest
        radius (NaN with one radius); ``loss`` (n_init, T) of the references;
        ``loss_monotone_fraction`` (steps with non-increasing loss, pooled) and
        ``loss_monotone_fraction_min`` (the smallest per initial condition);
        ``distance_nonmonotone_eps`` (the middle radius) and
        ``distance_nonmonotone_fraction`` (steps where its mean distance decreases);
        ``per_eps`` ({eps: ``d0_mean``, ``dT_over_d0`` per initial condition,
        ``finite_lyapunov`` per initial condition, ``n_diverged``}).

    Notes
    -----
    Without orbital stability no radius is small enough for the orbits to stay confined:
    the normalised curves ``d(t)/d(0)`` nearly coincide across radii.

    Examples
    --------
    >>> import netchaos as nc
    >>> sw = nc.eps_sweep(nc.MLP([4, 10, 3]), nc.datasets.iris(seed=0), 0.01, 30,
    ...                   [1e-4, 1e-8], n_init=2, n_pert=2, seed=0)
    >>> o = orbital_spread(sw)
    >>> o["mean_distance"].shape, bool(o["log_ratio_spread"].max() < 0.01)
    ((2, 2, 31), True)
    """
    eps_values = [float(e) for e in (sweep.values if eps_values is None else eps_values)]
    mean_d = np.stack([sweep.results[e].distances.mean(axis=1) for e in eps_values])
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log(mean_d / mean_d[:, :, :1])
    spread = np.nanmax(np.nanmax(log_ratio, axis=0) - np.nanmin(log_ratio, axis=0), axis=1)
    order = np.argsort(eps_values)[::-1]                      # largest eps first
    if len(order) > 1:
        rest = log_ratio[order[1:]]
        spread_small = np.nanmax(np.nanmax(rest, axis=0) - np.nanmin(rest, axis=0), axis=1)
    else:
        spread_small = np.full(spread.shape, np.nan)
    loss = sweep.results[eps_values[0]].loss                  # references: identical for all eps
    steps_ok = np.diff(loss, axis=1) <= 0
    mid = eps_values[len(eps_values) // 2]
    md_mid = mean_d[eps_values.index(mid)]
    per_eps = {}
    for k, e in enumerate(eps_values):
        per_eps[e] = {
            "d0_mean": float(np.mean(mean_d[k, :, 0])),
            "dT_over_d0": [float(v) for v in mean_d[k, :, -1] / mean_d[k, :, 0]],
            "finite_lyapunov": [float(v) for v in sweep.fits[e].exponent],
            "n_diverged": int(sweep.results[e].n_diverged),
        }
    return {
        "mean_distance": mean_d,
        "log_ratio_spread": spread,
        "log_ratio_spread_excluding_largest_eps": spread_small,
        "loss": loss,
        "loss_monotone_fraction": float(steps_ok.mean()),
        "loss_monotone_fraction_min": float(steps_ok.mean(axis=1).min()),
        "distance_nonmonotone_eps": mid,
        "distance_nonmonotone_fraction": float(np.mean(np.diff(md_mid, axis=1) < 0)),
        "per_eps": per_eps,
    }


def _match(e, values):
    """The entry of ``values`` close to ``e`` (radii written differently)."""
    for v in values:
        if math.isclose(e, v):
            return v
    raise KeyError(e)


def eps_table(sweep):
    """lambda_nMLE, its spread and the kept fraction for every radius of an eps sweep.

    Parameters
    ----------
    sweep : SweepResult
        From :func:`netchaos.eps_sweep` (or :func:`netchaos.lr_sweep`: keyed by its values).

    Returns
    -------
    dict
        ``{value: {"lambda_nmle", "kept_fraction", "rho", "std", "ci", "n_diverged"}}``
        with float keys in sweep order.

    Notes
    -----
    Danovski et al. (2024, Fig. 8): the network MLE does not depend on eps for small radii.

    Examples
    --------
    >>> import netchaos as nc
    >>> sw = nc.eps_sweep(nc.MLP([4, 10, 3]), nc.datasets.iris(seed=0), 1.0, 60,
    ...                   [1e-10, 1e-8], n_init=3, n_pert=2, seed=0)
    >>> sorted(eps_table(sw)), sorted(eps_table(sw)[1e-08])
    ([1e-10, 1e-08], ['ci', 'kept_fraction', 'lambda_nmle', 'n_diverged', 'rho', 'std'])
    """
    table = {}
    for k, e in enumerate(sweep.values):
        m = sweep.mles[float(e)]
        table[float(e)] = {"lambda_nmle": m.exponent, "kept_fraction": m.kept_fraction,
                           "rho": m.rho, "std": m.std, "ci": list(m.ci),
                           "n_diverged": int(sweep.n_diverged[k])}
    return table


def small_eps_agreement(table, small=(1e-10, 1e-12, 1e-14), large_from=1e-4, tolerance=0.10):
    """Do the small radii agree on lambda_nMLE, and are the large ones below them?

    Parameters
    ----------
    table : dict
        :func:`eps_table` of a sweep.
    small : sequence of float, default (1e-10, 1e-12, 1e-14)
        The small radii to compare (those not in the table are skipped).
    large_from : float, default 1e-4
        Radii from here on are "large".
    tolerance : float, default 0.1
        Largest relative spread ``(max - min) / mean`` of agreeing values.

    Returns
    -------
    small : list of float
        The small radii found in the table.
    agreement : dict or None
        ``eps``, ``lambda_nmle`` (values), ``max_rel_spread``, ``within_10pct`` (spread <=
        tolerance); None with fewer than two small radii or a NaN value.
    large_smaller : bool or None
        Whether every large radius has a finite lambda_nMLE below all small ones; None
        without large or small radii.

    Notes
    -----
    At large radii the perturbations saturate before the exponential phase is over, so
    the fitted exponent comes out smaller.

    Examples
    --------
    >>> t = {1e-14: {"lambda_nmle": 0.33}, 1e-12: {"lambda_nmle": 0.32},
    ...      1e-10: {"lambda_nmle": 0.34}, 1e-02: {"lambda_nmle": 0.1}}
    >>> small, agreement, large = small_eps_agreement(t)
    >>> small, round(agreement["max_rel_spread"], 6), agreement["within_10pct"], large
    ([1e-10, 1e-12, 1e-14], 0.060606, True, True)
    """
    values = list(table)
    small = [e for e in small if any(math.isclose(e, v) for v in values)]
    small_vals = [table[_match(e, values)]["lambda_nmle"] for e in small]
    agreement = None
    if len(small_vals) >= 2 and all(np.isfinite(small_vals)):
        ref = float(np.mean(small_vals))
        dev = float(max(small_vals) - min(small_vals)) / ref
        agreement = {"eps": small, "lambda_nmle": small_vals, "max_rel_spread": dev,
                     "within_10pct": bool(dev <= tolerance)}
    large = [e for e in values if e >= large_from * (1 - 1e-9)]
    large_smaller = None
    if large and small_vals:
        large_smaller = bool(all(table[e]["lambda_nmle"] is not None
                                 and np.isfinite(table[e]["lambda_nmle"])
                                 and table[e]["lambda_nmle"] < min(small_vals) for e in large))
    return small, agreement, large_smaller


#: The window searches of :func:`window_sensitivity`: label -> finite_lyapunov keywords.
WINDOW_SEARCHES = (("free_windows", {}), ("end_at_saturation", {"lengths": None}),
                   ("free_windows_min10", {"min_window": 10}))


def window_sensitivity(sweep, eps_values, **mle):
    """lambda_nMLE and the kept fraction under other window searches of the same distances.

    Parameters
    ----------
    sweep : SweepResult
        From :func:`netchaos.eps_sweep`.
    eps_values : sequence of float
        Keys of ``sweep.results`` to refit.
    **mle
        Keywords of :func:`netchaos.network_mle` (``min_r2``, ``min_exponent``).

    Returns
    -------
    dict
        ``{label: {eps: {"lambda_nmle", "kept_fraction"}}}`` for the labels of
        :data:`WINDOW_SEARCHES`: free windows (the default), windows ending at the
        saturation step, and free windows of at least 10 steps.

    Notes
    -----
    How much the kept fraction of Danovski et al. depends on the window search.

    Examples
    --------
    >>> import netchaos as nc
    >>> sw = nc.eps_sweep(nc.MLP([4, 10, 3]), nc.datasets.iris(seed=0), 1.0, 60,
    ...                   [1e-8], n_init=3, n_pert=2, seed=0)
    >>> sorted(window_sensitivity(sw, [1e-8]))
    ['end_at_saturation', 'free_windows', 'free_windows_min10']
    """
    out = {}
    for label, kw in WINDOW_SEARCHES:
        row = {}
        for e in eps_values:
            m = network_mle(finite_lyapunov(sweep.results[e], **kw), n_boot=0, **mle)
            row[e] = {"lambda_nmle": m.exponent, "kept_fraction": m.kept_fraction}
        out[label] = row
    return out


def sharpness_summary(ss, second_half_from=None):
    """The sharpness along a trajectory against the stability threshold ``2 / lr``.

    Parameters
    ----------
    ss : SharpnessSeries
        From :func:`netchaos.sharpness_series` (``top`` and ``steps`` of shape (n,)).
    second_half_from : int, optional
        First step of the "second half" (default: half the last step).

    Returns
    -------
    dict
        ``threshold``; ``initial``, ``final``, ``max`` (None when not finite);
        ``median_second_half``; ``fraction_above_threshold`` (of the finite values);
        ``first_crossing``.

    Notes
    -----
    At the edge of stability the sharpness rises to ``2 / lr`` and hovers there
    (Cohen et al. 2021).

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> ss = SimpleNamespace(top=np.array([0.5, 1.5, 2.1, 1.9, np.nan]),
    ...                      t=np.arange(0, 50, 10), threshold=2.0, first_crossing=20)
    >>> s = sharpness_summary(ss)
    >>> s["initial"], s["max"], s["final"], s["median_second_half"], s["fraction_above_threshold"]
    (0.5, 2.1, None, 2.0, 0.25)
    """
    top = np.asarray(ss.top, dtype=float)
    steps = np.asarray(ss.t)
    fin = np.isfinite(top)
    half = steps >= (steps[-1] // 2 if second_half_from is None else second_half_from)
    return {
        "threshold": ss.threshold,
        "initial": float(top[0]) if fin[0] else None,
        "final": float(top[-1]) if fin[-1] else None,
        "max": float(np.max(top[fin])) if fin.any() else None,
        "median_second_half": float(np.median(top[fin & half])) if (fin & half).any()
        else None,
        "fraction_above_threshold": float(np.mean(top[fin] >= ss.threshold))
        if fin.any() else None,
        "first_crossing": ss.first_crossing,
    }
