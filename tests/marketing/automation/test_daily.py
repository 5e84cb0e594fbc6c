"""The daily job: birthdays (29 February included), no purchase for N days and segment entries
and exits fire once per occurrence, however often the job runs."""

import datetime
import zoneinfo

import pytest
import time_machine

from crm_site.events import Event
from crm_site.models import OutboxMessage
from marketing.models import RuleFiring, SegmentMembership
from marketing.services.automation import automation_run_daily
from marketing.services.segments import segment_create
from marketing.tasks.automation import automation_daily
from sales.models import Order
from tests.factories import CustomerFactory
from tests.marketing.automation.conftest import make_rule, tags_of
from tests.sales.factories import OrderFactory

pytestmark = pytest.mark.django_db
TEHRAN = zoneinfo.ZoneInfo("Asia/Tehran")


def at(day: str, hour: int = 8) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day).replace(hour=hour, tzinfo=TEHRAN)


def keys(rule) -> list[str]:
    return sorted(RuleFiring.objects.filter(rule=rule).values_list("occurrence_key", flat=True))


def test_birthday_sms_once_a_year_however_often_the_job_runs(rep):
    rule = make_rule(Event.BIRTHDAY, [{"type": "send_sms", "body": "Happy birthday {first_name}!"}])
    today = CustomerFactory(
        first_name="Nima", birth_date=datetime.date(1990, 12, 3), phones=["+989120000001"], sms_consent=True
    )
    CustomerFactory(birth_date=datetime.date(1990, 12, 4), phones=["+989120000002"], sms_consent=True)
    CustomerFactory(birth_date=None)
    with time_machine.travel(at("2026-12-03"), tick=False):
        assert automation_daily() == {Event.BIRTHDAY: 1}
        assert automation_daily() == {Event.BIRTHDAY: 0}
    assert keys(rule) == [f"birthday:{today.pk}:2026"]
    assert list(OutboxMessage.objects.values_list("body", flat=True)) == ["Happy birthday Nima!"]
    with time_machine.travel(at("2027-12-03"), tick=False):
        automation_run_daily()
    assert keys(rule) == [f"birthday:{today.pk}:2026", f"birthday:{today.pk}:2027"]


def test_birthday_on_29_february_is_wished_on_the_28th_in_other_years():
    rule = make_rule(Event.BIRTHDAY)
    leap = CustomerFactory(birth_date=datetime.date(2000, 2, 29))
    with time_machine.travel(at("2027-02-28"), tick=False):
        automation_run_daily()
    assert keys(rule) == [f"birthday:{leap.pk}:2027"]
    with time_machine.travel(at("2028-02-28"), tick=False):
        automation_run_daily()  # a leap year: the 29th comes
    assert keys(rule) == [f"birthday:{leap.pk}:2027"]
    with time_machine.travel(at("2028-02-29"), tick=False):
        automation_run_daily()
    assert keys(rule) == [f"birthday:{leap.pk}:2027", f"birthday:{leap.pk}:2028"]


def test_birthday_conditions_filter():
    rule = make_rule(
        Event.BIRTHDAY, conditions={"match": "all", "conditions": [{"field": "city", "op": "eq", "value": "Shiraz"}]}
    )
    CustomerFactory(birth_date=datetime.date(1980, 5, 5), city="Tehran")
    shiraz = CustomerFactory(birth_date=datetime.date(1980, 5, 5), city="Shiraz")
    with time_machine.travel(at("2026-05-05"), tick=False):
        automation_run_daily()
    assert keys(rule) == [f"birthday:{shiraz.pk}:2026"]


def test_no_purchase_fires_once_per_last_order():
    rule = make_rule(Event.NO_PURCHASE, params={"days": 120})
    now = at("2026-06-01")
    lapsed = CustomerFactory()
    old = OrderFactory(customer=lapsed, status=Order.Status.DELIVERED, ordered_at=now - datetime.timedelta(days=121))
    recent = CustomerFactory()
    OrderFactory(customer=recent, status=Order.Status.CONFIRMED, ordered_at=now - datetime.timedelta(days=200))
    last = OrderFactory(customer=recent, status=Order.Status.CONFIRMED, ordered_at=now - datetime.timedelta(days=30))
    only_cancelled = CustomerFactory()
    OrderFactory(customer=only_cancelled, status=Order.Status.CANCELLED, ordered_at=now - datetime.timedelta(days=300))
    CustomerFactory()  # never ordered
    # Bought exactly 120 days ago (in the evening): due today.
    exact = CustomerFactory()
    exact_order = OrderFactory(customer=exact, status=Order.Status.DELIVERED, ordered_at=at("2026-02-01", hour=21))
    with time_machine.travel(now, tick=False):
        automation_run_daily()
        automation_run_daily()
    assert keys(rule) == sorted([f"no_purchase:{lapsed.pk}:{old.pk}", f"no_purchase:{exact.pk}:{exact_order.pk}"])

    # The lapsed customer buys again, then lapses again: a new occurrence.
    later = OrderFactory(customer=lapsed, status=Order.Status.DELIVERED, ordered_at=now + datetime.timedelta(days=1))
    with time_machine.travel(now + datetime.timedelta(days=60), tick=False):
        automation_run_daily()
    assert len(keys(rule)) == 2
    with time_machine.travel(now + datetime.timedelta(days=121), tick=False):
        automation_run_daily()
    assert keys(rule) == sorted(
        [
            f"no_purchase:{lapsed.pk}:{old.pk}",
            f"no_purchase:{lapsed.pk}:{later.pk}",
            f"no_purchase:{exact.pk}:{exact_order.pk}",
            f"no_purchase:{recent.pk}:{last.pk}",  # its last order is now 151 days old
        ]
    )


def test_segment_entered_and_left(marketer):
    shiraz = segment_create(
        name="Shiraz", rules={"match": "all", "conditions": [{"field": "city", "op": "eq", "value": "Shiraz"}]}
    )
    entered = make_rule(Event.SEGMENT_ENTERED, [{"type": "add_tag", "tag": "in-shiraz"}], params={"segment": shiraz.pk})
    left = make_rule(Event.SEGMENT_LEFT, [{"type": "remove_tag", "tag": "in-shiraz"}], params={"segment": shiraz.pk})
    already = CustomerFactory(city="Shiraz")
    mover = CustomerFactory(city="Tehran")

    with time_machine.travel(at("2026-03-01"), tick=False):
        automation_run_daily()  # the first refresh only records who is in it
    assert keys(entered) == keys(left) == []
    assert SegmentMembership.objects.filter(segment=shiraz, left_at__isnull=True).count() == 1

    mover.city = "Shiraz"
    mover.save()
    with time_machine.travel(at("2026-03-02"), tick=False):
        assert automation_run_daily() == {"segment": 1}
        assert automation_run_daily() == {"segment": 0}
    assert keys(entered) == [f"segment:{shiraz.pk}:{mover.pk}:2026-03-02"]
    assert tags_of(mover) == {"in-shiraz"}
    assert tags_of(already) == set()

    mover.city = "Tehran"
    mover.save()
    with time_machine.travel(at("2026-03-05"), tick=False):
        automation_run_daily()
        automation_run_daily()
    assert keys(left) == [f"segment:{shiraz.pk}:{mover.pk}:2026-03-05"]
    assert tags_of(mover) == set()
