"""Sweeps on executors: a Dask LocalCluster of two single-threaded worker processes and a
spawning process pool give results bitwise identical to the local run, a worker killed
mid-chunk is recovered, and checkpoints work the same as locally."""

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest
from distributed import Client, LocalCluster
from test_io import assert_identical

import netchaos as nc
from netchaos import distributed as ncd

LRS = [0.5, 1.0, 2.0, 5.0]
# a sweep with real content: chaotic, non-chaotic and period-3 learning rates
KW = dict(steps=150, eps=1e-8, n_init=18, n_pert=4, seed=21, start=10,
          fit_kwargs={"min_window": 10}, mle_kwargs={"n_boot": 200}, test_metrics=True)


@pytest.fixture(scope="module")
def iris():
    return nc.datasets.iris(seed=0)


@pytest.fixture(scope="module")
def model():
    return nc.MLP([4, 10, 3])


@pytest.fixture(scope="module")
def local(iris, model):
    return nc.lr_sweep(model, iris, LRS, **KW)


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster, Client(cluster) as c:
        yield c


def _chunks(directory):
    return sorted(f for f in os.listdir(directory) if f.startswith("chunk-"))


@pytest.mark.slow
def test_local_chunking_does_not_change_the_result(iris, model, local):
    for size in (1, 5, 18, 1000):
        assert_identical(nc.lr_sweep(model, iris, LRS, chunk_size=size, **KW), local,
                         f"chunk_size={size}")
    assert np.isfinite(local.mle).all() and local.n_diverged.sum() == 0


def test_chunks_with_given_initial_conditions_and_every_parameter_perturbed(iris, model):
    theta0 = model.init(seed=5, n=7, scale=0.5)
    kw = dict(steps=60, eps=1e-6, n_pert=3, seed=2, theta0=theta0, scope="all", start=4,
              fit_kwargs={"min_window": 10}, mle_kwargs={"n_boot": 50})
    whole = nc.lr_sweep(model, iris, [1.0, 3.0], **kw)
    for size in (1, 3):
        parts = nc.lr_sweep(model, iris, [1.0, 3.0], chunk_size=size, **kw)
        assert_identical(parts, whole, f"chunk_size={size}")
    np.testing.assert_array_equal(whole.results[1.0].theta_init, theta0)
    assert np.any(whole.results[1.0].delta[..., -3:] != 0)       # biases perturbed too


def test_dask_cluster_is_bitwise_identical_to_the_local_run(iris, model, local, client):
    on_dask = nc.lr_sweep(model, iris, LRS, executor=client, chunk_size=5, **KW)
    assert_identical(on_dask, local, "2 Dask workers")
    # every worker was warmed up once and runs Numba on its one thread
    pids = client.run(os.getpid)
    assert len(set(pids.values())) == 2 and os.getpid() not in pids.values()
    threads = client.submit(ncd._on_dask_worker, lambda _: __import__("numba").get_num_threads(),
                            None, pure=False).result()
    assert threads == 1
    eps = nc.eps_sweep(model, iris, 1.0, 80, [1e-4, 1e-10], n_init=7, n_pert=2, seed=3,
                       executor=client, chunk_size=3, fit_kwargs={"min_window": 10})
    assert_identical(eps, nc.eps_sweep(model, iris, 1.0, 80, [1e-4, 1e-10], n_init=7, n_pert=2,
                                       seed=3, fit_kwargs={"min_window": 10}), "eps sweep on Dask")


def test_process_and_thread_pools(iris, model, local):
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        assert_identical(nc.lr_sweep(model, iris, LRS, executor=pool, chunk_size=9, **KW), local,
                         "spawned process pool")
    with ThreadPoolExecutor(2) as pool:
        assert_identical(nc.lr_sweep(model, iris, LRS, executor=pool, chunk_size=6, **KW), local,
                         "thread pool")


def test_bad_executors_are_refused(iris, model):
    with pytest.raises(TypeError, match="executor"):
        nc.lr_sweep(model, iris, LRS, executor="dask", **KW)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        with pytest.raises(ValueError, match="executor.*spawn"):
            nc.lr_sweep(model, iris, LRS, executor=pool, **KW)
    with pytest.raises(ValueError, match="chunk_size"):
        nc.lr_sweep(model, iris, LRS, chunk_size=0, **KW)


@pytest.mark.slow
def test_killed_worker_is_recovered_without_loss_or_duplicates(iris, model, tmp_path, client):
    """SIGKILL the worker process that is running a chunk: the scheduler reruns the chunk
    on the surviving (or restarted) worker, and the sweep ends identical to the local run
    with one checkpoint file per chunk."""
    kw = dict(KW, steps=400, n_init=40)
    lrs = [0.5, 1.0, 2.0, 3.0, 4.0, 5.0]
    reference = nc.lr_sweep(model, iris, lrs, chunk_size=20, **kw)
    ck = str(tmp_path / "ck")
    out = {}

    def run():
        try:
            out["sweep"] = nc.lr_sweep(model, iris, lrs, executor=client, chunk_size=20,
                                       checkpoint=ck, **kw)
        except BaseException as exc:  # reported by the main thread
            out["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 120
    victim = None
    while victim is None:
        assert time.monotonic() < deadline, "no chunk was running on a worker within 120 s"
        assert thread.is_alive(), f"sweep ended before a worker was killed: {out}"
        if os.path.isdir(ck) and _chunks(ck):  # one chunk done: the workers are warm
            busy = [w for w, keys in client.processing().items() if keys]
            if busy:
                victim = busy[0]
        time.sleep(0.02)
    pids = client.run(os.getpid)
    os.kill(pids[victim], signal.SIGKILL)
    thread.join(300)
    assert not thread.is_alive(), "the sweep did not finish after the worker was killed"
    assert "error" not in out, out.get("error")
    assert_identical(out["sweep"], reference, "sweep with a killed worker")
    assert _chunks(ck) == [f"chunk-{i:04d}.npz" for i in range(2 * len(lrs))]
    # the nanny brought the worker back
    deadline = time.monotonic() + 60
    while len(client.scheduler_info()["workers"]) < 2:
        assert time.monotonic() < deadline, "the killed worker was not restarted"
        time.sleep(0.1)
    assert pids[victim] not in client.run(os.getpid).values()


def test_resume_on_dask_never_recomputes_a_finished_chunk(iris, model, local, client,
                                                          tmp_path):
    ck = str(tmp_path / "ck")
    first = nc.lr_sweep(model, iris, LRS, executor=client, chunk_size=9, checkpoint=ck, **KW)
    assert_identical(first, local)
    files = _chunks(ck)
    assert len(files) == 2 * len(LRS)
    lost = files[1::3]                        # as if the run had been interrupted
    for f in lost:
        os.unlink(os.path.join(ck, f))
    kept = {f: os.stat(os.path.join(ck, f)).st_mtime_ns for f in files if f not in lost}
    resumed = nc.lr_sweep(model, iris, LRS, executor=client, chunk_size=9, checkpoint=ck,
                          resume=True, **KW)
    assert_identical(resumed, local)
    assert _chunks(ck) == files
    assert {f: os.stat(os.path.join(ck, f)).st_mtime_ns for f in kept} == kept
    # a different chunking is another run's directory: refused, nothing overwritten
    with pytest.raises(ValueError, match="chunk_size"):
        nc.lr_sweep(model, iris, LRS, executor=client, chunk_size=6, checkpoint=ck,
                    resume=True, **KW)
    assert {f: os.stat(os.path.join(ck, f)).st_mtime_ns for f in kept} == kept


def test_run_chunks_orders_results_and_reports_each_once():
    seen = []
    with ThreadPoolExecutor(3) as pool:
        out = ncd.run_chunks(_slow_square, list(range(8)), pool, done={2: "kept"},
                             on_result=lambda i, r: seen.append(i))
    assert out == [0, 1, "kept", 9, 16, 25, 36, 49]
    assert sorted(seen) == [0, 1, 3, 4, 5, 6, 7]
    assert ncd.dashboard_link(None) is None and not ncd.is_dask_client(pool)


def test_dashboard_link_and_warm_up(client):
    assert ncd.is_dask_client(client)
    assert ncd.dashboard_link(client).startswith("http")
    assert nc.sweeps.warm_up() == os.getpid()


def _slow_square(x):
    time.sleep(0.01 * (8 - x))              # finish out of order
    return x * x
