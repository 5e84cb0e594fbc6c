"""factory-boy factories for the service models (they write through the models, for speed;
tests of a service call the service itself)."""

import secrets

import factory
from django.utils import timezone

from service.models import SlaPolicy, Ticket, TicketCategory
from tests.factories import CustomerFactory, UserFactory


def category(name: str) -> TicketCategory:
    """A category the defaults migration installs (Installation, Repairs > Under warranty, ...)."""
    return TicketCategory.objects.get(name=name)


def policy(name: str) -> SlaPolicy:
    """A policy the defaults migration installs (Urgent, High, Normal, Low, Any other ticket)."""
    return SlaPolicy.objects.get(name=name)


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    number = factory.Sequence(lambda n: f"T-T{n:06d}")
    subject = factory.Sequence(lambda n: f"Washing machine leaks {n}")
    customer = factory.SubFactory(CustomerFactory)
    owner = factory.SubFactory(UserFactory)
    team = factory.LazyAttribute(lambda ticket: ticket.owner.team if ticket.owner else None)
    public_token = factory.LazyFunction(lambda: secrets.token_urlsafe(24))
    created_at = factory.LazyFunction(timezone.now)
