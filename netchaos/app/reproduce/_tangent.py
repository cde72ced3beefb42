"""Tangent dynamics of the GD map (Sharafi et al. 2024) and a cross-check at lr = 1."""

import numpy as np

from ..._random import subseed
from ...exponents import finite_lyapunov
from ...hessian import sharpness_series
from ...model import MLP
from ...perturbation import perturbation_ensemble
from ...protocols import (
    exponent_agreement,
    ftle_vs_final_loss,
    loss_level_prediction,
    sharpness_summary,
    tangent_growth,
)
from ...spectra import lyapunov_spectrum
from .._text import na as _f
from ._run import _iris_setup, _Run


def tangent(quick=False, out="results", seed=0, progress=True, verbose=True,
            resume=False, **overrides):
    """Tangent dynamics of the GD map (Sharafi et al. 2024) and a cross-check at lr = 1.

    1. Full Lyapunov spectrum (all 83 exponents of the Iris 4-10-3 network) of
       the GD map at lr = 1 with the exact tangent map ``I - lr H``
       (:func:`netchaos.lyapunov_spectrum`), its running finite-time
       exponents, and the sharpness along the same trajectory. The run is a
       transient of training, not an attractor: the exponents are finite-time
       values over ``spectrum_steps`` steps, so only those resolved from 0
       (:meth:`netchaos.SpectrumResult.resolved`: 2 batch-means standard
       errors and ``ln(n) / 2T``) are counted as positive or negative, and no
       Kaplan-Yorke dimension is reported.
    2. Sharafi et al.'s question (Phys. Rev. E 111, 054208 (2025)): do FTLEs
       early in training predict which loss level training ends in? A narrow
       relu network (1-4-1) on sin 2 pi x (64 points on [-1, 1]), whose units
       die in some runs, ends in a few distinct loss levels; ``ftle_n_init``
       initial conditions are trained ``ftle_t_final`` steps (converged: the
       levels are the same at 5,000 and 20,000 steps), labelled by the widest
       gap between final loss levels (:func:`netchaos.protocols.loss_gap_threshold`),
       and the full FTLE spectrum over the first ``ftle_t_early`` steps gives
       the largest FTLE, the sum of the positive ones and the sum of all over
       several windows. Each feature is scored by ROC AUC with a bootstrap
       interval beside the trivial predictors (loss at ``t_early``, loss at
       step 0, initial weight norm), and cross-validated logistic regression
       on the trivial predictors with and without the FTLEs measures what the
       FTLEs add (:func:`netchaos.protocols.loss_level_prediction`).
    3. Cross-check at lr = 1: for ``cross_n_init`` initial conditions, the
       finite-eps ensemble exponent (eps = 1e-8, 5 perturbations) and the
       growth rate of a tangent vector under the exact tangent map, fitted by
       the same estimator (:func:`netchaos.finite_lyapunov`) over the same
       window (up to the ensemble's saturation step):
       :func:`netchaos.protocols.tangent_growth` and
       :func:`netchaos.protocols.exponent_agreement`.
    """
    from .. import plots  # matplotlib on first use: the CLI starts fast

    run = _Run("tangent", quick, out, seed, progress, verbose, overrides, resume)
    model, data = _iris_setup(run)
    lr = run["lr"]

    # 1. spectrum
    theta0 = model.init(seed=subseed(run.seed, 0))
    run.log(f"Lyapunov spectrum ({model.n_params} exponents), {run['spectrum_steps']} steps "
            f"at lr={lr}")
    spec = lyapunov_spectrum(model, data, theta0, lr, steps=run["spectrum_steps"],
                             seed=subseed(run.seed, 1), progress=run.progress)
    ss = sharpness_series(model, data, theta0, lr, run["spectrum_steps"],
                          every=run["sharpness_every"], seed=subseed(run.seed, 2))
    fig = plots.plot_spectrum(spec, title=f"GD map, Iris {list(model.sizes)}, lr={lr:g}, "
                                          f"{run['spectrum_steps']} steps")
    run.save(fig, "tangent_spectrum.png")
    fig = plots.plot_sharpness(ss, title="sharpness along the spectrum trajectory")
    run.save(fig, "tangent_sharpness.png")
    lam = spec.exponents
    # a transient, not an attractor: count only the exponents the run resolves from 0
    ok = spec.resolved()
    finite = np.isfinite(lam).any()
    top_se = float(spec.standard_errors()[np.nanargmax(lam)]) if finite else None
    counts = {"n_resolved_positive": int(np.sum(ok & (lam > 0))),
              "n_resolved_negative": int(np.sum(ok & (lam < 0))),
              "n_unresolved": int(np.sum(~ok))}
    floor = float(np.log(model.n_params) / (2 * run["spectrum_steps"]))
    sharp = sharpness_summary(ss)

    # 2. FTLE vs final loss level
    Xs = np.linspace(-1.0, 1.0, run["ftle_n_points"])[:, None]
    task = (Xs, np.sin(2 * np.pi * Xs[:, 0]))
    net = MLP(run["ftle_sizes"], activation=run["ftle_activation"], loss="mse")
    run.log(f"FTLE vs final loss level, {run['ftle_activation']} {run['ftle_sizes']}: "
            f"{run['ftle_n_init']} initial conditions, {run['ftle_t_final']} steps")
    r = ftle_vs_final_loss(net, task, run["ftle_lr"], run["ftle_n_init"], run["ftle_t_early"],
                           run["ftle_t_final"], k=net.n_params, seed=subseed(run.seed, 3),
                           progress=run.progress)
    pred = loss_level_prediction(r, net, n_boot=run["ftle_n_boot"],
                                 n_repeats=run["ftle_cv_repeats"], seed=subseed(run.seed, 6))
    best, triv = pred["best_ftle"], pred["best_trivial"]

    def auc_of(name):
        return None if name is None else pred["auc"][name]["auc"]

    fig = plots.plot_ftle_vs_loss(r, title=f"{run['ftle_activation']} {run['ftle_sizes']}: "
                                           f"AUC {best} {_f(auc_of(best))}, "
                                           f"{triv} {_f(auc_of(triv))}")
    run.save(fig, "tangent_ftle.png")
    levels = np.sort(r.final_loss[np.isfinite(r.final_loss)])
    ftle_out = {
        "setting": f"MLP {run['ftle_sizes']} {run['ftle_activation']}, sin 2 pi x on "
                   f"{run['ftle_n_points']} points, lr {run['ftle_lr']}",
        "n_init": run["ftle_n_init"], "t_early": run["ftle_t_early"],
        "t_final": run["ftle_t_final"], "windows": pred["windows"],
        "loss_threshold": r.loss_threshold, "gap_log10": r.gap,
        "n_high": pred["n_high"], "n_used": pred["n"],
        "final_loss_percentiles": {str(q): float(np.percentile(levels, q))
                                   for q in (0, 10, 25, 50, 75, 90, 100)} if levels.size
        else None,
        "auc": pred["auc"], "best_ftle_feature": best, "best_trivial_feature": triv,
        "cv_auc": pred["cv"],
        "spearman_lambda1_final_loss": r.spearman, "spearman_p": r.spearman_p,
        "threshold_predictor_test_accuracy": r.test_accuracy,
        "best_constant_test_accuracy": r.baseline_accuracy,
        "n_diverged": int(np.sum(r.diverged)),
    }

    # 3. cross-check of the tangent exponent against the ensemble exponent
    n = run["cross_n_init"]
    run.log(f"cross-check at lr={lr}: {n} initial conditions")
    ens = perturbation_ensemble(model, data, lr, run["cross_steps"], run["cross_eps"],
                                n_init=n, n_pert=run["cross_n_pert"],
                                seed=subseed(run.seed, 4), progress=run.progress)
    fl_ens = finite_lyapunov(ens)
    growth = tangent_growth(model, data, ens.theta_init, lr, run["cross_steps"],
                            run["cross_eps"], [subseed(run.seed, 5, i) for i in range(n)],
                            progress=run.progress)
    fl_tan = finite_lyapunov(growth, saturation=fl_ens.saturation_step, layout="init,t")
    agr = exponent_agreement(fl_ens, fl_tan)
    both = agr["both"]
    mean_a, mean_b = agr["mean_ensemble"], agr["mean_tangent"]
    fig = plots.plot_agreement(agr["ensemble_exponents"], agr["tangent_exponents"],
                               xlabel="ensemble exponent ($\\epsilon$=1e-8, L1 distance)",
                               ylabel="tangent-map exponent (same window)",
                               title=f"lr={lr:g}: {int(both.sum())} initial conditions")
    run.save(fig, "tangent_cross_check.png")

    results = {
        "spectrum": {
            "exponents": lam,
            "top": float(np.nanmax(lam)) if finite else None,
            "top_standard_error": top_se,
            **counts,
            "resolution_floor": floor,
            "sum": float(np.sum(lam)),
            "diverged": spec.diverged,
            "running_top5_final": spec.running[-1, :5],
            "steps": run["spectrum_steps"],
            "n_exponents": int(lam.size),
        },
        "sharpness": {k: sharp[k] for k in ("threshold", "initial", "max", "final",
                                            "fraction_above_threshold")},
        "ftle_vs_final_loss": ftle_out,
        "cross_check": {
            "n_init": n,
            "n_both_kept": int(both.sum()),
            "ensemble_lambda_nmle": agr["ensemble"].exponent,
            "tangent_lambda_nmle": agr["tangent"].exponent,
            "ensemble_mean_both": mean_a,
            "tangent_mean_both": mean_b,
            "relative_difference_of_means": agr["relative_difference_of_means"],
            "correlation": agr["correlation"],
            "median_relative_difference": agr["median_relative_difference"],
            "fraction_within_20pct": agr["fraction_within_20pct"],
            "ensemble_exponents": agr["ensemble_exponents"],
            "tangent_exponents": agr["tangent_exponents"],
        },
        "lr": lr,
    }
    cc = results["cross_check"]
    lines = [
        f"spectrum over {run['spectrum_steps']} steps of a transient (finite-time exponents): "
        f"top {_f(results['spectrum']['top'])} +- {_f(results['spectrum']['top_standard_error'])}; "
        f"resolved from 0: {counts['n_resolved_positive']} positive, "
        f"{counts['n_resolved_negative']} negative; {counts['n_unresolved']} of {lam.size} "
        f"unresolved (2 standard errors, ln(n)/2T = {_f(floor)}); "
        f"sum {_f(results['spectrum']['sum'])}",
        f"sharpness: initial {_f(sharp['initial'])}, final {_f(sharp['final'])}, 2/lr = "
        f"{_f(ss.threshold)}",
    ]
    def ci(name):
        c = None if name is None else pred["auc"][name]["ci"]
        return "n/a" if c is None else f"[{_f(c[0])}, {_f(c[1])}]"

    lines.append(f"FTLE vs final loss level ({ftle_out['setting']}): {pred['n_high']}/{pred['n']} "
                 f"runs above {_f(r.loss_threshold)} (gap {_f(r.gap)} decades)")
    lines.append(f"  ROC AUC: best FTLE feature {best} {_f(auc_of(best))} {ci(best)}; "
                 f"loss at t_early {_f(auc_of('log_loss_early'))} {ci('log_loss_early')}, "
                 f"loss at step 0 {_f(auc_of('log_loss_start'))}, weight norm "
                 f"{_f(auc_of('weight_norm'))}")
    lines.append(f"  cross-validated AUC: trivial {_f(pred['cv']['trivial'])}, FTLEs "
                 f"{_f(pred['cv']['ftle'])}, both {_f(pred['cv']['both'])}; gain of the FTLEs "
                 f"{_f(pred['cv']['gain'])} +- {_f(pred['cv']['gain_std'])}")
    lines.append(f"cross-check lr={lr:g}: ensemble {_f(mean_a)} vs tangent {_f(mean_b)} over "
                 f"{cc['n_both_kept']} ICs; correlation {_f(cc['correlation'])}, median relative "
                 f"difference {_f(cc['median_relative_difference'])}")
    return run.finish(results, lines)
