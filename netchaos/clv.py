"""Covariant Lyapunov vectors of gradient descent, or of any smooth map (Ginelli et al.).

References
----------
.. [1] F. Ginelli, P. Poggi, A. Turchi, H. Chaté, R. Livi, A. Politi,
   "Characterizing dynamics with covariant Lyapunov vectors", Phys. Rev. Lett.
   99, 130601 (2007).
.. [2] N. Sharafi, C. Martin, S. Hallerberg, "Weight dynamics of learning networks",
   Phys. Rev. E 111, 054208 (2025); arXiv:2405.00743.
"""

import warnings
from dataclasses import dataclass

import numpy as np

from ._qr import block_ends, check_k, forward, run_qr
from ._results import Result, fmt_list
from ._validate import check_int, check_positive, rng_from
from .systems import bind

__all__ = ["CLVResult", "N_FORWARD", "covariant_vectors", "principal_angle"]

#: Default forward transient of :func:`covariant_vectors`, in iterations (measured: see its Notes).
N_FORWARD = 500


def principal_angle(a, b):
    """Smallest principal angle between the column spans of ``a`` and ``b``.

    Parameters
    ----------
    a : array_like of shape (n,) or (n, p)
        A vector or ``p`` linearly independent columns.
    b : array_like of shape (n,) or (n, q)
        A vector or ``q`` linearly independent columns.

    Returns
    -------
    float
        The angle in radians, in ``[0, pi/2]``: 0 when the spans share a
        direction; for a vector ``a`` the angle between ``a`` and its
        orthogonal projection on ``span(b)``.

    Raises
    ------
    ValueError
        When the shapes differ in ``n`` or a column set is rank deficient.

    Notes
    -----
    Orthonormal bases ``Q_a``, ``Q_b`` by QR; the cosines of the principal
    angles are the singular values of ``Q_a^T Q_b`` (Björck & Golub [1]_), and
    the smallest angle belongs to the largest one. Near 0 the arccos loses
    accuracy (about 1e-8 rad in float64); the angles of interest here are
    degrees.

    References
    ----------
    .. [1] Å. Björck, G. H. Golub, "Numerical methods for computing angles
       between linear subspaces", Math. Comp. 27, 579-594 (1973).

    Examples
    --------
    >>> import numpy as np
    >>> from netchaos.clv import principal_angle
    >>> b = np.array([[1.0, 1.0], [1.0, 1.0], [0.0, 1.0]])   # span{(1, 1, 0), (0, 0, 1)}
    >>> round(float(np.degrees(principal_angle([1.0, 0.0, 0.0], b))), 6)
    45.0
    """
    qa = _orthonormal(a, "a")
    qb = _orthonormal(b, "b")
    if qa.shape[0] != qb.shape[0]:
        raise ValueError(f"a has {qa.shape[0]} rows but b has {qb.shape[0]}")
    s = np.linalg.svd(qa.T @ qb, compute_uv=False)
    return float(np.arccos(np.clip(s.max(), 0.0, 1.0)))


def _orthonormal(a, name):
    a = np.asarray(a, dtype=float)
    a = a[:, None] if a.ndim == 1 else a
    if a.ndim != 2 or a.shape[1] == 0 or not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be a finite vector or a non-empty 2-D array of columns")
    q, r = np.linalg.qr(a)
    d = np.abs(np.diagonal(r))
    if d.min() <= 1e-12 * max(d.max(), np.finfo(float).tiny):
        raise ValueError(f"the columns of {name} are linearly dependent")
    return q


def _subspace_errors(Q, Q2, k_check):
    """Sine of the largest principal angle between the spans of the first j columns, j = 1..k_check."""
    err = np.empty(k_check)
    for j in range(1, k_check + 1):
        s = np.linalg.svd(Q[:, :j].T @ Q2[:, :j], compute_uv=False)
        err[j - 1] = np.sqrt(max(0.0, 1.0 - float(s.min()) ** 2))
    return err


def _forward_check(system, k, n_fwd, renorm, rng, Q_start, tol):
    """forward_error of a transient that led to Q_start; warns above tol."""
    k_check = min(k, system.n - 1)
    if k_check == 0:
        return np.zeros(0)
    if n_fwd == 0:
        err = np.ones(k_check)
    else:
        Q0, _ = np.linalg.qr(rng.standard_normal((system.n, k)))
        again = run_qr(system, system.x0, Q0, block_ends(n_fwd, renorm), 0, None)
        if again["diverged_at"] >= 0:
            return np.full(k_check, np.nan)
        err = _subspace_errors(Q_start, again["Q"], k_check)
    bad = np.flatnonzero(err > tol)
    if bad.size:
        warnings.warn(f"covariant_vectors: the forward transient (n_forward={n_fwd}) has not "
                      f"converged the leading subspaces of vectors {bad[0] + 1}..{k_check}: two "
                      f"random starts disagree by up to {float(err.max()):.2g} (sine of an angle; "
                      f"tol {tol:g}). Give a longer n_forward, or ask for fewer vectors if their "
                      f"exponents are (nearly) degenerate.", RuntimeWarning, stacklevel=3)
    return err


@dataclass(repr=False)
class CLVResult(Result):
    """Covariant Lyapunov vectors along a stretch of trajectory.

    Attributes
    ----------
    vectors : ndarray of shape (n_times, n, k)
        ``vectors[i, :, j]`` is the unit covariant vector ``j`` (ordered like the
        exponents) at iteration ``times[i]``; its sign is arbitrary. NaN when
        the run diverged.
    exponents : ndarray of shape (k,)
        Lyapunov exponents of the QR method over the window.
    local : ndarray of shape (n_times - 1, k)
        Local growth rates of the covariant vectors: ``local[i, j]`` is
        ``ln ||J v_j||`` over the block from ``times[i]`` to ``times[i + 1]``,
        divided by the block length. Their time average (:attr:`clv_exponents`)
        also estimates the exponents.
    times : int ndarray of shape (n_times,)
        Iterations from the initial condition (transient included).
    steps, n_forward, n_backward, renorm : int
    lr : float or None
    diverged : bool
    diverged_at : int
    x : ndarray of shape (n,)
        State at the end of the forward pass.
    forward_error : ndarray of shape (min(k, n - 1),)
        Convergence of the forward transient: ``forward_error[j - 1]`` is the
        sine of the largest principal angle between the spans of the first
        ``j`` orthonormal vectors at the start of the window reached from two
        independent random starts (0: converged; about 1: not at all). NaN
        when the check was not run (``check=False``, or a divergence).

    Examples
    --------
    For ``x -> A x`` the covariant vectors are the eigenvectors ``(1, 0)`` and
    ``(1, -1.5)`` of ``A``, at an angle ``arccos(1 / sqrt(3.25))``:

    >>> import numpy as np
    >>> import netchaos as nc
    >>> A = np.array([[2.0, 1.0], [0.0, 0.5]])
    >>> res = nc.covariant_vectors(step=lambda x: A @ x, jacobian=lambda x: A,
    ...                            x0=[0.0, 0.0], steps=10, n_forward=50, seed=0)
    >>> res.vectors.shape, res.times[:3].tolist()
    ((11, 2, 2), [50, 51, 52])
    >>> round(float(res.angles(0, 1)[0]), 3), np.round(res.clv_exponents, 3)
    (0.983, array([ 0.693, -0.693]))
    """

    vectors: np.ndarray
    exponents: np.ndarray
    local: np.ndarray
    times: np.ndarray
    steps: int
    n_forward: int
    n_backward: int
    renorm: int
    lr: float
    diverged: bool
    diverged_at: int
    x: np.ndarray
    forward_error: np.ndarray = None

    def __post_init__(self):
        if self.forward_error is None and self.vectors is not None:   # saved before the check
            self.forward_error = np.full(min(self.vectors.shape[2], self.vectors.shape[1] - 1),
                                         np.nan)

    @property
    def clv_exponents(self):
        """Time averages of :attr:`local` weighted by block length, shape (k,)."""
        lengths = np.diff(self.times).astype(float)
        if lengths.size == 0:
            return np.full(self.local.shape[1], np.nan)
        return (self.local * lengths[:, None]).sum(axis=0) / lengths.sum()

    def angles(self, i=0, j=1):
        """Angle between covariant vectors ``i`` and ``j`` at every stored time.

        Parameters
        ----------
        i, j : int
            Column indices of the vectors, ``0 <= i, j < k``.

        Returns
        -------
        ndarray of shape (n_times,)
            ``arccos |<v_i, v_j>|`` in radians, in ``[0, pi/2]`` (the vectors
            have no sign). Between an expanding and a contracting vector
            small angles are near-tangencies; between two vectors whose
            exponents are (nearly) equal they say nothing about hyperbolicity
            (use :meth:`angle_to_span` with the contracting subspace).
        """
        k = self.vectors.shape[2]
        i = check_int(i, "i", minimum=0, maximum=k - 1)
        j = check_int(j, "j", minimum=0, maximum=k - 1)
        vi = self.vectors[:, :, i]
        vj = self.vectors[:, :, j]
        cos = np.abs(np.einsum("tn,tn->t", vi, vj))
        cos /= np.linalg.norm(vi, axis=1) * np.linalg.norm(vj, axis=1)
        return np.arccos(np.clip(cos, 0.0, 1.0))

    def angle_to_span(self, i=0, columns=None):
        """Angle between covariant vector ``i`` and the span of other covariant vectors.

        Parameters
        ----------
        i : int, default 0
            Column of the vector, ``0 <= i < k``.
        columns : sequence of int
            Columns spanning the subspace, e.g. the vectors with negative
            exponents (the contracting subspace); ``i`` must not be among them.

        Returns
        -------
        ndarray of shape (n_times,)
            :func:`principal_angle` between ``v_i`` and the span at every stored
            time, radians in ``[0, pi/2]``; NaN when the run diverged. A small
            angle between the expanding vector and the contracting subspace is
            a near-tangency of the two (hyperbolicity is lost when it reaches 0).

        Examples
        --------
        The eigenvectors (1, 0, 0), (1, -1, 0) and (0, 0, 1) of a linear map: the
        first makes 45 degrees with the span of the other two.

        >>> import numpy as np
        >>> import netchaos as nc
        >>> A = np.array([[2.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.5]])
        >>> res = nc.covariant_vectors(step=lambda x: A @ x, jacobian=lambda x: A,
        ...                            x0=np.zeros(3), steps=5, n_forward=60, n_backward=60,
        ...                            seed=0)
        >>> np.round(np.degrees(res.angle_to_span(0, [1, 2])), 6)
        array([45., 45., 45., 45., 45., 45.])
        """
        k = self.vectors.shape[2]
        i = check_int(i, "i", minimum=0, maximum=k - 1)
        if columns is None:
            raise ValueError("columns is required: the covariant vectors spanning the subspace")
        cols = [check_int(c, "columns", minimum=0, maximum=k - 1) for c in columns]
        if not cols or i in cols:
            raise ValueError(f"columns must be a non-empty set of columns other than i = {i}")
        if self.diverged:
            return np.full(self.vectors.shape[0], np.nan)
        return np.array([principal_angle(V[:, i], V[:, cols]) for V in self.vectors])

    def __repr__(self):
        n_times, n, k = self.vectors.shape
        state = f"diverged at step {self.diverged_at}" if self.diverged else "ok"
        return (f"CLVResult({n_times} times x {k} vectors in R^{n}, {state}, "
                f"exponents={fmt_list(self.exponents)})")


def covariant_vectors(model=None, data=None, theta=None, lr=None, steps=None, k=None, *,
                      step=None, jacobian=None, x0=None, n_forward=None, n_backward=None,
                      transient=None, renorm=1, seed=None, progress=False, check=True,
                      tol=1e-3):
    """Covariant Lyapunov vectors by the forward-backward method of Ginelli et al.

    Parameters
    ----------
    model, data, theta, lr, step, jacobian, x0 :
        The map, exactly as in :func:`lyapunov_spectrum` (network mode or
        generic mode).
    steps : int
        Length of the window (iterations) over which the vectors are returned,
        >= 1.
    k : int, optional
        Number of leading covariant vectors, ``1 <= k <= n``; default all.
    n_forward : int, optional
        Forward transient: iterations before the window during which the
        orthonormal vectors converge to the backward Lyapunov vectors; not
        accumulated. Default :data:`N_FORWARD` = 500 (see Notes).
        ``transient`` is accepted as a synonym.
    n_backward : int, optional
        Iterations after the window, run forward to store the triangular
        factors and used by the backward pass as its own transient so that the
        coefficient matrices converge before the window is reached. Default
        ``steps``.
    transient : int, optional
        Synonym of ``n_forward`` (give one or the other).
    renorm : int, default 1
        QR every ``renorm`` iterations; the vectors are returned at the QR times.
    seed : int, numpy.random.Generator or None
        Draws the initial orthonormal vectors and the initial upper-triangular
        coefficient matrix of the backward pass.
    progress : bool, default False
        Progress bar for the forward pass (tqdm.auto).
    check : bool, default True
        Check that the forward transient converged: run it a second time from
        an independent random start (the transient's cost once more) and
        compare (``forward_error``); warn when the leading subspaces disagree
        by more than ``tol``.
    tol : float, default 1e-3
        Largest ``forward_error`` accepted without a warning.

    Returns
    -------
    CLVResult
        ``vectors`` of shape (n_times, n, k) at ``times`` (n_times,) =
        ``n_forward + [0, renorm, 2 renorm, ..., steps]``, the window's
        exponents, the local growth rates of each vector, and an ``angles``
        helper, and ``forward_error``.

    Warns
    -----
    RuntimeWarning
        When ``check`` finds an unconverged forward transient: the vectors at
        the start of the window are then not yet the covariant ones.

    Notes
    -----
    Forward pass: the QR method of :func:`lyapunov_spectrum` over
    ``n_forward + steps + n_backward`` iterations stores the orthonormal
    ``Q_b`` (within the window) and the triangular factors ``R_b``, with
    ``J^(b) Q_b = Q_{b+1} R_{b+1}``. The covariant vectors are
    ``V_b = Q_b C_b`` with ``C_b`` upper triangular: vector ``j`` lies in the
    span of the first ``j`` backward Lyapunov vectors [2]_. Backward pass:
    from a random upper-triangular ``C`` at the end, iterate
    ``C_b = R_{b+1}^{-1} C_{b+1}`` (a triangular solve) and normalise the
    columns. Since ``R^{-1}`` contracts most along the slowest direction, the
    columns converge to the covariant directions during the ``n_backward``
    iterations [2]_. The column norms removed at each backward step give the
    growth ``||J v_j|| = 1 / d_j`` of each covariant vector over the block
    (``local``); their time averages tend to the Lyapunov exponents. The
    preprint of Sharafi et al. [3]_ proposed watching such vectors along
    training; their use as predictors is not tested here.

    Covariant vectors need no symmetry: for a linear map ``x -> A x`` they are
    the eigenvectors of ``A`` (ordered by ``|eigenvalue|``), whereas the
    orthonormal Q vectors are their Gram-Schmidt orthogonalisation.

    The forward transient converges like ``exp(-(lambda_j - lambda_{j+1}) t)``
    for the span of the first j vectors, so no fixed length suits every map.
    The default of 500 iterations was measured: on the Iris 4-10-3 GD map at
    lr = 1 the spans of the first one and two vectors reached from two random
    starts agree to rounding after 200 and 500 iterations; a linear map with
    eigenvalue ratio 0.9 between neighbours needs about 65 iterations per
    decade, 200 for ``tol`` = 1e-3. On the linear map with
    ``A = [[1.5, 1, 0.5], [0, 1.1, 1], [0, 0, 0.6]]`` the first two vectors at
    the start of the window are off their eigenvectors by ``1 - |cos|`` =
    0.90 and 0.94 without a transient, 0.013 and 7e-4 after 5 iterations,
    and by rounding only after 500. Where
    exponents are (nearly) degenerate, as the many near-zero exponents of a
    network's GD map, the corresponding vectors are not unique and never
    converge: the check warns about them whatever the transient.

    A divergence of the forward pass (non-finite state or tangent vectors) or
    an exactly singular triangular factor sets ``diverged`` and makes every
    vector and exponent NaN; no exception is raised.

    References
    ----------
    .. [1] G. Benettin, L. Galgani, A. Giorgilli, J.-M. Strelcyn, Meccanica 15,
       9-20 (1980).
    .. [2] F. Ginelli, P. Poggi, A. Turchi, H. Chaté, R. Livi, A. Politi, Phys.
       Rev. Lett. 99, 130601 (2007).
    .. [3] N. Sharafi, C. Martin, S. Hallerberg, "On the weight dynamics of
       learning networks", arXiv:2405.00743 (2024); published as "Weight
       dynamics of learning networks", Phys. Rev. E 111, 054208 (2025).

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> A = np.array([[2.0, 1.0], [0.0, 0.5]])
    >>> res = nc.covariant_vectors(step=lambda x: A @ x, jacobian=lambda x: A,
    ...                            x0=[0.0, 0.0], steps=10, n_forward=50, seed=0)
    >>> v = res.vectors[0, :, 1]
    >>> np.round(np.abs(v / v[0]), 6)   # eigenvector (1, -1.5) of eigenvalue 0.5
    array([1. , 1.5])
    """
    system = bind(model, data, theta, lr, step, jacobian, x0)
    if steps is None:
        raise ValueError("steps is required (window length in iterations, >= 1)")
    steps = check_int(steps, "steps", minimum=1)
    k = check_k(k, system.n)
    if n_forward is not None and transient is not None:
        raise ValueError("give n_forward or its synonym transient, not both")
    n_fwd = n_forward if n_forward is not None else transient
    n_fwd = N_FORWARD if n_fwd is None else check_int(
        n_fwd, "n_forward" if n_forward is not None else "transient", minimum=0)
    n_bwd = steps if n_backward is None else check_int(n_backward, "n_backward", minimum=0)
    renorm = check_int(renorm, "renorm", minimum=1)
    if not isinstance(check, (bool, np.bool_)):
        raise TypeError(f"check must be True or False, got {type(check).__name__}")
    tol = check_positive(tol, "tol")
    rng = rng_from(seed)

    win_blocks = -(-steps // renorm)
    out = forward(system, k, steps, n_fwd, renorm, rng, progress, keep_q=True, extra=n_bwd)
    n = system.n
    lengths_all = out["lengths"]
    lengths_win = lengths_all[:win_blocks]
    times = n_fwd + np.concatenate([[0], np.cumsum(lengths_win)]).astype(np.int64)
    n_times = win_blocks + 1
    logs_win = out["logs"][:win_blocks]
    diverged_at = int(out["diverged_at"])

    def nan_result(at):
        return CLVResult(vectors=np.full((n_times, n, k), np.nan), exponents=np.full(k, np.nan),
                         local=np.full((n_times - 1, k), np.nan), times=times, steps=steps,
                         n_forward=n_fwd, n_backward=n_bwd, renorm=renorm, lr=system.lr,
                         diverged=True, diverged_at=at, x=out["x"])

    if diverged_at >= 0:
        return nan_result(diverged_at)
    R_hist = out["R_hist"]
    Q_hist = out["Q_hist"]
    if any(np.any(np.diagonal(R) <= 0) for R in R_hist):
        # a tangent direction was annihilated exactly: R is singular
        return nan_result(n_fwd)

    C = np.triu(rng.standard_normal((k, k)))
    C[np.diag_indices(k)] = np.abs(C.diagonal()) + 0.5
    C /= np.linalg.norm(C, axis=0)
    if check:
        err = _forward_check(system, k, n_fwd, renorm, rng, Q_hist[0], tol)
    else:
        err = np.full(min(k, n - 1), np.nan)
    vectors = np.empty((n_times, n, k))
    local = np.empty((n_times - 1, k))
    n_all = len(R_hist)
    if n_all == win_blocks:
        vectors[win_blocks] = Q_hist[win_blocks] @ C
    for b in range(n_all - 1, -1, -1):
        # R_hist[b] links Q_hist[b] to Q_hist[b + 1]
        # R is upper triangular with a positive diagonal: LU needs no pivoting
        # and the solve is the back substitution; C stays upper triangular
        C = np.triu(np.linalg.solve(R_hist[b], C))
        d = np.linalg.norm(C, axis=0)
        C /= d
        if b < win_blocks:
            local[b] = -np.log(d) / lengths_all[b]
            vectors[b] = Q_hist[b] @ C
        elif b == win_blocks:
            vectors[b] = Q_hist[b] @ C
    times_cum = np.cumsum(lengths_win)
    exponents = logs_win.sum(axis=0) / times_cum[-1]
    return CLVResult(vectors=vectors, exponents=exponents, local=local, times=times,
                     steps=steps, n_forward=n_fwd, n_backward=n_bwd, renorm=renorm,
                     lr=system.lr, diverged=False, diverged_at=-1, x=out["x"],
                     forward_error=err)
