"""Draw docs/figure.png, the figure at the top of the README.

Usage, from the repository root: ``python docs/make_figure.py`` (a few seconds).

The reference experiment of Danovski et al. (2024) at the edge of stability: Iris 4-10-3,
lr = 1, 200 initial conditions with 5 perturbations of radius 1e-8 each. Left, the
distances of one initial condition, its fitted exponential phase and the training loss;
right, the distribution P(Lambda) of the finite network Lyapunov exponents and their
mean, lambda_nMLE.
"""

import os

import numpy as np

import netchaos as nc
from netchaos import plots

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "figure.png")


def main(path=OUT):
    data = nc.datasets.iris(seed=0)
    model = nc.MLP([4, 10, 3], activation="sigmoid", loss="cross_entropy")
    ens = nc.perturbation_ensemble(model, data, lr=1.0, steps=200, eps=1e-8, n_init=200,
                                   n_pert=5, seed=0)
    fl = nc.finite_lyapunov(ens)
    mle = nc.network_mle(fl, seed=0)
    show = 1
    fig = plots.plot_ensemble_overview(
        np.arange(ens.steps + 1), ens.distances[show], mle, loss=ens.loss[show],
        fit=(fl.intercept[show], fl.exponent[show], tuple(fl.window[show])), bins=30,
        title="Training as a dynamical system: nearby GD trajectories separate exponentially "
              "(Iris 4-10-3, $\\eta$ = 1, $\\epsilon$ = $10^{-8}$)")
    fig.savefig(path, dpi=90)
    print(f"{path}: lambda_nMLE = {mle.exponent:.3f}, kept {mle.n_kept}/{mle.n}, "
          f"{os.path.getsize(path) / 1024:.0f} KB")


if __name__ == "__main__":
    main()
