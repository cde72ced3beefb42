"""The papers' analyses (netchaos.protocols) on cases whose answers are known by construction."""

import math
from types import SimpleNamespace

import numpy as np
import pytest

import netchaos as nc
from netchaos import protocols as pr


# ---------------------------------------------------------------------------
# fitted windows, time to accuracy
# ---------------------------------------------------------------------------
def test_fit_window():
    fl = SimpleNamespace(exponent=np.array([0.25, np.nan]), intercept=np.array([-18.0, 0.0]),
                         window=np.array([[3, 40], [0, 0]]))
    w = pr.fitted_phase(fl, 0)
    assert w == (-18.0, 0.25, (3, 40))
    assert type(w[0]) is float and type(w[2][0]) is int
    assert pr.fitted_phase(fl, 1) is None


def test_time_to_accuracy_on_hand_made_series():
    acc = np.array([[0.1, 0.5, 0.91, 0.95],
                    [0.1, 0.2, 0.3, 0.4],
                    [0.9, np.nan, np.nan, np.nan],
                    [0.1, np.nan, 0.99, 0.99],          # NaN never counts as reached
                    [0.1, 0.2, 0.3, 0.9]])              # reaching the target exactly counts
    np.testing.assert_array_equal(pr.time_to_accuracy(acc, 0.9), [2, np.inf, 0, 2, 3])
    np.testing.assert_array_equal(pr.time_to_accuracy(acc[0], 0.5), [1])
    np.testing.assert_array_equal(pr.time_to_accuracy(acc[:2], 1.0), [np.inf, np.inf])
    with pytest.raises(ValueError, match="target"):
        pr.time_to_accuracy(acc, 1.5)
    with pytest.raises(ValueError, match="target"):
        pr.time_to_accuracy(acc, 0.0)
    with pytest.raises(ValueError, match="accuracy"):
        pr.time_to_accuracy(np.zeros((2, 2, 2)))


# ---------------------------------------------------------------------------
# decay fits
# ---------------------------------------------------------------------------
def _exact_exponential(t):
    return 2.0 * np.exp(-0.01 * t)


def _exact_power_law(t):
    d = np.empty_like(t)
    d[0] = 123.0                               # t = 0 is not used by either fit
    d[1:] = 3.0 * t[1:] ** -0.5
    return d


@pytest.mark.parametrize("curve, key, slope, scale, other, better", [
    (_exact_exponential, "exponential", -0.01, 2.0, "power", "exponential"),
    (_exact_power_law, "power", -0.5, 3.0, "exponential", "power_law"),
])
def test_decay_fits_exact_curves(curve, key, slope, scale, other, better):
    t = np.arange(400.0)
    f = pr.decay_fits(t, curve(t))
    a, b, r2 = f[key]
    assert b == pytest.approx(slope, rel=1e-10)
    assert a == pytest.approx(math.log(scale), rel=1e-10)
    assert r2 == pytest.approx(1.0, abs=1e-12)
    assert f[other][2] < 0.99
    assert f["better"] == better


def test_decay_fits_degenerate_and_bad_input():
    t = np.arange(3.0)                                 # only t = 1, 2 are used: too few
    f = pr.decay_fits(t, np.ones(3))
    assert all(np.isnan(v) for v in f["exponential"]) and f["better"] == "undetermined"
    f = pr.decay_fits(np.arange(10.0), np.full(10, 0.5))     # constant: no R^2
    assert np.isnan(f["exponential"][2]) and f["better"] == "undetermined"
    with pytest.raises(ValueError, match="distance has"):
        pr.decay_fits(np.arange(10.0), np.ones(5))


def test_decay_classification_counts_and_ties():
    t = np.arange(200.0)
    tt = np.maximum(t, 1.0)
    rows = [np.exp(-0.02 * t), 5 * np.exp(-0.001 * t), tt ** -1.0, 2 * tt ** -0.3]
    c = pr.decay_classification(t, rows)
    assert c["better"] == ["exponential", "exponential", "power_law", "power_law"]
    assert (c["n_power_law"], c["n_exponential"]) == (2, 2)
    assert c["better_fit"] == "tie" and c["fraction_power_law_better"] == 0.5
    assert c["exponential"][1][1] == pytest.approx(-0.001, rel=1e-9)
    assert c["power"][3][1] == pytest.approx(-0.3, rel=1e-9)
    c = pr.decay_classification(t, rows[2:] + [np.full(200, np.nan)])
    assert c["better"][-1] == "undetermined" and c["better_fit"] == "power_law"
    assert c["fraction_power_law_better"] == 1.0


# ---------------------------------------------------------------------------
# the tangent map
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("shift", [0.0, -0.5])          # positive definite; and indefinite H
def test_linearised_distance_matches_iterating_the_linear_map(shift):
    rng = np.random.default_rng(1)
    A = rng.normal(size=(6, 6))
    H = A @ A.T / 6 + shift * np.eye(6)
    delta = rng.normal(size=(2, 6))
    lr, steps = 0.3, 40
    M = np.eye(6) - lr * H
    want = np.empty((2, steps + 1))
    for k in range(2):
        v = delta[k].copy()
        for t in range(steps + 1):
            want[k, t] = np.linalg.norm(v)
            v = M @ v
    np.testing.assert_allclose(pr.linearised_distance(H, lr, delta, steps), want, rtol=1e-9)
    assert pr.linearised_distance(H, lr, delta[0], 3).shape == (1, 4)
    with pytest.raises(ValueError, match="hessian must be square"):
        pr.linearised_distance(np.ones((2, 3)), lr, delta, 3)
    with pytest.raises(ValueError, match="delta has"):
        pr.linearised_distance(H, lr, np.ones(5), 3)


def test_linearised_distance_flat_and_stiff_directions():
    # eigenvalues 0 (kept), 1/lr (killed in one step) and 2/lr (sign flip, norm kept)
    H = np.diag([0.0, 4.0, 8.0])
    d = pr.linearised_distance(H, 0.25, [[1.0, 2.0, 2.0]], 3)
    np.testing.assert_allclose(d, [[3.0, math.sqrt(5.0), math.sqrt(5.0), math.sqrt(5.0)]],
                               rtol=1e-12)


# ---------------------------------------------------------------------------
# periods, laminar phases, bursts
# ---------------------------------------------------------------------------
def _period3_with_period6_stretches():
    """A 3-cycle of 900 points with two stretches of 36 points that repeat only every 6."""
    x = np.tile([1.0, 2.0, 4.0], 300)
    for start in (201, 600):
        x[start:start + 36] = np.tile([1.0, 2.0, 4.0, 1.5, 2.0, 4.0], 6)
    return x


def test_fundamental_period_of_a_3_cycle_with_period_6_stretches():
    x = _period3_with_period6_stretches()
    assert nc.dominant_period(x) == 6                 # period 6 matches everywhere
    p, fr = pr.fundamental_period(x)
    assert p == 3                                      # ... but the series is a 3-cycle
    assert fr.shape == (12,)
    assert fr[5] == pytest.approx(1.0) and fr[11] == pytest.approx(1.0)
    assert 0.9 * fr[5] <= fr[2] < fr[5]
    assert fr[0] == 0.0 and fr[1] == 0.0
    p0, _ = pr.fundamental_period(x, tolerance=0.0)   # no tolerance: the best period
    assert p0 == 6
    with pytest.raises(ValueError, match="tolerance"):
        pr.fundamental_period(x, tolerance=1.0)
    with pytest.raises(TypeError, match="max_period"):
        pr.fundamental_period(x, max_period=2.5)


def _with_burst(x, start, length, base=10.0):
    """``x`` with ``length`` strictly increasing values from ``start`` on (never periodic)."""
    x = x.copy()
    x[start:start + length] = base + 0.2 * np.arange(length)
    return x


def test_longest_burst_skips_constant_bursts():
    x = np.tile([1.0, 2.0, 4.0], 200)
    x[300:305] = 10.0                                  # constant: too short to be laminar
    x = _with_burst(x, 400, 4)
    lam = nc.laminar_phases(x, period=3)
    assert [tuple(b) for b in lam.bursts] == [(300, 305), (400, 404)]
    assert pr.longest_burst(x, lam) == (400, 404)
    y = np.tile([1.0, 2.0, 4.0], 50)
    assert pr.longest_burst(y, nc.laminar_phases(y, period=3)) is None


def test_laminar_periods_votes_and_longest_burst():
    cycle3 = np.tile([1.0, 2.0, 4.0], 200)
    runs = np.stack([
        _with_burst(cycle3, 90, 12),                              # 3-cycle, short burst
        _with_burst(cycle3, 300, 30),                             # 3-cycle, long burst
        np.tile([0.5, 3.0], 300),                                 # 2-cycle
        np.concatenate([[5.0, 4.0, 3.0], np.full(597, 1.0)]),     # settles on a fixed point
        np.full(600, np.nan),                                     # diverged
    ])
    lp = pr.laminar_periods(runs)
    assert lp["fundamental"] == [3, 3, 2, 1, None]
    assert lp["ok_runs"] == [0, 1, 2, 3]
    assert list(lp["counts"]) == [0, 1, 1, 2]
    assert lp["dominant"] == 3
    assert lp["longest_burst"] == (30, 1, (300, 330))
    assert lp["laminar"][4] is None and lp["laminar"][2].period == 2
    assert lp["laminar_fraction"][1] == pytest.approx(570 / 600)
    assert lp["n_phases"][0] == 2
    # a tie between 2 and 3 goes to the smaller period; fixed points never vote
    lp = pr.laminar_periods(runs[[0, 2, 3]])
    assert lp["dominant"] == 2
    assert pr.laminar_periods(runs[[3]])["dominant"] == 1
    assert pr.laminar_periods(runs[[4]])["dominant"] is None


def test_burst_acf_segments():
    cycle3 = np.tile([1.0, 2.0, 4.0], 200)
    runs = np.stack([np.full(600, np.nan), _with_burst(cycle3, 300, 30), cycle3])
    lp = pr.laminar_periods(runs)
    b = pr.burst_acf(runs, lp, min_burst=20, nlags=10, n_surrogates=19, seed=0)
    assert (b["run"], b["segment"], b["kind"]) == (1, (300, 330), "longest burst")
    assert b["acf"].acf.shape == (11,)
    assert b["acf"].acf[1] > 0.8                       # a ramp: strongly correlated
    b = pr.burst_acf(runs, lp, min_burst=100, nlags=10, n_surrogates=19, seed=0)
    assert (b["run"], b["segment"], b["kind"]) == (1, (0, 600), "whole series")
    with pytest.raises(ValueError, match="no run"):
        pr.burst_acf(runs[:1], pr.laminar_periods(runs[:1]))


def test_kantz_runs_reports_refused_series():
    k = pr.kantz_runs([np.ones(300), np.zeros(300)], seeds=[0, 1])
    assert np.isnan(k["exponents"]).all() and np.isnan(k["p_values"]).all()
    assert all(r is None for r in k["results"]) and all("constant" in e for e in k["errors"])
    assert k["n_tested"] == 0 and k["fraction_significant"] is None
    with pytest.raises(ValueError, match="seeds has 1"):
        pr.kantz_runs([np.ones(10), np.ones(10)], seeds=[0])


# ---------------------------------------------------------------------------
# orbital stability and eps sweeps (hand-made sweeps)
# ---------------------------------------------------------------------------
def _fake_eps_sweep():
    curves = {1e-2: [1.0, 2.0, 4.0], 1e-8: [1.0, 0.5, 0.5], 1e-5: [1.0, 1.0, 1.0]}
    results, fits = {}, {}
    for e, c in curves.items():
        d = e * np.array(c)
        results[e] = SimpleNamespace(distances=np.stack([d, d])[None], n_diverged=0,
                                     loss=np.array([[3.0, 2.0, 2.5]]))
        fits[e] = SimpleNamespace(exponent=np.array([0.01]))
    return SimpleNamespace(values=np.array(list(curves)), results=results, fits=fits)


def test_orbital_spread_on_hand_made_curves():
    o = pr.orbital_spread(_fake_eps_sweep())
    ln2 = math.log(2.0)
    np.testing.assert_allclose(o["log_ratio_spread"], [3 * ln2], rtol=1e-12)
    np.testing.assert_allclose(o["log_ratio_spread_excluding_largest_eps"], [ln2], rtol=1e-12)
    assert o["loss_monotone_fraction"] == 0.5 and o["loss_monotone_fraction_min"] == 0.5
    assert o["distance_nonmonotone_eps"] == 1e-8                 # the middle one of the sweep
    assert o["distance_nonmonotone_fraction"] == 0.5
    assert [o["per_eps"][e]["dT_over_d0"] for e in (1e-2, 1e-8, 1e-5)] == [[4.0], [0.5], [1.0]]
    assert o["per_eps"][1e-5]["d0_mean"] == pytest.approx(1e-5)
    assert o["mean_distance"].shape == (3, 1, 3)
    one = pr.orbital_spread(_fake_eps_sweep(), [1e-2])
    assert one["log_ratio_spread"][0] == 0.0
    assert np.isnan(one["log_ratio_spread_excluding_largest_eps"][0])


def _mle(value, kept_fraction=0.5, rho=1.0, std=0.1, ci=(0.0, 1.0)):
    return SimpleNamespace(exponent=value, kept_fraction=kept_fraction, rho=rho, std=std, ci=ci)


def test_eps_table_and_small_eps_agreement():
    sweep = SimpleNamespace(values=np.array([1e-14, 1e-12, 1e-10, 1e-4, 1e-2]),
                            n_diverged=np.array([0, 0, 1, 0, 0]),
                            mles={1e-14: _mle(0.30), 1e-12: _mle(0.32), 1e-10: _mle(0.34),
                                  1e-4: _mle(0.2), 1e-2: _mle(0.1)})
    t = pr.eps_table(sweep)
    assert list(t) == [1e-14, 1e-12, 1e-10, 1e-4, 1e-2]
    assert t[1e-10] == {"lambda_nmle": 0.34, "kept_fraction": 0.5, "rho": 1.0, "std": 0.1,
                        "ci": [0.0, 1.0], "n_diverged": 1}
    small, agreement, large = pr.small_eps_agreement(t)
    assert small == [1e-10, 1e-12, 1e-14]
    assert agreement["max_rel_spread"] == pytest.approx(0.04 / 0.32)
    assert agreement["within_10pct"] is False and large is True
    _, agreement, _ = pr.small_eps_agreement(t, tolerance=0.2)
    assert agreement["within_10pct"] is True
    t[1e-4]["lambda_nmle"] = 0.31                      # above the smallest small-eps value
    assert pr.small_eps_agreement(t)[2] is False
    t[1e-4]["lambda_nmle"] = float("nan")
    assert pr.small_eps_agreement(t)[2] is False
    small, agreement, large = pr.small_eps_agreement({1e-8: {"lambda_nmle": 0.3}})
    assert (small, agreement, large) == ([], None, None)


def test_sharpness_summary():
    ss = SimpleNamespace(top=np.array([0.5, np.nan, 1.5, 2.5, 2.0, 1.0]),
                         t=np.arange(0, 60, 10), threshold=2.0, first_crossing=30)
    s = pr.sharpness_summary(ss)
    assert (s["initial"], s["final"], s["max"]) == (0.5, 1.0, 2.5)
    assert s["median_second_half"] == 2.0              # steps >= 25: 2.5, 2.0, 1.0
    assert s["fraction_above_threshold"] == 0.4        # 2 of the 5 finite values
    assert s["first_crossing"] == 30 and s["threshold"] == 2.0
    assert pr.sharpness_summary(ss, second_half_from=35)["median_second_half"] == 1.5
    ss.top[0] = ss.top[-1] = np.nan
    s = pr.sharpness_summary(ss)
    assert s["initial"] is None and s["final"] is None


# ---------------------------------------------------------------------------
# onset of chaos (a hand-made learning-rate sweep)
# ---------------------------------------------------------------------------
def _fake_lr_sweep():
    nan = np.nan
    acc = {1.0: [[0.1, 0.5, 0.8, 0.9, 0.95], [0.1, 0.6, 0.7, 0.85, 0.9]],     # tau 3, 4
           2.0: [[0.1, 0.9, 0.9, 0.9, 0.9], [0.2, 0.5, 0.95, 0.9, 0.9]],      # tau 1, 2
           4.0: [[0.1, nan, nan, nan, nan], [0.1, 0.2, 0.3, 0.91, 0.5]]}      # tau inf, 3
    kept = {1.0: 0.0, 2.0: 0.5, 4.0: 1.0}
    exps = {1.0: [0.01, np.nan], 2.0: [0.1, 0.3], 4.0: [0.4, 0.6]}
    # windows of 100 steps (resolution 0.01), standard errors 0.01: 0.01 is not positive
    results = {lr: SimpleNamespace(test_accuracy=np.array(a)) for lr, a in acc.items()}

    def fit(e):
        e = np.array(e)
        return SimpleNamespace(exponent=e, stderr=np.where(np.isfinite(e), 0.01, np.nan),
                               window_spread=np.zeros(2), window=np.array([[0, 100]] * 2))
    return SimpleNamespace(
        values=np.array([1.0, 2.0, 4.0]), results=results,
        fits={lr: fit(e) for lr, e in exps.items()},
        mles={lr: _mle(0.5, kept_fraction=kept[lr]) for lr in kept},
        rho=np.array([0.5, 1.0, 1.0]), n_diverged=np.array([0, 0, 1]),
        final_test_accuracy=np.array([0.9, 0.9, 0.5]))


def test_onset_table_on_a_hand_made_sweep():
    tab = pr.onset_table(_fake_lr_sweep(), 0.9)
    np.testing.assert_array_equal(tab["tau"], [[3, 4], [1, 2], [np.inf, 3]])
    np.testing.assert_array_equal(tab["tau_median"], [3.5, 1.5, np.nan])   # inf: NaN
    np.testing.assert_allclose(tab["mean_exponent"], [0.01, 0.2, 0.5])
    assert tab["lr_tau_min"] == 2.0
    assert tab["lr_rho_one"] == 2.0 and tab["lr_rho_chaotic_one"] == 4.0
    assert tab["lr_chaos_onset"] == 2.0
    np.testing.assert_array_equal(tab["rho"], [0.0, 1.0, 1.0])      # of the fitted ICs
    assert tab["per_lr"][1.0]["n_fitted"] == 1 and tab["per_lr"][2.0]["positive"] == [True] * 2
    assert tab["relation"] == "at" and tab["relation_chaotic"] == "below"
    # every resample of lr 2 has rho 1 and lr 1 rho 0: no uncertainty in where rho reaches 1
    assert tab["lr_rho_one_ci"] == [2.0, 2.0] and tab["lr_rho_one_defined"] == 1.0
    np.testing.assert_array_equal(tab["rho_ci"], [[0, 0], [1, 1], [1, 1]])
    lo, hi = tab["lr_tau_min_ci"]
    assert lo <= 2.0 <= hi and {lo, hi} <= {1.0, 2.0, 4.0}
    p = tab["per_lr"][4.0]
    assert p["tau_per_ic"] == [np.inf, 3.0] and p["fraction_reached"] == 0.5
    assert p["final_test_accuracy"] == 0.5 and p["n_diverged"] == 1
    assert tab["per_lr"][1.0]["mean_exponent"] == 0.01


def test_onset_table_flow_time_and_ties():
    """Flow time lr * tau by hand; a tie of the medians names every tied learning rate."""
    sweep = _fake_lr_sweep()
    tab = pr.onset_table(sweep, 0.9, n_boot=0)
    np.testing.assert_array_equal(tab["tau_flow"], [[3, 4], [2, 4], [np.inf, 12]])
    np.testing.assert_array_equal(tab["tau_flow_median"], [3.5, 3.0, np.nan])
    assert tab["lr_tau_flow_min"] == 2.0 and tab["per_lr"][2.0]["tau_flow"] == 3.0
    assert tab["lr_tau_min_tied"] == [2.0]
    # lr = 1 and lr = 2 both take 1.5 steps (median): a tie, not a minimum at lr = 1
    sweep.results[1.0].test_accuracy[:] = [[0.1, 0.95, 0.9, 0.9, 0.9], [0.1, 0.2, 0.95, 0.9, 0.9]]
    tab = pr.onset_table(sweep, 0.9, n_boot=0)
    np.testing.assert_array_equal(tab["tau_median"][:2], [1.5, 1.5])
    assert tab["lr_tau_min"] == 1.0 and tab["lr_tau_min_tied"] == [1.0, 2.0]
    np.testing.assert_array_equal(tab["tau_flow_median"][:2], [1.5, 3.0])   # grows with lr
    assert tab["lr_tau_flow_min"] == 1.0
    for lr in sweep.results:
        sweep.results[lr].test_accuracy[:] = 0.0                # nobody reaches the target
    tab = pr.onset_table(sweep, 0.9, n_boot=0)
    assert tab["lr_tau_min_tied"] == [] and tab["lr_tau_flow_min"] is None
    assert np.isnan(tab["tau_flow_median"]).all()


def test_onset_table_relations_and_bad_input():
    sweep = _fake_lr_sweep()
    sweep.results[2.0].test_accuracy[:] = 0.0            # lr = 2 never reaches the target
    tab = pr.onset_table(sweep, 0.9)
    assert np.isnan(tab["tau_median"][1]) and tab["lr_tau_min"] == 1.0
    sweep.results[1.0].test_accuracy[:] = 0.0
    sweep.results[4.0].test_accuracy[0, 1] = 0.95
    tab = pr.onset_table(sweep, 0.9)
    assert tab["lr_tau_min"] == 4.0 and tab["relation_chaotic"] == "at"
    assert tab["relation"] == "above"
    for mle in sweep.mles.values():
        mle.kept_fraction = 0.0
    assert pr.onset_table(sweep, 0.9)["relation_chaotic"] == "undetermined"
    for fl in sweep.fits.values():
        fl.exponent[:] = 0.001
    tab = pr.onset_table(sweep, 0.9, n_boot=0)
    assert tab["relation"] == "undetermined" and tab["lr_rho_one_ci"] is None
    sweep.final_test_accuracy = None
    with pytest.raises(ValueError, match="test_metrics"):
        pr.onset_table(sweep)


def test_positive_exponents_against_the_fit_uncertainty():
    """Exponential growth at 0.2 and 0.05 per step is positive; a slow smooth drift of ln d
    (a perfect fit, tiny standard error) and a random walk of ln d are not."""
    t = np.arange(200.0)
    rng = np.random.default_rng(0)
    walk = np.cumsum(rng.normal(0, 0.05, 200))
    logd = np.stack([0.2 * np.minimum(t, 80), 0.05 * t, 0.0005 * t, walk, -0.1 * t])
    fl = nc.finite_lyapunov(1e-8 * np.exp(logd), saturation=False, layout="init,t")
    assert fl.stderr[2] < 1e-6                       # a line: the standard error alone is 0
    pos, fitted = pr.positive_exponents(fl)
    assert fitted.all()
    assert pos.tolist() == [True, True, False, False, False]
    with pytest.raises(ValueError, match="level"):
        pr.positive_exponents(fl, level=1.0)
    with pytest.raises(TypeError, match="FiniteLyapunovResult"):
        pr.positive_exponents(np.ones(3))


def test_window_spread_and_stderr_of_the_fit():
    t = np.arange(100.0)
    line = nc.finite_lyapunov(1e-8 * np.exp(0.1 * t), saturation=False, lengths=None)
    assert line.window_spread[0] < 1e-12 and line.stderr[0] < 1e-12
    rng = np.random.default_rng(1)
    noisy = 0.1 * t + rng.normal(0, 0.5, 100)        # white residuals: phi ~ 0
    fl = nc.finite_lyapunov(1e-8 * np.exp(noisy)[None], saturation=False, lengths=None,
                            starts=np.array([0]), layout="init,t")
    assert fl.window[0].tolist() == [0, 100]
    ols = 0.5 / np.sqrt(np.sum((t - t.mean()) ** 2))   # the textbook standard error
    assert fl.stderr[0] == pytest.approx(ols, rel=0.3)


# ---------------------------------------------------------------------------
# tangent map against the ensemble
# ---------------------------------------------------------------------------
def test_exponent_agreement_on_exact_exponentials():
    t = np.arange(80.0)[None]
    rates = np.array([[0.2], [0.3], [0.4], [0.5], [0.01]])      # the last is not kept
    fl_a = nc.finite_lyapunov(1e-8 * np.exp(rates * np.minimum(t, 30)), layout="init,t")
    fl_b = nc.finite_lyapunov(1e-8 * np.exp(1.1 * rates * np.minimum(t, 30)), layout="init,t")
    np.testing.assert_allclose(fl_a.exponent, rates[:, 0], rtol=1e-9)
    agr = pr.exponent_agreement(fl_a, fl_b)
    np.testing.assert_array_equal(agr["both"], [True, True, True, True, False])
    assert agr["correlation"] == pytest.approx(1.0, abs=1e-12)
    assert agr["median_relative_difference"] == pytest.approx(0.1, rel=1e-9)
    assert agr["fraction_within_20pct"] == 1.0
    assert agr["mean_ensemble"] == pytest.approx(0.35, rel=1e-9)
    assert agr["mean_tangent"] == pytest.approx(0.385, rel=1e-9)
    assert agr["relative_difference_of_means"] == pytest.approx(0.1, rel=1e-9)
    few = pr.exponent_agreement(fl_a, fl_b, min_exponent=0.45)   # one kept: no statistics
    assert int(few["both"].sum()) == 1 and np.isnan(few["correlation"])
    assert few["relative_difference_of_means"] is None


def test_tangent_growth_sums_the_local_exponents():
    model = nc.MLP([4, 3, 3])
    data = nc.datasets.iris(seed=0)
    theta = model.init(seed=0, n=2)
    g = pr.tangent_growth(model, data, theta, 0.5, 15, 1e-8, seeds=[3, 4])
    assert g.shape == (2, 16) and np.all(g[:, 0] == 1e-8)
    lam = nc.lyapunov_spectrum(model, data, theta[1], 0.5, steps=15, k=1, seed=4).exponents[0]
    assert math.log(g[1, -1] / 1e-8) / 15 == pytest.approx(lam, rel=1e-9)
    with pytest.raises(ValueError, match="seeds has 1"):
        pr.tangent_growth(model, data, theta, 0.5, 15, 1e-8, seeds=[0])
