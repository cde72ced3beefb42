"""The lr = 5 Iris run of notebook 05's explorer (initial condition 6): its period-3 phase at a
higher level after a period-10 phase is laminar, not the longest burst."""

import numpy as np
import pytest

import netchaos as nc
from netchaos import protocols as pr


@pytest.mark.slow
def test_iris_lr5_seed6_periodic_phase_is_not_a_burst():
    data = nc.datasets.iris(seed=0)
    model = nc.MLP([4, 10, 3], activation="sigmoid", loss="cross_entropy")
    x = nc.train(model, data, model.init(seed=6), 5.0, 3000).loss[200:]
    lam = nc.laminar_phases(x)
    assert set(lam.periods.tolist()) == {3, 10}
    late = lam.phases[lam.periods == 3]
    assert late[0, 0] > lam.phases[lam.periods == 10][0, 1] - 30   # period 3 comes after 10
    assert np.mean(x[late[0, 0]:late[0, 1]]) > 2 * np.mean(x[lam.phases[0, 0]:lam.phases[0, 1]])
    s, e = pr.longest_burst(x, lam)
    assert (s, e) != (1653, 2801) and e <= lam.phases[0, 0]      # the burst before the phases
    # with one period per series (period 10), steps 1853-3001 were the longest burst
    assert pr.longest_burst(x, nc.laminar_phases(x, period=10)) == (1653, 2801)
