"""Demo loyalty programme: settings, four tiers, two earning rules, and a member with a ledger
for every customer with a paid order: the points each paid order earned (at the rules of the day
it was paid), the points that have since expired, a few redemptions against open invoices (with
their payments by points), and the tier the last twelve months' earnings reach.

Everything is derived from the sales demo's rows in bulk: one aggregate query reads every paid
order with its net amount (and the share in the ×2 category); the ledger is computed in Python
over those tuples and written with bulk inserts (COPY on PostgreSQL). Demo earnings are at the
base rate (the tier multiplier, which changes over time, is left out), and nothing is announced
or sent: this is history.
"""

from collections import defaultdict
from datetime import timedelta
from decimal import ROUND_FLOOR, Decimal

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm_site.bulkload import BulkTables, bulk_table, next_ids, sequences_reset
from crm_site.demo import DemoContext
from marketing.models import EarningRule, LoyaltyAccount, LoyaltySettings, LoyaltyTier, PointsEntry
from marketing.services.loyalty import add_months
from sales.demo.common import Clock
from sales.models import Invoice, Order, Payment, ProductCategory
from sales.totals import ZERO, money

# Demo order totals are tens to hundreds of millions of rials: one point per million paid, a
# point worth 10,000 rials (1% back), so a retail customer earns a few hundred points a year and
# a wholesale buyer tens of thousands.
AMOUNT_PER_POINT = Decimal("1000000")
POINT_VALUE = Decimal("10000")
TIERS = [
    # name, points over 12 months, multiplier, colour, benefits
    ("Bronze", 0, "1.00", "secondary", "Points on every purchase."),
    ("Silver", 1_000, "1.10", "info", "10% more points; birthday gift."),
    ("Gold", 5_000, "1.25", "warning", "25% more points; free delivery and installation."),
    ("Platinum", 20_000, "1.50", "dark", "50% more points; a dedicated account manager; early access to sales."),
]
DOUBLE_CATEGORY = "Appliances"  # and its sub-categories
BONUS_DAYS_AGO, BONUS_LENGTH = 45, 30  # a bonus month that ended a fortnight ago
REDEMPTIONS = 300  # at most: members with an open invoice spend some points on it


def _floor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def seed(ctx: DemoContext) -> None:
    rng = ctx.rng_for("marketing.loyalty")
    now = Clock().midnight  # a fixed moment all day, so a seed gives the same data
    today = timezone.localdate(now)

    settings_row = LoyaltySettings.load()
    settings_row.is_active = True
    settings_row.amount_per_point = AMOUNT_PER_POINT
    settings_row.point_value = POINT_VALUE
    settings_row.expiry_months = 12
    settings_row.min_redemption = 100
    settings_row.tier_window_months = 12
    settings_row.save()

    LoyaltyTier.objects.bulk_create(
        [
            LoyaltyTier(name=name, threshold=threshold, multiplier=Decimal(multiplier), color=color, benefits=benefits)
            for name, threshold, multiplier, color, benefits in TIERS
        ]
    )
    tiers = sorted(LoyaltyTier.objects.all(), key=lambda tier: tier.threshold)

    category = ProductCategory.objects.filter(name=DOUBLE_CATEGORY, parent__isnull=True).first()
    bonus_start = today - timedelta(days=BONUS_DAYS_AGO)
    bonus_end = bonus_start + timedelta(days=BONUS_LENGTH - 1)
    rules = [
        EarningRule(name="Autumn bonus month", multiplier=Decimal("2"), starts_on=bonus_start, ends_on=bonus_end),
    ]
    if category is not None:
        rules.append(EarningRule(name=f"Double points on {category.name}", category=category, multiplier=Decimal("2")))
    EarningRule.objects.bulk_create(rules)

    # Every paid order, with its net amount and the part of it in the ×2 category: one query.
    in_category = Q(lines__product__category__path__startswith=category.path) if category else Q(pk__in=[])
    orders = (
        Order.objects.filter(paid_at__isnull=False)
        .order_by("paid_at", "id")
        .annotate(
            net=Coalesce(Sum("lines__net_amount"), ZERO),
            doubled=Coalesce(Sum("lines__net_amount", filter=in_category), ZERO),
        )
        .values_list("id", "number", "customer_id", "paid_at", "net", "doubled")
    )
    earnings: dict[int, list[tuple[int, str, object, int, Decimal]]] = defaultdict(list)
    for order_id, number, customer_id, paid_at, net, doubled in orders.iterator(chunk_size=20_000):
        paid_on = timezone.localdate(paid_at)
        weighted = net * 2 if bonus_start <= paid_on <= bonus_end else net + doubled
        points = _floor(weighted / AMOUNT_PER_POINT)
        if points > 0:
            earnings[customer_id].append((order_id, number, paid_at, points, net))
    if not earnings:
        ctx.summary.append("Loyalty: no members (no paid orders)")
        return

    # Open invoices a member may spend points on (the oldest first): one query.
    open_invoices: dict[int, tuple[int, str, int, Decimal, Decimal]] = {}
    for invoice_id, number, customer_id, order_id, total, paid in (
        Invoice.objects.filter(status__in=[Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID])
        .order_by("issued_on", "id")
        .values_list("id", "number", "customer_id", "order_id", "total", "amount_paid")
    ):
        open_invoices.setdefault(customer_id, (invoice_id, number, order_id, total, paid))

    start = next_ids(LoyaltyAccount, PointsEntry)
    tables = BulkTables(
        accounts=bulk_table(LoyaltyAccount, with_pk=True),
        entries=bulk_table(PointsEntry),
        payments=bulk_table(Payment),
    )
    window_start = add_months(now, -settings_row.tier_window_months)
    account_id = start[LoyaltyAccount]
    redeemed_invoices: list[tuple[int, Decimal, Decimal]] = []
    counts = defaultdict(int)
    customer_ids = list(earnings)
    rng.shuffle(customer_ids)
    redeemers = {pk for pk in customer_ids if pk in open_invoices}
    redeemers = set(list(redeemers)[:REDEMPTIONS])

    for customer_id in sorted(earnings):
        rows = earnings[customer_id]
        balance = expired = in_window = 0
        last_expiry = None
        for order_id, number, paid_at, points, net in rows:
            expires_at = add_months(paid_at, settings_row.expiry_months)
            tables.entries.add(
                account_id=account_id,
                kind=PointsEntry.Kind.EARN,
                points=points,
                created_at=paid_at,
                expires_at=expires_at,
                order_id=order_id,
                amount=money(net),
                note=f"Order {number}",
                key=f"earn:order:{order_id}",
            )
            balance += points
            if expires_at <= now:
                expired += points
                last_expiry = expires_at
            if paid_at > window_start:
                in_window += points
        counts["earn"] += len(rows)
        if expired:
            tables.entries.add(
                account_id=account_id,
                kind=PointsEntry.Kind.EXPIRE,
                points=-expired,
                created_at=last_expiry,
                note="Points expired",
                key=f"expire:{account_id}:{timezone.localdate(last_expiry).isoformat()}",
            )
            balance -= expired
            counts["expire"] += 1
        if customer_id in redeemers and balance >= settings_row.min_redemption:
            invoice_id, invoice_number, order_id, total, paid = open_invoices[customer_id]
            room = _floor((total - paid) / POINT_VALUE) - 1  # leave something to pay: the invoice stays open
            points = min(balance, room, rng.randrange(settings_row.min_redemption, max(balance, 101) + 1))
            if points >= settings_row.min_redemption:
                value = money(Decimal(points) * POINT_VALUE)
                when = now - timedelta(days=rng.randrange(1, 20), hours=rng.randrange(0, 8))
                tables.entries.add(
                    account_id=account_id,
                    kind=PointsEntry.Kind.REDEEM,
                    points=-points,
                    created_at=when,
                    order_id=order_id,
                    amount=value,
                    note=f"Invoice {invoice_number}",
                    key=f"redeem:{account_id}:demo",
                )
                tables.payments.add(
                    invoice_id=invoice_id,
                    customer_id=customer_id,
                    amount=value,
                    method=Payment.Method.POINTS,
                    paid_at=when,
                    reference=f"LOY-demo-{account_id}",
                    created_at=when,
                )
                redeemed_invoices.append((invoice_id, paid + value, total))
                counts["redeem"] += 1
        tier = None
        for candidate in tiers:
            if in_window >= candidate.threshold:
                tier = candidate
        tables.accounts.add(
            id=account_id,
            customer_id=customer_id,
            tier_id=tier.pk if tier else None,
            joined_at=rows[0][2],
            tier_changed_at=now if tier else None,
        )
        counts[tier.name if tier else ""] += 1
        account_id += 1
        if account_id % 10_000 == 0:
            tables.flush()
    tables.flush()
    sequences_reset(LoyaltyAccount)

    if redeemed_invoices:
        invoices = Invoice.objects.in_bulk([invoice_id for invoice_id, _paid, _total in redeemed_invoices])
        for invoice_id, paid, _total in redeemed_invoices:
            invoice = invoices[invoice_id]
            invoice.amount_paid = paid
            invoice.status = Invoice.Status.PARTIALLY_PAID
        Invoice.objects.bulk_update(invoices.values(), ["amount_paid", "status"], batch_size=500)

    members = account_id - start[LoyaltyAccount]
    by_tier = ", ".join(f"{counts[tier.name]:,} {tier.name}" for tier in tiers)
    ctx.summary.append(
        f"Loyalty: {members:,} members ({by_tier}), {counts['earn']:,} earnings, "
        f"{counts['expire']:,} expiries, {counts['redeem']:,} redemptions"
    )
