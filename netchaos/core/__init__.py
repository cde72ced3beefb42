"""Numba kernels of netchaos: the only compiled code of the package.

Flat ``@njit(cache=True)`` functions over contiguous float64 arrays and integer
codes; no classes, dictionaries or printing. The GD-map and tangent kernels
use ``error_model="numpy"``: a float division cannot raise, so it vectorises
(their divisors are never zero; non-finite values are caught as divergence). The public API in
:mod:`netchaos` validates arguments, seeds, packs trajectories into lane blocks
and calls these kernels. :mod:`netchaos.core.simd` adds a four-wide float64
vector type for the register-tiled passes of :mod:`netchaos.core.dense`;
:mod:`netchaos.core.linalg` holds the Householder QR of the Lyapunov spectra.
"""

from .elementwise import (  # noqa: F401
    ACT_LINEAR,
    ACT_RELU,
    ACT_SIGMOID,
    ACT_TANH,
    LOSS_CROSS_ENTROPY,
    LOSS_MSE,
    activate_row,
    exp_row,
    expm1_row,
)
from .ensemble import eval_blocks, run_block, run_blocks  # noqa: F401
from .tangent import hvp_blocks, hvp_lanes  # noqa: F401
