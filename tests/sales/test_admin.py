"""Every sales model an administrator manages is in the admin, and its list page opens with rows."""

import pytest
from django.contrib import admin
from django.urls import reverse

from sales import models
from tests.sales.factories import ActivityFactory, LeadFactory, OpportunityFactory, OrderLineFactory

pytestmark = pytest.mark.django_db

MODELS = [
    models.Product, models.ProductCategory, models.Lead, models.AssignmentRule, models.ScoringRule,
    models.DisqualifyReason, models.Pipeline, models.LossReason, models.Opportunity, models.Activity,
    models.Quote, models.Order, models.Invoice, models.Payment, models.SalesSettings, models.SurveyInvitation,
]  # fmt: skip


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_each_model_has_a_working_admin_list(model, admin_client):
    assert model in admin.site._registry
    LeadFactory()
    OpportunityFactory()
    ActivityFactory(customer=OpportunityFactory().customer)
    OrderLineFactory()
    url = reverse(f"admin:sales_{model._meta.model_name}_changelist")
    assert admin_client.get(url).status_code == 200


def test_an_order_opens_in_the_admin_with_its_lines(admin_client):
    line = OrderLineFactory()
    response = admin_client.get(reverse("admin:sales_order_change", args=[line.order_id]))
    assert response.status_code == 200
    assert line.product.sku in response.content.decode()
