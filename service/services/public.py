"""Writes of the customer-facing pages: a request or complaint filed on the public form, and a
message the customer adds on the status page.

A public request is matched to the customer file by phone (E.164, so "0912…", "+98912…" and
Persian digits are one number) or email, else a prospect is created; the ticket is opened with
S1's ``ticket_create`` and acknowledged with the ticket number and the status link. Everything
runs in one transaction: bad input writes no customer and no ticket.
"""

import os
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from crm_site.messaging.phone import normalize_phone
from crm_site.messaging.services import message_enqueue, normalize_address
from crm_site.models import Channel, OutboxMessage, Purpose
from crm_site.services import notification_create
from customers.models import Customer, CustomerEmail, CustomerPhone, Interaction
from customers.services import customer_create, interaction_record
from sales.services.aftersale import message_render
from service.models import ServiceSettings, Ticket, TicketCategory, TicketMessage
from service.services.satisfaction import customer_sms_number, site_link
from service.services.ticket_attachments import attachments_validate
from service.services.tickets import ticket_create, ticket_set_status

PUBLIC_KINDS = (Ticket.Kind.REQUEST, Ticket.Kind.COMPLAINT)
# Anonymous uploads: images and PDF only (no office files, which can carry macros), few and small.
PUBLIC_ATTACHMENT_EXTENSIONS = ("jpg", "jpeg", "png", "pdf")
PUBLIC_MAX_FILES = 3
PUBLIC_MAX_MB = 5
MESSAGE_MAX_LENGTH = 5000


def ticket_status_link(*, ticket: Ticket) -> str:
    """The absolute address of the ticket's public status page (number + secret token)."""
    return site_link(reverse("service:ticket_status", args=[ticket.number, ticket.public_token]))


def customer_match(*, phone: str = "", email: str = "") -> Customer | None:
    """The existing customer with this phone (E.164) or, failing that, this email; the oldest
    when several share it."""
    if phone:
        row = CustomerPhone.objects.filter(number=phone).order_by("customer_id").select_related("customer").first()
        if row is not None:
            return row.customer
    if email:
        row = CustomerEmail.objects.filter(address=email).order_by("customer_id").select_related("customer").first()
        if row is not None:
            return row.customer
    return None


def _clean_contact(phone: str, email: str) -> tuple[str, str]:
    errors = {}
    phone, email = (phone or "").strip(), (email or "").strip()
    if phone:
        try:
            phone = normalize_phone(phone)
        except ValidationError:
            errors["phone"] = _("Enter a valid phone number.")
    if email:
        try:
            email = normalize_address(channel=Channel.EMAIL, address=email)
        except ValidationError:
            errors["email"] = _("Enter a valid email address.")
    if not phone and not email and not errors:
        errors["phone"] = _("Leave a phone number or an email address so we can reply.")
    if errors:
        raise ValidationError(errors)
    return phone, email


def _check_public_files(files: list[UploadedFile]) -> None:
    """The stricter rules of anonymous uploads; content and size are then checked by S1's
    ``attachments_validate`` like every other attachment."""
    if len(files) > PUBLIC_MAX_FILES:
        raise ValidationError({"attachments": _("Attach at most %(count)s files.") % {"count": PUBLIC_MAX_FILES}})
    errors = []
    for file in files:
        name = os.path.basename(file.name or "")
        if os.path.splitext(name)[1].lower().lstrip(".") not in PUBLIC_ATTACHMENT_EXTENSIONS:
            errors.append(_("“%(name)s”: attach photos (JPEG, PNG) or PDF files only.") % {"name": name})
        elif file.size > PUBLIC_MAX_MB * 1024 * 1024:
            errors.append(_("“%(name)s” is larger than %(max)s MB.") % {"name": name, "max": PUBLIC_MAX_MB})
    if errors:
        raise ValidationError({"attachments": errors})


def _acknowledge(*, ticket: Ticket, phone: str, email: str) -> OutboxMessage | None:
    customer = ticket.customer
    template = ServiceSettings.load().acknowledgement_template
    body = message_render(
        template=template,
        values={
            "customer_name": customer.name,
            "ticket_number": ticket.number,
            "status_link": ticket_status_link(ticket=ticket),
        },
    )
    if "{status_link}" not in template:
        # The customer always gets the way back to their ticket.
        body = f"{body} {ticket_status_link(ticket=ticket)}"
    phone = phone or customer_sms_number(customer=customer)
    if phone:
        channel, recipient, subject = Channel.SMS, phone, ""
    elif email:
        channel, recipient = Channel.EMAIL, email
        subject = _("We received your request: ticket %(number)s") % {"number": ticket.number}
    else:
        return None
    return message_enqueue(
        channel=channel,
        recipient=recipient,
        body=body,
        subject=subject,
        idempotency_key=f"service:ack:{ticket.pk}",
        purpose=Purpose.TRANSACTIONAL,
        concerning=ticket,
    )


@transaction.atomic
def public_ticket_create(
    *,
    kind: str,
    name: str,
    phone: str,
    email: str,
    subject: str,
    description: str,
    category: TicketCategory | None = None,
    attachments: Iterable[UploadedFile] = (),
) -> Ticket:
    """File a request or complaint from the public form (channel web form): match or create the
    customer, open the ticket, and send the acknowledgement with the ticket number and status
    link (SMS, or email when only an email was given). All or nothing."""
    if kind not in PUBLIC_KINDS:
        raise ValidationError({"kind": _("Choose a request or a complaint.")})
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Tell us your name.")})
    phone, email = _clean_contact(phone, email)
    if category is not None and not (category.is_active and category.depth <= 1):
        raise ValidationError({"category": _("Choose one of the listed categories.")})
    files = [file for file in attachments if file]
    _check_public_files(files)
    attachments_validate(files)

    customer = customer_match(phone=phone, email=email)
    if customer is None:
        customer = customer_create(
            created_by=None,
            kind=Customer.Kind.PERSON,
            name=name,
            status=Customer.Status.PROSPECT,
            source=None,
            notes=_("Came through the service request form (web)."),
            phones=[phone] if phone else [],
            emails=[email] if email else [],
        )
    ticket = ticket_create(
        customer=customer,
        subject=subject,
        kind=kind,
        channel=Ticket.Channel.WEB_FORM,
        description=description,
        category=category,
        created_by=None,
        attachments=files,
    )
    _acknowledge(ticket=ticket, phone=phone, email=email)
    return ticket


@transaction.atomic
def ticket_customer_message(*, ticket: Ticket, body: str) -> TicketMessage:
    """A message the customer adds on the status page. A ticket waiting on the customer goes back
    to open (its clock starts again); the owner is told."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write a message.")})
    if len(body) > MESSAGE_MAX_LENGTH:
        raise ValidationError(
            {"body": _("Keep the message under %(count)s characters.") % {"count": MESSAGE_MAX_LENGTH}}
        )
    message = TicketMessage(ticket=ticket, kind=TicketMessage.Kind.CUSTOMER, body=body)
    message.full_clean()
    message.save()
    interaction_record(
        customer=ticket.customer,
        kind=Interaction.Kind.TICKET,
        direction=Interaction.Direction.INBOUND,
        subject=_("%(number)s: message from the customer") % {"number": ticket.number},
        body=body,
        source=message,
    )
    if ticket.status == Ticket.Status.WAITING_CUSTOMER:
        ticket_set_status(
            ticket=ticket, status=Ticket.Status.OPEN, by=None, note=_("The customer answered on the status page.")
        )
    if ticket.owner_id is not None:
        notification_create(
            recipient=ticket.owner,
            title=_("The customer wrote on ticket %(number)s") % {"number": ticket.number},
            body=body[:500],
            url=ticket.get_absolute_url(),
            dedupe_key=f"service:customer-message:{message.pk}",
        )
    return message
