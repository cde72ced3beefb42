"""The onset of chaos (Jiménez-González et al.): time to a target accuracy and the per-learning-rate table."""

import math

import numpy as np

from .._validate import as_float_array, check_int, check_positive, rng_from


def time_to_accuracy(accuracy, target=0.9):
    """First step at which each accuracy series reaches a target.

    Parameters
    ----------
    accuracy : array_like of shape (T,) or (n, T)
        Accuracy at steps 0 .. T-1 (NaN after a divergence).
    target : float, default 0.9
        In (0, 1].

    Returns
    -------
    ndarray of shape (n,) (float)
        The step, or ``inf`` where the target is never reached (length 1 for a 1-D input).

    Notes
    -----
    NaN never reaches the target, so a run that diverges before reaching it counts as
    infinitely slow (as in the onset study of Jiménez-González et al.).

    Examples
    --------
    >>> time_to_accuracy([[0.2, 0.95, 0.97], [0.2, 0.3, float("nan")]], 0.9)
    array([ 1., inf])
    """
    A = as_float_array(accuracy, "accuracy", ndim=(1, 2), finite=False)
    A = A[None] if A.ndim == 1 else A
    target = check_positive(target, "target")
    if target > 1:
        raise ValueError(f"target must be <= 1, got {target}")
    reached = np.nan_to_num(A, nan=-1.0) >= target
    first = np.argmax(reached, axis=1).astype(float)
    first[~reached.any(axis=1)] = np.inf
    return first


def positive_exponents(fl, level=0.95):
    r"""Which initial conditions have an exponent positive beyond its fit's uncertainty.

    Parameters
    ----------
    fl : FiniteLyapunovResult
        With ``stderr`` (:func:`netchaos.finite_lyapunov`).
    level : float, default 0.95
        Two-sided level of the slope's confidence interval, in (0, 1).

    Returns
    -------
    positive : bool ndarray of shape (n_init,)
        ``exponent - z * sigma > 0``: the lower end of the interval is above zero
        (``z`` the normal quantile, 1.96 at 0.95); False without a fit.
    fitted : bool ndarray of shape (n_init,)
        A finite exponent and standard error (the initial conditions that count).

    Notes
    -----
    The best-R^2 window of :func:`netchaos.finite_lyapunov` finds some positive slope in
    almost any series, so "positive" is decided against the fit's own uncertainty,

    .. math:: \sigma^2 = s^2 + s_w^2 + 1 / L^2,

    with ``s`` the standard error of the slope corrected for the serial correlation of the
    residuals (``fl.stderr``, :func:`netchaos.exponents.slope_stderr`), ``s_w`` the
    spread of the slopes over the candidate windows (``fl.window_spread``: the choice of
    the window) and ``1 / L`` the resolution of a window of L steps: an exponent below it
    changes the distance by less than a factor e over the window, the size of the
    non-exponential drifts of ``ln d`` of a non-chaotic run. So a positive exponent is an
    exponential growth of about two e-folds or more at the 95 % level. Measured on digits
    64-32-10 (tanh, 8 initial conditions, 400 steps): at lr = 0.1-1 the fits are perfect
    (R^2 = 1) with slopes of 1e-4 to 1e-3 per step and standard errors below 1e-4, so
    ``s`` alone would call every run positive; ``1 / L`` (about 0.05) does not.

    Examples
    --------
    >>> import numpy as np
    >>> from netchaos import finite_lyapunov
    >>> t = np.arange(120.0)
    >>> grow = 1e-8 * np.exp(0.3 * t)                           # exponential divergence
    >>> drift = 1e-8 * np.exp(0.001 * t)                          # a slow drift of ln d
    >>> fl = finite_lyapunov(np.stack([grow, drift]), saturation=False, layout="init,t")
    >>> positive_exponents(fl)[0]
    array([ True, False])
    """
    from scipy.stats import norm

    level = check_positive(level, "level")
    if level >= 1:
        raise ValueError(f"level must be < 1, got {level}")
    stderr = getattr(fl, "stderr", None)
    if stderr is None or not hasattr(fl, "exponent"):
        raise TypeError(f"fl must be a FiniteLyapunovResult, got {type(fl).__name__}")
    z = float(norm.ppf(0.5 + level / 2))
    spread = np.nan_to_num(getattr(fl, "window_spread", np.zeros_like(stderr)), nan=0.0)
    length = (fl.window[:, 1] - fl.window[:, 0]).astype(float)
    fitted = np.isfinite(fl.exponent) & np.isfinite(stderr) & (length > 0)
    sigma = np.sqrt(stderr[fitted] ** 2 + spread[fitted] ** 2 + 1.0 / length[fitted] ** 2)
    positive = np.zeros(fl.exponent.shape, dtype=bool)
    positive[fitted] = fl.exponent[fitted] - z * sigma > 0
    return positive, fitted


def _first_one(rho, lrs):
    """The first learning rate where rho reaches 1 (NaN if none)."""
    hit = np.flatnonzero(rho >= 1.0 - 1e-12)
    return float(lrs[hit[0]]) if hit.size else np.nan


def _tau_min(tau_med, lrs):
    """The first learning rate of the smallest median (NaN if none is finite)."""
    return float(lrs[int(np.nanargmin(tau_med))]) if np.isfinite(tau_med).any() else np.nan


def _tied_min(tau_med, lrs):
    """Every learning rate whose median equals the smallest one (empty if none is finite)."""
    if not np.isfinite(tau_med).any():
        return []
    return [float(v) for v in lrs[tau_med == np.nanmin(tau_med)]]


def _relation(lr_tau_min, lr_one):
    if lr_tau_min is None or lr_one is None:
        return "undetermined"
    if math.isclose(lr_tau_min, lr_one):
        return "at"
    return "below" if lr_tau_min < lr_one else "above"


def _median_tau(taus):
    med = np.median(taus, axis=-1)
    return np.where(np.isfinite(med), med, np.nan)


def onset_table(sweep, target=0.9, *, level=0.95, n_boot=1000, seed=0):
    """The per-learning-rate table of the onset study (Jiménez-González et al.).

    Parameters
    ----------
    sweep : SweepResult
        From :func:`netchaos.lr_sweep` with ``test_metrics=True``.
    target : float, default 0.9
        Test accuracy to reach.
    level : float, default 0.95
        Level of the slope interval that decides "positive" (:func:`positive_exponents`).
    n_boot : int, default 1000
        Bootstrap resamples of the initial conditions (0: no intervals).
    seed : int, optional
        Seed of the bootstrap.

    Returns
    -------
    dict
        ``lr`` (n_lr,); ``tau`` (n_lr, n_init) steps to the target (:func:`time_to_accuracy`,
        inf: never); ``tau_median`` (n_lr,) the median over initial conditions (NaN when
        more than half never reach it); ``tau_flow`` (n_lr, n_init) and ``tau_flow_median``
        (n_lr,), the same in gradient-flow time ``lr * tau``; ``mean_exponent`` (n_lr,) mean of the finite
        exponents; ``rho`` (n_lr,) the fraction of the fitted initial conditions whose
        exponent is positive beyond its interval (:func:`positive_exponents`), ``rho_ci``
        (n_lr, 2) its bootstrap interval, ``rho_point`` (fraction of point estimates > 0,
        which the best-R^2 window makes nearly 1 everywhere) and ``rho_chaotic`` (kept
        fraction) (n_lr,); ``per_lr`` ({lr: lambda_nmle, std, mean_exponent, rho,
        rho_point, rho_chaotic, n_fitted, exponents, stderr, positive, tau, tau_flow,
        tau_per_ic, fraction_reached, final_test_accuracy, n_diverged}); ``lr_tau_min`` (the
        first learning rate of the smallest median tau), ``lr_tau_min_tied`` (every learning
        rate with that median: more than one when they tie), ``lr_tau_flow_min`` (the first
        learning rate of the smallest median flow time), ``lr_rho_one`` and ``lr_rho_chaotic_one`` (the
        first learning rates where rho, rho_chaotic reach 1), ``lr_chaos_onset`` (the first
        with rho_chaotic > 0), each None when there is none; ``lr_tau_min_ci`` and
        ``lr_rho_one_ci`` (2.5 and 97.5 % percentiles of those learning rates over the
        bootstrap resamples, None when undefined) with ``lr_rho_one_defined`` (the fraction
        of resamples in which rho reaches 1 at all); ``relation``: ``"below"``, ``"at"``,
        ``"above"`` (where tau is minimal against where rho reaches 1) or
        ``"undetermined"``, and ``relation_chaotic`` (the same against rho_chaotic).

    Notes
    -----
    Jiménez-González et al. [1]_ report that the learning rate of minimal tau lies at or
    just below the one where every initial condition is chaotic; the table gives what is
    needed to check it, not the conclusion. Medians of integer step counts tie easily:
    ``lr_tau_min`` is the first of ``lr_tau_min_tied``, so with a tie it says nothing about
    which of the tied learning rates is faster. Steps are not time: a step of GD at
    learning rate ``lr`` moves the gradient flow ``dtheta/dt = -grad L`` on by ``lr``, so
    ``lr * tau`` (``tau_flow``) is the training time in the flow's units. A tau that
    falls with ``lr`` more slowly than ``1 / lr`` is a flow time that grows. ``rho`` follows
    the paper's definition, the fraction of initial conditions with a positive exponent,
    with "positive" meaning that the lower end of the slope's ``level`` interval is above
    zero. Bootstrap: the initial conditions of every learning rate are resampled with
    replacement (independently per learning rate) and the learning rates of minimal
    median tau and of rho reaching 1 recomputed [2]_.

    References
    ----------
    .. [1] P. Jiménez-González, M. C. Soriano, L. Lacasa, "Leveraging chaotic transients in
       the training of artificial neural networks" (2025).
    .. [2] B. Efron, "Bootstrap methods: another look at the jackknife", Annals of
       Statistics 7, 1-26 (1979).

    Examples
    --------
    >>> import netchaos as nc
    >>> data = nc.datasets.iris(seed=0)
    >>> sw = nc.lr_sweep(nc.MLP([4, 10, 3]), data, [0.5, 4.0], 40, 1e-8, n_init=3, n_pert=2,
    ...                  seed=0, test_metrics=True)
    >>> tab = onset_table(sw, 0.6, n_boot=50)
    >>> tab["tau"].shape, tab["lr"], tab["relation"] in ("below", "at", "above", "undetermined")
    ((2, 3), [0.5, 4.0], True)
    >>> tab["rho_ci"].shape
    (2, 2)
    """
    if getattr(sweep, "final_test_accuracy", None) is None:
        raise ValueError("sweep has no test accuracy: run lr_sweep(..., test_metrics=True)")
    n_boot = check_int(n_boot, "n_boot", minimum=0)
    lrs = [float(v) for v in sweep.values]
    per_lr, taus_all, tau_med, mean_exp, rho_ch, flow_med = {}, [], [], [], [], []
    pos_all, fit_all, rho_list = [], [], []
    for k, lr in enumerate(lrs):
        ens, fl, m = sweep.results[lr], sweep.fits[lr], sweep.mles[lr]
        acc = ens.test_accuracy
        taus = time_to_accuracy(acc, target)
        taus_all.append(taus)
        med = float(np.median(taus))
        flow_med.append(float(np.median(lr * taus)))
        tau_med.append(med if np.isfinite(med) else np.nan)
        fin = np.isfinite(fl.exponent)
        mean_exp.append(float(np.mean(fl.exponent[fin])) if fin.any() else np.nan)
        rho_ch.append(m.kept_fraction)
        pos, fitted = positive_exponents(fl, level)
        pos_all.append(pos)
        fit_all.append(fitted)
        rho_list.append(float(pos[fitted].mean()) if fitted.any() else np.nan)
        per_lr[lr] = {
            "lambda_nmle": m.exponent, "std": m.std, "mean_exponent": mean_exp[-1],
            "rho": rho_list[-1], "rho_point": m.rho, "rho_chaotic": m.kept_fraction,
            "n_fitted": int(fitted.sum()),
            "exponents": [float(v) for v in fl.exponent],
            "stderr": [float(v) for v in fl.stderr],
            "positive": [bool(v) for v in pos],
            "tau": med, "tau_flow": lr * med, "tau_per_ic": [float(v) for v in taus],
            "fraction_reached": float(np.mean(np.isfinite(taus))),
            "final_test_accuracy": float(np.nanmean(acc[:, -1])),
            "n_diverged": int(sweep.n_diverged[k]),
        }
    tau_arr = np.array(tau_med, dtype=float)
    lr_arr = np.asarray(lrs, dtype=float)
    lr_tau_min = _tau_min(tau_arr, lr_arr)
    lr_tau_min = None if np.isnan(lr_tau_min) else lr_tau_min
    flow_arr = np.where(np.isfinite(flow_med), flow_med, np.nan)
    lr_flow_min = _tau_min(flow_arr, lr_arr)
    lr_flow_min = None if np.isnan(lr_flow_min) else lr_flow_min
    rho_arr = np.asarray(rho_list, dtype=float)
    rch = np.asarray(rho_ch, dtype=float)
    lr_rho_one = next((lr for lr, r in zip(lrs, rho_arr) if r >= 1.0 - 1e-12), None)
    lr_rho_ch_one = next((lr for lr, r in zip(lrs, rch) if r >= 1.0 - 1e-12), None)
    lr_onset = next((lr for lr, r in zip(lrs, rch) if r > 0), None)
    relation = _relation(lr_tau_min, lr_rho_one)

    # bootstrap over the initial conditions of each learning rate
    taus = np.stack(taus_all)
    pos_m, fit_m = np.stack(pos_all), np.stack(fit_all)
    n_lr, n_init = taus.shape
    rho_ci = np.full((n_lr, 2), np.nan)
    tau_ci = rho_one_ci = None
    rho_one_defined = None
    if n_boot:
        rng = rng_from(seed)
        b_tau = np.full(n_boot, np.nan)
        b_one = np.full(n_boot, np.nan)
        b_rho = np.full((n_boot, n_lr), np.nan)
        rows = np.arange(n_lr)[:, None]
        for b in range(n_boot):
            idx = rng.integers(0, n_init, size=(n_lr, n_init))
            f, p = fit_m[rows, idx], pos_m[rows, idx]
            with np.errstate(invalid="ignore", divide="ignore"):
                b_rho[b] = np.where(f.any(axis=1), (p & f).sum(axis=1) / f.sum(axis=1), np.nan)
            b_tau[b] = _tau_min(_median_tau(taus[rows, idx]), lr_arr)
            b_one[b] = _first_one(b_rho[b], lr_arr)
        for j in range(n_lr):
            ok = np.isfinite(b_rho[:, j])
            if ok.any():
                rho_ci[j] = np.percentile(b_rho[ok, j], [2.5, 97.5])
        if np.isfinite(b_tau).any():
            tau_ci = [float(v) for v in np.percentile(b_tau[np.isfinite(b_tau)], [2.5, 97.5],
                                                      method="nearest")]
        rho_one_defined = float(np.mean(np.isfinite(b_one)))
        if np.isfinite(b_one).any():
            rho_one_ci = [float(v) for v in np.percentile(b_one[np.isfinite(b_one)], [2.5, 97.5],
                                                          method="nearest")]
    return {
        "lr": lrs, "tau": taus, "tau_median": tau_arr, "tau_flow": lr_arr[:, None] * taus,
        "tau_flow_median": flow_arr, "mean_exponent": mean_exp,
        "rho": rho_arr, "rho_ci": rho_ci, "rho_point": np.asarray(sweep.rho, dtype=float),
        "rho_chaotic": rch, "per_lr": per_lr, "lr_tau_min": lr_tau_min,
        "lr_tau_min_tied": _tied_min(tau_arr, lr_arr), "lr_tau_flow_min": lr_flow_min,
        "lr_tau_min_ci": tau_ci, "lr_rho_one": lr_rho_one, "lr_rho_one_ci": rho_one_ci,
        "lr_rho_one_defined": rho_one_defined, "lr_rho_chaotic_one": lr_rho_ch_one,
        "lr_chaos_onset": lr_onset, "relation": relation,
        "relation_chaotic": _relation(lr_tau_min, lr_rho_ch_one), "level": level,
    }
