"""Trajectories of the gradient-descent map, single or in ensembles."""

from dataclasses import dataclass

import numba
import numpy as np

from . import _blocks
from ._blas import one_blas_thread
from ._progress import progress_bar
from ._results import Result
from ._validate import (
    as_array,
    as_float_array,
    check_bool,
    check_int,
    check_memory,
    check_model,
    check_model_data,
    check_positive,
    rng_from,
    split_data,
)
from .core.ensemble import run_block, run_blocks

_RECORD = ("final", "metrics", "params")


@dataclass
class TrainResult(Result):
    """Outcome of :func:`train`.

    Arrays carry a leading trajectory axis ``K`` when ``theta0`` was an
    ensemble of shape (K, n_params), and none for a single trajectory.

    Attributes
    ----------
    theta : ndarray of shape ([K,] n_params)
        Final parameters; for a diverged trajectory, its last finite state.
    loss, accuracy : ndarray of shape ([K,] steps + 1) or None
        Training loss and accuracy at theta(t), t = 0 .. steps, over all
        training samples (also under SGD); NaN from the step of divergence on; accuracy is NaN
        for MSE models. None when ``record="final"``.
    test_loss, test_accuracy : ndarray of shape ([K,] steps + 1) or None
        The same on the test set, when ``test_metrics=True``.
    params : ndarray of shape ([K,] n_rec, n_params) or None
        theta(t) at ``param_steps`` when ``record="params"``; NaN after divergence.
    param_steps : int ndarray of shape (n_rec,) or None
    distance_l1, distance_l2 : ndarray of shape (K, steps + 1) or None
        ``sum |theta_k(t) - theta_ref(t)|`` and the Euclidean distance to the
        reference trajectory when ``reference`` was given (0 for references,
        NaN once either trajectory diverged).
    diverged : bool or ndarray of bool of shape (K,)
    diverged_at : int or int ndarray of shape (K,)
        First step t at which theta(t) or its loss is non-finite; -1 if never.
    lr : float or ndarray
        The learning rate(s) as given to :func:`train`.
    steps : int
    batch_size : int or None

    Examples
    --------
    >>> import netchaos as nc
    >>> model = nc.MLP([4, 3, 3])
    >>> res = nc.train(model, nc.datasets.iris(), model.init(seed=0), lr=1.0, steps=5)
    >>> res.theta.shape, res.loss.shape, res.diverged, res.diverged_at
    ((27,), (6,), False, -1)
    >>> res.params is None   # record="params" keeps theta(t) too
    True
    """

    theta: np.ndarray
    loss: np.ndarray = None
    accuracy: np.ndarray = None
    test_loss: np.ndarray = None
    test_accuracy: np.ndarray = None
    params: np.ndarray = None
    param_steps: np.ndarray = None
    distance_l1: np.ndarray = None
    distance_l2: np.ndarray = None
    diverged: np.ndarray = None
    diverged_at: np.ndarray = None
    lr: object = None
    steps: int = None
    batch_size: int = None

    @property
    def n_diverged(self):
        """Number of trajectories that diverged."""
        return int(np.sum(self.diverged))

    def __repr__(self):
        shape = np.shape(self.theta)
        kind = f"{shape[0]} trajectories" if len(shape) == 2 else "1 trajectory"
        lr = self.lr if np.ndim(self.lr) == 0 else f"array{np.shape(self.lr)}"
        return (f"TrainResult({kind}, steps={self.steps}, lr={lr}, "
                f"n_diverged={self.n_diverged})")




def _batches(rng, n_samples, batch_size, n_rows):
    """Mini-batch indices: consecutive slices of per-epoch permutations (last partial batch dropped)."""
    per_epoch = n_samples // batch_size
    n_epochs = -(-n_rows // per_epoch)
    out = np.empty((n_epochs * per_epoch, batch_size), dtype=np.int64)
    for e in range(n_epochs):
        perm = rng.permutation(n_samples)
        out[e * per_epoch:(e + 1) * per_epoch] = perm[:per_epoch * batch_size].reshape(per_epoch, batch_size)
    return np.ascontiguousarray(out[:n_rows])


def _groups(reference, K):
    ref = as_array(reference, "reference")
    if ref.shape != (K,) or not np.issubdtype(ref.dtype, np.integer):
        raise ValueError(f"reference must be an integer array of shape ({K},), got "
                         f"{ref.dtype} array of shape {ref.shape}")
    ref = ref.astype(np.int64)
    if np.any((ref < -1) | (ref >= K)):
        raise ValueError(f"reference entries must be -1 or trajectory indices in [0, {K})")
    if np.any(ref[ref >= 0] == np.nonzero(ref >= 0)[0]):
        raise ValueError("reference: a trajectory cannot be its own reference (use -1)")
    if np.any(ref[ref[ref >= 0]] != -1):
        raise ValueError("reference: a reference trajectory must itself have reference -1")
    members = {}
    for k in range(K):
        root = k if ref[k] < 0 else ref[k]
        members.setdefault(root, []).append(k)
    return ref, [np.array(members[r]) for r in sorted(members)]


class Owned:
    """Initial states handed over to :func:`train`, which may drop them once it has its own copy.

    A caller that builds a large temporary ensemble and passes it as
    ``train(model, data, Owned(states), ...)`` keeps no reference to it: ``train`` takes
    the array out of the box, so the temporary is freed as soon as the kernels' state is
    packed (an array passed directly stays referenced by the caller until the call returns).
    """

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array


def train(model, data, theta0, lr, steps, record="metrics", every=1, batch_size=None, seed=None,
          reference=None, test_metrics=False, progress=False):
    """Iterate the gradient-descent map from one or many initial conditions.

    ``theta(t+1) = theta(t) - lr * grad L(theta(t))``, full batch by default.

    Parameters
    ----------
    model : MLP or a model of the network model protocol
        A :class:`netchaos.MLP` runs on the lane kernels; any other object with
        ``n_params``, ``grad(theta, X, y)`` and ``hvp`` (``_validate.MODEL_PROTOCOL``,
        e.g. a :mod:`netchaos.adapters` model) is stepped one trajectory at a
        time through its ``grad``, with the same records and divergence flags
        (loss from its ``loss``, NaN without one; accuracy from an
        ``accuracy(theta, X, y)`` method, else NaN).
    data : Dataset or tuple
        A :class:`netchaos.datasets.Dataset` (its training arrays drive the map,
        the test arrays feed ``test_metrics``) or a tuple ``(X, y)`` or
        ``(X, y, X_test, y_test)``.
    theta0 : ndarray of shape (n_params,) or (K, n_params)
        One initial condition or an ensemble of K. A non-finite row is
        flagged as diverged at step 0 rather than rejected.
    lr : float or ndarray
        Learning rate, > 0: one for every trajectory, or an array with one
        per trajectory (shape (K,)) or per trajectory and parameter (shape
        (K, n_params), e.g. per-layer rates; shape (n_params,) for a single
        trajectory). A trajectory run with an array holds the bits of the run
        with the scalar of its row.
    steps : int
        Number of GD steps, >= 0.
    record : {"metrics", "final", "params"}
        What to keep: loss and accuracy at every step (default), only the
        final state, or also the parameters every ``every`` steps.
    every : int, default 1
        Parameter recording interval for ``record="params"``.
    batch_size : int, optional
        None for full-batch GD; an int for mini-batch SGD, with batches drawn
        from ``seed`` and shared by every trajectory of the ensemble (epochs of
        a random permutation, last partial batch dropped).
    seed : int or numpy.random.Generator, optional
        Seeds the mini-batch order (unused in full-batch GD).
    reference : int array of shape (K,), optional
        Index of each trajectory's reference in ``theta0`` (-1 for none).
        The L1 and L2 distances to the reference are then computed on the fly,
        without storing parameters.
    test_metrics : bool, default False
        Also record loss and accuracy on the test set at every step.
    progress : bool, default False
        Show a progress bar (tqdm).

    Returns
    -------
    TrainResult

    Notes
    -----
    Trajectories are packed into blocks of lanes and every block is advanced
    through all steps by one thread; blocks run in parallel. No arithmetic
    mixes trajectories, so results are bitwise identical for any number of
    threads and any ensemble composition. Wide networks (the matrix-product
    kernels) keep the ``(K, n_params)`` rows as the state and run blocks of up
    to 24 trajectories one after the other, each gathered from the rows and
    written back, so their memory beyond the state and the records is one
    block's. A trajectory whose loss or next
    state is non-finite is stopped at its last finite state and flagged
    (``diverged``, ``diverged_at``); the others go on.

    Examples
    --------
    >>> import netchaos as nc
    >>> data = nc.datasets.iris()
    >>> model = nc.MLP([4, 10, 3])
    >>> res = nc.train(model, data, model.init(seed=0, n=8), lr=1.0, steps=100)
    >>> res.loss.shape
    (8, 101)
    """
    owned = isinstance(theta0, Owned)
    if owned:                              # take the only reference out of the box
        box = theta0
        theta0, box.array = box.array, None
    if not hasattr(model, "_kernel_args"):
        return _train_protocol(model, data, theta0, lr, steps, record, every, batch_size, seed,
                               reference, test_metrics, progress)
    steps, every, test_metrics, progress = _check_common(record, every, steps, test_metrics,
                                                         progress)
    arr, single = model._check_theta(theta0, name="theta0")
    lr, lr_rows = _check_lr(lr, arr.shape[0] if not single else None, model.n_params)
    X, y, Xte, yte = split_data(data)
    X, yi, yf = model._check_data(X, y, "X_train" if hasattr(data, "X_train") else "X",
                                  "y_train" if hasattr(data, "X_train") else "y")
    if test_metrics:
        if Xte is None or len(Xte) == 0:
            raise ValueError("test_metrics=True needs test data (a Dataset with X_test, or a 4-tuple)")
        Xte, yite, yfte = model._check_data(Xte, yte, "X_test", "y_test")
    else:
        Xte, yite, yfte = X[:0], yi[:0], yf[:0]
    n_samples = X.shape[0]
    if batch_size is not None:
        batch_size = check_int(batch_size, "batch_size", minimum=1, maximum=n_samples)
    _check_size(model, arr.shape[0] if arr.ndim == 2 else 1, steps, every, record,
                reference is not None, test_metrics, batch_size)
    if batch_size is None:
        batches = np.empty((0, 0), dtype=np.int64)
    else:
        batches = _batches(rng_from(seed), n_samples, batch_size, max(steps, 1))

    rows = arr[None] if single else arr
    K = rows.shape[0]
    wide = model._wide
    groups = None
    if reference is not None:
        if single:
            raise ValueError("reference needs an ensemble theta0 of shape (K, n_params)")
        ref, groups = _groups(reference, K)
    else:
        ref = np.full(K, -1, dtype=np.int64)
    if wide:
        # wide networks: the (K, P) rows are the state; blocks of a few trajectories are
        # gathered from it, run by the matrix-product kernels (which run their own threads)
        # and written back one after the other, so the state never exists twice
        g = max(len(m) for m in groups) if groups is not None else 1
        lanes, multiple = _blocks.wide_lanes(K, g, model.n_params), 1
    else:
        lanes = _blocks.lanes_for(model.n_params, K, numba.get_num_threads())
        multiple = _blocks.LANE_MULTIPLE
    slots, where = _blocks.plan(K, lanes, groups, multiple=multiple)
    lanes = slots.shape[1]
    if wide:    # states handed over (Owned) are used in place; others are copied
        blocks = rows if owned and rows.flags.c_contiguous and rows.flags.writeable \
            else np.array(rows, dtype=np.float64, order="C")
    else:
        blocks = _blocks.pack(rows, slots)
    # the state is in ``blocks`` from here on: drop the references to theta0, so that
    # states handed over in an Owned box (as perturbation_ensemble does) are freed now
    del theta0, arr, rows
    nb = slots.shape[0]
    if lr_rows is None:
        lrs = np.empty((nb, 0, lanes))
        lr_group = np.zeros(model.n_params, dtype=np.int64)
    else:
        lrs = _blocks.pack(lr_rows, slots)
        lr_group = (np.zeros(model.n_params, dtype=np.int64) if lr_rows.shape[1] == 1
                    else np.arange(model.n_params, dtype=np.int64))
    # reference lane of every slot (padding slots have no reference)
    ref_lane = np.full((nb, lanes), -1, dtype=np.int64)
    for k in np.nonzero(ref >= 0)[0]:
        b, q = where[k]
        ref_lane[b, q] = where[ref[k], 1]

    T = steps + 1
    want_metrics = record != "final"
    mshape = (nb, T, lanes) if want_metrics else (nb, 0, lanes)
    loss_out = np.full(mshape, np.nan)
    acc_out = np.full(mshape, np.nan)
    tshape = (nb, T, lanes) if test_metrics else (nb, 0, lanes)
    te_loss = np.full(tshape, np.nan)
    te_acc = np.full(tshape, np.nan)
    n_rec = steps // every + 1 if record == "params" else 0
    params_out = np.full((nb, n_rec, model.n_params, lanes), np.nan)
    dshape = (nb, T, lanes) if reference is not None else (nb, 0, lanes)
    d1 = np.full(dshape, np.nan)
    d2 = np.full(dshape, np.nan)
    alive = np.ones((nb, lanes), dtype=np.int64)
    div_at = np.full((nb, lanes), -1, dtype=np.int64)

    tile = _blocks.tile_for(model.n_params)
    chunks = _chunk_bounds(steps, 50 if progress else 1)
    bar = progress_bar(progress, steps, f"GD ({K} traj.)", unit="step")
    try:
        for t0, t1 in chunks:
            args = (*model._kernel_args(), X, yi, yf, batches, lr if lr_rows is None else 0.0,
                    t0, t1, steps)
            if nb == 1 or wide:  # the serial kernel, no thread launch over blocks
                with one_blas_thread(X.size if wide else 0):
                    for b in range(nb):
                        block = _blocks.gather(blocks, slots[b]) if wide else blocks[b]
                        run_block(block, *args, alive[b], div_at[b], want_metrics,
                                  loss_out[b], acc_out[b], Xte, yite, yfte, bool(test_metrics),
                                  te_loss[b], te_acc[b], every, params_out[b], ref_lane[b],
                                  d1[b], d2[b], tile, lrs[b], lr_group, wide,
                                  numba.get_num_threads())
                        if wide:
                            _blocks.scatter(blocks, block, slots[b], where, b)
            else:
                run_blocks(blocks, *args, alive, div_at, want_metrics, loss_out, acc_out,
                           Xte, yite, yfte, bool(test_metrics), te_loss, te_acc,
                           every, params_out, ref_lane, d1, d2, tile, lrs, lr_group)
            if bar is not None:
                bar.update(t1 - t0)
    finally:
        if bar is not None:
            bar.close()

    def out(a):
        u = _blocks.unpack(a, where)
        return u[0] if single else u

    theta = (blocks[0] if single else blocks) if wide else out(blocks)
    del blocks
    res = TrainResult(
        theta=theta,
        loss=out(loss_out) if want_metrics else None,
        accuracy=out(acc_out) if want_metrics else None,
        test_loss=out(te_loss) if test_metrics else None,
        test_accuracy=out(te_acc) if test_metrics else None,
        distance_l1=_blocks.unpack(d1, where) if reference is not None else None,
        distance_l2=_blocks.unpack(d2, where) if reference is not None else None,
        diverged=out(div_at) >= 0,
        diverged_at=out(div_at),
        lr=lr, steps=steps, batch_size=batch_size,
    )
    # (n_blocks, n_rec, P, lanes) -> (K, n_rec, P)
    return _finish(res, out(params_out) if record == "params" else None, every, single)


def _finish(res, params, every, single):
    """``res`` with the recorded parameters (or None) and the scalars of one trajectory."""
    if params is not None:
        res.params = params
        res.param_steps = np.arange(params.shape[-2], dtype=np.int64) * every
    if single:
        res.diverged = bool(res.diverged)
        res.diverged_at = int(res.diverged_at)
    return res


def _check_common(record, every, steps, test_metrics, progress):
    steps = check_int(steps, "steps", minimum=0)
    every = check_int(every, "every", minimum=1)
    if not isinstance(record, str):
        raise TypeError(f"record must be a string, one of {_RECORD}, got {type(record).__name__}")
    if record not in _RECORD:
        raise ValueError(f"record must be one of {_RECORD}, got {record!r}")
    return steps, every, check_bool(test_metrics, "test_metrics"), check_bool(progress,
                                                                              "progress")


def _train_protocol(model, data, theta0, lr, steps, record, every, batch_size, seed, reference,
                    test_metrics, progress):
    """:func:`train` for a model of the network model protocol: every trajectory stepped
    through ``model.grad``, with the records and the divergence rules of the lane kernels."""
    check_model(model, "tangent")
    steps, every, test_metrics, progress = _check_common(record, every, steps, test_metrics,
                                                         progress)
    P = model.n_params
    arr = as_float_array(theta0, "theta0", ndim=(1, 2), finite=False)
    single = arr.ndim == 1
    rows = np.array(arr[None] if single else arr, dtype=np.float64)
    if rows.shape[1] != P:
        raise ValueError(f"theta0 must have {P} parameters in its last axis, got shape "
                         f"{arr.shape}")
    K = rows.shape[0]
    lr, lr_rows = _check_lr(lr, None if single else K, P)
    X, y, Xte, yte = split_data(data)
    check_model_data(model, X, y)
    if test_metrics:
        if Xte is None or len(Xte) == 0:
            raise ValueError("test_metrics=True needs test data (a Dataset with X_test, or a 4-tuple)")
        check_model_data(model, Xte, yte)
    n_samples = len(X)
    if batch_size is not None:
        batch_size = check_int(batch_size, "batch_size", minimum=1, maximum=n_samples)
        batches = _batches(rng_from(seed), n_samples, batch_size, max(steps, 1))
    ref = _groups(reference, K)[0] if reference is not None else None
    if reference is not None and single:
        raise ValueError("reference needs an ensemble theta0 of shape (K, n_params)")
    _check_size(model, K, steps, every, record, reference is not None, test_metrics, batch_size)
    rates = np.full((K, 1), lr) if lr_rows is None else lr_rows
    has_loss, has_acc = hasattr(model, "loss"), hasattr(model, "accuracy")
    T = steps + 1
    want = record != "final"
    loss = np.full((K, T), np.nan)
    acc = np.full((K, T), np.nan)
    te_loss = np.full((K, T), np.nan)
    te_acc = np.full((K, T), np.nan)
    n_rec = steps // every + 1 if record == "params" else 0
    params = np.full((K, n_rec, P), np.nan)
    d1 = np.full((K, T), np.nan)
    d2 = np.full((K, T), np.nan)
    alive = np.isfinite(rows).all(axis=1)
    div_at = np.where(alive, -1, 0).astype(np.int64)

    def metric(fn, theta, Xs, ys):
        with np.errstate(all="ignore"):
            return float(fn(theta, Xs, ys))

    def record_distances(t):
        if ref is None:
            return
        for k in range(K):
            r = ref[k]
            if r < 0:
                d1[k, t] = d2[k, t] = 0.0
            elif alive[k] and alive[r]:
                v = rows[k] - rows[r]
                d1[k, t], d2[k, t] = np.abs(v).sum(), np.sqrt(v @ v)

    if n_rec:
        params[:, 0] = rows          # the initial states, as given
    record_distances(0)
    bar = progress_bar(progress, steps, f"GD ({K} traj.)", unit="step")
    try:
        for t in range(T):
            step = t < steps
            grads = np.zeros_like(rows)
            for k in np.nonzero(alive)[0]:
                th = rows[k]
                if has_loss:
                    tl = metric(model.loss, th, X, y)
                    if not np.isfinite(tl):
                        alive[k], div_at[k] = False, t
                        continue
                    loss[k, t] = tl
                if has_acc and want:
                    acc[k, t] = metric(model.accuracy, th, X, y)
                if test_metrics:
                    te_loss[k, t] = metric(model.loss, th, Xte, yte) if has_loss else np.nan
                    if has_acc:
                        te_acc[k, t] = metric(model.accuracy, th, Xte, yte)
                if step:
                    idx = batches[t] if batch_size is not None else None
                    with np.errstate(all="ignore"):
                        grads[k] = (model.grad(th, X, y) if idx is None
                                    else model.grad(th, X[idx], y[idx]))
            if not step:
                break
            with np.errstate(all="ignore"):
                new = rows - rates * grads
            bad = alive & ~np.isfinite(new).all(axis=1)
            div_at[bad] = t + 1
            alive &= ~bad
            rows[alive] = new[alive]
            if n_rec and (t + 1) % every == 0:
                params[alive, (t + 1) // every] = rows[alive]
            record_distances(t + 1)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    # records after a divergence are NaN, as the lane kernels write them
    after = (div_at[:, None] >= 0) & (np.arange(T) >= div_at[:, None])
    for a in (loss, acc, te_loss, te_acc):
        a[after] = np.nan

    def out(a):
        return a[0] if single else a

    res = TrainResult(
        theta=out(rows), loss=out(loss) if want else None, accuracy=out(acc) if want else None,
        test_loss=out(te_loss) if test_metrics else None,
        test_accuracy=out(te_acc) if test_metrics else None,
        distance_l1=d1 if ref is not None else None, distance_l2=d2 if ref is not None else None,
        diverged=out(div_at >= 0), diverged_at=out(div_at), lr=lr, steps=steps,
        batch_size=batch_size)
    return _finish(res, out(params) if record == "params" else None, every, single)


def _check_lr(lr, K, n_params):
    """``lr`` as a float (scalar) or float rows (K, 1) / (K, n_params); ``K`` None: one trajectory."""
    if np.ndim(lr) == 0:
        return check_positive(lr, "lr"), None
    arr = as_float_array(lr, "lr", ndim=(1, 2))
    rows = 1 if K is None else K
    if K is None and arr.shape == (n_params,):
        arr = arr[None]
    elif arr.shape == (rows,):
        arr = arr[:, None]
    elif arr.shape != (rows, n_params):
        want = f"({n_params},)" if K is None else f"({K},) or ({K}, {n_params})"
        raise ValueError(f"lr must be a number or an array of shape {want}, got shape {arr.shape}")
    if np.any(arr <= 0):
        raise ValueError("lr must be > 0 everywhere")
    return np.array(lr, dtype=np.float64), np.ascontiguousarray(arr)


def _check_size(model, K, steps, every, record, distances, test_metrics, batch_size):
    """Refuse a run whose recorded arrays cannot fit in memory, before anything is allocated."""
    T = steps + 1
    k = K + 8                                     # lane blocks round the ensemble up
    nbytes = 8 * k * T * (2 + 2 * bool(test_metrics) + 2 * bool(distances))
    if record == "params":
        nbytes += 2 * 8 * k * (steps // every + 1) * model.n_params     # kernel array and result
    if batch_size is not None:
        nbytes += 8 * max(steps, 1) * int(batch_size)
    check_memory(nbytes, f"train(steps={steps}, record={record!r}, every={every}) of {K} "
                 f"trajectories x {model.n_params} parameters",
                 "record='metrics' or 'final', a larger every, fewer steps per call or fewer "
                 "trajectories")


def _chunk_bounds(steps, n_chunks):
    if steps == 0:
        return [(0, 0)]
    edges = np.unique(np.linspace(0, steps, min(n_chunks, steps) + 1).astype(int))
    return list(zip(edges[:-1], edges[1:]))




def final_states(model, data, theta0, lr, steps, segment=100, progress=False):
    """Final states and divergence steps of full-batch GD, stopping diverged trajectories early.

    Parameters
    ----------
    model : MLP
    data : Dataset or tuple
    theta0 : ndarray of shape (K, n_params)
    lr : float or ndarray of shape (K,) or (K, n_params)
        As in :func:`train`.
    steps : int
        Number of GD steps, >= 0.
    segment : int, default 100
        Steps per :func:`train` call; the trajectories that diverged in a call are left out
        of the following ones.
    progress : bool, default False

    Returns
    -------
    theta : ndarray of shape (K, n_params)
        ``train(model, data, theta0, lr, steps, record="final").theta``: the state after
        ``steps`` steps, or the last finite state of a diverged trajectory.
    diverged_at : int ndarray of shape (K,)
        The same as that call's ``diverged_at`` (-1 if never).

    Notes
    -----
    Full-batch GD is a map of the state alone, and a trajectory keeps its bits whatever
    company it keeps in a block of lanes, so running the steps in segments and repacking
    only the trajectories still finite gives bitwise the result of one call; a trajectory
    that diverged is frozen at its last finite state there anyway. Only the work on the
    diverged ones is saved, which matters where much of an ensemble diverges early (a
    quadratic loss beyond ``lr = 2 / h_max``).

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> model = nc.MLP([4, 3, 3])
    >>> start = model.init(seed=0, n=4)
    >>> lr = np.array([0.5, 1.0, 2.0, 4.0])
    >>> theta, div = final_states(model, nc.datasets.iris(), start, lr, 50, segment=20)
    >>> one = nc.train(model, nc.datasets.iris(), start, lr=lr, steps=50, record="final")
    >>> bool(np.array_equal(theta, one.theta)), div.tolist() == one.diverged_at.tolist()
    (True, True)
    """
    steps = check_int(steps, "steps", minimum=0)
    segment = check_int(segment, "segment", minimum=1)
    progress = check_bool(progress, "progress")
    theta, single = model._check_theta(theta0, name="theta0")
    if single:
        raise ValueError(f"theta0 must be an ensemble of shape (K, {model.n_params})")
    K = theta.shape[0]
    theta = theta.copy()
    per_row = np.ndim(lr) > 0
    if per_row:
        lr = as_float_array(lr, "lr", ndim=(1, 2))
        if lr.shape[0] != K:
            raise ValueError(f"lr must be a number or an array of shape ({K},) or "
                             f"({K}, {model.n_params}), got shape {lr.shape}")
    div_at = np.full(K, -1, dtype=np.int64)
    live = np.arange(K)
    done = 0
    bar = progress_bar(progress, steps, f"GD ({K} traj.)", unit="step")
    try:
        while True:                       # once even for steps=0: it flags non-finite rows
            m = min(segment, steps - done)
            res = train(model, data, theta[live], lr=lr[live] if per_row else lr, steps=m,
                        record="final")
            theta[live] = res.theta
            new = res.diverged_at >= 0
            div_at[live[new]] = res.diverged_at[new] + done
            live = live[~new]
            done += m
            if bar is not None:
                bar.update(m)
            if done >= steps or live.size == 0:
                break
    finally:
        if bar is not None:
            bar.close()
    return theta, div_at
