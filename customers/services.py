"""Writes of the customer file: customers, their contacts, groups and the timeline.

Every write normalises what it stores (Persian letters and digits, E.164 phones, lower-cased
emails) and keeps the derived columns (primary phone and email, ``search_text``, ``name_key``)
in step, so that lists, search and the duplicate check read one indexed column.
"""

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm_site.events import Event, announce
from crm_site.messaging.phone import normalize_phone
from crm_site.messaging.services import message_enqueue, normalize_address
from crm_site.models import Channel, Purpose, User
from crm_site.text import normalize_text, search_key
from crm_site.tree import tree_node_save
from customers.models import Customer, CustomerEmail, CustomerGroup, CustomerPhone, Interaction

# Text fields cleaned with normalize_text before saving.
_TEXT_FIELDS = ["name", "first_name", "last_name", "job_title", "city", "region", "occupation", "lifestyle"]


def build_search_text(*, name: str, code: str, phones: Iterable[str], emails: Iterable[str]) -> str:
    """The one column the search box matches: name, code, phones in E.164 and national form
    (so "0912..." and "+98912..." both match), and emails, all normalised."""
    parts = [search_key(name), search_key(code)]
    for number in phones:
        parts.append(number)
        if number.startswith("+98"):
            parts.append("0" + number[3:])
    parts.extend(search_key(email) for email in emails)
    return " ".join(part for part in parts if part)


def _clean_phones(raw_phones: Iterable[str]) -> list[str]:
    numbers: list[str] = []
    for raw in raw_phones:
        if raw and str(raw).strip():
            number = normalize_phone(raw)
            if number not in numbers:
                numbers.append(number)
    return numbers


def _clean_emails(raw_emails: Iterable[str]) -> list[str]:
    addresses: list[str] = []
    for raw in raw_emails:
        if raw and str(raw).strip():
            address = normalize_address(channel=Channel.EMAIL, address=raw)
            if address not in addresses:
                addresses.append(address)
    return addresses


def clean_contacts(*, phones: Iterable[str] = (), emails: Iterable[str] = ()) -> tuple[list[str], list[str]]:
    """Normalise phones and emails, or raise ValidationError naming the bad one."""
    errors = {}
    try:
        clean_phones = _clean_phones(phones)
    except ValidationError:
        errors["phones"] = _("Enter valid phone numbers.")
    try:
        clean_emails = _clean_emails(emails)
    except ValidationError:
        errors["emails"] = _("Enter valid email addresses.")
    if errors:
        raise ValidationError(errors)
    return clean_phones, clean_emails


def _apply_fields(customer: Customer, fields: dict) -> None:
    for name, value in fields.items():
        if name in _TEXT_FIELDS and isinstance(value, str):
            value = normalize_text(value)
        setattr(customer, name, value)
    if customer.kind == Customer.Kind.PERSON and (customer.first_name or customer.last_name):
        customer.name = f"{customer.first_name} {customer.last_name}".strip()
    customer.name_key = search_key(customer.name)


def _apply_consent(customer: Customer, previous: Customer | None, now: datetime) -> None:
    """Stamp consent when it is given and clear the stamp when it is withdrawn."""
    for channel in ("sms", "email"):
        given = getattr(customer, f"{channel}_consent")
        was_given = getattr(previous, f"{channel}_consent") if previous else False
        if given and (not was_given or not getattr(customer, f"{channel}_consent_at")):
            setattr(customer, f"{channel}_consent_at", getattr(customer, f"{channel}_consent_at") or now)
        if not given:
            setattr(customer, f"{channel}_consent_at", None)
            setattr(customer, f"{channel}_consent_method", "")


def _save_contacts(customer: Customer, phones: list[str], emails: list[str]) -> None:
    customer.phones.exclude(number__in=phones).delete()
    customer.emails.exclude(address__in=emails).delete()
    existing_phones = set(customer.phones.values_list("number", flat=True))
    existing_emails = set(customer.emails.values_list("address", flat=True))
    CustomerPhone.objects.bulk_create(
        [CustomerPhone(customer=customer, number=n) for n in phones if n not in existing_phones]
    )
    CustomerEmail.objects.bulk_create(
        [CustomerEmail(customer=customer, address=a) for a in emails if a not in existing_emails]
    )
    customer.phones.update(
        is_primary=models.Case(models.When(number=phones[0] if phones else "", then=True), default=False)
    )
    customer.emails.update(
        is_primary=models.Case(models.When(address=emails[0] if emails else "", then=True), default=False)
    )


def _next_code(customer: Customer) -> str:
    code = f"C{customer.pk:06d}"
    if Customer.objects.filter(code=code).exclude(pk=customer.pk).exists():
        code = f"C{customer.pk:06d}-{uuid.uuid4().hex[:4]}"
    return code


@transaction.atomic
def customer_create(
    *,
    created_by: User | None,
    phones: Sequence[str] = (),
    emails: Sequence[str] = (),
    groups: Iterable[CustomerGroup] = (),
    tags: Iterable = (),
    interests: Iterable = (),
    **fields,
) -> Customer:
    """Create a customer. ``fields`` are Customer model fields; the owner defaults to the
    creator and the team to the owner's team."""
    phones, emails = clean_contacts(phones=phones, emails=emails)
    customer = Customer(created_by=created_by)
    _apply_fields(customer, fields)
    if "owner" not in fields and created_by is not None:
        customer.owner = created_by
    if "team" not in fields and customer.owner is not None:
        customer.team_id = customer.owner.team_id
    _apply_consent(customer, None, timezone.now())
    generate_code = not customer.code
    if generate_code:
        customer.code = f"tmp-{uuid.uuid4().hex[:20]}"
    customer.phone = phones[0] if phones else ""
    customer.email = emails[0] if emails else ""
    customer.full_clean(exclude=["search_text", "name_key"])
    customer.save()
    if generate_code:
        customer.code = _next_code(customer)
    customer.search_text = build_search_text(name=customer.name, code=customer.code, phones=phones, emails=emails)
    Customer.objects.filter(pk=customer.pk).update(code=customer.code, search_text=customer.search_text)
    _save_contacts(customer, phones, emails)
    customer.groups.set(groups)
    customer.tags.set(tags)
    customer.interests.set(interests)
    announce(Event.CUSTOMER_CREATED, customer_id=customer.pk, key=f"customer:{customer.pk}", source=customer)
    return customer


@transaction.atomic
def customer_update(
    *,
    customer: Customer,
    phones: Sequence[str] | None = None,
    emails: Sequence[str] | None = None,
    groups: Iterable[CustomerGroup] | None = None,
    tags: Iterable | None = None,
    interests: Iterable | None = None,
    **fields,
) -> Customer:
    """Change a customer; lists given as None are left as they are."""
    previous = Customer.objects.get(pk=customer.pk)
    if phones is None:
        phones = list(customer.phones.values_list("number", flat=True))
    if emails is None:
        emails = list(customer.emails.values_list("address", flat=True))
    clean_phones, clean_emails = clean_contacts(phones=phones, emails=emails)
    _apply_fields(customer, fields)
    _apply_consent(customer, previous, timezone.now())
    customer.phone = clean_phones[0] if clean_phones else ""
    customer.email = clean_emails[0] if clean_emails else ""
    customer.search_text = build_search_text(
        name=customer.name, code=customer.code, phones=clean_phones, emails=clean_emails
    )
    customer.full_clean(exclude=["search_text", "name_key"])
    customer.save()
    _save_contacts(customer, clean_phones, clean_emails)
    if groups is not None:
        customer.groups.set(groups)
    if tags is not None:
        customer.tags.set(tags)
    if interests is not None:
        customer.interests.set(interests)
    return customer


def apply_derived_fields(customer: Customer, *, phones: list[str], emails: list[str]) -> None:
    """Set the columns derived from a customer's contacts and name (not saved): the main phone and
    email (the current ones while they are still among the contacts), ``name_key`` and
    ``search_text``."""
    if customer.phone not in phones:
        customer.phone = phones[0] if phones else ""
    if customer.email not in emails:
        customer.email = emails[0] if emails else ""
    customer.name_key = search_key(customer.name)
    customer.search_text = build_search_text(name=customer.name, code=customer.code, phones=phones, emails=emails)


def customers_refresh_derived(*, customer_ids: Iterable[int]) -> None:
    """Recompute primary phone/email and the search column from the contact tables (after a
    merge or an import that wrote contacts in bulk)."""
    ids = list(customer_ids)
    phones: dict[int, list[str]] = {}
    emails: dict[int, list[str]] = {}
    for customer_id, number in CustomerPhone.objects.filter(customer_id__in=ids).values_list("customer_id", "number"):
        phones.setdefault(customer_id, []).append(number)
    for customer_id, address in CustomerEmail.objects.filter(customer_id__in=ids).values_list("customer_id", "address"):
        emails.setdefault(customer_id, []).append(address)
    customers = list(Customer.objects.filter(pk__in=ids).only("id", "name", "code", "phone", "email"))
    for customer in customers:
        apply_derived_fields(customer, phones=phones.get(customer.pk, []), emails=emails.get(customer.pk, []))
    # Small batches: bulk_update writes one CASE per field whose cost grows with the batch.
    Customer.objects.bulk_update(customers, ["phone", "email", "name_key", "search_text"], batch_size=100)


# --- groups ---------------------------------------------------------------------------------


def group_save(*, group: CustomerGroup) -> CustomerGroup:
    """Create or move a group, keeping the materialised paths of it and its sub-groups right."""
    return tree_node_save(group, cycle_message=_("A group cannot be moved under one of its own sub-groups."))


def group_create(*, name: str, parent: CustomerGroup | None = None, description: str = "") -> CustomerGroup:
    return group_save(group=CustomerGroup(name=name, parent=parent, description=description))


# --- the timeline ---------------------------------------------------------------------------


def interaction_record(
    *,
    customer: Customer,
    kind: str,
    user: User | None = None,
    occurred_at: datetime | None = None,
    subject: str = "",
    body: str = "",
    direction: str = "",
    duration_seconds: int | None = None,
    outcome: str = "",
    source: models.Model | None = None,
    url: str = "",
) -> Interaction:
    """Add an entry to a customer's timeline. With a ``source`` record (an order, a ticket, an
    outbox message) the entry is recorded once per source and kind, however often it is asked."""
    content_type = ContentType.objects.get_for_model(source) if source is not None else None
    if source is not None:
        existing = Interaction.objects.filter(
            customer=customer, kind=kind, content_type=content_type, object_id=str(source.pk)
        ).first()
        if existing is not None:
            return existing
    interaction = Interaction(
        customer=customer,
        kind=kind,
        user=user,
        occurred_at=occurred_at or timezone.now(),
        subject=normalize_text(subject)[:200],
        body=body.strip(),
        direction=direction,
        duration_seconds=duration_seconds,
        outcome=outcome,
        content_type=content_type,
        object_id=str(source.pk) if source is not None else "",
        url=url,
    )
    interaction.full_clean()
    interaction.save()
    return interaction


@transaction.atomic
def customer_message_send(
    *, customer: Customer, user: User, channel: str, body: str, idempotency_key: str, subject: str = ""
) -> Interaction:
    """Send a one-to-one SMS or email to the customer's main number or address through the
    outbox, and record it on the timeline. The form's token is the idempotency key, so submitting
    the same form twice sends one message."""
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write the message.")})
    if channel == Channel.SMS:
        recipient, kind = customer.phone, Interaction.Kind.SMS
        if not recipient:
            raise ValidationError(_("This customer has no phone number."))
    elif channel == Channel.EMAIL:
        recipient, kind = customer.email, Interaction.Kind.EMAIL
        if not recipient:
            raise ValidationError(_("This customer has no email address."))
        if not subject.strip():
            raise ValidationError({"subject": _("Write a subject.")})
    else:
        raise ValidationError(_("Unknown channel."))
    message = message_enqueue(
        channel=channel,
        recipient=recipient,
        subject=subject.strip(),
        body=body,
        idempotency_key=f"customer-{channel}-{customer.pk}-{idempotency_key}",
        purpose=Purpose.TRANSACTIONAL,
        concerning=customer,
    )
    return interaction_record(
        customer=customer,
        kind=kind,
        user=user,
        direction=Interaction.Direction.OUTBOUND,
        subject=subject.strip() or _("SMS to %(number)s") % {"number": message.recipient},
        body=body,
        source=message,
    )
