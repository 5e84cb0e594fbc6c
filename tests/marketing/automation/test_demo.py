"""The automation part of the demo: its rules pass the rule checks, and its past firings are
real occurrences with their timeline entries; the pages show them."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from crm_site.demo import DemoContext
from crm_site.models import User
from customers.models import Interaction
from marketing.demo import automation as automation_demo
from marketing.models import AutomationRule, RuleFiring
from marketing.services.automation import _rule_clean

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    call_command("seed_demo", customers=150, seed=3, stdout=StringIO())
    if not AutomationRule.objects.exists():  # the marketing demo package may not call this part yet
        ctx = DemoContext(seed=3, customers=150, users={user.username: user for user in User.objects.all()})
        automation_demo.seed(ctx)


def test_demo_rules_and_firings(seeded, client):
    rules = list(AutomationRule.objects.all())
    assert len(rules) >= 6
    for rule in rules:  # each rule as the form would have saved it
        _rule_clean(
            name=rule.name,
            event=rule.event,
            event_params=rule.event_params,
            conditions=rule.conditions,
            actions=rule.actions,
        )
    firings = RuleFiring.objects.all()
    assert firings.count() > 0
    entries = Interaction.objects.filter(kind=Interaction.Kind.SYSTEM, url__startswith="/marketing/rules/")
    assert entries.count() == firings.count()
    assert {entry.source for entry in entries[:5]} <= set(firings)
    client.force_login(User.objects.get(username="marketing"))
    assert client.get(reverse("marketing:rule_list")).status_code == 200
    busiest = max(rules, key=lambda rule: rule.firings.count())
    assert client.get(reverse("marketing:rule_detail", args=[busiest.pk])).status_code == 200
