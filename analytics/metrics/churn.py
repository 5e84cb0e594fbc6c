"""Churn risk per customer, from the model's probability of being active and from recency.

Definition
----------
::

    gap      = min(typical_gap_days, inactive_days)   (inactive_days when the gap is unknown)
    overdue  = max(0, recency_days - gap) / gap          (in gaps past due)
    lateness = 1 - 2 ** (-overdue)                       (0 until due, 1/2 one gap late, 3/4 two...)
    risk     = max(1 - p_alive, lateness)

``p_alive`` is the BG/NBD probability that the customer is still active. For a repeat buyer it
already reads recency against that customer's own purchase rhythm, so multiplying it by a
recency factor would count the same evidence twice; the recency term is a *floor* instead. It
matters where the model cannot see: BG/NBD gives ``p_alive = 1`` to anyone who never bought a
second time, however long ago the one purchase was, and these customers have no typical gap, so
their clock is ``inactive_days`` (a setting: "after how long without a purchase do we worry").
The clock never runs longer than ``inactive_days`` either: a customer who bought twice a year
apart and not since is, after ``inactive_days`` without a purchase, as late as anyone (at least
one half), since the business counts such a customer as lost.

``typical_gap_days`` is the customer's mean time between purchases, (last - first) /
(purchases - 1); NaN, zero or negative means unknown. A ``p_alive`` of NaN (no model fitted)
leaves the recency term alone. A ``recency_days`` of NaN (never bought) gives NaN risk: there is
nothing to lose yet.

Properties: the risk is in [0, 1]; it never falls as recency grows or as ``p_alive`` falls; it
equals ``1 - p_alive`` until the customer is overdue, and tends to 1 as the absence lengthens.

``value_at_risk = clv * risk``, with NaN (unknown value or risk) counted as 0 so the list of whom
to call first can be sorted.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def churn_risk(
    p_alive: ArrayLike,
    recency_days: ArrayLike,
    typical_gap_days: ArrayLike,
    *,
    inactive_days: float,
) -> NDArray[np.float64]:
    """Risk in [0, 1] per customer (NaN when the customer never bought); see the module docstring."""
    if not inactive_days > 0:
        raise ValueError("inactive_days must be positive.")
    alive = np.asarray(p_alive, dtype=float)
    recency = np.asarray(recency_days, dtype=float)
    gap = np.asarray(typical_gap_days, dtype=float)
    alive, recency, gap = np.broadcast_arrays(alive, recency, gap)

    gap = np.where(np.isfinite(gap) & (gap > 0), np.minimum(gap, float(inactive_days)), float(inactive_days))
    overdue = np.maximum(recency - gap, 0.0) / gap
    lateness = -np.expm1(-np.log(2.0) * overdue)  # 1 - 2**-overdue, exact near 0
    model_risk = np.where(np.isnan(alive), 0.0, 1.0 - np.clip(alive, 0.0, 1.0))
    # np.fmax would drop a NaN lateness; a NaN recency must stay NaN.
    return np.clip(np.maximum(model_risk, lateness), 0.0, 1.0)


def value_at_risk(clv: ArrayLike, risk: ArrayLike) -> NDArray[np.float64]:
    """``clv * risk`` per customer, 0 where either is unknown (NaN)."""
    product = np.asarray(clv, dtype=float) * np.asarray(risk, dtype=float)
    return np.where(np.isnan(product), 0.0, product)
