"""Review fixes on leads: unassigned web leads reach the managers, the convert page hides
customers outside the user's scope, reps' imports stay theirs, the contact form's "wrote again"
path cannot flood notifications, and labels are translatable."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse

from crm_site.models import Notification
from customers.models import Customer
from sales.forms.leads import ConvertForm, ScoreExampleForm
from sales.models import AssignmentRule, Lead, Opportunity
from sales.services.leads import lead_capture_web, lead_convert
from tests.factories import CustomerFactory
from tests.sales.factories import LeadFactory
from tests.sales.test_lead_form import draw, submit
from tests.sales.test_lead_pages import _xlsx

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def _rule(*users, **kwargs) -> AssignmentRule:
    rule = AssignmentRule.objects.create(name="Everyone", provinces=[], **kwargs)
    rule.users.set(users)
    return rule


def _unassigned(**kwargs) -> Lead:
    return LeadFactory(name="Nobody's lead", owner=None, team=None, status=Lead.Status.NEW, **kwargs)


# --- 1. unassigned web leads ---------------------------------------------------------------------


def test_an_unassigned_web_lead_notifies_the_active_managers_once(personas):
    from tests.factories import UserFactory

    retired = UserFactory(username="retired", role="Manager", is_active=False)
    lead = lead_capture_web(name="Sara", phone="09121234567")
    assert lead.owner is None and lead.team is None
    notes = Notification.objects.filter(url=lead.get_absolute_url())
    assert set(notes.values_list("recipient", flat=True)) == {personas["manager"].pk}
    assert not notes.filter(recipient=retired).exists()
    # The same visitor writing again does not announce a second unassigned lead.
    lead_capture_web(name="Sara", phone="09121234567", interest="Again")
    assert notes.filter(title__startswith="Unassigned").count() == 1


def test_a_web_lead_a_rule_assigns_notifies_no_manager(personas):
    _rule(personas["rep"])
    lead = lead_capture_web(name="Sara", phone="09121234567")
    assert lead.owner == personas["rep"]
    assert not Notification.objects.filter(recipient=personas["manager"]).exists()


@pytest.mark.parametrize(("persona", "status"), [("manager", 200), ("admin", 200), ("rep", 404), ("rep2", 404)])
def test_unassigned_leads_are_seen_by_managers_and_admins_only(persona, status, personas, client_for):
    lead = _unassigned()
    client = client_for(personas[persona])
    assert client.get(reverse("sales:lead_detail", args=[lead.pk])).status_code == status
    names = {row.name for row in client.get(reverse("sales:lead_list")).context["page_obj"]}
    assert (lead.name in names) == (status == 200)


def test_a_manager_does_not_see_another_teams_leads_through_the_new_condition(personas, client_for):
    theirs = LeadFactory(owner=personas["outsider_rep"])
    filed_elsewhere = LeadFactory(owner=None, team=personas["outsider_rep"].team)
    client = client_for(personas["manager"])
    for lead in (theirs, filed_elsewhere):
        assert client.get(reverse("sales:lead_detail", args=[lead.pk])).status_code == 404


def test_the_unassigned_filter_for_managers(personas, client_for):
    lead = _unassigned()
    LeadFactory(name="Lead of rep", owner=personas["rep"])
    client = client_for(personas["manager"])
    response = client.get(reverse("sales:lead_list"), {"assignment": "unassigned"})
    assert [row.name for row in response.context["page_obj"]] == [lead.name]
    response = client.get(reverse("sales:lead_list"), {"assignment": "assigned"})
    assert [row.name for row in response.context["page_obj"]] == ["Lead of rep"]
    # A rep has no unassigned leads, so no such choice.
    response = client_for(personas["rep"]).get(reverse("sales:lead_list"))
    assert "assignment" not in response.context["filter"].form.fields


def test_a_manager_assigns_an_unassigned_lead_by_the_rules(personas, client_for):
    lead = _unassigned()
    _rule(personas["rep2"])
    client = client_for(personas["manager"])
    page = client.get(reverse("sales:lead_detail", args=[lead.pk]))
    assert reverse("sales:lead_assign_auto", args=[lead.pk]) in page.content.decode()
    response = client.post(reverse("sales:lead_assign_auto", args=[lead.pk]))
    assert response.status_code == 302 and response.url == lead.get_absolute_url()
    lead.refresh_from_db()
    assert (lead.owner, lead.team) == (personas["rep2"], personas["rep2"].team)
    assert lead.assignments.get().to_user == personas["rep2"]
    assert Notification.objects.filter(recipient=personas["rep2"], url=lead.get_absolute_url()).exists()


def test_assign_by_the_rules_without_a_matching_rule_changes_nothing(personas, client_for):
    lead = _unassigned()
    response = client_for(personas["manager"]).post(reverse("sales:lead_assign_auto", args=[lead.pk]), follow=True)
    assert "No assignment rule matches" in response.content.decode()
    lead.refresh_from_db()
    assert lead.owner is None and not lead.assignments.exists()


@pytest.mark.parametrize(("persona", "status"), [("rep", 403), ("marketer", 403), ("agent", 403), ("contractor", 403)])
def test_assign_by_the_rules_is_refused_to_others(persona, status, personas, client_for):
    lead = LeadFactory(owner=personas["rep"])
    _rule(personas["rep2"])
    assert client_for(personas[persona]).post(reverse("sales:lead_assign_auto", args=[lead.pk])).status_code == status
    lead.refresh_from_db()
    assert lead.owner == personas["rep"] and not lead.assignments.exists()


def test_assign_by_the_rules_is_post_only_and_scoped(personas, client_for):
    _rule(personas["rep2"])
    client = client_for(personas["manager"])
    lead = _unassigned()
    assert client.get(reverse("sales:lead_assign_auto", args=[lead.pk])).status_code == 405
    outside = LeadFactory(owner=personas["outsider_rep"])
    assert client.post(reverse("sales:lead_assign_auto", args=[outside.pk])).status_code == 404
    outside.refresh_from_db()
    assert outside.owner == personas["outsider_rep"]


def test_a_converted_lead_is_not_assigned_again(personas, client_for):
    _rule(personas["rep2"])
    lead = LeadFactory(owner=personas["rep"], status=Lead.Status.CONVERTED)
    client_for(personas["manager"]).post(reverse("sales:lead_assign_auto", args=[lead.pk]))
    lead.refresh_from_db()
    assert lead.owner == personas["rep"]


def test_the_lead_page_stays_constant_in_queries_for_an_unassigned_lead(
    personas, client_for, django_assert_max_num_queries
):
    lead = _unassigned()
    client = client_for(personas["manager"])
    client.get(reverse("sales:lead_detail", args=[lead.pk]))
    with django_assert_max_num_queries(25):
        assert client.get(reverse("sales:lead_detail", args=[lead.pk])).status_code == 200


# --- 2. the convert page -------------------------------------------------------------------------


@pytest.fixture
def hidden_match(personas):
    theirs = CustomerFactory(name="Secret Customer", owner=personas["outsider_rep"], phones=["+989121234567"])
    lead = LeadFactory(owner=personas["rep"], name="Sara", phone="+989121234567", status=Lead.Status.QUALIFIED)
    return lead, theirs


def test_the_convert_page_names_no_customer_the_rep_cannot_open(hidden_match, personas, client_for):
    lead, theirs = hidden_match
    response = client_for(personas["rep"]).get(reverse("sales:lead_convert", args=[lead.pk]))
    content = response.content.decode()
    assert response.status_code == 200
    assert "A customer you cannot open matches this lead" in content
    assert theirs.name not in content and personas["outsider_rep"].username not in content
    assert theirs.code not in content and "Same phone" not in content


def test_create_new_needs_an_explicit_confirmation_when_a_customer_matches(hidden_match, personas, client_for):
    lead, _theirs = hidden_match
    client = client_for(personas["rep"])
    url = reverse("sales:lead_convert", args=[lead.pk])
    # Nothing is pre-chosen: posting the page as drawn writes nothing.
    assert client.get(url).context["form"]["customer"].value() is None
    response = client.post(url, {"amount": "5"})
    assert response.status_code == 400 and "customer" in response.context["form"].errors
    response = client.post(url, {"customer": "new"})
    assert response.status_code == 400 and "confirm_new" in response.context["form"].errors
    assert Customer.objects.count() == 1 and not Opportunity.objects.exists()
    response = client.post(url, {"customer": "new", "confirm_new": "on"})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONVERTED and Customer.objects.count() == 2


def test_the_service_refusal_names_no_customer(hidden_match, personas):
    lead, theirs = hidden_match
    with pytest.raises(ValidationError) as caught:
        lead_convert(lead=lead, by=personas["rep"])
    assert theirs.name not in " ".join(caught.value.messages)


def test_allow_duplicate_only_with_the_choice_and_the_confirmation(hidden_match):
    lead, _theirs = hidden_match
    kwargs = {"lead": lead, "candidates": [], "visible": Customer.objects.none()}
    form = ConvertForm({"customer": "new"}, **kwargs)
    assert form.is_valid() and form.allows_duplicate() is False
    form = ConvertForm({"customer": "new", "confirm_new": "on"}, **kwargs)
    assert form.is_valid() and form.allows_duplicate() is True


# --- 3. imports by a rep -------------------------------------------------------------------------


def test_a_reps_import_stays_with_the_rep(personas, client_for):
    _rule(personas["rep2"], personas["outsider_rep"])
    upload = _xlsx(
        [["Ali", "", "09121112233", "", "", "", "", "", ""], ["Sara", "", "09121112234", "", "", "", "", "", ""]]
    )
    response = client_for(personas["rep"]).post(reverse("sales:lead_import"), {"file": upload})
    assert response.status_code == 302
    assert set(Lead.objects.values_list("owner", flat=True)) == {personas["rep"].pk}
    assert not Notification.objects.filter(recipient__in=[personas["rep2"], personas["outsider_rep"]]).exists()


def test_a_managers_import_uses_the_rules(personas, client_for):
    _rule(personas["rep2"])
    upload = _xlsx([["Ali", "", "09121112233", "", "", "", "", "", ""]])
    response = client_for(personas["manager"]).post(reverse("sales:lead_import"), {"file": upload})
    assert response.status_code == 302
    assert Lead.objects.get().owner == personas["rep2"]


# --- 4. the contact form -------------------------------------------------------------------------


def test_writing_again_notifies_the_owner_at_most_once_an_hour(personas):
    LeadFactory(owner=personas["rep"], phone="+989121234567", status=Lead.Status.NEW)
    again = Notification.objects.filter(recipient=personas["rep"], title__contains="wrote again")
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(3):
            lead_capture_web(name="Sara", phone="09121234567", interest="Hello?")
            traveller.shift(timedelta(minutes=10))
        assert again.count() == 1
        traveller.shift(timedelta(minutes=40))
        lead_capture_web(name="Sara", phone="09121234567", interest="Still there?")
    assert again.count() == 2


def test_submissions_are_rate_limited_per_email(client):
    with time_machine.travel(START, tick=False) as traveller:
        hidden = draw(client)
        traveller.shift(timedelta(seconds=20))
        for number in range(5):
            response = submit(client, hidden, ip=f"10.0.2.{number}", phone="", email="sara@example.com")
            assert response.status_code == 200
        response = submit(client, hidden, ip="10.0.2.99", phone="", email="SARA@example.com")
    assert response.status_code == 429
    assert Lead.objects.count() == 1


# --- 5. labels -----------------------------------------------------------------------------------


def test_form_labels_are_set(personas):
    lead = LeadFactory(owner=personas["rep"])
    form = ConvertForm(lead=lead, candidates=[], visible=Customer.objects.none())
    assert str(form.fields["pipeline"].label) == "Pipeline"
    assert str(ScoreExampleForm().fields["province"].label) == "Province"


def test_breadcrumb_labels_are_translatable(personas, client_for):
    lead = LeadFactory(owner=personas["rep"], status=Lead.Status.QUALIFIED)
    client = client_for(personas["rep"])
    for url in (
        reverse("sales:lead_detail", args=[lead.pk]),
        reverse("sales:lead_edit", args=[lead.pk]),
        reverse("sales:lead_convert", args=[lead.pk]),
        reverse("sales:lead_import"),
    ):
        content = client.get(url).content.decode()
        assert 'aria-label="Breadcrumb"' in content and 'aria-label="breadcrumb"' not in content, url
