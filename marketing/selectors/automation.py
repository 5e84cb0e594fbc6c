"""Reads of automation: the rule list and page, the firings log, and who a rule would reach today
(the daily job's selections and the dry run share them)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import CharField, Count, Exists, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from crm_site.access import scope_queryset
from crm_site.events import Event
from customers.models import Customer
from marketing.models import AutomationRule, RuleFiring, Segment, SegmentMembership
from marketing.rules import REAL_ORDER_STATUSES, describe_rules, rules_q
from marketing.selectors.segments import segment_customers
from marketing.services.automation_actions import Names, action_describe
from sales.models import Lead, Order
from service.models import Ticket

DRY_RUN_SAMPLE = 20
RECENT_DAYS = 30
# Events found by the daily job rather than announced by another app.
DAILY_EVENTS = frozenset({Event.BIRTHDAY, Event.NO_PURCHASE, Event.SEGMENT_ENTERED, Event.SEGMENT_LEFT})
SEGMENT_EVENTS = frozenset({Event.SEGMENT_ENTERED, Event.SEGMENT_LEFT})


# --- lists and pages -----------------------------------------------------------------------------


def rule_list_queryset() -> QuerySet[AutomationRule]:
    """Every rule with its firings of the last 30 days and its last firing (one query a page)."""
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    fired = ~Q(firings__status=RuleFiring.Status.SKIPPED)
    return AutomationRule.objects.annotate(
        recent_firings=Count("firings", filter=fired & Q(firings__fired_at__gte=since)),
        last_fired_at=Max("firings__fired_at", filter=fired),
    ).order_by("-is_active", "name", "pk")


def rule_get(*, pk: int) -> AutomationRule:
    return get_object_or_404(AutomationRule, pk=pk)


def conditions_words(tree: dict) -> str:
    return describe_rules(tree or {})


def actions_words(rules: list[AutomationRule]) -> dict[int, list[str]]:
    """Each rule's actions in words, reading the users, lists and campaigns they name once."""
    names = Names.for_actions(rule.actions or [] for rule in rules)
    return {rule.pk: [action_describe(config, names) for config in rule.actions or []] for rule in rules}


def firings_queryset(*, rule: AutomationRule, user, status: str = "") -> QuerySet[RuleFiring]:
    """The rule's firings, newest first; those about customers the user may not see are left out."""
    firings = rule.firings.select_related("customer")
    customers = Customer.objects.all()
    scoped = scope_queryset(customers, user, "customers")
    if scoped is not customers:
        firings = firings.filter(Q(customer__isnull=True) | Q(customer__in=scoped.values("pk")))
    if status:
        firings = firings.filter(status=status)
    return firings.order_by("-fired_at", "-id")


def rule_figures(*, rule: AutomationRule) -> dict:
    """Firings by status over the last 30 days and in all (one query)."""
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    S = RuleFiring.Status
    return rule.firings.aggregate(
        total=Count("pk"),
        recent=Count("pk", filter=Q(fired_at__gte=since) & ~Q(status=S.SKIPPED)),
        done=Count("pk", filter=Q(status=S.DONE)),
        failed=Count("pk", filter=Q(status=S.FAILED)),
        skipped=Count("pk", filter=Q(status=S.SKIPPED)),
    )


# --- who a rule reaches today --------------------------------------------------------------------


def conditions_q(rule: AutomationRule, *, now: datetime) -> Q:
    tree = rule.conditions or {}
    return rules_q(tree, now=now) if tree.get("conditions") else Q()


def _text(expression) -> Cast:
    return Cast(expression, output_field=CharField())


def _not_fired(candidates: QuerySet, rule: AutomationRule) -> QuerySet:
    """Leave out the customers whose occurrence (the ``occurrence`` annotation) already fired."""
    fired = RuleFiring.objects.filter(rule=rule, occurrence_key=OuterRef("occurrence"))
    return candidates.filter(~Exists(fired))


def birthday_q(day: date) -> Q:
    """Born on this month and day; on 28 February of a year without a 29th, those born on the 29th too."""
    q = Q(birth_date__month=day.month, birth_date__day=day.day)
    if day.month == 2 and day.day == 28 and not _is_leap(day.year):
        q |= Q(birth_date__month=2, birth_date__day=29)
    return q


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def birthday_candidates(rule: AutomationRule, *, now: datetime) -> QuerySet[Customer]:
    """Customers whose birthday is today (local date), matching the conditions, not yet wished
    this year. Annotated with ``occurrence`` ("birthday:<customer>:<year>")."""
    today = timezone.localtime(now).date()
    candidates = (
        Customer.objects.filter(birthday_q(today))
        .filter(conditions_q(rule, now=now))
        .annotate(occurrence=Concat(Value("birthday:"), _text("pk"), Value(f":{today.year}"), output_field=CharField()))
    )
    return _not_fired(candidates, rule)


def no_purchase_candidates(rule: AutomationRule, *, now: datetime) -> QuerySet[Customer]:
    """Customers whose last real order (confirmed or delivered) is N days old or more, matching the
    conditions, and not reminded since that order. Annotated with ``occurrence``
    ("no_purchase:<customer>:<last order id>"): a new order makes a new occurrence. Customers who
    never ordered are not included (they have no purchase to be missed)."""
    days = int((rule.event_params or {}).get("days") or 0)
    # Bought on that local day or before: before the midnight that ends it.
    last_day = timezone.localtime(now).date() - timedelta(days=days)
    cutoff = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=timezone.get_current_timezone())
    last = Order.objects.filter(customer=OuterRef("pk"), status__in=REAL_ORDER_STATUSES).order_by("-ordered_at", "-id")
    candidates = (
        Customer.objects.annotate(
            last_order_id=Subquery(last.values("pk")[:1]), last_ordered_at=Subquery(last.values("ordered_at")[:1])
        )
        .filter(last_ordered_at__lt=cutoff)
        .filter(conditions_q(rule, now=now))
        .annotate(
            occurrence=Concat(
                Value("no_purchase:"), _text("pk"), Value(":"), _text("last_order_id"), output_field=CharField()
            )
        )
    )
    return _not_fired(candidates, rule)


def segment_occurrence(*, segment_id: int, customer_id: int, day: date) -> str:
    return f"segment:{segment_id}:{customer_id}:{day.isoformat()}"


def segment_candidates(rule: AutomationRule, *, now: datetime) -> QuerySet[Customer]:
    """Who would enter (or leave) the rule's segment if its membership were brought up to date
    now, matching the conditions: the segment's customers without an open stay (entering), or
    the open stays of customers no longer in it (leaving). Writes nothing."""
    segment = rule_segment(rule)
    if segment is None or segment.membership_refreshed_at is None:
        # Never refreshed: the daily job's first refresh only records who is in it.
        return Customer.objects.none()
    members = segment_customers(segment, now=now).values("pk")
    open_stays = SegmentMembership.objects.filter(segment=segment, left_at__isnull=True).values("customer_id")
    if rule.event == Event.SEGMENT_ENTERED:
        candidates = Customer.objects.filter(pk__in=members).exclude(pk__in=open_stays)
    else:
        candidates = Customer.objects.filter(pk__in=open_stays).exclude(pk__in=members)
    return candidates.filter(conditions_q(rule, now=now))


def rule_segment(rule: AutomationRule) -> Segment | None:
    segment_id = (rule.event_params or {}).get("segment")
    return Segment.objects.filter(pk=segment_id).first() if segment_id else None


def announced_candidates(rule: AutomationRule, *, now: datetime) -> QuerySet[Customer]:
    """For an announced event, the customers its conditions would let through today (for a first
    purchase, those who have not paid an order yet)."""
    candidates = Customer.objects.filter(conditions_q(rule, now=now))
    if rule.event == Event.FIRST_PURCHASE:
        candidates = candidates.exclude(Exists(Order.objects.filter(customer=OuterRef("pk"), paid_at__isnull=False)))
    return candidates


def rule_candidates(rule: AutomationRule, *, now: datetime) -> QuerySet[Customer]:
    if rule.event == Event.BIRTHDAY:
        return birthday_candidates(rule, now=now)
    if rule.event == Event.NO_PURCHASE:
        return no_purchase_candidates(rule, now=now)
    if rule.event in SEGMENT_EVENTS:
        return segment_candidates(rule, now=now)
    return announced_candidates(rule, now=now)


@dataclass
class DryRun:
    count: int
    sample: list[Customer]
    daily: bool  # the customers would fire now (date and segment events), not just match


def rule_dry_run(*, rule: AutomationRule, user, now: datetime | None = None) -> DryRun:
    """Who the rule would reach today, among the customers the user may see: a count and the
    first 20. Reads only: no membership is refreshed and nothing fires."""
    now = now or timezone.now()
    candidates = scope_queryset(rule_candidates(rule, now=now), user, "customers")
    count = candidates.order_by().count()
    sample = list(candidates.select_related("owner").order_by("name", "pk")[:DRY_RUN_SAMPLE])
    return DryRun(count=count, sample=sample, daily=rule.event in DAILY_EVENTS)


# --- rules in words ------------------------------------------------------------------------------


def _segment_names(rules: list[AutomationRule]) -> dict[str, str]:
    ids = {str(rule.event_params.get("segment")) for rule in rules if (rule.event_params or {}).get("segment")}
    if not ids:
        return {}
    return {str(pk): name for pk, name in Segment.objects.filter(pk__in=ids).values_list("pk", "name")}


def event_words(rule: AutomationRule, segment_names: dict[str, str] | None = None) -> str:
    """ "When an order of at least 1,000,000 is paid", "On the customer's birthday"..."""
    params = rule.event_params or {}
    event = rule.event
    if event in SEGMENT_EVENTS:
        names = segment_names if segment_names is not None else _segment_names([rule])
        segment = names.get(str(params.get("segment")), _("a deleted segment"))
        if event == Event.SEGMENT_ENTERED:
            return _("When a customer enters the segment “%(segment)s”") % {"segment": segment}
        return _("When a customer leaves the segment “%(segment)s”") % {"segment": segment}
    if event == Event.ORDER_PAID and params.get("min_amount"):
        return _("When an order of at least %(amount)s is paid") % {
            "amount": number_format(params["min_amount"], decimal_pos=0, force_grouping=True)
        }
    if event == Event.NO_PURCHASE:
        return _("When a customer has bought nothing for %(days)s days") % {"days": params.get("days")}
    if event == Event.SATISFACTION_ANSWERED and params.get("max_score"):
        return _("When a satisfaction survey is answered with a score of %(score)s or less") % {
            "score": params["max_score"]
        }
    if event == Event.TICKET_CLOSED and params.get("ticket_kind"):
        kind = dict(Ticket.Kind.choices).get(params["ticket_kind"], params["ticket_kind"])
        return _("When a ticket of the kind “%(kind)s” is closed") % {"kind": kind}
    if event == Event.LEAD_CREATED and params.get("channel"):
        channel = dict(Lead.Channel.choices).get(params["channel"], params["channel"])
        return _("When a lead comes in (%(channel)s)") % {"channel": channel}
    if event == Event.LOYALTY_TIER_CHANGED and params.get("tier"):
        return _("When a customer moves to the loyalty tier “%(tier)s”") % {"tier": params["tier"]}
    plain = {
        Event.CUSTOMER_CREATED: _("When a customer is created"),
        Event.BIRTHDAY: _("On the customer's birthday"),
        Event.FIRST_PURCHASE: _("When a customer's first order is paid"),
        Event.ORDER_PAID: _("When an order is paid"),
        Event.TICKET_CLOSED: _("When a ticket is closed"),
        Event.COMPLAINT_FILED: _("When a complaint is filed"),
        Event.SATISFACTION_ANSWERED: _("When a satisfaction survey is answered"),
        Event.LEAD_CREATED: _("When a lead comes in"),
        Event.LOYALTY_TIER_CHANGED: _("When a customer's loyalty tier changes"),
    }
    return plain.get(event, rule.get_event_display())


def rules_with_words(rules) -> list[AutomationRule]:
    """The rules with ``event_words`` set (the segments they name read in one query)."""
    rules = list(rules)
    names = _segment_names(rules)
    for rule in rules:
        rule.event_words = event_words(rule, names)
    return rules
