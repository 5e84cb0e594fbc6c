"""RFM: recency, frequency and monetary scores (quintiles, 1 to 5) and named segments.

Scores
------
Each score is 5 for the best fifth of customers and 1 for the worst: the most recent (fewest days
since the last purchase), the most frequent, the highest spend. It is computed from the
customer's *percent rank*, the share of the other customers it strictly beats::

    percent_rank = (customers strictly worse) / (n - 1)      (0 when n == 1)
    score        = 1 + floor(5 * percent_rank), capped at 5

which is SQL's ``PERCENT_RANK()`` cut into fifths. With distinct values this is an exact quintile
split (n = 5 gives 1, 2, 3, 4, 5; n = 10 gives two customers per score). Ties: equal values get
the same score, the one of the *lowest* rank in their group (they beat the same customers), so
a group that straddles a quintile edge goes to the lower quintile, and the scores never depend
on input order. One-time buyers therefore keep F = 1 however many there are, and a metric on
which everyone is equal (or a single customer) scores 1 for all: they beat no one.

Segments
--------
Segments are read from a 5 x 5 grid of R against FM, where FM is the average of F and M rounded
half up, ``(F + M + 1) // 2``. It is the widely used R x F segment map with FM in place of F
(so spend counts too) and its low-low corner split into *hibernating* (R 2) and *lost* (R 1)::

    R \\ FM   1               2                    3                    4          5
    5        new             potential_loyalist   potential_loyalist   champions  champions
    4        promising       potential_loyalist   potential_loyalist   loyal      loyal
    3        about_to_sleep  about_to_sleep       need_attention       loyal      loyal
    2        hibernating     hibernating          at_risk              at_risk    cant_lose
    1        lost            lost                 at_risk              at_risk    cant_lose

Codes are stable ASCII (at most 18 characters), stored on ``CustomerStats.rfm_segment``. The
English labels and descriptions in ``RFM_SEGMENTS`` are plain strings; the Django side wraps them
in ``gettext_lazy`` (the same literals must be marked there for ``makemessages`` to see them).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

SCORES = 5

# (code, label, description), in the order a report lists them: best first.
RFM_SEGMENTS: list[tuple[str, str, str]] = [
    ("champions", "Champions", "Bought recently, buy often and spend the most."),
    ("loyal", "Loyal", "Buy often and spend well; not necessarily the most recent."),
    ("potential_loyalist", "Potential loyalists", "Recent customers with average frequency and spend."),
    ("new", "New customers", "Bought very recently, but little so far."),
    ("promising", "Promising", "Recent buyers who have not spent much yet."),
    ("need_attention", "Need attention", "Average recency, frequency and spend."),
    ("about_to_sleep", "About to sleep", "Below-average recency and low frequency and spend."),
    ("at_risk", "At risk", "Bought often and spent well, but long ago."),
    ("cant_lose", "Can't lose them", "Were among the best customers but have not come back for a long time."),
    ("hibernating", "Hibernating", "Last purchase long ago, low frequency and spend."),
    ("lost", "Lost", "The longest since a purchase, low frequency and spend."),
]
RFM_SEGMENT_LABELS: dict[str, str] = {code: label for code, label, _ in RFM_SEGMENTS}
RFM_SEGMENT_DESCRIPTIONS: dict[str, str] = {code: description for code, _, description in RFM_SEGMENTS}

# RFM_GRID[r - 1][fm - 1] is the segment of recency score r and FM score fm (the table above).
RFM_GRID: tuple[tuple[str, ...], ...] = (
    ("lost", "lost", "at_risk", "at_risk", "cant_lose"),
    ("hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"),
    ("about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"),
    ("promising", "potential_loyalist", "potential_loyalist", "loyal", "loyal"),
    ("new", "potential_loyalist", "potential_loyalist", "champions", "champions"),
)
_GRID = np.array(RFM_GRID)


def _score(worse_count: NDArray[np.int64], n: int) -> NDArray[np.int64]:
    if n <= 1:
        return np.ones(n, dtype=np.int64)
    # Integer arithmetic: a percent rank of exactly 2/5 must give 3, not 2.999... -> 2.
    return np.minimum(1 + (SCORES * worse_count) // (n - 1), SCORES)


def _as_metric(values: ArrayLike, name: str) -> NDArray[np.float64]:
    array = np.asarray(values, dtype=float).ravel()
    if not np.all(np.isfinite(array)):
        raise ValueError(f"RFM {name} must be finite; leave customers without a purchase out.")
    return array


def rfm_scores(
    recency_days: ArrayLike, frequency: ArrayLike, monetary: ArrayLike
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Recency, frequency and monetary scores 1..5 (5 best), aligned with the inputs."""
    recency = _as_metric(recency_days, "recency")
    freq = _as_metric(frequency, "frequency")
    money = _as_metric(monetary, "monetary")
    n = recency.size
    if freq.size != n or money.size != n:
        raise ValueError("recency, frequency and monetary must have one value per customer.")

    # Worse recency is *more* days: count the customers with strictly more.
    recency_sorted = np.sort(recency)
    recency_worse = n - np.searchsorted(recency_sorted, recency, side="right")
    # Worse frequency and spend are smaller: count the customers with strictly less.
    freq_worse = np.searchsorted(np.sort(freq), freq, side="left")
    money_worse = np.searchsorted(np.sort(money), money, side="left")
    return _score(recency_worse, n), _score(freq_worse, n), _score(money_worse, n)


def fm_score(f: ArrayLike, m: ArrayLike) -> NDArray[np.int64]:
    """The grid's FM column: the average of F and M rounded half up."""
    return (np.asarray(f, dtype=np.int64) + np.asarray(m, dtype=np.int64) + 1) // 2


def rfm_segment_codes(r: ArrayLike, f: ArrayLike, m: ArrayLike) -> NDArray[np.str_]:
    """Segment code per customer from its scores (see the grid in the module docstring)."""
    r_index = np.asarray(r, dtype=np.int64)
    fm_index = fm_score(f, m)
    if np.any((r_index < 1) | (r_index > SCORES)) or np.any((fm_index < 1) | (fm_index > SCORES)):
        raise ValueError("RFM scores must be between 1 and 5.")
    return _GRID[r_index - 1, fm_index - 1]


def rfm_segment_totals(codes: ArrayLike, values: ArrayLike) -> dict[str, tuple[int, float]]:
    """Customers and summed value per segment, in ``RFM_SEGMENTS`` order, empty segments included.

    Feeds the grid chart of segment sizes and values; ``values`` is one number per customer
    (NaN counts as 0)."""
    codes_array = np.asarray(codes).astype(str)
    values_array = np.nan_to_num(np.asarray(values, dtype=float))
    known = np.array([code for code, _, _ in RFM_SEGMENTS])
    order = np.argsort(known)
    position = np.searchsorted(known[order], codes_array).clip(max=known.size - 1)
    index = order[position]
    if np.any(known[index] != codes_array):
        raise ValueError("Unknown RFM segment code.")
    counts = np.bincount(index, minlength=known.size)
    sums = np.bincount(index, weights=values_array, minlength=known.size)
    return {code: (int(counts[i]), float(sums[i])) for i, code in enumerate(known.tolist())}
