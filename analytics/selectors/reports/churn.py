"""The churn report: the customers lost in a period, by reason and by group (the nightly
snapshot of each period), and "who to call this week": the user's customers ranked by the value
at risk of leaving (lifetime value × churn risk)."""

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics.periods import PERIOD_CHOICES, SNAPSHOT_PERIODS, Period, period_compare
from analytics.selectors.reports.common import customer_scoped, share, snapshot_get
from crm_site.models import User
from customers.models import CustomerStats

DEFAULT_LOST_PERIOD = "last_90_days"
LOST_PERIOD_CHOICES = [(key, label) for key, label in PERIOD_CHOICES if key in SNAPSHOT_PERIODS]
# The reasons the computation records, by code, in the page's language. "no_purchase" names the
# number of days; a lost deal keeps the label written in the snapshot (it names the loss reason).
REASON_LABELS = {
    "marked_lost": gettext_lazy("Marked as lost"),
    "complaint": gettext_lazy("Complained"),
    "low_csat": gettext_lazy("Low satisfaction (2 of 5 or less)"),
}


def _reason_label(row: dict, inactive_days: int) -> str:
    reason = row.get("reason")
    if reason == "no_purchase":
        return _("No purchase for %(days)d days") % {"days": inactive_days}
    if reason in REASON_LABELS:
        return str(REASON_LABELS[reason])
    return row.get("label") or reason or ""


@dataclass(frozen=True)
class LostRow:
    label: str
    customers: int
    share: float | None
    group_id: int | None = None


@dataclass(frozen=True)
class LostReport:
    period: Period
    total: int
    by_reason: list[LostRow]
    by_group: list[LostRow]
    computed_at: datetime.datetime

    @property
    def chart(self) -> dict:
        return {
            "labels": [row.label for row in self.by_reason],
            "values": [row.customers for row in self.by_reason],
            "label": _("Customers lost"),
        }


def lost_report(*, key: str, today: datetime.date, inactive_days: int) -> LostReport | None:
    """The customers lost in the period ``key`` (a snapshot period), or None when not computed.
    The figures cover the whole base: the computation counts them once for everyone."""
    snapshot = snapshot_get("churn_lost", key)
    if snapshot is None:
        return None
    data = snapshot.data
    total = int(data.get("total") or 0)
    by_reason = [
        LostRow(
            label=_reason_label(row, inactive_days),
            customers=int(row.get("customers") or 0),
            share=share(int(row.get("customers") or 0), total),
        )
        for row in data.get("by_reason") or []
    ]
    by_group = [
        LostRow(
            label=row.get("name") if row.get("group_id") is not None else _("No group"),
            customers=int(row.get("customers") or 0),
            share=share(int(row.get("customers") or 0), total),
            group_id=row.get("group_id"),
        )
        for row in data.get("by_group") or []
    ]
    return LostReport(
        period=period_compare(key=key, today=today).current,
        total=total,
        by_reason=sorted(by_reason, key=lambda row: (-row.customers, row.label)),
        by_group=sorted(by_group, key=lambda row: (-row.customers, row.label)),
        computed_at=snapshot.computed_at,
    )


def call_list(*, user: User) -> QuerySet[CustomerStats]:
    """The user's customers with value at risk, the most at risk first, with the customer, owner
    and value row (last purchase) joined in: reps see their own, managers their team's."""
    rows = CustomerStats.objects.filter(value_at_risk__gt=0).select_related("customer__owner", "customer__value")
    return customer_scoped(rows, user).order_by("-value_at_risk", "-customer_id")
