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
# **Learning goal:** sweep the learning rate, locate the onset of sensitive dependence on
# initial conditions with $\lambda_{nMLE}$ and the fraction of chaotic initial conditions,
# and compare it with how fast the network learns — counted in steps and in the time of the
# gradient flow that GD discretises.
#
# Jiménez-González, Soriano & Lacasa (*Leveraging chaotic transients in the training of
# artificial neural networks*) swept the learning rate of MLPs on MNIST. Small $\eta$:
# nearby trajectories do not separate exponentially. Beyond a threshold,
# $\lambda_{nMLE} > 0$: the network still learns, but its trajectory is chaotic. They
# report that the number of steps needed to reach 90 % test accuracy is *smallest* near the
# onset of fully developed chaos, where (almost) every initial condition has a positive
# exponent, and that at even larger $\eta$ training fails. Here we measure the same things
# on a small problem and see which parts of that statement the numbers carry.
#
# Here: scikit-learn's 8x8 digits (bundled, offline; 1,000 training and 797 test images),
# a 64-16-10 tanh network (1,210 parameters), weights $N(0, 1)$, full-batch GD for 250
# steps, perturbations $\epsilon = 10^{-8}$. The paper-size version (MNIST or the full
# digits set) is `netchaos reproduce onset`.

# %%
# %matplotlib inline
import numpy as np

import netchaos as nc
from netchaos import plots, protocols, widgets

data = nc.datasets.digits(seed=0, n_train=1000)
model = nc.MLP([64, 16, 10], activation="tanh", loss="cross_entropy")
lrs = [1.0, 2.0, 3.0, 4.0, 6.0]
steps, target = 250, 0.9
print(data.X_train.shape, data.X_test.shape, model.n_params, "parameters")

# %% [markdown]
# ## The sweep
#
# `nc.lr_sweep` runs the same 20 initial conditions (one perturbation each) at every
# learning rate and records the test accuracy of the reference trajectories (about a
# minute).

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
# How many initial conditions are chaotic? The paper's $\rho$ is the fraction with a
# positive exponent. But the best-$R^2$ window of the fit finds *some* positive slope in
# almost any distance curve: at small $\eta$ the distances drift slowly (notebook 2), a
# perfect line of slope $10^{-4}$ per step, so the fraction of positive point estimates is
# 1 at every learning rate. "Positive" must be decided against the fit's own uncertainty:
# `protocols.positive_exponents` calls an exponent positive when the lower end of its 95 %
# interval is above zero, the interval combining the slope's standard error (corrected for
# the serial correlation of the residuals), the spread of slopes over the candidate
# windows, and the resolution $1/L$ of a window of $L$ steps (an exponent below it grows
# the distance by less than a factor $e$ over the window). The bars are bootstrap
# intervals over the initial conditions. The *chaotic fraction* (dashed) counts the fits
# kept for $\lambda_{nMLE}$ ($R^2 > 0.9$, $\Lambda > 0.05$).
#
# *Predict first:* a step of GD at learning rate $\eta$ moves the gradient flow
# $\dot\theta = -\nabla L$ on by a time $\eta$. If training needs fewer *steps* at larger
# $\eta$, does it also need less *flow time* $\eta\tau$? The bottom panel shows both.

# %%
rho = table["rho"]
print("rho:                ", np.round(rho, 2))
print("point estimates > 0:", np.round(table["rho_point"], 2))
plots.plot_onset(lrs, sweep.mle, rho, tau_median, rho_ci=table["rho_ci"],
                 mle_std=sweep.mle_std, rho_chaotic=table["rho_chaotic"],
                 mean_exponent=table["mean_exponent"], tau_flow=flow_median,
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
# - The sweep shows a coincidence of the fastest $\eta$ with the onset window on one
#   problem; it does not show that chaos causes the speed-up: the step size grows along
#   the same axis.
#
# Twenty initial conditions matter here: with 3 (`n_init=3, n_pert=2`, seed 0) the medians
# at $\eta = 2$ and $3$ tie at 82 steps, and picking the first of a tie would put the
# minimum at $\eta = 2$; `table["lr_tau_min_tied"]` names every tied learning rate.
#
# **Takeaway.** Past the onset of chaos the network still learns; the step count to 90 %
# test accuracy is smallest at the learning rate where chaos is setting in, while the
# gradient-flow time to the same accuracy only grows with $\eta$. Say which clock you use.
#
# ## Explore
#
# Step through the learning rates of the sweep (no training on update): distances of the
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
# chunk rerun elsewhere. How long? `benchmarks/bench_distributed.py` measures one
# single-threaded worker at 0.66 trajectory-steps/s on the 784-64-10 network with 60,000
# images; the whole sweep (4,800 trajectories) then costs about 200 worker-hours per 100
# full-batch GD steps, about 3 hours on 64 workers. A 2,000-image subset (as
# `netchaos reproduce onset` uses for MNIST) is 30 times cheaper. On this machine the
# benchmark's digits sweep ran 1.76x faster on the two-worker cluster than in one process.

# %% [markdown]
# ## Try this
#
# - Change the target accuracy to 0.85 or 0.95 (`protocols.onset_table(sweep, 0.85)`, no
#   new training). Does the fewest-steps learning rate move? Does the flow time still grow
#   with $\eta$?
# - Compare `table["tau"]` row by row: at which $\eta$ do single initial conditions never
#   reach the target, and how does that show in `table["per_lr"][lr]["fraction_reached"]`?
# - Rerun the sweep with 3 initial conditions (`n_init=3`, `n_pert=2`): how often do the
#   medians tie, and how wide is `table["lr_tau_min_ci"]` then?
# - Use `activation="relu"` or a wider hidden layer (`[64, 32, 10]`): does the fastest
#   learning rate (in steps) still sit in the onset window? (Several minutes.)
# - Run `netchaos reproduce onset` (about ten minutes on two cores: 30 initial conditions per
#   learning rate) for the full-size version with intervals on where $\tau$ is minimal and
#   where $\rho$ reaches 1; its summary prints $\eta\tau$ too.
#
# ## Notes for teachers
#
# - The first three prompts are answerable from the sweep in this notebook (no new
#   training); the last two need a new sweep.
# - The "predict first" question on flow time is the point of the notebook: students
#   tend to read "fewer steps" as "faster learning"; the bottom panel separates the two.
# - The onset window and the fewest-steps learning rate come from 20 initial conditions;
#   the bootstrap intervals printed above are the honest error bars, and the Dask
#   appendix is optional.
# - Run time about two minutes on two cores (the sweep dominates).
