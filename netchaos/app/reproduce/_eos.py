"""Sensitive dependence at the edge of stability, lr = 1 (Danovski et al. 2024, Figs. 7-8)."""

import math

import numpy as np

from ..._random import subseed
from ...hessian import sharpness_series
from ...protocols import (
    eps_table,
    fitted_phase,
    sharpness_summary,
    small_eps_agreement,
    window_sensitivity,
)
from ...sweeps import eps_sweep
from .._text import na as _f
from ._run import PUBLISHED, _iris_setup, _Run, _snap


def eos(quick=False, out="results", seed=0, progress=True, verbose=True,
        resume=False, **overrides):
    """Sensitive dependence at the edge of stability (Danovski et al., Figs. 7-8).

    ``n_init`` initial conditions with ``n_pert`` perturbations each, trained
    ``steps`` steps at lr = 1, for every eps in ``eps_values`` (same initial
    conditions and perturbation directions); the main numbers are those at
    ``eps`` (which must be one of the ``eps_values``). Finite exponents by
    :func:`netchaos.finite_lyapunov`, lambda_nMLE by
    :func:`netchaos.network_mle` (kept: R^2 > 0.9 and Lambda > 0.05).
    The sharpness of one reference trajectory is followed against 2 / lr.

    Summary keys include ``lambda_nmle``, ``std``, ``kept_fraction``,
    ``rho`` (fraction of finite exponents > 0), ``ci`` (bootstrap 95 %
    interval of the mean), ``per_eps`` ({eps: {lambda_nmle, kept_fraction,
    rho, std}}), ``small_eps_agreement`` (eps 1e-10, 1e-12, 1e-14),
    ``large_eps_smaller`` (eps >= 1e-4 below all of those) and ``checks``
    (:mod:`netchaos.protocols`: ``eps_table``, ``small_eps_agreement``,
    ``window_sensitivity``, ``sharpness_summary``).
    """
    from .. import plots  # matplotlib on first use: the CLI starts fast

    run = _Run("eos", quick, out, seed, progress, verbose, overrides, resume)
    model, data = _iris_setup(run)
    eps_values = sorted({_snap(e) for e in run["eps_values"]} | {_snap(run["eps"])})
    eps_main = _snap(run["eps"])
    run.log(f"{run['n_init']} initial conditions x {run['n_pert']} perturbations x "
            f"{len(eps_values)} radii, {run['steps']} steps at lr={run['lr']}")
    mle_kw = dict(min_r2=run["min_r2"], min_exponent=run["min_exponent"])
    sweep = eps_sweep(model, data, run["lr"], run["steps"], eps_values, n_init=run["n_init"],
                      n_pert=run["n_pert"], seed=subseed(run.seed, 0), mle_kwargs=mle_kw,
                      progress=run.progress, checkpoint=run.checkpoint("eps"),
                      resume=run.resume)
    ens = sweep.results[eps_main]
    fl = sweep.fits[eps_main]
    mle = sweep.mles[eps_main]
    per_eps = eps_table(sweep)
    small, agreement, large_smaller = small_eps_agreement(per_eps)
    # how much the kept fraction depends on the window search: refit the same distances with
    # windows whose end is pinned at the saturation step, and with shorter free windows
    refit = sorted({eps_main} | {e for e in eps_values if any(math.isclose(e, v) for v in small)})
    sensitivity = window_sensitivity(sweep, refit, **mle_kw)

    # sharpness along the first reference trajectory
    run.log("sharpness along one reference trajectory")
    ss = sharpness_series(model, data, ens.theta_init[0], run["lr"], run["steps"],
                          every=run["sharpness_every"], seed=subseed(run.seed, 1),
                          progress=run.progress)
    sharp = sharpness_summary(ss, second_half_from=run["steps"] // 2)

    t = np.arange(run["steps"] + 1)
    nex = min(run["n_examples"], run["n_init"])
    fig = plots.plot_distance_panels(t, ens.distances[:nex], ens.loss[:nex], ncols=2, logy=True,
                                     fits=[fitted_phase(fl, i) for i in range(nex)],
                                     titles=[f"initial condition {i}" for i in range(nex)])
    run.save(fig, "eos_distances.png")
    fig = plots.plot_exponent_histogram(mle.exponents, mle.kept, mle=mle.exponent, bins=40,
                                        title=f"P($\\Lambda$), lr={run['lr']:g}, "
                                              f"$\\epsilon$={eps_main:g}, {run['n_init']} ICs")
    run.save(fig, "eos_histogram.png")
    fig = plots.plot_mle_sweep(sweep.values, sweep.mle, sweep.mle_std, ci=sweep.mle_ci,
                               kept_fraction=sweep.kept_fraction,
                               reference=PUBLISHED["eos_lambda_nmle"],
                               title=f"lr={run['lr']:g}, {run['n_init']} ICs x {run['n_pert']}")
    run.save(fig, "eos_mle_vs_eps.png")
    fig = plots.plot_sharpness(ss.t, ss.sharpness, ss.threshold, loss=ss.loss,
                               title="sharpness along training (initial condition 0)")
    run.save(fig, "eos_sharpness.png")

    checks = {
        "kept_fraction_in_0.8_0.97": bool(0.8 <= mle.kept_fraction <= 0.97),
        "lambda_nmle_in_0.25_0.40": bool(np.isfinite(mle.exponent) and 0.25 <= mle.exponent <= 0.40),
        "small_eps_within_10pct": None if agreement is None else agreement["within_10pct"],
        "large_eps_smaller": large_smaller,
    }
    results = {
        "lambda_nmle": mle.exponent,
        "std": mle.std,
        "ci": list(mle.ci),
        "kept_fraction": mle.kept_fraction,
        "n_kept": mle.n_kept,
        "rho": mle.rho,
        "n_nan": mle.n_nan,
        "n_diverged": int(ens.n_diverged),
        "exponent_quantiles": {q: float(np.nanquantile(fl.exponent, q))
                               for q in (0.05, 0.25, 0.5, 0.75, 0.95)},
        "r2_median": float(np.nanmedian(fl.r2)),
        "saturation_step_median": float(np.median(fl.saturation_step)),
        "per_eps": per_eps,
        "window_sensitivity": sensitivity,
        "small_eps_agreement": agreement,
        "large_eps_smaller": large_smaller,
        "sharpness": {
            **{k: sharp[k] for k in ("threshold", "initial", "max", "median_second_half",
                                     "fraction_above_threshold", "first_crossing")},
            "steps": ss.t, "values": ss.top,
        },
        "final_loss_median": float(np.nanmedian(ens.loss[:, -1])),
        "checks": checks,
        "published": PUBLISHED,
        "n_init": run["n_init"], "n_pert": run["n_pert"], "eps": eps_main,
        "eps_values": eps_values, "steps": run["steps"], "lr": run["lr"],
    }
    lines = [
        f"lambda_nMLE = {_f(mle.exponent, 4)} (95% CI {_f(mle.ci[0], 3)}-{_f(mle.ci[1], 3)}, "
        f"std {_f(mle.std)}), published ~{PUBLISHED['eos_lambda_nmle']}",
        f"kept {mle.n_kept}/{mle.n} = {_f(mle.kept_fraction)} (published ~0.9); "
        f"rho = {_f(mle.rho)}; diverged {ens.n_diverged}",
        "per eps: " + ", ".join(f"{e:.0e}: {_f(per_eps[e]['lambda_nmle'])}" for e in eps_values),
    ]
    if agreement is not None:
        lines.append(f"eps 1e-10..1e-14 agree within {100 * agreement['max_rel_spread']:.1f}% "
                     f"({'OK' if agreement['within_10pct'] else 'NOT within 10%'}); "
                     f"eps >= 1e-4 smaller: {large_smaller}")
    pinned = sensitivity["end_at_saturation"][eps_main]
    short = sensitivity["free_windows_min10"][eps_main]
    lines.append(f"window search: ends pinned at saturation -> lambda_nMLE "
                 f"{_f(pinned['lambda_nmle'])}, kept {_f(pinned['kept_fraction'])}; free windows "
                 f">= 10 steps -> {_f(short['lambda_nmle'])}, kept {_f(short['kept_fraction'])}")
    lines.append(f"sharpness: initial {_f(sharp['initial'])}, median over the "
                 f"second half {_f(sharp['median_second_half'])} vs 2/lr = "
                 f"{_f(ss.threshold)}")
    return run.finish(results, lines)
