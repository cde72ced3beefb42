"""Routes to chaos: the period-3 window of a bifurcation diagram and the type-I intermittency
scaling of the laminar phases just below it.

In type-I intermittency (Pomeau and Manneville [1]_) a periodic orbit is born in a
tangent (saddle-node) bifurcation at ``lr_c``; just below it the orbit's ghost holds
trajectories in laminar phases whose mean length grows as ``(lr_c - lr)^(-1/2)``. The
logistic map's period-3 window at ``r_c = 1 + sqrt(8)`` is the textbook case;
:func:`intermittency_scaling` measures the exponent from any series, and
:func:`network_intermittency` from the loss of a network at learning rates just below a window.

References
----------
.. [1] Y. Pomeau, P. Manneville, "Intermittent transition to turbulence in dissipative
   dynamical systems", Commun. Math. Phys. 74, 189-197 (1980).
"""

import numpy as np

from .._fit import line_fit
from .._validate import as_float_array, check_int
from ..bifurcation import bifurcation_diagram
from ..timeseries.laminar import laminar_length_stats, laminar_phases
from ..training import train

__all__ = ["period_window", "intermittency_scaling", "network_intermittency"]

#: the mean-laminar-length exponent of type-I intermittency
TYPE_I_EXPONENT = -0.5


def period_window(model, data, lr_lo, lr_hi, n=200, period=3, steps=600, transient=2000,
                  theta0=None, x0=None, seed=0, progress=False):
    """The longest run of learning rates in ``[lr_lo, lr_hi]`` whose attractor has ``period``.

    Returns
    -------
    dict
        ``lr_c`` (the first learning rate of the window, its left edge), ``lr_end``,
        ``diagram`` (the :class:`netchaos.bifurcation.BifurcationResult` of the scan),
        ``found`` (bool).

    Examples
    --------
    >>> import netchaos as nc
    >>> w = period_window(nc.systems.logistic, None, 3.80, 3.86, n=61, x0=0.3)
    >>> round(w["lr_c"], 3), w["found"]
    (3.829, True)
    """
    lr = np.linspace(float(lr_lo), float(lr_hi), check_int(n, "n", minimum=2))
    diag = bifurcation_diagram(model, data, lr, theta0=theta0, x0=x0, steps=steps,
                               transient=transient, seed=seed, progress=progress)
    lo, hi = diag.window(period)
    return {"lr_c": lo, "lr_end": hi, "diagram": diag, "found": bool(np.isfinite(lo))}


def intermittency_scaling(series, offsets, period=3, tol=None, min_length=None):
    """Mean laminar length of period-``period`` phases against the distance to the window.

    Parameters
    ----------
    series : sequence of ndarray
        One series per distance (e.g. the loss at ``lr_c - distance``).
    offsets : array_like of shape (n,)
        ``lr_c - lr`` (> 0) of every series.
    period : int, default 3
    tol, min_length : optional
        Passed to :func:`netchaos.laminar_phases`.

    Returns
    -------
    dict
        ``distance``, ``mean_length``, ``n_phases`` and ``laminar_fraction`` per series;
        ``slope``, ``intercept`` and ``r2`` of ``ln mean_length`` against ``ln distance``
        (series with at least 3 phases, NaN with fewer than 3 such series); ``expected`` (-1/2) and ``consistent``
        (``|slope + 1/2| < 0.15`` and ``r2 > 0.8``).

    Examples
    --------
    The logistic map below its period-3 window (``r_c = 1 + sqrt(8)``):

    >>> import numpy as np
    >>> import netchaos as nc
    >>> rc = 1 + np.sqrt(8)
    >>> d = np.array([1e-4, 4e-4, 1.6e-3, 6.4e-3])
    >>> xs = [nc.systems.orbit(nc.systems.logistic(rc - e), 0.3, 40000, 100)[:, 0] for e in d]
    >>> res = intermittency_scaling(xs, d, tol=0.01)
    >>> bool(abs(res["slope"] + 0.5) < 0.1), res["consistent"]
    (True, True)
    """
    d = as_float_array(offsets, "offsets", ndim=1)
    if np.any(d <= 0):
        raise ValueError("offsets must be > 0")
    if len(series) != d.size:
        raise ValueError(f"series must hold one series per distance ({d.size}), got {len(series)}")
    period = check_int(period, "period", minimum=1)
    mean, count, frac = [], [], []
    for x in series:
        x = np.asarray(x, dtype=np.float64)
        x = x[np.isfinite(x)]
        if x.size <= 3 * period + 1:
            mean.append(np.nan)
            count.append(0)
            frac.append(np.nan)
            continue
        lam = laminar_phases(x, period=period, tol=tol, min_length=min_length)
        stats = laminar_length_stats(lam.lengths)
        mean.append(stats.mean)
        count.append(stats.n)
        frac.append(lam.laminar_fraction)
    mean = np.array(mean)
    count = np.array(count, dtype=np.int64)
    ok = (count >= 3) & np.isfinite(mean)
    slope = intercept = r2 = np.nan
    if ok.sum() >= 3:           # two points always fit a line exactly
        slope, intercept, r2 = line_fit(np.log(d[ok]), np.log(mean[ok]))
    consistent = bool(np.isfinite(slope) and abs(slope - TYPE_I_EXPONENT) < 0.15
                      and np.isfinite(r2) and r2 > 0.8)
    return {"distance": d, "mean_length": mean, "n_phases": count,
            "laminar_fraction": np.array(frac), "slope": float(slope),
            "intercept": float(intercept), "r2": float(r2), "expected": TYPE_I_EXPONENT,
            "consistent": consistent}


def network_intermittency(model, data, lr_c, offsets, steps=20000, transient=2000,
                          theta0=None, seed=0, period=3, tol=None, progress=False):
    """:func:`intermittency_scaling` of the training loss at ``lr = lr_c - distance``.

    All learning rates run as the lanes of one :func:`netchaos.train` call from the same
    initial condition; the first ``transient`` steps are dropped. A diverged run counts
    as having no phases.

    Returns
    -------
    dict
        That of :func:`intermittency_scaling`, plus ``lr`` and ``loss`` (n, steps).
    """
    d = as_float_array(offsets, "offsets", ndim=1)
    lr = float(lr_c) - d
    if np.any(lr <= 0):
        raise ValueError("offsets must be smaller than lr_c")
    if theta0 is None:
        theta0 = model.init(seed=seed)
    res = train(model, data, np.repeat(np.asarray(theta0, float)[None], d.size, 0), lr=lr,
                steps=check_int(steps, "steps", minimum=1) + check_int(transient, "transient",
                                                                        minimum=0),
                record="metrics", progress=progress)
    loss = res.loss[:, transient + 1:]
    out = intermittency_scaling(list(loss), d, period=period, tol=tol)
    out["lr"] = lr
    out["loss"] = loss
    return out
