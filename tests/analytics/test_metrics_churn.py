"""Churn risk from the probability of being active and recency, and value at risk (no database)."""

import numpy as np
import pytest

from analytics.metrics.churn import churn_risk, value_at_risk


def test_risk_by_hand():
    risk = churn_risk(
        p_alive=[0.8, 1.0, 1.0, 1.0, 1.0, 0.3, np.nan],
        recency_days=[20, 60, 90, 360, 360, 60, 60],
        typical_gap_days=[30, 30, 30, np.nan, 0, 30, 30],
        inactive_days=180,
    )
    assert risk.tolist() == pytest.approx(
        [
            0.2,  # not yet due: the model alone, 1 - 0.8
            0.5,  # one gap overdue: 1 - 2 ** -1
            0.75,  # two gaps overdue
            0.5,  # no known gap (one-time buyer): 180 days is the clock, one clock overdue
            0.5,  # a zero gap is unknown too
            0.7,  # the larger of 1 - 0.3 and 0.5
            0.5,  # no model: recency alone
        ]
    )


def test_a_slow_buyers_clock_stops_at_the_inactive_threshold():
    # Bought twice a year apart, then nothing for 400 days: the 365-day rhythm would call this only
    # 9% late; capped at the 180-day threshold it is 1.22 clocks late.
    risk = churn_risk([1.0], [400], [365], inactive_days=180)[0]
    assert risk == pytest.approx(1 - 2 ** (-(400 - 180) / 180))
    assert risk > 0.5


def test_edges():
    assert churn_risk([0.0], [1], [30], inactive_days=90).tolist() == [1.0]
    assert churn_risk([1.0], [30], [30], inactive_days=90).tolist() == [0.0]  # exactly due, not late
    assert churn_risk([1.0], [1e9], [30], inactive_days=90)[0] == pytest.approx(1.0)
    # Never bought: no risk to speak of.
    assert np.isnan(churn_risk([1.0], [np.nan], [np.nan], inactive_days=90)[0])
    # Out-of-range probabilities are clipped, not passed through.
    assert churn_risk([1.2, -0.1], [0, 0], [30, 30], inactive_days=90).tolist() == [0.0, 1.0]
    with pytest.raises(ValueError):
        churn_risk([0.5], [10], [10], inactive_days=0)


def test_monotone_in_recency_and_in_p_alive():
    recency = np.arange(0, 2_000, dtype=float)
    for p_alive in (1.0, 0.9, 0.5, 0.0):
        for gap in (7.0, 45.0, np.nan):
            risk = churn_risk(np.full(recency.size, p_alive), recency, np.full(recency.size, gap), inactive_days=120)
            assert np.all(np.diff(risk) >= 0)
            assert risk.min() >= 0 and risk.max() <= 1

    p_alive = np.linspace(1.0, 0.0, 101)
    for days in (0.0, 50.0, 500.0):
        risk = churn_risk(p_alive, np.full(101, days), np.full(101, 40.0), inactive_days=120)
        assert np.all(np.diff(risk) >= 0)

    # A longer usual gap means less worry at the same recency.
    gaps = np.array([10.0, 20.0, 40.0, 80.0])
    assert np.all(np.diff(churn_risk(np.ones(4), np.full(4, 100.0), gaps, inactive_days=120)) <= 0)


def test_value_at_risk():
    result = value_at_risk([1000.0, np.nan, 500.0, 200.0], [0.5, 0.3, np.nan, 0.0])
    assert result.tolist() == [500.0, 0.0, 0.0, 0.0]
