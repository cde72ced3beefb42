"""Saving and loading results (netchaos.io) and the checkpoint directories of sweeps."""

import json
import os
import re
import struct
import warnings
import zipfile
from dataclasses import fields, is_dataclass

import numpy as np
import pytest

import netchaos as nc
from netchaos import io as ncio
from netchaos import sweeps


# --------------------------------------------------------------------------
# bitwise comparison of result trees
# --------------------------------------------------------------------------
def _float_bits(x):
    return struct.pack("<d", float(x))


def assert_identical(a, b, where="result"):
    """Equal types, and arrays and floats equal bit for bit (NaN == NaN of the same bits)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray), where
        assert a.dtype == b.dtype, f"{where}: dtype {a.dtype} != {b.dtype}"
        assert a.shape == b.shape, f"{where}: shape {a.shape} != {b.shape}"
        assert np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes(), \
            f"{where}: arrays differ"
        return
    if is_dataclass(a):
        assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
        for f in fields(a):
            assert_identical(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
        return
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), f"{where}: keys {list(a)} != {list(b)}"
        for k in a:
            assert_identical(a[k], b[k], f"{where}[{k!r}]")
        return
    if isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), f"{where}: {a!r} != {b!r}"
        for i, (u, v) in enumerate(zip(a, b)):
            assert_identical(u, v, f"{where}[{i}]")
        return
    if isinstance(a, float) or isinstance(b, float):
        assert isinstance(a, float) and isinstance(b, float), f"{where}: {a!r} vs {b!r}"
        assert _float_bits(a) == _float_bits(b), f"{where}: {a!r} != {b!r}"
        return
    assert type(a) is type(b) and a == b, f"{where}: {a!r} != {b!r}"


# --------------------------------------------------------------------------
# fixtures: one result of every kind
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def iris():
    return nc.datasets.iris(seed=0)


@pytest.fixture(scope="module")
def model():
    return nc.MLP([4, 5, 3])


SWEEP_KW = dict(steps=30, eps=1e-8, n_init=3, n_pert=2, seed=5, fit_kwargs={"min_window": 5},
                mle_kwargs={"n_boot": 40})


@pytest.fixture(scope="module")
def results(iris, model):
    theta = model.init(seed=0)
    ens = nc.perturbation_ensemble(model, iris, lr=1.0, steps=30, eps=1e-7, n_init=4, n_pert=2,
                                   seed=3, test_metrics=True, record="all")
    fl = nc.finite_lyapunov(ens.distances, min_window=5)
    t = np.arange(200)
    series = np.sin(2 * np.pi * t / 3) + 0.01 * np.cos(0.37 * t ** 1.5)
    x = np.empty(300)
    x[0] = 0.3
    for i in range(1, 300):
        x[i] = 4 * x[i - 1] * (1 - x[i - 1])
    henon = dict(step=lambda v: np.array([1 - 1.4 * v[0] ** 2 + v[1], 0.3 * v[0]]),
                 jacobian=lambda v: np.array([[-2.8 * v[0], 1.0], [0.3, 0.0]]), x0=[0.1, 0.1])
    return {
        "ensemble": ens,
        "fit": fl,
        "mle": nc.network_mle(fl, n_boot=30, seed=1),
        "sweep": nc.lr_sweep(model, iris, [0.5, 2.0], **SWEEP_KW),
        "spectrum": nc.lyapunov_spectrum(model, iris, theta, 1.0, steps=5, k=3, keep_q=True,
                                         seed=0),
        "diverged spectrum": nc.lyapunov_spectrum(nc.MLP([4, 5, 3], activation="linear"), iris,
                                                  theta, 100.0, steps=120, k=2, seed=0),
        "clv": nc.covariant_vectors(steps=5, k=2, n_forward=10, seed=0, **henon),
        "sharpness": nc.sharpness_series(model, iris, theta, 1.0, steps=4, every=2, k=2, seed=0),
        "ftle": nc.ftle_vs_final_loss(model, iris, 1.0, n_init=4, t_early=3, t_final=5, seed=0),
        "train": nc.train(model, iris, model.init(seed=1, n=3), 1.0, 6, record="params",
                          every=2, test_metrics=True),
        "train single": nc.train(model, iris, theta, 1.0, 3),
        "acf": nc.acf(series, nlags=8, n_surrogates=20, seed=0),
        "kantz": nc.kantz(x, dims=(2, 3), n_surrogates=3, alpha=0.3, seed=0),
        "rosenstein": nc.rosenstein(x, dim=2, n_surrogates=3, alpha=0.3, seed=0),
        "laminar": nc.laminar_phases(series),
        "laminar stats": nc.laminar_length_stats([3, 4, 4, 9]),
    }


KINDS = ["ensemble", "fit", "mle", "sweep", "spectrum", "diverged spectrum", "clv", "sharpness",
         "ftle", "train", "train single", "acf", "kantz", "rosenstein", "laminar",
         "laminar stats"]


@pytest.mark.parametrize("kind", KINDS)
def test_round_trip_is_bitwise(results, tmp_path, kind):
    res = results[kind]
    path = tmp_path / "r.npz"
    assert nc.save(res, path) == str(path)
    back = nc.load(path)
    assert_identical(res, back)
    # the file is a plain npz: no pickles, every array an entry, plus the metadata
    with np.load(path, allow_pickle=False) as npz:
        assert "__meta__" in npz.files
        meta = json.loads(npz["__meta__"].tobytes().decode())
    assert meta["type"] == type(res).__name__


def test_round_trip_keeps_nan_inf_and_dict_keys(tmp_path, results):
    obj = {"a": np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324]), "b": float("nan"),
           "c": (1, -np.inf, "x", None), 0.5: results["mle"], 2: [1.5, True]}
    nc.save(obj, tmp_path / "d.npz")
    back = nc.load(tmp_path / "d.npz")
    assert_identical(obj, back)
    assert list(back) == ["a", "b", "c", 0.5, 2]


def test_metadata(tmp_path, results):
    sw = results["sweep"]
    nc.save(sw, tmp_path / "s.npz", metadata={"note": "lr sweep", "n": 2})
    meta = ncio.read_metadata(tmp_path / "s.npz")
    assert meta["format"] == "netchaos" and meta["format_version"] == ncio.FORMAT_VERSION == 1
    assert meta["type"] == "SweepResult" and meta["netchaos_version"] == nc.__version__
    assert meta["metadata"] == {"note": "lr sweep", "n": 2}
    assert "T" in meta["created"] and meta["created"].endswith("+00:00")
    params = meta["parameters"]
    assert params["name"] == "lr" and params["values"] == [0.5, 2.0]
    assert params["settings"]["seed"] == 5 and params["settings"]["n_init"] == 3
    assert params["settings"]["fit"] == {"min_window": 5}
    ens = results["ensemble"]
    nc.save(ens, tmp_path / "e.npz")
    p = ncio.read_metadata(tmp_path / "e.npz")["parameters"]
    for key in ("lr", "eps", "steps", "n_init", "n_pert", "seed", "scope", "start", "init_scale",
                "init_scheme"):
        assert p[key] == getattr(ens, key), key
    # strict JSON: no NaN literals even though the result holds NaN
    with zipfile.ZipFile(tmp_path / "s.npz") as z:
        raw = np.load(z.open("__meta__.npy")).tobytes().decode()
    json.loads(raw, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))


def test_save_replaces_atomically_and_cleans_up_on_failure(tmp_path, results, monkeypatch):
    path = tmp_path / "keep.npz"
    nc.save(results["fit"], path)
    good = path.read_bytes()

    def broken_savez(fh, **arrays):
        fh.write(b"PK\x03\x04 partial")
        raise OSError("disk full")

    monkeypatch.setattr(ncio.np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        nc.save(results["ensemble"], path)
    assert path.read_bytes() == good
    assert sorted(os.listdir(tmp_path)) == ["keep.npz"]      # no temporary file left
    monkeypatch.undo()
    nc.save(results["mle"], path)                           # a complete write replaces it
    assert_identical(nc.load(path), results["mle"])


def test_save_argument_errors(tmp_path, results):
    with pytest.raises(TypeError, match="path"):
        nc.save(results["fit"], 3)
    with pytest.raises(TypeError, match="path"):
        nc.save(results["fit"], b"x.npz")
    with pytest.raises(ValueError, match="directory"):
        nc.save(results["fit"], tmp_path)
    with pytest.raises(TypeError, match="result"):
        nc.save(object(), tmp_path / "x.npz")
    with pytest.raises(TypeError, match="object"):
        nc.save({"a": np.array([None, 1])}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="metadata"):
        nc.save(results["fit"], tmp_path / "x.npz", metadata={"f": object()})
    with pytest.raises(TypeError, match="metadata"):
        nc.save(results["fit"], tmp_path / "x.npz", metadata=[1])
    assert not (tmp_path / "x.npz").exists()


# --------------------------------------------------------------------------
# bad files: clear errors, never a write
# --------------------------------------------------------------------------
def _rewrite_zip(src, dst, drop=(), replace=None):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            name = item.filename[:-4]
            if name in drop:
                continue
            data = zin.read(item.filename)
            if replace and name in replace:
                data = replace[name]
            zout.writestr(item, data)


def _meta_npy(meta):
    import io

    buf = io.BytesIO()
    np.save(buf, np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    return buf.getvalue()


@pytest.fixture()
def good_file(tmp_path, results):
    path = tmp_path / "good.npz"
    nc.save(results["sweep"], path)
    return path


def _expect_load_error(path, match, metadata_too=True):
    before = (path.read_bytes(), os.stat(path).st_mtime_ns)
    with pytest.raises(ValueError, match=match) as info:
        nc.load(path)
    assert str(path) in str(info.value)
    if metadata_too:  # read_metadata checks all but the array bytes
        with pytest.raises(ValueError):
            ncio.read_metadata(path)
    assert (path.read_bytes(), os.stat(path).st_mtime_ns) == before   # never written to


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.5, 0.9, 0.999])
def test_truncated_file(good_file, tmp_path, fraction):
    data = good_file.read_bytes()
    bad = tmp_path / "cut.npz"
    bad.write_bytes(data[:int(len(data) * fraction)])
    _expect_load_error(bad, "not an npz|truncated|corrupt|not a readable")


def test_foreign_files(good_file, tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("lr,mle\n1.0,0.3\n")
    _expect_load_error(text, "not an npz")
    plain = tmp_path / "plain.npz"
    np.savez(plain, a=np.arange(3))
    _expect_load_error(plain, "__meta__")
    npy = tmp_path / "a.npy"
    np.save(npy, np.arange(3))
    _expect_load_error(npy, "not an npz")
    other = tmp_path / "other.npz"
    meta = ncio.read_metadata(good_file)
    _rewrite_zip(good_file, other, replace={"__meta__": _meta_npy(dict(meta, format="otherlib"))})
    _expect_load_error(other, "not a netchaos result file")
    garbage = tmp_path / "garbage.npz"
    _rewrite_zip(good_file, garbage, replace={"__meta__": _meta_npy(None)[:-3] + b"{{{"})
    _expect_load_error(garbage, "JSON|corrupt|truncated|not a readable")
    with pytest.raises(FileNotFoundError):
        nc.load(tmp_path / "missing.npz")
    with pytest.raises(ValueError, match="directory"):
        nc.load(tmp_path)


def test_newer_version_unknown_type_missing_and_corrupt_arrays(good_file, tmp_path):
    meta = ncio.read_metadata(good_file)
    newer = tmp_path / "newer.npz"
    _rewrite_zip(good_file, newer, replace={"__meta__": _meta_npy(dict(meta, format_version=2))})
    _expect_load_error(newer, "newer")
    typed = tmp_path / "typed.npz"
    content = dict(meta["content"], __type__="Unknown")
    _rewrite_zip(good_file, typed,
                 replace={"__meta__": _meta_npy(dict(meta, type="Unknown", content=content))})
    _expect_load_error(typed, "unknown result type")
    missing = tmp_path / "missing.npz"
    _rewrite_zip(good_file, missing, drop=("results.0.distances",))
    _expect_load_error(missing, r"incomplete: arrays results\.0\.distances")
    # flip bytes inside an array entry: the CRC check fails
    corrupt = tmp_path / "corrupt.npz"
    data = bytearray(good_file.read_bytes())
    with zipfile.ZipFile(good_file) as z:
        info = z.getinfo("results.0.distances.npy")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 200
    data[start:start + 8] = b"\xff" * 8
    corrupt.write_bytes(bytes(data))
    _expect_load_error(corrupt, "corrupt or truncated", metadata_too=False)


# --------------------------------------------------------------------------
# checkpoint directories
# --------------------------------------------------------------------------
def _sweep(model, iris, ck=None, resume=False, values=(0.5, 1.0, 2.0), **kw):
    args = dict(SWEEP_KW, **kw)
    return nc.lr_sweep(model, iris, list(values), checkpoint=ck, resume=resume, **args)


class _Counter:
    def __init__(self, monkeypatch):
        self.values = []
        real = sweeps._run_chunk

        def counted(params):
            self.values.append(params["lr"])
            return real(params)

        monkeypatch.setattr(sweeps, "_run_chunk", counted)


def test_checkpoint_resume_recomputes_only_missing_chunks(model, iris, tmp_path, monkeypatch):
    full = _sweep(model, iris)
    ck = tmp_path / "ck"
    first = _sweep(model, iris, ck)
    assert_identical(first, full)
    files = sorted(os.listdir(ck))
    assert files == [".lock", "chunk-0000.npz", "chunk-0001.npz", "chunk-0002.npz",
                     "manifest.json"]
    manifest = json.loads((ck / "manifest.json").read_text())
    assert manifest["format"] == "netchaos-checkpoint" and manifest["sweep"] == "lr"
    assert manifest["params"]["seed"] == 5 and len(manifest["fingerprint"]) == 64
    # an interrupted run: one chunk missing, a stale temporary file of the killed writer
    os.remove(ck / "chunk-0001.npz")
    (ck / ".chunk-0001.npz.abc123.tmp").write_bytes(b"PK partial")
    kept = {f: os.stat(ck / f).st_mtime_ns for f in ("chunk-0000.npz", "chunk-0002.npz")}
    count = _Counter(monkeypatch)
    resumed = _sweep(model, iris, ck, resume=True)
    assert count.values == [1.0]
    assert_identical(resumed, full)
    assert {f: os.stat(ck / f).st_mtime_ns for f in kept} == kept     # not rewritten
    assert not any(f.endswith(".tmp") for f in os.listdir(ck))
    # everything done: resume computes nothing
    count.values.clear()
    assert_identical(_sweep(model, iris, ck, resume=True), full)
    assert count.values == []


def test_checkpoint_refuses_to_overwrite_or_mix(model, iris, tmp_path):
    ck = tmp_path / "ck"
    _sweep(model, iris, ck, values=(0.5, 1.0))
    snapshot = {f: (ck / f).read_bytes() for f in os.listdir(ck)}
    with pytest.raises(ValueError, match="not empty.*resume=True"):
        _sweep(model, iris, ck, values=(0.5, 1.0))
    with pytest.raises(ValueError, match=r"another run: params\.seed"):
        _sweep(model, iris, ck, resume=True, values=(0.5, 1.0), seed=6)
    with pytest.raises(ValueError, match="another run: values"):
        _sweep(model, iris, ck, resume=True, values=(0.5, 1.5))
    with pytest.raises(ValueError, match="another run: fingerprint"):
        _sweep(model, iris, ck, resume=True, values=(0.5, 1.0), theta0=model.init(seed=9, n=3))
    with pytest.raises(ValueError, match="another run: fingerprint, model"):
        _sweep(nc.MLP([4, 5, 3], l2=1e-3), iris, ck, resume=True, values=(0.5, 1.0))
    with pytest.raises(ValueError, match=r"another run: params\.fit\.min_window"):
        _sweep(model, iris, ck, resume=True, values=(0.5, 1.0), fit_kwargs={"min_window": 6})
    assert {f: (ck / f).read_bytes() for f in os.listdir(ck)} == snapshot
    # a foreign directory, a file in the way
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not a netchaos checkpoint"):
        _sweep(model, iris, foreign, resume=True)
    with pytest.raises(ValueError, match="not empty"):
        _sweep(model, iris, foreign)
    assert os.listdir(foreign) == ["notes.txt"]
    with pytest.raises(ValueError, match="not a directory"):
        _sweep(model, iris, foreign / "notes.txt")
    with pytest.raises(TypeError, match="resume"):
        _sweep(model, iris, tmp_path / "new", resume="yes")
    with pytest.raises(TypeError, match="checkpoint"):
        _sweep(model, iris, 3)


def test_checkpoint_with_a_damaged_chunk_moves_it_aside_and_recomputes(model, iris, tmp_path,
                                                                      monkeypatch):
    full = _sweep(model, iris, values=(0.5, 1.0))
    ck = tmp_path / "ck"
    _sweep(model, iris, ck, values=(0.5, 1.0))
    chunk = ck / "chunk-0001.npz"
    data = chunk.read_bytes()
    chunk.write_bytes(data[: len(data) // 2])
    count = _Counter(monkeypatch)
    with pytest.warns(RuntimeWarning, match=r"chunk-0001.npz.*damaged.*moved it to .*\.bad-"):
        resumed = _sweep(model, iris, ck, resume=True, values=(0.5, 1.0))
    assert count.values == [1.0]                        # only the damaged chunk is recomputed
    assert_identical(resumed, full)
    bad = [f for f in os.listdir(ck) if f.startswith("chunk-0001.npz.bad-")]
    assert len(bad) == 1 and (ck / bad[0]).read_bytes() == data[: len(data) // 2]
    assert chunk.read_bytes() != data[: len(data) // 2]  # a good chunk again
    # an array damaged behind an intact zip directory: the CRC check catches it too
    raw = bytearray(chunk.read_bytes())
    i = raw.find(b"NUMPY") + 200
    raw[i] ^= 0xFF
    chunk.write_bytes(bytes(raw))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        again = _sweep(model, iris, ck, resume=True, values=(0.5, 1.0))
    assert_identical(again, full)
    assert any("damaged" in str(w.message) for w in seen) or chunk.read_bytes() == bytes(raw)
    # a chunk of another run copied in is refused, with what to do
    other = tmp_path / "other"
    _sweep(model, iris, other, values=(0.5, 1.0), fit_kwargs={"min_window": 6})
    os.replace(other / "chunk-0001.npz", chunk)
    with pytest.raises(ValueError, match="does not belong to this run.*Move it away"):
        _sweep(model, iris, ck, resume=True, values=(0.5, 1.0))


def test_checkpoint_resume_without_seed_continues_the_saved_seed(model, iris, tmp_path,
                                                                 monkeypatch):
    ck = tmp_path / "ck"
    first = _sweep(model, iris, ck, seed=None)
    seed = first.settings["seed"]
    os.remove(ck / "chunk-0002.npz")
    count = _Counter(monkeypatch)
    again = _sweep(model, iris, ck, resume=True, seed=None)
    assert count.values == [2.0]
    assert again.settings["seed"] == seed
    assert_identical(again, first)


def test_eps_sweep_checkpoint(model, iris, tmp_path):
    kw = dict(lr=1.0, steps=25, n_init=2, n_pert=2, seed=1, fit_kwargs={"min_window": 5},
              mle_kwargs={"n_boot": 20})
    full = nc.eps_sweep(model, iris, eps_values=[1e-6, 1e-9, 0.0], **kw)
    ck = tmp_path / "eps"
    nc.eps_sweep(model, iris, eps_values=[1e-6, 1e-9, 0.0], checkpoint=ck, **kw)
    os.remove(ck / "chunk-0000.npz")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resumed = nc.eps_sweep(model, iris, eps_values=[1e-6, 1e-9, 0.0], checkpoint=ck,
                               resume=True, **kw)
    assert_identical(resumed, full)
    assert np.all(resumed.fits[0.0].reason == "zero_distance")


def test_every_local_damage_is_refused_or_harmless(tmp_path):
    """Zero 8 bytes at every offset, flip one byte at every offset, cut at every length:
    each copy loads bitwise identical (the damage hit bytes no reader uses) or raises
    ValueError -- also where the zip directory's own sizes and CRCs are damaged, which
    the per-array checksums in the metadata catch."""
    obj = {"d": np.linspace(0.0, 1.0, 7), "i": np.arange(3), "s": np.array(["ok", "nan"]),
           "f": 0.25}
    good_path = tmp_path / "good.npz"
    nc.save(obj, good_path)
    good = good_path.read_bytes()
    path = tmp_path / "damaged.npz"
    outcomes = {"identical": 0, "refused": 0}

    def check(raw):
        path.write_bytes(bytes(raw))
        try:
            back = nc.load(path)
        except ValueError:
            outcomes["refused"] += 1
            return
        assert_identical(back, obj)
        outcomes["identical"] += 1

    for i in range(len(good)):
        raw = bytearray(good)
        raw[i:i + 8] = bytes(len(raw[i:i + 8]))
        if raw != good:
            check(raw)
        raw = bytearray(good)
        raw[i] ^= 0xFF
        check(raw)
        check(good[:i])
    assert outcomes["refused"] > 2 * len(good) and outcomes["identical"] > 0


def test_load_refuses_non_regular_files_at_once(tmp_path):
    """A device or a pipe is refused without reading (/dev/zero would never end)."""
    for path in ("/dev/zero", "/dev/null"):
        if os.path.exists(path):
            with pytest.raises(ValueError, match="not a regular file"):
                nc.load(path)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not a regular file"):
        nc.load(fifo)


def _with_meta(src, dst, text):
    """A copy of the result file ``src`` whose ``__meta__`` entry holds ``text``."""
    import io as _io
    import zipfile

    with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w") as w:
        for name in z.namelist():
            data = z.read(name)
            if name == "__meta__.npy":
                buf = _io.BytesIO()
                np.save(buf, np.frombuffer(text.encode("utf-8"), dtype=np.uint8))
                data = buf.getvalue()
            w.writestr(name, data)
    return dst


def test_crafted_metadata_gives_a_value_error_naming_the_file(tmp_path):
    src = tmp_path / "mle.npz"
    nc.save(nc.network_mle(np.array([0.1, 0.2, 0.3]), seed=0), src)
    meta = json.loads(np.load(src)["__meta__"].tobytes().decode())
    cases = {}
    deep = json.dumps(meta).replace('"ci": ', '"ci": ' + '{"__tuple__": [' * 50_000, 1)
    cases["deep"] = deep                                          # RecursionError in json
    m = json.loads(json.dumps(meta))
    m["content"]["fields"]["ci"] = {"__dict__": [[{"a": 1}, 2]]}  # an unhashable key
    cases["unhashable"] = json.dumps(m)
    m = json.loads(json.dumps(meta))
    m["content"] = 5                                              # not the announced type
    cases["wrong_type"] = json.dumps(m)
    m = json.loads(json.dumps(meta))
    m["content"]["fields"]["ci"] = {"__array__": "no-such-entry"}
    cases["missing_array"] = json.dumps(m)
    for name, text in cases.items():
        path = _with_meta(src, tmp_path / f"{name}.npz", text)
        with pytest.raises(ValueError, match=re.escape(repr(str(path)))):
            nc.load(path)
