"""Matplotlib figures of training trajectories, exponents and time-series diagnostics.

Every function takes plain arrays (a few also accept the package's result
objects), builds a new :class:`matplotlib.figure.Figure` without touching the
pyplot state machine, labels every axis and returns the figure. Nothing is
shown or saved: call ``fig.savefig(...)``, or let Jupyter display it.

The style follows the figures of Danovski et al. (2024): distances of single
perturbed trajectories in thin grey, their mean in black, the training loss as
a dashed blue line on a right-hand axis, fitted slopes as red dotted lines,
significant results in red and non-significant ones in grey.

Inputs may contain NaN or inf (diverged trajectories): such points leave gaps
in lines and are left out of histograms; a logarithmic axis falls back to a
linear one when no positive finite value is left to show.

Functions
---------
plot_distances          d(t) of one initial condition, mean and loss (Fig. 3)
plot_distance_panels    the same for several initial conditions (Figs. 3, 6, 7)
plot_eps_curves         mean d(t)/d(0) for several perturbation radii (Fig. 4)
plot_decay_fits         d(t) with exponential and power-law fits (post-training)
plot_exponent_histogram P(Lambda), the distribution of finite exponents (Fig. 8 left)
plot_mle_sweep          lambda_nMLE against eps or the learning rate (Fig. 8 right)
plot_sharpness          top Hessian eigenvalue against the 2/lr threshold
plot_loss_and_norm      loss and weight norm of several runs (Fig. 9)
plot_laminar            a series with its laminar phases shaded
plot_acf                autocorrelation with the shuffled-null band (Fig. 10)
plot_kantz              Kantz stretching curves and the fitted slope
plot_significance       exponents coloured by significance (Fig. 11)
plot_onset              lambda_nMLE, rho and time to accuracy against the learning rate
plot_spectrum           Lyapunov spectrum and running finite-time exponents
plot_ftle_vs_loss       early finite-time exponent against final loss
plot_agreement          two estimates of the same quantity against each other

Figures of the teaching notebooks:

plot_loss_curves           training loss of several runs (e.g. learning rates)
plot_map_exponent          Lyapunov exponent across a family of maps, with one orbit
plot_tangent_eigenvalues   moduli |1 - lr h_i| of the tangent map's eigenvalues
plot_displacement_vs_path  per-weight displacement against path length (Fig. 5, right)
plot_weight_heatmaps       per-weight values (e.g. ablation) as heat maps (Fig. 5, left)
plot_ensemble_overview     d(t) of one initial condition beside P(Lambda)
plot_intermittency         laminar phases of a loss series and the ACF of a burst
plot_period_fractions      laminar fraction per run and candidate period
plot_lr_detail             distances and test accuracy of the runs of one learning rate
plot_linearised_decay      post-training distances against the tangent-map prediction
plot_clv                   covariant-vector angle and local growth rates
"""

import functools

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

__all__ = [
    "STYLE",
    "plot_distances",
    "plot_distance_panels",
    "plot_eps_curves",
    "plot_decay_fits",
    "plot_exponent_histogram",
    "plot_mle_sweep",
    "plot_sharpness",
    "plot_loss_and_norm",
    "plot_laminar",
    "plot_acf",
    "plot_kantz",
    "plot_significance",
    "plot_onset",
    "plot_spectrum",
    "plot_ftle_vs_loss",
    "plot_agreement",
    "plot_loss_curves",
    "plot_map_exponent",
    "plot_tangent_eigenvalues",
    "plot_displacement_vs_path",
    "plot_weight_heatmaps",
    "plot_ensemble_overview",
    "plot_intermittency",
    "plot_period_fractions",
    "plot_lr_detail",
    "plot_linearised_decay",
    "plot_clv",
]

#: rcParams applied while a figure is built.
STYLE = {
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.spines.top": False,
    "lines.linewidth": 1.0,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
}

#: colours of the paper's figures
SINGLE = "0.65"      # single perturbations
MEAN = "k"           # mean over perturbations
LOSS = "tab:blue"    # training loss (dashed, right axis)
FIT = "tab:red"      # fitted slopes (dotted)
SIGNIFICANT = "tab:red"
NOT_SIGNIFICANT = "0.55"

_LOSS_LABEL = "training loss $L$"


def _styled(func):
    """Build the figure under :data:`STYLE`."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with mpl.rc_context(STYLE):
            return func(*args, **kwargs)
    return wrapper


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def _figure(nrows=1, ncols=1, figsize=None, sharex=False, squeeze=True):
    if figsize is None:
        figsize = (4.2 * ncols, 3.0 * nrows)
    fig = Figure(figsize=figsize, layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=sharex, squeeze=squeeze)
    return fig, axes


def _arr(x, name, ndim=None):
    a = np.asarray(x, dtype=float)
    if ndim is not None and a.ndim not in ndim:
        raise ValueError(f"{name} must be {' or '.join(map(str, ndim))}-dimensional, "
                         f"got shape {a.shape}")
    return a


def _time_axis(t, T, name="t"):
    if t is None:
        return np.arange(T, dtype=float)
    t = _arr(t, name, (1,))
    if t.size != T:
        raise ValueError(f"{name} has {t.size} points but the data have {T}")
    return t


def _log_or_linear(ax, axis, *arrays, min_decades=1.0):
    """Logarithmic scale on ``axis`` ('x' or 'y') when the positive finite values span at
    least ``min_decades`` decades; linear otherwise (narrow ranges read better linearly)."""
    vals = [np.asarray(a, dtype=float).ravel() for a in arrays]
    vals = np.concatenate(vals) if vals else np.empty(0)
    vals = vals[np.isfinite(vals) & (vals > 0)]
    if vals.size and np.log10(vals.max() / vals.min()) >= min_decades:
        if axis == "y":
            ax.set_yscale("log", nonpositive="mask")
        else:
            ax.set_xscale("log", nonpositive="mask")
        return True
    return False


def _nanmean_rows(a):
    """Mean over axis 0 that is NaN where any row is NaN (divergence is never averaged away)."""
    with np.errstate(invalid="ignore"):
        return a.mean(axis=0)


def _loss_twin(ax, t, loss, logy=False):
    """Dashed blue loss on a right-hand axis; returns the twin axis."""
    loss = _arr(loss, "loss", (1, 2))
    loss = loss if loss.ndim == 1 else loss[0]
    if loss.size != t.size:
        raise ValueError(f"loss has {loss.size} points but the distances have {t.size}")
    tw = ax.twinx()
    tw.plot(t, loss, ls="--", color=LOSS, lw=1.0)
    tw.set_ylabel(_LOSS_LABEL, color=LOSS)
    tw.tick_params(axis="y", colors=LOSS)
    tw.spines["right"].set_visible(True)
    if logy:
        _log_or_linear(tw, "y", loss)
    return tw


def _no_data(ax, text="no finite values"):
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="0.4")


def _fmt_eps(e):
    if e > 0 and float(np.log10(e)).is_integer():
        return f"$10^{{{np.log10(e):.0f}}}$"
    return f"{e:.3g}"


def _draw_distances(ax, t, D, loss=None, logy=True, fit=None, mean=True, loss_logy=False):
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
    if logy:
        _log_or_linear(ax, "y", D)
    if not np.any(np.isfinite(D)):
        _no_data(ax)
    if loss is not None:
        _loss_twin(ax, t, loss, logy=loss_logy)


# ---------------------------------------------------------------------------
# distances
# ---------------------------------------------------------------------------
@_styled
def plot_distances(t, distances, loss=None, *, mean=True, logy=True, fit=None, title=None,
                   loss_logy=False):
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

    Returns
    -------
    matplotlib.figure.Figure
        One axis (plus its twin when ``loss`` is given).
    """
    D = _arr(distances, "distances", (1, 2))
    D = D[None] if D.ndim == 1 else D
    t = _time_axis(t, D.shape[1])
    fig, ax = _figure(figsize=(5.0, 3.2))
    _draw_distances(ax, t, D, loss=loss, logy=logy, fit=fit, mean=mean, loss_logy=loss_logy)
    if title:
        ax.set_title(title)
    return fig


@_styled
def plot_distance_panels(t, distances, loss=None, *, ncols=2, logy=True, fits=None, titles=None,
                         loss_logy=False, max_panels=None):
    """One :func:`plot_distances` panel per initial condition.

    Parameters
    ----------
    t : array_like of shape (T,) or None
    distances : array_like of shape (n_init, n_pert, T)
    loss : array_like of shape (n_init, T), optional
    ncols : int, default 2
    logy : bool, default True
    fits : sequence of (intercept, slope, (start, stop)) or None, optional
        One fit per initial condition (None entries skip the line).
    titles : sequence of str, optional
    loss_logy : bool, default False
    max_panels : int, optional
        Show only the first ``max_panels`` initial conditions.

    Returns
    -------
    matplotlib.figure.Figure
        ``n_init`` axes (plus loss twins).
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
    fig, axes = _figure(nrows, ncols, figsize=(4.0 * ncols, 2.8 * nrows), squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        if i >= n:
            ax.set_visible(False)
            continue
        fit = None if fits is None else fits[i]
        _draw_distances(ax, t, D[i], loss=None if L is None else L[i], logy=logy, fit=fit,
                        loss_logy=loss_logy)
        if titles is not None:
            ax.set_title(titles[i])
        if fit is not None and ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper left", framealpha=0.8, edgecolor="none")
    return fig


@_styled
def plot_eps_curves(t, curves, eps_values, loss=None, *, normalise=True, logy=True, title=None):
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

    Returns
    -------
    matplotlib.figure.Figure
        One axis with one line per radius, and a loss axis below when ``loss`` is given.
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
    nrows = 2 if loss is not None else 1
    fig, axes = _figure(nrows, 1, figsize=(5.0, 2.6 * nrows + 0.4), sharex=True, squeeze=False)
    ax = axes[0, 0]
    cmap = mpl.colormaps["viridis"]
    for i, (e, c) in enumerate(zip(eps, C)):
        ax.plot(t, c, color=cmap(i / max(1, eps.size - 1)), label=f"$\\epsilon$={_fmt_eps(e)}")
    ax.set_ylabel("$d(t)/d(0)$" if normalise else "distance $d(t)$")
    ax.set_xlabel("step $t$")
    if logy:
        _log_or_linear(ax, "y", C)
    ax.legend(frameon=False, ncols=2)
    if title:
        ax.set_title(title)
    if loss is not None:
        lax = axes[1, 0]
        lv = _arr(loss, "loss", (1,))
        if lv.size != t.size:
            raise ValueError(f"loss has {lv.size} points but the curves have {t.size}")
        lax.plot(t, lv, ls="--", color=LOSS)
        lax.set_xlabel("step $t$")
        lax.set_ylabel(_LOSS_LABEL)
    return fig


def _mean_axis1(a):
    with np.errstate(invalid="ignore"):
        return a.mean(axis=1)


@_styled
def plot_decay_fits(t, distance, *, exp_fit=None, power_fit=None, title=None):
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

    Returns
    -------
    matplotlib.figure.Figure
        Two axes: semi-logarithmic (left) and log-log (right), each with the
        data and the given fits.
    """
    d = _arr(distance, "distance", (1,))
    t = _time_axis(t, d.size)
    fig, axes = _figure(1, 2, figsize=(8.4, 3.0))
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
    axes[0].set_title(title or "semi-log")
    axes[1].set_title("log-log")
    axes[1].legend(frameon=False)
    return fig


# ---------------------------------------------------------------------------
# exponents
# ---------------------------------------------------------------------------
@_styled
def plot_exponent_histogram(exponents, kept=None, *, bins=30, mle=None, xlabel=None, title=None):
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

    Returns
    -------
    matplotlib.figure.Figure
    """
    if hasattr(exponents, "exponents") and hasattr(exponents, "kept"):
        res = exponents
        exponents = res.exponents
        kept = res.kept if kept is None else kept
        mle = res.value if mle is None else mle
    lam = _arr(exponents, "exponents", (1,))
    fig, ax = _figure(figsize=(4.4, 3.0))
    _draw_exponent_histogram(ax, lam, kept, bins=bins, mle=mle, xlabel=xlabel)
    if title:
        ax.set_title(title)
    return fig


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
    ax.set_xlabel(xlabel or "finite Lyapunov exponent $\\Lambda$")
    ax.set_ylabel("count")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False)


@_styled
def plot_mle_sweep(values, mle=None, std=None, *, ci=None, kept_fraction=None, xlabel="$\\epsilon$",
                   logx=True, reference=None, title=None):
    """Network MLE against a swept parameter (Fig. 8, right).

    Parameters
    ----------
    values : array_like of shape (n,)
        The swept parameter (eps or the learning rate).
    mle : array_like of shape (n,)
        lambda_nMLE per value (NaN allowed).
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

    Returns
    -------
    matplotlib.figure.Figure
        One axis, two with ``kept_fraction``.
    """
    if hasattr(values, "values") and hasattr(values, "mle") and not isinstance(values, np.ndarray):
        sw = values
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
    fig, axes = _figure(nrows, 1, figsize=(4.6, 2.6 * nrows + 0.4), sharex=True, squeeze=False)
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
    ax.set_ylabel("$\\lambda_{nMLE}$")
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
def plot_sharpness(steps, sharpness=None, threshold=None, loss=None, *, title=None, logy=False):
    """Top Hessian eigenvalue along training against the ``2 / lr`` threshold.

    Parameters
    ----------
    steps : array_like of shape (n,) or SharpnessSeries
        Steps of the measurements (a :class:`netchaos.SharpnessSeries`
        supplies everything).
    sharpness : array_like of shape (n,) or (n, k)
        Top eigenvalue(s); with k columns, one line each.
    threshold : float
        ``2 / lr`` (required unless ``steps`` is a SharpnessSeries).
    loss : array_like of shape (n,), optional
        Training loss at the same steps (right axis).
    title : str, optional
    logy : bool, default False

    Returns
    -------
    matplotlib.figure.Figure
    """
    if hasattr(steps, "threshold") and hasattr(steps, "sharpness"):
        ss = steps
        steps, sharpness, threshold = ss.steps, ss.sharpness, ss.threshold
        loss = ss.loss if loss is None else loss
    if sharpness is None or threshold is None:
        raise TypeError("plot_sharpness needs sharpness and threshold (or a SharpnessSeries)")
    s = _arr(steps, "steps", (1,))
    S = _arr(sharpness, "sharpness", (1, 2))
    S = S[:, None] if S.ndim == 1 else S
    if S.shape[0] != s.size:
        raise ValueError(f"sharpness has {S.shape[0]} rows but steps has {s.size}")
    fig, ax = _figure(figsize=(5.0, 3.0))
    for j in range(S.shape[1]):
        ax.plot(s, S[:, j], color=MEAN if j == 0 else SINGLE,
                label="sharpness $\\lambda_{max}(H)$" if j == 0 else None)
    ax.axhline(threshold, color=FIT, ls=":", label=f"$2/\\eta$ = {threshold:.3g}")
    ax.set_xlabel("step $t$")
    ax.set_ylabel("top Hessian eigenvalue")
    if logy:
        _log_or_linear(ax, "y", S)
    if not np.any(np.isfinite(S)):
        _no_data(ax)
    ax.legend(frameon=False, loc="upper right")
    if loss is not None:
        _loss_twin(ax, s, loss, logy=True)
    if title:
        ax.set_title(title)
    return fig


# ---------------------------------------------------------------------------
# loss series, intermittency
# ---------------------------------------------------------------------------
@_styled
def plot_loss_and_norm(t, loss, weight_norm, *, titles=None, logy=False):
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

    Returns
    -------
    matplotlib.figure.Figure
        ``2 * n_runs`` axes, one line each.
    """
    L = _arr(loss, "loss", (1, 2))
    W = _arr(weight_norm, "weight_norm", (1, 2))
    L = L[None] if L.ndim == 1 else L
    W = W[None] if W.ndim == 1 else W
    if L.shape != W.shape:
        raise ValueError(f"loss {L.shape} and weight_norm {W.shape} must have the same shape")
    n, T = L.shape
    t = _time_axis(t, T)
    fig, axes = _figure(2, n, figsize=(3.2 * n, 4.6), squeeze=False, sharex="col")
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
def plot_laminar(t, series, mask, *, period=None, ylabel=None, title=None):
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

    Returns
    -------
    matplotlib.figure.Figure
        One axis: the series as one line, laminar phases as shaded spans.
    """
    if hasattr(mask, "mask") and hasattr(mask, "period"):
        period = mask.period if period is None else period
        mask = mask.mask
    x = _arr(series, "series", (1,))
    m = np.asarray(mask, dtype=bool)
    if m.shape != x.shape:
        raise ValueError(f"mask {m.shape} must have the shape of series {x.shape}")
    t = _time_axis(t, x.size)
    fig, ax = _figure(figsize=(6.4, 2.8))
    _draw_laminar(ax, t, x, m, period=period, ylabel=ylabel)
    if title:
        ax.set_title(title)
    return fig


def _draw_laminar(ax, t, x, m, period=None, ylabel=None):
    """Body of plot_laminar on an existing axis: t, x, m of shape (n,)."""
    ax.plot(t, x, color=LOSS, lw=0.5)
    padded = np.concatenate(([False], m, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded)).reshape(-1, 2)
    label = f"laminar (period {period})" if period is not None else "laminar"
    for k, (s, e) in enumerate(edges):
        ax.axvspan(t[s], t[e - 1], color="0.88", lw=0, zorder=0, label=label if k == 0 else None)
    ax.set_xlabel("step $t$")
    ax.set_ylabel(ylabel or _LOSS_LABEL)
    if edges.size:
        ax.legend(frameon=False, loc="upper right")


@_styled
def plot_acf(lags, acf=None, lower=None, upper=None, *, title=None):
    """Autocorrelation function with the shuffled-null 95 % band (Fig. 10, right).

    Parameters
    ----------
    lags : array_like of shape (n,) or ACFResult
    acf : array_like of shape (n,)
    lower, upper : array_like of shape (n,), optional
        Null band, shaded grey.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        One axis with the ACF as stems-like markers and the band.
    """
    if hasattr(lags, "acf") and hasattr(lags, "lags"):
        res = lags
        lags, acf, lower, upper = res.lags, res.acf, res.lower, res.upper
    if acf is None:
        raise TypeError("plot_acf needs acf (or an ACFResult)")
    k = _arr(lags, "lags", (1,))
    r = _arr(acf, "acf", (1,))
    if r.size != k.size:
        raise ValueError(f"acf has {r.size} values but lags has {k.size}")
    fig, ax = _figure(figsize=(4.6, 3.0))
    _draw_acf(ax, k, r, lower, upper)
    if title:
        ax.set_title(title)
    return fig


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
    ax.legend(frameon=False)


@_styled
def plot_kantz(steps, curve=None, *, fit_range=None, slope=None, intercept=None, curves=None,
               title=None):
    """Kantz (or Rosenstein) divergence curve with its fitted slope.

    Parameters
    ----------
    steps : array_like of shape (m,) or KantzResult or RosensteinResult
    curve : array_like of shape (m,)
        Mean stretching ``S(dt)`` (Kantz) or ``<ln d(i)>`` (Rosenstein).
    fit_range : (int, int), optional
        Fit window in indices of ``steps``.
    slope, intercept : float, optional
        Fitted line ``curve ~ intercept + slope * steps``.
    curves : array_like of shape (c, m), optional
        Individual curves (e.g. per dimension and radius), drawn in grey.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    if hasattr(steps, "exponent") and hasattr(steps, "steps"):
        res = steps
        steps = res.steps
        curve = getattr(res, "mean_curve", None)
        if curve is None:
            curve = res.divergence
        elif curves is None:
            curves = np.asarray(res.stretching).reshape(-1, len(res.steps))
        fit_range = res.fit_range if fit_range is None else fit_range
        slope = res.exponent if slope is None else slope
        intercept = res.intercept if intercept is None else intercept
    if curve is None:
        raise TypeError("plot_kantz needs curve (or a KantzResult / RosensteinResult)")
    s = _arr(steps, "steps", (1,))
    y = _arr(curve, "curve", (1,))
    fig, ax = _figure(figsize=(4.6, 3.0))
    if curves is not None:
        for c in _arr(curves, "curves", (2,)):
            ax.plot(s, c, color=SINGLE, lw=0.6)
    ax.plot(s, y, color=MEAN, marker="o", ms=3, label="mean")
    if fit_range is not None and slope is not None and intercept is not None \
            and np.isfinite(slope) and np.isfinite(intercept):
        a, b = int(fit_range[0]), int(fit_range[1])
        ss = s[a:b]
        ax.plot(ss, intercept + slope * ss, ls="--", color=FIT, lw=1.5,
                label=f"slope {slope:.3g}")
    ax.set_xlabel("time offset $\\Delta t$")
    ax.set_ylabel("stretching $S(\\Delta t)$")
    if not np.any(np.isfinite(y)):
        _no_data(ax)
    ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return fig


@_styled
def plot_significance(exponents, p_values, *, alpha=0.05, x=None, xlabel=None, title=None):
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

    Returns
    -------
    matplotlib.figure.Figure
        Two axes: histogram of the exponents split by significance, and the
        exponents against ``x``.
    """
    lam = _arr(exponents, "exponents", (1,))
    p = _arr(p_values, "p_values", (1,))
    if p.size != lam.size:
        raise ValueError(f"p_values has {p.size} entries but exponents has {lam.size}")
    xs = np.arange(lam.size, dtype=float) if x is None else _arr(x, "x", (1,))
    sig = np.isfinite(p) & (p < alpha)
    fin = np.isfinite(lam)
    fig, (h, sc) = _figure(1, 2, figsize=(8.0, 3.0))
    if fin.any():
        edges = np.histogram_bin_edges(lam[fin], bins=min(30, max(5, int(fin.sum()))))
        h.hist([lam[fin & ~sig], lam[fin & sig]], bins=edges, stacked=True,
               color=[NOT_SIGNIFICANT, SIGNIFICANT],
               label=[f"p $\\geq$ {alpha:g}", f"p < {alpha:g}"])
        h.legend(frameon=False)
    else:
        _no_data(h)
    h.set_xlabel("Lyapunov exponent $\\Lambda$")
    h.set_ylabel("count")
    sc.scatter(xs[~sig], lam[~sig], color=NOT_SIGNIFICANT, s=14, label="not significant")
    sc.scatter(xs[sig], lam[sig], color=SIGNIFICANT, s=14, label="significant")
    sc.axhline(0, color="0.5", lw=0.5)
    sc.set_xlabel(xlabel or "initial condition")
    sc.set_ylabel("Lyapunov exponent $\\Lambda$")
    if title:
        fig.suptitle(title)
    return fig


# ---------------------------------------------------------------------------
# learning-rate sweeps
# ---------------------------------------------------------------------------
@_styled
def plot_onset(lr, mle, rho, tau, *, mle_std=None, rho_chaotic=None, mean_exponent=None,
               tau_label="steps to 90% test accuracy", title=None):
    """Onset of chaos: network MLE, fraction of chaotic runs and training time against lr.

    Parameters
    ----------
    lr : array_like of shape (n,)
        Learning rates.
    mle : array_like of shape (n,)
        lambda_nMLE per learning rate (NaN where no fit was kept).
    rho : array_like of shape (n,)
        Fraction of initial conditions with a positive exponent.
    tau : array_like of shape (n,)
        Training time to the target accuracy (NaN or inf where not reached).
    mle_std : array_like of shape (n,), optional
        Error bars of the MLE.
    rho_chaotic : array_like of shape (n,), optional
        Fraction with a clearly exponential divergence (kept fits).
    mean_exponent : array_like of shape (n,), optional
        Mean of all finite exponents (unfiltered), drawn dashed.
    tau_label, title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Two stacked axes sharing the lr axis: the exponents on top; rho (left)
        and tau (right, twin axis) below.
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
    fig, (top, bot) = _figure(2, 1, figsize=(5.0, 5.4), sharex=True)
    yerr = None if mle_std is None else col(mle_std, "mle_std")
    top.errorbar(x, y, yerr=yerr, marker="o", ms=4, color=MEAN, capsize=2,
                 label="$\\lambda_{nMLE}$ (kept fits)")
    if mean_exponent is not None:
        top.plot(x, col(mean_exponent, "mean_exponent"), ls="--", marker=".", color="0.5",
                 label="mean $\\Lambda$ (all fits)")
    top.axhline(0, color="0.5", lw=0.5)
    top.set_ylabel("network MLE")
    top.set_xlabel("learning rate $\\eta$")
    top.legend(frameon=False)
    bot.plot(x, col(rho, "rho"), marker="D", ms=4, color="tab:blue", label="$\\rho$ ($\\Lambda>0$)")
    if rho_chaotic is not None:
        bot.plot(x, col(rho_chaotic, "rho_chaotic"), marker="d", ms=4, ls="--", color="tab:cyan",
                 label="$\\rho$ (kept fits)")
    bot.set_ylim(-0.03, 1.03)
    bot.set_ylabel("fraction $\\rho$", color="tab:blue")
    bot.set_xlabel("learning rate $\\eta$")
    bot.legend(frameon=False, loc="center left")
    tw = bot.twinx()
    tv = col(tau, "tau")
    tv = np.where(np.isfinite(tv), tv, np.nan)
    tw.plot(x, tv, marker="o", ms=4, color=FIT, label="$\\tau$")
    tw.set_ylabel(tau_label, color=FIT)
    tw.tick_params(axis="y", colors=FIT)
    tw.spines["right"].set_visible(True)
    if _log_or_linear(bot, "x", x, min_decades=0.5) and np.ptp(np.log10(x)) < 2:
        # a decade or two: label the swept values themselves, not 2x10^0, 3x10^0, ...
        bot.set_xticks(x, [f"{v:g}" for v in x])
        bot.xaxis.set_minor_formatter(mpl.ticker.NullFormatter())
    if title:
        top.set_title(title)
    return fig


# ---------------------------------------------------------------------------
# tangent space
# ---------------------------------------------------------------------------
@_styled
def plot_spectrum(exponents, *, running=None, times=None, n_show=5, title=None):
    """Lyapunov spectrum and (optionally) the running finite-time exponents.

    Parameters
    ----------
    exponents : array_like of shape (k,) or SpectrumResult
    running : array_like of shape (n_blocks, k), optional
        Running finite-time exponents.
    times : array_like of shape (n_blocks,), optional
    n_show : int, default 5
        Running exponents drawn (the first ``n_show`` columns).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        One axis (spectrum), two with ``running``.
    """
    if hasattr(exponents, "exponents") and hasattr(exponents, "running"):
        res = exponents
        exponents = res.exponents
        running = res.running if running is None else running
        times = res.times if times is None else times
    lam = _arr(exponents, "exponents", (1,))
    ncols = 2 if running is not None else 1
    fig, axes = _figure(1, ncols, figsize=(4.4 * ncols, 3.1), squeeze=False)
    ax = axes[0, 0]
    order = np.argsort(-np.where(np.isfinite(lam), lam, -np.inf), kind="stable")
    ax.plot(np.arange(1, lam.size + 1), lam[order], marker="o", ms=2.5, color=MEAN, lw=0.8)
    ax.axhline(0, color="0.5", lw=0.5)
    ax.set_xlabel("index $i$ (descending)")
    ax.set_ylabel("Lyapunov exponent $\\lambda_i$")
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
        rax.set_ylabel("finite-time exponent")
        rax.legend(frameon=False, ncols=2)
    if title:
        fig.suptitle(title)
    return fig


@_styled
def plot_ftle_vs_loss(ftle, final_loss=None, *, high_loss=None, ftle_threshold=None,
                      loss_threshold=None, title=None):
    """Early finite-time Lyapunov exponent against the final training loss.

    Parameters
    ----------
    ftle : array_like of shape (n,) or (n, k) or FTLELossResult
        Leading FTLE per initial condition (first column when 2-D).
    final_loss : array_like of shape (n,)
        Final training loss (inf for diverged runs, drawn at the top edge).
    high_loss : bool array_like of shape (n,), optional
        Colour: red for "high loss", grey otherwise.
    ftle_threshold, loss_threshold : float, optional
        Fitted predictor threshold (vertical) and loss split (horizontal).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    if hasattr(ftle, "final_loss") and hasattr(ftle, "ftle"):
        res = ftle
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
    fig, ax = _figure(figsize=(4.6, 3.2))
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
    ax.set_xlabel("early finite-time exponent $\\lambda_1$")
    ax.set_ylabel("final training loss")
    _log_or_linear(ax, "y", Ls)
    ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return fig


@_styled
def plot_agreement(x, y, *, xlabel="estimate 1", ylabel="estimate 2", title=None):
    """Two estimates of the same quantity against each other, with the identity line.

    Parameters
    ----------
    x, y : array_like of shape (n,)
        Paired estimates (NaN pairs are skipped).
    xlabel, ylabel, title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        One axis: the scatter and the line y = x.
    """
    a = _arr(x, "x", (1,))
    b = _arr(y, "y", (1,))
    if a.size != b.size:
        raise ValueError(f"x has {a.size} entries but y has {b.size}")
    ok = np.isfinite(a) & np.isfinite(b)
    fig, ax = _figure(figsize=(3.8, 3.6))
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
    if title:
        ax.set_title(title)
    return fig


# ---------------------------------------------------------------------------
# figures of the teaching notebooks
# ---------------------------------------------------------------------------
def _rows(a, name):
    """A 1-D or 2-D array as 2-D rows: shape (T,) -> (1, T)."""
    a = _arr(a, name, (1, 2))
    return a[None] if a.ndim == 1 else a


def _palette(n, cmap="plasma"):
    """``n`` distinct colours from a colormap, avoiding its pale end."""
    cm = mpl.colormaps[cmap]
    return [cm(0.8 * i / max(1, n - 1)) for i in range(n)]


@_styled
def plot_loss_curves(t, losses, labels=None, *, weight_norms=None, logy=True, title=None):
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

    Returns
    -------
    matplotlib.figure.Figure
        One axis with one line per run; two with ``weight_norms``.
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
    fig, axes = _figure(1, ncols, figsize=(4.6 * ncols + 0.4, 3.2), squeeze=False)
    ax = axes[0, 0]
    colours = _palette(L.shape[0])
    for i, (row, c) in enumerate(zip(L, colours)):
        ax.plot(t, row, color=c, lw=0.9, label=None if labels is None else labels[i])
    ax.set_xlabel("step $t$")
    ax.set_ylabel(_LOSS_LABEL)
    if logy:
        _log_or_linear(ax, "y", L)
    if not np.any(np.isfinite(L)):
        _no_data(ax)
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
def plot_map_exponent(params, exponents, *, orbit=None, param=None, exponent=None,
                      xlabel="parameter $r$", title=None):
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

    Returns
    -------
    matplotlib.figure.Figure
        One axis (exponent against the parameter), two with ``orbit``.
    """
    p = _arr(params, "params", (1,))
    lam = _arr(exponents, "exponents", (1,))
    if lam.size != p.size:
        raise ValueError(f"exponents has {lam.size} entries but params has {p.size}")
    ncols = 2 if orbit is not None else 1
    fig, axes = _figure(1, ncols, figsize=(4.4 * ncols, 3.0), squeeze=False)
    ax = axes[0, 0]
    ax.plot(p, lam, color=MEAN, lw=0.8)
    ax.axhline(0, color="0.5", lw=0.5)
    if param is not None and exponent is not None:
        ax.plot([param], [exponent], "o", color=FIT, ms=6,
                label=f"$\\lambda$ = {exponent:.3f}")
        ax.legend(frameon=False, loc="lower left")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Lyapunov exponent $\\lambda$")
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
def plot_tangent_eigenvalues(hessian_eigenvalues, lr, *, labels=None, title=None):
    """Moduli ``|1 - lr h_i|`` of the eigenvalues of the GD tangent map ``I - lr H``.

    A direction with modulus above 1 is stretched by one GD step, one below 1
    is contracted, and one at 1 is neutral (a flat direction of the loss).

    Parameters
    ----------
    hessian_eigenvalues : array_like of shape (n,) or (n_sets, n)
        Hessian eigenvalues h_i; one row per set (e.g. per network state).
    lr : float or array_like of shape (n_sets,)
        Learning rate(s). A 1-D ``hessian_eigenvalues`` with several learning
        rates draws the same Hessian once per learning rate.
    labels : sequence of str, optional
        Legend entries (default ``lr = ...``).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        One axis: the sorted moduli against their rank, logarithmic, with the
        neutral line ``|mu| = 1``.
    """
    h = _rows(hessian_eigenvalues, "hessian_eigenvalues")
    etas = _arr(lr, "lr", (0, 1)).ravel()
    if etas.size == 0 or not np.all(np.isfinite(etas) & (etas > 0)):
        raise ValueError("lr must be finite and > 0")
    n_sets = max(h.shape[0], etas.size)
    if h.shape[0] not in (1, n_sets) or etas.size not in (1, n_sets):
        raise ValueError(f"hessian_eigenvalues has {h.shape[0]} rows but lr has {etas.size} "
                         f"entries; give one of them once or both {n_sets} times")
    h = np.broadcast_to(h, (n_sets, h.shape[1]))
    etas = np.broadcast_to(etas, (n_sets,))
    if labels is not None and len(labels) != n_sets:
        raise ValueError(f"labels has {len(labels)} entries for {n_sets} sets")
    mu = np.sort(np.abs(1.0 - etas[:, None] * h), axis=1)[:, ::-1]
    fig, ax = _figure(figsize=(4.8, 3.2))
    rank = np.arange(1, mu.shape[1] + 1)
    for i, (row, c) in enumerate(zip(mu, _palette(n_sets))):
        n_up = int(np.sum(row > 1 + 1e-12))
        lab = labels[i] if labels is not None else f"$\\eta$ = {etas[i]:g}"
        ax.plot(rank, row, color=c, marker="o", ms=2, lw=0.8,
                label=f"{lab}: {n_up} expanding")
    ax.axhline(1.0, color="0.5", ls=":", lw=0.8)
    ax.set_xlabel("rank $i$ (descending)")
    ax.set_ylabel("$|1 - \\eta\\, h_i|$")
    _log_or_linear(ax, "y", mu)
    ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return fig


@_styled
def plot_displacement_vs_path(displacement, path_length, *, relative=False, title=None):
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

    Returns
    -------
    matplotlib.figure.Figure
        One log-log axis with one point per weight.
    """
    d = _arr(displacement, "displacement", (1,))
    D = _arr(path_length, "path_length", (1,))
    if d.size != D.size:
        raise ValueError(f"path_length has {D.size} entries but displacement has {d.size}")
    ok = np.isfinite(d) & np.isfinite(D) & (d > 0) & (D > 0)
    fig, ax = _figure(figsize=(4.0, 3.6))
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
    if title:
        ax.set_title(title)
    return fig


@_styled
def plot_weight_heatmaps(matrices, *, titles=None, label="loss change $L_w - L$", title=None):
    """One heat map per weight matrix, on a shared diverging colour scale (Fig. 5, left).

    Parameters
    ----------
    matrices : sequence of array_like of shape (n_in, n_out)
        E.g. per-weight ablation importances reshaped like the weight
        matrices (``[W for W, b in model.unflatten(importance)]``).
    titles : sequence of str, optional
        One per matrix (default ``W_1, W_2, ...``).
    label : str
        Colour-bar label.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        One axis per matrix (rows: inputs i, columns: units j) and a colour bar.
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
    fig, axes = _figure(1, len(mats), figsize=(2.6 * len(mats) + 1.0, 3.2), squeeze=False)
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


@_styled
def plot_ensemble_overview(t, distances, exponents, loss=None, *, kept=None, mle=None, fit=None,
                           bins=20, title=None):
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

    Returns
    -------
    matplotlib.figure.Figure
        Two axes (plus the loss twin): distances (left) and P(Lambda) (right).
    """
    if hasattr(exponents, "exponents") and hasattr(exponents, "kept"):
        res = exponents
        exponents = res.exponents
        kept = res.kept if kept is None else kept
        mle = res.value if mle is None else mle
    D = _rows(distances, "distances")
    lam = _arr(exponents, "exponents", (1,))
    if kept is not None and np.size(kept) != lam.size:
        raise ValueError(f"kept has {np.size(kept)} entries but exponents has {lam.size}")
    t = _time_axis(t, D.shape[1])
    fig, (left, right) = _figure(1, 2, figsize=(9.0, 3.2))
    _draw_distances(left, t, D, loss=loss, logy=True, fit=fit)
    if fit is not None and np.isfinite(fit[1]):
        left.set_title(f"fitted $\\Lambda$ = {fit[1]:.3g} over steps {int(fit[2][0])}-"
                       f"{int(fit[2][1]) - 1}")
    _draw_exponent_histogram(right, lam, kept, bins=bins, mle=mle)
    if title:
        fig.suptitle(title)
    return fig


@_styled
def plot_intermittency(t, series, laminar, acf=None, *, period=None, title=None):
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

    Returns
    -------
    matplotlib.figure.Figure
        One axis, two with ``acf``.
    """
    if hasattr(laminar, "mask") and hasattr(laminar, "period"):
        period = laminar.period if period is None else period
        laminar = laminar.mask
    x = _arr(series, "series", (1,))
    m = np.asarray(laminar, dtype=bool)
    if m.shape != x.shape:
        raise ValueError(f"laminar {m.shape} must have the shape of series {x.shape}")
    t = _time_axis(t, x.size)
    nrows = 2 if acf is not None else 1
    fig, axes = _figure(nrows, 1, figsize=(6.4, 2.6 * nrows + 0.3), squeeze=False)
    _draw_laminar(axes[0, 0], t, x, m, period=period)
    if acf is not None:
        if not (hasattr(acf, "acf") and hasattr(acf, "lags")):
            raise TypeError(f"acf must be an ACFResult, got {type(acf).__name__}")
        _draw_acf(axes[1, 0], _arr(acf.lags, "acf.lags", (1,)), _arr(acf.acf, "acf.acf", (1,)),
                  acf.lower, acf.upper)
    if title:
        axes[0, 0].set_title(title)
    return fig


@_styled
def plot_period_fractions(fractions, periods=None, *, labels=None, title=None):
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

    Returns
    -------
    matplotlib.figure.Figure
        One axis (runs against periods) and a colour bar.
    """
    F = _arr(fractions, "fractions", (2,))
    p = np.arange(1, F.shape[1] + 1) if periods is None else _arr(periods, "periods", (1,))
    if p.size != F.shape[1]:
        raise ValueError(f"periods has {p.size} entries but fractions has {F.shape[1]} columns")
    if labels is not None and len(labels) != F.shape[0]:
        raise ValueError(f"labels has {len(labels)} entries but fractions has {F.shape[0]} rows")
    fig, ax = _figure(figsize=(5.0, 0.22 * F.shape[0] + 1.6))
    im = ax.imshow(F, cmap="Greys", vmin=0, vmax=1, aspect="auto", interpolation="nearest")
    ax.set_xticks(np.arange(p.size), [f"{v:g}" for v in p])
    ax.set_yticks(np.arange(F.shape[0]),
                  labels if labels is not None else [str(i) for i in range(F.shape[0])])
    ax.set_xlabel("candidate period $p$")
    ax.set_ylabel("run")
    fig.colorbar(im, ax=ax, label="laminar fraction")
    if title:
        ax.set_title(title)
    return fig


@_styled
def plot_lr_detail(t, distances, test_accuracy, *, target=0.9, fits=None, title=None):
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

    Returns
    -------
    matplotlib.figure.Figure
        Two axes: distances (left, logarithmic) and test accuracy (right).
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
    fig, (left, right) = _figure(1, 2, figsize=(9.0, 3.2))
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


@_styled
def plot_linearised_decay(t, observed, predicted, *, title=None):
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

    Returns
    -------
    matplotlib.figure.Figure
        One log-log axis (t > 0).
    """
    O = _rows(observed, "observed")
    P = _rows(predicted, "predicted")
    if O.shape != P.shape:
        raise ValueError(f"predicted {P.shape} must have the shape of observed {O.shape}")
    t = _time_axis(t, O.shape[1])
    pos = t > 0
    fig, ax = _figure(figsize=(4.8, 3.2))
    for k, (o, p) in enumerate(zip(O, P)):
        ax.plot(t[pos], o[pos], color=SINGLE, lw=1.8, label="measured" if k == 0 else None)
        ax.plot(t[pos], p[pos], color=FIT, ls="--", lw=0.9,
                label="linearised prediction" if k == 0 else None)
    ax.set_xlabel("steps since perturbation $t$")
    ax.set_ylabel("distance $d(t)$")
    _log_or_linear(ax, "x", t[pos])
    _log_or_linear(ax, "y", O[:, pos], P[:, pos], min_decades=0.5)
    ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return fig


@_styled
def plot_clv(times, angles=None, local=None, *, n_show=3, title=None):
    """Covariant Lyapunov vectors along a trajectory: an angle and the local growth rates.

    Parameters
    ----------
    times : array_like of shape (n,) or CLVResult
        Iterations (a :class:`netchaos.CLVResult` supplies everything, with
        the angle between its first two vectors).
    angles : array_like of shape (n,), optional (required without a CLVResult)
        Angle (radians) between two covariant vectors; near-zero angles are
        near-tangencies of expanding and contracting directions.
    local : array_like of shape (n - 1, k), optional
        Local growth rates of the vectors over each block.
    n_show : int, default 3
        Growth rates drawn (the first ``n_show`` columns).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        One axis, two with ``local``.
    """
    if hasattr(times, "vectors") and hasattr(times, "angles"):
        res = times
        times = res.times
        angles = res.angles(0, 1) if res.vectors.shape[2] > 1 else np.zeros(res.times.size)
        local = res.local if local is None else local
    if angles is None:
        raise TypeError("plot_clv needs angles (or a CLVResult)")
    s = _arr(times, "times", (1,))
    a = _arr(angles, "angles", (1,))
    if a.size != s.size:
        raise ValueError(f"angles has {a.size} entries but times has {s.size}")
    nrows = 2 if local is not None else 1
    fig, axes = _figure(nrows, 1, figsize=(5.2, 2.5 * nrows + 0.3), sharex=True, squeeze=False)
    ax = axes[0, 0]
    ax.plot(s, np.degrees(a), color=MEAN, lw=0.8)
    ax.set_xlabel("step $t$")
    ax.set_ylabel("angle $(v_1, v_2)$ [deg]")
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
        lax.set_ylabel("local growth rate")
        lax.legend(frameon=False, ncols=3)
    if title:
        axes[0, 0].set_title(title)
    return fig
