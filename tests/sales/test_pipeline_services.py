"""Opportunity services: stage moves and their history, winning and losing, products, buying
roles, and the rotting reminders."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from crm_site.models import Notification
from customers.models import Interaction
from sales.models import BuyingRole, LossReason, Opportunity, OpportunityLine, SalesSettings, StageChange
from sales.services.pipeline import (
    buying_role_create,
    buying_role_delete,
    buying_role_update,
    opportunities_remind_rotting,
    opportunity_create,
    opportunity_lines_set,
    opportunity_lose,
    opportunity_move,
    opportunity_update,
    opportunity_win,
)
from sales.tasks.pipeline import remind_rotting_opportunities
from tests.factories import CustomerFactory
from tests.sales.factories import OpportunityFactory, ProductFactory, stage

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def reason():
    return LossReason.objects.get(name="Price too high")


def test_moves_are_recorded_with_the_time_spent_in_each_stage(rep):
    with time_machine.travel(NOW, tick=False) as clock:
        opportunity = opportunity_create(customer=CustomerFactory(), name="Kitchen", created_by=rep)
        clock.shift(dt.timedelta(days=2, hours=3))
        opportunity = opportunity_move(opportunity=opportunity, stage=stage("Qualified"), by=rep)
        clock.shift(dt.timedelta(hours=5))
        opportunity = opportunity_move(opportunity=opportunity, stage=stage("Proposal"), by=rep)

    changes = list(StageChange.objects.filter(opportunity=opportunity).order_by("changed_at", "id"))
    assert [(c.from_stage and c.from_stage.name, c.to_stage.name) for c in changes] == [
        (None, "New"),
        ("New", "Qualified"),
        ("Qualified", "Proposal"),
    ]
    assert [c.seconds_in_previous for c in changes] == [None, (2 * 24 + 3) * 3600, 5 * 3600]
    assert changes[2].changed_by == rep
    opportunity.refresh_from_db()
    assert opportunity.stage == stage("Proposal")
    assert opportunity.probability == stage("Proposal").probability == 50
    assert opportunity.stage_entered_at == opportunity.last_activity_at == NOW + dt.timedelta(days=2, hours=8)


def test_moving_to_the_same_stage_records_nothing(rep):
    opportunity = opportunity_create(customer=CustomerFactory(), name="Same", created_by=rep)
    opportunity_move(opportunity=opportunity, stage=opportunity.stage, by=rep)
    assert StageChange.objects.filter(opportunity=opportunity).count() == 1


def test_losing_needs_a_reason_from_the_managed_list_and_writes_nothing_without(rep):
    opportunity = OpportunityFactory(owner=rep)
    before = opportunity.stage
    with pytest.raises(ValidationError) as error:
        opportunity_move(opportunity=opportunity, stage=stage("Lost"), by=rep)
    assert "loss_reason" in error.value.message_dict
    with pytest.raises(ValidationError):
        opportunity_lose(opportunity=opportunity, by=rep, loss_reason=None)
    retired = LossReason.objects.create(name="Old reason", is_active=False)
    with pytest.raises(ValidationError):
        opportunity_lose(opportunity=opportunity, by=rep, loss_reason=retired)
    opportunity.refresh_from_db()
    assert opportunity.stage == before and opportunity.status == Opportunity.Status.OPEN
    assert not StageChange.objects.filter(opportunity=opportunity).exists()
    assert not Interaction.objects.filter(customer=opportunity.customer).exists()


def test_won_and_lost_close_the_opportunity_and_reopening_clears_it(rep, reason):
    opportunity = OpportunityFactory(owner=rep)
    with time_machine.travel(NOW, tick=False):
        won = opportunity_win(opportunity=opportunity, by=rep)
    assert won.status == Opportunity.Status.WON and won.closed_at == NOW
    assert won.stage == stage("Won") and won.probability == 100

    reopened = opportunity_move(opportunity=won, stage=stage("Negotiation"), by=rep)
    assert reopened.status == Opportunity.Status.OPEN and reopened.closed_at is None

    lost = opportunity_lose(opportunity=reopened, by=rep, loss_reason=reason, loss_note="  Too dear ")
    lost.refresh_from_db()
    assert lost.status == Opportunity.Status.LOST and lost.closed_at is not None
    assert lost.loss_reason == reason and lost.loss_note == "Too dear"
    assert lost.probability == 0

    back = opportunity_move(opportunity=lost, stage=stage("New"), by=rep)
    back.refresh_from_db()
    assert (back.status, back.loss_reason, back.loss_note, back.closed_at) == ("open", None, "", None)
    timeline = list(Interaction.objects.filter(customer=opportunity.customer).order_by("id"))
    assert [entry.kind for entry in timeline] == ["system", "system"]
    assert "won" in timeline[0].subject and "lost" in timeline[1].subject
    assert reason.name in timeline[1].body
    assert timeline[1].url == opportunity.get_absolute_url()


def test_update_changes_facts_but_not_the_stage(rep, rep2):
    opportunity = OpportunityFactory(owner=rep)
    opportunity_update(opportunity=opportunity, name=" Bigger ", amount=Decimal("9.50"), owner=rep2)
    opportunity.refresh_from_db()
    assert (opportunity.name, opportunity.amount, opportunity.owner, opportunity.team) == (
        "Bigger",
        Decimal("9.50"),
        rep2,
        rep2.team,
    )
    with pytest.raises(ValidationError):
        opportunity_update(opportunity=opportunity, stage=stage("Won"))
    with pytest.raises(ValidationError):
        opportunity_update(opportunity=opportunity, method="nope")


def test_lines_set_the_amount_to_their_net_total():
    opportunity = OpportunityFactory(amount=Decimal("1.00"))
    kettle = ProductFactory(list_price=Decimal("100.00"))
    toaster = ProductFactory(list_price=Decimal("250.00"))
    opportunity_lines_set(
        opportunity=opportunity,
        lines=[
            {"product": kettle, "quantity": Decimal("3"), "unit_price": None, "discount_percent": Decimal("10")},
            {"product": toaster, "quantity": Decimal("1"), "unit_price": Decimal("199.99")},
        ],
    )
    opportunity.refresh_from_db()
    assert opportunity.amount == Decimal("270.00") + Decimal("199.99")
    assert OpportunityLine.objects.filter(opportunity=opportunity).count() == 2

    with pytest.raises(ValidationError):
        opportunity_lines_set(
            opportunity=opportunity,
            lines=[{"product": kettle, "quantity": Decimal("1")}, {"product": kettle, "quantity": Decimal("-1")}],
        )
    opportunity.refresh_from_db()
    assert opportunity.amount == Decimal("469.99")
    assert OpportunityLine.objects.filter(opportunity=opportunity).count() == 2

    opportunity_lines_set(opportunity=opportunity, lines=[])
    opportunity.refresh_from_db()
    assert opportunity.amount == Decimal("469.99")  # no lines: the amount stays as set by hand
    assert not OpportunityLine.objects.filter(opportunity=opportunity).exists()


def test_buying_roles_are_added_edited_and_removed():
    opportunity = OpportunityFactory()
    role = buying_role_create(opportunity=opportunity, name="Mina", role="economic", stance="neutral")
    buying_role_update(buying_role=role, stance="supporter", influence=5)
    role.refresh_from_db()
    assert (role.stance, role.influence) == ("supporter", 5)
    with pytest.raises(ValidationError):
        buying_role_create(opportunity=opportunity, name="X", role="nonsense")
    with pytest.raises(ValidationError):
        buying_role_update(buying_role=role, influence=9)
    buying_role_delete(buying_role=role)
    assert not BuyingRole.objects.exists()


# --- rotting -----------------------------------------------------------------------------------


def _rotting(owner, days_untouched: int, stage_name: str = "Negotiation") -> Opportunity:
    touched = NOW - dt.timedelta(days=days_untouched)
    return OpportunityFactory(owner=owner, stage=stage(stage_name), stage_entered_at=touched, last_activity_at=touched)


def test_the_reminder_job_notifies_each_owner_once_even_when_run_twice(rep, rep2):
    rotten = [_rotting(rep, 8), _rotting(rep, 30, "New")]
    _rotting(rep2, 8)
    _rotting(rep, 3)  # Negotiation rots after 7 days: still fresh
    closed = _rotting(rep, 90)
    Opportunity.objects.filter(pk=closed.pk).update(status="won", stage=stage("Won"))

    with time_machine.travel(NOW, tick=False):
        assert opportunities_remind_rotting() == 2
        assert remind_rotting_opportunities.delay().get() == 0

    mine = Notification.objects.get(recipient=rep)
    assert "2 of your opportunities are rotting" in mine.title
    assert f"owner={rep.pk}" in mine.url and "rotting=true" in mine.url
    assert Notification.objects.filter(recipient=rep2).count() == 1
    for opportunity in rotten:
        opportunity.refresh_from_db()
        assert opportunity.rot_notified_at == NOW


def test_the_owner_is_reminded_again_after_the_settings_interval(rep):
    settings = SalesSettings.load()
    settings.rot_reminder_days = 3
    settings.save()
    _rotting(rep, 10)
    with time_machine.travel(NOW, tick=False) as clock:
        assert opportunities_remind_rotting() == 1
        clock.shift(dt.timedelta(days=2))
        assert opportunities_remind_rotting() == 0
        clock.shift(dt.timedelta(days=1))
        assert opportunities_remind_rotting() == 1
    assert Notification.objects.filter(recipient=rep).count() == 2


def test_reminders_work_in_bounded_batches(rep, rep2):
    for _ in range(5):
        _rotting(rep, 10)
    _rotting(rep2, 10)
    with time_machine.travel(NOW, tick=False):
        assert opportunities_remind_rotting(batch_size=2) == 2
    # One notification per owner and batch (written with the batch's claim): together, all five.
    counts = [
        int(title.split()[0]) for title in Notification.objects.filter(recipient=rep).values_list("title", flat=True)
    ]
    assert sum(counts) == 5 and len(counts) <= 3
    assert "1 of your" in Notification.objects.get(recipient=rep2).title
    assert not Opportunity.objects.filter(rot_notified_at__isnull=True).exists()


def test_a_move_resets_the_rotting_reminder(rep):
    opportunity = _rotting(rep, 10)
    with time_machine.travel(NOW, tick=False):
        opportunities_remind_rotting()
        moved = opportunity_move(opportunity=opportunity, stage=stage("Proposal"), by=rep)
    assert moved.rot_notified_at is None
