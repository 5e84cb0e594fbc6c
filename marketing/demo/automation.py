"""Demo automation: ``seed(ctx)`` adds the rules a shop would start with and a few hundred past
firings with their timeline entries.

Runs after customers, sales, service and the marketing segments have seeded. The firings are
drawn from what really happened in the demo data (welcomed customers, paid orders over the
amount, complaints, low satisfaction scores, lapsed buyers), so each is one occurrence its rule
would have fired for, and the actions' visible effects (the "complained" tag, the VIP list) are
applied. Cheap at any size: a handful of bounded reads and bulk inserts (COPY on PostgreSQL).
"""

from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from crm_site.bulkload import BulkTables, bulk_table, next_ids, sequences_reset
from crm_site.demo import DemoContext
from crm_site.events import Event
from customers.models import Customer, Interaction, Tag
from marketing.models import AutomationRule, RuleFiring, Segment
from marketing.rules import REAL_ORDER_STATUSES
from marketing.services.segments import segment_create
from sales.demo.common import Clock
from sales.models import Order
from service.models import SatisfactionSurvey, Ticket

BIG_ORDER = 50_000_000
WIN_BACK_DAYS = 120
PER_RULE = 80  # past firings per rule at most
FAILED_SHARE = 0.03


def _rules(ctx: DemoContext) -> list[tuple[AutomationRule, list[tuple[int, str, object]]]]:
    """The rules, each with its past occurrences: (customer id, occurrence key, when)."""
    now = Clock().midnight  # a fixed moment all day, so a seed gives the same data
    author = ctx.users.get("marketing")
    rules: list[tuple[AutomationRule, list]] = []

    def rule(name, event, actions, occurrences, params=None, description=""):
        made = AutomationRule(
            name=name,
            description=description,
            event=event,
            event_params=params or {},
            conditions={},
            actions=actions,
            is_active=True,
            created_by=author,
        )
        rules.append((made, occurrences[:PER_RULE]))

    recent_customers = list(
        Customer.objects.filter(created_at__gte=now - timedelta(days=60))
        .order_by("-created_at")
        .values_list("pk", "created_at")[:PER_RULE]
    )
    rule(
        "Welcome SMS",
        Event.CUSTOMER_CREATED,
        [{"type": "send_sms", "body": "Welcome {first_name}! Your customer code is {code}."}],
        [(pk, f"customer:{pk}", at) for pk, at in recent_customers],
    )
    today = timezone.localdate()
    # The last 60 days' birthdays in one query, at most three a day.
    days = [today - timedelta(days=days_ago) for days_ago in range(60)]
    on_those_days = Q()
    for day in days:
        on_those_days |= Q(birth_date__month=day.month, birth_date__day=day.day)
    born: dict[tuple[int, int], list[int]] = {}
    for pk, birth_date in Customer.objects.filter(on_those_days).order_by("pk").values_list("pk", "birth_date"):
        born.setdefault((birth_date.month, birth_date.day), []).append(pk)
    birthdays = [
        (pk, f"birthday:{pk}:{day.year}", now - timedelta(days=days_ago))
        for days_ago, day in enumerate(days)
        for pk in born.get((day.month, day.day), [])[:3]
    ]
    rule(
        "Birthday SMS",
        Event.BIRTHDAY,
        [{"type": "send_sms", "body": "Happy birthday {first_name}! A 10% gift awaits you this week."}],
        birthdays,
    )
    big_orders = list(
        Order.objects.filter(paid_at__isnull=False, paid_at__gte=now - timedelta(days=90), total__gte=BIG_ORDER)
        .order_by("-paid_at")
        .values_list("pk", "customer_id", "paid_at")[:PER_RULE]
    )
    rule(
        "Thank big spenders",
        Event.ORDER_PAID,
        [
            {"type": "send_sms", "body": "Thank you for your order, {first_name}!"},
            {"type": "create_task", "subject": "Thank-you call to {name}", "days": 2, "assignee": "owner"},
        ],
        [(customer, f"order:{pk}", at) for pk, customer, at in big_orders],
        params={"min_amount": str(BIG_ORDER)},
        description="Orders paid over 50,000,000: an SMS and a call from the owner.",
    )
    lapsed = list(
        Order.objects.filter(status__in=REAL_ORDER_STATUSES, ordered_at__lt=now - timedelta(days=WIN_BACK_DAYS + 60))
        .order_by("-ordered_at")
        .values_list("pk", "customer_id", "ordered_at")[: PER_RULE * 2]
    )
    seen: set[int] = set()
    win_back = []
    for pk, customer, ordered_at in lapsed:
        if customer not in seen:
            seen.add(customer)
            win_back.append((customer, f"no_purchase:{customer}:{pk}", ordered_at + timedelta(days=WIN_BACK_DAYS)))
    rule(
        "Win back after 120 days",
        Event.NO_PURCHASE,
        [{"type": "send_sms", "body": "We miss you, {first_name}! Come back for 15% off your next order."}],
        win_back,
        params={"days": WIN_BACK_DAYS},
    )
    low_scores = list(
        SatisfactionSurvey.objects.filter(score__lte=2, answered_at__isnull=False)
        .order_by("-answered_at")
        .values_list("pk", "customer_id", "answered_at")[:PER_RULE]
    )
    rule(
        "Low satisfaction: alert the manager",
        Event.SATISFACTION_ANSWERED,
        [
            {"type": "notify_user", "recipient": "team_manager", "title": "Low satisfaction score from {name}"},
            {"type": "create_task", "subject": "Call {name} about their experience", "days": 1, "assignee": "owner"},
        ],
        [(customer, f"csat:{pk}", at) for pk, customer, at in low_scores],
        params={"max_score": 2},
    )
    complaints = list(
        Ticket.objects.filter(kind=Ticket.Kind.COMPLAINT)
        .order_by("-created_at")
        .values_list("pk", "customer_id", "created_at")[:PER_RULE]
    )
    rule(
        "Tag customers who complain",
        Event.COMPLAINT_FILED,
        [{"type": "add_tag", "tag": "complained"}],
        [(customer, f"ticket:{pk}", at) for pk, customer, at in complaints],
    )
    champions = Segment.objects.filter(name__startswith="Champions").order_by("pk").first()
    if champions is not None:
        vip = Segment.objects.filter(kind=Segment.Kind.STATIC, name="VIP list").first() or segment_create(
            name="VIP list", kind=Segment.Kind.STATIC, owner=author, description="Filled by an automation rule."
        )
        rule(
            "Champions join the VIP list",
            Event.SEGMENT_ENTERED,
            [{"type": "add_to_list", "segment": str(vip.pk)}],
            [],
            params={"segment": champions.pk},
        )
    return rules


def _result(action: dict, *, failed: bool) -> str:
    # A demo failure is the gateway refusing an SMS; the rule's other actions still ran.
    if failed and action["type"] == "send_sms":
        return "failed: the SMS gateway refused the message"
    return {
        "send_sms": "queued",
        "create_task": "task for the owner",
        "notify_user": "notified the team's manager",
        "add_tag": f"tagged “{action.get('tag', '')}”",
        "add_to_list": "added to the list",
    }.get(action["type"], "done")


def seed(ctx: DemoContext) -> None:
    if ctx.customers <= 0:
        ctx.summary.append("Automation: none (no customers)")
        return
    rng = ctx.rng_for("marketing.automation")
    planned = _rules(ctx)
    AutomationRule.objects.bulk_create([rule for rule, _occurrences in planned])
    saved = {rule.name: rule for rule in AutomationRule.objects.filter(name__in=[r.name for r, _o in planned])}

    start = next_ids(RuleFiring, Interaction)
    tables = BulkTables(firings=bulk_table(RuleFiring, with_pk=True), entries=bulk_table(Interaction, with_pk=True))
    firing_type = ContentType.objects.get_for_model(RuleFiring).pk
    now = Clock().midnight  # a fixed moment all day, so a seed gives the same data
    count = failed_count = 0
    complained: set[int] = set()
    for planned_rule, occurrences in planned:
        rule = saved[planned_rule.name]
        url = reverse("marketing:rule_detail", args=[rule.pk])
        sms_action = next(
            (number for number, action in enumerate(rule.actions, start=1) if action["type"] == "send_sms"), None
        )
        for customer_id, key, at in occurrences:
            if customer_id is None:
                continue
            failed = rng.random() < FAILED_SHARE and sms_action is not None
            outcome = [{"type": action["type"], "result": _result(action, failed=failed)} for action in rule.actions]
            firing_id = start[RuleFiring] + count
            fired_at = min(at, now)
            tables.firings.add(
                id=firing_id,
                rule_id=rule.pk,
                customer_id=customer_id,
                occurrence_key=key,
                status=RuleFiring.Status.FAILED if failed else RuleFiring.Status.DONE,
                fired_at=fired_at,
                outcome=outcome,
                error=f"Action {sms_action}: the SMS gateway refused the message" if failed else "",
            )
            tables.entries.add(
                id=start[Interaction] + count,
                customer_id=customer_id,
                kind=Interaction.Kind.SYSTEM,
                occurred_at=fired_at,
                subject=f"Automation rule “{rule.name}”"[:200],
                body="\n".join(item["result"] for item in outcome),
                content_type_id=firing_type,
                object_id=str(firing_id),
                url=url,
                created_at=now,
            )
            count += 1
            failed_count += failed
            if rule.event == Event.COMPLAINT_FILED:
                complained.add(customer_id)
    tables.flush()
    sequences_reset(RuleFiring, Interaction)
    if complained:
        tag, _created = Tag.objects.get_or_create(name="complained", defaults={"color": "danger"})
        Customer.tags.through.objects.bulk_create(
            [Customer.tags.through(customer_id=pk, tag_id=tag.pk) for pk in sorted(complained)], ignore_conflicts=True
        )
    ctx.summary.append(f"Automation: {len(saved)} rules, {count:,} past firings ({failed_count} failed)")
