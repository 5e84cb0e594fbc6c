"""The arithmetic of the analytics reports, on numpy arrays: no Django, no database.

Each module states its definitions in its docstring: ``pareto`` (80/20, Lorenz, Gini, ABC),
``rfm`` (scores and segments), ``churn`` (churn risk, value at risk), ``forecast`` (Holt-Winters
and its backtest) and ``basket`` (products bought together). The analytics services read the
figures from the database, call these functions and write the results back as Decimal where they
are money.
"""

from analytics.metrics.basket import basket_from_orders, pair_metrics
from analytics.metrics.churn import churn_risk, value_at_risk
from analytics.metrics.forecast import Backtest, HoltWinters, backtest, holt_winters_fit, mape
from analytics.metrics.pareto import ParetoSummary, abc_classes, pareto_summary
from analytics.metrics.rfm import (
    RFM_GRID,
    RFM_SEGMENT_DESCRIPTIONS,
    RFM_SEGMENT_LABELS,
    RFM_SEGMENTS,
    fm_score,
    rfm_scores,
    rfm_segment_codes,
    rfm_segment_totals,
)

__all__ = [
    "RFM_GRID",
    "RFM_SEGMENTS",
    "RFM_SEGMENT_DESCRIPTIONS",
    "RFM_SEGMENT_LABELS",
    "Backtest",
    "HoltWinters",
    "ParetoSummary",
    "abc_classes",
    "backtest",
    "basket_from_orders",
    "churn_risk",
    "fm_score",
    "holt_winters_fit",
    "mape",
    "pair_metrics",
    "pareto_summary",
    "rfm_scores",
    "rfm_segment_codes",
    "rfm_segment_totals",
    "value_at_risk",
]
