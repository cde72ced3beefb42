"""Kernels for delay-embedding statistics of scalar series (Kantz stretching sums).

Delay vectors are never materialised: a vector is addressed by the position a
of its first sample, ``s_a = (x[a], x[a + delay], ..., x[a + (dim - 1) delay])``.
Neighbours are found with the box-assisted search of TISEAN: a square grid of
side ``eps`` over the first and the last coordinate, wrapped modulo
``n_boxes`` in each direction, with one linked list of points per box
(``heads[box]`` is the first point, ``nxt[point]`` the next one, -1 ends a list).
"""

import numpy as np
from numba import njit


@njit(cache=True)
def _box_index(v, vmin, eps, n_boxes):
    k = (v - vmin) / eps
    if k > 1e15:
        k = 1e15
    return int(k) % n_boxes


@njit(cache=True)
def fill_boxes(x, dim, delay, n_use, eps, heads, nxt):
    """Sort the delay vectors 0 .. n_use - 1 into the wrapped grid of side ``eps``.

    Parameters
    ----------
    x : float64 array of shape (n,)
    dim, delay, n_use : int
        ``n_use + (dim - 1) * delay <= n``.
    eps : float
        Box side, > 0 (the largest search radius).
    heads : int64 array of shape (n_boxes, n_boxes), overwritten
    nxt : int64 array of shape (n_use,), overwritten
    """
    n_boxes = heads.shape[0]
    span = (dim - 1) * delay
    vmin = x[0]
    for i in range(x.shape[0]):
        if x[i] < vmin:
            vmin = x[i]
    for b0 in range(n_boxes):
        for b1 in range(n_boxes):
            heads[b0, b1] = -1
    for i in range(n_use):
        b0 = _box_index(x[i], vmin, eps, n_boxes)
        b1 = _box_index(x[i + span], vmin, eps, n_boxes)
        nxt[i] = heads[b0, b1]
        heads[b0, b1] = i


@njit(cache=True)
def _max_dist(x, a, b, dim, delay):
    d0 = 0.0
    for k in range(dim):
        d = abs(x[a + k * delay] - x[b + k * delay])
        if d > d0:
            d0 = d
    return d0


@njit(cache=True)
def count_neighbours(x, dim, delay, eps, theiler, heads, nxt, points, out):
    """Number of delay vectors within max-norm ``eps`` of each of ``points`` (``|i - j| > theiler``).

    ``heads``/``nxt`` come from :func:`fill_boxes` with the same ``eps``;
    ``out`` (int64, shape (n_points,)) is overwritten.
    """
    n_boxes = heads.shape[0]
    span = (dim - 1) * delay
    vmin = x[0]
    for i in range(x.shape[0]):
        if x[i] < vmin:
            vmin = x[i]
    for p in range(points.shape[0]):
        i = points[p]
        k0 = _box_index(x[i], vmin, eps, n_boxes)
        k1 = _box_index(x[i + span], vmin, eps, n_boxes)
        c = 0
        for d0 in range(-1, 2):
            for d1 in range(-1, 2):
                j = heads[(k0 + d0 + n_boxes) % n_boxes, (k1 + d1 + n_boxes) % n_boxes]
                while j >= 0:
                    if abs(i - j) > theiler and _max_dist(x, i, j, dim, delay) <= eps:
                        c += 1
                    j = nxt[j]
        out[p] = c


@njit(cache=True)
def kantz_sums(x, dim, delay, eps, theiler, offsets, last_only, tiny, heads, nxt, refs,
               total, n_valid, n_ref, rejected):
    """Kantz's stretching sums over the reference points ``refs``.

    For a reference point i, ``U_e(i)`` are the j with ``|i - j| > theiler``
    and max-norm distance ``tiny < |s_i - s_j| <= eps[e]`` (pairs at or below
    ``tiny`` are rounding-level copies and never seed a curve). For every
    radius with a non-empty ``U_e(i)``, ``n_ref[e]`` counts i once, and for
    every time offset ``o = offsets[k]`` the mean of the non-zero distances
    ``dist(i, j, o)``, j in ``U_e(i)``, enters as
    ``total[e, k] += ln(mean)``, ``n_valid[e, k] += 1`` (offsets at which every
    distance is exactly zero are skipped). ``dist`` is the Euclidean distance
    of the delay vectors ``s_{i+o}``, ``s_{j+o}``, or with ``last_only`` the
    distance of their last coordinates.

    Parameters
    ----------
    x : float64 array of shape (n,)
    dim, delay, theiler : int
    eps : float64 array of shape (n_eps,), ascending
    offsets : int64 array of shape (n_t,), ascending, >= 0
    last_only : bool
    tiny : float
        Rounding-level distance, >= 0.
    heads, nxt : int64 arrays
        Grid of side ``eps[-1]`` from :func:`fill_boxes`, over the vectors
        0 .. n_use - 1 with ``n_use + (dim - 1) * delay + offsets[-1] <= n``.
    refs : int64 array of shape (n_refs,)
    total : float64 array of shape (n_eps, n_t), updated in place
    n_valid : int64 array of shape (n_eps, n_t), updated in place
    n_ref : int64 array of shape (n_eps,), updated in place
    rejected : int64 array of shape (2,), updated in place
        Pairs within ``eps[-1]`` left out: ``[0]`` inside the Theiler window,
        ``[1]`` at rounding-level distance.
    """
    n_boxes = heads.shape[0]
    n_eps = eps.shape[0]
    n_t = offsets.shape[0]
    span = (dim - 1) * delay
    eps_max = eps[n_eps - 1]
    vmin = x[0]
    for i in range(x.shape[0]):
        if x[i] < vmin:
            vmin = x[i]
    sums = np.zeros((n_eps, n_t))
    nonzero = np.zeros((n_eps, n_t), dtype=np.int64)
    counts = np.zeros(n_eps, dtype=np.int64)
    acc = np.zeros(n_t)
    acc_n = np.zeros(n_t, dtype=np.int64)
    for p in range(refs.shape[0]):
        i = refs[p]
        sums[:, :] = 0.0
        nonzero[:, :] = 0
        counts[:] = 0
        k0 = _box_index(x[i], vmin, eps_max, n_boxes)
        k1 = _box_index(x[i + span], vmin, eps_max, n_boxes)
        for d0 in range(-1, 2):
            for d1 in range(-1, 2):
                j = heads[(k0 + d0 + n_boxes) % n_boxes, (k1 + d1 + n_boxes) % n_boxes]
                while j >= 0:
                    dd = _max_dist(x, i, j, dim, delay)
                    if dd <= eps_max:
                        if abs(i - j) <= theiler:
                            if i != j:
                                rejected[0] += 1
                        elif dd <= tiny:
                            rejected[1] += 1
                        else:
                            e = 0
                            while dd > eps[e]:
                                e += 1
                            counts[e] += 1
                            for k in range(n_t):
                                t = offsets[k]
                                if last_only:
                                    dist = abs(x[i + t + span] - x[j + t + span])
                                else:
                                    s = 0.0
                                    for q in range(dim):
                                        d = x[i + t + q * delay] - x[j + t + q * delay]
                                        s += d * d
                                    dist = np.sqrt(s)
                                if dist > 0.0:
                                    sums[e, k] += dist
                                    nonzero[e, k] += 1
                    j = nxt[j]
        # neighbours within eps[e] are those of the bins 0 .. e
        c = 0
        for k in range(n_t):
            acc[k] = 0.0
            acc_n[k] = 0
        for e in range(n_eps):
            c += counts[e]
            for k in range(n_t):
                acc[k] += sums[e, k]
                acc_n[k] += nonzero[e, k]
            if c == 0:
                continue
            n_ref[e] += 1
            for k in range(n_t):
                if acc_n[k] > 0:
                    total[e, k] += np.log(acc[k] / acc_n[k])
                    n_valid[e, k] += 1
