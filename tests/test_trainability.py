"""Trainability maps: the exact threshold of a quadratic loss, per-layer rates, box counting."""

import numpy as np
import pytest

import netchaos as nc
from netchaos.trainability import boundary_dimension, zoom_grids
from netchaos.training import final_states


def _quadratic():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((50, 2))
    y = (X @ [1.0, -1.0] + 0.5)[:, None]
    A = np.hstack([X, np.ones((50, 1))])
    return (X, y), np.linalg.eigvalsh(2.0 / 50 * A.T @ A).max()


def test_quadratic_threshold_is_two_over_h_max_and_straight():
    data, hmax = _quadratic()
    model = nc.MLP([2, 1], loss="mse")
    lr = np.linspace(0.5, 1.5, 64) * 2 / hmax
    scale = np.linspace(0.5, 3.0, 64)
    res = nc.trainability_map(model, data, lr, scale, second="scale", steps=2000,
                              theta0=np.array([1.0, 1.0, 1.0]))
    # a point trains exactly when lr < 2 / h_max, whatever the initial scale
    np.testing.assert_array_equal(res.trained, (lr < 2 / hmax)[:, None] & np.ones(64, bool))
    assert abs(res.dimension - 1.0) < 0.05
    assert res.dimension_interval[0] <= 1.0 + 0.05 and res.dimension_interval[1] >= 0.95


def test_segmented_map_is_bitwise_the_one_call_map():
    # half of the quadratic grid diverges (at steps 500-1600): the segmented run leaves those
    # points out of later calls and must report the same verdicts, steps and losses
    data, hmax = _quadratic()
    model = nc.MLP([2, 1], loss="mse")
    lr, scale = np.linspace(0.5, 1.5, 12) * 2 / hmax, np.linspace(0.5, 3.0, 12)
    kw = dict(second="scale", steps=2000, theta0=np.array([1.0, 1.0, 1.0]))
    one = nc.trainability_map(model, data, lr, scale, segment=2000, **kw)
    assert 0.3 < (one.diverged_at >= 0).mean() < 0.7
    iris = dict(model=nc.MLP([4, 10, 3]), data=nc.datasets.iris(), lr_grid=np.geomspace(0.1, 100, 8),
                second_grid=np.geomspace(0.1, 100, 8), steps=60)
    iris_one = nc.trainability_map(**iris, segment=60)
    for segment in (1, 37, 100):
        for a, b in ((nc.trainability_map(model, data, lr, scale, segment=segment, **kw), one),
                     (nc.trainability_map(**iris, segment=segment), iris_one)):
            for f in ("trained", "diverged_at", "initial_loss", "final_loss"):
                assert np.array_equal(getattr(a, f), getattr(b, f), equal_nan=True), f
    with pytest.raises(ValueError, match="segment"):
        nc.trainability_map(model, data, lr, scale, segment=0, **kw)


def test_final_states_equal_one_train_call():
    data, hmax = _quadratic()
    model = nc.MLP([2, 1], loss="mse")
    start = np.ones((6, 3)) * np.arange(1, 7)[:, None]
    start[2, 1] = np.nan                       # flagged at step 0, as train flags it
    lr = np.linspace(0.6, 1.4, 6) * 2 / hmax
    one = nc.train(model, data, start, lr=lr, steps=900, record="final")
    assert (one.diverged_at >= 0).sum() >= 3
    for steps, segment in ((900, 50), (900, 1), (0, 10)):
        ref = one if steps == 900 else nc.train(model, data, start, lr=lr, steps=0, record="final")
        theta, div = final_states(model, data, start, lr, steps, segment=segment)
        assert np.array_equal(theta, ref.theta, equal_nan=True)
        assert np.array_equal(div, ref.diverged_at)
    assert div[2] == 0
    with pytest.raises(ValueError, match="theta0"):
        final_states(model, data, start[0], lr[0], 10)
    with pytest.raises(ValueError, match="lr"):
        final_states(model, data, start, lr[:3], 10)


def test_per_layer_rates_use_the_layer_of_every_parameter():
    model = nc.MLP([4, 3, 3])
    X, y = nc.datasets.iris().train
    theta = model.init(seed=0)
    res = nc.trainability_map(model, (X, y), [0.7], [1.9], steps=1, theta0=theta)
    g = model.grad(theta, X, y)
    first = np.zeros(model.n_params, bool)
    first[:4 * 3 + 3] = True
    expected = theta - np.where(first, 0.7, 1.9) * g
    assert res.final_loss[0, 0] == pytest.approx(model.loss(expected, X, y), rel=1e-12)


def test_iris_map_has_both_classes_and_a_rough_boundary():
    model = nc.MLP([4, 10, 3])
    g = np.geomspace(0.5, 200, 48)
    res = nc.trainability_map(model, nc.datasets.iris(), g, g, steps=100)
    assert res.trained[0, 0] and not res.trained[-1, -1]
    assert 0.1 < res.trained.mean() < 0.9
    # a 48 x 48 grid cannot resolve a fractal; the estimate stays within the plane's range
    assert 0.8 <= res.dimension <= 2.0
    assert res.dimension_interval[0] <= res.dimension <= res.dimension_interval[1]


def test_box_counting_known_sets():
    n = 1024
    x = np.linspace(0, 1, n)
    # a circle: smooth, dimension 1 (a digitised circle counts a little low at small boxes)
    disk = (x[:, None] - 0.5) ** 2 + (x[None] - 0.5) ** 2 < 0.3 ** 2
    d, interval, _, _ = boundary_dimension(disk)
    assert abs(d - 1.0) < 0.1 and interval[0] <= 1.0 <= interval[1]
    n = 256
    # a random checkerboard of cells: boundary fills the plane, dimension 2
    noise = np.random.default_rng(0).random((n, n)) < 0.5
    d, interval, _, _ = boundary_dimension(noise)
    # single cells cover only the half of the plane that is True: the smallest box counts low
    assert 1.85 < d <= 2.0 and interval[1] > 1.99
    assert np.isnan(boundary_dimension(np.ones((64, 64), bool))[0])


def test_zoom_and_errors():
    a, b = zoom_grids(np.linspace(1, 3, 5), np.linspace(0, 8, 5), (2.0, 4.0), factor=2, n=5)
    assert a.min() == 1.5 and a.max() == 2.5 and b.min() == 2.0 and b.max() == 6.0
    model = nc.MLP([4, 3, 3])
    with pytest.raises(ValueError, match="second"):
        nc.trainability_map(model, nc.datasets.iris(), [1.0], [1.0], second="depth")
    with pytest.raises(ValueError, match="lr_grid"):
        nc.trainability_map(model, nc.datasets.iris(), [-1.0], [1.0])
    with pytest.raises(ValueError, match="lr_out"):
        nc.trainability_map(nc.MLP([4, 3]), nc.datasets.iris(), [1.0], [1.0])


def test_zoom_view_keeps_the_boundary_in_view():
    from netchaos.app.widgets import trainability_zoom_explorer
    from netchaos.app.zoom import view_trainability_zoom

    wide = view_trainability_zoom(lr=3.0, lr_out=3.0, zoom=0, n=24, steps=100)
    m = wide.data["map"]
    i, j = np.argwhere(m.boundary)[len(np.argwhere(m.boundary)) // 2]
    close = view_trainability_zoom(lr=m.lr[i], lr_out=m.second[j], zoom=3, n=24, steps=100)
    z = close.data["map"]
    # the square is 8 times narrower (in decades) and still holds both classes
    span = np.log10(z.lr.max() / z.lr.min())
    assert span == pytest.approx(np.log10(m.lr.max() / m.lr.min()) / 8, rel=1e-9)
    assert 0 < z.trained.mean() < 1
    ex = trainability_zoom_explorer(n=8, steps=10, draw=False)
    ex.set(zoom=2)
    assert ex.n_updates == 1 and ex.result.data["map"].trained.shape == (8, 8)
