"""The Hessian of the loss along training: sharpness and its evolution.

- :func:`sharpness` -- the top Hessian eigenvalue(s) from Hessian-vector
  products only (Lanczos or power iteration) [2]_;
- :func:`hessian_eigenvalues` -- the top-k and the most negative eigenvalues by Lanczos,
  of the whole Hessian and of its diagonal blocks (per layer), with a convergence report;
- :func:`sharpness_series` -- their evolution along training against the
  ``2 / lr`` edge-of-stability threshold [1]_: on a quadratic, ``lr h = 2`` is the
  flip (period-doubling) bifurcation of the GD fixed point.

References
----------
.. [1] J. Cohen, S. Kaur, Y. Li, J. Z. Kolter, A. Talwalkar, "Gradient descent on
   neural networks typically occurs at the edge of stability", ICLR (2021).
.. [2] C. Lanczos, "An iteration method for the solution of the eigenvalue
   problem of linear differential and integral operators", J. Res. Natl. Bur.
   Stand. 45, 255-282 (1950).
"""

import warnings
from dataclasses import dataclass

import numpy as np

from ._blas import one_blas_thread
from ._progress import progress_bar
from ._results import Result, renamed_field
from ._validate import (
    check_int,
    check_model,
    check_model_data,
    check_positive,
    check_theta,
    rng_from,
    split_data,
)
from .training import train

__all__ = ["SharpnessSeries", "HessianEigenvalues", "sharpness", "sharpness_series",
           "hessian_eigenvalues"]


@dataclass(repr=False)
class SharpnessSeries(Result):
    """Top Hessian eigenvalue(s) along a gradient-descent trajectory.

    Attributes
    ----------
    t : int ndarray of shape (n_rec,)
        Training steps at which the sharpness was measured.
    sharpness : ndarray of shape (n_rec,) or (n_rec, k)
        Largest Hessian eigenvalue (``k=1``) or the ``k`` largest, descending;
        NaN after a divergence.
    loss : ndarray of shape (n_rec,)
        Training loss at those steps.
    lr : float
    threshold : float
        ``2 / lr``: gradient descent on a quadratic with curvature above it
        diverges; the edge of stability is sharpness hovering at it (Cohen et
        al., ICLR 2021).
    diverged : bool
        Whether the trajectory diverged.
    diverged_at : int
        First step with a non-finite state or loss; -1 if never.

    Examples
    --------
    >>> import netchaos as nc
    >>> model = nc.MLP([4, 3, 3])
    >>> s = nc.sharpness_series(model, nc.datasets.iris(), model.init(seed=0), lr=1.0,
    ...                         steps=20, every=5, seed=0)
    >>> s.t.tolist(), s.threshold, s.sharpness.shape
    ([0, 5, 10, 15, 20], 2.0, (5,))
    """

    t: np.ndarray
    sharpness: np.ndarray
    loss: np.ndarray
    lr: float
    threshold: float
    diverged: bool
    diverged_at: int

    @property
    def top(self):
        """The leading eigenvalue at every recorded step, shape (n_rec,)."""
        return self.sharpness if self.sharpness.ndim == 1 else self.sharpness[:, 0]

    @property
    def first_crossing(self):
        """First recorded step whose sharpness reaches ``2 / lr``; -1 if none."""
        above = np.nonzero(self.top >= self.threshold)[0]
        return int(self.t[above[0]]) if above.size else -1

    def __repr__(self):
        top = self.top
        finite = top[np.isfinite(top)]
        peak = f"{finite.max():.4g}" if finite.size else "nan"
        return (f"SharpnessSeries({self.t.size} points up to step "
                f"{int(self.t[-1]) if self.t.size else 0}, lr={self.lr:g}, "
                f"2/lr={self.threshold:.4g}, max sharpness={peak}, "
                f"first crossing={self.first_crossing})")


_METHODS = ("lanczos", "power")


def _subspace_iteration(matvec, n, b, shift, tol, maxiter, rng, want):
    """Block power iteration on ``H - shift I`` with Rayleigh-Ritz on H.

    Returns the ``want`` largest Ritz values of H (descending), the number of
    iterations and whether the residuals met the tolerance.
    """
    V, _ = np.linalg.qr(rng.standard_normal((n, b)))
    theta = np.full(want, np.nan)
    for it in range(1, maxiter + 1):
        W = matvec(V)                                   # H V
        T = V.T @ W
        T = 0.5 * (T + T.T)
        vals, S = np.linalg.eigh(T)
        order = np.argsort(vals)[::-1]
        vals, S = vals[order], S[:, order]
        theta = vals[:want]
        U = V @ S[:, :want]
        resid = W @ S[:, :want] - U * theta
        scale = max(np.max(np.abs(vals)), np.finfo(float).tiny)
        if np.all(np.linalg.norm(resid, axis=0) <= tol * scale):
            return theta, it, True
        V, _ = np.linalg.qr(W - shift * V)
    return theta, maxiter, False


def _power_top(matvec, n, k, tol, maxiter, rng):
    """Top-k algebraic eigenvalues of a symmetric operator by (shifted) power iterations."""
    # 1. dominant eigenvalue in magnitude (signed Rayleigh quotient)
    v = rng.standard_normal(n)
    v /= np.linalg.norm(v)
    mu, converged = 0.0, False
    for _ in range(min(maxiter, 500)):
        w = matvec(v[:, None])[:, 0]
        mu = float(v @ w)
        r = np.linalg.norm(w - mu * v)
        nw = np.linalg.norm(w)
        if nw == 0.0:
            return np.zeros(k), True                    # H = 0 along the Krylov space
        if r <= tol * abs(mu):
            converged = True
            break
        v = w / nw
    if k == 1 and mu >= 0 and converged:
        return np.array([mu]), True
    # 2. shift below the spectrum so that the top algebraic eigenvalues dominate
    if not converged:
        # no clear dominant eigenvalue (e.g. lambda_max close to -lambda_min):
        # -||H v|| ~ -spectral radius lies below the whole spectrum
        shift = -1.1 * float(np.linalg.norm(w))
    elif mu < 0:
        shift = mu                                      # mu is the smallest eigenvalue
    else:
        # H - mu I is negative semi-definite; its dominant eigenvalue is lambda_min - mu
        shift = _smallest_ritz(matvec, n, mu, rng, min(maxiter, 300))
    b = min(n, k + max(2, k))
    vals, _, ok = _subspace_iteration(matvec, n, b, shift, tol, maxiter, rng, k)
    return vals, ok


def _smallest_ritz(matvec, n, mu, rng, maxiter):
    """A shift at or below the smallest eigenvalue, for ``mu >= lambda_max``.

    Power iteration on ``H - mu I`` (negative semi-definite, dominant eigenvalue
    ``lambda_min - mu``). Its Rayleigh quotient ``nu`` never goes below
    ``lambda_min - mu``, so a loose estimate is pushed 5 % further out; only a
    shift below (or close to) the spectrum is needed, not an accurate value.
    """
    v = rng.standard_normal(n)
    v /= np.linalg.norm(v)
    nu = 0.0
    for _ in range(maxiter):
        w = matvec(v[:, None])[:, 0] - mu * v
        nu_new = float(v @ w)
        nw = np.linalg.norm(w)
        if nw == 0.0:
            break
        v = w / nw
        done = abs(nu_new - nu) <= 1e-3 * abs(nu_new)
        nu = nu_new
        if done:
            break
    return mu + 1.05 * nu - 1e-12 * max(abs(mu), 1.0)


def sharpness(model, theta, X, y, method="lanczos", k=1, tol=1e-10, maxiter=None, seed=None):
    """Largest Hessian eigenvalue(s) of the loss from Hessian-vector products.

    Parameters
    ----------
    model : MLP
    theta : ndarray of shape (n_params,)
    X : ndarray of shape (n_samples, n_inputs)
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
    method : {"lanczos", "power"}
        ``"lanczos"``: implicitly restarted Lanczos (ARPACK through
        ``scipy.sparse.linalg.eigsh``) on a LinearOperator wrapping
        ``model.hvp``. ``"power"``: (shifted) block power iteration with
        Rayleigh-Ritz.
    k : int, default 1
        Number of top (algebraically largest) eigenvalues, ``1 <= k <= n_params``.
    tol : float, default 1e-10
        Relative tolerance: ARPACK's Ritz-value accuracy for Lanczos; for the
        power method, the residual ``||H u - lambda u|| <= tol * |lambda|``.
    maxiter : int, optional
        Iteration cap: ARPACK restarts (default ``10 * n_params``) or power
        iterations (default 10,000).
    seed : int, numpy.random.Generator or None
        Starting vector(s).

    Returns
    -------
    float or ndarray of shape (k,)
        The top eigenvalue for ``k=1``, else the ``k`` largest, descending. NaN
        if ``theta`` is not finite or a Hessian-vector product overflows (a
        trajectory at the edge of a divergence), without a warning. A
        RuntimeWarning is issued, with the best estimate returned, when the
        iteration does not converge.

    Notes
    -----
    The sharpness ``lambda_max(H)`` sets the linear stability of gradient
    descent: along the top eigenvector, ``J = I - lr H`` has eigenvalue
    ``1 - lr lambda_max``, which leaves the unit circle when
    ``lambda_max > 2 / lr``. Full-batch training of networks typically drives
    the sharpness up to that threshold and hovers there, the edge of
    stability [1]_.

    Lanczos builds a Krylov basis by a three-term recurrence whose tridiagonal
    projection has Ritz values converging first to the extreme eigenvalues
    [2]_; ARPACK adds implicit restarts. The power method iterates on
    ``H - s I`` with ``s`` below the spectrum (0 when the dominant eigenvalue
    in magnitude is positive and ``k = 1``; otherwise a power estimate of the
    smallest eigenvalue), so that the largest eigenvalues dominate, and uses
    ``k + max(2, k)`` vectors with Rayleigh-Ritz extraction. It needs only
    products with H: no Hessian is formed in either method (dense
    ``eigvalsh`` is used when ``k >= n_params``, where ARPACK cannot run).

    References
    ----------
    .. [1] J. Cohen, S. Kaur, Y. Li, J. Z. Kolter, A. Talwalkar, "Gradient
       descent on neural networks typically occurs at the edge of stability",
       ICLR (2021).
    .. [2] C. Lanczos, J. Res. Natl. Bur. Stand. 45, 255-282 (1950).

    Examples
    --------
    On a small network the Lanczos estimate matches the dense Hessian:

    >>> import numpy as np
    >>> import netchaos as nc
    >>> model = nc.MLP([4, 3, 3])
    >>> X, y = nc.datasets.iris().train
    >>> theta = model.init(seed=0)
    >>> top = nc.sharpness(model, theta, X, y, seed=0)
    >>> round(top, 4), bool(np.isclose(top, np.linalg.eigvalsh(model.hessian(theta, X, y))[-1]))
    (1.185, True)
    >>> np.round(nc.sharpness(model, theta, X, y, method="power", k=2, seed=0), 4)
    array([1.185 , 0.8004])
    """
    check_model(model, "tangent")
    theta = check_theta(model, theta)
    n = model.n_params
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, got {type(method).__name__}")
    method = method.lower()
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    k = check_int(k, "k", minimum=1, maximum=n)
    tol = check_positive(tol, "tol")
    if maxiter is not None:
        maxiter = check_int(maxiter, "maxiter", minimum=1)
    rng = rng_from(seed)
    # validates X, y (named in the messages) before any iteration
    check_model_data(model, X, y)
    nan = float("nan") if k == 1 else np.full(k, np.nan)
    if not np.all(np.isfinite(theta)):
        return nan

    def matvec(V):
        out = model.hvp(theta, V, X, y)
        if not np.all(np.isfinite(out)):   # overflow at the edge of a divergence
            raise _NonFiniteHessian
        return out

    try:
        with one_blas_thread(n * (k + 2)):     # Lanczos/power iterations on length-n vectors
            return _top_eigenvalues(matvec, n, k, method, tol, maxiter, rng)
    except _NonFiniteHessian:
        return nan


class _NonFiniteHessian(Exception):
    """A Hessian-vector product overflowed: the sharpness is NaN."""


def _top_eigenvalues(matvec, n, k, method, tol, maxiter, rng):
    """The ``k`` largest eigenvalues of the Hessian behind ``matvec`` (checked arguments)."""
    if k >= n:
        H = matvec(np.eye(n))
        vals = np.linalg.eigvalsh(0.5 * (H + H.T))[::-1][:k]
    elif method == "lanczos":
        from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh

        op = LinearOperator((n, n), matvec=lambda v: matvec(np.ravel(v)),
                            matmat=matvec, dtype=np.float64)
        v0 = rng.standard_normal(n)
        try:
            vals = eigsh(op, k=k, which="LA", tol=tol, maxiter=maxiter, v0=v0,
                         return_eigenvectors=False)
        except ArpackNoConvergence as exc:
            warnings.warn(f"sharpness: Lanczos (ARPACK) did not converge: {exc}",
                          RuntimeWarning, stacklevel=3)
            got = np.sort(np.asarray(exc.eigenvalues, dtype=float))[::-1]
            vals = np.full(k, np.nan)
            vals[:min(k, got.size)] = got[:k]
        vals = np.sort(vals)[::-1]
    else:
        vals, ok = _power_top(matvec, n, k, tol, maxiter or 10_000, rng)
        if not ok:
            warnings.warn("sharpness: power iteration did not reach tol within maxiter; "
                          "returning the last estimate", RuntimeWarning, stacklevel=3)
    vals = np.asarray(vals, dtype=float)
    return float(vals[0]) if k == 1 else vals


def sharpness_series(model, data, theta0, lr, steps, every=1, method="lanczos", k=1,
                     tol=1e-8, maxiter=None, seed=None, progress=False):
    """Sharpness along a gradient-descent trajectory, against the ``2 / lr`` threshold.

    Parameters
    ----------
    model : MLP
    data : Dataset or tuple (X, y)
    theta0 : ndarray of shape (n_params,)
        Initial parameters.
    lr : float
        Learning rate, > 0.
    steps : int
        Number of GD steps, >= 0.
    every : int, default 1
        Measure at steps 0, every, 2 every, ...
    method, k, tol, maxiter, seed :
        As in :func:`sharpness` (``tol`` defaults to 1e-8 here).
    progress : bool, default False
        Progress bar over the measurements (tqdm.auto).

    Returns
    -------
    SharpnessSeries
        ``t`` (n_rec,) (formerly ``steps``), ``sharpness`` (n_rec,) or
        (n_rec, k), ``loss`` (n_rec,), ``threshold = 2 / lr``, divergence flags.

    Notes
    -----
    The trajectory comes from :func:`netchaos.train` with
    ``record="params"`` (the compiled GD map); the sharpness is then computed
    at every recorded parameter vector with :func:`sharpness`. Cohen et al.
    observe progressive sharpening up to ``2 / lr`` followed by oscillation
    around it (the edge of stability), with the loss still decreasing over
    long times although not monotonically [1]_.

    References
    ----------
    .. [1] J. Cohen, S. Kaur, Y. Li, J. Z. Kolter, A. Talwalkar, ICLR (2021).
    .. [2] C. Lanczos, J. Res. Natl. Bur. Stand. 45, 255-282 (1950).

    Examples
    --------
    At ``lr = 1`` the sharpness of this small network rises past ``2 / lr``:

    >>> import numpy as np
    >>> import netchaos as nc
    >>> model = nc.MLP([4, 3, 3])
    >>> s = nc.sharpness_series(model, nc.datasets.iris(), model.init(seed=0), lr=1.0,
    ...                         steps=20, every=5, seed=0)
    >>> np.round(s.top, 3), s.first_crossing
    (array([1.185, 1.422, 2.973, 1.689, 4.131]), 10)
    """
    check_model(model, "tangent")
    theta0 = check_theta(model, theta0, "theta0")
    lr = check_positive(lr, "lr")
    steps = check_int(steps, "steps", minimum=0)
    every = check_int(every, "every", minimum=1)
    k = check_int(k, "k", minimum=1, maximum=model.n_params)
    X, y = split_data(data)[:2]
    rng = rng_from(seed)
    res = train(model, (X, y), theta0, lr, steps, record="params", every=every)
    params = res.params
    rec_steps = np.asarray(res.param_steps, dtype=np.int64)
    loss = np.asarray(res.loss)[rec_steps]
    out = np.full((rec_steps.size, k), np.nan)
    bar = progress_bar(progress, rec_steps.size, "sharpness", unit="step")
    try:
        for i, th in enumerate(params):
            if np.all(np.isfinite(th)):
                out[i] = sharpness(model, th, X, y, method=method, k=k, tol=tol,
                                   maxiter=maxiter, seed=rng)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return SharpnessSeries(t=rec_steps, sharpness=out[:, 0] if k == 1 else out, loss=loss,
                           lr=lr, threshold=2.0 / lr, diverged=bool(res.diverged),
                           diverged_at=int(res.diverged_at))


renamed_field(SharpnessSeries, "steps", "t")


@dataclass(repr=False)
class HessianEigenvalues(Result):
    """Extreme Hessian eigenvalues of the whole parameter vector and of its blocks.

    Row 0 is the whole Hessian (name ``"all"``); rows 1.. the diagonal blocks
    ``H[b, b]`` (the curvature of the loss within one layer or tensor).

    Attributes
    ----------
    names : list of str
        ``"all"`` then the block names, length ``n_rows``.
    sizes : int ndarray of shape (n_rows,)
        Number of parameters of each row's block.
    top : ndarray of shape (n_rows, k)
        The ``k`` largest eigenvalues, descending (NaN where a block has fewer than ``k``).
    bottom : ndarray of shape (n_rows, k)
        The ``k`` smallest (most negative) eigenvalues, ascending.
    residual_top, residual_bottom : ndarray of shape (n_rows, k)
        ``||H u - lambda u||`` of each returned unit eigenvector, computed with one extra
        product after the iteration: each eigenvalue lies within its residual of an exact
        eigenvalue of the block.
    n_matvec : int ndarray of shape (n_rows,)
        Hessian-vector products spent (columns of the products).
    converged : ndarray of bool of shape (n_rows,)
        Every computed residual is at most ``sqrt(tol) * max |lambda|``.
    method : list of str
        ``"lanczos"`` or ``"dense"`` (blocks of at most ``2 k + 1`` parameters) per row.
    k : int
    tol : float

    Examples
    --------
    >>> import netchaos as nc
    >>> model = nc.MLP([4, 3, 3])
    >>> X, y = nc.datasets.iris().train
    >>> ev = nc.hessian_eigenvalues(model, model.init(seed=0), X, y, blocks="layers", seed=0)
    >>> ev.names, bool(ev.converged.all())
    (['all', 'layer0', 'layer1'], True)
    """

    names: list
    sizes: np.ndarray
    top: np.ndarray
    bottom: np.ndarray
    residual_top: np.ndarray
    residual_bottom: np.ndarray
    n_matvec: np.ndarray
    converged: np.ndarray
    method: list
    k: int
    tol: float

    def __repr__(self):
        return (f"HessianEigenvalues({len(self.names)} rows, k={self.k}, "
                f"top={self.top[0, 0]:.6g}, bottom={self.bottom[0, 0]:.6g}, "
                f"converged={int(self.converged.sum())}/{len(self.names)})")


def _model_blocks(model, blocks):
    """``[(name, index array)]`` of the blocks asked for."""
    n = model.n_params
    if blocks is None:
        return []
    if isinstance(blocks, str):
        if blocks != "layers":
            raise ValueError(f"blocks must be None, 'layers' or a dict of name -> slice, "
                             f"got {blocks!r}")
        if hasattr(model, "blocks"):
            blocks = model.blocks
        elif hasattr(model, "sizes") and hasattr(model, "_kernel_args"):
            sz, off = model.sizes, 0
            blocks = {}
            for i in range(len(sz) - 1):
                blocks[f"layer{i}"] = slice(off, off + sz[i] * sz[i + 1] + sz[i + 1])
                off = blocks[f"layer{i}"].stop
        else:
            raise TypeError("blocks='layers' needs a model with a .blocks dict (an adapter) "
                            "or a netchaos.MLP; give the blocks as a dict")
    if not isinstance(blocks, dict):
        raise TypeError(f"blocks must be a dict of name -> slice or index array, "
                        f"got {type(blocks).__name__}")
    out = []
    for name, sel in blocks.items():
        idx = np.arange(n)[sel] if isinstance(sel, slice) else np.asarray(sel)
        if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer) \
                or idx.min() < 0 or idx.max() >= n or np.unique(idx).size != idx.size:
            raise ValueError(f"blocks[{name!r}] must select distinct parameters in "
                             f"0..{n - 1}, got {sel!r}")
        out.append((str(name), idx.astype(np.int64)))
    return out


def _extremes(matvec, n, k, tol, maxiter, rng):
    """(top, bottom, residual_top, residual_bottom, n_matvec, ok, method) of one block."""
    count = [0]

    def mv(V):
        count[0] += V.shape[1] if V.ndim == 2 else 1
        return matvec(V)

    kk = min(k, n)
    if n <= 2 * k + 1:
        H = mv(np.eye(n))
        vals, U = np.linalg.eigh(0.5 * (H + H.T))
        top_v, top_u = vals[::-1][:kk], U[:, ::-1][:, :kk]
        bot_v, bot_u = vals[:kk], U[:, :kk]
        ok, method = True, "dense"
    else:
        # converged is judged on the computed residuals below, not on the stopping rule
        top_v, top_u, bot_v, bot_u, _ = _lanczos(mv, n, kk, tol, maxiter, rng)
        ok = True
        method = "lanczos"
    res = []
    for v, U in ((top_v, top_u), (bot_v, bot_u)):
        r = np.full(k, np.nan)
        if v.size:
            r[:v.size] = np.linalg.norm(matvec(U) - U * v, axis=0)
        res.append(r)
    pad = lambda v: np.concatenate([v, np.full(k - v.size, np.nan)])  # noqa: E731
    scale = max(np.nanmax(np.abs(np.concatenate([top_v, bot_v]))), np.finfo(float).tiny)
    ok = ok and top_v.size == kk and bot_v.size == kk \
        and bool(np.all(np.concatenate([res[0][:kk], res[1][:kk]]) <= np.sqrt(tol) * scale))
    return pad(top_v), pad(bot_v), res[0], res[1], count[0], ok, method


def _lanczos(mv, n, k, tol, maxiter, rng):
    """Both ends of the spectrum from one Lanczos run with full re-orthogonalisation.

    Returns the ``k`` largest Ritz values (descending) with their vectors, the ``k``
    smallest (ascending) with theirs, and whether the residual estimates
    ``|beta_m s_mi|`` of all 2k reached ``tol * max |theta|`` within ``maxiter`` steps.
    """
    m_max = min(n, maxiter if maxiter is not None else max(300, 20 * k))
    Q = np.zeros((n, m_max))
    alpha, beta = np.zeros(m_max), np.zeros(m_max)
    q = rng.standard_normal(n)
    Q[:, 0] = q / np.linalg.norm(q)
    ok, m = False, m_max
    for j in range(m_max):
        w = np.array(mv(Q[:, j:j + 1]), dtype=np.float64)[:, 0]
        alpha[j] = Q[:, j] @ w
        for _ in range(2):                                  # "twice is enough"
            w -= Q[:, :j + 1] @ (Q[:, :j + 1].T @ w)
        beta[j] = np.linalg.norm(w)
        if (j + 1) % 5 == 0 or j + 1 == m_max or beta[j] == 0.0:
            theta, S = _tridiagonal_eig(alpha[:j + 1], beta[:j])
            scale = max(np.max(np.abs(theta)), np.finfo(float).tiny)
            ends = np.r_[np.arange(min(k, j + 1)), np.arange(j + 1)[::-1][:k]]
            if beta[j] <= 1e-14 * scale or (j + 1 >= 2 * k and np.all(
                    np.abs(beta[j] * S[-1, ends]) <= tol * scale)):
                ok, m = True, j + 1
                break
        if j + 1 < m_max:
            Q[:, j + 1] = w / beta[j]
    theta, S = _tridiagonal_eig(alpha[:m], beta[:m - 1])
    U = Q[:, :m] @ S
    kk = min(k, m)
    return (theta[::-1][:kk], U[:, ::-1][:, :kk], theta[:kk], U[:, :kk], ok)


def _tridiagonal_eig(alpha, beta):
    from scipy.linalg import eigh_tridiagonal
    if alpha.size == 1:
        return alpha.copy(), np.ones((1, 1))
    return eigh_tridiagonal(alpha, beta)


def hessian_eigenvalues(model, theta, X, y, k=1, blocks=None, tol=1e-10, maxiter=None,
                        seed=None):
    """Top-k and most negative Hessian eigenvalues, of the whole Hessian and per block.

    Parameters
    ----------
    model : MLP or any model of the network protocol
        Needs ``n_params`` and ``hvp(theta, V, X, y)`` (see :func:`sharpness`).
    theta : ndarray of shape (n_params,)
    X, y : the training data
    k : int, default 1
        Eigenvalues at each end of every spectrum.
    blocks : None, "layers" or dict of str to slice or index array, optional
        Diagonal blocks ``H[b, b]`` also analysed: ``"layers"`` gives the layers of a
        netchaos.MLP (weights and bias) or the parameter tensors of an adapter
        (``model.blocks``).
    tol : float, default 1e-10
        Stopping rule of the Lanczos run: residual estimates ``<= tol * max |lambda|``.
    maxiter : int, optional
        Largest Krylov dimension (default ``max(300, 20 k)``, at most ``n``).
    seed : int, numpy.random.Generator or None
        Starting vectors.

    Returns
    -------
    HessianEigenvalues
        ``top``, ``bottom`` (n_rows, k), the residuals and the convergence report.

    Notes
    -----
    Lanczos [2]_ with full re-orthogonalisation (twice, against every previous basis
    vector): one Krylov basis of Hessian-vector products gives both ends of the spectrum,
    and the run stops when the residual estimates ``|beta_m s_mi|`` of the ``2 k`` extreme
    Ritz pairs are at most ``tol * max |theta|`` (relative to the scale of the spectrum,
    so eigenvalues near zero converge too) or after ``maxiter`` steps. No Hessian is
    formed; the basis takes ``n * maxiter`` floats. A Krylov space holds one vector of
    each eigenspace, so a repeated eigenvalue is returned once. A block ``b`` is the operator ``v_b -> (H [v_b; 0])_b``, the
    curvature of the loss restricted to those parameters. Blocks of at most ``2 k + 1``
    parameters are formed densely from ``n_b`` products. The residual
    ``||H u - lambda u||`` of every unit Ritz vector bounds the distance of its
    eigenvalue to the spectrum (Bauer-Fike for symmetric matrices), so the report does
    not rely on the iteration's own stopping rule. Negative eigenvalues mark saddle
    directions; their magnitude against the top one measures how far from convex the
    loss is at ``theta``.

    References
    ----------
    .. [1] J. Cohen et al., ICLR (2021).
    .. [2] C. Lanczos, J. Res. Natl. Bur. Stand. 45, 255-282 (1950).

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> model = nc.MLP([4, 3, 3])
    >>> X, y = nc.datasets.iris().train
    >>> theta = model.init(seed=0)
    >>> ev = nc.hessian_eigenvalues(model, theta, X, y, k=2, seed=0)
    >>> h = np.linalg.eigvalsh(model.hessian(theta, X, y))
    >>> bool(np.allclose(ev.top[0], h[::-1][:2]) and np.allclose(ev.bottom[0], h[:2]))
    True
    """
    check_model(model, "tangent")
    theta = check_theta(model, theta)
    n = model.n_params
    k = check_int(k, "k", minimum=1, maximum=n)
    tol = check_positive(tol, "tol")
    if maxiter is not None:
        maxiter = check_int(maxiter, "maxiter", minimum=1)
    parts = _model_blocks(model, blocks)
    rng = rng_from(seed)
    check_model_data(model, X, y)
    if not np.all(np.isfinite(theta)):
        raise ValueError("theta contains NaN or infinite values")
    rows = [("all", None)] + parts
    R = len(rows)
    top, bottom = np.full((R, k), np.nan), np.full((R, k), np.nan)
    rt, rb = np.full((R, k), np.nan), np.full((R, k), np.nan)
    n_mv, conv, methods = np.zeros(R, np.int64), np.zeros(R, bool), []
    with one_blas_thread(n * (k + 2)):
        for i, (name, idx) in enumerate(rows):
            if idx is None:
                def matvec(V):
                    return np.asarray(model.hvp(theta, V, X, y), dtype=np.float64)
                nb = n
            else:
                def matvec(V, idx=idx):
                    full = np.zeros((n, V.shape[1]))
                    full[idx] = V
                    return np.asarray(model.hvp(theta, full, X, y), dtype=np.float64)[idx]
                nb = idx.size
            out = _extremes(matvec, nb, k, tol, maxiter, rng)
            top[i], bottom[i], rt[i], rb[i], n_mv[i], conv[i], m = out
            methods.append(m)
    if not conv.all():
        bad = [rows[i][0] for i in np.nonzero(~conv)[0]]
        warnings.warn(f"hessian_eigenvalues: not converged for {bad} (see residual_top, "
                      "residual_bottom)", RuntimeWarning, stacklevel=2)
    return HessianEigenvalues(
        names=[r[0] for r in rows], sizes=np.array([n] + [p[1].size for p in parts]),
        top=top, bottom=bottom, residual_top=rt, residual_bottom=rb, n_matvec=n_mv,
        converged=conv, method=methods, k=k, tol=tol)
