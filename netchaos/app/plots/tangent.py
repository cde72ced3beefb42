"""Figures of the tangent map: Lyapunov spectra, finite-time exponents, sharpness, covariant
vectors and the linearised dynamics after training."""

import matplotlib as mpl
import numpy as np

from ... import CLVResult, FTLELossResult, SharpnessSeries, SpectrumResult
from ..._validate import check_positive, renamed_keywords
from ._style import (
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
    _log_or_linear,
    _log_y_or_note,
    _loss_twin,
    _no_data,
    _palette,
    _result,
    _rows,
    _styled,
    _time_axis,
    _titled,
)

__all__ = ["plot_spectrum", "plot_ftle_vs_loss", "plot_agreement", "plot_map_exponent",
           "plot_tangent_eigenvalues", "plot_sharpness", "plot_clv", "plot_linearised_decay"]


def _symlog(ax, linthresh, values):
    """Symmetric-logarithmic y axis with ticks at 0 and at the decades beyond ``linthresh``."""
    ax.set_yscale("symlog", linthresh=linthresh, linscale=0.8)
    v = np.abs(np.asarray(values, dtype=float))
    v = v[np.isfinite(v)]
    top = max(float(v.max()) if v.size else linthresh, linthresh)
    decades = 10.0 ** np.arange(np.ceil(np.log10(linthresh) - 1e-9), np.ceil(np.log10(top)) + 1)
    ax.set_yticks(np.concatenate([-decades[::-1], [0.0], decades]))
    ax.yaxis.set_minor_locator(mpl.ticker.NullLocator())


@_styled
def plot_spectrum(exponents, *, running=None, times=None, n_show=5, resolved=None,
                  linthresh=None, title=None, fig=None):
    """Lyapunov spectrum and (optionally) the running finite-time exponents.

    Parameters
    ----------
    exponents : array_like of shape (k,) or SpectrumResult
        Exponents per step; a :class:`netchaos.SpectrumResult` supplies ``running``,
        ``times`` and ``resolved`` (:meth:`~netchaos.SpectrumResult.resolved`) too
        (explicit arguments win).
    running : array_like of shape (n_blocks, k), optional
        Running finite-time exponents.
    times : array_like of shape (n_blocks,), optional
    n_show : int, default 5
        Running exponents drawn (the first ``n_show`` columns).
    resolved : bool array_like of shape (k,), optional
        Exponents that differ from 0 beyond the resolution of the run: drawn in red,
        the others in grey, with the counts in the legend.
    linthresh : float, optional
        Half-width of the linear region of the symmetric-logarithmic exponent axis.
        Default: ``ln(n) / (2 T)`` for a SpectrumResult (the resolution floor of
        :meth:`~netchaos.SpectrumResult.resolved`: the shaded band holds the exponents
        the run cannot tell from 0); for plain exponents spanning more than two decades
        the median of their moduli, and a linear axis otherwise. When every exponent
        lies inside the band the axis stays linear, with the band in view.
    title : str, optional
    fig : matplotlib.figure.Figure or SubFigure, optional
        Empty figure to add the spectrum panel (and the running one) to; default a new
        figure.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig`` or a new figure: one axis (spectrum), two with ``running``.

    Raises
    ------
    TypeError
        When ``exponents`` is neither array_like nor a SpectrumResult.

    Examples
    --------
    >>> import numpy as np
    >>> from netchaos.app.plots import plot_spectrum
    >>> fig = plot_spectrum([0.7, -0.1, -2.0], running=np.ones((4, 3)), n_show=2)
    >>> len(fig.axes), len(fig.axes[1].lines)    # two running exponents and the zero line
    (2, 3)
    >>> fig = plot_spectrum([0.7, 1e-4, -2e-4, -2.0], resolved=[True, False, False, True])
    >>> fig.axes[0].get_yscale()
    'symlog'
    """
    res = _result(exponents, "exponents", SpectrumResult)
    if res is not None:
        exponents = res.exponents
        running = res.running if running is None else running
        times = res.times if times is None else times
        if resolved is None and not res.diverged:
            resolved = res.resolved()
        if linthresh is None and not res.diverged:
            linthresh = np.log(res.Q.shape[0]) / (2.0 * res.steps)
    lam = _arr(exponents, "exponents", (1,))
    ncols = 2 if running is not None else 1
    fig, axes = _figure(1, ncols, figsize=(4.4 * ncols, 3.1), squeeze=False, fig=fig)
    ax = axes[0, 0]
    order = np.argsort(-np.where(np.isfinite(lam), lam, -np.inf), kind="stable")
    idx = np.arange(1, lam.size + 1)
    if resolved is None:
        ax.plot(idx, lam[order], marker="o", ms=2.5, color=MEAN, lw=0.8)
    else:
        ok = np.asarray(resolved, dtype=bool)
        if ok.shape != lam.shape:
            raise ValueError(f"resolved has shape {ok.shape} but exponents {lam.shape}")
        ok = ok[order]
        srt = lam[order]
        ax.plot(idx, srt, color="0.75", lw=0.6)
        n_pos, n_neg = int(np.sum(ok & (srt > 0))), int(np.sum(ok & (srt < 0)))
        ax.scatter(idx[ok], srt[ok], s=9, color=SIGNIFICANT, zorder=3,
                   label=f"resolved: {n_pos} positive, {n_neg} negative")
        ax.scatter(idx[~ok], srt[~ok], s=5, color=NOT_SIGNIFICANT, zorder=2,
                   label=f"not resolved from 0: {int(np.sum(~ok))}")
        ax.legend(frameon=False, fontsize="small", loc="lower left")
    ax.axhline(0, color="0.5", lw=0.5)
    fin = np.abs(lam[np.isfinite(lam) & (lam != 0)])
    if linthresh is None and fin.size and fin.max() / fin.min() > 100:
        linthresh = float(np.median(fin))
    if linthresh is not None and fin.size:
        ax.axhspan(-linthresh, linthresh, color="0.92", lw=0, zorder=0)
        if fin.max() > linthresh:
            _symlog(ax, float(linthresh), lam)
            ax.set_ylim(-1.5 * fin.max(), 1.5 * fin.max())
        else:                    # everything inside the band: linear, the band in view
            ax.set_ylim(-1.2 * linthresh, 1.2 * linthresh)
    ax.set_xlabel("index $i$ (descending)")
    _integer_ticks(ax.xaxis)
    ax.set_ylabel("Lyapunov exponent $\\lambda_i$ [per step]")
    if not np.any(np.isfinite(lam)):
        _no_data(ax)
    if running is not None:
        R = _arr(running, "running", (2,))
        tt = _time_axis(times, R.shape[0], "times")
        rax = axes[0, 1]
        cmap = mpl.colormaps["plasma"]
        n = min(int(n_show), R.shape[1])
        for j in range(n):
            rax.plot(tt, R[:, j], color=cmap(j / max(1, n)), label=f"$\\lambda_{{{j + 1}}}(t)$")
        rax.axhline(0, color="0.5", lw=0.5)
        rax.set_xlabel("step $t$")
        rax.set_ylabel("finite-time exponent [per step]")
        rax.legend(frameon=False, ncols=2)
    if title:
        fig.suptitle(title)
    return fig


@_styled
def plot_ftle_vs_loss(ftle, final_loss=None, *, high_loss=None, ftle_threshold=None,
                      loss_threshold=None, title=None, ax=None):
    """Early finite-time Lyapunov exponent against the final training loss.

    Parameters
    ----------
    ftle : array_like of shape (n,) or (n, k) or FTLELossResult
        Leading FTLE per initial condition (first column when 2-D); a
        :class:`netchaos.FTLELossResult` supplies everything (explicit arguments win,
        except ``final_loss``).
    final_loss : array_like of shape (n,)
        Final training loss (inf for diverged runs, drawn at the top edge); required
        unless ``ftle`` is an FTLELossResult.
    high_loss : bool array_like of shape (n,), optional
        Colour: red for "high loss", grey otherwise.
    ftle_threshold, loss_threshold : float, optional
        Fitted predictor threshold (vertical) and loss split (horizontal).
    title : str, optional
    ax : matplotlib.axes.Axes, optional
        Axes to draw the scatter into; default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax`` or a new one with one axis.

    Raises
    ------
    TypeError
        When ``ftle`` is neither array_like nor an FTLELossResult, or ``final_loss`` is
        missing.

    Examples
    --------
    >>> import numpy as np
    >>> from netchaos.app.plots import plot_ftle_vs_loss
    >>> fig = plot_ftle_vs_loss([-0.2, 0.1, 0.4], [0.01, 0.5, np.inf], ftle_threshold=0.0)
    >>> len(fig.axes[0].collections), len(fig.axes[0].lines)   # low and high loss; threshold
    (2, 1)
    """
    res = _result(ftle, "ftle", FTLELossResult)
    if res is not None:
        ftle, final_loss = res.ftle, res.final_loss
        high_loss = res.high_loss if high_loss is None else high_loss
        ftle_threshold = res.ftle_threshold if ftle_threshold is None else ftle_threshold
        loss_threshold = res.loss_threshold if loss_threshold is None else loss_threshold
    if final_loss is None:
        raise TypeError("plot_ftle_vs_loss needs final_loss (or an FTLELossResult)")
    f = _arr(ftle, "ftle", (1, 2))
    f = f[:, 0] if f.ndim == 2 else f
    L = _arr(final_loss, "final_loss", (1,))
    if L.size != f.size:
        raise ValueError(f"final_loss has {L.size} entries but ftle has {f.size}")
    ax = _axes(ax, figsize=(4.6, 3.2))
    hi = np.zeros(f.size, bool) if high_loss is None else np.asarray(high_loss, dtype=bool)
    finite_L = L[np.isfinite(L)]
    top = finite_L.max() * 2 if finite_L.size and finite_L.max() > 0 else 1.0
    Ls = np.where(np.isposinf(L), top, L)
    ax.scatter(f[~hi], Ls[~hi], s=14, color=NOT_SIGNIFICANT, label="low final loss")
    ax.scatter(f[hi], Ls[hi], s=14, color=SIGNIFICANT, label="high final loss")
    if ftle_threshold is not None and np.isfinite(ftle_threshold):
        ax.axvline(ftle_threshold, color=MEAN, ls=":", label="predictor threshold")
    if loss_threshold is not None and np.isfinite(loss_threshold):
        ax.axhline(loss_threshold, color="0.5", ls="--", lw=0.8)
    ax.set_xlabel("early finite-time exponent $\\lambda_1$ [per step]")
    ax.set_ylabel("final training loss")
    _log_or_linear(ax, "y", Ls)
    ax.legend(frameon=False)
    return _titled(ax, title)


@_styled
def plot_agreement(x, y, *, xlabel="estimate 1", ylabel="estimate 2", title=None, ax=None):
    """Two estimates of the same quantity against each other, with the identity line.

    Parameters
    ----------
    x, y : array_like of shape (n,)
        Paired estimates (NaN pairs are skipped).
    xlabel, ylabel, title : str, optional
    ax : matplotlib.axes.Axes, optional
        Axes to draw the pairs into; default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax`` or a new one with one axis: the scatter and the line y = x.

    Examples
    --------
    >>> from netchaos.app.plots import plot_agreement
    >>> fig = plot_agreement([0.1, 0.2, 0.3], [0.11, 0.19, 0.32], xlabel="ensemble")
    >>> fig.axes[0].get_xlabel(), len(fig.axes[0].lines)
    ('ensemble', 1)
    """
    a = _arr(x, "x", (1,))
    b = _arr(y, "y", (1,))
    if a.size != b.size:
        raise ValueError(f"x has {a.size} entries but y has {b.size}")
    ok = np.isfinite(a) & np.isfinite(b)
    ax = _axes(ax, figsize=(3.8, 3.6))
    ax.scatter(a[ok], b[ok], s=14, color=MEAN, alpha=0.7)
    if ok.any():
        lo = float(min(a[ok].min(), b[ok].min()))
        hi = float(max(a[ok].max(), b[ok].max()))
        pad = 0.05 * (hi - lo if hi > lo else 1.0)
        ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], ls=":", color=FIT, label="$y = x$")
        ax.legend(frameon=False)
    else:
        _no_data(ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return _titled(ax, title)


@_styled
def plot_map_exponent(params, exponents, *, orbit=None, param=None, exponent=None,
                      xlabel="parameter $r$", title=None, fig=None):
    """Lyapunov exponent across a one-parameter family of maps, optionally with one orbit.

    Parameters
    ----------
    params : array_like of shape (m,)
        Parameter values (e.g. r of the logistic map ``x -> r x (1 - x)``).
    exponents : array_like of shape (m,)
        Largest Lyapunov exponent at each parameter value.
    orbit : array_like of shape (n,), optional
        Iterates ``x_0 .. x_{n-1}`` at ``param``, drawn in a second panel.
    param, exponent : float, optional
        The current parameter and its exponent, marked in red.
    xlabel, title : str, optional
    fig : matplotlib.figure.Figure or SubFigure, optional
        Empty figure to add the exponent panel (and the orbit panel) to; default a new
        figure.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig`` or a new figure: one axis (exponent against the parameter), two with
        ``orbit``.

    Examples
    --------
    >>> from netchaos.app.plots import plot_map_exponent
    >>> fig = plot_map_exponent([3.0, 3.5, 4.0], [-0.1, -0.2, 0.69], orbit=[0.2, 0.6, 0.9],
    ...                         param=4.0, exponent=0.69)
    >>> len(fig.axes), fig.axes[1].get_title()
    (2, 'orbit at $r$ = 4')
    """
    p = _arr(params, "params", (1,))
    lam = _arr(exponents, "exponents", (1,))
    if lam.size != p.size:
        raise ValueError(f"exponents has {lam.size} entries but params has {p.size}")
    ncols = 2 if orbit is not None else 1
    fig, axes = _figure(1, ncols, figsize=(4.4 * ncols, 3.0), squeeze=False, fig=fig)
    ax = axes[0, 0]
    ax.plot(p, lam, color=MEAN, lw=0.8)
    ax.axhline(0, color="0.5", lw=0.5)
    if param is not None and exponent is not None:
        ax.plot([param], [exponent], "o", color=FIT, ms=6,
                label=f"$\\lambda$ = {exponent:.3f}")
        ax.legend(frameon=False, loc="lower left")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Lyapunov exponent $\\lambda$ [per iteration]")
    if orbit is not None:
        x = _arr(orbit, "orbit", (1,))
        oax = axes[0, 1]
        oax.plot(np.arange(x.size), x, color=LOSS, lw=0.5, marker=".", ms=2)
        oax.set_xlabel("iteration $t$")
        oax.set_ylabel("$x_t$")
        if param is not None:
            oax.set_title(f"orbit at {xlabel.split()[-1]} = {param:.4g}")
    if title:
        fig.suptitle(title)
    return fig


@_styled
def plot_tangent_eigenvalues(hessian_eigenvalues, lr, *, labels=None, linthresh=1e-3, title=None,
                             ax=None):
    """The products ``lr h_i`` that set the eigenvalues ``1 - lr h_i`` of the GD tangent map.

    A direction is stretched by one GD step when ``|1 - lr h_i| > 1``: either
    ``lr h_i < 0`` (negative curvature: stretched without changing sign) or
    ``lr h_i > 2`` (beyond the flip threshold: stretched and flipped at every step).
    Between 0 and 2 it is contracted, and at 0 it is neutral (a flat direction).
    The axis is symmetric-logarithmic so that the sign of the curvature stays
    visible over many decades.

    Parameters
    ----------
    hessian_eigenvalues : array_like of shape (n,) or (n_sets, n)
        Hessian eigenvalues h_i; one row per set (e.g. per network state).
    lr : float or array_like of shape (n_sets,)
        Learning rate(s). A 1-D ``hessian_eigenvalues`` with several learning
        rates draws the same Hessian once per learning rate.
    labels : sequence of str, optional
        Legend entries (default ``lr = ...``).
    linthresh : float, default 1e-3
        Half-width of the linear region of the symmetric-logarithmic axis around 0.
    title : str, optional
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax`` or a new one with one axis: the sorted ``lr h_i`` against
        their rank, the contracting band ``0 < lr h < 2`` shaded, lines at 0 and 2, and
        per set the numbers of stretched directions of either kind in the legend.

    Examples
    --------
    >>> from netchaos.app.plots import plot_tangent_eigenvalues
    >>> fig = plot_tangent_eigenvalues([10.0, 1.0, 0.0, -0.5], [0.01, 0.5])
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['$\\\\eta$ = 0.01: 0 above 2, 1 below 0', '$\\\\eta$ = 0.5: 1 above 2, 1 below 0']
    """
    h = _rows(hessian_eigenvalues, "hessian_eigenvalues")
    etas = _arr(lr, "lr", (0, 1)).ravel()
    if etas.size == 0 or not np.all(np.isfinite(etas) & (etas > 0)):
        raise ValueError("lr must be finite and > 0")
    linthresh = check_positive(linthresh, "linthresh")
    n_sets = max(h.shape[0], etas.size)
    if h.shape[0] not in (1, n_sets) or etas.size not in (1, n_sets):
        raise ValueError(f"hessian_eigenvalues has {h.shape[0]} rows but lr has {etas.size} "
                         f"entries; give one of them once or both {n_sets} times")
    h = np.broadcast_to(h, (n_sets, h.shape[1]))
    etas = np.broadcast_to(etas, (n_sets,))
    if labels is not None and len(labels) != n_sets:
        raise ValueError(f"labels has {len(labels)} entries for {n_sets} sets")
    eh = np.sort(etas[:, None] * h, axis=1)[:, ::-1]
    ax = _axes(ax, figsize=(4.8, 3.2))
    rank = np.arange(1, eh.shape[1] + 1)
    for i, (row, c) in enumerate(zip(eh, _palette(n_sets))):
        mu = np.abs(1.0 - row)
        n_flip = int(np.sum((row > 2) & (mu > 1 + 1e-12)))
        n_neg = int(np.sum((row < 0) & (mu > 1 + 1e-12)))
        lab = labels[i] if labels is not None else f"$\\eta$ = {etas[i]:g}"
        ax.plot(rank, row, color=c, marker="o", ms=2, lw=0.8,
                label=f"{lab}: {n_flip} above 2, {n_neg} below 0")
    ax.axhspan(0.0, 2.0, color="0.92", lw=0, zorder=0)
    ax.axhline(2.0, color=FIT, ls=":", lw=0.8)
    ax.axhline(0.0, color="0.5", lw=0.6)
    _symlog(ax, linthresh, eh)
    ax.set_xlabel("rank $i$ (descending)")
    ax.set_ylabel("$\\eta\\, h_i$  (contracting for $0 < \\eta h < 2$)")
    ax.legend(frameon=False, fontsize="small")
    return _titled(ax, title)


@_styled
@renamed_keywords(steps="t")
def plot_sharpness(t, sharpness=None, threshold=None, loss=None, *, title=None, logy=False,
                   ax=None):
    """Top Hessian eigenvalue along training against the ``2 / lr`` threshold.

    Parameters
    ----------
    t : array_like of shape (n,) or SharpnessSeries
        Steps of the measurements (a :class:`netchaos.SharpnessSeries`
        supplies everything).
    sharpness : array_like of shape (n,) or (n, k)
        Top eigenvalue(s); with k columns, one line each.
    threshold : float
        ``2 / lr`` (required unless ``t`` is a SharpnessSeries).
    loss : array_like of shape (n,), optional
        Training loss at the same t (right axis).
    title : str, optional
    logy : bool, default False
    ax : matplotlib.axes.Axes, optional
        Axes to draw into (the loss twin is added beside it); default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax`` or a new one: one axis (plus its twin when there is a loss).

    Raises
    ------
    TypeError
        When ``t`` is neither array_like nor a SharpnessSeries, or ``sharpness`` or
        ``threshold`` is missing.

    Examples
    --------
    >>> from netchaos.app.plots import plot_sharpness
    >>> fig = plot_sharpness([0, 10, 20], [1.0, 1.8, 2.1], 2.0, loss=[1.0, 0.5, 0.4])
    >>> len(fig.axes), len(fig.axes[0].lines)    # the twin; sharpness and threshold
    (2, 2)
    """
    ss = _result(t, "t", SharpnessSeries)
    if ss is not None:
        t, sharpness, threshold = ss.t, ss.sharpness, ss.threshold
        loss = ss.loss if loss is None else loss
    if sharpness is None or threshold is None:
        raise TypeError("plot_sharpness needs sharpness and threshold (or a SharpnessSeries)")
    s = _arr(t, "t", (1,))
    S = _arr(sharpness, "sharpness", (1, 2))
    S = S[:, None] if S.ndim == 1 else S
    if S.shape[0] != s.size:
        raise ValueError(f"sharpness has {S.shape[0]} rows but t has {s.size}")
    ax = _axes(ax, figsize=(5.0, 3.0))
    for j in range(S.shape[1]):
        ax.plot(s, S[:, j], color=MEAN if j == 0 else SINGLE,
                label="sharpness $\\lambda_{max}(H)$" if j == 0 else None)
    ax.axhline(threshold, color=FIT, ls=":", label=f"$2/\\eta$ = {threshold:.3g}")
    ax.set_xlabel("step $t$")
    ax.set_ylabel("top Hessian eigenvalue")
    _log_y_or_note(ax, S, logy)
    ax.legend(frameon=False, loc="upper right")
    if loss is not None:
        _loss_twin(ax, s, loss, logy=True)
    return _titled(ax, title)


@_styled
def plot_clv(times, angles=None, local=None, *, n_show=3, label="$(v_1, v_2)$", title=None,
             fig=None):
    """Covariant Lyapunov vectors along a trajectory: an angle and the local growth rates.

    Parameters
    ----------
    times : array_like of shape (n,) or CLVResult
        Iterations (a :class:`netchaos.CLVResult` supplies everything, with
        the angle between its first two vectors).
    angles : array_like of shape (n,), optional (required without a CLVResult)
        Angle (radians) between two covariant vectors, or between a vector and a
        subspace (:meth:`netchaos.CLVResult.angle_to_span`); near-zero angles
        between the expanding vector and the contracting subspace are
        near-tangencies. Given with a CLVResult, it replaces the default angle between
        the first two vectors.
    local : array_like of shape (n - 1, k), optional
        Local growth rates of the vectors over each block.
    n_show : int, default 3
        Growth rates drawn (the first ``n_show`` columns).
    label : str, default "$(v_1, v_2)$"
        What the angle is between, for the axis label.
    title : str, optional
    fig : matplotlib.figure.Figure or SubFigure, optional
        Empty figure to add the angle panel (and the growth-rate panel) to; default a new
        figure.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig`` or a new figure: one axis, two with ``local``.

    Raises
    ------
    TypeError
        When ``times`` is neither array_like nor a CLVResult, or ``angles`` is missing.

    Examples
    --------
    >>> import numpy as np
    >>> from netchaos.app.plots import plot_clv
    >>> fig = plot_clv(np.arange(4), [0.5, 1.0, 0.2, 0.8], np.zeros((3, 2)), n_show=2)
    >>> len(fig.axes), len(fig.axes[1].lines)    # two growth rates and the zero line
    (2, 3)
    """
    res = _result(times, "times", CLVResult)
    if res is not None:
        times = res.times
        if angles is None:
            angles = res.angles(0, 1) if res.vectors.shape[2] > 1 else np.zeros(res.times.size)
        local = res.local if local is None else local
    if angles is None:
        raise TypeError("plot_clv needs angles (or a CLVResult)")
    s = _arr(times, "times", (1,))
    a = _arr(angles, "angles", (1,))
    if a.size != s.size:
        raise ValueError(f"angles has {a.size} entries but times has {s.size}")
    nrows = 2 if local is not None else 1
    fig, axes = _figure(nrows, 1, figsize=(5.2, 2.5 * nrows + 0.3), sharex=True, squeeze=False,
                        fig=fig)
    ax = axes[0, 0]
    ax.plot(s, np.degrees(a), color=MEAN, lw=0.8)
    ax.set_xlabel("step $t$")
    ax.set_ylabel(f"angle {label} [deg]")
    ax.set_ylim(bottom=0)
    if local is not None:
        R = _arr(local, "local", (2,))
        if R.shape[0] != s.size - 1:
            raise ValueError(f"local has {R.shape[0]} rows but times has {s.size} entries "
                             f"(expected {s.size - 1})")
        lax = axes[1, 0]
        for j, c in zip(range(min(int(n_show), R.shape[1])), _palette(int(n_show))):
            lax.plot(s[1:], R[:, j], color=c, lw=0.7, label=f"$v_{{{j + 1}}}$")
        lax.axhline(0, color="0.5", lw=0.5)
        lax.set_xlabel("step $t$")
        lax.set_ylabel("local growth rate [per step]")
        lax.legend(frameon=False, ncols=3)
    if title:
        axes[0, 0].set_title(title)
    return fig


@_styled
def plot_linearised_decay(t, observed, predicted, *, title=None, ax=None):
    """Distances after perturbing a trained network against the linearised prediction.

    Parameters
    ----------
    t : array_like of shape (T,) or None
        Steps since the perturbation.
    observed : array_like of shape (T,) or (n, T)
        Measured distances (grey).
    predicted : array_like of the shape of ``observed``
        Distances predicted by the tangent map (dashed red), e.g.
        ``||sum_i (1 - lr h_i)^t c_i u_i||`` from the Hessian eigenpairs.
    title : str, optional
    ax : matplotlib.axes.Axes, optional
        Axes to draw the decay into; default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax`` or a new one with one log-log axis (t > 0).

    Examples
    --------
    >>> import numpy as np
    >>> from netchaos.app.plots import plot_linearised_decay
    >>> d = np.exp(-0.1 * np.arange(12))
    >>> fig = plot_linearised_decay(None, d, 1.05 * d)
    >>> len(fig.axes[0].lines), fig.axes[0].get_xscale()
    (2, 'log')
    """
    O = _rows(observed, "observed")
    P = _rows(predicted, "predicted")
    if O.shape != P.shape:
        raise ValueError(f"predicted {P.shape} must have the shape of observed {O.shape}")
    t = _time_axis(t, O.shape[1])
    pos = t > 0
    ax = _axes(ax, figsize=(4.8, 3.2))
    for k, (o, p) in enumerate(zip(O, P)):
        ax.plot(t[pos], o[pos], color=SINGLE, lw=1.8, label="measured" if k == 0 else None)
        ax.plot(t[pos], p[pos], color=FIT, ls="--", lw=0.9,
                label="linearised prediction" if k == 0 else None)
    ax.set_xlabel("steps since perturbation $t$")
    ax.set_ylabel("distance $d(t)$")
    _log_or_linear(ax, "x", t[pos])
    _log_or_linear(ax, "y", O[:, pos], P[:, pos], min_decades=0.5)
    ax.legend(frameon=False)
    return _titled(ax, title)
