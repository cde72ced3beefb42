"""Intermittency at a very large learning rate, lr = 5 (Danovski et al. 2024, Figs. 9-11)."""

import numpy as np

from ..._random import subseed
from ...protocols import burst_acf, kantz_runs, laminar_periods
from ...training import train
from .._text import na as _f
from ._run import _iris_setup, _Run


def intermittency(quick=False, out="results", seed=0, progress=True, verbose=True,
                  resume=False, **overrides):
    """Intermittency at a very large learning rate (Danovski et al., Figs. 9-11).

    ``n_init`` networks are trained ``steps`` steps at lr = 5. For the loss
    series of each (after ``burn_in`` steps): the period of its laminar
    phases and the laminar fraction (:func:`netchaos.laminar_phases`), and
    Kantz's exponent with a phase-surrogate test
    (:func:`netchaos.kantz`, ``kantz_surrogates`` surrogates; the first
    ``kantz_runs`` runs, all by default). The ACF with a shuffled 95 % band
    (:func:`netchaos.acf`) is computed on the longest burst among the runs
    (at least ``min_burst`` points; the whole series otherwise), like the
    random-like intermission of Fig. 10.

    Periods: :func:`netchaos.dominant_period` picks the period p with the
    largest fraction of points matching ``x_{t-p}``; a 3-cycle interrupted by
    period-doubled stretches then matches slightly better at 6. The
    *fundamental* period of a run is the smallest p whose laminar fraction is
    within ``fundamental_tolerance`` (10 %) of the best one, and
    ``dominant_period`` is the most common fundamental period among the runs
    that did not settle on a fixed point (period 1; ties to the smaller
    period). The estimator's own per-run choices are reported too
    (:func:`netchaos.protocols.laminar_periods`, ``burst_acf``, ``kantz_runs``).

    Here "initial conditions" of the Kantz analysis are network
    initialisations: one loss series, one exponent and one p-value each.
    """
    from .. import plots  # matplotlib on first use: the CLI starts fast

    run = _Run("intermittency", quick, out, seed, progress, verbose, overrides, resume)
    model, data = _iris_setup(run)
    n_init, steps, burn = run["n_init"], run["steps"], run["burn_in"]
    if burn >= steps:
        raise ValueError(f"burn_in={burn} must be smaller than steps={steps}")
    run.log(f"{n_init} networks, {steps} steps at lr={run['lr']}")
    theta0 = model.init(seed=subseed(run.seed, 0), n=n_init)
    res = train(model, data, theta0, run["lr"], steps, record="params", progress=run.progress)
    loss = res.loss
    wmask = model.weight_mask
    wnorm = np.stack([np.linalg.norm(p[:, wmask], axis=1) for p in res.params])
    res.params = None
    diverged = np.asarray(res.diverged, dtype=bool)

    series = loss[:, burn:].copy()
    series[diverged] = np.nan                    # a diverged run is not analysed
    lp = laminar_periods(series, max_period=run["max_period"],
                         tolerance=run["fundamental_tolerance"])
    ok_runs = lp["ok_runs"]
    if not ok_runs:
        raise RuntimeError("every training run diverged; nothing to analyse")
    counts, fvals = lp["counts"], np.array([lp["fundamental"][i] for i in ok_runs])

    # ACF on the longest burst (or the whole series of the first analysable run)
    ba = burst_acf(series, lp, min_burst=run["min_burst"], nlags=run["acf_nlags"],
                   n_surrogates=run["acf_shuffles"], alpha=run["alpha"], seed=subseed(run.seed, 1))
    acf_run, (s, e), acf_where, acf_res = ba["run"], ba["segment"], ba["kind"], ba["acf"]
    frac_out = ba["fraction_outside"]

    # Kantz on the loss series of each run
    kruns = ok_runs if run["kantz_runs"] is None else ok_runs[:run["kantz_runs"]]
    kz = kantz_runs([loss[i, burn:] for i in kruns], n_surrogates=run["kantz_surrogates"],
                    alpha=run["alpha"], seeds=[subseed(run.seed, 2, j) for j in range(len(kruns))],
                    max_len=run["kantz_max_len"], progress=run.progress)
    k_exp, k_p, k_res = kz["exponents"], kz["p_values"], kz["results"]
    frac_sig = kz["fraction_significant"]

    # figures
    t = np.arange(steps + 1)
    nex = min(run["n_examples"], n_init)
    fig = plots.plot_loss_and_norm(t, loss[:nex], wnorm[:nex],
                                   titles=[f"{chr(65 + i)}: run {i}" for i in range(nex)])
    run.save(fig, "intermittency_loss_norm.png")
    lam_show = lp["laminar"][acf_run]
    if lam_show is not None:
        fig = plots.plot_laminar(t[burn:], loss[acf_run, burn:], lam_show,
                                 title=f"run {acf_run}: laminar phases (period {lam_show.period})")
        run.save(fig, "intermittency_laminar.png")
    if acf_res is not None:
        fig = plots.plot_acf(acf_res, title=f"ACF of run {acf_run}, {acf_where} "
                                            f"(steps {burn + s}-{burn + e})")
        run.save(fig, "intermittency_acf.png")
    good = [j for j, r in enumerate(k_res) if r is not None]
    if good:
        jbest = max(good, key=lambda j: k_res[j].exponent if np.isfinite(k_res[j].exponent)
                    else -np.inf)
        fig = plots.plot_kantz(k_res[jbest], title=f"Kantz, loss of run {kruns[jbest]} "
                                                   f"(p={_f(k_p[jbest])})")
        run.save(fig, "intermittency_kantz.png")
        fig = plots.plot_significance(k_exp, k_p, alpha=run["alpha"], x=list(kruns),
                                      xlabel="run (network initial condition)",
                                      title="Kantz exponents of the loss series")
        run.save(fig, "intermittency_significance.png")

    results = {
        "dominant_period": lp["dominant"],
        "fundamental_periods": lp["fundamental"],
        "period_counts": {str(p): int(c) for p, c in enumerate(counts) if c},
        "periods_dominant_period_estimator": lp["estimator_periods"],
        "period_counts_dominant_period_estimator":
            {str(p): int(c) for p, c in enumerate(lp["estimator_counts"]) if c},
        "laminar_fraction_by_period": lp["fractions"],
        "fraction_period_3": float(np.mean(fvals == 3)),
        "fraction_fixed_point": float(np.mean(fvals == 1)),
        "laminar_fraction": float(np.mean([lp["laminar_fraction"][i] for i in ok_runs])),
        "laminar_fraction_per_run": lp["laminar_fraction"],
        "n_laminar_phases": lp["n_phases"],
        "mean_laminar_length": lp["mean_length"],
        "acf_run": acf_run,
        "acf_segment": [burn + s, burn + e],
        "acf_segment_kind": acf_where,
        "acf_fraction_outside_band": frac_out,
        "acf_significant_lags": [int(k) for k in np.flatnonzero(acf_res.significant)]
        if acf_res is not None else [],
        "kantz_runs": kruns,
        "kantz_exponents": k_exp,
        "kantz_p_values": k_p,
        "kantz_errors": kz["errors"],
        "kantz_fraction_significant": frac_sig,
        "loss_range": [float(np.nanmin(loss[:, burn:])), float(np.nanmax(loss[:, burn:]))],
        "n_diverged": int(diverged.sum()),
        "n_init": n_init, "steps": steps, "lr": run["lr"], "burn_in": burn,
    }
    lines = [
        f"dominant period {lp['dominant']} among runs not settled on a fixed point (fundamental "
        f"periods {results['period_counts']}; period 3 in {100 * results['fraction_period_3']:.0f}%"
        f" of runs; dominant_period() per run: "
        f"{results['period_counts_dominant_period_estimator']})",
        f"laminar fraction {_f(results['laminar_fraction'])} (mean over runs)",
        f"ACF ({acf_where} of run {acf_run}): {_f(frac_out)} of lags outside the shuffled band",
        f"Kantz: significant for {_f(frac_sig)} of {kz['n_tested']} runs; exponents "
        + ", ".join(_f(v) for v in k_exp),
    ]
    return run.finish(results, lines)
