"""The QR (Benettin) engine shared by the Lyapunov spectrum and the covariant vectors.

A map with its initial state (:class:`netchaos.systems.BoundMap`) is iterated while a block
of tangent vectors is carried along and re-orthonormalised by a Householder QR every
``renorm`` iterations; the logarithms of the diagonal of R are what the exponents average.
"""

import numpy as np

from ._blas import one_blas_thread
from ._progress import progress_bar
from ._validate import check_int
from .core.linalg import householder_qr

__all__ = ["check_k", "qr_positive", "block_ends", "run_qr", "forward"]


def check_k(k, n, name="k"):
    if k is None:
        return n
    return check_int(k, name, minimum=1, maximum=n)


def householder_qr_rowmajor(M):
    """Reduced Householder QR (:func:`netchaos.core.linalg.householder_qr`, on the
    row-major array, no LAPACK call overhead); numpy for non-finite or wide input."""
    n, k = M.shape
    if k > n or not np.isfinite(M).all():
        return np.linalg.qr(M)
    return householder_qr(np.ascontiguousarray(M, dtype=np.float64))


def qr_positive(M):
    """Reduced QR of M (n, k) with a non-negative diagonal of R; also ``ln R_ii``.

    Householder QR (:func:`householder_qr_rowmajor`) in general; for a few
    columns, Gram-Schmidt with one full re-orthogonalisation ("twice is
    enough"), orthogonal to working precision for any numerically full-rank M
    and cheaper still on tiny matrices.
    """
    n, k = M.shape
    if k == 1:
        r = np.sqrt(M[:, 0] @ M[:, 0])
        if r > 0:
            return M / r, np.array([[r]]), np.array([np.log(r)])
    elif k <= 4:
        Q = np.empty_like(M)
        R = np.zeros((k, k))
        for j in range(k):
            v = M[:, j].copy()
            if j:
                P = Q[:, :j]
                c = P.T @ v
                v -= P @ c
                c2 = P.T @ v
                v -= P @ c2
                R[:j, j] = c + c2
            r = np.sqrt(v @ v)
            if not r > 0:       # rank deficient (or NaN): let Householder handle it
                break
            R[j, j] = r
            Q[:, j] = v / r
        else:
            return Q, R, np.log(R.diagonal())
    Q, R = householder_qr_rowmajor(M)
    d = R.diagonal().copy()
    neg = d < 0
    if neg.any():
        s = np.where(neg, -1.0, 1.0)
        Q *= s
        R *= s[:, None]
    return Q, R, np.log(np.abs(d))


def block_ends(n_iter, renorm, splits=()):
    """Iteration counts (1..n_iter) after which a QR step is taken.

    Every ``renorm`` iterations, at the end, and at the extra ``splits``.
    """
    ends = set(range(renorm, n_iter + 1, renorm))
    ends.add(n_iter)
    ends.update(s for s in splits if 0 < s < n_iter)
    ends.discard(0)
    return np.array(sorted(ends), dtype=np.int64)


def run_qr(system, x, Q, ends, t_offset, bar, keep_q=False, keep_q_blocks=None):
    """Iterate the map ``ends[-1]`` times carrying Q, with a QR step after ``ends[b]`` iterations.

    Returns a dict with the final (or last finite) state and vectors, the
    per-block ``ln R_ii`` (n_blocks, k), block lengths, optional histories and
    the divergence step (global, offset by ``t_offset``; -1 if none).
    """
    k = Q.shape[1]
    n_blocks = ends.size
    n_iter = int(ends[-1]) if n_blocks else 0
    logs = np.full((n_blocks, k), np.nan)
    lengths = np.diff(np.concatenate([[0], ends])).astype(np.int64)
    if keep_q_blocks is None:
        keep_q_blocks = n_blocks
    Q_hist = [Q.copy()] if keep_q else None
    R_hist = [] if keep_q else None
    diverged_at = -1
    tick = max(1, (n_iter + t_offset) // 200) if bar is not None else 0
    pending = 0
    M = Q
    block = 0
    next_end = int(ends[0]) if n_blocks else -1
    Q_good, x_good = Q, x
    if (system.fused is not None and not keep_q and k > 4 and n_iter > 0
            and np.all(lengths == 1) and np.isfinite(Q).all()):
        # a QR after every step: whole chunks of steps in one kernel call, the
        # same arithmetic as the loop below
        x = np.array(x, dtype=np.float64)
        Qc = np.array(Q, dtype=np.float64, order="C")
        absdiag = np.empty((n_iter, k))
        chunk = tick if bar is not None else n_iter
        t = 0
        with np.errstate(divide="ignore"):
            while t < n_iter:
                n = min(chunk, n_iter - t)
                done = system.fused(x, Qc, n, absdiag[t:])
                logs[t:t + done] = np.log(absdiag[t:t + done])
                if bar is not None:
                    bar.update(done)
                t += done
                if done < n:
                    diverged_at = t_offset + t + 1
                    break
        return dict(x=x, Q=Qc, logs=logs, lengths=lengths, diverged_at=diverged_at,
                    Q_hist=None, R_hist=None, n_blocks=n_blocks)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for t in range(n_iter):
            if system.both is not None:
                x_new, M = system.both(x, M)
            else:
                M = system.tangent(x, M)
                x_new = system.advance(x)
            if not np.isfinite(x_new).all():
                diverged_at = t_offset + t + 1
                break
            x = x_new
            if t + 1 == next_end:
                if not np.isfinite(M).all():
                    diverged_at = t_offset + t + 1
                    break
                Qn, R, ld = qr_positive(M)
                if not np.all(ld < np.inf):             # NaN or +inf
                    diverged_at = t_offset + t + 1
                    break
                logs[block] = ld
                if keep_q:
                    if block < keep_q_blocks:
                        Q_hist.append(Qn)
                    R_hist.append(R)
                M = Qn
                Q_good, x_good = Qn, x
                block += 1
                next_end = int(ends[block]) if block < n_blocks else -1
            if bar is not None:
                pending += 1
                if pending >= tick:
                    bar.update(pending)
                    pending = 0
    if bar is not None and pending:
        bar.update(pending)
    if diverged_at < 0:
        Q_good, x_good = M, x
    return dict(x=x_good, Q=Q_good, logs=logs, lengths=lengths, diverged_at=diverged_at,
                Q_hist=Q_hist, R_hist=R_hist, n_blocks=n_blocks)


def forward(system, k, steps, transient, renorm, rng, progress, keep_q=False, extra=0):
    """Transient, then ``steps`` accumulated iterations (+ ``extra`` further ones).

    The blocks of the accumulation phase end every ``renorm`` iterations and
    also exactly at ``steps``.
    """
    n = system.n
    with one_blas_thread(n * k):
        return _forward(system, n, k, steps, transient, renorm, rng, progress, keep_q, extra)


def _forward(system, n, k, steps, transient, renorm, rng, progress, keep_q, extra):
    Q0, _ = np.linalg.qr(rng.standard_normal((n, k)))
    x = system.x0
    total = transient + steps + extra
    ends = block_ends(steps + extra, renorm, splits=(steps,))
    keep_q_blocks = int(np.searchsorted(ends, steps) + 1)
    bar = progress_bar(progress, total, f"Lyapunov ({system.label}, k={k})", unit="step")
    try:
        if not np.isfinite(x).all():
            pre = dict(x=x, Q=Q0, diverged_at=0)
        elif transient:
            pre = run_qr(system, x, Q0, block_ends(transient, renorm), 0, bar)
        else:
            pre = dict(x=x, Q=Q0, diverged_at=-1)
        if pre["diverged_at"] >= 0:
            lengths = np.diff(np.concatenate([[0], ends])).astype(np.int64)
            return dict(x=pre["x"], Q=pre["Q"], logs=np.full((ends.size, k), np.nan),
                        lengths=lengths, diverged_at=pre["diverged_at"],
                        Q_hist=None, R_hist=None, n_blocks=ends.size)
        return run_qr(system, pre["x"], pre["Q"], ends, transient, bar,
                       keep_q=keep_q, keep_q_blocks=keep_q_blocks)
    finally:
        if bar is not None:
            bar.close()
