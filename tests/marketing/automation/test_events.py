"""Announced events: each fires its rules' actions once per occurrence, announced through the real
services; settings and conditions filter; the firing is logged and on the customer's timeline."""

import logging

import pytest

from crm_site.events import CustomerEvent, Event, announce
from crm_site.models import Notification, OutboxMessage, Purpose
from customers.models import Interaction
from customers.services import customer_create
from marketing.models import RuleFiring
from marketing.services.automation import automation_handle_event
from marketing.tasks import automation as tasks
from sales.models import Activity, Lead
from sales.services.leads import lead_create
from service.models import SatisfactionSurvey, Ticket
from service.services.satisfaction import survey_answer
from service.services.tickets import ticket_create, ticket_set_status
from tests.factories import CustomerFactory
from tests.marketing.automation.conftest import make_rule, pay_order, tags_of

pytestmark = pytest.mark.django_db


def firings(rule) -> list[RuleFiring]:
    return list(RuleFiring.objects.filter(rule=rule).order_by("pk"))


def test_customer_created_sends_the_welcome_sms_once(rep, announced):
    rule = make_rule(Event.CUSTOMER_CREATED, [{"type": "send_sms", "body": "Welcome {first_name} ({code})!"}])
    with announced():
        customer = customer_create(
            created_by=rep, name="Reza Ahmadi", first_name="Reza", phones=["09121110000"], sms_consent=True
        )
    [firing] = firings(rule)
    assert (firing.customer_id, firing.occurrence_key, firing.status) == (
        customer.pk,
        f"customer:{customer.pk}",
        RuleFiring.Status.DONE,
    )
    message = OutboxMessage.objects.get(idempotency_key=f"rule:{rule.pk}:customer:{customer.pk}:1")
    assert message.body == f"Welcome Reza ({customer.code})!"
    assert (message.purpose, message.recipient) == (Purpose.MARKETING, "+989121110000")
    assert firing.outcome == [{"type": "send_sms", "result": "queued to +989121110000"}]

    # The same occurrence announced again (a retry, a second worker): nothing more.
    with announced():
        announce(Event.CUSTOMER_CREATED, customer_id=customer.pk, key=f"customer:{customer.pk}", source=customer)
    assert len(firings(rule)) == 1
    assert OutboxMessage.objects.count() == 1


def test_firing_is_on_the_customer_timeline_linked_to_the_rule(rep, announced):
    rule = make_rule(Event.CUSTOMER_CREATED, [{"type": "add_tag", "tag": "new"}], name="Welcome tag")
    with announced():
        customer = customer_create(created_by=rep, name="Timeline Customer")
    entry = Interaction.objects.get(customer=customer, kind=Interaction.Kind.SYSTEM)
    assert entry.subject == "Automation rule “Welcome tag”"
    assert entry.body == "Add a tag: tagged “new”"
    assert entry.url == rule.get_absolute_url()
    assert entry.source == RuleFiring.objects.get(rule=rule)


def test_order_paid_over_an_amount_and_first_purchase(customer, rep, announced):
    big = make_rule(Event.ORDER_PAID, [{"type": "add_tag", "tag": "big"}], params={"min_amount": "150"})
    first = make_rule(Event.FIRST_PURCHASE, [{"type": "add_tag", "tag": "first"}])
    with announced():
        small_order = pay_order(customer, by=rep, amount="100")
    assert firings(big) == []  # below the amount
    [first_firing] = firings(first)
    assert first_firing.occurrence_key == f"first_purchase:{customer.pk}"
    assert tags_of(customer) == {"first"}

    with announced():
        big_order = pay_order(customer, by=rep, amount="200")
    [big_firing] = firings(big)
    assert big_firing.occurrence_key == f"order:{big_order.pk}"
    assert len(firings(first)) == 1  # the second paid order is not a first purchase
    assert tags_of(customer) == {"first", "big"}

    # ORDER_PAID announced again for both orders: nothing more.
    for order in (small_order, big_order):
        with announced():
            announce(
                Event.ORDER_PAID,
                customer_id=customer.pk,
                key=f"order:{order.pk}",
                source=order,
                amount=str(order.total),
            )
    assert len(firings(big)) == 1
    assert len(firings(first)) == 1
    assert customer.tags.count() == 2


def test_lead_created_by_channel_notifies_without_a_customer(rep, manager, announced):
    rule = make_rule(
        Event.LEAD_CREATED,
        [{"type": "notify_user", "recipient": str(manager.pk), "title": "New lead"}, {"type": "add_tag", "tag": "x"}],
        params={"channel": Lead.Channel.MANUAL},
    )
    web = make_rule(Event.LEAD_CREATED, params={"channel": Lead.Channel.WEB_FORM})
    with announced():
        lead = lead_create(created_by=rep, channel=Lead.Channel.MANUAL, name="A lead", phone="09121110001")
    [firing] = firings(rule)
    assert firing.customer is None
    assert firing.outcome[1] == {"type": "add_tag", "result": "skipped: no customer"}
    notification = Notification.objects.get(recipient=manager, title="New lead")
    assert notification.url == lead.get_absolute_url()
    assert firings(web) == []


def test_complaint_filed_tags_the_customer_once(customer, announced):
    rule = make_rule(Event.COMPLAINT_FILED, [{"type": "add_tag", "tag": "complained"}])
    with announced():
        ticket = ticket_create(
            customer=customer, subject="Broken", kind=Ticket.Kind.COMPLAINT, channel=Ticket.Channel.PHONE
        )
        ticket_create(customer=customer, subject="A question", kind=Ticket.Kind.QUESTION, channel=Ticket.Channel.PHONE)
    [firing] = firings(rule)
    assert firing.occurrence_key == f"ticket:{ticket.pk}"
    assert tags_of(customer) == {"complained"}


def test_ticket_closed_by_kind_fires_again_after_a_reopen(customer, announced):
    rule = make_rule(Event.TICKET_CLOSED, params={"ticket_kind": Ticket.Kind.REQUEST})
    incident = make_rule(Event.TICKET_CLOSED, params={"ticket_kind": Ticket.Kind.INCIDENT})
    with announced():
        ticket = ticket_create(customer=customer, subject="Fix", kind=Ticket.Kind.REQUEST, channel=Ticket.Channel.PHONE)
        ticket_set_status(ticket=ticket, status=Ticket.Status.RESOLVED, by=None)
        ticket_set_status(ticket=ticket, status=Ticket.Status.CLOSED, by=None)
    assert [f.occurrence_key for f in firings(rule)] == [f"ticket:{ticket.pk}:0"]
    with announced():
        ticket_set_status(ticket=ticket, status=Ticket.Status.OPEN, by=None)
        ticket_set_status(ticket=ticket, status=Ticket.Status.RESOLVED, by=None)
        ticket_set_status(ticket=ticket, status=Ticket.Status.CLOSED, by=None)
    assert [f.occurrence_key for f in firings(rule)] == [f"ticket:{ticket.pk}:0", f"ticket:{ticket.pk}:1"]
    assert firings(incident) == []


def test_low_csat_notifies_the_team_manager_and_gives_the_owner_a_task(customer, rep, manager, announced):
    rule = make_rule(
        Event.SATISFACTION_ANSWERED,
        [
            {"type": "notify_user", "recipient": "team_manager", "title": "Low score from {name}"},
            {"type": "create_task", "subject": "Call {first_name}", "days": 1, "assignee": "owner"},
        ],
        params={"max_score": 2},
    )
    low = ticket_create(customer=customer, subject="Late", kind=Ticket.Kind.REQUEST, channel=Ticket.Channel.PHONE)
    high = ticket_create(customer=customer, subject="Fine", kind=Ticket.Kind.REQUEST, channel=Ticket.Channel.PHONE)
    low_survey = SatisfactionSurvey.objects.create(ticket=low, customer=customer, token="l" * 20)
    high_survey = SatisfactionSurvey.objects.create(ticket=high, customer=customer, token="h" * 20)
    with announced():
        survey_answer(survey=high_survey, score=5)
        survey_answer(survey=low_survey, score=2)
    [firing] = firings(rule)
    assert firing.occurrence_key == f"csat:{low_survey.pk}"
    assert Notification.objects.filter(recipient=manager, title="Low score from Sara Karimi").count() == 1
    task = Activity.objects.get(subject="Call Sara")
    assert (task.assignee, task.customer, task.kind) == (rep, customer, Activity.Kind.TASK)


def test_loyalty_tier_changed_by_new_tier(customer, announced):
    rule = make_rule(Event.LOYALTY_TIER_CHANGED, params={})
    gold_only = make_rule(Event.LOYALTY_TIER_CHANGED, [{"type": "add_tag", "tag": "gold"}], params={})
    gold_only.event_params = {"tier": "Gold"}  # tiers are chosen from the programme's; none exist here
    gold_only.save()
    with announced():
        announce(Event.LOYALTY_TIER_CHANGED, customer_id=customer.pk, key="tier:1:5", old="Bronze", new="Silver")
    assert len(firings(rule)) == 1
    assert firings(gold_only) == []


def test_conditions_filter_and_a_miss_is_logged_as_skipped(rep, announced):
    rule = make_rule(
        Event.CUSTOMER_CREATED,
        [{"type": "add_tag", "tag": "shiraz"}],
        conditions={"match": "all", "conditions": [{"field": "city", "op": "eq", "value": "Shiraz"}]},
    )
    with announced():
        tehran = customer_create(created_by=rep, name="In Tehran", city="Tehran")
        shiraz = customer_create(created_by=rep, name="In Shiraz", city="Shiraz")
    by_customer = {firing.customer_id: firing for firing in firings(rule)}
    assert by_customer[tehran.pk].status == RuleFiring.Status.SKIPPED
    assert by_customer[tehran.pk].outcome == []
    assert by_customer[shiraz.pk].status == RuleFiring.Status.DONE
    assert tags_of(tehran) == set()
    assert tags_of(shiraz) == {"shiraz"}
    assert not Interaction.objects.filter(customer=tehran, kind=Interaction.Kind.SYSTEM).exists()


def test_an_inactive_rule_does_not_fire(rep, announced):
    rule = make_rule(Event.CUSTOMER_CREATED)
    rule.is_active = False
    rule.save()
    with announced():
        customer_create(created_by=rep, name="Nobody")
    assert firings(rule) == []


def test_an_event_no_rule_listens_to_queues_nothing(rep, announced, monkeypatch):
    make_rule(Event.BIRTHDAY)
    calls = []
    monkeypatch.setattr(tasks.handle_event, "delay", lambda payload: calls.append(payload))
    with announced():
        customer_create(created_by=rep, name="Quiet")
    assert calls == []


def test_a_broker_that_is_down_never_breaks_the_announcing_request(rep, announced, monkeypatch, caplog):
    rule = make_rule(Event.CUSTOMER_CREATED)

    def down(payload):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.handle_event, "delay", down)
    with caplog.at_level(logging.ERROR), announced():
        customer = customer_create(created_by=rep, name="Still created")
    assert customer.pk
    assert firings(rule) == []
    assert "Could not queue the automation rules" in caplog.text


def test_the_task_rebuilds_the_event_from_json(customer):
    rule = make_rule(Event.CUSTOMER_CREATED)
    event = CustomerEvent(
        event=Event.CUSTOMER_CREATED,
        key=f"customer:{customer.pk}",
        occurred_at=customer.created_at,
        customer_id=customer.pk,
        source_model="customers.customer",
        source_id=str(customer.pk),
    )
    payload = tasks.event_to_json(event)
    assert tasks.event_from_json(payload) == event
    assert tasks.handle_event(payload) == 1
    assert tasks.handle_event(payload) == 0
    assert len(firings(rule)) == 1


def test_an_event_for_a_deleted_customer_does_nothing():
    rule = make_rule(Event.CUSTOMER_CREATED)
    customer = CustomerFactory()
    event = CustomerEvent(
        event=Event.CUSTOMER_CREATED, key="customer:x", occurred_at=customer.created_at, customer_id=customer.pk
    )
    customer.delete()
    assert automation_handle_event(event) == []
    assert firings(rule) == []
