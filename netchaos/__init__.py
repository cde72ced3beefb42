"""netchaos: neural-network training as a dynamical system.

Gradient descent is the map ``theta -> theta - lr * grad L(theta)`` on a flat
parameter vector. netchaos iterates that map fast (Numba), perturbs its initial
conditions, measures how nearby trajectories separate, and studies its tangent
map ``I - lr * H``.
"""

from . import datasets, systems  # noqa: F401
from ._version import __version__
from .bifurcation import BifurcationResult, bifurcation_diagram, feigenbaum_ratios, period_doublings
from .clv import CLVResult, covariant_vectors
from .exponents import FiniteLyapunovResult, NetworkMLE, finite_lyapunov, network_mle
from .hessian import (HessianEigenvalues, SharpnessSeries, hessian_eigenvalues, sharpness,
                      sharpness_series)
from .io import load, save
from .model import MLP
from .perturbation import EnsembleResult, perturbation_ensemble
from .protocols import FTLELossResult, ftle_vs_final_loss
from .spectra import SpectrumResult, lyapunov_spectrum
from .sweeps import SweepResult, eps_sweep, lr_sweep
from .systems import GDMap, Map
from .timeseries import (
    ACFResult,
    KantzResult,
    LaminarLengthStats,
    LaminarResult,
    RosensteinResult,
    acf,
    delay_embed,
    dominant_period,
    kantz,
    laminar_length_stats,
    laminar_phases,
    rosenstein,
)
from .trainability import TrainabilityMap, trainability_map
from .training import TrainResult, train
from .validation import ValidationReport, validate
from .weights import ablation_importance, displacement, path_length

__all__ = [
    "MLP", "TrainResult", "datasets", "train", "GDMap", "Map", "systems",
    "perturbation_ensemble", "eps_sweep", "lr_sweep", "finite_lyapunov", "network_mle",
    "displacement", "path_length", "ablation_importance",
    "EnsembleResult", "FiniteLyapunovResult", "NetworkMLE", "SweepResult",
    "lyapunov_spectrum", "covariant_vectors", "sharpness", "sharpness_series",
    "hessian_eigenvalues", "HessianEigenvalues",
    "ftle_vs_final_loss", "SpectrumResult", "CLVResult", "SharpnessSeries", "FTLELossResult",
    "acf", "kantz", "rosenstein", "laminar_phases", "dominant_period", "laminar_length_stats",
    "delay_embed", "ACFResult", "KantzResult", "RosensteinResult", "LaminarResult",
    "LaminarLengthStats", "validate", "ValidationReport", "save", "load",
    "bifurcation_diagram", "BifurcationResult", "period_doublings", "feigenbaum_ratios",
    "trainability_map", "TrainabilityMap",
    "__version__",
]
