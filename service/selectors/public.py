"""Reads of the customer-facing pages: the ticket behind a status link, its public conversation,
the survey behind a token, and the categories a customer may choose.

There is no user to scope by: the secret in the address is the key, so a ticket is found only
when its number AND its token match, and the token is compared in constant time.
"""

import secrets

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from service.models import SatisfactionSurvey, Ticket, TicketAttachment, TicketCategory, TicketMessage

# What the customer sees of the conversation: never the internal notes.
PUBLIC_MESSAGE_KINDS = (TicketMessage.Kind.REPLY, TicketMessage.Kind.CUSTOMER)
_DUMMY_TOKEN = secrets.token_urlsafe(24)


def ticket_public_get(*, number: str, token: str) -> Ticket:
    """The ticket of a status link, or 404 unless both the number and the token match."""
    ticket = Ticket.objects.select_related("category").filter(number=number).first()
    # Compare even when the number is unknown, so timing tells nothing about which part was wrong.
    expected = ticket.public_token if ticket is not None else _DUMMY_TOKEN
    if not secrets.compare_digest(expected.encode(), (token or "").encode()) or ticket is None:
        raise Http404
    return ticket


def ticket_public_messages(*, ticket: Ticket) -> list[TicketMessage]:
    """The replies and the customer's own messages, oldest first, with their public attachments
    (two queries whatever the number of messages)."""
    return list(
        TicketMessage.objects.filter(ticket=ticket, kind__in=PUBLIC_MESSAGE_KINDS)
        .order_by("created_at", "id")
        .prefetch_related(
            Prefetch(
                "attachments", queryset=TicketAttachment.objects.filter(is_public=True), to_attr="public_attachments"
            )
        )
    )


def ticket_public_attachments(*, ticket: Ticket) -> list[TicketAttachment]:
    """Files the customer sent with the request itself (not tied to a message)."""
    return list(TicketAttachment.objects.filter(ticket=ticket, message__isnull=True, is_public=True))


def public_categories() -> QuerySet[TicketCategory]:
    """The categories a customer may pick: active top-level ones and their active children."""
    return TicketCategory.objects.filter(is_active=True).filter(
        Q(parent__isnull=True) | Q(depth=1, parent__is_active=True)
    )


def survey_get_by_token(*, token: str) -> SatisfactionSurvey:
    """The survey a customer's link points to, or 404. The token (192 random bits) is the key."""
    survey = SatisfactionSurvey.objects.select_related("ticket", "customer").filter(token=token).first()
    if survey is None:
        raise Http404
    return survey
