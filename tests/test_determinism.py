"""Same seed, same bits: repeated runs and 1 vs 2 Numba threads give bitwise identical
trajectories, ensembles, sweeps and spectra."""

import os
import subprocess
import sys
import textwrap

import numba
import numpy as np
import pytest
from test_io import assert_identical

import netchaos as nc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# the workload, as source so that the subprocesses run exactly the same code
WORKLOAD = textwrap.dedent(
    """
    import numpy as np
    import netchaos as nc

    def workload():
        data = nc.datasets.iris(seed=0)
        model = nc.MLP([4, 10, 3])
        fit, mle = {"min_window": 10}, {"n_boot": 100}
        return {
            "train": nc.train(model, data, model.init(seed=4, n=37), 1.0, 150),
            "sgd": nc.train(model, data, model.init(seed=5, n=9), 0.5, 60, batch_size=16,
                            seed=6, record="params", every=10),
            "ensemble": nc.perturbation_ensemble(model, data, lr=1.0, steps=120, eps=1e-8,
                                                 n_init=23, n_pert=4, seed=7, start=30,
                                                 record="all"),
            "eps_sweep": nc.eps_sweep(model, data, 1.0, 100, [1e-6, 1e-10], n_init=12,
                                      n_pert=3, seed=8, fit_kwargs=fit, mle_kwargs=mle),
            "lr_sweep": nc.lr_sweep(model, data, [0.5, 5.0, 100.0], 100, 1e-8, n_init=12,
                                    n_pert=3, seed=9, same_perturbations=False, fit_kwargs=fit,
                                    mle_kwargs=mle, test_metrics=True),
            "diverging": nc.lr_sweep(nc.MLP([4, 10, 3], activation="linear"), data, [20.0],
                                     90, 1e-8, n_init=10, n_pert=2, seed=10, fit_kwargs=fit, mle_kwargs=mle),
            "spectrum": nc.lyapunov_spectrum(model, data, model.init(seed=11), 1.0, steps=40,
                                             k=4, seed=12),
        }
    """
)
SCRIPT = WORKLOAD + textwrap.dedent(
    """
    import sys
    import numba
    nc.save(workload(), sys.argv[1], metadata={"threads": numba.get_num_threads()})
    """
)
_namespace = {}
exec(compile(WORKLOAD, "<determinism workload>", "exec"), _namespace)
workload = _namespace["workload"]


@pytest.fixture(scope="module")
def reference():
    return workload()


def test_repeated_runs_are_bitwise_identical(reference):
    again = workload()
    assert_identical(reference, again)
    # the diverging sweep really diverged, the others did not
    assert reference["diverging"].n_diverged[0] > 0
    assert reference["eps_sweep"].n_diverged.sum() == 0


def test_generator_and_int_seeds_agree():
    data = nc.datasets.iris(seed=0)
    model = nc.MLP([4, 10, 3])
    kw = dict(lr=1.0, steps=40, eps=1e-8, n_init=5, n_pert=2)
    a = nc.perturbation_ensemble(model, data, seed=3, **kw)
    b = nc.perturbation_ensemble(model, data, seed=a.seed, **kw)
    assert_identical(a, b)
    g1 = nc.perturbation_ensemble(model, data, seed=np.random.default_rng(1), **kw)
    g2 = nc.perturbation_ensemble(model, data, seed=np.random.default_rng(1), **kw)
    assert_identical(g1, g2)
    other = nc.perturbation_ensemble(model, data, seed=4, **kw)
    assert not np.array_equal(other.theta_init, a.theta_init)


def test_one_and_two_threads_in_process(reference):
    """``numba.set_num_threads`` within one process (the pool is as large as the
    machine or NUMBA_NUM_THREADS allows; CI runs with 2)."""
    before = numba.get_num_threads()
    top = numba.config.NUMBA_NUM_THREADS
    try:
        for n in sorted({1, min(2, top)}):
            numba.set_num_threads(n)
            assert_identical(workload(), reference, f"result with {n} thread(s)")
    finally:
        numba.set_num_threads(before)


@pytest.mark.slow
def test_one_and_two_threads_in_subprocesses(reference, tmp_path):
    """Fresh processes started with NUMBA_NUM_THREADS=1 and =2."""
    procs = {}
    for n in (1, 2):
        env = dict(os.environ, NUMBA_NUM_THREADS=str(n),
                   PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
        procs[n] = subprocess.Popen([sys.executable, "-c", SCRIPT, str(tmp_path / f"t{n}.npz")],
                                    env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True)
    for n, p in procs.items():
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, f"NUMBA_NUM_THREADS={n} failed:\n{err}"
        assert nc.io.read_metadata(tmp_path / f"t{n}.npz")["metadata"]["threads"] == n
    one, two = nc.load(tmp_path / "t1.npz"), nc.load(tmp_path / "t2.npz")
    assert_identical(one, two, "1 vs 2 threads")
    assert_identical(one, reference, "subprocess vs this process")


_BLAS_SCRIPT = """
import sys
import numpy as np
import netchaos as nc
data = nc.datasets.digits(seed=0)
model = nc.MLP([64, 256, 10], activation="tanh")             # 19,210 parameters
theta = model.init(seed=0)
spec = nc.lyapunov_spectrum(model, data, theta, lr=0.5, steps=10, k=3, seed=0)
top = nc.sharpness(model, theta, data.X_train, data.y_train, k=2, seed=0)
sys.stdout.write(spec.exponents.tobytes().hex() + " " + np.asarray(top).tobytes().hex())
"""


@pytest.mark.slow
def test_results_do_not_depend_on_blas_threads():
    """Gram-Schmidt and Lanczos on 19,210-long vectors call BLAS, which splits such products
    between its threads; netchaos runs them on one BLAS thread, so the bits are the same for
    any OPENBLAS_NUM_THREADS (1, 2, unset)."""
    outs = []
    for threads in ("1", "2", None):
        env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
        env.pop("OPENBLAS_NUM_THREADS", None)
        env.pop("OMP_NUM_THREADS", None)
        if threads is not None:
            env["OPENBLAS_NUM_THREADS"] = threads
        out = subprocess.run([sys.executable, "-c", _BLAS_SCRIPT], env=env, capture_output=True,
                             text=True, timeout=600)
        assert out.returncode == 0, out.stderr
        outs.append(out.stdout)
    assert outs[0] == outs[1] == outs[2]
    assert len(outs[0].split()) == 2
