"""Tangent-space measures of the gradient-descent map.

Gradient descent ``theta(t+1) = g(theta(t)) = theta(t) - lr * grad L(theta(t))``
is a discrete dynamical system whose Jacobian is ``J(theta) = I - lr H(theta)``,
``H`` the Hessian of the loss. This module measures how that tangent map
stretches and folds weight space:

- :func:`lyapunov_spectrum` -- Lyapunov exponents by the QR (Benettin) method,
  with finite-time and per-step exponents along the way [1]_ [3]_;
- :func:`covariant_vectors` -- covariant Lyapunov vectors by the forward-backward
  method of Ginelli et al. [2]_ [3]_;
- :func:`sharpness` and :func:`sharpness_series` -- the top Hessian
  eigenvalue(s) from Hessian-vector products only, and their evolution along
  training against the ``2 / lr`` edge-of-stability threshold [5]_ [6]_;
- :func:`ftle_vs_final_loss` -- finite-time Lyapunov exponents early in training
  as predictors of the final training loss [3]_.

The Lyapunov routines work on any smooth map: pass a network (``model``,
``data``, ``theta``, ``lr``) or a pair of callables (``step``, ``jacobian``) and
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
.. [5] J. Cohen, S. Kaur, Y. Li, J. Z. Kolter, A. Talwalkar, "Gradient descent on
   neural networks typically occurs at the edge of stability", ICLR (2021).
.. [6] C. Lanczos, "An iteration method for the solution of the eigenvalue
   problem of linear differential and integral operators", J. Res. Natl. Bur.
   Stand. 45, 255-282 (1950).
"""

import numbers
import warnings
from dataclasses import dataclass

import numpy as np

from . import _blocks
from ._validate import as_float_array, check_choice, check_int, check_positive, rng_from
from .core.linalg import householder_qr
from .core.tangent import tangent_qr_run
from .model import _PARALLEL_WORK, _SCHEMES, _direction_blocks

__all__ = [
    "SpectrumResult",
    "CLVResult",
    "SharpnessSeries",
    "FTLELossResult",
    "lyapunov_spectrum",
    "covariant_vectors",
    "sharpness",
    "sharpness_series",
    "ftle_vs_final_loss",
]


# =============================================================================
# result containers
# =============================================================================
def _fmt(values, limit=4):
    """Short text for a 1-D array of numbers: the first ``limit`` entries."""
    values = np.asarray(values, dtype=float).ravel()
    body = ", ".join(f"{v:.4g}" for v in values[:limit])
    if values.size > limit:
        body += f", ... ({values.size} values)"
    return f"[{body}]"


@dataclass(repr=False)
class SpectrumResult:
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
        NaN when diverged.
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

    def __repr__(self):
        state = f"diverged at step {self.diverged_at}" if self.diverged else "ok"
        lr = "" if self.lr is None else f", lr={self.lr:g}"
        return (f"SpectrumResult(k={self.k}, steps={self.steps}{lr}, {state}, "
                f"exponents={_fmt(self.exponents)})")


@dataclass(repr=False)
class CLVResult:
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
            have no sign). Small angles signal near-tangencies between
            expanding and contracting directions.
        """
        k = self.vectors.shape[2]
        i = check_int(i, "i", minimum=0, maximum=k - 1)
        j = check_int(j, "j", minimum=0, maximum=k - 1)
        vi = self.vectors[:, :, i]
        vj = self.vectors[:, :, j]
        cos = np.abs(np.einsum("tn,tn->t", vi, vj))
        cos /= np.linalg.norm(vi, axis=1) * np.linalg.norm(vj, axis=1)
        return np.arccos(np.clip(cos, 0.0, 1.0))

    def __repr__(self):
        n_times, n, k = self.vectors.shape
        state = f"diverged at step {self.diverged_at}" if self.diverged else "ok"
        return (f"CLVResult({n_times} times x {k} vectors in R^{n}, {state}, "
                f"exponents={_fmt(self.exponents)})")


@dataclass(repr=False)
class SharpnessSeries:
    """Top Hessian eigenvalue(s) along a gradient-descent trajectory.

    Attributes
    ----------
    steps : int ndarray of shape (n_rec,)
        Training steps at which the sharpness was measured.
    sharpness : ndarray of shape (n_rec,) or (n_rec, k)
        Largest Hessian eigenvalue (``k=1``) or the ``k`` largest, descending;
        NaN after a divergence.
    loss : ndarray of shape (n_rec,)
        Training loss at those steps.
    lr : float
    threshold : float
        ``2 / lr``: gradient descent on a quadratic with curvature above it
        diverges; the edge of stability is sharpness hovering at it [5]_.
    diverged : bool
    diverged_at : int
    """

    steps: np.ndarray
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
        return int(self.steps[above[0]]) if above.size else -1

    def __repr__(self):
        top = self.top
        finite = top[np.isfinite(top)]
        peak = f"{finite.max():.4g}" if finite.size else "nan"
        return (f"SharpnessSeries({self.steps.size} points up to step "
                f"{int(self.steps[-1]) if self.steps.size else 0}, lr={self.lr:g}, "
                f"2/lr={self.threshold:.4g}, max sharpness={peak}, "
                f"first crossing={self.first_crossing})")


@dataclass(repr=False)
class FTLELossResult:
    """Early finite-time Lyapunov exponents against the final training loss.

    Attributes
    ----------
    ftle : ndarray of shape (n_init, k)
        Leading finite-time exponents over the first ``t_early`` steps, one row
        per initial condition; NaN where that stretch diverged.
    final_loss : ndarray of shape (n_init,)
        Training loss after ``t_final`` steps; ``inf`` where training diverged.
    theta0 : ndarray of shape (n_init, n_params)
        The initial conditions.
    diverged : bool ndarray of shape (n_init,)
        Training diverged within ``t_final`` steps.
    spearman, spearman_p, pearson, pearson_p : float
        Correlation of ``ftle[:, 0]`` with ``final_loss`` (and p-values) over
        the initial conditions where both are finite; NaN with fewer than 3.
    loss_threshold : float
        "High loss" means ``final_loss > loss_threshold``.
    high_loss : bool ndarray of shape (n_init,)
    ftle_threshold : float
        Threshold on ``ftle[:, 0]`` fitted on the training half.
    direction : int
        +1 if the predictor says "high loss" for ``ftle > ftle_threshold``, -1
        for ``ftle < ftle_threshold``.
    train_idx, test_idx : int ndarray
        The random halves of the initial conditions used to fit and to test
        the predictor (initial conditions with NaN FTLE are left out).
    train_accuracy, test_accuracy : float
        Fraction of correct "high loss" predictions on each half.
    baseline_accuracy : float
        Test accuracy of always predicting the majority class of the training
        half, for comparison.
    lr : float
    t_early, t_final : int
    """

    ftle: np.ndarray
    final_loss: np.ndarray
    theta0: np.ndarray
    diverged: np.ndarray
    spearman: float
    spearman_p: float
    pearson: float
    pearson_p: float
    loss_threshold: float
    high_loss: np.ndarray
    ftle_threshold: float
    direction: int
    train_idx: np.ndarray
    test_idx: np.ndarray
    train_accuracy: float
    test_accuracy: float
    baseline_accuracy: float
    lr: float
    t_early: int
    t_final: int

    def predict(self, ftle):
        """Apply the fitted threshold: True means "ends in a high-loss state".

        Parameters
        ----------
        ftle : array_like of shape (m,) or (m, k)
            Leading FTLEs (the first column is used for 2-D input).

        Returns
        -------
        bool ndarray of shape (m,)
        """
        f = as_float_array(ftle, "ftle", ndim=(1, 2), finite=False)
        if f.ndim == 2:
            if f.shape[1] == 0:
                raise ValueError(f"ftle must have at least one column, got shape {f.shape}")
            f = f[:, 0]
        return self.direction * (f - self.ftle_threshold) > 0

    def __repr__(self):
        return (f"FTLELossResult(n_init={self.ftle.shape[0]}, k={self.ftle.shape[1]}, "
                f"t_early={self.t_early}, t_final={self.t_final}, lr={self.lr:g}, "
                f"spearman={self.spearman:.3f}, test_accuracy={self.test_accuracy:.3f} "
                f"(baseline {self.baseline_accuracy:.3f}), n_diverged={int(self.diverged.sum())})")


# =============================================================================
# helpers
# =============================================================================
def _progress_bar(progress, total, desc):
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="step")


def _data_xy(data):
    """(X, y) training arrays from a Dataset or an (X, y[, X_test, y_test]) tuple."""
    if hasattr(data, "X_train") and hasattr(data, "y_train"):
        return data.X_train, data.y_train
    if isinstance(data, (tuple, list)) and len(data) in (2, 4):
        return data[0], data[1]
    raise TypeError("data must be a netchaos.datasets.Dataset or a tuple (X, y), "
                    f"got {type(data).__name__}")


def _check_model(model):
    for attr in ("grad", "jvp_map", "hvp", "n_params"):
        if not hasattr(model, attr):
            raise TypeError(f"model must be a netchaos.MLP (needs .{attr}), "
                            f"got {type(model).__name__}")


def _check_theta(model, theta, name="theta"):
    theta = as_float_array(theta, name, ndim=1, finite=False)
    if theta.shape[0] != model.n_params:
        raise ValueError(f"{name} must have shape ({model.n_params},) for this model, "
                         f"got {theta.shape}")
    return theta


def _check_k(k, n, name="k"):
    if k is None:
        return n
    return check_int(k, name, minimum=1, maximum=n)


def _householder_qr(M):
    """Reduced Householder QR (:func:`netchaos.core.linalg.householder_qr`, on the
    row-major array, no LAPACK call overhead); numpy for non-finite or wide input."""
    n, k = M.shape
    if k > n or not np.isfinite(M).all():
        return np.linalg.qr(M)
    return householder_qr(np.ascontiguousarray(M, dtype=np.float64))


def _qr_positive(M):
    """Reduced QR of M (n, k) with a non-negative diagonal of R; also ``ln R_ii``.

    Householder QR (:func:`_householder_qr`) in general; for a few
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
    Q, R = _householder_qr(M)
    d = R.diagonal().copy()
    neg = d < 0
    if neg.any():
        s = np.where(neg, -1.0, 1.0)
        Q *= s
        R *= s[:, None]
    return Q, R, np.log(np.abs(d))


class _MapSystem:
    """A map with its tangent action: ``advance(x) -> x'`` and ``tangent(x, Q) -> J(x) Q``."""

    def __init__(self, advance, tangent, x0, lr, label, both=None, fused=None):
        self.advance = advance
        self.tangent = tangent
        self.x0 = x0
        self.n = x0.shape[0]
        self.lr = lr
        self.label = label
        # ``both(x, Q) -> (x', J(x) Q)`` in one pass when the map offers it
        self.both = both
        # ``fused(x, Q, n, absdiag) -> done``: n steps with a QR after each, in place
        self.fused = fused


def _make_system(model, data, theta, lr, step, jacobian, x0):
    """Validate the arguments of either mode and build the map and its tangent."""
    neural = model is not None
    generic = step is not None or jacobian is not None or x0 is not None
    if neural and generic:
        raise ValueError("give either a network (model, data, theta, lr) or a generic map "
                         "(step, jacobian, x0), not both")
    if not neural and not generic:
        raise ValueError("missing map: give model, data, theta and lr (network mode) or "
                         "step, jacobian and x0 (generic mode)")
    if neural:
        _check_model(model)
        if data is None:
            raise ValueError("data is required with model (a Dataset or a tuple (X, y))")
        if theta is None:
            raise ValueError("theta is required with model (initial parameters, shape "
                             f"({model.n_params},))")
        if lr is None:
            raise ValueError("lr is required with model")
        lr = check_positive(lr, "lr")
        X, y = _data_xy(data)
        theta = _check_theta(model, theta)
        # validates X and y once, with their names in the messages
        model.loss(np.zeros(model.n_params), X, y)
        X = np.ascontiguousarray(X, dtype=np.float64)

        def advance(th):
            return th - lr * model.grad(th, X, y)

        def tangent(th, Q):
            return model.jvp_map(th, Q, X, y, lr)

        Xc, yi, yf = model._check_data(X, y)

        def both(th, Q):
            # data checked once above; the kernel directly
            JQ, g = model._tangent_kernel(th, Q, Xc, yi, yf, lr, True)
            return th - lr * g, JQ

        fused = None
        if Xc.shape[0] * model.n_params * model.n_params < _PARALLEL_WORK:
            # small problems: the whole QR iteration in one kernel call
            args = model._kernel_args()
            tile = _blocks.tile_for(model.n_params)

            def fused(th, Q, n, absdiag):
                n_blocks = _direction_blocks(Xc.shape[0], model.n_params, Q.shape[1])
                return tangent_qr_run(th, Q, *args, Xc, yi, yf, lr, n, tile, n_blocks, absdiag)

        return _MapSystem(advance, tangent, theta.copy(), lr, "GD", both=both, fused=fused)

    for value, name in ((data, "data"), (theta, "theta"), (lr, "lr")):
        if value is not None:
            raise ValueError(f"{name} is only used with model (network mode); a generic map "
                             "takes step, jacobian and x0")
    if step is None or not callable(step):
        raise TypeError("step must be a callable x -> f(x) (generic mode)")
    if jacobian is None or not callable(jacobian):
        raise TypeError("jacobian must be a callable x -> ndarray of shape (n, n) (generic mode)")
    if x0 is None:
        raise ValueError("x0 (initial state) is required with step and jacobian")
    x0 = as_float_array(x0, "x0", ndim=(0, 1), finite=False).reshape(-1)
    if x0.size == 0:
        raise ValueError("x0 must hold at least one coordinate")
    n = x0.shape[0]
    shape_x, shape_j = (n,), (n, n)

    def advance(x):
        out = np.asarray(step(x), dtype=np.float64)
        if out.shape != shape_x:
            if out.size != n:
                raise ValueError(f"step must return an array of shape {shape_x}, got {out.shape}")
            out = out.reshape(shape_x)
        return out

    def tangent(x, Q):
        J = np.asarray(jacobian(x), dtype=np.float64)
        if J.shape != shape_j:
            if J.size != n * n:
                raise ValueError(f"jacobian must return an array of shape {shape_j}, "
                                 f"got {J.shape}")
            J = J.reshape(shape_j)
        return J @ Q

    return _MapSystem(advance, tangent, x0.copy(), None, "map")


def _block_ends(n_iter, renorm, splits=()):
    """Iteration counts (1..n_iter) after which a QR step is taken.

    Every ``renorm`` iterations, at the end, and at the extra ``splits``.
    """
    ends = set(range(renorm, n_iter + 1, renorm))
    ends.add(n_iter)
    ends.update(s for s in splits if 0 < s < n_iter)
    ends.discard(0)
    return np.array(sorted(ends), dtype=np.int64)


def _run_qr(system, x, Q, ends, t_offset, bar, keep_q=False, keep_q_blocks=None):
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
                Qn, R, ld = _qr_positive(M)
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


def _forward(system, k, steps, transient, renorm, rng, progress, keep_q=False, extra=0):
    """Transient, then ``steps`` accumulated iterations (+ ``extra`` further ones).

    The blocks of the accumulation phase end every ``renorm`` iterations and
    also exactly at ``steps``.
    """
    n = system.n
    Q0, _ = np.linalg.qr(rng.standard_normal((n, k)))
    x = system.x0
    total = transient + steps + extra
    ends = _block_ends(steps + extra, renorm, splits=(steps,))
    keep_q_blocks = int(np.searchsorted(ends, steps) + 1)
    bar = _progress_bar(progress, total, f"Lyapunov ({system.label}, k={k})")
    try:
        if not np.isfinite(x).all():
            pre = dict(x=x, Q=Q0, diverged_at=0)
        elif transient:
            pre = _run_qr(system, x, Q0, _block_ends(transient, renorm), 0, bar)
        else:
            pre = dict(x=x, Q=Q0, diverged_at=-1)
        if pre["diverged_at"] >= 0:
            lengths = np.diff(np.concatenate([[0], ends])).astype(np.int64)
            return dict(x=pre["x"], Q=pre["Q"], logs=np.full((ends.size, k), np.nan),
                        lengths=lengths, diverged_at=pre["diverged_at"],
                        Q_hist=None, R_hist=None, n_blocks=ends.size)
        return _run_qr(system, pre["x"], pre["Q"], ends, transient, bar,
                       keep_q=keep_q, keep_q_blocks=keep_q_blocks)
    finally:
        if bar is not None:
            bar.close()


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
    >>> res = nc.lyapunov_spectrum(step=f, jacobian=J, x0=[0.1, 0.1], steps=20000,
    ...                            transient=100, seed=0)
    >>> np.round(res.exponents, 2)
    array([ 0.42, -1.62])
    """
    system = _make_system(model, data, theta, lr, step, jacobian, x0)
    if steps is None:
        raise ValueError("steps is required (number of accumulated iterations, >= 1)")
    steps = check_int(steps, "steps", minimum=1)
    k = _check_k(k, system.n)
    transient = check_int(transient, "transient", minimum=0)
    renorm = check_int(renorm, "renorm", minimum=1)
    if not isinstance(keep_q, (bool, np.bool_)):
        raise TypeError(f"keep_q must be a bool, got {type(keep_q).__name__}")
    rng = rng_from(seed)
    out = _forward(system, k, steps, transient, renorm, rng, progress, keep_q=bool(keep_q))
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


# =============================================================================
# covariant Lyapunov vectors
# =============================================================================
def covariant_vectors(model=None, data=None, theta=None, lr=None, steps=None, k=None, *,
                      step=None, jacobian=None, x0=None, n_forward=None, n_backward=None,
                      transient=None, renorm=1, seed=None, progress=False):
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
        accumulated. Default 0. ``transient`` is accepted as a synonym.
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

    Returns
    -------
    CLVResult
        ``vectors`` of shape (n_times, n, k) at ``times`` (n_times,) =
        ``n_forward + [0, renorm, 2 renorm, ..., steps]``, the window's
        exponents, the local growth rates of each vector, and an ``angles``
        helper.

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
    (``local``); their time averages tend to the Lyapunov exponents. Sharafi
    et al. monitor such vectors and their angles along training [3]_.

    Covariant vectors need no symmetry: for a linear map ``x -> A x`` they are
    the eigenvectors of ``A`` (ordered by ``|eigenvalue|``), whereas the
    orthonormal Q vectors are their Gram-Schmidt orthogonalisation.

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
       learning networks" (2024).

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
    system = _make_system(model, data, theta, lr, step, jacobian, x0)
    if steps is None:
        raise ValueError("steps is required (window length in iterations, >= 1)")
    steps = check_int(steps, "steps", minimum=1)
    k = _check_k(k, system.n)
    if n_forward is not None and transient is not None:
        raise ValueError("give n_forward or its synonym transient, not both")
    n_fwd = n_forward if n_forward is not None else transient
    n_fwd = 0 if n_fwd is None else check_int(
        n_fwd, "n_forward" if n_forward is not None else "transient", minimum=0)
    n_bwd = steps if n_backward is None else check_int(n_backward, "n_backward", minimum=0)
    renorm = check_int(renorm, "renorm", minimum=1)
    rng = rng_from(seed)

    win_blocks = -(-steps // renorm)
    out = _forward(system, k, steps, n_fwd, renorm, rng, progress, keep_q=True, extra=n_bwd)
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
                     lr=system.lr, diverged=False, diverged_at=-1, x=out["x"])


# =============================================================================
# sharpness
# =============================================================================
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
    """
    _check_model(model)
    theta = _check_theta(model, theta)
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
    model.loss(np.zeros(n), X, y)
    nan = float("nan") if k == 1 else np.full(k, np.nan)
    if not np.all(np.isfinite(theta)):
        return nan

    def matvec(V):
        out = model.hvp(theta, V, X, y)
        if not np.all(np.isfinite(out)):   # overflow at the edge of a divergence
            raise _NonFiniteHessian
        return out

    try:
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
        ``steps`` (n_rec,), ``sharpness`` (n_rec,) or (n_rec, k), ``loss``
        (n_rec,), ``threshold = 2 / lr``, divergence flags.

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
    """
    from .training import train

    _check_model(model)
    theta0 = _check_theta(model, theta0, "theta0")
    lr = check_positive(lr, "lr")
    steps = check_int(steps, "steps", minimum=0)
    every = check_int(every, "every", minimum=1)
    k = check_int(k, "k", minimum=1, maximum=model.n_params)
    X, y = _data_xy(data)
    rng = rng_from(seed)
    res = train(model, (X, y), theta0, lr, steps, record="params", every=every)
    params = res.params
    rec_steps = np.asarray(res.param_steps, dtype=np.int64)
    loss = np.asarray(res.loss)[rec_steps]
    out = np.full((rec_steps.size, k), np.nan)
    bar = _progress_bar(progress, rec_steps.size, "sharpness")
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
    return SharpnessSeries(steps=rec_steps, sharpness=out[:, 0] if k == 1 else out, loss=loss,
                           lr=lr, threshold=2.0 / lr, diverged=bool(res.diverged),
                           diverged_at=int(res.diverged_at))


# =============================================================================
# finite-time exponents as predictors of the final loss
# =============================================================================
def _fit_threshold(f, label):
    """Best single threshold and direction on feature f for the boolean label."""
    fs = np.unique(f)
    cands = np.concatenate([[fs[0] - 1.0], 0.5 * (fs[1:] + fs[:-1]), [fs[-1] + 1.0]])
    best = (-1.0, 0.0, 1)
    for c in cands:
        for s in (1, -1):
            acc = float(np.mean((s * (f - c) > 0) == label))
            if acc > best[0]:
                best = (acc, float(c), s)
    return best


def ftle_vs_final_loss(model, data, lr, n_init, t_early, t_final, k=1, seed=None,
                       progress=False, *, theta0=None, init_scale=1.0, init_scheme="normal",
                       loss_threshold=None):
    """Do early finite-time Lyapunov exponents predict where training ends?

    Parameters
    ----------
    model : MLP
    data : Dataset or tuple (X, y)
        Training data.
    lr : float
        Learning rate, > 0.
    n_init : int
        Number of initial conditions, >= 4.
    t_early : int
        Steps over which the finite-time exponents are measured, >= 1.
    t_final : int
        Training steps before the final loss is read, >= 0.
    k : int, default 1
        Number of leading finite-time exponents per initial condition.
    seed : int, numpy.random.Generator or None
        Initial conditions (``model.init``), initial tangent vectors and the
        train/test split of the initial conditions.
    progress : bool, default False
        Progress bar over the initial conditions (tqdm.auto).
    theta0 : ndarray of shape (n_init, n_params), optional
        Explicit initial conditions instead of ``model.init``.
    init_scale : float, default 1
    init_scheme : {"normal", "glorot", "he"}
        Passed to ``model.init``.
    loss_threshold : float, optional
        Final losses above it count as "high loss". Default: the median final
        loss (a balanced split).

    Returns
    -------
    FTLELossResult
        ``ftle`` (n_init, k), ``final_loss`` (n_init,), Spearman and Pearson
        correlations, the fitted FTLE threshold with its train and test
        accuracies and a majority-class baseline.

    Notes
    -----
    For each initial condition, ``lyapunov_spectrum(..., steps=t_early, k=k)``
    gives the leading finite-time exponents of the GD map over the first
    ``t_early`` steps; the whole ensemble is then trained for ``t_final``
    steps with :func:`netchaos.train` and ``model.loss`` is read at the end.
    Sharafi et al. found that such early stability indicators predict the
    final training loss of networks learning a regression task [1]_.

    Predictor: the initial conditions with a finite FTLE are split at random
    into halves. On the first half, a threshold ``c`` and a direction ``s``
    maximise the accuracy of "high loss iff ``s (ftle_1 - c) > 0``" (``c`` from
    the midpoints between sorted FTLEs); the accuracy on the second half is
    reported next to the majority-class baseline. A trajectory that diverges
    during training has final loss ``inf`` (always "high loss"); it is left
    out of the Pearson and Spearman correlations, which use initial
    conditions with finite FTLE and finite final loss only.

    References
    ----------
    .. [1] N. Sharafi, C. Martin, S. Hallerberg, "On the weight dynamics of
       learning networks" (2024), arXiv:2405.00743.
    .. [2] G. Benettin, L. Galgani, A. Giorgilli, J.-M. Strelcyn, Meccanica 15,
       9-20 (1980).
    """
    from scipy import stats

    from .training import train

    _check_model(model)
    X, y = _data_xy(data)
    lr = check_positive(lr, "lr")
    n_init = check_int(n_init, "n_init", minimum=4)
    t_early = check_int(t_early, "t_early", minimum=1)
    t_final = check_int(t_final, "t_final", minimum=0)
    k = check_int(k, "k", minimum=1, maximum=model.n_params)
    init_scale = check_positive(init_scale, "init_scale", allow_zero=True, maximum=1e300)
    init_scheme = check_choice(init_scheme, "init_scheme", _SCHEMES)
    if loss_threshold is not None:
        if isinstance(loss_threshold, bool) or not isinstance(loss_threshold, numbers.Real):
            raise TypeError(f"loss_threshold must be a real number, got "
                            f"{type(loss_threshold).__name__}")
        loss_threshold = float(loss_threshold)
    rng = rng_from(seed)
    if theta0 is None:
        thetas = model.init(rng, n=n_init, scale=init_scale, scheme=init_scheme)
    else:
        thetas = as_float_array(theta0, "theta0", ndim=2)
        if thetas.shape != (n_init, model.n_params):
            raise ValueError(f"theta0 must have shape ({n_init}, {model.n_params}), "
                             f"got {thetas.shape}")
    model.loss(thetas[0], X, y)                         # validates X, y with their names

    ftle = np.full((n_init, k), np.nan)
    bar = _progress_bar(progress, n_init, "FTLE")
    try:
        for i in range(n_init):
            res = lyapunov_spectrum(model, (X, y), thetas[i], lr, steps=t_early, k=k, seed=rng)
            ftle[i] = res.exponents
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()

    tr = train(model, (X, y), thetas, lr, t_final, record="final")
    diverged = np.asarray(tr.diverged, dtype=bool)
    final_loss = np.asarray(model.loss(tr.theta, X, y), dtype=float)
    final_loss = np.where(diverged | ~np.isfinite(final_loss), np.inf, final_loss)

    f1 = ftle[:, 0]
    both = np.isfinite(f1) & np.isfinite(final_loss)
    if both.sum() >= 3 and np.ptp(f1[both]) > 0 and np.ptp(final_loss[both]) > 0:
        sp = stats.spearmanr(f1[both], final_loss[both])
        pe = stats.pearsonr(f1[both], final_loss[both])
        spearman, spearman_p = float(sp.statistic), float(sp.pvalue)
        pearson, pearson_p = float(pe.statistic), float(pe.pvalue)
    else:
        spearman = spearman_p = pearson = pearson_p = float("nan")

    if loss_threshold is None:
        loss_threshold = float(np.median(final_loss))
    high = final_loss > loss_threshold

    usable = np.nonzero(np.isfinite(f1))[0]
    perm = rng.permutation(usable)
    half = perm.size // 2
    train_idx, test_idx = np.sort(perm[:half]), np.sort(perm[half:])
    if train_idx.size and test_idx.size:
        train_acc, c, s = _fit_threshold(f1[train_idx], high[train_idx])
        test_acc = float(np.mean((s * (f1[test_idx] - c) > 0) == high[test_idx]))
        majority = bool(np.mean(high[train_idx]) > 0.5)
        baseline = float(np.mean(high[test_idx] == majority))
    else:
        train_acc = test_acc = baseline = c = float("nan")
        s = 1
    return FTLELossResult(
        ftle=ftle, final_loss=final_loss, theta0=thetas, diverged=diverged,
        spearman=spearman, spearman_p=spearman_p, pearson=pearson, pearson_p=pearson_p,
        loss_threshold=loss_threshold, high_loss=high, ftle_threshold=float(c), direction=int(s),
        train_idx=train_idx, test_idx=test_idx, train_accuracy=float(train_acc),
        test_accuracy=test_acc, baseline_accuracy=baseline, lr=lr, t_early=t_early,
        t_final=t_final)
