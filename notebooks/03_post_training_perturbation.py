# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 3. Perturbing a trained network
#
# **Learning goal:** test whether a trained network is a stable fixed point of the GD map,
# and explain the answer — a slow, non-exponential decay of perturbations — with the
# eigenvalues of the tangent map at a flat minimum.
#
# Linear stability theory says: near an attracting fixed point $\theta^*$ of a map, a small
# perturbation shrinks exponentially, $d(t) \sim e^{-\gamma t}$, with $\gamma$ set by the
# eigenvalue of the Jacobian closest to the unit circle. For gradient descent on a strongly
# convex loss this is the familiar linear convergence. Danovski, Soriano & Lacasa (2024,
# Sec. 3.2, Fig. 6) perturbed networks trained for 4,000 steps at $\eta = 0.01$ and found
# instead a sharp initial drop followed by a *very slow* decay, not compatible with an
# exponential — the minimum is not an isolated point but a flat, high-dimensional valley.
# Here we reproduce that and then explain it with the tangent map $I - \eta H$.

# %%
# %matplotlib inline
import numpy as np

import netchaos as nc
from netchaos import plots, protocols, widgets

data = nc.datasets.iris(seed=0)
model = nc.MLP([4, 10, 3], activation="sigmoid", loss="cross_entropy")
X, y = data.X_train, data.y_train
lr, start, steps, eps = 0.01, 4000, 1000, 1e-8

# %% [markdown]
# ## Perturb after 4,000 steps
#
# `start=4000` trains each reference first and perturbs it then; the distances are
# followed for 1,000 more steps (`record="all"` also keeps the Euclidean distances, used
# at the end).

# %%
ens = nc.perturbation_ensemble(model, data, lr, steps, eps, n_init=6, n_pert=5, seed=0,
                               start=start, record="all")
t = np.arange(steps + 1)
plots.plot_distance_panels(t, ens.distances[:4], ens.loss[:4], ncols=2, logy=True,
                           titles=[f"initial condition {i}, perturbed at t = {start}"
                                   for i in range(4)])

# %% [markdown]
# The loss (dashed) still creeps down, but the distance barely moves: over 1,000 steps the
# mean distance (black) shrinks by a few percent, and single perturbations (grey) may even
# grow. Fitting $\ln d(t)$ by a straight line in $t$ (exponential decay) and in $\ln t$
# (power law):

# %%
mean_d = ens.distances.mean(axis=1)
fits = [protocols.decay_fits(t, d) for d in mean_d]
ratio = mean_d[:, -1] / mean_d[:, 0]
i_med = int(np.argsort(ratio)[len(ratio) // 2])
f = fits[i_med]
plots.plot_decay_fits(t, mean_d[i_med], exp_fit=f["exponential"][:2], power_fit=f["power"][:2],
                      title=f"initial condition {i_med}")

# %%
fl = nc.finite_lyapunov(ens)
for i, (fi, r) in enumerate(zip(fits, ratio)):
    print(f"IC {i}: d(T)/d(0) = {r:.3f}; R^2 exponential {fi['exponential'][2]:.2f}, "
          f"power law {fi['power'][2]:.2f}; rate {fi['exponential'][1]:.1e} per step")
print("finite Lyapunov exponents:", np.round(fl.exponent, 6))
assert np.all((ratio > 0.5) & (ratio < 1.0)), "perturbations decay, but slowly"
assert np.all(np.abs(fl.exponent) < 1e-3), "no exponential divergence or convergence"

# %% [markdown]
# A rate of $10^{-5}$ per step would need $10^5$ steps to shrink a perturbation by a factor
# $e$ — and the curves bend in both plots, neither a clean exponential nor a clean power
# law.
#
# ## The tangent map at a trained network
#
# Near the trained state $\theta^*$ the perturbation evolves under
# $\delta(t+1) \approx (I - \eta H)\,\delta(t)$. Write $H = \sum_i h_i u_i u_i^\top$ and
# $c_i = u_i^\top \delta(0)$; then
#
# $$\|\delta(t)\|_2^2 = \sum_i (1 - \eta h_i)^{2t}\, c_i^2 ,$$
#
# a sum of exponentials with one rate $\ln|1 - \eta h_i|$ per eigenvalue. What do the
# eigenvalues look like?

# %%
theta_star = ens.theta_start
hess = [model.hessian(th, X, y) for th in theta_star]
eigs = np.stack([np.linalg.eigvalsh(H) for H in hess])
plots.plot_tangent_eigenvalues(eigs[:3], lr, labels=[f"IC {i}" for i in range(3)],
                               title=f"tangent map after {start} steps, $\\eta$ = {lr}")

# %%
flat = np.mean(np.abs(lr * eigs) < 1e-3, axis=1)
stiff = np.abs(1 - lr * eigs).min(axis=1)
print("fraction of directions with |lr h| < 1e-3:", np.round(flat, 2))
print("smallest |1 - lr h| (fastest direction):", np.round(stiff, 3))
assert np.all(flat > 0.5), "most directions are flat"
assert np.all(stiff < 0.99), "a few stiff directions decay visibly within 1000 steps"

# %% [markdown]
# A handful of stiff directions ($\eta h_i$ of order $10^{-2}$–$10^{-1}$) decay within tens
# to hundreds of steps — the initial drop — while most eigenvalues are tiny: along those
# flat directions the perturbation is carried along almost unchanged. Rates spread over
# many decades add up to a slow, non-exponential decay. The linear prediction from the
# Hessian at the moment of the perturbation, against the Euclidean distances measured by
# the ensemble:

# %%
pred = np.stack([protocols.linearised_distance(H, lr, ens.delta[i], steps)
                 for i, H in enumerate(hess)])                     # (n_init, n_pert, T)
plots.plot_linearised_decay(t, ens.distances_l2[0], pred[0],
                            title="initial condition 0: 5 perturbations")

# %%
rel_err = np.abs(pred / ens.distances_l2 - 1)
print(f"largest relative difference prediction vs measurement: {rel_err.max():.4f}")
assert rel_err.max() < 0.05, "the linearised map must predict the decay"

# %% [markdown]
# The frozen tangent map predicts the measured distances to within a few percent over
# 1,000 steps. So the trained network behaves like a *marginally* stable point: a few
# contracting directions and many neutral ones — the Jacobian has many eigenvalues at 1,
# as Danovski et al. conjectured. In optimisation language: the minimum is flat. Flat
# minima are where gradient descent with cross-entropy tends to go, and they are why
# "training has converged" and "the trajectory is stable" are different statements.
#
# ## Explore
#
# How long must a network train before its perturbations stop growing? Change the training
# time before the perturbation, the radius and the initial condition.

# %%
widgets.post_training_explorer(model, data, start=2000, eps=1e-8, lr=lr, steps=500)

# %% [markdown]
# ## Try this
#
# - Set the training time to 0 in the explorer: the same "perturbation" is now the
#   orbital-stability experiment of notebook 2. Where does the decay begin?
# - Train with $\eta = 0.1$ instead (`lr=0.1` in `nc.perturbation_ensemble` and the
#   explorer). How do the flat fraction and the decay change?
# - Add L2 regularisation (`nc.MLP(..., l2=1e-3)`): every eigenvalue of $H$ moves up by
#   $10^{-3}$. What does the linearised formula predict for the decay, and what do you
#   measure?
# - The prediction freezes $H$ at the perturbation. For how many steps does it stay
#   accurate at $\eta = 1$?
