"""Vectorisable elementwise functions on lane rows.

The ensemble kernels hold many trajectories side by side: an array of shape
``(n_rows, n_lanes)`` whose contiguous last axis runs over trajectories (or
over tangent directions). Every elementwise operation is then a loop over
lanes with no cross-lane dependence, which LLVM turns into SIMD code.

``math.exp`` is a call into libm and stops that vectorisation, so this module
implements ``exp`` and ``expm1`` from arithmetic and integer bit operations
only: Cody-Waite range reduction ``x = n ln2 + r`` with ``|r| <= ln2 / 2``,
a degree-13 Taylor polynomial for ``expm1(r)`` and the scale ``2**n`` built
in the exponent field of a float64. No fast-math flag is used, so a lane
computes the same bits whether it lands in a vector or a scalar remainder
loop, and the result of a trajectory does not depend on its neighbours.
Products followed by sums use :func:`fma` (one rounding, like ``math.fma``)
rather than a fast-math contraction: the result is exact and does not depend
on the compiler's choices. The maximum error is about 1 ulp over the float64
range (tested against ``numpy.exp``).
"""

import math

from llvmlite import ir
from numba import njit, types, uint64
from numba.core.extending import intrinsic

# integer codes shared by kernels and the Python API
ACT_SIGMOID = 0
ACT_TANH = 1
ACT_RELU = 2
ACT_LINEAR = 3
LOSS_CROSS_ENTROPY = 0
LOSS_MSE = 1

_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 with the low 32 bits of the mantissa zero
_LN2_LO = 1.90821492927058770002e-10  # ln 2 - _LN2_HI
_ROUND = 6755399441055744.0  # 1.5 * 2**52: adding it rounds to an integer in the low bits
_X_MAX = 709.0  # exp(709) < DBL_MAX
_X_MIN = -708.0  # exp(-708) > DBL_MIN (normal)

# 1/k! for k = 2 .. 13
_C2 = 1.0 / 2.0
_C3 = 1.0 / 6.0
_C4 = 1.0 / 24.0
_C5 = 1.0 / 120.0
_C6 = 1.0 / 720.0
_C7 = 1.0 / 5040.0
_C8 = 1.0 / 40320.0
_C9 = 1.0 / 362880.0
_C10 = 1.0 / 3628800.0
_C11 = 1.0 / 39916800.0
_C12 = 1.0 / 479001600.0
_C13 = 1.0 / 6227020800.0


@intrinsic
def fma(typingctx, a, b, c):
    """``a * b + c`` rounded once (LLVM's ``llvm.fma``): exact, and the same in vector and scalar code."""
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        d = ir.DoubleType()
        fn = builder.module.declare_intrinsic("llvm.fma", [d], ir.FunctionType(d, [d, d, d]))
        return builder.call(fn, args)

    return sig, codegen


@njit(cache=True, error_model="numpy", inline="always")
def _reduce(x):
    """Clamp, split ``x = n ln2 + r``; returns (r, t) with t holding n in its low bits."""
    # comparisons written so that NaN passes through unchanged
    if x > _X_MAX:
        x = _X_MAX
    if x < _X_MIN:
        x = _X_MIN
    t = fma(x, _LOG2E, _ROUND)
    n = t - _ROUND
    r = fma(-n, _LN2_LO, fma(-n, _LN2_HI, x))
    return r, t


@njit(cache=True, error_model="numpy", inline="always")
def _expm1_poly(r):
    """expm1(r) for |r| <= ln2/2 + tiny: Taylor polynomial of degree 13.

    Evaluated with Estrin's scheme: the dependency chain is about 8 operations
    deep instead of 26 for Horner, which matters without fused multiply-add.
    """
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    a0 = fma(_C3, r, _C2)
    a1 = fma(_C5, r, _C4)
    a2 = fma(_C7, r, _C6)
    a3 = fma(_C9, r, _C8)
    a4 = fma(_C11, r, _C10)
    a5 = fma(_C13, r, _C12)
    b0 = fma(a1, r2, a0)
    b1 = fma(a3, r2, a2)
    b2 = fma(a5, r2, a4)
    p = fma(b2, r8, fma(b1, r4, b0))
    return fma(r2, p, r)


@njit(cache=True, error_model="numpy", inline="always")
def _scale_bits(tf, ti, n):
    """Turn the rounded values held in ``tf[:n]`` into ``2**k`` in place (``ti`` is its int64 view)."""
    for q in range(n):
        ti[q] = (ti[q] + 1023) << 52


@njit(cache=True, error_model="numpy")
def exp_seg(src, so, dst, do, n, tf, ti):
    """``dst[do:do+n] = exp(src[so:so+n])`` on flat arrays (arguments clamped to [-708, 709]).

    ``tf`` is a float64 scratch array of length >= n and ``ti`` its int64 view.
    Distinct ``src`` and ``dst`` arrays vectorise; an in-place call fails
    LLVM's runtime overlap check and runs scalar.
    """
    so = uint64(so)
    do = uint64(do)
    for q in range(n):
        u = uint64(q)
        r, t = _reduce(src[so + u])
        tf[q] = t
        dst[do + u] = 1.0 + _expm1_poly(r)
    _scale_bits(tf, ti, n)
    for q in range(n):
        u = uint64(q)
        dst[do + u] = dst[do + u] * tf[q]


@njit(cache=True, error_model="numpy")
def expm1_seg(src, so, dst, do, n, tf, ti):
    """``dst[do:do+n] = expm1(src[so:so+n])``, accurate near 0 (clamped like :func:`exp_seg`)."""
    so = uint64(so)
    do = uint64(do)
    for q in range(n):
        u = uint64(q)
        r, t = _reduce(src[so + u])
        tf[q] = t
        dst[do + u] = _expm1_poly(r)
    _scale_bits(tf, ti, n)
    for q in range(n):
        u = uint64(q)
        s = tf[q]
        dst[do + u] = fma(s, dst[do + u], s - 1.0)


@njit(cache=True, error_model="numpy")
def exp_row(src, dst, tf, ti):
    """``dst[:] = exp(src[:])`` for 1-D arrays (see :func:`exp_seg`)."""
    exp_seg(src, 0, dst, 0, src.shape[0], tf, ti)


@njit(cache=True, error_model="numpy")
def expm1_row(src, dst, tf, ti):
    """``dst[:] = expm1(src[:])`` for 1-D arrays (see :func:`expm1_seg`)."""
    expm1_seg(src, 0, dst, 0, src.shape[0], tf, ti)


@njit(cache=True, error_model="numpy")
def activate_seg(code, z, zo, n, tf, ti, s2):
    """Apply hidden activation ``code`` to ``z[zo:zo+n]`` in place.

    Sigmoid is ``1 / (1 + exp(-z))``; tanh is ``e / (e + 2)`` with
    ``e = expm1(2|z|)`` and the sign of ``z``, free of cancellation near 0.
    The exponential is the same computation as :func:`exp_seg` and
    :func:`expm1_seg`, fused into three sweeps over the data. ``tf``/``ti`` are
    a float64 scratch array and its int64 view, ``s2`` a float64 scratch
    array (all of length >= n and distinct from ``z``). NaN propagates.
    """
    zo = uint64(zo)
    if code == ACT_SIGMOID:
        # three sweeps: reduce + polynomial, exponent bits, combine
        for q in range(n):
            r, t = _reduce(-z[zo + uint64(q)])
            tf[q] = t
            s2[q] = 1.0 + _expm1_poly(r)
        _scale_bits(tf, ti, n)
        for q in range(n):
            z[zo + uint64(q)] = 1.0 / fma(s2[q], tf[q], 1.0)
    elif code == ACT_TANH:
        for q in range(n):
            r, t = _reduce(2.0 * abs(z[zo + uint64(q)]))
            tf[q] = t
            s2[q] = _expm1_poly(r)
        _scale_bits(tf, ti, n)
        for q in range(n):
            u = uint64(q)
            sc = tf[q]
            e = fma(sc, s2[q], sc - 1.0)
            z[zo + u] = math.copysign(e / (e + 2.0), z[zo + u])
    elif code == ACT_RELU:
        for q in range(n):
            u = uint64(q)
            v = z[zo + u]
            z[zo + u] = v if not (v <= 0.0) else 0.0
    # ACT_LINEAR: identity


@njit(cache=True, error_model="numpy")
def activate_row(code, z, tf, ti, s2):
    """:func:`activate_seg` on a whole 1-D array."""
    activate_seg(code, z, 0, z.shape[0], tf, ti, s2)


@njit(cache=True, error_model="numpy", inline="always")
def dact(code, a):
    """Derivative of the activation expressed through its output ``a``."""
    if code == ACT_SIGMOID:
        return a * (1.0 - a)
    elif code == ACT_TANH:
        return 1.0 - a * a
    elif code == ACT_RELU:
        return 1.0 if a > 0.0 else 0.0
    return 1.0


@njit(cache=True, error_model="numpy", inline="always")
def d2act(code, a, da):
    """Second derivative of the activation through its output ``a`` and first derivative ``da``."""
    if code == ACT_SIGMOID:
        return da * (1.0 - 2.0 * a)
    elif code == ACT_TANH:
        return -2.0 * a * da
    return 0.0
