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
# and compare it with how fast the network learns.
#
# Jiménez-González, Soriano & Lacasa (*Leveraging chaotic transients in the training of
# artificial neural networks*) swept the learning rate of MLPs on MNIST. Small $\eta$:
# gradient descent is purely exploitative and nearby trajectories do not separate
# exponentially. Beyond a threshold, $\lambda_{nMLE} > 0$: the network still learns, but
# its trajectory is chaotic — exploration and exploitation at once. Their striking finding:
# the training time needed to reach 90 % test accuracy is *smallest* near the onset of
# fully developed chaos, where (almost) every initial condition has a positive exponent;
# at even larger $\eta$ training fails.
#
# Here: scikit-learn's 8x8 digits (bundled, offline; 1,000 training and 797 test images),
# a 64-16-10 tanh network (1,210 parameters), weights $N(0, 1)$, full-batch GD for 250
# steps, perturbations $\epsilon = 10^{-8}$ — small enough to run in half a minute. The
# paper-size version (MNIST or the full digits set) is `netchaos reproduce onset`.

# %%
# %matplotlib inline
import numpy as np

import netchaos as nc
from netchaos import plots, protocols, widgets

data = nc.datasets.digits(seed=0, n_train=1000)
model = nc.MLP([64, 16, 10], activation="tanh", loss="cross_entropy")
lrs = [0.5, 1.0, 2.0, 3.0, 4.0, 6.0]
steps, target = 250, 0.9
print(data.X_train.shape, data.X_test.shape, model.n_params, "parameters")

# %% [markdown]
# ## The sweep
#
# `nc.lr_sweep` runs the same 3 initial conditions (2 perturbations each) at every learning
# rate and records the test accuracy of the reference trajectories.

# %%
sweep = nc.lr_sweep(model, data, lrs, steps, 1e-8, n_init=3, n_pert=2, seed=0,
                    test_metrics=True)
table = protocols.onset_table(sweep, target)              # the table of the onset study
tau = table["tau"]                                        # (n_lr, n_init), inf: never
tau_median = table["tau_median"]                          # (n_lr,), NaN: mostly never
for lr, m, kf, t_ in zip(lrs, sweep.mle, sweep.kept_fraction, tau):
    print(f"lr = {lr:<4g} lambda_nMLE = {m:6.3f}  chaotic fraction {kf:4.2f}  "
          f"steps to 90%: {t_}")

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
# the distance by less than a factor $e$ over the window). That $\rho$ rises from 0 to 1;
# the bars are bootstrap intervals over the initial conditions. The *chaotic fraction*
# (dashed) counts the fits kept for $\lambda_{nMLE}$ ($R^2 > 0.9$, $\Lambda > 0.05$).

# %%
rho = table["rho"]
print("rho:                ", np.round(rho, 2))
print("point estimates > 0:", np.round(table["rho_point"], 2))
plots.plot_onset(lrs, sweep.mle, rho, tau_median, rho_ci=table["rho_ci"],
                 mle_std=sweep.mle_std, rho_chaotic=table["rho_chaotic"],
                 mean_exponent=table["mean_exponent"],
                 title=f"digits, MLP {list(model.sizes)} (tanh)")

# %%
chaotic = table["rho_chaotic"]
onset = table["lr_chaos_onset"]                           # first lr with a chaotic IC
developed = table["lr_rho_chaotic_one"]                   # first lr where all are chaotic
fastest = table["lr_tau_min"]                             # lr of the smallest median tau
print(f"rho first reaches 1 at lr = {table['lr_rho_one']:g} (bootstrap 95 %: "
      f"{table['lr_rho_one_ci']}); lr of minimal tau: {fastest:g} ({table['lr_tau_min_ci']})")
print(f"chaos sets in at lr = {onset:g} and is fully developed at lr = {developed:g}; "
      f"training is fastest at lr = {fastest:g} ({np.nanmin(tau_median):.0f} steps, against "
      f"{tau_median[0]:.0f} at lr = {lrs[0]:g})")
assert chaotic[0] == 0 and chaotic[-1] == 1, "the sweep must cross the onset of chaos"
assert rho[0] == 0 and rho[-1] == 1, "rho rises from 0 to 1"
assert np.all(table["rho_point"] == 1), "while every point estimate is positive"
assert sweep.mle[-1] > 0.3, "a clearly positive exponent at the largest learning rate"
assert onset <= fastest <= developed, "training is fastest at the onset of chaos"
assert np.nanmin(tau_median) < 0.6 * tau_median[0], "and much faster than at small lr"
assert np.mean(np.isinf(tau[-1])) > 0.5, "at the largest lr training fails"

# %% [markdown]
# The picture of the paper, on a small problem: as $\eta$ grows, training gets faster
# until chaos sets in; in the window where the trajectories become chaotic the target
# accuracy is reached fastest; beyond it, the dynamics is too wild to learn within the
# budget (the accuracy curves below show why). Chaos, in moderation, helps: it lets the
# trajectory explore instead of creeping along a single valley.
#
# ## Explore
#
# Step through the learning rates of the sweep (no training on update): distances of the
# three initial conditions with their fitted exponential phases, and the test-accuracy
# curves with the 90 % target.

# %%
widgets.sweep_explorer(sweep, lr=3.0, target=target)

# %% [markdown]
# ## Beyond one machine
#
# The MNIST study behind this notebook swept 16 learning rates x 50 initial conditions x
# 6 trajectories of a 784-64-10 network, a job for a cluster. `lr_sweep` and `eps_sweep`
# split a sweep into chunks (a learning rate x a block of `chunk_size` initial
# conditions), each a pure function of its parameters and seed. Hand them an `executor`
# (a `dask.distributed.Client` or any `concurrent.futures.Executor`) and the chunks run
# on its workers; the result is bitwise identical to the local run. Here the same sweep
# on a cluster of two worker processes on this machine:

# %%
from dask.distributed import Client, LocalCluster

with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                  dashboard_address=":0", silence_logs="ERROR") as cluster, \
        Client(cluster) as client:
    remote = nc.lr_sweep(model, data, lrs, steps, 1e-8, n_init=3, n_pert=2, seed=0,
                         test_metrics=True, executor=client, chunk_size=2)
same = all(np.array_equal(remote.results[lr].distances, sweep.results[lr].distances,
                          equal_nan=True)                 # NaN: after a divergence
           for lr in lrs) and np.array_equal(remote.mle, sweep.mle, equal_nan=True)
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
# - Use `activation="relu"` or a wider hidden layer (`[64, 32, 10]`): does the fastest
#   learning rate still sit at the onset?
# - Change the target accuracy to 0.85 or 0.95 (`protocols.onset_table`). Which part of
#   the conclusion is robust?
# - Refine the sweep between $\eta = 1$ and $\eta = 4$ with more initial conditions
#   (`n_init=10`): how sharp is the onset?
# - Run `netchaos reproduce onset` (about ten minutes on two cores: 30 initial conditions per
#   learning rate) for the full-size version with intervals on where $\tau$ is minimal and
#   where $\rho$ reaches 1.
