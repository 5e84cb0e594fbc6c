"""Per-customer scores: RFM, the Pareto (ABC) class and churn risk, from the arrays the earlier
steps made (analytics.metrics does the arithmetic).

- RFM is scored over the customers with at least one purchase: recency in days since the last
  purchase, frequency in purchases (distinct days), monetary the purchases' total net of returns.
- The Pareto class ranks every customer by AnalyticsSettings.pareto_measure over the period
  (profit or revenue, see values.py); a customer with no value there is C.
- Churn risk reads the model's probability of being active with the customer's recency against
  their typical gap between purchases (or ``inactive_days`` when they bought once);
  value at risk = (predicted lifetime value, else historic, floored at 0) x churn risk.
"""

from dataclasses import dataclass

import numpy as np

from analytics.metrics import abc_classes, churn_risk, rfm_scores, rfm_segment_codes
from analytics.services.compute.models_fit import Predictions
from analytics.services.compute.transactions import Flow
from analytics.services.compute.values import HistoricValues


@dataclass(frozen=True)
class Scores:
    """Per customer (positions of the base); NaN, 0 or "" where the customer never bought."""

    recency_days: np.ndarray
    frequency: np.ndarray
    monetary_cents: np.ndarray
    rfm_recency: np.ndarray
    rfm_frequency: np.ndarray
    rfm_monetary: np.ndarray
    rfm_segment: np.ndarray
    pareto_class: np.ndarray
    typical_gap_days: np.ndarray
    churn_risk: np.ndarray
    value_at_risk: np.ndarray  # money units


def compute_scores(
    purchases: Flow,
    values: HistoricValues,
    predictions: Predictions,
    *,
    customers: int,
    today: int,
    inactive_days: int,
    pareto_measure: str,
) -> Scores:
    n = customers
    bought = values.bought
    frequency = np.bincount(purchases.customer, minlength=n).astype(np.int64)
    monetary = np.bincount(purchases.customer, weights=purchases.cents, minlength=n)
    recency = np.where(bought, (today - values.last_purchase).astype(float), np.nan)

    r, f, m = (np.zeros(n, dtype=np.int64) for _ in range(3))
    segment = np.full(n, "", dtype=object)
    if bought.any():
        r[bought], f[bought], m[bought] = rfm_scores(recency[bought], frequency[bought], monetary[bought])
        segment[bought] = rfm_segment_codes(r[bought], f[bought], m[bought])

    measure = values.period_profit if pareto_measure == "profit" else values.period_revenue
    pareto = abc_classes(measure)

    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.where(frequency > 1, (values.last_purchase - values.first_purchase) / (frequency - 1), np.nan)
    risk = churn_risk(predictions.p_alive, recency, gap, inactive_days=max(inactive_days, 1))
    clv = np.where(np.isnan(predictions.value), values.clv / 100.0, predictions.value)
    at_risk = np.where(np.isnan(risk), np.nan, np.maximum(clv, 0.0) * np.nan_to_num(risk))
    return Scores(
        recency_days=recency,
        frequency=frequency,
        monetary_cents=monetary,
        rfm_recency=r,
        rfm_frequency=f,
        rfm_monetary=m,
        rfm_segment=segment,
        pareto_class=pareto,
        typical_gap_days=gap,
        churn_risk=risk,
        value_at_risk=at_risk,
    )
