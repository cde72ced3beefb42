"""Tests for netchaos.datasets (offline: never touches the network)."""

import gzip
import os
import struct

import numpy as np
import pytest

from netchaos import datasets

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


ds = datasets
Dataset = ds.Dataset


def _sorted_rows(X, y):
    """Rows of [X | y] in lexicographic order (a canonical form of the multiset)."""
    A = np.column_stack([X, y])
    return A[np.lexsort(A.T[::-1])]


# ---------------------------------------------------------------------------
# Iris
# ---------------------------------------------------------------------------
class TestIris:
    def test_shapes_and_dtypes(self):
        d = ds.iris()
        assert d.X_train.shape == (120, 4) and d.X_test.shape == (30, 4)
        assert d.y_train.shape == (120,) and d.y_test.shape == (30,)
        assert d.X_train.dtype == np.float64 and d.X_test.dtype == np.float64
        assert d.y_train.dtype == np.int64 and d.y_test.dtype == np.int64
        assert d.X_train.flags.c_contiguous and d.X_test.flags.c_contiguous
        assert d.task == "classification" and d.n_classes == 3 and d.n_outputs == 3
        assert (d.n_train, d.n_test, d.n_features) == (120, 30, 4)
        assert set(np.unique(d.y_train)) == {0, 1, 2}

    def test_deterministic_and_seed_dependent(self):
        a, b, c = ds.iris(seed=5), ds.iris(seed=5), ds.iris(seed=6)
        np.testing.assert_array_equal(a.X_train, b.X_train)
        np.testing.assert_array_equal(a.y_test, b.y_test)
        assert not np.array_equal(a.X_train, c.X_train)

    def test_split_follows_documented_permutation(self, iris_xy):
        X, y = iris_xy
        perm = np.random.default_rng(3).permutation(150)
        d = ds.iris(seed=3)
        np.testing.assert_array_equal(d.X_train, X[perm[:120]])
        np.testing.assert_array_equal(d.y_test, y[perm[120:]])

    def test_union_is_full_dataset(self, iris_xy):
        X, y = iris_xy
        d = ds.iris(seed=11)
        Xu = np.vstack([d.X_train, d.X_test])
        yu = np.concatenate([d.y_train, d.y_test])
        np.testing.assert_array_equal(_sorted_rows(Xu, yu), _sorted_rows(X, y))

    def test_raw_features_by_default(self, iris_xy):
        d = ds.iris()
        assert d.X_train.max() > 5.0  # sepal lengths in cm, not standardised
        assert d.X_train.min() >= 0.0
        assert np.abs(d.X_train.mean(axis=0)).max() > 1.0

    def test_standardize_uses_train_statistics(self):
        raw = ds.iris(seed=2)
        st = ds.iris(seed=2, standardize=True)
        np.testing.assert_allclose(st.X_train.mean(axis=0), 0.0, atol=1e-12)
        np.testing.assert_allclose(st.X_train.std(axis=0), 1.0, rtol=1e-12)
        mu, sd = raw.X_train.mean(axis=0), raw.X_train.std(axis=0)
        np.testing.assert_allclose(st.X_test, (raw.X_test - mu) / sd, rtol=1e-12)
        # the test split is not itself exactly centred
        assert np.abs(st.X_test.mean(axis=0)).max() > 1e-6
        np.testing.assert_array_equal(st.y_train, raw.y_train)

    def test_n_train(self):
        d = ds.iris(n_train=100)
        assert (d.n_train, d.n_test) == (100, 50)
        d = ds.iris(n_train=150)
        assert d.n_test == 0 and d.X_test.shape == (0, 4) and d.y_test.shape == (0,)
        with pytest.raises(ValueError, match="n_train"):
            ds.iris(n_train=151)
        with pytest.raises(ValueError, match="n_train"):
            ds.iris(n_train=0)
        with pytest.raises(TypeError, match="n_train"):
            ds.iris(n_train=12.5)


# ---------------------------------------------------------------------------
# Digits
# ---------------------------------------------------------------------------
class TestDigits:
    def test_shapes_and_scaling(self):
        d = ds.digits()
        assert d.X_train.shape == (1437, 64) and d.X_test.shape == (360, 64)
        assert d.y_train.shape == (1437,) and d.y_test.shape == (360,)
        assert d.X_train.dtype == np.float64 and d.y_train.dtype == np.int64
        assert d.n_classes == 10 and d.task == "classification"
        X = np.vstack([d.X_train, d.X_test])
        assert X.min() == 0.0 and X.max() == 1.0
        assert set(np.unique(d.y_train)) == set(range(10))

    def test_unscaled_and_consistent(self):
        a = ds.digits(seed=1, scale=False)
        b = ds.digits(seed=1, scale=True)
        assert a.X_train.max() == 16.0
        np.testing.assert_allclose(b.X_train, a.X_train / 16.0)
        np.testing.assert_array_equal(a.y_test, b.y_test)
        assert not np.array_equal(ds.digits(seed=2).y_train, b.y_train)

    def test_union_is_full_dataset(self):
        from sklearn.datasets import load_digits

        raw = load_digits()
        d = ds.digits(seed=4, scale=False, n_train=1000)
        assert (d.n_train, d.n_test) == (1000, 797)
        Xu = np.vstack([d.X_train, d.X_test])
        yu = np.concatenate([d.y_train, d.y_test])
        np.testing.assert_array_equal(_sorted_rows(Xu, yu), _sorted_rows(raw.data, raw.target))

    def test_standardize(self):
        d = ds.digits(standardize=True)
        sd = d.X_train.std(axis=0)
        varying = sd > 0
        np.testing.assert_allclose(d.X_train.mean(axis=0), 0.0, atol=1e-12)
        np.testing.assert_allclose(sd[varying], 1.0, rtol=1e-10)
        assert np.all(np.isfinite(d.X_test))


# ---------------------------------------------------------------------------
# Synthetic regression
# ---------------------------------------------------------------------------
class TestRegression:
    def test_shapes(self):
        d = ds.regression()
        assert d.X_train.shape == (200, 1) and d.X_test.shape == (100, 1)
        assert d.y_train.shape == (200,) and d.y_test.shape == (100,)
        assert d.y_train.dtype == np.float64
        assert d.task == "regression" and d.n_classes is None and d.n_outputs == 1
        assert np.all(np.abs(np.vstack([d.X_train, d.X_test])) <= 1.0)

    def test_noise_free_target(self):
        d = ds.regression(noise=0.0, n_train=50, n_test=20, seed=7)
        np.testing.assert_allclose(d.y_train, np.sin(np.pi * d.X_train[:, 0]), rtol=0, atol=1e-15)
        np.testing.assert_allclose(d.y_test, np.sin(np.pi * d.X_test[:, 0]), rtol=0, atol=1e-15)

    def test_multi_feature_target(self):
        d = ds.regression(noise=0.0, n_features=3, seed=1)
        X = d.X_train
        want = np.sin(np.pi * X[:, 0]) + 0.5 * (np.cos(np.pi * X[:, 1]) + np.cos(np.pi * X[:, 2]))
        np.testing.assert_allclose(d.y_train, want, atol=1e-14)
        assert d.n_features == 3

    def test_noise_level(self):
        d = ds.regression(n_train=4000, n_test=0, noise=0.3, seed=3)
        resid = d.y_train - np.sin(np.pi * d.X_train[:, 0])
        assert 0.28 < resid.std() < 0.32
        assert abs(resid.mean()) < 0.03
        assert d.n_test == 0

    def test_deterministic(self):
        a, b = ds.regression(seed=9), ds.regression(seed=9)
        np.testing.assert_array_equal(a.y_train, b.y_train)
        assert not np.array_equal(a.X_train, ds.regression(seed=10).X_train)

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match="noise"):
            ds.regression(noise=-1.0)
        with pytest.raises(ValueError, match="n_features"):
            ds.regression(n_features=0)
        with pytest.raises(ValueError, match="n_test"):
            ds.regression(n_test=-1)


# ---------------------------------------------------------------------------
# IDX reader and MNIST
# ---------------------------------------------------------------------------
_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(np.int16): 0x0B,
          np.dtype(np.int32): 0x0C, np.dtype(np.float32): 0x0D, np.dtype(np.float64): 0x0E}


def _idx_bytes(arr):
    arr = np.asarray(arr)
    header = bytes([0, 0, _CODES[arr.dtype], arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def _write_idx(path, arr, gz=False):
    data = _idx_bytes(arr)
    if gz:
        data = gzip.compress(data)
    with open(path, "wb") as fh:
        fh.write(data)
    return path


@pytest.fixture
def fake_mnist():
    rng = np.random.default_rng(0)
    return {
        "x_train": rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, size=5).astype(np.uint8),
        "x_test": rng.integers(0, 256, size=(3, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, size=3).astype(np.uint8),
    }


def _write_mnist_folder(folder, arrays, gz=False, dotted=False):
    names = {
        "x_train": "train-images-idx3-ubyte",
        "y_train": "train-labels-idx1-ubyte",
        "x_test": "t10k-images-idx3-ubyte",
        "y_test": "t10k-labels-idx1-ubyte",
    }
    for key, name in names.items():
        if dotted:
            name = name.replace("-idx", ".idx")
        _write_idx(os.path.join(folder, name + (".gz" if gz else "")), arrays[key], gz=gz)


def _check_matches(d, arrays, scale=True):
    f = 255.0 if scale else 1.0
    np.testing.assert_array_equal(d.X_train, arrays["x_train"].reshape(-1, 784) / f)
    np.testing.assert_array_equal(d.X_test, arrays["x_test"].reshape(-1, 784) / f)
    np.testing.assert_array_equal(d.y_train, arrays["y_train"].astype(np.int64))
    np.testing.assert_array_equal(d.y_test, arrays["y_test"].astype(np.int64))


class TestReadIdx:
    @pytest.mark.parametrize("dtype", list(_CODES))
    @pytest.mark.parametrize("gz", [False, True])
    def test_roundtrip_dtypes(self, tmp_path, dtype, gz):
        rng = np.random.default_rng(1)
        arr = (rng.normal(size=(4, 3, 2)) * 50).astype(dtype)
        out = ds.read_idx(_write_idx(tmp_path / "a.idx", arr, gz=gz))
        assert out.dtype == np.dtype(dtype) and out.dtype.isnative
        assert out.shape == (4, 3, 2)
        np.testing.assert_array_equal(out, arr)
        out[0, 0, 0] = 1  # writable copy

    def test_images_and_labels(self, tmp_path, fake_mnist):
        imgs = ds.read_idx(_write_idx(tmp_path / "i", fake_mnist["x_train"]))
        labs = ds.read_idx(_write_idx(tmp_path / "l", fake_mnist["y_train"], gz=True))
        np.testing.assert_array_equal(imgs, fake_mnist["x_train"])
        np.testing.assert_array_equal(labs, fake_mnist["y_train"])

    def test_truncated(self, tmp_path, fake_mnist):
        data = _idx_bytes(fake_mnist["x_train"])
        p = tmp_path / "trunc-idx3-ubyte"
        p.write_bytes(data[:-10])
        with pytest.raises(ValueError, match="trunc-idx3-ubyte.*truncated"):
            ds.read_idx(p)
        p.write_bytes(data + b"\x00")
        with pytest.raises(ValueError, match="trailing"):
            ds.read_idx(p)
        p.write_bytes(data[:9])  # header cut short (ndim=3 needs 16 bytes)
        with pytest.raises(ValueError, match="truncated"):
            ds.read_idx(p)
        p.write_bytes(gzip.compress(data)[:-20])  # truncated gzip stream
        with pytest.raises(ValueError, match="trunc-idx3-ubyte"):
            ds.read_idx(p)

    def test_bad_magic(self, tmp_path, fake_mnist):
        data = bytearray(_idx_bytes(fake_mnist["y_train"]))
        p = tmp_path / "bad"
        data[0] = 1
        p.write_bytes(bytes(data))
        with pytest.raises(ValueError, match="magic"):
            ds.read_idx(p)
        data[0] = 0
        data[2] = 0x07  # unknown dtype code
        p.write_bytes(bytes(data))
        with pytest.raises(ValueError, match="dtype code"):
            ds.read_idx(p)
        p.write_bytes(b"\x00\x00")
        with pytest.raises(ValueError, match="bad"):
            ds.read_idx(p)

    def test_missing_file(self, tmp_path):
        with pytest.raises(FileNotFoundError):
            ds.read_idx(tmp_path / "nope")


class TestMnist:
    @pytest.mark.parametrize("gz", [False, True])
    @pytest.mark.parametrize("dotted", [False, True])
    def test_idx_folder(self, tmp_path, fake_mnist, gz, dotted):
        _write_mnist_folder(tmp_path, fake_mnist, gz=gz, dotted=dotted)
        d = ds.mnist(path=tmp_path)
        assert d.X_train.shape == (5, 784) and d.X_test.shape == (3, 784)
        assert d.X_train.dtype == np.float64 and d.y_train.dtype == np.int64
        assert d.n_classes == 10 and d.task == "classification"
        assert 0.0 <= d.X_train.min() and d.X_train.max() <= 1.0
        _check_matches(d, fake_mnist)

    def test_unscaled_and_subset(self, tmp_path, fake_mnist):
        _write_mnist_folder(tmp_path, fake_mnist)
        d = ds.mnist(path=str(tmp_path), scale=False, n_train=2, n_test=0)
        assert d.X_train.max() > 1.0
        np.testing.assert_array_equal(d.X_train, fake_mnist["x_train"][:2].reshape(2, 784))
        np.testing.assert_array_equal(d.y_train, fake_mnist["y_train"][:2])
        assert d.X_test.shape == (0, 784) and d.y_test.shape == (0,)
        with pytest.raises(ValueError, match="n_train"):
            ds.mnist(path=tmp_path, n_train=6)

    def test_npz_file_and_folder(self, tmp_path, fake_mnist):
        f = tmp_path / "mnist.npz"
        np.savez(f, **fake_mnist)
        _check_matches(ds.mnist(path=f), fake_mnist)
        _check_matches(ds.mnist(path=tmp_path), fake_mnist)
        flat = {k: (v.reshape(len(v), -1) if k.startswith("x") else v) for k, v in fake_mnist.items()}
        g = tmp_path / "other.npz"
        np.savez_compressed(g, **flat)
        _check_matches(ds.mnist(path=g), fake_mnist)

    def test_npz_missing_keys(self, tmp_path, fake_mnist):
        f = tmp_path / "bad.npz"
        np.savez(f, x_train=fake_mnist["x_train"], y_train=fake_mnist["y_train"])
        with pytest.raises(ValueError, match="x_test"):
            ds.mnist(path=f)

    def test_env_variable(self, tmp_path, fake_mnist, monkeypatch):
        _write_mnist_folder(tmp_path, fake_mnist, gz=True)
        monkeypatch.setenv("NETCHAOS_MNIST", str(tmp_path))
        _check_matches(ds.mnist(), fake_mnist)

    def test_missing_path(self, tmp_path, monkeypatch):
        monkeypatch.delenv("NETCHAOS_MNIST", raising=False)
        with pytest.raises(FileNotFoundError, match="does not exist"):
            ds.mnist(path=tmp_path / "no-such-folder")
        with pytest.raises(FileNotFoundError, match="no MNIST files"):
            ds.mnist(path=tmp_path)

    def test_partial_folder(self, tmp_path, fake_mnist):
        _write_mnist_folder(tmp_path, fake_mnist)
        os.remove(tmp_path / "t10k-labels-idx1-ubyte")
        with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
            ds.mnist(path=tmp_path)

    def test_corrupt_file_in_folder(self, tmp_path, fake_mnist):
        _write_mnist_folder(tmp_path, fake_mnist)
        p = tmp_path / "train-images-idx3-ubyte"
        p.write_bytes(p.read_bytes()[:-1])
        with pytest.raises(ValueError, match="train-images-idx3-ubyte"):
            ds.mnist(path=tmp_path)

    def test_count_mismatch(self, tmp_path, fake_mnist):
        fake_mnist["y_test"] = fake_mnist["y_test"][:2]
        _write_mnist_folder(tmp_path, fake_mnist)
        with pytest.raises(ValueError, match="3 images, 2 labels"):
            ds.mnist(path=tmp_path)

    def test_offline_fallback(self, monkeypatch):
        import sklearn.datasets

        calls = []

        def offline(*args, **kwargs):
            calls.append((args, kwargs))
            raise OSError("network is unreachable")

        monkeypatch.delenv("NETCHAOS_MNIST", raising=False)
        monkeypatch.setattr(sklearn.datasets, "fetch_openml", offline)
        with pytest.raises(OSError, match="path=") as info:
            ds.mnist()
        msg = str(info.value)
        assert "not bundled" in msg and "NETCHAOS_MNIST" in msg and "unreachable" in msg
        assert calls and calls[0][0][0] == "mnist_784"

    def test_openml_split(self, monkeypatch):
        """The OpenML path uses the first 60000 rows as train (stubbed, offline)."""
        import sklearn.datasets

        class Bunch:
            data = np.tile(np.arange(70000, dtype=np.float64)[:, None] % 256, (1, 784))
            target = np.array([str(i % 10) for i in range(70000)], dtype=object)

        monkeypatch.delenv("NETCHAOS_MNIST", raising=False)
        monkeypatch.setattr(sklearn.datasets, "fetch_openml", lambda *a, **k: Bunch())
        d = ds.mnist(n_train=3, n_test=2)
        np.testing.assert_array_equal(d.y_train, [0, 1, 2])
        np.testing.assert_array_equal(d.y_test, [0, 1])  # rows 60000, 60001
        np.testing.assert_allclose(d.X_test[:, 0], [60000 % 256 / 255, 60001 % 256 / 255])


# ---------------------------------------------------------------------------
# Dataset container
# ---------------------------------------------------------------------------
class TestDataset:
    def test_conversion_and_inference(self):
        d = Dataset([[1, 2], [3, 4], [5, 6]], [0, 2, 1], [[7, 8]], [1])
        assert d.X_train.dtype == np.float64 and d.X_train.flags.c_contiguous
        assert d.y_train.dtype == np.int64
        assert d.task == "classification" and d.n_classes == 3 and d.n_outputs == 3
        X, y = d.train
        assert X is d.X_train and y is d.y_train
        assert d.test[0].shape == (1, 2)

    def test_fortran_input_made_contiguous(self):
        X = np.asfortranarray(np.arange(12.0).reshape(6, 2))
        d = Dataset(X, np.zeros(6))
        assert d.X_train.flags.c_contiguous
        np.testing.assert_array_equal(d.X_train, X)

    def test_regression_inference_and_outputs(self):
        X = np.random.default_rng(0).normal(size=(10, 3))
        d = Dataset(X, X[:, 0] * 2.0)
        assert d.task == "regression" and d.n_classes is None and d.n_outputs == 1
        d2 = Dataset(X[:8], X[:8, :2], X[8:], X[8:, :2])
        assert d2.n_outputs == 2 and d2.y_test.shape == (2, 2)
        d3 = Dataset(X, np.arange(10), task="regression")
        assert d3.y_train.dtype == np.float64

    def test_empty_test_set(self):
        X = np.ones((4, 2))
        for d in (Dataset(X, [0, 1, 0, 1]), Dataset(X, [0, 1, 0, 1], [], []),
                  Dataset(X, [0, 1, 0, 1], np.empty((0, 2)), np.empty(0))):
            assert d.n_test == 0 and d.X_test.shape == (0, 2)
            assert d.y_test.shape == (0,) and d.y_test.dtype == np.int64
        r = Dataset(X, np.ones((4, 3)), [], [])
        assert r.y_test.shape == (0, 3)

    def test_explicit_classification_from_float_labels(self):
        d = Dataset(np.ones((3, 1)), np.array([0.0, 1.0, 1.0]), task="classification", n_classes=4)
        assert d.y_train.dtype == np.int64 and d.n_outputs == 4
        with pytest.raises(ValueError, match="y_train must contain integer class labels"):
            Dataset(np.ones((3, 1)), np.array([0.0, 1.5, 1.0]), task="classification")

    def test_label_count_mismatch(self):
        with pytest.raises(ValueError, match="y_train must have one label per row of X_train: got 10 labels for 12 rows"):
            Dataset(np.ones((12, 2)), np.zeros(10, dtype=int))
        with pytest.raises(ValueError, match="y_test.*1 labels for 2 rows"):
            Dataset(np.ones((3, 2)), [0, 1, 0], np.ones((2, 2)), [1])

    def test_feature_mismatch(self):
        with pytest.raises(ValueError, match="X_test must have the same number of features"):
            Dataset(np.ones((3, 2)), [0, 1, 0], np.ones((2, 3)), [1, 0])

    def test_X_shape_and_values(self):
        with pytest.raises(ValueError, match="X_train must be 2-dimensional"):
            Dataset(np.ones(5), [0] * 5)
        with pytest.raises(ValueError, match="X_train contains NaN"):
            Dataset([[1.0, np.nan]], [0])
        with pytest.raises(ValueError, match="X_test contains NaN"):
            Dataset([[1.0, 2.0]], [0], [[np.inf, 0.0]], [0])
        with pytest.raises(ValueError, match="X_train must have at least one row"):
            Dataset(np.ones((0, 2)), [])
        with pytest.raises(TypeError, match="X_train"):
            Dataset([["a", "b"]], [0])
        with pytest.raises(TypeError, match="X_train"):
            Dataset(None, [0])

    def test_label_range(self):
        with pytest.raises(ValueError, match="y_train contains class label 3 but n_classes=3"):
            Dataset(np.ones((2, 1)), [0, 3], n_classes=3)
        with pytest.raises(ValueError, match="y_test contains class label 5"):
            Dataset(np.ones((2, 1)), [0, 1], np.ones((1, 1)), [5], n_classes=2)
        with pytest.raises(ValueError, match="y_train contains negative"):
            Dataset(np.ones((2, 1)), [0, -1])
        # inferred n_classes covers the test labels too
        assert Dataset(np.ones((2, 1)), [0, 1], np.ones((1, 1)), [4]).n_classes == 5

    def test_task_and_n_classes_arguments(self):
        X = np.ones((2, 1))
        with pytest.raises(ValueError, match="task"):
            Dataset(X, [0, 1], task="ranking")
        with pytest.raises(TypeError, match="task"):
            Dataset(X, [0, 1], task=1)
        with pytest.raises(ValueError, match="n_classes must be None"):
            Dataset(X, [0.5, 1.5], task="regression", n_classes=2)
        with pytest.raises(ValueError, match="n_classes"):
            Dataset(X, [0, 1], n_classes=0)
        with pytest.raises(ValueError, match="y_train must be a 1-D"):
            Dataset(X, np.zeros((2, 2), dtype=int))
        with pytest.raises(ValueError, match="y_test must have the same target shape"):
            Dataset(X, np.zeros((2, 2)), X, np.zeros((2, 3)))
        with pytest.raises(ValueError, match="y_test is required"):
            Dataset(X, [0, 1], X)
        with pytest.raises(TypeError, match="description"):
            Dataset(X, [0, 1], description=3)

    def test_repr(self):
        d = ds.iris()
        r = repr(d)
        assert r.startswith("Dataset(") and "n_train=120" in r and "n_test=30" in r
        assert "classification" in r and "n_classes=3" in r
        assert len(r) < 250 and "array" not in r
        r2 = repr(ds.regression())
        assert "regression" in r2 and "n_outputs=1" in r2


def test_load_dispatch():
    a = ds.load("iris", seed=4)
    np.testing.assert_array_equal(a.X_train, ds.iris(seed=4).X_train)
    assert ds.load("Regression", n_train=10, n_test=5).n_train == 10
    assert ds.load("digits").n_features == 64
    with pytest.raises(ValueError, match="digits.*iris.*mnist.*regression"):
        ds.load("cifar10")
    with pytest.raises(TypeError, match="name"):
        ds.load(None)


def test_no_heavy_imports():
    """The package may import only numpy, scikit-learn (lazily), the stdlib and itself."""
    import ast
    import glob

    trees = []
    for path in glob.glob(os.path.join(_ROOT, "netchaos", "datasets", "*.py")):
        with open(path) as fh:
            trees.append(ast.parse(fh.read()))
    roots = set()
    for node in (n for tree in trees for n in ast.walk(tree)):
        if isinstance(node, ast.Import):
            roots.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                roots.add("<relative>")
            else:
                roots.add(node.module.split(".")[0])
    assert roots <= {"__future__", "gzip", "importlib", "numbers", "os", "dataclasses", "numpy", "sklearn",
                     "<relative>"}, roots
