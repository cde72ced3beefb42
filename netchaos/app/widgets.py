"""Interactive explorers for the teaching notebooks.

Every explorer is an :class:`Explorer`: an ipywidgets container with a row of
controls, a one-line summary and an ``Output`` that shows a figure of
:mod:`netchaos.plots`. Changing a control calls the explorer's *view* once: a
plain, public function of the control values (:mod:`netchaos.app.views`) that
runs a small experiment and returns a :class:`~netchaos.app.views.View`
(figure, summary text, numbers). The views are tested without a browser, and
everything an explorer shows can be reproduced by calling its view directly.
Sliders that start an experiment use ``continuous_update=False``: the view runs
when the slider is released.

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
trainability_zoom_explorer  zoom into the boundary of trainability of two layers' learning rates
"""

import base64
import functools
import html
import io
import time

import ipywidgets as widgets

from .._random import check_seed
from .._validate import check_int, check_positive
from .views import (
    default_curve,
    model_data,
    view_ensemble,
    view_eps,
    view_intermittency,
    view_map,
    view_post_training,
    view_spectrum,
    view_sweep,
    view_training,
)
from .zoom import view_trainability_zoom

__all__ = [
    "Explorer",
    "CUSTOM",
    "PRESETS",
    "map_explorer",
    "training_explorer",
    "eps_explorer",
    "post_training_explorer",
    "ensemble_explorer",
    "intermittency_explorer",
    "sweep_explorer",
    "spectrum_explorer",
    "trainability_zoom_explorer",
]

#: Label of the preset dropdown when the controls match no preset.
CUSTOM = "(custom)"

#: Shown below every explorer; hidden by its style rule where the explorer is drawn (browsers
#: with CSS ``:has``), so it is read where a kernel-less page shows "Error displaying widget".
_HINT = ("<div class='netchaos-hint' style='color:#777;font-size:90%'>This explorer needs a "
         "running kernel: if an error shows here instead of its controls, run this cell again "
         "(Shift+Enter).</div>"
         "<style>.jp-OutputArea:has(.netchaos-explorer) .jp-OutputArea-child:has(.netchaos-hint),"
         ".output_area:has(.netchaos-explorer) .netchaos-hint {display: none}</style>")


def _same(a, b):
    """Control value ``a`` equals preset value ``b`` (floats to 1e-9 relative)."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) <= 1e-9 * max(abs(a), abs(b))
    return a == b


#: The three regimes of Danovski et al. (2024) on Iris 4-10-3, as control values.
PRESETS = {
    "monotone (lr = 0.01)": {"lr": 0.01},
    "edge of stability (lr = 1)": {"lr": 1.0},
    "intermittency (lr = 5)": {"lr": 5.0},
}


# ---------------------------------------------------------------------------
# the explorer container
# ---------------------------------------------------------------------------
def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _png_output(png, text):
    """The notebook output (nbformat ``display_data``) of the PNG bytes ``png``, with ``text``
    as its plain-text alternative."""
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": text}}


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
        controls at once (one update, not one per control). The dropdown
        follows the controls: it names the preset they match, or
        :data:`CUSTOM`.
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

    Notes
    -----
    Each update replaces ``output.outputs`` with one PNG output, set from the kernel, rather
    than capturing a ``display()`` inside ``with output:``. A capture makes a notebook
    executor that stands in for the browser's Output widget (nbclient, which Voila runs to
    render ``netchaos app``) answer every captured output with a ``comm_msg`` sent on the
    shell channel while it waits on that channel for the cell's ``execute_reply``. That send
    can swallow the socket's wake-up for the reply [1]_, which then sits unread: the cell
    never finishes and the app's page never loads. With the outputs set directly, the
    executor sends nothing while the cell runs.

    References
    ----------
    .. [1] jupyter/nbclient issue 312, "when cell contains ipywidget, execute cell will
       sometimes blocks" (2024).
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
        self.add_class("netchaos-explorer")       # what the browser test looks for
        row = list(self.controls.values())
        self.preset = None
        if presets:
            if not isinstance(presets, dict):
                raise TypeError("presets must be a dict {label: {control: value}}")
            for label, values in presets.items():
                unknown = set(values) - set(self.controls)
                if unknown:
                    raise ValueError(f"preset {label!r} sets unknown control(s) {sorted(unknown)}")
            self._presets = {label: dict(values) for label, values in presets.items()}
            self.preset = widgets.Dropdown(options=[(CUSTOM, {})] + list(self._presets.items()),
                                           value={}, description="preset")
            self.preset.observe(self._on_preset, names="value")
            row = [self.preset] + row
        for w in self.controls.values():
            w.observe(self._on_change, names="value")
        self.children = [widgets.HBox(row, layout=widgets.Layout(flex_flow="row wrap")),
                         self.summary, self.output]
        self._sync_preset()
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
        if change["new"] and not self._hold:
            self.set(**change["new"])

    def _sync_preset(self):
        """Show the preset the controls match, or :data:`CUSTOM` when they match none."""
        if self.preset is None:
            return
        match = {}
        for values in self._presets.values():
            if all(_same(self.controls[k].value, v) for k, v in values.items()):
                match = values
                break
        if self.preset.value != match:
            self._hold = True
            try:
                self.preset.value = match
            finally:
                self._hold = False

    def _ipython_display_(self):
        """The widget, then a hint that shows only where the widget cannot be drawn (a
        saved notebook reopened without a kernel, a static viewer)."""
        from IPython.display import HTML, display

        display(self._repr_mimebundle_(), raw=True)
        display(HTML(_HINT))

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
        self._sync_preset()
        self.result = v
        self.figure = v.figure
        self.summary.value = html.escape(v.summary)
        self.output.outputs = (_png_output(_png(v.figure), v.summary),)   # see Notes
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
    curve = default_curve()
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
    model, data = model_data(model, data)
    lr = check_positive(lr, "lr")
    controls = {"lr": _log_slider("lr", lr, -3, 1, step=0.05, fmt=".3g"),
                "seed": _seed_slider(check_seed(seed), "init seed")}
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
    model, data = model_data(model, data)
    controls = {"eps": _eps_slider(eps),
                "seed": _seed_slider(check_seed(seed), "init seed")}
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
    model, data = model_data(model, data)
    options = [0, 250, 500, 1000, 2000, 4000]
    start = check_int(start, "start", minimum=0)
    if start not in options:
        raise ValueError(f"start must be one of {options}, got {start}")
    controls = {"start": widgets.SelectionSlider(options=options, value=start,
                                                 description="trained for",
                                                 continuous_update=False),
                "eps": _eps_slider(eps),
                "seed": _seed_slider(check_seed(seed), "init seed")}
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
    model, data = model_data(model, data)
    lr = _in_range(lr, "lr", 0.1, 3.0)
    controls = {"eps": _eps_slider(eps),
                "lr": widgets.FloatSlider(value=lr, min=0.1, max=3.0, step=0.1,
                                          description="lr", continuous_update=False),
                "seed": _seed_slider(check_seed(seed))}
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
    model, data = model_data(model, data)
    lr = _in_range(lr, "lr", 2.0, 8.0)
    controls = {"seed": _seed_slider(check_seed(seed), "init seed"),
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
    model, data = model_data(model, data)
    controls = {"lr": _log_slider("lr", check_positive(lr, "lr"), -2, 1, step=0.05, fmt=".3g"),
                "seed": _seed_slider(check_seed(seed), "init seed")}
    return Explorer(controls, functools.partial(view_spectrum, model, data, steps=steps, k=k),
                    presets=PRESETS)


def trainability_zoom_explorer(model=None, data=None, *, lr=3.0, lr_out=3.0, zoom=0, n=32,
                               steps=200, seed=0, draw=True):
    """Zoom into the boundary of trainability: centre sliders (log scale) and a zoom level.

    Parameters are those of :func:`view_trainability_zoom` (their initial values); ``draw``
    (default True) runs the view once at construction.

    Returns
    -------
    Explorer
        Controls ``lr``, ``lr_out``, ``zoom``; view :func:`view_trainability_zoom`.

    Examples
    --------
    >>> ex = trainability_zoom_explorer(n=8, steps=10, draw=False)
    >>> sorted(ex.controls), ex.n_updates
    (['lr', 'lr_out', 'zoom'], 0)
    """
    model, data = model_data(model, data)
    n = check_int(n, "n", minimum=4, maximum=512)
    steps = check_int(steps, "steps", minimum=1)
    controls = {
        "lr": widgets.FloatLogSlider(value=check_positive(lr, "lr"), base=10, min=-1, max=2,
                                     step=0.01, description="lr (layer 1)",
                                     continuous_update=False, readout_format=".3g"),
        "lr_out": widgets.FloatLogSlider(value=check_positive(lr_out, "lr_out"), base=10,
                                         min=-1, max=2, step=0.01, description="lr (layer 2)",
                                         continuous_update=False, readout_format=".3g"),
        "zoom": widgets.IntSlider(value=check_int(zoom, "zoom", minimum=0, maximum=12), min=0,
                                  max=12, description="zoom 2^k", continuous_update=False),
    }

    def view(lr, lr_out, zoom):
        return view_trainability_zoom(model, data, lr=lr, lr_out=lr_out, zoom=zoom, n=n,
                                      steps=steps, seed=seed)

    return Explorer(controls, view, draw=draw)
