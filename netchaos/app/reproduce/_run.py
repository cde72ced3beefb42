"""Parameters, folders, JSON and figure files of the reproductions: what every experiment shares."""

import json
import math
import os
import shutil
import resource
import sys
import time

import numpy as np

from ..._files import atomic_write
from ...datasets import iris
from ...model import MLP

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
        lr_values=[0.1, 0.2, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0], steps=400, eps=1e-8,
        n_init=30, n_pert=2, n_boot=1000, hidden=[32], activation="tanh", accuracy_target=0.9,
        n_train=None, n_test=None, split_seed=0, mnist_n_train=2000, mnist_n_test=1000),
    "tangent": dict(
        lr=1.0, spectrum_steps=1000, sharpness_every=5, sizes=[4, 10, 3], activation="sigmoid",
        split_seed=0,
        ftle_sizes=[1, 4, 1], ftle_activation="relu", ftle_n_points=64, ftle_lr=0.1,
        ftle_n_init=200, ftle_t_early=100, ftle_t_final=5000, ftle_n_boot=1000,
        ftle_cv_repeats=10,
        cross_n_init=100, cross_eps=1e-8, cross_n_pert=5, cross_steps=200),
    "routes": dict(
        r_lo=2.8, n_r=600, map_steps=300, map_transient=1000, n_doublings=5,
        lr_lo=0.5, lr_hi=12.0, n_lr=1000, steps=500, transient=1500, n_window=200,
        window_transient=4000, distance_lo=1e-3, distance_hi=0.3, n_distances=8,
        intermittency_steps=20000, map_lo=0.1, map_hi=100.0, map_n=256, map_steps_gd=500,
        zoom_factor=8.0, zoom_n=128, sizes=[4, 10, 3], activation="sigmoid", split_seed=0),
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
                  n_boot=200,
                  n_train=400, n_test=400, mnist_n_train=500, mnist_n_test=300),
    "tangent": dict(spectrum_steps=100, sharpness_every=10, ftle_n_init=40, ftle_t_early=20,
                    ftle_t_final=500, ftle_n_boot=200, ftle_cv_repeats=2, cross_n_init=8),
    "routes": dict(n_r=120, map_steps=200, map_transient=500, n_doublings=4, n_lr=120,
                   steps=300, transient=700, n_window=40, window_transient=1000, n_distances=4,
                   intermittency_steps=3000, map_n=32, map_steps_gd=100, zoom_n=24),
}


# ---------------------------------------------------------------------------
# output
# ---------------------------------------------------------------------------
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


def _write(path, write):
    """Write ``path`` atomically (temporary file, fsync, rename), creating its folder; returns it."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    atomic_write(path, write)
    return path


def write_json(path, obj):
    """Write ``plain(obj)`` as strict JSON (no NaN), atomically."""
    text = json.dumps(plain(obj), indent=2, allow_nan=False)
    return _write(path, lambda fh: fh.write((text + "\n").encode("utf-8")))


def save_figure(fig, path, dpi=150):
    """Save a figure as PNG atomically; returns the path."""
    return _write(path, lambda fh: fig.savefig(fh, format="png", dpi=dpi))


def _peak_rss_mb():
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1024.0 if sys.platform != "darwin" else r / 2**20


# ---------------------------------------------------------------------------
# one run
# ---------------------------------------------------------------------------
class _Run:
    """Folder, parameters, timing and figure bookkeeping of one experiment run."""

    def __init__(self, name, quick, out, seed, progress, verbose, overrides, resume=False):
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
        self.resume = bool(resume)
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

    def checkpoint(self, tag):
        """Checkpoint folder of the sweep ``tag`` (``OUT/NAME/checkpoints/TAG``): its chunks are
        kept as they finish, so an interrupted run continues with ``resume=True``; without
        ``resume`` an earlier run's checkpoint is removed first."""
        path = os.path.join(self.folder, "checkpoints", tag)
        if not self.resume and os.path.isdir(path):
            if os.listdir(path) and not os.path.exists(os.path.join(path, "manifest.json")):
                raise ValueError(f"{path!r} exists and is not a netchaos checkpoint; remove it")
            shutil.rmtree(path)
        return path

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
        # the summary and figures hold the results now: the sweeps' chunks are not needed
        shutil.rmtree(os.path.join(self.folder, "checkpoints"), ignore_errors=True)
        if self.verbose:
            print(f"\n== {self.name}{' (quick)' if self.quick else ''}: "
                  f"{summary['wall_time_s']:.1f} s, results in {self.folder}")
            for line in lines:
                print("   " + line)
            print(flush=True)
        return summary


def _iris_setup(run):
    """The Iris network and data of the Danovski et al. experiments."""

    data = iris(seed=run["split_seed"])
    model = MLP(run["sizes"], activation=run["activation"], loss="cross_entropy")
    return model, data
