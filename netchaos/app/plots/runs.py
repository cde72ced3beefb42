"""Figures of training runs themselves: loss curves, weight norms and per-weight maps
(Figs. 5 and 9)."""

import matplotlib as mpl
import numpy as np

from ._style import (
    _LOSS_LABEL,
    FIT,
    LOSS,
    MEAN,
    _arr,
    _axes,
    _figure,
    _log_or_linear,
    _log_y_or_note,
    _no_data,
    _palette,
    _rows,
    _styled,
    _time_axis,
    _titled,
)

__all__ = ["plot_loss_curves", "plot_loss_and_norm", "plot_displacement_vs_path",
           "plot_weight_heatmaps"]


@_styled
def plot_loss_curves(t, losses, labels=None, *, weight_norms=None, logy=True, title=None,
                     fig=None):
    """Training loss of several runs on one axis (e.g. one run per learning rate).

    Parameters
    ----------
    t : array_like of shape (T,) or None
    losses : array_like of shape (T,) or (n_runs, T)
        Loss at every step (NaN after a divergence leaves a gap).
    labels : sequence of str of length n_runs, optional
        Legend entries.
    weight_norms : array_like of the shape of ``losses``, optional
        Norm of the weights of each run, drawn in a second panel.
    logy : bool, default True
        Logarithmic loss axis (when the losses span at least a decade).
    title : str, optional
    fig : matplotlib.figure.Figure or SubFigure, optional
        Empty figure to add the loss panel (and the weight-norm panel) to; default a new
        figure.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig`` or a new figure: one axis with one line per run; two with ``weight_norms``.

    Examples
    --------
    >>> import numpy as np
    >>> from netchaos.app.plots import plot_loss_curves
    >>> L = np.array([[1.0, 0.1, 0.01], [1.0, 0.8, 0.7]])
    >>> fig = plot_loss_curves(None, L, ["fast", "slow"])
    >>> len(fig.axes[0].lines), fig.axes[0].get_yscale()
    (2, 'log')
    """
    L = _rows(losses, "losses")
    t = _time_axis(t, L.shape[1])
    if labels is not None and len(labels) != L.shape[0]:
        raise ValueError(f"labels has {len(labels)} entries but losses has {L.shape[0]} rows")
    W = None
    if weight_norms is not None:
        W = _rows(weight_norms, "weight_norms")
        if W.shape != L.shape:
            raise ValueError(f"weight_norms {W.shape} must have the shape of losses {L.shape}")
    ncols = 1 if W is None else 2
    fig, axes = _figure(1, ncols, figsize=(4.6 * ncols + 0.4, 3.2), squeeze=False, fig=fig)
    ax = axes[0, 0]
    colours = _palette(L.shape[0])
    for i, (row, c) in enumerate(zip(L, colours)):
        ax.plot(t, row, color=c, lw=0.9, label=None if labels is None else labels[i])
    ax.set_xlabel("step $t$")
    ax.set_ylabel(_LOSS_LABEL)
    _log_y_or_note(ax, L, logy)
    if labels is not None:
        ax.legend(frameon=False)
    if W is not None:
        wax = axes[0, 1]
        for row, c in zip(W, colours):
            wax.plot(t, row, color=c, lw=0.9)
        wax.set_xlabel("step $t$")
        wax.set_ylabel("weight norm $\\|W\\|$")
    if title:
        fig.suptitle(title)
    return fig


@_styled
def plot_loss_and_norm(t, loss, weight_norm, *, titles=None, logy=False, fig=None):
    """Training loss (top row) and weight norm (bottom row) of several runs (Fig. 9).

    Parameters
    ----------
    t : array_like of shape (T,) or None
    loss : array_like of shape (T,) or (n_runs, T)
    weight_norm : array_like of the shape of ``loss``
    titles : sequence of str, optional
        Column titles (default A, B, C, ...).
    logy : bool, default False
        Logarithmic loss axis.
    fig : matplotlib.figure.Figure or SubFigure, optional
        Empty figure to add the two rows of panels to; default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig`` or a new figure with ``2 * n_runs`` axes, one line each.

    Examples
    --------
    >>> import numpy as np
    >>> from netchaos.app.plots import plot_loss_and_norm
    >>> fig = plot_loss_and_norm(None, np.ones((3, 4)), np.full((3, 4), 2.0))
    >>> len(fig.axes), fig.axes[0].get_title()
    (6, 'A')
    """
    L = _arr(loss, "loss", (1, 2))
    W = _arr(weight_norm, "weight_norm", (1, 2))
    L = L[None] if L.ndim == 1 else L
    W = W[None] if W.ndim == 1 else W
    if L.shape != W.shape:
        raise ValueError(f"loss {L.shape} and weight_norm {W.shape} must have the same shape")
    n, T = L.shape
    t = _time_axis(t, T)
    fig, axes = _figure(2, n, figsize=(3.2 * n, 4.6), squeeze=False, sharex="col", fig=fig)
    for j in range(n):
        a, b = axes[0, j], axes[1, j]
        a.plot(t, L[j], color=LOSS, lw=0.5)
        b.plot(t, W[j], color=MEAN, lw=0.5)
        a.set_ylabel(_LOSS_LABEL)
        a.set_xlabel("step $t$")
        b.set_ylabel("weight norm $\\|W\\|$")
        b.set_xlabel("step $t$")
        a.set_title(titles[j] if titles is not None else chr(ord("A") + j % 26))
        if logy:
            _log_or_linear(a, "y", L[j])
        for ax, v in ((a, L[j]), (b, W[j])):
            if not np.any(np.isfinite(v)):
                _no_data(ax)
    return fig


@_styled
def plot_displacement_vs_path(displacement, path_length, *, relative=False, title=None, ax=None):
    """Per-weight net displacement against the path length travelled (Fig. 5, right).

    Parameters
    ----------
    displacement : array_like of shape (n,)
        Net displacement of each weight, ``|w(T) - w(0)|`` (or relative to
        ``|w(0)|`` with ``relative=True``, see :func:`netchaos.displacement`).
    path_length : array_like of shape (n,)
        ``sum_t |w(t) - w(t-1)|`` of each weight (:func:`netchaos.path_length`).
    relative : bool, default False
        Whether the displacement is relative; with absolute displacements the
        line ``D = |Delta w|`` of a straight path is drawn (no point can lie
        below it, and a random walk would lie far above it).
    title : str, optional
    ax : matplotlib.axes.Axes, optional
        Axes to draw the scatter into; default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax`` or a new one with one log-log axis, one point per weight.

    Examples
    --------
    >>> import numpy as np
    >>> from netchaos.app.plots import plot_displacement_vs_path
    >>> d = np.array([0.01, 0.1, 1.0])
    >>> fig = plot_displacement_vs_path(d, 3 * d)
    >>> len(fig.axes[0].collections[0].get_offsets()), len(fig.axes[0].lines)
    (3, 1)
    """
    d = _arr(displacement, "displacement", (1,))
    D = _arr(path_length, "path_length", (1,))
    if d.size != D.size:
        raise ValueError(f"path_length has {D.size} entries but displacement has {d.size}")
    ok = np.isfinite(d) & np.isfinite(D) & (d > 0) & (D > 0)
    ax = _axes(ax, figsize=(4.0, 3.6))
    ax.scatter(d[ok], D[ok], s=12, color=MEAN, alpha=0.7, label="weights")
    if ok.any():
        _log_or_linear(ax, "x", d[ok], min_decades=0.5)
        _log_or_linear(ax, "y", D[ok], min_decades=0.5)
        if not relative:
            lo = float(min(d[ok].min(), D[ok].min()))
            hi = float(max(d[ok].max(), D[ok].max()))
            ax.plot([lo, hi], [lo, hi], ls=":", color=FIT, label="straight path")
        ax.legend(frameon=False)
    else:
        _no_data(ax)
    ax.set_xlabel("relative displacement $\\Delta_w$" if relative
                  else "net displacement $|w(T) - w(0)|$")
    ax.set_ylabel("path length $D_w$")
    return _titled(ax, title)


@_styled
def plot_weight_heatmaps(matrices, *, titles=None, label="loss change $L_w - L$", title=None,
                         fig=None):
    """One heat map per weight matrix, on a shared diverging colour scale (Fig. 5, left).

    Parameters
    ----------
    matrices : sequence of array_like of shape (n_in, n_out), or one 2-D ndarray
        E.g. per-weight ablation importances reshaped like the weight
        matrices (``[W for W, b in model.unflatten(importance)]``).
    titles : sequence of str, optional
        One per matrix (default ``W_1, W_2, ...``).
    label : str
        Colour-bar label.
    title : str, optional
    fig : matplotlib.figure.Figure or SubFigure, optional
        Empty figure to add the maps and the colour bar to; default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig`` or a new figure with one axis per matrix (rows: inputs i, columns: units j)
        and a colour bar.

    Examples
    --------
    >>> import numpy as np
    >>> from netchaos.app.plots import plot_weight_heatmaps
    >>> fig = plot_weight_heatmaps([np.ones((2, 3)), -np.ones((3, 1))])
    >>> len(fig.axes)                    # two maps and the colour bar
    3
    """
    if isinstance(matrices, np.ndarray) and matrices.ndim == 2:
        matrices = [matrices]
    try:
        mats = [_arr(m, f"matrices[{i}]", (2,)) for i, m in enumerate(matrices)]
    except TypeError:
        raise TypeError("matrices must be a sequence of 2-D arrays") from None
    if not mats:
        raise ValueError("matrices must not be empty")
    if titles is not None and len(titles) != len(mats):
        raise ValueError(f"titles has {len(titles)} entries for {len(mats)} matrices")
    finite = np.concatenate([m[np.isfinite(m)] for m in mats])
    vmax = float(np.max(np.abs(finite))) if finite.size else 1.0
    vmax = vmax if vmax > 0 else 1.0
    fig, axes = _figure(1, len(mats), figsize=(2.6 * len(mats) + 1.0, 3.2), squeeze=False,
                        fig=fig)
    im = None
    for i, (ax, m) in enumerate(zip(axes[0], mats)):
        im = ax.imshow(m, cmap="RdBu_r", vmin=-vmax, vmax=vmax, aspect="auto",
                       interpolation="nearest")
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
        ax.set_xlabel("unit $j$")
        ax.set_ylabel("input $i$")
        ax.set_title(titles[i] if titles is not None else f"$W_{{{i + 1}}}$")
    fig.colorbar(im, ax=list(axes[0]), label=label, shrink=0.9)
    if title:
        fig.suptitle(title)
    return fig
