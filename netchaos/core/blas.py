"""A BLAS matrix product that accumulates into part of an array, callable from kernels.

Inside Numba kernels ``np.dot(a, b, out)`` overwrites ``out``. A gradient summed over
chunks of samples then needs a product into scratch and a second pass adding it in,
and for wide layers that pass and the zeroing of the scratch cost as much memory
traffic as the product itself. :func:`dgemm` is the level-3 BLAS call with its
``beta``: ``C = alpha * op(A) @ op(B) + beta * C`` on row-major blocks at element
offsets of contiguous arrays, through the same BLAS entry point (SciPy's, which Numba
uses for ``np.dot``), so the product of a column is the same sum as in ``np.dot``.
"""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

_CHAR = ir.IntType(8)
_VOIDP = ir.IntType(8).as_pointer()


def _check(arr, name):
    if not (isinstance(arr, types.Array) and arr.layout == "C"
            and arr.dtype == types.float64):
        raise TypeError(f"dgemm: {name} must be a C-contiguous float64 array")


@intrinsic
def dgemm(typingctx, trans_a, trans_b, m, n, k, alpha, A, a_off, lda, B, b_off, ldb, beta, C,
          c_off, ldc):
    """``C = alpha * op(A) @ op(B) + beta * C`` for row-major blocks.

    ``op(A)`` is (m, k): the block of ``A`` at element ``a_off`` with row stride ``lda``,
    stored (m, k), or (k, m) and transposed when ``trans_a``; the same for ``B`` (k, n).
    ``C`` is (m, n) at ``c_off`` with row stride ``ldc``. No bounds are checked: the
    caller guarantees that the blocks lie inside their arrays. ``beta == 0`` ignores the
    old contents of ``C``.
    """
    from numba.np.linalg import ensure_blas

    ensure_blas()
    for arr, name in ((A, "A"), (B, "B"), (C, "C")):
        _check(arr, name)
    sig = types.void(types.boolean, types.boolean, types.intp, types.intp, types.intp,
                     types.float64, A, types.intp, types.intp, B, types.intp, types.intp,
                     types.float64, C, types.intp, types.intp)

    def codegen(context, builder, signature, args):
        (ta, tb, m_, n_, k_, al, a, ao, la, b, bo, lb, be, c, co, lc) = args
        intp = context.get_value_type(types.intp)
        fnty = ir.FunctionType(ir.IntType(32), [_CHAR, _CHAR, _CHAR, intp, intp, intp,
                                                _VOIDP, _VOIDP, intp, _VOIDP, intp, _VOIDP,
                                                _VOIDP, intp])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "numba_xxgemm")

        def ptr(ty, val, off):
            ary = context.make_array(ty)(context, builder, value=val)
            return builder.bitcast(builder.gep(ary.data, [off]), _VOIDP)

        def flag(t):
            return builder.select(t, ir.Constant(_CHAR, ord("t")), ir.Constant(_CHAR, ord("n")))

        alpha_p = cgutils.alloca_once_value(builder, al)
        beta_p = cgutils.alloca_once_value(builder, be)
        tys = signature.args
        # column-major BLAS sees a row-major matrix as its transpose: C^T = op(B)^T op(A)^T
        builder.call(fn, (ir.Constant(_CHAR, ord("d")), flag(tb), flag(ta), n_, m_, k_,
                          builder.bitcast(alpha_p, _VOIDP), ptr(tys[9], b, bo), lb,
                          ptr(tys[6], a, ao), la, builder.bitcast(beta_p, _VOIDP),
                          ptr(tys[13], c, co), lc))
        return context.get_dummy_value()

    return sig, codegen
