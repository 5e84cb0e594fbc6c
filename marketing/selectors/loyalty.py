"""Reads of the loyalty programme: balances, the overview, a member's page and the 360° panel.

Every balance is a sum over the points ledger; each function runs a fixed number of queries."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from crm_site.access import Action, Scope, record_scope
from crm_site.models import User
from customers.models import Customer
from customers.selectors import customers_for
from marketing.models import EarningRule, LoyaltyAccount, LoyaltySettings, LoyaltyTier, PointsEntry
from marketing.services.loyalty import EARNING_KINDS, OPEN_INVOICE, add_months
from sales.models import Invoice
from sales.selectors.orders import invoices_for
from sales.totals import money

PANEL_ENTRIES = 5
RECENT_DAYS = 30
EXPIRING_DAYS = 30
Kind = PointsEntry.Kind


def points_balances(customer_ids) -> dict[int, int]:
    """customer id -> points balance, for the customers that are members (one query)."""
    rows = (
        PointsEntry.objects.filter(account__customer_id__in=list(customer_ids))
        .values("account__customer_id")
        .annotate(total=Sum("points"))
        .values_list("account__customer_id", "total")
    )
    return {customer_id: total or 0 for customer_id, total in rows}


def points_balance(customer: Customer) -> int:
    return points_balances([customer.pk]).get(customer.pk, 0)


def loyalty_summary() -> dict:
    """Members by tier and the points outstanding (the programme's liability, in points and in
    money) for the marketing home page: three queries (the settings row included)."""
    settings_row = LoyaltySettings.load()
    counts = dict(
        LoyaltyAccount.objects.order_by().values("tier_id").annotate(count=Count("pk")).values_list("tier_id", "count")
    )
    tiers = [{"tier": tier, "count": counts.get(tier.pk, 0)} for tier in LoyaltyTier.objects.order_by("threshold")]
    if counts.get(None):
        tiers.insert(0, {"tier": None, "count": counts[None]})
    outstanding = PointsEntry.objects.aggregate(total=Coalesce(Sum("points"), 0))["total"]
    return {
        "is_active": settings_row.is_active,
        "members": sum(counts.values()),
        "by_tier": tiers,
        "points_outstanding": outstanding,
        "liability": money(Decimal(outstanding) * settings_row.point_value),
        "point_value": settings_row.point_value,
    }


def loyalty_recent_figures(*, now: datetime | None = None, days: int = RECENT_DAYS) -> dict:
    """Points earned (earnings and bonuses), redeemed and expired over the last ``days``: one query."""
    since = (now or timezone.now()) - timedelta(days=days)
    figures = PointsEntry.objects.filter(created_at__gte=since).aggregate(
        earned=Coalesce(Sum("points", filter=Q(kind__in=EARNING_KINDS)), 0),
        redeemed=Coalesce(Sum("points", filter=Q(kind=Kind.REDEEM)), 0),
        expired=Coalesce(Sum("points", filter=Q(kind=Kind.EXPIRE)), 0),
    )
    return {"earned": figures["earned"], "redeemed": -figures["redeemed"], "expired": -figures["expired"], "days": days}


def _balance_subquery() -> Subquery:
    return Subquery(
        PointsEntry.objects.filter(account=OuterRef("pk"))
        .order_by()
        .values("account")
        .annotate(total=Sum("points"))
        .values("total"),
        output_field=IntegerField(),
    )


def top_members(*, user: User) -> QuerySet[LoyaltyAccount]:
    """Members the user may see (through their customer), highest balance first."""
    return (
        LoyaltyAccount.objects.filter(customer__in=customers_for(user=user))
        .select_related("customer", "tier")
        .annotate(balance=Coalesce(_balance_subquery(), Value(0)))
        .order_by("-balance", "pk")
    )


def tiers_with_members() -> list[LoyaltyTier]:
    return list(LoyaltyTier.objects.annotate(members=Count("accounts")).order_by("threshold"))


def earning_rules() -> list[EarningRule]:
    return list(EarningRule.objects.select_related("category", "group").order_by("-is_active", "name"))


def loyalty_customer(*, user: User, pk: int) -> Customer:
    """A customer the user may see, or 404."""
    return get_object_or_404(customers_for(user=user), pk=pk)


@dataclass
class MemberFigures:
    balance: int
    earned_in_window: int
    expiring_soon: int


def member_figures(account: LoyaltyAccount | None, *, settings_row: LoyaltySettings, now: datetime) -> MemberFigures:
    """The balance, the points earned over the tier window and the points that expire in the
    next 30 days (FIFO, as the expiry job counts them): one query."""
    if account is None:
        return MemberFigures(0, 0, 0)
    window = Q(kind__in=EARNING_KINDS)
    if settings_row.tier_window_months:
        window &= Q(created_at__gt=add_months(now, -settings_row.tier_window_months))
    figures = PointsEntry.objects.filter(account=account).aggregate(
        balance=Coalesce(Sum("points"), 0),
        window=Coalesce(Sum("points", filter=window), 0),
        expiring=Coalesce(
            Sum("points", filter=Q(points__gt=0, expires_at__lte=now + timedelta(days=EXPIRING_DAYS))), 0
        ),
        used=Coalesce(Sum("points", filter=Q(points__lt=0)), 0),
    )
    return MemberFigures(
        balance=figures["balance"],
        earned_in_window=figures["window"],
        expiring_soon=max(0, figures["expiring"] + figures["used"]),
    )


def _next_tier(account: LoyaltyAccount | None, earned: int, tiers: list[LoyaltyTier]) -> dict | None:
    current_threshold = account.tier.threshold if account and account.tier else -1
    for tier in tiers:
        if tier.threshold > current_threshold and tier.threshold > earned:
            low = account.tier.threshold if account and account.tier else 0
            span = max(tier.threshold - low, 1)
            progress = max(0, min(100, int((earned - low) * 100 / span)))
            return {"tier": tier, "missing": tier.threshold - earned, "progress": progress}
    return None


def redeemable_invoices(*, user: User, customer: Customer) -> QuerySet[Invoice]:
    """The customer's open invoices the user may take a payment on (none for users without sales records)."""
    return (
        invoices_for(user=user, action=Action.CHANGE)
        .filter(customer=customer, status__in=OPEN_INVOICE)
        .order_by("due_on", "id")
    )


def can_redeem(user: User) -> bool:
    return record_scope(user, "sales", Action.CHANGE) != Scope.NONE


def member_page(*, customer: Customer, now: datetime | None = None) -> dict:
    """A member's tier, balance, progress to the next tier and ledger (the ledger is a queryset
    the view paginates): five queries."""
    now = now or timezone.now()
    settings_row = LoyaltySettings.load()
    account = LoyaltyAccount.objects.select_related("tier").filter(customer=customer).first()
    figures = member_figures(account, settings_row=settings_row, now=now)
    tiers = list(LoyaltyTier.objects.order_by("threshold"))
    ledger = (
        PointsEntry.objects.filter(account=account).select_related("order", "created_by").order_by("-created_at", "-id")
        if account
        else PointsEntry.objects.none()
    )
    return {
        "settings": settings_row,
        "account": account,
        "figures": figures,
        "balance_value": money(Decimal(figures.balance) * settings_row.point_value),
        "next_tier": _next_tier(account, figures.earned_in_window, tiers),
        "tiers": tiers,
        "ledger": ledger,
    }


def customer_loyalty_panel(*, customer: Customer, now: datetime | None = None) -> dict:
    """The 360° panel: balance, tier, points expiring in the next 30 days and the last entries:
    four queries, whatever the member's history."""
    now = now or timezone.now()
    settings_row = LoyaltySettings.load()
    if not settings_row.is_active:
        return {"programme_active": False}
    account = LoyaltyAccount.objects.select_related("tier").filter(customer=customer).first()
    figures = member_figures(account, settings_row=settings_row, now=now)
    entries = (
        list(PointsEntry.objects.filter(account=account).order_by("-created_at", "-id")[:PANEL_ENTRIES])
        if account
        else []
    )
    return {
        "programme_active": True,
        "settings": settings_row,
        "account": account,
        "figures": figures,
        "balance_value": money(Decimal(figures.balance) * settings_row.point_value),
        "entries": entries,
        "expiring_days": EXPIRING_DAYS,
    }
