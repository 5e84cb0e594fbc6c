"""Pareto (80/20) analysis of customer value: concentration figures, the Lorenz curve, the Gini
coefficient and ABC classes.

``values`` is one number per customer over the chosen period (profit or revenue; the caller picks),
in any order. Every customer passed in is counted, including those with zero or negative value.

Definitions
-----------
Losses.
    A customer with a negative value (a loss) contributes nothing to the shares, the Lorenz curve
    and the Gini coefficient: those are computed on ``max(value, 0)`` and over the *positive total*
    (``total``). Shares over a net total that losses have shrunk could exceed 100% and the Lorenz
    curve would leave the unit square, so the chart and the Gini would stop meaning anything. What
    the losses cost is kept in ``net_total`` (the plain sum), for the page to show next to it.
``top20_share``
    Customers ranked by value, largest first; the top 20% are the first ``ceil(n / 5)`` of them (at
    least one customer). The share is their value over ``total``. On CDNOW_master, n = 23,570 and
    ceil, round and floor of n/5 are all 4,714, giving 67.777%. Which of several tied customers
    falls inside the cut does not change the sum, so the figure never depends on input order.
``share_for_80``
    The smallest number of top customers whose value reaches 80% of ``total`` (the customer who
    crosses 80% is counted), over *all* n customers. On CDNOW_master that is 7,695 of 23,570 =
    32.65% (without the customer who crosses 80%, 7,694 would give 32.64%).
``gini``
    The population Gini coefficient of ``max(value, 0)``: one minus twice the area under the
    Lorenz curve, ``G = 2 * sum(i * x_i) / (n * sum(x)) - (n + 1) / n`` with ``x`` sorted
    ascending and ``i`` from 1. 0 when everyone has the same value; ``(n - 1) / n`` when one
    customer has it all. No small-sample correction.
Lorenz curve
    Classical orientation: x is the cumulative share of customers counted from the *smallest* up,
    y the cumulative share of ``total`` they hold. The exact curve is the polyline through
    ``(i / n, L_i)``; it is sampled at ``curve_points`` evenly spaced x from 0 to 1 (so it starts
    at (0, 0) and ends at (1, 1)) to keep the chart small whatever n is.
ABC classes (``abc_classes``)
    Customers ranked by value, largest first, with ``before`` the value of all customers ranked
    above. A customer is **A** when ``before < 80%`` of ``total`` — so the customer who crosses
    80% is A, and A is the smallest set of top customers that reaches 80%; **B** when ``before <
    95%`` (the next 15%, the customer crossing 95% included); **C** otherwise.
    Ties: customers with equal value always get the same class, the best any of them would get
    in some order (the class of the first of them in the ranking), so the result never depends on
    input order; a tie straddling the 80% line makes A a little larger than 80%.
    A value <= 0 adds nothing, so such a customer is always C, even when the total is zero.
    Comparisons allow a relative slack of 1e-9 of the total, so a customer whose ``before`` is
    exactly 80% in decimal money but a hair under it in floating point is still B.
Undefined figures.
    When ``total`` is 0 (no customer, or nobody with a positive value), ``top20_share``,
    ``share_for_80`` and ``gini`` are ``None`` and the Lorenz lists are empty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

A_SHARE = 0.80
B_SHARE = 0.95
TOP_FRACTION_DENOMINATOR = 5  # the "20%" of top20_share: ceil(n / 5) customers
_SLACK = 1e-9  # relative to the total; see the module docstring


@dataclass(frozen=True)
class ParetoSummary:
    customers: int
    total: float  # sum of the positive values: the base of every share
    net_total: float  # plain sum, losses included
    top20_share: float | None  # fraction, 0..1
    share_for_80: float | None  # fraction of all customers, 0..1
    gini: float | None
    lorenz_x: list[float]
    lorenz_y: list[float]


def _as_values(values: ArrayLike) -> NDArray[np.float64]:
    array = np.asarray(values, dtype=float).ravel()
    if not np.all(np.isfinite(array)):
        raise ValueError("Pareto values must be finite numbers.")
    return array


def pareto_summary(values: ArrayLike, *, curve_points: int = 101) -> ParetoSummary:
    """Concentration figures of one value per customer; see the module docstring."""
    if curve_points < 2:
        raise ValueError("curve_points must be at least 2.")
    raw = _as_values(values)
    n = raw.size
    gains = np.maximum(raw, 0.0)
    total = float(gains.sum())
    net_total = float(raw.sum())
    if total <= 0.0:
        return ParetoSummary(n, total, net_total, None, None, None, [], [])

    descending = np.sort(gains)[::-1]
    cumulative = np.cumsum(descending)
    top_count = -(-n // TOP_FRACTION_DENOMINATOR)  # integer ceil: 0.2 * n in floats can overshoot
    top20_share = float(cumulative[top_count - 1] / total)
    before = np.concatenate(([0.0], cumulative[:-1]))
    # Customers whose predecessors hold less than 80%: the crossing one included.
    needed = int(np.count_nonzero(before < A_SHARE * total - _SLACK * total))
    share_for_80 = needed / n

    ascending = descending[::-1]
    lorenz = np.concatenate(([0.0], np.cumsum(ascending) / total))
    lorenz[-1] = 1.0  # the float sum in another order can miss 1 by an ulp
    ranks = np.arange(1, n + 1, dtype=float)
    gini = float(2.0 * np.dot(ranks, ascending) / (n * total) - (n + 1) / n)

    grid = np.linspace(0.0, 1.0, curve_points)
    curve = np.interp(grid, np.arange(n + 1) / n, lorenz)
    return ParetoSummary(
        customers=n,
        total=total,
        net_total=net_total,
        top20_share=top20_share,
        share_for_80=share_for_80,
        gini=max(gini, 0.0),
        lorenz_x=np.round(grid, 6).tolist(),
        lorenz_y=np.round(curve, 6).tolist(),
    )


def abc_classes(values: ArrayLike) -> NDArray[np.str_]:
    """The ABC class ("A", "B" or "C") per customer, aligned with ``values``; see the module docstring."""
    raw = _as_values(values)
    n = raw.size
    result = np.full(n, "C", dtype="<U1")
    gains = np.maximum(raw, 0.0)
    total = float(gains.sum())
    if total <= 0.0:
        return result

    order = np.argsort(-gains, kind="stable")
    ranked = gains[order]
    before = np.concatenate(([0.0], np.cumsum(ranked)[:-1]))
    # Each run of equal values takes the "before" of its first member: the best class in the run.
    is_start = np.r_[True, ranked[1:] != ranked[:-1]]
    run_start = np.maximum.accumulate(np.where(is_start, np.arange(n), 0))
    before = before[run_start]

    slack = _SLACK * total
    positive = ranked > 0.0
    ranked_classes = np.where(
        positive & (before < A_SHARE * total - slack),
        "A",
        np.where(positive & (before < B_SHARE * total - slack), "B", "C"),
    )
    result[order] = ranked_classes
    return result


# The name the analytics brief uses.
classes = abc_classes
