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
# # 5. Intermittency at a very large learning rate
#
# **Learning goal:** analyse a training-loss time series with the tools of nonlinear time
# series analysis — laminar phases and bursts, the autocorrelation function against a
# shuffled null, and Kantz's Lyapunov exponent with a surrogate test — and learn what a
# one-dimensional projection of a high-dimensional system can and cannot tell.
#
# At $\eta = 5$ the Iris network no longer converges. Danovski, Soriano & Lacasa (2024,
# Sec. 4.2, Figs. 9-11) found the loss switching between *laminar* phases, close to a
# period-3 cycle, and irregular *bursts* — reminiscent of deterministic intermittency,
# where a chaotic system lingers near a periodic orbit and escapes from it again and
# again. Within a burst the loss is irregular, yet its autocorrelation is clearly
# significant; and Kantz's method finds a positive, significant exponent of the loss
# series for some initial conditions only.

# %%
# %matplotlib inline
import numpy as np

import netchaos as nc
from netchaos import plots, protocols, widgets

data = nc.datasets.iris(seed=0)
model = nc.MLP([4, 10, 3], activation="sigmoid", loss="cross_entropy")
lr, steps, burn_in = 5.0, 3000, 200

# %% [markdown]
# ## Laminar phases: which period?
#
# Sixteen networks, 3,000 steps each, recording all parameters (to follow the weight norm
# below).

# %%
theta0 = model.init(seed=5, n=16)
res = nc.train(model, data, theta0, lr, steps, record="params")
loss = res.loss
w_norm = np.linalg.norm(res.params[:, :, model.weight_mask], axis=2)
print("diverged runs:", res.n_diverged)

# %% [markdown]
# A point $x_t$ of the loss series (after the first 200 steps) *matches* period $p$ when
# $|x_t - x_{t-p}|$ is below a small tolerance; runs of matches are laminar phases. For
# every run and every candidate period, the fraction of laminar points:

# %%
periods, fractions = zip(*(protocols.fundamental_period(x) for x in loss[:, burn_in:]))
periods, fractions = np.array(periods), np.array(fractions)
plots.plot_period_fractions(fractions, title="laminar fraction per run and period")

# %%
fixed = fractions[:, 0] > 0.5                # runs that settled on a fixed point
counts = np.bincount(periods[~fixed], minlength=13)
print("fundamental periods of the runs that did not settle:",
      {p: int(c) for p, c in enumerate(counts) if c})
assert counts.argmax() == 3, "period 3 must be the most common laminar period"

# %%
# NBVAL_CHECK_OUTPUT
print(f"most common laminar period at lr = {lr:g}: {counts.argmax()}")

# %% [markdown]
# Period 3 (and its multiples 6, 9, 12) lights up in most runs: the laminar phases are
# period-3 cycles, as in the paper. (The smallest period that matches almost as well as
# the best one is taken as a run's fundamental period.) A few runs settle on a fixed point
# (period 1), a few on longer cycles.
#
# ## Loss and weight norm
#
# The four runs that spend the most time outside laminar phases (Fig. 9 of the paper):

# %%
show = np.argsort(fractions.max(axis=1) + fixed)[:4]
plots.plot_loss_and_norm(None, loss[show], w_norm[show], titles=[f"run {i}" for i in show])

# %% [markdown]
# The loss does not settle: it jumps between levels and oscillates fast, while the weight
# norm moves in steps — long stretches where it hardly changes, interrupted by sudden
# reorganisations when a burst ends.
#
# ## Bursts and their autocorrelation
#
# The run with the longest burst, its laminar phases shaded, and the autocorrelation of
# the burst with the 95 % band of 500 shuffled copies (which destroy any temporal order).
# Laminar phases are found for every period up to 12 at once, each stretch with its own
# period and at its own level (`nc.laminar_phases`, `periods`): a run that moves from a
# period-10 phase to a period-3 phase higher up has two laminar phases, not one phase and a
# "burst" that is a cycle.

# %%
lam = [nc.laminar_phases(x) if not f else None for x, f in zip(loss[:, burn_in:], fixed)]
where = [protocols.longest_burst(x, l) if l is not None else None
         for x, l in zip(loss[:, burn_in:], lam)]
longest = [0 if w is None else w[1] - w[0] for w in where]
run = int(np.argmax(longest))
s, e = where[run]
print(f"run {run}: laminar phases {(lam[run].phases + burn_in).tolist()} of periods "
      f"{lam[run].periods.tolist()}")
burst = loss[run, burn_in + s:burn_in + e]
acf = nc.acf(burst, nlags=40, n_surrogates=500, seed=0)
plots.plot_intermittency(np.arange(burn_in, steps + 1), loss[run, burn_in:], lam[run], acf,
                         title=f"run {run}: burst at steps {burn_in + s}-{burn_in + e}")

# %%
outside = acf.significant[1:].mean()
print(f"burst of {e - s} steps; ACF outside the shuffled band at {100 * outside:.0f}% of "
      f"lags 1-40")
assert e - s >= 100, "a long burst must exist"
assert outside > 0.3, "the burst is irregular but far from random"
assert not np.any([np.median(np.abs(burst[p:] - burst[:-p])) <= lam[run].tol
                   for p in range(1, 13)]), "the burst is no cycle of period <= 12"

# %% [markdown]
# ## Kantz's exponent of the loss series
#
# Can a Lyapunov exponent be read from the loss alone? Kantz's method embeds the series in
# delay vectors $(x_t, x_{t+1}, \dots, x_{t+m-1})$, follows how the distance between
# neighbouring vectors grows with the time offset $\Delta t$ (the stretching
# $S(\Delta t)$), and fits its initial slope. A linear Gaussian process with the same power
# spectrum (phase-randomised surrogates) can also produce a slope, so the exponent is
# ranked among those of 39 surrogates: $p < 0.05$ means the series is more predictable
# short-term — and more sensitive — than its linear copies.

# %%
moving = np.flatnonzero(~fixed)[:6]
kantz = [nc.kantz(loss[i, burn_in:burn_in + 2000], n_surrogates=39, seed=int(i))
         for i in moving]
exponents = np.array([k.exponent for k in kantz])
p_values = np.array([k.p_value for k in kantz])
best = int(np.argmin(p_values - 1e-6 * exponents))
plots.plot_kantz(kantz[best], title=f"run {moving[best]}: Kantz, p = {p_values[best]:.3f}")

# %%
plots.plot_significance(exponents, p_values, x=moving, xlabel="run",
                        title=f"Kantz exponents of the loss, $\\eta$ = {lr:g}")

# %%
significant = p_values < 0.05
for i, lam_k, p in zip(moving, exponents, p_values):
    print(f"run {i:2d}: exponent {lam_k:+.3f} per step, p = {p:.3f}")
assert 0 < significant.sum() < significant.size, "significant for some runs only"
assert np.all(exponents[significant] > 0.05), "significant exponents are positive"

# %% [markdown]
# Some runs have a clearly positive and significant exponent, others none. As the paper
# notes, this is not surprising: the loss is a one-dimensional projection of an
# 83-dimensional system governed by a whole spectrum of exponents (notebook 7); during
# long laminar phases there is little to measure, and a run whose loss sits on a cycle
# looks perfectly predictable.
#
# ## Explore
#
# Another initial condition, or another learning rate between 2 and 8: the laminar
# period, the longest burst and its autocorrelation.

# %%
widgets.intermittency_explorer(model, data, seed=4, lr=lr, steps=steps, burn_in=burn_in)

# %% [markdown]
# ## Try this
#
# - Which learning rates give period 3, and which other periods appear between $\eta = 3$
#   and $\eta = 8$?
# - Compute Kantz's exponent on a laminar stretch only, and on a burst only
#   (`nc.kantz(burst, ...)`). Which one carries the significant exponent?
# - Use `surrogate="shuffle"` in `nc.kantz`: the null is now "no temporal order at all".
#   How do the p-values change, and why is the phase-randomised null the stricter one?
# - Follow single weights instead of the loss (`res.params[run, :, k]`): which weights are
#   intermittent? (Fig. 12 of the paper: a few of them, switching together.)
