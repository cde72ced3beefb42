"""Routes to chaos: bifurcation diagrams over the learning rate, the period-3 window and its
intermittency, and the boundary of trainability (after Sohl-Dickstein 2024)."""

import os

import numpy as np

from ...bifurcation import bifurcation_diagram, feigenbaum_ratios, period_doublings
from ...io import load, save
from ...protocols.routes import network_intermittency, period_window
from ...systems import logistic
from ...trainability import trainability_map, zoom_grids
from .._text import na as _f
from ._run import _iris_setup, _Run

#: Feigenbaum's delta
FEIGENBAUM_DELTA = 4.669201609


def _stage(run, tag, compute):
    """``compute()`` (a dict of results and arrays), kept in the run's checkpoint folder so that
    ``resume=True`` skips a stage that finished before an interruption."""
    folder = run.checkpoint_folder
    path = os.path.join(folder, f"{tag}.npz")
    if run.resume and os.path.exists(path):
        run.log(f"{tag}: kept from the interrupted run")
        return load(path)
    value = compute()
    save(value, path)
    return value


def routes(quick=False, out="results", seed=0, progress=True, verbose=True, resume=False,
           **overrides):
    """Routes to chaos of the logistic map and of the Iris network.

    1. The logistic map's bifurcation diagram and exponent curve; its first period-doubling
       points on the periodic orbits and Feigenbaum's ratios (delta = 4.6692).
    2. The bifurcation diagram of the Iris network (4-10-3 sigmoid, weights N(0, 1)) over the
       learning rate, every learning rate a lane of one kernel call, with the largest
       exponent.
    3. The network's period-3 window (the longest run of period-3 attractors of a scan) and
       the mean length of period-3 laminar phases of the loss at ``lr_c - distance``, fitted
       against the distance: type-I intermittency predicts a slope of -1/2.
    4. The trainability map over the learning rates of the two layers, the box-counting
       dimension of its boundary, and a zoom into a boundary point.

    Summary: ``logistic.doublings``, ``logistic.delta`` (last ratio) and its relative error;
    ``network.window`` (``lr_c``, ``lr_end``), the intermittency slope, ``r2``, laminar
    fractions and the verdict; the trainability map's trained fraction, dimension and
    interval, for the map and for the zoom.
    """
    from .. import plots  # matplotlib on first use: the CLI starts fast

    run = _Run("routes", quick, out, seed, progress, verbose, overrides, resume)
    run.checkpoint_folder = run.checkpoint("stages")
    os.makedirs(run.checkpoint_folder, exist_ok=True)
    model, data = _iris_setup(run)
    theta0 = model.init(seed=run.seed)

    # 1. the logistic map
    r = np.linspace(run["r_lo"], 4.0, run["n_r"])
    logi = _stage(run, "logistic", lambda: {"diagram": bifurcation_diagram(
        logistic, lr_values=r, x0=0.3, steps=run["map_steps"], transient=run["map_transient"]),
        "doublings": period_doublings(logistic, 2.8, 0.3, n=run["n_doublings"])})
    ld, pts = logi["diagram"], np.asarray(logi["doublings"])
    ratios = feigenbaum_ratios(pts)
    run.save(plots.plot_bifurcation(ld, title="logistic map"), "routes_logistic.png")
    i4 = int(np.argmin(np.abs(ld.values - 4.0)))
    run.log(f"logistic: doublings {np.round(pts, 6).tolist()}, ratios {np.round(ratios, 4)}")

    # 2. the network
    lr = np.linspace(run["lr_lo"], run["lr_hi"], run["n_lr"])
    nd = _stage(run, "network", lambda: {"diagram": bifurcation_diagram(
        model, data, lr, theta0=theta0, steps=run["steps"], transient=run["transient"],
        progress=run.progress)})["diagram"]
    run.save(plots.plot_bifurcation(nd, title="Iris 4-10-3, gradient descent", logy=True),
             "routes_network.png")
    periods = {int(p): int(np.sum(nd.period == p)) for p in np.unique(nd.period)}
    run.log(f"network: {run['n_lr']} learning rates, periods {periods}")

    # 3. the period-3 window and the laminar phases below it
    lo, hi = nd.window(3)
    found = bool(np.isfinite(lo))
    scaling = None
    if found:
        step = lr[1] - lr[0]
        w = _stage(run, "window", lambda: {"diagram": period_window(
            model, data, lo - 4 * step, hi, n=run["n_window"], steps=run["steps"],
            transient=run["window_transient"], theta0=theta0)["diagram"]})["diagram"]
        lo_f, hi_f = w.window(3)
        if np.isfinite(lo_f):
            lo, hi = lo_f, hi_f
        d = np.geomspace(run["distance_lo"], run["distance_hi"], run["n_distances"])
        scaling = _stage(run, "intermittency", lambda: _plain_scaling(network_intermittency(
            model, data, lo, d, steps=run["intermittency_steps"],
            transient=run["transient"], theta0=theta0, progress=run.progress)))
        run.save(plots.plot_intermittency_scaling(
            scaling, title=f"below the period-3 window at lr$_c$ = {lo:.4g}"),
            "routes_intermittency.png")
        run.log(f"period-3 window [{lo:.5g}, {hi:.5g}]; laminar slope {_f(scaling['slope'])}")

    # 4. trainability over the two layers' learning rates, and a zoom into its boundary
    g = np.geomspace(run["map_lo"], run["map_hi"], run["map_n"])
    tm = _stage(run, "trainability", lambda: {"map": trainability_map(
        model, data, g, g, steps=run["map_steps_gd"], theta0=theta0,
        progress=run.progress)})["map"]
    run.save(plots.plot_trainability(tm, title="Iris 4-10-3: trains?"), "routes_trainability.png")
    b = np.argwhere(tm.boundary)
    zoom = None
    if len(b):
        i, j = b[len(b) // 2]
        lz, sz = zoom_grids(np.log(tm.lr), np.log(tm.second), (np.log(tm.lr[i]),
                                                               np.log(tm.second[j])),
                            factor=run["zoom_factor"], n=run["zoom_n"])
        zoom = _stage(run, "zoom", lambda: {"map": trainability_map(
            model, data, np.exp(lz), np.exp(sz), steps=run["map_steps_gd"], theta0=theta0,
            progress=run.progress)})["map"]
        run.save(plots.plot_trainability(zoom, title=f"zoom x{run['zoom_factor']:g}"),
                 "routes_trainability_zoom.png")

    def _map(m):
        if m is None:
            return None
        return {"trained_fraction": float(m.trained.mean()), "dimension": m.dimension,
                "dimension_interval": [float(v) for v in m.dimension_interval],
                "lr_range": [float(m.lr.min()), float(m.lr.max())],
                "second_range": [float(m.second.min()), float(m.second.max())],
                "box_sizes": m.box_sizes, "box_counts": m.box_counts}

    results = {
        "logistic": {
            "doublings": pts, "ratios": ratios, "delta": float(ratios[-1]),
            "delta_relative_error": float(abs(ratios[-1] - FEIGENBAUM_DELTA) / FEIGENBAUM_DELTA),
            "exponent_at_r4": float(ld.exponent[i4]), "ln2": float(np.log(2)),
        },
        "network": {
            "n_lr": int(run["n_lr"]), "periods": {str(k): v for k, v in periods.items()},
            "n_diverged": int(nd.diverged.sum()),
            "max_exponent": float(np.nanmax(nd.exponent)) if np.isfinite(nd.exponent).any()
            else None,
            "fraction_positive_exponent": float(np.mean(nd.exponent > 0.01)),
            "window_found": found, "window": [lo, hi] if found else None,
            "intermittency": None if scaling is None else {
                k: scaling[k] for k in ("distance", "mean_length", "n_phases",
                                        "laminar_fraction", "slope", "r2", "expected",
                                        "consistent")},
        },
        "trainability": _map(tm),
        "zoom": _map(zoom),
    }
    inter = results["network"]["intermittency"]
    lines = [
        f"logistic: delta ~ {results['logistic']['delta']:.4f} (error "
        f"{100 * results['logistic']['delta_relative_error']:.2f} %), exponent at r=4 "
        f"{results['logistic']['exponent_at_r4']:.4f} (ln 2 = 0.6931)",
        f"network: periods {periods}, {results['network']['n_diverged']} diverged",
        (f"period-3 window [{lo:.5g}, {hi:.5g}]; mean laminar length slope "
         f"{_f(inter['slope'])} (type I: -0.5), consistent: {inter['consistent']}")
        if inter else "no period-3 window found",
        f"trainability: {100 * tm.trained.mean():.1f} % trained, boundary dimension "
        f"{_f(tm.dimension)} [{_f(tm.dimension_interval[0])}, {_f(tm.dimension_interval[1])}]",
    ]
    if zoom is not None:
        lines.append(f"zoom: dimension {_f(zoom.dimension)} [{_f(zoom.dimension_interval[0])}, "
                     f"{_f(zoom.dimension_interval[1])}]")
    return run.finish(results, lines)


def _plain_scaling(s):
    """The intermittency dict without the loss series (not kept)."""
    return {k: v for k, v in s.items() if k != "loss"}
