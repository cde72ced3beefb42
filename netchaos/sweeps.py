"""Sweeps of the perturbation radius and of the learning rate, in chunks.

:func:`eps_sweep` and :func:`lr_sweep` split their work into chunks, one per
swept value and block of initial conditions, each a pure function of its
parameters and seed (:func:`_run_chunk`); the chunks run in this process or on
an executor (:mod:`netchaos.distributed`), are saved as they finish to a
checkpoint directory (:mod:`netchaos.checkpoint`) and are put back together
bitwise identical to an uninterrupted local run.
"""

import inspect
import numbers
from dataclasses import dataclass, field, fields

import numpy as np

from ._files import fingerprint
from ._progress import progress_bar
from ._random import BOOT_STREAM, seed_entropy, subseed
from ._results import Result, fmt, renamed_field
from ._validate import (
    INIT_SCHEMES,
    as_float_array,
    check_bool,
    check_choice,
    check_int,
    check_positive,
    renamed_keywords,
    split_data,
    to_numpy,
)
from .checkpoint import ChunkStore
from .distributed import check_executor, dashboard_link, run_chunks
from .exponents import finite_lyapunov, network_mle
from .model import MLP
from .perturbation import RECORDS, check_ensemble_args, ensemble_block
from .training import train

__all__ = ["SweepResult", "eps_sweep", "lr_sweep"]


@dataclass(repr=False)
class SweepResult(Result):
    """Outcome of :func:`eps_sweep` and :func:`lr_sweep`.

    Attributes
    ----------
    name : str
        The swept parameter, ``"eps"`` or ``"lr"``.
    values : ndarray of shape (n_values,)
        Its values, in the order given.
    results : dict
        ``{value: EnsembleResult}``.
    fits : dict
        ``{value: FiniteLyapunovResult}``.
    mles : dict
        ``{value: NetworkMLE}``.
    mle, mle_std : ndarray of shape (n_values,)
        lambda_nMLE and the spread of P(Lambda) per value.
    mle_ci : ndarray of shape (n_values, 2)
        Bootstrap interval of lambda_nMLE per value.
    kept_fraction, rho : ndarray of shape (n_values,)
    n_diverged : int ndarray of shape (n_values,)
    final_loss : ndarray of shape (n_values,)
        Median over initial conditions of the final reference training loss
        (diverged references ignored; NaN if all diverged).
    final_test_accuracy : ndarray of shape (n_values,) or None
        Mean final test accuracy of the references (``test_metrics=True``).
    settings : dict
        The fixed parameters of the sweep (``seed`` included).

    Examples
    --------
    >>> import netchaos as nc
    >>> sw = nc.eps_sweep(nc.MLP([4, 3, 3]), nc.datasets.iris(), lr=1.0, steps=40,
    ...                   eps_values=[1e-8, 1e-6], n_init=3, n_pert=2, seed=0,
    ...                   fit_kwargs={"min_window": 5})
    >>> sw.name, sw.mle.shape, sorted(sw.results)
    ('eps', (2,), [1e-08, 1e-06])
    >>> sw.fits[1e-08].exponent.shape, sw.settings["seed"]
    ((3,), 0)
    """

    name: str
    values: np.ndarray
    results: dict
    fits: dict
    mles: dict
    mle: np.ndarray
    mle_std: np.ndarray
    mle_ci: np.ndarray
    kept_fraction: np.ndarray
    rho: np.ndarray
    n_diverged: np.ndarray
    final_loss: np.ndarray
    final_test_accuracy: np.ndarray = None
    settings: dict = field(default_factory=dict)

    def __repr__(self):
        vals = ", ".join(fmt(float(v)) for v in self.values)
        mles = ", ".join(fmt(float(v)) for v in self.mle)
        return f"SweepResult({self.name}=[{vals}], mle=[{mles}])"


def warm_up():
    """Load (or compile) the Numba kernels a sweep uses in this process.

    Run once per worker process (a Dask worker plugin does it when the worker
    joins) so that no chunk pays for compilation; with the on-disk cache of an
    installed netchaos this only loads machine code. Returns the process id
    (handy to check which workers ran it).
    """
    import os

    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 3))
    y = np.arange(6) % 2
    model = MLP([3, 2, 2])
    theta = model.init(seed=0, n=2)
    res = train(model, (X, y), theta, 0.1, 3, reference=np.array([-1, 0]))
    train(model, (X, y), theta[0], 0.1, 3, record="final")
    finite_lyapunov(np.exp(0.1 * np.arange(30)))
    return os.getpid() if res.n_diverged == 0 else -1


def _run_chunk(params):
    """One chunk of a sweep: a pure function of ``params``.

    Parameters
    ----------
    params : dict
        Keys: ``model, data, lr, steps, eps, n_init, n_pert, seed`` (int
        entropy), ``pert_key`` (int perturbation stream), ``scope, start,
        theta0, init_scale, init_scheme, test_metrics, record``, ``fit``
        (kwargs of :func:`finite_lyapunov`) and ``block``: ``(lo, hi)``, the
        initial conditions of this chunk among the value's ``n_init``.

    Returns
    -------
    dict
        ``{"ensemble": EnsembleResult, "fit": FiniteLyapunovResult}`` of the
        chunk's initial conditions. :func:`_merge_chunks` puts the chunks of
        one value together and adds the network MLE.
    """
    ens = ensemble_block(params["model"], params["data"], params["lr"], params["steps"],
                    params["eps"], params["n_init"], params["n_pert"], params["seed"],
                    params["pert_key"], params["scope"], params["start"], params["theta0"],
                    params["init_scale"], params["init_scheme"], params["test_metrics"], False,
                    params.get("record", "distances"), params.get("block"))
    fit = finite_lyapunov(ens.distances, **params["fit"])
    return {"ensemble": ens, "fit": fit}


# the fields of a FiniteLyapunovResult that hold one row per initial condition
_FIT_ROWS = ("exponent", "r2", "intercept", "window", "saturation_step", "saturated",
             "log_mean_distance", "reason", "stderr", "window_spread")


def _concat(results, rows):
    """One dataclass result from the per-block results (``rows``: the per-row fields)."""
    first = results[0]
    if len(results) == 1:
        return first
    kw = {}
    for f in fields(first):
        v = getattr(first, f.name)
        if f.name in rows and v is not None:
            v = np.concatenate([getattr(r, f.name) for r in results], axis=0)
        kw[f.name] = v
    if "n_init" in kw:
        kw["n_init"] = sum(r.n_init for r in results)
    return type(first)(**kw)


_ENSEMBLE_ROWS = ("distances", "distances_l2", "loss", "perturbed_loss", "accuracy",
                  "test_loss", "test_accuracy", "diverged", "diverged_at", "start_diverged",
                  "theta_init", "theta_start", "delta", "theta_final")


def _merge_chunks(outs, params):
    """The chunks of one sweep value put together, with its network MLE."""
    ens = _concat([o["ensemble"] for o in outs], _ENSEMBLE_ROWS)
    fit = _concat([o["fit"] for o in outs], _FIT_ROWS)
    mle_kw = dict(params["mle"])
    mle_kw.setdefault("seed", subseed(params["seed"], BOOT_STREAM))
    return {"ensemble": ens, "fit": fit, "mle": network_mle(fit, **mle_kw)}


def _sweep_store(name, vals, base, same_perturbations, checkpoint, resume, seed_given):
    """The checkpoint directory of a sweep (None without ``checkpoint``).

    The manifest holds every parameter of the sweep and a fingerprint of the
    model, the data and the initial conditions, so a resumed run cannot mix
    its chunks with another run's. With ``seed=None`` a resumed run takes the
    seed entropy of the run it continues.
    """
    if checkpoint is None:
        return None
    resume = check_bool(resume, "resume")
    model = base["model"]
    X, y, Xte, yte = split_data(base["data"])
    names = ("X_train", "y_train") if hasattr(base["data"], "X_train") else ("X", "y")
    if hasattr(model, "_check_data"):
        arrays = list(model._check_data(X, y, *names))
        if base["test_metrics"] and Xte is not None and len(Xte):
            arrays += list(model._check_data(Xte, yte, "X_test", "y_test"))
    else:  # a protocol model: the data as given (tensors converted)
        arrays = [np.asarray(to_numpy(a, n)) for a, n in zip((X, y), names)]
        if base["test_metrics"] and Xte is not None and len(Xte):
            arrays += [np.asarray(to_numpy(Xte, "X_test")), np.asarray(to_numpy(yte, "y_test"))]
    if resume and not seed_given:
        stored = ChunkStore.stored(checkpoint)
        if stored is not None:
            base["seed"] = int(stored["params"]["seed"])
    params = {k: v for k, v in base.items() if k not in ("model", "data", "theta0", name)}
    params["same_perturbations"] = same_perturbations
    manifest = {"sweep": name, "values": vals, "model": repr(model), "params": params,
                "fingerprint": fingerprint(repr(model), *arrays, base["theta0"])}
    return ChunkStore(checkpoint, manifest, resume)


def _sweep(name, values, base, progress, same_perturbations, checkpoint=None, resume=False,
           seed_given=True, executor=None, chunk_size=None):
    vals = as_float_array(values, f"{name}_values", ndim=1)
    if vals.size == 0:
        raise ValueError(f"{name}_values must not be empty")
    if len(np.unique(vals)) != vals.size:
        raise ValueError(f"{name}_values must not repeat a value")
    for v in vals:
        if name == "lr":
            check_positive(float(v), "lr_values entries")
        else:
            check_positive(float(v), "eps_values entries", allow_zero=True)
    check_executor(executor)
    n_init = base["n_init"]
    size = n_init if chunk_size is None else check_int(chunk_size, "chunk_size", minimum=1)
    size = min(size, n_init)
    blocks = [(lo, min(lo + size, n_init)) for lo in range(0, n_init, size)]
    base["chunk_size"] = size
    store = _sweep_store(name, vals, base, same_perturbations, checkpoint, resume, seed_given)

    chunks, tags = [], []
    for i, v in enumerate(vals):
        for lo, hi in blocks:
            p = dict(base)
            p[name] = float(v)
            p["pert_key"] = 0 if same_perturbations else i + 1
            p["block"] = (lo, hi)
            chunks.append(p)
            tags.append([float(v), lo, hi])
    done = {}
    if store is not None:
        try:
            for i, tag in enumerate(tags):
                out = store.load(i, tag)
                if out is not None:
                    done[i] = out
        except BaseException:
            store.close()
            raise

    bar = progress_bar(progress, len(chunks), f"{name} sweep", unit="chunk", initial=len(done))
    if bar is not None:
        link = dashboard_link(executor)
        if link:
            bar.write(f"{name} sweep: {len(chunks) - len(done)} chunks on Dask, "
                      f"dashboard at {link}")

    def finished(i, out):
        # in this process as each chunk arrives: saved at once, so that an interruption
        # never loses a finished chunk
        if store is not None:
            store.save(i, tags[i], out)
        if bar is not None:
            bar.set_postfix({name: f"{tags[i][0]:.3g}", "block": f"{tags[i][1]}:{tags[i][2]}"})
            bar.update(1)

    try:
        parts = run_chunks(_run_chunk, chunks, executor, done=done, on_result=finished,
                           warm_up=warm_up)
    finally:
        if bar is not None:
            bar.close()
        if store is not None:
            store.close()
    nb = len(blocks)
    outs = [_merge_chunks(parts[j * nb:(j + 1) * nb], chunks[j * nb]) for j in range(len(vals))]

    keys = [float(v) for v in vals]
    final_loss = []
    final_acc = []
    for o in outs:
        ens = o["ensemble"]
        ok = ~(ens.diverged[:, 0] | ens.start_diverged)
        final_loss.append(float(np.median(ens.loss[ok, -1])) if ok.any() else np.nan)
        if base["test_metrics"]:
            final_acc.append(float(np.mean(ens.test_accuracy[ok, -1])) if ok.any() else np.nan)
    # the parameters that define the result (the chunking only schedules the work)
    fixed = {k: v for k, v in base.items()
             if k not in ("model", "data", "theta0", "chunk_size", name)}
    fixed["model"] = repr(base["model"])
    fixed["same_perturbations"] = same_perturbations
    return SweepResult(
        name=name, values=vals,
        results={k: o["ensemble"] for k, o in zip(keys, outs)},
        fits={k: o["fit"] for k, o in zip(keys, outs)},
        mles={k: o["mle"] for k, o in zip(keys, outs)},
        mle=np.array([o["mle"].exponent for o in outs]),
        mle_std=np.array([o["mle"].std for o in outs]),
        mle_ci=np.array([o["mle"].ci for o in outs], dtype=np.float64).reshape(len(outs), 2),
        kept_fraction=np.array([o["mle"].kept_fraction for o in outs]),
        rho=np.array([o["mle"].rho for o in outs]),
        n_diverged=np.array([o["ensemble"].n_diverged for o in outs], dtype=np.int64),
        final_loss=np.array(final_loss),
        final_test_accuracy=np.array(final_acc) if base["test_metrics"] else None,
        settings=fixed,
    )


def _check_fit_mle_kwargs(fit, mle, steps, n_init):
    """Check the ``fit_kwargs`` and ``mle_kwargs`` dicts of a sweep before any training.

    Unknown keywords and bad values are reported up front (naming ``fit_kwargs`` or
    ``mle_kwargs`` and the keyword), not after the first ensemble has been trained.
    (A fit window longer than the run is not an error: its exponents are NaN
    with reason ``"too_short"``.)
    """
    out = []
    for name, kw, fn, reserved in (("fit_kwargs", fit, finite_lyapunov, ("distances",)),
                                   ("mle_kwargs", mle, network_mle, ("fl", "r2"))):
        if kw is None:
            out.append({})
            continue
        if not isinstance(kw, dict):
            raise TypeError(f"{name} must be a dict of keyword arguments or None, "
                            f"got {type(kw).__name__}")
        known = [p for p in inspect.signature(fn).parameters if p not in reserved]
        for key in kw:
            if key not in known:
                raise TypeError(f"{name} has an unknown keyword {key!r}; {fn.__name__} "
                                f"takes {', '.join(known)}")
        out.append(dict(kw))
    fit, mle = out
    # the values themselves, on small stand-in inputs (the messages name the keyword)
    which = "fit_kwargs"
    try:
        finite_lyapunov(np.ones((n_init, 1, min(steps + 1, 64))), **fit)
        which = "mle_kwargs"
        if mle.get("seed") is not None:  # an int now, so the check below draws nothing
            mle["seed"] = seed_entropy(mle["seed"])
        trial = dict(mle)
        if isinstance(trial.get("n_boot"), numbers.Integral) and trial["n_boot"] > 10:
            trial["n_boot"] = 10
        network_mle(np.array([0.1, 0.2]), **trial)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{which}: {exc}") from None
    return fit, mle


def _sweep_base(model, data, lr, steps, eps, n_init, n_pert, seed, scope, start, theta0,
                init_scale, init_scheme, test_metrics, fit, mle, progress, same_perturbations):
    lr, steps, eps, n_init, n_pert, scope, start, theta0, init_scale = check_ensemble_args(
        model, lr, steps, eps, n_init, n_pert, scope, start, theta0, init_scale)
    init_scheme = check_choice(init_scheme, "init_scheme", INIT_SCHEMES)
    split_data(data)
    fit, mle = _check_fit_mle_kwargs(fit, mle, steps, n_init)
    base = dict(model=model, data=data, lr=lr, steps=steps, eps=eps, n_init=n_init,
                n_pert=n_pert, seed=seed_entropy(seed), scope=scope, start=start,
                theta0=theta0, init_scale=init_scale, init_scheme=init_scheme,
                test_metrics=check_bool(test_metrics, "test_metrics"), fit=fit, mle=mle)
    return base, check_bool(progress, "progress"), check_bool(same_perturbations,
                                                                "same_perturbations")


@renamed_keywords(fit="fit_kwargs", mle="mle_kwargs")
def eps_sweep(model, data, lr, steps, eps_values, n_init=None, n_pert=5, seed=None,
              scope="weights", start=0, theta0=None, init_scale=1.0, init_scheme="normal",
              same_perturbations=True, fit_kwargs=None, mle_kwargs=None, test_metrics=False,
              record="distances", progress=False, checkpoint=None, resume=False,
              executor=None, chunk_size=None):
    """Network MLE as a function of the perturbation radius (Fig. 8 of [1]_).

    Every eps uses the same initial conditions, so the curves are comparable;
    by default also the same perturbation directions, scaled by eps.

    Parameters
    ----------
    model, data, lr, steps, n_init, n_pert, seed, scope, start, theta0, init_scale, init_scheme
        As for :func:`perturbation_ensemble`: ``model`` a :class:`netchaos.MLP` or any
        model of the network model protocol (e.g. a :mod:`netchaos.adapters` model).
    eps_values : array_like of shape (n_values,)
        Perturbation radii, >= 0, distinct.
    same_perturbations : bool, default True
        Share the perturbation directions across eps (common random numbers);
        False draws an independent perturbation stream per value (the
        initial conditions stay shared).
    fit_kwargs : dict, optional
        Keyword arguments of :func:`finite_lyapunov`.
    mle_kwargs : dict, optional
        Keyword arguments of :func:`network_mle` (its bootstrap seed derives
        from ``seed`` unless given).
    test_metrics : bool, default False
        Record the references' test metrics.
    record : {"distances", "all"}, default "distances"
        What every value's :class:`EnsembleResult` keeps, as for
        :func:`perturbation_ensemble`.
    progress : bool, default False
        One tqdm.auto bar over the values.
    checkpoint : str or os.PathLike, optional
        Directory in which every finished value is saved at once
        (``chunk-NNNN.npz``, written atomically, plus ``manifest.json`` with
        the sweep's parameters); see :mod:`netchaos.io`.
    resume : bool, default False
        With ``checkpoint``: reload the values already saved there by an
        interrupted run with the same arguments and compute only the rest.
        False refuses a non-empty directory rather than overwrite it; a
        directory written with other arguments is refused either way. With
        ``seed=None`` a resumed run continues with the seed of the saved run.
    executor : dask.distributed.Client or concurrent.futures.Executor, optional
        Where the chunks run (see :mod:`netchaos.distributed`). None (default)
        runs them one after the other in this process, each on Numba's
        threads. The result is bitwise identical whatever the executor, the
        number of workers or the order in which chunks finish.
    chunk_size : int, optional
        Initial conditions per chunk: each value is split into blocks of this
        many initial conditions (default: one chunk per value). Smaller
        chunks spread a sweep with few values over more workers and lose less
        work to an interruption; they do not change the result. The
        trajectories of a chunk share the kernels' lane blocks, so keep
        ``chunk_size * (1 + n_pert)`` at 24 or more (a digits-sized network
        ran 1.4x slower per trajectory in chunks of 12 trajectories).

    Returns
    -------
    SweepResult
        ``results``, ``fits`` and ``mles`` keyed by eps (float), summary
        arrays in the order of ``eps_values``.

    Notes
    -----
    The sweep is split into chunks, one per value and block of
    ``chunk_size`` initial conditions, each computed by
    ``_run_chunk(params)``: a pure function of a parameter dict (model, data,
    the value, the block and the seed entropy). The random draws of a block
    are those of the whole ensemble, sliced, and the trajectories evolve
    independently, so chunks can be cached, resumed or farmed out to any
    executor and the result stays bitwise identical. A resumed sweep is
    bitwise identical to an uninterrupted one: saved chunks hold every array
    and float exactly.

    References
    ----------
    .. [1] Danovski, Soriano, Lacasa (2024), Fig. 8.

    Examples
    --------
    Every radius starts from the same initial conditions and, by default, the
    same perturbation directions, so the initial distances scale with eps:

    >>> import numpy as np
    >>> import netchaos as nc
    >>> sw = nc.eps_sweep(nc.MLP([4, 3, 3]), nc.datasets.iris(), lr=1.0, steps=40,
    ...                   eps_values=[1e-8, 1e-6], n_init=3, n_pert=2, seed=0,
    ...                   fit_kwargs={"min_window": 5})
    >>> small, large = sw.results[1e-8], sw.results[1e-6]
    >>> bool(np.array_equal(small.theta_init, large.theta_init))
    True
    >>> np.round(large.distances[..., 0] / small.distances[..., 0], 3)
    array([[100., 100.],
           [100., 100.],
           [100., 100.]])

    The chunks can run on an executor; the result is bitwise identical:

    >>> from concurrent.futures import ThreadPoolExecutor
    >>> with ThreadPoolExecutor(2) as ex:
    ...     sw2 = nc.eps_sweep(nc.MLP([4, 3, 3]), nc.datasets.iris(), lr=1.0, steps=40,
    ...                        eps_values=[1e-8, 1e-6], n_init=3, n_pert=2, seed=0,
    ...                        fit_kwargs={"min_window": 5}, executor=ex, chunk_size=2)
    >>> bool(np.array_equal(sw2.results[1e-8].distances, small.distances))
    True
    """
    base, progress, same = _sweep_base(model, data, lr, steps, 0.0, n_init, n_pert, seed, scope,
                                       start, theta0, init_scale, init_scheme, test_metrics,
                                       fit_kwargs, mle_kwargs, progress, same_perturbations)
    base["record"] = check_choice(record, "record", RECORDS)
    return _sweep("eps", eps_values, base, progress, same, checkpoint, resume, seed is not None,
                  executor, chunk_size)


@renamed_keywords(fit="fit_kwargs", mle="mle_kwargs")
def lr_sweep(model, data, lr_values, steps, eps, n_init=None, n_pert=5, seed=None,
             scope="weights", start=0, theta0=None, init_scale=1.0, init_scheme="normal",
             same_perturbations=True, fit_kwargs=None, mle_kwargs=None, test_metrics=False,
             record="distances", progress=False, checkpoint=None, resume=False,
             executor=None, chunk_size=None):
    """Network MLE as a function of the learning rate.

    The same initial conditions (and by default perturbation directions) are
    used for every learning rate. With ``start > 0`` each learning rate
    pre-trains its own references before the perturbation.

    Parameters
    ----------
    model, data, steps, eps, n_init, n_pert, seed, scope, start, theta0, init_scale, init_scheme
        As for :func:`perturbation_ensemble`.
    lr_values : array_like of shape (n_values,)
        Learning rates, > 0, distinct.
    same_perturbations, fit_kwargs, mle_kwargs, record, progress, checkpoint, resume, executor, chunk_size
        As for :func:`eps_sweep`.
    test_metrics : bool, default False
        Record the references' test loss and accuracy (then
        ``final_test_accuracy`` is filled), e.g. to relate the exponent to
        generalisation.

    Returns
    -------
    SweepResult
        Keyed by learning rate (float).

    Notes
    -----
    Divergent learning rates are not an error: diverged trajectories are
    flagged, counted in ``n_diverged`` and their exponents are NaN.

    Examples
    --------
    >>> import numpy as np
    >>> import netchaos as nc
    >>> sw = nc.lr_sweep(nc.MLP([4, 3, 3]), nc.datasets.iris(), lr_values=[0.1, 1.0],
    ...                  steps=40, eps=1e-8, n_init=3, n_pert=2, seed=0,
    ...                  fit_kwargs={"min_window": 5})
    >>> sorted(sw.results), sw.n_diverged.tolist()
    ([0.1, 1.0], [0, 0])
    >>> np.round(sw.final_loss, 3)   # median final training loss per learning rate
    array([1.098, 0.579])
    """
    base, progress, same = _sweep_base(model, data, 1.0, steps, eps, n_init, n_pert, seed, scope,
                                       start, theta0, init_scale, init_scheme, test_metrics,
                                       fit_kwargs, mle_kwargs, progress, same_perturbations)
    base["record"] = check_choice(record, "record", RECORDS)
    return _sweep("lr", lr_values, base, progress, same, checkpoint, resume, seed is not None,
                  executor, chunk_size)


renamed_field(SweepResult, "params", "settings")
