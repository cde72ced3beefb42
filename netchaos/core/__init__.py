"""Numba kernels of netchaos: the only compiled code of the package.

Flat ``@njit(cache=True)`` functions over contiguous float64 arrays and integer
codes; no classes, dictionaries or printing. The GD-map and tangent kernels
use ``error_model="numpy"``: a float division cannot raise, so it vectorises
(their divisors are never zero; non-finite values are caught as divergence). The public API in
:mod:`netchaos` validates arguments, seeds, packs trajectories into lane blocks
and calls these kernels. :mod:`netchaos.core.simd` adds a four-wide float64
vector type for the register-tiled passes of :mod:`netchaos.core.dense`;
:mod:`netchaos.core.linalg` holds the Householder QR of the Lyapunov spectra;
:mod:`netchaos.core.wide` the matrix-product passes of wide networks, with
:mod:`netchaos.core.blas`'s accumulating BLAS product.
"""

import warnings

from numba.core.errors import NumbaPerformanceWarning

from ._cache import choose_cache_dir

# the callers of the parallel kernels of core.wide are compiled parallel=True without a
# parallel loop of their own (see there): Numba's note that nothing was parallelised is
# expected for them, and only for kernels of this package
warnings.filterwarnings("ignore", message=r"(?s).*parallel=True.*netchaos[/\\]core[/\\]",
                        category=NumbaPerformanceWarning)

CACHE_DIR = choose_cache_dir()   # before the kernels: a read-only install caches elsewhere

from .elementwise import (  # noqa: E402, F401
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
from .ensemble import eval_blocks, run_block, run_blocks  # noqa: E402, F401
from .tangent import hvp_blocks, hvp_lanes  # noqa: E402, F401
from .wide import hvp_wide, loss_grad_wide  # noqa: E402, F401
