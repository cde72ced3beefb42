"""The recorder of custom training loops and recordings made outside netchaos: known exponents,
divergence reported, memory independent of the number of steps, explicit layouts."""

import numpy as np
import pytest

import netchaos as nc
from netchaos.recorder import Recorder, map_ensemble

A = np.diag([1.25, 0.5, 0.9])


def test_linear_map_exponent_is_exact():
    rec = Recorder(lambda th: A @ th, theta=np.ones(3), eps=1e-9, n_pert=4, seed=0)
    theta = np.ones(3)
    for _ in range(80):
        theta = A @ theta
        rec.step(theta)
    ens = rec.result()
    fl = nc.finite_lyapunov(ens)
    # the distance of every copy grows like 1.25^t once the leading direction dominates
    assert fl.exponent[0] == pytest.approx(np.log(1.25), abs=1e-3)
    assert ens.distances.shape == (1, 4, 81) and ens.seed == 0


def test_same_perturbations_as_perturbation_ensemble():
    model = nc.MLP([4, 3, 3])
    data = nc.datasets.iris()
    theta0 = model.init(seed=1, n=2)
    ens = nc.perturbation_ensemble(model, data, lr=0.5, steps=20, eps=1e-7, n_pert=3,
                                   theta0=theta0, seed=4)
    m = nc.GDMap(model, data, lr=0.5)
    mine = map_ensemble(m, theta0, 20, 1e-7, n_pert=3, seed=4, mask=model.weight_mask)
    np.testing.assert_array_equal(mine.delta, ens.delta)
    np.testing.assert_allclose(mine.distances, ens.distances, rtol=1e-9)


def test_divergence_is_reported_not_fitted():
    grow = np.diag([3.0, 1.0])
    rec = Recorder(lambda th: grow @ th, theta=np.ones(2), eps=1e-3, n_pert=2, seed=0)
    theta = np.ones(2)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(700):                  # 3^700 overflows
            theta = grow @ theta
            rec.step(theta)
    ens = rec.result()
    assert np.isnan(ens.distances[0, :, -1]).all() and ens.n_diverged == 1
    assert nc.finite_lyapunov(ens).reason[0] == "nonfinite"


def test_memory_does_not_grow_with_steps():
    P, K = 2000, 3
    rec = Recorder(lambda th: 0.999 * th, theta=np.ones(P), eps=1e-8, n_pert=K, seed=0)
    theta = np.ones(P)
    for _ in range(300):
        theta = 0.999 * theta
        rec.step(theta)
    held = sum(v.nbytes for v in vars(rec).values() if isinstance(v, np.ndarray))
    held += sum(d.nbytes for d in rec._d)
    assert held <= 8 * (3 * K * P + 2 * P + K * 301 + 64)     # O(K P + K T), not O(K P T)


def test_from_arrays_layouts():
    rng = np.random.default_rng(0)
    d = np.exp(0.2 * np.arange(50))[None, None] * rng.uniform(1, 2, size=(2, 3, 1)) * 1e-8
    base = nc.EnsembleResult.from_arrays(d, lr=1.0, eps=1e-8)
    np.testing.assert_array_equal(base.distances, d)
    for layout, arr in (("t,init,pert", d.transpose(2, 0, 1)), ("pert,t,init", d.transpose(1, 2, 0))):
        np.testing.assert_array_equal(nc.EnsembleResult.from_arrays(arr, layout=layout).distances, d)
    one = nc.EnsembleResult.from_arrays(d[0].T, layout="t,pert", loss=np.ones(50))
    assert one.distances.shape == (1, 3, 50) and one.loss.shape == (1, 50)
    with pytest.raises(ValueError, match="ambiguous"):
        nc.EnsembleResult.from_arrays(d[0])
    with pytest.raises(ValueError, match="layout"):
        nc.EnsembleResult.from_arrays(d[0], layout="pert,init")
    with pytest.raises(ValueError, match="loss"):
        nc.EnsembleResult.from_arrays(d, loss=np.ones((2, 7)))
    with pytest.warns(UserWarning, match="float32"):
        low = nc.EnsembleResult.from_arrays(d.astype(np.float32))
    assert low.precision == "float32" and base.precision == "float64"


def test_finite_lyapunov_refuses_an_ambiguous_array():
    d = 1e-8 * np.exp(0.3 * np.arange(201))[:, None] * np.ones((1, 5))    # (T, n_pert)
    with pytest.raises(ValueError, match="ambiguous.*layout"):
        nc.finite_lyapunov(d)
    fl = nc.finite_lyapunov(d, layout="t,pert")
    assert fl.exponent.shape == (1,) and fl.exponent[0] == pytest.approx(0.3, abs=1e-9)
    fl = nc.finite_lyapunov(d.T, layout="pert,t")                       # one initial condition
    assert fl.exponent.shape == (1,)


def test_network_mle_reason_codes():
    assert nc.network_mle([0.3, 0.4, 0.35], seed=0).reason == "ok"
    assert nc.network_mle([0.3], seed=0).reason == "one_kept"
    assert nc.network_mle([0.01, -0.2], seed=0).reason == "none_kept"
    assert nc.network_mle([np.nan, np.nan], seed=0).reason == "all_nan"
    assert nc.network_mle([0.3, 0.4], n_boot=0).reason == "no_bootstrap"
    for r in ("one_kept", "none_kept", "all_nan", "no_bootstrap"):
        assert r in nc.exponents.MLE_REASONS


def test_save_converts_tensors_and_names_keys(tmp_path):
    torch = pytest.importorskip("torch")
    path = str(tmp_path / "x.npz")
    nc.save({"dist": torch.ones(3, requires_grad=True)}, path)
    np.testing.assert_array_equal(nc.load(path)["dist"], np.ones(3, dtype=np.float32))
    with pytest.raises(TypeError, match="'bad'"):
        nc.save({"ok": 1.0, "bad": object()}, path)
