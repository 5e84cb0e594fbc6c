"""Holt-Winters forecast, its fallbacks for short histories, and the backtest (no database)."""

import numpy as np
import pytest

from analytics.metrics.forecast import backtest, holt_winters_fit, mape


def _seasonal(months: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Monthly revenue: a trend, a 12-month wave and a little noise; returns (observed, truth)."""
    t = np.arange(months)
    truth = 1_000 + 10 * t + 200 * np.sin(2 * np.pi * t / 12)
    return truth + np.random.default_rng(seed).normal(0, 10, months), truth


def test_seasonal_series_is_forecast_within_a_few_percent():
    observed, truth = _seasonal(84)

    model = holt_winters_fit(observed[:72], season_length=12)
    forecast = model.forecast(12)

    assert model.method == "holt_winters"
    assert model.seasonal == "additive"
    assert all(0 <= value <= 1 for value in (model.alpha, model.beta, model.gamma))
    assert np.max(np.abs(forecast / truth[72:] - 1)) < 0.03
    # The wave is there: the forecast peaks near month 3 of the season and bottoms near month 9.
    assert np.argmax(forecast) == 3 and np.argmin(forecast) == 9


def test_multiplicative_seasons():
    t = np.arange(72)
    truth = (500 + 5 * t) * (1 + 0.3 * np.sin(2 * np.pi * t / 12))
    observed = truth * (1 + np.random.default_rng(1).normal(0, 0.01, 72))

    model = holt_winters_fit(observed[:60], seasonal="multiplicative")

    assert model.seasonal == "multiplicative"
    assert np.max(np.abs(model.forecast(12) / truth[60:] - 1)) < 0.05
    # A month without revenue rules out ratios: additive instead.
    observed[5] = 0.0
    assert holt_winters_fit(observed, seasonal="multiplicative").seasonal == "additive"


def test_constant_series_gives_constants():
    for length in (2, 10, 40):
        model = holt_winters_fit(np.full(length, 250.0))
        assert model.forecast(6) == pytest.approx(np.full(6, 250.0))


def test_short_series_fall_back():
    # Under two seasons: Holt's linear trend, which continues a straight line exactly.
    line = 100.0 + 7.0 * np.arange(20)
    model = holt_winters_fit(line, season_length=12)
    assert model.method == "holt"
    assert model.seasonal is None
    assert model.forecast(3) == pytest.approx([240.0, 247.0, 254.0])

    # Under three points: the mean, flat.
    assert holt_winters_fit([40.0, 60.0]).method == "mean"
    assert holt_winters_fit([40.0, 60.0]).forecast(3).tolist() == [50.0, 50.0, 50.0]
    assert holt_winters_fit([]).forecast(2).tolist() == [0.0, 0.0]


def test_forecast_never_goes_below_zero():
    falling = 100.0 - 15.0 * np.arange(6)  # 100 .. 25
    assert holt_winters_fit(falling).forecast(4).tolist() == pytest.approx([10.0, 0.0, 0.0, 0.0])


def test_backtest_runs_on_the_last_six_months():
    observed, _ = _seasonal(84)

    result = backtest(observed, holdout=6, season_length=12)

    assert result.actual.tolist() == observed[-6:].tolist()
    assert result.predicted.shape == (6,)
    # Same as fitting by hand on the first 78 months.
    assert result.predicted == pytest.approx(holt_winters_fit(observed[:-6]).forecast(6))
    assert result.mape is not None and result.mape < 0.02
    assert result.mape == pytest.approx(np.mean(np.abs(result.actual - result.predicted) / result.actual))


def test_backtest_of_a_short_history_uses_the_fallback():
    result = backtest([10.0, 12.0, 14.0, 16.0, 18.0, 20.0, 22.0, 24.0, 26.0], holdout=6)
    # Holt on 10, 12, 14 continues the line exactly.
    assert result.predicted == pytest.approx([16.0, 18.0, 20.0, 22.0, 24.0, 26.0])
    assert result.mape == pytest.approx(0.0)
    with pytest.raises(ValueError):
        backtest([1.0, 2.0, 3.0], holdout=6)


def test_mape_skips_zero_actuals():
    # |100 - 110| / 100 and |200 - 180| / 200; the zero month has no percentage error.
    assert mape([0.0, 100.0, 200.0], [5.0, 110.0, 180.0]) == pytest.approx(0.1)
    assert mape([0.0, 0.0], [1.0, 2.0]) is None
