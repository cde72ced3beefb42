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
# # 7. Tangent dynamics: the whole Lyapunov spectrum of training
#
# **Learning goal:** go from one exponent to all of them — the Lyapunov spectrum of the GD
# map from its exact tangent map, finite-time exponents, covariant Lyapunov vectors — and
# use them: do exponents measured early in training predict where training ends, and do
# they agree with the perturbation ensembles of notebook 4?
#
# The perturbation ensembles of notebooks 2-6 follow finite perturbations. The tangent map
# $J(\theta) = I - \eta H(\theta)$ describes infinitesimal ones exactly, in every direction
# at once. Sharafi, Martin & Hallerberg (*Weight dynamics of learning networks*, Phys.
# Rev. E 111, 054208 (2025)) derived this tangent operator for three-layer networks
# learning regression tasks and report that finite-time Lyapunov exponents (FTLEs)
# monitored during training predict the final training loss; below that claim is tested
# the way it is stated. netchaos computes $J V$ with exact Hessian-vector products, so
# the QR method of notebook 1 runs on the network directly.

# %%
# %matplotlib inline
import numpy as np

import netchaos as nc
from netchaos import plots, protocols, widgets

data = nc.datasets.iris(seed=0)
model = nc.MLP([4, 10, 3], activation="sigmoid", loss="cross_entropy")
X, y = data.X_train, data.y_train
lr, steps = 1.0, 300
theta0 = model.init(seed=0)

# %% [markdown]
# ## The spectrum
#
# All 83 exponents at the edge of stability, $\eta = 1$, over 300 steps. The left panel
# shows the spectrum in descending order; the right one the running finite-time values of
# the five leading exponents, $\lambda_i(t)$ = average over the first $t$ steps.

# %%
spec = nc.lyapunov_spectrum(model, data, theta0, lr, steps=steps, seed=0)
lam = spec.exponents
print(spec)
print(f"lambda_1 = {lam.max():.3f}; {spec.n_positive} of {lam.size} positive; "
      f"sum = {lam.sum():.3f}; Kaplan-Yorke dimension {spec.kaplan_yorke_dimension:.1f}")
plots.plot_spectrum(spec, title=f"GD map, Iris 4-10-3, $\\eta$ = {lr:g}, {steps} steps")

# %% [markdown]
# A third of the exponents are positive — the trajectory stretches many directions — but
# most are tiny: the flat directions of notebooks 2-3. The sum is negative, so volumes in
# parameter space shrink on average.
#
# The sum of all exponents has a closed form: the volume of a parallelepiped is multiplied
# by $|\det J|$ at each step, so
#
# $$\sum_i \lambda_i = \frac1T \sum_{t=0}^{T-1} \ln \left| \det (I - \eta H(\theta(t))) \right| .$$
#
# The right-hand side needs only the Hessians along the trajectory — an independent check
# of the whole QR computation:

# %%
path = nc.train(model, data, theta0, lr, steps, record="params").params
log_det = np.mean([np.linalg.slogdet(np.eye(model.n_params) - lr * model.hessian(th, X, y))[1]
                   for th in path[:-1]])
print(f"sum of exponents {lam.sum():.10f}, mean ln|det(I - lr H)| {log_det:.10f}")
assert abs(lam.sum() - log_det) < 1e-8 * abs(log_det)
assert lam.max() > 0.05 and lam.sum() < 0

# %% [markdown]
# ## Covariant Lyapunov vectors
#
# The QR vectors are orthogonal by construction; the directions that actually grow at the
# rates $\lambda_i$ are not. The *covariant* Lyapunov vectors $v_i(t)$ (Ginelli's
# forward-backward method) are carried into each other by the tangent map,
# $J v_i(t) \propto v_i(t+1)$, and can come close to one another: near-tangencies between
# expanding and contracting directions. The orthonormal vectors must first converge to
# the backward Lyapunov vectors during a forward transient (500 steps by default, checked
# from two random starts: `clv.forward_error`, and a warning when it has not converged).
# Only the two leading vectors converge here: the next exponents of this map are nearly
# degenerate (many close to 0), and their vectors are not unique.

# %%
clv = nc.covariant_vectors(model, data, theta0, lr, steps=100, k=2, n_backward=100, seed=0)
print("forward transient converged to", clv.forward_error)
angle = np.degrees(clv.angles(0, 1))
plots.plot_clv(clv, title="angle between $v_1$ and $v_2$, $\\eta$ = 1")

# %%
print(f"angle(v1, v2): min {angle.min():.1f} deg, mean {angle.mean():.1f} deg")
print("QR exponents over the window:", np.round(clv.exponents, 3))
print("time-averaged CLV growth rates:", np.round(clv.clv_exponents, 3))
assert abs(clv.clv_exponents[0] - clv.exponents[0]) < 1e-6, "v1 grows at lambda_1"
assert angle.min() < 45, "covariant vectors are not orthogonal"

# %% [markdown]
# ## Do early FTLEs predict the final loss level?
#
# The target is which loss level a run ends in, so the setting needs several: a narrow
# 1-4-1 ReLU network learning $y = \sin(2\pi x)$ on 64 points, whose hidden units die in
# some runs, ends (converged) in a few distinct loss levels. For 100 initial conditions
# `nc.ftle_vs_final_loss` records the whole FTLE spectrum (all 13 exponents, step by step)
# over the first 50 steps and the loss after 4,000 steps; a run is "high" when its final
# loss lies above the widest gap between the levels (`protocols.loss_gap_threshold`).

# %%
X = np.linspace(-1, 1, 64)[:, None]
task = (X, np.sin(2 * np.pi * X[:, 0]))
net = nc.MLP([1, 4, 1], activation="relu", loss="mse")
res = nc.ftle_vs_final_loss(net, task, lr=0.1, n_init=100, t_early=50, t_final=4000,
                            k=net.n_params, seed=0)
print(f"{res.high_loss.sum()} of 100 runs above {res.loss_threshold:.3f} (a gap of "
      f"{res.gap:.2f} decades); final losses: {np.round(np.unique(res.final_loss.round(3)), 3)}")
plots.plot_ftle_vs_loss(res, title="relu 1-4-1: largest FTLE over 50 steps")

# %% [markdown]
# Each feature — the largest FTLE, the sum of the positive ones and the sum of all, over
# the first 6, 12, 25 and 50 steps — is scored by its ROC AUC with a bootstrap interval
# (0.5: no information), always beside trivial predictors that cost nothing: the loss at
# step 50, the loss at step 0, the initial weight norm. What the FTLEs *add* is measured by
# cross-validated logistic regression on the trivial predictors with and without them.

# %%
pred = protocols.loss_level_prediction(res, net, n_boot=500, n_repeats=5, seed=0)
for name, v in pred["auc"].items():
    print(f"{name:18s} AUC {v['auc']:.2f}  [{v['ci'][0]:.2f}, {v['ci'][1]:.2f}]")
cv = pred["cv"]
print(f"cross-validated AUC: trivial {cv['trivial']:.2f}, FTLEs alone {cv['ftle']:.2f}, "
      f"both {cv['both']:.2f}; gain {cv['gain']:+.3f} +- {cv['gain_std']:.3f}")
assert res.gap > 0.03 and 10 <= res.high_loss.sum() <= 90, "two loss levels to predict"

# %% [markdown]
# What comes out (seed 0): the FTLEs carry some information about the final level (AUCs
# above 0.5, strongest for the sum of all exponents, the volume contraction of the tangent
# map: 0.65), but the loss at the same early step predicts it better (0.76), and adding
# the FTLEs to the trivial predictors leaves the cross-validated AUC where it was (0.82;
# `netchaos reproduce tangent` runs the same test on 200 initial conditions: a gain of
# about 0.02). Early FTLEs *are* informative; here they are not more informative than
# watching the loss.
#
# ## Agreement with the ensemble estimate
#
# Two roads to the same exponent: the finite-$\epsilon$ perturbation ensemble of
# notebook 4, and a tangent vector carried by the exact tangent map. For 30 initial
# conditions at $\eta = 1$, the tangent vector's growth $\epsilon\, e^{\sum_t
# \lambda_1^{loc}(t)}$ is fitted by the same estimator over the same window as the ensemble
# distances (up to the ensemble's saturation step).

# %%
ens = nc.perturbation_ensemble(model, data, lr, 200, 1e-8, n_init=30, n_pert=5, seed=3)
fl_ens = nc.finite_lyapunov(ens)
growth = protocols.tangent_growth(model, data, ens.theta_init, lr, 200, 1e-8,
                                  seeds=range(ens.n_init))
fl_tan = nc.finite_lyapunov(growth, saturation=fl_ens.saturation_step, layout="init,t")
agreement = protocols.exponent_agreement(fl_ens, fl_tan)
both = agreement["both"]
a, b = fl_ens.exponent[both], fl_tan.exponent[both]
plots.plot_agreement(a, b, xlabel="ensemble exponent ($\\epsilon = 10^{-8}$)",
                     ylabel="tangent-map exponent", title=f"{both.sum()} initial conditions")

# %%
corr, rel = agreement["correlation"], agreement["median_relative_difference"]
print(f"{both.sum()} initial conditions: mean {a.mean():.3f} (ensemble) vs {b.mean():.3f} "
      f"(tangent); correlation {corr:.2f}; median relative difference {100 * rel:.1f}%")
assert both.sum() >= 15 and corr > 0.7 and rel < 0.15, "the two estimates must agree"

# %% [markdown]
# At $\epsilon = 10^{-8}$ the perturbations stay in the linear regime until the distance
# saturates, so the ensemble and the tangent map measure the same exponent — the network
# Lyapunov exponent of notebook 4 is a genuine property of the GD map.
#
# ## Explore
#
# The leading exponents and their running values for any learning rate (logarithmic
# slider), regime preset or initial condition.

# %%
widgets.spectrum_explorer(model, data, lr=lr, steps=200, k=5)

# %% [markdown]
# ## Try this
#
# - Slide $\eta$ from 0.01 to 10 in the explorer: where does $\lambda_1$ become clearly
#   positive? Compare with the onset found in notebook 6 on digits.
# - Repeat the FTLE experiment with a 1-5-1 sigmoid network, or wider ReLU networks
#   (`[1, 8, 1]`): are there still several loss levels, and do the FTLEs add anything
#   beyond the early loss?
# - Use `windows=[5, 10]` in `protocols.loss_level_prediction`: how early does the
#   information appear?
# - Increase $\epsilon$ in the agreement experiment to $10^{-3}$: when do the two
#   estimates part ways, and why?
