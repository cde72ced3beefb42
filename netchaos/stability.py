"""Deprecated: the contents of this module now live in one module per quantity.

- :mod:`netchaos.perturbation` — :func:`perturbation_ensemble`, :class:`EnsembleResult`
- :mod:`netchaos.exponents` — :func:`finite_lyapunov`, :func:`network_mle`, ``REASONS``
- :mod:`netchaos.sweeps` — :func:`eps_sweep`, :func:`lr_sweep`, :class:`SweepResult`
- :mod:`netchaos.weights` — :func:`displacement`, :func:`path_length`,
  :func:`ablation_importance`

Every name is also in the flat API (``netchaos.finite_lyapunov``, ...). Importing
``netchaos.stability`` keeps working in this version with a DeprecationWarning.
"""

import warnings

from .exponents import (
           REASONS,
           FiniteLyapunovResult,
           NetworkMLE,
           finite_lyapunov,
           network_mle,
)
from .perturbation import EnsembleResult, perturbation_ensemble
from .sweeps import SweepResult, eps_sweep, lr_sweep
from .weights import ablation_importance, displacement, path_length

__all__ = ["EnsembleResult", "FiniteLyapunovResult", "NetworkMLE", "SweepResult", "REASONS",
           "perturbation_ensemble", "eps_sweep", "lr_sweep", "finite_lyapunov", "network_mle",
           "displacement", "path_length", "ablation_importance"]

warnings.warn("netchaos.stability is deprecated: import from netchaos (or netchaos.perturbation, "
              "netchaos.exponents, netchaos.sweeps, netchaos.weights)", DeprecationWarning,
              stacklevel=2)
