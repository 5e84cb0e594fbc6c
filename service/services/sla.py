"""Service-level targets: which policy a ticket falls under, its deadlines, the clock that stops
while waiting on the customer, and the job that warns before a breach and escalates on one.

Deadlines are stored as real (aware) moments, computed in business time by
``service/business_hours.py`` on the policy's calendar, so the job and every list compare plain
columns. Each warning and each breach is claimed by a conditional UPDATE of its ``*_warned_at`` /
``*_breached_at`` column, in the transaction that writes its notifications and history: it
happens exactly once however many times, or in however many workers, the job runs.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext as _

from crm_site.models import Notification
from service import business_hours
from service.models import BusinessCalendar, SlaPolicy, Ticket, TicketEvent

# The ticket's own statuses that stop the resolution clock.
PAUSED_STATUSES = frozenset({Ticket.Status.WAITING_CUSTOMER})


def business_calendar(calendar: BusinessCalendar) -> business_hours.BusinessCalendar:
    """The calendar stored in the database as the arithmetic module's value (two queries)."""
    week: dict[int, list[business_hours.WorkingPeriod]] = {}
    for period in calendar.periods.order_by("weekday", "start"):
        week.setdefault(period.weekday, []).append(business_hours.WorkingPeriod(period.start, period.end))
    return business_hours.BusinessCalendar(
        tz=ZoneInfo(calendar.timezone),
        week=week,
        holidays=frozenset(calendar.holidays.values_list("date", flat=True)),
    )


class _Calendars(dict):
    """Calendars built once per job run or request, by id."""

    def __missing__(self, calendar_id: int) -> business_hours.BusinessCalendar:
        value = business_calendar(BusinessCalendar.objects.get(pk=calendar_id))
        self[calendar_id] = value
        return value


def sla_policy_for(*, ticket: Ticket, policies: Iterable[SlaPolicy] | None = None) -> SlaPolicy | None:
    """The first active policy whose conditions all match the ticket: its priority, its category
    (or a parent of it) and one of its customer's groups (or a parent of one)."""
    if policies is None:
        policies = SlaPolicy.objects.filter(is_active=True).select_related("category", "customer_group")
    group_paths = None
    for policy in policies:
        if policy.priority is not None and policy.priority != ticket.priority:
            continue
        if policy.category_id is not None and not (
            ticket.category_id and ticket.category.path.startswith(policy.category.path)
        ):
            continue
        if policy.customer_group_id is not None:
            if group_paths is None:
                group_paths = list(ticket.customer.groups.values_list("path", flat=True))
            if not any(path.startswith(policy.customer_group.path) for path in group_paths):
                continue
        return policy
    return None


def _minutes(value: int) -> timedelta:
    return timedelta(minutes=value)


def ticket_sla_start(*, ticket: Ticket, start: datetime | None = None, calendars: _Calendars | None = None) -> Ticket:
    """Give the ticket its policy and deadlines, counted in business time from ``start`` (its
    creation by default). Sets the fields on ``ticket``; the caller saves it."""
    policy = sla_policy_for(ticket=ticket)
    ticket.sla_policy = policy
    if policy is None:
        ticket.first_response_due_at = ticket.resolution_due_at = None
        ticket.first_response_warn_at = ticket.resolution_warn_at = None
        return ticket
    calendar = (calendars or _Calendars())[policy.calendar_id]
    start = start or ticket.created_at
    add = business_hours.add_business_time
    warn = _minutes(policy.warn_before_minutes)
    first, resolution = _minutes(policy.first_response_minutes), _minutes(policy.resolution_minutes)
    ticket.first_response_due_at = add(calendar, start, first)
    ticket.resolution_due_at = add(calendar, start, resolution)
    ticket.first_response_warn_at = add(calendar, start, max(first - warn, timedelta(0)))
    ticket.resolution_warn_at = add(calendar, start, max(resolution - warn, timedelta(0)))
    return ticket


def ticket_sla_pause(*, ticket: Ticket, now: datetime | None = None) -> Ticket:
    """Stop the resolution clock (waiting on the customer): keep the business time left."""
    if ticket.sla_paused_at is not None or ticket.resolution_due_at is None or ticket.sla_policy_id is None:
        return ticket
    now = now or timezone.now()
    calendar = _Calendars()[ticket.sla_policy.calendar_id]
    left = business_hours.business_time_between(calendar, now, ticket.resolution_due_at)
    ticket.sla_paused_at = now
    ticket.resolution_left_seconds = int(left.total_seconds())
    return ticket


def ticket_sla_resume(*, ticket: Ticket, now: datetime | None = None) -> Ticket:
    """Start the resolution clock again with the business time that was left."""
    if ticket.sla_paused_at is None:
        return ticket
    now = now or timezone.now()
    left = timedelta(seconds=ticket.resolution_left_seconds or 0)
    if ticket.sla_policy_id is not None:
        calendar = _Calendars()[ticket.sla_policy.calendar_id]
        warn = _minutes(ticket.sla_policy.warn_before_minutes)
        ticket.resolution_due_at = business_hours.add_business_time(calendar, now, left)
        ticket.resolution_warn_at = business_hours.add_business_time(calendar, now, max(left - warn, timedelta(0)))
    ticket.sla_paused_at = None
    ticket.resolution_left_seconds = None
    return ticket


# --- the job -------------------------------------------------------------------------------------


@dataclass
class SlaCheckResult:
    warnings: int = 0
    breaches: int = 0
    ticket_ids: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class _Deadline:
    """One of the four things the job watches: a moment column, the column that records that it
    was acted on, and what still has to be open for it to matter."""

    name: str
    moment: str
    mark: str
    open_condition: Q
    breach: bool


_STILL_OPEN = ~Q(status__in=[Ticket.Status.RESOLVED, Ticket.Status.CLOSED])
_DEADLINES = [
    _Deadline(
        "first_response",
        "first_response_warn_at",
        "first_response_warned_at",
        Q(first_response_at__isnull=True, first_response_breached_at__isnull=True) & _STILL_OPEN,
        breach=False,
    ),
    _Deadline(
        "first_response",
        "first_response_due_at",
        "first_response_breached_at",
        Q(first_response_at__isnull=True) & _STILL_OPEN,
        breach=True,
    ),
    _Deadline(
        "resolution",
        "resolution_warn_at",
        "resolution_warned_at",
        Q(resolved_at__isnull=True, sla_paused_at__isnull=True, resolution_breached_at__isnull=True) & _STILL_OPEN,
        breach=False,
    ),
    _Deadline(
        "resolution",
        "resolution_due_at",
        "resolution_breached_at",
        Q(resolved_at__isnull=True, sla_paused_at__isnull=True) & _STILL_OPEN,
        breach=True,
    ),
]


def sla_check(*, now: datetime | None = None, batch_size: int = 1000) -> SlaCheckResult:
    """Warn owners of deadlines coming up and escalate breaches, each exactly once. Works in
    bounded batches until nothing is left; safe to run in several workers at once."""
    now = now or timezone.now()
    result = SlaCheckResult()
    for deadline in _DEADLINES:
        while True:
            with transaction.atomic():
                batch = _claim(deadline, now=now, limit=batch_size)
                if batch:
                    _act(deadline, batch, now=now)
            if deadline.breach:
                result.breaches += len(batch)
            else:
                result.warnings += len(batch)
            result.ticket_ids.update(ticket.pk for ticket in batch)
            if len(batch) < batch_size:
                break
    return result


def _claim(deadline: _Deadline, *, now: datetime, limit: int) -> list[Ticket]:
    due = Q(**{f"{deadline.moment}__lte": now, f"{deadline.mark}__isnull": True}) & deadline.open_condition
    ids = list(
        Ticket.objects.select_for_update(skip_locked=True)
        .filter(due)
        .order_by(deadline.moment, "id")
        .values_list("id", flat=True)[:limit]
    )
    if not ids:
        return []
    changes = {deadline.mark: now}
    if deadline.breach:
        # Escalation raises the priority one step (an urgent ticket stays urgent).
        changes["priority"] = Least(F("priority") + 1, Value(Ticket.Priority.URGENT))
    Ticket.objects.filter(pk__in=ids, **{f"{deadline.mark}__isnull": True}).update(**changes)
    return list(
        Ticket.objects.filter(pk__in=ids, **{deadline.mark: now}).select_related("owner", "team__manager", "customer")
    )


def _act(deadline: _Deadline, batch: list[Ticket], *, now: datetime) -> None:
    what = _("first response") if deadline.name == "first_response" else _("resolution")
    notifications, events = [], []
    for ticket in batch:
        due = getattr(ticket, deadline.moment.replace("_warn_at", "_due_at"))
        if deadline.breach:
            title = _("Breached: the %(what)s target of ticket %(number)s") % {"what": what, "number": ticket.number}
            events.append(TicketEvent(ticket=ticket, kind=TicketEvent.Kind.SLA_BREACH, new_value=what, created_at=now))
            events.append(
                TicketEvent(
                    ticket=ticket,
                    kind=TicketEvent.Kind.ESCALATED,
                    new_value=ticket.get_priority_display(),
                    note=_("Priority raised and the team's manager notified."),
                    created_at=now,
                )
            )
            recipients = {ticket.owner, ticket.team.manager if ticket.team else None}
        else:
            title = _("Ticket %(number)s: the %(what)s target is close (due %(due)s)") % {
                "number": ticket.number,
                "what": what,
                "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M") if due else "—",
            }
            events.append(TicketEvent(ticket=ticket, kind=TicketEvent.Kind.SLA_WARNING, new_value=what, created_at=now))
            recipients = {ticket.owner}
        kind = "breach" if deadline.breach else "warning"
        for recipient in recipients - {None}:
            notifications.append(
                Notification(
                    recipient=recipient,
                    title=title[:200],
                    body=ticket.subject,
                    url=ticket.get_absolute_url(),
                    dedupe_key=f"sla:{kind}:{deadline.name}:{ticket.pk}:{recipient.pk}",
                )
            )
    Notification.objects.bulk_create(notifications, ignore_conflicts=True)
    TicketEvent.objects.bulk_create(events)
