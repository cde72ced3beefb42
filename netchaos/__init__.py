"""netchaos: neural-network training as a dynamical system.

Gradient descent is the map ``theta -> theta - lr * grad L(theta)`` on a flat
parameter vector. netchaos iterates that map fast (Numba), perturbs its initial
conditions, measures how nearby trajectories separate, and studies its tangent
map ``I - lr * H``.
"""

from . import datasets  # noqa: F401
from .model import MLP  # noqa: F401
from .training import TrainResult, train  # noqa: F401

__version__ = "0.1.0"

__all__ = ["MLP", "TrainResult", "datasets", "train", "__version__"]
