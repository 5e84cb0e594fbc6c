"""Lead services: capture, assignment rules, hand-over history, scoring, status and conversion."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from crm_site.access import Role
from crm_site.models import Notification
from customers.models import Customer, Interaction, Source
from sales.models import (
    Activity,
    AssignmentRule,
    DisqualifyReason,
    Lead,
    LeadAssignment,
    Opportunity,
    ScoringRule,
    StageChange,
)
from sales.services.lead_rules import lead_rescore, lead_score, leads_rescore_batch
from sales.services.leads import (
    lead_assign_auto,
    lead_convert,
    lead_create,
    lead_disqualify,
    lead_mark_contacted,
    lead_qualify,
    lead_reassign,
    lead_reopen,
    lead_update,
)
from tests.factories import CustomerFactory, UserFactory
from tests.sales.factories import ActivityFactory, LeadFactory

pytestmark = pytest.mark.django_db


def make_rule(name="Rule", *, users=(), provinces=(), sources=(), method=AssignmentRule.Method.ROUND_ROBIN, **kw):
    rule = AssignmentRule.objects.create(name=name, provinces=list(provinces), method=method, **kw)
    rule.users.set(users)
    rule.sources.set(sources)
    return rule


def web_lead(**fields):
    fields.setdefault("name", "Sara Ahmadi")
    fields.setdefault("phone", "09121234567")
    return lead_create(created_by=None, channel=Lead.Channel.WEB_FORM, **fields)


# --- capture ---------------------------------------------------------------------------------


def test_lead_create_normalises_phone_and_email(rep):
    lead = lead_create(
        created_by=rep,
        channel=Lead.Channel.MANUAL,
        name="  Ali  Rezaei ",
        phone="۰۹۱۲ ۳۴۵ ۶۷۸۹",
        email=" Ali@Example.COM",
    )
    assert lead.phone == "+989123456789"
    assert lead.email == "ali@example.com"
    assert lead.name == "Ali Rezaei"
    # No rule: a lead a member of staff enters is theirs, and the hand-over is recorded.
    assert lead.owner == rep and lead.team == rep.team
    assert list(lead.assignments.values_list("to_user", "assigned_by")) == [(rep.pk, rep.pk)]


def test_lead_create_refuses_a_bad_phone_and_writes_nothing(rep):
    with pytest.raises(ValidationError) as error:
        lead_create(created_by=rep, channel=Lead.Channel.MANUAL, name="X", phone="12")
    assert "phone" in error.value.message_dict
    assert not Lead.objects.exists() and not LeadAssignment.objects.exists()


# --- assignment ------------------------------------------------------------------------------


def test_assignment_by_province(rep, rep2):
    make_rule("Isfahan", users=[rep2], provinces=["isfahan"], priority=10)
    make_rule("Everyone else", users=[rep], priority=20)
    assert web_lead(province="isfahan").owner == rep2
    assert web_lead(province="tehran", phone="09121111111").owner == rep


def test_assignment_by_source(rep, rep2):
    referral = Source.objects.create(name="Referral")
    rule = make_rule("Referrals", users=[rep2], sources=[referral], priority=1)
    make_rule("Rest", users=[rep], priority=2)
    lead = web_lead(source=referral)
    assert lead.owner == rep2 and lead.assignment_rule == rule
    assert web_lead(phone="09121111111").owner == rep
    # The new owner hears of it in the app.
    assert Notification.objects.filter(recipient=rep2, url=lead.get_absolute_url()).exists()


def test_round_robin_cycles_through_the_reps_in_order(rep, rep2, manager):
    make_rule("Turns", users=[rep2, rep, manager])
    owners = [web_lead(phone=f"0912111111{i}").owner for i in range(4)]
    ordered = sorted([rep, rep2, manager], key=lambda user: user.pk)
    assert owners == [*ordered, ordered[0]]


def test_round_robin_without_listed_users_uses_the_teams_reps(rep, rep2, manager, sales_team):
    make_rule("Team", team=sales_team)
    owners = {web_lead(phone=f"0912111111{i}").owner for i in range(3)}
    assert owners == {rep, rep2}  # the manager is not a sales rep
    assert Lead.objects.filter(team=sales_team).count() == 3


def test_fixed_gives_every_lead_to_the_first_user(rep, rep2):
    make_rule("Fixed", users=[rep, rep2], method=AssignmentRule.Method.FIXED)
    first = min([rep, rep2], key=lambda user: user.pk)
    assert {web_lead(phone=f"0912111111{i}").owner for i in range(3)} == {first}


def test_no_matching_rule_leaves_a_web_lead_unassigned(rep):
    make_rule("Isfahan", users=[rep], provinces=["isfahan"])
    make_rule("Off", users=[rep], is_active=False)
    lead = web_lead(province="tehran")
    assert lead.owner is None and lead.assignment_rule is None
    assert not lead.assignments.exists()
    assert lead_assign_auto(lead=lead) is None


def test_lead_assign_auto_assigns_an_existing_lead(rep):
    lead = web_lead()
    make_rule("Now", users=[rep])
    assert lead_assign_auto(lead=lead) == rep
    lead.refresh_from_db()
    assert lead.owner == rep
    assert lead.assignments.get().rule.name == "Now"


def test_reassignment_keeps_history(rep, rep2, manager):
    lead = lead_create(created_by=rep, channel=Lead.Channel.MANUAL, name="Lead", phone="09121234567")
    lead_reassign(lead=lead, to_user=rep2, by=manager, reason="Holiday")
    lead_reassign(lead=lead, to_user=rep, by=manager, reason="Back")
    history = list(lead.assignments.order_by("id").values_list("from_user", "to_user", "assigned_by", "reason"))
    assert history == [
        (None, rep.pk, rep.pk, "Entered by staff"),
        (rep.pk, rep2.pk, manager.pk, "Holiday"),
        (rep2.pk, rep.pk, manager.pk, "Back"),
    ]
    with pytest.raises(ValidationError):
        lead_reassign(lead=lead, to_user=rep, by=manager, reason="")


# --- scoring ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("criterion", "rule_kwargs", "lead_kwargs"),
    [
        ("has_phone", {}, {"phone": "+989121234567"}),
        ("has_email", {}, {"email": "a@example.com", "phone": ""}),
        ("has_company", {}, {"company": "Pars"}),
        ("has_interest", {}, {"interest": "Fridges"}),
        ("value_at_least", {"threshold": Decimal(1000)}, {"estimated_value": Decimal(1000)}),
        ("province", {"province": "fars"}, {"province": "fars"}),
    ],
)
def test_each_scoring_criterion(criterion, rule_kwargs, lead_kwargs, rep):
    ScoringRule.objects.create(criterion=criterion, points=7, **rule_kwargs)
    met = LeadFactory(owner=rep, **lead_kwargs)
    not_met = LeadFactory(owner=rep, phone="", email="", company="", interest="", estimated_value=Decimal(999))
    assert lead_score(lead=met) == 7
    assert lead_score(lead=not_met) == 0


def test_source_and_engagement_scores_and_rescore(rep):
    referral = Source.objects.create(name="Referral")
    ScoringRule.objects.create(criterion="source", source=referral, points=20)
    ScoringRule.objects.create(criterion="activities_at_least", threshold=2, points=15)
    ScoringRule.objects.create(criterion="has_phone", points=5, is_active=False)
    lead = LeadFactory(owner=rep, source=referral)
    assert lead_score(lead=lead) == 20
    ActivityFactory(lead=lead, assignee=rep, status=Activity.Status.DONE)
    ActivityFactory(lead=lead, assignee=rep, status=Activity.Status.OPEN)
    assert lead_score(lead=lead) == 20  # one logged contact: not yet
    ActivityFactory(lead=lead, assignee=rep, status=Activity.Status.DONE)
    lead_rescore(lead=lead)
    lead.refresh_from_db()
    assert lead.score == 35


def test_scores_are_stored_on_create_and_update_and_by_the_batch_job(rep):
    ScoringRule.objects.create(criterion="has_company", points=10)
    lead = lead_create(created_by=rep, channel=Lead.Channel.MANUAL, name="A", phone="09121234567")
    assert lead.score == 0
    lead = lead_update(lead=lead, company="Pars")
    assert lead.score == 10
    ScoringRule.objects.create(criterion="has_phone", points=3)
    assert leads_rescore_batch() == lead.pk
    lead.refresh_from_db()
    assert lead.score == 13
    assert leads_rescore_batch(after_id=lead.pk) is None


# --- status ----------------------------------------------------------------------------------


def test_status_changes(rep):
    lead = LeadFactory(owner=rep)
    lead = lead_mark_contacted(lead=lead, by=rep)
    assert lead.status == Lead.Status.CONTACTED and lead.last_contacted_at is not None
    lead = lead_qualify(lead=lead, by=rep)
    assert lead.status == Lead.Status.QUALIFIED
    with pytest.raises(ValidationError):
        lead_qualify(lead=lead, by=rep)


def test_disqualify_requires_a_reason_and_reopen_undoes_it(rep):
    lead = LeadFactory(owner=rep)
    with pytest.raises(ValidationError) as error:
        lead_disqualify(lead=lead, reason=None, by=rep)
    assert "reason" in error.value.message_dict
    lead.refresh_from_db()
    assert lead.status == Lead.Status.NEW
    reason = DisqualifyReason.objects.get(name="No budget")
    lead = lead_disqualify(lead=lead, reason=reason, by=rep)
    assert (lead.status, lead.disqualify_reason) == (Lead.Status.DISQUALIFIED, reason)
    lead = lead_reopen(lead=lead, by=rep)
    assert lead.status == Lead.Status.NEW and lead.disqualify_reason is None


# --- conversion ------------------------------------------------------------------------------


def test_conversion_creates_a_customer_and_an_opportunity(rep):
    source = Source.objects.create(name="Website")
    lead = LeadFactory(
        owner=rep,
        name="Sara Ahmadi",
        phone="+989121234567",
        email="sara@example.com",
        city="Shiraz",
        source=source,
        status=Lead.Status.QUALIFIED,
        estimated_value=Decimal("2500000.00"),
    )
    opportunity = lead_convert(lead=lead, by=rep)
    lead.refresh_from_db()
    customer = lead.customer
    assert (lead.status, lead.opportunity, lead.converted_at is not None) == (Lead.Status.CONVERTED, opportunity, True)
    assert (customer.name, customer.phone, customer.email, customer.owner) == (
        "Sara Ahmadi",
        "+989121234567",
        "sara@example.com",
        rep,
    )
    assert (opportunity.customer, opportunity.owner, opportunity.amount) == (customer, rep, Decimal("2500000.00"))
    assert opportunity.source == source
    assert StageChange.objects.filter(opportunity=opportunity).count() == 1
    assert Interaction.objects.filter(customer=customer, kind=Interaction.Kind.SYSTEM).exists()


def test_conversion_links_an_existing_customer_without_a_duplicate(rep):
    existing = CustomerFactory(name="Sara Ahmadi", owner=rep, phones=["+989121234567"])
    lead = LeadFactory(owner=rep, name="Sara Ahmadi", phone="+989121234567", status=Lead.Status.CONTACTED)
    # Creating a new customer is refused while it looks like one we have...
    with pytest.raises(ValidationError):
        lead_convert(lead=lead, by=rep)
    assert Customer.objects.count() == 1 and not Opportunity.objects.exists()
    # ...and linking the existing one creates none.
    opportunity = lead_convert(lead=lead, by=rep, customer=existing, opportunity_name="Fridges", amount=Decimal(10))
    assert Customer.objects.count() == 1
    assert (opportunity.customer, opportunity.name, opportunity.amount) == (existing, "Fridges", Decimal(10))


@pytest.mark.parametrize("status", [Lead.Status.NEW, Lead.Status.DISQUALIFIED, Lead.Status.CONVERTED])
def test_conversion_is_refused_for_a_lead_not_ready_and_writes_nothing(status, rep):
    lead = LeadFactory(owner=rep, status=status)
    with pytest.raises(ValidationError):
        lead_convert(lead=lead, by=rep)
    lead.refresh_from_db()
    assert lead.status == status and lead.customer is None
    assert not Customer.objects.exists() and not Opportunity.objects.exists()


def test_round_robin_skips_inactive_reps(rep, rep2):
    rep2.is_active = False
    rep2.save()
    make_rule("Turns", users=[rep, rep2])
    assert {web_lead(phone=f"0912111111{i}").owner for i in range(2)} == {rep}


def test_team_candidates_need_the_sales_rep_role(sales_team):
    marketer_in_team = UserFactory(username="m2", role=Role.MARKETING, team=sales_team)
    make_rule("Team", team=sales_team)
    assert web_lead().owner != marketer_in_team
