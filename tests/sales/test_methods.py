"""Selling methods: their declared steps, and playbook answers saved and validated per method."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from sales.methods import METHODS, clean_step_answers
from sales.models import Opportunity
from sales.selectors.pipeline import playbook_for
from sales.services.pipeline import buying_role_create, opportunity_playbook_save
from tests.sales.factories import OpportunityFactory

pytestmark = pytest.mark.django_db


def test_each_method_declares_its_steps_with_labelled_questions():
    assert [step.key for step in METHODS["spin"].steps] == ["situation", "problem", "implication", "need_payoff"]
    assert [step.key for step in METHODS["radar"].steps] == ["research", "approach", "discover", "assess", "resolve"]
    tas = METHODS["tas"]
    assert tas.steps[0].uses_buying_roles
    assert {"compelling_event", "competition", "value"} <= {step.key for step in tas.steps}
    for method in METHODS.values():
        assert set(METHODS) == set(Opportunity.Method.values) - {""}
        for step in method.steps:
            assert step.uses_buying_roles or step.questions
            for question in step.questions:
                assert str(question.label)


@pytest.mark.parametrize(
    ("method", "step", "answers"),
    [
        ("spin", "problem", {"pain_points": "  Slow deliveries ", "since_when": ""}),
        ("tas", "compelling_event", {"event": "New branch opens", "deadline": "June"}),
        ("radar", "discover", {"needs": "Faster service"}),
    ],
)
def test_answers_are_saved_per_method_and_step_and_count_in_the_progress(method, step, answers):
    opportunity = OpportunityFactory(method=method)
    opportunity_playbook_save(opportunity=opportunity, step=step, answers=answers)
    opportunity.refresh_from_db()
    expected = {key: value.strip() for key, value in answers.items() if value.strip()}
    assert opportunity.playbook == {method: {step: expected}}
    playbook = playbook_for(opportunity, buying_role_count=0)
    assert playbook.answered == 1 and playbook.total == len(METHODS[method].steps)


@pytest.mark.parametrize(
    ("method", "step", "answers"),
    [
        ("spin", "situation", {"current_setup": "x", "budget": "y"}),  # unknown question
        ("tas", "buying_roles", {"name": "x"}),  # kept in buying roles, not in answers
        ("radar", "situation", {"current_setup": "x"}),  # another method's step
        ("radar", "research", {"findings": "x" * 2001}),  # too long
        ("spin", "problem", {"pain_points": 3}),  # not text
    ],
)
def test_answers_outside_the_methods_fields_are_refused(method, step, answers):
    opportunity = OpportunityFactory(method=method, playbook={})
    with pytest.raises(ValidationError):
        opportunity_playbook_save(opportunity=opportunity, step=step, answers=answers)
    opportunity.refresh_from_db()
    assert opportunity.playbook == {}


def test_no_playbook_without_a_method():
    opportunity = OpportunityFactory(method="")
    with pytest.raises(ValidationError):
        opportunity_playbook_save(opportunity=opportunity, step="problem", answers={"pain_points": "x"})
    assert playbook_for(opportunity, buying_role_count=0) is None


def test_target_account_selling_counts_buying_roles_as_a_step():
    opportunity = OpportunityFactory(method="tas")
    assert playbook_for(opportunity, buying_role_count=0).answered == 0
    buying_role_create(opportunity=opportunity, name="Reza", role="economic", stance="supporter")
    assert playbook_for(opportunity, buying_role_count=1).answered == 1


def test_switching_method_keeps_the_other_methods_answers():
    opportunity = OpportunityFactory(method="spin")
    opportunity_playbook_save(opportunity=opportunity, step="problem", answers={"pain_points": "Slow"})
    opportunity.method = "radar"
    opportunity_playbook_save(opportunity=opportunity, step="research", answers={"findings": "Big"})
    opportunity.refresh_from_db()
    assert opportunity.playbook == {
        "spin": {"problem": {"pain_points": "Slow"}},
        "radar": {"research": {"findings": "Big"}},
    }
    assert clean_step_answers(METHODS["spin"], "problem", {"pain_points": " a "}) == {"pain_points": "a"}


def test_the_detail_page_guides_with_a_checklist_and_saves_a_step(rep, client_for):
    opportunity = OpportunityFactory(owner=rep, method="spin")
    client = client_for(rep)
    page = client.get(reverse("sales:opportunity_detail", args=[opportunity.pk])).content.decode()
    assert "0 of 4 steps" in page and "What is not working?" in page

    url = reverse("sales:opportunity_playbook", args=[opportunity.pk, "problem"])
    response = client.post(url, {"problem-pain_points": "Late deliveries", "problem-since_when": "A year"})
    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert opportunity.playbook["spin"]["problem"] == {"pain_points": "Late deliveries", "since_when": "A year"}
    page = client.get(reverse("sales:opportunity_detail", args=[opportunity.pk])).content.decode()
    assert "1 of 4 steps" in page

    response = client.post(reverse("sales:opportunity_playbook", args=[opportunity.pk, "research"]), {})
    assert response.status_code == 302  # not a SPIN step: refused with a message
    response = client.post(url, {"problem-pain_points": "x" * 2001})
    assert response.status_code == 400
    opportunity.refresh_from_db()
    assert opportunity.playbook["spin"]["problem"]["pain_points"] == "Late deliveries"


def test_a_rep_chooses_the_method_and_maps_buying_roles_on_the_page(rep, rep2, client_for):
    opportunity = OpportunityFactory(owner=rep)
    client = client_for(rep)
    assert client.post(reverse("sales:opportunity_method", args=[opportunity.pk]), {"method": "tas"}).status_code == 302
    opportunity.refresh_from_db()
    assert opportunity.method == "tas"
    add = reverse("sales:buying_role_create", args=[opportunity.pk])
    assert client.post(add, {"name": "", "role": "economic", "stance": "supporter", "influence": 4}).status_code == 400
    assert (
        client.post(add, {"name": "Mina", "role": "economic", "stance": "supporter", "influence": 4}).status_code == 302
    )
    role = opportunity.buying_roles.get()
    edit = reverse("sales:buying_role_edit", args=[opportunity.pk, role.pk])
    client.post(edit, {"name": "Mina", "role": "economic", "stance": "opponent", "influence": 5})
    role.refresh_from_db()
    assert role.stance == "opponent"
    page = client.get(reverse("sales:opportunity_detail", args=[opportunity.pk])).content.decode()
    assert "1 of 4 steps" in page and "Mina" in page

    assert client_for(rep2).post(reverse("sales:buying_role_delete", args=[opportunity.pk, role.pk])).status_code == 404
    client = client_for(rep)
    assert client.post(reverse("sales:buying_role_delete", args=[opportunity.pk, role.pk])).status_code == 302
    assert not opportunity.buying_roles.exists()
