"""Where figures are drawn: every plot function draws into a given ``ax`` (single panel) or an
empty ``fig`` (several panels) and returns that figure; result objects are recognised by their
class, and anything else as the first argument is a TypeError that names it."""

import dataclasses
import inspect
import types

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import netchaos as nc  # noqa: E402
from netchaos.app import plots  # noqa: E402

T = 12
t = np.arange(T)
d = 1e-8 * np.exp(0.3 * t) * np.array([[1.0], [2.0]])      # (2, T) distances
loss = np.linspace(1.0, 0.1, T)
lam = np.array([0.1, 0.2, 0.3, np.nan, -0.1])
fit = (np.log(1e-8), 0.3, (0, 10))


def _make(cls, **given):
    """An instance of the result dataclass ``cls`` with ``given`` fields, None elsewhere."""
    return cls(**{f.name: given.get(f.name) for f in dataclasses.fields(cls)})


ACF = _make(nc.ACFResult, lags=np.arange(4), acf=np.array([1.0, 0.5, 0.2, 0.0]),
            lower=-0.3 * np.ones(4), upper=0.3 * np.ones(4))
LAMINAR = _make(nc.LaminarResult, period=2, mask=np.arange(T) < 6)

# name -> (ax or fig, positional arguments, keyword arguments): small data for every function
CASES = {
    "plot_distances": ("ax", (t, d, loss), {"fit": fit}),
    "plot_distance_panels": ("fig", (t, np.stack([d, d, d]), np.tile(loss, (3, 1))), {}),
    "plot_eps_curves": ("fig", (t, d, [1e-8, 1e-4]), {"loss": loss}),
    "plot_decay_fits": ("fig", (t, d[0]), {"exp_fit": (-18.0, 0.3)}),
    "plot_lr_detail": ("fig", (t, d, np.linspace(0.2, 1, T) * np.ones((2, 1))), {}),
    "plot_exponent_histogram": ("ax", (lam, lam > 0), {"mle": 0.2}),
    "plot_mle_sweep": ("fig", ([1e-8, 1e-6, 1e-4], [0.3, 0.3, 0.2]), {"kept_fraction": [1, 1, 0]}),
    "plot_ensemble_overview": ("fig", (t, d, lam, loss), {"fit": fit}),
    "plot_onset": ("fig", ([0.5, 1, 2], [0.0, 0.2, 0.5], [0.1, 0.5, 1.0], [300, 100, 80]), {}),
    "plot_laminar": ("ax", (t, np.sin(t), np.arange(T) < 6), {"period": 2}),
    "plot_acf": ("ax", (ACF,), {}),
    "plot_kantz": ("ax", (t, -5 + 0.4 * t), {"window": (1, 6), "slope": 0.4,
                                             "intercept": -5.0}),
    "plot_significance": ("fig", (lam, [0.01, 0.5, 0.02, np.nan, 1.0]), {}),
    "plot_intermittency": ("fig", (t, np.sin(t), LAMINAR, ACF), {}),
    "plot_period_fractions": ("ax", (np.array([[0.1, 0.9], [0.5, 0.2]]),), {}),
    "plot_loss_curves": ("fig", (t, np.stack([loss, loss ** 2]), ["a", "b"]),
                         {"weight_norms": np.ones((2, T))}),
    "plot_loss_and_norm": ("fig", (t, np.stack([loss, loss]), np.ones((2, T))), {}),
    "plot_displacement_vs_path": ("ax", ([0.01, 0.1, 1.0], [0.03, 0.3, 3.0]), {}),
    "plot_weight_heatmaps": ("fig", ([np.ones((2, 3)), -np.ones((3, 2))],), {}),
    "plot_spectrum": ("fig", ([0.5, -0.1, -1.0],), {"running": np.ones((4, 3))}),
    "plot_ftle_vs_loss": ("ax", ([-0.1, 0.2, 0.4], [0.01, 0.5, np.inf]), {"high_loss":
                                                                         [False, True, True]}),
    "plot_agreement": ("ax", ([0.1, 0.2, 0.3], [0.1, 0.25, 0.3]), {}),
    "plot_map_exponent": ("fig", ([3.0, 3.5, 4.0], [-0.1, -0.2, 0.7]),
                          {"orbit": [0.2, 0.6, 0.9], "param": 4.0, "exponent": 0.7}),
    "plot_tangent_eigenvalues": ("ax", ([10.0, 1.0, 0.0], [0.01, 0.5]), {}),
    "plot_sharpness": ("ax", ([0, 5, 10], [1.0, 1.8, 2.1], 2.0), {"loss": [1.0, 0.6, 0.5]}),
    "plot_clv": ("fig", (np.arange(4), [0.5, 1.0, 0.2, 0.8], np.zeros((3, 2))), {}),
    "plot_linearised_decay": ("ax", (t, d, 1.1 * d), {}),
    "plot_bifurcation": ("fig", (nc.bifurcation_diagram(nc.systems.logistic, lr_values=[3.2, 3.9],
                                                        x0=0.3, steps=20, transient=50),), {}),
    "plot_intermittency_scaling": ("ax", ({"distance": np.array([1e-3, 1e-2]),
                                           "mean_length": np.array([30.0, 10.0]), "slope": -0.48,
                                           "intercept": 0.1, "expected": -0.5},), {}),
    "plot_trainability": ("ax", (nc.trainability_map(nc.MLP([2, 1], loss="mse"),
                                                     (np.eye(2), np.ones((2, 1))), [0.1, 9.0],
                                                     [1.0, 2.0], second="scale", steps=5),), {}),
}

AX = sorted(n for n, c in CASES.items() if c[0] == "ax")
FIG = sorted(n for n, c in CASES.items() if c[0] == "fig")


def _call(name, **where):
    _, args, kwargs = CASES[name]
    return getattr(plots, name)(*args, **kwargs, **where)


def _n_artists(ax):
    return len(ax.lines) + len(ax.collections) + len(ax.patches) + len(ax.images)


def test_every_public_function_has_a_case():
    public = {n for n in plots.__all__ if n.startswith("plot_")}
    assert len(public) == 30
    assert set(CASES) == public


@pytest.mark.parametrize("name", sorted(CASES))
def test_signature_where_keyword(name):
    params = inspect.signature(getattr(plots, name)).parameters
    where = CASES[name][0]
    other = "fig" if where == "ax" else "ax"
    assert params[where].kind is inspect.Parameter.KEYWORD_ONLY
    assert params[where].default is None
    assert other not in params


@pytest.mark.parametrize("name", AX)
def test_draws_into_the_given_axes(name):
    fig = Figure()
    left, right = fig.subplots(1, 2)
    out = _call(name, ax=right)
    assert out is fig
    assert _n_artists(right) > 0
    assert _n_artists(left) == 0 and not left.get_ylabel()
    assert right.get_ylabel()
    # anything added (a loss twin, a colour bar) belongs to the same figure
    assert fig.axes[:2] == [left, right]


@pytest.mark.parametrize("name", AX)
def test_axes_in_a_subfigure(name):
    sub = Figure().subfigures(1, 2)[1]
    ax = sub.subplots()
    out = _call(name, ax=ax)
    assert out is ax.figure is sub
    assert _n_artists(ax) > 0


@pytest.mark.parametrize("name", FIG)
def test_adds_panels_to_the_given_figure(name):
    default = _call(name)
    fig = Figure(figsize=(3, 2))
    out = _call(name, fig=fig)
    assert out is fig
    assert len(fig.axes) == len(default.axes)        # the same panels as without fig
    assert tuple(fig.get_size_inches()) == (3, 2)    # the user's figure keeps its size
    drawn = [ax for ax in fig.axes if ax.get_visible() and _n_artists(ax)]
    assert drawn, "no panel received artists"


@pytest.mark.parametrize("name", ["plot_spectrum", "plot_intermittency", "plot_weight_heatmaps"])
def test_panels_in_a_subfigure(name):
    root = Figure()
    left, right = root.subfigures(1, 2)
    out = _call(name, fig=right)
    assert out is right
    assert right.axes and not left.axes
    assert all(ax in root.axes for ax in right.axes)


def test_default_figure_size_without_ax_or_fig():
    assert tuple(_call("plot_acf").get_size_inches()) == (4.6, 3.0)
    assert tuple(_call("plot_ensemble_overview").get_size_inches()) == (9.0, 3.2)
    assert _call("plot_distances").get_layout_engine() is not None


def test_twin_axis_stays_beside_the_given_axes():
    fig = Figure()
    left, right = fig.subplots(1, 2)
    plots.plot_distances(t, d, loss, ax=left)
    plots.plot_sharpness([0, 1, 2], [1.0, 2.0, 3.0], 2.0, loss=[3, 2, 1], ax=right)
    assert len(fig.axes) == 4
    twins = fig.axes[2:]
    assert [tw.get_ylabel() for tw in twins] == ["training loss $L$"] * 2
    assert twins[0].get_position().bounds == left.get_position().bounds
    assert twins[1].get_position().bounds == right.get_position().bounds


def test_fig_must_be_empty():
    fig = Figure()
    fig.subplots()
    with pytest.raises(ValueError, match="fig must be empty"):
        _call("plot_onset", fig=fig)


@pytest.mark.parametrize("name", AX)
def test_wrong_ax_type(name):
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        _call(name, ax=Figure())


@pytest.mark.parametrize("name", FIG)
def test_wrong_fig_type(name):
    with pytest.raises(TypeError, match="fig must be a matplotlib Figure"):
        _call(name, fig=Figure().subplots())


# ---------------------------------------------------------------------------
# the first argument
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(CASES))
def test_wrong_first_argument_names_it(name):
    first = next(iter(inspect.signature(getattr(plots, name)).parameters))
    _, args, kwargs = CASES[name]
    with pytest.raises(TypeError, match=rf"^{first} must be"):
        getattr(plots, name)(object(), *args[1:], **kwargs)


# function -> (its first argument's name, the result class it accepts)
RESULTS = {
    "plot_exponent_histogram": ("exponents", "NetworkMLE"),
    "plot_ensemble_overview": ("exponents", "NetworkMLE"),
    "plot_mle_sweep": ("values", "SweepResult"),
    "plot_sharpness": ("t", "SharpnessSeries"),
    "plot_laminar": ("mask", "LaminarResult"),
    "plot_intermittency": ("laminar", "LaminarResult"),
    "plot_acf": ("lags", "ACFResult"),
    "plot_kantz": ("t", "KantzResult or RosensteinResult"),
    "plot_spectrum": ("exponents", "SpectrumResult"),
    "plot_ftle_vs_loss": ("ftle", "FTLELossResult"),
    "plot_clv": ("times", "CLVResult"),
}


def _with(name, arg, value):
    """The arguments of ``name``'s case with ``arg`` (positional or keyword) set to ``value``."""
    _, args, kwargs = CASES[name]
    params = list(inspect.signature(getattr(plots, name)).parameters)
    args = list(args)
    i = params.index(arg)
    if i < len(args):
        args[i] = value
    else:
        kwargs = {**kwargs, arg: value}
    return args, kwargs


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_another_result_type_is_refused(name):
    arg, accepted = RESULTS[name]
    wrong = LAMINAR if "ACFResult" in accepted or "Kantz" in accepted else ACF
    args, kwargs = _with(name, arg, wrong)
    with pytest.raises(TypeError, match=rf"{arg} must be array_like or {accepted}, "
                                        rf"got {type(wrong).__name__}"):
        getattr(plots, name)(*args, **kwargs)


def test_attributes_alone_do_not_make_a_result():
    fake = types.SimpleNamespace(lags=np.arange(4), acf=np.ones(4), lower=None, upper=None)
    with pytest.raises(TypeError, match="lags must be array_like or ACFResult, got Simple"):
        plots.plot_acf(fake)
    fake = types.SimpleNamespace(mask=np.ones(T, bool), period=2)
    with pytest.raises(TypeError, match="mask"):
        plots.plot_laminar(t, np.sin(t), fake)


def test_intermittency_acf_must_be_an_acf_result():
    with pytest.raises(TypeError, match="acf must be an ACFResult, got LaminarResult"):
        plots.plot_intermittency(t, np.sin(t), LAMINAR, LAMINAR)


def test_result_objects_are_unpacked():
    lam_res = plots.plot_laminar(t, np.sin(t), LAMINAR).axes[0]
    assert "period 2" in lam_res.get_legend().get_texts()[0].get_text()
    sweep = _make(nc.SweepResult, values=np.array([1e-8, 1e-6, 1e-4]),
                  mle=np.array([0.3, 0.3, 0.2]), kept_fraction=np.array([1.0, 1.0, 0.5]))
    assert len(plots.plot_mle_sweep(sweep).axes) == 2             # kept fraction from the result
    ss = _make(nc.SharpnessSeries, t=np.arange(3), sharpness=np.array([1.0, 2.0, 3.0]),
               threshold=2.0, loss=np.array([1.0, 0.5, 0.2]))
    ax, twin = plots.plot_sharpness(ss).axes
    assert ax.lines[1].get_ydata()[0] == 2.0 and len(twin.lines) == 1
    ftle = _make(nc.FTLELossResult, ftle=np.array([0.1, 0.5]), final_loss=np.array([0.1, 2.0]),
                 high_loss=np.array([False, True]), ftle_threshold=0.3)
    ax = plots.plot_ftle_vs_loss(ftle).axes[0]
    assert [len(c.get_offsets()) for c in ax.collections] == [1, 1] and len(ax.lines) == 1
    ros = _make(nc.RosensteinResult, t=np.arange(5), divergence=np.arange(5.0),
                exponent=1.0, window=(0, 4), intercept=0.0)
    ax = plots.plot_kantz(ros).axes[0]
    assert len(ax.lines) == 2 and list(ax.lines[0].get_ydata()) == [0, 1, 2, 3, 4]
    mle = _make(nc.NetworkMLE, exponents=lam, kept=lam > 0.15, exponent=0.25)
    fig = plots.plot_ensemble_overview(t, d, mle)
    assert fig.axes[1].lines[0].get_xdata()[0] == 0.25            # the MLE line
