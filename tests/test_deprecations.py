"""Names renamed in this version keep working, with a DeprecationWarning (docs/architecture.md)."""

import importlib
import json
import sys
import zipfile

import numpy as np
import pytest

import netchaos as nc

SERIES = np.sin(0.7 * np.arange(400)) + 0.1 * np.random.default_rng(0).standard_normal(400)


def test_network_mle_value_is_exponent():
    mle = nc.network_mle(np.array([0.1, 0.2, 0.3]), seed=0)
    assert mle.exponent == pytest.approx(0.2)
    with pytest.warns(DeprecationWarning, match="NetworkMLE.value.*exponent"):
        assert mle.value == mle.exponent


def test_acf_n_shuffles_keyword():
    new = nc.acf(SERIES, nlags=5, n_surrogates=30, seed=1)
    with pytest.warns(DeprecationWarning, match="n_shuffles.*n_surrogates"):
        old = nc.acf(SERIES, nlags=5, n_shuffles=30, seed=1)
    np.testing.assert_array_equal(old.lower, new.lower)
    with pytest.warns(DeprecationWarning, match="ACFResult.n_shuffles"):
        assert old.n_shuffles == 30
    with pytest.raises(TypeError, match="both 'n_shuffles'.*'n_surrogates'"):
        nc.acf(SERIES, n_shuffles=3, n_surrogates=3)


def test_rosenstein_min_tsep_keyword_and_time_axis():
    new = nc.rosenstein(SERIES, dim=3, theiler=5, n_surrogates=0)
    with pytest.warns(DeprecationWarning, match="min_tsep.*theiler"):
        old = nc.rosenstein(SERIES, dim=3, min_tsep=5, n_surrogates=0)
    assert old.theiler == new.theiler == 5
    np.testing.assert_array_equal(old.divergence, new.divergence)
    with pytest.warns(DeprecationWarning, match="RosensteinResult.steps.*t"):
        np.testing.assert_array_equal(old.steps, new.t)
    with pytest.warns(DeprecationWarning, match="min_tsep"):
        assert old.min_tsep == 5


def test_kantz_and_sharpness_steps_arrays_are_t():
    k = nc.kantz(SERIES, dims=(2,), n_surrogates=0, max_steps=6)
    assert k.t.tolist() == list(range(7))
    with pytest.warns(DeprecationWarning, match="KantzResult.steps"):
        assert k.steps is k.t
    model, data = nc.MLP([4, 3, 3]), nc.datasets.iris()
    ss = nc.sharpness_series(model, data, model.init(seed=0), lr=0.5, steps=4, every=2, seed=0)
    assert ss.t.tolist() == [0, 2, 4]
    with pytest.warns(DeprecationWarning, match="SharpnessSeries.steps"):
        assert ss.steps is ss.t


def test_sweep_params_is_settings():
    model, data = nc.MLP([4, 3, 3]), nc.datasets.iris()
    sw = nc.eps_sweep(model, data, 1.0, 5, [1e-6], n_init=2, n_pert=2, seed=3,
                      fit_kwargs={"min_window": 3})
    assert sw.settings["seed"] == 3
    with pytest.warns(DeprecationWarning, match="SweepResult.params.*settings"):
        assert sw.params is sw.settings


def test_stability_module_warns_and_reexports():
    sys.modules.pop("netchaos.stability", None)
    with pytest.warns(DeprecationWarning, match="netchaos.stability is deprecated"):
        st = importlib.import_module("netchaos.stability")
    assert st.finite_lyapunov is nc.finite_lyapunov and st.lr_sweep is nc.lr_sweep
    assert st.REASONS is nc.exponents.REASONS


def test_files_with_old_field_names_load(tmp_path):
    """A result saved before a rename (field "value") loads into the renamed field."""
    mle = nc.network_mle(np.array([0.1, 0.2, 0.4]), seed=0)
    path = tmp_path / "mle.npz"
    nc.save(mle, path)
    with zipfile.ZipFile(path) as z:
        entries = {n: z.read(n) for n in z.namelist()}
    meta = np.load(path)["__meta__"].tobytes().decode()
    doc = json.loads(meta)
    fields = doc["content"]["fields"]
    fields["value"] = fields.pop("exponent")                 # the layout of the old version
    new_meta = json.dumps(doc).encode()
    arr = np.frombuffer(new_meta, dtype=np.uint8)
    old = tmp_path / "old.npz"
    with zipfile.ZipFile(old, "w") as z:
        for name, data in entries.items():
            if name == "__meta__.npy":
                import io

                buf = io.BytesIO()
                np.save(buf, arr)
                data = buf.getvalue()
            z.writestr(name, data)
    back = nc.load(old)
    assert back.exponent == mle.exponent


def test_kantz_dim_and_fit_keywords():
    new = nc.kantz(SERIES, dims=(2, 3), window=(1, 6), n_surrogates=0)
    with pytest.warns(DeprecationWarning, match="'dim'.*'dims'"):
        old = nc.kantz(SERIES, dim=(2, 3), window=(1, 6), n_surrogates=0)
    np.testing.assert_array_equal(old.mean_curve, new.mean_curve)
    with pytest.warns(DeprecationWarning, match="'fit'.*'window'"):
        old = nc.kantz(SERIES, dims=(2, 3), fit=(1, 6), n_surrogates=0)
    assert old.window == new.window == (1, 6) and old.exponent == new.exponent
    with pytest.warns(DeprecationWarning, match="KantzResult.fit_range"):
        assert old.fit_range == (1, 6)
    with pytest.warns(DeprecationWarning, match="'fit'.*'window'"):
        r = nc.rosenstein(SERIES, dim=3, fit=(1, 6), n_surrogates=0)
    assert r.window == (1, 6)


def test_sweep_fit_and_mle_keywords():
    model, data = nc.MLP([4, 3, 3]), nc.datasets.iris()
    kw = dict(n_init=2, n_pert=2, seed=3)
    new = nc.lr_sweep(model, data, [0.5], 6, 1e-6, fit_kwargs={"min_window": 3},
                      mle_kwargs={"n_boot": 5}, **kw)
    with pytest.warns(DeprecationWarning, match="'fit'.*'fit_kwargs'"):
        old = nc.lr_sweep(model, data, [0.5], 6, 1e-6, fit={"min_window": 3},
                          mle_kwargs={"n_boot": 5}, **kw)
    np.testing.assert_array_equal(old.fits[0.5].exponent, new.fits[0.5].exponent)
    with pytest.raises(TypeError, match="mle_kwargs has an unknown keyword 'bogus'"):
        nc.lr_sweep(model, data, [0.5], 6, 1e-6, mle_kwargs={"bogus": 1}, **kw)

