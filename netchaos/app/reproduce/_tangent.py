"""Tangent dynamics of the GD map (Sharafi et al. 2024) and a cross-check at lr = 1."""

import numpy as np

from ..._random import subseed
from ...datasets import regression
from ...exponents import finite_lyapunov
from ...hessian import sharpness_series
from ...model import MLP
from ...perturbation import perturbation_ensemble
from ...protocols import (
    exponent_agreement,
    ftle_vs_final_loss,
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
       exponents, and the sharpness along the same trajectory.
    2. Sharafi et al.'s question: do early FTLEs predict the final training
       loss? :func:`netchaos.ftle_vs_final_loss` on
       :func:`netchaos.datasets.regression` for tanh and relu networks:
       Spearman correlation and the accuracy of a one-threshold predictor on
       held-out initial conditions against the majority baseline.
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
    sharp = sharpness_summary(ss)

    # 2. FTLE vs final loss
    reg = regression(seed=run["split_seed"])
    ftle_out = {}
    for j, act in enumerate(run["ftle_activations"]):
        net = MLP(run["ftle_sizes"], activation=act, loss="mse")
        run.log(f"FTLE vs final loss, {act}: {run['ftle_n_init']} initial conditions")
        r = ftle_vs_final_loss(net, reg, run["ftle_lr"], run["ftle_n_init"], run["ftle_t_early"],
                               run["ftle_t_final"], seed=subseed(run.seed, 3, j),
                               progress=run.progress)
        fig = plots.plot_ftle_vs_loss(r, title=f"{act}: spearman {r.spearman:.2f}, predictor "
                                               f"{r.test_accuracy:.2f} (baseline "
                                               f"{r.baseline_accuracy:.2f})")
        run.save(fig, f"tangent_ftle_{act}.png")
        ftle_out[act] = {
            "spearman": r.spearman, "spearman_p": r.spearman_p,
            "pearson": r.pearson, "pearson_p": r.pearson_p,
            "predictor_test_accuracy": r.test_accuracy,
            "predictor_train_accuracy": r.train_accuracy,
            "baseline_accuracy": r.baseline_accuracy,
            "beats_baseline": bool(r.test_accuracy > r.baseline_accuracy),
            "n_diverged": int(np.sum(r.diverged)),
            "final_loss_median": float(np.median(r.final_loss)),
            "ftle_median": float(np.nanmedian(r.ftle[:, 0])),
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
    fl_tan = finite_lyapunov(growth, saturation=fl_ens.saturation_step)
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
            "top": float(np.nanmax(lam)) if np.isfinite(lam).any() else None,
            "n_positive": spec.n_positive,
            "sum": float(np.sum(lam)),
            "kaplan_yorke_dimension": spec.kaplan_yorke_dimension,
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
        f"spectrum: top {_f(results['spectrum']['top'])}, {spec.n_positive}/{lam.size} positive, "
        f"sum {_f(results['spectrum']['sum'])}, Kaplan-Yorke dimension "
        f"{_f(spec.kaplan_yorke_dimension)} ({run['spectrum_steps']} steps)",
        f"sharpness: initial {_f(sharp['initial'])}, final {_f(sharp['final'])}, 2/lr = "
        f"{_f(ss.threshold)}",
    ]
    for act, v in ftle_out.items():
        lines.append(f"FTLE vs final loss ({act}): spearman {_f(v['spearman'])} "
                     f"(p={_f(v['spearman_p'])}), predictor {_f(v['predictor_test_accuracy'])} vs "
                     f"baseline {_f(v['baseline_accuracy'])}")
    lines.append(f"cross-check lr={lr:g}: ensemble {_f(mean_a)} vs tangent {_f(mean_b)} over "
                 f"{cc['n_both_kept']} ICs; correlation {_f(cc['correlation'])}, median relative "
                 f"difference {_f(cc['median_relative_difference'])}")
    return run.finish(results, lines)
