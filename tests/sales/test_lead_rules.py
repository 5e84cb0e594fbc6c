"""Setup pages of lead assignment and scoring rules (managers and admins only)."""

import pytest
from django.urls import reverse

from customers.models import Source
from sales.models import AssignmentRule, Lead, ScoringRule
from tests.sales.factories import LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rule(rep):
    rule = AssignmentRule.objects.create(name="Tehran", provinces=["tehran"])
    rule.users.set([rep])
    return rule


@pytest.fixture
def scoring():
    return ScoringRule.objects.create(criterion="has_phone", points=10)


def _urls(rule, scoring):
    return [
        reverse("sales:lead_assignment_rules"),
        reverse("sales:lead_assignment_rule_create"),
        reverse("sales:lead_assignment_rule_edit", args=[rule.pk]),
        reverse("sales:lead_scoring_rules"),
        reverse("sales:lead_scoring_rule_create"),
        reverse("sales:lead_scoring_rule_edit", args=[scoring.pk]),
    ]


@pytest.mark.parametrize("persona", ["admin", "manager"])
def test_managers_and_admins_open_the_setup_pages(persona, personas, rule, scoring, client_for):
    client = client_for(personas[persona])
    for url in _urls(rule, scoring):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("persona", ["rep", "marketer", "agent", "contractor"])
def test_other_roles_are_refused(persona, personas, rule, scoring, client_for):
    client = client_for(personas[persona])
    for url in _urls(rule, scoring):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("sales:lead_scoring_rule_delete", args=[scoring.pk])).status_code == 403
    assert client.post(reverse("sales:lead_assignment_rule_active", args=[rule.pk])).status_code == 403
    assert ScoringRule.objects.exists() and AssignmentRule.objects.get().is_active


def test_create_an_assignment_rule(personas, client_for):
    referral = Source.objects.create(name="Referral")
    response = client_for(personas["manager"]).post(
        reverse("sales:lead_assignment_rule_create"),
        {
            "name": "South",
            "priority": 5,
            "is_active": "on",
            "provinces": ["fars", "bushehr"],
            "sources": [referral.pk],
            "method": "round_robin",
            "users": [personas["rep"].pk, personas["rep2"].pk],
        },
    )
    assert response.status_code == 302
    rule = AssignmentRule.objects.get()
    assert rule.provinces == ["bushehr", "fars"]
    assert set(rule.users.all()) == {personas["rep"], personas["rep2"]}
    assert list(rule.sources.all()) == [referral]


def test_a_rule_without_anybody_is_refused(personas, client_for):
    response = client_for(personas["manager"]).post(
        reverse("sales:lead_assignment_rule_create"), {"name": "Empty", "priority": 1, "method": "fixed"}
    )
    assert response.status_code == 400 and response.context["form"].errors["users"]
    assert not AssignmentRule.objects.exists()


def test_turn_a_rule_off_and_on(personas, rule, client_for):
    client = client_for(personas["manager"])
    client.post(reverse("sales:lead_assignment_rule_active", args=[rule.pk]), {"is_active": "0"})
    rule.refresh_from_db()
    assert not rule.is_active
    client.post(reverse("sales:lead_assignment_rule_active", args=[rule.pk]), {"is_active": "1"})
    rule.refresh_from_db()
    assert rule.is_active


def test_scoring_rules_create_edit_delete_rescore_open_leads(
    personas, client_for, rep, django_capture_on_commit_callbacks
):
    lead = LeadFactory(owner=rep, company="Pars")
    closed = LeadFactory(owner=rep, company="Pars", status=Lead.Status.CONVERTED)
    client = client_for(personas["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("sales:lead_scoring_rule_create"), {"criterion": "has_company", "points": 12, "is_active": "on"}
        )
    assert response.status_code == 302
    lead.refresh_from_db()
    closed.refresh_from_db()
    assert (lead.score, closed.score) == (12, 0)
    scoring = ScoringRule.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("sales:lead_scoring_rule_edit", args=[scoring.pk]),
            {"criterion": "has_company", "points": -3, "is_active": "on"},
        )
    lead.refresh_from_db()
    assert lead.score == -3
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("sales:lead_scoring_rule_delete", args=[scoring.pk]))
    lead.refresh_from_db()
    assert lead.score == 0 and not ScoringRule.objects.exists()


def test_a_scoring_rule_needs_what_its_criterion_uses(personas, client_for):
    response = client_for(personas["manager"]).post(
        reverse("sales:lead_scoring_rule_create"), {"criterion": "source", "points": 5, "is_active": "on"}
    )
    assert response.status_code == 400 and response.context["form"].errors["source"]
    assert not ScoringRule.objects.exists()


def test_the_scoring_list_shows_an_example_score(personas, client_for):
    ScoringRule.objects.create(criterion="has_phone", points=10)
    ScoringRule.objects.create(criterion="has_email", points=5)
    ScoringRule.objects.create(criterion="province", province="fars", points=7)
    client = client_for(personas["manager"])
    assert client.get(reverse("sales:lead_scoring_rules")).context["example_score"] == 15
    response = client.get(reverse("sales:lead_scoring_rules"), {"province": "fars", "has_phone": "on"})
    assert response.context["example_score"] == 17


def test_the_rule_lists_run_a_constant_number_of_queries(personas, client_for, django_assert_max_num_queries):
    client = client_for(personas["manager"])
    source = Source.objects.create(name="Web")

    def add_rules():
        rule = AssignmentRule.objects.create(name="R", provinces=["fars"])
        rule.users.set([personas["rep"], personas["rep2"]])
        rule.sources.set([source])
        ScoringRule.objects.create(criterion="source", source=source, points=1)

    add_rules()
    pages = [reverse("sales:lead_assignment_rules"), reverse("sales:lead_scoring_rules")]
    counts = []
    for url in pages:
        with django_assert_max_num_queries(30) as captured:
            client.get(url)
        counts.append(len(captured.captured_queries))
    for _ in range(5):
        add_rules()
    for url, count in zip(pages, counts, strict=True):
        with django_assert_max_num_queries(count):
            client.get(url)
