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
                    against the final loss level (Sharafi et al. 2025) and a cross-check of the
                    tangent exponent against the finite-eps ensemble exponent
``routes``          bifurcation diagrams of the logistic map (Feigenbaum's delta) and of the
                    Iris network over the learning rate, the period-3 window and type-I
                    intermittency below it, the trainability map and its boundary dimension
==================  =========================================================================

Results go to ``<out>/<name>/`` with the command-line name (``post-training``). Every
function takes ``quick`` (CI size: seconds), ``out`` (results folder),
``seed`` (all randomness derives from it), ``progress`` (tqdm bars),
``verbose`` (print a short summary) and keyword overrides of any parameter
listed in its ``summary["params"]``. Full size follows the published
protocols (e.g. 500 initial conditions x 5 perturbations for ``eos``).

Files are written atomically (a temporary file in the same folder, synced to disk, then
``os.replace``: a temporary file, fsync and rename), so an interrupted run never leaves a truncated figure or
summary behind.

The computations are those of :mod:`netchaos.protocols`; each experiment module here
runs them at the published sizes, draws the figures, writes the summary and prints it.
"""

import json
import os

from ..._version import __version__
from ._eos import eos
from ._intermittency import intermittency
from ._onset import onset
from ._orbital import orbital
from ._post_training import post_training
from ._routes import routes
from ._run import DEFAULTS, PUBLISHED, QUICK, plain, save_figure, write_json
from ._tangent import tangent

__all__ = [
    "EXPERIMENTS",
    "DEFAULTS",
    "QUICK",
    "PUBLISHED",
    "orbital",
    "post_training",
    "eos",
    "intermittency",
    "onset",
    "tangent",
    "routes",
    "run",
    "run_all",
    "plain",
    "write_json",
    "save_figure",
]

#: Experiment name (as on the command line) -> function.
EXPERIMENTS = {
    "orbital": orbital,
    "post-training": post_training,
    "eos": eos,
    "intermittency": intermittency,
    "onset": onset,
    "tangent": tangent,
    "routes": routes,
}


def run(name, **kwargs):
    """Run one experiment by its command-line name (``"post-training"`` or ``"post_training"``)."""
    key = name.replace("_", "-")
    if key not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; known: {', '.join(EXPERIMENTS)}")
    return EXPERIMENTS[key](**kwargs)


def run_all(quick=False, out="results", seed=0, progress=True, verbose=True, mnist=None,
            resume=False):
    """Run every experiment in turn; returns ``{name: summary}``.

    With ``resume=True`` an experiment whose ``summary.json`` in ``out`` was written by this
    version with the same parameters is kept as it is, and the sweeps of an interrupted one
    continue from their checkpoints.
    """
    summaries = {}
    for name, func in EXPERIMENTS.items():
        kw = dict(quick=quick, out=out, seed=seed, progress=progress, verbose=verbose,
                  resume=resume)
        if name == "onset":
            kw["mnist"] = mnist
        kept = _finished(name, quick, out, seed) if resume and mnist is None else None
        if kept is not None:
            if verbose:
                print(f"[{name}] kept from the earlier run in {os.path.join(out, name)}",
                      flush=True)
            summaries[name] = kept
            continue
        summaries[name] = func(**kw)
    return summaries


def _finished(name, quick, out, seed):
    """The summary of a finished run of ``name`` with these settings, or None."""
    path = os.path.join(os.fspath(out), name, "summary.json")
    try:
        with open(path, encoding="utf-8") as fh:
            summary = json.load(fh)
    except (OSError, ValueError):
        return None
    params = dict(DEFAULTS[name])
    if quick:
        params.update(QUICK[name])
    same = (summary.get("quick") == bool(quick) and summary.get("seed") == seed
            and summary.get("version") == __version__ and summary.get("params") == plain(params))
    return summary if same else None
