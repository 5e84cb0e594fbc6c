"""{first_name} means the same in every marketing message: the first name, or else the first word
of the name (campaigns, automation actions and the loyalty tier SMS share customers.first_name_of)."""

import pytest

from customers.models import first_name_of
from marketing.services.automation_actions import render_text
from marketing.services.campaign_sending import render_for
from tests.factories import CustomerFactory


@pytest.mark.parametrize(
    ("first_name", "name", "expected"),
    [("Sara", "Sara Ahmadi", "Sara"), ("", "Reza Karimi", "Reza"), ("", "  ", ""), ("", "Acme", "Acme")],
)
def test_first_name_of(first_name, name, expected):
    assert first_name_of(first_name=first_name, name=name) == expected


@pytest.mark.django_db
def test_campaigns_and_automation_greet_a_customer_without_first_name_alike():
    customer = CustomerFactory(name="Reza Karimi", first_name="")
    row = {"name": customer.name, "first_name": customer.first_name, "code": customer.code}
    campaign = render_for(template="Hi {first_name}", customer=row, recipient_id=None)
    automation = render_text("Hi {first_name}", customer)
    assert campaign == automation == "Hi Reza"
    assert customer.greeting_name == "Reza"
