"""Register-tiled dense-layer passes over lane blocks.

The passes of :mod:`netchaos.core.mlp` on blocks whose lane count is a
multiple of 4, with the lane layout described there: flat arrays, parameter
``p`` of lane ``q`` at ``p * L + q``, and for sample ``s`` of a tile the unit
row ``r`` of the activations ``A`` or deltas ``D`` at ``s * rs + r * L``
(``rs = n_rows * L``). Every function keeps a tile of up to twelve
:data:`~netchaos.core.simd.float64x4` accumulators in registers while it runs
one reduction (over inputs, samples or outputs), so that each vector loaded
from memory feeds three or four fused multiply-adds instead of one.

Each accumulator receives its terms in exactly the order of the plain loops
in :mod:`netchaos.core.mlp` (bias first, then inputs in order; gradients in
sample order; deltas over outputs in order, starting with a product), and
each vector operation rounds like its scalar counterpart, so the results are
bitwise those of the plain loops; the tests compare the two.

Tiles: 4 samples x 12 consecutive columns for the first layer (whose input,
the data, is shared by all lanes), 4 samples x 3 units x 4 lanes for the
other layers, 4 inputs x 12 columns and 4 inputs x 3 units x 4 lanes for the
weight gradients, 4 samples x 3 inputs x 4 lanes for the deltas; smaller
tiles cover the remainders.
"""

from numba import njit

from .simd import vadd, vfma, vload, vmul, vsplat, vstore


@njit(cache=True, error_model="numpy")
def first_forward(th, bo, wo, m, nin, X, idx, ns4, A, rs, ao):
    """Pre-activations of a layer fed by the data.

    ``A[s*rs + ao + e] = th[bo + e] + sum_i X[idx[s], i] * th[wo + i*m + e]``
    for ``s < ns4`` (a multiple of 4) and ``e < m`` (a multiple of 4), the sum
    accumulated with fused multiply-adds in the order of ``i``.
    """
    m12 = m - m % 12
    for e in range(0, m12, 12):
        b0 = vload(th, bo + e)
        b1 = vload(th, bo + e + 4)
        b2 = vload(th, bo + e + 8)
        for s in range(0, ns4, 4):
            r0 = idx[s]
            r1 = idx[s + 1]
            r2 = idx[s + 2]
            r3 = idx[s + 3]
            c00 = b0
            c01 = b1
            c02 = b2
            c10 = b0
            c11 = b1
            c12 = b2
            c20 = b0
            c21 = b1
            c22 = b2
            c30 = b0
            c31 = b1
            c32 = b2
            for i in range(nin):
                w = wo + i * m + e
                w0 = vload(th, w)
                w1 = vload(th, w + 4)
                w2 = vload(th, w + 8)
                x = vsplat(X[r0, i])
                c00 = vfma(x, w0, c00)
                c01 = vfma(x, w1, c01)
                c02 = vfma(x, w2, c02)
                x = vsplat(X[r1, i])
                c10 = vfma(x, w0, c10)
                c11 = vfma(x, w1, c11)
                c12 = vfma(x, w2, c12)
                x = vsplat(X[r2, i])
                c20 = vfma(x, w0, c20)
                c21 = vfma(x, w1, c21)
                c22 = vfma(x, w2, c22)
                x = vsplat(X[r3, i])
                c30 = vfma(x, w0, c30)
                c31 = vfma(x, w1, c31)
                c32 = vfma(x, w2, c32)
            o = s * rs + ao + e
            vstore(A, o, c00)
            vstore(A, o + 4, c01)
            vstore(A, o + 8, c02)
            o += rs
            vstore(A, o, c10)
            vstore(A, o + 4, c11)
            vstore(A, o + 8, c12)
            o += rs
            vstore(A, o, c20)
            vstore(A, o + 4, c21)
            vstore(A, o + 8, c22)
            o += rs
            vstore(A, o, c30)
            vstore(A, o + 4, c31)
            vstore(A, o + 8, c32)
    for e in range(m12, m, 4):
        b0 = vload(th, bo + e)
        for s in range(0, ns4, 4):
            r0 = idx[s]
            r1 = idx[s + 1]
            r2 = idx[s + 2]
            r3 = idx[s + 3]
            c0 = b0
            c1 = b0
            c2 = b0
            c3 = b0
            for i in range(nin):
                w0 = vload(th, wo + i * m + e)
                c0 = vfma(vsplat(X[r0, i]), w0, c0)
                c1 = vfma(vsplat(X[r1, i]), w0, c1)
                c2 = vfma(vsplat(X[r2, i]), w0, c2)
                c3 = vfma(vsplat(X[r3, i]), w0, c3)
            o = s * rs + ao + e
            vstore(A, o, c0)
            vstore(A, o + rs, c1)
            vstore(A, o + 2 * rs, c2)
            vstore(A, o + 3 * rs, c3)


@njit(cache=True, error_model="numpy")
def hidden_forward(th, bo, wo, L, nin, nout, A, ns4, rs, ai, ao):
    """Pre-activations of a layer fed by lane rows.

    ``A[s*rs + ao + j*L + q] = th[bo + j*L + q]
    + sum_i A[s*rs + ai + i*L + q] * th[wo + (i*nout + j)*L + q]`` for
    ``s < ns4`` (a multiple of 4), every unit ``j`` and lane ``q`` (``L`` a
    multiple of 4), fused multiply-adds in the order of ``i``.
    """
    n3 = nout - nout % 3
    for s in range(0, ns4, 4):
        s0 = s * rs
        for q in range(0, L, 4):
            for j in range(0, n3, 3):
                b = bo + j * L + q
                b0 = vload(th, b)
                b1 = vload(th, b + L)
                b2 = vload(th, b + 2 * L)
                c00 = b0
                c01 = b1
                c02 = b2
                c10 = b0
                c11 = b1
                c12 = b2
                c20 = b0
                c21 = b1
                c22 = b2
                c30 = b0
                c31 = b1
                c32 = b2
                for i in range(nin):
                    a = s0 + ai + i * L + q
                    w = wo + (i * nout + j) * L + q
                    w0 = vload(th, w)
                    w1 = vload(th, w + L)
                    w2 = vload(th, w + 2 * L)
                    x = vload(A, a)
                    c00 = vfma(x, w0, c00)
                    c01 = vfma(x, w1, c01)
                    c02 = vfma(x, w2, c02)
                    x = vload(A, a + rs)
                    c10 = vfma(x, w0, c10)
                    c11 = vfma(x, w1, c11)
                    c12 = vfma(x, w2, c12)
                    x = vload(A, a + 2 * rs)
                    c20 = vfma(x, w0, c20)
                    c21 = vfma(x, w1, c21)
                    c22 = vfma(x, w2, c22)
                    x = vload(A, a + 3 * rs)
                    c30 = vfma(x, w0, c30)
                    c31 = vfma(x, w1, c31)
                    c32 = vfma(x, w2, c32)
                o = s0 + ao + j * L + q
                vstore(A, o, c00)
                vstore(A, o + L, c01)
                vstore(A, o + 2 * L, c02)
                o += rs
                vstore(A, o, c10)
                vstore(A, o + L, c11)
                vstore(A, o + 2 * L, c12)
                o += rs
                vstore(A, o, c20)
                vstore(A, o + L, c21)
                vstore(A, o + 2 * L, c22)
                o += rs
                vstore(A, o, c30)
                vstore(A, o + L, c31)
                vstore(A, o + 2 * L, c32)
            for j in range(n3, nout):
                b0 = vload(th, bo + j * L + q)
                c0 = b0
                c1 = b0
                c2 = b0
                c3 = b0
                for i in range(nin):
                    a = s0 + ai + i * L + q
                    w0 = vload(th, wo + (i * nout + j) * L + q)
                    c0 = vfma(vload(A, a), w0, c0)
                    c1 = vfma(vload(A, a + rs), w0, c1)
                    c2 = vfma(vload(A, a + 2 * rs), w0, c2)
                    c3 = vfma(vload(A, a + 3 * rs), w0, c3)
                o = s0 + ao + j * L + q
                vstore(A, o, c0)
                vstore(A, o + rs, c1)
                vstore(A, o + 2 * rs, c2)
                vstore(A, o + 3 * rs, c3)


@njit(cache=True, error_model="numpy")
def bias_grad(G, gb, m, D, ns, rs, do):
    """``G[gb + e] += D[s*rs + do + e]`` for ``s < ns`` in order, ``e < m`` (a multiple of 4)."""
    m12 = m - m % 12
    for e in range(0, m12, 12):
        c0 = vload(G, gb + e)
        c1 = vload(G, gb + e + 4)
        c2 = vload(G, gb + e + 8)
        for s in range(ns):
            d = s * rs + do + e
            c0 = vadd(c0, vload(D, d))
            c1 = vadd(c1, vload(D, d + 4))
            c2 = vadd(c2, vload(D, d + 8))
        vstore(G, gb + e, c0)
        vstore(G, gb + e + 4, c1)
        vstore(G, gb + e + 8, c2)
    for e in range(m12, m, 4):
        c0 = vload(G, gb + e)
        for s in range(ns):
            c0 = vadd(c0, vload(D, s * rs + do + e))
        vstore(G, gb + e, c0)


@njit(cache=True, error_model="numpy")
def first_grad(G, wo, m, nin, X, idx, ns, D, rs, do):
    """Weight gradient of a layer fed by the data.

    ``G[wo + i*m + e] += sum_s X[idx[s], i] * D[s*rs + do + e]`` for ``s < ns``,
    fused multiply-adds in sample order; ``m`` a multiple of 4.
    """
    m12 = m - m % 12
    n4 = nin - nin % 4
    for i in range(0, n4, 4):
        for e in range(0, m12, 12):
            g = wo + i * m + e
            c00 = vload(G, g)
            c01 = vload(G, g + 4)
            c02 = vload(G, g + 8)
            c10 = vload(G, g + m)
            c11 = vload(G, g + m + 4)
            c12 = vload(G, g + m + 8)
            c20 = vload(G, g + 2 * m)
            c21 = vload(G, g + 2 * m + 4)
            c22 = vload(G, g + 2 * m + 8)
            c30 = vload(G, g + 3 * m)
            c31 = vload(G, g + 3 * m + 4)
            c32 = vload(G, g + 3 * m + 8)
            for s in range(ns):
                r = idx[s]
                d = s * rs + do + e
                d0 = vload(D, d)
                d1 = vload(D, d + 4)
                d2 = vload(D, d + 8)
                x = vsplat(X[r, i])
                c00 = vfma(x, d0, c00)
                c01 = vfma(x, d1, c01)
                c02 = vfma(x, d2, c02)
                x = vsplat(X[r, i + 1])
                c10 = vfma(x, d0, c10)
                c11 = vfma(x, d1, c11)
                c12 = vfma(x, d2, c12)
                x = vsplat(X[r, i + 2])
                c20 = vfma(x, d0, c20)
                c21 = vfma(x, d1, c21)
                c22 = vfma(x, d2, c22)
                x = vsplat(X[r, i + 3])
                c30 = vfma(x, d0, c30)
                c31 = vfma(x, d1, c31)
                c32 = vfma(x, d2, c32)
            vstore(G, g, c00)
            vstore(G, g + 4, c01)
            vstore(G, g + 8, c02)
            vstore(G, g + m, c10)
            vstore(G, g + m + 4, c11)
            vstore(G, g + m + 8, c12)
            vstore(G, g + 2 * m, c20)
            vstore(G, g + 2 * m + 4, c21)
            vstore(G, g + 2 * m + 8, c22)
            vstore(G, g + 3 * m, c30)
            vstore(G, g + 3 * m + 4, c31)
            vstore(G, g + 3 * m + 8, c32)
        for e in range(m12, m, 4):
            g = wo + i * m + e
            c0 = vload(G, g)
            c1 = vload(G, g + m)
            c2 = vload(G, g + 2 * m)
            c3 = vload(G, g + 3 * m)
            for s in range(ns):
                r = idx[s]
                d0 = vload(D, s * rs + do + e)
                c0 = vfma(vsplat(X[r, i]), d0, c0)
                c1 = vfma(vsplat(X[r, i + 1]), d0, c1)
                c2 = vfma(vsplat(X[r, i + 2]), d0, c2)
                c3 = vfma(vsplat(X[r, i + 3]), d0, c3)
            vstore(G, g, c0)
            vstore(G, g + m, c1)
            vstore(G, g + 2 * m, c2)
            vstore(G, g + 3 * m, c3)
    for i in range(n4, nin):
        for e in range(0, m12, 12):
            g = wo + i * m + e
            c0 = vload(G, g)
            c1 = vload(G, g + 4)
            c2 = vload(G, g + 8)
            for s in range(ns):
                d = s * rs + do + e
                x = vsplat(X[idx[s], i])
                c0 = vfma(x, vload(D, d), c0)
                c1 = vfma(x, vload(D, d + 4), c1)
                c2 = vfma(x, vload(D, d + 8), c2)
            vstore(G, g, c0)
            vstore(G, g + 4, c1)
            vstore(G, g + 8, c2)
        for e in range(m12, m, 4):
            g = wo + i * m + e
            c0 = vload(G, g)
            for s in range(ns):
                c0 = vfma(vsplat(X[idx[s], i]), vload(D, s * rs + do + e), c0)
            vstore(G, g, c0)


@njit(cache=True, error_model="numpy")
def hidden_grad(G, wo, L, nin, nout, A, D, ns, rs, ai, do):
    """Weight gradient of a layer fed by lane rows.

    ``G[wo + (i*nout + j)*L + q] += sum_s A[s*rs + ai + i*L + q] * D[s*rs + do + j*L + q]``
    for ``s < ns``, fused multiply-adds in sample order; ``L`` a multiple of 4.
    """
    n4 = nin - nin % 4
    n3 = nout - nout % 3
    for q in range(0, L, 4):
        for i in range(0, n4, 4):
            for j in range(0, n3, 3):
                g = wo + (i * nout + j) * L + q
                gi = nout * L
                c00 = vload(G, g)
                c01 = vload(G, g + L)
                c02 = vload(G, g + 2 * L)
                c10 = vload(G, g + gi)
                c11 = vload(G, g + gi + L)
                c12 = vload(G, g + gi + 2 * L)
                c20 = vload(G, g + 2 * gi)
                c21 = vload(G, g + 2 * gi + L)
                c22 = vload(G, g + 2 * gi + 2 * L)
                c30 = vload(G, g + 3 * gi)
                c31 = vload(G, g + 3 * gi + L)
                c32 = vload(G, g + 3 * gi + 2 * L)
                for s in range(ns):
                    a = s * rs + ai + i * L + q
                    d = s * rs + do + j * L + q
                    d0 = vload(D, d)
                    d1 = vload(D, d + L)
                    d2 = vload(D, d + 2 * L)
                    x = vload(A, a)
                    c00 = vfma(x, d0, c00)
                    c01 = vfma(x, d1, c01)
                    c02 = vfma(x, d2, c02)
                    x = vload(A, a + L)
                    c10 = vfma(x, d0, c10)
                    c11 = vfma(x, d1, c11)
                    c12 = vfma(x, d2, c12)
                    x = vload(A, a + 2 * L)
                    c20 = vfma(x, d0, c20)
                    c21 = vfma(x, d1, c21)
                    c22 = vfma(x, d2, c22)
                    x = vload(A, a + 3 * L)
                    c30 = vfma(x, d0, c30)
                    c31 = vfma(x, d1, c31)
                    c32 = vfma(x, d2, c32)
                vstore(G, g, c00)
                vstore(G, g + L, c01)
                vstore(G, g + 2 * L, c02)
                vstore(G, g + gi, c10)
                vstore(G, g + gi + L, c11)
                vstore(G, g + gi + 2 * L, c12)
                vstore(G, g + 2 * gi, c20)
                vstore(G, g + 2 * gi + L, c21)
                vstore(G, g + 2 * gi + 2 * L, c22)
                vstore(G, g + 3 * gi, c30)
                vstore(G, g + 3 * gi + L, c31)
                vstore(G, g + 3 * gi + 2 * L, c32)
            for j in range(n3, nout):
                g = wo + (i * nout + j) * L + q
                gi = nout * L
                c0 = vload(G, g)
                c1 = vload(G, g + gi)
                c2 = vload(G, g + 2 * gi)
                c3 = vload(G, g + 3 * gi)
                for s in range(ns):
                    a = s * rs + ai + i * L + q
                    d0 = vload(D, s * rs + do + j * L + q)
                    c0 = vfma(vload(A, a), d0, c0)
                    c1 = vfma(vload(A, a + L), d0, c1)
                    c2 = vfma(vload(A, a + 2 * L), d0, c2)
                    c3 = vfma(vload(A, a + 3 * L), d0, c3)
                vstore(G, g, c0)
                vstore(G, g + gi, c1)
                vstore(G, g + 2 * gi, c2)
                vstore(G, g + 3 * gi, c3)
        for i in range(n4, nin):
            for j in range(0, n3, 3):
                g = wo + (i * nout + j) * L + q
                c0 = vload(G, g)
                c1 = vload(G, g + L)
                c2 = vload(G, g + 2 * L)
                for s in range(ns):
                    x = vload(A, s * rs + ai + i * L + q)
                    d = s * rs + do + j * L + q
                    c0 = vfma(x, vload(D, d), c0)
                    c1 = vfma(x, vload(D, d + L), c1)
                    c2 = vfma(x, vload(D, d + 2 * L), c2)
                vstore(G, g, c0)
                vstore(G, g + L, c1)
                vstore(G, g + 2 * L, c2)
            for j in range(n3, nout):
                g = wo + (i * nout + j) * L + q
                c0 = vload(G, g)
                for s in range(ns):
                    c0 = vfma(vload(A, s * rs + ai + i * L + q),
                              vload(D, s * rs + do + j * L + q), c0)
                vstore(G, g, c0)


@njit(cache=True, error_model="numpy")
def hidden_delta(th, wo, L, nin, nout, D, ns4, rs, di, do):
    """Backpropagate deltas through the weights of a layer (before the activation's derivative).

    ``D[s*rs + di + i*L + q] = sum_j th[wo + (i*nout + j)*L + q] * D[s*rs + do + j*L + q]``
    for ``s < ns4`` (a multiple of 4): the term ``j = 0`` as a product, the
    others added by fused multiply-adds in the order of ``j``.
    """
    n3 = nin - nin % 3
    for s in range(0, ns4, 4):
        s0 = s * rs
        for q in range(0, L, 4):
            for i in range(0, n3, 3):
                w = wo + i * nout * L + q
                wi = nout * L
                d = s0 + do + q
                w0 = vload(th, w)
                w1 = vload(th, w + wi)
                w2 = vload(th, w + 2 * wi)
                x = vload(D, d)
                c00 = vmul(w0, x)
                c01 = vmul(w1, x)
                c02 = vmul(w2, x)
                x = vload(D, d + rs)
                c10 = vmul(w0, x)
                c11 = vmul(w1, x)
                c12 = vmul(w2, x)
                x = vload(D, d + 2 * rs)
                c20 = vmul(w0, x)
                c21 = vmul(w1, x)
                c22 = vmul(w2, x)
                x = vload(D, d + 3 * rs)
                c30 = vmul(w0, x)
                c31 = vmul(w1, x)
                c32 = vmul(w2, x)
                for j in range(1, nout):
                    w = wo + (i * nout + j) * L + q
                    d = s0 + do + j * L + q
                    w0 = vload(th, w)
                    w1 = vload(th, w + wi)
                    w2 = vload(th, w + 2 * wi)
                    x = vload(D, d)
                    c00 = vfma(w0, x, c00)
                    c01 = vfma(w1, x, c01)
                    c02 = vfma(w2, x, c02)
                    x = vload(D, d + rs)
                    c10 = vfma(w0, x, c10)
                    c11 = vfma(w1, x, c11)
                    c12 = vfma(w2, x, c12)
                    x = vload(D, d + 2 * rs)
                    c20 = vfma(w0, x, c20)
                    c21 = vfma(w1, x, c21)
                    c22 = vfma(w2, x, c22)
                    x = vload(D, d + 3 * rs)
                    c30 = vfma(w0, x, c30)
                    c31 = vfma(w1, x, c31)
                    c32 = vfma(w2, x, c32)
                o = s0 + di + i * L + q
                vstore(D, o, c00)
                vstore(D, o + L, c01)
                vstore(D, o + 2 * L, c02)
                o += rs
                vstore(D, o, c10)
                vstore(D, o + L, c11)
                vstore(D, o + 2 * L, c12)
                o += rs
                vstore(D, o, c20)
                vstore(D, o + L, c21)
                vstore(D, o + 2 * L, c22)
                o += rs
                vstore(D, o, c30)
                vstore(D, o + L, c31)
                vstore(D, o + 2 * L, c32)
            for i in range(n3, nin):
                w0 = vload(th, wo + i * nout * L + q)
                d = s0 + do + q
                c0 = vmul(w0, vload(D, d))
                c1 = vmul(w0, vload(D, d + rs))
                c2 = vmul(w0, vload(D, d + 2 * rs))
                c3 = vmul(w0, vload(D, d + 3 * rs))
                for j in range(1, nout):
                    w0 = vload(th, wo + (i * nout + j) * L + q)
                    d = s0 + do + j * L + q
                    c0 = vfma(w0, vload(D, d), c0)
                    c1 = vfma(w0, vload(D, d + rs), c1)
                    c2 = vfma(w0, vload(D, d + 2 * rs), c2)
                    c3 = vfma(w0, vload(D, d + 3 * rs), c3)
                o = s0 + di + i * L + q
                vstore(D, o, c0)
                vstore(D, o + rs, c1)
                vstore(D, o + 2 * rs, c2)
                vstore(D, o + 3 * rs, c3)
