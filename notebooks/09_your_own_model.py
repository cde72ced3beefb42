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
# # 9. Your own model: a PyTorch CNN through netchaos
#
# **Learning goal:** run the analyses of notebooks 1-7 on a model of your own, written in
# PyTorch and trained in your own loop, without rewriting it into flat arrays.
#
# The adapter `netchaos.adapters.torch.TorchModel` turns a `torch.nn.Module` and a loss over
# given data into the gradient-descent map on one flat float64 vector. Its tangent map
# $V \mapsto V - \eta H V$ is `torch.func.jvp` of the gradient: the spectrum of the leading
# $k$ directions never forms the $P \times P$ Jacobian.

# %%
# %matplotlib inline
import numpy as np
import torch

import netchaos as nc
from netchaos import plots, widgets
from netchaos.adapters.torch import TorchModel
from netchaos.recorder import Recorder

data = nc.datasets.digits(n_train=300)
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Unflatten(1, (1, 8, 8)), torch.nn.Conv2d(1, 4, 3),
                          torch.nn.Tanh(), torch.nn.Flatten(), torch.nn.Linear(144, 10))
model = TorchModel(net, torch.nn.functional.cross_entropy, data)
model

# %% [markdown]
# ## The spectrum of the leading directions
#
# `model.map(lr)` is a netchaos map object: `lyapunov_spectrum` and `covariant_vectors` take
# it as they take the Hénon map of notebook 1.

# %%
gd = model.map(lr=0.5)
spec = nc.lyapunov_spectrum(gd, x0=model.theta, steps=60, k=5, seed=0)
assert not spec.diverged
plots.plot_spectrum(spec.exponents, running=spec.running, times=spec.times)

# %% [markdown]
# The explorer recomputes the spectrum of the same CNN for another learning rate (the seed
# slider does not apply here: the adapter starts from the module's own parameters).

# %%
widgets.spectrum_explorer(model, data, lr=0.5, steps=30, k=3)

# %% [markdown]
# ## Sharpness you can check: both ends of the Hessian, per layer
#
# Lanczos gives the largest and the most negative eigenvalues, of the whole Hessian and of
# each parameter tensor, with the residual $\|Hu - \lambda u\|$ of every answer.

# %%
X, y = data.train
ev = nc.hessian_eigenvalues(model, model.theta, X, y, k=2,
                            blocks={n: model.blocks[n] for n in ("1.weight", "1.bias")}, seed=0)
for name, top, bottom, r in zip(ev.names, ev.top, ev.bottom, ev.residual_top):
    print(f"{name:10s} top {top.round(4)}  most negative {bottom.round(5)}  residual {r.max():.1e}")
assert ev.converged.all()

# %% [markdown]
# ## A recorder beside your own training loop
#
# The loop below is plain PyTorch. `rec.step(net)` after each optimiser step advances five
# perturbed copies with the same GD map and records their distance to your network.

# %%
work = model.load(model.theta, torch.nn.Sequential(
    torch.nn.Unflatten(1, (1, 8, 8)), torch.nn.Conv2d(1, 4, 3), torch.nn.Tanh(),
    torch.nn.Flatten(), torch.nn.Linear(144, 10)).double())
opt = torch.optim.SGD(work.parameters(), lr=0.5)
Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
rec = Recorder(gd, model.theta, eps=1e-8, n_pert=5, seed=0, mask=model.weight_mask,
               flatten=model.flatten)
for _ in range(80):
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(work(Xt), yt)
    loss.backward()
    opt.step()
    rec.step(work, loss=loss)
ens = rec.result()
fl = nc.finite_lyapunov(ens, min_window=10)
print(fl.exponent, fl.reason)
plots.plot_distances(np.arange(ens.steps + 1), ens.distances[0])

# %% [markdown]
# ## Try this
#
# Raise the learning rate to 2 and compare the finite exponent with the
# leading exponent of the spectrum above; replace the `Tanh` by a `LayerNorm` + `ReLU`; use
# `model.momentum_map(lr, beta)` for momentum SGD, a map on $(\theta, v)$.
