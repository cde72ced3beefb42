"""A sweep killed with SIGKILL midway resumes from its checkpoint directory and ends
bitwise identical to an uninterrupted run."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from test_io import assert_identical

import netchaos as nc
from netchaos import sweeps

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LRS = [0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0]
# each value trains 96 x (1 + 4) trajectories for 200 steps: about half a second on two cores
KW = dict(steps=200, eps=1e-8, n_init=96, n_pert=4, seed=11, mle_kwargs={"n_boot": 200})
MIDWAY = 3  # chunks on disk when the process is killed (at least; it dies in a later one)

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import netchaos as nc
    checkpoint, lrs, kw = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
    data = nc.datasets.iris(seed=0)
    nc.lr_sweep(nc.MLP([4, 10, 3]), data, lrs, checkpoint=checkpoint, **kw)
    print("finished")
    """
)


def _chunks(directory):
    if not os.path.isdir(directory):
        return []
    return sorted(f for f in os.listdir(directory) if f.startswith("chunk-") and f.endswith(".npz"))


def _report(request, lines):
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print()
        for line in lines:
            print(line)


@pytest.mark.slow
def test_sigkill_midway_then_resume_is_bitwise_identical(tmp_path, monkeypatch, request):
    ck = str(tmp_path / "checkpoint")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, ck, json.dumps(LRS), json.dumps(KW)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        while len(_chunks(ck)) < MIDWAY:
            assert proc.poll() is None, f"the sweep process exited early:\n{proc.communicate()[1]}"
            assert time.monotonic() < deadline, f"fewer than {MIDWAY} chunks within 300 s"
            time.sleep(0.01)
        t_midway = time.perf_counter() - t0
        os.kill(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    t_kill = time.perf_counter() - t0
    assert proc.returncode == -signal.SIGKILL
    assert "finished" not in out
    done = _chunks(ck)
    n_done = len(done)
    assert MIDWAY <= n_done < len(LRS), f"killed after {n_done} of {len(LRS)} chunks"
    assert done == [f"chunk-{i:04d}.npz" for i in range(n_done)]
    mtimes = {f: os.stat(os.path.join(ck, f)).st_mtime_ns for f in done}

    computed = []
    real = sweeps._run_chunk

    def counted(params):
        computed.append(params["lr"])
        return real(params)

    monkeypatch.setattr(sweeps, "_run_chunk", counted)
    data = nc.datasets.iris(seed=0)
    model = nc.MLP([4, 10, 3])
    t1 = time.perf_counter()
    resumed = nc.lr_sweep(model, data, LRS, checkpoint=ck, resume=True, **KW)
    t_resume = time.perf_counter() - t1
    assert computed == LRS[n_done:]                       # finished chunks were reused
    assert {f: os.stat(os.path.join(ck, f)).st_mtime_ns for f in done} == mtimes
    assert _chunks(ck) == [f"chunk-{i:04d}.npz" for i in range(len(LRS))]
    assert not any(f.endswith(".tmp") for f in os.listdir(ck))

    monkeypatch.setattr(sweeps, "_run_chunk", real)
    t2 = time.perf_counter()
    full = nc.lr_sweep(model, data, LRS, **KW)
    t_full = time.perf_counter() - t2
    assert_identical(resumed, full)
    assert np.all(np.isfinite(full.mle[:4]))              # a sweep with real content

    _report(request, [
        f"kill/resume: {MIDWAY} chunks on disk {t_midway:.2f} s after the start of the sweep "
        f"process (start-up and import included); SIGKILL, process gone at {t_kill:.2f} s with "
        f"{n_done}/{len(LRS)} chunks on disk",
        f"kill/resume: resumed run {t_resume:.2f} s ({len(LRS) - n_done} chunks computed), "
        f"uninterrupted run {t_full:.2f} s; results bitwise identical",
    ])


@pytest.mark.slow
def test_second_process_on_a_busy_checkpoint_is_refused_and_nothing_is_lost(tmp_path,
                                                                           monkeypatch):
    """Two processes on one checkpoint directory: the second is refused at once with a message
    naming the first (which goes on undisturbed); the finished directory then resumes to a
    result bitwise identical to a single uninterrupted run."""
    ck = str(tmp_path / "checkpoint")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    args = [sys.executable, "-c", SCRIPT, ck, json.dumps(LRS), json.dumps(KW)]
    first = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    try:
        deadline = time.monotonic() + 300
        while len(_chunks(ck)) < 1:
            assert first.poll() is None, first.communicate()[1]
            assert time.monotonic() < deadline
            time.sleep(0.01)
        before = set(os.listdir(ck))
        second = subprocess.run(args[:-1] + [json.dumps({**KW, "resume": True})], env=env,
                                capture_output=True, text=True, timeout=300)
        assert second.returncode != 0 and "finished" not in second.stdout
        assert f"in use by process {first.pid}" in second.stderr
        assert "CheckpointInUse" in second.stderr and "Traceback" in second.stderr
        assert before <= set(os.listdir(ck)) | {f for f in before if f.endswith(".tmp")}
        out, err = first.communicate(timeout=600)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert first.returncode == 0 and "finished" in out, err
    assert _chunks(ck) == [f"chunk-{i:04d}.npz" for i in range(len(LRS))]

    computed = []
    real = sweeps._run_chunk
    monkeypatch.setattr(sweeps, "_run_chunk", lambda p: computed.append(p["lr"]) or real(p))
    data, model = nc.datasets.iris(seed=0), nc.MLP([4, 10, 3])
    resumed = nc.lr_sweep(model, data, LRS, checkpoint=ck, resume=True, **KW)
    assert computed == []                                   # all of the first run was kept
    monkeypatch.setattr(sweeps, "_run_chunk", real)
    assert_identical(resumed, nc.lr_sweep(model, data, LRS, **KW))


def test_one_process_cannot_open_a_directory_twice(tmp_path):
    from netchaos.checkpoint import CheckpointInUse, ChunkStore

    store = ChunkStore(tmp_path / "ck", {"sweep": "x"}, resume=False)
    with pytest.raises(CheckpointInUse, match="in use by process"):
        ChunkStore(tmp_path / "ck", {"sweep": "x"}, resume=True)
    store.close()
    with ChunkStore(tmp_path / "ck", {"sweep": "x"}, resume=True) as again:
        assert again.done() == []
