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
# # 6. The onset of chaos and the speed of training
#
# **Learning goal:** sweep the learning rate — first on the Iris network of notebooks 2-4,
# then on a digits network — locate the onset of sensitive dependence on initial
# conditions with $\lambda_{nMLE}$ and the fraction of chaotic initial conditions, and
# compare it with how fast the network learns, counted in steps and in the time of the
# gradient flow that GD discretises.
#
# Jiménez-González, Soriano & Lacasa (*Leveraging chaotic transients in the training of
# artificial neural networks*) swept the learning rate of MLPs on MNIST. Small $\eta$:
# nearby trajectories do not separate exponentially. Beyond a threshold,
# $\lambda_{nMLE} > 0$: the network still learns, but its trajectory is chaotic. They
# report that the number of steps needed to reach 90 % test accuracy is *smallest* near the
# onset of fully developed chaos, where (almost) every initial condition has a positive
# exponent, and that at even larger $\eta$ training fails. Here we measure the same things
# on two small problems and see which parts of that statement the numbers carry.

# %%
# %matplotlib inline
import numpy as np

import netchaos as nc
from netchaos import plots, protocols, widgets

target = 0.9                                              # test accuracy to reach

# %% [markdown]
# ## Iris first: the network of notebooks 2-4
#
# The system of the earlier notebooks, in the reference protocol: Iris (120 training and
# 30 test flowers, raw features), a 4-10-3 sigmoid network (83 parameters), weights
# $N(0, 1)$, full-batch GD, perturbations of the weights of size $\epsilon = 10^{-8}$,
# L1 distances. Nine learning rates span the regimes met so far and the next one:
# $\eta = 0.01$, a monotone loss (notebook 2); $\eta = 1$, the edge of stability
# (notebook 4); $\eta = 5$, where the loss alternates between period-3 laminar phases and
# bursts (notebook 5, the next session). `nc.lr_sweep` runs the same 20 initial conditions
# (one perturbation each) for 1,500 steps at every learning rate and records the test
# accuracy of the reference trajectories; `protocols.onset_table` turns it into the table of
# the onset study: per learning rate the steps $\tau$ each run needs to reach 90 % test
# accuracy (27 of the 30 flowers; inf: never), the same time in gradient-flow units
# $\eta\tau$, and the fractions of chaotic initial conditions (about 20 s).
#
# Two fractions count the chaotic initial conditions. The *kept* fraction counts the fits
# kept for $\lambda_{nMLE}$ ($R^2 > 0.9$, $\Lambda > 0.05$, notebook 4). The paper's
# $\rho$ is the fraction with a positive exponent; but the best-$R^2$ window of the fit finds
# *some* positive slope in almost any distance curve (at small $\eta$ the distances drift
# slowly, notebook 2), so "positive" is decided against the fit's own uncertainty:
# `protocols.positive_exponents` calls an exponent positive when the lower end of its 95 %
# interval is above zero, the interval combining the slope's standard error (corrected for
# the serial correlation of the residuals), the spread of slopes over the candidate
# windows, and the resolution $1/L$ of a window of $L$ steps (an exponent below it grows
# the distance by less than a factor $e$ over the window). The brackets are bootstrap
# intervals over the initial conditions.

# %%
iris = nc.datasets.iris(seed=0)
iris_model = nc.MLP([4, 10, 3], activation="sigmoid", loss="cross_entropy")
iris_lrs = [0.01, 0.03, 0.1, 0.3, 1.0, 2.0, 3.0, 5.0, 8.0]
iris_sweep = nc.lr_sweep(iris_model, iris, iris_lrs, 1500, 1e-8, n_init=20, n_pert=1,
                         seed=0, test_metrics=True)
iris_table = protocols.onset_table(iris_sweep, target)

# %% [markdown]
# *Predict first:* notebook 2 saw no exponential separation at $\eta = 0.01$; at $\eta = 1$
# the paper reports $\lambda_{nMLE} \approx 0.33$ per step with about 90 % of the fits
# kept (notebook 4). Which learning rate reaches 90 % test accuracy in the fewest steps: the
# smallest, the edge of stability, or the largest? And a step of GD moves the gradient flow
# $\dot\theta = -\nabla L$ on by a time $\eta$: how should the flow time $\eta\tau$ depend
# on $\eta$ while $\eta$ is small?

# %%
# NBVAL_CHECK_OUTPUT
n_ic = iris_table["tau"].shape[1]
fmt = lambda v, spec, none: format(v, spec) if np.isfinite(v) else none   # noqa: E731
print(f"Iris, {n_ic} initial conditions, steps to {100 * target:.0f}% test accuracy")
print(f"{'lr':>5} {'lambda_nMLE':>11} {'mean Lambda':>11} {'kept':>5} {'rho':>5} "
      f"{'[95% CI]':<12} {'reach':>5} {'steps: median [quartiles]':<25} {'eta*tau':>7} diverged")
for k, lr in enumerate(iris_lrs):
    row, m, taus = iris_table["per_lr"][lr], iris_sweep.mles[lr], iris_table["tau"][k]
    q1, q3 = np.quantile(taus, [0.25, 0.75], method="nearest")      # inf: never reached
    lo, hi = iris_table["rho_ci"][k]
    kept = f"{m.n_kept}/{m.n}"
    rho_k = f"{sum(row['positive'])}/{row['n_fitted']}"
    reach = f"{np.isfinite(taus).sum()}/{n_ic}"
    steps_text = (f"{fmt(iris_table['tau_median'][k], '.1f', 'never')} "
                  f"[{fmt(q1, '.0f', 'never')}, {fmt(q3, '.0f', 'never')}]")
    flow = fmt(iris_table["tau_flow_median"][k], ".1f", "never")
    print(f"{lr:5g} {fmt(m.exponent, '.3f', 'n/a'):>11} {row['mean_exponent']:11.3f} "
          f"{kept:>5} {rho_k:>5} [{lo:.2f}, {hi:.2f}] {reach:>5} {steps_text:<25} {flow:>7} "
          f"{iris_sweep.n_diverged[k]:8d}")
print("fraction of point estimates > 0:", np.round(iris_table["rho_point"], 2))

# %%
plots.plot_onset(iris_lrs, iris_sweep.mle, iris_table["rho"], iris_table["tau_median"],
                 rho_ci=iris_table["rho_ci"], mle_std=iris_sweep.mle_std,
                 rho_chaotic=iris_table["rho_chaotic"],
                 mean_exponent=iris_table["mean_exponent"],
                 tau_flow=iris_table["tau_flow_median"], tau_runs=iris_table["tau"],
                 title=f"Iris, MLP {list(iris_model.sizes)} (sigmoid), {n_ic} initial conditions")

# %%
lr_i = np.array(iris_lrs)
i_tau, i_flow, i_rho = iris_table["tau"], iris_table["tau_flow_median"], iris_table["rho"]
small = lr_i <= 0.3
k01, k1 = iris_lrs.index(0.1), iris_lrs.index(1.0)
both = np.isfinite(i_tau[0]) & np.isfinite(i_tau[k01])    # reached at lr = 0.01 and 0.1
ratio = iris_table["tau_flow"][k01, both] / iris_table["tau_flow"][0, both]
fast = i_tau[k1] < 100                                     # the two groups at lr = 1
final = {lr: iris_table["per_lr"][lr]["final_test_accuracy"] for lr in (5.0, 8.0)}
print(f"lr <= 0.3: median flow time {', '.join(f'{v:.1f}' for v in i_flow[small])}; median "
      f"steps fall {iris_table['tau_median'][0] / iris_table['tau_median'][small][-1]:.0f}-fold")
print(f"run by run, eta*tau at lr = 0.1 / at lr = 0.01: median {np.median(ratio):.2f}, "
      f"range {ratio.min():.2f}-{ratio.max():.2f} ({both.sum()} runs)")
print(f"fewest steps at lr = {iris_table['lr_tau_min']:g} (tied: {iris_table['lr_tau_min_tied']};"
      f" bootstrap 95 %: {iris_table['lr_tau_min_ci']})")
print(f"lr = 1: {fast.sum()} runs reach 90% within {i_tau[k1, fast].max():.0f} steps, the other "
      f"{(~fast).sum()} after {i_tau[k1, ~fast].min():.0f}-{i_tau[k1, ~fast].max():.0f}")
print("mean final test accuracy at lr = 5, 8:", ", ".join(f"{v:.2f}" for v in final.values()))
assert np.all(i_rho[lr_i <= 0.1] == 0) and np.all(iris_table["rho_chaotic"][lr_i <= 0.1] == 0), \
    "no chaotic initial condition at lr <= 0.1"
assert np.all(iris_table["rho_point"][lr_i <= 0.1] >= 0.75), "though most point estimates > 0"
assert i_flow[small].max() / i_flow[small].min() < 1.1, "the same flow time while lr <= 0.3"
assert abs(np.median(ratio) - 1) < 0.03 and both.sum() >= 15, "run by run, too"
assert iris_table["lr_tau_min_tied"] == [0.3] and iris_table["lr_tau_min_ci"] == [0.3, 1.0], \
    "fewest steps at lr = 0.3, no tie; the bootstrap interval reaches lr = 1"
assert 0 < i_rho[small][-1] < 0.5, "at lr = 0.3 a minority of the runs is chaotic"
assert 0.25 < iris_sweep.mle[k1] < 0.4 and i_rho[k1] >= 0.85, "lr = 1: as in notebook 4"
assert iris_table["tau_median"][k1] > iris_table["tau_median"][small][-1], \
    "more steps at the edge of stability than at lr = 0.3"
assert fast.sum() >= 5 and (~fast).sum() >= 5, "two groups of runs at lr = 1,"
assert i_tau[k1, ~fast].min() > 2 * i_tau[k1, fast].max(), "separated by a gap"
assert np.all(i_flow[lr_i >= 1][np.isfinite(i_flow[lr_i >= 1])] > 5 * i_flow[small].max()), \
    "from the edge of stability on, the flow time is several times larger"
assert np.all(np.isfinite(i_tau[lr_i >= 3]).mean(axis=1) < 0.5), "most runs fail from lr = 3"
assert not np.isfinite(i_tau[lr_i >= 5]).any() and max(final.values()) < 0.4, \
    "none reaches the target at lr = 5, 8: test accuracy near chance (1/3)"
assert np.all(iris_sweep.n_diverged == 0), "no run diverges"
assert i_rho.argmax() == k1, "rho is largest at the edge of stability"
assert iris_table["rho_ci"][lr_i >= 5, 1].max() < iris_table["rho_ci"][k1, 0], \
    "and lower at lr = 5, 8, beyond the bootstrap intervals"

# %% [markdown]
# What the Iris numbers show:
#
# - **While $\eta \le 0.3$, GD follows the gradient flow.** The median flow time to 90 %
#   is the same, $\eta\tau$ = 10.1, 10.1, 10.4, 9.8, while the median number of steps
#   falls 31-fold, from 1006 to 32.5. Run by run too: $\eta\tau$ at $\eta = 0.1$ over
#   $\eta\tau$ at $\eta = 0.01$ has median 1.01 (range 0.97-1.22 over the 16 runs that
#   reach 90 % at both). A larger step saves steps in proportion to $\eta$ and no more,
#   as a coarser discretisation of the same flow would. The wide quartiles (743-1437
#   steps at $\eta = 0.01$) are the spread over initial conditions, not an effect of
#   $\eta$. No initial condition is chaotic at $\eta \le 0.1$ ($\rho = 0$, no kept fit),
#   although 75-95 % of the point estimates are positive: slow drifts of $\ln d$ (mean
#   exponents 0.000-0.001 per step).
# - **The fewest steps are at $\eta = 0.3$** (median 32.5, no tie), but the bootstrap
#   interval of the fastest learning rate, [0.3, 1], reaches the edge of stability. Chaos
#   sets in here: 4 of the 20 initial conditions have a burst of exponential separation
#   ($\lambda_{nMLE} = 0.539$ per step is the mean of those four).
# - **At the edge of stability, $\eta = 1$,** almost every initial condition is chaotic
#   (18 of 20, $\lambda_{nMLE} = 0.308$ per step, beside the published 0.33 with about 90 %
#   of the fits kept) and training takes *more* steps than at $\eta = 0.3$: median
#   61.5, in two groups (the dots) — 11 runs reach 90 % within 64 steps, the other 9 after
#   244-406. The median flow time, 61.5, is six times the gradient-flow value.
# - **Beyond, training fails, without diverging.** At $\eta = 2$ 11 of 20 runs reach the
#   target within 1,500 steps, at $\eta = 3$ four, at $\eta = 5$ and 8 none: their mean
#   final test accuracy is 0.30 and 0.34 (chance: 1/3). No run diverges. $\rho$ is largest
#   at $\eta = 1$; at $\eta = 5$ and 8 it is lower (0.35 and 0.29, intervals below
#   $\eta = 1$'s). There the distances grow in jumps of several decades within a few
#   steps, separated by plateaus on which they stay constant (step to $\eta = 5$ below):
#   one exponential window fits few such curves, and three at $\eta = 8$ get no fit at
#   all. Notebook 5 looks at this regime with the tools of time-series analysis.
#
# Step through the learning rates of the Iris sweep (no training on update): at
# $\eta = 0.3$ the four runs with a burst, at $\eta = 1$ the two groups of accuracy
# curves, at $\eta = 5$ the jumps and plateaus.

# %%
widgets.sweep_explorer(iris_sweep, lr=5.0, target=target)

# %% [markdown]
# **Takeaway (Iris).** While GD follows the gradient flow ($\eta \le 0.3$ here), a larger
# learning rate saves steps as $1/\eta$ and the flow time to 90 % stays fixed. The
# step count is smallest where the first initial conditions turn chaotic, grows again at
# the edge of stability, where almost all are, and past it training fails.
#
# ## Then digits: a wider network
#
# The same sweep on scikit-learn's 8x8 digits (bundled, offline; 1,000 training and 797
# test images), a 64-16-10 tanh network (1,210 parameters), weights $N(0, 1)$, full-batch
# GD for 250 steps, perturbations $\epsilon = 10^{-8}$, 20 initial conditions, one
# perturbation each (about a minute). The paper-size version (MNIST or the full digits
# set) is `netchaos reproduce onset`.

# %%
data = nc.datasets.digits(seed=0, n_train=1000)
model = nc.MLP([64, 16, 10], activation="tanh", loss="cross_entropy")
lrs = [1.0, 2.0, 3.0, 4.0, 6.0]
steps = 250
print(data.X_train.shape, data.X_test.shape, model.n_params, "parameters")

# %%
sweep = nc.lr_sweep(model, data, lrs, steps, 1e-8, n_init=20, n_pert=1, seed=0,
                    test_metrics=True)
table = protocols.onset_table(sweep, target)              # the table of the onset study
tau = table["tau"]                                        # (n_lr, n_init), inf: never
tau_median = table["tau_median"]                          # (n_lr,), NaN: mostly never
flow_median = table["tau_flow_median"]                    # median of lr * tau
reached = np.isfinite(tau).mean(axis=1)
for lr, m, kf, t_, f_, r_ in zip(lrs, sweep.mle, sweep.kept_fraction, tau_median,
                                  flow_median, reached):
    print(f"lr = {lr:<3g} lambda_nMLE = {m:6.3f} per step, chaotic fraction {kf:4.2f}; "
          f"{100 * r_:3.0f}% reach 90%, median {t_:5.1f} steps = flow time {f_:5.1f}")

# %% [markdown]
# $\rho$ and the kept fraction (dashed) as on Iris. On digits the best-$R^2$ window finds a
# positive slope in every distance curve: at small $\eta$ the distances drift slowly, a
# perfect line of slope $10^{-4}$ per step, so the fraction of positive point estimates is
# 1 at every learning rate (on Iris 0.75-1); only the interval separates the chaotic runs.
#
# *Predict first:* on Iris the flow time $\eta\tau$ stayed fixed while GD followed the
# gradient flow and grew from the edge of stability on. This sweep starts at $\eta = 1$:
# does the flow time grow with $\eta$ over the whole sweep, and do the fewest *steps* again
# fall where chaos sets in? The bottom panel shows both.

# %%
rho = table["rho"]
print("rho:                ", np.round(rho, 2))
print("point estimates > 0:", np.round(table["rho_point"], 2))
plots.plot_onset(lrs, sweep.mle, rho, tau_median, rho_ci=table["rho_ci"],
                 mle_std=sweep.mle_std, rho_chaotic=table["rho_chaotic"],
                 mean_exponent=table["mean_exponent"], tau_flow=flow_median,
                 tau_runs=tau,
                 title=f"digits, MLP {list(model.sizes)} (tanh), 20 initial conditions")

# %%
chaotic = table["rho_chaotic"]
onset = table["lr_chaos_onset"]                           # first lr with a chaotic IC
developed = table["lr_rho_one"]                           # first lr where rho = 1
fastest = table["lr_tau_min"]                             # lr of the smallest median tau
k_fast = lrs.index(fastest)
print(f"chaos sets in at lr = {onset:g}; rho first reaches 1 at lr = {developed:g} "
      f"(bootstrap 95 %: {table['lr_rho_one_ci']})")
print(f"fewest steps at lr = {fastest:g} (tied: {table['lr_tau_min_tied']}; bootstrap 95 %: "
      f"{table['lr_tau_min_ci']}): {tau_median[k_fast]:.0f} steps against "
      f"{tau_median[0]:.0f} at lr = {lrs[0]:g}; there rho = {rho[k_fast]:.2f}")
print(f"least flow time at lr = {table['lr_tau_flow_min']:g}; flow time "
      + ", ".join(f"{f:.0f}" for f in flow_median[np.isfinite(flow_median)])
      + f" at lr = {', '.join(f'{v:g}' for v in np.array(lrs)[np.isfinite(flow_median)])}")
assert chaotic[0] == 0 and chaotic[-1] == 1, "the sweep crosses the onset of chaos"
assert rho[0] == 0 and rho[-1] == 1, "rho rises from 0 to 1"
assert np.all(table["rho_point"] == 1), "while every point estimate is positive"
assert table["lr_tau_min_tied"] == [3.0] and table["lr_tau_min_ci"] == [3.0, 3.0], \
    "fewest steps at lr = 3, no tie, in every bootstrap resample"
assert onset < fastest <= developed and 0 < rho[k_fast] < 1, \
    "inside the onset window, before every initial condition is chaotic"
finite = flow_median[np.isfinite(flow_median)]
assert np.all(np.diff(finite) > 0), "the flow time grows with lr"
assert reached[-1] == 0, "at the largest lr no run reaches the target"

# %% [markdown]
# What the numbers show, and no more:
#
# - **In steps**, training is fastest at $\eta = 3$ (no tie, and in every bootstrap
#   resample), inside the window where chaos sets in ($\rho$ between 0 and 1), and slower
#   again at $\eta = 4$, where some runs never reach the target; at $\eta = 6$ none does.
#   That part of the paper's picture holds here.
# - **In gradient-flow time** $\eta\tau$ the ordering is the opposite: it grows
#   monotonically with $\eta$. The larger steps save steps, but less than in proportion to
#   $\eta$: each unit of flow time buys less progress in the chaotic regime than in the
#   non-chaotic one. "Chaos helps" is therefore a statement about the number of steps (the
#   cost on a computer), not evidence that chaotic dynamics learns more efficiently.
# - **Compared with Iris.** On both networks the fewest steps fall inside the window where
#   chaos sets in ($0 < \rho < 1$: 0.20 at $\eta = 0.3$ on Iris, 0.89 at $\eta = 3$ on
#   digits), and past it the flow time grows. Iris shows what lies below: while GD follows
#   the gradient flow the flow time is fixed and a larger step saves steps exactly as
#   $1/\eta$; the digits sweep starts at $\eta = 1$, where its flow time already grows
#   (149, 160, 198, 726).
# - The sweeps show a coincidence of the fastest $\eta$ with the onset window on two
#   problems; they do not show that chaos causes the speed-up: the step size grows along
#   the same axis.
#
# Twenty initial conditions matter here: with 3 (`n_init=3, n_pert=2`, seed 0) the medians
# at $\eta = 2$ and $3$ tie at 82 steps, and picking the first of a tie would put the
# minimum at $\eta = 2$; `table["lr_tau_min_tied"]` names every tied learning rate.
#
# **Takeaway.** On both networks training still works past the onset of chaos, and the
# number of steps to 90 % test accuracy is smallest inside the window where chaos sets in
# ($\eta = 0.3$ on Iris, $\eta = 3$ on digits). The gradient-flow time has no such minimum:
# on Iris it is flat (9.8-10.4) up to $\eta = 0.3$ and grows beyond, on digits it grows
# over the whole sweep. Say which clock you use.
#
# ## Explore
#
# Step through the learning rates of the digits sweep (no training on update): distances of the
# initial conditions with their fitted exponential phases, and the test-accuracy curves
# with the 90 % target.

# %%
widgets.sweep_explorer(sweep, lr=3.0, target=target)

# %% [markdown]
# ## Appendix: beyond one machine
#
# The MNIST study behind this notebook swept 16 learning rates x 50 initial conditions x
# 6 trajectories of a 784-64-10 network, a job for a cluster. `lr_sweep` and `eps_sweep`
# split a sweep into chunks (a learning rate x a block of `chunk_size` initial
# conditions), each a pure function of its parameters and seed. Hand them an `executor`
# (a `dask.distributed.Client` or any `concurrent.futures.Executor`) and the chunks run
# on its workers; the result is bitwise identical to the local run. Here a small sweep
# (two learning rates, two initial conditions), locally and on a cluster of two worker
# processes on this machine:

# %%
from dask.distributed import Client, LocalCluster

small = dict(n_init=2, n_pert=1, seed=0, test_metrics=True)
local = nc.lr_sweep(model, data, [2.0, 3.0], steps, 1e-8, **small)
with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                  dashboard_address=":0", silence_logs="ERROR") as cluster, \
        Client(cluster) as client:
    remote = nc.lr_sweep(model, data, [2.0, 3.0], steps, 1e-8, **small, executor=client,
                         chunk_size=1)
same = all(np.array_equal(remote.results[lr].distances, local.results[lr].distances,
                          equal_nan=True)                 # NaN: after a divergence
           for lr in (2.0, 3.0)) and np.array_equal(remote.mle, local.mle, equal_nan=True)
print("two Dask workers, bitwise identical to the local sweep:", same)  # NBVAL_CHECK_OUTPUT
assert same

# %% [markdown]
# On a real cluster only the `Client` changes. With SLURM, through `dask-jobqueue`
# (`pip install dask-jobqueue`; on Kubernetes `dask_kubernetes.operator.KubeCluster`
# with netchaos installed in the worker image):
#
# ```python
# from dask_jobqueue import SLURMCluster
#
# cluster = SLURMCluster(cores=1, processes=1, memory="4GB", walltime="12:00:00")
# cluster.scale(jobs=64)                        # 64 single-core workers
# client = Client(cluster)
# mnist = nc.datasets.mnist(path="mnist/")      # the IDX files, downloaded beforehand
# sweep = nc.lr_sweep(nc.MLP([784, 64, 10], activation="tanh"), mnist,
#                     np.linspace(0.5, 20, 16), steps=STEPS, eps=1e-8, n_init=50,
#                     n_pert=5, seed=0, test_metrics=True, executor=client,
#                     chunk_size=5, checkpoint="mnist-sweep", resume=True, progress=True)
# ```
#
# Every finished chunk is saved to `checkpoint` as it arrives (rerun the same line after
# an interruption and only the missing chunks are computed); a worker that dies has its
# chunk rerun elsewhere. How long? `benchmarks/bench_mnist.py` measures one
# single-threaded worker at 2.0 trajectory-steps/s on the 784-64-10 network with 60,000
# images; the whole sweep (4,800 trajectories) then costs about 65 worker-hours per 100
# full-batch GD steps, about 1 hour on 64 workers. A 2,000-image subset (as
# `netchaos reproduce onset` uses for MNIST) is 30 times cheaper. On this machine the
# benchmark's digits sweep ran 1.76x faster on the two-worker cluster than in one process.

# %% [markdown]
# ## Try this
#
# - Iris: change the target accuracy to 0.8 or 0.95 (`protocols.onset_table(iris_sweep,
#   0.95)`, no new training). Is the flow time still the same for every $\eta \le 0.3$, and
#   which $\eta$ needs the fewest steps now?
# - Iris: are the four runs with a burst at $\eta = 0.3$ (`iris_sweep.mles[0.3].kept`)
#   among the fast or the slow ones (`iris_table["tau"][3]`)? Are the same initial
#   conditions in the fast group at $\eta = 1$ (`iris_table["tau"][4]`)?
# - Iris, a new sweep (about 20 s): add $\eta$ = 0.5 and 0.7 to `iris_lrs`. Where between
#   0.3 and 1 does the flow time leave its gradient-flow value of about 10?
# - Digits: change the target accuracy to 0.85 or 0.95 (`protocols.onset_table(sweep,
#   0.85)`, no new training). Does the fewest-steps learning rate move? Does the flow time
#   still grow with $\eta$?
# - Digits: compare `table["tau"]` row by row: at which $\eta$ do single initial conditions
#   never reach the target, and how does that show in
#   `table["per_lr"][lr]["fraction_reached"]`?
# - Rerun the digits sweep with 3 initial conditions (`n_init=3`, `n_pert=2`): how often do
#   the medians tie, and how wide is `table["lr_tau_min_ci"]` then?
# - Use `activation="relu"` or a wider hidden layer (`[64, 32, 10]`): does the fastest
#   learning rate (in steps) still sit in the onset window? (Several minutes.)
# - Run `netchaos reproduce onset` (about ten minutes on two cores: 30 initial conditions per
#   learning rate) for the full-size version with intervals on where $\tau$ is minimal and
#   where $\rho$ reaches 1; its summary prints $\eta\tau$ too.
#
# ## Notes for teachers
#
# - The first two Iris prompts and the first two digits prompts are answerable from the
#   sweeps in this notebook (no new training); the others need a new sweep.
# - The "predict first" questions on flow time are the point of the notebook: students
#   tend to read "fewer steps" as "faster learning"; the bottom panels separate the two.
#   The Iris section answers the question first on the system students know: the
#   run-by-run ratio of flow times close to 1 at small $\eta$ is GD as the explicit Euler
#   scheme of the gradient flow, which over a fixed flow time follows the flow to
#   $O(\eta)$. That makes $\eta\tau$ the clock to compare learning rates with.
# - The onset window and the fewest-steps learning rates come from 20 initial conditions;
#   the bootstrap intervals printed above are the honest error bars, and the Dask
#   appendix is optional.
# - Run time about two minutes on two cores: about 20 s for the Iris sweep, about a minute
#   for the digits sweep.
