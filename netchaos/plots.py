"""The figures of :mod:`netchaos.app.plots`, under their earlier address.

``from netchaos import plots`` and ``from netchaos.plots import plot_acf`` keep working; the
functions, their documentation and the style live in :mod:`netchaos.app.plots`.
"""

from .app import plots as _plots
from .app.plots import *  # noqa: F403
from .app.plots import (  # noqa: F401
    STYLE,
    plot_acf,
    plot_agreement,
    plot_bifurcation,
    plot_clv,
    plot_decay_fits,
    plot_distance_panels,
    plot_distances,
    plot_ensemble_overview,
    plot_eps_curves,
    plot_exponent_histogram,
    plot_ftle_vs_loss,
    plot_intermittency,
    plot_intermittency_scaling,
    plot_kantz,
    plot_laminar,
    plot_linearised_decay,
    plot_loss_and_norm,
    plot_loss_curves,
    plot_lr_detail,
    plot_map_exponent,
    plot_mle_sweep,
    plot_onset,
    plot_period_fractions,
    plot_sharpness,
    plot_significance,
    plot_spectrum,
    plot_tangent_eigenvalues,
    plot_trainability,
    plot_weight_heatmaps,
)
from .app.plots._style import FIT, LOSS, MEAN, NOT_SIGNIFICANT, SIGNIFICANT, SINGLE  # noqa: F401

__all__ = list(_plots.__all__)
