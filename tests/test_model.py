"""``netchaos.MLP``: parameter layout, initialisation, prediction, accuracy
and input validation."""

import numpy as np
import pytest
import reference as R

import netchaos as nc

SIZES = [4, 10, 3]


@pytest.fixture(scope="module")
def model():
    return nc.MLP(sizes=SIZES, activation="sigmoid", loss="cross_entropy", l2=0.0)


@pytest.fixture(scope="module")
def xy():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(11, 4))
    y = rng.integers(0, 3, size=11)
    return X, y


# --------------------------------------------------------------------------
# layout and attributes
# --------------------------------------------------------------------------
def test_n_params_and_attributes(model):
    assert model.n_params == 83
    assert model.sizes == (4, 10, 3) and isinstance(model.sizes, tuple)
    assert model.activation == "sigmoid"
    assert model.objective == "cross_entropy"
    assert model.l2 == 0.0 and isinstance(model.l2, float)
    m = nc.MLP(sizes=[2, 5, 5, 1], activation="relu", loss="mse", l2=0.01)
    assert m.n_params == 2 * 5 + 5 + 5 * 5 + 5 + 5 * 1 + 1
    assert m.sizes == (2, 5, 5, 1) and m.objective == "mse" and m.activation == "relu"
    assert m.l2 == pytest.approx(0.01)
    assert nc.MLP(sizes=[3, 2]).n_params == 8
    for sizes in ([1, 1], [7, 3, 2], [5, 1, 1, 4], [3, 6, 6, 6, 2], [4, 3, 1]):
        assert nc.MLP(sizes=sizes, loss="mse").n_params == R.n_params(sizes)
        if sizes[-1] >= 2:
            assert nc.MLP(sizes=sizes).n_params == R.n_params(sizes)


def test_layout_unflatten(model):
    theta = np.arange(83, dtype=np.float64)
    layers = model.unflatten(theta)
    assert len(layers) == 2
    (W1, b1), (W2, b2) = layers
    np.testing.assert_array_equal(W1, theta[0:40].reshape(4, 10))
    np.testing.assert_array_equal(b1, theta[40:50])
    np.testing.assert_array_equal(W2, theta[50:80].reshape(10, 3))
    np.testing.assert_array_equal(b2, theta[80:83])
    assert W1.shape == (4, 10) and b1.shape == (10,) and W2.shape == (10, 3) and b2.shape == (3,)


def test_flatten_unflatten_round_trip():
    rng = np.random.default_rng(1)
    for sizes in ([4, 10, 3], [2, 1], [3, 5, 4, 2], [1, 6, 1]):
        m = nc.MLP(sizes=sizes, loss="mse")
        theta = rng.normal(size=m.n_params)
        layers = m.unflatten(theta)
        for (W, b), (Wr, br) in zip(layers, R.unflatten(sizes, theta)):
            np.testing.assert_array_equal(W, Wr)
            np.testing.assert_array_equal(b, br)
        back = m.flatten(layers)
        assert back.shape == (m.n_params,) and back.dtype == np.float64
        np.testing.assert_array_equal(back, theta)
        # flatten of independently built arrays
        built = [(rng.normal(size=(a, b)), rng.normal(size=b)) for a, b in zip(sizes[:-1], sizes[1:])]
        np.testing.assert_array_equal(m.flatten(built), R.flatten(built))
        np.testing.assert_array_equal(m.unflatten(m.flatten(built))[0][0], built[0][0])


def test_weight_mask(model):
    mask = model.weight_mask
    assert mask.dtype == bool and mask.shape == (83,)
    assert mask.sum() == 70
    np.testing.assert_array_equal(mask, R.weight_mask(SIZES))
    assert mask[0:40].all() and not mask[40:50].any() and mask[50:80].all() and not mask[80:83].any()
    m = nc.MLP(sizes=[3, 5, 5, 2])
    assert m.weight_mask.sum() == 15 + 25 + 10
    np.testing.assert_array_equal(m.weight_mask, R.weight_mask([3, 5, 5, 2]))


def test_forward_uses_layout(model, xy):
    """predict computes softmax(sigmoid(X W1 + b1) W2 + b2) with W's read row-major."""
    X, _ = xy
    theta = np.random.default_rng(2).normal(size=83)
    W1, b1 = theta[0:40].reshape(4, 10), theta[40:50]
    W2, b2 = theta[50:80].reshape(10, 3), theta[80:83]
    h = 1 / (1 + np.exp(-(X @ W1 + b1)))
    z = h @ W2 + b2
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    np.testing.assert_allclose(model.predict(theta, X), p, rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------
# initialisation
# --------------------------------------------------------------------------
def _weights_by_layer(sizes, thetas):
    out = []
    for th in np.atleast_2d(thetas):
        out.append([W.ravel() for W, _ in R.unflatten(sizes, th)])
    return [np.concatenate([o[i] for o in out]) for i in range(len(sizes) - 1)]


def _biases(sizes, thetas):
    return np.concatenate([b for th in np.atleast_2d(thetas) for _, b in R.unflatten(sizes, th)])


def test_init_shapes_and_zero_biases(model):
    th = model.init(seed=0)
    assert th.shape == (83,) and th.dtype == np.float64
    ths = model.init(seed=0, n=6)
    assert ths.shape == (6, 83) and ths.dtype == np.float64
    assert np.all(_biases(SIZES, ths) == 0) and np.all(_biases(SIZES, th) == 0)
    assert np.all(ths[:, model.weight_mask] != 0)
    # ensemble members differ from one another
    assert len({row.tobytes() for row in ths}) == 6
    for scheme in ("glorot", "he"):
        t = model.init(seed=1, n=3, scheme=scheme)
        assert t.shape == (3, 83) and np.all(t[:, ~model.weight_mask] == 0)


def _check_normal(w, std, what):
    n = w.size
    assert abs(w.mean()) < 5 * std / np.sqrt(n), f"{what}: mean {w.mean()}"
    var = w.var()
    assert abs(var / std**2 - 1) < 5 * np.sqrt(2.0 / n), f"{what}: var {var} vs {std**2}"
    # tails of a normal: about 4.55% beyond 2 sigma
    frac = np.mean(np.abs(w) > 2 * std)
    assert abs(frac - 0.0455) < 5 * np.sqrt(0.0455 * 0.9545 / n), f"{what}: tail {frac}"


@pytest.mark.parametrize("scale", [1.0, 0.3, 2.5])
def test_init_normal_statistics(scale):
    sizes = [50, 60, 40]
    m = nc.MLP(sizes=sizes)
    ths = m.init(seed=3, n=20, scale=scale, scheme="normal")
    w = ths[:, m.weight_mask].ravel()
    _check_normal(w, scale, "normal")
    for i, wl in enumerate(_weights_by_layer(sizes, ths)):
        _check_normal(wl, scale, f"normal layer {i}")


@pytest.mark.parametrize("scheme", ["glorot", "he"])
@pytest.mark.parametrize("scale", [1.0, 0.5])
def test_init_glorot_he_variances(scheme, scale):
    sizes = [30, 80, 10]
    m = nc.MLP(sizes=sizes)
    ths = m.init(seed=4, n=25, scale=scale, scheme=scheme)
    for i, wl in enumerate(_weights_by_layer(sizes, ths)):
        n_in, n_out = sizes[i], sizes[i + 1]
        var = scale**2 * (2.0 / (n_in + n_out) if scheme == "glorot" else 2.0 / n_in)
        _check_normal(wl, np.sqrt(var), f"{scheme} layer {i}")


def test_init_default_is_normal_scale_one():
    m = nc.MLP(sizes=[40, 50, 30])
    ths = m.init(seed=8, n=20)
    _check_normal(ths[:, m.weight_mask].ravel(), 1.0, "default init")


def test_init_determinism(model):
    np.testing.assert_array_equal(model.init(seed=5), model.init(seed=5))
    np.testing.assert_array_equal(model.init(seed=5, n=4), model.init(seed=5, n=4))
    assert not np.array_equal(model.init(seed=5), model.init(seed=6))
    g1 = model.init(seed=np.random.default_rng(9), n=3)
    g2 = model.init(seed=np.random.default_rng(9), n=3)
    np.testing.assert_array_equal(g1, g2)
    # a Generator is advanced: successive draws differ
    g = np.random.default_rng(9)
    assert not np.array_equal(model.init(seed=g), model.init(seed=g))
    # seed=None draws fresh randomness
    assert not np.array_equal(model.init(), model.init())


# --------------------------------------------------------------------------
# predict / accuracy
# --------------------------------------------------------------------------
def test_predict_cross_entropy(model, xy):
    X, _ = xy
    rng = np.random.default_rng(10)
    theta = rng.normal(size=83)
    p = model.predict(theta, X)
    assert p.shape == (11, 3)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-14)
    assert np.all(p >= 0)
    np.testing.assert_allclose(p, R.predict(SIZES, "sigmoid", "cross_entropy", theta, X), rtol=1e-12, atol=1e-16)
    Theta = rng.normal(size=(4, 83)) * 3
    P = model.predict(Theta, X)
    assert P.shape == (4, 11, 3)
    np.testing.assert_allclose(P.sum(axis=2), 1.0, rtol=0, atol=1e-14)
    for k in range(4):
        np.testing.assert_allclose(P[k], R.predict(SIZES, "sigmoid", "cross_entropy", Theta[k], X), rtol=1e-12, atol=1e-16)


def test_predict_softmax_extreme_logits():
    """Huge logits must not overflow the softmax."""
    m = nc.MLP(sizes=[2, 2], loss="cross_entropy")
    theta = np.array([800.0, -800.0, 0.0, 0.0, 0.0, 0.0])  # W = [[800, -800], [0, 0]], b = 0
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
    p = m.predict(theta, X)
    np.testing.assert_allclose(p, [[1, 0], [0, 1], [0.5, 0.5]], rtol=0, atol=1e-15)
    y = np.array([1, 1, 0])
    # sample 0: logsumexp - z_y = 800 - (-800) = 1600; sample 1: 0; sample 2: log 2
    np.testing.assert_allclose(m.loss(theta, X, y), (1600 + 0 + np.log(2)) / 3, rtol=1e-14)
    assert np.all(np.isfinite(m.grad(theta, X, y)))


@pytest.mark.parametrize("n_out", [1, 3])
def test_predict_mse(n_out):
    sizes = [3, 5, n_out]
    m = nc.MLP(sizes=sizes, activation="tanh", loss="mse")
    rng = np.random.default_rng(11)
    X = rng.normal(size=(7, 3))
    theta = rng.normal(size=m.n_params)
    out = m.predict(theta, X)
    assert out.shape == (7, n_out)
    np.testing.assert_allclose(out, R.output(sizes, "tanh", theta, X), rtol=1e-12, atol=1e-15)
    Theta = rng.normal(size=(2, m.n_params))
    assert m.predict(Theta, X).shape == (2, 7, n_out)


def test_accuracy_hand_built():
    # logistic regression with W = I, b = 0: prediction = argmax of the features
    m = nc.MLP(sizes=[2, 2], activation="sigmoid", loss="cross_entropy")
    theta = m.flatten([(np.eye(2), np.zeros(2))])
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.5, 1.0], [0.0, 3.0]])
    y = np.array([0, 1, 1, 1])  # third sample wrong
    acc = m.accuracy(theta, X, y)
    assert np.ndim(acc) == 0 and float(acc) == 0.75
    # bias flips the third prediction
    theta2 = m.flatten([(np.eye(2), np.array([0.0, 0.75]))])
    assert float(m.accuracy(theta2, X, y)) == 1.0
    both = m.accuracy(np.stack([theta, theta2]), X, y)
    assert both.shape == (2,)
    np.testing.assert_array_equal(both, [0.75, 1.0])


def test_accuracy_matches_reference(model, xy):
    X, y = xy
    Theta = np.random.default_rng(12).normal(size=(5, 83)) * 2
    acc = model.accuracy(Theta, X, y)
    np.testing.assert_array_equal(acc, [R.accuracy(SIZES, "sigmoid", th, X, y) for th in Theta])


def test_accuracy_mse_raises():
    m = nc.MLP(sizes=[3, 2], loss="mse")
    X = np.zeros((4, 3))
    with pytest.raises(ValueError):
        m.accuracy(np.zeros(m.n_params), X, np.zeros((4, 2)))


def test_non_contiguous_inputs(model, xy):
    X, y = xy
    rng = np.random.default_rng(13)
    Theta = rng.normal(size=(83, 4)).T  # Fortran-ordered (4, 83)
    assert not Theta.flags.c_contiguous
    Xf = np.asfortranarray(X)
    Xs = np.repeat(X, 2, axis=0)[::2]  # strided view
    Lc = model.loss(np.ascontiguousarray(Theta), X, y)
    Gc = model.grad(np.ascontiguousarray(Theta), X, y)
    for Xv in (Xf, Xs):
        np.testing.assert_allclose(model.loss(Theta, Xv, y), Lc, rtol=1e-14)
        np.testing.assert_allclose(model.grad(Theta, Xv, y), Gc, rtol=1e-13, atol=1e-15)
    th_strided = np.repeat(Theta[0], 2)[::2]
    np.testing.assert_allclose(model.grad(th_strided, X, y), Gc[0], rtol=1e-13, atol=1e-15)
    res = nc.train(model, (Xf, y), Theta, 0.1, 5)
    res_c = nc.train(model, (X, y), np.ascontiguousarray(Theta), 0.1, 5)
    np.testing.assert_allclose(res.theta, res_c.theta, rtol=1e-13, atol=1e-15)


def test_integer_labels_any_int_dtype(model, xy):
    X, y = xy
    theta = np.random.default_rng(14).normal(size=83)
    L = model.loss(theta, X, y.astype(np.int64))
    for dt in (np.int32, np.int8, np.uint8):
        np.testing.assert_allclose(model.loss(theta, X, y.astype(dt)), L, rtol=1e-15)


# --------------------------------------------------------------------------
# input validation
# --------------------------------------------------------------------------
ERR = (ValueError, TypeError)


def test_bad_constructor_arguments():
    with pytest.raises(ERR, match="activation"):
        nc.MLP(sizes=SIZES, activation="softplus")
    with pytest.raises(ERR, match="loss"):
        nc.MLP(sizes=SIZES, loss="hinge")
    with pytest.raises(ERR, match="sizes"):
        nc.MLP(sizes=[4, 0, 3])
    with pytest.raises(ERR, match="sizes"):
        nc.MLP(sizes=[0, 3])
    with pytest.raises(ERR, match="sizes"):
        nc.MLP(sizes=[4, -2, 3])
    with pytest.raises(ERR, match="sizes"):
        nc.MLP(sizes=[4])
    with pytest.raises(ERR, match="sizes"):
        nc.MLP(sizes=[])


def test_bad_call_arguments(model, xy):
    X, y = xy
    theta = np.zeros(83)
    with pytest.raises(ERR, match="theta"):
        model.loss(np.zeros(82), X, y)
    with pytest.raises(ERR, match="theta"):
        model.grad(np.zeros(84), X, y)
    with pytest.raises(ERR, match="theta"):
        model.grad(np.zeros((3, 84)), X, y)
    with pytest.raises(ERR, match="theta"):
        model.predict(np.zeros(80), X)
    with pytest.raises(ERR, match="theta"):
        model.unflatten(np.zeros(82))
    with pytest.raises(ERR, match=r"\bX\b"):
        model.loss(theta, X[:, :3], y)
    with pytest.raises(ERR, match=r"\bX\b"):
        model.grad(theta, np.zeros((11, 5)), y)
    with pytest.raises(ERR, match=r"\bX\b"):
        model.predict(theta, X[:, :2])
    with pytest.raises(ERR, match=r"\by\b"):
        model.loss(theta, X, np.r_[y[:-1], 3])
    with pytest.raises(ERR, match=r"\by\b"):
        model.grad(theta, X, np.r_[y[:-1], -1])
    with pytest.raises(ERR, match=r"\by\b"):
        model.loss(theta, X, y[:-1])  # wrong number of labels
    with pytest.raises(ERR, match=r"\bv\b"):
        model.hvp(theta, np.zeros(82), X, y)


def test_bad_train_arguments(model, xy):
    X, y = xy
    theta0 = np.zeros(83)
    with pytest.raises(ERR, match=r"\blr\b"):
        nc.train(model, (X, y), theta0, 0.0, 10)
    with pytest.raises(ERR, match=r"\blr\b"):
        nc.train(model, (X, y), theta0, -0.1, 10)
    with pytest.raises(ERR, match="steps"):
        nc.train(model, (X, y), theta0, 0.1, -1)
    with pytest.raises(ERR, match="theta"):
        nc.train(model, (X, y), np.zeros(82), 0.1, 10)
    with pytest.raises(ERR, match="theta"):
        nc.train(model, (X, y), np.zeros((2, 3, 83)), 0.1, 10)
    with pytest.raises(ERR, match=r"\bX\b"):
        nc.train(model, (X[:, :3], y), theta0, 0.1, 10)
    with pytest.raises(ERR, match=r"\by\b"):
        nc.train(model, (X, np.r_[y[:-1], 5]), theta0, 0.1, 10)
    with pytest.raises(ERR, match="record"):
        nc.train(model, (X, y), theta0, 0.1, 10, record="everything")
