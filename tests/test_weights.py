"""Weight-level measures (netchaos.weights)."""

import warnings

import numpy as np
import pytest

import netchaos as nc


# --------------------------------------------------------------------------
# weight-level measures
# --------------------------------------------------------------------------
def test_displacement_and_path_length():
    traj = np.array([[1.0, 0.0, -2.0],
                     [2.0, 1.0, -2.0],
                     [0.0, 1.0, -1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        disp = nc.displacement(traj)
        np.testing.assert_array_equal(disp[[0, 2]], [1.0, 0.5])
        assert np.isnan(disp[1])
        np.testing.assert_array_equal(nc.displacement(traj, floor=0.5), [1.0, 2.0, 0.5])
        np.testing.assert_array_equal(nc.path_length(traj), [3.0, 1.0, 1.0])
        stack = np.stack([traj, 2 * traj])
        assert nc.path_length(stack).shape == (2, 3)
        np.testing.assert_array_equal(nc.path_length(stack)[1], [6.0, 2.0, 2.0])
        np.testing.assert_array_equal(nc.displacement(stack, floor=0.5)[1], [1.0, 4.0, 0.5])
    # path length bounds displacement: |w(T) - w(0)| <= sum_t |w(t) - w(t-1)|
    rng = np.random.default_rng(0)
    walk = np.cumsum(rng.standard_normal((50, 7)), axis=0)
    assert np.all(np.abs(walk[-1] - walk[0]) <= nc.path_length(walk) + 1e-12)
    with pytest.raises(ValueError, match="params"):
        nc.path_length(np.ones(5))


def test_ablation_importance_matches_loop(iris, iris_model):
    theta = iris_model.init(seed=4)
    theta[~iris_model.weight_mask] = 0.1 * np.arange((~iris_model.weight_mask).sum())
    X, y = iris.X_train, iris.y_train
    imp = nc.ablation_importance(iris_model, theta, X, y, chunk=7)
    base = iris_model.loss(theta, X, y)
    expected = np.empty(iris_model.n_params)
    for i in range(iris_model.n_params):
        ablated = theta.copy()
        ablated[i] = 0.0
        expected[i] = iris_model.loss(ablated, X, y) - base
    np.testing.assert_allclose(imp, expected, rtol=1e-12, atol=1e-14)
    assert imp[np.nonzero(~iris_model.weight_mask)[0][0]] == 0.0  # that bias is already 0
    w = nc.ablation_importance(iris_model, theta, X, y, scope="weights")
    assert np.all(np.isnan(w[~iris_model.weight_mask]))
    np.testing.assert_allclose(w[iris_model.weight_mask], expected[iris_model.weight_mask],
                               rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="theta"):
        nc.ablation_importance(iris_model, np.zeros(5), X, y)
