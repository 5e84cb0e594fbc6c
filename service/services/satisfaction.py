"""Satisfaction after service: the survey SMS when a ticket is resolved, and the customer's answer.

Each ticket gets at most one survey (a one-to-one row, found again on a second call) and each
survey is answered at most once: a conditional UPDATE of ``answered_at`` decides, so a double
submit writes one answer, one timeline entry and one follow-up. A low score gives the team's
manager a follow-up task, written as a sales ``Activity`` directly: sales' ``activity_create``
checks the creator's record scope, and here there is no creator (the customer answered).
"""

import datetime
import logging
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm_site.events import Event, announce
from crm_site.messaging.phone import normalize_phone
from crm_site.messaging.services import message_enqueue
from crm_site.models import Channel, OutboxMessage, Purpose, User
from crm_site.services import notification_create
from customers.models import Customer, Interaction
from customers.services import interaction_record
from sales.models import Activity
from sales.services.aftersale import message_render, survey_answer_claim
from service.models import SatisfactionSurvey, ServiceSettings, Ticket, TicketEvent

logger = logging.getLogger(__name__)

FOLLOW_UP_HOUR = datetime.time(10, 0)


def site_link(path: str) -> str:
    """An absolute address on this site, for a message that leaves it."""
    return getattr(settings, "SITE_URL", "http://127.0.0.1:8000").rstrip("/") + path


def survey_link(*, survey: SatisfactionSurvey) -> str:
    return site_link(reverse("service:csat_survey", args=[survey.token]))


def customer_sms_number(*, customer: Customer) -> str:
    """The customer's number for SMS in E.164: the primary phone row, else the first; "" when
    they have none (or only one that cannot be read)."""
    phone = customer.phones.order_by("-is_primary", "id").values_list("number", flat=True).first()
    if not phone:
        return ""
    try:
        return normalize_phone(phone)
    except ValidationError:
        return ""


@transaction.atomic
def survey_send(*, ticket: Ticket) -> SatisfactionSurvey | None:
    """Send the customer the satisfaction survey for a resolved ticket, once per ticket: a second
    call returns the survey already sent. A customer without a phone gets none (returns None).
    The SMS is a marketing message, so opt-outs and quiet hours apply."""
    existing = SatisfactionSurvey.objects.filter(ticket=ticket).first()
    if existing is not None:
        return existing
    customer = ticket.customer
    phone = customer_sms_number(customer=customer)
    if not phone:
        return None
    survey = SatisfactionSurvey(
        ticket=ticket, customer=customer, token=secrets.token_urlsafe(24), sent_at=timezone.now()
    )
    survey.full_clean()
    try:
        with transaction.atomic():
            survey.save()
    except IntegrityError:
        # Resolved twice at once: the other call's survey stands.
        return SatisfactionSurvey.objects.get(ticket=ticket)
    template = ServiceSettings.load().survey_template
    if "{survey_link}" not in template:  # settings saved around the form's check (the admin)
        template = f"{template} {{survey_link}}"
    body = message_render(
        template=template,
        values={
            "customer_name": customer.name,
            "ticket_number": ticket.number,
            "survey_link": survey_link(survey=survey),
        },
    )
    message = message_enqueue(
        channel=Channel.SMS,
        recipient=phone,
        body=body,
        idempotency_key=f"service:csat:{ticket.pk}",
        purpose=Purpose.MARKETING,
        concerning=ticket,
    )
    suppressed = message.status == OutboxMessage.Status.SUPPRESSED
    event = TicketEvent(
        ticket=ticket,
        kind=TicketEvent.Kind.SURVEY,
        new_value=_("Not sent: the customer opted out") if suppressed else _("Sent"),
        note=body,
    )
    event.full_clean()
    event.save()
    if not suppressed:
        interaction_record(
            customer=customer,
            kind=Interaction.Kind.SMS,
            direction=Interaction.Direction.OUTBOUND,
            subject=_("Satisfaction survey SMS for ticket %(number)s") % {"number": ticket.number},
            body=body,
            source=message,
        )
    return survey


def _follow_up_due(now: datetime.datetime) -> datetime.datetime:
    """Tomorrow at 10:00, local time."""
    tomorrow = timezone.localtime(now).date() + datetime.timedelta(days=1)
    return datetime.datetime.combine(tomorrow, FOLLOW_UP_HOUR, tzinfo=timezone.get_current_timezone())


def _low_score_follow_up(*, survey: SatisfactionSurvey, now: datetime.datetime) -> Activity | None:
    """Tell the ticket team's manager (or, without one, the ticket's owner) and give them a task."""
    ticket = survey.ticket
    manager: User | None = ticket.team.manager if ticket.team_id and ticket.team else None
    assignee = manager if manager is not None and manager.is_active else ticket.owner
    if assignee is None:
        logger.warning("Low CSAT on ticket %s: no manager and no owner to follow it up", ticket.pk)
        return None
    subject = _("Follow up the low satisfaction score on ticket %(number)s") % {"number": ticket.number}
    activity = Activity(
        kind=Activity.Kind.TASK,
        subject=subject[:200],
        notes=_("Score %(score)s/5. %(comment)s") % {"score": survey.score, "comment": survey.comment},
        due_at=_follow_up_due(now),
        assignee=assignee,
        customer=ticket.customer,
    )
    activity.full_clean()
    activity.save()
    notification_create(
        recipient=assignee,
        title=_("Low satisfaction score (%(score)s/5) on ticket %(number)s")
        % {"score": survey.score, "number": ticket.number},
        body=survey.comment[:500] or ticket.subject,
        url=ticket.get_absolute_url(),
        dedupe_key=f"service:csat-low:{survey.pk}",
    )
    return activity


@transaction.atomic
def survey_answer(*, survey: SatisfactionSurvey, score: int, comment: str = "") -> bool:
    """Record the customer's answer, once per survey. Returns False when it was already answered
    (nothing is written then). A score at or below the settings' low score gives the manager a
    follow-up task due tomorrow at 10:00 and a notification."""
    if not survey_answer_claim(survey, score=score, comment=comment):
        return False
    now, comment = survey.answered_at, survey.comment
    ticket = survey.ticket
    event = TicketEvent(
        ticket=ticket,
        kind=TicketEvent.Kind.SURVEY,
        new_value=_("Answered: %(score)s/5") % {"score": score},
        note=comment,
    )
    event.full_clean()
    event.save()
    interaction_record(
        customer=survey.customer,
        kind=Interaction.Kind.SURVEY,
        occurred_at=now,
        subject=_("Satisfaction: %(score)s/5 for ticket %(number)s") % {"score": score, "number": ticket.number},
        body=comment,
        source=survey,
        url=ticket.get_absolute_url(),
    )
    if score <= ServiceSettings.load().low_score:
        _low_score_follow_up(survey=survey, now=now)
    announce(
        Event.SATISFACTION_ANSWERED,
        customer_id=survey.customer_id,
        key=f"csat:{survey.pk}",
        source=survey,
        occurred_at=now,
        score=score,
    )
    return True
