"""One BLAS thread inside the numerical loops whose results must not depend on thread settings.

Threaded BLAS (OpenBLAS, MKL) splits long dot products and matrix-vector products between its
threads, and the partial sums then add up in another order: the last bits of a result change
with ``OPENBLAS_NUM_THREADS``. Where netchaos calls BLAS on vectors long enough to be split
(Gram-Schmidt of a few tangent vectors of a large network, Lanczos iterations), it runs that
code with BLAS limited to one thread, so the bits are those of the single-threaded library
whatever the process's setting. Problems too small for BLAS to thread are left alone (no
overhead).
"""

import contextlib

__all__ = ["one_blas_thread"]

#: below this many multiply-adds per call OpenBLAS never splits a level-1/2 operation
_THREADED_WORK = 2304

_controller = None


def one_blas_thread(work):
    """A context in which BLAS runs on one thread when ``work`` (elements per BLAS call) is
    large enough for it to thread; a no-op context otherwise or without threadpoolctl."""
    global _controller
    if work < _THREADED_WORK:
        return contextlib.nullcontext()
    try:
        if _controller is None:
            import scipy.linalg.cython_blas  # noqa: F401 - the BLAS the kernels call, loaded first
            from threadpoolctl import ThreadpoolController

            _controller = ThreadpoolController()
        return _controller.limit(limits=1, user_api="blas")
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return contextlib.nullcontext()
