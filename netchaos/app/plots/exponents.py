"""Figures of finite Lyapunov exponents and the network MLE (Fig. 8, onset of chaos)."""

import matplotlib as mpl
import numpy as np

from ... import NetworkMLE, SweepResult
from ._style import (
    FIT,
    MEAN,
    _arr,
    _axes,
    _figure,
    _integer_ticks,
    _log_or_linear,
    _no_data,
    _result,
    _rows,
    _styled,
    _time_axis,
    _titled,
)
from .distances import draw_distances

__all__ = ["plot_exponent_histogram", "plot_mle_sweep", "plot_ensemble_overview", "plot_onset"]


def _draw_exponent_histogram(ax, lam, kept=None, bins=30, mle=None, xlabel=None):
    """Body of plot_exponent_histogram on an existing axis. lam has shape (n,)."""
    fin = np.isfinite(lam)
    if kept is not None:
        kmask = np.asarray(kept, dtype=bool) & fin
        other = lam[fin & ~kmask]
        used = lam[kmask]
    else:
        other, used = np.empty(0), lam[fin]
    if used.size + other.size == 0:
        _no_data(ax)
    else:
        allv = np.concatenate([used, other])
        edges = np.histogram_bin_edges(allv, bins=bins)
        if other.size:
            ax.hist(other, bins=edges, color="0.85", label="discarded")
        if used.size:
            ax.hist(used, bins=edges, color="0.45", label="kept" if kept is not None else None)
    if mle is not None and np.isfinite(mle):
        ax.axvline(mle, color=FIT, ls="--", label=f"$\\lambda_{{nMLE}}$={mle:.3f}")
    ax.set_xlabel(xlabel or "finite Lyapunov exponent $\\Lambda$ [per step]")
    ax.set_ylabel("count")
    _integer_ticks(ax.yaxis)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False)


def _unpack_mle(exponents, kept, mle):
    """Exponents, kept mask and MLE from a NetworkMLE (explicit arguments win) or as given."""
    res = _result(exponents, "exponents", NetworkMLE)
    if res is None:
        return exponents, kept, mle
    return (res.exponents, res.kept if kept is None else kept,
            res.exponent if mle is None else mle)


@_styled
def plot_exponent_histogram(exponents, kept=None, *, bins=30, mle=None, xlabel=None, title=None,
                            ax=None):
    """Distribution P(Lambda) of finite Lyapunov exponents (Fig. 8, left).

    Parameters
    ----------
    exponents : array_like of shape (n,) or NetworkMLE
        Finite exponents (NaN ignored). A :class:`netchaos.NetworkMLE`
        contributes its exponents, kept mask and value.
    kept : bool array_like of shape (n,), optional
        Exponents used for the network MLE; the others are drawn as a light
        grey background histogram.
    bins : int or sequence, default 30
    mle : float, optional
        Network MLE, drawn as a vertical dashed line.
    xlabel, title : str, optional
    ax : matplotlib.axes.Axes, optional
        Axes to draw the histogram into; default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax`` or a new one with one axis.

    Raises
    ------
    TypeError
        When ``exponents`` is neither array_like nor a NetworkMLE.

    Examples
    --------
    >>> import numpy as np
    >>> from netchaos.app.plots import plot_exponent_histogram
    >>> lam = np.array([0.1, 0.2, 0.25, 0.3, -0.1])
    >>> fig = plot_exponent_histogram(lam, lam > 0, bins=4, mle=0.21)
    >>> len(fig.axes[0].containers), len(fig.axes[0].lines)   # kept, discarded; the MLE
    (2, 1)
    """
    exponents, kept, mle = _unpack_mle(exponents, kept, mle)
    lam = _arr(exponents, "exponents", (1,))
    ax = _axes(ax, figsize=(4.4, 3.0))
    _draw_exponent_histogram(ax, lam, kept, bins=bins, mle=mle, xlabel=xlabel)
    return _titled(ax, title)


@_styled
def plot_mle_sweep(values, mle=None, std=None, *, ci=None, kept_fraction=None, xlabel="$\\epsilon$",
                   logx=True, reference=None, title=None, fig=None):
    """Network MLE against a swept parameter (Fig. 8, right).

    Parameters
    ----------
    values : array_like of shape (n,) or SweepResult
        The swept parameter (eps or the learning rate). A
        :class:`netchaos.SweepResult` supplies ``mle``, ``std``, ``ci`` and
        ``kept_fraction`` (explicit arguments win).
    mle : array_like of shape (n,)
        lambda_nMLE per value (NaN allowed); required unless ``values`` is a SweepResult.
    std : array_like of shape (n,), optional
        Spread of P(Lambda), drawn as error bars.
    ci : array_like of shape (n, 2), optional
        Bootstrap interval of the mean, drawn as a shaded band.
    kept_fraction : array_like of shape (n,), optional
        Drawn in a second panel below.
    xlabel : str
    logx : bool, default True
    reference : float, optional
        A published value, drawn as a horizontal dotted line.
    title : str, optional
    fig : matplotlib.figure.Figure or SubFigure, optional
        Empty figure to add the MLE panel (and the kept-fraction panel) to; default a new
        figure.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig`` or a new figure: one axis, two with ``kept_fraction``.

    Raises
    ------
    TypeError
        When ``values`` is neither array_like nor a SweepResult, or ``mle`` is missing.

    Examples
    --------
    >>> import numpy as np
    >>> from netchaos.app.plots import plot_mle_sweep
    >>> fig = plot_mle_sweep([1e-8, 1e-6, 1e-4], [0.33, 0.32, 0.2], kept_fraction=[1, 1, 0.5])
    >>> len(fig.axes), fig.axes[0].get_xscale()
    (2, 'log')
    """
    sw = _result(values, "values", SweepResult)
    if sw is not None:
        values, mle = sw.values, sw.mle
        std = sw.mle_std if std is None else std
        ci = sw.mle_ci if ci is None else ci
        kept_fraction = sw.kept_fraction if kept_fraction is None else kept_fraction
    if mle is None:
        raise TypeError("plot_mle_sweep needs mle (or a SweepResult)")
    x = _arr(values, "values", (1,))
    y = _arr(mle, "mle", (1,))
    if y.size != x.size:
        raise ValueError(f"mle has {y.size} entries but values has {x.size}")
    nrows = 2 if kept_fraction is not None else 1
    fig, axes = _figure(nrows, 1, figsize=(4.6, 2.6 * nrows + 0.4), sharex=True, squeeze=False,
                        fig=fig)
    ax = axes[0, 0]
    order = np.argsort(x)
    if ci is not None:
        c = _arr(ci, "ci", (2,))
        ax.fill_between(x[order], c[order, 0], c[order, 1], color="0.85", lw=0,
                        label="95% CI of the mean")
    yerr = None if std is None else _arr(std, "std", (1,))[order]
    ax.errorbar(x[order], y[order], yerr=yerr, color=MEAN, marker="o", ms=4, capsize=2,
                label="$\\lambda_{nMLE}$ $\\pm$ std")
    if reference is not None:
        ax.axhline(reference, color=FIT, ls=":", label=f"published {reference:g}")
    ax.set_ylabel("$\\lambda_{nMLE}$ [per step]")
    ax.set_xlabel(xlabel)
    if logx:
        _log_or_linear(ax, "x", x)
    ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    if kept_fraction is not None:
        kax = axes[1, 0]
        kf = _arr(kept_fraction, "kept_fraction", (1,))
        kax.plot(x[order], kf[order], marker="s", ms=4, color="0.3")
        kax.set_ylabel("fraction of fits kept")
        kax.set_xlabel(xlabel)
        kax.set_ylim(-0.02, 1.02)
    return fig


@_styled
def plot_ensemble_overview(t, distances, exponents, loss=None, *, kept=None, mle=None, fit=None,
                           bins=20, title=None, fig=None):
    """d(t) of one initial condition with its fitted exponential phase, beside P(Lambda).

    Parameters
    ----------
    t : array_like of shape (T,) or None
    distances : array_like of shape (T,) or (n_pert, T)
        Distances of the perturbed copies of one initial condition.
    exponents : array_like of shape (n,) or NetworkMLE
        Finite exponents of all initial conditions (a NetworkMLE supplies
        ``kept`` and ``mle`` too).
    loss : array_like of shape (T,), optional
        Reference loss, dashed blue on a right-hand axis.
    kept : bool array_like of shape (n,), optional
    mle : float, optional
    fit : tuple (intercept, slope, (start, stop)), optional
        Fit of the shown initial condition.
    bins : int, default 20
    title : str, optional
    fig : matplotlib.figure.Figure or SubFigure, optional
        Empty figure to add the distance and histogram panels to; default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig`` or a new figure with two axes (plus the loss twin): distances (left) and
        P(Lambda) (right).

    Raises
    ------
    TypeError
        When ``exponents`` is neither array_like nor a NetworkMLE.

    Examples
    --------
    >>> import numpy as np
    >>> from netchaos.app.plots import plot_ensemble_overview
    >>> d = 1e-8 * np.exp(0.3 * np.arange(15)) * np.array([[1.0], [2.0]])
    >>> fig = plot_ensemble_overview(None, d, [0.3, 0.28, 0.35, np.nan], mle=0.31)
    >>> len(fig.axes), fig.axes[1].get_ylabel()
    (2, 'count')
    """
    exponents, kept, mle = _unpack_mle(exponents, kept, mle)
    D = _rows(distances, "distances")
    lam = _arr(exponents, "exponents", (1,))
    if kept is not None and np.size(kept) != lam.size:
        raise ValueError(f"kept has {np.size(kept)} entries but exponents has {lam.size}")
    t = _time_axis(t, D.shape[1])
    fig, (left, right) = _figure(1, 2, figsize=(9.0, 3.2), fig=fig)
    draw_distances(left, t, D, loss=loss, logy=True, fit=fit)
    if fit is not None and np.isfinite(fit[1]):
        left.set_title(f"fitted $\\Lambda$ = {fit[1]:.3g} over steps {int(fit[2][0])}-"
                       f"{int(fit[2][1]) - 1}")
    _draw_exponent_histogram(right, lam, kept, bins=bins, mle=mle)
    if title:
        fig.suptitle(title)
    return fig


def _draw_runs(ax, x, runs):
    """Faint dots for the runs that reach the target; above each lr where some do not, the
    count that does."""
    reached = np.isfinite(runs)
    xs = np.broadcast_to(x[:, None], runs.shape)
    ax.plot(xs[reached], runs[reached], ls="none", marker="o", ms=2.5, color=FIT, alpha=0.3,
            label="$\\tau$ of single initial conditions")
    top = mpl.transforms.blended_transform_factory(ax.transData, ax.transAxes)
    short = [(xv, int(row.sum())) for xv, row in zip(x, reached) if not row.all()]
    for xv, k in short:
        ax.text(xv, 1.01, f"{k}", transform=top, ha="center", va="bottom", fontsize="small",
                color=FIT)
    if short:                                      # a legend entry for the numbers
        ax.plot([], [], ls="none", marker="$k$", ms=7, color=FIT,
                label=f"above: $k$ of {runs.shape[1]} runs reach the target")


@_styled
def plot_onset(lr, mle, rho, tau, *, mle_std=None, rho_chaotic=None, mean_exponent=None,
               tau_label="steps to 90% test accuracy", title=None, fig=None, rho_ci=None,
               tau_flow=None, tau_runs=None):
    """Onset of chaos: network MLE, fraction of chaotic runs and training time against lr.

    Parameters
    ----------
    lr : array_like of shape (n,)
        Learning rates.
    mle : array_like of shape (n,)
        lambda_nMLE per learning rate (NaN where no fit was kept).
    rho : array_like of shape (n,)
        Fraction of initial conditions with a positive exponent.
    rho_ci : array_like of shape (n, 2), optional
        Interval of rho (e.g. bootstrap over initial conditions), drawn as error bars.
    tau : array_like of shape (n,)
        Training time to the target accuracy (NaN or inf where not reached).
    mle_std : array_like of shape (n,), optional
        Error bars of the MLE.
    rho_chaotic : array_like of shape (n,), optional
        Fraction with a clearly exponential divergence (kept fits).
    mean_exponent : array_like of shape (n,), optional
        Mean of all finite exponents (unfiltered), drawn dashed.
    tau_label, title : str, optional
    fig : matplotlib.figure.Figure or SubFigure, optional
        Empty figure to add the exponent and fraction panels to; default a new figure.
    tau_flow : array_like of shape (n,), optional
        Training time in gradient-flow units, ``lr * tau`` (NaN or inf where not reached):
        a third panel shows it beside tau.
    tau_runs : array_like of shape (n, n_init), optional
        Training time of every initial condition in steps (inf or NaN: never reached,
        e.g. ``onset_table(...)["tau"]``): the runs that reach the target are drawn as
        faint dots beside the median, and above a learning rate where some do not, the
        count that does (``k/n``).

    Returns
    -------
    matplotlib.figure.Figure
        ``fig`` or a new figure with two stacked axes sharing the lr axis: the exponents on
        top; rho (left) and tau (right, twin axis) below; with ``tau_flow`` a third axis at
        the bottom with tau in steps and in flow time.

    Notes
    -----
    The training-time axes are logarithmic when the times drawn on them span a decade or
    more (a sweep over decades of learning rates), linear otherwise.

    Examples
    --------
    >>> from netchaos.app.plots import plot_onset
    >>> fig = plot_onset([0.5, 1.0, 2.0], [0.0, 0.2, 0.5], [0.1, 0.6, 1.0], [300, 120, 80])
    >>> len(fig.axes)                    # exponents, rho and the tau twin
    3
    """
    x = _arr(lr, "lr", (1,))
    order = np.argsort(x)
    x = x[order]

    def col(v, name):
        a = _arr(v, name, (1,))
        if a.size != x.size:
            raise ValueError(f"{name} has {a.size} entries but lr has {x.size}")
        return a[order]

    y = col(mle, "mle")
    n_rows = 2 if tau_flow is None else 3
    fig, axes = _figure(n_rows, 1, figsize=(5.0, 2.7 * n_rows), sharex=True, fig=fig)
    top, bot = axes[:2]
    yerr = None if mle_std is None else col(mle_std, "mle_std")
    top.errorbar(x, y, yerr=yerr, marker="o", ms=4, color=MEAN, capsize=2,
                 label="$\\lambda_{nMLE}$ (kept fits)")
    if mean_exponent is not None:
        top.plot(x, col(mean_exponent, "mean_exponent"), ls="--", marker=".", color="0.5",
                 label="mean $\\Lambda$ (all fits)")
    top.axhline(0, color="0.5", lw=0.5)
    top.set_ylabel("network MLE [per step]")
    top.set_xlabel("learning rate $\\eta$")
    top.legend(frameon=False)
    rv = col(rho, "rho")
    if rho_ci is None:
        bot.plot(x, rv, marker="D", ms=4, color="tab:blue", label="$\\rho$ ($\\Lambda>0$)")
    else:
        ci = np.asarray(rho_ci, dtype=float)
        if ci.shape != (x.size, 2):
            raise ValueError(f"rho_ci must have shape ({x.size}, 2), got {ci.shape}")
        ci = ci[order]
        err = np.abs(np.stack([rv - ci[:, 0], ci[:, 1] - rv]))
        bot.errorbar(x, rv, yerr=np.nan_to_num(err), marker="D", ms=4, color="tab:blue",
                     capsize=2, label="$\\rho$ ($\\Lambda>0$ beyond its interval)")
    if rho_chaotic is not None:
        bot.plot(x, col(rho_chaotic, "rho_chaotic"), marker="d", ms=4, ls="--", color="tab:cyan",
                 label="$\\rho$ (kept fits)")
    bot.set_ylim(-0.03, 1.03)
    bot.set_ylabel("fraction $\\rho$", color="tab:blue")
    bot.set_xlabel("learning rate $\\eta$")
    tw = bot.twinx()
    # the legend of the fractions on the twin axis, drawn over the tau curve it may cross
    tw.legend(*bot.get_legend_handles_labels(), loc="center left", framealpha=0.85,
              edgecolor="none")
    tv = col(tau, "tau")
    tv = np.where(np.isfinite(tv), tv, np.nan)
    runs = None
    if tau_runs is not None:
        runs = _arr(tau_runs, "tau_runs", (2,))
        if runs.shape[0] != x.size:
            raise ValueError(f"tau_runs has {runs.shape[0]} rows but lr has {x.size} entries")
        runs = runs[order]
    tw.plot(x, tv, marker="o", ms=4, color=FIT, label="$\\tau$")
    tw.set_ylabel(tau_label, color=FIT)
    tw.tick_params(axis="y", colors=FIT)
    tw.spines["right"].set_visible(True)
    _log_or_linear(tw, "y", tv)
    steps_ax = tw
    if tau_flow is not None:
        flow = col(tau_flow, "tau_flow")
        flow = np.where(np.isfinite(flow), flow, np.nan)
        tt = steps_ax = axes[2]
        tt.plot(x, tv, marker="o", ms=4, color=FIT, label="$\\tau$ (steps, median)")
        tt.plot(x, flow, marker="s", ms=4, ls="--", color="k",
                label="$\\eta\\tau$ (gradient-flow time, median)")
        tt.set_ylabel("training time")
        tt.set_xlabel("learning rate $\\eta$")
    if runs is not None:
        _draw_runs(steps_ax, x, runs)
    if tau_flow is not None:
        _log_or_linear(tt, "y", tv, flow, runs if runs is not None else [])
        if runs is None:
            tt.legend(frameon=False, loc="upper left")
        else:                                      # below the axis, clear of the dots
            tt.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22),
                      fontsize="small")
    elif runs is not None:
        _log_or_linear(tw, "y", tv, runs)
    low = axes[-1]
    if _log_or_linear(low, "x", x, min_decades=0.5) and np.ptp(np.log10(x)) < 2:
        # a decade or two: label the swept values themselves, not 2x10^0, 3x10^0, ...
        low.set_xticks(x, [f"{v:g}" for v in x])
        low.xaxis.set_minor_formatter(mpl.ticker.NullFormatter())
    if low is not bot:
        bot.set_xlabel("")
        for ax in (bot, tw):
            ax.tick_params(labelbottom=False)
    if title:
        top.set_title(title)
    return fig
