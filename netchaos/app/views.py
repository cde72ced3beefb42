"""The views of the explorers: plain functions of the control values that return a figure.

Every view runs a small experiment with the analyses of :mod:`netchaos.protocols`, draws a
figure of :mod:`netchaos.plots` and returns a :class:`View` (figure, summary text, numbers).
The explorers of :mod:`netchaos.app.widgets` call them on every change of a control; they
are tested, and usable, without a browser or ipywidgets.

Views are sized so that one update takes well under a second on a laptop core (a few
hundred GD steps of a few dozen trajectories); paper-size runs are the job of
``netchaos reproduce``.

Views
-----
view_map            Lyapunov exponent of the logistic map against r, with one orbit
view_training       loss and weight norm of one GD run
view_eps            d(t)/d(0) for two perturbation radii from one initial condition
view_post_training  perturbing a trained network: slow, non-exponential decay
view_ensemble       perturbation ensemble: d(t), fitted exponent and P(Lambda)
view_intermittency  loss series at large learning rates: laminar phases and bursts
view_sweep          the runs of one learning rate of a precomputed sweep
view_spectrum       leading Lyapunov exponents of the GD map

Maps
----
logistic, henon     a map and its Jacobian, as callables for lyapunov_spectrum
"""

import warnings
from typing import NamedTuple

import numpy as np

from .. import systems
from .._random import check_seed
from .._validate import check_int, check_positive, renamed_keywords
from ..datasets import Dataset, iris
from ..exponents import finite_lyapunov, network_mle
from ..model import MLP
from ..perturbation import perturbation_ensemble
from ..protocols import (
    decay_fits,
    fitted_phase,
    fundamental_period,
    longest_burst,
    orbital_spread,
    time_to_accuracy,
)
from ..spectra import lyapunov_spectrum
from ..sweeps import eps_sweep
from ..timeseries import acf, laminar_phases
from ..training import train
from . import plots
from ._text import na as _fmt

__all__ = [
    "View",
    "logistic",
    "henon",
    "view_map",
    "view_training",
    "view_eps",
    "view_post_training",
    "view_ensemble",
    "view_intermittency",
    "view_sweep",
    "view_spectrum",
]

class View(NamedTuple):
    """What a view function returns.

    Attributes
    ----------
    figure : matplotlib.figure.Figure
    summary : str
        One line of the key numbers, shown above the figure.
    data : dict
        Those numbers (and arrays) for tests and further use.
    """

    figure: object
    summary: str
    data: dict



def model_data(model, data):
    """The reference protocol's network and data when not given."""

    if model is None:
        model = MLP([4, 10, 3], activation="sigmoid", loss="cross_entropy")
    elif not isinstance(model, MLP) and not (hasattr(model, "hvp") and hasattr(model, "init")):
        # the tangent views also take any model of the network protocol (an adapter)
        raise TypeError(f"model must be a netchaos.MLP, got {type(model).__name__}")
    if data is None:
        data = iris(seed=0)
    elif not isinstance(data, (Dataset, tuple)):
        raise TypeError(f"data must be a netchaos.datasets.Dataset or a tuple (X, y), "
                        f"got {type(data).__name__}")
    return model, data



# ---------------------------------------------------------------------------
# maps
# ---------------------------------------------------------------------------
def logistic(r):
    """Deprecated: the pair ``(step, jacobian)`` of :func:`netchaos.systems.logistic`.

    Use the map object ``netchaos.systems.logistic(r)``, which
    :func:`netchaos.lyapunov_spectrum` takes directly.
    """
    warnings.warn("netchaos.widgets.logistic is deprecated; use netchaos.systems.logistic(r)",
                  DeprecationWarning, stacklevel=2)
    m = systems.logistic(r)
    return m.step, m.jacobian


def henon(a=1.4, b=0.3):
    """Deprecated: the pair ``(step, jacobian)`` of :func:`netchaos.systems.henon`."""
    warnings.warn("netchaos.widgets.henon is deprecated; use netchaos.systems.henon(a, b)",
                  DeprecationWarning, stacklevel=2)
    m = systems.henon(a, b)
    return m.step, m.jacobian


# ---------------------------------------------------------------------------
# views
# ---------------------------------------------------------------------------
def default_curve():
    """lambda(r) of the logistic map at 2001 values of r in [2.8, 4], 2000 iterations each.

    Fine enough to resolve the periodic windows (in the period-3 window, from r = 3.8284, the
    exponent is negative at 31 grid points); all r advance together
    (:func:`netchaos.systems.logistic_exponents`), well under a second.
    """
    grid = np.linspace(2.8, 4.0, 2001)
    return grid, systems.logistic_exponents(grid, steps=2000, transient=500)


def view_map(r, *, curve=None, steps=2000, transient=100, n_orbit=120, x0=0.3):
    """The logistic map at parameter r: its Lyapunov exponent and an orbit.

    Parameters
    ----------
    r : float
        In (0, 4].
    curve : tuple (r_values, exponents), optional
        Background curve lambda(r); default :func:`default_curve`, 2001 values over
        [2.8, 4] (computed on every call: pass it when calling repeatedly).
    steps, transient : int
        Iterations of :func:`netchaos.lyapunov_spectrum` for the exponent at r.
    n_orbit : int
        Iterates shown (after the transient).
    x0 : float
        Initial state in (0, 1).

    Returns
    -------
    View
        ``data``: ``r``, ``exponent``, ``orbit`` (n_orbit,).
    """

    m = systems.logistic(r)
    steps = check_int(steps, "steps", minimum=1)
    transient = check_int(transient, "transient", minimum=0)
    n_orbit = check_int(n_orbit, "n_orbit", minimum=2)
    if curve is None:
        curve = default_curve()
    lam = float(lyapunov_spectrum(m, x0=x0, steps=steps, transient=transient).exponents[0])
    x = float(x0)
    for _ in range(transient):
        x = r * x * (1 - x)
    orbit = np.empty(n_orbit)
    for i in range(n_orbit):
        orbit[i] = x
        x = r * x * (1 - x)
    fig = plots.plot_map_exponent(curve[0], curve[1], orbit=orbit, param=r, exponent=lam,
                                  title="logistic map $x \\to r x (1 - x)$")
    kind = "chaotic" if lam > 0.01 else ("periodic" if lam < -0.01 else "marginal")
    return View(fig, f"r = {r:.4g}: lambda = {lam:.3f} per iteration ({kind})",
                {"r": r, "exponent": lam, "orbit": orbit})


def view_training(model=None, data=None, *, lr=1.0, seed=0, steps=500):
    """One GD run: loss and weight norm.

    Parameters
    ----------
    model : MLP, optional
        Default Iris 4-10-3 sigmoid, cross-entropy.
    data : Dataset or tuple, optional
        Default ``iris(seed=0)``.
    lr : float
    seed : int
        Seed of the initial condition (``model.init(seed)``).
    steps : int

    Returns
    -------
    View
        ``data``: ``loss`` (steps + 1,), ``weight_norm`` (steps + 1,),
        ``final_loss``, ``fraction_increasing`` (steps where the loss went
        up), ``diverged``.
    """

    model, data = model_data(model, data)
    lr = check_positive(lr, "lr")
    steps = check_int(steps, "steps", minimum=1)
    res = train(model, data, model.init(seed=check_seed(seed)), lr, steps, record="params")
    wnorm = np.linalg.norm(res.params[:, model.weight_mask], axis=1)
    loss = res.loss
    with np.errstate(invalid="ignore"):
        up = float(np.mean(np.diff(loss) > 0))
    fig = plots.plot_loss_curves(np.arange(steps + 1), loss, weight_norms=wnorm,
                                 title=f"$\\eta$ = {lr:.3g}, initial condition {seed}")
    final = float(loss[-1])
    status = f"diverged at step {res.diverged_at}" if res.diverged else \
        f"final loss {_fmt(final)}, loss rose on {100 * up:.0f}% of the steps"
    return View(fig, f"lr = {lr:.3g}: {status}",
                {"loss": loss, "weight_norm": wnorm, "final_loss": final,
                 "fraction_increasing": up, "diverged": bool(res.diverged)})


def view_eps(model=None, data=None, *, eps=1e-8, seed=0, lr=0.01, steps=1000, n_pert=5,
             reference_eps=1e-2):
    """d(t)/d(0) for two perturbation radii from the same initial condition (Fig. 4).

    Both radii share the initial condition and the perturbation directions
    (:func:`netchaos.eps_sweep`), so the curves differ only through the size
    of the perturbation.

    Parameters
    ----------
    model, data : optional
        Default Iris 4-10-3.
    eps : float
    seed : int
        Seed of the initial condition and the perturbations.
    lr : float, default 0.01
    steps : int, default 1000
    n_pert : int, default 5
    reference_eps : float, default 1e-2
        The radius to compare with.

    Returns
    -------
    View
        ``data``: ``eps_values`` (2,), ``curves`` (2, steps + 1) mean
        d(t)/d(0), ``max_log_gap`` (largest |ln ratio difference| over t),
        ``loss``.
    """

    model, data = model_data(model, data)
    eps = check_positive(eps, "eps")
    reference_eps = check_positive(reference_eps, "reference_eps")
    values = [reference_eps] if np.isclose(eps, reference_eps, rtol=1e-9) else [reference_eps, eps]
    sw = eps_sweep(model, data, check_positive(lr, "lr"), check_int(steps, "steps", minimum=1),
                   values, n_init=1, n_pert=check_int(n_pert, "n_pert", minimum=1),
                   seed=check_seed(seed), fit_kwargs={}, mle_kwargs={"n_boot": 0})
    spread = orbital_spread(sw, values)
    mean_d = spread["mean_distance"][:, 0]
    ratio = mean_d / mean_d[:, :1]
    gap = float(spread["log_ratio_spread"][0])
    loss = spread["loss"][0]
    fig = plots.plot_eps_curves(np.arange(steps + 1), mean_d, values, loss=loss,
                                reference=0 if len(values) > 1 else None,
                                title=f"$\\eta$ = {lr:g}, initial condition {seed}")
    if len(values) == 1:
        text = f"eps = {eps:.1e} is the reference radius: choose another to compare"
    else:
        text = (f"eps = {eps:.1e} vs {reference_eps:.1e}: d(t)/d(0) differ by at most "
                f"{_fmt(100 * np.expm1(gap), 2)}% over {steps} steps (d(T)/d(0) = "
                f"{_fmt(ratio[-1, -1])} vs {_fmt(ratio[0, -1])})")
    return View(fig, text,
                {"eps_values": np.array(values), "curves": ratio, "max_log_gap": gap,
                 "loss": loss})


def view_post_training(model=None, data=None, *, start=2000, eps=1e-8, seed=0, lr=0.01,
                       steps=500, n_pert=5):
    """Perturbations of a network trained ``start`` steps, with exponential and power-law fits.

    Parameters
    ----------
    model, data : optional
        Default Iris 4-10-3.
    start : int
        Training steps before the perturbation.
    eps : float
    seed : int
    lr : float, default 0.01
    steps : int, default 500
        Steps followed after the perturbation.
    n_pert : int, default 5

    Returns
    -------
    View
        ``data``: ``distance`` (steps + 1,) mean over perturbations,
        ``ratio`` d(T)/d(0), ``fits`` (see :func:`netchaos.protocols.decay_fits`).
    """

    model, data = model_data(model, data)
    ens = perturbation_ensemble(model, data, check_positive(lr, "lr"),
                                check_int(steps, "steps", minimum=2), check_positive(eps, "eps"),
                                n_init=1, n_pert=check_int(n_pert, "n_pert", minimum=1),
                                seed=check_seed(seed), start=check_int(start, "start", minimum=0))
    d = ens.distances[0].mean(axis=0)
    t = np.arange(steps + 1, dtype=float)
    fits = decay_fits(t, d)
    fig = plots.plot_decay_fits(t, d, exp_fit=fits["exponential"][:2],
                                power_fit=fits["power"][:2],
                                title=f"perturbed after {start} steps, $\\epsilon$ = {eps:.0e}")
    ratio = float(d[-1] / d[0])
    return View(fig, f"start = {start}: d(T)/d(0) = {_fmt(ratio, 4)} after {steps} steps; R^2 "
                     f"exponential {_fmt(fits['exponential'][2], 2)}, power law "
                     f"{_fmt(fits['power'][2], 2)}",
                {"distance": d, "ratio": ratio, "fits": fits})


def view_ensemble(model=None, data=None, *, eps=1e-8, seed=0, lr=1.0, steps=200, n_init=20,
                  n_pert=5, show=0):
    """A perturbation ensemble: d(t) of one initial condition with its fit, and P(Lambda).

    Parameters
    ----------
    model, data : optional
        Default Iris 4-10-3.
    eps : float
    seed : int
    lr : float, default 1
    steps : int, default 200
    n_init, n_pert : int
    show : int, default 0
        The initial condition drawn on the left.

    Returns
    -------
    View
        ``data``: ``mle`` (NetworkMLE), ``exponents`` (n_init,),
        ``lambda_nmle``, ``kept_fraction``.
    """

    model, data = model_data(model, data)
    n_init = check_int(n_init, "n_init", minimum=1)
    show = check_int(show, "show", minimum=0, maximum=n_init - 1)
    ens = perturbation_ensemble(model, data, check_positive(lr, "lr"),
                                check_int(steps, "steps", minimum=2), check_positive(eps, "eps"),
                                n_init=n_init, n_pert=check_int(n_pert, "n_pert", minimum=1),
                                seed=check_seed(seed))
    fl = finite_lyapunov(ens)
    mle = network_mle(fl, n_boot=0)
    fig = plots.plot_ensemble_overview(np.arange(steps + 1), ens.distances[show], mle,
                                       loss=ens.loss[show], fit=fitted_phase(fl, show),
                                       title=f"$\\eta$ = {lr:g}, $\\epsilon$ = {eps:.0e}, "
                                             f"{n_init} initial conditions x {n_pert}")
    return View(fig, f"lr = {lr:g}, eps = {eps:.0e}: lambda_nMLE = {_fmt(mle.exponent)} "
                     f"(kept {mle.n_kept}/{mle.n}, std {_fmt(mle.std, 2)}); "
                     f"{ens.n_diverged} diverged",
                {"mle": mle, "exponents": fl.exponent, "lambda_nmle": mle.exponent,
                 "kept_fraction": mle.kept_fraction})


@renamed_keywords(n_shuffles="n_surrogates")
def view_intermittency(model=None, data=None, *, seed=0, lr=5.0, steps=3000, burn_in=200,
                       max_period=12, nlags=40, n_surrogates=200):
    """Loss series at a large learning rate: laminar phases, bursts and the ACF of a burst.

    Parameters
    ----------
    model, data : optional
        Default Iris 4-10-3.
    seed : int
        Seed of the initial condition.
    lr : float, default 5
    steps, burn_in : int
        Training steps, and the first steps left out of the analysis.
    max_period : int
        Candidate periods 1 .. max_period (:func:`netchaos.protocols.fundamental_period`).
    nlags, n_surrogates : int
        ACF of the longest non-constant burst (at least ``nlags + 2`` points,
        :func:`netchaos.protocols.longest_burst`) with a shuffled 95 % band.

    Returns
    -------
    View
        ``data``: ``period`` (fundamental), ``laminar`` (LaminarResult: phases of every
        period up to ``max_period``),
        ``acf`` (ACFResult or None), ``burst`` ([start, stop) in steps or
        None), ``diverged``.
    """

    model, data = model_data(model, data)
    steps = check_int(steps, "steps", minimum=2)
    burn_in = check_int(burn_in, "burn_in", minimum=0, maximum=steps - max_period - 2)
    res = train(model, data, model.init(seed=check_seed(seed)), check_positive(lr, "lr"), steps)
    x = res.loss[burn_in:]
    t = np.arange(burn_in, steps + 1)
    if res.diverged or np.ptp(x) == 0:
        fig = plots.plot_loss_curves(np.arange(steps + 1), res.loss,
                                     title=f"$\\eta$ = {lr:g}, initial condition {seed}")
        why = f"diverged at step {res.diverged_at}" if res.diverged else "constant loss"
        return View(fig, f"lr = {lr:g}: {why}; nothing to analyse",
                    {"period": None, "laminar": None, "acf": None, "burst": None,
                     "diverged": bool(res.diverged)})
    period, _ = fundamental_period(x, max_period=max_period)
    lam = laminar_phases(x, max_period=max_period)
    ac, burst = None, None
    where = longest_burst(x, lam)
    if where is not None and where[1] - where[0] >= nlags + 2:
        s, e = where
        ac = acf(x[s:e], nlags=nlags, n_surrogates=n_surrogates, seed=check_seed(seed))
        burst = (burn_in + s, burn_in + e)
    fig = plots.plot_intermittency(t, x, lam, ac,
                                   title=f"$\\eta$ = {lr:g}, initial condition {seed}")
    acf_text = (f"ACF of the longest burst (steps {burst[0]}-{burst[1]}) outside the shuffled "
                f"band (not i.i.d.) at {100 * np.mean(ac.significant[1:]):.0f}% of lags"
                if ac is not None
                else "no burst long enough for an ACF")
    found = ", ".join(str(int(q)) for q in np.unique(lam.periods)) or "none"
    return View(fig, f"lr = {lr:g}: laminar phases (periods {found}; fundamental {period}) "
                     f"cover {100 * lam.laminar_fraction:.0f}% of the series; {acf_text}",
                {"period": period, "laminar": lam, "acf": ac, "burst": burst,
                 "diverged": False})


def view_sweep(sweep, *, lr, target=0.9):
    """The runs of one learning rate of a :func:`netchaos.lr_sweep` with test metrics.

    Parameters
    ----------
    sweep : SweepResult
        From ``lr_sweep(..., test_metrics=True)``.
    lr : float
        One of ``sweep.values``.
    target : float, default 0.9

    Returns
    -------
    View
        ``data``: ``tau`` (n_init,) steps to the target, ``lambda_nmle``,
        ``kept_fraction``.
    """
    if not (hasattr(sweep, "results") and hasattr(sweep, "fits") and hasattr(sweep, "mles")):
        raise TypeError(f"sweep must be a SweepResult, got {type(sweep).__name__}")
    key = float(lr)
    if key not in sweep.results:
        raise ValueError(f"lr={lr!r} is not one of the swept values "
                         f"{[float(v) for v in sweep.values]}")
    ens, fl, m = sweep.results[key], sweep.fits[key], sweep.mles[key]
    if ens.test_accuracy is None:
        raise ValueError("sweep has no test accuracy: run lr_sweep(..., test_metrics=True)")
    tau = time_to_accuracy(ens.test_accuracy, target)
    fits = [fitted_phase(fl, i) for i in range(ens.n_init)]
    fig = plots.plot_lr_detail(np.arange(ens.steps + 1), ens.distances, ens.test_accuracy,
                               target=target, fits=fits, title=f"$\\eta$ = {key:g}")
    reached = np.isfinite(tau)
    tau_text = (f"median steps to {100 * target:.0f}% test accuracy "
                f"{_fmt(float(np.median(tau)), 3)}" if reached.mean() > 0.5
                else f"{int(reached.sum())}/{tau.size} runs reach {100 * target:.0f}%")
    return View(fig, f"lr = {key:g}: lambda_nMLE = {_fmt(m.exponent)} (kept {m.n_kept}/{m.n}); "
                     f"{tau_text}",
                {"tau": tau, "lambda_nmle": m.exponent, "kept_fraction": m.kept_fraction})


def view_spectrum(model=None, data=None, *, lr=1.0, seed=0, steps=200, k=5):
    """Leading Lyapunov exponents of the GD map and their running finite-time values.

    Parameters
    ----------
    model, data : optional
        Default Iris 4-10-3.
    lr : float
    seed : int
        Seed of the initial condition and of the initial tangent vectors.
    steps : int, default 200
    k : int, default 5

    Returns
    -------
    View
        ``data``: ``spectrum`` (SpectrumResult), ``exponents`` (k,).
    """

    model, data = model_data(model, data)
    seed = check_seed(seed)
    k = check_int(k, "k", minimum=1, maximum=model.n_params)
    spec = lyapunov_spectrum(model, data, model.init(seed=seed), check_positive(lr, "lr"),
                             steps=check_int(steps, "steps", minimum=1), k=k, seed=seed)
    fig = plots.plot_spectrum(spec, n_show=k,
                              title=f"GD map, $\\eta$ = {lr:.3g}, {steps} steps, "
                                    f"initial condition {seed}")
    if spec.diverged:
        text = f"lr = {lr:.3g}: the trajectory diverged at step {spec.diverged_at}"
    else:
        ok = spec.resolved()
        text = (f"lr = {lr:.3g}: lambda_1 = {np.max(spec.exponents):.3f} per step; of the {k} "
                f"leading exponents {int(np.sum(ok & (spec.exponents > 0)))} resolved positive, "
                f"{int(np.sum(~ok))} not resolved from 0 over {steps} steps")
    return View(fig, text, {"spectrum": spec, "exponents": spec.exponents})

