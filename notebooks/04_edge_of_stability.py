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
# # 4. Sensitive dependence at the edge of stability
#
# **Learning goal:** measure a network Lyapunov exponent from perturbation ensembles —
# exponential phase, automatic fit window, the distribution $P(\Lambda)$ over initial
# conditions and its mean $\lambda_{nMLE}$ — and connect the instability to the sharpness
# of the loss crossing $2/\eta$.
#
# At $\eta = 1$ gradient descent on the Iris network is at the *edge of stability*
# (Cohen et al. 2021): the largest Hessian eigenvalue (the sharpness) reaches the value
# $2/\eta$ beyond which GD on a quadratic would diverge, and stays there while the loss
# keeps decreasing non-monotonically. Danovski, Soriano & Lacasa (2024, Sec. 4.1, Figs.
# 7-8) found that nearby trajectories then separate *exponentially*: with
#
# $$\Lambda = \frac{1}{\tau} \ln \frac{\langle d(\tau) \rangle}{\langle d(0) \rangle}$$
#
# fitted over the window with the best exponential fit (Eq. 3), kept when $R^2 > 0.9$ and
# $\Lambda > 0.05$, they report $P(\Lambda)$ unimodal, about 90 % of the fits kept, and
# $\lambda_{nMLE} \approx 0.33$ per step, stable as $\epsilon$ goes from $10^{-2}$ down to
# $10^{-14}$ (500 initial conditions; here 100, in about a second).

# %%
# %matplotlib inline
import numpy as np

import netchaos as nc
from netchaos import plots, widgets

data = nc.datasets.iris(seed=0)
model = nc.MLP([4, 10, 3], activation="sigmoid", loss="cross_entropy")
lr, steps, eps = 1.0, 200, 1e-8

# %% [markdown]
# ## The exponential phase
#
# 100 initial conditions, 5 perturbations of radius $10^{-8}$ each, 200 steps.
# `nc.finite_lyapunov` averages the distances over the perturbations, finds where
# $\ln \langle d(t) \rangle$ saturates (the distance has reached the size of the attractor)
# and fits a line over the candidate window before that step with the best $R^2$.

# %%
ens = nc.perturbation_ensemble(model, data, lr, steps, eps, n_init=100, n_pert=5, seed=0)
fl = nc.finite_lyapunov(ens)
t = np.arange(steps + 1)
fits = [(fl.intercept[i], fl.exponent[i], tuple(fl.window[i])) for i in range(4)]
plots.plot_distance_panels(t, ens.distances[:4], ens.loss[:4], ncols=2, fits=fits,
                           titles=[f"initial condition {i}" for i in range(4)])

# %%
for i in range(4):
    a, b = fl.window[i]
    print(f"IC {i}: Lambda = {fl.exponent[i]:.3f} per step over steps {a}-{b - 1} "
          f"(R^2 = {fl.r2[i]:.3f}, saturation at step {fl.saturation_step[i]})")

# %% [markdown]
# Over several decades the mean distance (black) grows along a straight line on the
# logarithmic axis — an exponential — until it saturates at the size of the region the
# trajectories move in. The loss (dashed) keeps decreasing, with spikes. Not every initial
# condition has a clean exponential phase: a distance that stays flat and then jumps by
# decades within a few steps gets a poor or near-zero fit, and the filter ($R^2 > 0.9$,
# $\Lambda > 0.05$) leaves it out of $\lambda_{nMLE}$.
#
# ## $P(\Lambda)$ and the network MLE

# %%
mle = nc.network_mle(fl, seed=0)
print(mle)
plots.plot_exponent_histogram(mle, bins=25,
                              title=f"P($\\Lambda$), $\\eta$ = {lr:g}, $\\epsilon$ = {eps:g}, "
                                    f"{mle.n} initial conditions")

# %%
kept = mle.exponents[mle.kept]
print(f"lambda_nMLE = {mle.exponent:.3f} (95% CI {mle.ci[0]:.3f}-{mle.ci[1]:.3f}), "
      f"kept {100 * mle.kept_fraction:.0f}% of the fits; published: 0.33 and about 90%")
assert 0.2 < mle.exponent < 0.45, "lambda_nMLE must be positive and near the published 0.33"
assert 0.6 <= mle.kept_fraction <= 1.0, "most initial conditions diverge exponentially"
assert np.mean(np.abs(kept - kept.mean()) < 2 * kept.std()) > 0.85, "P(Lambda) is one bump"

# %% [markdown]
# ## Does $\lambda_{nMLE}$ depend on $\epsilon$?
#
# A Lyapunov exponent is a property of the map, not of the perturbation: for small enough
# $\epsilon$ the estimate must not depend on it. `nc.eps_sweep` reuses the same initial
# conditions and perturbation directions for every radius.

# %%
eps_values = [1e-14, 1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2]
sweep = nc.eps_sweep(model, data, lr, steps, eps_values, n_init=50, n_pert=5, seed=0)
plots.plot_mle_sweep(sweep, reference=0.33, title=f"$\\eta$ = {lr:g}, 50 initial conditions")

# %%
small = sweep.mle[:3]                    # eps = 1e-14, 1e-12, 1e-10
spread = (small.max() - small.min()) / small.mean()
print("lambda_nMLE per eps:", ", ".join(f"{e:.0e}: {m:.3f}" for e, m in zip(eps_values, sweep.mle)))
print(f"relative spread over eps = 1e-14 .. 1e-10: {100 * spread:.1f}%")
assert spread < 0.2, "the exponent must not depend on eps when eps is small"
assert sweep.mle[-1] < small.min(), "eps = 1e-2 is too large: saturation cuts the growth"

# %% [markdown]
# Below $\epsilon \approx 10^{-6}$ the estimate is flat. At large radii the distance
# saturates after only a few steps, the exponential phase is short, fewer fits pass the
# filter (lower panel) and the estimate drops.
#
# ## Sharpness against $2/\eta$
#
# Why does the trajectory become unstable? Along the eigenvector of the top Hessian
# eigenvalue $h_{\max}$ the tangent map multiplies perturbations by $1 - \eta h_{\max}$,
# whose modulus exceeds 1 when $h_{\max} > 2/\eta$. `nc.sharpness_series` follows
# $h_{\max}$ (Lanczos on exact Hessian-vector products) along the reference trajectories:

# %%
series = [nc.sharpness_series(model, data, ens.theta_init[i], lr, steps, every=2, seed=0)
          for i in range(6)]
ss = series[0]
plots.plot_sharpness(ss, title="initial condition 0: sharpness and loss")

# %%
late = np.array([np.median(s.top[s.t >= steps // 2]) for s in series])
print(f"2/lr = {ss.threshold:g}; median sharpness over the second half, per initial "
      f"condition: {np.round(late, 2)}")
assert all(s.first_crossing >= 0 for s in series), "the sharpness reaches 2/lr"
assert 0.6 < late.mean() / ss.threshold < 1.4, "and hovers around it"

# %% [markdown]
# The sharpness does not run away: where it exceeds $2/\eta$ the trajectory is pushed out
# of the sharp region (a loss spike) and it comes back down, so it hovers around $2/\eta$
# while the loss decreases on average — the edge of stability. Along the way, directions
# with $|1 - \eta h| > 1$ stretch perturbations at every visit: the exponential separation
# measured above.
#
# ## Explore
#
# Change the perturbation radius (log scale), the learning rate and the initial
# conditions. The left panel shows one initial condition with its fitted window; the right
# panel, $P(\Lambda)$ over 20 initial conditions.

# %%
widgets.ensemble_explorer(model, data, eps=1e-8, lr=lr, steps=steps, n_init=20, n_pert=5)

# %% [markdown]
# ## Try this
#
# - Lower the learning rate in the explorer: at which $\eta$ do the fits stop being kept?
#   Compare with notebook 6.
# - Set $\epsilon = 10^{-2}$: how early does the distance saturate, and what happens to the
#   fitted window?
# - Refit with windows that all end at the saturation step, `nc.finite_lyapunov(ens,
#   lengths=None)`, instead of the default free windows. How do $\lambda_{nMLE}$ and the
#   kept fraction change, and why? (Read the Notes of `nc.finite_lyapunov`.)
# - Compute `nc.sharpness_series` at $\eta = 0.5$ and $\eta = 2$: does the sharpness follow
#   $2/\eta$?
