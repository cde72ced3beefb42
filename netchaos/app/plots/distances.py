"""Figures of distances between perturbed and reference trajectories (Figs. 3, 4, 6, 7)."""

import numpy as np
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.lines import Line2D

from ._style import (
    _LOSS_LABEL,
    FIT,
    LOSS,
    MEAN,
    SINGLE,
    _arr,
    _axes,
    _figure,
    _fmt_eps,
    _log_or_linear,
    _log_y_or_note,
    _loss_twin,
    _mean_axis1,
    _nanmean_rows,
    _no_data,
    _palette,
    _rows,
    _styled,
    _time_axis,
    _titled,
)

__all__ = ["plot_distances", "plot_distance_panels", "plot_eps_curves", "plot_decay_fits",
           "plot_lr_detail"]


def draw_distances(ax, t, D, loss=None, logy=True, fit=None, mean=True, loss_logy=False):
    """Body of plot_distances on an existing axis. D has shape (n_pert, T)."""
    for row in D:
        ax.plot(t, row, color=SINGLE, lw=0.6)
    if mean and D.shape[0] > 1:
        ax.plot(t, _nanmean_rows(D), color=MEAN, lw=1.2, label="mean")
    if fit is not None:
        intercept, slope, (lo, hi) = fit
        if np.isfinite(slope) and np.isfinite(intercept) and hi > lo >= 0:
            hi = min(int(hi), t.size)
            tt = t[int(lo):hi]
            ax.plot(tt, np.exp(intercept + slope * tt), ls=":", color=FIT, lw=1.6,
                    label=f"fit $\\Lambda$={slope:.3g}")
    ax.set_xlabel("step $t$")
    ax.set_ylabel("distance $d(t)$")
    _log_y_or_note(ax, D, logy)
    if loss is not None:
        _loss_twin(ax, t, loss, logy=loss_logy)


@_styled
def plot_distances(t, distances, loss=None, *, mean=True, logy=True, fit=None, title=None,
                   loss_logy=False, ax=None):
    """Distance between perturbed and reference trajectories for one initial condition.

    Parameters
    ----------
    t : array_like of shape (T,) or None
        Time axis (GD steps); None for 0 .. T-1.
    distances : array_like of shape (T,) or (n_pert, T)
        d(t) of each perturbed trajectory (grey); their mean is drawn in black.
    loss : array_like of shape (T,), optional
        Reference training loss, dashed blue on a right-hand axis.
    mean : bool, default True
        Draw the mean over perturbations (only with more than one).
    logy : bool, default True
        Logarithmic distance axis.
    fit : tuple (intercept, slope, (start, stop)), optional
        A fitted line ``ln d = intercept + slope t`` drawn in red over
        ``t[start:stop]`` (e.g. from :func:`netchaos.finite_lyapunov`).
    title : str, optional
    loss_logy : bool, default False
        Logarithmic loss axis.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into (the loss twin is added beside it); default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax`` or a new one: one axis (plus its twin when ``loss`` is given).

    Examples
    --------
    >>> import numpy as np
    >>> from netchaos.app.plots import plot_distances
    >>> d = 1e-8 * np.exp(0.2 * np.arange(30)) * np.array([[1.0], [1.5]])
    >>> fig = plot_distances(None, d, np.linspace(1, 0.1, 30))
    >>> len(fig.axes), len(fig.axes[0].lines)    # loss twin; two copies and their mean
    (2, 3)
    """
    D = _arr(distances, "distances", (1, 2))
    D = D[None] if D.ndim == 1 else D
    t = _time_axis(t, D.shape[1])
    ax = _axes(ax, figsize=(5.0, 3.2))
    draw_distances(ax, t, D, loss=loss, logy=logy, fit=fit, mean=mean, loss_logy=loss_logy)
    return _titled(ax, title)


@_styled
def plot_distance_panels(t, distances, loss=None, *, ncols=2, logy=True, fits=None, titles=None,
                         loss_logy=False, max_panels=None, fig=None):
    """One :func:`plot_distances` panel per initial condition.

    Parameters
    ----------
    t : array_like of shape (T,) or None
    distances : array_like of shape (n_init, n_pert, T) or (n_init, T)
    loss : array_like of shape (n_init, T) or (T,), optional
    ncols : int, default 2
    logy : bool, default True
    fits : sequence of (intercept, slope, (start, stop)) or None, optional
        One fit per initial condition (None entries skip the line).
    titles : sequence of str, optional
    loss_logy : bool, default False
    max_panels : int, optional
        Show only the first ``max_panels`` initial conditions.
    fig : matplotlib.figure.Figure or SubFigure, optional
        Empty figure to add the grid of panels to; default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig`` or a new figure with ``n_init`` axes (plus loss twins).

    Examples
    --------
    >>> import numpy as np
    >>> from netchaos.app.plots import plot_distance_panels
    >>> d = np.exp(0.1 * np.arange(20)) * np.ones((3, 2, 1))
    >>> fig = plot_distance_panels(None, d)
    >>> sum(ax.get_visible() for ax in fig.axes)    # three panels, the fourth cell hidden
    3
    """
    D = _arr(distances, "distances", (2, 3))
    if D.ndim == 2:
        D = D[:, None, :]
    if max_panels is not None:
        D = D[:max_panels]
    n = D.shape[0]
    t = _time_axis(t, D.shape[2])
    L = None if loss is None else _arr(loss, "loss", (1, 2))
    if L is not None and L.ndim == 1:
        L = np.broadcast_to(L, (n, L.size))
    ncols = max(1, min(int(ncols), n))
    nrows = -(-n // ncols)
    fig, axes = _figure(nrows, ncols, figsize=(4.0 * ncols, 2.8 * nrows), squeeze=False, fig=fig)
    entries = {}
    for i, ax in enumerate(axes.ravel()):
        if i >= n:
            ax.set_visible(False)
            continue
        fit = None if fits is None else fits[i]
        draw_distances(ax, t, D[i], loss=None if L is None else L[i], logy=logy, fit=fit,
                        loss_logy=loss_logy)
        title = None if titles is None else titles[i]
        if fit is not None and np.isfinite(fit[1]):          # the fitted value in the title,
            value = f"$\\Lambda$ = {fit[1]:.3g}"              # the legend below the panels
            title = f"{title}: {value}" if title else f"fit {value}"
        if title:
            ax.set_title(title)
        for h, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault("exponential fit" if label.startswith("fit") else label, h)
    _panel_legend(fig, entries, single=D.shape[1] > 1, loss=L is not None)
    return fig


def _panel_legend(fig, entries, single=True, loss=True):
    """One legend for a grid of distance panels, outside the panels (below them)."""
    if single:
        entries = {"perturbed copies": Line2D([], [], color=SINGLE, lw=0.6), **entries}
    if loss:
        entries[_LOSS_LABEL] = Line2D([], [], ls="--", color=LOSS, lw=1.0)
    if not entries:
        return
    engine = fig.get_layout_engine() if hasattr(fig, "get_layout_engine") else None
    outside = isinstance(engine, ConstrainedLayoutEngine)
    fig.legend(list(entries.values()), list(entries), ncols=len(entries), frameon=False,
               loc="outside lower center" if outside else "lower center")


@_styled
def plot_eps_curves(t, curves, eps_values, loss=None, *, normalise=True, logy=True, title=None,
                    reference=None, fig=None):
    """Mean distance for several perturbation radii from the same initial condition (Fig. 4).

    Parameters
    ----------
    t : array_like of shape (T,) or None
    curves : array_like of shape (n_eps, T) or (n_eps, n_pert, T)
        Distances per radius (averaged over perturbations when 3-D).
    eps_values : array_like of shape (n_eps,)
    loss : array_like of shape (T,), optional
        Reference loss, drawn in a lower panel.
    normalise : bool, default True
        Plot ``d(t) / d(0)`` so that curves of different radii overlap when
        the dynamics is linear in the perturbation.
    logy : bool, default True
    title : str, optional
    reference : int, optional
        Index of a reference radius: its curve is drawn wide and pale under the others (so
        that curves which coincide stay visible), and a panel below shows the difference
        of ``ln d(t)/d(0)`` of every other radius from it.
    fig : matplotlib.figure.Figure or SubFigure, optional
        Empty figure to add the radii panel (and the difference and loss panels below) to;
        default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig`` or a new figure: one axis with one line per radius, the difference axis
        below when ``reference`` is given and a loss axis below when ``loss`` is given.

    Examples
    --------
    >>> import numpy as np
    >>> from netchaos.app.plots import plot_eps_curves
    >>> curves = np.array([[1e-8, 2e-8, 4e-8], [1e-4, 2e-4, 3e-4]])
    >>> fig = plot_eps_curves(None, curves, [1e-8, 1e-4], loss=[1.0, 0.8, 0.7])
    >>> len(fig.axes), len(fig.axes[0].lines)
    (2, 2)
    """
    C = _arr(curves, "curves", (2, 3))
    if C.ndim == 3:
        C = _mean_axis1(C)
    eps = _arr(eps_values, "eps_values", (1,))
    if eps.size != C.shape[0]:
        raise ValueError(f"eps_values has {eps.size} entries but curves has {C.shape[0]} rows")
    t = _time_axis(t, C.shape[1])
    if normalise:
        with np.errstate(divide="ignore", invalid="ignore"):
            C = C / C[:, :1]
    if reference is not None and not 0 <= int(reference) < eps.size:
        raise ValueError(f"reference must index eps_values (0 .. {eps.size - 1}), "
                         f"got {reference!r}")
    heights = [2.6] + ([1.3] if reference is not None else []) + ([1.4] if loss is not None
                                                                   else [])
    fig, axes = _figure(len(heights), 1, figsize=(5.0, sum(heights) + 0.4), sharex=True,
                        squeeze=False, fig=fig, height_ratios=heights)
    ax = axes[0, 0]
    colours = _palette(eps.size, "viridis")         # no pale yellow on white
    for i, (e, c) in enumerate(zip(eps, C)):
        wide = reference is not None and i == int(reference)
        ax.plot(t, c, color=colours[i], lw=4.0 if wide else 1.0,
                alpha=0.45 if wide else 1.0, zorder=1 if wide else 2,
                label=f"$\\epsilon$={_fmt_eps(e)}" + (" (reference)" if wide else ""))
    ax.set_ylabel("$d(t)/d(0)$" if normalise else "distance $d(t)$")
    ax.set_xlabel("step $t$")
    if logy:
        _log_or_linear(ax, "y", C)
    ax.legend(frameon=False, ncols=2)
    if title:
        ax.set_title(title)
    row = 1
    if reference is not None:
        dax = axes[row, 0]
        row += 1
        ref = int(reference)
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.log(C)
        for i, e in enumerate(eps):
            if i != ref:
                dax.plot(t, logs[i] - logs[ref], color=colours[i])
        dax.axhline(0, color="0.6", lw=0.6)
        dax.set_xlabel("step $t$")
        dax.set_ylabel("$\\Delta \\ln d(t)/d(0)$")
    if loss is not None:
        lax = axes[row, 0]
        lv = _arr(loss, "loss", (1,))
        if lv.size != t.size:
            raise ValueError(f"loss has {lv.size} points but the curves have {t.size}")
        lax.plot(t, lv, ls="--", color=LOSS)
        lax.set_xlabel("step $t$")
        lax.set_ylabel(_LOSS_LABEL)
    return fig


def _scales_name(ax):
    """'log-log', 'semi-log', 'log t' or 'linear', from the axes' actual scales."""
    logx, logy = ax.get_xscale() == "log", ax.get_yscale() == "log"
    return {(True, True): "log-log", (False, True): "semi-log", (True, False): "log t",
            (False, False): "linear"}[(logx, logy)]


@_styled
def plot_decay_fits(t, distance, *, exp_fit=None, power_fit=None, title=None, fig=None):
    """A decaying distance with an exponential and a power-law fit, in semi-log and log-log axes.

    Parameters
    ----------
    t : array_like of shape (T,) or None
        Steps since the perturbation.
    distance : array_like of shape (T,)
        Mean distance d(t).
    exp_fit : (a, b), optional
        ``ln d = a + b t``.
    power_fit : (a, c), optional
        ``ln d = a + c ln t`` (drawn for t > 0).
    title : str, optional
    fig : matplotlib.figure.Figure or SubFigure, optional
        Empty figure to add the semi-log and log-log panels to; default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig`` or a new figure with two axes, each with the data and the given fits:
        semi-logarithmic (left) and log-log (right) when ``d`` spans a decade or more;
        over a narrower range the distance axis is linear (a logarithmic axis over a
        few per cent shows nothing a linear one does not), each panel is titled by its
        actual scales, and a range below 10 % is noted in the right panel's title.

    Examples
    --------
    >>> import numpy as np
    >>> from netchaos.app.plots import plot_decay_fits
    >>> d = 1e-7 * (1.0 + np.arange(20)) ** -0.5
    >>> fig = plot_decay_fits(None, d, power_fit=(np.log(1e-7), -0.5))
    >>> [len(ax.lines) for ax in fig.axes]          # data and the power law in each
    [2, 2]
    >>> [ax.get_title() for ax in fig.axes]         # d spans less than a decade
    ['linear', 'log t']
    """
    d = _arr(distance, "distance", (1,))
    t = _time_axis(t, d.size)
    fig, axes = _figure(1, 2, figsize=(8.4, 3.0), fig=fig)
    pos = t > 0
    for ax, loglog in zip(axes, (False, True)):
        ax.plot(t, d, color=MEAN, label="mean $d(t)$")
        if exp_fit is not None:
            a, b = exp_fit
            ax.plot(t[pos] if loglog else t, np.exp(a + b * (t[pos] if loglog else t)), ls=":",
                    color=FIT, lw=1.6, label=f"exponential, rate {b:.2g}")
        if power_fit is not None:
            a, c = power_fit
            ax.plot(t[pos], np.exp(a + c * np.log(t[pos])), ls="--", color=LOSS, lw=1.2,
                    label=f"power law, exponent {c:.2g}")
        ax.set_xlabel("steps since perturbation $t$")
        ax.set_ylabel("distance $d(t)$")
        _log_or_linear(ax, "y", d)
        if loglog:
            _log_or_linear(ax, "x", t[pos])
        if not np.any(np.isfinite(d)):
            _no_data(ax)
    for ax, default in zip(axes, (title, None)):
        ax.set_title(default or _scales_name(ax))
    fin = d[np.isfinite(d) & (d > 0)]
    if fin.size and fin.max() / fin.min() < 1.1:
        axes[1].set_title(f"{_scales_name(axes[1])}: d(t) varies by only "
                          f"{100 * (fin.max() / fin.min() - 1):.1f} %", fontsize="medium")
    axes[1].legend(frameon=False)
    return fig


@_styled
def plot_lr_detail(t, distances, test_accuracy, *, target=0.9, fits=None, title=None, fig=None):
    """The runs of one learning rate: mean d(t) per initial condition, and test accuracy.

    Parameters
    ----------
    t : array_like of shape (T,) or None
    distances : array_like of shape (n_init, n_pert, T) or (n_init, T)
        Distances (averaged over perturbations when 3-D).
    test_accuracy : array_like of shape (n_init, T)
        Test accuracy of the reference trajectories.
    target : float, default 0.9
        Accuracy target, drawn as a dashed line; the first step reaching it is
        marked on each curve.
    fits : sequence of (intercept, slope, (start, stop)) or None, optional
        One fit per initial condition, drawn as red dotted lines.
    title : str, optional
    fig : matplotlib.figure.Figure or SubFigure, optional
        Empty figure to add the distance and accuracy panels to; default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig`` or a new figure with two axes: distances (left, logarithmic) and test
        accuracy (right).

    Examples
    --------
    >>> import numpy as np
    >>> from netchaos.app.plots import plot_lr_detail
    >>> d = np.exp(0.1 * np.arange(10)) * np.ones((2, 1))
    >>> acc = np.linspace(0.3, 1.0, 10) * np.ones((2, 1))
    >>> fig = plot_lr_detail(None, d, acc)
    >>> len(fig.axes[1].lines)          # two runs, two markers at 90 %, the target line
    5
    """
    D = _arr(distances, "distances", (2, 3))
    if D.ndim == 3:
        D = _mean_axis1(D)
    A = _rows(test_accuracy, "test_accuracy")
    if A.shape != D.shape:
        raise ValueError(f"test_accuracy {A.shape} must have the shape of the mean distances "
                         f"{D.shape}")
    if fits is not None and len(fits) != D.shape[0]:
        raise ValueError(f"fits has {len(fits)} entries for {D.shape[0]} initial conditions")
    t = _time_axis(t, D.shape[1])
    fig, (left, right) = _figure(1, 2, figsize=(9.0, 3.2), fig=fig)
    colours = _palette(D.shape[0], "viridis")
    for i, (row, c) in enumerate(zip(D, colours)):
        left.plot(t, row, color=c, lw=0.8)
        fit = None if fits is None else fits[i]
        if fit is not None and np.isfinite(fit[1]) and fit[2][1] > fit[2][0] >= 0:
            tt = t[int(fit[2][0]):min(int(fit[2][1]), t.size)]
            left.plot(tt, np.exp(fit[0] + fit[1] * tt), ls=":", color=FIT, lw=1.6)
    left.set_xlabel("step $t$")
    left.set_ylabel("mean distance $d(t)$")
    _log_or_linear(left, "y", D)
    for row, c in zip(A, colours):
        right.plot(t, row, color=c, lw=0.8)
        hit = np.flatnonzero(np.nan_to_num(row, nan=-1.0) >= target)
        if hit.size:
            right.plot([t[hit[0]]], [row[hit[0]]], "o", color=c, ms=4)
    right.axhline(target, color=FIT, ls="--", lw=0.8, label=f"target {100 * target:.0f}%")
    right.set_xlabel("step $t$")
    right.set_ylabel("test accuracy")
    right.set_ylim(-0.02, 1.02)
    right.legend(frameon=False, loc="lower right")
    if title:
        fig.suptitle(title)
    return fig
