"""Loss levels and their prediction: the gap threshold, the AUC scoring and the baseline, on
inputs whose answers are known."""

import numpy as np
import pytest

import netchaos as nc
from netchaos import protocols as pr


def test_gap_threshold_separates_two_levels_and_respects_min_class():
    rng = np.random.default_rng(0)
    low = 0.01 * (1 + 0.05 * rng.random(60))
    high = 0.1 * (1 + 0.05 * rng.random(140))
    t, gap = pr.loss_gap_threshold(np.concatenate([high, low, [np.inf, np.nan]]))
    assert low.max() < t < high.min()
    assert gap == pytest.approx(np.log10(high.min() / low.max()))
    # a lone outlier far below makes the widest gap, but one run is no level
    t2, _ = pr.loss_gap_threshold(np.concatenate([low, high, [1e-6]]))
    assert low.max() < t2 < high.min()
    assert np.isnan(pr.loss_gap_threshold([0.1])[0])
    with pytest.raises(ValueError, match="min_class"):
        pr.loss_gap_threshold([0.1, 0.2], min_class=0.7)


def _result(features, labels, seed=0):
    """An FTLELossResult whose largest FTLE over the window is the given feature."""
    n = labels.size
    rng = np.random.default_rng(seed)
    local = np.zeros((n, 4, 2))
    local[:, :, 0] = features[:, None]
    local[:, :, 1] = -1.0
    loss_early = np.exp(rng.normal(size=n))              # uninformative trivial predictors
    return nc.FTLELossResult(
        ftle=local.mean(axis=1), final_loss=np.where(labels, 1.0, 0.1), theta0=rng.normal(size=(n, 3)),
        diverged=np.zeros(n, bool), spearman=np.nan, spearman_p=np.nan, pearson=np.nan,
        pearson_p=np.nan, loss_threshold=0.3, high_loss=labels, ftle_threshold=0.0, direction=1,
        train_idx=np.arange(n // 2), test_idx=np.arange(n // 2, n), train_accuracy=np.nan,
        test_accuracy=np.nan, baseline_accuracy=np.nan, lr=0.1, t_early=4, t_final=10,
        local=local, loss_start=np.exp(rng.normal(size=n)), loss_early=loss_early, gap=1.0)


def test_auc_and_cross_validation_on_a_separating_and_a_useless_feature():
    labels = np.arange(120) % 3 == 0
    sep = np.where(labels, 1.0, 0.0) + 0.1 * np.random.default_rng(1).random(120)
    out = pr.loss_level_prediction(_result(sep, labels), n_boot=200, n_repeats=2, seed=0)
    assert out["auc"]["lambda1_4"]["auc"] == 1.0
    assert out["auc"]["sum_4"]["auc"] == 1.0              # -1 added to every row: same order
    lo, hi = out["auc"]["log_loss_early"]["ci"]
    assert lo < 0.5 < hi                                  # noise: the interval holds 0.5
    assert out["cv"]["ftle"] > 0.99 and out["cv"]["trivial"] < 0.7
    assert out["windows"] == [1, 2, 4]
    assert out["cv"]["gain"] > 0.3 and out["auc"][out["best_ftle"]]["auc"] == 1.0
    noise = np.random.default_rng(2).normal(size=120)
    out = pr.loss_level_prediction(_result(noise, labels), n_boot=200, n_repeats=2, seed=0)
    lo, hi = out["auc"]["lambda1_4"]["ci"]
    assert lo < 0.5 < hi
    with pytest.raises(TypeError, match="FTLELossResult"):
        pr.loss_level_prediction({"local": 1})


def test_baseline_is_the_best_constant_guess_not_a_mirrored_majority():
    """With a median split the old baseline (the training half's majority) always scored the
    test half's minority, below 0.5; the best constant guess never does."""
    X = np.linspace(-1, 1, 16)[:, None]
    model = nc.MLP([1, 3, 1], activation="tanh", loss="mse")
    for seed in range(3):
        res = nc.ftle_vs_final_loss(model, (X, np.sin(np.pi * X[:, 0])), 0.1, n_init=10,
                                    t_early=3, t_final=20, seed=seed,
                                    loss_threshold=None)
        share = res.high_loss[res.test_idx].mean()
        assert res.baseline_accuracy == max(share, 1 - share) >= 0.5
