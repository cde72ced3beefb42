"""The onset of chaos (Jiménez-González et al.): time to a target accuracy and the per-learning-rate table."""

import math

import numpy as np

from .._validate import as_float_array, check_positive


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


def onset_table(sweep, target=0.9):
    """The per-learning-rate table of the onset study (Jiménez-González et al.).

    Parameters
    ----------
    sweep : SweepResult
        From :func:`netchaos.lr_sweep` with ``test_metrics=True``.
    target : float, default 0.9
        Test accuracy to reach.

    Returns
    -------
    dict
        ``lr`` (n_lr,); ``tau`` (n_lr, n_init) steps to the target (:func:`time_to_accuracy`,
        inf: never); ``tau_median`` (n_lr,) the median over initial conditions (NaN when
        more than half never reach it); ``mean_exponent`` (n_lr,) mean of the finite
        exponents; ``rho`` (fraction of exponents > 0) and ``rho_chaotic`` (kept fraction)
        (n_lr,); ``per_lr`` ({lr: lambda_nmle, std, mean_exponent, rho, rho_chaotic,
        exponents, tau, tau_per_ic, fraction_reached, final_test_accuracy, n_diverged});
        ``lr_tau_min`` (the learning rate of the smallest median tau), ``lr_rho_one`` and
        ``lr_rho_chaotic_one`` (the first learning rates where rho, rho_chaotic reach 1),
        ``lr_chaos_onset`` (the first with rho_chaotic > 0), each None when there is none;
        ``relation``: ``"below"``, ``"at"``, ``"above"`` (where tau is minimal against where
        rho_chaotic reaches 1) or ``"undetermined"``.

    Notes
    -----
    Training is fastest near the onset of chaos: the learning rate of minimal tau lies at
    or just below the one where every initial condition is chaotic.

    Examples
    --------
    >>> import netchaos as nc
    >>> data = nc.datasets.iris(seed=0)
    >>> sw = nc.lr_sweep(nc.MLP([4, 10, 3]), data, [0.5, 4.0], 40, 1e-8, n_init=3, n_pert=2,
    ...                  seed=0, test_metrics=True)
    >>> tab = onset_table(sw, 0.6)
    >>> tab["tau"].shape, tab["lr"], tab["relation"] in ("below", "at", "above", "undetermined")
    ((2, 3), [0.5, 4.0], True)
    """
    if getattr(sweep, "final_test_accuracy", None) is None:
        raise ValueError("sweep has no test accuracy: run lr_sweep(..., test_metrics=True)")
    lrs = [float(v) for v in sweep.values]
    per_lr, taus_all, tau_med, mean_exp, rho_ch = {}, [], [], [], []
    for k, lr in enumerate(lrs):
        ens, fl, m = sweep.results[lr], sweep.fits[lr], sweep.mles[lr]
        acc = ens.test_accuracy
        taus = time_to_accuracy(acc, target)
        taus_all.append(taus)
        med = float(np.median(taus))
        tau_med.append(med if np.isfinite(med) else np.nan)
        fin = np.isfinite(fl.exponent)
        mean_exp.append(float(np.mean(fl.exponent[fin])) if fin.any() else np.nan)
        rho_ch.append(m.kept_fraction)
        per_lr[lr] = {
            "lambda_nmle": m.exponent, "std": m.std, "mean_exponent": mean_exp[-1],
            "rho": m.rho, "rho_chaotic": m.kept_fraction,
            "exponents": [float(v) for v in fl.exponent],
            "tau": med, "tau_per_ic": [float(v) for v in taus],
            "fraction_reached": float(np.mean(np.isfinite(taus))),
            "final_test_accuracy": float(np.nanmean(acc[:, -1])),
            "n_diverged": int(sweep.n_diverged[k]),
        }
    tau_arr = np.array(tau_med, dtype=float)
    lr_tau_min = float(lrs[int(np.nanargmin(tau_arr))]) if np.isfinite(tau_arr).any() else None
    rho_arr = np.asarray(sweep.rho, dtype=float)
    rch = np.asarray(rho_ch, dtype=float)
    lr_rho_one = next((lr for lr, r in zip(lrs, rho_arr) if r >= 1.0 - 1e-12), None)
    lr_rho_ch_one = next((lr for lr, r in zip(lrs, rch) if r >= 1.0 - 1e-12), None)
    lr_onset = next((lr for lr, r in zip(lrs, rch) if r > 0), None)
    if lr_tau_min is None or lr_rho_ch_one is None:
        relation = "undetermined"
    elif math.isclose(lr_tau_min, lr_rho_ch_one):
        relation = "at"
    else:
        relation = "below" if lr_tau_min < lr_rho_ch_one else "above"
    return {
        "lr": lrs, "tau": np.stack(taus_all), "tau_median": tau_arr, "mean_exponent": mean_exp,
        "rho": rho_arr, "rho_chaotic": rch, "per_lr": per_lr, "lr_tau_min": lr_tau_min,
        "lr_rho_one": lr_rho_one, "lr_rho_chaotic_one": lr_rho_ch_one,
        "lr_chaos_onset": lr_onset, "relation": relation,
    }
