"""The ``netchaos`` command: quick reproductions, validation, argument errors."""

import json
import math
import os

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from netchaos.app import reproduce  # noqa: E402
from netchaos.app.cli import main  # noqa: E402

EXPECTED_FIGURES = {
    "orbital": ["orbital_eps_ic0.png", "orbital_distances.png"],
    "post-training": ["post_training_distances.png", "post_training_fits.png"],
    "eos": ["eos_distances.png", "eos_histogram.png", "eos_mle_vs_eps.png", "eos_sharpness.png"],
    "intermittency": ["intermittency_loss_norm.png", "intermittency_laminar.png",
                      "intermittency_acf.png", "intermittency_kantz.png",
                      "intermittency_significance.png"],
    "onset": ["onset.png", "onset_distances.png"],
    "tangent": ["tangent_spectrum.png", "tangent_sharpness.png", "tangent_ftle.png",
                "tangent_cross_check.png"],
}
COMMON_KEYS = ["experiment", "quick", "seed", "version", "params", "wall_time_s", "figures",
               "peak_rss_mb", "threads"]


def _strict_load(path):
    def reject(token):
        raise ValueError(f"non-standard JSON constant {token} in {path}")
    with open(path, encoding="utf-8") as f:
        return json.load(f, parse_constant=reject)


def _finite(*values):
    for v in values:
        assert isinstance(v, (int, float)) and not isinstance(v, bool), v
        assert math.isfinite(v), v


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """Run each quick experiment once through the command line; cache the summaries."""
    out = tmp_path_factory.mktemp("results")
    cache = {}

    def get(name):
        if name not in cache:
            argv = ["reproduce", name, "--quick", "--out", str(out), "--seed", "0", "--quiet"]
            if name != "post-training":          # one run keeps the progress bars on
                argv.append("--no-progress")
            assert main(argv) == 0
            cache[name] = (out / name, _strict_load(out / name / "summary.json"))
        return cache[name]
    return get


def _check_common(folder, summary, name):
    for key in COMMON_KEYS:
        assert key in summary, key
    import netchaos

    assert summary["experiment"] == name
    assert summary["quick"] is True
    assert summary["seed"] == 0
    assert summary["version"] == netchaos.__version__
    _finite(summary["wall_time_s"])
    for fig in EXPECTED_FIGURES[name]:
        assert fig in summary["figures"]
        path = folder / fig
        assert path.exists() and path.stat().st_size > 1000
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    for fig in summary["figures"]:
        assert (folder / fig).exists()
    # atomic writes leave no temporary files behind
    assert not [p for p in os.listdir(folder) if p.startswith(".") or p.endswith(".tmp")]


def test_orbital_quick(quick):
    folder, s = quick("orbital")
    _check_common(folder, s, "orbital")
    _finite(s["loss_monotone_fraction"], s["log_ratio_spread_max"],
            s["distance_nonmonotone_fraction"])
    assert s["params"]["lr"] == 0.01
    assert len(s["eps"]) == 5 and len(s["per_eps"]) == 5
    # the loss decreases monotonically at lr = 0.01 ...
    assert s["loss_monotone_fraction"] > 0.99
    # ... while d(t) is not monotone, and the normalised curves barely depend on eps
    assert s["distance_nonmonotone_fraction"] > 0.01
    assert s["log_ratio_spread_max_excluding_largest_eps"] < 0.5
    for v in s["per_eps"].values():
        assert all(abs(x) < 0.05 for x in v["finite_lyapunov"])      # no exponential divergence


def test_post_training_quick(quick):
    folder, s = quick("post-training")
    _check_common(folder, s, "post-training")
    _finite(s["d_ratio_final_median"], s["exp_rate_median"], s["finite_lyapunov_mean"])
    assert s["better_fit"] in ("power_law", "exponential", "tie")
    assert 0 <= s["fraction_power_law_better"] <= 1
    # slow decay: the distance neither collapses nor explodes over the window
    assert 0.5 < s["d_ratio_final_median"] < 2
    assert abs(s["finite_lyapunov_mean"]) < 0.01
    assert s["n_diverged"] == 0


@pytest.mark.slow
def test_eos_quick(quick):
    folder, s = quick("eos")
    _check_common(folder, s, "eos")
    for key in ("lambda_nmle", "kept_fraction", "rho", "ci", "per_eps", "n_init", "n_pert",
                "eps", "steps"):
        assert key in s, key
    _finite(s["lambda_nmle"], s["kept_fraction"], s["rho"], *s["ci"])
    assert s["n_init"] == 50 and s["n_pert"] == 5 and s["eps"] == 1e-8 and s["steps"] == 200
    assert s["lambda_nmle"] > 0
    assert 0.15 < s["lambda_nmle"] < 0.6
    assert s["ci"][0] <= s["lambda_nmle"] <= s["ci"][1]
    assert s["kept_fraction"] > 0.5
    assert set(s["per_eps"]) == {repr(e) for e in s["eps_values"]}
    for v in s["per_eps"].values():
        assert "lambda_nmle" in v and "kept_fraction" in v
    assert s["per_eps"]["1e-08"]["lambda_nmle"] == s["lambda_nmle"]
    # large radii saturate early and give smaller exponents
    assert s["per_eps"]["0.01"]["lambda_nmle"] < s["per_eps"]["1e-12"]["lambda_nmle"]
    _finite(s["sharpness"]["threshold"], s["sharpness"]["max"])
    assert s["sharpness"]["threshold"] == 2.0


@pytest.mark.slow
def test_intermittency_quick(quick):
    folder, s = quick("intermittency")
    _check_common(folder, s, "intermittency")
    assert isinstance(s["dominant_period"], int) and 1 <= s["dominant_period"] <= 12
    _finite(s["laminar_fraction"], s["acf_fraction_outside_band"])
    assert 0 <= s["laminar_fraction"] <= 1
    # the loss at lr = 5 is far from white noise: its ACF leaves the shuffled band
    assert s["acf_fraction_outside_band"] > 0.2
    assert len(s["kantz_exponents"]) == len(s["kantz_p_values"]) == 3
    assert 0 <= s["kantz_fraction_significant"] <= 1
    for p in s["kantz_p_values"]:
        assert p is None or 0 < p <= 1


def test_onset_quick(quick):
    folder, s = quick("onset")
    _check_common(folder, s, "onset")
    n = len(s["lr"])
    for key in ("lambda_nmle", "rho", "rho_chaotic", "tau", "mean_exponent"):
        assert len(s[key]) == n, key
    assert s["dataset"] == "digits"
    assert all(0 <= r <= 1 for r in s["rho"])
    # small learning rates do not diverge exponentially, large ones do
    assert s["rho_chaotic"][0] < s["rho_chaotic"][-2]
    assert s["mean_exponent"][0] < s["mean_exponent"][-2]
    assert s["tau_min_relative_to_rho_chaotic_one"] in ("below", "at", "above", "undetermined")
    # the gradient-flow time is lr times the steps, and the tie list holds the minimum
    for lr, tau, flow in zip(s["lr"], s["tau"], s["tau_flow"]):
        assert (tau is None) == (flow is None)
        if flow is not None:
            assert flow == pytest.approx(lr * tau)
    if s["lr_tau_min"] is not None:
        assert s["lr_tau_min"] == s["lr_tau_min_tied"][0]


def test_tangent_quick(quick):
    folder, s = quick("tangent")
    _check_common(folder, s, "tangent")
    spec = s["spectrum"]
    assert spec["n_exponents"] == 83 and len(spec["exponents"]) == 83
    _finite(spec["top"], spec["sum"])
    assert spec["top"] > 0
    # a transient: only exponents resolved from 0 are counted, and no Kaplan-Yorke dimension
    assert "kaplan_yorke_dimension" not in spec and "n_positive" not in spec
    counts = (spec["n_resolved_positive"], spec["n_resolved_negative"], spec["n_unresolved"])
    assert sum(counts) == 83 and spec["n_unresolved"] > 0
    assert spec["resolution_floor"] == pytest.approx(np.log(83) / (2 * spec["steps"]))
    lam = np.array(spec["exponents"])
    resolved = np.abs(lam) > spec["resolution_floor"]
    assert spec["n_resolved_positive"] <= np.sum(resolved & (lam > 0))
    assert spec["n_resolved_negative"] <= np.sum(resolved & (lam < 0))
    v = s["ftle_vs_final_loss"]
    assert v["n_init"] == 40 and v["n_used"] <= 40
    for name in ("lambda1_20", "sum_positive_20", "sum_20", "log_loss_early", "weight_norm"):
        assert v["auc"][name]["auc"] is None or 0 <= v["auc"][name]["auc"] <= 1
    assert set(v["cv_auc"]) >= {"trivial", "ftle", "both", "gain"}
    # the constant guess scores at least half: the old majority baseline could not
    assert v["best_constant_test_accuracy"] >= 0.5
    cc = s["cross_check"]
    _finite(cc["ensemble_mean_both"], cc["tangent_mean_both"])
    # the tangent map and the finite-eps ensemble measure the same divergence rate
    assert cc["relative_difference_of_means"] < 0.3


def test_onset_with_mnist_file(tmp_path):
    from sklearn.datasets import load_digits

    d = load_digits()
    imgs = (d.images * 15).astype(np.uint8)                 # 8x8 stand-in for MNIST images
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=imgs[:1200], y_train=d.target[:1200], x_test=imgs[1200:],
             y_test=d.target[1200:])
    out = tmp_path / "out"
    code = main(["reproduce", "onset", "--quick", "--mnist", str(path), "--out", str(out),
                 "--no-progress", "--quiet"])
    assert code == 0
    s = _strict_load(out / "onset" / "summary.json")
    assert s["dataset"] == "mnist"
    assert s["sizes"][0] == 64


@pytest.mark.slow
def test_validate_exit_code(capsys):
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert "PASS" in out and "FAIL" not in out


def test_validate_wrong_truth_exits_nonzero(capsys, tmp_path):
    code = main(["validate", "--case", "logistic_r4", "--case", "tent_mu1.7",
                 "--truth", "logistic_r4=0.5", "--json", str(tmp_path / "v.json")])
    assert code == 1
    out = capsys.readouterr().out
    assert "FAIL" in out
    rep = _strict_load(tmp_path / "v.json")
    assert rep["passed"] is False


def test_validate_unknown_case(capsys):
    assert main(["validate", "--case", "nope"]) == 2
    assert "unknown case" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["reproduce", "nonsense"], "invalid choice"),
    (["reproduce"], "required"),
    (["reproduce", "eos", "--seed", "-3"], "non-negative"),
    (["reproduce", "eos", "--jobs", "0"], "positive"),
    (["reproduce", "eos", "--jobs", "100000"], "exceeds"),
    (["reproduce", "onset", "--mnist", "/no/such/path"], "no such file"),
    (["reproduce", "eos", "--mnist", "."], "onset"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_arguments_exit_2(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "usage:" in err


def test_no_command_and_help(capsys):
    assert main([]) == 2
    assert main(["--help"]) == 0
    assert "reproduce" in capsys.readouterr().out
    assert main(["--version"]) == 0


def test_list(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "intermittency" in out and "kantz_henon" in out


@pytest.mark.slow
def test_python_api_overrides_and_determinism(tmp_path):
    kw = dict(quick=True, progress=False, verbose=False, steps=150, n_pert=3, seed=5)
    a = reproduce.orbital(out=tmp_path / "a", **kw)
    b = reproduce.orbital(out=tmp_path / "b", **kw)
    assert a["params"]["steps"] == 150 and a["steps"] == 150
    for key in ("loss_monotone_fraction", "log_ratio_spread", "final_loss", "per_eps"):
        assert a[key] == b[key]
    c = reproduce.orbital(out=tmp_path / "c", **dict(kw, seed=6))
    assert c["final_loss"] != a["final_loss"]
    with pytest.raises(TypeError, match="unknown parameter"):
        reproduce.orbital(out=tmp_path, quick=True, verbose=False, bogus=1)
    with pytest.raises(ValueError, match="unknown experiment"):
        reproduce.run("nope")


def test_write_json_is_strict_and_atomic(tmp_path):
    path = tmp_path / "x.json"
    reproduce.write_json(path, {"a": np.float64(np.nan), "b": np.arange(3), 1e-8: {"c": np.inf}})
    d = _strict_load(path)
    assert d == {"a": None, "b": [0, 1, 2], "1e-08": {"c": None}}
    assert os.listdir(tmp_path) == ["x.json"]


def test_old_module_names_stay_importable():
    import netchaos.cli
    import netchaos.reproduce

    assert netchaos.cli.main is main
    for name in netchaos.reproduce.__all__:
        assert getattr(netchaos.reproduce, name) is getattr(reproduce, name), name
    assert netchaos.reproduce.run_all is reproduce.run_all
    assert set(reproduce.EXPERIMENTS) == set(reproduce.DEFAULTS) == set(reproduce.QUICK)


def test_app_mode_resolves_targets_and_builds_the_voila_command(tmp_path, monkeypatch):
    import nbformat

    from netchaos.app import serve

    kind, path = serve.resolve_target("4")
    assert kind == "notebook" and path.endswith("04_edge_of_stability.ipynb")
    assert serve.resolve_target("spectrum") == ("explorer", "spectrum")
    nb = nbformat.reads(serve.explorer_notebook("post-training"), as_version=4)
    nbformat.validate(nb)
    assert nb.cells[0].source.endswith("widgets.post_training_explorer()")
    for name in serve.EXPLORERS:                     # every name maps to a real explorer
        from netchaos.app import widgets

        assert callable(getattr(widgets, serve.EXPLORERS[name]))
    cmd = serve.voila_command(path, port=9001, ip="127.0.0.1", token="t")
    assert cmd[1:3] == ["-m", "voila"] and "--port=9001" in cmd and "--token=t" in cmd
    assert "--no-browser" in cmd and "--Voila.ip=127.0.0.1" in cmd
    with pytest.raises(ValueError, match="no notebook 99_"):
        serve.resolve_target("99")
    with pytest.raises(ValueError, match="not a notebook number"):
        serve.resolve_target("nonsense")
    with pytest.raises(TypeError, match="target"):
        serve.resolve_target(4)


def test_app_mode_bad_target_exits_2(capsys):
    assert main(["app", "nonsense"]) == 2
    assert "not a notebook number" in capsys.readouterr().err
    assert main(["app", "missing.ipynb"]) == 2
    assert "no such notebook" in capsys.readouterr().err
