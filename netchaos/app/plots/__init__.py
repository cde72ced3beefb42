"""Matplotlib figures of training trajectories, exponents and time-series diagnostics.

Every function takes plain arrays (a few also accept the package's result
objects: :class:`netchaos.NetworkMLE`, :class:`netchaos.SweepResult`,
:class:`netchaos.ACFResult`, ...; anything else raises a TypeError naming the
argument), labels every axis and returns the :class:`matplotlib.figure.Figure`
it drew into, without touching the pyplot state machine. Nothing is shown or
saved: call ``fig.savefig(...)``, or let Jupyter display it.

Where to draw, as matplotlib's and scikit-learn's displays do: a function of a
single panel takes ``ax=`` (an existing :class:`matplotlib.axes.Axes`; twin
axes are added beside it, and the axes' figure is returned), a function that
can draw several panels takes ``fig=`` (an empty Figure or SubFigure that the
panels are added to, which is returned). Without either, a new figure of the
function's own size and constrained layout is made.

The style follows the figures of Danovski et al. (2024): distances of single
perturbed trajectories in thin grey, their mean in black, the training loss as
a dashed blue line on a right-hand axis, fitted slopes as red dotted lines,
significant results in red and non-significant ones in grey. Fonts and line
widths of :data:`STYLE` apply while a figure is drawn.

Inputs may contain NaN or inf (diverged trajectories): such points leave gaps
in lines and are left out of histograms; a logarithmic axis falls back to a
linear one when no positive finite value is left to show.

Functions
---------
Distances (:mod:`.distances`), all ``fig=`` but the first:

plot_distances             d(t) of one initial condition, mean and loss (Fig. 3), ``ax=``
plot_distance_panels       the same for several initial conditions (Figs. 3, 6, 7)
plot_eps_curves            mean d(t)/d(0) for several perturbation radii (Fig. 4)
plot_decay_fits            d(t) with exponential and power-law fits (post-training)
plot_lr_detail             distances and test accuracy of the runs of one learning rate

Exponents (:mod:`.exponents`), all ``fig=`` but the first:

plot_exponent_histogram    P(Lambda), the distribution of finite exponents (Fig. 8 left), ``ax=``
plot_mle_sweep             lambda_nMLE against eps or the learning rate (Fig. 8 right)
plot_ensemble_overview     d(t) of one initial condition beside P(Lambda)
plot_onset                 lambda_nMLE, rho and time to accuracy against the learning rate

Time series (:mod:`.series`):

plot_laminar               a series with its laminar phases shaded, ``ax=``
plot_acf                   autocorrelation with the shuffled-null band (Fig. 10), ``ax=``
plot_kantz                 Kantz stretching curves and the fitted slope, ``ax=``
plot_significance          exponents coloured by significance (Fig. 11), ``fig=``
plot_intermittency         laminar phases of a loss series and the ACF of a burst, ``fig=``
plot_period_fractions      laminar fraction per run and candidate period, ``ax=``

Training runs (:mod:`.runs`):

plot_loss_curves           training loss of several runs (e.g. learning rates), ``fig=``
plot_loss_and_norm         loss and weight norm of several runs (Fig. 9), ``fig=``
plot_displacement_vs_path  per-weight displacement against path length (Fig. 5, right), ``ax=``
plot_weight_heatmaps       per-weight values (e.g. ablation) as heat maps (Fig. 5, left), ``fig=``

Tangent map (:mod:`.tangent`):

plot_spectrum              Lyapunov spectrum and running finite-time exponents, ``fig=``
plot_ftle_vs_loss          early finite-time exponent against final loss, ``ax=``
plot_agreement             two estimates of the same quantity against each other, ``ax=``
plot_map_exponent          Lyapunov exponent across a family of maps, with one orbit, ``fig=``
plot_tangent_eigenvalues   moduli |1 - lr h_i| of the tangent map's eigenvalues, ``ax=``
plot_sharpness             top Hessian eigenvalue against the 2/lr threshold, ``ax=``
plot_clv                   covariant-vector angle and local growth rates, ``fig=``
plot_linearised_decay      post-training distances against the tangent-map prediction, ``ax=``

Routes to chaos (:mod:`.routes`):

plot_bifurcation           attractor and largest exponent over a parameter, ``fig=``
plot_intermittency_scaling mean laminar length against the distance to a window, ``ax=``
plot_trainability          trained / not trained over two hyper-parameters, ``ax=``

Examples
--------
>>> import numpy as np
>>> from matplotlib.figure import Figure
>>> from netchaos.app.plots import plot_acf, plot_laminar
>>> fig = Figure()
>>> left, right = fig.subplots(1, 2)
>>> plot_acf(np.arange(4), [1.0, 0.4, 0.1, 0.0], ax=left) is fig
True
>>> _ = plot_laminar(None, [1.0, 2, 1, 2], [True, True, False, False], ax=right)
>>> [ax.get_ylabel() for ax in fig.axes]
['autocorrelation', 'training loss $L$']
"""

from ._style import STYLE
from .distances import (
    plot_decay_fits,
    plot_distance_panels,
    plot_distances,
    plot_eps_curves,
    plot_lr_detail,
)
from .exponents import (
    plot_ensemble_overview,
    plot_exponent_histogram,
    plot_mle_sweep,
    plot_onset,
)
from .runs import (
    plot_displacement_vs_path,
    plot_loss_and_norm,
    plot_loss_curves,
    plot_weight_heatmaps,
)
from .routes import plot_bifurcation, plot_intermittency_scaling, plot_trainability
from .series import (
    plot_acf,
    plot_intermittency,
    plot_kantz,
    plot_laminar,
    plot_period_fractions,
    plot_significance,
)
from .tangent import (
    plot_agreement,
    plot_clv,
    plot_ftle_vs_loss,
    plot_linearised_decay,
    plot_map_exponent,
    plot_sharpness,
    plot_spectrum,
    plot_tangent_eigenvalues,
)

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
    "plot_bifurcation",
    "plot_intermittency_scaling",
    "plot_trainability",
]
