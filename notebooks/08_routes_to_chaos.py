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
# # 8. Routes to chaos: bifurcation diagrams over the learning rate and the boundary of trainability
#
# **Learning goal:** see how one regime of training turns into another as the learning rate
# grows — the bifurcation diagram, as for the logistic map — find a periodic window of the
# network and test whether the laminar phases below it follow the textbook law of type-I
# intermittency, and zoom into the boundary between learning rates that train and those
# that do not, which Sohl-Dickstein (2024) found to be fractal.
#
# Notebooks 4 and 5 looked at three learning rates of the Iris network (0.01, 1 and 5).
# Here thousands of learning rates run at once: every learning rate is one lane of the
# trajectory kernels, and each trajectory has exactly the bits of its own single-rate run.

# %%
# %matplotlib inline
import numpy as np

import netchaos as nc
from netchaos import plots, widgets
from netchaos.protocols.routes import intermittency_scaling, network_intermittency

data = nc.datasets.iris(seed=0)
model = nc.MLP([4, 10, 3], activation="sigmoid", loss="cross_entropy")
theta0 = model.init(seed=0)

# %% [markdown]
# ## The logistic map first
#
# For each $r$, iterate $x \to r x (1 - x)$, drop a transient and plot the states that
# remain: one point for a fixed point, two for a 2-cycle, a band for chaos. Below, the
# largest Lyapunov exponent from the tangent map: negative on periodic orbits, zero at each
# bifurcation, positive in chaos, and $\ln 2$ at $r = 4$.
#
# *Predict first:* the first period doubling of the logistic map is at $r = 3$, the second
# near 3.449. Where will the third and fourth be, if each interval is about 4.7 times
# shorter than the one before?

# %%
r = np.linspace(2.8, 4.0, 400)
logi = nc.bifurcation_diagram(nc.systems.logistic, lr_values=r, x0=0.3, steps=200,
                              transient=600)
print(logi)
plots.plot_bifurcation(logi, title="logistic map")

# %% [markdown]
# The period-doubling points are located exactly on the periodic orbits (Newton's method on
# $f^p(x) = x$, following each orbit past its loss of stability until its multiplier
# crosses $-1$). Their spacing shrinks geometrically, by Feigenbaum's
# $\delta = 4.6692\ldots$, the same for every smooth map with a quadratic maximum.

# %%
points = nc.period_doublings(nc.systems.logistic, 2.8, 0.3, n=5)
ratios = nc.feigenbaum_ratios(points)
print("doublings:", np.round(points, 6))
print("ratios:   ", np.round(ratios, 4))
assert abs(ratios[-1] - 4.669201) / 4.669201 < 0.01, "Feigenbaum's delta within 1 %"
assert abs(logi.exponent[-1] - np.log(2)) < 0.03, "ln 2 at r = 4"

# %% [markdown]
# ## The network's bifurcation diagram
#
# The same picture for gradient descent on Iris: the training loss over 300 steps after a
# transient of 1,200 (log scale) — an attractor only where those values repeat — over the
# learning rate, and the largest exponent of the GD map over the same 300 steps, from a
# shadow trajectory renormalised every 10 steps (Benettin's method).
#
# *Predict first:* will the network's diagram show the clean period-doubling cascade of
# the logistic map, one attractor per learning rate?

# %%
lr = np.linspace(0.5, 12.0, 300)
diag = nc.bifurcation_diagram(model, data, lr, theta0=theta0, steps=300, transient=1200)
print(diag)
periods = {int(p): int((diag.period == p).sum()) for p in np.unique(diag.period)}
print("attractor periods (0: none up to 12):", periods)
plots.plot_bifurcation(diag, title="Iris 4-10-3, gradient descent", logy=True)

# %% [markdown]
# Reading the diagram: at small learning rates the loss still decreases after 1,500 steps
# (no period and no attractor reached: the points are the loss values the run passes on its
# slow descent, notebook 2; exponent near zero). Bands of positive
# exponents alternate with periodic attractors — period 2 and period 3 among them —
# and the published $\eta = 5$ sits among narrow chaotic bands. Unlike the logistic map,
# the network's attractors coexist: neighbouring learning rates can land on different
# periodic orbits from the same initial condition.

# %%
assert np.nanmax(diag.exponent) > 0.1, "chaotic bands"
assert np.all(np.abs(diag.exponent[diag.values < 0.65]) < 0.01), "no chaos at small lr"
assert periods.get(2, 0) > 0 and periods.get(3, 0) > 0

# %% [markdown]
# ## Type-I intermittency below a period-3 window
#
# A period-3 orbit born in a tangent bifurcation at $\eta_c$ leaves a "ghost" below
# $\eta_c$: trajectories linger near it in laminar phases whose mean length grows as
# $(\eta_c - \eta)^{-1/2}$ (Pomeau and Manneville 1980). The logistic map's period-3 window
# at $r_c = 1 + \sqrt{8}$ shows the law:

# %%
rc = 1 + np.sqrt(8)
dist = np.geomspace(5e-5, 2e-3, 5)
xs = [nc.systems.orbit(nc.systems.logistic(rc - e), 0.3, 60000, 100)[:, 0] for e in dist]
law = intermittency_scaling(xs, dist, tol=0.01)
print(f"logistic: slope {law['slope']:.3f} (type I: -0.5), R^2 {law['r2']:.3f}")
assert abs(law["slope"] + 0.5) < 0.1
plots.plot_intermittency_scaling(law, title="logistic map below $r_c = 1 + \\sqrt{8}$")

# %% [markdown]
# Now the network: its longest run of period-3 attractors in the diagram gives $\eta_c$, and
# the loss at $\eta_c - d$ for several distances $d$ is cut into period-3 laminar phases
# (the existing `laminar_phases`, tolerance 1 % of the interquartile range).
#
# *Predict first:* the network has 83 dimensions, not one, and coexisting attractors. Will
# its laminar phases still lengthen as $(\eta_c - \eta)^{-1/2}$?

# %%
lr_c, lr_end = diag.window(3)
print(f"longest period-3 window of the scan: [{lr_c:.4f}, {lr_end:.4f}]")
d = np.geomspace(2e-3, 0.2, 6)
net = network_intermittency(model, data, lr_c, d, steps=8000, transient=1500, theta0=theta0)
for e, m, n, f in zip(d, net["mean_length"], net["n_phases"], net["laminar_fraction"]):
    print(f"d = {e:.4f}: {n:4d} phases, mean length {m:8.1f}, laminar fraction {f:.3f}")
print(f"fitted slope {net['slope']:.3f}, R^2 {net['r2']:.3f}; type I consistent: "
      f"{net['consistent']}")
assert not net["consistent"], "type-I scaling is not found below this window"
plots.plot_intermittency_scaling(net, title=f"Iris network below $\\eta_c$ = {lr_c:.3f}")

# %% [markdown]
# What comes out is reported as it is (see the summary of `netchaos reproduce routes` for the
# full-size run). The network's windows are not the clean saddle-node windows of a
# one-dimensional map: the period-3 attractor of the scan coexists with others, and below
# its edge the loss is, depending on the distance, almost entirely laminar (a period-3 orbit
# still attracts from this initial condition), or has a handful of long laminar phases, or
# none: the mean length does not grow steadily towards $\eta_c$, and there are too few
# phases to fit it. The $(\eta_c - \eta)^{-1/2}$ law of type-I intermittency is not found
# for this network by this test.

# %% [markdown]
# ## The boundary of trainability
#
# Give the two layers their own learning rates and mark, on a grid of pairs, the ones whose
# loss after 200 steps is below its initial value. Every grid point is one lane of one
# kernel call. The box-counting dimension of the boundary comes with an interval: the range
# of slopes over windows of box sizes.
#
# *Predict first:* a smooth boundary has dimension 1, a fractal one more. Which do you
# expect for the boundary between learning rates that train and those that do not?

# %%
g = np.geomspace(0.1, 100, 96)
tm = nc.trainability_map(model, data, g, g, steps=200, theta0=theta0)
print(tm)
assert 0.05 < tm.trained.mean() < 0.95
plots.plot_trainability(tm, title="Iris 4-10-3: which pairs of learning rates train?")

# %% [markdown]
# ## Zoom explorer
#
# Centre the square on a point of the boundary (the sliders are the two learning rates) and
# raise the zoom: each step halves the square, in decades, and recomputes a 32 x 32 map.
# If the boundary is fractal, structure keeps appearing at every zoom level; if it is
# smooth, it straightens into a line (dimension 1).

# %%
i, j = np.argwhere(tm.boundary)[len(np.argwhere(tm.boundary)) // 2]
explorer = widgets.trainability_zoom_explorer(model, data, lr=float(tm.lr[i]),
                                      lr_out=float(tm.second[j]), zoom=2, n=32, steps=200)
explorer

# %% [markdown]
# ## Try this
#
# - Zoom in five or six times at a boundary point of the explorer: does the dimension
#   estimate stay above 1, and does new structure keep appearing?
# - Run `nc.trainability_map(..., second="scale")` over the learning rate and the initial
#   weight scale instead of the two layers' rates. Is that boundary rough too?
# - Repeat the intermittency test below another window of the diagram (the period-2 bands,
#   `diag.window(2)`), or from another initial condition (`model.init(seed=1)`).
# - In the logistic diagram, find the period-5 window near $r = 3.74$ (its left edge is at
#   $r_c \approx 3.7382$) and measure its intermittency exponent with
#   `intermittency_scaling(..., period=5)`, as for the period-3 window above.
# - Compute `nc.feigenbaum_ratios(nc.period_doublings(nc.systems.logistic, 2.8, 0.3, n=6))`:
#   how fast do the ratios approach $\delta = 4.6692$?

# %% [markdown]
# ## Takeaway
#
# - The logistic map through the generic map interface gives Feigenbaum's $\delta$ from its
#   first period doublings, and its exponent curve is zero at the bifurcations and $\ln 2$
#   at $r = 4$.
# - The Iris network's diagram alternates periodic attractors (periods 2, 3, ...) and chaotic
#   bands, with coexisting attractors; at small learning rates no attractor is reached
#   within the run.
# - Type-I scaling holds for the logistic map; for the network, the test is run and does not
#   find it (too few laminar phases, no steady growth towards $\eta_c$).
# - The boundary of trainability is rough; its box-counting dimension is quoted with the
#   range of slopes over box sizes, and the zoom shows whether structure persists.
# - `netchaos reproduce routes` runs all of it at full size (1,000 learning rates, a
#   256 x 256 trainability map and a 128 x 128 zoom) and writes the figures and
#   `summary.json`.
#
# ## Notes for teachers
#
# - Run time a few minutes; the network's bifurcation diagram and the intermittency runs
#   are the slow cells (every learning rate is one lane of one kernel call).
# - Every "try this" prompt is answerable with the functions called in this notebook; the
#   period-5 window and the Feigenbaum ratios need only the logistic map (seconds).
# - The network's "bifurcation diagram" is a finite-time picture: 1,200 steps of transient
#   and 300 of record. Insist on the difference between "no period found within the run"
#   and "no attractor": the slow descent at small learning rates has not reached one.
# - The negative result of the intermittency test is the point of that section: a textbook
#   law is tested, not assumed, and reported as it comes out (the assert pins it).
