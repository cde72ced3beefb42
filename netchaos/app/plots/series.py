"""Figures of time-series diagnostics: laminar phases, autocorrelation, Kantz curves and
surrogate significance (Figs. 9-11)."""

import numpy as np

from ... import ACFResult, KantzResult, LaminarResult, RosensteinResult
from ..._validate import renamed_keywords
from ._style import (
    _LOSS_LABEL,
    FIT,
    LOSS,
    MEAN,
    NOT_SIGNIFICANT,
    SIGNIFICANT,
    SINGLE,
    _arr,
    _axes,
    _figure,
    _integer_ticks,
    _mosaic,
    _no_data,
    _palette,
    _result,
    _styled,
    _time_axis,
    _titled,
)

__all__ = ["plot_laminar", "plot_acf", "plot_kantz", "plot_significance", "plot_intermittency",
           "plot_period_fractions"]


def _laminar_mask(series, mask, period, name):
    """Series and mask of shape (n,) and the period, from a LaminarResult or a bool array."""
    res = _result(mask, name, LaminarResult)
    if res is not None:
        if period is None:
            found = np.unique(res.periods)
            period = res.period if found.size < 2 else ", ".join(str(int(q)) for q in found)
        mask = res.mask
    x = _arr(series, "series", (1,))
    m = np.asarray(mask, dtype=bool)
    if m.shape != x.shape:
        raise ValueError(f"{name} {m.shape} must have the shape of series {x.shape}")
    return x, m, period


def _draw_laminar(ax, t, x, m, period=None, ylabel=None):
    """Body of plot_laminar on an existing axis: t, x, m of shape (n,)."""
    ax.plot(t, x, color=LOSS, lw=0.5)
    padded = np.concatenate(([False], m, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded)).reshape(-1, 2)
    label = ("laminar" if period is None else f"laminar (periods {period})"
             if isinstance(period, str) else f"laminar (period {period})")
    for k, (s, e) in enumerate(edges):
        ax.axvspan(t[s], t[e - 1], color="0.88", lw=0, zorder=0, label=label if k == 0 else None)
    ax.set_xlabel("step $t$")
    ax.set_ylabel(ylabel or _LOSS_LABEL)
    if edges.size:           # above the axis: the series fills the panel
        ax.legend(frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.0), borderaxespad=0.1)


def _draw_acf(ax, k, r, lower=None, upper=None):
    """Body of plot_acf on an existing axis: lags k and values r of shape (n,)."""
    if lower is not None and upper is not None:
        ax.fill_between(k, _arr(lower, "lower", (1,)), _arr(upper, "upper", (1,)), color="0.85",
                        lw=0, label="95% shuffled null")
    ax.vlines(k, 0, r, color=MEAN, lw=0.8)
    ax.plot(k, r, "o", color=MEAN, ms=3, label="ACF")
    ax.axhline(0, color="0.5", lw=0.5)
    ax.set_xlabel("lag $\\tau$")
    ax.set_ylabel("autocorrelation")
    ax.legend(frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2,
              borderaxespad=0.1)


def _phase_table(laminar, m, period):
    """``[start, stop)`` (n, 2) and period (n,) of the laminar phases: those of a LaminarResult,
    or the runs of the mask ``m`` (each with ``period``, or None) otherwise."""
    if isinstance(laminar, LaminarResult) and laminar.phases is not None \
            and laminar.periods is not None:
        return np.asarray(laminar.phases).reshape(-1, 2), [int(q) for q in laminar.periods]
    padded = np.concatenate(([False], m, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded)).reshape(-1, 2)
    return edges, [period] * len(edges)


def _zoom_window(phases, periods, width=None):
    """``(start, stop, period)`` of a window in the middle of the longest laminar phase
    (about ten of that phase's own periods, at least 30 points), or None without a phase.

    ``phases`` (n, 2) holds ``[start, stop)``, ``periods`` (n,) the period of each (None:
    unknown); the first of equally long phases is taken."""
    if not len(phases):
        return None
    k = int(np.argmax(phases[:, 1] - phases[:, 0]))
    (s, e), p = phases[k], periods[k]
    width = width or max(30, 10 * int(p or 1))
    if e - s <= width:
        return int(s), int(e), p
    mid = (s + e) // 2
    return int(mid - width // 2), int(mid - width // 2 + width), p


def _draw_zoom(ax, t, x, window):
    """The window of the series point by point, so that the period can be counted."""
    s, e, period = window
    ax.plot(t[s:e], x[s:e], "o-", color=LOSS, lw=0.8, ms=3)
    ax.set_xlabel("step $t$")
    ax.set_ylabel(_LOSS_LABEL)
    ax.set_title(f"zoom: steps {t[s]:g}-{t[e - 1]:g}"
                 + (f", period {period}" if period is not None else ""))


@_styled
def plot_laminar(t, series, mask, *, period=None, ylabel=None, title=None, ax=None):
    """A series with its laminar (near-periodic) phases shaded.

    Parameters
    ----------
    t : array_like of shape (n,) or None
    series : array_like of shape (n,)
    mask : bool array_like of shape (n,) or LaminarResult
        True inside laminar phases (a :class:`netchaos.LaminarResult`
        supplies the mask and the period).
    period : int, optional
        Period of the laminar phases (for the legend).
    ylabel, title : str, optional
    ax : matplotlib.axes.Axes, optional
        Axes to draw the series into; default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax`` or a new one with one axis: the series as one line, laminar
        phases as shaded spans.

    Raises
    ------
    TypeError
        When ``mask`` is neither array_like nor a LaminarResult.

    Examples
    --------
    >>> import numpy as np
    >>> from netchaos.app.plots import plot_laminar
    >>> mask = np.array([0, 1, 1, 1, 0, 0, 1, 1], bool)
    >>> fig = plot_laminar(None, np.arange(8.0), mask, period=2)
    >>> len(fig.axes[0].patches)         # two shaded phases
    2
    """
    x, m, period = _laminar_mask(series, mask, period, "mask")
    t = _time_axis(t, x.size)
    ax = _axes(ax, figsize=(6.4, 2.8))
    _draw_laminar(ax, t, x, m, period=period, ylabel=ylabel)
    return _titled(ax, title)


@_styled
def plot_acf(lags, acf=None, lower=None, upper=None, *, title=None, ax=None):
    """Autocorrelation function with the shuffled-null 95 % band (Fig. 10, right).

    Parameters
    ----------
    lags : array_like of shape (n,) or ACFResult
        Lags; a :class:`netchaos.ACFResult` supplies ``acf``, ``lower`` and ``upper``.
    acf : array_like of shape (n,)
        Required unless ``lags`` is an ACFResult.
    lower, upper : array_like of shape (n,), optional
        Null band, shaded grey.
    title : str, optional
    ax : matplotlib.axes.Axes, optional
        Axes to draw the ACF into; default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax`` or a new one with one axis: the ACF as stems with markers,
        and the band.

    Raises
    ------
    TypeError
        When ``lags`` is neither array_like nor an ACFResult, or ``acf`` is missing.

    Examples
    --------
    >>> import numpy as np
    >>> from netchaos.app.plots import plot_acf
    >>> fig = plot_acf(np.arange(5), np.array([1, .5, .2, 0, -.1]))
    >>> len(fig.axes), len(fig.axes[0].lines)    # markers and the zero line
    (1, 2)
    """
    res = _result(lags, "lags", ACFResult)
    if res is not None:
        lags, acf, lower, upper = res.lags, res.acf, res.lower, res.upper
    if acf is None:
        raise TypeError("plot_acf needs acf (or an ACFResult)")
    k = _arr(lags, "lags", (1,))
    r = _arr(acf, "acf", (1,))
    if r.size != k.size:
        raise ValueError(f"acf has {r.size} values but lags has {k.size}")
    ax = _axes(ax, figsize=(4.6, 3.0))
    _draw_acf(ax, k, r, lower, upper)
    return _titled(ax, title)


@_styled
@renamed_keywords(steps="t", fit_range="window")
def plot_kantz(t, curve=None, *, window=None, slope=None, intercept=None, curves=None,
               by_eps=False, reference=None, reference_label=None, title=None, ax=None):
    """Kantz (or Rosenstein) divergence curve with its fitted slope.

    Parameters
    ----------
    t : array_like of shape (m,) or KantzResult or RosensteinResult
        Time offsets; a result supplies the curve(s), fit range, slope and intercept
        (explicit arguments win).
    curve : array_like of shape (m,)
        Mean stretching ``S(dt)`` (Kantz) or ``<ln d(i)>`` (Rosenstein); required
        unless ``t`` is a result.
    window : (int, int), optional
        Fit window in indices of ``t``.
    slope, intercept : float, optional
        Fitted line ``curve ~ intercept + slope * t``.
    curves : array_like of shape (c, m), optional
        Individual curves (e.g. per dimension and radius), drawn in grey.
    by_eps : bool, default False
        With a KantzResult: draw the curves S(m, eps, dt) coloured by the radius eps (one
        colour per radius, every embedding dimension m in it) with a legend of the radii,
        so that a dependence on eps shows.
    reference : float, optional
        A slope to compare with (e.g. the tangent-map exponent of the same run), drawn
        through the curve's value at the start of ``window`` (at ``t[0]`` without one).
    reference_label : str, optional
        Its legend entry (default "slope <reference>").
    title : str, optional
    ax : matplotlib.axes.Axes, optional
        Axes to draw the curves into; default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax`` or a new one with one axis.

    Raises
    ------
    TypeError
        When ``t`` is neither array_like nor a KantzResult or RosensteinResult, or
        ``curve`` is missing.

    Examples
    --------
    >>> import numpy as np
    >>> from netchaos.app.plots import plot_kantz
    >>> s = np.arange(8)
    >>> fig = plot_kantz(s, -5 + 0.4 * s, window=(1, 6), slope=0.4, intercept=-5)
    >>> len(fig.axes[0].lines)           # the curve and the fitted line
    2
    """
    res = _result(t, "t", (KantzResult, RosensteinResult))
    by_radius = None
    if res is not None:
        t = res.t
        if isinstance(res, KantzResult):
            curve = res.mean_curve
            if by_eps:
                by_radius = np.asarray(res.stretching).transpose(1, 0, 2)   # (n_eps, n_dim, n_t)
            elif curves is None:
                curves = np.asarray(res.stretching).reshape(-1, len(res.t))
        else:
            curve = res.divergence
        window = res.window if window is None else window
        slope = res.exponent if slope is None else slope
        intercept = res.intercept if intercept is None else intercept
    if curve is None:
        raise TypeError("plot_kantz needs curve (or a KantzResult / RosensteinResult)")
    s = _arr(t, "t", (1,))
    y = _arr(curve, "curve", (1,))
    ax = _axes(ax, figsize=(4.6, 3.0))
    if curves is not None:
        for c in _arr(curves, "curves", (2,)):
            ax.plot(s, c, color=SINGLE, lw=0.6)
    if by_radius is not None:
        for colour, e, rows in zip(_palette(len(res.eps), "viridis"), np.atleast_1d(res.eps),
                                   by_radius):
            for k, c in enumerate(rows):
                ax.plot(s, c, color=colour, lw=0.8,
                        label=f"$\\epsilon$ = {e:.2g}" if k == 0 else None)
    ax.plot(s, y, color=MEAN, marker="o", ms=3, label="mean")
    a, b = (0, s.size) if window is None else (int(window[0]), int(window[1]))
    if window is not None and slope is not None and intercept is not None \
            and np.isfinite(slope) and np.isfinite(intercept):
        ss = s[a:b]
        ax.plot(ss, intercept + slope * ss, ls="--", color=FIT, lw=1.5,
                label=f"slope {slope:.3g}")
    if reference is not None and np.isfinite(reference) and np.isfinite(y[a]):
        ss = s[a:]
        ax.plot(ss, y[a] + float(reference) * (ss - s[a]), ls=":", color="k", lw=1.5,
                label=reference_label or f"slope {float(reference):.3g}")
    ax.set_xlabel("time offset $\\Delta t$")
    ax.set_ylabel("stretching $S(\\Delta t)$")
    if not np.any(np.isfinite(y)):
        _no_data(ax)
    ax.legend(frameon=False)
    return _titled(ax, title)


@_styled
def plot_significance(exponents, p_values, *, alpha=0.05, x=None, xlabel=None, title=None,
                      fig=None):
    """Exponents coloured by the significance of their surrogate test (Fig. 11, right).

    Parameters
    ----------
    exponents : array_like of shape (n,)
    p_values : array_like of shape (n,)
    alpha : float, default 0.05
    x : array_like of shape (n,), optional
        A covariate for a scatter panel (e.g. the loss at the start of the
        series, or the run index); default the index.
    xlabel, title : str, optional
    fig : matplotlib.figure.Figure or SubFigure, optional
        Empty figure to add the histogram and scatter panels to; default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig`` or a new figure with two axes: histogram of the exponents split by
        significance, and the exponents against ``x``.

    Examples
    --------
    >>> from netchaos.app.plots import plot_significance
    >>> fig = plot_significance([0.3, 0.1, 0.5], [0.01, 0.4, 0.02])
    >>> len(fig.axes), len(fig.axes[1].collections)    # significant and not
    (2, 2)
    """
    lam = _arr(exponents, "exponents", (1,))
    p = _arr(p_values, "p_values", (1,))
    if p.size != lam.size:
        raise ValueError(f"p_values has {p.size} entries but exponents has {lam.size}")
    xs = np.arange(lam.size, dtype=float) if x is None else _arr(x, "x", (1,))
    sig = np.isfinite(p) & (p < alpha)
    fin = np.isfinite(lam)
    fig, (h, sc) = _figure(1, 2, figsize=(8.0, 3.0), fig=fig)
    if fin.any():
        edges = np.histogram_bin_edges(lam[fin], bins=min(30, max(5, int(fin.sum()))))
        h.hist([lam[fin & ~sig], lam[fin & sig]], bins=edges, stacked=True,
               color=[NOT_SIGNIFICANT, SIGNIFICANT],
               label=[f"p $\\geq$ {alpha:g}", f"p < {alpha:g}"])
        h.legend(frameon=False)
    else:
        _no_data(h)
    h.set_xlabel("Lyapunov exponent $\\Lambda$ [per step]")
    h.set_ylabel("count")
    _integer_ticks(h.yaxis)
    sc.scatter(xs[~sig], lam[~sig], color=NOT_SIGNIFICANT, s=14, label="not significant")
    sc.scatter(xs[sig], lam[sig], color=SIGNIFICANT, s=14, label="significant")
    sc.axhline(0, color="0.5", lw=0.5)
    sc.set_xlabel(xlabel or "initial condition")
    sc.set_ylabel("Lyapunov exponent $\\Lambda$ [per step]")
    if title:
        fig.suptitle(title)
    return fig


@_styled
def plot_intermittency(t, series, laminar, acf=None, *, period=None, title=None, fig=None):
    """A loss series with its laminar phases shaded, and the ACF of a burst (Figs. 9-10).

    Parameters
    ----------
    t : array_like of shape (n,) or None
    series : array_like of shape (n,)
    laminar : bool array_like of shape (n,) or LaminarResult
        True inside laminar phases.
    acf : ACFResult, optional
        Autocorrelation (with its shuffled band) of a burst, drawn below.
    period : int, optional
        Period of the laminar phases (taken from a LaminarResult).
    title : str, optional
    fig : matplotlib.figure.Figure or SubFigure, optional
        Empty figure to add the panels to; default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig`` or a new figure: the whole series on top, with the zoom window shaded red;
        below it a zoom into the longest laminar phase (about ten of that phase's own
        periods, the phase's ``periods`` entry for a LaminarResult, point by point,
        so that the period can be counted where the full series draws a solid band) when
        there is one, and the ACF when ``acf`` is given.

    Raises
    ------
    TypeError
        When ``laminar`` is neither array_like nor a LaminarResult, or ``acf`` is given
        and not an ACFResult.

    Examples
    --------
    >>> import numpy as np
    >>> from netchaos.app.plots import plot_intermittency
    >>> x = np.array([1.0, 2, 1, 2, 1, 3.5, 0.2, 2.7])
    >>> fig = plot_intermittency(None, x, np.arange(8) < 5, period=2)
    >>> len(fig.axes), len(fig.axes[0].patches)    # series and zoom; laminar and zoom spans
    (2, 2)
    """
    x, m, period = _laminar_mask(series, laminar, period, "laminar")
    if acf is not None and not isinstance(acf, ACFResult):
        raise TypeError(f"acf must be an ACFResult, got {type(acf).__name__}")
    t = _time_axis(t, x.size)
    window = _zoom_window(*_phase_table(laminar, m, period))
    lower = (["zoom"] if window is not None else []) + (["acf"] if acf is not None else [])
    layout = [["series"] * max(1, len(lower))] + ([lower] if lower else [])
    fig, axes = _mosaic(layout, figsize=(7.2, 2.6 * len(layout) + 0.5), fig=fig)
    _draw_laminar(axes["series"], t, x, m, period=period)
    if window is not None:
        s, e, _ = window
        axes["series"].axvspan(t[s], t[e - 1], color=FIT, alpha=0.35, lw=0, zorder=0.5)
        _draw_zoom(axes["zoom"], t, x, window)
    if acf is not None:
        _draw_acf(axes["acf"], _arr(acf.lags, "acf.lags", (1,)), _arr(acf.acf, "acf.acf", (1,)),
                  acf.lower, acf.upper)
    if title:
        axes["series"].set_title(title, loc="left")
    return fig


@_styled
def plot_period_fractions(fractions, periods=None, *, labels=None, title=None, ax=None):
    """Laminar fraction of every run for every candidate period, as a heat map.

    Parameters
    ----------
    fractions : array_like of shape (n_runs, n_periods)
        Fraction of points matching ``x_{t-p}`` (e.g. ``laminar_fraction`` of
        :func:`netchaos.laminar_phases` for p = 1, 2, ...).
    periods : array_like of int of shape (n_periods,), optional
        Default 1 .. n_periods.
    labels : sequence of str, optional
        Row labels (default the run index).
    title : str, optional
    ax : matplotlib.axes.Axes, optional
        Axes to draw into (its figure gets the colour bar beside it); default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax`` or a new one: one axis (runs against periods) and a colour bar.

    Examples
    --------
    >>> import numpy as np
    >>> from netchaos.app.plots import plot_period_fractions
    >>> fig = plot_period_fractions(np.array([[0.1, 0.9, 0.2], [0.0, 0.3, 0.8]]))
    >>> fig.axes[0].images[0].get_array().shape, len(fig.axes)   # the map and its colour bar
    ((2, 3), 2)
    """
    F = _arr(fractions, "fractions", (2,))
    p = np.arange(1, F.shape[1] + 1) if periods is None else _arr(periods, "periods", (1,))
    if p.size != F.shape[1]:
        raise ValueError(f"periods has {p.size} entries but fractions has {F.shape[1]} columns")
    if labels is not None and len(labels) != F.shape[0]:
        raise ValueError(f"labels has {len(labels)} entries but fractions has {F.shape[0]} rows")
    ax = _axes(ax, figsize=(5.0, 0.22 * F.shape[0] + 1.6))
    im = ax.imshow(F, cmap="Greys", vmin=0, vmax=1, aspect="auto", interpolation="nearest")
    ax.set_xticks(np.arange(p.size), [f"{v:g}" for v in p])
    ax.set_yticks(np.arange(F.shape[0]),
                  labels if labels is not None else [str(i) for i in range(F.shape[0])])
    ax.set_xlabel("candidate period $p$")
    ax.set_ylabel("run")
    ax.figure.colorbar(im, ax=ax, label="laminar fraction")
    return _titled(ax, title)
