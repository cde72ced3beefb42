"""Figure functions: a Figure comes back, axes are labelled, the right artists are drawn,
and NaN-containing (diverged) inputs do not raise."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from netchaos.app import plots  # noqa: E402

rng = np.random.default_rng(0)
T = 60
t = np.arange(T)


def _labelled(fig):
    """Every visible axis has an x and a y label (twin axes: at least a y label; a panel
    whose x axis is shared with a labelled panel below it has no x label of its own)."""
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        assert ax.get_ylabel(), f"axis without y label in {fig}"
        shared_twin = ax.get_xlabel() == "" and any(
            o is not ax and o.get_position().bounds == ax.get_position().bounds
            for o in fig.axes)
        below = [o for o in fig.axes if o is not ax and ax.get_shared_x_axes().joined(ax, o)
                 and o.get_position().y1 <= ax.get_position().y0 + 1e-9]
        if ax.get_xlabel() == "" and below:
            assert any(o.get_xlabel() for o in below), "shared x axis without a label below"
            assert not any(lab.get_visible() and lab.get_text()
                           for lab in ax.get_xticklabels()), "tick labels repeated above"
            continue
        assert ax.get_xlabel() or shared_twin, "axis without x label"


def test_stacked_panels_with_a_shared_x_axis_label_it_once():
    fig = plots.plot_eps_curves(None, np.exp(0.01 * np.arange(50))[None] * [[1.0], [1.01]],
                                [1e-8, 1e-2], loss=np.linspace(1, 0.5, 50), reference=1)
    fig.canvas.draw()
    assert [ax.get_xlabel() for ax in fig.axes] == ["", "", "step $t$"]
    assert len(fig.axes[1].lines) == 2              # the difference and its zero line
    _labelled(fig)


def test_log_axes_label_few_decades_with_plain_numbers_and_counts_are_whole():
    fig = plots.plot_distances(None, np.linspace(0.5, 5.0, 40))
    fig.canvas.draw()
    ax = fig.axes[0]
    labels = [lab.get_text() for lab in ax.get_yticklabels(minor=True) + ax.get_yticklabels()
              if lab.get_text()]
    assert labels and not any("times" in lab for lab in labels), labels
    assert {"2", "3", "0.6"} <= set(labels), labels
    fig = plots.plot_exponent_histogram([0.1, 0.2, 0.2, 0.3])
    fig.canvas.draw()
    ticks = fig.axes[0].get_yticks()
    assert np.all(ticks == np.round(ticks)), ticks


def test_figures_fit_a_notebook_column():
    fig = plots.plot_distance_panels(None, np.ones((6, 2, 20)), ncols=3)
    assert fig.get_size_inches()[0] <= plots._style.MAX_WIDTH
    fig = plots.plot_loss_and_norm(None, np.ones((3, 20)), np.ones((3, 20)))
    assert fig.get_size_inches()[0] <= plots._style.MAX_WIDTH


def _draw(fig, tmp_path, name="f.png"):
    fig.savefig(tmp_path / name)   # rendering must not raise either
    assert (tmp_path / name).stat().st_size > 0


def _distances(n_pert=5, nan_from=None):
    d = 1e-8 * np.exp(0.3 * np.minimum(t, 40))[None, :] * rng.uniform(0.5, 2, (n_pert, 1))
    if nan_from is not None:
        d[0, nan_from:] = np.nan
    return d


def test_plot_distances_lines(tmp_path):
    loss = np.linspace(1, 0.1, T)
    fig = plots.plot_distances(t, _distances(5), loss, fit=(np.log(1e-8), 0.3, (0, 40)))
    assert isinstance(fig, Figure)
    main, twin = fig.axes
    assert len(main.lines) == 5 + 1 + 1          # perturbations, mean, fit
    assert len(twin.lines) == 1                  # loss
    assert main.get_yscale() == "log"
    assert twin.get_ylabel() == "training loss $L$"
    _labelled(fig)
    _draw(fig, tmp_path)


def test_plot_distances_single_and_nan(tmp_path):
    fig = plots.plot_distances(None, _distances(1)[0])
    assert len(fig.axes[0].lines) == 1           # one series, no mean
    fig = plots.plot_distances(t, _distances(3, nan_from=20), np.full(T, np.nan))
    _labelled(fig)
    _draw(fig, tmp_path)
    fig = plots.plot_distances(t, np.full((2, T), np.nan))     # all diverged
    assert fig.axes[0].get_yscale() == "linear"
    _draw(fig, tmp_path, "g.png")


def test_plot_distances_bad_shape():
    with pytest.raises(ValueError):
        plots.plot_distances(np.arange(5), _distances(2))


def test_plot_distance_panels(tmp_path):
    D = np.stack([_distances(4) for _ in range(3)])
    D[2, 1, 30:] = np.nan
    L = np.tile(np.linspace(1, 0.1, T), (3, 1))
    fits = [(np.log(1e-8), 0.3, (0, 40)), None, (np.nan, np.nan, (-1, -1))]
    fig = plots.plot_distance_panels(t, D, L, ncols=2, fits=fits, titles=["a", "b", "c"])
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 3 + 3                 # 3 panels + 3 loss twins (4th cell hidden)
    panels = [ax for ax in visible if ax.get_xlabel()]
    assert len(panels) == 3
    assert len(panels[0].lines) == 4 + 1 + 1
    assert len(panels[1].lines) == 4 + 1
    _labelled(fig)
    _draw(fig, tmp_path)


def test_plot_eps_curves(tmp_path):
    eps = [1e-2, 1e-8, 1e-14]
    C = np.stack([_distances(4) * e for e in eps])           # (n_eps, n_pert, T)
    fig = plots.plot_eps_curves(t, C, eps, loss=np.linspace(1, 0.5, T))
    ax, lax = fig.axes
    assert len(ax.lines) == 3 and len(lax.lines) == 1
    assert ax.get_ylabel() == "$d(t)/d(0)$"
    _labelled(fig)
    C[1, :, 10:] = np.nan
    _draw(plots.plot_eps_curves(None, C, eps), tmp_path)
    with pytest.raises(ValueError):
        plots.plot_eps_curves(t, C, eps[:2])


def test_plot_decay_fits(tmp_path):
    d = 1e-7 * (1 + np.arange(T)) ** -0.1
    fig = plots.plot_decay_fits(t, d, exp_fit=(np.log(1e-7), -1e-3), power_fit=(np.log(1e-7), -0.1))
    assert len(fig.axes) == 2
    # d changes by 40 % (less than a decade): no logarithmic distance axis, titles say so
    assert [ax.get_title() for ax in fig.axes] == ["linear", "log t"]
    assert [ax.get_yscale() for ax in fig.axes] == ["linear", "linear"]
    narrow = plots.plot_decay_fits(t, 1 - 0.02 * t / t.max())
    assert narrow.axes[1].get_title() == "log t: d(t) varies by only 2.0 %"
    wide = plots.plot_decay_fits(t, np.exp(-0.5 * t))
    assert [ax.get_title() for ax in wide.axes] == ["semi-log", "log-log"]
    for ax in fig.axes:
        assert len(ax.lines) == 3
    _labelled(fig)
    d[5:] = np.nan
    _draw(plots.plot_decay_fits(t, d), tmp_path)


def test_plot_exponent_histogram(tmp_path):
    lam = rng.normal(0.33, 0.1, 200)
    lam[:5] = np.nan
    kept = lam > 0.2
    fig = plots.plot_exponent_histogram(lam, kept, mle=0.35)
    ax = fig.axes[0]
    assert len(ax.lines) == 1                      # the MLE line
    assert len(ax.containers) == 2                 # kept and discarded histograms
    _labelled(fig)
    _draw(fig, tmp_path)
    fig = plots.plot_exponent_histogram(np.full(10, np.nan))
    _draw(fig, tmp_path, "g.png")


def test_plot_exponent_histogram_from_network_mle():
    from netchaos import network_mle

    m = network_mle(rng.normal(0.3, 0.1, 50), n_boot=0)
    fig = plots.plot_exponent_histogram(m)
    assert len(fig.axes[0].lines) == 1


def test_plot_mle_sweep(tmp_path):
    eps = np.logspace(-14, -2, 7)
    mle = np.array([0.35, 0.35, 0.34, 0.33, 0.3, np.nan, 0.15])
    ci = np.c_[mle - 0.02, mle + 0.02]
    fig = plots.plot_mle_sweep(eps, mle, np.full(7, 0.1), ci=ci, kept_fraction=np.linspace(1, 0, 7),
                               reference=0.33)
    ax, kax = fig.axes
    assert ax.get_xscale() == "log"
    assert len(ax.lines) >= 2                      # errorbar line + reference
    assert len(kax.lines) == 1
    _labelled(fig)
    _draw(fig, tmp_path)


def test_plot_sharpness(tmp_path):
    steps = np.arange(0, 100, 5)
    s = 2 + 0.3 * np.sin(steps)
    s[-3:] = np.nan
    fig = plots.plot_sharpness(steps, s, 2.0, loss=np.linspace(1, 0.1, steps.size))
    ax, tw = fig.axes
    assert len(ax.lines) == 2 and len(tw.lines) == 1
    _labelled(fig)
    _draw(fig, tmp_path)
    with pytest.raises(TypeError):
        plots.plot_sharpness(steps, s)


def test_plot_loss_and_norm(tmp_path):
    L = rng.random((3, T))
    W = 10 + rng.random((3, T))
    L[1, 30:] = np.nan
    fig = plots.plot_loss_and_norm(t, L, W)
    assert len(fig.axes) == 6
    assert all(len(ax.lines) == 1 for ax in fig.axes)
    _labelled(fig)
    _draw(fig, tmp_path)


def test_plot_laminar(tmp_path):
    x = np.tile([1.0, 2.0, 3.0], T // 3)
    mask = np.zeros(T, bool)
    mask[5:20] = mask[40:55] = True
    fig = plots.plot_laminar(t, x, mask, period=3)
    ax = fig.axes[0]
    assert len(ax.lines) == 1
    assert len(ax.patches) == 2                    # two shaded phases
    _labelled(fig)
    _draw(fig, tmp_path)


def test_plot_acf_from_result(tmp_path):
    from netchaos.timeseries import acf

    x = np.sin(2 * np.pi * np.arange(300) / 3) + 0.3 * rng.normal(size=300)
    res = acf(x, nlags=20, n_surrogates=50, seed=0)
    fig = plots.plot_acf(res)
    ax = fig.axes[0]
    assert len(ax.lines) == 2                      # markers and the zero line
    assert len(ax.collections) == 2                # band and stems
    _labelled(fig)
    _draw(fig, tmp_path)
    with pytest.raises(ValueError):
        plots.plot_acf(np.arange(3), np.arange(4))


def test_plot_kantz(tmp_path):
    steps = np.arange(21)
    curve = -9 + 0.5 * np.minimum(steps, 8)
    fig = plots.plot_kantz(steps, curve, window=(1, 7), slope=0.5, intercept=-9,
                           curves=np.vstack([curve - 0.2, curve + 0.2]))
    assert len(fig.axes[0].lines) == 2 + 1 + 1
    _labelled(fig)
    _draw(fig, tmp_path)
    fig = plots.plot_kantz(steps, np.full(21, np.nan), window=(1, 7), slope=np.nan,
                           intercept=np.nan)
    assert len(fig.axes[0].lines) == 1
    _draw(fig, tmp_path, "g.png")


def test_plot_kantz_from_result():
    from netchaos.timeseries import kantz

    x = np.empty(1500)
    x[0] = 0.3
    for i in range(1, x.size):
        x[i] = 4 * x[i - 1] * (1 - x[i - 1])
    res = kantz(x, n_surrogates=0)
    fig = plots.plot_kantz(res)
    assert len(fig.axes[0].lines) == res.stretching.shape[0] * res.stretching.shape[1] + 2
    # one colour per radius, and a reference slope through the curve at the window start
    ax = plots.plot_kantz(res, by_eps=True, reference=0.1, reference_label="tangent").axes[0]
    n_dim, n_eps, _ = res.stretching.shape
    assert len(ax.lines) == n_dim * n_eps + 3
    colours = {matplotlib.colors.to_hex(line.get_color()) for line in ax.lines[:n_dim * n_eps]}
    assert len(colours) == n_eps
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:n_eps] == [f"$\\epsilon$ = {e:.2g}" for e in res.eps] and "tangent" in labels
    ref = ax.lines[-1]
    a = res.window[0]
    xr, yr = ref.get_xdata(), ref.get_ydata()
    assert xr[0] == res.t[a] and yr[0] == res.mean_curve[a]
    np.testing.assert_allclose(np.diff(yr) / np.diff(xr), 0.1)


def test_plot_significance(tmp_path):
    lam = np.array([0.3, 0.1, np.nan, 0.5, -0.01])
    p = np.array([0.01, 0.5, np.nan, 0.02, 1.0])
    fig = plots.plot_significance(lam, p)
    h, sc = fig.axes
    assert len(sc.collections) == 2                # significant and not
    _labelled(fig)
    _draw(fig, tmp_path)
    _draw(plots.plot_significance(np.full(3, np.nan), np.full(3, np.nan)), tmp_path, "g.png")


def test_plot_onset(tmp_path):
    lr = np.array([0.1, 0.5, 1, 2, 4, 8])
    mle = np.array([np.nan, np.nan, 0.1, 0.4, 0.7, 0.8])
    rho = np.array([0.2, 0.5, 1, 1, 1, 1])
    tau = np.array([np.inf, 300, 120, 60, 100, np.nan])
    fig = plots.plot_onset(lr, mle, rho, tau, mle_std=np.full(6, 0.1), rho_chaotic=rho * 0.5,
                           mean_exponent=np.linspace(0, 0.8, 6))
    top, bot, tw = fig.axes
    assert len(top.lines) >= 3                     # errorbar line, mean exponent, zero line
    assert len(bot.lines) == 2 and len(tw.lines) == 1
    assert bot.get_xscale() == "log"
    assert "per step" in top.get_ylabel()
    _labelled(fig)
    _draw(fig, tmp_path)
    fig = plots.plot_onset(lr, mle, rho, tau, tau_flow=lr * tau)
    top, bot, flow, tw = fig.axes
    assert [line.get_label() for line in flow.lines] == [
        "$\\tau$ (steps, median)", "$\\eta\\tau$ (gradient-flow time, median)"]
    assert flow.get_yscale() == "linear" and tw.get_yscale() == "linear"   # 60-400: < 1 decade
    np.testing.assert_array_equal(flow.lines[1].get_ydata(), [np.nan, 150, 120, 120, 400, np.nan])
    _labelled(fig)
    with pytest.raises(ValueError, match="tau_flow"):
        plots.plot_onset(lr, mle, rho, tau, tau_flow=[1.0, 2.0])


def test_plot_spectrum(tmp_path):
    lam = np.sort(rng.normal(size=20))[::-1]
    running = np.cumsum(rng.normal(size=(30, 20)), axis=0) / np.arange(1, 31)[:, None]
    fig = plots.plot_spectrum(lam, running=running, times=np.arange(1, 31), n_show=4)
    ax, rax = fig.axes
    assert len(ax.lines) == 2                      # spectrum + zero line
    assert len(rax.lines) == 4 + 1
    _labelled(fig)
    _draw(fig, tmp_path)
    _draw(plots.plot_spectrum(np.full(5, np.nan)), tmp_path, "g.png")


def test_plot_spectrum_from_result():
    import netchaos as nc

    A = np.diag([2.0, 0.5])
    res = nc.lyapunov_spectrum(step=lambda x: A @ x, jacobian=lambda x: A, x0=[1.0, 1.0],
                               steps=20, seed=0)
    fig = plots.plot_spectrum(res)
    assert len(fig.axes) == 2
    ax = fig.axes[0]
    # both exponents resolved; symmetric-log axis with the linear band ln(2) / (2 * 20)
    assert ax.get_yscale() == "symlog"
    assert ax.yaxis.get_transform().linthresh == pytest.approx(np.log(2) / 40)
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["resolved: 1 positive, 1 negative", "not resolved from 0: 0"]
    assert "per step" in ax.get_ylabel() and "per step" in fig.axes[1].get_ylabel()
    with pytest.raises(ValueError, match="resolved"):
        plots.plot_spectrum([0.1, 0.2], resolved=[True])


def test_plot_ftle_vs_loss(tmp_path):
    f = rng.normal(size=20)
    L = np.exp(rng.normal(size=20))
    L[3] = np.inf                                  # a diverged run
    f[4] = np.nan
    fig = plots.plot_ftle_vs_loss(f, L, high_loss=L > 1, ftle_threshold=0.0, loss_threshold=1.0)
    ax = fig.axes[0]
    assert len(ax.collections) == 2
    _labelled(fig)
    _draw(fig, tmp_path)


def test_plot_agreement(tmp_path):
    a = rng.normal(0.3, 0.1, 30)
    b = a + rng.normal(0, 0.02, 30)
    b[0] = np.nan
    fig = plots.plot_agreement(a, b, xlabel="ensemble", ylabel="tangent")
    ax = fig.axes[0]
    assert len(ax.collections) == 1 and len(ax.lines) == 1
    assert ax.get_xlabel() == "ensemble"
    _draw(fig, tmp_path)
    _draw(plots.plot_agreement([np.nan], [np.nan]), tmp_path, "g.png")


def test_old_address_reexports_the_package():
    import netchaos.plots as shim
    from netchaos import plots as old
    from netchaos.plots import plot_acf

    assert old is shim and plot_acf is plots.plot_acf
    assert shim.__all__ == plots.__all__ and len(shim.__all__) == 31
    assert all(getattr(shim, name) is getattr(plots, name) for name in plots.__all__)
    names = {}
    exec("from netchaos.plots import *", names)
    assert set(plots.__all__) <= set(names)
    fig = old.plot_distances(t, _distances(2))        # called as before
    assert len(fig.axes[0].lines) == 2 + 1


def test_plot_modules_import_neither_widgets_nor_pyplot():
    import ast
    import pathlib

    files = sorted(pathlib.Path(plots.__file__).parent.glob("*.py"))
    assert len(files) >= 6
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [a.name for a in node.names]
            else:
                continue
            assert not [n for n in names if "widgets" in n or "pyplot" in n], (path.name, names)


def test_no_pyplot_state():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    plots.plot_distances(t, _distances(2))
    assert plt.get_fignums() == before


# ---------------------------------------------------------------------------
# figures of the teaching notebooks
# ---------------------------------------------------------------------------
import netchaos as nc  # noqa: E402


def _main_axes(fig):
    """Axes other than colour bars."""
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]


def test_plot_loss_curves(tmp_path):
    L = np.stack([np.linspace(1, 0.01, T), np.linspace(1, 0.5, T), np.full(T, np.nan)])
    fig = plots.plot_loss_curves(t, L, ["a", "b", "c"])
    (ax,) = fig.axes
    assert len(ax.lines) == 3 and ax.get_yscale() == "log"
    assert [x.get_text() for x in ax.get_legend().get_texts()] == ["a", "b", "c"]
    _labelled(fig)
    _draw(fig, tmp_path)
    fig = plots.plot_loss_curves(None, L[0], weight_norms=np.linspace(1, 2, T), logy=False)
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel().startswith("weight norm")
    _labelled(fig)
    with pytest.raises(ValueError, match="labels"):
        plots.plot_loss_curves(t, L, ["a"])
    with pytest.raises(ValueError, match="weight_norms"):
        plots.plot_loss_curves(t, L, weight_norms=np.ones(T))


def test_plot_map_exponent(tmp_path):
    r = np.linspace(3, 4, 11)
    fig = plots.plot_map_exponent(r, np.sin(r), orbit=rng.uniform(size=50), param=3.5,
                                  exponent=0.2)
    assert len(fig.axes) == 2
    assert len(fig.axes[0].lines) == 3             # curve, zero line and the marker
    _labelled(fig)
    _draw(fig, tmp_path)
    assert len(plots.plot_map_exponent(r, np.sin(r)).axes) == 1
    with pytest.raises(ValueError, match="exponents has"):
        plots.plot_map_exponent(r, np.ones(3))


def test_plot_tangent_eigenvalues(tmp_path):
    h = np.array([10.0, 1.0, 0.1, 0.0, -0.01])
    fig = plots.plot_tangent_eigenvalues(h, [0.01, 1.0, 5.0])
    (ax,) = fig.axes
    assert len(ax.lines) == 3 + 2                  # three learning rates, lr h = 2 and 0
    top = ax.lines[2].get_ydata()                  # lr = 5: lr h = 50 first, the sign kept
    assert top[0] == pytest.approx(50.0) and top[-1] == pytest.approx(-0.05)
    assert np.all(np.diff(top) <= 0) and ax.get_yscale() == "symlog"
    texts = [x.get_text() for x in ax.get_legend().get_texts()]
    assert texts[0].endswith("0 above 2, 1 below 0")   # lr = 0.01: the negative eigenvalue
    assert texts[2].endswith("2 above 2, 1 below 0")   # lr = 5: h = 10 and 1 (5 h > 2)
    with pytest.raises(ValueError, match="linthresh"):
        plots.plot_tangent_eigenvalues(h, 1.0, linthresh=0.0)
    _labelled(fig)
    _draw(fig, tmp_path)
    fig = plots.plot_tangent_eigenvalues(np.stack([h, 2 * h]), 1.0, labels=["x", "y"])
    assert len(fig.axes[0].lines) == 2 + 2
    with pytest.raises(ValueError, match="lr"):
        plots.plot_tangent_eigenvalues(h, -1.0)
    with pytest.raises(ValueError, match="rows but lr"):
        plots.plot_tangent_eigenvalues(np.stack([h, h]), [1.0, 2.0, 3.0])


def test_plot_displacement_vs_path(tmp_path):
    d = rng.uniform(0.01, 1, 40)
    D = d * rng.uniform(1, 3, 40)
    d[0] = 0.0                                     # a weight that did not move: left out
    fig = plots.plot_displacement_vs_path(d, D)
    (ax,) = fig.axes
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert len(ax.collections[0].get_offsets()) == 39
    assert len(ax.lines) == 1                      # the straight-path line
    _labelled(fig)
    _draw(fig, tmp_path)
    fig = plots.plot_displacement_vs_path(d, D, relative=True)
    assert len(fig.axes[0].lines) == 0 and "relative" in fig.axes[0].get_xlabel()
    _draw(plots.plot_displacement_vs_path(np.full(3, np.nan), np.ones(3)), tmp_path, "g.png")
    with pytest.raises(ValueError, match="path_length has"):
        plots.plot_displacement_vs_path(d, D[:3])


def test_plot_weight_heatmaps(tmp_path):
    mats = [rng.normal(size=(4, 10)), rng.normal(size=(10, 3))]
    fig = plots.plot_weight_heatmaps(mats, titles=["$W_1$", "$W_2$"])
    main = _main_axes(fig)
    assert len(main) == 2 and len(fig.axes) == 3    # two maps and one colour bar
    assert main[0].images[0].get_array().shape == (4, 10)
    lo, hi = main[0].images[0].get_clim()
    assert lo == -hi                                # diverging scale centred at 0
    for ax in main:
        assert ax.get_xlabel() and ax.get_ylabel()
    _draw(fig, tmp_path)
    assert len(_main_axes(plots.plot_weight_heatmaps(mats[0]))) == 1
    _draw(plots.plot_weight_heatmaps([np.full((2, 2), np.nan)]), tmp_path, "g.png")
    with pytest.raises(ValueError, match=r"matrices\[1\]"):
        plots.plot_weight_heatmaps([mats[0], np.ones(3)])
    with pytest.raises(ValueError, match="titles"):
        plots.plot_weight_heatmaps(mats, titles=["a"])


def test_plot_ensemble_overview(tmp_path):
    lam = rng.normal(0.3, 0.1, 30)
    lam[3] = np.nan
    kept = lam > 0.2
    fig = plots.plot_ensemble_overview(t, _distances(4), lam, np.linspace(1, 0.1, T), kept=kept,
                                       mle=0.3, fit=(np.log(1e-8), 0.3, (0, 40)))
    assert len(fig.axes) == 3                      # distances, histogram, loss twin
    dist, hist = fig.axes[0], fig.axes[1]
    assert dist.get_yscale() == "log" and "0.3" in dist.get_title()
    assert len(hist.patches) > 0 and hist.get_xlabel().startswith("finite Lyapunov")
    _labelled(fig)
    _draw(fig, tmp_path)
    with pytest.raises(ValueError, match="kept has"):
        plots.plot_ensemble_overview(t, _distances(2), lam, kept=kept[:3])


def test_plot_intermittency(tmp_path):
    x = np.tile([1.0, 2.0, 3.0], 40)
    x[60:90] = rng.uniform(0, 4, 30)
    lam = nc.laminar_phases(x, period=3)
    res = nc.acf(x[60:90], nlags=10, n_surrogates=50, seed=0)
    fig = plots.plot_intermittency(None, x, lam, res, title="run 0")
    assert len(fig.axes) == 3                          # series, zoom, ACF
    series, zoom, ac = fig.axes
    assert "period 3" in series.get_legend().get_texts()[0].get_text()
    assert ac.get_ylabel() == "autocorrelation"
    # the zoom shows about ten periods of the longest laminar phase point by point
    zt = zoom.lines[0].get_xdata()
    assert 30 <= zt.size and lam.mask[zt.astype(int)].all() and "period 3" in zoom.get_title()
    _labelled(fig)
    _draw(fig, tmp_path)
    assert len(plots.plot_intermittency(None, x, lam.mask).axes) == 2
    assert len(plots.plot_intermittency(None, x, np.zeros(x.size, bool)).axes) == 1
    with pytest.raises(ValueError, match="laminar"):
        plots.plot_intermittency(None, x, lam.mask[:10])
    with pytest.raises(TypeError, match="ACFResult"):
        plots.plot_intermittency(None, x, lam, acf=np.ones(3))


def test_plot_intermittency_zooms_with_the_period_of_the_longest_phase():
    """Ten periods of the longest phase's own period (2 here), not of the longest period
    found in the series (12): 30 points of the period-2 phase."""
    r = np.random.default_rng(3)
    x = np.concatenate([np.tile([1.0, 2.0], 100), r.uniform(0, 4, 30),
                        5 + np.tile(np.linspace(0, 1, 12) ** 2 + 0.01 * np.arange(12), 6)])
    lam = nc.laminar_phases(x)
    assert lam.periods.tolist() == [2, 12] and lam.lengths[0] > lam.lengths[1]
    fig = plots.plot_intermittency(None, x, lam)
    zoom = fig.axes[1]
    zt = zoom.lines[0].get_xdata().astype(int)
    assert zt.size == 30 and np.all((zt >= 0) & (zt < 200))      # inside the period-2 phase
    assert zoom.get_title().endswith("period 2")
    assert "periods 2, 12" in fig.axes[0].get_legend().get_texts()[0].get_text()


def test_plot_period_fractions(tmp_path):
    F = rng.uniform(size=(5, 12))
    fig = plots.plot_period_fractions(F, labels=list("abcde"))
    (ax,) = _main_axes(fig)
    assert ax.images[0].get_array().shape == (5, 12)
    assert ax.get_xlabel() and ax.get_ylabel()
    _draw(fig, tmp_path)
    with pytest.raises(ValueError, match="periods has"):
        plots.plot_period_fractions(F, periods=[1, 2])


def test_plot_lr_detail(tmp_path):
    D = np.stack([_distances(3) for _ in range(2)])
    acc = np.stack([np.linspace(0.1, 0.95, T), np.linspace(0.1, 0.6, T)])
    fits = [(np.log(1e-8), 0.3, (0, 40)), None]
    fig = plots.plot_lr_detail(t, D, acc, target=0.9, fits=fits, title="lr 1")
    left, right = fig.axes
    assert len(left.lines) == 2 + 1                # two mean distances, one fit
    assert len(right.lines) == 2 + 1 + 1           # two curves, one target marker, target line
    _labelled(fig)
    _draw(fig, tmp_path)
    with pytest.raises(ValueError, match="test_accuracy"):
        plots.plot_lr_detail(t, D, acc[:1])
    with pytest.raises(ValueError, match="fits has"):
        plots.plot_lr_detail(t, D, acc, fits=fits[:1])


def test_plot_linearised_decay(tmp_path):
    obs = np.exp(-0.01 * t)[None] * np.array([[1.0], [2.0]])
    fig = plots.plot_linearised_decay(t, obs, obs * 1.01)
    (ax,) = fig.axes
    assert len(ax.lines) == 4 and ax.get_xscale() == "log"
    _labelled(fig)
    _draw(fig, tmp_path)
    with pytest.raises(ValueError, match="predicted"):
        plots.plot_linearised_decay(t, obs, obs[0])


def test_plot_clv(tmp_path):
    times = np.arange(11)
    fig = plots.plot_clv(times, rng.uniform(0, 1.5, 11), rng.normal(size=(10, 4)), n_show=3)
    top, bottom = fig.axes
    assert top.get_ylabel().startswith("angle") and len(bottom.lines) == 3 + 1
    _labelled(fig)
    _draw(fig, tmp_path)
    with pytest.raises(ValueError, match="local has"):
        plots.plot_clv(times, np.ones(11), np.ones((11, 2)))


def test_plot_clv_from_result():
    model = nc.MLP([2, 3, 2])
    X = rng.normal(size=(10, 2))
    y = rng.integers(0, 2, 10)
    res = nc.covariant_vectors(model, (X, y), model.init(seed=0), lr=1.0, steps=6, k=2,
                               n_forward=5, n_backward=5, seed=0)
    fig = plots.plot_clv(res)
    assert len(fig.axes) == 2
    assert len(fig.axes[0].lines[0].get_xdata()) == res.times.size
    fig = plots.plot_clv(res, angles=np.zeros(res.times.size), label="($v_1$, span)")
    assert fig.axes[0].get_ylabel() == "angle ($v_1$, span) [deg]"
    assert np.all(fig.axes[0].lines[0].get_ydata() == 0)


def test_plot_onset_single_runs_and_decades_of_training_time(tmp_path):
    lr = np.array([0.01, 0.1, 1.0, 3.0])
    runs = np.array([[900.0, 1000, np.inf], [90, 100, 110], [5, 60, 300], [np.inf, 200, np.inf]])
    med = np.median(runs, axis=1)                  # 1000, 100, 60, inf
    fig = plots.plot_onset(lr, [np.nan, np.nan, 0.3, 0.4], [0, 0, 0.9, 0.5], med,
                           tau_flow=lr * med, tau_runs=runs)
    top, bot, flow, tw = fig.axes
    assert flow.get_yscale() == "log" and tw.get_yscale() == "log"    # 5-1000 steps
    dots = [line for line in flow.lines if line.get_label().startswith("$\\tau$ of single")]
    assert len(dots) == 1
    np.testing.assert_array_equal(dots[0].get_xdata(), [0.01, 0.01, 0.1, 0.1, 0.1, 1, 1, 1, 3])
    np.testing.assert_array_equal(dots[0].get_ydata(), [900, 1000, 90, 100, 110, 5, 60, 300, 200])
    counts = [(x.get_position()[0], x.get_text()) for x in flow.texts]
    assert counts == [(0.01, "2"), (3.0, "1")]     # only where some runs never reach it
    legend = [x.get_text() for x in flow.get_legend().get_texts()]
    assert legend[-1] == "above: $k$ of 3 runs reach the target"
    _labelled(fig)
    _draw(fig, tmp_path)
    fig = plots.plot_onset(lr, [0, 0, 0.3, 0.4], [0, 0, 0.9, 0.5], med, tau_runs=runs)
    tw = fig.axes[2]                               # no flow panel: the runs beside tau
    assert tw.get_yscale() == "log" and len(tw.texts) == 2
    with pytest.raises(ValueError, match="tau_runs"):
        plots.plot_onset(lr, [0, 0, 0.3, 0.4], [0, 0, 0.9, 0.5], med, tau_runs=runs[:2])
    with pytest.raises(ValueError, match="tau_runs"):
        plots.plot_onset(lr, [0, 0, 0.3, 0.4], [0, 0, 0.9, 0.5], med, tau_runs=med)


def test_plot_onset_labels_the_swept_learning_rates():
    lr = [0.5, 1.0, 2.0, 4.0]
    fig = plots.plot_onset(lr, [np.nan, 0.1, 0.3, 0.5], [0.0, 0.5, 1.0, 1.0],
                           [200, 100, 80, np.inf])
    bottom = fig.axes[1]
    assert bottom.get_xscale() == "log"
    assert [x.get_text() for x in bottom.get_xticklabels()] == ["0.5", "1", "2", "4"]
