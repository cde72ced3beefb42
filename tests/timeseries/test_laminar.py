"""Multi-period laminar segmentation on series with known phases: switching periods and levels,
and type-I intermittency of the logistic map below the period-3 window."""

import numpy as np
import pytest

import netchaos as nc

P3 = np.array([0.15, 0.95, 0.55])
P10 = np.array([0.3, 0.8, 0.1, 0.6, 0.9, 0.2, 0.7, 0.4, 0.05, 0.5])


def switching_series(seed, n_cycles=10):
    """Period-3 and period-10 phases (at levels 0 and 3) alternated with uniform bursts.

    Returns the series, the true [start, stop) of each phase and its period.
    """
    rng = np.random.default_rng(seed)
    parts, truth, periods, pos = [], [], [], 0
    for c in range(n_cycles):
        burst = int(rng.integers(15, 50))
        parts.append(rng.uniform(-1.0, 4.0, burst))
        pos += burst
        pattern, level = (P3, 0.0) if c % 2 == 0 else (P10, 3.0)
        lam = int(rng.integers(4, 15)) * pattern.size + int(rng.integers(pattern.size))
        phase = int(rng.integers(pattern.size))
        seg = level + pattern[(np.arange(lam) + phase) % pattern.size]
        parts.append(seg + 1e-4 * rng.normal(size=lam))
        truth.append((pos, pos + lam))
        periods.append(pattern.size)
        pos += lam
    return np.concatenate(parts), np.array(truth), np.array(periods)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_switching_periods_and_levels_found_with_their_boundaries(seed):
    x, truth, periods = switching_series(seed)
    res = nc.laminar_phases(x)
    assert res.phases.shape == truth.shape
    # a random burst value can continue the pattern by chance: a point or two at the edges
    assert np.abs(res.phases - truth).max() <= 2
    np.testing.assert_array_equal(res.periods, periods)
    true_mask = np.zeros(x.size, dtype=bool)
    for a, b in truth:
        true_mask[a:b] = True
    assert np.mean(res.mask == true_mask) > 0.99
    covered = {p: sum(b - a for (a, b), q in zip(truth, periods) if q == p) for p in (3, 10)}
    assert res.period == max(covered, key=covered.get)
    # the bursts are the complement of the phases and hold no periodic stretch
    cover = np.zeros(x.size, dtype=int)
    for a, b in np.vstack([res.phases, res.bursts]):
        cover[a:b] += 1
    assert np.all(cover == 1)


def test_one_period_only_when_given():
    x, truth, periods = switching_series(0)
    only3 = nc.laminar_phases(x, period=3)
    assert np.all(only3.periods == 3)
    assert np.abs(only3.phases - truth[periods == 3]).max() <= 2
    # the period-10 phases are bursts for the period-3 segmentation
    for a, b in truth[periods == 10]:
        assert not only3.mask[a + 3:b - 3].any()


def test_period3_is_not_labelled_by_its_multiples_and_fixed_points_are_period_1():
    x = np.concatenate([np.tile(P3, 30), np.full(40, 2.0), np.tile(P10, 6)])
    res = nc.laminar_phases(x)
    assert res.phases.tolist() == [[0, 90], [90, 130], [130, 190]]
    assert res.periods.tolist() == [3, 1, 10]
    assert res.bursts.shape == (0, 2)


def test_multi_period_arguments():
    x, _, _ = switching_series(0)
    with pytest.raises(ValueError, match="min_length"):
        nc.laminar_phases(x, min_length=12)              # must exceed max_period
    res = nc.laminar_phases(x, min_length=60)
    assert np.all(res.lengths >= 60)
    with pytest.raises(ValueError, match="max_period=12"):
        nc.laminar_phases(np.arange(12.0))


def test_issue_case_periodic_phase_at_a_higher_level_is_not_a_burst():
    """A loss-like series: a period-10 phase, then a period-3 phase at a higher level that
    drifts slowly (as the lr = 5 Iris run of notebook 05 does): both laminar."""
    rng = np.random.default_rng(3)
    t = np.arange(1200)
    low = 1.6 + 0.2 * P10[t % 10]
    high = 4.8 + 0.5 * P3[t % 3] + 1e-5 * t
    x = np.concatenate([rng.uniform(1, 5, 200), low, high[:1000]])
    res = nc.laminar_phases(x)
    assert res.periods.tolist() == [10, 3]
    assert np.abs(res.phases - [[200, 1400], [1400, 2400]]).max() <= 2
    assert nc.protocols.longest_burst(x, res) == (0, int(res.phases[0, 0]))


def logistic(n, r, x0=0.3, transient=1000):
    x = np.empty(n + transient)
    x[0] = x0
    for t in range(1, x.size):
        x[t] = r * x[t - 1] * (1.0 - x[t - 1])
    return x[transient:]


def test_logistic_below_period3_window_laminar_lengths_scale_as_inverse_sqrt():
    """Pomeau-Manneville type I: mean laminar length ~ d^(-1/2), d = r_c - r, r_c = 1 + sqrt 8;
    the laminar phases are (near-)period-3."""
    rc = 1.0 + np.sqrt(8.0)
    dist = np.array([2.5e-5, 1e-4, 4e-4, 1.6e-3])
    means = []
    for d in dist:
        res = nc.laminar_phases(logistic(60000, rc - d))
        lengths = res.lengths[res.periods == 3]
        assert res.period == 3
        assert np.sum(res.lengths[res.periods == 3]) > 0.9 * res.mask.sum()
        means.append(lengths.mean())
    slope = np.polyfit(np.log(dist), np.log(means), 1)[0]
    assert slope == pytest.approx(-0.5, abs=0.08)
