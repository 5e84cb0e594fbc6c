"""Fixes from review: one weighted value everywhere, no lost updates, retired products on the
line editor, rotting reminders written with their claim, scoped filter choices, and the last
open stage of a pipeline."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm_site.models import Notification
from sales.models import Opportunity, OpportunityLine, Stage
from sales.selectors.metrics import period_resolve, sales_metrics
from sales.selectors.pipeline import pipeline_board
from sales.services import pipeline as pipeline_services
from sales.services.pipeline import (
    opportunities_remind_rotting,
    opportunity_lines_set,
    opportunity_move,
    opportunity_update,
)
from sales.services.pipeline_setup import stage_update
from sales.totals import weighted, weighted_from_sum
from tests.sales.factories import OpportunityFactory, ProductFactory, default_pipeline, stage

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 2)


# --- 1. the weighted value -----------------------------------------------------------------------


def test_board_forecast_and_detail_agree_on_the_weighted_value(rep, rep2, manager, client_for):
    close = dt.date(2026, 3, 20)
    # Rounded per row these give 0.01 + 0.01 + 0.58 = 0.60; summed first, 58.5 / 100 = 0.59.
    OpportunityFactory(owner=rep, amount=Decimal("0.05"), probability=10, expected_close_date=close)
    OpportunityFactory(owner=rep, amount=Decimal("0.05"), probability=10, expected_close_date=close)
    single = OpportunityFactory(owner=rep2, amount=Decimal("1.15"), probability=50, expected_close_date=close)
    with time_machine.travel(NOW, tick=False):
        board = pipeline_board(user=manager, pipeline=default_pipeline())
        metrics = sales_metrics(user=manager, period=period_resolve(key="this_month", today=TODAY), today=TODAY)
        only_single = pipeline_board(user=manager, pipeline=default_pipeline(), owner=rep2)
        detail = client_for(rep2).get(reverse("sales:opportunity_detail", args=[single.pk]))
    assert board.open_weighted == metrics.weighted_total == Decimal("0.59")
    assert [row.weighted for row in metrics.forecast] == [Decimal("0.59")]
    assert sum(column.weighted for column in board.open_columns) == Decimal("0.59")
    assert detail.context["weighted"] == only_single.open_weighted == weighted(single.amount, 50) == Decimal("0.58")
    # The page shows the board's and the forecast's figures.
    with time_machine.travel(NOW, tick=False):
        board_html = client_for(manager).get(reverse("sales:pipeline")).content.decode()
        index_html = client_for(manager).get(reverse("sales:index")).content.decode()
    assert 'data-testid="board-open-weighted">0.59<' in board_html
    assert "0.59" in index_html


def test_the_weighted_helpers_round_half_up_once():
    assert weighted(Decimal("0.05"), 10) == Decimal("0.01")  # 0.005 rounds up
    assert weighted_from_sum(Decimal("1.00")) == Decimal("0.01")  # two rows of 0.005: once, not twice
    assert weighted_from_sum(None) == Decimal("0.00")
    # A float-ish value read back from SQLite is cut back to the cent before dividing.
    assert weighted_from_sum(Decimal("57.4999999999999")) == Decimal("0.58")


# --- 2. lost updates -----------------------------------------------------------------------------


def test_an_edit_does_not_write_back_a_stage_moved_meanwhile(rep):
    opportunity = OpportunityFactory(owner=rep, name="Kitchen")
    stale = Opportunity.objects.get(pk=opportunity.pk)  # the edit form loaded it
    with time_machine.travel(NOW, tick=False):
        opportunity_move(opportunity=opportunity, stage=stage("Proposal"), by=rep)
    opportunity_update(opportunity=stale, name="Kitchen and bath", amount=Decimal("12.00"))
    saved = Opportunity.objects.get(pk=opportunity.pk)
    assert (saved.name, saved.amount) == ("Kitchen and bath", Decimal("12.00"))
    assert saved.stage == stage("Proposal") and saved.probability == stage("Proposal").probability


def test_setting_the_lines_locks_the_opportunity_and_keeps_a_moved_stage(rep):
    opportunity = OpportunityFactory(owner=rep)
    stale = Opportunity.objects.get(pk=opportunity.pk)
    with time_machine.travel(NOW, tick=False):
        opportunity_move(opportunity=opportunity, stage=stage("Proposal"), by=rep)
    product = ProductFactory(list_price=Decimal("10.00"))
    with CaptureQueriesContext(connection) as queries:
        opportunity_lines_set(opportunity=stale, lines=[{"product": product, "quantity": Decimal(3)}])
    selects = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
    locking = connection.features.has_select_for_update
    assert not locking or any("FOR UPDATE" in sql for sql in selects)
    saved = Opportunity.objects.get(pk=opportunity.pk)
    assert saved.amount == stale.amount == Decimal("30.00") and saved.stage == stage("Proposal")


# --- 3. the product editor -----------------------------------------------------------------------

MANAGEMENT = {
    "lines-TOTAL_FORMS": "3",
    "lines-INITIAL_FORMS": "0",
    "lines-MIN_NUM_FORMS": "0",
    "lines-MAX_NUM_FORMS": "100",
}


def _lines(*products) -> dict:
    data = dict(MANAGEMENT, **{"lines-TOTAL_FORMS": str(len(products))})
    for index, product in enumerate(products):
        data.update({f"lines-{index}-product": product.pk, f"lines-{index}-quantity": "1"})
    return data


def test_lines_with_a_retired_product_can_be_saved_again_but_not_added(rep, client_for):
    opportunity = OpportunityFactory(owner=rep)
    retired = ProductFactory(list_price=Decimal("100.00"))
    active = ProductFactory(list_price=Decimal("5.00"))
    opportunity_lines_set(opportunity=opportunity, lines=[{"product": retired, "quantity": Decimal(1)}])
    retired.is_active = False
    retired.save()
    client = client_for(rep)
    url = reverse("sales:opportunity_lines", args=[opportunity.pk])
    detail = client.get(reverse("sales:opportunity_detail", args=[opportunity.pk]))
    choices = dict(detail.context["line_formset"].forms[0].fields["product"].choices)
    assert retired.pk in choices and active.pk in choices
    assert client.post(url, _lines(retired, active)).status_code == 302
    opportunity.refresh_from_db()
    assert opportunity.amount == Decimal("105.00")

    # Another opportunity cannot take up the retired product.
    other = OpportunityFactory(owner=rep, amount=Decimal("7.00"))
    response = client.post(reverse("sales:opportunity_lines", args=[other.pk]), _lines(retired))
    assert response.status_code == 400
    assert not OpportunityLine.objects.filter(opportunity=other).exists()
    other.refresh_from_db()
    assert other.amount == Decimal("7.00")


def test_the_choices_are_not_capped_and_posting_many_rows_costs_the_same(
    rep, client_for, django_assert_max_num_queries
):
    products = ProductFactory.create_batch(12)
    opportunity = OpportunityFactory(owner=rep)
    client = client_for(rep)
    url = reverse("sales:opportunity_lines", args=[opportunity.pk])
    with django_assert_max_num_queries(40) as one:
        assert client.post(url, _lines(products[0])).status_code == 302
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.post(url, _lines(*products)).status_code == 302
    assert OpportunityLine.objects.filter(opportunity=opportunity).count() == 12


# --- 4. rotting reminders ------------------------------------------------------------------------


def _rotting(owner) -> Opportunity:
    touched = NOW - dt.timedelta(days=30)
    return OpportunityFactory(
        owner=owner, stage=stage("Negotiation"), stage_entered_at=touched, last_activity_at=touched
    )


def test_a_failed_notification_leaves_the_opportunities_unclaimed(rep, monkeypatch):
    opportunity = _rotting(rep)

    def broken(**kwargs):
        raise RuntimeError("notification store down")

    monkeypatch.setattr(pipeline_services, "notification_create", broken)
    with time_machine.travel(NOW, tick=False), pytest.raises(RuntimeError):
        opportunities_remind_rotting()
    opportunity.refresh_from_db()
    assert opportunity.rot_notified_at is None
    monkeypatch.undo()
    with time_machine.travel(NOW, tick=False):
        assert opportunities_remind_rotting() == 1
    assert "1 of your" in Notification.objects.get(recipient=rep).title


# --- 5. filter choices ---------------------------------------------------------------------------


def _choices(field) -> set:
    return {value for value, _label in field.choices if value != ""}


@pytest.mark.parametrize("page", ["sales:pipeline", "sales:opportunity_list"])
def test_owner_and_team_filters_offer_only_the_users_scope(page, admin, manager, rep, rep2, outsider_rep, client_for):
    def offered(user):
        response = client_for(user).get(reverse(page))
        form = response.context["filter_form"] if page == "sales:pipeline" else response.context["filter"].form
        owners = {int(str(value)) for value in _choices(form.fields["owner"])}
        teams = {int(str(value)) for value in _choices(form.fields["team"])}
        return owners, teams

    owners, teams = offered(rep)
    assert owners == {rep.pk} and teams == {rep.team_id}
    owners, teams = offered(manager)
    assert {rep.pk, rep2.pk, manager.pk} <= owners and outsider_rep.pk not in owners
    assert outsider_rep.team_id not in teams and rep.team_id in teams
    owners, teams = offered(admin)
    assert {rep.pk, rep2.pk, outsider_rep.pk} <= owners and outsider_rep.team_id in teams


def test_a_rep_cannot_filter_the_list_by_a_colleague(rep, rep2, client_for):
    OpportunityFactory(owner=rep2, name="Colleague's")
    response = client_for(rep).get(reverse("sales:opportunity_list"), {"owner": rep2.pk})
    assert "owner" in response.context["filter"].form.errors


# --- 6. the last open stage ----------------------------------------------------------------------


def test_the_last_open_stage_cannot_become_won_or_lost(manager, client_for):
    pipeline = default_pipeline()
    pipeline.stages.create(name="Only", kind=Stage.Kind.OPEN, order=0)
    other = type(pipeline).objects.create(name="Small")
    only = other.stages.create(name="Only", kind=Stage.Kind.OPEN, order=0)
    other.stages.create(name="Done", kind=Stage.Kind.WON, order=1)
    with pytest.raises(ValidationError) as error:
        stage_update(stage=only, kind=Stage.Kind.WON)
    assert "at least one open stage" in str(error.value)
    only.refresh_from_db()
    assert only.kind == Stage.Kind.OPEN

    response = client_for(manager).post(
        reverse("sales:stage_edit", args=[only.pk]),
        {f"s{only.pk}-name": "Only", f"s{only.pk}-kind": "lost", f"s{only.pk}-probability": "0"},
    )
    assert response.status_code == 400
    assert "at least one open stage" in response.content.decode()
    only.refresh_from_db()
    assert only.kind == Stage.Kind.OPEN

    # With another open stage beside it, the kind may change.
    second = other.stages.create(name="Second", kind=Stage.Kind.OPEN, order=2)
    assert stage_update(stage=second, kind=Stage.Kind.LOST).kind == Stage.Kind.LOST
