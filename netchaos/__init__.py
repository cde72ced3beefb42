"""netchaos: neural-network training as a dynamical system.

Gradient descent is the map ``theta -> theta - lr * grad L(theta)`` on a flat
parameter vector. netchaos iterates that map fast (Numba), perturbs its initial
conditions, measures how nearby trajectories separate, and studies its tangent
map ``I - lr * H``.
"""

from . import datasets  # noqa: F401
from .io import load, save
from .model import MLP
from .spectra import (
    CLVResult,
    FTLELossResult,
    SharpnessSeries,
    SpectrumResult,
    covariant_vectors,
    ftle_vs_final_loss,
    lyapunov_spectrum,
    sharpness,
    sharpness_series,
)
from .stability import (
    EnsembleResult,
    FiniteLyapunovResult,
    NetworkMLE,
    SweepResult,
    ablation_importance,
    displacement,
    eps_sweep,
    finite_lyapunov,
    lr_sweep,
    network_mle,
    path_length,
    perturbation_ensemble,
)
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
from .training import TrainResult, train
from .validation import ValidationReport, validate

__version__ = "0.1.0"

__all__ = [
    "MLP", "TrainResult", "datasets", "train",
    "perturbation_ensemble", "eps_sweep", "lr_sweep", "finite_lyapunov", "network_mle",
    "displacement", "path_length", "ablation_importance",
    "EnsembleResult", "FiniteLyapunovResult", "NetworkMLE", "SweepResult",
    "lyapunov_spectrum", "covariant_vectors", "sharpness", "sharpness_series",
    "ftle_vs_final_loss", "SpectrumResult", "CLVResult", "SharpnessSeries", "FTLELossResult",
    "acf", "kantz", "rosenstein", "laminar_phases", "dominant_period", "laminar_length_stats",
    "delay_embed", "ACFResult", "KantzResult", "RosensteinResult", "LaminarResult",
    "LaminarLengthStats", "validate", "ValidationReport", "save", "load",
    "__version__",
]
