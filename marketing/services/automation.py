"""Writes of automation: rules (create, edit, switch on/off, delete), the engine that fires them
when an event is announced, and the daily job that finds the date-based and segment events.

Each (rule, occurrence) fires once: the firing row is inserted first, in a savepoint, and the
unique constraint on (rule, occurrence_key) turns a second attempt (the event announced twice,
the job run twice, two workers at once) into an IntegrityError that means "already fired". The
actions then run in order, each in its own savepoint: one that fails is recorded on the firing
(status FAILED, with the error) without undoing the others or the request that announced the
event. Every firing that acted goes on the customer's timeline, linked to the rule.

Announced events reach the engine through marketing/listeners/automation.py and the Celery task
``marketing.automation_handle_event``. The daily job (``marketing.automation_daily``) derives
birthdays, "no purchase for N days" and segment entries and exits; it is the safety net only for
those: an announced event lost because the broker was down is not found again.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm_site.access import Role, has_role
from crm_site.events import CustomerEvent, Event
from crm_site.models import User
from customers.models import Customer, Interaction
from customers.services import interaction_record
from marketing.models import AutomationRule, LoyaltyTier, RuleFiring, Segment
from marketing.rules import rules_q, validate_rules
from marketing.selectors import automation as selectors
from marketing.services.automation_actions import (
    ACTION_TYPES,
    ActionContext,
    ActionSkipped,
    FieldSpec,
    actions_clean,
    field_clean,
)
from marketing.services.segments import segment_membership_refresh
from sales.models import Lead, Order
from service.models import Ticket

logger = logging.getLogger(__name__)

BATCH = 500  # customers read at a time by the daily job


# --- what narrows each event ---------------------------------------------------------------------


def _segment_choices() -> list[tuple[str, str]]:
    segments = Segment.objects.filter(is_active=True).order_by("name")
    return [(str(pk), name) for pk, name in segments.values_list("pk", "name")]


def _tier_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in LoyaltyTier.objects.order_by("threshold").values_list("name", flat=True)]


_SEGMENT = FieldSpec("segment", gettext_lazy("Segment"), "select", choices=_segment_choices)
EVENT_PARAMS: dict[str, tuple[FieldSpec, ...]] = {
    Event.ORDER_PAID: (
        FieldSpec(
            "min_amount",
            gettext_lazy("Order total at least"),
            "amount",
            required=False,
            help=gettext_lazy("Leave empty for every paid order."),
        ),
    ),
    Event.NO_PURCHASE: (
        FieldSpec("days", gettext_lazy("Days without a purchase"), "number", min_value=1, max_value=3650),
    ),
    Event.SEGMENT_ENTERED: (_SEGMENT,),
    Event.SEGMENT_LEFT: (_SEGMENT,),
    Event.TICKET_CLOSED: (
        FieldSpec(
            "ticket_kind",
            gettext_lazy("Ticket kind"),
            "select",
            required=False,
            choices=lambda: list(Ticket.Kind.choices),
        ),
    ),
    Event.SATISFACTION_ANSWERED: (
        FieldSpec(
            "max_score",
            gettext_lazy("Score at or below"),
            "number",
            required=False,
            min_value=1,
            max_value=5,
            help=gettext_lazy("Out of 5; leave empty for every answer."),
        ),
    ),
    Event.LEAD_CREATED: (
        FieldSpec(
            "channel", gettext_lazy("Channel"), "select", required=False, choices=lambda: list(Lead.Channel.choices)
        ),
    ),
    Event.LOYALTY_TIER_CHANGED: (
        FieldSpec("tier", gettext_lazy("New tier"), "select", required=False, choices=_tier_choices),
    ),
}


def event_params_clean(event: str, raw) -> dict:
    """The event's settings, checked; settings of other events are dropped."""
    raw = raw if isinstance(raw, dict) else {}
    cleaned, errors = {}, []
    for spec in EVENT_PARAMS.get(event, ()):
        try:
            value = field_clean(spec, raw.get(spec.name))
        except ValidationError as error:
            errors.extend(error.messages)
            continue
        if value != "":
            cleaned[spec.name] = int(value) if spec.name in ("segment",) else value
    if errors:
        raise ValidationError(errors)
    return cleaned


def params_match(rule: AutomationRule, event: CustomerEvent) -> bool:
    """Whether an announced occurrence is one the rule's settings ask for."""
    params, data = rule.event_params or {}, event.data or {}
    try:
        if params.get("min_amount") not in (None, "") and Decimal(str(data.get("amount", "0"))) < Decimal(
            str(params["min_amount"])
        ):
            return False
        if params.get("max_score") not in (None, "") and int(data.get("score", 99)) > int(params["max_score"]):
            return False
    except (InvalidOperation, TypeError, ValueError):
        return False
    if params.get("ticket_kind") and data.get("kind") != params["ticket_kind"]:
        return False
    if params.get("channel") and data.get("channel") != params["channel"]:
        return False
    if params.get("tier") and str(data.get("new", "")).casefold() != str(params["tier"]).casefold():
        return False
    return not (params.get("segment") and str(data.get("segment", "")) != str(params["segment"]))


# --- rules ---------------------------------------------------------------------------------------


def _rule_clean(*, name: str, event: str, event_params, conditions, actions) -> tuple[str, dict, dict, list]:
    errors: dict[str, list[str]] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = [_("Give the rule a name.")]
    if event not in Event.values:
        errors["event"] = [_("Choose an event.")]
    params, tree, cleaned_actions = {}, {}, []
    if event in Event.values:
        try:
            params = event_params_clean(event, event_params)
        except ValidationError as error:
            errors["event_params"] = error.messages
    try:
        tree = validate_rules(conditions or {})
    except ValidationError as error:
        errors["conditions"] = error.messages
    try:
        cleaned_actions = actions_clean(actions)
    except ValidationError as error:
        errors["actions"] = error.messages
    if errors:
        raise ValidationError(errors)
    return name, params, tree, cleaned_actions


# Actions that reach customers beyond what a manager approved in a campaign: a rule that takes
# one runs only once a manager (or an admin) has switched it on.
REACHING_ACTIONS = frozenset({"send_sms", "send_email", "enrol_campaign"})


def _check_may_activate(*, by: User | None, actions: list, is_active: bool) -> None:
    """Refuse a Marketing user's active rule that messages customers or enrols them in a
    campaign: like a campaign, it needs a manager's approval (here: a manager switches it on).
    ``by`` None is the system (the demo)."""
    if not is_active or by is None or has_role(by, Role.MANAGER, Role.ADMIN):
        return
    if any(action.get("type") in REACHING_ACTIONS for action in actions):
        raise ValidationError(
            _(
                "Only a manager can switch on a rule that messages customers or enrols them in a campaign. "
                "Save it switched off and ask a manager to switch it on."
            )
        )


@transaction.atomic
def rule_create(
    *,
    by: User | None,
    name: str,
    event: str,
    actions: list,
    event_params: dict | None = None,
    conditions: dict | None = None,
    description: str = "",
    is_active: bool = True,
) -> AutomationRule:
    """A new rule "when ``event`` (with ``event_params``) for customers matching ``conditions``,
    do ``actions``". Everything is checked first: bad input writes nothing."""
    name, params, tree, cleaned = _rule_clean(
        name=name, event=event, event_params=event_params, conditions=conditions, actions=actions
    )
    _check_may_activate(by=by, actions=cleaned, is_active=is_active)
    rule = AutomationRule(
        name=name,
        description=description.strip(),
        event=event,
        event_params=params,
        conditions=tree,
        actions=cleaned,
        is_active=is_active,
        created_by=by,
    )
    rule.full_clean(exclude=["created_by"])  # None for rules made by the system (the demo)
    rule.save()
    return rule


@transaction.atomic
def rule_update(
    *,
    rule: AutomationRule,
    name: str,
    event: str,
    actions: list,
    event_params: dict | None = None,
    conditions: dict | None = None,
    description: str = "",
    is_active: bool = True,
    by: User | None = None,
) -> AutomationRule:
    """Change a rule. Its past firings stay (an occurrence that fired does not fire again)."""
    name, params, tree, cleaned = _rule_clean(
        name=name, event=event, event_params=event_params, conditions=conditions, actions=actions
    )
    _check_may_activate(by=by, actions=cleaned, is_active=is_active)
    rule = AutomationRule.objects.select_for_update().get(pk=rule.pk)
    rule.name, rule.description, rule.event, rule.is_active = name, description.strip(), event, is_active
    rule.event_params, rule.conditions, rule.actions = params, tree, cleaned
    rule.full_clean(exclude=["created_by"])  # None for rules made by the system (the demo)
    rule.save()
    return rule


@transaction.atomic
def rule_set_active(*, rule: AutomationRule, is_active: bool, by: User | None = None) -> AutomationRule:
    _check_may_activate(by=by, actions=rule.actions, is_active=is_active)
    AutomationRule.objects.filter(pk=rule.pk).update(is_active=is_active, updated_at=timezone.now())
    rule.is_active = is_active
    return rule


@transaction.atomic
def rule_delete(*, rule: AutomationRule) -> None:
    """Delete a rule and its firings log (the timeline entries it wrote stay)."""
    AutomationRule.objects.filter(pk=rule.pk).delete()


# --- firing --------------------------------------------------------------------------------------


def _conditions_hold(rule: AutomationRule, customer: Customer | None, now: datetime) -> bool:
    tree = rule.conditions or {}
    if not tree.get("conditions"):
        return True
    if customer is None:
        return False
    return Customer.objects.filter(pk=customer.pk).filter(rules_q(tree, now=now)).exists()


def _error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(error.messages)
    return str(error) or type(error).__name__


def _run_actions(ctx: ActionContext) -> tuple[list[dict], list[str]]:
    outcome, errors = [], []
    for index, config in enumerate(ctx.rule.actions or [], start=1):
        ctx.index = index
        kind = config.get("type", "")
        action = ACTION_TYPES.get(kind)
        try:
            if action is None:
                raise ValueError(_("Unknown action “%(type)s”.") % {"type": kind})
            with transaction.atomic():
                result = action.run(ctx, config)
        except ActionSkipped as skipped:
            result = _("skipped: %(why)s") % {"why": skipped}
        except Exception as error:
            logger.warning("Automation rule %s, action %s (%s) failed", ctx.rule.pk, index, kind, exc_info=True)
            result = _("failed: %(error)s") % {"error": _error_text(error)}
            errors.append(_("Action %(n)s: %(error)s") % {"n": index, "error": _error_text(error)})
        outcome.append({"type": kind, "result": str(result)})
    return outcome, errors


def _timeline(*, firing: RuleFiring, rule: AutomationRule, customer: Customer) -> None:
    lines = [
        f"{ACTION_TYPES[item['type']].label if item['type'] in ACTION_TYPES else item['type']}: {item['result']}"
        for item in firing.outcome
    ]
    subject = _("Automation rule “%(rule)s”") % {"rule": rule.name}
    if firing.status == RuleFiring.Status.FAILED:
        subject = _("Automation rule “%(rule)s” (with errors)") % {"rule": rule.name}
    interaction_record(
        customer=customer,
        kind=Interaction.Kind.SYSTEM,
        occurred_at=firing.fired_at,
        subject=subject,
        body="\n".join(lines),
        source=firing,
        url=rule.get_absolute_url(),
    )


def rule_fire(
    *,
    rule: AutomationRule,
    event: CustomerEvent,
    customer: Customer | None,
    now: datetime,
    link: str = "",
    conditions_checked: bool = False,
) -> RuleFiring | None:
    """Fire ``rule`` for one occurrence (``event.key``) unless it already fired: claim the
    occurrence, check the conditions (recording SKIPPED when they do not hold), run the actions
    and write the timeline entry. Returns the firing, or None when it had fired already."""
    with transaction.atomic():
        firing = RuleFiring(
            rule=rule,
            customer=customer,
            occurrence_key=event.key[:200],
            status=RuleFiring.Status.DONE,
            fired_at=now,
        )
        firing.full_clean(validate_constraints=False)
        try:
            with transaction.atomic():
                firing.save()
        except IntegrityError:
            return None
        if not conditions_checked and not _conditions_hold(rule, customer, now):
            firing.status = RuleFiring.Status.SKIPPED
            firing.save(update_fields=["status"])
            return firing
        ctx = ActionContext(rule=rule, firing=firing, customer=customer, event=event, index=0, now=now, link=link)
        firing.outcome, errors = _run_actions(ctx)
        if errors:
            firing.status, firing.error = RuleFiring.Status.FAILED, "\n".join(errors)
        firing.save(update_fields=["outcome", "status", "error"])
        if customer is not None:
            _timeline(firing=firing, rule=rule, customer=customer)
    return firing


def _source_link(event: CustomerEvent, customer: Customer | None) -> str:
    """The page of the record behind the event (an order, a ticket, a lead), else the customer's."""
    if event.source_model and event.source_id:
        try:
            model = apps.get_model(event.source_model)
            source = model._default_manager.filter(pk=event.source_id).first()
            if source is not None and hasattr(source, "get_absolute_url"):
                return source.get_absolute_url()
        except (LookupError, ValueError, ValidationError):
            pass
    return customer.get_absolute_url() if customer is not None else ""


def _is_first_purchase(event: CustomerEvent) -> bool:
    """No other order of the customer was paid before (or together with) this one."""
    others = Order.objects.filter(customer_id=event.customer_id, paid_at__isnull=False, paid_at__lte=event.occurred_at)
    if event.source_model == "sales.order" and event.source_id:
        others = others.exclude(pk=event.source_id)
    return not others.exists()


def automation_handle_event(event: CustomerEvent) -> list[RuleFiring]:
    """Fire every active rule of the event whose settings match (and, for a paid order that is
    the customer's first, the first-purchase rules). Returns the firings made now (SKIPPED ones
    included); an occurrence that already fired is left alone."""
    now = timezone.now()
    pairs = [(rule, event) for rule in AutomationRule.objects.filter(is_active=True, event=event.event).order_by("pk")]
    if event.event == Event.ORDER_PAID and event.customer_id:
        first_rules = list(AutomationRule.objects.filter(is_active=True, event=Event.FIRST_PURCHASE).order_by("pk"))
        if first_rules and _is_first_purchase(event):
            first = replace(event, event=Event.FIRST_PURCHASE, key=f"first_purchase:{event.customer_id}")
            pairs += [(rule, first) for rule in first_rules]
    pairs = [(rule, occurrence) for rule, occurrence in pairs if params_match(rule, occurrence)]
    if not pairs:
        return []
    customer = None
    if event.customer_id:
        customer = Customer.objects.select_related("owner", "team").filter(pk=event.customer_id).first()
        if customer is None:
            return []  # deleted (or merged away) since the event
    link = _source_link(event, customer)
    firings = []
    for rule, occurrence in pairs:
        firing = rule_fire(rule=rule, event=occurrence, customer=customer, now=now, link=link)
        if firing is not None:
            firings.append(firing)
    return firings


# --- the daily job -------------------------------------------------------------------------------


def _fire_for(rule: AutomationRule, occurrences: Iterable[tuple[int, str]], *, now: datetime, data: dict) -> int:
    """Fire ``rule`` for (customer id, occurrence key) pairs whose conditions were checked in the
    query that found them, reading the customers a batch at a time."""
    fired = 0
    pending = list(occurrences)
    for start in range(0, len(pending), BATCH):
        batch = pending[start : start + BATCH]
        customers = Customer.objects.select_related("owner", "team").in_bulk([pk for pk, _key in batch])
        for customer_id, key in batch:
            customer = customers.get(customer_id)
            if customer is None:
                continue
            event = CustomerEvent(event=rule.event, key=key, occurred_at=now, customer_id=customer_id, data=data)
            firing = rule_fire(
                rule=rule,
                event=event,
                customer=customer,
                now=now,
                link=customer.get_absolute_url(),
                conditions_checked=True,
            )
            fired += firing is not None
    return fired


def _date_rule_run(rule: AutomationRule, *, now: datetime) -> int:
    found = list(selectors.rule_candidates(rule, now=now).order_by("pk").values_list("pk", "occurrence"))
    return _fire_for(rule, found, now=now, data=dict(rule.event_params or {}))


def _segment_rules_run(segment: Segment, rules: list[AutomationRule], *, now: datetime) -> int:
    """Bring the segment's membership up to date and fire its rules for who entered or left.
    The first refresh of a segment only records who is in it: entering counts from then on.
    Membership and firings commit together, so a crash leaves the entries to the next run."""
    day = timezone.localtime(now).date()
    fired = 0
    with transaction.atomic():
        baseline = segment.membership_refreshed_at is None
        entered, left = segment_membership_refresh(segment=segment, now=now)
        if baseline:
            return 0
        for rule in rules:
            ids = entered if rule.event == Event.SEGMENT_ENTERED else left
            matching: list[int] = []
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                matching += (
                    Customer.objects.filter(pk__in=chunk)
                    .filter(selectors.conditions_q(rule, now=now))
                    .values_list("pk", flat=True)
                )
            keys = [
                (pk, selectors.segment_occurrence(segment_id=segment.pk, customer_id=pk, day=day))
                for pk in sorted(matching)
            ]
            fired += _fire_for(rule, keys, now=now, data={"segment": segment.pk})
    return fired


def automation_run_daily(*, now: datetime | None = None) -> dict[str, int]:
    """Fire the birthday, no-purchase and segment rules for today. Safe to run twice a day (or
    twice at once): each occurrence fires once. A rule that cannot run (its conditions name a
    group since deleted...) is logged and skipped; the others still run. Returns firings per event."""
    now = now or timezone.now()
    counts: dict[str, int] = defaultdict(int)
    rules = list(AutomationRule.objects.filter(is_active=True, event__in=selectors.DAILY_EVENTS).order_by("pk"))
    by_segment: dict[int, list[AutomationRule]] = defaultdict(list)
    for rule in rules:
        if rule.event in selectors.SEGMENT_EVENTS:
            if (rule.event_params or {}).get("segment"):
                by_segment[int(rule.event_params["segment"])].append(rule)
            continue
        try:
            counts[rule.event] += _date_rule_run(rule, now=now)
        except Exception:
            logger.exception("Automation rule %s could not run today", rule.pk)
    for segment in Segment.objects.filter(pk__in=list(by_segment)).order_by("pk"):
        try:
            fired = _segment_rules_run(segment, by_segment[segment.pk], now=now)
        except Exception:
            logger.exception("The automation rules of segment %s could not run today", segment.pk)
            continue
        counts["segment"] += fired
    return dict(counts)
