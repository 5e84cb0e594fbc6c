"""The rule pages: access per role, constant query counts, the form (valid, invalid JSON,
unknown action), switching on/off, deleting, and the dry run (scoped, writes nothing)."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from crm_site.events import CustomerEvent, Event
from crm_site.models import OutboxMessage
from customers.models import Interaction
from marketing.models import AutomationRule, RuleFiring, SegmentMembership
from marketing.services.automation import rule_fire
from marketing.services.segments import segment_create, segment_membership_refresh
from tests.factories import CustomerFactory
from tests.marketing.automation.conftest import make_rule

pytestmark = pytest.mark.django_db

ALLOWED = {"admin", "manager", "marketer"}


def _firing(rule, customer, n: int, status=RuleFiring.Status.DONE) -> RuleFiring:
    return RuleFiring.objects.create(
        rule=rule,
        customer=customer,
        occurrence_key=f"test:{n}",
        status=status,
        fired_at=timezone.now() - datetime.timedelta(hours=n),
        outcome=[{"type": "add_tag", "result": "tagged “x”"}],
    )


@pytest.fixture
def rule(db):
    return make_rule(Event.BIRTHDAY, [{"type": "send_sms", "body": "Happy birthday {first_name}"}], name="Birthday")


@pytest.mark.parametrize("name", ["rule_list", "rule_create", "rule_detail", "rule_edit", "rule_dry_run"])
def test_pages_are_for_the_marketing_area(personas, client_for, rule, name):
    url = reverse(f"marketing:{name}", args=[rule.pk] if name not in ("rule_list", "rule_create") else [])
    for persona, user in personas.items():
        response = client_for(user).get(url)
        assert response.status_code == (200 if persona in ALLOWED else 403), persona


def test_post_actions_are_for_the_marketing_area(personas, client_for, rule):
    for persona in ("rep", "agent", "contractor"):
        client = client_for(personas[persona])
        assert client.post(reverse("marketing:rule_toggle", args=[rule.pk])).status_code == 403
        assert client.post(reverse("marketing:rule_delete", args=[rule.pk])).status_code == 403
    rule.refresh_from_db()
    assert rule.is_active


def test_anonymous_visitors_are_sent_to_log_in(client, rule):
    response = client.get(reverse("marketing:rule_list"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_list_shows_recent_firings_in_constant_queries(client_for, marketer, customer, django_assert_max_num_queries):
    client = client_for(marketer)
    url = reverse("marketing:rule_list")
    segment = segment_create(name="Champions", rules={})
    first = make_rule(Event.SEGMENT_ENTERED, params={"segment": segment.pk}, name="A champion")
    _firing(first, customer, 1)
    _firing(first, customer, 2)
    _firing(first, customer, 3, status=RuleFiring.Status.SKIPPED)
    client.get(url)
    with django_assert_max_num_queries(12) as few:
        response = client.get(url)
    for n in range(8):
        _firing(make_rule(Event.SEGMENT_LEFT, params={"segment": segment.pk}, name=f"Rule {n}"), customer, 1)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    row = next(r for r in response.context["page_obj"].object_list if r.pk == first.pk)
    assert (row.recent_firings, row.event_words) == (2, "When a customer enters the segment “Champions”")


def test_list_filters_by_event(client_for, marketer, rule):
    make_rule(Event.CUSTOMER_CREATED, name="Welcome")
    response = client_for(marketer).get(reverse("marketing:rule_list"), {"event": Event.BIRTHDAY})
    assert [r.name for r in response.context["page_obj"].object_list] == ["Birthday"]


def test_detail_shows_the_rule_in_words_and_its_firings(client_for, marketer, rule, django_assert_max_num_queries):
    client = client_for(marketer)
    url = reverse("marketing:rule_detail", args=[rule.pk])
    _firing(rule, CustomerFactory(), 1)
    client.get(url)
    with django_assert_max_num_queries(14) as few:
        client.get(url)
    for n in range(2, 12):
        _firing(rule, CustomerFactory(), n, status=RuleFiring.Status.FAILED)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    page = response.content.decode()
    assert "On the customer&#x27;s birthday" in page or "On the customer's birthday" in page
    assert "Send the SMS “Happy birthday {first_name}”" in page
    assert len(response.context["page_obj"].object_list) == 11
    failed = client.get(url, {"status": RuleFiring.Status.FAILED})
    assert len(failed.context["page_obj"].object_list) == 10


def test_firings_of_customers_outside_the_managers_team_are_left_out(client_for, manager, outsider_rep, rep, rule):
    _firing(rule, CustomerFactory(owner=rep, team=rep.team), 1)
    _firing(rule, CustomerFactory(owner=outsider_rep, team=outsider_rep.team), 2)
    response = client_for(manager).get(reverse("marketing:rule_detail", args=[rule.pk]))
    assert [f.customer.owner for f in response.context["page_obj"].object_list] == [rep]


def _form(**changes) -> dict:
    data = {
        "name": "Thank big spenders",
        "description": "",
        "event": Event.ORDER_PAID,
        f"param_{Event.ORDER_PAID}__min_amount": "5000000",
        "is_active": "on",
        "conditions": json.dumps({"match": "all", "conditions": [{"field": "city", "op": "eq", "value": "Tehran"}]}),
        "actions": json.dumps(
            [
                {"type": "send_sms", "body": "Thank you {first_name}"},
                {"type": "create_task", "subject": "Call", "days": 2},
            ]
        ),
    }
    data.update(changes)
    return data


def test_create_a_rule(client_for, manager):
    client = client_for(manager)
    form_page = client.get(reverse("marketing:rule_create"))
    assert b'id="rule-actions-spec"' in form_page.content
    response = client.post(reverse("marketing:rule_create"), _form())
    rule = AutomationRule.objects.get()
    assert response.status_code == 302
    assert response["Location"] == rule.get_absolute_url()
    assert (rule.event, rule.event_params, rule.created_by) == (Event.ORDER_PAID, {"min_amount": "5000000"}, manager)
    assert rule.conditions["conditions"][0]["field"] == "city"
    assert [a["type"] for a in rule.actions] == ["send_sms", "create_task"]


def test_a_marketer_saves_a_messaging_rule_switched_off_and_a_manager_switches_it_on(client_for, marketer, manager):
    """Like a campaign, a rule that messages customers needs a manager before it runs."""
    client = client_for(marketer)
    refused = client.post(reverse("marketing:rule_create"), _form())
    assert refused.status_code == 400
    assert "Only a manager can switch on" in refused.content.decode()
    assert not AutomationRule.objects.exists()

    assert client.post(reverse("marketing:rule_create"), _form(is_active="")).status_code == 302
    rule = AutomationRule.objects.get()
    assert not rule.is_active
    client.post(reverse("marketing:rule_toggle", args=[rule.pk]))
    rule.refresh_from_db()
    assert not rule.is_active  # the marketer's switch is refused

    client_for(manager).post(reverse("marketing:rule_toggle", args=[rule.pk]))
    rule.refresh_from_db()
    assert rule.is_active


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"conditions": "{not json"}, "The conditions are not valid JSON."),
        ({"conditions": json.dumps({"match": "maybe"})}, "“match” must be “all” or “any”"),
        ({"actions": json.dumps([{"type": "launch_rocket"}])}, "Unknown action “launch_rocket”"),
        ({"actions": "[{"}, "The actions are not valid JSON."),
        ({"event": Event.NO_PURCHASE}, "This field is required."),
    ],
)
def test_bad_input_writes_nothing(client_for, marketer, changes, message):
    response = client_for(marketer).post(reverse("marketing:rule_create"), _form(**changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not AutomationRule.objects.exists()


def test_edit_keeps_the_firings(client_for, marketer, rule, customer):
    _firing(rule, customer, 1)
    client = client_for(marketer)
    page = client.get(reverse("marketing:rule_edit", args=[rule.pk]))
    assert json.loads(page.context["form"]["actions"].value()) == rule.actions
    response = client.post(
        reverse("marketing:rule_edit", args=[rule.pk]),
        _form(name="Birthday wish", event=Event.BIRTHDAY, is_active=""),
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.event, rule.event_params, rule.is_active) == ("Birthday wish", Event.BIRTHDAY, {}, False)
    assert rule.firings.count() == 1


def test_switch_off_and_on_and_delete(client_for, manager, rule, customer):
    client = client_for(manager)
    client.post(reverse("marketing:rule_toggle", args=[rule.pk]))
    rule.refresh_from_db()
    assert not rule.is_active
    client.post(reverse("marketing:rule_toggle", args=[rule.pk]))
    rule.refresh_from_db()
    assert rule.is_active
    assert client.get(reverse("marketing:rule_toggle", args=[rule.pk])).status_code == 405
    _firing(rule, customer, 1)
    response = client.post(reverse("marketing:rule_delete", args=[rule.pk]))
    assert response["Location"] == reverse("marketing:rule_list")
    assert not AutomationRule.objects.exists()
    assert not RuleFiring.objects.exists()


def test_dry_run_counts_who_would_fire_today_and_writes_nothing(client_for, manager, rep, outsider_rep, rule):
    segment = segment_create(name="Everyone", rules={})
    segment_membership_refresh(segment=segment)  # the first refresh (no customers yet): the baseline
    today = timezone.localdate()
    birthday = today.replace(year=1990) if not (today.month == 2 and today.day == 29) else datetime.date(1992, 2, 29)
    mine = CustomerFactory(owner=rep, team=rep.team, birth_date=birthday, name="Mine")
    CustomerFactory(owner=outsider_rep, team=outsider_rep.team, birth_date=birthday, name="Theirs")
    wished = CustomerFactory(owner=rep, team=rep.team, birth_date=birthday, name="Already wished")
    RuleFiring.objects.create(
        rule=rule, customer=wished, occurrence_key=f"birthday:{wished.pk}:{today.year}", fired_at=timezone.now()
    )
    entered = make_rule(Event.SEGMENT_ENTERED, params={"segment": segment.pk})
    counts = (RuleFiring.objects.count(), OutboxMessage.objects.count(), Interaction.objects.count())

    client = client_for(manager)
    response = client.get(reverse("marketing:rule_dry_run", args=[rule.pk]), headers={"HX-Request": "true"})
    dry_run = response.context["dry_run"]
    assert (dry_run.count, [c.name for c in dry_run.sample]) == (1, ["Mine"])
    assert 'data-testid="dry-run"' in response.content.decode()
    assert b"<html" not in response.content  # the partial for htmx

    segment_dry = client_for(manager).get(reverse("marketing:rule_dry_run", args=[entered.pk]))
    assert segment_dry.context["dry_run"].count == 2  # the manager's team's customers would enter
    assert (RuleFiring.objects.count(), OutboxMessage.objects.count(), Interaction.objects.count()) == counts
    assert not SegmentMembership.objects.exists()
    assert mine.pk in {c.pk for c in segment_dry.context["dry_run"].sample}


def test_dry_run_of_an_announced_event_lists_who_matches_the_conditions(client_for, marketer):
    rule = make_rule(
        Event.ORDER_PAID, conditions={"match": "all", "conditions": [{"field": "city", "op": "eq", "value": "Yazd"}]}
    )
    CustomerFactory(city="Yazd")
    CustomerFactory(city="Tehran")
    response = client_for(marketer).get(reverse("marketing:rule_dry_run", args=[rule.pk]))
    assert response.context["dry_run"].count == 1
    assert response.context["dry_run"].daily is False


def test_a_firing_without_a_customer_is_listed(client_for, marketer):
    rule = make_rule(Event.LEAD_CREATED)
    rule_fire(
        rule=rule,
        event=CustomerEvent(event=Event.LEAD_CREATED, key="lead:1", occurred_at=timezone.now()),
        customer=None,
        now=timezone.now(),
    )
    response = client_for(marketer).get(reverse("marketing:rule_detail", args=[rule.pk]))
    assert "skipped: no customer" in response.content.decode()
