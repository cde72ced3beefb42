"""Scalar time-series diagnostics of ``netchaos.timeseries``: ACF with a shuffled
null, Kantz and Rosenstein Lyapunov exponents with surrogate tests (against
brute-force references and maps with known exponents), laminar phases and
type-I intermittency, delay embedding and argument checks."""

import numpy as np
import pytest

from netchaos.timeseries import (
    ACFResult,
    KantzResult,
    LaminarResult,
    RosensteinResult,
    acf,
    delay_embed,
    dominant_period,
    kantz,
    laminar_length_stats,
    laminar_phases,
    rosenstein,
)

LN2 = float(np.log(2.0))
#: largest Lyapunov exponent of the Henon map (a=1.4, b=0.3) per iteration:
#: J. C. Sprott, Chaos and Time-Series Analysis, Oxford UP (2003), table of
#: exponents (0.41922); the exponents sum to ln b = ln 0.3 = -1.204.
HENON_LAMBDA = 0.419
#: acceptance tolerance on the exponents (Kantz on Henon: 0.05)
TOL = 0.05
#: surrogates in the significance tests: smallest p-value 1/40 = 0.025 < 0.05
N_SURR = 39


# --------------------------------------------------------------------------
# test series (plain numpy loops)
# --------------------------------------------------------------------------
def logistic_series(n, r=4.0, x0=0.3, transient=100):
    """x_{t+1} = r x_t (1 - x_t); at r = 4 the exponent is exactly ln 2
    (conjugacy to the tent map, invariant density 1 / (pi sqrt(x(1-x))))."""
    x = np.empty(n + transient)
    x[0] = x0
    for t in range(1, x.size):
        x[t] = r * x[t - 1] * (1.0 - x[t - 1])
    return x[transient:]


def henon_x(n, a=1.4, b=0.3, transient=100):
    """x-coordinate of the Henon map x' = 1 - a x^2 + y, y' = b x."""
    x = np.empty(n + transient)
    x[0], y = 0.1, 0.0
    for t in range(1, x.size):
        x[t], y = 1.0 - a * x[t - 1] ** 2 + y, b * x[t - 1]
    return x[transient:]


def ar1(n, phi, seed, burn=200):
    rng = np.random.default_rng(seed)
    e = rng.normal(size=n + burn)
    x = np.zeros(n + burn)
    for t in range(1, x.size):
        x[t] = phi * x[t - 1] + e[t]
    return x[burn:]


PERIOD3 = np.array([0.15, 0.95, 0.55])


def intermittent_series(seed, n_cycles=12):
    """Period-3 orbit segments of known lengths alternated with uniform random bursts."""
    rng = np.random.default_rng(seed)
    parts, truth, pos = [], [], 0
    for _ in range(n_cycles):
        burst = int(rng.integers(10, 40))
        lam = int(rng.integers(30, 120))
        phase = int(rng.integers(3))
        parts.append(rng.uniform(0.0, 1.0, burst))
        parts.append(PERIOD3[(np.arange(lam) + phase) % 3] + 1e-4 * rng.normal(size=lam))
        truth.append((pos + burst, pos + burst + lam))
        pos += burst + lam
    return np.concatenate(parts), np.array(truth)


# --------------------------------------------------------------------------
# brute-force references
# --------------------------------------------------------------------------
def rounding_level(x):
    """The documented rounding-level distance: max(sqrt(u) std, 64 u max|x|)."""
    u = 2.0 ** -24 if np.all(x == x.astype(np.float32)) else 2.0 ** -53
    return max(np.sqrt(u) * np.std(x), 64 * u * np.max(np.abs(x)))


def brute_kantz(x, m, delay, eps, theiler, max_steps, last):
    """S(eps, dt) and reference counts by explicit loops over all pairs."""
    span = (m - 1) * delay
    n_use = x.size - span - max_steps
    V = np.array([x[i:i + span + 1:delay] for i in range(x.size - span)])
    tiny = rounding_level(x)
    S = np.full((len(eps), max_steps + 1), np.nan)
    counts = np.zeros(len(eps), dtype=int)
    for e, radius in enumerate(eps):
        rows = []
        for i in range(n_use):
            nb = [j for j in range(n_use)
                  if abs(i - j) > theiler and tiny < np.max(np.abs(V[i] - V[j])) <= radius]
            if not nb:
                continue
            nb = np.array(nb)
            row = []
            for dt in range(max_steps + 1):
                if last:
                    d = np.abs(x[i + dt + span] - x[nb + dt + span])
                else:
                    d = np.sqrt(np.sum((V[i + dt] - V[nb + dt]) ** 2, axis=1))
                d = d[d > 0]
                row.append(np.log(d.mean()) if d.size else np.nan)
            rows.append(row)
        counts[e] = len(rows)
        if len(rows) >= 10:
            S[e] = np.nanmean(rows, axis=0)
    return S, counts


def brute_rosenstein(x, m, delay, min_tsep, max_steps):
    span = (m - 1) * delay
    n_use = x.size - span - max_steps
    V = np.array([x[i:i + span + 1:delay] for i in range(x.size - span)])
    logs = [[] for _ in range(max_steps + 1)]
    for j in range(n_use):
        d = np.sqrt(np.sum((V[:n_use] - V[j]) ** 2, axis=1))
        d[np.abs(np.arange(n_use) - j) <= min_tsep] = np.inf
        d[d <= rounding_level(x)] = np.inf
        k = int(np.argmin(d))
        for i in range(max_steps + 1):
            dist = np.linalg.norm(V[j + i] - V[k + i])
            if dist > 0:
                logs[i].append(np.log(dist))
    return np.array([np.mean(v) for v in logs])


# --------------------------------------------------------------------------
# delay_embed
# --------------------------------------------------------------------------
def test_delay_embed_shapes_and_values():
    x = np.arange(10.0)
    E = delay_embed(x, 3, 2)
    assert E.shape == (6, 3)
    np.testing.assert_array_equal(E[0], [0, 2, 4])
    np.testing.assert_array_equal(E[-1], [5, 7, 9])
    np.testing.assert_array_equal(E[:, 1] - E[:, 0], 2)
    assert E.flags.c_contiguous
    np.testing.assert_array_equal(delay_embed(x, 1), x[:, None])
    assert delay_embed(x, 10, 1).shape == (1, 10)
    assert delay_embed([1, 2, 3], 2).dtype == np.float64


def test_delay_embed_errors():
    with pytest.raises(ValueError, match=r"dim=4 and delay=3.*at least .* = 10 points"):
        delay_embed(np.arange(9.0), 4, 3)
    with pytest.raises(ValueError, match="dim"):
        delay_embed(np.arange(9.0), 0, 1)
    with pytest.raises(ValueError, match="delay"):
        delay_embed(np.arange(9.0), 2, 0)
    with pytest.raises(TypeError, match="dim"):
        delay_embed(np.arange(9.0), 2.0, 1)
    with pytest.raises(ValueError, match="NaN"):
        delay_embed([0.0, np.nan, 1.0], 2, 1)
    with pytest.raises(ValueError, match="1-dimensional"):
        delay_embed(np.zeros((3, 3)), 2, 1)


# --------------------------------------------------------------------------
# acf
# --------------------------------------------------------------------------
def test_acf_matches_biased_estimator_exactly():
    x = np.random.default_rng(0).normal(size=300) + 5.0
    res = acf(x, nlags=299, n_surrogates=20, seed=1)
    xc = x - x.mean()
    ref = np.array([xc[:300 - k] @ xc[k:] for k in range(300)]) / (xc @ xc)
    np.testing.assert_allclose(res.acf, ref, rtol=0, atol=1e-13)
    assert res.acf[0] == 1.0
    assert isinstance(res, ACFResult)
    assert res.lags.shape == res.acf.shape == res.lower.shape == res.upper.shape == (300,)
    assert res.significant.dtype == bool and not res.significant[0]
    assert res.lower[0] == res.upper[0] == 1.0
    assert "ACFResult(nlags=299" in repr(res)


def test_acf_ar1_decay():
    """AR(1), phi = 0.8: rho(k) = 0.8^k; sd of r(k) <~ sqrt(4.6 / n) = 0.015 at n = 20000."""
    x = ar1(20000, 0.8, seed=3)
    res = acf(x, nlags=10, n_surrogates=200, seed=0)
    np.testing.assert_allclose(res.acf, 0.8 ** np.arange(11), atol=0.05)
    assert res.significant[1:].all()


def test_acf_white_noise_inside_band():
    n = 5000
    x = np.random.default_rng(7).normal(size=n)
    res = acf(x, nlags=50, n_surrogates=500, seed=2)
    inside = ~res.significant[1:]
    assert inside.mean() >= 0.86          # nominal 95%; binomial(50, 0.05) > 7 has p ~ 0.01
    # shuffled-null band of iid data is about +-1.96 / sqrt(n)
    half = 0.5 * (res.upper[1:] - res.lower[1:])
    assert abs(half.mean() * np.sqrt(n) / 1.96 - 1.0) < 0.1
    assert np.all(res.lower[1:] < 0) and np.all(res.upper[1:] > 0)


def test_acf_period3_detected():
    rng = np.random.default_rng(4)
    x = np.tile(PERIOD3, 200) + 0.05 * rng.normal(size=600)
    res = acf(x, nlags=12, n_surrogates=300, seed=5)
    assert res.significant[3] and res.acf[3] > 0.8
    assert res.significant[1] and res.acf[1] < 0
    assert res.significant[[6, 9, 12]].all()


def test_acf_band_narrows_like_inverse_sqrt_n():
    rng = np.random.default_rng(8)
    widths = []
    for n in (1000, 4000):
        res = acf(rng.normal(size=n), nlags=20, n_surrogates=400, seed=9)
        widths.append(np.mean(res.upper[1:] - res.lower[1:]))
    assert widths[0] / widths[1] == pytest.approx(2.0, rel=0.1)


def test_acf_seed_reproducible():
    x = np.random.default_rng(1).normal(size=500)
    a = acf(x, nlags=10, n_surrogates=100, seed=11)
    b = acf(x, nlags=10, n_surrogates=100, seed=np.random.default_rng(11))
    c = acf(x, nlags=10, n_surrogates=100, seed=12)
    np.testing.assert_array_equal(a.lower, b.lower)
    np.testing.assert_array_equal(a.upper, b.upper)
    assert not np.array_equal(a.upper, c.upper)
    np.testing.assert_array_equal(a.acf, c.acf)


def test_acf_errors():
    with pytest.raises(ValueError, match="constant"):
        acf(np.full(100, 3.0))
    with pytest.raises(ValueError, match="NaN"):
        acf(np.array([1.0, np.nan] * 50))
    with pytest.raises(ValueError, match=r"nlags=50.*at least nlags \+ 1 = 51 points"):
        acf(np.arange(50.0), nlags=50)
    with pytest.raises(ValueError, match="at least 3 points"):
        acf([1.0, 2.0], nlags=1)
    with pytest.raises(TypeError, match="nlags"):
        acf(np.arange(100.0), nlags=2.5)
    with pytest.raises(ValueError, match="alpha"):
        acf(np.arange(100.0), alpha=1.5)
    with pytest.raises(ValueError, match="n_surrogates"):
        acf(np.arange(100.0), n_surrogates=0)
    with pytest.raises(TypeError, match="seed"):
        acf(np.arange(100.0), seed="x")


# --------------------------------------------------------------------------
# Kantz and Rosenstein: exact agreement with brute force
# --------------------------------------------------------------------------
@pytest.mark.parametrize("future", ["last", "vector"])
def test_kantz_matches_brute_force(future):
    x = henon_x(260) + 0.01 * np.random.default_rng(0).normal(size=260)
    eps = np.array([0.05, 0.1, 0.2])
    for m, delay, theiler in ((2, 1, 0), (3, 2, 5)):
        res = kantz(x, dims=m, delay=delay, eps=eps, theiler=theiler, max_steps=8,
                    n_surrogates=0, future=future)
        S, counts = brute_kantz(x, m, delay, eps, theiler, 8, future == "last")
        assert res.n_ref[0].tolist() == counts.tolist()
        assert np.isfinite(S).any()
        np.testing.assert_allclose(res.stretching[0], S, rtol=1e-12, atol=1e-12, equal_nan=True)


def test_rosenstein_matches_brute_force():
    x = henon_x(300) + 0.01 * np.random.default_rng(1).normal(size=300)
    for m, delay, tsep in ((3, 1, 2), (2, 2, 15)):
        res = rosenstein(x, dim=m, delay=delay, theiler=tsep, max_steps=10, n_surrogates=0)
        ref = brute_rosenstein(x, m, delay, tsep, 10)
        np.testing.assert_allclose(res.divergence, ref, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------
# Kantz and Rosenstein: known exponents and significance
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def series():
    rng = np.random.default_rng(2024)
    t = np.arange(5000)
    return {
        "logistic": logistic_series(5000),
        "henon": henon_x(5000),
        "noise": rng.normal(size=5000),
        "sine": np.sin(0.6 * t[:3000]),
    }


@pytest.fixture(scope="module")
def kantz_results(series):
    return {name: kantz(x, n_surrogates=N_SURR, seed=1) for name, x in series.items()}


@pytest.fixture(scope="module")
def rosenstein_results(series):
    return {name: rosenstein(x, n_surrogates=N_SURR, seed=1) for name, x in series.items()}


def _check_p_value(res):
    """p = (1 + #{surrogates >= tested exponent}) / (K + 1), exactly."""
    k = res.surrogate_exponents.size
    exceed = np.sum(~(res.surrogate_exponents < res.tested_exponent))
    assert abs(res.tested_exponent - res.exponent) < 0.05
    assert k == N_SURR
    assert res.p_value == pytest.approx((1 + exceed) / (k + 1), abs=1e-15)
    assert res.significant == (res.p_value < 0.05)


def test_kantz_logistic(kantz_results, series):
    """Logistic map r = 4: lambda = ln 2 exactly."""
    res = kantz_results["logistic"]
    assert isinstance(res, KantzResult)
    assert abs(res.exponent - LN2) < TOL
    assert res.significant and res.p_value < 0.05
    assert res.r2 > 0.99
    _check_p_value(res)
    assert res.t.tolist() == list(range(21))
    assert res.stretching.shape == (4, 4, 21) and res.mean_curve.shape == (21,)
    assert res.dims.tolist() == [2, 3, 4, 5] and np.all(np.diff(res.eps) > 0)
    np.testing.assert_allclose(res.eps, np.std(series["logistic"]) * np.geomspace(0.01, 0.1, 4))
    # the exponent is the least-squares slope of the mean curve over the fit range
    a, b = res.window
    assert 1 <= a and b - a >= 4
    slope, icpt = np.polyfit(np.arange(a, b), res.mean_curve[a:b], 1)
    assert res.exponent == pytest.approx(slope, rel=1e-10)
    assert res.intercept == pytest.approx(icpt, rel=1e-10)
    np.testing.assert_allclose(res.mean_curve, np.nanmean(res.stretching.reshape(16, 21), axis=0))
    assert f"KantzResult(exponent={res.exponent:.4g}, window={res.window}" in repr(res)


def test_kantz_henon(kantz_results):
    """Henon x-series: lambda_1 = 0.419 (Sprott 2003)."""
    res = kantz_results["henon"]
    assert abs(res.exponent - HENON_LAMBDA) < TOL
    assert res.significant and res.p_value < 0.05
    _check_p_value(res)


@pytest.mark.parametrize("name", ["noise", "sine"])
def test_kantz_not_significant(kantz_results, name):
    res = kantz_results[name]
    assert not res.significant and res.p_value >= 0.05
    assert res.exponent < 0.1
    _check_p_value(res)


def test_rosenstein_logistic_and_henon(rosenstein_results):
    """Same references as Kantz: ln 2 (logistic r = 4), 0.419 (Henon, Sprott 2003)."""
    for name, ref in (("logistic", LN2), ("henon", HENON_LAMBDA)):
        res = rosenstein_results[name]
        assert isinstance(res, RosensteinResult)
        assert abs(res.exponent - ref) < TOL, name
        assert res.significant and res.p_value < 0.05, name
        _check_p_value(res)
        a, b = res.window
        slope = np.polyfit(np.arange(a, b), res.divergence[a:b], 1)[0]
        assert res.exponent == pytest.approx(slope, rel=1e-10)
    assert rosenstein_results["logistic"].divergence.shape == (21,)
    assert "RosensteinResult(exponent=0.69" in repr(rosenstein_results["logistic"])


@pytest.mark.parametrize("name", ["noise", "sine"])
def test_rosenstein_not_significant(rosenstein_results, name):
    res = rosenstein_results[name]
    assert not res.significant and res.p_value >= 0.05
    _check_p_value(res)


def test_kantz_quasi_periodic_not_significant():
    t = np.arange(3000)
    x = np.sin(0.7 * t) + 0.5 * np.sin(0.7 * np.sqrt(2.0) * t)
    res = kantz(x, n_surrogates=N_SURR, seed=3)
    assert not res.significant


def test_kantz_vector_future_and_explicit_fit(series):
    x = series["logistic"]
    res = kantz(x, future="vector", window=(1, 6), n_surrogates=0)
    assert abs(res.exponent - LN2) < TOL
    assert res.window == (1, 6)
    assert np.isnan(res.p_value) and not res.significant
    assert res.surrogate_exponents.shape == (0,)


def test_kantz_reference_subset(series):
    """A small max_pairs uses a random subset of reference points; the estimate survives."""
    x = series["logistic"]
    full = kantz(x, dims=(2, 3), n_surrogates=0)
    sub = kantz(x, dims=(2, 3), n_surrogates=0, max_pairs=20000, seed=4)
    assert np.all(sub.n_ref < full.n_ref)
    assert sub.n_ref.min() >= 10
    assert abs(sub.exponent - LN2) < TOL
    again = kantz(x, dims=(2, 3), n_surrogates=0, max_pairs=20000, seed=4)
    np.testing.assert_array_equal(sub.stretching, again.stretching)


def test_kantz_periodic_orbit_has_no_divergence():
    """An exact period-3 orbit: its only neighbours are exact copies, which never seed a curve."""
    x = np.tile(PERIOD3, 400)
    res = kantz(x, eps=0.01, n_surrogates=0)
    assert np.all(np.isnan(res.mean_curve)) and np.isnan(res.exponent)
    assert res.reason == "rounding_level" and not res.significant
    assert res.n_ref.max() == 0


def test_kantz_seed_reproducible(series):
    x = series["noise"][:1500]
    a = kantz(x, dims=(2, 3), n_surrogates=5, alpha=0.2, seed=8)
    b = kantz(x, dims=(2, 3), n_surrogates=5, alpha=0.2, seed=8)
    np.testing.assert_array_equal(a.surrogate_exponents, b.surrogate_exponents)
    assert a.p_value == b.p_value
    c = kantz(x, dims=(2, 3), n_surrogates=5, alpha=0.2, seed=9)
    assert not np.array_equal(a.surrogate_exponents, c.surrogate_exponents)


def test_kantz_rosenstein_errors():
    x = logistic_series(500)
    with pytest.raises(ValueError, match="NaN"):
        kantz(np.r_[x, np.nan])
    with pytest.raises(ValueError, match=r"too short.*at least .* = \d+ points"):
        kantz(x[:40], n_surrogates=0)
    with pytest.raises(ValueError, match=r"too short.*at least .* = \d+ points"):
        rosenstein(x[:40], n_surrogates=0)
    with pytest.raises(ValueError, match="dim"):
        kantz(x, dims=())
    with pytest.raises(ValueError, match="dim"):
        kantz(x, dims=(0, 2))
    with pytest.raises(ValueError, match="surrogate"):
        kantz(x, surrogate="bogus")
    with pytest.raises(ValueError, match="future"):
        kantz(x, future="bogus")
    with pytest.raises(ValueError, match="window stop"):
        kantz(x, window=(1, 30))
    with pytest.raises(TypeError, match="window"):
        rosenstein(x, window=3)
    with pytest.raises(ValueError, match="max_steps"):
        kantz(x, max_steps=3)
    with pytest.raises(ValueError, match="eps"):
        kantz(x, eps=[-0.1, 0.2])
    with pytest.raises(ValueError, match="constant"):
        kantz(np.ones(500))
    with pytest.raises(TypeError, match="theiler"):
        kantz(x, theiler=1.5)
    with pytest.raises(ValueError, match="theiler"):
        rosenstein(x, theiler=-1)


# --------------------------------------------------------------------------
# laminar phases and intermittency
# --------------------------------------------------------------------------
def test_laminar_phases_synthetic_intermittency():
    x, truth = intermittent_series(0)
    assert dominant_period(x) == 3
    res = laminar_phases(x)
    assert isinstance(res, LaminarResult)
    assert res.period == 3
    assert res.phases.shape == truth.shape
    assert np.abs(res.phases - truth).max() <= 2
    true_mask = np.zeros(x.size, dtype=bool)
    for a, b in truth:
        true_mask[a:b] = True
    assert abs(res.laminar_fraction - true_mask.mean()) < 0.01
    assert np.mean(res.mask == true_mask) > 0.99
    np.testing.assert_array_equal(res.lengths, res.phases[:, 1] - res.phases[:, 0])
    assert res.mean_length == pytest.approx(res.lengths.mean())
    # bursts are the complement of the phases
    cover = np.zeros(x.size, dtype=int)
    for a, b in np.vstack([res.phases, res.bursts]):
        cover[a:b] += 1
    assert np.all(cover == 1)
    assert res.bursts[0, 0] == 0
    np.testing.assert_array_equal(res.burst_lengths, res.bursts[:, 1] - res.bursts[:, 0])
    assert "LaminarResult(period=3" in repr(res)


def test_laminar_pure_period3_is_one_phase():
    x = np.tile(PERIOD3, 100)
    assert dominant_period(x) == 3          # 6, 9, 12 tie with 3: the smallest wins
    res = laminar_phases(x)
    assert res.phases.tolist() == [[0, 300]]
    assert res.bursts.shape == (0, 2)
    assert res.laminar_fraction == 1.0 and res.mean_length == 300.0
    assert dominant_period(np.tile([0.1, 0.7, 0.3, 0.9, 0.5], 40)) == 5


def test_laminar_white_noise_none():
    x = np.random.default_rng(5).normal(size=5000)
    res = laminar_phases(x)
    assert res.laminar_fraction < 0.01
    assert laminar_phases(x, period=3).laminar_fraction < 0.01


def test_laminar_explicit_arguments():
    x, truth = intermittent_series(1)
    res = laminar_phases(x, period=3, tol=0.01, min_length=60)
    assert np.all(res.lengths >= 60)
    assert len(res.phases) == np.sum(truth[:, 1] - truth[:, 0] >= 60)
    with pytest.raises(ValueError, match="min_length"):
        laminar_phases(x, period=3, min_length=3)
    with pytest.raises(ValueError, match="tol"):
        laminar_phases(x, tol=-1.0)
    with pytest.raises(ValueError, match=r"max_period=12.*at least max_period \+ 1 = 13"):
        dominant_period(np.arange(12.0))
    with pytest.raises(ValueError, match="NaN"):
        laminar_phases(np.r_[x, np.inf])


def test_type1_intermittency_scaling():
    """Logistic map just below the period-3 tangent bifurcation r_c = 1 + sqrt(8):
    mean laminar length ~ (r_c - r)^(-1/2) (Pomeau-Manneville type I)."""
    rc = 1.0 + np.sqrt(8.0)
    dist = np.array([2.5e-5, 1e-4, 4e-4])
    means = []
    for d in dist:
        x = logistic_series(60000, r=rc - d, x0=0.3, transient=1000)
        res = laminar_phases(x)
        assert res.period == 3
        means.append(laminar_length_stats(res).mean)
    slope = np.polyfit(np.log(dist), np.log(means), 1)[0]
    assert slope == pytest.approx(-0.5, abs=0.1)


def test_laminar_length_stats():
    st = laminar_length_stats([3, 3, 5, 10])
    assert st.n == 4
    assert st.mean == 5.25 and st.median == 4.0
    assert st.std == pytest.approx(np.std([3, 3, 5, 10]))
    assert st.values.tolist() == [3, 5, 10]
    np.testing.assert_allclose(st.survival, [1.0, 0.5, 0.25])
    empty = laminar_length_stats(np.array([], dtype=int))
    assert empty.n == 0 and np.isnan(empty.mean) and empty.survival.size == 0
    with pytest.raises(ValueError, match="positive"):
        laminar_length_stats([3, 0])
    with pytest.raises(ValueError, match="whole"):
        laminar_length_stats([3.5])
