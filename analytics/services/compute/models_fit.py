"""Predicted lifetime value: BG/NBD and Gamma-Gamma (analytics.clv) fitted on every customer
with at least one purchase, weeks as the time unit, calibration ending today.

Each customer's expected purchases over the horizon, probability of still being active, expected
spend per purchase and predicted value (the discounted expected margin over the horizon: months
of 4.345 weeks, at the annual discount rate) come from the fitted parameters. The margin is the
customer's own historic gross margin over revenue, clamped to [0, 1], or the whole base's when
the customer has no revenue yet.

When the data cannot identify a model (no repeat buyer yet, a new install), the predictions are
left empty (NaN) and the reason is kept for the run's summary; the rest of the run goes on.
"""

from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext

from analytics.clv import (
    GammaGammaParams,
    NotEnoughDataError,
    expected_purchases,
    expected_spend,
    fit_bgnbd,
    fit_gamma_gamma,
    p_alive,
    predicted_value,
    summarise,
    units_per_month,
    units_per_year,
)
from analytics.services.compute.sql import days_as_dates
from analytics.services.compute.transactions import Flow
from analytics.services.compute.values import HistoricValues

UNIT_DAYS = 7.0  # weeks, as in the literature


@dataclass(frozen=True)
class Predictions:
    """Per customer (positions of the base), NaN where there is no prediction."""

    p_alive: np.ndarray
    expected_purchases: np.ndarray
    expected_spend: np.ndarray  # money units, not cents
    margin_ratio: np.ndarray
    value: np.ndarray  # predicted lifetime value, money units
    summary: dict = field(default_factory=dict)  # the "model" snapshot's data

    @property
    def fitted(self) -> bool:
        return self.summary.get("bgnbd") is not None


def margin_ratios(values: HistoricValues) -> np.ndarray:
    """Historic gross margin / revenue per customer, clamped to [0, 1]; the base's ratio for a
    customer with no revenue (1 when nobody has any)."""
    revenue = values.nominal["revenue"]
    margin = values.gross_margin
    total_revenue = float(revenue[revenue > 0].sum())
    base_ratio = float(np.clip(margin[revenue > 0].sum() / total_revenue, 0.0, 1.0)) if total_revenue > 0 else 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        own = np.clip(margin / revenue, 0.0, 1.0)
    return np.where(revenue > 0, own, base_ratio)


def fit_and_predict(
    purchases: Flow,
    values: HistoricValues,
    *,
    customers: int,
    today: int,
    horizon_months: int,
    annual_rate: float,
) -> Predictions:
    """Fit both models on the purchases up to ``today`` and predict for every customer who bought."""
    empty = np.full(customers, np.nan)
    margins = margin_ratios(values)
    # A day worth nothing after its returns is still a purchase; its value does not go below 0.
    summary = summarise(
        purchases.customer,
        days_as_dates(purchases.day),
        np.maximum(purchases.cents, 0.0) / 100.0,
        end=days_as_dates(np.array([today]))[0],
        unit_days=UNIT_DAYS,
    )
    info: dict = {
        "customers": len(summary),
        "repeat_customers": summary.repeat_buyers,
        "horizon_months": horizon_months,
        "unit_days": UNIT_DAYS,
        "bgnbd": None,
        "gamma_gamma": None,
        "error": "",
        "warning": "",
    }
    # Gamma-Gamma is fitted on spends in units of the base's mean repeat spend: in rials the
    # scale parameter would run far past the optimiser's bounds, and the model is scale-free
    # (spend / s has gamma / s), so the expected spends are multiplied back by s.
    x, t_x, age, zbar = summary.frequency, summary.recency, summary.age, summary.monetary
    scale = float(np.sum(x * zbar) / np.sum(x)) if np.sum(x) > 0 else 1.0
    scale = scale if scale > 0 else 1.0
    try:
        bg = fit_bgnbd(x, t_x, age)
        gg = fit_gamma_gamma(x, zbar / scale)
    except NotEnoughDataError as error:
        info["error"] = gettext(error.template) % error.params
        return Predictions(empty, empty.copy(), empty.copy(), margins, empty.copy(), info)

    info["bgnbd"] = {
        "r": bg.params.r,
        "alpha": bg.params.alpha,
        "a": bg.params.a,
        "b": bg.params.b,
        "log_likelihood": bg.log_likelihood,
        "converged": bg.converged,
    }
    info["gamma_gamma"] = {
        "p": gg.params.p,
        "q": gg.params.q,
        "gamma": gg.params.gamma * scale,
        "log_likelihood": gg.log_likelihood - np.count_nonzero((x > 0) & (zbar > 0)) * np.log(scale),
        "converged": gg.converged,
        "spend_scale": scale,
    }
    who = summary.customers  # positions of the customers who bought
    month = units_per_month(UNIT_DAYS)
    spend_of = expected_spend(gg.params, x, zbar / scale) * scale
    # With q <= 1 the population's mean spend is infinite and the formula turns negative for a
    # customer with no repeat purchase: such a customer is expected to spend the base's mean
    # repeat purchase instead.
    undefined = gg.params.p * x + gg.params.q - 1 <= 0
    spend_of = np.where(undefined, scale, spend_of)
    info["gamma_gamma"]["population_mean_defined"] = bool(gg.params.q > 1)
    # Discounted expected purchases times the margin, from predicted_value with a spend of
    # exactly 1 for everyone (p=1, q=2, gamma=1 and a mean of 1 give (1 + x) / (x + 1)).
    unit = GammaGammaParams(p=1.0, q=2.0, gamma=1.0)
    alive, purchases_ahead, spend, value = (np.full(customers, np.nan) for _ in range(4))
    # Overflows on the edge of the parameter space are caught below, customer by customer.
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        discounted_margin = predicted_value(
            bg.params,
            unit,
            x,
            t_x,
            age,
            np.ones_like(x),
            horizon_periods=horizon_months,
            period_units=month,
            annual_discount_rate=annual_rate,
            units_per_year=units_per_year(UNIT_DAYS),
            margin=margins[who],
        )
        alive[who] = p_alive(bg.params, x, t_x, age)
        purchases_ahead[who] = expected_purchases(bg.params, horizon_months * month, x, t_x, age)
        spend[who] = spend_of
        value[who] = discounted_margin * spend_of
    # A fit on the edge of the parameter space (a tiny base) can make the closed forms overflow:
    # such customers get no prediction rather than a wrong one, and the run says so.
    broken = np.zeros(customers, dtype=bool)
    broken[who] = ~(np.isfinite(alive[who]) & np.isfinite(purchases_ahead[who]) & np.isfinite(value[who]))
    if broken.any():
        for array in (alive, purchases_ahead, spend, value):
            array[broken] = np.nan
        info["warning"] = gettext(
            "The fitted model gives no usable prediction for %(count)d customers (its parameters sit at the edge "
            "of what this purchase history can tell); they show no predicted value."
        ) % {"count": int(broken.sum())}
    return Predictions(alive, purchases_ahead, spend, margins, value, info)
