"""Every customers model is in the admin, its list page opens, and Customer has a history page."""

import pytest
from django.contrib import admin
from django.urls import reverse

from customers import models
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

MODELS = [
    models.Customer, models.CustomerGroup, models.Tag, models.Interest, models.Source, models.Interaction,
    models.CustomerStats, models.CustomerMerge, models.ImportMapping,
]  # fmt: skip


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_each_model_has_a_working_admin_list(model, admin_client):
    assert model in admin.site._registry
    CustomerFactory()
    url = reverse(f"admin:customers_{model._meta.model_name}_changelist")
    assert admin_client.get(url).status_code == 200


def test_customer_history_page(admin_client):
    customer = CustomerFactory()
    assert admin_client.get(reverse("admin:customers_customer_history", args=[customer.pk])).status_code == 200
