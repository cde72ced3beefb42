"""Headless reproductions of the published experiments.

One function per experiment; each runs the computation, writes PNG figures and
a ``summary.json`` into ``<out>/<name>/`` and returns the summary as a dict of
plain Python values (floats, ints, bools, strings, lists, dicts; non-finite
numbers become ``None``).

==================  =========================================================================
experiment          what it reproduces
==================  =========================================================================
``orbital``         lr = 0.01: d(t) for several perturbation radii from the same initial
                    conditions, monotone loss (Danovski et al. 2024, Figs. 3-4)
``post-training``   perturbations after 4,000 steps at lr = 0.01: slow, non-exponential
                    decay of d(t) (Fig. 6)
``eos``             lr = 1: exponential phase, P(Lambda), lambda_nMLE against eps and the
                    sharpness against 2/lr (Figs. 7-8)
``intermittency``   lr = 5: loss and weight norm, laminar phases and bursts, ACF with a
                    shuffled band, Kantz exponents with surrogate tests (Figs. 9-11)
``onset``           learning-rate sweep on digits (or MNIST): lambda_nMLE, rho and the
                    time to 90 % test accuracy (Jiménez-González et al.)
``tangent``         Lyapunov spectrum of the GD map with the exact tangent map, FTLEs
                    against the final loss (Sharafi et al. 2024) and a cross-check of the
                    tangent exponent against the finite-eps ensemble exponent
==================  =========================================================================

Results go to ``<out>/<name>/`` with the command-line name (``post-training``). Every
function takes ``quick`` (CI size: seconds), ``out`` (results folder),
``seed`` (all randomness derives from it), ``progress`` (tqdm bars),
``verbose`` (print a short summary) and keyword overrides of any parameter
listed in its ``summary["params"]``. Full size follows the published
protocols (e.g. 500 initial conditions x 5 perturbations for ``eos``).

Files are written atomically (a temporary file in the same folder, then
``os.replace``), so an interrupted run never leaves a truncated figure or
summary behind.
"""

import json
import math
import os
import resource
import sys
import tempfile
import time

import numpy as np

__all__ = [
    "EXPERIMENTS",
    "DEFAULTS",
    "QUICK",
    "orbital",
    "post_training",
    "eos",
    "intermittency",
    "onset",
    "tangent",
    "run",
    "run_all",
    "write_json",
    "save_figure",
]

#: Published reference values used in the summaries.
PUBLISHED = {
    "eos_lambda_nmle": 0.33,
    "eos_kept_fraction": 0.90,
}

#: Full-size parameters of every experiment (the published sizes).
DEFAULTS = {
    "orbital": dict(
        lr=0.01, steps=5000, eps_values=[1e-2, 1e-5, 1e-8, 1e-11, 1e-14], n_init=4, n_pert=20,
        same_perturbations=False, sizes=[4, 10, 3], activation="sigmoid", split_seed=0),
    "post-training": dict(
        lr=0.01, start=4000, steps=1000, eps=1e-8, n_init=8, n_pert=5, sizes=[4, 10, 3],
        activation="sigmoid", split_seed=0),
    "eos": dict(
        lr=1.0, steps=200, eps=1e-8, n_init=500, n_pert=5,
        eps_values=[float(f"{v:.12g}") for v in np.logspace(-14, -2, 13)], sharpness_every=1,
        n_examples=4, sizes=[4, 10, 3], activation="sigmoid", split_seed=0,
        min_r2=0.9, min_exponent=0.05),
    "intermittency": dict(
        lr=5.0, steps=10000, n_init=20, burn_in=200, max_period=12, acf_nlags=50,
        acf_shuffles=1000, kantz_runs=None, kantz_max_len=None, kantz_surrogates=39,
        fundamental_tolerance=0.1,
        alpha=0.05, min_burst=100, n_examples=4, sizes=[4, 10, 3], activation="sigmoid",
        split_seed=0),
    "onset": dict(
        lr_values=[0.1, 0.2, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0], steps=500, eps=1e-8,
        n_init=6, n_pert=5, hidden=[32], activation="tanh", accuracy_target=0.9,
        n_train=None, n_test=None, split_seed=0, mnist_n_train=2000, mnist_n_test=1000),
    "tangent": dict(
        lr=1.0, spectrum_steps=1000, sharpness_every=5, sizes=[4, 10, 3], activation="sigmoid",
        split_seed=0,
        ftle_sizes=[1, 20, 1], ftle_lr=0.1, ftle_n_init=60, ftle_t_early=50, ftle_t_final=3000,
        ftle_activations=["tanh", "relu"],
        cross_n_init=100, cross_eps=1e-8, cross_n_pert=5, cross_steps=200),
}

#: Overrides of :data:`DEFAULTS` for ``quick=True`` (CI size).
QUICK = {
    "orbital": dict(steps=1000, n_init=2, n_pert=5),
    "post-training": dict(start=1000, steps=500, n_init=4),
    "eos": dict(n_init=50, eps_values=[1e-14, 1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2],
                sharpness_every=5, n_examples=4),
    "intermittency": dict(steps=3000, n_init=4, kantz_runs=3, kantz_max_len=2000,
                          acf_shuffles=200),
    "onset": dict(lr_values=[1.0, 2.0, 4.0, 8.0], steps=250, n_init=2, n_pert=3, hidden=[16],
                  n_train=400, n_test=400, mnist_n_train=500, mnist_n_test=300),
    "tangent": dict(spectrum_steps=100, sharpness_every=10, ftle_n_init=12, ftle_t_early=20,
                    ftle_t_final=500, cross_n_init=8),
}


# ---------------------------------------------------------------------------
# output helpers
# ---------------------------------------------------------------------------
def _atomic(path, write):
    """Call ``write(tmp)`` on a temporary file next to ``path``, then move it into place."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)      # mkstemp creates 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def plain(obj):
    """``obj`` as plain JSON-able Python: numpy -> float/int/list, non-finite -> None."""
    if isinstance(obj, dict):
        return {_key(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        return x if math.isfinite(x) else None
    if isinstance(obj, np.ndarray):
        return plain(obj.tolist())
    if obj is None or isinstance(obj, str):
        return obj
    return str(obj)


def _key(k):
    """JSON object key: floats by their shortest round-trippable text (1e-08, 0.0001, 2.0)."""
    if isinstance(k, (float, np.floating)):
        return repr(float(k))
    return str(k)


def _snap(v):
    """``v`` rounded to 12 significant digits (logspace(-14, -2, 13) then gives 1e-08 exactly)."""
    return float(f"{float(v):.12g}")


def write_json(path, obj):
    """Write ``plain(obj)`` as strict JSON (no NaN), atomically."""
    text = json.dumps(plain(obj), indent=2, allow_nan=False)

    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return _atomic(path, write)


def save_figure(fig, path, dpi=150):
    """Save a figure as PNG atomically; returns the path."""
    return _atomic(path, lambda tmp: fig.savefig(tmp, format="png", dpi=dpi))


def _subseed(seed, *key):
    """An independent integer seed for stream ``key`` of run ``seed``."""
    return int(np.random.SeedSequence(int(seed), spawn_key=tuple(key)).generate_state(1)[0])


def _peak_rss_mb():
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1024.0 if sys.platform != "darwin" else r / 2**20


class _Run:
    """Folder, parameters, timing and figure bookkeeping of one experiment run."""

    def __init__(self, name, quick, out, seed, progress, verbose, overrides):
        import netchaos

        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed!r}")
        unknown = sorted(set(overrides) - set(DEFAULTS[name]))
        if unknown:
            raise TypeError(f"{name}: unknown parameter(s) {unknown}; "
                            f"known: {', '.join(sorted(DEFAULTS[name]))}")
        self.name = name
        self.quick = bool(quick)
        self.seed = int(seed)
        self.progress = bool(progress)
        self.verbose = bool(verbose)
        self.params = dict(DEFAULTS[name])
        if quick:
            self.params.update(QUICK[name])
        self.params.update(overrides)
        self.folder = os.path.join(os.fspath(out), name)
        os.makedirs(self.folder, exist_ok=True)
        self.figures = []
        self.version = netchaos.__version__
        self.t0 = time.perf_counter()

    def __getitem__(self, key):
        return self.params[key]

    def log(self, msg):
        if self.verbose:
            print(f"[{self.name}] {msg}", flush=True)

    def save(self, fig, filename):
        save_figure(fig, os.path.join(self.folder, filename))
        self.figures.append(filename)

    def finish(self, results, lines):
        import numba

        summary = {
            "experiment": self.name,
            "quick": self.quick,
            "seed": self.seed,
            "version": self.version,
            "params": self.params,
            "threads": numba.get_num_threads(),
        }
        summary.update(results)
        summary["figures"] = list(self.figures)
        summary["wall_time_s"] = time.perf_counter() - self.t0
        summary["peak_rss_mb"] = _peak_rss_mb()
        summary = plain(summary)
        write_json(os.path.join(self.folder, "summary.json"), summary)
        if self.verbose:
            print(f"\n== {self.name}{' (quick)' if self.quick else ''}: "
                  f"{summary['wall_time_s']:.1f} s, results in {self.folder}")
            for line in lines:
                print("   " + line)
            print(flush=True)
        return summary


def _iris_setup(run):
    from .datasets import iris
    from .model import MLP

    data = iris(seed=run["split_seed"])
    model = MLP(run["sizes"], activation=run["activation"], loss="cross_entropy")
    return model, data


def _bar(run, total, desc):
    if not run.progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc)


def _fit_tuple(fl, i):
    """(intercept, slope, (start, stop)) of initial condition i of a FiniteLyapunovResult."""
    if not np.isfinite(fl.exponent[i]):
        return None
    return (float(fl.intercept[i]), float(fl.exponent[i]), tuple(int(v) for v in fl.window[i]))


def _f(x, digits=3):
    """Short text of a number for the printed summaries."""
    if x is None:
        return "n/a"
    try:
        x = float(x)
    except (TypeError, ValueError):
        return str(x)
    return f"{x:.{digits}g}" if math.isfinite(x) else "n/a"


# ---------------------------------------------------------------------------
# orbital stability, lr = 0.01
# ---------------------------------------------------------------------------
def orbital(quick=False, out="results", seed=0, progress=True, verbose=True, **overrides):
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
    d(T)/d(0) and the finite Lyapunov exponents.
    """
    from .plots import plot_distance_panels, plot_eps_curves
    from .stability import eps_sweep

    run = _Run("orbital", quick, out, seed, progress, verbose, overrides)
    model, data = _iris_setup(run)
    eps_values = [_snap(e) for e in run["eps_values"]]
    theta0 = model.init(seed=_subseed(run.seed, 0), n=run["n_init"])
    run.log(f"{run['n_init']} initial conditions x {len(eps_values)} radii x {run['n_pert']} "
            f"perturbations, {run['steps']} steps at lr={run['lr']}")
    sweep = eps_sweep(model, data, run["lr"], run["steps"], eps_values, n_pert=run["n_pert"],
                      seed=_subseed(run.seed, 1), theta0=theta0,
                      same_perturbations=run["same_perturbations"], progress=run.progress)
    T = run["steps"] + 1
    t = np.arange(T)
    n_init = run["n_init"]
    # mean distance over perturbations: (n_eps, n_init, T)
    mean_d = np.stack([sweep.results[e].distances.mean(axis=1) for e in eps_values])
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log(mean_d / mean_d[:, :, :1])
    spread = np.nanmax(np.nanmax(log_ratio, axis=0) - np.nanmin(log_ratio, axis=0), axis=1)
    order = np.argsort(eps_values)[::-1]                      # largest eps first
    rest = log_ratio[order[1:]]
    spread_small = np.nanmax(np.nanmax(rest, axis=0) - np.nanmin(rest, axis=0), axis=1)
    loss = sweep.results[eps_values[0]].loss                  # references: identical for all eps
    steps_ok = np.diff(loss, axis=1) <= 0
    monotone_per_ic = steps_ok.mean(axis=1)
    mid = eps_values[len(eps_values) // 2]
    md_mid = mean_d[eps_values.index(mid)]
    nonmono = float(np.mean(np.diff(md_mid, axis=1) < 0))
    per_eps = {}
    for k, e in enumerate(eps_values):
        fl = sweep.fits[e]
        per_eps[e] = {
            "d0_mean": float(np.mean(mean_d[k, :, 0])),
            "dT_over_d0": [float(v) for v in mean_d[k, :, -1] / mean_d[k, :, 0]],
            "finite_lyapunov": [float(v) for v in fl.exponent],
            "n_diverged": int(sweep.results[e].n_diverged),
        }

    for i in range(n_init):
        fig = plot_eps_curves(t, mean_d[:, i], eps_values, loss=loss[i],
                              title=f"lr={run['lr']:g}, initial condition {i}")
        run.save(fig, f"orbital_eps_ic{i}.png")
    e8 = min(eps_values, key=lambda e: abs(math.log10(e) + 8))
    ens = sweep.results[e8]
    fig = plot_distance_panels(t, ens.distances, ens.loss, ncols=2, logy=False,
                               titles=[f"initial condition {i}, $\\epsilon$={e8:g}"
                                       for i in range(n_init)])
    run.save(fig, "orbital_distances.png")

    results = {
        "loss_monotone_fraction": float(steps_ok.mean()),
        "loss_monotone_fraction_min": float(monotone_per_ic.min()),
        "log_ratio_spread": [float(v) for v in spread],
        "log_ratio_spread_max": float(np.max(spread)),
        "log_ratio_spread_max_excluding_largest_eps": float(np.max(spread_small)),
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


# ---------------------------------------------------------------------------
# dynamical stability after training
# ---------------------------------------------------------------------------
def _line_fit(x, y):
    """Least squares y ~ a + b x: (a, b, r2) (NaN for degenerate input)."""
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size < 3 or np.ptp(x) == 0:
        return np.nan, np.nan, np.nan
    b, a = np.polyfit(x, y, 1)
    resid = y - (a + b * x)
    ss = float(np.dot(y - y.mean(), y - y.mean()))
    r2 = 1.0 - float(np.dot(resid, resid)) / ss if ss > 0 else np.nan
    return float(a), float(b), r2


def post_training(quick=False, out="results", seed=0, progress=True, verbose=True, **overrides):
    """Perturbations of trained networks (Danovski et al., Fig. 6).

    References are trained ``start`` steps at lr = 0.01, perturbed by eps and
    followed ``steps`` more steps. A stable fixed point would make d(t) decay
    exponentially; the paper finds a slow, non-exponential decay instead.

    For every initial condition, ``ln d(t)`` (mean over perturbations,
    t >= 1) is fitted by an exponential, ``ln d = a + b t``, and by a power
    law, ``ln d = a + c ln t``; the fit with the larger R^2 "fits better".
    The finite Lyapunov exponent (package estimator) is reported too.
    """
    from .plots import plot_decay_fits, plot_distance_panels
    from .stability import finite_lyapunov, perturbation_ensemble

    run = _Run("post-training", quick, out, seed, progress, verbose, overrides)
    model, data = _iris_setup(run)
    run.log(f"training {run['n_init']} networks {run['start']} steps at lr={run['lr']}, "
            f"then {run['n_pert']} perturbations eps={run['eps']:g} for {run['steps']} steps")
    ens = perturbation_ensemble(model, data, run["lr"], run["steps"], run["eps"],
                                n_init=run["n_init"], n_pert=run["n_pert"],
                                seed=_subseed(run.seed, 0), start=run["start"],
                                progress=run.progress)
    md = ens.distances.mean(axis=1)
    t = np.arange(run["steps"] + 1, dtype=float)
    fl = finite_lyapunov(md)
    exp_fits, pow_fits, better = [], [], []
    for i in range(run["n_init"]):
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.log(md[i, 1:])
        a, b, r2e = _line_fit(t[1:], y)
        a2, c, r2p = _line_fit(np.log(t[1:]), y)
        exp_fits.append((a, b, r2e))
        pow_fits.append((a2, c, r2p))
        if np.isfinite(r2e) and np.isfinite(r2p):
            better.append("power_law" if r2p > r2e else "exponential")
        else:
            better.append("undetermined")
    n_pow = better.count("power_law")
    n_exp = better.count("exponential")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = md[:, -1] / md[:, 0]
    loss_change = (ens.loss[:, 0] - ens.loss[:, -1]) / ens.loss[:, 0]

    fig = plot_distance_panels(t, ens.distances, ens.loss, ncols=2, logy=True,
                               titles=[f"initial condition {i}" for i in range(run["n_init"])])
    run.save(fig, "post_training_distances.png")
    i_med = int(np.argsort(ratio)[len(ratio) // 2]) if np.all(np.isfinite(ratio)) else 0
    fig = plot_decay_fits(t, md[i_med], exp_fit=exp_fits[i_med][:2], power_fit=pow_fits[i_med][:2],
                          title=f"initial condition {i_med}")
    run.save(fig, "post_training_fits.png")

    finite = np.isfinite(fl.exponent)
    results = {
        "better_fit": "power_law" if n_pow > n_exp else ("exponential" if n_exp > n_pow else "tie"),
        "fraction_power_law_better": n_pow / max(1, n_pow + n_exp),
        "better_fit_per_ic": better,
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


# ---------------------------------------------------------------------------
# edge of stability, lr = 1
# ---------------------------------------------------------------------------
def eos(quick=False, out="results", seed=0, progress=True, verbose=True, **overrides):
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
    ``large_eps_smaller`` (eps >= 1e-4 below all of those) and ``checks``.
    """
    from .plots import (plot_distance_panels, plot_exponent_histogram, plot_mle_sweep,
                        plot_sharpness)
    from .spectra import sharpness_series
    from .stability import eps_sweep

    run = _Run("eos", quick, out, seed, progress, verbose, overrides)
    model, data = _iris_setup(run)
    eps_values = sorted({_snap(e) for e in run["eps_values"]} | {_snap(run["eps"])})
    eps_main = _snap(run["eps"])
    run.log(f"{run['n_init']} initial conditions x {run['n_pert']} perturbations x "
            f"{len(eps_values)} radii, {run['steps']} steps at lr={run['lr']}")
    mle_kw = dict(min_r2=run["min_r2"], min_exponent=run["min_exponent"])
    sweep = eps_sweep(model, data, run["lr"], run["steps"], eps_values, n_init=run["n_init"],
                      n_pert=run["n_pert"], seed=_subseed(run.seed, 0), mle=mle_kw,
                      progress=run.progress)
    ens = sweep.results[eps_main]
    fl = sweep.fits[eps_main]
    mle = sweep.mles[eps_main]
    per_eps = {}
    for k, e in enumerate(sweep.values):
        m = sweep.mles[float(e)]
        per_eps[float(e)] = {"lambda_nmle": m.value, "kept_fraction": m.kept_fraction,
                             "rho": m.rho, "std": m.std, "ci": list(m.ci),
                             "n_diverged": int(sweep.n_diverged[k])}
    small = [e for e in (1e-10, 1e-12, 1e-14) if any(math.isclose(e, v) for v in eps_values)]
    small_vals = [per_eps[_match(e, eps_values)]["lambda_nmle"] for e in small]
    agreement = None
    if len(small_vals) >= 2 and all(np.isfinite(small_vals)):
        ref = float(np.mean(small_vals))
        dev = float(max(small_vals) - min(small_vals)) / ref
        agreement = {"eps": small, "lambda_nmle": small_vals, "max_rel_spread": dev,
                     "within_10pct": bool(dev <= 0.10)}
    large = [e for e in eps_values if e >= 1e-4 * (1 - 1e-9)]
    large_smaller = None
    if large and small_vals:
        large_smaller = bool(all(per_eps[e]["lambda_nmle"] is not None
                                 and np.isfinite(per_eps[e]["lambda_nmle"])
                                 and per_eps[e]["lambda_nmle"] < min(small_vals) for e in large))

    # how much the kept fraction depends on the window search: refit the same distances with
    # windows whose end is pinned at the saturation step, and with shorter free windows
    from .stability import finite_lyapunov, network_mle

    sensitivity = {}
    for label, kw in (("free_windows", {}), ("end_at_saturation", {"lengths": None}),
                      ("free_windows_min10", {"min_window": 10})):
        row = {}
        for e in sorted({eps_main} | set(_match(v, eps_values) for v in small)):
            m = network_mle(finite_lyapunov(sweep.results[e], **kw), n_boot=0, **mle_kw)
            row[e] = {"lambda_nmle": m.value, "kept_fraction": m.kept_fraction}
        sensitivity[label] = row

    # sharpness along the first reference trajectory
    run.log("sharpness along one reference trajectory")
    ss = sharpness_series(model, data, ens.theta_init[0], run["lr"], run["steps"],
                          every=run["sharpness_every"], seed=_subseed(run.seed, 1),
                          progress=run.progress)
    top = ss.top
    fin = np.isfinite(top)
    half = ss.steps >= run["steps"] // 2

    t = np.arange(run["steps"] + 1)
    nex = min(run["n_examples"], run["n_init"])
    fig = plot_distance_panels(t, ens.distances[:nex], ens.loss[:nex], ncols=2, logy=True,
                               fits=[_fit_tuple(fl, i) for i in range(nex)],
                               titles=[f"initial condition {i}" for i in range(nex)])
    run.save(fig, "eos_distances.png")
    fig = plot_exponent_histogram(mle.exponents, mle.kept, mle=mle.value, bins=40,
                                  title=f"P($\\Lambda$), lr={run['lr']:g}, "
                                        f"$\\epsilon$={eps_main:g}, {run['n_init']} ICs")
    run.save(fig, "eos_histogram.png")
    fig = plot_mle_sweep(sweep.values, sweep.mle, sweep.mle_std, ci=sweep.mle_ci,
                         kept_fraction=sweep.kept_fraction,
                         reference=PUBLISHED["eos_lambda_nmle"],
                         title=f"lr={run['lr']:g}, {run['n_init']} ICs x {run['n_pert']}")
    run.save(fig, "eos_mle_vs_eps.png")
    fig = plot_sharpness(ss.steps, ss.sharpness, ss.threshold, loss=ss.loss,
                         title="sharpness along training (initial condition 0)")
    run.save(fig, "eos_sharpness.png")

    checks = {
        "kept_fraction_in_0.8_0.97": bool(0.8 <= mle.kept_fraction <= 0.97),
        "lambda_nmle_in_0.25_0.40": bool(np.isfinite(mle.value) and 0.25 <= mle.value <= 0.40),
        "small_eps_within_10pct": None if agreement is None else agreement["within_10pct"],
        "large_eps_smaller": large_smaller,
    }
    results = {
        "lambda_nmle": mle.value,
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
            "threshold": ss.threshold,
            "initial": float(top[0]) if fin[0] else None,
            "max": float(np.max(top[fin])) if fin.any() else None,
            "median_second_half": float(np.median(top[fin & half])) if (fin & half).any()
            else None,
            "fraction_above_threshold": float(np.mean(top[fin] >= ss.threshold))
            if fin.any() else None,
            "first_crossing": ss.first_crossing,
            "steps": ss.steps, "values": top,
        },
        "final_loss_median": float(np.nanmedian(ens.loss[:, -1])),
        "checks": checks,
        "published": PUBLISHED,
        "n_init": run["n_init"], "n_pert": run["n_pert"], "eps": eps_main,
        "eps_values": eps_values, "steps": run["steps"], "lr": run["lr"],
    }
    lines = [
        f"lambda_nMLE = {_f(mle.value, 4)} (95% CI {_f(mle.ci[0], 3)}-{_f(mle.ci[1], 3)}, "
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
    lines.append(f"sharpness: initial {_f(results['sharpness']['initial'])}, median over the "
                 f"second half {_f(results['sharpness']['median_second_half'])} vs 2/lr = "
                 f"{_f(ss.threshold)}")
    return run.finish(results, lines)


def _match(e, values):
    for v in values:
        if math.isclose(e, v):
            return v
    raise KeyError(e)


# ---------------------------------------------------------------------------
# intermittency, lr = 5
# ---------------------------------------------------------------------------
def intermittency(quick=False, out="results", seed=0, progress=True, verbose=True, **overrides):
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
    period). The estimator's own per-run choices are reported too.

    Here "initial conditions" of the Kantz analysis are network
    initialisations: one loss series, one exponent and one p-value each.
    """
    from .plots import (plot_acf, plot_kantz, plot_laminar, plot_loss_and_norm,
                        plot_significance)
    from .timeseries import acf, dominant_period, kantz, laminar_phases
    from .training import train

    run = _Run("intermittency", quick, out, seed, progress, verbose, overrides)
    model, data = _iris_setup(run)
    n_init, steps, burn = run["n_init"], run["steps"], run["burn_in"]
    if burn >= steps:
        raise ValueError(f"burn_in={burn} must be smaller than steps={steps}")
    run.log(f"{n_init} networks, {steps} steps at lr={run['lr']}")
    theta0 = model.init(seed=_subseed(run.seed, 0), n=n_init)
    res = train(model, data, theta0, run["lr"], steps, record="params", progress=run.progress)
    loss = res.loss
    wmask = model.weight_mask
    wnorm = np.stack([np.linalg.norm(p[:, wmask], axis=1) for p in res.params])
    res.params = None
    diverged = np.asarray(res.diverged, dtype=bool)

    periods, fundamentals, frac_by_p, lam_frac, n_phases, mean_len, lam_results = \
        [], [], [], [], [], [], []
    best_burst = (0, None, None)       # (length, run, (start, stop)) in series coordinates
    for i in range(n_init):
        x = loss[i, burn:]
        if diverged[i] or not np.all(np.isfinite(x)):
            for lst in (periods, fundamentals, frac_by_p, lam_frac, n_phases, mean_len,
                        lam_results):
                lst.append(None)
            continue
        p = dominant_period(x, max_period=run["max_period"])
        # laminar fraction for every candidate period; the fundamental period is the
        # smallest one within `fundamental_tolerance` of the best (a 3-cycle with a few
        # period-doubled stretches matches best at 6, but is a 3-cycle)
        fr = [laminar_phases(x, period=q).laminar_fraction
              for q in range(1, run["max_period"] + 1)]
        best = max(fr)
        fund = next(q for q, f in enumerate(fr, start=1)
                    if f >= (1 - run["fundamental_tolerance"]) * best)
        lam = laminar_phases(x, period=fund)
        periods.append(p)
        fundamentals.append(int(fund))
        frac_by_p.append(fr)
        lam_frac.append(lam.laminar_fraction)
        n_phases.append(int(len(lam.phases)))
        mean_len.append(lam.mean_length)
        lam_results.append(lam)
        for s, e in lam.bursts:
            if e - s > best_burst[0] and np.ptp(x[s:e]) > 0:
                best_burst = (int(e - s), i, (int(s), int(e)))
    ok_runs = [i for i in range(n_init) if periods[i] is not None]
    if not ok_runs:
        raise RuntimeError("every training run diverged; nothing to analyse")
    pk_counts = np.bincount([periods[i] for i in ok_runs])
    fvals = np.array([fundamentals[i] for i in ok_runs])
    counts = np.bincount(fvals)
    # runs that settled on a fixed point (period 1) have no laminar phases to speak of
    moving = counts.copy()
    moving[:2] = 0
    dominant = int(np.argmax(moving)) if moving.any() else 1

    # ACF on the longest burst (or the whole series of the first analysable run)
    if best_burst[0] >= max(run["min_burst"], run["acf_nlags"] + 2):
        acf_run, (s, e) = best_burst[1], best_burst[2]
        acf_where = "longest burst"
    else:
        acf_run = next(i for i in ok_runs if np.ptp(loss[i, burn:]) > 0) \
            if any(np.ptp(loss[i, burn:]) > 0 for i in ok_runs) else ok_runs[0]
        s, e = 0, steps + 1 - burn
        acf_where = "whole series"
    segment = loss[acf_run, burn + s:burn + e]
    acf_res = None
    if segment.size > 3 and np.ptp(segment) > 0:
        nl = int(min(run["acf_nlags"], segment.size - 1))
        acf_res = acf(segment, nlags=nl, n_shuffles=run["acf_shuffles"],
                      seed=_subseed(run.seed, 1), alpha=run["alpha"])
        frac_out = float(np.mean(acf_res.significant[1:]))
    else:
        frac_out = None

    # Kantz on the loss series of each run
    kruns = ok_runs if run["kantz_runs"] is None else ok_runs[:run["kantz_runs"]]
    k_exp, k_p, k_res, k_err = [], [], [], []
    bar = _bar(run, len(kruns), "Kantz (loss series)")
    for j, i in enumerate(kruns):
        x = loss[i, burn:]
        if run["kantz_max_len"] is not None:
            x = x[:run["kantz_max_len"]]
        try:
            kr = kantz(x, n_surrogates=run["kantz_surrogates"], alpha=run["alpha"],
                       seed=_subseed(run.seed, 2, j))
            k_exp.append(float(kr.exponent))
            k_p.append(float(kr.p_value))
            k_res.append(kr)
            k_err.append(None)
        except ValueError as exc:       # e.g. a run that settled on a constant loss
            k_exp.append(float("nan"))
            k_p.append(float("nan"))
            k_res.append(None)
            k_err.append(str(exc))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    kp = np.array(k_p, dtype=float)
    tested = np.isfinite(kp)
    frac_sig = float(np.mean(kp[tested] < run["alpha"])) if tested.any() else None

    # figures
    t = np.arange(steps + 1)
    nex = min(run["n_examples"], n_init)
    fig = plot_loss_and_norm(t, loss[:nex], wnorm[:nex],
                             titles=[f"{chr(65 + i)}: run {i}" for i in range(nex)])
    run.save(fig, "intermittency_loss_norm.png")
    lam_show = lam_results[acf_run]
    if lam_show is not None:
        fig = plot_laminar(t[burn:], loss[acf_run, burn:], lam_show,
                           title=f"run {acf_run}: laminar phases (period {lam_show.period})")
        run.save(fig, "intermittency_laminar.png")
    if acf_res is not None:
        fig = plot_acf(acf_res, title=f"ACF of run {acf_run}, {acf_where} "
                                      f"(steps {burn + s}-{burn + e})")
        run.save(fig, "intermittency_acf.png")
    good = [j for j, r in enumerate(k_res) if r is not None]
    if good:
        jbest = max(good, key=lambda j: k_res[j].exponent if np.isfinite(k_res[j].exponent)
                    else -np.inf)
        fig = plot_kantz(k_res[jbest], title=f"Kantz, loss of run {kruns[jbest]} "
                                             f"(p={_f(k_p[jbest])})")
        run.save(fig, "intermittency_kantz.png")
        fig = plot_significance(k_exp, k_p, alpha=run["alpha"], x=[kruns[j] for j in
                                                                    range(len(kruns))],
                                xlabel="run (network initial condition)",
                                title="Kantz exponents of the loss series")
        run.save(fig, "intermittency_significance.png")

    results = {
        "dominant_period": dominant,
        "fundamental_periods": fundamentals,
        "period_counts": {str(p): int(c) for p, c in enumerate(counts) if c},
        "periods_dominant_period_estimator": periods,
        "period_counts_dominant_period_estimator":
            {str(p): int(c) for p, c in enumerate(pk_counts) if c},
        "laminar_fraction_by_period": frac_by_p,
        "fraction_period_3": float(np.mean(fvals == 3)),
        "fraction_fixed_point": float(np.mean(fvals == 1)),
        "laminar_fraction": float(np.mean([lam_frac[i] for i in ok_runs])),
        "laminar_fraction_per_run": lam_frac,
        "n_laminar_phases": n_phases,
        "mean_laminar_length": mean_len,
        "acf_run": acf_run,
        "acf_segment": [burn + s, burn + e],
        "acf_segment_kind": acf_where,
        "acf_fraction_outside_band": frac_out,
        "acf_significant_lags": [int(k) for k in np.flatnonzero(acf_res.significant)]
        if acf_res is not None else [],
        "kantz_runs": kruns,
        "kantz_exponents": k_exp,
        "kantz_p_values": k_p,
        "kantz_errors": k_err,
        "kantz_fraction_significant": frac_sig,
        "loss_range": [float(np.nanmin(loss[:, burn:])), float(np.nanmax(loss[:, burn:]))],
        "n_diverged": int(diverged.sum()),
        "n_init": n_init, "steps": steps, "lr": run["lr"], "burn_in": burn,
    }
    lines = [
        f"dominant period {dominant} among runs not settled on a fixed point (fundamental "
        f"periods {results['period_counts']}; period 3 in {100 * results['fraction_period_3']:.0f}%"
        f" of runs; dominant_period() per run: "
        f"{results['period_counts_dominant_period_estimator']})",
        f"laminar fraction {_f(results['laminar_fraction'])} (mean over runs)",
        f"ACF ({acf_where} of run {acf_run}): {_f(frac_out)} of lags outside the shuffled band",
        f"Kantz: significant for {_f(frac_sig)} of {int(tested.sum())} runs; exponents "
        + ", ".join(_f(v) for v in k_exp),
    ]
    return run.finish(results, lines)


# ---------------------------------------------------------------------------
# onset of chaos: learning-rate sweep
# ---------------------------------------------------------------------------
def _onset_data(run, mnist):
    from .datasets import Dataset, digits
    from .datasets import mnist as load_mnist

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
          **overrides):
    """Onset of chaos and training time against the learning rate (Jiménez-González et al.).

    An MLP with tanh hidden layer(s), N(0, 1) weights and zero biases is
    trained full batch on digits (or MNIST from ``mnist``, a path accepted by
    :func:`netchaos.datasets.mnist`) for every learning rate, with
    ``n_pert`` perturbations of radius eps per initial condition
    (:func:`netchaos.lr_sweep`, test metrics recorded). Per learning rate:

    - ``lambda_nmle``: network MLE (mean of the kept exponents, R^2 > 0.9,
      Lambda > 0.05; NaN when none is kept) and ``mean_exponent`` (mean of all
      finite exponents);
    - ``rho``: fraction of initial conditions with Lambda > 0 (the package's
      definition; tiny positive slopes of non-exponential drifts count), and
      ``rho_chaotic``: fraction with a kept, clearly exponential divergence;
    - ``tau``: steps until the reference reaches ``accuracy_target`` test
      accuracy, median over initial conditions (runs that never reach it count
      as infinitely slow; None when more than half never do).

    The summary reports the learning rate of minimal tau and the smallest
    learning rates where rho and rho_chaotic reach 1.
    """
    from .model import MLP
    from .plots import plot_distance_panels, plot_onset
    from .stability import lr_sweep

    run = _Run("onset", quick, out, seed, progress, verbose, overrides)
    data, dname = _onset_data(run, mnist)
    sizes = [int(data.X_train.shape[1])] + [int(h) for h in run["hidden"]] + [10]
    model = MLP(sizes, activation=run["activation"], loss="cross_entropy")
    lrs = [float(v) for v in run["lr_values"]]
    run.log(f"{dname}: {data.X_train.shape[0]} train / {data.X_test.shape[0]} test, network "
            f"{sizes} ({model.n_params} parameters), {len(lrs)} learning rates x "
            f"{run['n_init']} ICs x {run['n_pert']} perturbations, {run['steps']} steps")
    sweep = lr_sweep(model, data, lrs, run["steps"], run["eps"], n_init=run["n_init"],
                     n_pert=run["n_pert"], seed=_subseed(run.seed, 0), test_metrics=True,
                     progress=run.progress)
    target = float(run["accuracy_target"])
    per_lr = {}
    tau_med, mean_exp, rho_ch = [], [], []
    for k, lr in enumerate(lrs):
        ens = sweep.results[lr]
        fl = sweep.fits[lr]
        m = sweep.mles[lr]
        acc = ens.test_accuracy
        taus = []
        for a in acc:
            hit = np.flatnonzero(np.nan_to_num(a, nan=-1.0) >= target)
            taus.append(float(hit[0]) if hit.size else np.inf)
        taus = np.array(taus)
        med = float(np.median(taus))
        tau_med.append(med if np.isfinite(med) else np.nan)
        fin = np.isfinite(fl.exponent)
        mean_exp.append(float(np.mean(fl.exponent[fin])) if fin.any() else np.nan)
        rho_ch.append(m.kept_fraction)
        per_lr[lr] = {
            "lambda_nmle": m.value, "std": m.std, "mean_exponent": mean_exp[-1],
            "rho": m.rho, "rho_chaotic": m.kept_fraction,
            "exponents": [float(v) for v in fl.exponent],
            "tau": med, "tau_per_ic": [float(v) for v in taus],
            "fraction_reached": float(np.mean(np.isfinite(taus))),
            "final_test_accuracy": float(np.nanmean(acc[:, -1])),
            "n_diverged": int(sweep.n_diverged[k]),
        }
    tau_arr = np.array(tau_med, dtype=float)
    lr_tau_min = float(lrs[int(np.nanargmin(tau_arr))]) if np.isfinite(tau_arr).any() else None
    rho_arr = np.asarray(sweep.rho, dtype=float)
    rch = np.asarray(rho_ch, dtype=float)
    lr_rho_one = next((lr for lr, r in zip(lrs, rho_arr) if r >= 1.0 - 1e-12), None)
    lr_rho_ch_one = next((lr for lr, r in zip(lrs, rch) if r >= 1.0 - 1e-12), None)
    lr_onset = next((lr for lr, r in zip(lrs, rch) if r > 0), None)
    if lr_tau_min is None or lr_rho_ch_one is None:
        relation = "undetermined"
    elif math.isclose(lr_tau_min, lr_rho_ch_one):
        relation = "at"
    else:
        relation = "below" if lr_tau_min < lr_rho_ch_one else "above"

    fig = plot_onset(lrs, sweep.mle, rho_arr, tau_arr, mle_std=sweep.mle_std, rho_chaotic=rch,
                     mean_exponent=mean_exp,
                     tau_label=f"steps to {100 * target:.0f}% test accuracy",
                     title=f"{dname}, MLP {sizes} ({run['activation']})")
    run.save(fig, "onset.png")
    show_lr = lr_rho_ch_one if lr_rho_ch_one is not None else lrs[-1]
    ens = sweep.results[show_lr]
    nex = min(4, run["n_init"])
    fig = plot_distance_panels(np.arange(run["steps"] + 1), ens.distances[:nex],
                               ens.loss[:nex], ncols=2, logy=True,
                               fits=[_fit_tuple(sweep.fits[show_lr], i) for i in range(nex)],
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
        "mean_exponent": mean_exp,
        "rho": list(rho_arr),
        "rho_chaotic": list(rch),
        "tau": list(tau_arr),
        "final_test_accuracy": list(sweep.final_test_accuracy),
        "per_lr": per_lr,
        "lr_tau_min": lr_tau_min,
        "lr_rho_one": lr_rho_one,
        "lr_rho_chaotic_one": lr_rho_ch_one,
        "lr_chaos_onset": lr_onset,
        "tau_min_relative_to_rho_chaotic_one": relation,
        "accuracy_target": target,
        "n_init": run["n_init"], "n_pert": run["n_pert"], "eps": run["eps"],
        "steps": run["steps"],
    }
    lines = [
        "lr:          " + " ".join(f"{v:>6g}" for v in lrs),
        "lambda_nMLE: " + " ".join(f"{_f(v):>6}" for v in sweep.mle),
        "rho(L>0):    " + " ".join(f"{_f(v):>6}" for v in rho_arr),
        "rho(kept):   " + " ".join(f"{_f(v):>6}" for v in rch),
        "tau:         " + " ".join(f"{_f(v):>6}" for v in tau_arr),
        f"tau minimal at lr={_f(lr_tau_min)}; rho(kept) first reaches 1 at lr="
        f"{_f(lr_rho_ch_one)} (first > 0 at {_f(lr_onset)}): tau minimum {relation} it",
    ]
    return run.finish(results, lines)


# ---------------------------------------------------------------------------
# tangent map
# ---------------------------------------------------------------------------
def tangent(quick=False, out="results", seed=0, progress=True, verbose=True, **overrides):
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
       window (up to the ensemble's saturation step).
    """
    from .datasets import regression
    from .model import MLP
    from .plots import plot_agreement, plot_ftle_vs_loss, plot_sharpness, plot_spectrum
    from .spectra import ftle_vs_final_loss, lyapunov_spectrum, sharpness_series
    from .stability import finite_lyapunov, network_mle, perturbation_ensemble

    run = _Run("tangent", quick, out, seed, progress, verbose, overrides)
    model, data = _iris_setup(run)
    lr = run["lr"]

    # 1. spectrum
    theta0 = model.init(seed=_subseed(run.seed, 0))
    run.log(f"Lyapunov spectrum ({model.n_params} exponents), {run['spectrum_steps']} steps "
            f"at lr={lr}")
    spec = lyapunov_spectrum(model, data, theta0, lr, steps=run["spectrum_steps"],
                             seed=_subseed(run.seed, 1), progress=run.progress)
    ss = sharpness_series(model, data, theta0, lr, run["spectrum_steps"],
                          every=run["sharpness_every"], seed=_subseed(run.seed, 2))
    fig = plot_spectrum(spec, title=f"GD map, Iris {list(model.sizes)}, lr={lr:g}, "
                                    f"{run['spectrum_steps']} steps")
    run.save(fig, "tangent_spectrum.png")
    fig = plot_sharpness(ss, title="sharpness along the spectrum trajectory")
    run.save(fig, "tangent_sharpness.png")
    lam = spec.exponents
    top_fin = np.isfinite(ss.top)

    # 2. FTLE vs final loss
    reg = regression(seed=run["split_seed"])
    ftle_out = {}
    for j, act in enumerate(run["ftle_activations"]):
        net = MLP(run["ftle_sizes"], activation=act, loss="mse")
        run.log(f"FTLE vs final loss, {act}: {run['ftle_n_init']} initial conditions")
        r = ftle_vs_final_loss(net, reg, run["ftle_lr"], run["ftle_n_init"], run["ftle_t_early"],
                               run["ftle_t_final"], seed=_subseed(run.seed, 3, j),
                               progress=run.progress)
        fig = plot_ftle_vs_loss(r, title=f"{act}: spearman {r.spearman:.2f}, predictor "
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
                                seed=_subseed(run.seed, 4), progress=run.progress)
    fl_ens = finite_lyapunov(ens)
    growth = np.full((n, run["cross_steps"] + 1), np.nan)
    bar = _bar(run, n, "tangent FTLEs")
    for i in range(n):
        r = lyapunov_spectrum(model, data, ens.theta_init[i], lr, steps=run["cross_steps"], k=1,
                              seed=_subseed(run.seed, 5, i))
        growth[i, 0] = run["cross_eps"]
        growth[i, 1:] = run["cross_eps"] * np.exp(np.cumsum(r.local[:, 0]))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    fl_tan = finite_lyapunov(growth, saturation=fl_ens.saturation_step)
    m_ens = network_mle(fl_ens, n_boot=0)
    m_tan = network_mle(fl_tan, n_boot=0)
    both = m_ens.kept & m_tan.kept
    a, b = fl_ens.exponent, fl_tan.exponent
    if both.sum() >= 3:
        corr = float(np.corrcoef(a[both], b[both])[0, 1])
        rel = np.abs(a[both] - b[both]) / np.abs(a[both])
        within20 = float(np.mean(rel <= 0.2))
        med_rel = float(np.median(rel))
        mean_a, mean_b = float(np.mean(a[both])), float(np.mean(b[both]))
    else:
        corr = within20 = med_rel = mean_a = mean_b = float("nan")
    fig = plot_agreement(a, b, xlabel="ensemble exponent ($\\epsilon$=1e-8, L1 distance)",
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
        "sharpness": {
            "threshold": ss.threshold,
            "initial": float(ss.top[0]) if top_fin[0] else None,
            "max": float(np.max(ss.top[top_fin])) if top_fin.any() else None,
            "final": float(ss.top[-1]) if top_fin[-1] else None,
            "fraction_above_threshold": float(np.mean(ss.top[top_fin] >= ss.threshold))
            if top_fin.any() else None,
        },
        "ftle_vs_final_loss": ftle_out,
        "cross_check": {
            "n_init": n,
            "n_both_kept": int(both.sum()),
            "ensemble_lambda_nmle": m_ens.value,
            "tangent_lambda_nmle": m_tan.value,
            "ensemble_mean_both": mean_a,
            "tangent_mean_both": mean_b,
            "relative_difference_of_means": abs(mean_a - mean_b) / abs(mean_a)
            if np.isfinite(mean_a) and mean_a != 0 else None,
            "correlation": corr,
            "median_relative_difference": med_rel,
            "fraction_within_20pct": within20,
            "ensemble_exponents": a,
            "tangent_exponents": b,
        },
        "lr": lr,
    }
    cc = results["cross_check"]
    lines = [
        f"spectrum: top {_f(results['spectrum']['top'])}, {spec.n_positive}/{lam.size} positive, "
        f"sum {_f(results['spectrum']['sum'])}, Kaplan-Yorke dimension "
        f"{_f(spec.kaplan_yorke_dimension)} ({run['spectrum_steps']} steps)",
        f"sharpness: initial {_f(results['sharpness']['initial'])}, final "
        f"{_f(results['sharpness']['final'])}, 2/lr = {_f(ss.threshold)}",
    ]
    for act, v in ftle_out.items():
        lines.append(f"FTLE vs final loss ({act}): spearman {_f(v['spearman'])} "
                     f"(p={_f(v['spearman_p'])}), predictor {_f(v['predictor_test_accuracy'])} vs "
                     f"baseline {_f(v['baseline_accuracy'])}")
    lines.append(f"cross-check lr={lr:g}: ensemble {_f(mean_a)} vs tangent {_f(mean_b)} over "
                 f"{cc['n_both_kept']} ICs; correlation {_f(corr)}, median relative difference "
                 f"{_f(med_rel)}")
    return run.finish(results, lines)


# ---------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------
#: Experiment name (as on the command line) -> function.
EXPERIMENTS = {
    "orbital": orbital,
    "post-training": post_training,
    "eos": eos,
    "intermittency": intermittency,
    "onset": onset,
    "tangent": tangent,
}


def run(name, **kwargs):
    """Run one experiment by its command-line name (``"post-training"`` or ``"post_training"``)."""
    key = name.replace("_", "-")
    if key not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; known: {', '.join(EXPERIMENTS)}")
    return EXPERIMENTS[key](**kwargs)


def run_all(quick=False, out="results", seed=0, progress=True, verbose=True, mnist=None):
    """Run every experiment in turn; returns ``{name: summary}``."""
    summaries = {}
    for name, func in EXPERIMENTS.items():
        kw = dict(quick=quick, out=out, seed=seed, progress=progress, verbose=verbose)
        if name == "onset":
            kw["mnist"] = mnist
        summaries[name] = func(**kw)
    return summaries
