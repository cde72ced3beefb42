"""Tangent-space measures of the gradient-descent map.

Gradient descent ``theta(t+1) = g(theta(t)) = theta(t) - lr * grad L(theta(t))``
is a discrete dynamical system whose Jacobian is ``J(theta) = I - lr H(theta)``,
``H`` the Hessian of the loss. This module measures how that tangent map
stretches and folds weight space:

- :func:`lyapunov_spectrum` -- Lyapunov exponents by the QR (Benettin) method,
  with finite-time and per-step exponents along the way [1]_ [3]_;
- :func:`covariant_vectors` -- covariant Lyapunov vectors by the forward-backward
  method of Ginelli et al. [2]_ [3]_;
(the Hessian itself, sharpness and the edge of stability are in
:mod:`netchaos.hessian`; the maps in :mod:`netchaos.systems`).

The Lyapunov routines work on any smooth map: pass a map object
(:class:`netchaos.GDMap`, :class:`netchaos.Map`, or a textbook map of
:mod:`netchaos.systems`) with its initial state ``x0``, a network (``model``,
``data``, ``theta``, ``lr``), or a pair of callables (``step``, ``jacobian``) and
an initial state ``x0``. Both go through the same QR engine, so the estimators
can be validated on maps with known exponents (logistic, tent and Hénon maps,
linear maps, gradient descent on a quadratic loss) and then applied to networks.

Tangent vectors of a network are advanced with ``model.jvp_map`` (exact
Pearlmutter Hessian-vector products); no Hessian is ever formed.

References
----------
.. [1] G. Benettin, L. Galgani, A. Giorgilli, J.-M. Strelcyn, "Lyapunov
   characteristic exponents for smooth dynamical systems and for Hamiltonian
   systems; a method for computing all of them", Meccanica 15, 9-20 (1980).
.. [2] F. Ginelli, P. Poggi, A. Turchi, H. Chaté, R. Livi, A. Politi,
   "Characterizing dynamics with covariant Lyapunov vectors", Phys. Rev. Lett.
   99, 130601 (2007).
.. [3] N. Sharafi, C. Martin, S. Hallerberg, "On the weight dynamics of learning
   networks" (2024), arXiv:2405.00743.
.. [4] P. Danovski, M. C. Soriano, L. Lacasa, "Dynamical stability and chaos in
   artificial neural network trajectories along training" (2024).
"""

from dataclasses import dataclass

import numpy as np

from ._qr import check_k, forward
from ._results import Result, fmt_list
from ._validate import check_int, check_positive, rng_from
from .systems import bind

__all__ = ["SpectrumResult", "lyapunov_spectrum"]


# =============================================================================
# result containers
# =============================================================================


@dataclass(repr=False)
class SpectrumResult(Result):
    """Lyapunov exponents of a map estimated by the QR method.

    Exponents are rates per iteration of the map, natural logarithm, in the
    order of the QR columns: descending for long runs, while finite-time
    values (short runs, ``running``, ``local``) can be out of order.

    Attributes
    ----------
    exponents : ndarray of shape (k,)
        Lyapunov exponents averaged over the ``steps`` iterations after the
        transient; all NaN when the run diverged.
    running : ndarray of shape (n_blocks, k)
        Finite-time exponents over ``[0, times[i]]`` (cumulative averages of
        ``local``); ``running[-1] == exponents`` when the run did not diverge.
        Rows after a divergence are NaN.
    local : ndarray of shape (n_blocks, k)
        Per-block exponents ``ln |R_ii| / block_length``: with ``renorm=1``
        these are the finite-time exponents over single steps.
    times : int ndarray of shape (n_blocks,)
        Iterations after the transient at the end of each block (``renorm``,
        ``2 renorm``, ..., ``steps``); ``n_blocks = ceil(steps / renorm)``.
    steps, transient, renorm : int
    lr : float or None
        Learning rate (network mode), None for a generic map.
    diverged : bool
        True when the state or the tangent vectors became non-finite.
    diverged_at : int
        Number of iterations (transient included) after which the state or the
        tangent vectors were first non-finite; -1 if never.
    Q : ndarray of shape (n, k)
        Orthonormal tangent vectors at the end of the run (the last finite ones
        after a divergence): estimates of the backward Lyapunov vectors.
    x : ndarray of shape (n,)
        Final state of the map (``theta`` in network mode); the last finite
        state after a divergence.
    Q_history : ndarray of shape (n_blocks + 1, n, k) or None
        With ``keep_q=True``: the orthonormal vectors at the start of the
        accumulation (after the transient) and after every QR step.
    R_history : ndarray of shape (n_blocks, k, k) or None
        With ``keep_q=True``: the upper-triangular factors, positive diagonal,
        ``J^(b) Q_history[b] = Q_history[b + 1] R_history[b]`` where ``J^(b)`` is
        the tangent map over block ``b``.

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> res = nc.lyapunov_spectrum(nc.systems.linear(np.diag([2.0, 0.25])), x0=[1.0, 1.0],
    ...                            steps=20, transient=20, seed=0)
    >>> res.running.shape, res.n_positive, res.diverged
    ((20, 2), 1, False)
    >>> round(res.kaplan_yorke_dimension, 3)   # 1 + ln 2 / ln 4
    1.5
    """

    exponents: np.ndarray
    running: np.ndarray
    local: np.ndarray
    times: np.ndarray
    steps: int
    transient: int
    renorm: int
    lr: float
    diverged: bool
    diverged_at: int
    Q: np.ndarray
    x: np.ndarray
    Q_history: np.ndarray = None
    R_history: np.ndarray = None

    @property
    def k(self):
        """Number of exponents."""
        return int(self.exponents.shape[0])

    @property
    def n_positive(self):
        """Number of positive exponents (0 when diverged)."""
        return int(np.sum(self.exponents > 0))

    @property
    def kaplan_yorke_dimension(self):
        """Lyapunov (Kaplan-Yorke) dimension from the computed exponents.

        ``j + sum(lambda_1..lambda_j) / |lambda_{j+1}|`` over the exponents
        sorted in descending order, with ``j`` the largest index whose partial
        sum is >= 0; ``k`` when all partial sums are >= 0 (a lower bound then),
        NaN when diverged. It estimates the dimension of an attractor from its
        asymptotic exponents; from finite-time exponents of a transient, most
        of them unresolved (:meth:`resolved`), it is not a dimension of anything.
        """
        lam = np.sort(self.exponents)[::-1]
        if np.any(np.isnan(lam)) or np.any(lam == np.inf):
            return float("nan")
        csum = np.cumsum(lam)
        if csum[0] < 0:
            return 0.0
        j = int(np.nonzero(csum >= 0)[0][-1]) + 1
        if j >= lam.size:
            return float(lam.size)
        return float(j + csum[j - 1] / abs(lam[j]))

    def standard_errors(self, n_batches=10):
        """Batch-means standard errors of the exponents, shape (k,).

        Parameters
        ----------
        n_batches : int, default 10
            The blocks of :attr:`local` are cut into ``n_batches`` consecutive
            batches of (nearly) equal length, ``2 <= n_batches <= n_blocks``.

        Returns
        -------
        ndarray of shape (k,)
            ``std(batch exponents) / sqrt(n_batches)``, each batch exponent the
            time average of ``local`` over the batch; NaN when diverged.

        Notes
        -----
        Batch means absorb the correlation of successive local rates when a
        batch is much longer than that correlation time. On a transient the
        batches also differ because the rates drift: the error then measures
        how much the exponent depends on the window, which is what a finite-time
        exponent of a transient should be quoted with.
        """
        n_batches = check_int(n_batches, "n_batches", minimum=2,
                              maximum=max(2, self.local.shape[0]))
        if self.diverged or self.local.shape[0] < 2:
            return np.full(self.k, np.nan)
        lengths = np.diff(np.concatenate([[0], self.times])).astype(float)
        means = np.array([(self.local[b] * lengths[b, None]).sum(axis=0) / lengths[b].sum()
                          for b in np.array_split(np.arange(lengths.size), n_batches)])
        return means.std(axis=0, ddof=1) / np.sqrt(n_batches)

    def resolved(self, z=2.0, n_batches=10):
        """Which exponents differ from zero by more than the run can resolve.

        Parameters
        ----------
        z : float, default 2
            Standard errors (:meth:`standard_errors`) an exponent must clear.
        n_batches : int, default 10
            Batches of :meth:`standard_errors`.

        Returns
        -------
        bool ndarray of shape (k,)
            True where ``|lambda_i| > max(z * se_i, ln(n) / (2 T))``, with ``n``
            the dimension of the map and ``T`` = :attr:`steps`; all False when
            diverged.

        Notes
        -----
        Two limits. The statistical one, ``z`` batch-means standard errors. The
        second is the length of the run: a random start vector has an overlap of
        about ``1 / sqrt(n)`` with any fixed direction, and the logarithm of
        such an O(1) factor, ``ln(n) / 2``, spread over ``T`` steps shifts a
        finite-time exponent by about ``ln(n) / (2 T)`` whatever the dynamics.
        An exponent below both is indistinguishable from 0 over this run; count
        positive or negative exponents among the resolved ones only. The
        criterion assumes that the orthonormal vectors have aligned with the
        backward Lyapunov vectors, which takes about ``1 / (lambda_i -
        lambda_{i+1})`` steps: over a shorter run (or without a ``transient``)
        neighbouring exponents mix, and a finite-time value can sit farther
        from its asymptotic one than both limits.

        Examples
        --------
        Exponents 0.5, 0, 0 and -0.5 per step, 200 steps:

        >>> import numpy as np
        >>> import netchaos as nc
        >>> A = np.diag(np.exp([0.5, 0.0, 0.0, -0.5]))
        >>> res = nc.lyapunov_spectrum(nc.systems.linear(A), x0=np.ones(4), steps=200, seed=0)
        >>> res.resolved().tolist()
        [True, False, False, True]
        """
        z = check_positive(z, "z")
        if self.diverged:
            return np.zeros(self.k, bool)
        floor = np.log(self.Q.shape[0]) / (2.0 * self.steps)
        se = self.standard_errors(n_batches)
        return np.abs(self.exponents) > np.maximum(z * se, floor)

    def __repr__(self):
        state = f"diverged at step {self.diverged_at}" if self.diverged else "ok"
        lr = "" if self.lr is None else f", lr={self.lr:g}"
        return (f"SpectrumResult(k={self.k}, steps={self.steps}{lr}, {state}, "
                f"exponents={fmt_list(self.exponents)})")


# =============================================================================
# Lyapunov spectrum
# =============================================================================
def lyapunov_spectrum(model=None, data=None, theta=None, lr=None, steps=None, k=None, *,
                      step=None, jacobian=None, x0=None, transient=0, renorm=1, seed=None,
                      progress=False, keep_q=False):
    """Lyapunov exponents of gradient descent, or of any smooth map, by the QR method.

    Parameters
    ----------
    model : MLP, optional
        Network mode: the map is ``theta -> theta - lr * model.grad(theta, X, y)``
        and its tangent ``V -> model.jvp_map(theta, V, X, y, lr)``, i.e.
        ``(I - lr H(theta)) V`` with exact Hessian-vector products.
    data : Dataset or tuple (X, y), optional
        Training data of the network (a Dataset's training arrays).
    theta : ndarray of shape (n_params,), optional
        Initial parameters.
    lr : float, optional
        Learning rate, > 0.
    steps : int
        Iterations over which the exponents are accumulated (after the
        transient), >= 1.
    k : int, optional
        Number of leading exponents, ``1 <= k <= n``; default all ``n``
        (``n = n_params`` in network mode).
    step : callable, optional
        Generic mode: ``step(x) -> f(x)``, an ndarray of shape (n,) (a float is
        accepted for n = 1).
    jacobian : callable, optional
        Generic mode: ``jacobian(x) -> Df(x)``, an ndarray of shape (n, n).
    x0 : array_like of shape (n,) or float, optional
        Generic mode: initial state.
    transient : int, default 0
        Iterations run first (with the same QR steps) and not accumulated, so
        that the tangent vectors align with the dominant directions.
    renorm : int, default 1
        Re-orthonormalise (QR) every ``renorm`` iterations; 1 gives per-step
        finite-time exponents in ``local``. Larger values save QR work but let
        the tangent vectors grow by up to ``exp(lambda_1 renorm)`` in between.
    seed : int, numpy.random.Generator or None
        Draws the random orthonormal initial tangent vectors (n, k).
    progress : bool, default False
        Show a progress bar (tqdm.auto).
    keep_q : bool, default False
        Also return every orthonormal factor Q and triangular factor R (the
        input of the covariant-vector computation); memory ``n_blocks * n * k``
        floats.

    Returns
    -------
    SpectrumResult
        ``exponents`` (k,), finite-time ``running`` and per-step ``local``
        exponents (n_blocks, k), the divergence flags, the final state and
        tangent vectors.

    Raises
    ------
    ValueError, TypeError
        On missing, inconsistent or malformed arguments; the message names
        the argument.

    Notes
    -----
    Starting from a random orthonormal ``Q_0`` of shape (n, k), every
    iteration applies the tangent map at the current state and then advances
    the state::

        M <- J(x_t) M ;  x_{t+1} = f(x_t)

    and every ``renorm`` iterations ``M = Q R`` is factorised (Householder QR
    on the row-major matrix, :func:`netchaos.core.linalg.householder_qr`;
    Gram-Schmidt with re-orthogonalisation for ``k <= 4``), signs fixed so
    that ``R_ii > 0``, and ``M <- Q``. For a network with ``renorm = 1`` and
    ``k > 4`` the whole iteration runs inside one compiled kernel (the
    Hessian-vector products split over two threads as in ``MLP.jvp_map``), with the same
    arithmetic and results as the step-by-step loop. The
    exponents are the time averages of ``ln R_ii`` [1]_: column ``i`` of Q spans,
    together with the previous columns, the ``i``-dimensional subspace of
    fastest growth, and ``ln R_ii`` is the growth of its new direction.
    ``sum_i ln R_ii`` over a block is ``ln |det J|`` when ``k = n``, so the sum
    of the exponents equals the mean log volume contraction to rounding.

    For gradient descent ``J(theta) = I - lr H(theta)`` [3]_ [4]_; a loss whose
    Hessian is constant gives exactly ``ln |1 - lr h_i|``, ``h_i`` the Hessian
    eigenvalues.

    Divergence: if the state or the tangent vectors become non-finite, the run
    stops, ``diverged`` is set, ``diverged_at`` records the iteration, the
    exponents are NaN (they are never averaged over NaN), and the rows of
    ``running``/``local`` before the divergence are kept. A tangent direction
    annihilated exactly (``R_ii = 0``, e.g. a superstable point) gives
    ``-inf`` for that exponent rather than a divergence. Floating-point
    warnings inside the iteration are silenced, not raised.

    References
    ----------
    .. [1] G. Benettin, L. Galgani, A. Giorgilli, J.-M. Strelcyn, Meccanica 15,
       9-20 (1980).
    .. [2] F. Ginelli et al., Phys. Rev. Lett. 99, 130601 (2007).
    .. [3] N. Sharafi, C. Martin, S. Hallerberg, "On the weight dynamics of
       learning networks" (2024).
    .. [4] P. Danovski, M. C. Soriano, L. Lacasa, "Dynamical stability and chaos
       in artificial neural network trajectories along training" (2024).

    Examples
    --------
    The Hénon map:

    >>> import numpy as np
    >>> import netchaos as nc
    >>> f = lambda x: np.array([1 - 1.4 * x[0] ** 2 + x[1], 0.3 * x[0]])
    >>> J = lambda x: np.array([[-2.8 * x[0], 1.0], [0.3, 0.0]])
    >>> res = nc.lyapunov_spectrum(step=f, jacobian=J, x0=[0.1, 0.1], steps=8000,
    ...                            transient=100, seed=0)
    >>> np.round(res.exponents, 2)
    array([ 0.42, -1.62])

    Gradient descent on linear least squares (``MLP([2, 1], loss="mse")``) has
    the constant Jacobian ``I - lr H``, so its exponents are
    ``ln |1 - lr h_i|`` for the Hessian eigenvalues ``h_i``:

    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((20, 2))
    >>> y = X @ np.array([1.0, -1.0])
    >>> model = nc.MLP([2, 1], loss="mse")
    >>> theta = model.init(seed=0)
    >>> h = np.linalg.eigvalsh(model.hessian(theta, X, y))
    >>> res = nc.lyapunov_spectrum(model, (X, y), theta, lr=0.5, steps=100, transient=100,
    ...                            seed=0)
    >>> bool(np.allclose(np.sort(res.exponents), np.sort(np.log(np.abs(1 - 0.5 * h)))))
    True
    """
    system = bind(model, data, theta, lr, step, jacobian, x0)
    if steps is None:
        raise ValueError("steps is required (number of accumulated iterations, >= 1)")
    steps = check_int(steps, "steps", minimum=1)
    k = check_k(k, system.n)
    transient = check_int(transient, "transient", minimum=0)
    renorm = check_int(renorm, "renorm", minimum=1)
    if not isinstance(keep_q, (bool, np.bool_)):
        raise TypeError(f"keep_q must be a bool, got {type(keep_q).__name__}")
    rng = rng_from(seed)
    out = forward(system, k, steps, transient, renorm, rng, progress, keep_q=bool(keep_q))
    return _spectrum_result(out, steps, transient, renorm, system.lr, bool(keep_q))


def _spectrum_result(out, steps, transient, renorm, lr, keep_q):
    logs, lengths = out["logs"], out["lengths"]
    times = np.cumsum(lengths)
    with np.errstate(invalid="ignore"):
        running = np.cumsum(logs, axis=0) / times[:, None]
        local = logs / lengths[:, None]
    diverged = out["diverged_at"] >= 0
    k = logs.shape[1]
    exponents = np.full(k, np.nan) if diverged else running[-1].copy()
    Q_hist = R_hist = None
    if keep_q and out["Q_hist"] is not None:
        Q_hist = np.array(out["Q_hist"])
        R_hist = np.array(out["R_hist"]) if out["R_hist"] else np.empty((0, k, k))
    return SpectrumResult(
        exponents=exponents, running=running, local=local, times=times.astype(np.int64),
        steps=steps, transient=transient, renorm=renorm, lr=lr, diverged=bool(diverged),
        diverged_at=int(out["diverged_at"]), Q=out["Q"], x=out["x"],
        Q_history=Q_hist, R_history=R_hist)

