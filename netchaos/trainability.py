"""The trainability map: which pairs of hyper-parameters train and which diverge, and the
box-counting dimension of the boundary between them.

Every grid point is one lane of the trajectory kernels (:func:`netchaos.train` with a
learning rate per trajectory, or per trajectory and parameter for per-layer rates), so a
256 x 256 map is one call.

References
----------
.. [1] J. Sohl-Dickstein, "The boundary of neural network trainability is fractal",
   arXiv:2402.06184 (2024).
"""

from dataclasses import dataclass

import numpy as np

from ._fit import line_fit
from ._results import Result, fmt
from ._validate import as_float_array, check_choice, check_int, check_positive, split_data
from .training import final_states

__all__ = ["TrainabilityMap", "trainability_map", "boundary_dimension", "zoom_grids"]

#: what the second axis of a trainability map sweeps
SECONDS = {"lr_out": "lr_out", "scale": "scale"}


@dataclass(repr=False)
class TrainabilityMap(Result):
    """Outcome of :func:`trainability_map`.

    Attributes
    ----------
    lr : ndarray of shape (n_lr,)
        First axis: the learning rate (of the first layer when ``second="lr_out"``).
    second : ndarray of shape (n_second,)
        Second axis: the learning rate of the other layers, or the initial weight scale.
    kind : str
        ``"lr_out"`` or ``"scale"``.
    trained : bool ndarray of shape (n_lr, n_second)
        Finite throughout and the final loss below ``threshold`` times the initial loss.
    diverged_at : int ndarray of shape (n_lr, n_second)
        Step at which the trajectory became non-finite, -1 if never.
    initial_loss, final_loss : ndarray of shape (n_lr, n_second)
        The loss at step 0 and at the last finite state.
    steps : int
    threshold : float
    dimension : float
        Box-counting dimension of the boundary (:func:`boundary_dimension`), NaN without a
        boundary.
    dimension_interval : ndarray of shape (2,)
        Smallest and largest slope over windows of consecutive box sizes.
    box_sizes, box_counts : int ndarray of shape (n_sizes,)
    """

    lr: np.ndarray
    second: np.ndarray
    kind: str
    trained: np.ndarray
    diverged_at: np.ndarray
    initial_loss: np.ndarray
    final_loss: np.ndarray
    steps: int
    threshold: float
    dimension: float
    dimension_interval: np.ndarray
    box_sizes: np.ndarray
    box_counts: np.ndarray

    @property
    def boundary(self):
        """bool ndarray of shape (n_lr, n_second): trained cells next to one that did not train."""
        return boundary_cells(self.trained)

    def __repr__(self):
        lo, hi = self.dimension_interval
        return (f"TrainabilityMap({self.trained.shape[0]} lr x {self.trained.shape[1]} "
                f"{self.kind}, steps={self.steps}, trained={fmt(self.trained.mean(), 3)}, "
                f"dimension={fmt(self.dimension, 3)} [{fmt(lo, 3)}, {fmt(hi, 3)}])")


def boundary_cells(mask):
    """Cells of a 2-D boolean grid that are True and have a False 4-neighbour.

    One side of the boundary only, so a straight boundary is one cell wide at every
    position (counting both sides would double boxes that straddle it).

    Examples
    --------
    >>> m = np.array([[1, 1, 0, 0]] * 2, dtype=bool)
    >>> boundary_cells(m).astype(int).tolist()
    [[0, 1, 0, 0], [0, 1, 0, 0]]
    """
    m = np.asarray(mask, dtype=bool)
    other = np.zeros_like(m)
    other[1:] |= ~m[:-1]
    other[:-1] |= ~m[1:]
    other[:, 1:] |= ~m[:, :-1]
    other[:, :-1] |= ~m[:, 1:]
    return m & other


def boundary_dimension(mask, min_boxes=4):
    """Box-counting dimension of the boundary of a 2-D boolean grid.

    Parameters
    ----------
    mask : bool array_like of shape (n1, n2)
    min_boxes : int, default 4
        The largest box leaves at least this many boxes along the shorter side.

    Returns
    -------
    dimension : float
        Slope of ``ln N(s)`` against ``ln(1/s)`` over box sizes ``s = 1, 2, 4, ...`` cells,
        ``N(s)`` the number of ``s x s`` boxes holding a boundary cell; NaN without a boundary
        or with fewer than 3 sizes.
    interval : ndarray of shape (2,)
        Smallest and largest slope of the fits over every window of 3 or more consecutive
        sizes: how much the estimate depends on the range of scales.
    sizes, counts : int ndarray of shape (n_sizes,)

    Notes
    -----
    A smooth boundary gives 1, a space-filling one 2; Sohl-Dickstein [1]_ found dimensions
    between about 1.2 and 2 for the boundary of trainability of small networks. The grid
    resolution limits the smallest box, so the interval is the honest uncertainty.

    Examples
    --------
    A straight boundary:

    >>> x = np.linspace(0, 1, 128)
    >>> d, interval, sizes, counts = boundary_dimension(x[:, None] + 0 * x[None] < 0.37)
    >>> round(d, 2)
    1.0
    """
    m = np.asarray(mask, dtype=bool)
    if m.ndim != 2:
        raise ValueError(f"mask must be 2-dimensional, got shape {m.shape}")
    b = boundary_cells(m)
    n_min = min(m.shape)
    sizes = []
    s = 1
    while n_min // s >= check_int(min_boxes, "min_boxes", minimum=1):
        sizes.append(s)
        s *= 2
    counts = []
    for s in sizes:
        n1, n2 = -(-m.shape[0] // s), -(-m.shape[1] // s)
        pad = np.zeros((n1 * s, n2 * s), dtype=bool)
        pad[:m.shape[0], :m.shape[1]] = b
        counts.append(int(pad.reshape(n1, s, n2, s).any(axis=(1, 3)).sum()))
    sizes = np.array(sizes, dtype=np.int64)
    counts = np.array(counts, dtype=np.int64)
    if len(sizes) < 3 or np.any(counts == 0):
        return np.nan, np.array([np.nan, np.nan]), sizes, counts
    x = np.log(1.0 / sizes)
    y = np.log(counts.astype(float))
    dim = float(line_fit(x, y)[0])
    slopes = [line_fit(x[i:j], y[i:j])[0] for i in range(len(x)) for j in range(i + 3, len(x) + 1)]
    return dim, np.array([min(slopes), max(slopes)]), sizes, counts


def zoom_grids(lr, second, center, factor=4.0, n=128):
    """The grids of a zoom into a trainability map: ``factor`` times narrower around ``center``.

    Parameters
    ----------
    lr, second : ndarray of shape (n_lr,), (n_second,)
        The current axes (only their extents are used).
    center : (float, float)
        ``(lr, second)`` of the centre of the zoom.
    factor : float, default 4
    n : int, default 128
        Points per axis of the zoom.

    Returns
    -------
    lr, second : ndarray of shape (n,)

    Examples
    --------
    >>> a, b = zoom_grids(np.linspace(0, 8, 9), np.linspace(0, 4, 5), (4.0, 2.0), factor=4, n=3)
    >>> a.tolist(), b.tolist()
    ([3.0, 4.0, 5.0], [1.5, 2.0, 2.5])
    """
    lr = as_float_array(lr, "lr", ndim=1)
    second = as_float_array(second, "second", ndim=1)
    factor = check_positive(factor, "factor")
    n = check_int(n, "n", minimum=2)
    c1, c2 = (float(v) for v in center)
    h1 = (lr.max() - lr.min()) / (2 * factor)
    h2 = (second.max() - second.min()) / (2 * factor)
    return np.linspace(c1 - h1, c1 + h1, n), np.linspace(c2 - h2, c2 + h2, n)


def _layer_of(model):
    """Layer index of every parameter (weights and bias of layer k)."""
    layer = np.empty(model.n_params, dtype=np.int64)
    sizes = model.sizes
    off = 0
    for k in range(len(sizes) - 1):
        n = sizes[k] * sizes[k + 1] + sizes[k + 1]
        layer[off:off + n] = k
        off += n
    return layer


def trainability_map(model, data, lr_grid, second_grid, second="lr_out", steps=500,
                     theta0=None, seed=0, threshold=1.0, segment=100, progress=False):
    """Which (learning rate, second hyper-parameter) pairs train, and the dimension of the boundary.

    Parameters
    ----------
    model : MLP
    data : Dataset or tuple
    lr_grid : array_like of shape (n_lr,)
        Learning rates, > 0: of the first layer (``second="lr_out"``) or of every layer
        (``second="scale"``).
    second_grid : array_like of shape (n_second,)
        Learning rates of the other layers (``"lr_out"``, > 0), or initial scales (``"scale"``,
        > 0) multiplying ``theta0``.
    second : {"lr_out", "scale"}, default "lr_out"
    steps : int, default 500
    theta0 : ndarray of shape (n_params,), optional
        The initial condition (before scaling); default ``model.init(seed=seed)``.
    seed : int, default 0
    threshold : float, default 1.0
        A point trained when its final loss is below ``threshold`` times its initial loss
        (and it never became non-finite).
    segment : int, default 100
        Steps per kernel call: the points that diverged are left out of the following
        calls (:func:`netchaos.training.final_states`); the map is the same bits for any
        value.
    progress : bool, default False

    Returns
    -------
    TrainabilityMap

    Notes
    -----
    All ``n_lr * n_second`` points are the lanes of :func:`netchaos.train` calls with a
    learning rate per trajectory (``"scale"``) or per trajectory and parameter (per-layer
    rates, ``"lr_out"``: the first layer's weights and bias take ``lr``, the rest ``second``),
    recording only the final state, so memory stays at a few copies of the parameters; every
    ``segment`` steps the points still finite are repacked, so a diverged point costs
    nothing after the segment of its divergence. A converged point is not stopped early:
    its final loss is reported. The loss of an unstable point may stay finite (bounded
    activations) and still not train, hence the loss criterion beside divergence, as in
    Sohl-Dickstein [1]_ (a sigmoid network with cross-entropy hardly ever diverges, so there
    the early stop saves nothing). For a quadratic
    loss the GD map is linear and a point trains exactly when ``lr < 2 / h_max``.

    References
    ----------
    .. [1] J. Sohl-Dickstein, "The boundary of neural network trainability is fractal",
       arXiv:2402.06184 (2024).

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> res = nc.trainability_map(nc.MLP([4, 3, 3]), nc.datasets.iris(), np.geomspace(0.1, 50, 8),
    ...                           np.geomspace(0.1, 50, 8), steps=50)
    >>> res.trained.shape, bool(res.trained[0, 0]), bool(res.trained[-1, -1])
    ((8, 8), True, False)
    """
    kind = check_choice(second, "second", SECONDS)
    lr = as_float_array(lr_grid, "lr_grid", ndim=1)
    sec = as_float_array(second_grid, "second_grid", ndim=1)
    for arr, name in ((lr, "lr_grid"), (sec, "second_grid")):
        if arr.size == 0 or np.any(arr <= 0):
            raise ValueError(f"{name} must hold at least one value, all > 0")
    steps = check_int(steps, "steps", minimum=1)
    threshold = check_positive(threshold, "threshold")
    segment = check_int(segment, "segment", minimum=1)
    if kind == "lr_out" and len(model.sizes) < 3:
        raise ValueError("second='lr_out' needs a network with at least two layers")
    if theta0 is None:
        theta0 = model.init(seed=seed)
    theta0 = as_float_array(theta0, "theta0", ndim=1)
    if theta0.shape != (model.n_params,):
        raise ValueError(f"theta0 must have shape ({model.n_params},), got {theta0.shape}")
    X, y, _, _ = split_data(data)
    L1, L2 = np.meshgrid(lr, sec, indexing="ij")
    K = L1.size
    if kind == "scale":
        start = L2.reshape(K, 1) * theta0[None]
        rates = L1.reshape(K).copy()
    else:
        start = np.repeat(theta0[None], K, axis=0)
        first = _layer_of(model) == 0
        rates = np.where(first[None], L1.reshape(K, 1), L2.reshape(K, 1))
    initial = model.loss(start, X, y)
    theta, diverged_at = final_states(model, data, start, rates, steps, segment=segment,
                                      progress=progress)
    del start
    final = model.loss(theta, X, y)
    with np.errstate(invalid="ignore"):
        trained = (diverged_at < 0) & np.isfinite(final) & (final < threshold * initial)
    shape = L1.shape
    trained = trained.reshape(shape)
    dim, interval, sizes, counts = boundary_dimension(trained) if trained.any() and \
        not trained.all() else (np.nan, np.array([np.nan, np.nan]), np.zeros(0, np.int64),
                                np.zeros(0, np.int64))
    return TrainabilityMap(lr=lr, second=sec, kind=kind, trained=trained,
                           diverged_at=diverged_at.reshape(shape),
                           initial_loss=initial.reshape(shape), final_loss=final.reshape(shape),
                           steps=steps, threshold=threshold, dimension=dim,
                           dimension_interval=interval, box_sizes=sizes, box_counts=counts)
