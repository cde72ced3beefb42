"""Explorers of the teaching notebooks: the maps against known answers, every view draws a
labelled figure, every explorer is wired to its view (changing a control runs it once and
replaces the figure), and bad arguments raise errors that name them."""

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import netchaos as nc  # noqa: E402
from netchaos.app import views  # noqa: E402
from netchaos.app import widgets as w  # noqa: E402

DATA = nc.datasets.iris(seed=0)
MODEL = nc.MLP([4, 10, 3])


def _labelled(fig):
    """Every visible axis has a y label, and an x label unless it shares one (twins, and
    panels whose shared x axis is labelled under the panel below)."""
    assert isinstance(fig, Figure)
    for ax in fig.axes:
        if not ax.get_visible() or ax.get_label() == "<colorbar>":
            continue
        assert ax.get_ylabel(), "axis without y label"
        shared = ax.get_xlabel() == "" and any(
            o is not ax and (o.get_position().bounds == ax.get_position().bounds
                             or (ax.get_shared_x_axes().joined(ax, o) and o.get_xlabel()
                                 and o.get_position().y1 <= ax.get_position().y0 + 1e-9))
            for o in fig.axes)
        assert ax.get_xlabel() or shared, "axis without x label"


@pytest.fixture(autouse=True)
def _quiet(capsys):
    """Outside a kernel, display() prints the image's repr: keep the test log clean."""
    yield
    capsys.readouterr()


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def test_logistic_and_henon_known_exponents():
    with pytest.warns(DeprecationWarning, match="systems.logistic"):
        f, J = views.logistic(4.0)
    lam = nc.lyapunov_spectrum(step=f, jacobian=J, x0=0.3, steps=20000, transient=100)
    assert abs(lam.exponents[0] - np.log(2)) < 0.01
    with pytest.warns(DeprecationWarning, match="systems.henon"):
        f, J = views.henon()
    res = nc.lyapunov_spectrum(step=f, jacobian=J, x0=[0.1, 0.1], steps=20000, transient=100)
    assert abs(res.exponents[0] - 0.42) < 0.02
    assert abs(res.exponents.sum() - np.log(0.3)) < 1e-6     # |det J| = b everywhere
    with pytest.raises(ValueError, match="r must"):
        nc.systems.logistic(4.5)
    with pytest.raises(TypeError, match="r must"):
        nc.systems.logistic("4")


# ---------------------------------------------------------------------------
# views
# ---------------------------------------------------------------------------
def test_view_map():
    curve = (np.linspace(3.0, 4.0, 5), np.array([-0.1, -0.2, 0.1, 0.3, 0.69]))
    v = views.view_map(4.0, curve=curve, steps=3000)
    assert abs(v.data["exponent"] - np.log(2)) < 0.03
    assert "chaotic" in v.summary
    v = views.view_map(3.2, curve=curve, steps=500)
    assert v.data["exponent"] < 0 and "periodic" in v.summary
    _labelled(v.figure)
    assert len(v.figure.axes) == 2


def test_view_training():
    v = views.view_training(MODEL, DATA, lr=0.01, seed=0, steps=50)
    _labelled(v.figure)
    assert v.data["loss"].shape == (51,) and v.data["weight_norm"].shape == (51,)
    assert v.data["fraction_increasing"] == 0.0       # small steps: the loss only decreases
    assert "lr = 0.01" in v.summary
    with pytest.raises(ValueError, match="lr"):
        views.view_training(MODEL, DATA, lr=-1.0)
    with pytest.raises(TypeError, match="model"):
        views.view_training("iris", DATA)
    with pytest.raises(TypeError, match="data"):
        views.view_training(MODEL, [1, 2])


def test_view_eps():
    v = views.view_eps(MODEL, DATA, eps=1e-10, seed=0, steps=100, n_pert=2)
    _labelled(v.figure)
    assert v.data["curves"].shape == (2, 101)
    np.testing.assert_allclose(v.data["curves"][:, 0], 1.0)
    assert v.data["max_log_gap"] < 0.1               # lr = 0.01: nearly independent of eps
    # the summary states the measured difference; both radii and their difference are drawn
    pct = 100 * np.expm1(v.data["max_log_gap"])
    assert f"differ by at most {pct:.2g}%" in v.summary, v.summary
    top, diff = v.figure.axes[:2]
    assert len(top.lines) == 2 and top.lines[0].get_linewidth() > top.lines[1].get_linewidth()
    np.testing.assert_allclose(np.abs(diff.lines[0].get_ydata()).max(), v.data["max_log_gap"],
                               rtol=1e-9)
    v = views.view_eps(MODEL, DATA, eps=1e-2, steps=20, n_pert=2)   # the reference radius itself
    assert v.data["curves"].shape == (1, 21)
    with pytest.raises(ValueError, match="eps"):
        views.view_eps(MODEL, DATA, eps=0.0)


def test_view_post_training():
    v = views.view_post_training(MODEL, DATA, start=200, eps=1e-8, steps=60, n_pert=2)
    _labelled(v.figure)
    assert v.data["distance"].shape == (61,)
    assert 0.5 < v.data["ratio"] < 2.0
    assert v.data["fits"]["better"] in ("exponential", "power_law")
    with pytest.raises(ValueError, match="start"):
        views.view_post_training(MODEL, DATA, start=-1)


def test_view_ensemble():
    v = views.view_ensemble(MODEL, DATA, eps=1e-8, seed=0, lr=1.0, steps=120, n_init=6, n_pert=3)
    _labelled(v.figure)
    assert v.data["exponents"].shape == (6,)
    assert 0.1 < v.data["lambda_nmle"] < 0.6
    assert "lambda_nMLE" in v.summary
    with pytest.raises(ValueError, match="show"):
        views.view_ensemble(MODEL, DATA, n_init=2, show=2)


def test_view_intermittency():
    v = views.view_intermittency(MODEL, DATA, seed=4, lr=5.0, steps=1200, burn_in=200)
    _labelled(v.figure)
    assert v.data["period"] == 3
    assert v.data["acf"] is not None and v.data["acf"].significant[1:].mean() > 0.2
    # the zoom shows the longest laminar phase in that phase's own period
    lam = v.data["laminar"]
    longest = int(np.argmax(lam.lengths))
    zoom = v.figure.axes[1]
    assert zoom.get_title().endswith(f"period {lam.periods[longest]}")
    s, e = lam.phases[longest] + 200
    zt = zoom.lines[0].get_xdata()
    assert s <= zt.min() and zt.max() < e and zt.size == min(e - s, max(30, 10 * lam.periods[longest]))
    v = views.view_intermittency(MODEL, DATA, seed=0, lr=0.05, steps=100, burn_in=10)
    assert v.data["period"] is not None or "nothing to analyse" in v.summary
    with pytest.raises(ValueError, match="burn_in"):
        views.view_intermittency(MODEL, DATA, steps=100, burn_in=100)


@pytest.fixture(scope="module")
def small_sweep():
    data = nc.datasets.digits(seed=0, n_train=200)
    model = nc.MLP([64, 8, 10], activation="tanh")
    return nc.lr_sweep(model, data, [0.5, 4.0], 60, 1e-8, n_init=2, n_pert=2, seed=0,
                       test_metrics=True)


def test_view_sweep(small_sweep):
    v = views.view_sweep(small_sweep, lr=4.0, target=0.5)
    _labelled(v.figure)
    assert v.data["tau"].shape == (2,)
    with pytest.raises(ValueError, match="lr=3"):
        views.view_sweep(small_sweep, lr=3.0)
    with pytest.raises(TypeError, match="sweep"):
        views.view_sweep({"a": 1}, lr=1.0)


def test_view_spectrum():
    v = views.view_spectrum(MODEL, DATA, lr=1.0, seed=0, steps=40, k=3)
    _labelled(v.figure)
    assert v.data["exponents"].shape == (3,)
    v = views.view_spectrum(MODEL, DATA, lr=0.01, seed=0, steps=40, k=3)
    assert np.all(np.abs(v.data["exponents"]) < 0.05)     # lr = 0.01: near-neutral
    assert "0 resolved positive, 3 not resolved from 0 over 40 steps" in v.summary
    with pytest.raises(ValueError, match="k must"):
        views.view_spectrum(MODEL, DATA, k=0)


# ---------------------------------------------------------------------------
# explorers: wiring
# ---------------------------------------------------------------------------
def _sliders(explorer):
    return [c for c in explorer.controls.values()
            if isinstance(c, (ipywidgets.FloatSlider, ipywidgets.FloatLogSlider,
                              ipywidgets.IntSlider, ipywidgets.SelectionSlider))]


def _check_wired(explorer, name, value):
    """Setting one control runs the view once and replaces figure and summary."""
    assert isinstance(explorer, ipywidgets.VBox)
    assert explorer.error is None, explorer.error
    assert explorer.n_updates == 1 and isinstance(explorer.figure, Figure)
    assert all(not s.continuous_update for s in _sliders(explorer))
    assert explorer.output in explorer.children and explorer.summary in explorer.children
    fig, text = explorer.figure, explorer.summary.value
    explorer.controls[name].value = value
    assert explorer.error is None, explorer.error
    assert explorer.n_updates == 2
    assert explorer.figure is not fig
    assert explorer.summary.value != text
    assert explorer.values[name] == pytest.approx(value)
    assert explorer.seconds < 30


def test_explorer_calls_view_once_per_change_and_per_preset():
    calls = []

    def view(a, b):
        calls.append((a, b))
        fig = Figure()
        fig.add_subplot().set(xlabel="x", ylabel="y")
        return views.View(fig, f"a={a} b={b}", {})

    ex = w.Explorer({"a": ipywidgets.IntSlider(value=1), "b": ipywidgets.FloatSlider(value=0.5)},
                    view, presets={"both": {"a": 7, "b": 0.25}})
    assert calls == [(1, 0.5)]
    ex.controls["a"].value = 3
    assert calls[-1] == (3, 0.5)
    ex.preset.value = ex.preset.options[1][1]        # one update for two controls
    assert calls[-1] == (7, 0.25) and len(calls) == 3
    assert ex.summary.value == "a=7 b=0.25"
    with pytest.raises(ValueError, match="unknown control"):
        ex.set(c=1)


def test_preset_dropdown_names_the_matching_preset_or_custom():
    def view(a, b):
        fig = Figure()
        fig.add_subplot()
        return views.View(fig, "", {})

    ex = w.Explorer({"a": ipywidgets.IntSlider(value=7), "b": ipywidgets.FloatSlider(value=0.25)},
                    view, presets={"one": {"a": 1, "b": 0.5}, "seven": {"a": 7, "b": 0.25}})
    assert ex.preset.label == "seven"                  # never blank: the controls match it
    ex.controls["a"].value = 3
    assert ex.preset.label == w.CUSTOM and ex.n_updates == 2
    ex.preset.value = ex.preset.options[1][1]
    assert ex.preset.label == "one" and ex.values == {"a": 1, "b": 0.5} and ex.n_updates == 3
    ex.controls["b"].value = 0.75                      # a slider move leaves the preset
    assert ex.preset.label == w.CUSTOM and ex.n_updates == 4
    ex.controls["b"].value = 0.5
    assert ex.preset.label == "one" and ex.n_updates == 5


def test_explorer_display_adds_a_rerun_hint_hidden_beside_a_live_widget():
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    InteractiveShell.instance()
    ex = w.Explorer({"a": ipywidgets.IntSlider()}, lambda a: views.View(Figure(), "", {}),
                    draw=False)
    assert "netchaos-explorer" in ex._dom_classes
    with capture_output() as out:
        ex._ipython_display_()
    widget, hint = out.outputs
    assert widget.data["application/vnd.jupyter.widget-view+json"]["model_id"] == ex.model_id
    html = hint.data["text/html"]
    assert "run this cell again" in html
    assert ":has(.netchaos-explorer)" in html and "display: none" in html


def test_explorer_reports_view_errors_and_keeps_the_figure():
    def view(x):
        if x > 5:
            raise ValueError("x too large")
        fig = Figure()
        fig.add_subplot()
        return views.View(fig, f"x={x}", {})

    ex = w.Explorer({"x": ipywidgets.IntSlider(value=1, max=10)}, view)
    fig = ex.figure
    ex.controls["x"].value = 8
    assert ex.error == "ValueError: x too large"
    assert "x too large" in ex.summary.value
    assert ex.figure is fig and ex.n_updates == 1


def test_explorer_shows_its_figure_as_the_outputs_of_its_output_widget():
    import base64

    def view(x):
        fig = Figure(figsize=(2 + x, 2))
        fig.add_subplot()
        return views.View(fig, f"x={x}", {})

    ex = w.Explorer({"x": ipywidgets.IntSlider(value=1, max=10)}, view)
    (out,) = ex.output.outputs
    png = base64.b64decode(out["data"]["image/png"])
    assert out["output_type"] == "display_data" and out["data"]["text/plain"] == "x=1"
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png[16:20], "big") == 3 * ex.figure.dpi     # 3 inches wide
    ex.controls["x"].value = 4                          # replaced, not appended
    (out,) = ex.output.outputs
    png = base64.b64decode(out["data"]["image/png"])
    assert out["data"]["text/plain"] == "x=4"
    assert int.from_bytes(png[16:20], "big") == 6 * ex.figure.dpi


@pytest.mark.slow
def test_an_executor_standing_in_for_the_browser_sends_only_the_cell(tmp_path):
    """nbclient (which Voila runs for ``netchaos app``) answers outputs captured in an Output
    widget with comm messages on the shell channel, while it waits there for the cell's reply;
    such a send can hide that reply from it for good (Explorer's Notes). An explorer cell must
    leave it nothing to send but the cell itself, and its figure must reach the Output widget's
    state."""
    import os

    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    cell = nbformat.v4.new_code_cell("from netchaos import widgets\nwidgets.map_explorer()")
    nb = nbformat.v4.new_notebook(cells=[cell])
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH")) if p))
    sent = []
    with client.setup_kernel(env=env, cwd=str(tmp_path)):
        channel = client.kc.shell_channel
        send = channel.send

        def record(msg):
            sent.append(msg["header"]["msg_type"])
            return send(msg)

        channel.send = record
        client.execute_cell(cell, 0)
    assert sent == ["execute_request"]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {})
               for o in cell.outputs)
    outputs = [state for state in client.widget_state.values()
               if state.get("_model_name") == "OutputModel"]
    pngs = [o for state in outputs for o in state.get("outputs", ())
            if "image/png" in o.get("data", {})]
    assert len(pngs) == 1


def test_explorer_rejects_bad_arguments():
    with pytest.raises(TypeError, match="controls"):
        w.Explorer({}, lambda: None)
    with pytest.raises(TypeError, match=r"controls\['a'\]"):
        w.Explorer({"a": 3}, lambda a: None)
    with pytest.raises(TypeError, match="view"):
        w.Explorer({"a": ipywidgets.IntSlider()}, "view")
    with pytest.raises(ValueError, match="preset"):
        w.Explorer({"a": ipywidgets.IntSlider()}, lambda a: None, presets={"p": {"b": 1}},
                   draw=False)


def test_map_explorer():
    ex = w.map_explorer(3.5, steps=300)
    _check_wired(ex, "r", 3.9)
    assert ex.result.data["exponent"] > 0
    with pytest.raises(ValueError, match="r must"):
        w.map_explorer(2.0)


def test_training_explorer_and_presets():
    ex = w.training_explorer(MODEL, DATA, lr=0.01, steps=40)
    _check_wired(ex, "lr", 0.1)
    assert ex.result.data["loss"].shape == (41,)
    ex.preset.value = w.PRESETS["intermittency (lr = 5)"]
    assert ex.values["lr"] == pytest.approx(5.0) and ex.n_updates == 3
    assert "lr = 5" in ex.summary.value


def test_eps_explorer():
    ex = w.eps_explorer(MODEL, DATA, eps=1e-8, steps=60, n_pert=2)
    _check_wired(ex, "eps", 1e-12)
    assert ex.result.data["eps_values"][-1] == pytest.approx(1e-12)


def test_post_training_explorer():
    ex = w.post_training_explorer(MODEL, DATA, start=250, steps=40, n_pert=2)
    _check_wired(ex, "start", 500)
    with pytest.raises(ValueError, match="start must be one of"):
        w.post_training_explorer(MODEL, DATA, start=300)


def test_ensemble_explorer():
    ex = w.ensemble_explorer(MODEL, DATA, steps=80, n_init=4, n_pert=2)
    _check_wired(ex, "eps", 1e-4)
    ex.controls["lr"].value = 2.0
    assert ex.n_updates == 3 and "lr = 2" in ex.summary.value
    with pytest.raises(ValueError, match="lr must be in"):
        w.ensemble_explorer(MODEL, DATA, lr=5.0)


def test_intermittency_explorer():
    ex = w.intermittency_explorer(MODEL, DATA, seed=4, steps=800, burn_in=100)
    _check_wired(ex, "seed", 1)
    with pytest.raises(ValueError, match="lr must be in"):
        w.intermittency_explorer(MODEL, DATA, lr=1.0)


def test_sweep_explorer(small_sweep):
    ex = w.sweep_explorer(small_sweep, target=0.5)
    assert ex.values["lr"] == 0.5
    _check_wired(ex, "lr", 4.0)
    with pytest.raises(ValueError, match="not one of the swept values"):
        w.sweep_explorer(small_sweep, lr=2.0)


def test_spectrum_explorer():
    ex = w.spectrum_explorer(MODEL, DATA, lr=1.0, steps=30, k=2)
    _check_wired(ex, "seed", 3)
    ex.preset.value = w.PRESETS["monotone (lr = 0.01)"]
    assert ex.values["lr"] == pytest.approx(0.01)


@pytest.mark.parametrize("module, forbidden", [
    # the package itself: no explorers, no plots
    ("netchaos", ("netchaos.widgets", "netchaos.app.widgets", "netchaos.app.views",
                  "netchaos.plots", "ipywidgets", "matplotlib")),
    # the papers' analyses: nothing of the application layer
    ("netchaos.protocols", ("netchaos.app", "netchaos.plots", "netchaos.widgets", "ipywidgets",
                            "matplotlib")),
    # the views draw figures without ipywidgets
    ("netchaos.app.views", ("ipywidgets", "netchaos.app.widgets")),
])
def test_what_each_layer_imports(module, forbidden):
    code = (f"import sys, {module}; "
            f"print(sorted(m for m in {forbidden!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_widgets_module_keeps_every_name():
    from netchaos import protocols
    from netchaos import widgets as shim

    for name in shim.__all__:
        obj = getattr(shim, name)
        home = next(m for m in (w, views, protocols) if hasattr(m, name))
        assert obj is getattr(home, name), name
    assert shim.intermittency_explorer is w.intermittency_explorer
    assert shim.decay_fits is protocols.decay_fits
