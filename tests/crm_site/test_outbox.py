"""The messaging gateway: outbox idempotency, retries with backoff, visible failure, suppression."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from crm_site.messaging import sms
from crm_site.messaging.phone import normalize_phone
from crm_site.messaging.services import message_enqueue, outbox_dispatch, suppression_add
from crm_site.messaging.sms import SmsError
from crm_site.models import Channel, OutboxMessage, Purpose
from crm_site.tasks import dispatch_outbox

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "raw",
    ["09123456789", "0912 345 6789", "+98 912 345 6789", "00989123456789", "۰۹۱۲۳۴۵۶۷۸۹", "٠٩١٢٣٤٥٦٧٨٩", "9123456789"],
)
def test_phone_numbers_normalise_to_e164(raw):
    assert normalize_phone(raw) == "+989123456789"


@pytest.mark.parametrize("raw", ["", "12", "not a phone", "0912345"])
def test_invalid_phone_numbers_are_refused(raw):
    with pytest.raises(ValidationError):
        normalize_phone(raw)


def enqueue_sms(key="order-1-thanks", recipient="0912 345 6789", purpose=Purpose.TRANSACTIONAL, **extra):
    return message_enqueue(
        channel=Channel.SMS, recipient=recipient, body="Thank you!", idempotency_key=key, purpose=purpose, **extra
    )


def test_the_same_idempotency_key_twice_sends_one_message(django_capture_on_commit_callbacks):
    # Given the same message asked for twice (a retried job, a double click)
    with django_capture_on_commit_callbacks(execute=True):
        first = enqueue_sms()
    with django_capture_on_commit_callbacks(execute=True):
        second = enqueue_sms()
    # Then there is one row, and the dispatcher woken after commit sent exactly one SMS
    assert first.pk == second.pk
    assert OutboxMessage.objects.count() == 1
    assert len(sms.sent) == 1
    assert sms.sent[0].to == "+989123456789"
    first.refresh_from_db()
    assert first.status == OutboxMessage.Status.SENT and first.provider_id and first.sent_at
    # And running the dispatcher again sends nothing more
    assert outbox_dispatch().claimed == 0
    assert len(sms.sent) == 1


def test_a_row_claimed_by_another_worker_is_not_sent_again():
    message = enqueue_sms()
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxMessage.Status.SENDING, claimed_at=timezone.now())
    assert outbox_dispatch().claimed == 0
    assert sms.sent == []


def test_enqueue_writes_nothing_for_a_bad_recipient():
    with pytest.raises(ValidationError):
        enqueue_sms(recipient="call me maybe")
    assert not OutboxMessage.objects.exists()


def test_the_message_records_what_it_concerns(rep):
    message = enqueue_sms(concerning=rep)
    assert message.concerning == rep


class FlakyBackend(sms.BaseSmsBackend):
    failures: list[SmsError] = []

    def send(self, message):
        if FlakyBackend.failures:
            raise FlakyBackend.failures.pop(0)
        return "provider-42"


@pytest.fixture
def flaky(settings):
    settings.SMS_BACKEND = "tests.crm_site.test_outbox.FlakyBackend"
    settings.OUTBOX_MAX_ATTEMPTS = 3
    FlakyBackend.failures = []
    return FlakyBackend


def test_provider_errors_are_retried_with_backoff_then_succeed(flaky):
    flaky.failures = [SmsError("gateway timeout"), SmsError("gateway timeout")]
    with time_machine.travel(NOW, tick=False) as clock:
        message = enqueue_sms()
        assert outbox_dispatch().retried == 1
        message.refresh_from_db()
        assert message.status == OutboxMessage.Status.QUEUED
        assert message.attempts == 1 and message.error == "gateway timeout"
        assert message.next_attempt_at == NOW + timedelta(minutes=1)
        # Not due yet: nothing happens
        assert outbox_dispatch().claimed == 0
        clock.shift(timedelta(minutes=1))
        assert outbox_dispatch().retried == 1
        message.refresh_from_db()
        assert message.next_attempt_at == NOW + timedelta(minutes=1) + timedelta(minutes=2)
        clock.shift(timedelta(minutes=2))
        assert outbox_dispatch().sent == 1
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert message.provider_id == "provider-42" and message.attempts == 3 and message.error == ""


def test_persistent_errors_end_in_a_visible_failure(flaky, admin_client):
    flaky.failures = [SmsError("down")] * 3
    with time_machine.travel(NOW, tick=False) as clock:
        message = enqueue_sms()
        for _ in range(3):
            outbox_dispatch()
            clock.shift(timedelta(hours=1))
        assert outbox_dispatch().claimed == 0
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.FAILED
    assert message.attempts == 3 and message.error == "down"
    # The failure is visible to administrators, with its error.
    response = admin_client.get("/admin/crm_site/outboxmessage/?status__exact=failed")
    assert response.status_code == 200
    assert b"down" in response.content and b"+989123456789" in response.content


def test_a_permanent_error_fails_at_once(flaky):
    flaky.failures = [SmsError("invalid receptor", retryable=False)]
    message = enqueue_sms()
    assert outbox_dispatch().failed == 1
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.FAILED and message.attempts == 1


def test_suppressed_numbers_receive_no_marketing_but_do_receive_transactional():
    suppression_add(channel=Channel.SMS, address="۰۹۱۲۳۴۵۶۷۸۹", reason="replied STOP")
    marketing = enqueue_sms(key="campaign-1-customer-7", purpose=Purpose.MARKETING)
    receipt = enqueue_sms(key="ticket-9-ack")
    outbox_dispatch()
    marketing.refresh_from_db()
    receipt.refresh_from_db()
    assert marketing.status == OutboxMessage.Status.SUPPRESSED
    assert receipt.status == OutboxMessage.Status.SENT
    assert [message.body for message in sms.sent] == ["Thank you!"]


def test_an_opt_out_after_enqueue_still_stops_the_marketing_message():
    queued = enqueue_sms(key="campaign-2-customer-7", purpose=Purpose.MARKETING)
    suppression_add(channel=Channel.SMS, address="+989123456789")
    assert suppression_add(channel=Channel.SMS, address="09123456789").pk  # idempotent
    outbox_dispatch()
    queued.refresh_from_db()
    assert queued.status == OutboxMessage.Status.SUPPRESSED
    assert sms.sent == []


def test_email_goes_through_djangos_email_backend():
    message = message_enqueue(
        channel=Channel.EMAIL, recipient=" Customer@Example.COM ", subject="Hello", body="Hi", idempotency_key="e-1"
    )
    assert message.recipient == "customer@example.com"
    dispatch_outbox.delay()
    assert [(m.to, m.subject) for m in mail.outbox] == [(["customer@example.com"], "Hello")]


def test_a_crashed_claim_is_picked_up_again_after_a_while():
    with time_machine.travel(NOW, tick=False) as clock:
        message = enqueue_sms()
        OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxMessage.Status.SENDING, claimed_at=NOW)
        assert outbox_dispatch().claimed == 0
        clock.shift(timedelta(minutes=11))
        assert outbox_dispatch().sent == 1
    assert len(sms.sent) == 1
    assert sms.sent[0].reference == str(message.pk)  # providers de-duplicate on it


def test_an_administrator_can_retry_failed_messages(flaky, admin_client, django_capture_on_commit_callbacks):
    flaky.failures = [SmsError("bad credentials", retryable=False)]
    message = enqueue_sms()
    outbox_dispatch()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/crm_site/outboxmessage/", {"action": "retry_now", "_selected_action": [message.pk]}, follow=True
        )
    assert b"1 messages queued again" in response.content
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT and message.attempts == 1


def test_many_messages_are_queued_in_one_go_once_per_key_honouring_suppression():
    from crm_site.messaging.services import OutgoingMessage, messages_enqueue_many

    suppression_add(channel=Channel.SMS, address="09120000002")
    batch = [
        OutgoingMessage(channel=Channel.SMS, recipient="0912 000 0001", body="Hi", idempotency_key="bulk-1"),
        OutgoingMessage(
            channel=Channel.SMS,
            recipient="09120000002",
            body="Offer",
            idempotency_key="bulk-2",
            purpose=Purpose.MARKETING,
        ),
        OutgoingMessage(channel=Channel.SMS, recipient="not a phone", body="Hi", idempotency_key="bulk-3"),
        OutgoingMessage(channel=Channel.EMAIL, recipient="A@Example.com", body="Hi", idempotency_key="bulk-4"),
    ]
    assert messages_enqueue_many(batch) == 3
    rows = {row.idempotency_key: row for row in OutboxMessage.objects.all()}
    assert set(rows) == {"bulk-1", "bulk-2", "bulk-4"}  # the unusable address is skipped
    assert rows["bulk-1"].recipient == "+989120000001" and rows["bulk-1"].status == OutboxMessage.Status.QUEUED
    assert rows["bulk-2"].status == OutboxMessage.Status.SUPPRESSED
    assert rows["bulk-4"].recipient == "a@example.com"

    messages_enqueue_many(batch)  # asking again writes nothing new
    assert OutboxMessage.objects.count() == 3


def test_marketing_messages_wait_while_a_registered_quiet_hours_check_says_so():
    from crm_site.messaging.quiet import register_quiet_hours, unregister_quiet_hours

    quiet = {"now": True}
    register_quiet_hours("test", lambda now: quiet["now"])
    try:
        with time_machine.travel(NOW, tick=False):
            offer = enqueue_sms(key="offer-1", purpose=Purpose.MARKETING)
            receipt = enqueue_sms(key="receipt-1", recipient="09120000009")
            assert outbox_dispatch().sent == 1
        offer.refresh_from_db()
        receipt.refresh_from_db()
        assert (offer.status, offer.attempts) == (OutboxMessage.Status.QUEUED, 0)
        assert receipt.status == OutboxMessage.Status.SENT

        quiet["now"] = False
        with time_machine.travel(NOW, tick=False):
            assert outbox_dispatch().sent == 1
        offer.refresh_from_db()
        assert offer.status == OutboxMessage.Status.SENT
    finally:
        unregister_quiet_hours("test")


class ListBackend(sms.BaseSmsBackend):
    """A provider that takes a list per request: records each request; refuses "+989120000002"
    and, when ``down``, fails whole requests."""

    batch_size = 2
    requests: list[list[str]] = []
    down = False

    def send(self, sms_message):  # pragma: no cover - the dispatcher uses send_many
        raise AssertionError("a batch backend is sent to in batches")

    def send_many(self, messages):
        if ListBackend.down:
            raise ConnectionError("provider unreachable")
        ListBackend.requests.append([message.to for message in messages])
        return [
            SmsError("invalid receptor", retryable=False)
            if message.to == "+989120000002"
            else f"id-{message.reference}"
            for message in messages
        ]


@pytest.fixture
def list_backend(settings):
    settings.SMS_BACKEND = "tests.crm_site.test_outbox.ListBackend"
    ListBackend.requests, ListBackend.down = [], False
    return ListBackend


def test_a_batch_backend_gets_one_request_per_chunk_and_failures_keep_their_own_fate(list_backend):
    messages = [enqueue_sms(key=f"k{number}", recipient=f"0912000000{number}") for number in range(1, 6)]

    result = outbox_dispatch()

    assert list_backend.requests == [
        ["+989120000001", "+989120000002"],
        ["+989120000003", "+989120000004"],
        ["+989120000005"],
    ]
    assert (result.sent, result.failed) == (4, 1)
    statuses = {
        m.recipient: (m.status, m.provider_id) for m in OutboxMessage.objects.filter(pk__in=[m.pk for m in messages])
    }
    assert statuses["+989120000001"] == (OutboxMessage.Status.SENT, f"id-{messages[0].pk}")
    assert statuses["+989120000002"][0] == OutboxMessage.Status.FAILED
    assert outbox_dispatch().claimed == 0  # sent and failed rows are not due again


def test_a_batch_request_that_fails_whole_is_retried_later(list_backend):
    message = enqueue_sms(key="k-down", recipient="09120000009")
    list_backend.down = True

    result = outbox_dispatch()

    message.refresh_from_db()
    assert (result.retried, message.status, message.attempts) == (1, OutboxMessage.Status.QUEUED, 1)
    assert "provider unreachable" in message.error
    list_backend.down = False
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert outbox_dispatch().sent == 1
