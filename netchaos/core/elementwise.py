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
The maximum error is about 1 ulp over the float64 range (tested against
``numpy.exp``).
"""

import math

from numba import njit

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


@njit(cache=True, inline="always")
def _reduce(x):
    """Clamp, split ``x = n ln2 + r``; returns (r, t) with t holding n in its low bits."""
    # comparisons written so that NaN passes through unchanged
    if x > _X_MAX:
        x = _X_MAX
    if x < _X_MIN:
        x = _X_MIN
    t = x * _LOG2E + _ROUND
    n = t - _ROUND
    r = (x - n * _LN2_HI) - n * _LN2_LO
    return r, t


@njit(cache=True, inline="always")
def _expm1_poly(r):
    """expm1(r) for |r| <= ln2/2 + tiny: Taylor polynomial of degree 13.

    Evaluated with Estrin's scheme: the dependency chain is about 8 operations
    deep instead of 26 for Horner, which matters without fused multiply-add.
    """
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    a0 = _C2 + _C3 * r
    a1 = _C4 + _C5 * r
    a2 = _C6 + _C7 * r
    a3 = _C8 + _C9 * r
    a4 = _C10 + _C11 * r
    a5 = _C12 + _C13 * r
    b0 = a0 + a1 * r2
    b1 = a2 + a3 * r2
    b2 = a4 + a5 * r2
    p = (b0 + b1 * r4) + b2 * r8
    return r + r2 * p


@njit(cache=True, inline="always")
def _scale_bits(tf, ti, n):
    """Turn the rounded values held in ``tf[:n]`` into ``2**k`` in place (``ti`` is its int64 view)."""
    for q in range(n):
        ti[q] = (ti[q] + 1023) << 52


@njit(cache=True)
def exp_row(src, dst, tf, ti):
    """``dst[:] = exp(src[:])`` for 1-D contiguous rows (clamped to [-708, 709]).

    ``tf`` is a float64 scratch row of the same length and ``ti`` its int64 view.
    ``src`` and ``dst`` may be the same array, but distinct arrays vectorise
    (an in-place call fails LLVM's runtime overlap check and runs scalar).
    """
    n = src.shape[0]
    for q in range(n):
        r, t = _reduce(src[q])
        tf[q] = t
        dst[q] = 1.0 + _expm1_poly(r)
    _scale_bits(tf, ti, n)
    for q in range(n):
        dst[q] = dst[q] * tf[q]


@njit(cache=True)
def expm1_row(src, dst, tf, ti):
    """``dst[:] = expm1(src[:])``, accurate near 0 (same clamping as :func:`exp_row`)."""
    n = src.shape[0]
    for q in range(n):
        r, t = _reduce(src[q])
        tf[q] = t
        dst[q] = _expm1_poly(r)
    _scale_bits(tf, ti, n)
    for q in range(n):
        s = tf[q]
        dst[q] = s * dst[q] + (s - 1.0)


@njit(cache=True)
def activate_row(code, z, tf, ti, sg, s2):
    """Apply hidden activation ``code`` to the 1-D contiguous array ``z`` in place.

    ``tf``/``ti`` are the float64 scratch array and its int64 view used by
    :func:`exp_row`; ``sg`` and ``s2`` are float64 scratch arrays (all at least
    as long as ``z``, distinct from it and from each other). NaN propagates.
    """
    n = z.shape[0]
    if code == ACT_SIGMOID:
        for q in range(n):
            sg[q] = -z[q]
        exp_row(sg, z, tf, ti)
        for q in range(n):
            z[q] = 1.0 / (1.0 + z[q])
    elif code == ACT_TANH:
        # tanh|x| = e / (e + 2) with e = expm1(2|x|): no cancellation near 0
        for q in range(n):
            sg[q] = 2.0 * abs(z[q])
        expm1_row(sg, s2, tf, ti)
        for q in range(n):
            e = s2[q]
            z[q] = math.copysign(e / (e + 2.0), z[q])
    elif code == ACT_RELU:
        for q in range(n):
            v = z[q]
            z[q] = v if not (v <= 0.0) else 0.0
    # ACT_LINEAR: identity


@njit(cache=True, inline="always")
def dact(code, a):
    """Derivative of the activation expressed through its output ``a``."""
    if code == ACT_SIGMOID:
        return a * (1.0 - a)
    elif code == ACT_TANH:
        return 1.0 - a * a
    elif code == ACT_RELU:
        return 1.0 if a > 0.0 else 0.0
    return 1.0


@njit(cache=True, inline="always")
def d2act(code, a, da):
    """Second derivative of the activation through its output ``a`` and first derivative ``da``."""
    if code == ACT_SIGMOID:
        return da * (1.0 - 2.0 * a)
    elif code == ACT_TANH:
        return -2.0 * a * da
    return 0.0
