"""What every figure shares: the rc style, the colours, where a figure's axes come from, and
the checks and small drawing steps used by more than one topic."""

import functools
import sys

import matplotlib as mpl
import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure, FigureBase

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

#: widest new figure, in inches: at 100 dpi it fits a notebook column without being scaled down
MAX_WIDTH = 9.0


def _styled(func):
    """Build the figure under :data:`STYLE`, then :func:`_tidy` it."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with mpl.rc_context(STYLE):
            fig = func(*args, **kwargs)
            _tidy(fig)
            return fig
    return wrapper


class _LogLabels(ticker.LogFormatterSciNotation):
    """Log-axis labels: on an axis spanning fewer than three decades, every labelled tick
    between 0.001 and 10^4 as a plain number (3, 1 and 0.6 rather than 3x10^0, 10^0 and
    6x10^-1); otherwise matplotlib's powers of ten."""

    def __call__(self, x, pos=None):
        text = super().__call__(x, pos)
        if not text or not x > 0 or not 1e-3 <= x < 1e4:
            return text
        lo, hi = sorted(self.axis.get_view_interval()) if self.axis is not None else (0, 0)
        if lo > 0 and np.log10(hi / lo) < 3:
            return f"{x:g}"
        e = np.log10(x)
        return f"{x:g}" if abs(e - round(e)) > 1e-9 else text


def _tidy(fig):
    """What every figure gets once drawn: plain labels on logarithmic axes, and no x label
    under a panel whose x axis is shared with a panel below it."""
    if not isinstance(fig, FigureBase):
        return
    for ax in fig.axes:
        for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())):
            if scale != "log":
                continue                 # only matplotlib's own log labels are replaced
            if type(axis.get_major_formatter()) is ticker.LogFormatterSciNotation:
                axis.set_major_formatter(_LogLabels(10))
            if type(axis.get_minor_formatter()) is ticker.LogFormatterSciNotation:
                axis.set_minor_formatter(_LogLabels(10, labelOnlyBase=False))
        spec = ax.get_subplotspec() if hasattr(ax, "get_subplotspec") else None
        if spec is None or not ax.get_xlabel():
            continue
        shared = ax.get_shared_x_axes()
        for other in fig.axes:
            o_spec = other.get_subplotspec() if hasattr(other, "get_subplotspec") else None
            if (other is not ax and o_spec is not None and shared.joined(ax, other)
                    and o_spec.get_gridspec() is spec.get_gridspec()
                    and o_spec.rowspan.start >= spec.rowspan.stop
                    and o_spec.colspan.start == spec.colspan.start):
                ax.set_xlabel("")
                break


def _integer_ticks(axis):
    """Whole-number ticks on a count axis (no 0.5 counts)."""
    axis.set_major_locator(ticker.MaxNLocator(integer=True))


# ---------------------------------------------------------------------------
# where the axes come from
# ---------------------------------------------------------------------------
def _figure(nrows=1, ncols=1, figsize=None, sharex=False, squeeze=True, fig=None,
            height_ratios=None):
    """A grid of axes: in a new constrained-layout figure of ``figsize``, or in ``fig``.

    ``fig`` (a Figure or SubFigure) must have no axes yet; ``figsize`` is then ignored.
    Returns ``(fig, axes)`` as :meth:`matplotlib.figure.Figure.subplots` does.
    """
    if fig is None:
        if figsize is None:
            figsize = (4.2 * ncols, 3.0 * nrows)
        fig = _new_figure((min(figsize[0], MAX_WIDTH), figsize[1]))
    else:
        _check_empty(fig)
    axes = fig.subplots(nrows, ncols, sharex=sharex, squeeze=squeeze,
                        height_ratios=height_ratios)
    return fig, axes


def _check_empty(fig):
    """``fig`` must be a Figure or SubFigure with no axes yet."""
    if not isinstance(fig, FigureBase):
        raise TypeError(f"fig must be a matplotlib Figure or SubFigure, got {type(fig).__name__}")
    if fig.axes:
        raise ValueError(f"fig must be empty, but it has {len(fig.axes)} axes")


def _mosaic(layout, figsize, fig=None):
    """Named axes of :meth:`~matplotlib.figure.Figure.subplot_mosaic` ``layout``, in a new
    constrained-layout figure of ``figsize`` (at most :data:`MAX_WIDTH` wide) or in the empty
    ``fig``; returns ``(fig, {name: axes})``."""
    if fig is None:
        fig = _new_figure((min(figsize[0], MAX_WIDTH), figsize[1]))
    else:
        _check_empty(fig)
    return fig, fig.subplot_mosaic(layout)


def _new_figure(figsize):
    """A new constrained-layout figure: a pyplot figure (so that ``plt.show()`` shows it) when
    the caller uses pyplot with an interactive backend (a script, an IPython console), a plain
    Figure otherwise (Jupyter's inline display, headless runs), which pyplot never holds."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None and _interactive_backend():
        return plt.figure(figsize=figsize, layout="constrained")
    return Figure(figsize=figsize, layout="constrained")


def _interactive_backend():
    backend = str(mpl.rcParams._get_backend_or_none() or "").lower()
    try:
        from matplotlib.backends import BackendFilter, backend_registry
        return backend in backend_registry.list_builtin(BackendFilter.INTERACTIVE)
    except ImportError:                       # matplotlib < 3.9
        return backend in {b.lower() for b in mpl.rcsetup.interactive_bk}


def _axes(ax, figsize):
    """``ax`` itself, or the one axis of a new figure of ``figsize`` when ``ax`` is None."""
    if ax is None:
        return _figure(figsize=figsize)[1]
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    return ax


def _result(x, name, types):
    """``x`` when it is one of the result classes ``types``; None when it is array_like.

    Anything else raises a TypeError that names the argument ``name`` and what it accepts.
    """
    if isinstance(x, types):
        return x
    try:
        np.asarray(x, dtype=float)
    except TypeError:
        kinds = " or ".join(t.__name__ for t in (types if isinstance(types, tuple) else (types,)))
        raise TypeError(f"{name} must be array_like or {kinds}, got {type(x).__name__}") from None
    return None


# ---------------------------------------------------------------------------
# arrays
# ---------------------------------------------------------------------------
def _arr(x, name, ndim=None):
    try:
        a = np.asarray(x, dtype=float)
    except TypeError:
        raise TypeError(f"{name} must be array_like of numbers, got {type(x).__name__}") from None
    if ndim is not None and a.ndim not in ndim:
        raise ValueError(f"{name} must be {' or '.join(map(str, ndim))}-dimensional, "
                         f"got shape {a.shape}")
    return a


def _rows(a, name):
    """A 1-D or 2-D array as 2-D rows: shape (T,) -> (1, T)."""
    a = _arr(a, name, (1, 2))
    return a[None] if a.ndim == 1 else a


def _time_axis(t, T, name="t"):
    if t is None:
        return np.arange(T, dtype=float)
    t = _arr(t, name, (1,))
    if t.size != T:
        raise ValueError(f"{name} has {t.size} points but the data have {T}")
    return t


def _nanmean_rows(a):
    """Mean over axis 0 that is NaN where any row is NaN (divergence is never averaged away)."""
    with np.errstate(invalid="ignore"):
        return a.mean(axis=0)


def _mean_axis1(a):
    with np.errstate(invalid="ignore"):
        return a.mean(axis=1)


# ---------------------------------------------------------------------------
# drawing steps
# ---------------------------------------------------------------------------
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


def _log_y_or_note(ax, values, logy):
    """A logarithmic y axis for ``values`` when ``logy`` (see :func:`_log_or_linear`), and a
    note on the axis when none of them is finite."""
    if logy:
        _log_or_linear(ax, "y", values)
    if not np.any(np.isfinite(values)):
        _no_data(ax)


def _fmt_eps(e):
    if e > 0 and float(np.log10(e)).is_integer():
        return f"$10^{{{np.log10(e):.0f}}}$"
    return f"{e:.3g}"


def _palette(n, cmap="plasma"):
    """``n`` distinct colours from a colormap, avoiding its pale end."""
    cm = mpl.colormaps[cmap]
    return [cm(0.8 * i / max(1, n - 1)) for i in range(n)]


def _titled(ax, title):
    """Give ``ax`` the ``title`` when there is one; the figure of ``ax``, for single-panel plots
    to return."""
    if title:
        ax.set_title(title)
    return ax.figure
