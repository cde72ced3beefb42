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
