"""Editing an activity keeps its customer even when the editor cannot open that customer."""

import pytest
from django.urls import reverse

from tests.factories import CustomerFactory
from tests.sales.factories import ActivityFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


def _post(activity, **changes) -> dict:
    return {
        "kind": "call",
        "subject": "Renamed",
        "due_at": "2026-03-13T08:00",
        "assignee": activity.assignee_id,
        "customer_code": activity.customer.code,
        "opportunity": activity.opportunity_id or "",
        **changes,
    }


def test_editing_keeps_a_teammates_customer(rep, rep2, client_for):
    customer = CustomerFactory(owner=rep2)
    activity = ActivityFactory(assignee=rep, customer=customer)
    response = client_for(rep).post(reverse("sales:activity_edit", args=[activity.pk]), _post(activity))
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.subject == "Renamed" and activity.customer == customer


def test_editing_keeps_the_customer_implied_by_the_opportunity(rep, rep2, client_for):
    opportunity = OpportunityFactory(owner=rep, customer=CustomerFactory(owner=rep2))
    activity = ActivityFactory(assignee=rep, opportunity=opportunity, customer=opportunity.customer)
    response = client_for(rep).post(
        reverse("sales:activity_edit", args=[activity.pk]),
        _post(activity, customer_code=activity.customer.code.lower()),
    )
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.subject == "Renamed" and activity.customer == opportunity.customer


def test_another_unseen_customer_code_is_still_refused(rep, rep2, outsider_rep, client_for):
    activity = ActivityFactory(assignee=rep, customer=CustomerFactory(owner=rep2))
    stranger = CustomerFactory(owner=outsider_rep)
    response = client_for(rep).post(
        reverse("sales:activity_edit", args=[activity.pk]), _post(activity, customer_code=stranger.code)
    )
    assert response.status_code in (200, 400)
    assert "customer_code" in response.context["form"].errors
    activity.refresh_from_db()
    assert activity.subject != "Renamed" and activity.customer_id != stranger.pk
