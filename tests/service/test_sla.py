"""Service-level targets: policies, deadlines in business time on the Iranian week, the clock
paused while waiting on the customer, and the job that warns and escalates exactly once."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from crm_site.access import Role
from crm_site.models import Notification
from customers.services import group_create
from service.models import SlaPolicy, Ticket, TicketEvent
from service.services.sla import sla_check, sla_policy_for, ticket_sla_pause, ticket_sla_resume, ticket_sla_start
from service.tasks.sla import check_sla
from tests.factories import CustomerFactory, TeamFactory, UserFactory
from tests.service.factories import TicketFactory, category, policy

pytestmark = pytest.mark.django_db

TEHRAN = ZoneInfo("Asia/Tehran")
# Wednesday 6 May 2026, 15:00 in Tehran: one business hour left that day, Thursday is a half day,
# Friday is off.
WEDNESDAY_3PM = datetime(2026, 5, 6, 15, 0, tzinfo=TEHRAN)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 5, day, hour, minute, tzinfo=TEHRAN)


def started(**kwargs) -> Ticket:
    ticket = TicketFactory(created_at=WEDNESDAY_3PM, **kwargs)
    ticket_sla_start(ticket=ticket)
    ticket.save()
    return ticket


def test_a_normal_ticket_gets_deadlines_in_business_time():
    ticket = started(priority=Ticket.Priority.NORMAL)
    assert ticket.sla_policy == policy("Normal")  # 4 business hours to respond, 24 to resolve
    # Wed 15–16 (1 h) + Thu 08–11 (3 h).
    assert ticket.first_response_due_at == at(7, 11)
    # Wed 1 h + Thu 5 h + (Fri off) Sat 8 h + Sun 8 h + Mon 08–10 (2 h).
    assert ticket.resolution_due_at == at(11, 10)
    # Warnings one business hour before each.
    assert ticket.first_response_warn_at == at(7, 10)
    assert ticket.resolution_warn_at == at(11, 9)


def test_the_first_matching_policy_applies_by_category_subtree_and_customer_group():
    repairs = SlaPolicy.objects.create(
        name="Repairs", order=1, category=category("Repairs"), first_response_minutes=30, resolution_minutes=120,
        calendar=policy("Normal").calendar,
    )  # fmt: skip
    vip_group = group_create(name="VIP")
    vip = SlaPolicy.objects.create(
        name="VIP", order=0, customer_group=vip_group, first_response_minutes=15, resolution_minutes=60,
        calendar=policy("Normal").calendar,
    )  # fmt: skip
    under_warranty = TicketFactory(category=category("Under warranty"))
    assert sla_policy_for(ticket=under_warranty) == repairs
    vip_customer = CustomerFactory()
    vip_customer.groups.add(vip_group)
    assert sla_policy_for(ticket=TicketFactory(category=category("Under warranty"), customer=vip_customer)) == vip
    assert sla_policy_for(ticket=TicketFactory(priority=Ticket.Priority.URGENT)) == policy("Urgent")
    SlaPolicy.objects.update(is_active=False)
    assert sla_policy_for(ticket=under_warranty) is None


def test_waiting_on_the_customer_stops_the_resolution_clock():
    ticket = started(priority=Ticket.Priority.NORMAL)
    # Paused on Thursday 09:00 with Thu 4 h + Sat 8 h + Sun 8 h + Mon 2 h = 22 business hours left.
    ticket_sla_pause(ticket=ticket, now=at(7, 9))
    ticket.save()
    assert ticket.resolution_left_seconds == 22 * 3600
    # The customer answers on Tuesday 12 May at 09:00: Tue 7 h + Wed 8 h + Thu 5 h + Sat 2 h.
    ticket_sla_resume(ticket=ticket, now=at(12, 9))
    ticket.save()
    assert ticket.sla_paused_at is None
    assert ticket.resolution_due_at == at(16, 10)
    assert ticket.resolution_warn_at == at(16, 9)


@pytest.fixture
def service_team():
    manager = UserFactory(username="svc-manager", role=Role.MANAGER)
    team = TeamFactory(name="Service desk", manager=manager)
    agent = UserFactory(username="svc-agent", role=Role.SERVICE_AGENT, team=team)
    return team, manager, agent


def test_the_job_warns_before_and_escalates_on_a_breach_exactly_once(service_team):
    team, manager, agent = service_team
    ticket = started(priority=Ticket.Priority.NORMAL, owner=agent, team=team)

    with time_machine.travel(at(7, 9, 59), tick=False):
        assert sla_check().warnings == 0
    with time_machine.travel(at(7, 10), tick=False):
        first, second = sla_check(), sla_check()
        check_sla.delay()  # and once more through the task
    assert (first.warnings, first.breaches, second.warnings) == (1, 0, 0)
    assert Notification.objects.filter(recipient=agent).count() == 1
    assert not Notification.objects.filter(recipient=manager).exists()

    with time_machine.travel(at(7, 11), tick=False):
        first, second = sla_check(), sla_check()
    assert (first.breaches, second.breaches) == (1, 0)
    ticket.refresh_from_db()
    assert ticket.first_response_breached_at == at(7, 11)
    assert ticket.priority == Ticket.Priority.HIGH  # raised one step, once
    assert Notification.objects.filter(recipient=manager).count() == 1
    assert Notification.objects.filter(recipient=agent).count() == 2
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == [TicketEvent.Kind.SLA_WARNING, TicketEvent.Kind.SLA_BREACH, TicketEvent.Kind.ESCALATED]


def test_no_warning_after_the_first_response_nor_while_paused_nor_once_resolved(service_team):
    team, _manager, agent = service_team
    answered = started(owner=agent, team=team, first_response_at=at(6, 15, 30))
    paused = started(owner=agent, team=team, first_response_at=at(6, 15, 30))
    ticket_sla_pause(ticket=paused, now=at(7, 9))
    paused.status = Ticket.Status.WAITING_CUSTOMER
    paused.save()
    resolved = started(owner=agent, team=team, first_response_at=at(6, 15, 30), status=Ticket.Status.RESOLVED)
    resolved.resolved_at = at(7, 9)
    resolved.save()

    with time_machine.travel(at(20, 12), tick=False):  # long after every deadline
        result = sla_check()
    assert result.ticket_ids == {answered.pk}  # only its resolution is overdue
    assert (result.warnings, result.breaches) == (1, 1)


def test_an_urgent_ticket_stays_urgent_and_batches_cover_every_ticket(service_team):
    team, _manager, agent = service_team
    tickets = [started(priority=Ticket.Priority.URGENT, owner=agent, team=team) for _ in range(5)]
    with time_machine.travel(at(30, 12), tick=False):
        result = sla_check(batch_size=2)
    assert result.breaches == 10  # first response and resolution of each
    assert set(Ticket.objects.values_list("priority", flat=True)) == {Ticket.Priority.URGENT}
    assert result.ticket_ids == {ticket.pk for ticket in tickets}


def test_a_ticket_without_a_matching_policy_has_no_deadlines():
    SlaPolicy.objects.update(is_active=False)
    ticket = started()
    assert ticket.sla_policy is None and ticket.first_response_due_at is None
    with time_machine.travel(at(30, 12), tick=False):
        assert sla_check().ticket_ids == set()
