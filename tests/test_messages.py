"""Bad input and failing writes give clear errors that name the argument or the target file."""

import re

import numpy as np
import pytest

import netchaos as nc
from netchaos.datasets import Dataset


def test_empty_theta0_and_constant_series():
    model, data = nc.MLP([4, 3, 3]), nc.datasets.iris()
    with pytest.raises(ValueError, match="theta0 must hold at least one initial condition"):
        nc.perturbation_ensemble(model, data, 0.1, 3, 1e-8, theta0=np.zeros((0, model.n_params)))
    with pytest.raises(ValueError, match="series is constant"):
        nc.rosenstein(np.full(500, 0.3), n_surrogates=0)


@pytest.mark.parametrize("y, shown", [
    (np.array([0, 1, 1e20]), "1e+20"),
    (np.array([0, 1, np.iinfo(np.uint64).max], dtype=np.uint64), "1.84467e+19"),
    (np.array([0, 1, 2**40]), "1.09951e+12"),
])
def test_huge_class_labels_are_named_not_wrapped(y, shown):
    with pytest.raises(ValueError, match=re.escape(f"y_train contains the class label {shown};")):
        Dataset(X_train=np.zeros((3, 2)), y_train=y, task="classification")


def test_save_errors_name_the_target_not_the_temporary_file(tmp_path):
    res = nc.network_mle(np.array([0.1, 0.2]), seed=0)
    target = tmp_path / "missing-folder" / "mle.npz"
    with pytest.raises(FileNotFoundError) as info:
        nc.save(res, target)
    assert repr(str(target)) in str(info.value) and ".tmp" not in str(info.value)


def test_a_map_returning_complex_values_is_refused():
    m = nc.Map(lambda x: x * (1 + 1j), lambda x: np.eye(1))
    with pytest.raises(TypeError, match="step must return real values"):
        nc.lyapunov_spectrum(m, x0=[0.5], steps=3)
    m = nc.Map(lambda x: 0.5 * x, lambda x: np.eye(1) * 1j)
    with pytest.raises(TypeError, match="jacobian must return real values"):
        nc.lyapunov_spectrum(m, x0=[0.5], steps=3)
    with pytest.raises(TypeError, match="step must return real values"):
        nc.lyapunov_spectrum(step=lambda x: x * 1j, jacobian=lambda x: np.eye(1), x0=[0.5],
                             steps=3)
