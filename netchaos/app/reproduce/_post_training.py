"""Perturbations of trained networks: slow, non-exponential decay (Danovski et al. 2024, Fig. 6)."""

import numpy as np

from ..._random import subseed
from ...exponents import finite_lyapunov
from ...perturbation import perturbation_ensemble
from ...protocols import decay_classification
from .._text import na as _f
from ._run import _iris_setup, _Run


def post_training(quick=False, out="results", seed=0, progress=True, verbose=True,
                  resume=False, **overrides):
    """Perturbations of trained networks (Danovski et al., Fig. 6).

    References are trained ``start`` steps at lr = 0.01, perturbed by eps and
    followed ``steps`` more steps. A stable fixed point would make d(t) decay
    exponentially; the paper finds a slow, non-exponential decay instead.

    For every initial condition, ``ln d(t)`` (mean over perturbations,
    t >= 1) is fitted by an exponential, ``ln d = a + b t``, and by a power
    law, ``ln d = a + c ln t``; the fit with the larger R^2 "fits better"
    (:func:`netchaos.protocols.decay_classification`). The finite Lyapunov
    exponent (package estimator) is reported too.
    """
    from .. import plots  # matplotlib on first use: the CLI starts fast

    run = _Run("post-training", quick, out, seed, progress, verbose, overrides, resume)
    model, data = _iris_setup(run)
    run.log(f"training {run['n_init']} networks {run['start']} steps at lr={run['lr']}, "
            f"then {run['n_pert']} perturbations eps={run['eps']:g} for {run['steps']} steps")
    ens = perturbation_ensemble(model, data, run["lr"], run["steps"], run["eps"],
                                n_init=run["n_init"], n_pert=run["n_pert"],
                                seed=subseed(run.seed, 0), start=run["start"],
                                progress=run.progress)
    md = ens.distances.mean(axis=1)
    t = np.arange(run["steps"] + 1, dtype=float)
    fl = finite_lyapunov(md, layout="init,t")
    dc = decay_classification(t, md)
    exp_fits, pow_fits = dc["exponential"], dc["power"]
    n_pow, n_exp = dc["n_power_law"], dc["n_exponential"]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = md[:, -1] / md[:, 0]
    loss_change = (ens.loss[:, 0] - ens.loss[:, -1]) / ens.loss[:, 0]

    fig = plots.plot_distance_panels(t, ens.distances, ens.loss, ncols=2, logy=True,
                                     titles=[f"initial condition {i}"
                                             for i in range(run["n_init"])])
    run.save(fig, "post_training_distances.png")
    i_med = int(np.argsort(ratio)[len(ratio) // 2]) if np.all(np.isfinite(ratio)) else 0
    fig = plots.plot_decay_fits(t, md[i_med], exp_fit=exp_fits[i_med][:2],
                                power_fit=pow_fits[i_med][:2], title=f"initial condition {i_med}")
    run.save(fig, "post_training_fits.png")

    finite = np.isfinite(fl.exponent)
    results = {
        "better_fit": dc["better_fit"],
        "fraction_power_law_better": dc["fraction_power_law_better"],
        "better_fit_per_ic": dc["better"],
        "exp_rate": [f[1] for f in exp_fits],
        "exp_r2": [f[2] for f in exp_fits],
        "power_exponent": [f[1] for f in pow_fits],
        "power_r2": [f[2] for f in pow_fits],
        "exp_rate_median": float(np.nanmedian([f[1] for f in exp_fits])),
        "exp_r2_median": float(np.nanmedian([f[2] for f in exp_fits])),
        "power_r2_median": float(np.nanmedian([f[2] for f in pow_fits])),
        "finite_lyapunov": [float(v) for v in fl.exponent],
        "finite_lyapunov_mean": float(np.mean(fl.exponent[finite])) if finite.any() else None,
        "finite_lyapunov_max_abs": float(np.max(np.abs(fl.exponent[finite])))
        if finite.any() else None,
        "d_ratio_final": [float(v) for v in ratio],
        "d_ratio_final_median": float(np.nanmedian(ratio)),
        "loss_at_perturbation": [float(v) for v in ens.loss[:, 0]],
        "relative_loss_change": [float(v) for v in loss_change],
        "n_diverged": ens.n_diverged,
        "n_init": run["n_init"], "n_pert": run["n_pert"], "eps": run["eps"],
        "start": run["start"], "steps": run["steps"], "lr": run["lr"],
    }
    lines = [
        f"d(T)/d(0) after {run['steps']} steps: median {_f(results['d_ratio_final_median'], 4)} "
        f"(slow decay)",
        f"better fit: {results['better_fit']} ({n_pow} power law vs {n_exp} exponential); median "
        f"R^2 exp {_f(results['exp_r2_median'])}, power {_f(results['power_r2_median'])}",
        f"median exponential rate {_f(results['exp_rate_median'])} per step; finite Lyapunov "
        f"exponent mean {_f(results['finite_lyapunov_mean'])} (~0)",
    ]
    return run.finish(results, lines)
