"""Maps and their tangent maps: gradient descent on a network, any map given as callables,
and textbook maps with known Lyapunov exponents.

A map is an object (:class:`Map`) with ``step(x) -> f(x)`` and the action of its Jacobian
on a block of tangent vectors, ``tangent(x, V) -> Df(x) V``; :class:`GDMap` is gradient
descent ``theta -> theta - lr * grad L(theta)`` on a network, whose tangent map
``I - lr H(theta)`` is applied with exact Hessian-vector products (no Hessian is formed).
:func:`netchaos.lyapunov_spectrum` and :func:`netchaos.covariant_vectors` take any of them.

The textbook maps (:func:`logistic`, :func:`tent`, :func:`henon`, :func:`linear`) are the
known answers on which the estimators are validated: the logistic map at r = 4 and the tent
map have lambda = ln 2 and ln mu, the Hénon map (a = 1.4, b = 0.3) about 0.42 and -1.62
[1]_, a linear map the logarithms of its eigenvalue moduli.

References
----------
.. [1] M. Hénon, "A two-dimensional mapping with a strange attractor", Commun. Math. Phys.
   50, 69-77 (1976).
"""

import numpy as np

from . import _blocks
from ._validate import (
    as_float_array,
    check_int,
    check_model,
    check_model_data,
    check_positive,
    split_data,
)
from .core.tangent import tangent_qr_run

__all__ = ["Map", "GDMap", "BoundMap", "bind", "orbit", "logistic", "logistic_exponents", "tent",
           "henon", "linear"]


class Map:
    """A smooth map on flat float64 states with the action of its Jacobian.

    Parameters
    ----------
    step : callable
        ``step(x) -> f(x)``, an array of shape (n,) for ``x`` of shape (n,).
    jacobian : callable, optional
        ``jacobian(x) -> Df(x)``, an array of shape (n, n).
    tangent : callable, optional
        ``tangent(x, V) -> Df(x) V`` for ``V`` of shape (n, k): the matrix-free form (give it
        instead of ``jacobian`` when the Jacobian is too large to form).
    step_tangent : callable, optional
        ``step_tangent(x, V) -> (f(x), Df(x) V)`` in one call, e.g. a flow integrated once
        together with its variational equation. Used in place of ``step`` + ``tangent``
        when given.
    label : str, default "map"
        Name shown in progress bars.

    Notes
    -----
    At least one of ``jacobian``, ``tangent`` and ``step_tangent`` is required. The outputs
    are checked for shape on every call, so a wrong callable fails with a message naming it.

    Examples
    --------
    >>> import numpy as np
    >>> m = Map(lambda x: 4 * x * (1 - x), jacobian=lambda x: np.array([[4 - 8 * x[0]]]))
    >>> m.step(np.array([0.25]))
    array([0.75])
    >>> m.tangent(np.array([0.25]), np.eye(1))
    array([[2.]])
    """

    lr = None

    def __init__(self, step, jacobian=None, *, tangent=None, step_tangent=None, label="map"):
        if step is None or not callable(step):
            raise TypeError("step must be a callable x -> f(x)")
        for value, name in ((jacobian, "jacobian"), (tangent, "tangent"),
                            (step_tangent, "step_tangent")):
            if value is not None and not callable(value):
                raise TypeError(f"{name} must be a callable, got {type(value).__name__}")
        if jacobian is None and tangent is None and step_tangent is None:
            raise TypeError("jacobian must be a callable x -> ndarray of shape (n, n) "
                            "(or give tangent(x, V) or step_tangent(x, V))")
        self._step, self._jacobian, self._tangent = step, jacobian, tangent
        self._step_tangent = step_tangent
        self.label = label

    def step(self, x):
        """``f(x)`` as a float64 array of the shape of ``x``."""
        return _as_state(self._step(x), x.shape, "step")

    def jacobian(self, x):
        """``Df(x)``, shape (n, n) (formed from ``tangent`` when only that was given)."""
        if self._jacobian is None:
            return self.tangent(x, np.eye(x.shape[0]))
        return _as_state(self._jacobian(x), (x.shape[0], x.shape[0]), "jacobian")

    def tangent(self, x, V):
        """``Df(x) V`` for ``V`` of shape (n, k)."""
        if self._tangent is not None:
            return _as_state(self._tangent(x, V), V.shape, "tangent")
        if self._jacobian is None:
            return self.step_tangent(x, V)[1]
        return self.jacobian(x) @ V

    def step_tangent(self, x, V):
        """``(f(x), Df(x) V)``."""
        if self._step_tangent is not None:
            fx, JV = self._step_tangent(x, V)
            return _as_state(fx, x.shape, "step_tangent"), _as_state(JV, V.shape, "step_tangent")
        return self.step(x), self.tangent(x, V)

    def __repr__(self):
        return f"Map(label={self.label!r})"

    # the QR engine's interface
    def advance(self, x):
        return self.step(x)

    @property
    def both(self):
        return self.step_tangent if self._step_tangent is not None else None

    fused = None


def _as_state(value, shape, name):
    arr = np.asarray(value)
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must return real values, got a complex array")
    arr = np.asarray(arr, dtype=np.float64)
    if arr.shape != shape:
        if arr.size != int(np.prod(shape)):
            raise ValueError(f"{name} must return an array of shape {shape}, got {arr.shape}")
        arr = arr.reshape(shape)
    return arr


class GDMap(Map):
    """Full-batch gradient descent ``theta -> theta - lr * grad L(theta)`` on a network.

    Parameters
    ----------
    model : MLP
        Any object of the network model protocol (``n_params``, ``grad``, ``hvp``, and
        optionally ``loss``, ``jvp_map``, ``step_tangent``; see ``docs/architecture.md``):
        a netchaos.MLP or a model of :mod:`netchaos.adapters`.
    data : Dataset or tuple (X, y)
        Training data (a Dataset's training arrays).
    lr : float
        Learning rate, > 0.

    Notes
    -----
    The tangent map is ``V -> (I - lr H(theta)) V`` with exact Hessian-vector products
    (Pearlmutter's R-operator); for a netchaos.MLP the step and its tangent share one pass,
    and small problems run the whole QR iteration of a spectrum in one compiled kernel.

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> model = nc.MLP([4, 10, 3])
    >>> g = GDMap(model, nc.datasets.iris(), lr=1.0)
    >>> theta = model.init(seed=0)
    >>> g.step(theta).shape, g.tangent(theta, np.eye(83)[:, :2]).shape
    ((83,), (83, 2))
    """

    def __init__(self, model, data, lr):
        check_model(model, "tangent")
        if data is None:
            raise ValueError("data is required with model (a Dataset or a tuple (X, y))")
        self.model = model
        self.lr = check_positive(lr, "lr")
        X, y, _, _ = split_data(data)
        # validates X and y once, with their names in the messages
        check_model_data(model, X, y)
        self.X = np.ascontiguousarray(X, dtype=np.float64)
        self.y = y
        self.label = "GD"
        self._fast = hasattr(model, "_tangent_kernel") and hasattr(model, "_check_data")
        if self._fast:
            self._Xc, self._yi, self._yf = model._check_data(self.X, y)

    @property
    def n(self):
        return self.model.n_params

    def step(self, theta):
        return theta - self.lr * self.model.grad(theta, self.X, self.y)

    advance = step

    def tangent(self, theta, V):
        if not hasattr(self.model, "jvp_map"):
            return V - self.lr * self.model.hvp(theta, V, self.X, self.y)
        return self.model.jvp_map(theta, V, self.X, self.y, self.lr)

    def jacobian(self, theta):
        return self.tangent(theta, np.eye(self.n))

    def step_tangent(self, theta, V):
        if not self._fast:
            if hasattr(self.model, "step_tangent"):
                return self.model.step_tangent(theta, V, self.X, self.y, self.lr)
            return self.step(theta), self.tangent(theta, V)
        JV, g = self.model._tangent_kernel(theta, V, self._Xc, self._yi, self._yf, self.lr, True)
        return theta - self.lr * g, JV

    @property
    def both(self):
        return self.step_tangent

    @property
    def fused(self):
        """``fused(theta, Q, n, absdiag) -> done``: n GD steps with a QR after each, in place
        (small problems only; None otherwise)."""
        model = self.model
        if not self._fast or self._Xc.shape[0] * model.n_params ** 2 >= _blocks.PARALLEL_WORK:
            return None
        args = model._kernel_args()
        tile = _blocks.tile_for(model.n_params)
        Xc, yi, yf, lr = self._Xc, self._yi, self._yf, self.lr

        def fused(th, Q, n, absdiag):
            n_blocks = _blocks.direction_blocks(Xc.shape[0], model.n_params, Q.shape[1])
            return tangent_qr_run(th, Q, *args, Xc, yi, yf, lr, n, tile, n_blocks, absdiag)
        return fused

    def __repr__(self):
        return f"GDMap({self.model!r}, lr={self.lr:g})"


class BoundMap:
    """A map with its initial state: what the QR engine of the spectra iterates.

    Attributes
    ----------
    map : Map
    x0 : ndarray of shape (n,)
    n : int
    lr : float or None
        The learning rate of a :class:`GDMap`.

    Examples
    --------
    >>> b = BoundMap(logistic(4.0), np.array([0.25]))
    >>> b.n, b.lr, b.label
    (1, None, 'logistic')
    >>> b.advance(b.x0)
    array([0.75])
    """

    def __init__(self, m, x0):
        self.map = m
        self.x0 = x0
        self.n = x0.shape[0]
        self.lr = getattr(m, "lr", None)
        self.label = m.label
        self.advance = m.advance
        self.tangent = m.tangent
        self.both = m.both
        self.fused = m.fused


def bind(model=None, data=None, theta=None, lr=None, step=None, jacobian=None, x0=None):
    """Check the arguments of a spectrum call and build the map with its initial state.

    ``model`` is a :class:`Map` (then ``x0`` or ``theta`` is the initial state), or a
    network (with ``data``, ``theta`` and ``lr``); otherwise ``step``, ``jacobian`` and
    ``x0`` give a generic map. Mixing the forms is refused with a message naming the
    arguments.

    Parameters
    ----------
    model : Map or MLP, optional
        A map object, or a network (then ``data``, ``theta`` and ``lr`` are required).
    data : Dataset or tuple (X, y), optional
        Training data of the network.
    theta : array_like of shape (n_params,), optional
        Initial parameters of the network (or the initial state of a map object).
    lr : float, optional
        Learning rate of the network, > 0.
    step, jacobian : callable, optional
        Generic mode: ``step(x) -> f(x)`` and ``jacobian(x) -> Df(x)`` of shape (n, n).
    x0 : array_like of shape (n,) or float, optional
        Initial state (generic mode or map object).

    Returns
    -------
    BoundMap
        The map with a float64 copy of its initial state, shape (n,).

    Examples
    --------
    >>> b = bind(step=lambda x: 0.5 * x, jacobian=lambda x: np.array([[0.5]]), x0=2.0)
    >>> type(b.map).__name__, b.n, b.x0
    ('Map', 1, array([2.]))
    >>> bind(logistic(4.0), lr=1.0, x0=0.3)
    Traceback (most recent call last):
        ...
    ValueError: lr is not used with a map object (its map is fixed)
    """
    if isinstance(model, Map):
        for value, name in ((data, "data"), (lr, "lr"), (step, "step"), (jacobian, "jacobian")):
            if value is not None:
                raise ValueError(f"{name} is not used with a map object (its map is fixed)")
        if theta is not None and x0 is not None:
            raise ValueError("give the initial state as x0 or theta, not both")
        start = x0 if x0 is not None else theta
        if start is None:
            raise ValueError("x0 (initial state) is required with a map object")
        x = _initial_state(start)
        if isinstance(model, GDMap) and x.shape[0] != model.n:
            raise ValueError(f"x0 must have shape ({model.n},) for this model, got {x.shape}")
        return BoundMap(model, x)
    neural = model is not None
    generic = step is not None or jacobian is not None or x0 is not None
    if neural and generic:
        raise ValueError("give either a network (model, data, theta, lr) or a generic map "
                         "(step, jacobian, x0), not both")
    if not neural and not generic:
        raise ValueError("missing map: give model, data, theta and lr (network mode), "
                         "step, jacobian and x0 (generic mode), or a Map object and x0")
    if neural:
        check_model(model, "tangent")
        if data is None:
            raise ValueError("data is required with model (a Dataset or a tuple (X, y))")
        if theta is None:
            raise ValueError("theta is required with model (initial parameters, shape "
                             f"({model.n_params},))")
        if lr is None:
            raise ValueError("lr is required with model")
        lr = check_positive(lr, "lr")
        split_data(data)
        th = as_float_array(theta, "theta", ndim=1, finite=False)
        if th.shape[0] != model.n_params:
            raise ValueError(f"theta must have shape ({model.n_params},) for this model, "
                             f"got {th.shape}")
        return BoundMap(GDMap(model, data, lr), th.copy())
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
    return BoundMap(Map(step, jacobian), _initial_state(x0))


def _initial_state(x0):
    """``x0`` as a fresh 1-D float64 array of at least one coordinate (non-finite allowed)."""
    x = as_float_array(x0, "x0", ndim=(0, 1), finite=False).reshape(-1)
    if x.size == 0:
        raise ValueError("x0 must hold at least one coordinate")
    return x.copy()


# ---------------------------------------------------------------------------
# textbook maps
# ---------------------------------------------------------------------------
def logistic(r):
    """The logistic map ``x -> r x (1 - x)`` on [0, 1], ``0 < r <= 4``.

    Its exponent is ln 2 at r = 4, negative in periodic windows and zero at bifurcations.

    Examples
    --------
    >>> import netchaos as nc
    >>> res = nc.lyapunov_spectrum(logistic(4.0), x0=0.3, steps=5000, transient=100, seed=0)
    >>> round(float(res.exponents[0]), 2)
    0.69
    """
    r = check_positive(r, "r", maximum=4.0)
    return Map(lambda x: r * x * (1.0 - x), lambda x: np.array([[r * (1.0 - 2.0 * x[0])]]),
               label="logistic")


def logistic_exponents(r, steps=2000, transient=500, x0=0.3):
    """Lyapunov exponent of the logistic map at many values of r at once.

    Parameters
    ----------
    r : array_like of shape (m,)
        Parameters, each in (0, 4].
    steps : int, default 2000
        Iterations averaged, >= 1.
    transient : int, default 500
        Iterations dropped first, >= 0.
    x0 : float, default 0.3
        Initial state in (0, 1), the same for every r.

    Returns
    -------
    ndarray of shape (m,)
        ``(1 / steps) sum_t ln |r (1 - 2 x_t)|`` per r, natural logarithm, per
        iteration; ``-inf`` where an orbit hits the critical point ``x = 1/2``
        exactly (a superstable orbit).

    Notes
    -----
    The one-dimensional QR method reduces to this average of ``ln |f'(x_t)|``;
    here the orbits of all r advance together as one numpy vector, so that
    2,000 values of r over 2,000 iterations take a fraction of a second
    (:func:`netchaos.lyapunov_spectrum` on :func:`logistic` gives the same
    numbers, one r at a time). A grid that fine resolves the periodic windows:
    the period-3 window opens at ``r = 1 + sqrt(8) = 3.8284``, and the exponent
    stays negative there over about 0.019 in r (31 points of 2001 over [2.8, 4]). Near a bifurcation the orbit converges slowly and the exponent
    over a finite run stays above its asymptotic value.

    Examples
    --------
    >>> import numpy as np
    >>> from netchaos.systems import logistic_exponents
    >>> np.round(logistic_exponents([3.2, 3.835, 4.0], steps=20000), 2)   # 2-cycle, 3-cycle, chaos
    array([-0.92, -0.31,  0.69])
    """
    r = as_float_array(r, "r")
    if r.ndim != 1 or r.size == 0:
        raise ValueError(f"r must be a non-empty 1-D array, got shape {r.shape}")
    if not np.all(np.isfinite(r) & (r > 0) & (r <= 4)):
        raise ValueError("r must lie in (0, 4]")
    steps = check_int(steps, "steps", minimum=1)
    transient = check_int(transient, "transient", minimum=0)
    x0 = check_positive(x0, "x0", maximum=1.0)
    if x0 >= 1.0:
        raise ValueError("x0 must lie in (0, 1)")
    x = np.full(r.shape, x0)
    for _ in range(transient):
        x = r * x * (1.0 - x)
    total = np.zeros(r.shape)
    with np.errstate(divide="ignore"):
        for _ in range(steps):
            total += np.log(np.abs(r * (1.0 - 2.0 * x)))
            x = r * x * (1.0 - x)
    return total / steps


def tent(mu):
    """The tent map ``x -> mu min(x, 1 - x)``, ``0 < mu <= 2``; exponent ln mu.

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> res = nc.lyapunov_spectrum(tent(1.7), x0=0.27, steps=5000, transient=100, seed=0)
    >>> bool(abs(res.exponents[0] - np.log(1.7)) < 0.01)
    True
    """
    mu = check_positive(mu, "mu", maximum=2.0)
    return Map(lambda x: mu * np.minimum(x, 1.0 - x),
               lambda x: np.array([[mu if x[0] < 0.5 else -mu]]), label="tent")


def henon(a=1.4, b=0.3):
    """The Hénon map ``(x, y) -> (1 - a x^2 + y, b x)``.

    At a = 1.4, b = 0.3 its exponents are about 0.42 and -1.62, summing to ln b [1]_.

    References
    ----------
    .. [1] M. Hénon, "A two-dimensional mapping with a strange attractor", Commun. Math.
       Phys. 50, 69-77 (1976).

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> res = nc.lyapunov_spectrum(henon(), x0=[0.1, 0.1], steps=5000, transient=100, seed=0)
    >>> np.round(res.exponents, 2)
    array([ 0.42, -1.62])
    """
    a = float(check_positive(a, "a", allow_zero=True))
    if isinstance(b, bool) or not isinstance(b, (int, float, np.floating, np.integer)) \
            or not np.isfinite(b):
        raise ValueError(f"b must be a finite number, got {b!r}")
    b = float(b)
    return Map(lambda v: np.array([1.0 - a * v[0] * v[0] + v[1], b * v[0]]),
               lambda v: np.array([[-2.0 * a * v[0], 1.0], [b, 0.0]]), label="henon")


def linear(A):
    """The linear map ``x -> A x``; its exponents are ``ln |eigenvalues of A|`` (A normal).

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> res = nc.lyapunov_spectrum(linear(np.diag([2.0, 0.5])), x0=[1.0, 1.0], steps=50,
    ...                            transient=50, seed=0)
    >>> np.round(res.exponents, 3)
    array([ 0.693, -0.693])
    """
    A = as_float_array(A, "A", ndim=2)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be square, got shape {A.shape}")
    return Map(lambda x: A @ x, lambda x: A, label="linear")


def orbit(m, x0, steps, transient=0):
    """The orbit ``x_t = f^t(x_0)`` of a map for ``t`` from ``transient`` to
    ``transient + steps - 1``.

    Parameters
    ----------
    m : Map
    x0 : array_like of shape (n,) or float
        Initial state.
    steps : int
        Number of states returned, >= 1.
    transient : int, default 0
        Iterations dropped first.

    Returns
    -------
    ndarray of shape (steps, n)

    Examples
    --------
    >>> orbit(logistic(4.0), 0.25, 3)
    array([[0.25],
           [0.75],
           [0.75]])
    """
    if not isinstance(m, Map):
        raise TypeError(f"m must be a netchaos.systems.Map, got {type(m).__name__}")
    x = as_float_array(x0, "x0", ndim=(0, 1)).reshape(-1)
    steps = check_int(steps, "steps", minimum=1)
    transient = check_int(transient, "transient", minimum=0)
    out = np.empty((steps, x.size))
    for i in range(transient + steps):
        if i >= transient:
            out[i - transient] = x
        x = m.step(x)
    return out
