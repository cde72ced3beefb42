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
# All 83 exponents at the edge of stability, $\eta = 1$, over the first 300 steps of
# training. Recall what sets them: along an eigenvector of $H$ with eigenvalue $h$ one
# step multiplies a perturbation by $1 - \eta h$, and on a quadratic loss $\eta h = 2$ is
# where that multiplier crosses $-1$ — the flip (period-doubling) bifurcation of the GD
# fixed point (notebooks 1 and 4).
#
# Three hundred steps of a run that is still learning are a *transient*, not an
# attractor, so every number below is a finite-time exponent over this window. Over
# $T$ steps an exponent is resolved from 0 only when it clears two limits:
# `spec.resolved()` asks for $|\lambda_i| > 2$ batch-means standard errors (10 batches of
# 30 steps: how much the rate changes from one stretch of the run to the next) *and*
# $|\lambda_i| > \ln(n) / 2T$, the shift that a random start vector's overlap of about
# $1/\sqrt{n}$ with any direction leaves in an average over $T$ steps
# ($\ln 83 / 600 = 0.0074$ here).
#
# *Predict first:* the count of positive exponents is a popular summary. How many of the
# 83 will be positive — and how many of those can 300 steps tell from zero?

# %%
spec = nc.lyapunov_spectrum(model, data, theta0, lr, steps=steps, seed=0)
lam, se, ok = spec.exponents, spec.standard_errors(), spec.resolved()
floor = np.log(model.n_params) / (2 * steps)
print(spec)
print(f"lambda_1 = {lam[0]:.3f} +- {se[0]:.3f} per step ({lam[0] / se[0]:.1f} standard errors); "
      f"sum = {lam.sum():.3f} per step")
print(f"{np.sum(lam > 0)} of {lam.size} exponents are positive, but only "
      f"{np.sum(ok & (lam > 0))} are resolved positive ({np.round(lam[ok & (lam > 0)], 3)}), "
      f"{np.sum(ok & (lam < 0))} resolved negative; {np.sum(~ok)} cannot be told from 0 "
      f"(ln(n)/2T = {floor:.4f})")
print("lambda_1 over 30-step batches:",
      np.round(spec.local[:, 0].reshape(10, 30).mean(axis=1), 3))
plots.plot_spectrum(spec, title=f"GD map, Iris 4-10-3, $\\eta$ = {lr:g}, {steps} steps")

# %% [markdown]
# The spectrum axis is symmetric-logarithmic: linear inside the grey band
# $|\lambda| < \ln(n)/2T$, logarithmic outside, so that the 73 unresolved exponents near 0
# and the strongly contracting ones ($-1.18$ per step) are both visible. 31 of the 83
# finite-time values are positive, but that count says little: 73 of the 83 are below
# what this run resolves. Two exponents are resolved positive, $\lambda_1 \approx 0.10$
# and $\approx 0.017$ — and $\lambda_1$ only just: its growth comes in bursts (the 30-step
# batches above range from 0 to 0.41 per step; the running value on the right jumps after
# step 110), so its standard error is almost half of it. Eight are resolved negative.
#
# No Kaplan-Yorke (Lyapunov) dimension is quoted here. It estimates the dimension of an
# *attractor* from its asymptotic spectrum, by adding exponents until the sum turns
# negative; this transient has no attractor yet, and the sum would be decided by the 73
# unresolved exponents, whose signs are noise (`spec.kaplan_yorke_dimension` would return
# 79.4, a number about the noise, not a dimension).
#
# The sum of all exponents is negative and needs no resolution argument: it has a closed
# form. The volume of a parallelepiped is multiplied by $|\det J|$ at each step, so
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
assert lam.sum() < 0, "volumes in parameter space contract over the window"
assert np.sum(ok & (lam > 0)) == 2 and np.sum(ok & (lam < 0)) == 8, "2 + 8 resolved"
assert np.sum(lam > 0) > 20, "the naive count of positive values is dominated by noise"
assert 2 < lam[0] / se[0] < 3, "lambda_1 is resolved, but by fewer than 3 standard errors"

# %% [markdown]
# ## Covariant Lyapunov vectors
#
# The QR vectors are orthogonal by construction; the directions that actually grow at the
# rates $\lambda_i$ are not. The *covariant* Lyapunov vectors $v_i(t)$ (Ginelli's
# forward-backward method) are carried into each other by the tangent map,
# $J v_i(t) \propto v_i(t+1)$. In a hyperbolic system the expanding directions stay away
# from the contracting ones; where an expanding vector comes close to the *contracting
# subspace* — the span of the vectors with negative exponents — the two nearly touch (a
# near-tangency), and perturbations can be transferred between them.
#
# All 83 vectors are needed to span that subspace. The window is steps 500-600 (after the
# default forward transient of 500 steps, during which the orthonormal vectors converge,
# checked from two random starts: `clv.forward_error`). Only the spans of $v_1$ and of
# $v_1, v_2$ converge; the many near-zero exponents are nearly degenerate, and their
# individual vectors are not unique (the warning saying so is silenced below). The
# contracting subspace is spanned by the vectors whose exponents over the window are
# resolved negative, below $-\ln(n)/2T$ for this 100-step window.
#
# *Predict first:* at the edge of stability, does the expanding direction $v_1$ come close
# to the contracting subspace?

# %%
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", RuntimeWarning)     # the degenerate bulk never converges
    clv = nc.covariant_vectors(model, data, theta0, lr, steps=100, n_backward=100, seed=0)
floor_w = np.log(model.n_params) / (2 * clv.steps)
contracting = np.flatnonzero(clv.exponents < -floor_w)
to_stable = clv.angle_to_span(0, contracting)
print(f"window: steps {clv.times[0]}-{clv.times[-1]}; forward error of the spans of v1 and "
      f"v1, v2: {np.round(clv.forward_error[:2], 6)}, of v1..v3: {clv.forward_error[2]:.2f}")
print("QR exponents over the window, first four:", np.round(clv.exponents[:4], 3),
      "last three:", np.round(clv.exponents[-3:], 3))
print(f"contracting subspace: vectors {contracting + 1} (exponent < -{floor_w:.3f})")
plots.plot_clv(clv, angles=to_stable, label="($v_1$, contracting subspace)",
               title="$v_1$ against the contracting subspace, $\\eta$ = 1")

# %%
deg, v12 = np.degrees(to_stable), np.degrees(clv.angles(0, 1))
print(f"angle(v1, contracting subspace): min {deg.min():.1f} deg, mean {deg.mean():.1f} deg")
print(f"angle(v1, v2): min {v12.min():.1f} deg, mean {v12.mean():.1f} deg "
      f"(v2 expands too: lambda_2 = {clv.exponents[1]:.3f} over the window)")
# covariance, checked independently of the backward pass: J(theta(t)) v_j(t) || v_j(t+1)
theta_w = nc.train(model, data, theta0, lr, int(clv.times[-1]), record="params").params
cos = np.array([[abs(Jv @ clv.vectors[i + 1, :, j]) / np.linalg.norm(Jv)
                 for j in (0, model.n_params - 1)
                 for Jv in [model.jvp_map(theta_w[t], clv.vectors[i, :, j], X, y, lr)]]
                for i, t in enumerate(clv.times[:-1])])
print(f"|cos(J v(t), v(t+1))| for v1 and v83: min {cos.min():.12f}")
assert cos.min() > 1 - 1e-8, "the vectors are covariant: J carries v_j(t) onto v_j(t+1)"
assert contracting.size >= 1 and deg.min() > 10, "v1 keeps away from the contracting subspace"
assert v12.min() < 10 and clv.exponents[1] > floor_w, "v1, v2 close, but both expanding"

# %% [markdown]
# Over this window $v_1$ keeps at least 24.6 degrees from the contracting subspace (spanned by
# the two vectors with resolved negative exponents, $-0.14$ and $-0.75$ per step): no
# near-tangency between expanding and contracting directions here. The angle between $v_1$
# and $v_2$ does drop to a few degrees — but $v_2$ is expanding too over this window, so
# that is two unstable directions lining up, not a loss of hyperbolicity. Note also
# $\lambda_1 \approx 0.35$ over steps 500-600 against 0.10 over steps 0-300: finite-time
# exponents of a transient depend on the window (notebook 4, "Which exponent").
#
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
#
# *Predict first:* which will predict the final level better — the FTLEs of the first 50
# steps, or simply the loss at step 50?

# %%
pred = protocols.loss_level_prediction(res, net, n_boot=500, n_repeats=5, seed=0)
for name, v in pred["auc"].items():
    print(f"{name:18s} AUC {v['auc']:.2f}  [{v['ci'][0]:.2f}, {v['ci'][1]:.2f}]")
cv = pred["cv"]
print(f"cross-validated AUC: trivial {cv['trivial']:.2f}, FTLEs alone {cv['ftle']:.2f}, "
      f"both {cv['both']:.2f}; gain {cv['gain']:+.3f} +- {cv['gain_std']:.3f}")
assert res.gap > 0.03 and 10 <= res.high_loss.sum() <= 90, "two loss levels to predict"
ftle_auc = max(v["auc"] for k, v in pred["auc"].items() if k.startswith(("lambda1", "sum")))
assert 0.5 < ftle_auc < pred["auc"]["log_loss_early"]["auc"], "informative, less than the loss"
assert abs(cv["gain"]) < 2 * cv["gain_std"], "no cross-validated gain over the trivial ones"

# %% [markdown]
# What comes out (seed 0): the FTLEs carry some information about the final level (most
# AUCs above 0.5, up to 0.72 for $\lambda_1$ and for the sum of the positive exponents over
# the first 12 steps; the sum of all exponents over 6 steps, 0.48, carries none), but the
# loss at step 50 predicts it better (0.76), and adding the FTLEs to the trivial predictors
# leaves the cross-validated AUC where it was (0.82 and 0.82, a gain of $-0.000 \pm 0.059$;
# `netchaos reproduce tangent` runs the same test on 200 initial conditions). Early FTLEs
# *are* informative; here they are not more informative than watching the loss.
#
# ## Agreement with the ensemble estimate
#
# Two roads to the same exponent: the finite-$\epsilon$ perturbation ensemble of
# notebook 4, and a tangent vector carried by the exact tangent map. For 30 initial
# conditions at $\eta = 1$, the tangent vector's growth $\epsilon\, e^{\sum_t
# \lambda_1^{loc}(t)}$ is fitted by the same estimator over the same window as the ensemble
# distances (up to the ensemble's saturation step).
#
# *Predict first:* the ensemble follows finite perturbations of size $10^{-8}$, the tangent
# map infinitesimal ones. Should the two exponents agree initial condition by initial
# condition, or only on average?

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
# saturates, so the ensemble and the tangent map measure the same finite-time exponent over
# the same window, initial condition by initial condition. That validates the ensemble
# method: its exponent is the growth rate of the tangent map, not an artefact of finite
# $\epsilon$ or of the fit. It does not make the number an asymptotic property of the GD
# map: over another window of this transient both roads give another value (0.10 over
# steps 0-300 and 0.35 over steps 500-600 above; notebook 4, "Which exponent").
#
# **Takeaway.** The tangent map gives all 83 finite-time exponents at once, but over a
# 300-step transient only 2 are resolved positive and 8 negative; count only those, quote
# each with its window, and leave the Kaplan-Yorke dimension to attractors. The volume
# contraction (the sum) is exact. The expanding covariant vector keeps well away from the
# contracting subspace over steps 500-600. Early FTLEs carry information about where
# training ends, but no more than the early loss. Ensemble and tangent map agree, which
# validates the ensemble estimate of notebook 4.
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
# - Compute `nc.lyapunov_spectrum(model, data, theta0, lr, steps=1000, seed=0)` and call
#   `.resolved()`: do more exponents become resolved with four times the steps, and do
#   $\lambda_1$ and its standard error settle?
# - Compute the angle between $v_1$ and the contracting subspace with *all* vectors of
#   negative exponent, `np.flatnonzero(clv.exponents < 0)`, unresolved ones included. Why
#   does the answer change, and which subspace is meaningful?
# - Repeat the FTLE experiment with a 1-5-1 sigmoid network, or wider ReLU networks
#   (`[1, 8, 1]`): are there still several loss levels, and do the FTLEs add anything
#   beyond the early loss?
# - Use `windows=[5, 10]` in `protocols.loss_level_prediction`: how early does the
#   information appear?
# - Increase $\epsilon$ in the agreement experiment to $10^{-3}$: when do the two
#   estimates part ways, and why?
#
# ## Notes for teachers
#
# - Run time about 2 minutes on a laptop core; the slowest cells are the 83 covariant
#   vectors (about 30 s) and the FTLE experiment.
# - Every "try this" prompt is answerable with the functions used in this notebook and a
#   few minutes of compute; none needs results from outside it.
# - The point to insist on: a finite-time exponent of a transient is a statistic of a
#   window. `SpectrumResult.resolved` (2 batch-means standard errors and $\ln(n)/2T$) is one
#   defensible criterion, not the only one; let students vary `z` and `n_batches` and see
#   which counts are robust (the 8 strongly contracting exponents are; $\lambda_1$ at about
#   2 standard errors is marginal).
# - The asserts pin the printed claims (2 + 8 resolved exponents, the determinant identity to
#   $10^{-8}$, covariance of the vectors to $10^{-8}$, $v_1$ more than 10 degrees from the
#   contracting subspace); if a change of the package moves a number, the notebook fails
#   instead of silently teaching a different result.
