"""Opportunity pages: the list and its filters, create and edit, the detail page with its stage
form, win and lose, products, and the 360° panel; access for every role and query counts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from sales.models import Activity, LossReason, Opportunity, OpportunityLine, Quote, StageChange
from tests.factories import CustomerFactory
from tests.sales.factories import ActivityFactory, OpportunityFactory, ProductFactory, default_pipeline, stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(rep, rep2, outsider_rep):
    return {
        "rep": OpportunityFactory(owner=rep, name="Rep deal", amount=Decimal("300.00")),
        "rep2": OpportunityFactory(owner=rep2, name="Rep2 deal", amount=Decimal("100.00")),
        # A customer name no Faker name shares, so a search for it finds this deal alone.
        "outsider": OpportunityFactory(
            owner=outsider_rep,
            name="Outsider deal",
            amount=Decimal("200.00"),
            customer=CustomerFactory(name="Zanjanbrook Trading"),
        ),
    }


def listed(client, **params) -> list[str]:
    response = client.get(reverse("sales:opportunity_list"), params)
    assert response.status_code == 200
    return [opportunity.name for opportunity in response.context["page_obj"]]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("rep", {"Rep deal"}),
        ("manager", {"Rep deal", "Rep2 deal"}),
        ("admin", {"Rep deal", "Rep2 deal", "Outsider deal"}),
    ],
)
def test_the_list_shows_what_each_role_may_see(persona, expected, personas, book, client_for):
    assert set(listed(client_for(personas[persona]))) == expected


@pytest.mark.parametrize("persona", ["marketer", "agent", "contractor"])
def test_other_roles_cannot_open_opportunity_pages(persona, personas, book, client_for):
    client = client_for(personas[persona])
    for url in (
        reverse("sales:opportunity_list"),
        reverse("sales:opportunity_create"),
        reverse("sales:opportunity_detail", args=[book["rep"].pk]),
        reverse("sales:opportunity_edit", args=[book["rep"].pk]),
    ):
        assert client.get(url).status_code == 403


def test_a_rep_cannot_open_someone_elses_opportunity(rep, book, client_for):
    client = client_for(rep)
    for key in ("rep2", "outsider"):
        pk = book[key].pk
        assert client.get(reverse("sales:opportunity_detail", args=[pk])).status_code == 404
        assert client.get(reverse("sales:opportunity_edit", args=[pk])).status_code == 404
        assert client.post(reverse("sales:opportunity_win", args=[pk])).status_code == 404
    book["rep2"].refresh_from_db()
    assert book["rep2"].status == "open"


def test_the_list_filters_and_sorts(admin, rep, book, client_for):
    client = client_for(admin)
    book["rep"].expected_close_date = dt.date(2026, 5, 1)
    book["rep"].save()
    assert listed(client, sort="amount") == ["Rep2 deal", "Outsider deal", "Rep deal"]
    assert listed(client, sort="-amount")[0] == "Rep deal"
    assert listed(client, owner=rep.pk) == ["Rep deal"]
    assert listed(client, q="rep2") == ["Rep2 deal"]
    assert listed(client, q="Zanjanbrook") == ["Outsider deal"]
    assert listed(client, close_after="2026-04-01", close_before="2026-05-31") == ["Rep deal"]
    assert listed(client, stage=stage("New").pk, pipeline=default_pipeline().pk, status="open") != []
    assert listed(client, status="won") == []


def test_the_list_can_show_only_rotting_opportunities(rep, client_for):
    stale = timezone.now() - dt.timedelta(days=30)
    OpportunityFactory(owner=rep, name="Stale", last_activity_at=stale)
    OpportunityFactory(owner=rep, name="Fresh")
    OpportunityFactory(owner=rep, name="Stale but won", last_activity_at=stale, status="won", stage=stage("Won"))
    client = client_for(rep)
    assert listed(client, rotting="true") == ["Stale"]
    response = client.get(reverse("sales:opportunity_list"), {"rotting": "true", "owner": rep.pk})
    assert response.content.decode().count('data-testid="rotting"') == 1
    partial = client.get(
        reverse("sales:opportunity_list"),
        {"rotting": "true"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="opportunity-results",
    )
    assert partial.templates[0].name == "sales/opportunities/partials/results.html"


def test_the_list_runs_a_constant_number_of_queries(rep, manager, client_for, django_assert_max_num_queries):
    client = client_for(manager)
    OpportunityFactory(owner=rep, last_activity_at=timezone.now() - dt.timedelta(days=30))
    client.get(reverse("sales:opportunity_list"))
    with django_assert_max_num_queries(20) as one:
        client.get(reverse("sales:opportunity_list"), {"rotting": "true", "sort": "-amount"})
    for _ in range(40):
        OpportunityFactory(owner=rep, last_activity_at=timezone.now() - dt.timedelta(days=30))
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("sales:opportunity_list"), {"rotting": "true", "sort": "-amount"})
    assert len(response.context["page_obj"]) == 25


def test_create_prefills_the_customer_and_opens_in_the_first_stage(rep, client_for):
    customer = CustomerFactory(owner=rep, team=rep.team)
    client = client_for(rep)
    page = client.get(reverse("sales:opportunity_create"), {"customer": customer.pk})
    assert page.context["form"].initial["customer"] == customer.pk
    response = client.post(
        reverse("sales:opportunity_create"),
        {
            "name": "New kitchen",
            "customer": customer.pk,
            "pipeline": default_pipeline().pk,
            "amount": "1500.00",
            "owner": rep.pk,
            "team": rep.team.pk,
            "method": "spin",
        },
    )
    opportunity = Opportunity.objects.get(name="New kitchen")
    assert response.status_code == 302 and response.url == opportunity.get_absolute_url()
    assert (opportunity.stage, opportunity.owner, opportunity.created_by) == (stage("New"), rep, rep)
    assert StageChange.objects.filter(opportunity=opportunity, from_stage=None).exists()


def test_create_refuses_a_customer_the_user_cannot_see(rep, outsider_rep, client_for):
    hidden = CustomerFactory(owner=outsider_rep, team=outsider_rep.team)
    client = client_for(rep)
    assert hidden.name not in client.get(reverse("sales:opportunity_create"), {"customer": hidden.pk}).content.decode()
    response = client.post(
        reverse("sales:opportunity_create"),
        {"name": "Sneaky", "customer": hidden.pk, "pipeline": default_pipeline().pk, "amount": "1", "owner": rep.pk},
    )
    assert response.status_code == 200 and "customer" in response.context["form"].errors
    response = client.post(reverse("sales:opportunity_create"), {"name": "", "amount": "-"})
    assert response.context["form"].errors
    assert not Opportunity.objects.exists()


def test_edit_changes_the_facts(rep, client_for):
    opportunity = OpportunityFactory(owner=rep, customer=CustomerFactory(owner=rep))
    client = client_for(rep)
    assert client.get(reverse("sales:opportunity_edit", args=[opportunity.pk])).status_code == 200
    data = {
        "name": "Renamed",
        "customer": opportunity.customer.pk,
        "amount": "42.00",
        "probability": "60",
        "owner": rep.pk,
        "next_step": "Send the quote",
    }
    response = client.post(reverse("sales:opportunity_edit", args=[opportunity.pk]), data)
    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert (opportunity.name, opportunity.amount, opportunity.probability, opportunity.next_step) == (
        "Renamed",
        Decimal("42.00"),
        60,
        "Send the quote",
    )
    bad = client.post(reverse("sales:opportunity_edit", args=[opportunity.pk]), {**data, "probability": "150"})
    assert bad.status_code == 200 and "probability" in bad.context["form"].errors
    opportunity.refresh_from_db()
    assert opportunity.probability == 60


def test_the_detail_page_shows_the_path_history_activities_and_quotes(rep, client_for, django_assert_max_num_queries):
    opportunity = OpportunityFactory(owner=rep, stage=stage("Proposal"))
    StageChange.objects.create(
        opportunity=opportunity,
        from_stage=stage("New"),
        to_stage=stage("Proposal"),
        changed_at=timezone.now(),
        seconds_in_previous=3 * 86400,
        changed_by=rep,
    )
    ActivityFactory(opportunity=opportunity, assignee=rep, subject="Call the buyer")
    client = client_for(rep)
    url = reverse("sales:opportunity_detail", args=[opportunity.pk])
    client.get(url)
    with django_assert_max_num_queries(40) as one:
        response = client.get(url)
    html = response.content.decode()
    assert "Call the buyer" in html and "3\xa0days" in html
    assert 'aria-current="step">Proposal' in html
    # More of everything the page lists: the same number of queries.
    products = [ProductFactory() for _ in range(5)]
    OpportunityLine.objects.bulk_create(
        [OpportunityLine(opportunity=opportunity, product=p, unit_price=Decimal(10)) for p in products]
    )
    for index in range(10):
        ActivityFactory(opportunity=opportunity, assignee=rep, subject=f"Follow-up {index}")
        Quote.objects.create(
            number=f"Q-{index}", customer=opportunity.customer, opportunity=opportunity, issued_on=dt.date(2026, 1, 1)
        )
        StageChange.objects.create(
            opportunity=opportunity, from_stage=stage("New"), to_stage=stage("Qualified"), changed_at=timezone.now()
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(url)
    assert "Q-9" in response.content.decode()
    assert Activity.objects.filter(opportunity=opportunity).count() == 11


def test_the_stage_select_moves_without_javascript(rep, client_for):
    opportunity = OpportunityFactory(owner=rep)
    client = client_for(rep)
    url = reverse("sales:opportunity_move", args=[opportunity.pk])
    assert client.post(url, {"stage": stage("Negotiation").pk}).status_code == 302
    opportunity.refresh_from_db()
    assert opportunity.stage == stage("Negotiation")
    response = client.post(url, {"stage": stage("Lost").pk})
    assert response.status_code == 400 and "loss_reason" in response.context["move_form"].errors
    opportunity.refresh_from_db()
    assert opportunity.status == "open"


def test_win_and_lose_from_the_detail_page(rep, client_for):
    client = client_for(rep)
    won = OpportunityFactory(owner=rep)
    assert client.post(reverse("sales:opportunity_win", args=[won.pk])).status_code == 302
    won.refresh_from_db()
    assert won.status == "won" and won.closed_at is not None

    lost = OpportunityFactory(owner=rep)
    response = client.post(reverse("sales:opportunity_lose", args=[lost.pk]), {"loss_note": "no reason given"})
    assert response.status_code == 400 and "loss_reason" in response.context["lose_form"].errors
    lost.refresh_from_db()
    assert lost.status == "open"
    reason = LossReason.objects.get(name="No budget")
    response = client.post(reverse("sales:opportunity_lose", args=[lost.pk]), {"loss_reason": reason.pk})
    assert response.status_code == 302
    lost.refresh_from_db()
    assert (lost.status, lost.loss_reason) == ("lost", reason)
    assert "No budget" in client.get(reverse("sales:opportunity_detail", args=[lost.pk])).content.decode()


def test_products_are_edited_on_the_page_and_set_the_amount(rep, client_for):
    opportunity = OpportunityFactory(owner=rep)
    product = ProductFactory(list_price=Decimal("200.00"))
    client = client_for(rep)
    url = reverse("sales:opportunity_lines", args=[opportunity.pk])
    management = {
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "100",
    }
    line = {
        "lines-0-product": product.pk,
        "lines-0-quantity": "2",
        "lines-0-unit_price": "",
        "lines-0-discount_percent": "25",
    }
    assert client.post(url, {**management, **line}).status_code == 302
    opportunity.refresh_from_db()
    assert opportunity.amount == Decimal("300.00")
    html = client.get(reverse("sales:opportunity_detail", args=[opportunity.pk])).content.decode()
    assert product.name in html and "300.00" in html

    response = client.post(url, {**management, **line, "lines-0-discount_percent": "120"})
    assert response.status_code == 400
    opportunity.refresh_from_db()
    assert opportunity.amount == Decimal("300.00") and OpportunityLine.objects.count() == 1


def test_the_360_panel_lists_the_customers_open_opportunities_the_user_may_see(
    rep, rep2, client_for, django_assert_max_num_queries
):
    customer = CustomerFactory(owner=rep, team=rep.team)
    OpportunityFactory(customer=customer, owner=rep, name="My open deal", amount=Decimal("10.00"))
    OpportunityFactory(customer=customer, owner=rep2, name="Colleague open deal")
    OpportunityFactory(
        customer=customer, owner=rep, name="Won one", status="won", stage=stage("Won"), amount=Decimal("77.00")
    )
    OpportunityFactory(
        customer=customer, owner=rep2, name="Their won", status="won", stage=stage("Won"), amount=Decimal("1000.00")
    )
    client = client_for(rep)
    url = reverse("customers:detail", args=[customer.pk])
    response = client.get(url)
    html = response.content.decode()
    assert 'id="panel-opportunities"' in html
    assert "My open deal" in html and "Colleague open deal" not in html and "Won one" not in html
    assert '<strong data-testid="panel-won-total">77.00</strong>' in html, "the won total counts only visible deals"
    with django_assert_max_num_queries(200) as one:
        client.get(url)
    for index in range(10):
        OpportunityFactory(customer=customer, owner=rep, name=f"Extra {index}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(url)
