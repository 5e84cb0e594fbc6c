"""The pipeline board: columns and their totals, the htmx move, filters, rotting, query counts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from sales.models import LossReason, Opportunity, Pipeline, Stage, StageChange
from sales.selectors.pipeline import pipeline_board
from tests.sales.factories import OpportunityFactory, default_pipeline, stage

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "pipeline-board"}


def columns_of(response) -> dict:
    board = response.context["board"]
    return {column.stage.name: column for column in board.columns}


def test_columns_are_the_stages_with_counts_totals_and_weighted_totals(rep, client_for):
    OpportunityFactory(owner=rep, stage=stage("New"), probability=10, amount=Decimal("1000.00"))
    OpportunityFactory(owner=rep, stage=stage("Proposal"), probability=50, amount=Decimal("2000.00"))
    OpportunityFactory(owner=rep, stage=stage("Proposal"), probability=75, amount=Decimal("333.33"))
    OpportunityFactory(
        owner=rep, stage=stage("Won"), status="won", probability=100, amount=Decimal("7.00"), closed_at=timezone.now()
    )
    OpportunityFactory(  # closed long ago: off the board
        owner=rep,
        stage=stage("Lost"),
        status="lost",
        amount=Decimal("9.00"),
        closed_at=timezone.now() - dt.timedelta(days=90),
    )
    response = client_for(rep).get(reverse("sales:pipeline"))
    assert response.status_code == 200
    columns = columns_of(response)
    assert list(columns) == ["New", "Qualified", "Proposal", "Negotiation", "Won", "Lost"]
    assert (columns["Proposal"].count, columns["Proposal"].total) == (2, Decimal("2333.33"))
    assert columns["Proposal"].weighted == Decimal("1000.00") + Decimal("250.00")  # 333.33 × 75% = 249.9975
    assert (columns["New"].count, columns["New"].weighted) == (1, Decimal("100.00"))
    assert (columns["Won"].count, columns["Won"].total) == (1, Decimal("7.00"))
    assert columns["Lost"].count == 0
    board = response.context["board"]
    assert (board.open_count, board.open_total, board.open_weighted) == (3, Decimal("3333.33"), Decimal("1350.00"))
    html = response.content.decode()
    # Columns show whole currency units (the opportunity page has the cents).
    assert ">2,333<" in html and ">1,250<" in html


def test_the_board_shows_only_what_the_user_may_see_and_filters_by_owner_and_team(
    rep, rep2, manager, outsider_rep, client_for
):
    mine = OpportunityFactory(owner=rep, name="Mine")
    OpportunityFactory(owner=rep2, name="Colleague's")
    OpportunityFactory(owner=outsider_rep, name="Outsider's")

    def names(user, **params):
        response = client_for(user).get(reverse("sales:pipeline"), params)
        return {card.name for column in response.context["board"].columns for card in column.cards}

    assert names(rep) == {"Mine"}
    assert names(manager) == {"Mine", "Colleague's"}
    assert names(manager, owner=rep.pk) == {"Mine"}
    # A team outside the manager's scope is not a choice: the filter says so, nothing leaks.
    response = client_for(manager).get(reverse("sales:pipeline"), {"team": outsider_rep.team.pk})
    assert "team" in response.context["filter_form"].errors
    assert {card.name for column in response.context["board"].columns for card in column.cards} == {
        "Mine",
        "Colleague's",
    }
    html = client_for(rep).get(reverse("sales:pipeline")).content.decode()
    assert mine.customer.name in html and reverse("sales:opportunity_move", args=[mine.pk]) in html


def test_the_board_defaults_to_the_default_pipeline_and_switches(rep, client_for):
    other = Pipeline.objects.create(name="Projects")
    Stage.objects.create(pipeline=other, name="Brief", order=0)
    OpportunityFactory(owner=rep, pipeline=other, stage=other.stages.get(), name="Project deal")
    client = client_for(rep)
    assert client.get(reverse("sales:pipeline")).context["board"].pipeline == default_pipeline()
    response = client.get(reverse("sales:pipeline"), {"pipeline": other.pk}, **HTMX)
    assert response.templates[0].name == "sales/pipeline/partials/board.html"
    assert [column.stage.name for column in response.context["board"].columns] == ["Brief"]
    assert "Project deal" in response.content.decode()


def test_a_column_shows_the_most_recently_touched_cards_and_links_to_the_rest(rep):
    now = timezone.now()
    for days in range(5):
        OpportunityFactory(owner=rep, name=f"Deal {days}", last_activity_at=now - dt.timedelta(days=days))
    board = pipeline_board(user=rep, pipeline=default_pipeline(), per_column=2)
    new = board.columns[0]
    assert [card.name for card in new.cards] == ["Deal 0", "Deal 1"]
    assert (new.count, new.more) == (5, 3)


def test_rotting_cards_are_highlighted(rep, client_for):
    old = timezone.now() - dt.timedelta(days=20)
    OpportunityFactory(owner=rep, name="Stale", stage=stage("New"), last_activity_at=old)  # rots after 14 days
    OpportunityFactory(owner=rep, name="Fresh", stage=stage("New"))
    response = client_for(rep).get(reverse("sales:pipeline"))
    cards = {card.name: card.is_rotting for card in columns_of(response)["New"].cards}
    assert cards == {"Stale": True, "Fresh": False}
    assert response.content.decode().count('data-testid="rotting"') == 1


def test_an_htmx_drop_moves_the_card_and_returns_the_board(rep, client_for):
    opportunity = OpportunityFactory(owner=rep, stage=stage("New"))
    url = reverse("sales:opportunity_move", args=[opportunity.pk]) + f"?owner={rep.pk}"
    response = client_for(rep).post(url, {"stage": stage("Proposal").pk}, **HTMX)
    assert response.status_code == 200
    assert response.templates[0].name == "sales/pipeline/partials/board.html"
    assert columns_of(response)["Proposal"].count == 1
    opportunity.refresh_from_db()
    assert opportunity.stage == stage("Proposal")
    assert StageChange.objects.filter(opportunity=opportunity, to_stage=stage("Proposal")).exists()


def test_a_drop_on_lost_needs_a_reason(rep, client_for):
    opportunity = OpportunityFactory(owner=rep)
    client = client_for(rep)
    url = reverse("sales:opportunity_move", args=[opportunity.pk])
    response = client.post(url, {"stage": stage("Lost").pk}, **HTMX)
    assert response.status_code == 200
    assert "Choose why the opportunity was lost." in response.content.decode()
    opportunity.refresh_from_db()
    assert opportunity.status == "open" and StageChange.objects.filter(opportunity=opportunity).count() == 0

    reason = LossReason.objects.first()
    client.post(url, {"stage": stage("Lost").pk, "loss_reason": reason.pk, "loss_note": "Went elsewhere"}, **HTMX)
    opportunity.refresh_from_db()
    assert (opportunity.status, opportunity.loss_reason, opportunity.loss_note) == ("lost", reason, "Went elsewhere")


def test_the_move_is_refused_to_who_may_not_change_the_opportunity(
    rep, rep2, outsider_rep, marketer, agent, client_for
):
    opportunity = OpportunityFactory(owner=rep)
    url = reverse("sales:opportunity_move", args=[opportunity.pk])
    data = {"stage": stage("Qualified").pk}
    assert client_for(rep2).post(url, data, **HTMX).status_code == 404
    assert client_for(outsider_rep).post(url, data, **HTMX).status_code == 404
    assert client_for(marketer).post(url, data, **HTMX).status_code == 403
    assert client_for(agent).post(url, data, **HTMX).status_code == 403
    assert client_for(rep).get(url).status_code == 405
    opportunity.refresh_from_db()
    assert opportunity.stage == stage("New")


def test_a_stage_of_another_pipeline_is_refused(rep, client_for):
    other = Pipeline.objects.create(name="Projects")
    foreign = Stage.objects.create(pipeline=other, name="Brief", order=0)
    opportunity = OpportunityFactory(owner=rep)
    client_for(rep).post(reverse("sales:opportunity_move", args=[opportunity.pk]), {"stage": foreign.pk}, **HTMX)
    opportunity.refresh_from_db()
    assert opportunity.stage == stage("New")


def test_the_board_page_is_for_sales_roles_only(personas, client_for):
    url = reverse("sales:pipeline")
    for name in ("admin", "manager", "rep"):
        assert client_for(personas[name]).get(url).status_code == 200
    for name in ("marketer", "agent", "contractor"):
        assert client_for(personas[name]).get(url).status_code == 403


def _spread(owner, count: int) -> None:
    stages = list(default_pipeline().stages.all())
    for index in range(count):
        stage_ = stages[index % len(stages)]
        OpportunityFactory(
            owner=owner,
            stage=stage_,
            status={"won": "won", "lost": "lost"}.get(stage_.kind, "open"),
            closed_at=timezone.now() if stage_.kind != "open" else None,
            loss_reason=LossReason.objects.first() if stage_.kind == "lost" else None,
        )


@pytest.mark.parametrize("persona", ["rep", "manager"])
def test_the_board_runs_a_constant_number_of_queries(persona, personas, client_for, django_assert_max_num_queries):
    user = personas[persona]
    client = client_for(user)
    _spread(personas["rep"], 1)
    client.get(reverse("sales:pipeline"))  # warm caches (content types, sessions)
    with django_assert_max_num_queries(16) as one:
        client.get(reverse("sales:pipeline"))
    _spread(personas["rep"], 40)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("sales:pipeline"))
    assert sum(column.count for column in response.context["board"].columns) == 41


def test_the_htmx_move_runs_a_constant_number_of_queries(rep, client_for, django_assert_max_num_queries):
    _spread(rep, 1)
    client = client_for(rep)
    first = Opportunity.objects.first()
    url = reverse("sales:opportunity_move", args=[first.pk])
    with django_assert_max_num_queries(40) as one:
        client.post(url, {"stage": stage("Qualified").pk}, **HTMX)
    _spread(rep, 40)
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.post(url, {"stage": stage("Proposal").pk}, **HTMX)
