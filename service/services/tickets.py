"""Writes of tickets: intake, the status workflow, the conversation, edits and transfers.

Every change is written to the ticket's history (``TicketEvent``) and, when the customer would
care, to the customer's timeline. Changes that can race (two agents pressing buttons on the same
ticket) lock the ticket row first, re-reading it into the caller's instance.
"""

import secrets
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm_site.access import Role, user_roles
from crm_site.events import Event, announce
from crm_site.messaging.services import message_enqueue
from crm_site.models import Channel, Purpose, User
from crm_site.services import notification_create
from crm_site.text import normalize_text, search_key
from customers.models import Customer, Interaction
from customers.services import interaction_record
from sales.numbering import save_with_number
from service.models import ServiceSettings, Ticket, TicketCategory, TicketEvent, TicketMessage, TicketTransfer
from service.services.sla import PAUSED_STATUSES, ticket_sla_pause, ticket_sla_resume, ticket_sla_start
from service.services.ticket_attachments import attachments_save, attachments_validate

TICKET_PREFIX = "T"
S = Ticket.Status
# The workflow: from each status, where a ticket may go. Reopening (resolved/closed -> open) is
# counted separately.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.OPEN, S.WAITING_CUSTOMER, S.WAITING_CONTRACTOR, S.RESOLVED}),
    S.OPEN: frozenset({S.WAITING_CUSTOMER, S.WAITING_CONTRACTOR, S.RESOLVED}),
    S.WAITING_CUSTOMER: frozenset({S.OPEN, S.WAITING_CONTRACTOR, S.RESOLVED}),
    S.WAITING_CONTRACTOR: frozenset({S.OPEN, S.WAITING_CUSTOMER, S.RESOLVED}),
    S.RESOLVED: frozenset({S.CLOSED, S.OPEN}),
    S.CLOSED: frozenset({S.OPEN}),
}
OPEN_STATUSES = (S.NEW, S.OPEN, S.WAITING_CUSTOMER, S.WAITING_CONTRACTOR)
# Fields ``ticket_update`` may change; changing the first two moves the SLA deadlines.
EDITABLE_FIELDS = ("category", "priority", "kind", "subject", "description")
# Who may own a ticket: the roles that work in the service area.
OWNER_ROLES = frozenset({Role.SERVICE_AGENT, Role.MANAGER, Role.ADMIN})


def ticket_search_text(*, ticket: Ticket) -> str:
    return " ".join(part for part in (search_key(ticket.number), search_key(ticket.subject)) if part)


def _lock(ticket: Ticket) -> Ticket:
    """Lock the ticket's row and re-read it into the caller's instance (inside a transaction)."""
    ticket.refresh_from_db(from_queryset=Ticket.objects.select_for_update())
    return ticket


def _event(*, ticket: Ticket, kind: str, by: User | None, old: str = "", new: str = "", note: str = "") -> TicketEvent:
    event = TicketEvent(
        ticket=ticket, kind=kind, user=by, old_value=str(old)[:200], new_value=str(new)[:200], note=note.strip()
    )
    event.full_clean()
    event.save()
    return event


def _timeline(*, ticket: Ticket, by: User | None, subject: str, body: str = "", source=None, direction: str = ""):
    """One entry of the customer's timeline per ticket event (the event is the entry's source, so
    a retried call does not add it twice)."""
    return interaction_record(
        customer=ticket.customer,
        kind=Interaction.Kind.TICKET,
        user=by,
        subject=f"{ticket.number}: {subject}",
        body=body,
        direction=direction,
        source=source or ticket,
        url=ticket.get_absolute_url(),
    )


def _clean_text(fields: dict) -> None:
    if "subject" in fields:
        fields["subject"] = normalize_text(fields["subject"] or "")
    if "description" in fields:
        fields["description"] = (fields["description"] or "").strip()


def _check_owner(user: User, *, field: str = "owner") -> None:
    if not user.is_active or not (user.is_superuser or user_roles(user) & OWNER_ROLES):
        raise ValidationError({field: _("%(user)s is not a service agent.") % {"user": user}})


@transaction.atomic
def ticket_create(
    *,
    customer: Customer,
    subject: str,
    kind: str,
    channel: str,
    description: str = "",
    category: TicketCategory | None = None,
    priority: int = Ticket.Priority.NORMAL,
    order=None,
    product=None,
    created_by: User | None = None,
    owner: User | None = None,
    attachments: Iterable = (),
) -> Ticket:
    """Open a ticket: number it (T-000001, race-free), give it its service-level deadlines and
    one owner (the ``owner`` passed, else the assignment rules), and record it on its history
    and the customer's timeline. Attachments are checked before anything is written."""
    fields = {"subject": subject, "description": description}
    _clean_text(fields)
    ticket = Ticket(
        customer=customer,
        kind=kind,
        channel=channel,
        category=category,
        priority=priority,
        order=order,
        product=product,
        created_by=created_by,
        owner=owner,
        team=owner.team if owner is not None else None,
        public_token=secrets.token_urlsafe(24),
        created_at=timezone.now(),
        **fields,
    )
    if owner is not None:
        _check_owner(owner)
    ticket.full_clean(exclude=["number"])
    files = attachments_validate(attachments)
    ticket_sla_start(ticket=ticket)
    save_with_number(instance=ticket, prefix=TICKET_PREFIX)
    ticket.search_text = ticket_search_text(ticket=ticket)
    Ticket.objects.filter(pk=ticket.pk).update(search_text=ticket.search_text)

    _event(ticket=ticket, kind=TicketEvent.Kind.CREATED, by=created_by, new=ticket.get_channel_display())
    _timeline(
        ticket=ticket,
        by=created_by,
        subject=_("%(kind)s opened: %(subject)s") % {"kind": ticket.get_kind_display(), "subject": ticket.subject},
        body=ticket.description,
        source=ticket,
        direction=Interaction.Direction.INBOUND,
    )
    if files:
        # What the customer sent with a request filed on the public form is theirs to see again.
        attachments_save(ticket=ticket, files=files, by=created_by, message=None, is_public=created_by is None)
    if owner is None:
        from service.services.assignment import ticket_assign_auto

        owner = ticket_assign_auto(ticket=ticket)
        if owner is not None and ticket.owner_id != owner.pk:
            ticket.owner = owner
            ticket.team_id = ticket.team_id or owner.team_id
            Ticket.objects.filter(pk=ticket.pk).update(owner=owner, team_id=ticket.team_id)
    if owner is not None and not ticket.events.filter(kind=TicketEvent.Kind.ASSIGNED).exists():
        _event(ticket=ticket, kind=TicketEvent.Kind.ASSIGNED, by=created_by, new=str(owner))
        if owner != created_by:
            notification_create(
                recipient=owner,
                title=_("New ticket for you: %(number)s") % {"number": ticket.number},
                body=ticket.subject,
                url=ticket.get_absolute_url(),
                dedupe_key=f"ticket-assigned:{ticket.pk}:{owner.pk}",
            )
    if ticket.kind == Ticket.Kind.COMPLAINT:
        announce(Event.COMPLAINT_FILED, customer_id=ticket.customer_id, key=f"ticket:{ticket.pk}", source=ticket)
    return ticket


@transaction.atomic
def ticket_set_status(*, ticket: Ticket, status: str, by: User | None, note: str = "") -> Ticket:
    """Move the ticket along its workflow. Waiting on the customer stops the resolution clock and
    leaving that status starts it again; resolving sends the satisfaction survey; reopening a
    resolved or closed ticket counts as a reopen."""
    _lock(ticket)
    old = ticket.status
    if status not in S.values:
        raise ValidationError({"status": _("Unknown status.")})
    if status == old:
        raise ValidationError(
            {"status": _("The ticket is already “%(status)s”.") % {"status": ticket.get_status_display()}}
        )
    if status not in TRANSITIONS[old]:
        raise ValidationError(
            {
                "status": _("A ticket that is “%(old)s” cannot become “%(new)s”.")
                % {"old": ticket.get_status_display(), "new": S(status).label}
            }
        )
    now = timezone.now()
    reopening = status == S.OPEN and old in (S.RESOLVED, S.CLOSED)
    if old in PAUSED_STATUSES:
        ticket_sla_resume(ticket=ticket, now=now)
    ticket.status = status
    if status in PAUSED_STATUSES:
        ticket_sla_pause(ticket=ticket, now=now)
    if status == S.RESOLVED:
        ticket.resolved_at = now
    elif status == S.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    if reopening:
        ticket.resolved_at = ticket.closed_at = None
        ticket.reopened += 1
    ticket.full_clean()
    ticket.save()

    old_label, new_label = S(old).label, S(status).label
    kind = TicketEvent.Kind.REOPENED if reopening else TicketEvent.Kind.STATUS
    event = _event(ticket=ticket, kind=kind, by=by, old=old_label, new=new_label, note=note)
    _timeline(
        ticket=ticket,
        by=by,
        subject=_("Status: %(old)s → %(new)s") % {"old": old_label, "new": new_label},
        body=note,
        source=event,
    )
    if status == S.RESOLVED:
        from service.services.satisfaction import survey_send

        survey_send(ticket=ticket)
    if status == S.CLOSED:
        # A ticket closed, reopened and closed again is a new occurrence: its reopen count tells them apart.
        announce(
            Event.TICKET_CLOSED,
            customer_id=ticket.customer_id,
            key=f"ticket:{ticket.pk}:{ticket.reopened}",
            source=ticket,
            kind=ticket.kind,
        )
    return ticket


@transaction.atomic
def ticket_transfer(*, ticket: Ticket, to_user: User, by: User, reason: str) -> TicketTransfer:
    """Hand the ticket to another agent, saying why. Every hand-over is counted; a ticket handed
    over more often than the settings allow is flagged once and its team's manager told."""
    reason = normalize_text(reason or "")
    if not reason:
        raise ValidationError({"reason": _("Say why the ticket is handed over.")})
    _check_owner(to_user, field="to_user")
    _lock(ticket)
    if ticket.owner_id == to_user.pk:
        raise ValidationError({"to_user": _("%(user)s already owns this ticket.") % {"user": to_user}})
    from_user = ticket.owner
    transfer = TicketTransfer(ticket=ticket, from_user=from_user, to_user=to_user, by=by, reason=reason[:300])
    transfer.full_clean()
    transfer.save()
    ticket.owner = to_user
    ticket.team_id = to_user.team_id or ticket.team_id
    # The row is locked, so a plain increment cannot lose a concurrent transfer.
    ticket.handoffs += 1
    ticket.save(update_fields=["owner", "team", "handoffs", "updated_at"])
    event = _event(
        ticket=ticket,
        kind=TicketEvent.Kind.TRANSFERRED,
        by=by,
        old=str(from_user) if from_user else "",
        new=str(to_user),
        note=reason,
    )
    _timeline(
        ticket=ticket,
        by=by,
        subject=_("Handed over to %(user)s") % {"user": to_user},
        body=reason,
        source=event,
    )
    if to_user != by:
        notification_create(
            recipient=to_user,
            title=_("Ticket %(number)s was handed over to you") % {"number": ticket.number},
            body=reason,
            url=ticket.get_absolute_url(),
            dedupe_key=f"ticket-transfer:{transfer.pk}",
        )
    _flag_handoffs(ticket=ticket)
    return transfer


def _flag_handoffs(*, ticket: Ticket) -> None:
    limit = ServiceSettings.load().handoff_limit
    if ticket.handoffs <= limit:
        return
    now = timezone.now()
    # The conditional update decides who flags it: once, however many transfers race past the limit.
    if not Ticket.objects.filter(pk=ticket.pk, handoffs_flagged_at__isnull=True).update(handoffs_flagged_at=now):
        return
    ticket.handoffs_flagged_at = now
    manager = ticket.team.manager if ticket.team_id else None
    if manager is not None:
        notification_create(
            recipient=manager,
            title=_("Ticket %(number)s was handed over %(count)s times")
            % {"number": ticket.number, "count": ticket.handoffs},
            body=ticket.subject,
            url=ticket.get_absolute_url(),
            dedupe_key=f"ticket-handoffs:{ticket.pk}",
        )


def _message(*, ticket: Ticket, kind: str, body: str, by: User | None, attachments: Iterable, public: bool):
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write a message.")})
    files = attachments_validate(attachments)
    message = TicketMessage(ticket=ticket, kind=kind, body=body, author=by, created_at=timezone.now())
    message.full_clean()
    message.save()
    attachments_save(ticket=ticket, files=files, by=by, message=message, is_public=public)
    return message


@transaction.atomic
def ticket_reply(*, ticket: Ticket, body: str, by: User, attachments: Iterable = ()) -> TicketMessage:
    """Answer the customer: the message goes on the ticket and to the customer by SMS (or email
    when they have no phone). The first reply is the ticket's first response; a new ticket
    becomes open."""
    message = _message(
        ticket=ticket, kind=TicketMessage.Kind.REPLY, body=body, by=by, attachments=attachments, public=True
    )
    # Set once: the conditional update keeps the earliest reply however replies race.
    if Ticket.objects.filter(pk=ticket.pk, first_response_at__isnull=True).update(first_response_at=message.created_at):
        ticket.first_response_at = message.created_at
    event = _event(ticket=ticket, kind=TicketEvent.Kind.REPLIED, by=by, note=message.body[:500])
    _timeline(
        ticket=ticket,
        by=by,
        subject=_("Reply sent"),
        body=message.body,
        source=event,
        direction=Interaction.Direction.OUTBOUND,
    )
    _send_to_customer(ticket=ticket, message=message)
    ticket.refresh_from_db(fields=["status"])
    if ticket.status == S.NEW:
        ticket_set_status(ticket=ticket, status=S.OPEN, by=by)
    return message


def _send_to_customer(*, ticket: Ticket, message: TicketMessage) -> None:
    customer = ticket.customer
    text = _("Ticket %(number)s: %(text)s") % {"number": ticket.number, "text": message.body}
    if customer.phone:
        channel, recipient = Channel.SMS, customer.phone
    elif customer.email:
        channel, recipient = Channel.EMAIL, customer.email
    else:
        return
    message_enqueue(
        channel=channel,
        recipient=recipient,
        body=text,
        subject=_("About your ticket %(number)s") % {"number": ticket.number} if channel == Channel.EMAIL else "",
        idempotency_key=f"ticket-reply:{message.pk}",
        purpose=Purpose.TRANSACTIONAL,
        concerning=ticket,
    )


@transaction.atomic
def ticket_note(*, ticket: Ticket, body: str, by: User, attachments: Iterable = ()) -> TicketMessage:
    """An internal note: staff only, never sent to the customer nor put on their timeline."""
    message = _message(
        ticket=ticket, kind=TicketMessage.Kind.NOTE, body=body, by=by, attachments=attachments, public=False
    )
    _event(ticket=ticket, kind=TicketEvent.Kind.NOTE, by=by)
    return message


@transaction.atomic
def ticket_update(*, ticket: Ticket, by: User, **fields) -> Ticket:
    """Change the ticket's category, priority, kind, subject or description. A new priority or
    category can mean another service-level policy: the deadlines are recomputed from the
    ticket's creation (and, while the clock is stopped, stay stopped)."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown ticket fields: {sorted(unknown)}")
    _clean_text(fields)
    _lock(ticket)
    before = {name: getattr(ticket, name) for name in fields}
    before_labels = {"priority": ticket.get_priority_display(), "category": str(ticket.category or "—")}
    for name, value in fields.items():
        setattr(ticket, name, value)
    changed = [name for name in fields if getattr(ticket, name) != before[name]]
    if not changed:
        return ticket
    ticket.full_clean()
    if {"priority", "category"} & set(changed):
        now = timezone.now()
        paused = ticket.sla_paused_at is not None
        ticket_sla_start(ticket=ticket, start=ticket.created_at)
        if paused:
            ticket.sla_paused_at = None
            ticket_sla_pause(ticket=ticket, now=now)
    ticket.search_text = ticket_search_text(ticket=ticket)
    ticket.save()
    for name, kind, label in (
        ("priority", TicketEvent.Kind.PRIORITY, lambda: ticket.get_priority_display()),
        ("category", TicketEvent.Kind.CATEGORY, lambda: str(ticket.category or "—")),
    ):
        if name in changed:
            event = _event(ticket=ticket, kind=kind, by=by, old=before_labels[name], new=label())
            _timeline(
                ticket=ticket,
                by=by,
                subject=_("%(what)s: %(old)s → %(new)s")
                % {"what": event.get_kind_display(), "old": event.old_value, "new": event.new_value},
                source=event,
            )
    return ticket
