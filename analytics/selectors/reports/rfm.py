"""The RFM report: the 5 × 5 grid of recency against frequency scores with how many customers
sit in each cell and what they spent, the named segments, and each segment's customers.

Users who see every customer read the snapshot of the nightly computation; a manager or rep
gets the same figures grouped live (two GROUP BY queries) over their customers' CustomerStats.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Avg, Count, Max, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from analytics.metrics.rfm import RFM_SEGMENTS, SCORES
from analytics.selectors.reports.common import ZERO, analytics_scope, as_money, customer_scoped, share, snapshot_get
from crm_site.access import Scope
from crm_site.models import User
from customers.models import CustomerStats

# The segments' names are the choices of CustomerStats.rfm_segment (translatable there); their
# descriptions are written out here so that makemessages finds them.
SEGMENT_LABELS = dict(CustomerStats.RfmSegment.choices)
SEGMENT_DESCRIPTIONS = {
    "champions": _("Bought recently, buy often and spend the most."),
    "loyal": _("Buy often and spend well; not necessarily the most recent."),
    "potential_loyalist": _("Recent customers with average frequency and spend."),
    "new": _("Bought very recently, but little so far."),
    "promising": _("Recent buyers who have not spent much yet."),
    "need_attention": _("Average recency, frequency and spend."),
    "about_to_sleep": _("Below-average recency and low frequency and spend."),
    "at_risk": _("Bought often and spent well, but long ago."),
    "cant_lose": _("Were among the best customers but have not come back for a long time."),
    "hibernating": _("Last purchase long ago, low frequency and spend."),
    "lost": _("The longest since a purchase, low frequency and spend."),
}
SEGMENT_CODES = [code for code, _label, _description in RFM_SEGMENTS]


def segment_label(code: str) -> str:
    """The translated name of a segment code (the code itself if unknown)."""
    return str(SEGMENT_LABELS.get(code, code)) if code else ""


@dataclass(frozen=True)
class Cell:
    r: int
    f: int
    customers: int
    value: Decimal
    intensity: float  # 0..1: customers against the fullest cell, for the heat-map colour

    @property
    def average(self) -> Decimal | None:
        return (self.value / self.customers).quantize(Decimal("0.01")) if self.customers else None


@dataclass(frozen=True)
class SegmentRow:
    code: str
    customers: int
    value: Decimal
    recency_days: float | None
    frequency: float | None
    customer_share: float | None
    value_share: float | None

    @property
    def label(self) -> str:
        return segment_label(self.code)

    @property
    def description(self) -> str:
        return str(SEGMENT_DESCRIPTIONS.get(self.code, ""))


@dataclass
class RfmReport:
    scope: Scope
    live: bool
    rows: list[list[Cell]]  # recency 5 (top) to 1, frequency 1 to 5 left to right
    segments: list[SegmentRow]
    customers: int
    value: Decimal
    computed_at: datetime.datetime | None


def _grid(cells: dict[tuple[int, int], tuple[int, Decimal]]) -> list[list[Cell]]:
    fullest = max((customers for customers, _value in cells.values()), default=0)
    return [
        [
            Cell(
                r=r,
                f=f,
                customers=cells.get((r, f), (0, ZERO))[0],
                value=cells.get((r, f), (0, ZERO))[1],
                intensity=round(cells.get((r, f), (0, ZERO))[0] / fullest, 3) if fullest else 0.0,
            )
            for f in range(1, SCORES + 1)
        ]
        for r in range(SCORES, 0, -1)
    ]


def _segments(found: dict[str, dict], customers: int, value: Decimal) -> list[SegmentRow]:
    """Every known segment in the report order, empty ones included, then any unknown code."""
    codes = SEGMENT_CODES + sorted(code for code in found if code not in SEGMENT_LABELS)
    rows = []
    for code in codes:
        row = found.get(code, {})
        rows.append(
            SegmentRow(
                code=code,
                customers=row.get("customers", 0),
                value=row.get("value", ZERO),
                recency_days=row.get("recency_days"),
                frequency=row.get("frequency"),
                customer_share=share(row.get("customers", 0), customers),
                value_share=share(row.get("value", ZERO), value),
            )
        )
    return rows


def _from_snapshot() -> RfmReport | None:
    snapshot = snapshot_get("rfm")
    if snapshot is None:
        return None
    cells = {
        (int(cell["r"]), int(cell["f"])): (int(cell.get("customers") or 0), as_money(cell.get("monetary")))
        for cell in snapshot.data.get("cells") or []
    }
    found = {
        row["code"]: {
            "customers": int(row.get("customers") or 0),
            "value": as_money(row.get("monetary")),
            "recency_days": row.get("recency_days"),
            "frequency": row.get("frequency"),
        }
        for row in snapshot.data.get("segments") or []
    }
    customers = sum(row["customers"] for row in found.values())
    value = sum((row["value"] for row in found.values()), ZERO)
    return RfmReport(
        scope=Scope.ALL,
        live=False,
        rows=_grid(cells),
        segments=_segments(found, customers, value),
        customers=customers,
        value=value,
        computed_at=snapshot.computed_at,
    )


def _live(user: User) -> RfmReport | None:
    scored = customer_scoped(CustomerStats.objects.all(), user).filter(rfm_recency__isnull=False).order_by()
    cells = {
        (row["rfm_recency"], row["rfm_frequency"]): (row["customers"], as_money(row["value"]))
        for row in scored.values("rfm_recency", "rfm_frequency").annotate(customers=Count("pk"), value=Sum("monetary"))
    }
    grouped = scored.values("rfm_segment").annotate(
        customers=Count("pk"),
        value=Sum("monetary"),
        recency_days=Avg("recency_days"),
        frequency=Avg("frequency"),
        computed_at=Max("computed_at"),
    )
    found = {
        row["rfm_segment"]: {
            "customers": row["customers"],
            "value": as_money(row["value"]),
            "recency_days": row["recency_days"],
            "frequency": row["frequency"],
            "computed_at": row["computed_at"],
        }
        for row in grouped
    }
    if not found:
        return None
    customers = sum(row["customers"] for row in found.values())
    value = sum((row["value"] for row in found.values()), ZERO)
    computed_at = max((row["computed_at"] for row in found.values() if row["computed_at"]), default=None)
    return RfmReport(
        scope=analytics_scope(user),
        live=True,
        rows=_grid(cells),
        segments=_segments(found, customers, value),
        customers=customers,
        value=value,
        computed_at=computed_at,
    )


def rfm_report(*, user: User) -> RfmReport | None:
    """The grid and segments as ``user`` may see them, or None before the first computation."""
    return _from_snapshot() if analytics_scope(user) == Scope.ALL else _live(user)


def segment_customers(*, user: User, code: str) -> QuerySet[CustomerStats]:
    """The customers of one segment the user may see, biggest spenders first, with what a row
    shows (customer, owner, their value row) joined in."""
    rows = CustomerStats.objects.filter(rfm_segment=code).select_related("customer__owner", "customer__value")
    return customer_scoped(rows, user).order_by("-monetary", "-customer_id")
