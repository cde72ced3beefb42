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
# # 2. Orbital stability at a small learning rate
#
# **Learning goal:** measure how nearby training trajectories separate when the loss
# decreases monotonically, and see why "the loss converges" does not mean "the trajectory
# is stable".
#
# An orbit is *orbitally stable* when orbits that start close to it stay close (bounded
# distance) or even converge to it. At $\eta = 0.01$ the GD map of the Iris network
# decreases the loss at every step, so one might expect nearby initial conditions to flow
# to the same minimum. Danovski, Soriano & Lacasa (2024, Sec. 3.1) found otherwise:
#
# - the distance $d(t) = \sum_i |\theta_i(t) - \theta'_i(t)|$ between a trajectory and a
#   perturbed copy is not monotone — it grows, shrinks and grows again;
# - the curves $d(t)/d(0)$ are nearly the same for every perturbation radius
#   $\epsilon$ from $10^{-2}$ down to $10^{-14}$, and there is no exponential divergence;
#   the paper reads this as a lack of orbital stability;
# - over long runs the distance keeps growing slowly, while the weights move nearly in
#   straight lines and only a few weights matter for the loss.
#
# What the numbers below show is more precise than "stable" or "unstable": curves that
# collapse over $\epsilon$ mean the perturbation evolves *linearly*, $d(t) \propto
# \epsilon$; and the growth is bounded and slow — $d(T)/d(0)$ between about 1.1 and 1.6
# over 3,000–20,000 steps, roughly like a power $t^{0.2}$ late in the run, the signature of
# shear along a flat valley rather than of exponential separation. That is *marginal*
# (neutral) stability: nearby orbits neither converge to each other (no asymptotic
# stability) nor separate exponentially (no chaos). Whether they stay within a bound
# forever is beyond what a finite run can show.
#
# Protocol: perturbations $\delta$ i.i.d. uniform in $(-\epsilon, \epsilon)$ on the weight
# matrices (not the biases), 5 perturbed copies per initial condition.

# %%
# %matplotlib inline
import numpy as np

import netchaos as nc
from netchaos import plots, widgets

data = nc.datasets.iris(seed=0)
model = nc.MLP([4, 10, 3], activation="sigmoid", loss="cross_entropy")
X, y = data.X_train, data.y_train
lr, steps = 0.01, 3000

# %% [markdown]
# ## Perturbation ensembles for five radii
#
# `nc.eps_sweep` runs the same three initial conditions with the same perturbation
# directions, scaled by each $\epsilon$; the distances are computed on the fly while the
# $3 \times (1 + 5) \times 5$ trajectories are advanced together.

# %%
eps_values = [1e-2, 1e-5, 1e-8, 1e-11, 1e-14]
sweep = nc.eps_sweep(model, data, lr, steps, eps_values, n_init=3, n_pert=5, seed=1)
t = np.arange(steps + 1)
ens = sweep.results[1e-8]
plots.plot_distance_panels(t, ens.distances, ens.loss, ncols=3, logy=False,
                           titles=[f"initial condition {i}, $\\epsilon = 10^{{-8}}$"
                                   for i in range(3)])

# %% [markdown]
# Grey: the five perturbed copies; black: their mean; dashed blue: the training loss. The
# loss falls monotonically while the distance rises, falls back and rises again — the
# pattern depends on the initial condition. Now the same initial condition for all five
# radii, normalised by the initial distance.
#
# *Predict first:* the radii span twelve decades, from $10^{-2}$ to $10^{-14}$. If the
# perturbations evolve under the (linear) tangent map, what do the five curves of
# $d(t)/d(0)$ look like — and what would a nonlinear effect of the larger radii do to them?

# %%
mean_d = np.stack([sweep.results[e].distances.mean(axis=1) for e in eps_values])  # (eps, IC, T)
ratio = mean_d / mean_d[:, :, :1]
plots.plot_eps_curves(t, mean_d[:, 0], eps_values, loss=ens.loss[0],
                      title="initial condition 0: $d(t)/d(0)$ for every $\\epsilon$")

# %% [markdown]
# Twelve orders of magnitude in $\epsilon$, and the curves lie on top of each other: in
# this regime the perturbation evolves linearly, $d(t) \propto \epsilon$, for all
# these radii. The checks below pin what the figures show.

# %%
loss_steps = np.diff(sweep.results[1e-8].loss, axis=1)
log_ratio = np.log(ratio)
spread = (log_ratio.max(axis=0) - log_ratio.min(axis=0)).max(axis=1)   # per IC, over t
md = mean_d[eps_values.index(1e-8)]
down = np.mean(np.diff(md, axis=1) < 0, axis=1)
growth = md[:, -1] / md[:, 0]
print("largest spread of ln d(t)/d(0) across eps, per initial condition:", np.round(spread, 3))
print("fraction of steps where the mean distance shrinks:", np.round(down, 2))
print(f"d(T)/d(0) after {steps} steps:", np.round(growth, 2))
assert np.all(loss_steps <= 0), "the loss must decrease at every step at lr = 0.01"
assert np.all(spread < 0.1), "d(t)/d(0) must be nearly independent of eps"
assert np.all((down > 0.05) & (down < 0.95)), "d(t) must be non-monotone"
assert np.all(growth < 3.0), "no exponential divergence: less than 3x in 3000 steps"

# %% [markdown]
# For comparison: at $\eta = 1$ (notebook 4) the distance grows by a factor of about
# $e^{0.3}$ *per step* over its exponential phase; here it changes by tens of percent over
# thousands of steps.
#
# ## Long runs: slow divergence and the weight norm
#
# Following one initial condition for 20,000 steps (a few seconds): the loss keeps
# decreasing, the weight norm keeps growing — with cross-entropy, a network that classifies
# its training set lowers the loss further by scaling up its outputs, so low-loss regions
# extend outwards from the origin — and the distance to the perturbed copies keeps creeping
# up.
#
# *Predict first:* over the first 3,000 steps $d(T)/d(0)$ stayed between about 1.1 and
# 1.5 (printed above). Over 20,000
# steps, will the distance grow exponentially, level off, or keep creeping up — and by
# roughly what factor?

# %%
long_steps = 20000
theta0 = ens.theta_init[:1]
run = nc.train(model, data, theta0[0], lr, long_steps, record="params")
far = nc.perturbation_ensemble(model, data, lr, long_steps, 1e-8, n_pert=5, theta0=theta0,
                               seed=2)
w_norm = np.linalg.norm(run.params[:, model.weight_mask], axis=1)
plots.plot_loss_curves(None, run.loss, weight_norms=w_norm,
                       title=f"lr = {lr}, {long_steps} steps")

# %%
plots.plot_distances(None, far.distances[0], far.loss[0], logy=False,
                     title="$d(t)$ over 20,000 steps, $\\epsilon = 10^{-8}$")

# %%
d_long = far.distances[0].mean(axis=0)
half = d_long[long_steps // 2:]
print(f"d(T)/d(0) = {d_long[-1] / d_long[0]:.2f}; weight norm {w_norm[0]:.1f} -> "
      f"{w_norm[-1]:.1f}; final loss {run.loss[-1]:.3f}")
assert np.all(np.diff(run.loss) <= 0)
assert w_norm[-1] > 1.2 * w_norm[0], "the weights must move outwards"
assert np.mean(np.diff(half) < 0) < 0.05, "late in training the distance grows monotonically"
assert 1.0 < d_long[-1] / d_long[0] < 2.0, "and slowly: bounded, neutral growth"
late_t = np.arange(long_steps // 2, long_steps + 1)
power = np.polyfit(np.log(late_t), np.log(half), 1)[0]
print(f"late growth d ~ t^{power:.2f}")
assert 0 < power < 0.5, "sub-linear growth, far from exponential"

# %% [markdown]
# ## Which weights move, and which matter?
#
# If the trajectories drifted apart by a random walk along flat directions, some weights
# would travel a long path $D_w = \sum_t |w(t) - w(t-1)|$ while ending up close to where
# they started. Plotting each weight's path length against its net displacement
# $|w(T) - w(0)|$ tests this: a straight path lies on the diagonal, a random walk far
# above it.
#
# *Predict first:* on or far above the diagonal?

# %%
P = run.params[:, model.weight_mask]
net = np.abs(P[-1] - P[0])
path = nc.path_length(P)
plots.plot_displacement_vs_path(net, path, title="70 weights, 20,000 steps")

# %%
straightness = path / net
corr = np.corrcoef(np.log(net), np.log(path))[0, 1]
print(f"median path / displacement = {np.median(straightness):.3f}, "
      f"correlation of the logarithms = {corr:.3f}")
assert np.median(straightness) < 1.2 and corr > 0.9, "weights travel nearly straight"

# %% [markdown]
# The weights move ballistically: naive neutral drift is not what separates the
# trajectories. Which weights does the trained network need? Setting one weight at a time
# to zero and recording the change of the loss (`nc.ablation_importance`) gives the heat
# maps of Fig. 5:

# %%
importance = nc.ablation_importance(model, run.theta, X, y, scope="weights")
(W1_imp, _), (W2_imp, _) = model.unflatten(importance)
plots.plot_weight_heatmaps([W1_imp, W2_imp], titles=["$W_1$ (4 x 10)", "$W_2$ (10 x 3)"],
                           title=f"loss change when a weight is set to 0 (L = {run.loss[-1]:.3f})")

# %%
imp = np.sort(importance[model.weight_mask])[::-1]
top10 = imp[:10].sum() / imp[imp > 0].sum()
print(f"the 10 most important of 70 weights carry {100 * top10:.0f}% of the total loss increase")
assert top10 > 0.5, "a few weights carry most of the importance"

# %% [markdown]
# Most weights barely matter: the trained network sits in a region that is flat along many
# directions, where nearby trajectories can drift apart without paying any loss. Notebook 3
# looks at that flatness through the tangent map.
#
# **Takeaway.** At $\eta = 0.01$ the loss falls at every step, yet nearby trajectories do
# not converge to each other: the perturbation evolves linearly (the same $d(t)/d(0)$ for
# twelve decades of $\epsilon$) and grows slowly and sub-exponentially, as shear along a
# flat region — marginal stability, neither asymptotic stability nor chaos.
#
# ## Explore
#
# Pick a radius on the logarithmic slider (or another initial condition) and compare its
# $d(t)/d(0)$ with that of $\epsilon = 10^{-2}$ from the same initial condition and
# perturbation directions.

# %%
widgets.eps_explorer(model, data, eps=1e-8, lr=lr, steps=1000)

# %% [markdown]
# ## Try this
#
# - Is there *any* $\epsilon$ at which the curves start to differ? Try $10^{-2}$ against
#   larger radii by calling `widgets.view_eps(eps=0.3, reference_eps=1e-2)`.
# - Perturb all parameters instead of the weights only (`scope="all"` in
#   `nc.eps_sweep`). Does anything change?
# - Add L2 regularisation (`nc.MLP(..., l2=1e-3)`): the paper speculates that it gives the
#   trajectory a preferred direction in flat regions. Does the long-run distance still grow?
# - Repeat the displacement plot for $\eta = 1$: do the weights still travel straight?
#
# ## Notes for teachers
#
# - What each part shows: *Perturbation ensembles for five radii* — $d(t)$ rises, falls and
#   rises again while the loss falls monotonically, and $d(t)/d(0)$ is the same for twelve
#   decades of $\epsilon$ (linear dynamics of the perturbation). *Long runs* — over 20,000
#   steps the distance grows monotonically but slowly ($d(T)/d(0)$ below 2, late growth
#   like a small power of $t$) while the weight norm grows. *Which weights move* — the
#   weights travel nearly straight paths, and ten of 70 carry most of the loss increase
#   when ablated.
# - Run time: about 75 s on one core once the kernels are compiled (a fresh environment
#   adds a one-time Numba compilation of a few minutes); the slowest cells are the weight
#   ablation (about 40 s) and the first $\epsilon$ sweep (about 15 s).
# - Where the "predict first" prompts are answered: the collapse over $\epsilon$ by the
#   $d(t)/d(0)$ figure and the printed spread of $\ln d(t)/d(0)$ under it; the long-run
#   growth by the 20,000-step distance figure and the printed $d(T)/d(0)$ and power of $t$;
#   the straightness by the displacement figure and the printed median path/displacement.
# - Every "try this" prompt is answerable from this notebook by changing one argument of a
#   call above (`widgets.view_eps` after the explorer, `scope="all"` in `nc.eps_sweep`,
#   `l2=` in `nc.MLP`, `lr=1` in `nc.train` before the displacement plot).
# - Misconceptions addressed: "a monotonically decreasing loss means nearby trajectories
#   converge" (they do not: the distance is non-monotone and grows); "curves that do not
#   depend on $\epsilon$ show a lack of orbital stability" (they show linear dynamics of the
#   perturbation; the bounded, slow growth is marginal, neutral stability, neither
#   asymptotic stability nor chaos); and "slow separation must be a random walk along flat
#   directions" (the weights move ballistically). Whether the distance stays bounded
#   forever is beyond what a finite run can show; say so if students ask.
