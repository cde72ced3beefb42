"""Post-training perturbations: exponential against power-law decay, and the linearised prediction."""


import numpy as np

from .._fit import line_fit
from .._validate import as_float_array, check_int, check_positive


def _line(x, y):
    """:func:`netchaos._fit.line_fit` on the finite points: ``(a, b, r2)`` of ``y ~ a + b x``,
    NaN for fewer than 3 points or a constant ``x``."""
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size < 3 or np.ptp(x) == 0:
        return np.nan, np.nan, np.nan
    b, a, r2 = line_fit(x, y)
    return float(a), float(b), float(r2)


def decay_fits(t, distance):
    """Exponential and power-law fits of a decaying distance (post-training perturbations).

    Parameters
    ----------
    t : array_like of shape (T,)
        Steps since the perturbation.
    distance : array_like of shape (T,)
        Mean distance d(t) > 0 (NaN and non-positive values are left out of the fits).

    Returns
    -------
    dict
        ``exponential``: ``(a, b, r2)`` of ``ln d = a + b t``; ``power``: ``(a, c, r2)`` of
        ``ln d = a + c ln t`` (t > 0 only; both fits use the same points); ``better``:
        ``"exponential"``, ``"power_law"`` or ``"undetermined"`` (larger R^2; undetermined
        when either fit failed). A fit of fewer than 3 points is ``(nan, nan, nan)``.

    Notes
    -----
    A stable fixed point makes d(t) decay exponentially; after training Danovski et al.
    (2024, Fig. 6) find a slow decay that neither line fits well. R^2 is
    ``1 - SS_res / SS_tot`` of ``ln d``.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(100.0)
    >>> f = decay_fits(t, 2.0 * np.exp(-0.05 * t))
    >>> f["better"], round(f["exponential"][1], 12), round(f["exponential"][2], 12)
    ('exponential', -0.05, 1.0)
    >>> decay_fits(t, (1 + t) ** -1.0)["better"]
    'power_law'
    """
    tt = as_float_array(t, "t", ndim=1)
    d = as_float_array(distance, "distance", ndim=1, finite=False)
    if d.size != tt.size:
        raise ValueError(f"distance has {d.size} points but t has {tt.size}")
    pos = tt > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.log(d[pos])
    exp = _line(tt[pos], y)
    power = _line(np.log(tt[pos]), y)
    if np.isfinite(exp[2]) and np.isfinite(power[2]):
        better = "power_law" if power[2] > exp[2] else "exponential"
    else:
        better = "undetermined"
    return {"exponential": exp, "power": power, "better": better}


def decay_classification(t, distances):
    """:func:`decay_fits` for every initial condition, and which decay fits better overall.

    Parameters
    ----------
    t : array_like of shape (T,)
        Steps since the perturbation.
    distances : array_like of shape (n, T)
        Mean distance of every initial condition (over its perturbations).

    Returns
    -------
    dict
        ``fits`` (list of n :func:`decay_fits` dicts), ``exponential`` and ``power``
        (lists of n ``(a, slope, r2)``), ``better`` (list of n verdicts), ``n_power_law``,
        ``n_exponential`` (counts), ``better_fit`` (``"power_law"``, ``"exponential"`` or
        ``"tie"``: the majority verdict) and ``fraction_power_law_better`` (among the
        determined verdicts; 0 when none is).

    Notes
    -----
    The verdict of the post-training experiment (Danovski et al. 2024, Fig. 6).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(50.0)
    >>> c = decay_classification(t, [np.exp(-0.1 * t), (1 + t) ** -0.5, (1 + t) ** -2.0])
    >>> c["better"], c["better_fit"], round(c["fraction_power_law_better"], 3)
    (['exponential', 'power_law', 'power_law'], 'power_law', 0.667)
    """
    D = as_float_array(distances, "distances", ndim=2, finite=False)
    fits = [decay_fits(t, d) for d in D]
    better = [f["better"] for f in fits]
    n_pow = better.count("power_law")
    n_exp = better.count("exponential")
    return {
        "fits": fits,
        "exponential": [f["exponential"] for f in fits],
        "power": [f["power"] for f in fits],
        "better": better,
        "n_power_law": n_pow,
        "n_exponential": n_exp,
        "better_fit": "power_law" if n_pow > n_exp else ("exponential" if n_exp > n_pow
                                                         else "tie"),
        "fraction_power_law_better": n_pow / max(1, n_pow + n_exp),
    }


def linearised_distance(hessian, lr, delta, steps):
    """Euclidean distances predicted by a constant tangent map ``I - lr H``.

    Parameters
    ----------
    hessian : array_like of shape (P, P)
        Symmetric Hessian at the perturbed state (symmetrised as ``(H + H^T) / 2``).
    lr : float
        Learning rate, > 0.
    delta : array_like of shape (P,) or (n, P)
        Perturbations.
    steps : int
        Predict t = 0 .. steps.

    Returns
    -------
    ndarray of shape (n, steps + 1)
        Predicted Euclidean distances (n = 1 for a 1-D ``delta``).

    Notes
    -----
    With ``H = U diag(h) U^T`` and ``c = U^T delta``, the linearised GD map carries a
    perturbation to ``delta(t) = U diag((1 - lr h)^t) c``, so
    ``||delta(t)||^2 = sum_i (1 - lr h_i)^(2t) c_i^2``: a sum of exponentials whose rates
    ``ln|1 - lr h_i|`` spread over many decades when H has many small eigenvalues.

    Examples
    --------
    >>> import numpy as np
    >>> H = np.diag([1.0, 0.0])                  # one stiff and one flat direction
    >>> linearised_distance(H, 0.5, [3.0, 4.0], 2).round(6)
    array([[5.      , 4.272002, 4.069705]])
    """
    H = as_float_array(hessian, "hessian", ndim=2)
    if H.shape[0] != H.shape[1]:
        raise ValueError(f"hessian must be square, got shape {H.shape}")
    lr = check_positive(lr, "lr")
    D = as_float_array(delta, "delta", ndim=(1, 2))
    D = D[None] if D.ndim == 1 else D
    if D.shape[1] != H.shape[0]:
        raise ValueError(f"delta has {D.shape[1]} entries per row but hessian is {H.shape}")
    steps = check_int(steps, "steps", minimum=0)
    h, U = np.linalg.eigh(0.5 * (H + H.T))
    c2 = (D @ U) ** 2                                     # (n, P)
    log_mu = np.log(np.maximum(np.abs(1.0 - lr * h), 1e-300))
    t = np.arange(steps + 1, dtype=float)
    growth = np.exp(2.0 * t[:, None] * log_mu[None, :])   # (T, P)
    return np.sqrt(c2 @ growth.T)
