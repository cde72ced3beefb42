"""Weight-level measures: how far, and how much, individual parameters travel and matter.

:func:`displacement` and :func:`path_length` describe the trajectory of every
parameter; :func:`ablation_importance` the loss change when one is removed.
"""

import numpy as np

from ._validate import (
    as_float_array,
    check_int,
    check_model,
    check_positive,
    check_scope,
)

__all__ = ["displacement", "path_length", "ablation_importance"]


def _check_params(params):
    arr = as_float_array(params, "params", ndim=(2, 3), finite=False)
    if arr.shape[-2] < 1:
        raise ValueError("params needs at least one recorded step (axis -2)")
    return arr


def displacement(params, floor=0.0):
    """Relative net displacement of every parameter over a trajectory.

    ``Delta_w = |w(T) - w(0)| / max(|w(0)|, floor)``.

    Parameters
    ----------
    params : array_like of shape (T, n_params) or (K, T, n_params)
        Recorded parameters, e.g. ``train(..., record="params").params``.
    floor : float, default 0
        Lower bound of the denominator. With the default 0, parameters
        starting at exactly 0 (the biases of the reference initialisation)
        get NaN; a positive floor turns them into ``|w(T)| / floor``.

    Returns
    -------
    ndarray of shape (n_params,) or (K, n_params)

    Notes
    -----
    Displacement measures how far a weight ends up from where it started,
    :func:`path_length` how much it travelled; their ratio tells straight
    drifts from oscillation. NaN in the record (a diverged trajectory)
    propagates. No warning is raised for the 0/0 cases.

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> model = nc.MLP([4, 3, 3])
    >>> res = nc.train(model, nc.datasets.iris(), model.init(seed=0, n=2), lr=1.0,
    ...                steps=10, record="params")
    >>> res.params.shape
    (2, 11, 27)
    >>> disp = nc.displacement(res.params)
    >>> disp.shape, np.isnan(disp).sum(axis=1).tolist()   # the 6 biases start at 0
    ((2, 27), [6, 6])
    >>> int(np.isnan(nc.displacement(res.params, floor=1e-3)).sum())
    0
    """
    arr = _check_params(params)
    floor = check_positive(floor, "floor", allow_zero=True)
    w0 = arr[..., 0, :]
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf in a diverged record
        num = np.abs(arr[..., -1, :] - w0)
        den = np.maximum(np.abs(w0), floor)
        out = np.full(num.shape, np.nan)
        np.divide(num, den, out=out, where=den > 0)
    return out


def path_length(params):
    """Total distance travelled by every parameter, ``D_w = sum_t |w(t) - w(t-1)|``.

    Parameters
    ----------
    params : array_like of shape (T, n_params) or (K, T, n_params)

    Returns
    -------
    ndarray of shape (n_params,) or (K, n_params)

    Notes
    -----
    Computed on the recorded steps: with ``record="params", every > 1`` it
    is a lower bound of the path length of the full trajectory. NaN in the
    record propagates.

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> nc.path_length(np.array([[0.0], [1.0], [0.5]]))   # 0 -> 1 -> 0.5
    array([1.5])
    >>> model = nc.MLP([4, 3, 3])
    >>> p = nc.train(model, nc.datasets.iris(), model.init(seed=0, n=2), lr=1.0,
    ...              steps=10, record="params").params
    >>> bool(np.all(nc.path_length(p) >= np.abs(p[:, -1] - p[:, 0])))   # never below the net move
    True
    """
    arr = _check_params(params)
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf in a diverged record
        return np.abs(np.diff(arr, axis=-2)).sum(axis=-2)


def ablation_importance(model, theta, X, y, scope="all", chunk=256):
    """Loss change when each parameter alone is set to zero.

    ``I_i = L(theta with theta_i = 0) - L(theta)``.

    Parameters
    ----------
    model : MLP
    theta : array_like of shape (n_params,)
    X : array_like of shape (n_samples, n_inputs)
    y : array_like of shape (n_samples,) or (n_samples, n_outputs)
    scope : {"all", "weights"}
        Ablate every parameter, or only weight-matrix entries (biases NaN).
    chunk : int, default 256
        Ablated copies evaluated per call of ``model.loss``.

    Returns
    -------
    ndarray of shape (n_params,)

    Notes
    -----
    The ablated copies are evaluated as an ensemble ``(k, n_params)`` in one
    ``model.loss`` call per chunk, so the cost is that of ``n_params`` loss
    evaluations and memory is ``chunk * n_params``. A parameter already
    equal to 0 has importance exactly 0.

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> model = nc.MLP([4, 3, 3])
    >>> X, y = nc.datasets.iris().train
    >>> theta = model.init(seed=0)                       # zero biases
    >>> imp = nc.ablation_importance(model, theta, X, y)
    >>> imp.shape, bool(np.all(imp[~model.weight_mask] == 0))
    ((27,), True)
    >>> int(np.isnan(nc.ablation_importance(model, theta, X, y, scope="weights")).sum())
    6
    """
    check_model(model)
    th = as_float_array(theta, "theta", ndim=1)
    if th.shape[0] != model.n_params:
        raise ValueError(f"theta must have {model.n_params} parameters, got shape {th.shape}")
    scope = check_scope(scope)
    chunk = check_int(chunk, "chunk", minimum=1)
    base = float(model.loss(th, X, y))
    idx = np.arange(model.n_params) if scope == "all" else np.nonzero(model.weight_mask)[0]
    out = np.full(model.n_params, np.nan)
    for s in range(0, idx.size, chunk):
        sel = idx[s:s + chunk]
        copies = np.repeat(th[None], sel.size, axis=0)
        copies[np.arange(sel.size), sel] = 0.0
        out[sel] = np.asarray(model.loss(copies, X, y)) - base
    return out
