"""Automatic assignment: rules by category subtree and kind, round-robin, by skill, fixed, and the
managers told once when nothing matched."""

import pytest

from crm_site.access import Role
from crm_site.models import Notification
from service.models import AssignmentRule, Skill, Ticket, TicketEvent
from service.services.assignment import ticket_assign_auto
from tests.factories import TeamFactory, UserFactory
from tests.service.factories import TicketFactory, category

pytestmark = pytest.mark.django_db


def new_ticket(**kwargs) -> Ticket:
    return TicketFactory(owner=None, team=None, **kwargs)


def rule(name: str, *, users=(), **kwargs) -> AssignmentRule:
    created = AssignmentRule.objects.create(name=name, **kwargs)
    created.users.set(users)
    return created


@pytest.fixture
def service_team():
    return TeamFactory(name="Service")


@pytest.fixture
def agents(service_team):
    return [UserFactory(username=f"agent{n}", role=Role.SERVICE_AGENT, team=service_team) for n in range(3)]


def test_a_rule_on_a_category_matches_its_subcategories_and_sets_owner_team_rule_event_and_notification(agents):
    repairs = rule("Repairs", order=1, category=category("Repairs"), method="fixed", users=[agents[1]])
    ticket = new_ticket(category=category("Under warranty"))

    assert ticket_assign_auto(ticket=ticket) == agents[1]

    ticket.refresh_from_db()
    assert (ticket.owner, ticket.team, ticket.assignment_rule) == (agents[1], agents[1].team, repairs)
    assert ticket.events.filter(kind=TicketEvent.Kind.ASSIGNED, new_value=str(agents[1])).count() == 1
    assert Notification.objects.filter(recipient=agents[1], dedupe_key=f"ticket-assigned:{ticket.pk}:{agents[1].pk}")


def test_a_rule_on_a_category_does_not_match_other_categories_or_tickets_without_one(agents):
    rule("Repairs", order=1, category=category("Repairs"), method="fixed", users=[agents[0]])
    rule("Everything else", order=2, method="fixed", users=[agents[2]])

    assert ticket_assign_auto(ticket=new_ticket(category=category("Late delivery"))) == agents[2]
    assert ticket_assign_auto(ticket=new_ticket(category=None)) == agents[2]


def test_a_rule_on_kinds_matches_only_those_kinds(agents):
    rule("Complaints", order=1, kinds=["complaint"], method="fixed", users=[agents[0]])
    rule("Others", order=2, method="fixed", users=[agents[1]])

    assert ticket_assign_auto(ticket=new_ticket(kind=Ticket.Kind.COMPLAINT)) == agents[0]
    assert ticket_assign_auto(ticket=new_ticket(kind=Ticket.Kind.QUESTION)) == agents[1]


def test_round_robin_cycles_through_the_listed_agents_in_order(agents):
    rule("Round", method="round_robin", users=[agents[2], agents[0], agents[1]])

    owners = [ticket_assign_auto(ticket=new_ticket()) for _ in range(4)]

    assert owners == [agents[0], agents[1], agents[2], agents[0]]


def test_round_robin_without_listed_agents_uses_the_teams_active_service_agents(agents, service_team):
    UserFactory(username="seller", role=Role.SALES_REP, team=service_team)  # not a service agent
    agents[1].is_active = False
    agents[1].save()
    rule("Team", method="round_robin", team=service_team)

    owners = [ticket_assign_auto(ticket=new_ticket()) for _ in range(3)]

    assert owners == [agents[0], agents[2], agents[0]]


def test_by_skill_picks_the_agent_with_the_fewest_open_tickets_ties_by_id(agents):
    repairs = Skill.objects.get(name="Repairs")  # the skill the Repairs category needs
    repairs.agents.set(agents[:2])
    for _ in range(2):
        TicketFactory(owner=agents[0])
    TicketFactory(owner=agents[1])
    TicketFactory(owner=agents[1], status=Ticket.Status.CLOSED)  # closed ones do not count
    rule("Skill", method="by_skill")

    first = ticket_assign_auto(ticket=new_ticket(category=category("Out of warranty")))
    assert first == agents[1]  # 1 open against 2
    second = ticket_assign_auto(ticket=new_ticket(category=category("Out of warranty")))
    assert second == agents[0]  # 2 against 2: the lower id


def test_by_skill_with_the_rules_own_skill_and_falling_through_when_nobody_has_it(agents):
    billing = Skill.objects.get(name="Billing")
    rule("Billing people", order=1, method="by_skill", skill=billing)  # nobody has it yet
    rule("Catch-all", order=2, method="fixed", users=[agents[2]])

    assert ticket_assign_auto(ticket=new_ticket()) == agents[2]
    billing.agents.add(agents[0])
    assert ticket_assign_auto(ticket=new_ticket()) == agents[0]


def test_fixed_gives_every_ticket_to_the_first_listed_agent(agents):
    fixed = rule("Fixed", method="fixed", users=[agents[1], agents[2]])

    assert {ticket_assign_auto(ticket=new_ticket()) for _ in range(3)} == {agents[1]}
    fixed.refresh_from_db()
    assert fixed.last_assigned is None


def test_inactive_rules_are_skipped(agents):
    rule("Off", order=1, method="fixed", users=[agents[0]], is_active=False)
    rule("On", order=2, method="fixed", users=[agents[1]])

    assert ticket_assign_auto(ticket=new_ticket()) == agents[1]


def test_no_match_leaves_the_ticket_unassigned_and_tells_the_managers_once(agents, manager, admin):
    other_manager = UserFactory(username="manager2", role=Role.MANAGER)
    UserFactory(username="gone", role=Role.MANAGER, is_active=False)
    rule("Complaints only", kinds=["complaint"], method="fixed", users=[agents[0]])
    ticket = new_ticket(kind=Ticket.Kind.QUESTION)

    assert ticket_assign_auto(ticket=ticket) is None
    assert ticket_assign_auto(ticket=ticket) is None  # asked again: still one notification each

    ticket.refresh_from_db()
    assert ticket.owner is None
    assert not ticket.events.filter(kind=TicketEvent.Kind.ASSIGNED).exists()
    told = Notification.objects.filter(dedupe_key__startswith=f"ticket-unassigned:{ticket.pk}:")
    assert sorted(told.values_list("recipient__username", flat=True)) == sorted(["manager", other_manager.username])
