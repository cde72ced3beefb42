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
# # 1. Training as a dynamical system
#
# **Learning goal:** see gradient descent as a map iterated on a parameter vector, meet its
# tangent map $I - \eta H$, and learn what a Lyapunov exponent measures — first on the
# logistic and Hénon maps, then with the *same function* on a neural network.
#
# Full-batch gradient descent with a constant learning rate $\eta$ turns training into a
# discrete-time dynamical system on the flat vector $\theta$ of all weights and biases:
#
# $$\theta(t+1) = g(\theta(t)) = \theta(t) - \eta\, \nabla L(\theta(t)).$$
#
# Everything in the following notebooks is a view of this map: its orbits (training runs),
# how nearby orbits separate (Danovski, Soriano & Lacasa 2024), and its Jacobian
# (Sharafi, Martin & Hallerberg, Phys. Rev. E 111, 054208, 2025).
#
# The reference system of Danovski et al.: Iris (120 training / 30 test samples, raw
# features), a 4-10-3 network with a sigmoid hidden layer, softmax output and cross-entropy
# loss — 83 parameters, weights drawn i.i.d. $N(0, 1)$, biases 0.

# %%
# %matplotlib inline
import numpy as np

import netchaos as nc
from netchaos import plots, widgets

data = nc.datasets.iris(seed=0)
model = nc.MLP([4, 10, 3], activation="sigmoid", loss="cross_entropy")
X, y = data.X_train, data.y_train
theta0 = model.init(seed=0)
print(model.n_params, "parameters;", X.shape[0], "training samples")

# %% [markdown]
# ## The map
#
# The parameters live in one flat float64 vector: for each layer the weight matrix
# (row-major, `W[i, j]` connects input `i` to unit `j`), then its biases. One step of the
# map is one line of numpy, and `nc.train` iterates the same map (compiled, many
# trajectories at once):

# %%
lr = 1.0
theta1 = theta0 - lr * model.grad(theta0, X, y)          # g(theta0), by hand
res = nc.train(model, data, theta0, lr=lr, steps=1, record="final")
assert np.allclose(res.theta, theta1, rtol=1e-12, atol=1e-12)
[W1, b1], [W2, b2] = model.unflatten(theta0)
W1.shape, b1.shape, W2.shape, b2.shape

# %% [markdown]
# ## Three regimes
#
# Danovski et al. follow the same network at three learning rates: $\eta = 0.01$, where the
# loss decreases monotonically; $\eta = 1$, the *edge of stability*, where the loss still
# goes down but not monotonically; and $\eta = 5$, where the loss keeps jumping between
# nearly periodic phases and bursts. Same initial condition, same data, only $\eta$ changes.
#
# *Predict first:* a larger step goes further downhill per step. Which of the three
# learning rates ends with the lowest loss after 1,000 steps, and at which one does the
# loss ever go *up*?

# %%
lrs = [0.01, 1.0, 5.0]
runs = [nc.train(model, data, theta0, lr=eta, steps=1000, record="params") for eta in lrs]
losses = np.stack([r.loss for r in runs])
norms = np.stack([np.linalg.norm(r.params[:, model.weight_mask], axis=1) for r in runs])
plots.plot_loss_curves(None, losses, [f"$\\eta$ = {eta:g}" for eta in lrs],
                       weight_norms=norms, title="Iris 4-10-3, one initial condition")

# %%
rising = np.mean(np.diff(losses, axis=1) > 0, axis=1)     # fraction of steps where L went up
for eta, f, L in zip(lrs, rising, losses[:, -1]):
    print(f"lr = {eta:<5g} loss rose on {100 * f:4.1f}% of steps, final loss {L:.3f}")
assert rising[0] == 0.0, "lr = 0.01 must decrease the loss at every step"
assert 0.05 < rising[1] < 0.8 and losses[1, -1] < 0.5 * losses[1, 0], \
    "lr = 1: non-monotone, yet training succeeds"
assert rising[2] > 0.2 and losses[2, -1] > losses[1, -1], "lr = 5: the loss does not settle"

# %% [markdown]
# ## The tangent map
#
# How does a small change $\delta$ of the parameters propagate through one step? Linearising
# $g$ gives the tangent map
#
# $$\delta(t+1) = J(\theta(t))\,\delta(t), \qquad J = \frac{\partial g}{\partial \theta}
# = I - \eta H(\theta),$$
#
# with $H$ the Hessian of the loss. netchaos computes $J V$ exactly with Hessian-vector
# products (`model.jvp_map`). A central finite difference of the map agrees:

# %%
rng = np.random.default_rng(0)
v = rng.normal(size=model.n_params)
h = 1e-6
g = lambda th: th - lr * model.grad(th, X, y)             # noqa: E731
fd = (g(theta0 + h * v) - g(theta0 - h * v)) / (2 * h)
exact = model.jvp_map(theta0, v, X, y, lr)
rel = np.linalg.norm(fd - exact) / np.linalg.norm(exact)
print(f"relative difference finite differences vs exact tangent map: {rel:.1e}")
assert rel < 1e-6

# %% [markdown]
# Along an eigenvector of $H$ with eigenvalue $h_i$ the tangent map multiplies a perturbation
# by $1 - \eta h_i$: it is stretched when $|1 - \eta h_i| > 1$ (negative curvature, or
# $\eta h_i > 2$ — the classical stability limit of gradient descent on a quadratic, where
# the multiplier $1 - \eta h$ crosses $-1$: a flip, or period-doubling, bifurcation of the
# GD fixed point) and shrunk otherwise. The figure shows $\eta h_i$ for every direction at
# the initial condition, on a symmetric-logarithmic axis that keeps the sign: the shaded
# band $0 < \eta h < 2$ contracts, points below 0 (negative curvature) and above the dotted
# line at 2 stretch.
#
# *Predict first:* the Hessian is the same at all three learning rates; only $\eta$ scales
# it. At $\eta = 0.01$, how far can any multiplier $|1 - \eta h_i|$ be from 1, and at
# $\eta = 5$ will any direction be stretched?

# %%
hess_eigs = np.linalg.eigvalsh(model.hessian(theta0, X, y))
plots.plot_tangent_eigenvalues(hess_eigs, lrs, title="tangent map at the initial condition")

# %%
mu = np.abs(1 - np.outer(lrs, hess_eigs))
print("largest |1 - lr h|:", np.round(mu.max(axis=1), 3))
print(f"h_max = {hess_eigs.max():.3f}, so 2 / h_max = {2 / hess_eigs.max():.3f} at the "
      "initial condition")
assert mu[0].max() < 1.05, "lr = 0.01: every direction is nearly neutral"
assert mu[2].max() > 10, "lr = 5: some directions are stretched more than tenfold per step"

# %% [markdown]
# One step says little: the Hessian changes along the orbit. What matters is the product
# of many tangent maps — and that is what a Lyapunov exponent measures.
#
# ## Lyapunov exponents
#
# For a map $x \mapsto f(x)$, a small perturbation grows on average like
# $|\delta(t)| \approx |\delta(0)|\, e^{\lambda t}$. The largest Lyapunov exponent
# $\lambda_1 = \lim_{t\to\infty} \frac1t \ln \frac{|\delta(t)|}{|\delta(0)|}$ is positive for
# chaotic orbits (sensitive dependence on initial conditions), zero for neutral directions
# and negative for attracting orbits. The whole spectrum $\lambda_1 \ge \lambda_2 \ge \dots$
# follows from products of Jacobians, re-orthonormalised by a QR decomposition at every step
# (Benettin's method). `nc.lyapunov_spectrum` does this for any map given as two Python
# functions — here the logistic map $x \mapsto r x (1 - x)$ at $r = 4$, whose exponent is
# known exactly: $\ln 2$.

# %%
r = 4.0
logistic = lambda x: r * x * (1 - x)                          # noqa: E731
logistic_jac = lambda x: np.array([[r * (1 - 2 * x[0])]])     # noqa: E731
res = nc.lyapunov_spectrum(step=logistic, jacobian=logistic_jac, x0=0.3, steps=20000,
                           transient=100)
lam_logistic = res.exponents[0]
assert abs(lam_logistic - np.log(2)) < 0.01

# %%
# NBVAL_CHECK_OUTPUT
print(f"logistic map, r = 4: lambda = {lam_logistic:.2f} (ln 2 = {np.log(2):.2f})")

# %% [markdown]
# The Hénon map $(x, y) \mapsto (1 - a x^2 + y,\; b x)$ with $a = 1.4$, $b = 0.3$ has two
# exponents, about $0.42$ and $-1.62$. Its Jacobian has determinant $-b$ everywhere, so the
# exponents must add up to $\ln b$ exactly — a check of the QR bookkeeping.

# %%
a, b = 1.4, 0.3
henon = lambda v: np.array([1 - a * v[0] ** 2 + v[1], b * v[0]])        # noqa: E731
henon_jac = lambda v: np.array([[-2 * a * v[0], 1.0], [b, 0.0]])        # noqa: E731
res = nc.lyapunov_spectrum(step=henon, jacobian=henon_jac, x0=[0.1, 0.1], steps=20000,
                           transient=100)
lam1, lam2 = res.exponents
print(f"Henon: lambda_1 = {lam1:.3f}, lambda_2 = {lam2:.3f}, sum = {lam1 + lam2:.6f}, "
      f"ln b = {np.log(b):.6f}")
assert abs(lam1 - 0.42) < 0.02 and abs(lam2 + 1.62) < 0.02
assert abs(lam1 + lam2 - np.log(b)) < 1e-9

# %% [markdown]
# ### The same function on the network
#
# With a model instead of `step`/`jacobian`, `lyapunov_spectrum` iterates the GD map and
# its exact tangent map $I - \eta H$: the leading finite-time exponents over 500 steps for
# the three learning rates.
#
# *Predict first:* at $\eta = 0.01$ the loss falls at every step (the first figure). Does
# that make the leading exponent negative — nearby trajectories converging onto each
# other — zero, or positive?

# %%
leading = {}
for eta in lrs:
    spec = nc.lyapunov_spectrum(model, data, theta0, eta, steps=500, k=3, seed=0)
    leading[eta] = np.sort(spec.exponents)[::-1]      # finite-time values may be out of order
    print(f"lr = {eta:<5g} leading exponents {np.round(leading[eta], 3)}")
assert abs(leading[0.01][0]) < 0.01, "lr = 0.01: no exponential separation"
assert leading[1.0][0] > 0.05, "lr = 1: a positive exponent"

# %% [markdown]
# At $\eta = 0.01$ the exponents are within a few thousandths of zero, below the
# $\ln(83)/(2 \cdot 500) \approx 0.004$ that 500 steps can tell from zero (notebook 7):
# nearby trajectories neither separate nor converge exponentially (notebooks 2 and 3).
# At $\eta = 1$ the leading exponent is clearly positive: sensitive dependence on initial
# conditions during training (notebook 4). At $\eta = 5$ the run spends most of its time
# in nearly periodic phases, which pull the finite-time exponent down (notebook 5).
#
# ## The exponent across $r$
#
# The same estimate for 2,001 values of $r$ in $[2.8, 4]$, 2,000 iterations each after a
# transient of 500: `nc.systems.logistic_exponents` advances all the orbits together as one
# numpy vector (well under a second). A grid this fine resolves the periodic windows
# inside the chaotic range, the widest being the period-3 window that opens at
# $r = 1 + \sqrt{8} \approx 3.8284$.
#
# *Predict first:* what sign does $\lambda$ take inside the period-3 window, and what happens
# to it right at the window's edge?

# %%
r_grid = np.linspace(2.8, 4.0, 2001)
lam_r = nc.systems.logistic_exponents(r_grid, steps=2000, transient=500)
rc = 1 + np.sqrt(8)
after = (r_grid > rc) & (lam_r >= 0)
window_end = r_grid[after][0] if after.any() else np.nan
inside = (r_grid > rc) & (r_grid < window_end)
print(f"period-3 window: lambda < 0 from r = {rc:.4f} to {window_end:.4f} "
      f"({inside.sum()} grid points), minimum {lam_r[inside].min():.2f} at "
      f"r = {r_grid[inside][np.argmin(lam_r[inside])]:.4f}; just below r_c, "
      f"lambda = {lam_r[(r_grid > 3.80) & (r_grid < rc)].mean():.2f} on average")
plots.plot_map_exponent(r_grid, lam_r, title="logistic map: $\\lambda(r)$ on 2,001 values of r")
assert 15 <= inside.sum() and 0.01 < window_end - rc < 0.02, "the window is resolved"
assert lam_r[inside].max() < 0 < lam_r[(r_grid > 3.80) & (r_grid < rc)].mean()

# %% [markdown]
# Inside the window the orbit is a stable 3-cycle (later 6, 12, ... as the 3-cycle
# period-doubles in turn), so $\lambda < 0$, dipping deepest where the cycle passes through
# the critical point $x = 1/2$ (superstable, $\lambda \to -\infty$). At $r_c$ the 3-cycle is
# born in a tangent (saddle-node) bifurcation and $\lambda$ drops from chaotic values to 0
# and below; just below $r_c$ the orbit is chaotic again (notebook 8 returns to the
# intermittency there). A coarse grid of about 100 points would put at most one or two
# points in this window and miss the narrower ones altogether.
#
# **Takeaway.** Gradient descent with a constant learning rate is a map $g$ on the
# parameter vector, and its tangent map $I - \eta H$ decides how small changes of the
# parameters propagate: a direction stretches when $\eta h < 0$ or $\eta h > 2$ (the flip
# bifurcation of the GD fixed point on a quadratic). Lyapunov exponents average that
# stretching along an orbit; the same function that gives $\ln 2$ for the logistic map and
# $\ln b$ for the sum of Hénon's exponents gives, on the network, exponents near zero at
# $\eta = 0.01$ and clearly positive ones at $\eta = 1$ — finite-time values over a
# 500-step transient, not properties of an attractor. A decreasing loss says nothing about
# the sign of the exponent.
#
# ## Explore
#
# The logistic map: drag $r$ through the period-doubling cascade into chaos. The red dot is
# `lyapunov_spectrum` at the current $r$; the curve is the same estimate on the grid of
# 2,001 values above.

# %%
widgets.map_explorer(3.7)

# %% [markdown]
# One training run: pick a learning rate (logarithmic slider), a regime preset or another
# initial condition.

# %%
widgets.training_explorer(model, data, lr=1.0, steps=500)

# %% [markdown]
# ## Try this
#
# - Find the $r$ of the logistic map where $\lambda$ first becomes positive (the
#   accumulation point of period doubling, $r \approx 3.5699$). What happens in the window
#   near $r = 3.83$?
# - In the training explorer, slide $\eta$ from 0.01 upwards: at which learning rate does
#   the loss first go up during training? Compare with the $2 / h_{\max}$ printed under the
#   tangent-map figure — and remember that $h_{\max}$ changes along the run.
# - Replace the sigmoid by `activation="tanh"` and repeat the three-regime figure. Which
#   regimes survive?
# - Compute the whole spectrum of the network (`k=None`, 83 exponents) at $\eta = 1$. How
#   many are positive, and what is their sum? (Notebook 7 returns to this.)
#
# ## Notes for teachers
#
# - What each part shows: *The map* — one GD step is one line of numpy, and `nc.train`
#   iterates exactly that map. *Three regimes* — the loss curves at $\eta$ = 0.01, 1 and 5
#   and how often the loss rose. *The tangent map* — $J = I - \eta H$, checked against
#   finite differences, and $\eta h_i$ of every direction at the initial condition.
#   *Lyapunov exponents* — the estimator on two maps with known answers (logistic at
#   $r = 4$: $\ln 2$; Hénon: sum $= \ln b$ to $10^{-9}$), then on the network. *The exponent
#   across $r$* — $\lambda(r)$ on 2,001 values, fine enough to resolve the period-3 window.
# - Run time: about 20 s on one core once the kernels are compiled (a fresh environment
#   adds a one-time Numba compilation of a few minutes); no cell takes more than a few
#   seconds, and the $\lambda(r)$ grid well under one.
# - Where the "predict first" prompts are answered: the three regimes by the loss figure and
#   the printed fractions of rising steps under it; the multipliers by the printed largest
#   $|1 - \eta h|$ under the tangent-map figure; the sign of the exponent at $\eta = 0.01$ by
#   the printed leading exponents of the network; the period-3 window by the $\lambda(r)$
#   figure and the line printed under it.
# - Every "try this" prompt is answerable from this notebook: the first from the map
#   explorer and the $\lambda(r)$ figure, the second from the training explorer and the
#   $2/h_{\max}$ printed under the tangent-map figure (the figure itself shows $\eta h$, not
#   $h_{\max}$), the last two by changing one argument of a cell above (`activation=`,
#   `k=None`).
# - Misconceptions addressed: "the loss decreases, so training is stable" (it decreases at
#   $\eta = 0.01$ with exponents of zero, and on average at $\eta = 1$ with a positive one);
#   "$\eta h > 2$ means divergence" (on a quadratic it is the flip bifurcation of the fixed
#   point; on a network the Hessian changes along the orbit and one step says little);
#   "a Lyapunov exponent of a training run is a constant of the system" (these are
#   finite-time values over a transient; notebook 4 compares windows); and "a coarse
#   $\lambda(r)$ curve shows the periodic windows" (about 100 grid points miss most of them).
