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
# $2/\eta$ — the flip (period-doubling) bifurcation of the GD fixed point on a quadratic,
# beyond which GD there would diverge — and hovers around it while the loss keeps
# decreasing non-monotonically. Danovski, Soriano & Lacasa (2024, Sec. 4.1, Figs.
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
# $\ln \langle d(t) \rangle$ saturates (the distance has reached the size of the region the trajectories explore)
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
#
# *Predict first:* the paper keeps a fit when $R^2 > 0.9$ and $\Lambda > 0.05$. Will the
# mean over *all* 100 fits, kept or not, be higher or lower than $\lambda_{nMLE}$ — and
# could it be negative?

# %%
mle = nc.network_mle(fl, seed=0)
print(mle)
plots.plot_exponent_histogram(mle, bins=25,
                              title=f"P($\\Lambda$), $\\eta$ = {lr:g}, $\\epsilon$ = {eps:g}, "
                                    f"{mle.n} initial conditions")

# %%
from scipy.stats import gaussian_kde

kept = mle.exponents[mle.kept]
all_fits = np.nanmean(fl.exponent)
print(f"lambda_nMLE = {mle.exponent:.3f} (95% CI {mle.ci[0]:.3f}-{mle.ci[1]:.3f}), "
      f"kept {100 * mle.kept_fraction:.0f}% of the fits; published: 0.33 and about 90%")
print(f"mean of all {np.isfinite(fl.exponent).sum()} fits, kept or not: {all_fits:.3f}")
# modes of P(Lambda): local maxima of a Gaussian kernel density estimate (Scott's
# bandwidth) higher than a tenth of the highest one
grid = np.linspace(kept.min(), kept.max(), 400)
dens = gaussian_kde(kept)(grid)
modes = grid[1:-1][(dens[1:-1] > dens[:-2]) & (dens[1:-1] >= dens[2:])
                   & (dens[1:-1] > 0.1 * dens.max())]
print("modes of P(Lambda) among the kept fits:", np.round(modes, 3))
assert 0.2 < mle.exponent < 0.45, "lambda_nMLE must be positive and near the published 0.33"
assert 0.6 <= mle.kept_fraction <= 1.0, "most initial conditions diverge exponentially"
assert 0 < all_fits < mle.exponent, "the filter raises the mean, but all fits are positive"
assert len(modes) == 1, "P(Lambda) is unimodal"

# %% [markdown]
# Mind what the filter does: $\lambda_{nMLE}$ averages only the fits with $R^2 > 0.9$ and
# $\Lambda > 0.05$, so it is positive by construction. The mean over *all* fits, printed
# beside it, is lower but still clearly positive — that, not the filtered mean, is the
# evidence that nearby trajectories separate. The kernel density of the kept fits has a
# single mode: $P(\Lambda)$ is unimodal, as published.
#
# ## Does $\lambda_{nMLE}$ depend on $\epsilon$?
#
# A Lyapunov exponent is a property of the map, not of the perturbation: for small enough
# $\epsilon$ the estimate must not depend on it. `nc.eps_sweep` reuses the same initial
# conditions and perturbation directions for every radius.
#
# *Predict first:* a smaller $\epsilon$ leaves more room before saturation. Should the
# estimate then rise, fall or stay?

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
assert sweep.mle[0] > sweep.mle[4], "and it drifts down from eps = 1e-14 to 1e-6"

# %% [markdown]
# The estimates for $\epsilon = 10^{-14}$ to $10^{-10}$ agree within the printed spread,
# but they are not flat: they drift down steadily from $10^{-14}$ to $10^{-6}$ (read the
# printed values). The reason is that the distance starting from a smaller $\epsilon$
# saturates *later*, so its fit window sits at a different stretch of the run — and the run
# is a transient (the loss is still falling, the sharpness still settling), whose local
# growth rate changes along the way. At large radii the distance saturates after only a
# few steps, the exponential phase is short, fewer fits pass the filter (lower panel) and
# the estimate drops.
#
# ## Sharpness against $2/\eta$
#
# Why does the trajectory become unstable? Along the eigenvector of the top Hessian
# eigenvalue $h_{\max}$ the tangent map multiplies perturbations by $1 - \eta h_{\max}$,
# whose modulus exceeds 1 when $h_{\max} > 2/\eta$. `nc.sharpness_series` follows
# $h_{\max}$ (Lanczos on exact Hessian-vector products) along the reference trajectories,
# at every step.
#
# *Predict first:* does the sharpness start below $2/\eta = 2$ and rise to it (progressive
# sharpening), or start above it? And once there, does it sit at $2/\eta$ smoothly or
# jump from one step to the next?

# %%
series = [nc.sharpness_series(model, data, ens.theta_init[i], lr, steps, every=1, seed=0)
          for i in range(6)]
ss = series[0]
plots.plot_sharpness(ss, title="initial condition 0: sharpness and loss")

# %%
start_ratio = np.array([s.top[0] for s in series]) / ss.threshold
second = [s.top[s.t >= steps // 2] for s in series]
late = np.array([np.median(h) for h in second])
lag1 = np.array([np.corrcoef(h[:-1] - np.median(h), h[1:] - np.median(h))[0, 1]
                 for h in second])
print(f"2/lr = {ss.threshold:g}; h_max(0) / (2/lr) per initial condition: "
      f"{np.round(start_ratio, 2)}")
print(f"median sharpness over the second half: {np.round(late, 2)} "
      f"(range {min(h.min() for h in second):.2f}-{max(h.max() for h in second):.2f})")
print(f"lag-1 autocorrelation of the sharpness over the second half: {np.round(lag1, 2)}")
assert all(s.first_crossing >= 0 for s in series), "the sharpness reaches 2/lr"
assert np.any(start_ratio > 1) and np.any(start_ratio < 1), "both kinds of start occur"
assert np.all((late > 0.5 * ss.threshold) & (late < 1.1 * ss.threshold)), \
    "the second-half medians sit at or below 2/lr"
assert np.all(lag1 < 0), "step-to-step oscillation: successive values anticorrelated"

# %% [markdown]
# Two ways in. Some initial conditions start *below* $2/\eta$ and the sharpness rises
# across it (progressive sharpening, here within a step or two); most start *above* it —
# at $\eta = 1$ the Gaussian initialisation is already sharper than $2/\eta$ — and the
# first steps throw the trajectory out of the sharp region with a loss spike (a
# "catapult" start) before the sharpness comes down. Either way it does not run away: over
# the second half its medians lie between about $0.65$ and $1$ times $2/\eta$, with
# excursions from a quarter of it to over three times it. Sampled at every step (sampling
# every other step would hide it), the sharpness oscillates from one step to the next:
# successive values are anticorrelated, the period-2 flip of a map near its
# period-doubling threshold $\eta h = 2$. The loss decreases on average meanwhile — the
# edge of stability. Directions with $|1 - \eta h| > 1$ stretch perturbations at every
# visit: the exponential separation measured above.
#
# ## Which exponent is "the" exponent?
#
# Across these notebooks you meet several numbers for "the" Lyapunov exponent of this one
# system: 0.33 (the paper, 500 initial conditions), $\lambda_{nMLE}$ here with free
# windows, with windows that end at saturation, the mean of all fits, the tangent-map
# $\lambda_1$ of notebook 7, the Kantz estimate of notebook 5. They differ because each is
# a *finite-time* exponent: an average growth rate over a particular window of a
# *transient* — the loss falls, the sharpness settles, and training would eventually
# stop at a minimum or wander on — not the asymptotic exponent of an attractor, which this
# run does not have. The same initial condition, measured over different windows.
#
# *Predict first:* the tangent map gives the exponent of initial condition 0 over steps
# 0-50 and over steps 50-200. If "the" exponent were a property of the GD map, how close
# should the two be?

# %%
fl_sat = nc.finite_lyapunov(ens, lengths=None)              # windows ending at saturation
mle_sat = nc.network_mle(fl_sat, seed=0)
theta_50 = nc.train(model, data, ens.theta_init[0], lr, 50, record="final").theta
windows = {"tangent map, steps 0-50": (ens.theta_init[0], 50),
           "tangent map, steps 50-200": (theta_50, 150),
           "tangent map, steps 0-200": (ens.theta_init[0], 200)}
lam1 = {name: nc.lyapunov_spectrum(model, data, th, lr=lr, steps=n, k=1, seed=0).exponents[0]
        for name, (th, n) in windows.items()}
print(f"ensemble, free windows, kept fits:      {mle.exponent:.3f}")
print(f"ensemble, free windows, all fits:       {all_fits:.3f}")
print(f"ensemble, windows ending at saturation: {mle_sat.exponent:.3f}")
for name, v in lam1.items():
    print(f"initial condition 0, {name + ':':<27} {v:.3f}")
values = [mle.exponent, all_fits, mle_sat.exponent, *lam1.values()]
assert min(values) > 0.05, "every estimate says: nearby trajectories separate"
assert max(values) / min(values) > 1.2, "and they differ by more than their noise"

# %% [markdown]
# Every estimate is positive — the qualitative statement "nearby trajectories separate
# exponentially at $\eta = 1$" is robust — but the number depends on the window, the
# averaging and the filter. Quote a finite-time exponent with its window and method, and
# compare numbers only when those match.
#
# **Takeaway.** At $\eta = 1$ perturbations grow exponentially over a transient of about
# a hundred steps while the sharpness hovers at or below $2/\eta$, flipping from step to
# step; the exponent is a finite-time, window-dependent quantity, positive however it is
# measured.
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
#
# ## Notes for teachers
#
# - What each part shows: *The exponential phase* — $\ln \langle d(t) \rangle$ grows along
#   a straight line for several decades before saturating, with the fitted window drawn.
#   *$P(\Lambda)$* — the distribution over 100 initial conditions, $\lambda_{nMLE}$ of the
#   kept fits beside the mean of all fits, and a unimodality check by the modes of a kernel
#   density. *$\epsilon$ dependence* — the estimate for seven radii, drifting down from
#   $10^{-14}$ to $10^{-6}$ and dropping at $10^{-2}$. *Sharpness* — $h_{\max}$ at every
#   step against $2/\eta$: the two ways in (catapult start above $2/\eta$, or a rise across
#   it) and the step-to-step flip. *Which exponent* — six estimates of one system that
#   differ by more than their noise.
# - Run time: about 25 s on one core once the kernels are compiled (a fresh environment
#   adds a one-time Numba compilation of a few minutes); the slowest cell is the sharpness
#   series (six runs, a Lanczos estimate at every step, about 10 s).
# - Where the "predict first" prompts are answered: the filter by the lines printed under
#   the histogram (kept fraction, mean of all fits); the $\epsilon$ dependence by the sweep
#   figure and the printed values per $\epsilon$; the two ways into the edge of stability
#   by the sharpness figure and the printed $h_{\max}(0)/(2/\eta)$, second-half medians and
#   lag-1 autocorrelations; the window dependence by the table printed in the last
#   section.
# - Every "try this" prompt is answerable from this notebook: the first two from the
#   explorer, the third from the "which exponent" cell (which already computes the
#   saturation-ended windows) and the Notes of `nc.finite_lyapunov`, the fourth by changing
#   `lr` in the `nc.sharpness_series` cell.
# - Misconceptions addressed: "$\lambda_{nMLE} > 0$ proves divergence" (it is positive by
#   construction; the mean of all fits is the evidence); "the exponent does not depend on
#   $\epsilon$ below some radius" (it drifts, because the fit window moves along a
#   non-stationary transient); "the sharpness reaches $2/\eta$ and stays there" (most
#   starts are above it, the medians sit at or below it, and it flips every step); and
#   "there is one true Lyapunov exponent of training" (each number is a finite-time,
#   window- and method-dependent statistic of a transient).
