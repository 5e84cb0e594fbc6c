"""Each action's effect, consent and opt-outs, a failing action recorded as FAILED without undoing
the others, and the checks a rule passes before it is saved (bad input writes nothing)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from crm_site.events import CustomerEvent, Event
from crm_site.messaging.services import suppression_add
from crm_site.models import Channel, Notification, OutboxMessage, Purpose
from marketing.models import AutomationRule, Campaign, CampaignRecipient, RuleFiring, SegmentMember
from marketing.services.automation import automation_handle_event, rule_update
from marketing.services.segments import segment_create
from sales.models import Activity
from tests.factories import UserFactory
from tests.marketing.automation.conftest import make_rule, tags_of

pytestmark = pytest.mark.django_db


def fire(rule, customer, key: str = "k1") -> RuleFiring:
    event = CustomerEvent(event=rule.event, key=key, occurred_at=timezone.now(), customer_id=customer.pk)
    [firing] = [f for f in automation_handle_event(event) if f.rule_id == rule.pk]
    return firing


def test_sms_and_email_are_marketing_messages_with_placeholders(customer):
    rule = make_rule(
        Event.CUSTOMER_CREATED,
        [
            {"type": "send_sms", "body": "Hi {first_name}, code {code}"},
            {"type": "send_email", "subject": "For {name}", "body": "Dear {first_name}"},
        ],
    )
    firing = fire(rule, customer)
    sms = OutboxMessage.objects.get(idempotency_key=f"rule:{rule.pk}:k1:1")
    email = OutboxMessage.objects.get(idempotency_key=f"rule:{rule.pk}:k1:2")
    assert (sms.channel, sms.purpose, sms.body) == (Channel.SMS, Purpose.MARKETING, f"Hi Sara, code {customer.code}")
    assert (email.channel, email.recipient, email.subject, email.body) == (
        Channel.EMAIL,
        "sara@example.com",
        "For Sara Karimi",
        "Dear Sara",
    )
    assert firing.status == RuleFiring.Status.DONE


def test_messages_respect_consent_and_opt_outs(customer):
    rule = make_rule(
        Event.CUSTOMER_CREATED,
        [{"type": "send_sms", "body": "Hi"}, {"type": "send_email", "subject": "S", "body": "B"}],
    )
    customer.email_consent = False
    customer.save()
    suppression_add(channel=Channel.SMS, address=customer.phone, reason="STOP")
    firing = fire(rule, customer)
    assert firing.outcome == [
        {"type": "send_sms", "result": "skipped: opted out"},
        {"type": "send_email", "result": "skipped: no consent"},
    ]
    assert firing.status == RuleFiring.Status.DONE
    assert not OutboxMessage.objects.filter(status=OutboxMessage.Status.QUEUED).exists()


def test_create_task_for_the_owner_or_a_chosen_user(customer, rep, manager):
    rule = make_rule(
        Event.CUSTOMER_CREATED,
        [
            {"type": "create_task", "subject": "Call {first_name}", "days": 3, "assignee": ""},
            {"type": "create_task", "subject": "Review", "days": 0, "assignee": str(manager.pk)},
        ],
    )
    fire(rule, customer)
    call = Activity.objects.get(subject="Call Sara")
    assert (call.assignee, call.customer, call.status) == (rep, customer, Activity.Status.OPEN)
    due = timezone.localtime(call.due_at)
    assert due.date() == timezone.localdate() + datetime.timedelta(days=3)
    assert (due.hour, due.minute) == (10, 0)
    assert Activity.objects.get(subject="Review").assignee == manager


def test_a_customer_without_an_owner_gets_no_task(customer):
    customer.owner = None
    customer.save()
    rule = make_rule(Event.CUSTOMER_CREATED, [{"type": "create_task", "subject": "Call", "days": 1}])
    assert fire(rule, customer).outcome == [{"type": "create_task", "result": "skipped: the customer has no owner"}]
    assert not Activity.objects.exists()


def test_add_and_remove_tags(customer):
    add = make_rule(Event.CUSTOMER_CREATED, [{"type": "add_tag", "tag": "  VIP  customer "}])
    remove = make_rule(Event.BIRTHDAY, [{"type": "remove_tag", "tag": "VIP customer"}])
    fire(add, customer)
    assert tags_of(customer) == {"VIP customer"}
    assert fire(add, customer, key="k2").outcome == [
        {"type": "add_tag", "result": "skipped: already tagged “VIP customer”"}
    ]
    fire(remove, customer)
    assert tags_of(customer) == set()


def test_add_to_a_static_list(customer):
    vip = segment_create(name="VIP", kind="static")
    rule = make_rule(Event.CUSTOMER_CREATED, [{"type": "add_to_list", "segment": str(vip.pk)}])
    assert fire(rule, customer).outcome == [{"type": "add_to_list", "result": "added to the list “VIP”"}]
    assert SegmentMember.objects.filter(segment=vip, customer=customer).count() == 1


def test_enrol_in_a_running_campaign(customer, marketer):
    campaign = Campaign.objects.create(
        name="Welcome series", owner=marketer, status=Campaign.Status.SENDING, channel=Campaign.Channel.SMS, body="Hi"
    )
    rule = make_rule(Event.CUSTOMER_CREATED, [{"type": "enrol_campaign", "campaign": str(campaign.pk)}])
    assert fire(rule, customer).status == RuleFiring.Status.DONE
    assert CampaignRecipient.objects.filter(campaign=campaign, customer=customer).count() == 1
    assert fire(rule, customer, key="k2").outcome == [
        {"type": "enrol_campaign", "result": "skipped: already in the campaign “Welcome series”"}
    ]


def test_notify_a_user_once_per_occurrence(customer, manager):
    rule = make_rule(Event.CUSTOMER_CREATED, [{"type": "notify_user", "recipient": str(manager.pk), "title": "{name}"}])
    fire(rule, customer)
    notification = Notification.objects.get(recipient=manager)
    assert (notification.title, notification.url) == ("Sara Karimi", customer.get_absolute_url())
    assert notification.dedupe_key == f"rule:{rule.pk}:k1:1"


def test_a_failing_action_is_recorded_and_the_others_still_run(customer, marketer):
    draft = Campaign.objects.create(name="Draft", owner=marketer, status=Campaign.Status.DRAFT, body="Hi")
    gone = UserFactory(username="gone")
    rule = make_rule(
        Event.CUSTOMER_CREATED,
        [
            {"type": "add_tag", "tag": "before"},
            {"type": "enrol_campaign", "campaign": str(draft.pk)},
            {"type": "notify_user", "recipient": str(gone.pk), "title": "Hello"},
            {"type": "add_tag", "tag": "after"},
        ],
    )
    gone.is_active = False
    gone.save()
    firing = fire(rule, customer)
    assert firing.status == RuleFiring.Status.FAILED
    assert [item["result"].split(":")[0] for item in firing.outcome] == [
        "tagged “before”",
        "failed",
        "failed",
        "tagged “after”",
    ]
    assert "Action 2: Customers can only be enrolled in an approved campaign" in firing.error
    assert "Action 3: The chosen user no longer exists or is inactive." in firing.error
    assert tags_of(customer) == {"before", "after"}
    assert not CampaignRecipient.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"actions": [{"type": "launch_rocket"}]}, "actions", "Action 1: Unknown action “launch_rocket”."),
        ({"actions": []}, "actions", "Add at least one action."),
        ({"actions": [{"type": "send_sms", "body": "Hi {nickname}"}]}, "actions", "Unknown placeholder"),
        ({"actions": [{"type": "add_to_list", "segment": "999"}]}, "actions", "choose one of the options"),
        ({"actions": [{"type": "create_task", "subject": "x", "days": "-1"}]}, "actions", "at least 0"),
        ({"event": Event.NO_PURCHASE}, "event_params", "this field is required"),
        ({"event": "moon_landing"}, "event", "Choose an event."),
        (
            {"conditions": {"match": "all", "conditions": [{"field": "shoe_size", "op": "eq", "value": 3}]}},
            "conditions",
            "shoe",
        ),
        ({"name": "  "}, "name", "Give the rule a name."),
    ],
)
def test_bad_rules_are_refused_and_write_nothing(customer, changes, field, message):
    rule = make_rule(Event.CUSTOMER_CREATED, name="Original")
    before = AutomationRule.objects.count()
    fields = {"name": "Changed", "event": Event.CUSTOMER_CREATED, "actions": [{"type": "add_tag", "tag": "a"}]}
    fields.update(changes)
    with pytest.raises(ValidationError) as error:
        rule_update(rule=rule, **fields)
    assert message in " ".join(error.value.message_dict[field])
    rule.refresh_from_db()
    assert (rule.name, AutomationRule.objects.count()) == ("Original", before)
