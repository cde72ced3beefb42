"""Onset of chaos and training time against the learning rate (Jiménez-González et al.)."""

import numpy as np

from ..._random import subseed
from ...datasets import Dataset, digits
from ...datasets import mnist as load_mnist
from ...model import MLP
from ...protocols import fitted_phase, onset_table
from ...sweeps import lr_sweep
from .._text import na as _f
from ._run import _Run


def _ci(ci):
    return "n/a" if ci is None else f"[{_f(ci[0])}, {_f(ci[1])}]"


def _onset_data(run, mnist):
    """Digits (or the first images of MNIST from ``mnist``) at the sizes of ``run``."""

    if mnist is not None:
        full = load_mnist(mnist)
        ntr = min(run["mnist_n_train"], full.X_train.shape[0])
        nte = min(run["mnist_n_test"], full.X_test.shape[0])
        return Dataset(full.X_train[:ntr], full.y_train[:ntr], full.X_test[:nte],
                       full.y_test[:nte], description=full.description + f" (first {ntr}/{nte})",
                       task="classification", n_classes=10), "mnist"
    n_train = 1437 if run["n_train"] is None else int(run["n_train"])
    full = digits(seed=run["split_seed"], n_train=n_train)
    if run["n_test"] is not None:
        nte = min(int(run["n_test"]), full.X_test.shape[0])
        full = Dataset(full.X_train, full.y_train, full.X_test[:nte], full.y_test[:nte],
                       description=full.description + f" (test set cut to {nte})",
                       task="classification", n_classes=10)
    return full, "digits"


def onset(quick=False, out="results", seed=0, progress=True, verbose=True, mnist=None,
          resume=False, **overrides):
    """Onset of chaos and training time against the learning rate (Jiménez-González et al.).

    An MLP with tanh hidden layer(s), N(0, 1) weights and zero biases is
    trained full batch on digits (or MNIST from ``mnist``, a path accepted by
    :func:`netchaos.datasets.mnist`) for every learning rate, with
    ``n_pert`` perturbations of radius eps per initial condition
    (:func:`netchaos.lr_sweep`, test metrics recorded). Per learning rate
    (:func:`netchaos.protocols.onset_table`):

    - ``lambda_nmle``: network MLE (mean of the kept exponents, R^2 > 0.9,
      Lambda > 0.05; NaN when none is kept) and ``mean_exponent`` (mean of all
      finite exponents);
    - ``rho``: the paper's fraction of initial conditions with a positive
      exponent, "positive" meaning that the lower end of the exponent's 95 %
      interval is above zero (:func:`netchaos.protocols.positive_exponents`:
      standard error of the slope, spread over the candidate windows and the
      1/L resolution of the window), with a bootstrap interval over initial
      conditions; ``rho_point`` the fraction of point estimates > 0 (nearly 1
      everywhere: the best-R^2 window finds a positive slope in slow drifts)
      and ``rho_chaotic``: fraction with a kept, clearly exponential
      divergence;
    - ``tau``: steps until the reference reaches ``accuracy_target`` test
      accuracy, median over initial conditions (runs that never reach it count
      as infinitely slow; None when more than half never do), and ``tau_flow``,
      the median of ``lr * tau``: the same time in gradient-flow units.

    The summary reports the learning rate of minimal tau and the smallest
    learning rates where rho and rho_chaotic reach 1, the first two with
    bootstrap intervals (``n_boot`` resamples of the initial conditions).
    """
    from .. import plots  # matplotlib on first use: the CLI starts fast

    run = _Run("onset", quick, out, seed, progress, verbose, overrides, resume)
    data, dname = _onset_data(run, mnist)
    sizes = [int(data.X_train.shape[1])] + [int(h) for h in run["hidden"]] + [10]
    model = MLP(sizes, activation=run["activation"], loss="cross_entropy")
    lrs = [float(v) for v in run["lr_values"]]
    run.log(f"{dname}: {data.X_train.shape[0]} train / {data.X_test.shape[0]} test, network "
            f"{sizes} ({model.n_params} parameters), {len(lrs)} learning rates x "
            f"{run['n_init']} ICs x {run['n_pert']} perturbations, {run['steps']} steps")
    sweep = lr_sweep(model, data, lrs, run["steps"], run["eps"], n_init=run["n_init"],
                     n_pert=run["n_pert"], seed=subseed(run.seed, 0), test_metrics=True,
                     progress=run.progress, checkpoint=run.checkpoint("lr"),
                      resume=run.resume)
    target = float(run["accuracy_target"])
    tab = onset_table(sweep, target, n_boot=run["n_boot"], seed=subseed(run.seed, 1))
    tau_arr, rho_arr, rch = tab["tau_median"], tab["rho"], tab["rho_chaotic"]
    lr_tau_min, lr_rho_ch_one, relation = tab["lr_tau_min"], tab["lr_rho_chaotic_one"], \
        tab["relation"]
    lr_rho_one = tab["lr_rho_one"]

    fig = plots.plot_onset(lrs, sweep.mle, rho_arr, tau_arr, mle_std=sweep.mle_std,
                           rho_chaotic=rch, mean_exponent=tab["mean_exponent"],
                           rho_ci=tab["rho_ci"], tau_flow=tab["tau_flow_median"],
                           tau_label=f"steps to {100 * target:.0f}% test accuracy",
                           title=f"{dname}, MLP {sizes} ({run['activation']})")
    run.save(fig, "onset.png")
    show_lr = lr_rho_one if lr_rho_one is not None else lrs[-1]
    ens = sweep.results[show_lr]
    nex = min(4, run["n_init"])
    fig = plots.plot_distance_panels(np.arange(run["steps"] + 1), ens.distances[:nex],
                                     ens.loss[:nex], ncols=2, logy=True,
                                     fits=[fitted_phase(sweep.fits[show_lr], i)
                                           for i in range(nex)],
                                     titles=[f"lr={show_lr:g}, initial condition {i}"
                                             for i in range(nex)])
    run.save(fig, "onset_distances.png")

    results = {
        "dataset": dname,
        "dataset_description": data.description,
        "sizes": sizes,
        "n_params": model.n_params,
        "lr": lrs,
        "lambda_nmle": list(sweep.mle),
        "lambda_nmle_std": list(sweep.mle_std),
        "mean_exponent": tab["mean_exponent"],
        "rho": list(rho_arr),
        "rho_ci": tab["rho_ci"],
        "rho_rule": "lower end of the 95% interval of the exponent > 0; interval from the "
                    "slope's standard error (serial correlation), the spread over candidate "
                    "windows and the 1/L resolution of the window",
        "rho_point": list(tab["rho_point"]),
        "rho_chaotic": list(rch),
        "tau": list(tau_arr),
        "tau_flow": list(tab["tau_flow_median"]),
        "final_test_accuracy": list(sweep.final_test_accuracy),
        "per_lr": tab["per_lr"],
        "lr_tau_min": lr_tau_min,
        "lr_tau_min_ci": tab["lr_tau_min_ci"],
        "lr_tau_min_tied": tab["lr_tau_min_tied"],
        "lr_tau_flow_min": tab["lr_tau_flow_min"],
        "lr_rho_one": lr_rho_one,
        "lr_rho_one_ci": tab["lr_rho_one_ci"],
        "lr_rho_one_defined": tab["lr_rho_one_defined"],
        "n_boot": run["n_boot"],
        "lr_rho_chaotic_one": lr_rho_ch_one,
        "lr_chaos_onset": tab["lr_chaos_onset"],
        "tau_min_relative_to_rho_one": relation,
        "tau_min_relative_to_rho_chaotic_one": tab["relation_chaotic"],
        "accuracy_target": target,
        "n_init": run["n_init"], "n_pert": run["n_pert"], "eps": run["eps"],
        "steps": run["steps"],
    }
    lines = [
        "lr:          " + " ".join(f"{v:>6g}" for v in lrs),
        "lambda_nMLE: " + " ".join(f"{_f(v):>6}" for v in sweep.mle),
        "rho:         " + " ".join(f"{_f(v):>6}" for v in rho_arr),
        "rho(L^>0):   " + " ".join(f"{_f(v):>6}" for v in tab["rho_point"]),
        "rho(kept):   " + " ".join(f"{_f(v):>6}" for v in rch),
        "tau:         " + " ".join(f"{_f(v):>6}" for v in tau_arr),
        "lr * tau:    " + " ".join(f"{_f(v):>6}" for v in tab["tau_flow_median"]),
        f"rho = fraction of ICs whose exponent's 95% interval lies above 0 "
        f"({run['n_init']} ICs per lr; rho(L^>0): point estimate > 0)",
        f"tau minimal at lr={_f(lr_tau_min)} (tied: {tab['lr_tau_min_tied']}; bootstrap 95%: "
        f"{_ci(tab['lr_tau_min_ci'])}); lr * tau (gradient-flow time) minimal at "
        f"lr={_f(tab['lr_tau_flow_min'])}; "
        f"rho first reaches 1 at lr={_f(lr_rho_one)} (bootstrap 95%: "
        f"{_ci(tab['lr_rho_one_ci'])}, reached in {_f(tab['lr_rho_one_defined'])} of "
        f"resamples): tau minimum {relation} it; rho(kept) first reaches 1 at lr="
        f"{_f(lr_rho_ch_one)}",
    ]
    return run.finish(results, lines)
