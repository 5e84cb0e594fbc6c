"""Predicted customer value: BG/NBD purchases x Gamma-Gamma spend x margin, discounted.

The horizon is cut into periods (months by default); the purchases expected in period k are
E[Y(k)] - E[Y(k-1)], each period's value is discounted to today at the annual rate,

    value = sum_k (E[Y(k)] - E[Y(k-1)]) * spend * margin / (1 + d)^(k / periods_per_year),

so a purchase expected in month 12 is worth a year's discount less than one expected now. The time
unit is the summary's (weeks for CDNOW): a month is 365 / 12 / 7 = 4.345 weeks, never 30 "units".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.clv.bgnbd import BgNbdParams, expected_purchases, p_alive
from analytics.clv.gamma_gamma import GammaGammaParams, expected_spend
from analytics.clv.summary import PurchaseSummary

__all__ = ["DAYS_PER_YEAR", "CustomerValue", "predict", "predicted_value", "units_per_month", "units_per_year"]

DAYS_PER_YEAR = 365.0


def units_per_year(unit_days: float) -> float:
    """Time units in a year: 52.14 weeks, 365 days."""
    return DAYS_PER_YEAR / unit_days


def units_per_month(unit_days: float) -> float:
    """Time units in a month: 4.345 weeks, 30.42 days."""
    return DAYS_PER_YEAR / 12.0 / unit_days


def predicted_value(
    bg: BgNbdParams,
    gg: GammaGammaParams,
    frequency,
    recency,
    age,
    monetary,
    *,
    horizon_periods: int,
    period_units: float,
    annual_discount_rate: float,
    units_per_year: float,
    margin: float | np.ndarray = 1.0,
) -> np.ndarray:
    """Each customer's discounted expected margin over ``horizon_periods`` periods of ``period_units``.

    ``margin`` is the share of the spend that is profit (1.0: revenue), one for all or one per customer.
    """
    if horizon_periods < 0 or period_units <= 0 or units_per_year <= 0 or annual_discount_rate <= -1:
        raise ValueError("the horizon must be 0 or more periods of positive length, and the discount rate above -100%")
    x = np.asarray(frequency, dtype=np.float64)
    spend = expected_spend(gg, x, monetary) * np.asarray(margin, dtype=np.float64)
    periods_per_year = units_per_year / period_units
    value = np.zeros(np.broadcast_shapes(x.shape, np.shape(recency), np.shape(age), spend.shape))
    previous = 0.0
    # A loop over the periods (12), each step vectorised over all the customers.
    for k in range(1, horizon_periods + 1):
        cumulative = expected_purchases(bg, k * period_units, x, recency, age)
        value += (cumulative - previous) / (1.0 + annual_discount_rate) ** (k / periods_per_year)
        previous = cumulative
    return value * spend


@dataclass(frozen=True)
class CustomerValue:
    """Per-customer predictions, in the order of the summary's customers."""

    customers: np.ndarray
    p_alive: np.ndarray  # probability that the customer is still active
    expected_purchases: np.ndarray  # over the horizon, undiscounted
    expected_spend: np.ndarray  # per purchase (Gamma-Gamma)
    value: np.ndarray  # discounted expected margin over the horizon


def predict(
    bg: BgNbdParams,
    gg: GammaGammaParams,
    summary: PurchaseSummary,
    *,
    unit_days: float,
    horizon_months: int = 12,
    annual_discount_rate: float = 0.0,
    margin: float | np.ndarray = 1.0,
) -> CustomerValue:
    """Everything the CRM shows for each customer, with monthly periods in the summary's unit."""
    month = units_per_month(unit_days)
    args = (summary.frequency, summary.recency, summary.age)
    return CustomerValue(
        customers=summary.customers,
        p_alive=p_alive(bg, *args),
        expected_purchases=expected_purchases(bg, horizon_months * month, *args),
        expected_spend=expected_spend(gg, summary.frequency, summary.monetary),
        value=predicted_value(
            bg,
            gg,
            *args,
            summary.monetary,
            horizon_periods=horizon_months,
            period_units=month,
            annual_discount_rate=annual_discount_rate,
            units_per_year=units_per_year(unit_days),
            margin=margin,
        ),
    )
