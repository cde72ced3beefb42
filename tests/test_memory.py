"""Calls whose arrays cannot fit are refused with a ValueError naming the argument, the size
needed and the memory available, before any large allocation (checked under an address-space
cap, where an attempted allocation would fail with MemoryError instead)."""

import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = textwrap.dedent(
    """
    import resource, sys
    cap = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    import numpy as np
    import netchaos as nc
    from netchaos._validate import available_memory
    assert available_memory() <= cap
    for call in (lambda: nc.MLP([784, 4096, 10]).init(n=1000),
                 lambda: nc.train(nc.MLP([4, 10, 3]), nc.datasets.iris(),
                                  nc.MLP([4, 10, 3]).init(seed=0, n=2), 0.1, 10**9,
                                  record="params")):
        try:
            call()
        except ValueError as exc:
            print("ValueError:", exc)
        except MemoryError as exc:
            print("MemoryError:", exc)
    small = nc.train(nc.MLP([4, 10, 3]), nc.datasets.iris(), nc.MLP([4, 10, 3]).init(seed=0, n=3),
                     0.1, 20, record="params")
    print("small run:", small.params.shape)
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc are Linux's")
def test_size_checks_refuse_before_allocating_under_an_address_space_cap():
    cap = 6 * 2**30
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(cap)], env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "MemoryError" not in out.stdout
    init, train, small = lines[-3:]
    assert init.startswith("ValueError: MLP.init(n=1000)") and "GiB of memory but only" in init
    assert train.startswith("ValueError: train(steps=1000000000, record='params'")
    assert "available" in train
    assert small == "small run: (3, 21, 83)"


def test_init_rows_are_the_rows_of_the_whole_draw():
    """A block of initial conditions is drawn without the others, bit for bit the same."""
    import numpy as np

    import netchaos as nc

    model = nc.MLP([5, 7, 4, 3], activation="tanh")
    for scheme in ("normal", "glorot", "he"):
        whole = model.init(np.random.default_rng(8), n=9, scale=0.7, scheme=scheme)
        for lo, hi in ((0, 9), (0, 1), (3, 5), (8, 9)):
            rows = model._init_rows(np.random.default_rng(8), 9, (lo, hi), 0.7, scheme)
            assert rows.tobytes() == whole[lo:hi].tobytes()


def test_a_sweep_chunk_allocates_for_its_own_initial_conditions_only():
    """The peak of one chunk (2 initial conditions) does not grow with the ensemble's n_init:
    neither the initial conditions nor the perturbations of the other chunks are drawn into
    memory (numpy's allocations, traced by tracemalloc)."""
    import tracemalloc

    import numpy as np

    import netchaos as nc
    from netchaos import sweeps

    rng = np.random.default_rng(0)
    data = (rng.standard_normal((20, 64)), rng.integers(0, 10, 20))
    model = nc.MLP([64, 256, 10], activation="tanh")           # 19,210 parameters

    def peak(n_init):
        params = dict(model=model, data=data, lr=0.1, steps=2, eps=1e-8, n_init=n_init,
                      n_pert=5, seed=12345, pert_key=0, scope="weights", start=0, theta0=None,
                      init_scale=1.0, init_scheme="normal", test_metrics=False,
                      record="distances", fit={}, block=(0, 2))
        sweeps._run_chunk(params)                               # compiled before tracing
        tracemalloc.start()
        try:
            out = sweeps._run_chunk(params)
            assert out["ensemble"].distances.shape == (2, 5, 3)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small = peak(2)
    large = peak(200)    # drawing the whole ensemble would take 150 MB more
    state = 8 * 2 * 6 * model.n_params
    assert large < small + state, (small, large, state)


def test_a_wide_ensemble_holds_its_state_once():
    """A perturbation ensemble of a wide network (the matrix-product kernels) runs on its
    (K, P) state in place, block by block: its peak (numpy's allocations, traced by
    tracemalloc) is what the result keeps (the final state, the perturbations, the initial
    and start states, one array when ``start == 0``: 1 + n_pert / (1 + n_pert) +
    1 / (1 + n_pert) copies, two in all) plus less than half a copy (a block's gathered
    lanes and the kernel's work arrays), where packing the state into one block, its
    gradient and unpacking took three more copies."""
    import tracemalloc

    import numpy as np

    import netchaos as nc

    rng = np.random.default_rng(0)
    data = (rng.standard_normal((30, 784)), rng.integers(0, 10, 30))
    model = nc.MLP([784, 40, 10], activation="tanh")            # 31,810 parameters
    assert model._wide
    n_init, n_pert = 100, 5                  # 600 trajectories: 25 blocks of 24
    args = (model, data, 0.1, 2, 1e-8)
    nc.perturbation_ensemble(*args, n_init=2, n_pert=n_pert, seed=0)   # compiled first
    tracemalloc.start()
    try:
        ens = nc.perturbation_ensemble(*args, n_init=n_init, n_pert=n_pert, seed=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    state = 8 * n_init * (1 + n_pert) * model.n_params
    assert ens.theta_start is ens.theta_init
    kept = ens.theta_final.nbytes + ens.delta.nbytes + ens.theta_init.nbytes
    assert kept / state > 1.99
    assert peak < kept + 0.5 * state, (peak / state, kept / state)
