"""The papers' analyses: one copy each, shared by the reproductions, the explorers and the notebooks.

One module per study: :mod:`~netchaos.protocols.orbital` (orbital and dynamical stability,
the edge of stability), :mod:`~netchaos.protocols.post_training`,
:mod:`~netchaos.protocols.intermittency`, :mod:`~netchaos.protocols.onset` and
:mod:`~netchaos.protocols.tangent`.

Every function here turns results of the analyses (:mod:`netchaos.training`,
:mod:`netchaos.perturbation`, :mod:`netchaos.exponents`, :mod:`netchaos.sweeps`,
:mod:`netchaos.spectra`, :mod:`netchaos.timeseries`) into the
numbers a paper reports: the time to a target accuracy, exponential against power-law decay,
the fundamental period of laminar phases, the spread of ``d(t)/d(0)`` across perturbation
radii, the per-learning-rate table of the onset study, the agreement of tangent and ensemble
exponents. They plot nothing, print nothing and write nothing; :mod:`netchaos.app` does that.

==========================  ===============================================================
function                    what it computes
==========================  ===============================================================
fitted_phase                  the fitted exponential phase of one initial condition
time_to_accuracy            first step at which an accuracy series reaches a target
decay_fits                  exponential and power-law fits of one decaying distance
decay_classification        the same for several initial conditions, and the verdict
linearised_distance         distances predicted by a constant tangent map ``I - lr H``
fundamental_period          smallest period whose laminar fraction is close to the best
laminar_periods             periods, laminar phases and bursts of several loss series
longest_burst               the longest non-constant burst of one series
burst_acf                   ACF of the longest burst among several runs
kantz_runs                  Kantz's exponent and surrogate test of several series
orbital_spread              how much ``ln d(t)/d(0)`` depends on the perturbation radius
eps_table                   lambda_nMLE, kept fraction and rho for every radius of a sweep
small_eps_agreement         do small radii agree, and are large ones smaller?
window_sensitivity          lambda_nMLE under other window searches of the same distances
sharpness_summary           the sharpness along a trajectory against ``2 / lr``
onset_table                 the per-learning-rate table of the onset study
positive_exponents          exponents positive beyond their fit's interval (the onset's rho)
tangent_growth              growth of a tangent vector along reference trajectories
exponent_agreement          ensemble against tangent-map exponents of the same runs
ftle_vs_final_loss          finite-time exponents early in training against the final loss
loss_gap_threshold          the threshold in the widest gap between final loss levels
loss_level_prediction       AUCs of FTLEs and trivial predictors of the loss level, and CV gain
==========================  ===============================================================
"""

from .intermittency import (
                      burst_acf,
                      fundamental_period,
                      kantz_runs,
                      laminar_periods,
                      longest_burst,
)
from .onset import onset_table, positive_exponents, time_to_accuracy
from .orbital import (
                      WINDOW_SEARCHES,
                      eps_table,
                      fitted_phase,
                      orbital_spread,
                      sharpness_summary,
                      small_eps_agreement,
                      window_sensitivity,
)
from .post_training import decay_classification, decay_fits, linearised_distance
from .tangent import (
                      FTLELossResult,
                      exponent_agreement,
                      ftle_vs_final_loss,
                      loss_gap_threshold,
                      loss_level_prediction,
                      tangent_growth,
)

__all__ = [
    "fitted_phase",
    "time_to_accuracy",
    "decay_fits",
    "decay_classification",
    "linearised_distance",
    "fundamental_period",
    "laminar_periods",
    "longest_burst",
    "burst_acf",
    "kantz_runs",
    "orbital_spread",
    "eps_table",
    "small_eps_agreement",
    "window_sensitivity",
    "sharpness_summary",
    "onset_table",
    "positive_exponents",
    "tangent_growth",
    "exponent_agreement",
    "ftle_vs_final_loss",
    "loss_gap_threshold",
    "loss_level_prediction",
    "FTLELossResult",
    "WINDOW_SEARCHES",
]
