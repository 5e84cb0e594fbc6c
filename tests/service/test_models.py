"""The defaults a fresh install starts serving with."""

import pytest

from service.models import BusinessCalendar, Holiday, ServiceSettings, SlaPolicy, TicketCategory
from tests.service.factories import TicketFactory, category

pytestmark = pytest.mark.django_db


def test_a_fresh_install_has_the_iranian_week_and_fixed_holidays():
    calendar = BusinessCalendar.objects.get(is_default=True)
    days = set(calendar.periods.values_list("weekday", flat=True))
    assert 4 not in days  # Friday off
    assert days == {5, 6, 0, 1, 2, 3}
    thursday = calendar.periods.get(weekday=3)
    assert (thursday.start.hour, thursday.end.hour) == (8, 13)
    nowruz = Holiday.objects.filter(calendar=calendar, name="Nowruz").values_list("date", flat=True)
    assert {day.isoformat() for day in nowruz} >= {"2026-03-21", "2026-03-24", "2027-03-21"}
    # 22 Bahman 1405 and 29 Esfand 1405.
    assert Holiday.objects.filter(date="2027-02-11").exists() and Holiday.objects.filter(date="2027-03-20").exists()


def test_a_fresh_install_has_policies_by_priority_and_a_category_tree():
    assert list(SlaPolicy.objects.values_list("priority", flat=True)) == [4, 3, 2, 1, None]
    warranty = category("Under warranty")
    assert warranty.parent == category("Repairs") and warranty.path == f"{warranty.parent.path}{warranty.pk}/"
    assert warranty.skill.name == "Repairs"
    assert TicketCategory.objects.filter(parent__isnull=True).count() == 6
    assert ServiceSettings.load().pk == 1


def test_the_ticket_factory_makes_a_consistent_ticket():
    ticket = TicketFactory()
    assert ticket.status == "new" and ticket.priority == 2 and ticket.public_token
    assert str(ticket).startswith(ticket.number)
