"""From a purchase log to the per-customer summary (x, t_x, T, zbar) that the CLV models take.

This is the one summariser: the CDNOW test feeds it the raw transaction file and the analytics
jobs feed it the CRM's own orders, so the published CDNOW figures vouch for the code that runs on
real data. The conventions are those of the customer-base literature (Fader, Hardie & Lee 2005):

- purchases on the same day are ONE transaction (their amounts are added up);
- x (frequency) counts the repeat transactions: distinct purchase days - 1;
- t_x (recency) is last purchase - first purchase, T (age) is end - first purchase, in units of
  ``unit_days`` days (7: weeks, as in the papers);
- zbar (monetary) is the mean value of the repeat transactions only, since the first purchase
  (the acquisition) is not what the Gamma-Gamma model describes; 0 when x == 0;
- purchases after ``end`` are outside the calibration period and ignored.

Everything is vectorised (one lexsort and a few reduceat), so a million rows take a fraction of a
second.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

__all__ = ["PurchaseSummary", "as_days", "summarise"]


@dataclass(frozen=True)
class PurchaseSummary:
    """One entry per customer, every array in the order of ``customers`` (sorted unique keys)."""

    customers: np.ndarray  # the customer keys
    frequency: np.ndarray  # x: repeat transactions (float64)
    recency: np.ndarray  # t_x: last - first purchase, in units
    age: np.ndarray  # T: end - first purchase, in units
    monetary: np.ndarray  # zbar: mean value of the repeat transactions, 0 when x == 0
    total: np.ndarray  # sum of all transaction values, the first included
    first_purchase: np.ndarray  # datetime64[D]
    last_purchase: np.ndarray  # datetime64[D]

    def __len__(self) -> int:
        return len(self.customers)

    @property
    def repeat_buyers(self) -> int:
        return int(np.count_nonzero(self.frequency > 0))


def as_days(values: Iterable | np.ndarray) -> np.ndarray:
    """Dates (datetime64, ``date`` objects or ISO strings) as a datetime64[D] array.

    A ``datetime`` is cut to its date as written (the caller converts aware datetimes to the
    local date first: which day a purchase fell on depends on the time zone)."""
    array = np.asarray(values)
    if array.dtype == object:
        array = np.array(
            [value.date() if isinstance(value, dt.datetime) else value for value in array.ravel()],
            dtype="datetime64[D]",
        ).reshape(array.shape)
    return array.astype("datetime64[D]")


def _as_day(value: dt.date | np.datetime64 | str) -> np.datetime64:
    if isinstance(value, dt.datetime):
        value = value.date()
    return np.datetime64(value, "D")


def _customer_day_order(keys: np.ndarray, day: np.ndarray) -> np.ndarray:
    """The row order by (customer, day). Integer keys are folded with the day into one int64 key,
    whose sort is several times faster than a two-key lexsort (0.1 s instead of 0.55 s for a
    million rows); other keys (strings) use the lexsort."""
    if len(keys) and np.issubdtype(keys.dtype, np.integer):
        key_low, key_high = keys.min(), keys.max()
        day_low, day_span = day.min(), int(day.max() - day.min()) + 1
        if (int(key_high) - int(key_low) + 1) * day_span < 2**62:  # the folded key fits in an int64
            return np.argsort((keys - key_low).astype(np.int64) * day_span + (day - day_low))
    return np.lexsort((day, keys))


def summarise(
    customers: Iterable | np.ndarray,
    days: Iterable | np.ndarray,
    amounts: Iterable | np.ndarray,
    *,
    end: dt.date | np.datetime64 | str,
    unit_days: float = 7.0,
) -> PurchaseSummary:
    """Summarise a purchase log (one row per purchase, in any order) as of ``end``.

    ``customers`` are the keys (ints, or any sortable keys), ``days`` the purchase dates,
    ``amounts`` the values. Rows after ``end`` are ignored; customers with no purchase up to
    ``end`` do not appear.
    """
    if unit_days <= 0:
        raise ValueError("unit_days must be positive")
    keys = np.asarray(customers)
    day = as_days(days).astype(np.int64)  # days since 1970-01-01
    value = np.asarray(amounts, dtype=np.float64)
    if not (keys.shape == day.shape == value.shape) or keys.ndim != 1:
        raise ValueError("customers, days and amounts must be 1-d arrays of the same length")
    end_day = _as_day(end).astype(np.int64)

    in_period = day <= end_day
    if not in_period.all():
        keys, day, value = keys[in_period], day[in_period], value[in_period]

    # Sort by customer, then day: each customer's rows, and each of its days, become one run.
    order = _customer_day_order(keys, day)
    keys, day, value = keys[order], day[order], value[order]

    if not len(keys):
        empty_days = np.zeros(0, dtype="datetime64[D]")
        empty = np.zeros(0)
        return PurchaseSummary(keys, empty, empty, empty, empty, empty, empty_days, empty_days)

    new_customer = np.empty(len(keys), dtype=bool)
    new_customer[0] = True
    new_customer[1:] = keys[1:] != keys[:-1]
    new_day = new_customer.copy()
    new_day[1:] |= day[1:] != day[:-1]

    # One transaction per (customer, day): its amount is the day's total.
    day_starts = np.flatnonzero(new_day)
    txn_value = np.add.reduceat(value, day_starts)
    txn_day = day[day_starts]
    txn_first = new_customer[day_starts]  # the transaction is its customer's first

    customer_starts = np.flatnonzero(txn_first)  # into the transactions
    customer_ends = np.append(customer_starts[1:], len(txn_day)) - 1
    transactions = customer_ends - customer_starts + 1

    first = txn_day[customer_starts]
    last = txn_day[customer_ends]
    total = np.add.reduceat(txn_value, customer_starts)
    # The repeat transactions' sum, added up without the first (not total - first: no cancellation).
    repeat_value = np.add.reduceat(np.where(txn_first, 0.0, txn_value), customer_starts)
    frequency = (transactions - 1).astype(np.float64)
    monetary = np.divide(repeat_value, frequency, out=np.zeros_like(repeat_value), where=frequency > 0)

    return PurchaseSummary(
        customers=keys[day_starts][customer_starts],
        frequency=frequency,
        recency=(last - first) / unit_days,
        age=(end_day - first) / unit_days,
        monetary=monetary,
        total=total,
        first_purchase=first.astype("datetime64[D]"),
        last_purchase=last.astype("datetime64[D]"),
    )
