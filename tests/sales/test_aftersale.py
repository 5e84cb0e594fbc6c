"""The after-sale job: thank-you and survey SMS, once per order, after the delay, outside the
quiet hours, only with consent, never to a suppressed number nor for a cancelled order."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from crm_site.messaging.services import suppression_add
from crm_site.models import Channel, OutboxMessage, Purpose
from customers.models import Interaction
from sales.models import Order, SalesSettings, SurveyInvitation
from sales.quiet_hours import in_quiet_hours
from sales.services.aftersale import after_sale_send_due, message_render
from sales.tasks.aftersale import send_after_sale_messages
from tests.factories import CustomerFactory
from tests.sales.factories import OrderFactory

TEHRAN = ZoneInfo("Asia/Tehran")
NOON = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=TEHRAN)
PHONE = "+989121234567"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "https://crm.example.com"


def customer(**kwargs):
    defaults = {"name": "Sara Ahmadi", "phones": [PHONE], "sms_consent": True}
    return CustomerFactory(**{**defaults, **kwargs})


def order_due(*, thanks_at=NOON, survey_at=None, **kwargs) -> Order:
    kwargs.setdefault("customer", customer())
    return OrderFactory(
        number=kwargs.pop("number", "SO-000042"), thank_you_due_at=thanks_at, survey_due_at=survey_at, **kwargs
    )


def messages(key_prefix: str = "sales:"):
    return OutboxMessage.objects.filter(idempotency_key__startswith=key_prefix)


def test_the_thank_you_waits_for_its_delay_and_is_sent_once():
    order = order_due(thanks_at=NOON + datetime.timedelta(minutes=60))

    with time_machine.travel(NOON, tick=False):
        result = after_sale_send_due()
    assert result["thank_you"] == 0 and not messages().exists()

    with time_machine.travel(NOON + datetime.timedelta(minutes=61), tick=False):
        first = after_sale_send_due()
        second = after_sale_send_due()

    assert first["thank_you"] == 1 and second["thank_you"] == 0
    message = messages().get()
    assert message.idempotency_key == f"sales:thanks:{order.pk}"
    assert message.channel == Channel.SMS and message.purpose == Purpose.MARKETING
    assert message.recipient == PHONE and message.object_id == str(order.pk)
    assert message.body == "Dear Sara Ahmadi, thank you for your order SO-000042. We hope you enjoy it!"
    order.refresh_from_db()
    assert order.thank_you_sent_at is not None and order.survey_sent_at is None
    # The SMS shows on the customer's timeline, once.
    assert Interaction.objects.filter(customer=order.customer, kind=Interaction.Kind.SMS).count() == 1


def test_the_survey_is_sent_once_with_a_personal_absolute_link():
    order = order_due(thanks_at=None, survey_at=NOON - datetime.timedelta(days=1))

    with time_machine.travel(NOON, tick=False):
        assert after_sale_send_due()["survey"] == 1
        assert after_sale_send_due()["survey"] == 0
        send_after_sale_messages.delay()  # the beat's task: nothing left to send

    invitation = SurveyInvitation.objects.get()
    assert invitation.order == order and invitation.customer == order.customer
    assert len(invitation.token) >= 32
    message = messages().get()
    assert message.idempotency_key == f"sales:survey:{order.pk}"
    assert f"https://crm.example.com/sales/survey/{invitation.token}/" in message.body
    assert "Sara Ahmadi" in message.body and "SO-000042" in message.body


def test_the_task_runs_the_job_and_requeues_itself_while_batches_come_back_full(monkeypatch):
    orders = [order_due(number=f"SO-{n}", customer=customer(phones=[f"+98912000000{n}"])) for n in range(3)]
    calls = []
    import sales.tasks.aftersale as task_module

    real = task_module.after_sale_send_due

    def small_batches(**kwargs):
        calls.append(1)
        return real(batch_size=2)

    monkeypatch.setattr(task_module, "after_sale_send_due", small_batches)
    with time_machine.travel(NOON, tick=False):
        send_after_sale_messages.delay()

    assert len(calls) == 2  # a full batch of 2, then the last one
    assert messages().count() == 3
    assert not Order.objects.filter(pk__in=[o.pk for o in orders], thank_you_sent_at__isnull=True).exists()


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        (datetime.time(20, 59), False),
        (datetime.time(21, 0), True),
        (datetime.time(23, 30), True),
        (datetime.time(0, 0), True),
        (datetime.time(3, 15), True),
        (datetime.time(8, 59), True),
        (datetime.time(9, 0), False),
        (datetime.time(12, 0), False),
    ],
)
def test_quiet_hours_wrap_past_midnight_in_local_time(local, quiet):
    moment = datetime.datetime.combine(datetime.date(2026, 3, 10), local, tzinfo=TEHRAN)
    # Handed over in UTC, judged in Tehran's time.
    utc_moment = moment.astimezone(datetime.UTC)
    assert in_quiet_hours(moment=utc_moment, start=datetime.time(21), end=datetime.time(9)) is quiet


def test_quiet_hours_within_a_day_and_none_when_equal():
    at = datetime.datetime(2026, 3, 10, 13, 30, tzinfo=TEHRAN)
    assert in_quiet_hours(moment=at, start=datetime.time(13), end=datetime.time(14))
    assert not in_quiet_hours(moment=at, start=datetime.time(14), end=datetime.time(15))
    assert not in_quiet_hours(moment=at, start=datetime.time(0), end=datetime.time(0))


@pytest.mark.parametrize(
    "night",
    [datetime.time(22, 0), datetime.time(2, 0), datetime.time(8, 59)],
    ids=["evening", "after-midnight", "dawn"],
)
def test_nothing_goes_out_at_night_and_it_goes_out_in_the_morning(night):
    evening = datetime.datetime(2026, 3, 10, 20, 0, tzinfo=TEHRAN)
    order = order_due(thanks_at=evening, survey_at=evening)
    day = datetime.date(2026, 3, 10) if night.hour >= 12 else datetime.date(2026, 3, 11)
    moment = datetime.datetime.combine(day, night, tzinfo=TEHRAN)

    with time_machine.travel(moment, tick=False):
        result = after_sale_send_due()
    assert result["quiet_hours"] is True and not messages().exists()
    order.refresh_from_db()
    assert order.thank_you_sent_at is None and order.survey_sent_at is None

    with time_machine.travel(datetime.datetime(2026, 3, 11, 9, 0, tzinfo=TEHRAN), tick=False):
        result = after_sale_send_due()
    assert result["thank_you"] == 1 and result["survey"] == 1 and messages().count() == 2


def test_the_configured_quiet_hours_apply():
    SalesSettings.objects.update_or_create(
        pk=1, defaults={"quiet_hours_start": datetime.time(11), "quiet_hours_end": datetime.time(13)}
    )
    order_due()
    with time_machine.travel(NOON, tick=False):
        assert after_sale_send_due()["quiet_hours"] is True
    with time_machine.travel(NOON + datetime.timedelta(hours=1), tick=False):
        assert after_sale_send_due()["thank_you"] == 1


@pytest.mark.parametrize(
    "who",
    [{"sms_consent": False}, {"phones": []}],
    ids=["no-consent", "no-phone"],
)
def test_no_message_without_consent_or_phone_and_the_order_is_not_looked_at_again(who):
    order = order_due(survey_at=NOON, customer=customer(**who))
    with time_machine.travel(NOON, tick=False):
        result = after_sale_send_due()
        again = after_sale_send_due()
    assert result["skipped"] == 2 and again["skipped"] == 0
    assert not messages().exists() and not SurveyInvitation.objects.exists()
    order.refresh_from_db()
    assert order.thank_you_sent_at is not None and order.survey_sent_at is not None


def test_a_cancelled_order_gets_nothing():
    order_due(survey_at=NOON, status=Order.Status.CANCELLED)
    with time_machine.travel(NOON, tick=False):
        assert after_sale_send_due()["skipped"] == 2
    assert not messages().exists() and not SurveyInvitation.objects.exists()


def test_a_switched_off_message_is_not_sent():
    SalesSettings.objects.update_or_create(pk=1, defaults={"thank_you_enabled": False})
    order_due(survey_at=NOON)
    with time_machine.travel(NOON, tick=False):
        result = after_sale_send_due()
    assert result["skipped"] == 1 and result["survey"] == 1
    assert list(messages().values_list("idempotency_key", flat=True)) == [f"sales:survey:{Order.objects.get().pk}"]


def test_a_suppressed_number_is_never_messaged():
    suppression_add(channel=Channel.SMS, address="0912 123 4567", reason="STOP")
    order_due()
    with time_machine.travel(NOON, tick=False):
        result = after_sale_send_due()
    assert result["thank_you"] == 0 and result["suppressed"] == 1
    assert messages().get().status == OutboxMessage.Status.SUPPRESSED
    assert not Interaction.objects.filter(kind=Interaction.Kind.SMS).exists()


def test_placeholders_are_filled_and_braces_in_a_name_are_harmless():
    SalesSettings.objects.update_or_create(
        pk=1, defaults={"thank_you_template": "Hi {customer_name}, order {order_number} {unknown} {}"}
    )
    order_due(customer=customer(name="Ali {order_number} {0}"))
    with time_machine.travel(NOON, tick=False):
        after_sale_send_due()
    assert messages().get().body == "Hi Ali {order_number} {0}, order SO-000042 {unknown} {}"


def test_message_render_leaves_unknown_placeholders():
    assert message_render(template="{a} {b} {{c}}", values={"a": "1"}) == "1 {b} {{c}}"


def test_a_thank_you_queued_before_the_night_and_still_due_at_night_waits_for_the_morning():
    """Queued at 20:59, its first send failed; the retry falls in the quiet hours: the dispatcher
    holds it (and any marketing message) until 09:00, while transactional messages still go."""
    from crm_site.messaging import sms
    from crm_site.messaging.services import message_enqueue, outbox_dispatch

    evening = datetime.datetime(2026, 3, 10, 20, 59, tzinfo=TEHRAN)
    order_due(thanks_at=evening - datetime.timedelta(minutes=5))
    with time_machine.travel(evening, tick=False):
        after_sale_send_due()
    thanks = messages().get()
    OutboxMessage.objects.filter(pk=thanks.pk).update(next_attempt_at=evening + datetime.timedelta(minutes=3))

    with time_machine.travel(evening + datetime.timedelta(minutes=30), tick=False):
        message_enqueue(channel=Channel.SMS, recipient=PHONE, body="Your code is 1234", idempotency_key="otp-1")
        outbox_dispatch()
    thanks.refresh_from_db()
    assert thanks.status == OutboxMessage.Status.QUEUED
    assert [message.body for message in sms.sent] == ["Your code is 1234"]

    with time_machine.travel(datetime.datetime(2026, 3, 11, 9, 0, tzinfo=TEHRAN), tick=False):
        outbox_dispatch()
    thanks.refresh_from_db()
    assert thanks.status == OutboxMessage.Status.SENT and thanks.attempts == 1
