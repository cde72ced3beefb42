"""Four-wide float64 vectors for register-tiled kernels.

The lane kernels hold many trajectories side by side, so most of their work is
``acc += x * w`` on rows of lanes. Written as loops over lanes, each such
product loads and stores its accumulator in memory, and the loads and stores,
not the arithmetic, set the pace. Register tiling keeps a small tile of
accumulators (for instance 4 samples x 12 lanes) in registers while a
reduction runs, so each loaded value feeds several fused multiply-adds.

Numba's loop vectoriser only vectorises the innermost loop and its SLP
vectoriser is off, so the tiles are written with an explicit vector type:
``float64x4`` is LLVM's ``<4 x double>``, a value that lives in a register.
The operations are the LLVM vector instructions: unaligned loads and stores
of four consecutive elements of a 1-D contiguous array, a broadcast, and
element-wise ``fma``/``add``/``mul``. Element-wise, each of them rounds
exactly like its scalar counterpart (``llvm.fma`` rounds once in both
forms), so a tile computes the same bits as the scalar loop it replaces as
long as every accumulator sees its terms in the same order. On hardware
without 256-bit vectors LLVM splits the vectors; the results are the same.

No bounds are checked: callers guarantee ``0 <= off`` and ``off + 4 <= size``.
"""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, models, register_model


class Float64x4(types.Type):
    """Numba type of a vector of four float64 values held in a register."""

    def __init__(self):
        super().__init__(name="float64x4")


float64x4 = Float64x4()
_VEC = ir.VectorType(ir.DoubleType(), 4)


@register_model(Float64x4)
class _Float64x4Model(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, _VEC)


def _vec_ptr(context, builder, arr_type, arr, off):
    ary = context.make_array(arr_type)(context, builder, value=arr)
    return builder.bitcast(builder.gep(ary.data, [off]), _VEC.as_pointer())


def _check_array(arr):
    if not (isinstance(arr, types.Array) and arr.ndim == 1 and arr.layout == "C"
            and arr.dtype == types.float64):
        raise TypeError("float64x4 loads and stores need a 1-D contiguous float64 array")


@intrinsic
def vload(typingctx, arr, off):
    """``arr[off:off+4]`` as a vector."""
    _check_array(arr)
    sig = float64x4(arr, types.intp)

    def codegen(context, builder, signature, args):
        ptr = _vec_ptr(context, builder, signature.args[0], args[0], args[1])
        return builder.load(ptr, align=8)

    return sig, codegen


@intrinsic
def vstore(typingctx, arr, off, v):
    """``arr[off:off+4] = v``."""
    _check_array(arr)
    sig = types.void(arr, types.intp, float64x4)

    def codegen(context, builder, signature, args):
        ptr = _vec_ptr(context, builder, signature.args[0], args[0], args[1])
        builder.store(args[2], ptr, align=8)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def vsplat(typingctx, x):
    """The vector ``(x, x, x, x)``."""
    sig = float64x4(types.float64)

    def codegen(context, builder, signature, args):
        undef = ir.Constant(_VEC, ir.Undefined)
        one = builder.insert_element(undef, args[0], ir.Constant(ir.IntType(32), 0))
        mask = ir.Constant(ir.VectorType(ir.IntType(32), 4), [0, 0, 0, 0])
        return builder.shuffle_vector(one, undef, mask)

    return sig, codegen


@intrinsic
def vfma(typingctx, a, b, c):
    """Element-wise ``a * b + c`` rounded once."""
    sig = float64x4(float64x4, float64x4, float64x4)

    def codegen(context, builder, signature, args):
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(_VEC, [_VEC] * 3), "llvm.fma.v4f64")
        return builder.call(fn, args)

    return sig, codegen


@intrinsic
def vadd(typingctx, a, b):
    """Element-wise ``a + b``."""
    sig = float64x4(float64x4, float64x4)

    def codegen(context, builder, signature, args):
        return builder.fadd(args[0], args[1])

    return sig, codegen


@intrinsic
def vmul(typingctx, a, b):
    """Element-wise ``a * b``."""
    sig = float64x4(float64x4, float64x4)

    def codegen(context, builder, signature, args):
        return builder.fmul(args[0], args[1])

    return sig, codegen
