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
# **Learning goal:** test whether a network trained for 4,000 steps behaves like a stable
# fixed point of the GD map, and explain what we see instead — perturbations that shrink
# by a few percent and then stay — with the eigenvalues of the tangent map of a state that
# is still drifting across a flat, weakly non-convex region of the loss.
#
# Linear stability theory says: near an attracting fixed point $\theta^*$ of a map, a small
# perturbation shrinks exponentially, $d(t) \sim e^{-\gamma t}$, with $\gamma$ set by the
# eigenvalue of the Jacobian closest to the unit circle. For gradient descent on a strongly
# convex loss this is the familiar linear convergence. Danovski, Soriano & Lacasa (2024,
# Sec. 3.2, Fig. 6) perturbed networks trained for 4,000 steps at $\eta = 0.01$ and found
# instead a sharp initial drop followed by a *very slow* decay. Here we reproduce that and
# then explain it with the tangent map $I - \eta H$ — keeping in mind that after 4,000
# steps the network is not yet at a minimum: its loss is still falling.

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
#
# *Predict first:* if the trained network sat at an attracting fixed point, what would
# $d(t)$ do over these 1,000 steps? (The panels below have linear distance axes: all the
# distances lie within a few tens of percent of each other, far less than a decade, and a
# logarithmic axis over such a range would show nothing more.)

# %%
ens = nc.perturbation_ensemble(model, data, lr, steps, eps, n_init=6, n_pert=5, seed=0,
                               start=start, record="all")
t = np.arange(steps + 1)
plots.plot_distance_panels(t, ens.distances[:4], ens.loss[:4], ncols=2, logy=True,
                           titles=[f"initial condition {i}, perturbed at t = {start}"
                                   for i in range(4)])

# %% [markdown]
# The loss (dashed) is still going down, but the distance barely moves: over 1,000 steps
# the mean distance (black) shrinks by a few percent, and single perturbations (grey) may
# even grow. Fitting $\ln d(t)$ by a straight line in $t$ (exponential decay) and in
# $\ln t$ (power law), for the initial condition with the median $d(T)/d(0)$. The left
# panel plots $d$ against $t$, the right one against $\log t$; both keep a *linear*
# distance axis, because $d$ varies by only about 2 % (printed in the right panel's title),
# and over so narrow a range $\ln d$ is $d$ up to a shift and a scale. So the exponential
# fit is close to a straight line in the left panel, the power law a straight line in the
# right one:

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
loss_drop = 1 - ens.loss[:, -1] / ens.loss[:, 0]
late = mean_d[:, -1] / mean_d[:, steps // 2]
print("loss drop over the 1,000 steps:", np.round(loss_drop, 3))
print("d(T)/d(T/2), the second half alone:", np.round(late, 3))
assert np.all((ratio > 0.9) & (ratio < 1.0)), "the mean distance drops by less than 10 %"
assert np.all(np.abs(late - 1) < 0.02), "and the second half is a plateau"
assert np.all(loss_drop > 0.01), "the loss is still falling: not at a fixed point"
assert np.all(np.abs(fl.exponent) < 1e-3), "no exponential divergence or convergence"

# %% [markdown]
# A drop of 1–6 % that levels off within 1,000 steps cannot tell an exponential from a
# power law: the fitted rates ($10^{-6}$–$10^{-5}$ per step, i.e. $10^5$ steps or more for
# a factor $e$) and the two $R^2$ describe this window, not an asymptotic law. In the
# figure neither fit follows the data: the exponential misses the fast drop of the first
# hundred steps altogether, and the power law, a straight line against $\log t$, runs
# through the drop but not along the plateau, where the data are flat (and turn slightly
# up at the end). What the data support is the shape: a fast initial drop, then a
# plateau. The loss falls by 3–18 % over the same steps, so the state itself is moving:
# we are watching a point drift, not a fixed point relax.
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
#
# *Predict first:* the distance drops by a few percent and then stays. How many of the 83
# directions would you expect to be nearly neutral ($|\eta h_i| < 10^{-3}$), and can a
# network whose loss is still falling have directions of negative curvature?

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
n_negative = (eigs < 0).sum(axis=1)
print(f"negative-curvature directions of {model.n_params}:", n_negative)
assert np.all(flat > 0.5), "most directions are flat"
assert np.all(stiff < 0.99), "a few stiff directions decay visibly within 1000 steps"
assert np.all(n_negative >= 10), "the loss is weakly non-convex here: not a minimum"

# %% [markdown]
# A handful of stiff directions ($\eta h_i$ of order $10^{-2}$–$10^{-1}$) decay within tens
# to hundreds of steps — the initial drop — while most eigenvalues are tiny: along those
# flat directions the perturbation is carried along almost unchanged. And 28–39 of the 83
# eigenvalues are *negative* (small in magnitude, $|h| \lesssim 0.05$): along them
# $|1 - \eta h| > 1$ and a perturbation grows, very slowly — the state is on a saddle-like,
# weakly non-convex slope, not at a minimum. Rates spread over many decades add up to a
# drop and a plateau. The linear prediction from the
# Hessian at the moment of the perturbation, against the Euclidean distances measured by
# the ensemble.
#
# *Predict first:* the state keeps drifting (the loss falls by several percent), so the
# Hessian changes during the 1,000 steps. Will the tangent map frozen at the perturbation
# still predict the measured distances — to within a per cent, within ten, or not at all?
# (Measured in grey, predicted dashed; $\log t$ against a linear distance axis, again
# because the distances span far less than a decade.)

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
# The frozen tangent map predicts the measured distances to within about half a percent
# over 1,000 steps (printed above; the check allows 5 %), including the perturbations that
# turn up at the end along negative-curvature directions. So, over this window, the
# trained network behaves like a *marginally* stable state: a few contracting directions
# and many neutral ones — the Jacobian has many eigenvalues at 1, as Danovski et al.
# conjectured — plus slightly expanding ones. It is not a stable fixed point: the loss is
# still falling, the Hessian has negative curvature, and the state drifts along a flat
# region. That is why "the loss has nearly converged" and "the trajectory is stable" are
# different statements.
#
# **Takeaway.** After 4,000 steps at $\eta = 0.01$ a perturbation shrinks by a few percent
# and then stays: the state drifts across a flat, weakly non-convex region where nearly
# every direction of the tangent map is neutral. A 1,000-step window cannot decide between
# an exponential and a power-law decay.
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
# - Add L2 regularisation (`nc.MLP(..., l2=1e-3)`): the penalty acts on the weights only,
#   so $H$ becomes $H + 10^{-3} P_w$ ($P_w$ the projection on the weight entries) and each
#   eigenvalue moves up by between 0 and $10^{-3}$. Compute the new eigenvalues with
#   `model.hessian` — how many stay negative? — and compare the linearised prediction with
#   the measured decay.
# - The prediction freezes $H$ at the perturbation. For how many steps does it stay
#   accurate at $\eta = 1$?
#
# ## Notes for teachers
#
# - What each part shows: *Perturb after 4,000 steps* — the distances of 5 perturbed copies
#   of 6 trained networks over 1,000 more steps: a drop of a few percent, then a plateau,
#   while the loss keeps falling; exponential and power-law fits to one of them. *The
#   tangent map at a trained network* — the eigenvalues $\eta h_i$: a few stiff directions,
#   most of them flat, and tens of small negative ones. The linearised prediction from the
#   Hessian at the perturbation against the measured Euclidean distances.
# - Run time: about 30 s on one core once the kernels are compiled (a fresh environment
#   adds a one-time Numba compilation of a few minutes); the slowest cell computes the six
#   83 × 83 Hessians (about 20 s).
# - Where the "predict first" prompts are answered: the fixed-point question by the
#   distance panels and the lines printed under the decay fits ($d(T)/d(0)$, the second
#   half alone, the loss drop); the eigenvalue question by the eigenvalue figure and the
#   printed flat fractions and counts of negative-curvature directions; the frozen-map
#   question by the prediction figure and the printed largest relative difference.
# - Every "try this" prompt is answerable from this notebook: the first from the explorer,
#   the others by changing one argument of a cell above (`lr=` in
#   `nc.perturbation_ensemble`, `l2=` in `nc.MLP` with `model.hessian` and
#   `protocols.linearised_distance`, `lr=1` for the last).
# - Misconceptions addressed: "a trained network sits at a stable fixed point" (its loss is
#   still falling and the Hessian has negative curvature: a point drifting across a flat,
#   weakly non-convex region); "the minimum is flat, so perturbations decay" (most
#   directions are neutral, and they carry a perturbation along unchanged); "a good $R^2$
#   decides between an exponential and a power law" (not over a drop of a few percent in a
#   1,000-step window); and "L2 regularisation shifts every eigenvalue by $l_2$" (it acts on
#   the weights only: each eigenvalue moves by between 0 and $l_2$).
