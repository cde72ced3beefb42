"""Figures of the routes to chaos: bifurcation diagrams with their exponent curve, the
intermittency scaling, and trainability maps."""

import numpy as np

from ...bifurcation import BifurcationResult
from ...trainability import TrainabilityMap
from ._style import FIT, MEAN, _axes, _figure, _styled, _titled

__all__ = ["plot_bifurcation", "plot_intermittency_scaling", "plot_trainability"]


@_styled
def plot_bifurcation(result, *, fig=None, title=None, logy=False, markersize=0.3):
    """States after the transient over the parameter (top) and the largest exponent (bottom).

    The top panel shows the attractor where the orbit has settled on one (a few points for a
    periodic orbit, a band for chaos); where it has not (a loss still decreasing after the
    transient) the points are the states the orbit passes, not an attractor.

    Parameters
    ----------
    result : BifurcationResult
    fig : matplotlib Figure or SubFigure, optional
        An empty figure to draw into (two axes, shared x).
    title : str, optional
    logy : bool, default False
        Logarithmic state axis (losses spanning decades).
    markersize : float, default 0.3

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import netchaos as nc
    >>> res = nc.bifurcation_diagram(nc.systems.logistic, lr_values=[3.2, 3.5, 3.9], x0=0.3,
    ...                              steps=50, transient=200)
    >>> fig = plot_bifurcation(res)
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['after the transient', 'largest exponent [per iteration]']
    """
    res = result
    if not isinstance(res, BifurcationResult):
        raise TypeError(f"result must be a BifurcationResult, got {type(result).__name__}")
    fig, (top, bottom) = _figure(2, 1, figsize=(6.4, 4.8), sharex=True, fig=fig)
    x = np.repeat(res.values, res.samples.shape[1])
    y = res.samples.ravel()
    ok = np.isfinite(y) & ((y > 0) if logy else True)
    top.plot(x[ok], y[ok], ",", color=MEAN, ms=markersize, alpha=0.5, rasterized=True)
    if logy:
        top.set_yscale("log")
    top.set_ylabel("after the transient")
    if res.diverged.any():
        for v in res.values[res.diverged]:
            top.axvline(v, color="0.9", lw=0.5, zorder=0)
    bottom.plot(res.values, res.exponent, color=MEAN, lw=0.7)
    bottom.axhline(0.0, color=FIT, lw=0.6, ls=":")
    bottom.set_ylabel("largest exponent [per iteration]")
    bottom.set_xlabel(res.name)
    _titled(top, title)
    return fig


@_styled
def plot_intermittency_scaling(scaling, *, ax=None, title=None):
    """Mean laminar length against the distance to the window, log-log, with the fit and -1/2.

    Parameters
    ----------
    scaling : dict
        From :func:`netchaos.protocols.routes.intermittency_scaling`.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> s = {"distance": np.array([1e-3, 1e-2]), "mean_length": np.array([30.0, 10.0]),
    ...      "slope": -0.48, "intercept": 0.1, "expected": -0.5}
    >>> fig = plot_intermittency_scaling(s)
    >>> fig.axes[0].get_xscale()
    'log'
    """
    if not isinstance(scaling, dict) or "distance" not in scaling or "mean_length" not in scaling:
        raise TypeError(f"scaling must be the dict of intermittency_scaling, "
                        f"got {type(scaling).__name__}")
    ax = _axes(ax, (4.2, 3.2))
    d = np.asarray(scaling["distance"], dtype=float)
    m = np.asarray(scaling["mean_length"], dtype=float)
    ok = np.isfinite(m) & (m > 0)
    ax.loglog(d[ok], m[ok], "o", color=MEAN, ms=4, label="measured (n = phases)")
    if "n_phases" in scaling:
        for e, v, k in zip(d[ok], m[ok], np.asarray(scaling["n_phases"])[ok]):
            ax.annotate(f"n={int(k)}", (e, v), textcoords="offset points", xytext=(4, 4),
                        fontsize=7)
    slope, icpt = scaling.get("slope", np.nan), scaling.get("intercept", np.nan)
    if ok.any() and np.isfinite(slope):
        dd = np.geomspace(d[ok].min(), d[ok].max(), 50)
        ax.loglog(dd, np.exp(icpt) * dd ** slope, color=FIT, lw=0.8,
                  label=f"fit, slope {slope:.2f}")
        mid = np.exp(np.mean(np.log(d[ok])))
        ref = np.exp(icpt) * mid ** slope
        ax.loglog(dd, ref * (dd / mid) ** scaling.get("expected", -0.5), color="0.5", ls="--",
                  lw=0.8, label="type I: slope $-1/2$")
    ax.set_xlabel("distance to the window $\\eta_c - \\eta$")
    ax.set_ylabel("mean laminar length")
    ax.legend(frameon=False)
    _titled(ax, title)
    return ax.figure


@_styled
def plot_trainability(result, *, ax=None, title=None, log=True, boundary=True):
    """The trainability map: trained points light, the others dark, the boundary in red.

    Parameters
    ----------
    result : TrainabilityMap
    ax : matplotlib Axes, optional
    title : str, optional
    log : bool, default True
        Logarithmic axes when both grids are positive and span more than a factor of 10.
    boundary : bool, default True
        Mark the boundary cells.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> res = nc.trainability_map(nc.MLP([4, 3, 3]), nc.datasets.iris(), np.geomspace(0.1, 50, 6),
    ...                           np.geomspace(0.1, 50, 6), steps=20)
    >>> fig = plot_trainability(res)
    >>> fig.axes[0].get_xlabel()
    'learning rate (first layer)'
    """
    res = result
    if not isinstance(res, TrainabilityMap):
        raise TypeError(f"result must be a TrainabilityMap, got {type(result).__name__}")
    ax = _axes(ax, (4.6, 4.0))
    # colour: final loss relative to the initial one for trained points, dark otherwise
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.log10(res.final_loss / res.initial_loss)
    img = np.where(res.trained, np.clip(rel, -4, 0), np.nan)
    low = float(np.nanmin(img)) if np.isfinite(img).any() else -1.0
    low = min(low, -0.1)
    ax.pcolormesh(res.lr, res.second, np.where(res.trained, 0.0, 1.0).T, cmap="Greys",
                  vmin=0, vmax=1.6, shading="nearest", rasterized=True)
    mesh = ax.pcolormesh(res.lr, res.second, img.T, cmap="viridis", vmin=low, vmax=0,
                         shading="nearest", rasterized=True)
    ax.figure.colorbar(mesh, ax=ax, label="log$_{10}$ final / initial loss (trained)")
    if boundary:
        b = res.boundary
        i, j = np.nonzero(b)
        ax.plot(res.lr[i], res.second[j], ",", color="tab:red", alpha=0.8)
    for axis, grid in (("x", res.lr), ("y", res.second)):
        if log and grid.min() > 0 and grid.max() / grid.min() > 10:
            getattr(ax, f"set_{axis}scale")("log")
    ax.set_xlabel("learning rate (first layer)" if res.kind == "lr_out" else "learning rate")
    ax.set_ylabel("learning rate (output layer)" if res.kind == "lr_out"
                  else "initial weight scale")
    dim = res.dimension
    lo, hi = res.dimension_interval
    note = (f"boundary dimension {dim:.2f} [{lo:.2f}, {hi:.2f}]" if np.isfinite(dim)
            else "no boundary")
    _titled(ax, f"{title}\n{note}" if title else note)
    return ax.figure
