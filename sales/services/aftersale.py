"""After the sale: the thank-you and survey SMS, the customer's survey answer, and the settings
that shape them.

Another part sets an order's ``thank_you_due_at`` / ``survey_due_at`` when it is paid or
delivered; the job here sends what fell due, each message at most once per order: a batch is
claimed by a conditional UPDATE of ``*_sent_at`` in the same transaction that writes the outbox
rows, so a crash rolls the claim back with them, and two runs at once never claim the same order.
"""

import datetime
import logging
import re
import secrets
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm_site.messaging.services import message_enqueue
from crm_site.models import Channel, OutboxMessage, Purpose
from customers.models import Interaction
from customers.services import interaction_record
from sales.models import Order, SalesSettings, SurveyInvitation
from sales.quiet_hours import in_quiet_hours

logger = logging.getLogger(__name__)

THANK_YOU_PLACEHOLDERS = frozenset({"customer_name", "order_number"})
SURVEY_PLACEHOLDERS = THANK_YOU_PLACEHOLDERS | {"survey_link"}
PLACEHOLDER = re.compile(r"\{(\w+)\}")
COMMENT_MAX_LENGTH = 2000

# kind -> (due field, sent field, idempotency key prefix)
_KINDS = {
    "thank_you": ("thank_you_due_at", "thank_you_sent_at", "sales:thanks"),
    "survey": ("survey_due_at", "survey_sent_at", "sales:survey"),
}


# --- message templates -------------------------------------------------------------------------


def message_render(*, template: str, values: Mapping[str, str]) -> str:
    """Fill ``{name}`` placeholders. Unknown placeholders stay as written and braces inside the
    values are never read again, so a customer called "{x}" cannot break or alter the text."""
    return PLACEHOLDER.sub(lambda match: str(values.get(match.group(1), match.group(0))), template)


def template_errors(*, text: str, allowed: Iterable[str], required: Iterable[str] = ()) -> list[str]:
    """What is wrong with a message template: unknown placeholders, missing required ones."""
    allowed = set(allowed)
    used = set(PLACEHOLDER.findall(text))
    errors = []
    unknown = sorted(used - allowed)
    if unknown:
        errors.append(
            _("Unknown placeholder(s): %(unknown)s. Use only %(allowed)s.")
            % {
                "unknown": ", ".join(f"{{{name}}}" for name in unknown),
                "allowed": ", ".join(f"{{{name}}}" for name in sorted(allowed)),
            }
        )
    for name in required:
        if name not in used:
            errors.append(_("The message must contain {%(name)s}.") % {"name": name})
    return errors


def survey_link(token: str) -> str:
    """The absolute address of a survey page, for a message that leaves the site."""
    base = getattr(settings, "SITE_URL", "http://127.0.0.1:8000").rstrip("/")
    return f"{base}{reverse('sales:survey', args=[token])}"


def message_values(*, customer_name: str, order_number: str, link: str = "") -> dict[str, str]:
    return {"customer_name": customer_name, "order_number": order_number, "survey_link": link}


# --- the job -----------------------------------------------------------------------------------


def after_sale_send_due(*, now: datetime.datetime | None = None, batch_size: int = 500) -> dict:
    """Queue the thank-you and survey SMS that fell due by ``now``, outside the quiet hours.

    Returns counts: ``thank_you`` and ``survey`` queued, ``suppressed`` (queued but the number
    opted out), ``skipped`` (no consent, no usable phone, cancelled, or that message switched
    off: marked as handled and never sent), ``quiet_hours`` (True when nothing was tried), and
    ``more`` (a batch came back full: call again)."""
    now = now or timezone.now()
    config = SalesSettings.load()
    result = {"thank_you": 0, "survey": 0, "suppressed": 0, "skipped": 0, "quiet_hours": False, "more": False}
    if in_quiet_hours(moment=now, start=config.quiet_hours_start, end=config.quiet_hours_end):
        result["quiet_hours"] = True
        return result
    for kind in _KINDS:
        with transaction.atomic():
            batch = _claim(kind=kind, now=now, limit=batch_size)
            for order in batch:
                outcome = _deliver(kind=kind, order=order, config=config)
                result[outcome] += 1
        result["more"] = result["more"] or len(batch) == batch_size
    return result


def _claim(*, kind: str, now: datetime.datetime, limit: int) -> list[Order]:
    """Take up to ``limit`` due orders (call inside a transaction). On PostgreSQL other workers
    skip the locked rows; on SQLite the IMMEDIATE transaction makes claims run one after another."""
    due_field, sent_field, _prefix = _KINDS[kind]
    ids = list(
        Order.objects.select_for_update(skip_locked=True)
        .filter(**{f"{due_field}__lte": now, f"{sent_field}__isnull": True})
        .order_by(due_field, "id")
        .values_list("id", flat=True)[:limit]
    )
    if not ids:
        return []
    claimed_at = timezone.now()
    Order.objects.filter(pk__in=ids, **{f"{sent_field}__isnull": True}).update(**{sent_field: claimed_at})
    return list(
        Order.objects.filter(pk__in=ids, **{sent_field: claimed_at})
        .select_related("customer")
        .order_by(due_field, "id")
    )


def _deliver(*, kind: str, order: Order, config: SalesSettings) -> str:
    """Queue one order's message; the order is already claimed. Returns the outcome's count key."""
    customer = order.customer
    enabled = config.thank_you_enabled if kind == "thank_you" else config.survey_enabled
    if not enabled or order.status == Order.Status.CANCELLED or not customer.sms_consent or not customer.phone:
        return "skipped"
    values = message_values(customer_name=customer.name, order_number=order.number)
    if kind == "thank_you":
        template = config.thank_you_template
    else:
        invitation, _created = SurveyInvitation.objects.get_or_create(
            order=order, defaults={"customer": customer, "token": secrets.token_urlsafe(24)}
        )
        values["survey_link"] = survey_link(invitation.token)
        template = config.survey_template
        if "{survey_link}" not in template:  # settings saved around the form's check (the admin)
            template = f"{template} {{survey_link}}"
    body = message_render(template=template, values=values)
    try:
        message = message_enqueue(
            channel=Channel.SMS,
            recipient=customer.phone,
            body=body,
            idempotency_key=f"{_KINDS[kind][2]}:{order.pk}",
            purpose=Purpose.MARKETING,
            concerning=order,
        )
    except ValidationError:
        # An unusable number on the customer's file must not hold back everyone else's messages.
        logger.warning("After-sale %s for order %s: customer %s has no usable phone", kind, order.pk, customer.pk)
        return "skipped"
    if message.status == OutboxMessage.Status.SUPPRESSED:
        return "suppressed"
    interaction_record(
        customer=customer,
        kind=Interaction.Kind.SMS,
        direction=Interaction.Direction.OUTBOUND,
        subject=(
            _("Thank-you SMS for order %(number)s") if kind == "thank_you" else _("Survey SMS for order %(number)s")
        )
        % {"number": order.number},
        body=body,
        source=message,
    )
    return kind


# --- the customer's answer ---------------------------------------------------------------------


def survey_answer_claim(survey: models.Model, *, score: int, comment: str) -> bool:
    """Check a 1–5 answer and record it on ``survey`` (any model with ``answered_at``, ``score``
    and ``comment``: the sales survey and the service CSAT) unless it was answered already. A
    conditional UPDATE decides, so a double submit (or two at once) records one answer."""
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError({"score": _("Choose a score from 1 to 5.")})
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            {"comment": _("Keep the comment under %(count)s characters.") % {"count": COMMENT_MAX_LENGTH}}
        )
    answered_at = timezone.now()
    won = (
        type(survey)
        .objects.filter(pk=survey.pk, answered_at__isnull=True)
        .update(answered_at=answered_at, score=score, comment=comment)
    )
    if won:
        survey.answered_at, survey.score, survey.comment = answered_at, score, comment
    return bool(won)


@transaction.atomic
def survey_answer(*, invitation: SurveyInvitation, score: int, comment: str = "") -> bool:
    """Record the customer's answer, once per token: a conditional UPDATE decides, so a double
    submit (or two at once) writes one answer and one timeline entry. Returns False when the
    survey had already been answered."""
    if not survey_answer_claim(invitation, score=score, comment=comment):
        return False
    answered_at, comment = invitation.answered_at, invitation.comment
    interaction_record(
        customer=invitation.customer,
        kind=Interaction.Kind.SURVEY,
        occurred_at=answered_at,
        subject=_("Survey: %(score)s/5 for order %(number)s") % {"score": score, "number": invitation.order.number},
        body=comment,
        source=invitation,
        url=invitation.order.get_absolute_url(),
    )
    return True


# --- settings ----------------------------------------------------------------------------------


@transaction.atomic
def sales_settings_update(
    *,
    sales_settings: SalesSettings,
    thank_you_enabled: bool,
    thank_you_trigger: str,
    thank_you_delay_minutes: int,
    thank_you_template: str,
    survey_enabled: bool,
    survey_delay_days: int,
    survey_template: str,
    quiet_hours_start: datetime.time,
    quiet_hours_end: datetime.time,
) -> SalesSettings:
    """Save the after-sale settings. The templates may use only the known placeholders, and the
    survey message must carry its link."""
    errors = {}
    if problems := template_errors(text=thank_you_template, allowed=THANK_YOU_PLACEHOLDERS):
        errors["thank_you_template"] = problems
    if problems := template_errors(text=survey_template, allowed=SURVEY_PLACEHOLDERS, required=["survey_link"]):
        errors["survey_template"] = problems
    if errors:
        raise ValidationError(errors)
    sales_settings.thank_you_enabled = thank_you_enabled
    sales_settings.thank_you_trigger = thank_you_trigger
    sales_settings.thank_you_delay_minutes = thank_you_delay_minutes
    sales_settings.thank_you_template = thank_you_template.strip()
    sales_settings.survey_enabled = survey_enabled
    sales_settings.survey_delay_days = survey_delay_days
    sales_settings.survey_template = survey_template.strip()
    sales_settings.quiet_hours_start = quiet_hours_start
    sales_settings.quiet_hours_end = quiet_hours_end
    sales_settings.full_clean()
    sales_settings.save()
    return sales_settings
