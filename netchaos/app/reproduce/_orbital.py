"""Orbital stability at a small learning rate (Danovski et al. 2024, Figs. 3-4)."""

import math

import numpy as np

from ..._random import subseed
from ...protocols import orbital_spread
from ...sweeps import eps_sweep
from .._text import na as _f
from ._run import _iris_setup, _Run, _snap


def orbital(quick=False, out="results", seed=0, progress=True, verbose=True,
            resume=False, **overrides):
    """Orbital stability at a small learning rate (Danovski et al., Figs. 3-4).

    From the same initial conditions, perturbations of several radii eps are
    followed during training at lr = 0.01. The loss decreases monotonically,
    yet d(t) is not monotone, and the normalised curves d(t)/d(0) nearly
    coincide across eps: no radius is small enough for the orbits to stay
    confined (lack of orbital stability), and no exponential divergence.

    Summary: ``loss_monotone_fraction`` (fraction of steps with non-increasing
    loss, pooled over initial conditions) and its minimum per initial
    condition; ``log_ratio_spread`` (per initial condition: the maximum over
    t of the spread across eps of ln(d(t)/d(0)), with the mean over
    perturbations), its maximum, and the same without the largest eps;
    ``distance_nonmonotone_fraction`` (fraction of steps where the mean
    distance decreases, at the middle eps); per eps the final ratio
    d(T)/d(0) and the finite Lyapunov exponents
    (:func:`netchaos.protocols.orbital_spread`).
    """
    from .. import plots  # matplotlib on first use: the CLI starts fast

    run = _Run("orbital", quick, out, seed, progress, verbose, overrides, resume)
    model, data = _iris_setup(run)
    eps_values = [_snap(e) for e in run["eps_values"]]
    theta0 = model.init(seed=subseed(run.seed, 0), n=run["n_init"])
    run.log(f"{run['n_init']} initial conditions x {len(eps_values)} radii x {run['n_pert']} "
            f"perturbations, {run['steps']} steps at lr={run['lr']}")
    sweep = eps_sweep(model, data, run["lr"], run["steps"], eps_values, n_pert=run["n_pert"],
                      seed=subseed(run.seed, 1), theta0=theta0,
                      same_perturbations=run["same_perturbations"], progress=run.progress,
                      checkpoint=run.checkpoint("eps"), resume=run.resume)
    o = orbital_spread(sweep, eps_values)
    t = np.arange(run["steps"] + 1)
    n_init = run["n_init"]
    mean_d, loss, per_eps = o["mean_distance"], o["loss"], o["per_eps"]
    mid, nonmono = o["distance_nonmonotone_eps"], o["distance_nonmonotone_fraction"]

    for i in range(n_init):
        fig = plots.plot_eps_curves(t, mean_d[:, i], eps_values, loss=loss[i],
                                    title=f"lr={run['lr']:g}, initial condition {i}")
        run.save(fig, f"orbital_eps_ic{i}.png")
    e8 = min(eps_values, key=lambda e: abs(math.log10(e) + 8))
    ens = sweep.results[e8]
    fig = plots.plot_distance_panels(t, ens.distances, ens.loss, ncols=2, logy=False,
                                     titles=[f"initial condition {i}, $\\epsilon$={e8:g}"
                                             for i in range(n_init)])
    run.save(fig, "orbital_distances.png")

    results = {
        "loss_monotone_fraction": o["loss_monotone_fraction"],
        "loss_monotone_fraction_min": o["loss_monotone_fraction_min"],
        "log_ratio_spread": [float(v) for v in o["log_ratio_spread"]],
        "log_ratio_spread_max": float(np.max(o["log_ratio_spread"])),
        "log_ratio_spread_max_excluding_largest_eps":
            float(np.max(o["log_ratio_spread_excluding_largest_eps"])),
        "distance_nonmonotone_fraction": nonmono,
        "distance_nonmonotone_eps": mid,
        "final_loss": [float(v) for v in loss[:, -1]],
        "per_eps": per_eps,
        "eps": eps_values,
        "n_init": n_init,
        "n_pert": run["n_pert"],
        "steps": run["steps"],
        "lr": run["lr"],
    }
    lines = [
        f"loss non-increasing on {100 * results['loss_monotone_fraction']:.2f}% of steps "
        f"(min per initial condition {100 * results['loss_monotone_fraction_min']:.2f}%)",
        f"max spread of ln d(t)/d(0) across eps: {_f(results['log_ratio_spread_max'])} "
        f"({_f(results['log_ratio_spread_max_excluding_largest_eps'])} without eps="
        f"{max(eps_values):g})",
        f"mean distance decreases on {100 * nonmono:.1f}% of steps (eps={mid:g}): not monotone",
        "d(T)/d(0) per eps (IC 0): " + ", ".join(
            f"{e:g}: {_f(per_eps[e]['dT_over_d0'][0])}" for e in eps_values),
    ]
    return run.finish(results, lines)
