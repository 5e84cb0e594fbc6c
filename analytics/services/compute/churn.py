"""The "customers lost in a period" report (ReportSnapshot kind "churn_lost", one per period).

A customer is lost in a period when, within it:

- they crossed ``inactive_days`` without a purchase (last purchase + inactive_days falls in it);
- or their status was set to lost (the day of the change in the customer's history, or the day
  the record last changed when the history does not tell);
- or a deal of theirs was lost with a loss reason (on the day it closed).

The report counts the lost customers by reason — the three above (deals per loss reason), and
among them those who complained (a complaint ticket) or gave a low satisfaction score (2 of 5
or less) in the ``inactive_days`` before the period's end — so a customer may count under several
reasons; and by customer group (direct membership; "no group" for the others). The events are
read once (a few grouped queries) and every period is a handful of numpy operations.
"""

import datetime
from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext

from analytics.periods import SNAPSHOT_PERIODS, period_compare
from analytics.services.compute.sql import column, date_number, fetch_columns, local_day_number, table
from analytics.services.compute.transactions import CustomerBase
from analytics.services.compute.values import NEVER, HistoricValues
from customers.models import Customer, CustomerGroup
from sales.models import LossReason, Opportunity
from service.models import SatisfactionSurvey, Ticket

I64 = np.int64
LOW_SCORE = 2


@dataclass(frozen=True)
class Events:
    """Customer positions and days of what can make or explain a loss."""

    marked_lost: np.ndarray  # per customer: the day marked lost, NEVER when not lost
    deals: tuple[np.ndarray, np.ndarray, np.ndarray]  # (customer, day, loss reason id)
    complaints: tuple[np.ndarray, np.ndarray]
    low_scores: tuple[np.ndarray, np.ndarray]
    groups: tuple[np.ndarray, np.ndarray]  # (customer, group id) memberships
    reason_names: dict[int, str]
    group_names: dict[int, str]


def _customer_days(base: CustomerBase, ids: np.ndarray, *columns: np.ndarray) -> tuple[np.ndarray, ...]:
    keep = base.known(ids)
    return (base.positions(ids[keep]), *(values[keep] for values in columns))


def _marked_lost(base: CustomerBase) -> np.ndarray:
    """The day each customer now lost became lost: the first history entry with status lost
    after their last entry with another status."""
    history = Customer.history.model
    h, c = table(history), table(Customer)
    day, params = local_day_number(f"h.{column(history, 'history_date')}")
    lost = Customer.Status.LOST.value
    sql = f"""
        SELECT h.{column(history, "id")}, {day}, CASE WHEN h.{column(history, "status")} = %s THEN 1 ELSE 0 END
        FROM {h} h JOIN {c} c ON c.{column(Customer, "id")} = h.{column(history, "id")}
        WHERE c.{column(Customer, "status")} = %s
    """  # noqa: S608  (identifiers from the models; values are parameters)
    ids, days, is_lost = fetch_columns(sql, [*params, lost, lost], [I64, I64, I64])
    positions, days, is_lost = _customer_days(base, ids, days, is_lost.astype(bool))
    n = len(base)
    last_other = np.full(n, np.iinfo(I64).min, dtype=I64)
    np.maximum.at(last_other, positions[~is_lost], days[~is_lost])
    since = is_lost & (days >= last_other[positions])
    marked = np.full(n, NEVER, dtype=I64)
    np.minimum.at(marked, positions[since], days[since])
    marked = np.where(marked == NEVER, base.updated, marked)
    return np.where(base.lost, marked, NEVER)


def load_events(base: CustomerBase) -> Events:
    o = table(Opportunity)
    closed, closed_params = local_day_number(f"{column(Opportunity, 'closed_at')}")
    ids, days, reasons = fetch_columns(
        f"""SELECT {column(Opportunity, "customer")}, {closed}, {column(Opportunity, "loss_reason")} FROM {o}
            WHERE {column(Opportunity, "status")} = %s AND {column(Opportunity, "loss_reason")} IS NOT NULL
                  AND {column(Opportunity, "closed_at")} IS NOT NULL""",  # noqa: S608
        [*closed_params, Opportunity.Status.LOST.value],
        [I64, I64, I64],
    )
    deals = _customer_days(base, ids, days, reasons)

    created, created_params = local_day_number(f"{column(Ticket, 'created_at')}")
    ids, days = fetch_columns(
        f"SELECT {column(Ticket, 'customer')}, {created} FROM {table(Ticket)} WHERE {column(Ticket, 'kind')} = %s",  # noqa: S608
        [*created_params, Ticket.Kind.COMPLAINT.value],
        [I64, I64],
    )
    complaints = _customer_days(base, ids, days)

    answered, answered_params = local_day_number(f"{column(SatisfactionSurvey, 'answered_at')}")
    ids, days = fetch_columns(
        f"""SELECT {column(SatisfactionSurvey, "customer")}, {answered} FROM {table(SatisfactionSurvey)}
            WHERE {column(SatisfactionSurvey, "answered_at")} IS NOT NULL
                  AND {column(SatisfactionSurvey, "score")} <= %s""",  # noqa: S608
        [*answered_params, LOW_SCORE],
        [I64, I64],
    )
    low_scores = _customer_days(base, ids, days)

    through = Customer.groups.through
    ids, group_ids = fetch_columns(
        f"SELECT {column(through, 'customer')}, {column(through, 'customergroup')} FROM {table(through)}",  # noqa: S608
        [],
        [I64, I64],
    )
    return Events(
        marked_lost=_marked_lost(base),
        deals=deals,
        complaints=complaints,
        low_scores=low_scores,
        groups=_customer_days(base, ids, group_ids),
        reason_names=dict(LossReason.objects.values_list("pk", "name")),
        group_names=dict(CustomerGroup.objects.values_list("pk", "name")),
    )


def _who(customers: np.ndarray, days: np.ndarray, first: int, last: int, n: int) -> np.ndarray:
    """Which customers have an event from ``first`` to ``last``."""
    inside = (days >= first) & (days <= last)
    return np.bincount(customers[inside], minlength=n) > 0


def churn_lost_data(
    base: CustomerBase, values: HistoricValues, events: Events, *, first: int, last: int, inactive_days: int
) -> dict:
    n = len(base)
    crossed = np.where(values.bought, values.last_purchase + inactive_days, NEVER)
    no_purchase = (crossed >= first) & (crossed <= last)
    marked = (events.marked_lost >= first) & (events.marked_lost <= last)
    deal_customers, deal_days, deal_reasons = events.deals
    deal_inside = (deal_days >= first) & (deal_days <= last)
    lost = no_purchase | marked | (np.bincount(deal_customers[deal_inside], minlength=n) > 0)

    by_reason = [
        {
            "reason": "no_purchase",
            "label": gettext("No purchase for %(days)d days") % {"days": inactive_days},
            "customers": int(no_purchase.sum()),
        },
        {"reason": "marked_lost", "label": gettext("Marked as lost"), "customers": int(marked.sum())},
    ]
    for reason_id in np.unique(deal_reasons[deal_inside]).tolist():  # the loss reasons used (a short list)
        rows = deal_inside & (deal_reasons == reason_id)
        by_reason.append(
            {
                "reason": "deal_lost",
                "loss_reason_id": reason_id,
                "label": gettext("Deal lost: %(reason)s") % {"reason": events.reason_names.get(reason_id, "")},
                "customers": int(np.unique(deal_customers[rows]).size),
            }
        )
    window = last - inactive_days
    complained = lost & _who(*events.complaints, window, last, n)
    unhappy = lost & _who(*events.low_scores, window, last, n)
    by_reason += [
        {"reason": "complaint", "label": gettext("Complained"), "customers": int(complained.sum())},
        {
            "reason": "low_csat",
            "label": gettext("Low satisfaction (2 of 5 or less)"),
            "customers": int(unhappy.sum()),
        },
    ]

    members, group_ids = events.groups
    in_lost = lost[members]
    groups, counts = np.unique(group_ids[in_lost], return_counts=True)
    by_group = [
        {"group_id": group, "name": events.group_names.get(group, ""), "customers": count}
        for group, count in zip(groups.tolist(), counts.tolist(), strict=True)
    ]
    grouped = np.bincount(members, minlength=n) > 0
    by_group.sort(key=lambda row: (-row["customers"], row["name"]))
    by_group.append({"group_id": None, "name": gettext("No group"), "customers": int((lost & ~grouped).sum())})
    return {"by_reason": by_reason, "by_group": by_group, "total": int(lost.sum())}


def churn_lost_snapshots(
    base: CustomerBase, values: HistoricValues, events: Events, *, today: datetime.date, inactive_days: int
) -> dict[str, dict]:
    variants = {}
    for key in SNAPSHOT_PERIODS:
        period = period_compare(key=key, today=today).current
        data = churn_lost_data(
            base,
            values,
            events,
            first=date_number(period.first_day),
            last=date_number(period.last_day),
            inactive_days=inactive_days,
        )
        variants[key] = {**data, "first_day": period.first_day.isoformat(), "last_day": period.last_day.isoformat()}
    return variants
