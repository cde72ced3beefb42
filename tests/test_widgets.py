"""Explorers of the teaching notebooks: helpers against known answers, every view draws a
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
from netchaos import widgets as w  # noqa: E402

DATA = nc.datasets.iris(seed=0)
MODEL = nc.MLP([4, 10, 3])


def _labelled(fig):
    """Every visible axis has a y label, and an x label unless it shares one (twins)."""
    assert isinstance(fig, Figure)
    for ax in fig.axes:
        if not ax.get_visible() or ax.get_label() == "<colorbar>":
            continue
        assert ax.get_ylabel(), "axis without y label"
        twin = ax.get_xlabel() == "" and any(
            o is not ax and o.get_position().bounds == ax.get_position().bounds
            for o in fig.axes)
        assert ax.get_xlabel() or twin, "axis without x label"


@pytest.fixture(autouse=True)
def _quiet(capsys):
    """Outside a kernel, display() prints the image's repr: keep the test log clean."""
    yield
    capsys.readouterr()


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def test_logistic_and_henon_known_exponents():
    f, J = w.logistic(4.0)
    lam = nc.lyapunov_spectrum(step=f, jacobian=J, x0=0.3, steps=20000, transient=100)
    assert abs(lam.exponents[0] - np.log(2)) < 0.01
    f, J = w.henon()
    res = nc.lyapunov_spectrum(step=f, jacobian=J, x0=[0.1, 0.1], steps=20000, transient=100)
    assert abs(res.exponents[0] - 0.42) < 0.02
    assert abs(res.exponents.sum() - np.log(0.3)) < 1e-6     # |det J| = b everywhere
    with pytest.raises(ValueError, match="r must"):
        w.logistic(4.5)
    with pytest.raises(TypeError, match="r must"):
        w.logistic("4")


def test_time_to_accuracy():
    acc = np.array([[0.1, 0.5, 0.91, 0.95],
                    [0.1, 0.2, 0.3, 0.4],
                    [0.9, np.nan, np.nan, np.nan]])
    np.testing.assert_array_equal(w.time_to_accuracy(acc, 0.9), [2, np.inf, 0])
    np.testing.assert_array_equal(w.time_to_accuracy(acc[0], 0.5), [1])
    with pytest.raises(ValueError, match="target"):
        w.time_to_accuracy(acc, 1.5)
    with pytest.raises(ValueError, match="accuracy"):
        w.time_to_accuracy(np.zeros((2, 2, 2)))


def test_decay_fits_tells_exponential_from_power_law():
    t = np.arange(300.0)
    fits = w.decay_fits(t, 2.0 * np.exp(-0.01 * t))
    assert fits["better"] == "exponential"
    assert fits["exponential"][1] == pytest.approx(-0.01, rel=1e-9)
    fits = w.decay_fits(t, 3.0 * np.maximum(t, 1.0) ** -0.5)
    assert fits["better"] == "power_law"
    assert fits["power"][1] == pytest.approx(-0.5, rel=1e-9)
    with pytest.raises(ValueError, match="distance has"):
        w.decay_fits(t, np.ones(5))


def test_fundamental_period():
    rng = np.random.default_rng(0)
    x = np.tile([1.0, 2.0, 4.0], 200) + 1e-6 * rng.normal(size=600)
    x[300:330] = rng.uniform(0, 5, 30)          # a burst
    p, fr = w.fundamental_period(x)
    assert p == 3
    assert fr.shape == (12,) and fr[2] > 0.9 and fr[0] < 0.1
    with pytest.raises(ValueError, match="tolerance"):
        w.fundamental_period(x, tolerance=1.0)
    with pytest.raises(TypeError, match="max_period"):
        w.fundamental_period(x, max_period=2.5)


def test_linearised_distance_matches_iterating_the_linear_map():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(6, 6))
    H = A @ A.T / 6
    delta = rng.normal(size=(2, 6))
    lr, steps = 0.3, 40
    M = np.eye(6) - lr * H
    want = np.empty((2, steps + 1))
    for k in range(2):
        v = delta[k].copy()
        for t in range(steps + 1):
            want[k, t] = np.linalg.norm(v)
            v = M @ v
    np.testing.assert_allclose(w.linearised_distance(H, lr, delta, steps), want, rtol=1e-9)
    assert w.linearised_distance(H, lr, delta[0], 3).shape == (1, 4)
    with pytest.raises(ValueError, match="hessian must be square"):
        w.linearised_distance(np.ones((2, 3)), lr, delta, 3)
    with pytest.raises(ValueError, match="delta has"):
        w.linearised_distance(H, lr, np.ones(5), 3)


# ---------------------------------------------------------------------------
# views
# ---------------------------------------------------------------------------
def test_view_map():
    curve = (np.linspace(3.0, 4.0, 5), np.array([-0.1, -0.2, 0.1, 0.3, 0.69]))
    v = w.view_map(4.0, curve=curve, steps=3000)
    assert abs(v.data["exponent"] - np.log(2)) < 0.03
    assert "chaotic" in v.summary
    v = w.view_map(3.2, curve=curve, steps=500)
    assert v.data["exponent"] < 0 and "periodic" in v.summary
    _labelled(v.figure)
    assert len(v.figure.axes) == 2


def test_view_training():
    v = w.view_training(MODEL, DATA, lr=0.01, seed=0, steps=50)
    _labelled(v.figure)
    assert v.data["loss"].shape == (51,) and v.data["weight_norm"].shape == (51,)
    assert v.data["fraction_increasing"] == 0.0       # small steps: the loss only decreases
    assert "lr = 0.01" in v.summary
    with pytest.raises(ValueError, match="lr"):
        w.view_training(MODEL, DATA, lr=-1.0)
    with pytest.raises(TypeError, match="model"):
        w.view_training("iris", DATA)
    with pytest.raises(TypeError, match="data"):
        w.view_training(MODEL, [1, 2])


def test_view_eps():
    v = w.view_eps(MODEL, DATA, eps=1e-10, seed=0, steps=100, n_pert=2)
    _labelled(v.figure)
    assert v.data["curves"].shape == (2, 101)
    np.testing.assert_allclose(v.data["curves"][:, 0], 1.0)
    assert v.data["max_log_gap"] < 0.1               # lr = 0.01: nearly independent of eps
    v = w.view_eps(MODEL, DATA, eps=1e-2, steps=20, n_pert=2)   # the reference radius itself
    assert v.data["curves"].shape == (1, 21)
    with pytest.raises(ValueError, match="eps"):
        w.view_eps(MODEL, DATA, eps=0.0)


def test_view_post_training():
    v = w.view_post_training(MODEL, DATA, start=200, eps=1e-8, steps=60, n_pert=2)
    _labelled(v.figure)
    assert v.data["distance"].shape == (61,)
    assert 0.5 < v.data["ratio"] < 2.0
    assert v.data["fits"]["better"] in ("exponential", "power_law")
    with pytest.raises(ValueError, match="start"):
        w.view_post_training(MODEL, DATA, start=-1)


def test_view_ensemble():
    v = w.view_ensemble(MODEL, DATA, eps=1e-8, seed=0, lr=1.0, steps=120, n_init=6, n_pert=3)
    _labelled(v.figure)
    assert v.data["exponents"].shape == (6,)
    assert 0.1 < v.data["lambda_nmle"] < 0.6
    assert "lambda_nMLE" in v.summary
    with pytest.raises(ValueError, match="show"):
        w.view_ensemble(MODEL, DATA, n_init=2, show=2)


def test_view_intermittency():
    v = w.view_intermittency(MODEL, DATA, seed=4, lr=5.0, steps=1200, burn_in=200)
    _labelled(v.figure)
    assert v.data["period"] == 3
    assert v.data["acf"] is not None and v.data["acf"].significant[1:].mean() > 0.2
    v = w.view_intermittency(MODEL, DATA, seed=0, lr=0.05, steps=100, burn_in=10)
    assert v.data["period"] is not None or "nothing to analyse" in v.summary
    with pytest.raises(ValueError, match="burn_in"):
        w.view_intermittency(MODEL, DATA, steps=100, burn_in=100)


@pytest.fixture(scope="module")
def small_sweep():
    data = nc.datasets.digits(seed=0, n_train=200)
    model = nc.MLP([64, 8, 10], activation="tanh")
    return nc.lr_sweep(model, data, [0.5, 4.0], 60, 1e-8, n_init=2, n_pert=2, seed=0,
                       test_metrics=True)


def test_view_sweep(small_sweep):
    v = w.view_sweep(small_sweep, lr=4.0, target=0.5)
    _labelled(v.figure)
    assert v.data["tau"].shape == (2,)
    with pytest.raises(ValueError, match="lr=3"):
        w.view_sweep(small_sweep, lr=3.0)
    with pytest.raises(TypeError, match="sweep"):
        w.view_sweep({"a": 1}, lr=1.0)


def test_view_spectrum():
    v = w.view_spectrum(MODEL, DATA, lr=1.0, seed=0, steps=40, k=3)
    _labelled(v.figure)
    assert v.data["exponents"].shape == (3,)
    v = w.view_spectrum(MODEL, DATA, lr=0.01, seed=0, steps=40, k=3)
    assert np.all(np.abs(v.data["exponents"]) < 0.05)     # lr = 0.01: near-neutral
    with pytest.raises(ValueError, match="k must"):
        w.view_spectrum(MODEL, DATA, k=0)


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
        return w.View(fig, f"a={a} b={b}", {})

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


def test_explorer_reports_view_errors_and_keeps_the_figure():
    def view(x):
        if x > 5:
            raise ValueError("x too large")
        fig = Figure()
        fig.add_subplot()
        return w.View(fig, f"x={x}", {})

    ex = w.Explorer({"x": ipywidgets.IntSlider(value=1, max=10)}, view)
    fig = ex.figure
    ex.controls["x"].value = 8
    assert ex.error == "ValueError: x too large"
    assert "x too large" in ex.summary.value
    assert ex.figure is fig and ex.n_updates == 1


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


def test_importing_netchaos_does_not_import_widgets_or_plots():
    code = ("import sys, netchaos; "
            "print(any(m in sys.modules for m in "
            "('netchaos.widgets', 'netchaos.plots', 'ipywidgets', 'matplotlib')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
