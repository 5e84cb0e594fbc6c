"""Writes of the messaging gateway: enqueue a message, dispatch due messages, suppress an address.

Delivery is at most once per idempotency key: a row is claimed with a conditional UPDATE whose
row count decides which worker sends it, and a claimed row is only sent by its claimant.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from crm_site.messaging.phone import normalize_phone
from crm_site.messaging.quiet import marketing_is_quiet
from crm_site.messaging.sms import Sms, SmsError, get_sms_backend
from crm_site.models import Channel, OutboxMessage, Purpose, Suppression

logger = logging.getLogger(__name__)

# A row left in "sending" this long was claimed by a worker that died mid-send. It goes back to
# the queue; providers that de-duplicate on our reference (Kavenegar's localid) drop a repeat.
STALE_CLAIM_AFTER = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=1)


def normalize_address(*, channel: str, address: str) -> str:
    """The canonical form of a recipient: E.164 for SMS, lower-cased for email."""
    if channel == Channel.SMS:
        return normalize_phone(address)
    if channel == Channel.EMAIL:
        cleaned = (address or "").strip().lower()
        validate_email(cleaned)
        return cleaned
    raise ValidationError(_("Unknown channel %(channel)s.") % {"channel": channel})


def is_suppressed(*, channel: str, address: str) -> bool:
    return Suppression.objects.filter(channel=channel, address=address).exists()


def suppression_add(*, channel: str, address: str, reason: str = "") -> Suppression:
    """Stop marketing to ``address`` (an opt-out). Idempotent."""
    normalized = normalize_address(channel=channel, address=address)
    suppression, _created = Suppression.objects.get_or_create(
        channel=channel, address=normalized, defaults={"reason": reason[:200]}
    )
    # Marketing messages still waiting in the outbox must not go out either.
    OutboxMessage.objects.filter(
        channel=channel, recipient=normalized, purpose=Purpose.MARKETING, status=OutboxMessage.Status.QUEUED
    ).update(status=OutboxMessage.Status.SUPPRESSED)
    return suppression


def outbox_retry_failed(*, ids: list[int]) -> int:
    """Give failed messages a fresh set of attempts (after the cause was fixed)."""
    count = OutboxMessage.objects.filter(pk__in=ids, status=OutboxMessage.Status.FAILED).update(
        status=OutboxMessage.Status.QUEUED, next_attempt_at=timezone.now(), attempts=0
    )
    if count:
        transaction.on_commit(_wake_dispatcher)
    return count


def message_enqueue(
    *,
    channel: str,
    recipient: str,
    body: str,
    idempotency_key: str,
    subject: str = "",
    purpose: str = Purpose.TRANSACTIONAL,
    concerning: models.Model | None = None,
) -> OutboxMessage:
    """Put a message in the outbox, once per ``idempotency_key``, and wake the dispatcher
    after the transaction commits. Asking again with the same key returns the first row."""
    existing = OutboxMessage.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    address = normalize_address(channel=channel, address=recipient)
    suppressed = purpose == Purpose.MARKETING and is_suppressed(channel=channel, address=address)
    message = OutboxMessage(
        channel=channel,
        purpose=purpose,
        recipient=address,
        subject=subject,
        body=body,
        idempotency_key=idempotency_key,
        status=OutboxMessage.Status.SUPPRESSED if suppressed else OutboxMessage.Status.QUEUED,
        next_attempt_at=timezone.now(),
    )
    if concerning is not None:
        message.content_type = ContentType.objects.get_for_model(concerning)
        message.object_id = str(concerning.pk)
    message.full_clean(exclude=["idempotency_key"])
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        # Another request enqueued the same key between our check and our insert.
        return OutboxMessage.objects.get(idempotency_key=idempotency_key)
    if not suppressed:
        transaction.on_commit(_wake_dispatcher)
    return message


@dataclass(frozen=True)
class OutgoingMessage:
    """One message for ``messages_enqueue_many`` (the same fields as ``message_enqueue``)."""

    channel: str
    recipient: str
    body: str
    idempotency_key: str
    subject: str = ""
    purpose: str = Purpose.TRANSACTIONAL
    concerning: models.Model | None = None


def messages_enqueue_many(messages: Iterable[OutgoingMessage]) -> int:
    """Put many messages in the outbox in one INSERT and wake the dispatcher once.

    The rows and guarantees are those of ``message_enqueue`` (normalised address, one row per
    idempotency key, suppression for marketing), for jobs that queue thousands of messages at a
    time (reminders, campaigns), where one call per message would also mean one broker call per
    message. A message whose address cannot be used is logged and skipped, so that one bad
    address does not hold back the rest. Returns the number of messages accepted (a key that was
    already queued counts too: its first row stands)."""
    now = timezone.now()
    content_types: dict[type, ContentType] = {}
    addresses: dict[tuple[str, str], str | None] = {}
    rows = []
    for message in messages:
        key = (message.channel, message.recipient)
        if key not in addresses:
            try:
                addresses[key] = normalize_address(channel=message.channel, address=message.recipient)
            except ValidationError:
                logger.warning(
                    "Not queuing %s to an unusable address (key %s)", message.channel, message.idempotency_key
                )
                addresses[key] = None
        address = addresses[key]
        if address is None:
            continue
        row = OutboxMessage(
            channel=message.channel,
            purpose=message.purpose,
            recipient=address,
            subject=message.subject[:200],
            body=message.body,
            idempotency_key=message.idempotency_key,
            status=OutboxMessage.Status.QUEUED,
            next_attempt_at=now,
        )
        if message.concerning is not None:
            model = type(message.concerning)
            content_types.setdefault(model, ContentType.objects.get_for_model(model))
            row.content_type = content_types[model]
            row.object_id = str(message.concerning.pk)
        rows.append(row)
    marketing = {(row.channel, row.recipient) for row in rows if row.purpose == Purpose.MARKETING}
    if marketing:
        suppressed = set(
            Suppression.objects.filter(address__in={address for _channel, address in marketing}).values_list(
                "channel", "address"
            )
        )
        for row in rows:
            if row.purpose == Purpose.MARKETING and (row.channel, row.recipient) in suppressed:
                row.status = OutboxMessage.Status.SUPPRESSED
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    if any(row.status == OutboxMessage.Status.QUEUED for row in rows):
        transaction.on_commit(_wake_dispatcher)
    return len(rows)


def _wake_dispatcher() -> None:
    # A broker that is down must not break the request: the row waits in the outbox and the
    # periodic dispatch picks it up.
    from crm_site.tasks import dispatch_outbox

    try:
        dispatch_outbox.delay()
    except Exception:
        logger.warning("Could not reach the broker; the outbox will be dispatched by the periodic job.", exc_info=True)


@dataclass
class DispatchResult:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    suppressed: int = 0


def _backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=1) * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def outbox_dispatch(*, limit: int | None = None) -> DispatchResult:
    """Send up to ``limit`` due messages. Safe to run in several workers at once."""
    now = timezone.now()
    OutboxMessage.objects.filter(status=OutboxMessage.Status.SENDING, claimed_at__lt=now - STALE_CLAIM_AFTER).update(
        status=OutboxMessage.Status.QUEUED
    )
    batch = _claim(now=now, limit=limit or settings.OUTBOX_BATCH_SIZE, marketing=not marketing_is_quiet(now))
    result = DispatchResult(claimed=len(batch))
    suppressed = _suppressed_in(batch)
    sms_backend = None
    email_connection = None
    to_send: list[OutboxMessage] = []
    for message in batch:
        if message.purpose == Purpose.MARKETING and (message.channel, message.recipient) in suppressed:
            _finish(message, status=OutboxMessage.Status.SUPPRESSED)
            result.suppressed += 1
        else:
            to_send.append(message)
    sms_messages = [message for message in to_send if message.channel == Channel.SMS]
    if sms_messages:
        sms_backend = get_sms_backend()
    if sms_backend is not None and sms_backend.batch_size > 1:
        # One provider request per chunk and one write per request, right after it.
        for start in range(0, len(sms_messages), sms_backend.batch_size):
            _send_sms_chunk(sms_backend, sms_messages[start : start + sms_backend.batch_size], result)
        to_send = [message for message in to_send if message.channel != Channel.SMS]
    for message in to_send:
        try:
            if message.channel == Channel.SMS:
                provider_id = sms_backend.send(Sms(to=message.recipient, body=message.body, reference=str(message.pk)))
            else:
                email_connection = email_connection or get_connection()
                EmailMessage(
                    subject=message.subject, body=message.body, to=[message.recipient], connection=email_connection
                ).send()
                provider_id = ""
        except SmsError as error:
            outcome = _record_failure(message, str(error), retryable=error.retryable)
        except Exception as error:  # SMTP errors, unexpected provider behaviour: try again later
            logger.exception("Sending outbox message %s failed", message.pk)
            outcome = _record_failure(message, f"{type(error).__name__}: {error}", retryable=True)
        else:
            # One write per message, right after its send: a crash later in the batch cannot make
            # a message that went out look unsent.
            _finish(message, status=OutboxMessage.Status.SENT, provider_id=provider_id)
            result.sent += 1
            continue
        _count_failure(result, outcome)
    return result


def _count_failure(result: DispatchResult, outcome: str) -> None:
    if outcome == OutboxMessage.Status.FAILED:
        result.failed += 1
    else:
        result.retried += 1


def _send_sms_chunk(backend, chunk: list[OutboxMessage], result: DispatchResult) -> None:
    """Send ``chunk`` in one provider request and record its outcome with one write for the sent
    ones (a failed message keeps its own retry bookkeeping)."""
    try:
        outcomes = backend.send_many([Sms(to=m.recipient, body=m.body, reference=str(m.pk)) for m in chunk])
    except Exception as error:  # the whole request failed: each message is retried
        logger.exception("Sending a batch of %s outbox messages failed", len(chunk))
        outcomes = [SmsError(f"{type(error).__name__}: {error}") for _message in chunk]
    sent: list[tuple[int, str]] = []
    for message, outcome in zip(chunk, outcomes, strict=True):
        if isinstance(outcome, SmsError):
            _count_failure(result, _record_failure(message, str(outcome), retryable=outcome.retryable))
        else:
            sent.append((message.pk, str(outcome)[:100]))
    _mark_sent(sent, now=timezone.now())
    result.sent += len(sent)


def _mark_sent(sent: list[tuple[int, str]], *, now) -> None:
    """Record (id, provider id) pairs as sent in one statement. Django's bulk_update builds a
    CASE expression per row in Python, which cost more than the sending itself (about 5 ms a
    message); a VALUES list joined by id is one small statement on PostgreSQL and SQLite alike."""
    if not sent:
        return
    table = connection.ops.quote_name(OutboxMessage._meta.db_table)
    values = ", ".join(["(%s, %s)"] * len(sent))
    sql = f"""
        WITH sent_now (message_id, provider_id) AS (VALUES {values})
        UPDATE {table}
        SET status = %s, sent_at = %s, error = '',
            provider_id = (SELECT sent_now.provider_id FROM sent_now WHERE sent_now.message_id = {table}.id)
        WHERE id IN (SELECT message_id FROM sent_now)
    """  # noqa: S608  (the table name comes from the model; every value is a parameter)
    params = [value for pair in sent for value in pair] + [OutboxMessage.Status.SENT, now]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _claim(*, now, limit: int, marketing: bool = True) -> list[OutboxMessage]:
    """Take up to ``limit`` due messages for this worker in one transaction (marketing ones only
    when ``marketing``: not during quiet hours). On PostgreSQL other workers skip the locked rows
    (SKIP LOCKED); on SQLite the transaction holds the write lock from its start (IMMEDIATE), so
    two workers claim one after the other."""
    due = OutboxMessage.objects.select_for_update(skip_locked=True).filter(
        status=OutboxMessage.Status.QUEUED, next_attempt_at__lte=now
    )
    if not marketing:
        due = due.exclude(purpose=Purpose.MARKETING)
    with transaction.atomic():
        ids = list(due.order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])
        OutboxMessage.objects.filter(pk__in=ids, status=OutboxMessage.Status.QUEUED).update(
            status=OutboxMessage.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    return list(OutboxMessage.objects.filter(pk__in=ids, claimed_at=now).order_by("next_attempt_at", "id"))


def _suppressed_in(batch: list[OutboxMessage]) -> set[tuple[str, str]]:
    """The (channel, address) pairs among the batch's marketing messages that opted out since
    they were queued (one query)."""
    marketing = [message for message in batch if message.purpose == Purpose.MARKETING]
    if not marketing:
        return set()
    return set(
        Suppression.objects.filter(address__in={message.recipient for message in marketing}).values_list(
            "channel", "address"
        )
    )


def _finish(message: OutboxMessage, *, status: str, provider_id: str = "") -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=status, provider_id=provider_id[:100], sent_at=timezone.now(), error=""
    )


def _record_failure(message: OutboxMessage, error: str, *, retryable: bool) -> str:
    if retryable and message.attempts < settings.OUTBOX_MAX_ATTEMPTS:
        status = OutboxMessage.Status.QUEUED
        next_attempt_at = timezone.now() + _backoff(message.attempts)
    else:
        status = OutboxMessage.Status.FAILED
        next_attempt_at = message.next_attempt_at
        logger.error("Outbox message %s failed for good after %s attempts: %s", message.pk, message.attempts, error)
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=status, error=error[:2000], next_attempt_at=next_attempt_at
    )
    return status
