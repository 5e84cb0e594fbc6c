"""Writes of the loyalty programme: earn points on a paid order, redeem them against an invoice,
expire them, adjust by hand, move customers between tiers, and the programme's setup.

The points ledger (``PointsEntry``) is append-only: nothing here updates or deletes an entry, and
a customer's balance is always the sum of their entries. Each entry carries a unique ``key``, so
an earning happens once per order and an expiry once per account and day however often the job
or the event runs. A redemption locks the member's account row before it reads the balance, so
two redemptions at once are checked one after the other and can never spend more than there is.
"""

import calendar
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from crm_site.access import Role, has_role
from crm_site.events import Event, announce
from crm_site.messaging.services import OutgoingMessage, messages_enqueue_many
from crm_site.models import Channel, Purpose, User
from customers.models import Customer, CustomerGroup, Interaction
from marketing.models import EarningRule, LoyaltyAccount, LoyaltySettings, LoyaltyTier, PointsEntry
from sales.models import Invoice, Order, OrderLine, Payment
from sales.services.aftersale import message_render
from sales.services.invoices import payment_record
from sales.totals import ZERO, money

logger = logging.getLogger(__name__)

Kind = PointsEntry.Kind
EARNING_KINDS = (Kind.EARN, Kind.BONUS)  # what tiers count
OPEN_INVOICE = (Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID)
ONE = Decimal(1)
CHUNK = 900  # accounts per statement (below SQLite's limit on parameters)
CATCH_UP_DAYS = 7  # how far back the daily job looks for paid orders that earned nothing


# --- helpers -------------------------------------------------------------------------------------


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus whole months, the day clipped to the target month's length (31 Jan + 1 = 28/29 Feb)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def expiry_for(settings_row: LoyaltySettings, now: datetime) -> datetime | None:
    return add_months(now, settings_row.expiry_months) if settings_row.expiry_months else None


def ledger_balance(account_id: int) -> int:
    return PointsEntry.objects.filter(account_id=account_id).aggregate(total=Coalesce(Sum("points"), 0))["total"]


def _account_for(customer: Customer, now: datetime) -> LoyaltyAccount:
    account, _created = LoyaltyAccount.objects.get_or_create(customer=customer, defaults={"joined_at": now})
    return account


def _append(entry: PointsEntry) -> PointsEntry | None:
    """Insert an entry once per key: None when an entry with that key already exists."""
    # The key's uniqueness is the database's to enforce (a concurrent run may insert it first).
    entry.full_clean(exclude=["account", "order", "created_by"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        if PointsEntry.objects.filter(key=entry.key).exists():
            return None
        raise
    return entry


# --- earning -------------------------------------------------------------------------------------


def active_rules(today=None) -> list[EarningRule]:
    today = today or timezone.localdate()
    return list(
        EarningRule.objects.filter(is_active=True)
        .filter(Q(starts_on__isnull=True) | Q(starts_on__lte=today), Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .select_related("category", "group")
    )


def line_multiplier(rules: Iterable[EarningRule], *, category_path: str | None, group_paths: list[str]) -> Decimal:
    """The largest multiplier of the rules that match a line (1 when none does). A rule matches
    when its category is the line's product category or one of its ancestors, and its group is
    one of the customer's groups or their ancestors; a rule with neither (a bonus period)
    matches every line. A rule with both needs both."""
    best = None
    for rule in rules:
        if rule.category_id and not (category_path or "").startswith(rule.category.path):
            continue
        if rule.group_id and not any(path.startswith(rule.group.path) for path in group_paths):
            continue
        best = rule.multiplier if best is None else max(best, rule.multiplier)
    return ONE if best is None else best


@dataclass(frozen=True)
class Earning:
    points: int
    amount: Decimal  # the amount the points are earned on (net of tax and of the points-paid share)
    weighted: Decimal  # the amount after the rules' multipliers, before the tier's


def order_earning(*, order: Order, settings_row: LoyaltySettings, tier: LoyaltyTier | None, today=None) -> Earning:
    """What an order earns: Σ line net × best rule multiplier × tier multiplier / amount per
    point, rounded down, on the share of the order not paid with points."""
    rules = active_rules(today)
    group_paths = list(CustomerGroup.objects.filter(customers=order.customer_id).values_list("path", flat=True))
    lines = OrderLine.objects.filter(order=order).values_list("net_amount", "product__category__path")
    net = weighted = ZERO
    for net_amount, category_path in lines:
        net += net_amount
        weighted += net_amount * line_multiplier(rules, category_path=category_path, group_paths=group_paths)
    points_paid = Payment.objects.filter(
        invoice__order=order, method=Payment.Method.POINTS, invoice__status__in=[*OPEN_INVOICE, Invoice.Status.PAID]
    ).aggregate(total=Coalesce(Sum("amount"), ZERO))["total"]
    share = ONE
    if points_paid > ZERO and order.total > ZERO:
        share = max(ZERO, ONE - Decimal(points_paid) / Decimal(order.total))
    tier_multiplier = tier.multiplier if tier is not None else ONE
    raw = weighted * share * tier_multiplier / Decimal(settings_row.amount_per_point)
    points = int(raw.to_integral_value(rounding=ROUND_FLOOR))
    return Earning(points=max(points, 0), amount=money(net * share), weighted=money(weighted * share))


def points_earn_for_order(order: Order, *, now: datetime | None = None) -> PointsEntry | None:
    """Credit the points a paid order earns, once per order (key "earn:order:<id>"), and move
    the member to the tier those points reach. Returns the new entry, or None when the order
    earns nothing (programme off, order not paid, nothing left after the points-paid share) or
    was already credited."""
    now = now or timezone.now()
    settings_row = LoyaltySettings.load()
    if not settings_row.is_active:
        return None
    order = Order.objects.select_related("customer").get(pk=order.pk)
    if order.paid_at is None:
        return None
    key = f"earn:order:{order.pk}"
    if PointsEntry.objects.filter(key=key).exists():
        return None
    member = LoyaltyAccount.objects.select_related("tier").filter(customer_id=order.customer_id).first()
    tier = member.tier if member is not None else None
    earning = order_earning(order=order, settings_row=settings_row, tier=tier)
    if earning.points <= 0:
        return None
    with transaction.atomic():
        account = _account_for(order.customer, now)
        entry = _append(
            PointsEntry(
                account=account,
                kind=Kind.EARN,
                points=earning.points,
                created_at=now,
                expires_at=expiry_for(settings_row, now),
                order=order,
                amount=earning.amount,
                note=_("Order %(number)s") % {"number": order.number},
                key=key,
            )
        )
        if entry is not None:
            tiers_refresh(account_ids=[account.pk], now=now, occasion=f"{entry.pk}")
    return entry


def points_earn_missed(*, now: datetime | None = None, days: int = CATCH_UP_DAYS) -> int:
    """Credit the orders paid in the last ``days`` that earned nothing yet: the ORDER_PAID event
    reaches the earning task through the broker, and an event announced while the broker was
    down is lost. The daily job calls this as the safety net; the entry key keeps it at once per
    order. Returns how many orders were credited."""
    now = now or timezone.now()
    missed = (
        Order.objects.filter(paid_at__gte=now - timedelta(days=days), paid_at__lte=now)
        .exclude(Exists(PointsEntry.objects.filter(order=OuterRef("pk"), kind=Kind.EARN)))
        .order_by("paid_at", "pk")
    )
    return sum(1 for order in missed if points_earn_for_order(order, now=now) is not None)


# --- redemption ----------------------------------------------------------------------------------


def points_redeem(*, customer: Customer, invoice: Invoice, points: int, by: User | None) -> PointsEntry:
    """Spend ``points`` of the customer's balance on one of their open invoices: a REDEEM entry
    and a payment by points worth ``points × point value``, in one transaction. The member's
    account row is locked first, so concurrent redemptions cannot overspend the balance."""
    settings_row = LoyaltySettings.load()
    if not settings_row.is_active:
        raise ValidationError(_("The loyalty programme is switched off."))
    try:
        points = int(points)
    except (TypeError, ValueError):
        raise ValidationError({"points": _("Enter a whole number of points.")}) from None
    if points <= 0:
        raise ValidationError({"points": _("Enter a number of points greater than zero.")})
    if invoice.customer_id != customer.pk:
        raise ValidationError({"invoice": _("This invoice is not the customer's.")})
    if points < settings_row.min_redemption:
        raise ValidationError(
            {"points": _("At least %(min)s points must be redeemed at a time.") % {"min": settings_row.min_redemption}}
        )
    value = money(Decimal(points) * settings_row.point_value)
    now = timezone.now()
    with transaction.atomic():
        account = LoyaltyAccount.objects.select_for_update().filter(customer=customer).first()
        if account is None:
            raise ValidationError(_("This customer is not a member of the loyalty programme."))
        # Points past their expiry date are not spendable, even before the nightly job writes
        # them off.
        balance = ledger_balance(account.pk) - _unspent_expired([account.pk], now=now).get(account.pk, 0)
        if points > balance:
            raise ValidationError(
                {"points": _("The customer has only %(balance)s points.") % {"balance": number_format(balance)}}
            )
        fresh = Invoice.objects.get(pk=invoice.pk)
        if fresh.status not in OPEN_INVOICE:
            raise ValidationError({"invoice": _("This invoice takes no payment.")})
        if value > fresh.total - fresh.amount_paid:
            raise ValidationError(
                {
                    "points": _("%(points)s points are worth %(value)s, more than the invoice's balance (%(balance)s).")
                    % {
                        "points": number_format(points),
                        "value": number_format(value, decimal_pos=2),
                        "balance": number_format(fresh.total - fresh.amount_paid, decimal_pos=2),
                    }
                }
            )
        entry = PointsEntry(
            account=account,
            kind=Kind.REDEEM,
            points=-points,
            created_at=now,
            order_id=fresh.order_id,
            amount=value,
            note=_("Invoice %(number)s") % {"number": fresh.number},
            key=f"redeem:{account.pk}:{uuid.uuid4().hex}",
            created_by=by,
        )
        entry.full_clean(exclude=["account", "order", "created_by"])
        entry.save()
        payment_record(
            invoice=fresh,
            amount=value,
            method=Payment.Method.POINTS,
            paid_at=now,
            reference=f"LOY-{entry.pk}",
            by=by,
        )
    return entry


# --- manual adjustment and enrolment -------------------------------------------------------------


def loyalty_enrol(*, customer: Customer, by: User | None = None) -> LoyaltyAccount:
    """Make the customer a member (idempotent); the programme gives no points for joining."""
    account = _account_for(customer, timezone.now())
    if account.tier_id is None:
        tiers_refresh(account_ids=[account.pk], occasion="enrol")
        account.refresh_from_db()
    return account


def points_adjust(*, customer: Customer, points: int, note: str, by: User) -> PointsEntry:
    """A manager's correction: add (positive) or take away (negative) points, with a reason.
    Added points do not expire; a correction may not take the balance below zero."""
    if not has_role(by, Role.MANAGER, Role.ADMIN):
        raise ValidationError(_("Only a manager may adjust points."))
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say why the points are adjusted.")})
    try:
        points = int(points)
    except (TypeError, ValueError):
        raise ValidationError({"points": _("Enter a whole number of points.")}) from None
    if points == 0:
        raise ValidationError({"points": _("Enter a number of points other than zero.")})
    now = timezone.now()
    with transaction.atomic():
        if points > 0:
            _account_for(customer, now)
        account = LoyaltyAccount.objects.select_for_update().filter(customer=customer).first()
        if account is None:
            raise ValidationError(_("This customer is not a member of the loyalty programme."))
        balance = ledger_balance(account.pk)
        if balance + points < 0:
            raise ValidationError(
                {"points": _("The customer has only %(balance)s points.") % {"balance": number_format(balance)}}
            )
        entry = PointsEntry(
            account=account,
            kind=Kind.ADJUST,
            points=points,
            created_at=now,
            note=note[:200],
            key=f"adjust:{account.pk}:{uuid.uuid4().hex}",
            created_by=by,
        )
        entry.full_clean(exclude=["account", "order", "created_by"])
        entry.save()
    return entry


# --- expiry --------------------------------------------------------------------------------------


def _unspent_expired(account_ids=None, *, now: datetime) -> dict[int, int]:
    """Per account, the points of earnings whose time has passed that are still unspent (FIFO:
    what was redeemed, expired or taken away came out of the oldest points first): one query."""
    entries = PointsEntry.objects.all()
    if account_ids is not None:
        entries = entries.filter(account_id__in=account_ids)
    rows = (
        entries.values("account_id")
        .annotate(
            expired=Coalesce(Sum("points", filter=Q(points__gt=0, expires_at__lte=now)), 0),
            used=Coalesce(Sum("points", filter=Q(points__lt=0)), 0),
        )
        .filter(expired__gt=0)
        .values_list("account_id", "expired", "used")
    )
    return {account_id: expired + used for account_id, expired, used in rows if expired + used > 0}


def points_expire(*, now: datetime | None = None) -> int:
    """Append one EXPIRE entry per account for its expired, unspent points (key
    "expire:<account>:<date>"). Set-based: one aggregate finds the accounts; then, a chunk of
    accounts at a time, their rows are locked (so no redemption runs in between), the aggregate
    runs again for them and the entries go in with one bulk insert. Running it twice expires
    nothing more. Returns the number of accounts whose points expired."""
    now = now or timezone.now()
    candidates = sorted(_unspent_expired(now=now))
    today = timezone.localdate(now).isoformat()
    expired = 0
    for start in range(0, len(candidates), CHUNK):
        with transaction.atomic():
            locked = list(
                LoyaltyAccount.objects.select_for_update()
                .filter(pk__in=candidates[start : start + CHUNK])
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            entries = [
                PointsEntry(
                    account_id=account_id,
                    kind=Kind.EXPIRE,
                    points=-points,
                    created_at=now,
                    note=_("Points expired"),
                    key=f"expire:{account_id}:{today}",
                )
                for account_id, points in _unspent_expired(locked, now=now).items()
            ]
            PointsEntry.objects.bulk_create(entries, batch_size=CHUNK, ignore_conflicts=True)
            expired += len(entries)
    return expired


# --- tiers ---------------------------------------------------------------------------------------


def tier_for(points: int, tiers: list[LoyaltyTier]) -> LoyaltyTier | None:
    """The highest tier whose threshold ``points`` reach (tiers in ascending threshold order)."""
    reached = None
    for tier in tiers:
        if points >= tier.threshold:
            reached = tier
    return reached


def earned_in_window(account_ids=None, *, now: datetime, window_months: int) -> list[tuple[int, int | None, int]]:
    """(account id, current tier id, points earned over the window) of every account (or of
    ``account_ids``): one query."""
    condition = Q(entries__kind__in=EARNING_KINDS)
    if window_months:
        condition &= Q(entries__created_at__gt=add_months(now, -window_months))
    accounts = LoyaltyAccount.objects.all()
    if account_ids is not None:
        accounts = accounts.filter(pk__in=account_ids)
    return list(
        accounts.annotate(earned=Coalesce(Sum("entries__points", filter=condition), 0))
        .order_by()
        .values_list("pk", "tier_id", "earned")
    )


def tiers_refresh(*, account_ids: list[int] | None = None, now: datetime | None = None, occasion: str = "") -> int:
    """Put each member (all, or ``account_ids``) in the tier their points earned over the tier
    window reach, promoting and demoting. Each change is announced (LOYALTY_TIER_CHANGED), gets a
    timeline entry and, with SMS consent, the tier change SMS. ``occasion`` names the change in
    its keys (the earning entry's id); the daily run uses the date. Returns the number changed."""
    now = now or timezone.now()
    settings_row = LoyaltySettings.load()
    tiers = list(LoyaltyTier.objects.order_by("threshold"))
    by_id = {tier.pk: tier for tier in tiers}
    changed: list[tuple[int, int | None, int | None]] = []  # account, old tier, new tier
    for account_id, tier_id, points in earned_in_window(
        account_ids, now=now, window_months=settings_row.tier_window_months
    ):
        reached = tier_for(points, tiers)
        reached_id = reached.pk if reached else None
        if tier_id != reached_id:
            changed.append((account_id, tier_id, reached_id))
    suffix = occasion or timezone.localdate(now).isoformat()
    for start in range(0, len(changed), CHUNK):
        batch = changed[start : start + CHUNK]
        with transaction.atomic():
            moves: dict[int | None, list[int]] = {}
            for account_id, _old, new in batch:
                moves.setdefault(new, []).append(account_id)
            for tier_id, ids in moves.items():
                LoyaltyAccount.objects.filter(pk__in=ids).update(tier_id=tier_id, tier_changed_at=now)
            _announce_changes(batch, tiers=by_id, settings_row=settings_row, now=now, suffix=suffix)
    return len(changed)


def _announce_changes(
    changed: list[tuple[int, int | None, int | None]],
    *,
    tiers: dict[int, LoyaltyTier],
    settings_row: LoyaltySettings,
    now: datetime,
    suffix: str,
) -> None:
    accounts = {
        account.pk: account
        for account in LoyaltyAccount.objects.filter(pk__in=[pk for pk, _old, _new in changed]).select_related(
            "customer"
        )
    }
    balances = dict(
        PointsEntry.objects.filter(account_id__in=list(accounts))
        .values("account_id")
        .annotate(total=Sum("points"))
        .values_list("account_id", "total")
    )
    messages, interactions = [], []
    for account_id, old_id, new_id in changed:
        account = accounts[account_id]
        customer = account.customer
        old, new = tiers.get(old_id), tiers.get(new_id)
        old_name, new_name = (old.name if old else ""), (new.name if new else "")
        key = f"tier:{account_id}:{suffix}"
        announce(
            Event.LOYALTY_TIER_CHANGED,
            customer_id=customer.pk,
            key=key,
            source=account,
            occurred_at=now,
            old=old_name,
            new=new_name,
        )
        up = new is not None and (old is None or new.threshold > old.threshold)
        subject = (
            _("Loyalty tier: %(old)s → %(new)s") % {"old": old_name or _("none"), "new": new_name or _("none")}
            if old_name
            else _("Loyalty tier: %(new)s") % {"new": new_name}
        )
        interactions.append(
            Interaction(
                customer_id=customer.pk,
                kind=Interaction.Kind.SYSTEM,
                occurred_at=now,
                subject=subject[:200],
                body=_("Promoted.") if up else _("Moved down: fewer points earned over the tier window."),
            )
        )
        if new is not None and settings_row.tier_change_sms.strip() and customer.sms_consent and customer.phone:
            body = _render_sms(
                settings_row.tier_change_sms, customer=customer, tier=new_name, points=balances.get(account_id, 0)
            )
            messages.append(
                OutgoingMessage(
                    channel=Channel.SMS,
                    recipient=customer.phone,
                    body=body,
                    idempotency_key=f"loyalty-{key}",
                    purpose=Purpose.MARKETING,
                    concerning=account,
                )
            )
    Interaction.objects.bulk_create(interactions, batch_size=2000)
    if messages:
        messages_enqueue_many(messages)


def _render_sms(template: str, *, customer: Customer, tier: str, points: int) -> str:
    values = {
        "first_name": customer.greeting_name,
        "name": customer.name,
        "tier": tier,
        "points": number_format(points),
    }
    # One pass: a name that looks like a placeholder ("{points}") is not filled in again.
    return message_render(template=template, values=values)


# --- setup ---------------------------------------------------------------------------------------


def _refresh_tiers_later() -> None:
    from marketing.tasks.loyalty import loyalty_refresh_tiers

    transaction.on_commit(lambda: _delay_quietly(loyalty_refresh_tiers))


def _delay_quietly(task) -> None:
    try:
        task.delay()
    except Exception:  # the broker may be down; the daily run catches up
        logger.warning("Could not queue %s; the daily run will do it.", task.name, exc_info=True)


@transaction.atomic
def loyalty_settings_save(*, settings_row: LoyaltySettings, by: User) -> LoyaltySettings:
    if not has_role(by, Role.MANAGER, Role.ADMIN):
        raise ValidationError(_("Only a manager may change the loyalty programme."))
    if settings_row.amount_per_point is not None and settings_row.amount_per_point <= ZERO:
        raise ValidationError({"amount_per_point": _("Enter an amount greater than zero.")})
    if settings_row.point_value is not None and settings_row.point_value < ZERO:
        raise ValidationError({"point_value": _("A point cannot be worth less than nothing.")})
    settings_row.pk = 1
    settings_row.full_clean()
    settings_row.save()
    return settings_row


def _check_multiplier(value: Decimal | None) -> None:
    if value is not None and value < ZERO:
        raise ValidationError({"multiplier": _("The multiplier cannot be negative.")})


@transaction.atomic
def loyalty_tier_save(*, tier: LoyaltyTier, by: User) -> LoyaltyTier:
    if not has_role(by, Role.MANAGER, Role.ADMIN):
        raise ValidationError(_("Only a manager may change the tiers."))
    _check_multiplier(tier.multiplier)
    tier.full_clean()
    tier.save()
    _refresh_tiers_later()
    return tier


@transaction.atomic
def loyalty_tier_delete(*, tier: LoyaltyTier, by: User) -> None:
    if not has_role(by, Role.MANAGER, Role.ADMIN):
        raise ValidationError(_("Only a manager may change the tiers."))
    tier.delete()
    _refresh_tiers_later()


@transaction.atomic
def earning_rule_save(*, rule: EarningRule, by: User) -> EarningRule:
    if not has_role(by, Role.MANAGER, Role.ADMIN):
        raise ValidationError(_("Only a manager may change the earning rules."))
    _check_multiplier(rule.multiplier)
    if rule.starts_on and rule.ends_on and rule.ends_on < rule.starts_on:
        raise ValidationError({"ends_on": _("The end comes before the start.")})
    if not (rule.category_id or rule.group_id) and not (rule.starts_on and rule.ends_on):
        raise ValidationError(
            _("A bonus for everyone needs a period: give it a start and an end, or pick a category or a group.")
        )
    rule.full_clean()
    rule.save()
    return rule


@transaction.atomic
def earning_rule_delete(*, rule: EarningRule, by: User) -> None:
    if not has_role(by, Role.MANAGER, Role.ADMIN):
        raise ValidationError(_("Only a manager may change the earning rules."))
    rule.delete()
