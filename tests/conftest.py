"""Shared fixtures for the netchaos core-engine tests."""

import os
import sys

import numpy as np
import pytest

# make ``import reference`` work however pytest was invoked
_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
# and the package itself from the checkout
_ROOT = os.path.dirname(_HERE)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)


@pytest.fixture(scope="session")
def iris_xy():
    """Raw (unstandardised) Iris features and labels, all 150 samples."""
    from sklearn.datasets import load_iris

    d = load_iris()
    return np.ascontiguousarray(d.data, dtype=np.float64), d.target.astype(np.int64)


@pytest.fixture(scope="session")
def regression_xy():
    """A small smooth 2-in / 2-out regression problem."""
    rng = np.random.default_rng(1234)
    X = rng.normal(size=(40, 3))
    Y = np.stack([np.sin(X[:, 0]) + 0.5 * X[:, 1], X[:, 2] * X[:, 0] - 0.3], axis=1)
    return X, Y


@pytest.fixture(scope="session")
def iris():
    """The reference protocol's data: netchaos.datasets.iris() (120/30 split, raw features)."""
    import netchaos as nc

    return nc.datasets.iris()


@pytest.fixture(scope="session")
def iris_model():
    """The reference protocol's 4-10-3 sigmoid network with softmax cross-entropy."""
    import netchaos as nc

    return nc.MLP([4, 10, 3], activation="sigmoid", loss="cross_entropy")


@pytest.fixture(scope="session")
def iris_mse(iris):
    """Iris with one-hot targets for an MSE network: GD at lr = 100 overflows.

    (The cross-entropy sigmoid network has bounded gradients and does not
    overflow at lr = 100 within a few hundred steps.)"""
    import netchaos as nc

    model = nc.MLP([4, 10, 3], activation="sigmoid", loss="mse")
    return model, (iris.X_train, np.eye(3)[iris.y_train], iris.X_test, np.eye(3)[iris.y_test])
