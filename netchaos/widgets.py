"""Interactive explorers for the teaching notebooks.

Every explorer is an :class:`Explorer`: an ipywidgets container with a row of
controls, a one-line summary and an ``Output`` that shows a figure of
:mod:`netchaos.plots`. Changing a control calls the explorer's *view* once: a
plain, public function of the control values that runs a small experiment and
returns a :class:`View` (figure, summary text, numbers). The views are tested
without a browser, and everything an explorer shows can be reproduced by
calling its view directly.

Views are sized so that one update takes well under a second on a laptop
core (a few hundred GD steps of a few dozen trajectories); paper-size runs
are the job of ``netchaos reproduce``. Sliders that start an experiment use
``continuous_update=False``: the view runs when the slider is released.

Explorers
---------
map_explorer           Lyapunov exponent of the logistic map against r, with one orbit
training_explorer      loss and weight norm of one GD run; learning rate, regime presets, seed
eps_explorer           d(t)/d(0) for two perturbation radii from one initial condition
post_training_explorer perturbing a trained network: slow, non-exponential decay
ensemble_explorer      perturbation ensemble: d(t), fitted exponent and P(Lambda)
intermittency_explorer loss series at large learning rates: laminar phases and bursts
sweep_explorer         the runs of one learning rate of a precomputed sweep
spectrum_explorer      leading Lyapunov exponents of the GD map

Helpers shared by the views and the notebooks
---------------------------------------------
logistic, henon        a map and its Jacobian, as callables for lyapunov_spectrum
time_to_accuracy       first step at which an accuracy series reaches a target
decay_fits             exponential and power-law fits of a decaying distance
fundamental_period     smallest period whose laminar fraction is close to the best
linearised_distance    distances predicted by a constant tangent map I - lr H
"""

import functools
import html
import io
import time
from typing import NamedTuple

import ipywidgets as widgets
import numpy as np

from . import plots
from ._validate import as_float_array, check_int, check_positive

__all__ = [
    "View",
    "Explorer",
    "PRESETS",
    "logistic",
    "henon",
    "time_to_accuracy",
    "decay_fits",
    "fundamental_period",
    "linearised_distance",
    "view_map",
    "view_training",
    "view_eps",
    "view_post_training",
    "view_ensemble",
    "view_intermittency",
    "view_sweep",
    "view_spectrum",
    "map_explorer",
    "training_explorer",
    "eps_explorer",
    "post_training_explorer",
    "ensemble_explorer",
    "intermittency_explorer",
    "sweep_explorer",
    "spectrum_explorer",
]

#: The three regimes of Danovski et al. (2024) on Iris 4-10-3, as control values.
PRESETS = {
    "monotone (lr = 0.01)": {"lr": 0.01},
    "edge of stability (lr = 1)": {"lr": 1.0},
    "intermittency (lr = 5)": {"lr": 5.0},
}


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


# ---------------------------------------------------------------------------
# argument checks
# ---------------------------------------------------------------------------
def _seed(seed, name="seed"):
    return check_int(seed, name, minimum=0)


def _model_data(model, data):
    """The reference protocol's network and data when not given."""
    from .datasets import Dataset, iris
    from .model import MLP

    if model is None:
        model = MLP([4, 10, 3], activation="sigmoid", loss="cross_entropy")
    elif not isinstance(model, MLP):
        raise TypeError(f"model must be a netchaos.MLP, got {type(model).__name__}")
    if data is None:
        data = iris(seed=0)
    elif not isinstance(data, (Dataset, tuple)):
        raise TypeError(f"data must be a netchaos.datasets.Dataset or a tuple (X, y), "
                        f"got {type(data).__name__}")
    return model, data


def _fmt(x, digits=3):
    return f"{x:.{digits}g}" if x is not None and np.isfinite(x) else "n/a"


# ---------------------------------------------------------------------------
# the explorer container
# ---------------------------------------------------------------------------
def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


class Explorer(widgets.VBox):
    """Controls, a summary line and an Output showing the figure of a view.

    Parameters
    ----------
    controls : dict
        ``{name: widget}``; every widget's ``value`` is passed to ``view`` as
        the keyword ``name``.
    view : callable
        ``view(**values) -> View``.
    presets : dict, optional
        ``{label: {name: value, ...}}``: adds a dropdown that sets several
        controls at once (one update, not one per control).
    draw : bool, default True
        Run the view once at construction.

    Attributes
    ----------
    controls : dict
    output : ipywidgets.Output
        Where the figure is displayed (as PNG).
    summary : ipywidgets.HTML
        The view's summary line.
    figure : matplotlib.figure.Figure or None
        The last figure drawn.
    result : View or None
        The last view.
    n_updates : int
        Number of completed updates.
    seconds : float
        Wall time of the last update (computation and PNG rendering).
    error : str or None
        Message of the last update if the view raised, else None; the
        previous figure then stays on screen.
    """

    def __init__(self, controls, view, *, presets=None, draw=True):
        super().__init__()
        if not isinstance(controls, dict) or not controls:
            raise TypeError("controls must be a non-empty dict {name: widget}")
        for name, w in controls.items():
            if not isinstance(w, widgets.ValueWidget):
                raise TypeError(f"controls[{name!r}] must be an ipywidgets value widget, "
                                f"got {type(w).__name__}")
        if not callable(view):
            raise TypeError(f"view must be callable, got {type(view).__name__}")
        self.controls = dict(controls)
        self.view = view
        self.output = widgets.Output()
        self.summary = widgets.HTML()
        self.figure = None
        self.result = None
        self.n_updates = 0
        self.seconds = float("nan")
        self.error = None
        self._hold = False
        row = list(self.controls.values())
        self.preset = None
        if presets:
            if not isinstance(presets, dict):
                raise TypeError("presets must be a dict {label: {control: value}}")
            for label, values in presets.items():
                unknown = set(values) - set(self.controls)
                if unknown:
                    raise ValueError(f"preset {label!r} sets unknown control(s) {sorted(unknown)}")
            self.preset = widgets.Dropdown(options=[("choose a regime", None)]
                                           + [(k, v) for k, v in presets.items()],
                                           value=None, description="preset")
            self.preset.observe(self._on_preset, names="value")
            row = [self.preset] + row
        for w in self.controls.values():
            w.observe(self._on_change, names="value")
        self.children = [widgets.HBox(row, layout=widgets.Layout(flex_flow="row wrap")),
                         self.summary, self.output]
        if draw:
            self.update()

    @property
    def values(self):
        """Current control values, ``{name: value}``."""
        return {name: w.value for name, w in self.controls.items()}

    def set(self, **values):
        """Set several controls at once and update once."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown control(s) {sorted(unknown)}; "
                             f"known: {', '.join(self.controls)}")
        self._hold = True
        try:
            for name, v in values.items():
                self.controls[name].value = v
        finally:
            self._hold = False
        return self.update()

    def _on_change(self, change):
        if not self._hold:
            self.update()

    def _on_preset(self, change):
        if change["new"] is not None:
            self.set(**change["new"])

    def update(self):
        """Run the view with the current values and show its figure; returns the View."""
        t0 = time.perf_counter()
        try:
            v = self.view(**self.values)
        except Exception as exc:          # shown in the summary line, the old figure stays
            self.error = f"{type(exc).__name__}: {exc}"
            self.summary.value = f"<span style='color:#b00'>{html.escape(self.error)}</span>"
            return None
        self.error = None
        self.result = v
        self.figure = v.figure
        self.summary.value = html.escape(v.summary)
        png = _png(v.figure)
        from IPython.display import Image, display

        with self.output:
            self.output.clear_output(wait=True)
            display(Image(data=png, format="png"))
        self.seconds = time.perf_counter() - t0
        self.n_updates += 1
        return v


def _log_slider(description, value, lo, hi, step=0.25, fmt=".1e"):
    """A FloatLogSlider over 10**lo .. 10**hi that runs its view on release."""
    return widgets.FloatLogSlider(value=value, base=10, min=lo, max=hi, step=step,
                                  description=description, readout_format=fmt,
                                  continuous_update=False)


def _eps_slider(eps):
    """Perturbation radius on a logarithmic slider, 1e-14 .. 1e-2 by decades."""
    return _log_slider("eps", check_positive(eps, "eps"), -14, -2, step=1, fmt=".0e")


def _in_range(value, name, lo, hi):
    """``value`` as a float in [lo, hi] (the range of its slider)."""
    value = check_positive(value, name)
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be in [{lo:g}, {hi:g}], got {value:g}")
    return value


def _seed_slider(value, description="seed", hi=99):
    return widgets.IntSlider(value=value, min=0, max=max(hi, value), description=description,
                             continuous_update=False)


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def logistic(r):
    """The logistic map ``x -> r x (1 - x)`` and its Jacobian (for ``lyapunov_spectrum``).

    Parameters
    ----------
    r : float
        Parameter in (0, 4].

    Returns
    -------
    step : callable
        ``step(x) -> ndarray of shape (1,)``.
    jacobian : callable
        ``jacobian(x) -> ndarray of shape (1, 1)``.
    """
    r = check_positive(r, "r")
    if r > 4:
        raise ValueError(f"r must be <= 4 (the map leaves [0, 1] otherwise), got {r}")

    def step(x):
        return r * x * (1.0 - x)

    def jacobian(x):
        return np.array([[r * (1.0 - 2.0 * x[0])]])

    return step, jacobian


def henon(a=1.4, b=0.3):
    """The Hénon map ``(x, y) -> (1 - a x^2 + y, b x)`` and its Jacobian.

    Parameters
    ----------
    a, b : float

    Returns
    -------
    step : callable
        ``step(v) -> ndarray of shape (2,)``.
    jacobian : callable
        ``jacobian(v) -> ndarray of shape (2, 2)``.
    """
    a = float(check_positive(a, "a", allow_zero=True))
    b = float(b)
    if not np.isfinite(b):
        raise ValueError(f"b must be finite, got {b}")

    def step(v):
        return np.array([1.0 - a * v[0] ** 2 + v[1], b * v[0]])

    def jacobian(v):
        return np.array([[-2.0 * a * v[0], 1.0], [b, 0.0]])

    return step, jacobian


def time_to_accuracy(accuracy, target=0.9):
    """First step at which each accuracy series reaches a target.

    Parameters
    ----------
    accuracy : array_like of shape (T,) or (n, T)
        Accuracy at steps 0 .. T-1 (NaN after a divergence).
    target : float, default 0.9
        In (0, 1].

    Returns
    -------
    ndarray of shape (n,) (float)
        The step, or ``inf`` where the target is never reached (length 1 for
        a 1-D input).
    """
    A = as_float_array(accuracy, "accuracy", ndim=(1, 2), finite=False)
    A = A[None] if A.ndim == 1 else A
    target = check_positive(target, "target")
    if target > 1:
        raise ValueError(f"target must be <= 1, got {target}")
    reached = np.nan_to_num(A, nan=-1.0) >= target
    first = np.argmax(reached, axis=1).astype(float)
    first[~reached.any(axis=1)] = np.inf
    return first


def decay_fits(t, distance):
    """Exponential and power-law fits of a decaying distance (post-training perturbations).

    Parameters
    ----------
    t : array_like of shape (T,)
        Steps since the perturbation.
    distance : array_like of shape (T,)
        Mean distance d(t) > 0.

    Returns
    -------
    dict
        ``exponential``: ``(a, b, r2)`` of ``ln d = a + b t``; ``power``:
        ``(a, c, r2)`` of ``ln d = a + c ln t`` (t > 0 only; both fits use the
        same points); ``better``: ``"exponential"``, ``"power_law"`` or
        ``"undetermined"`` (larger R^2).
    """
    from .reproduce import _line_fit

    tt = as_float_array(t, "t", ndim=1)
    d = as_float_array(distance, "distance", ndim=1, finite=False)
    if d.size != tt.size:
        raise ValueError(f"distance has {d.size} points but t has {tt.size}")
    pos = tt > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.log(d[pos])
    exp = _line_fit(tt[pos], y)
    power = _line_fit(np.log(tt[pos]), y)
    if np.isfinite(exp[2]) and np.isfinite(power[2]):
        better = "power_law" if power[2] > exp[2] else "exponential"
    else:
        better = "undetermined"
    return {"exponential": exp, "power": power, "better": better}


def fundamental_period(series, max_period=12, tolerance=0.1):
    """The smallest period whose laminar fraction is within ``tolerance`` of the best one.

    :func:`netchaos.dominant_period` picks the period with the largest
    fraction of points matching ``x_{t-p}``; a 3-cycle interrupted by a few
    period-doubled stretches then matches slightly better at 6. The
    fundamental period is the smallest p that does almost as well.

    Parameters
    ----------
    series : array_like of shape (n,)
        Finite, non-constant, n > max_period.
    max_period : int, default 12
    tolerance : float, default 0.1
        Relative tolerance, in [0, 1).

    Returns
    -------
    period : int
    fractions : ndarray of shape (max_period,)
        Laminar fraction for p = 1 .. max_period.
    """
    from .timeseries import laminar_phases

    x = as_float_array(series, "series", ndim=1)
    max_period = check_int(max_period, "max_period", minimum=1)
    tolerance = check_positive(tolerance, "tolerance", allow_zero=True)
    if tolerance >= 1:
        raise ValueError(f"tolerance must be < 1, got {tolerance}")
    fr = np.array([laminar_phases(x, period=p).laminar_fraction
                   for p in range(1, max_period + 1)])
    best = fr.max()
    period = int(np.argmax(fr >= (1.0 - tolerance) * best)) + 1
    return period, fr


def linearised_distance(hessian, lr, delta, steps):
    """Euclidean distances predicted by a constant tangent map ``I - lr H``.

    With ``H = U diag(h) U^T`` and ``c = U^T delta``, the linearised GD map
    carries a perturbation to ``delta(t) = U diag((1 - lr h)^t) c``, so
    ``||delta(t)||^2 = sum_i (1 - lr h_i)^(2t) c_i^2``: a sum of exponentials
    whose rates ``ln|1 - lr h_i|`` spread over many decades when H has many
    small eigenvalues.

    Parameters
    ----------
    hessian : array_like of shape (P, P)
        Symmetric Hessian at the perturbed state.
    lr : float
    delta : array_like of shape (P,) or (n, P)
        Perturbations.
    steps : int
        Predict t = 0 .. steps.

    Returns
    -------
    ndarray of shape (n, steps + 1)
        Predicted Euclidean distances (n = 1 for a 1-D ``delta``).
    """
    H = as_float_array(hessian, "hessian", ndim=2)
    if H.shape[0] != H.shape[1]:
        raise ValueError(f"hessian must be square, got shape {H.shape}")
    lr = check_positive(lr, "lr")
    D = as_float_array(delta, "delta", ndim=(1, 2))
    D = D[None] if D.ndim == 1 else D
    if D.shape[1] != H.shape[0]:
        raise ValueError(f"delta has {D.shape[1]} entries per row but hessian is {H.shape}")
    steps = check_int(steps, "steps", minimum=0)
    h, U = np.linalg.eigh(0.5 * (H + H.T))
    c2 = (D @ U) ** 2                                     # (n, P)
    log_mu = np.log(np.maximum(np.abs(1.0 - lr * h), 1e-300))
    t = np.arange(steps + 1, dtype=float)
    growth = np.exp(2.0 * t[:, None] * log_mu[None, :])   # (T, P)
    return np.sqrt(c2 @ growth.T)


def _fit_tuple(fl, i):
    from .reproduce import _fit_tuple as fit_tuple

    return fit_tuple(fl, i)


# ---------------------------------------------------------------------------
# views
# ---------------------------------------------------------------------------
def _logistic_curve(r_values, steps, transient):
    """Largest exponent of the logistic map at every r (the explorer's background curve)."""
    from .spectra import lyapunov_spectrum

    out = np.empty(len(r_values))
    for i, r in enumerate(r_values):
        f, J = logistic(float(r))
        out[i] = lyapunov_spectrum(step=f, jacobian=J, x0=0.3, steps=steps,
                                   transient=transient).exponents[0]
    return out


def _default_curve():
    """lambda(r) of the logistic map at 97 values of r in [2.8, 4] (about a second)."""
    grid = np.linspace(2.8, 4.0, 97)
    return grid, _logistic_curve(grid, 600, 100)


def view_map(r, *, curve=None, steps=2000, transient=100, n_orbit=120, x0=0.3):
    """The logistic map at parameter r: its Lyapunov exponent and an orbit.

    Parameters
    ----------
    r : float
        In (0, 4].
    curve : tuple (r_values, exponents), optional
        Background curve lambda(r); default 97 values over [2.8, 4]
        (computed on every call: pass it when calling repeatedly).
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
    from .spectra import lyapunov_spectrum

    f, J = logistic(r)
    steps = check_int(steps, "steps", minimum=1)
    transient = check_int(transient, "transient", minimum=0)
    n_orbit = check_int(n_orbit, "n_orbit", minimum=2)
    if curve is None:
        curve = _default_curve()
    lam = float(lyapunov_spectrum(step=f, jacobian=J, x0=x0, steps=steps,
                                  transient=transient).exponents[0])
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
    from .training import train

    model, data = _model_data(model, data)
    lr = check_positive(lr, "lr")
    steps = check_int(steps, "steps", minimum=1)
    res = train(model, data, model.init(seed=_seed(seed)), lr, steps, record="params")
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
    from .stability import eps_sweep

    model, data = _model_data(model, data)
    eps = check_positive(eps, "eps")
    reference_eps = check_positive(reference_eps, "reference_eps")
    values = [reference_eps] if np.isclose(eps, reference_eps, rtol=1e-9) else [reference_eps, eps]
    sw = eps_sweep(model, data, check_positive(lr, "lr"), check_int(steps, "steps", minimum=1),
                   values, n_init=1, n_pert=check_int(n_pert, "n_pert", minimum=1),
                   seed=_seed(seed), fit={}, mle={"n_boot": 0})
    mean_d = np.stack([sw.results[float(e)].distances[0].mean(axis=0) for e in values])
    ratio = mean_d / mean_d[:, :1]
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = float(np.nanmax(np.abs(np.log(ratio[-1]) - np.log(ratio[0]))))
    loss = sw.results[float(values[0])].loss[0]
    fig = plots.plot_eps_curves(np.arange(steps + 1), mean_d, values, loss=loss,
                                title=f"$\\eta$ = {lr:g}, initial condition {seed}")
    return View(fig, f"eps = {eps:.1e} vs {reference_eps:.1e}: ln d(t)/d(0) differ by at most "
                     f"{_fmt(gap, 2)} (d(T)/d(0) = {_fmt(ratio[-1, -1])})",
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
        ``ratio`` d(T)/d(0), ``fits`` (see :func:`decay_fits`).
    """
    from .stability import perturbation_ensemble

    model, data = _model_data(model, data)
    ens = perturbation_ensemble(model, data, check_positive(lr, "lr"),
                                check_int(steps, "steps", minimum=2), check_positive(eps, "eps"),
                                n_init=1, n_pert=check_int(n_pert, "n_pert", minimum=1),
                                seed=_seed(seed), start=check_int(start, "start", minimum=0))
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
    from .stability import finite_lyapunov, network_mle, perturbation_ensemble

    model, data = _model_data(model, data)
    n_init = check_int(n_init, "n_init", minimum=1)
    show = check_int(show, "show", minimum=0, maximum=n_init - 1)
    ens = perturbation_ensemble(model, data, check_positive(lr, "lr"),
                                check_int(steps, "steps", minimum=2), check_positive(eps, "eps"),
                                n_init=n_init, n_pert=check_int(n_pert, "n_pert", minimum=1),
                                seed=_seed(seed))
    fl = finite_lyapunov(ens)
    mle = network_mle(fl, n_boot=0)
    fig = plots.plot_ensemble_overview(np.arange(steps + 1), ens.distances[show], mle,
                                       loss=ens.loss[show], fit=_fit_tuple(fl, show),
                                       title=f"$\\eta$ = {lr:g}, $\\epsilon$ = {eps:.0e}, "
                                             f"{n_init} initial conditions x {n_pert}")
    return View(fig, f"lr = {lr:g}, eps = {eps:.0e}: lambda_nMLE = {_fmt(mle.value)} "
                     f"(kept {mle.n_kept}/{mle.n}, std {_fmt(mle.std, 2)}); "
                     f"{ens.n_diverged} diverged",
                {"mle": mle, "exponents": fl.exponent, "lambda_nmle": mle.value,
                 "kept_fraction": mle.kept_fraction})


def view_intermittency(model=None, data=None, *, seed=0, lr=5.0, steps=3000, burn_in=200,
                       max_period=12, nlags=40, n_shuffles=200):
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
        Candidate periods 1 .. max_period (:func:`fundamental_period`).
    nlags, n_shuffles : int
        ACF of the longest burst (at least ``nlags + 2`` points) with a
        shuffled 95 % band.

    Returns
    -------
    View
        ``data``: ``period`` (fundamental), ``laminar`` (LaminarResult),
        ``acf`` (ACFResult or None), ``burst`` ([start, stop) in steps or
        None), ``diverged``.
    """
    from .timeseries import acf, laminar_phases
    from .training import train

    model, data = _model_data(model, data)
    steps = check_int(steps, "steps", minimum=2)
    burn_in = check_int(burn_in, "burn_in", minimum=0, maximum=steps - max_period - 2)
    res = train(model, data, model.init(seed=_seed(seed)), check_positive(lr, "lr"), steps)
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
    lam = laminar_phases(x, period=period)
    ac, burst = None, None
    if len(lam.bursts):
        j = int(np.argmax(lam.burst_lengths))
        s, e = (int(v) for v in lam.bursts[j])
        seg = x[s:e]
        if e - s >= nlags + 2 and np.ptp(seg) > 0:
            ac = acf(seg, nlags=nlags, n_shuffles=n_shuffles, seed=_seed(seed))
            burst = (burn_in + s, burn_in + e)
    fig = plots.plot_intermittency(t, x, lam, ac,
                                   title=f"$\\eta$ = {lr:g}, initial condition {seed}")
    acf_text = (f"ACF of the longest burst (steps {burst[0]}-{burst[1]}) outside the shuffled "
                f"band at {100 * np.mean(ac.significant[1:]):.0f}% of lags" if ac is not None
                else "no burst long enough for an ACF")
    return View(fig, f"lr = {lr:g}: laminar phases of period {period} cover "
                     f"{100 * lam.laminar_fraction:.0f}% of the series; {acf_text}",
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
    fits = [_fit_tuple(fl, i) for i in range(ens.n_init)]
    fig = plots.plot_lr_detail(np.arange(ens.steps + 1), ens.distances, ens.test_accuracy,
                               target=target, fits=fits, title=f"$\\eta$ = {key:g}")
    reached = np.isfinite(tau)
    tau_text = (f"median steps to {100 * target:.0f}% test accuracy "
                f"{_fmt(float(np.median(tau)), 3)}" if reached.mean() > 0.5
                else f"{int(reached.sum())}/{tau.size} runs reach {100 * target:.0f}%")
    return View(fig, f"lr = {key:g}: lambda_nMLE = {_fmt(m.value)} (kept {m.n_kept}/{m.n}); "
                     f"{tau_text}",
                {"tau": tau, "lambda_nmle": m.value, "kept_fraction": m.kept_fraction})


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
    from .spectra import lyapunov_spectrum

    model, data = _model_data(model, data)
    seed = _seed(seed)
    k = check_int(k, "k", minimum=1, maximum=model.n_params)
    spec = lyapunov_spectrum(model, data, model.init(seed=seed), check_positive(lr, "lr"),
                             steps=check_int(steps, "steps", minimum=1), k=k, seed=seed)
    fig = plots.plot_spectrum(spec, n_show=k,
                              title=f"GD map, $\\eta$ = {lr:.3g}, {steps} steps, "
                                    f"initial condition {seed}")
    if spec.diverged:
        text = f"lr = {lr:.3g}: the trajectory diverged at step {spec.diverged_at}"
    else:
        text = (f"lr = {lr:.3g}: lambda_1 = {np.max(spec.exponents):.3f}, {spec.n_positive} "
                f"of {k} leading exponents positive")
    return View(fig, text, {"spectrum": spec, "exponents": spec.exponents})


# ---------------------------------------------------------------------------
# explorers
# ---------------------------------------------------------------------------
def map_explorer(r=3.7, *, steps=2000):
    """Logistic map: drag r and watch the orbit and its Lyapunov exponent.

    Parameters
    ----------
    r : float, default 3.7
        Initial value, in [2.8, 4].
    steps : int, default 2000
        Iterations for the exponent at r.

    Returns
    -------
    Explorer
        Control ``r``; view :func:`view_map` (the background curve is
        computed once).
    """
    r = _in_range(r, "r", 2.8, 4.0)
    curve = _default_curve()
    controls = {"r": widgets.FloatSlider(value=r, min=2.8, max=4.0, step=0.005,
                                         readout_format=".3f", description="r",
                                         continuous_update=False)}
    return Explorer(controls, functools.partial(view_map, curve=curve,
                                                steps=check_int(steps, "steps", minimum=1)))


def training_explorer(model=None, data=None, *, lr=1.0, seed=0, steps=500):
    """One GD run on Iris: learning rate (log scale), regime presets and the initial condition.

    Parameters
    ----------
    model, data : optional
        Default Iris 4-10-3.
    lr : float, default 1
        Initial learning rate, in [1e-3, 10].
    seed : int, default 0
    steps : int, default 500

    Returns
    -------
    Explorer
        Controls ``lr``, ``seed`` and a preset dropdown (:data:`PRESETS`);
        view :func:`view_training`.
    """
    model, data = _model_data(model, data)
    lr = check_positive(lr, "lr")
    controls = {"lr": _log_slider("lr", lr, -3, 1, step=0.05, fmt=".3g"),
                "seed": _seed_slider(_seed(seed), "init seed")}
    return Explorer(controls, functools.partial(view_training, model, data,
                                                steps=check_int(steps, "steps", minimum=1)),
                    presets=PRESETS)


def eps_explorer(model=None, data=None, *, eps=1e-8, seed=0, lr=0.01, steps=1000, n_pert=5,
                 reference_eps=1e-2):
    """Orbital stability at a small learning rate: does d(t)/d(0) depend on eps?

    Parameters
    ----------
    model, data : optional
    eps : float, default 1e-8
        Initial radius, in [1e-14, 1e-2] (log slider).
    seed : int, default 0
    lr, steps, n_pert, reference_eps :
        As in :func:`view_eps`.

    Returns
    -------
    Explorer
        Controls ``eps`` and ``seed``; view :func:`view_eps`.
    """
    model, data = _model_data(model, data)
    controls = {"eps": _eps_slider(eps),
                "seed": _seed_slider(_seed(seed), "init seed")}
    return Explorer(controls, functools.partial(view_eps, model, data, lr=lr, steps=steps,
                                                n_pert=n_pert, reference_eps=reference_eps))


def post_training_explorer(model=None, data=None, *, start=2000, eps=1e-8, seed=0, lr=0.01,
                           steps=500, n_pert=5):
    """Perturbing a trained network: training time before the perturbation, eps and seed.

    Parameters
    ----------
    model, data : optional
    start : int, default 2000
        One of 0, 250, 500, 1000, 2000, 4000.
    eps : float, default 1e-8
    seed : int, default 0
    lr, steps, n_pert :
        As in :func:`view_post_training`.

    Returns
    -------
    Explorer
        Controls ``start``, ``eps``, ``seed``; view :func:`view_post_training`.
    """
    model, data = _model_data(model, data)
    options = [0, 250, 500, 1000, 2000, 4000]
    start = check_int(start, "start", minimum=0)
    if start not in options:
        raise ValueError(f"start must be one of {options}, got {start}")
    controls = {"start": widgets.SelectionSlider(options=options, value=start,
                                                 description="trained for",
                                                 continuous_update=False),
                "eps": _eps_slider(eps),
                "seed": _seed_slider(_seed(seed), "init seed")}
    return Explorer(controls, functools.partial(view_post_training, model, data, lr=lr,
                                                steps=steps, n_pert=n_pert))


def ensemble_explorer(model=None, data=None, *, eps=1e-8, seed=0, lr=1.0, steps=200, n_init=20,
                      n_pert=5):
    """Sensitive dependence at the edge of stability: eps (log scale), learning rate, seed.

    Parameters
    ----------
    model, data : optional
    eps : float, default 1e-8
    seed : int, default 0
    lr : float, default 1
        In [0.1, 3].
    steps, n_init, n_pert :
        As in :func:`view_ensemble`.

    Returns
    -------
    Explorer
        Controls ``eps``, ``lr``, ``seed``; view :func:`view_ensemble`.
    """
    model, data = _model_data(model, data)
    lr = _in_range(lr, "lr", 0.1, 3.0)
    controls = {"eps": _eps_slider(eps),
                "lr": widgets.FloatSlider(value=lr, min=0.1, max=3.0, step=0.1,
                                          description="lr", continuous_update=False),
                "seed": _seed_slider(_seed(seed))}
    return Explorer(controls, functools.partial(view_ensemble, model, data, steps=steps,
                                                n_init=n_init, n_pert=n_pert))


def intermittency_explorer(model=None, data=None, *, seed=4, lr=5.0, steps=3000, burn_in=200):
    """Laminar phases and bursts of the loss at large learning rates: initial condition and lr.

    Parameters
    ----------
    model, data : optional
    seed : int, default 4
        (a run with period-3 laminar phases and a long burst)
    lr : float, default 5
        In [2, 8].
    steps, burn_in :
        As in :func:`view_intermittency`.

    Returns
    -------
    Explorer
        Controls ``seed`` and ``lr``; view :func:`view_intermittency`.
    """
    model, data = _model_data(model, data)
    lr = _in_range(lr, "lr", 2.0, 8.0)
    controls = {"seed": _seed_slider(_seed(seed), "init seed"),
                "lr": widgets.FloatSlider(value=lr, min=2.0, max=8.0, step=0.25,
                                          description="lr", continuous_update=False)}
    return Explorer(controls, functools.partial(view_intermittency, model, data, steps=steps,
                                                burn_in=burn_in))


def sweep_explorer(sweep, *, lr=None, target=0.9):
    """Step through the learning rates of a precomputed sweep (no training on update).

    Parameters
    ----------
    sweep : SweepResult
        From ``lr_sweep(..., test_metrics=True)``.
    lr : float, optional
        Initial learning rate (default the first swept value).
    target : float, default 0.9

    Returns
    -------
    Explorer
        Control ``lr`` (a selection slider over the swept values); view
        :func:`view_sweep`.
    """
    if not (hasattr(sweep, "values") and hasattr(sweep, "results")):
        raise TypeError(f"sweep must be a SweepResult, got {type(sweep).__name__}")
    options = [float(v) for v in sweep.values]
    lr = options[0] if lr is None else float(lr)
    if lr not in options:
        raise ValueError(f"lr={lr!r} is not one of the swept values {options}")
    controls = {"lr": widgets.SelectionSlider(options=[(f"{v:g}", v) for v in options],
                                              value=lr, description="lr",
                                              continuous_update=False)}
    return Explorer(controls, functools.partial(view_sweep, sweep, target=target))


def spectrum_explorer(model=None, data=None, *, lr=1.0, seed=0, steps=200, k=5):
    """Leading Lyapunov exponents of the GD map: learning rate (log scale) and seed.

    Parameters
    ----------
    model, data : optional
    lr : float, default 1
        In [1e-2, 10].
    seed : int, default 0
    steps, k :
        As in :func:`view_spectrum`.

    Returns
    -------
    Explorer
        Controls ``lr`` and ``seed``; view :func:`view_spectrum`.
    """
    model, data = _model_data(model, data)
    controls = {"lr": _log_slider("lr", check_positive(lr, "lr"), -2, 1, step=0.05, fmt=".3g"),
                "seed": _seed_slider(_seed(seed), "init seed")}
    return Explorer(controls, functools.partial(view_spectrum, model, data, steps=steps, k=k),
                    presets=PRESETS)
