"""Forecast of a revenue series (one value per period, e.g. month) by exponential smoothing, and
a backtest of the same method on the last periods of history.

Model
-----
Holt-Winters with an additive trend and additive (default) or multiplicative seasonality, in the
classic recursive form, with ``m = season_length``::

    level_t  = alpha * (y_t - s_{t-m}) + (1 - alpha) * (level_{t-1} + trend_{t-1})     (y_t / s_{t-m} mult.)
    trend_t  = beta * (level_t - level_{t-1}) + (1 - beta) * trend_{t-1}
    s_t      = gamma * (y_t - level_t) + (1 - gamma) * s_{t-m}                        (y_t / level_t mult.)
    forecast = level_T + h * trend_T + s_{T-m+h}                                      (x s mult.)

Start values: the level is the mean of the first season, the trend the difference between the
means of the second and first seasons divided by m, and the seasonal indices the first season
minus (or divided by) the first level. ``alpha``, ``beta`` and ``gamma`` minimise the sum of
squared one-step-ahead errors over the whole series (scipy's L-BFGS-B, each bounded in [0, 1],
started from a few points to avoid a poor local minimum).

Fallbacks, by length n of the history:

* n >= 2 m: Holt-Winters as above.
* 3 <= n < 2 m: Holt's linear trend (no seasonality; one season cannot separate a seasonal shape
  from a trend), level started at y_0 and trend at y_1 - y_0, alpha and beta fitted the same way.
* n < 3: the mean of the history, flat (0 for an empty history).

Multiplicative seasonality needs every value positive; when one is not, the model is additive.
Forecasts are clipped at 0: revenue is never negative.

Backtest
--------
``backtest(series, holdout=6)`` fits the same method on all but the last ``holdout`` periods and
forecasts those. MAPE is the mean of ``|actual - predicted| / |actual|`` as a *fraction* (0.05 =
5%) over the periods whose actual value is not zero (a zero month has no percentage error); it is
None when every actual in the holdout is zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize

Seasonality = Literal["additive", "multiplicative"]
Method = Literal["holt_winters", "holt", "mean"]

# Starting points for (alpha, beta, gamma); the best fit among them is kept.
_STARTS = ((0.3, 0.1, 0.1), (0.8, 0.05, 0.3), (0.1, 0.01, 0.05))
_WORST = 1e300


@dataclass(frozen=True)
class HoltWinters:
    method: Method
    seasonal: Seasonality | None
    season_length: int
    alpha: float
    beta: float
    gamma: float
    level: float
    trend: float
    season: NDArray[np.float64] = field(repr=False)  # indices for the next m periods, in order
    fitted: NDArray[np.float64] = field(repr=False)  # one-step predictions of the history; NaN before the first
    sse: float

    def forecast(self, horizon: int) -> NDArray[np.float64]:
        """The next ``horizon`` periods, never below 0."""
        steps = np.arange(1, horizon + 1, dtype=float)
        base = self.level + steps * self.trend
        if self.method == "holt_winters":
            indices = self.season[(np.arange(horizon)) % self.season_length]
            base = base * indices if self.seasonal == "multiplicative" else base + indices
        return np.maximum(base, 0.0)


@dataclass(frozen=True)
class Backtest:
    predicted: NDArray[np.float64]
    actual: NDArray[np.float64]
    mape: float | None  # fraction; None when every actual is zero


def _run(
    y: NDArray[np.float64], alpha: float, beta: float, gamma: float, m: int, seasonal: Seasonality | None
) -> tuple[NDArray[np.float64], float, float, NDArray[np.float64]]:
    """One pass of the recursions: one-step predictions, final level, trend and seasonal ring.

    A loop over periods (tens to a few hundred, not customers), on plain floats because numpy
    scalars would make each of the optimiser's many passes several times slower. A multiplicative
    pass that divides by zero raises ZeroDivisionError."""
    alpha, beta, gamma = float(alpha), float(beta), float(gamma)
    values = y.tolist()
    multiplicative = seasonal == "multiplicative"
    if seasonal is None:
        level, trend = values[0], values[1] - values[0]
        season = [0.0] * m
        start = 1
    else:
        first, second = sum(values[:m]) / m, sum(values[m : 2 * m]) / m
        level, trend = first, (second - first) / m
        season = [value / first if multiplicative else value - first for value in values[:m]]
        start = m
    predictions = [math.nan] * len(values)
    for t in range(start, len(values)):
        index = season[t % m]
        observed = values[t]
        if multiplicative:
            predictions[t] = (level + trend) * index
            new_level = alpha * (observed / index) + (1 - alpha) * (level + trend)
        else:
            predictions[t] = level + trend + index
            new_level = alpha * (observed - index) + (1 - alpha) * (level + trend)
        trend = beta * (new_level - level) + (1 - beta) * trend
        level = new_level
        if seasonal is not None:
            deviation = observed / level if multiplicative else observed - level
            season[t % m] = gamma * deviation + (1 - gamma) * index
    # The ring is indexed by t % m; the next period is len(values) % m.
    shift = len(values) % m
    return np.array(predictions), level, trend, np.array(season[shift:] + season[:shift])


def _sse(predictions: NDArray[np.float64], y: NDArray[np.float64]) -> float:
    errors = (y - predictions)[~np.isnan(predictions)]
    value = float(np.dot(errors, errors))
    return value if np.isfinite(value) else _WORST


def holt_winters_fit(series: ArrayLike, season_length: int = 12, *, seasonal: Seasonality = "additive") -> HoltWinters:
    """Fit the method the history's length allows; see the module docstring."""
    y = np.asarray(series, dtype=float).ravel()
    if not np.all(np.isfinite(y)):
        raise ValueError("The series must be finite numbers.")
    m = int(season_length)
    if m < 2:
        raise ValueError("season_length must be at least 2.")
    n = y.size

    if n < 3:
        mean = float(y.mean()) if n else 0.0
        return HoltWinters("mean", None, m, 0.0, 0.0, 0.0, mean, 0.0, np.zeros(m), np.full(n, mean), 0.0)

    kind: Seasonality | None
    if n >= 2 * m:
        kind = "multiplicative" if seasonal == "multiplicative" and np.all(y > 0) else "additive"
        method: Method = "holt_winters"
    else:
        kind, method = None, "holt"
    dimensions = 3 if kind is not None else 2

    def objective(params: NDArray[np.float64]) -> float:
        gamma = params[2] if dimensions == 3 else 0.0
        # A poor trial (a level at 0 under multiplicative seasons) may divide by zero or
        # overflow; it is rejected as the worst possible fit.
        try:
            with np.errstate(all="ignore"):
                return _sse(_run(y, params[0], params[1], gamma, m, kind)[0], y)
        except (ZeroDivisionError, OverflowError):
            return _WORST

    best = None
    for start in _STARTS:
        result = minimize(objective, np.array(start[:dimensions]), method="L-BFGS-B", bounds=[(0.0, 1.0)] * dimensions)
        if best is None or result.fun < best.fun:
            best = result
    alpha, beta = float(best.x[0]), float(best.x[1])
    gamma = float(best.x[2]) if dimensions == 3 else 0.0
    predictions, level, trend, season = _run(y, alpha, beta, gamma, m, kind)
    if kind is None:
        season = np.zeros(m)
    return HoltWinters(method, kind, m, alpha, beta, gamma, level, trend, season, predictions, _sse(predictions, y))


def mape(actual: ArrayLike, predicted: ArrayLike) -> float | None:
    """Mean absolute percentage error as a fraction, over the non-zero actuals; None if none."""
    actual_array = np.asarray(actual, dtype=float)
    predicted_array = np.asarray(predicted, dtype=float)
    nonzero = actual_array != 0
    if not np.any(nonzero):
        return None
    errors = np.abs(actual_array[nonzero] - predicted_array[nonzero]) / np.abs(actual_array[nonzero])
    return float(errors.mean())


def backtest(
    series: ArrayLike, holdout: int = 6, season_length: int = 12, *, seasonal: Seasonality = "additive"
) -> Backtest:
    """Fit on ``series[:-holdout]``, forecast the last ``holdout`` periods and score them."""
    y = np.asarray(series, dtype=float).ravel()
    if holdout < 1 or y.size <= holdout:
        raise ValueError("The series must be longer than the holdout, which must be at least 1.")
    model = holt_winters_fit(y[:-holdout], season_length, seasonal=seasonal)
    predicted = model.forecast(holdout)
    actual = y[-holdout:]
    return Backtest(predicted=predicted, actual=actual, mape=mape(actual, predicted))
