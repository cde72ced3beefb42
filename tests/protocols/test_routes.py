"""Routes to chaos: type-I intermittency on the logistic map, the network protocol, and
``netchaos reproduce routes``."""

import json

import numpy as np
import pytest

import netchaos as nc
from netchaos.app import reproduce
from netchaos.protocols.routes import intermittency_scaling, network_intermittency, period_window

RC = 1 + np.sqrt(8)          # the logistic map's tangent bifurcation into period 3


def test_logistic_intermittency_has_the_type_one_exponent():
    d = np.geomspace(5e-5, 2e-3, 5)
    xs = [nc.systems.orbit(nc.systems.logistic(RC - e), 0.3, 60000, 100)[:, 0] for e in d]
    res = intermittency_scaling(xs, d, tol=0.01)
    assert np.all(res["n_phases"] >= 50)
    assert np.all(np.diff(res["mean_length"]) < 0)        # longer phases closer to r_c
    assert abs(res["slope"] + 0.5) < 0.1 and res["r2"] > 0.95 and res["consistent"]


def test_no_intermittency_inside_the_window_and_bad_input():
    # inside the window the orbit is period 3 for good: one phase, nothing to fit
    x = nc.systems.orbit(nc.systems.logistic(RC + 1e-3), 0.3, 5000, 5000)[:, 0]
    res = intermittency_scaling([x, x], [1e-3, 2e-3], tol=0.01)
    assert res["n_phases"].tolist() == [1, 1] and np.isnan(res["slope"])
    assert not res["consistent"]
    with pytest.raises(ValueError, match="offsets"):
        intermittency_scaling([x], [-1.0])
    with pytest.raises(ValueError, match="series"):
        intermittency_scaling([x], [1e-3, 2e-3])


def test_period_window_of_the_logistic_map():
    w = period_window(nc.systems.logistic, None, 3.80, 3.87, n=141, x0=0.3, transient=4000)
    assert w["found"] and RC <= w["lr_c"] <= RC + 0.0006
    assert 3.84 < w["lr_end"] < 3.857          # period doubling of the 3-cycle at 3.8415


def test_network_intermittency_runs_every_rate_as_its_own_trajectory():
    model = nc.MLP([4, 10, 3])
    data = nc.datasets.iris()
    theta = model.init(seed=0)
    res = network_intermittency(model, data, 6.0, [0.5, 1.0], steps=300, transient=100,
                                theta0=theta)
    one = nc.train(model, data, theta, lr=5.5, steps=400)
    np.testing.assert_array_equal(res["loss"][0], one.loss[101:])
    assert res["lr"].tolist() == [5.5, 5.0]


def test_reproduce_routes_quick_and_resume(tmp_path, monkeypatch):
    from netchaos.app.cli import main
    from netchaos.app.reproduce import _routes

    assert main(["reproduce", "routes", "--quick", "--out", str(tmp_path / "a"),
                 "--no-progress", "--quiet"]) == 0
    folder = tmp_path / "a" / "routes"
    s = json.loads((folder / "summary.json").read_text())
    for f in ["routes_logistic.png", "routes_network.png", "routes_trainability.png"]:
        assert f in s["figures"] and (folder / f).stat().st_size > 1000
    # the known answers come out of the experiment itself
    assert s["logistic"]["delta_relative_error"] < 0.01
    assert abs(s["logistic"]["exponent_at_r4"] - np.log(2)) < 0.03
    np.testing.assert_allclose(s["logistic"]["doublings"][:3], [3.0, 3.449490, 3.544090],
                               atol=2e-6)
    assert 0 < s["trainability"]["trained_fraction"] < 1
    assert sum(s["network"]["periods"].values()) == s["network"]["n_lr"]

    # interrupted in the trainability stage, then resumed: the same numbers
    real = _routes.trainability_map
    monkeypatch.setattr(_routes, "trainability_map",
                        lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        reproduce.routes(quick=True, out=tmp_path / "b", progress=False, verbose=False)
    kept = sorted(p.name for p in (tmp_path / "b" / "routes" / "checkpoints" / "stages").iterdir())
    assert "logistic.npz" in kept and "network.npz" in kept
    monkeypatch.setattr(_routes, "trainability_map", real)
    r = reproduce.routes(quick=True, out=tmp_path / "b", progress=False, verbose=False,
                         resume=True)
    for key in ("logistic", "network", "trainability", "zoom"):
        assert r[key] == s[key], key
