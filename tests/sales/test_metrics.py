"""The sales home page's figures on a small hand-made dataset, per role, and its query count."""

import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Source
from sales.models import Invoice, Lead, Opportunity, Payment
from sales.selectors.metrics import period_resolve, sales_metrics
from tests.sales.factories import LeadFactory, OpportunityFactory, OrderFactory, stage

TEHRAN = ZoneInfo("Asia/Tehran")
TODAY = datetime.date(2026, 3, 15)
NOW = datetime.datetime(2026, 3, 15, 12, 0, tzinfo=TEHRAN)
INDEX = reverse("sales:index")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def at(month: int, day: int, hour: int = 12) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, 0, tzinfo=TEHRAN)


def lead(owner, source, *, created, opportunity=None) -> Lead:
    row = LeadFactory(owner=owner, source=source, opportunity=opportunity)
    Lead.objects.filter(pk=row.pk).update(created_at=created)
    return row


def deal(owner, *, status="open", amount="1000000", probability=None, created=None, closed=None, close_date=None):
    kwargs = {"owner": owner, "status": status, "amount": D(amount), "expected_close_date": close_date}
    if status == "won":
        kwargs.update(stage=stage("Won"), closed_at=closed)
    elif status == "lost":
        kwargs.update(stage=stage("Lost"), closed_at=closed)
    if probability is not None:
        kwargs["probability"] = probability
    row = OpportunityFactory(**kwargs)
    if created:
        Opportunity.objects.filter(pk=row.pk).update(created_at=created)
    return row


def payment(owner, amount: str, paid_at: datetime.datetime) -> Payment:
    order = OrderFactory(owner=owner)
    invoice = Invoice.objects.create(
        number=f"INV-{order.pk}",
        order=order,
        customer=order.customer,
        issued_on=paid_at.date(),
        due_on=paid_at.date(),
        total=D(amount),
        owner=owner,
        team=owner.team,
    )
    return Payment.objects.create(
        invoice=invoice, customer=order.customer, amount=D(amount), method="cash", paid_at=paid_at
    )


@pytest.fixture
def dataset(rep, rep2, outsider_rep):
    web = Source.objects.create(name="Web")
    referral = Source.objects.create(name="Referral")
    # Closed deals: three won and one lost in March; one won in February (outside the period).
    o1 = deal(rep, status="won", amount="1000000", created=at(2, 20), closed=at(3, 2))  # 10 days
    o3 = deal(rep, status="lost", created=at(2, 25), closed=at(3, 5))
    o4 = deal(rep2, status="won", amount="3000000", created=at(3, 3), closed=at(3, 8))  # 5 days
    deal(outsider_rep, status="won", amount="500000", created=at(3, 1), closed=at(3, 10))  # 9 days
    o6 = deal(rep, status="won", amount="7000000", created=at(1, 5), closed=at(2, 25))
    # Open deals by expected close month.
    o2 = deal(rep, amount="2000000", probability=25, close_date=datetime.date(2026, 3, 20))
    deal(rep, amount="1000000", probability=50, close_date=datetime.date(2026, 4, 10))
    deal(rep2, amount="4000000", probability=10, close_date=datetime.date(2026, 4, 30))
    deal(outsider_rep, amount="1000000", probability=90)
    deal(rep, amount="600000", probability=50, close_date=datetime.date(2026, 1, 10))
    # March leads: rep 4 web (2 converted: won, open) + 1 referral (lost); rep2 2 referral (1 won);
    # outsider 3 web. One February lead of rep's (converted, won) is outside the period.
    lead(rep, web, created=at(3, 1), opportunity=o1)
    lead(rep, web, created=at(3, 2), opportunity=o2)
    lead(rep, web, created=at(3, 3))
    lead(rep, web, created=at(3, 1, 0))  # the first minute of the period counts
    lead(rep, referral, created=at(3, 4), opportunity=o3)
    lead(rep2, referral, created=at(3, 5), opportunity=o4)
    lead(rep2, referral, created=at(3, 6))
    for day in (7, 8, 9):
        lead(outsider_rep, web, created=at(3, day))
    lead(rep, web, created=at(2, 28, 23), opportunity=o6)
    # Money received: 700,000 + 300,000 + 1,000,000 in March, and some in February.
    payment(rep, "700000", at(3, 5))
    payment(rep2, "300000", at(3, 6))
    payment(outsider_rep, "1000000", at(3, 7))
    payment(rep, "9999", at(2, 27))


def metrics_for(user, key="this_month"):
    return sales_metrics(user=user, period=period_resolve(key=key, today=TODAY), today=TODAY)


def conversion(rows):
    return {row.label: (row.leads, row.opportunities, row.won) for row in rows}


def forecast(metrics):
    return [(row.label, row.count, row.total, row.weighted) for row in metrics.forecast]


def test_admin_sees_every_figure(admin, dataset):
    m = metrics_for(admin)
    assert conversion(m.by_source) == {"Web": (7, 2, 1), "Referral": (3, 2, 1)}
    assert (m.funnel.leads, m.funnel.opportunities, m.funnel.won) == (10, 4, 2)
    assert m.funnel.lead_to_opportunity == D("40.0") and m.funnel.lead_to_won == D("20.0")
    assert m.funnel.opportunity_to_won == D("50.0")
    assert (m.closed_won, m.closed_lost, m.win_rate) == (3, 1, D("75.0"))
    assert m.won_amount == D("4500000.00")
    assert m.avg_cycle_days == D("8.0")
    assert forecast(m) == [
        ("Overdue", 1, D("600000.00"), D("300000.00")),
        ("March 2026", 1, D("2000000.00"), D("500000.00")),
        ("April 2026", 2, D("5000000.00"), D("900000.00")),
        ("No date", 1, D("1000000.00"), D("900000.00")),
    ]
    assert (m.open_count, m.open_total, m.weighted_total) == (5, D("8600000.00"), D("2600000.00"))
    assert (m.revenue, m.payments) == (D("2000000.00"), 3)
    reps = {row.label: row for row in m.by_rep}
    assert len(reps) == 3


def test_a_rep_sees_only_their_own_figures(rep, dataset):
    m = metrics_for(rep)
    assert conversion(m.by_source) == {"Web": (4, 2, 1), "Referral": (1, 1, 0)}
    assert m.funnel.lead_to_opportunity == D("60.0") and m.funnel.lead_to_won == D("20.0")
    assert (m.closed_won, m.closed_lost, m.win_rate) == (1, 1, D("50.0"))
    assert m.avg_cycle_days == D("10.0") and m.won_amount == D("1000000.00")
    assert forecast(m) == [
        ("Overdue", 1, D("600000.00"), D("300000.00")),
        ("March 2026", 1, D("2000000.00"), D("500000.00")),
        ("April 2026", 1, D("1000000.00"), D("500000.00")),
    ]
    assert (m.open_total, m.weighted_total) == (D("3600000.00"), D("1300000.00"))
    assert m.revenue == D("700000.00")
    [row] = m.by_rep
    assert (row.leads, row.opportunities, row.won, row.closed_won, row.closed_lost) == (5, 3, 1, 1, 1)
    assert row.win_rate == D("50.0") and row.avg_cycle_days == D("10.0")


def test_a_manager_sees_the_team(manager, rep, rep2, dataset):
    m = metrics_for(manager)
    assert conversion(m.by_source) == {"Web": (4, 2, 1), "Referral": (3, 2, 1)}
    assert (m.closed_won, m.closed_lost, m.win_rate) == (2, 1, D("66.7"))
    assert m.avg_cycle_days == D("7.5") and m.won_amount == D("4000000.00")
    assert (m.open_total, m.weighted_total) == (D("7600000.00"), D("1700000.00"))
    assert m.revenue == D("1000000.00")
    by_rep = [(row.closed_won, row.won_amount, row.avg_cycle_days) for row in m.by_rep]
    assert by_rep == [(1, D("3000000.00"), D("5.0")), (1, D("1000000.00"), D("10.0"))]  # by won value


def test_a_longer_period_takes_in_february(admin, dataset):
    m = metrics_for(admin, "this_year")
    assert m.funnel.leads == 11 and m.funnel.won == 3
    assert (m.closed_won, m.closed_lost) == (4, 1)
    assert m.revenue == D("2009999.00")


def test_an_empty_scope_gives_no_rates_rather_than_errors(rep):
    m = metrics_for(rep)
    assert m.win_rate is None and m.avg_cycle_days is None and m.funnel.lead_to_won is None
    assert m.forecast == [] and m.revenue == D("0")


@pytest.mark.parametrize(
    ("key", "first", "last"),
    [
        ("this_month", datetime.date(2026, 3, 1), TODAY),
        ("last_3_months", datetime.date(2026, 1, 1), TODAY),
        ("this_year", datetime.date(2026, 1, 1), TODAY),
        ("last_12_months", datetime.date(2025, 4, 1), TODAY),
        ("nonsense", datetime.date(2026, 3, 1), TODAY),
    ],
)
def test_periods(key, first, last):
    period = period_resolve(key=key, today=TODAY)
    assert (period.first_day, period.last_day) == (first, last)
    assert period.start == datetime.datetime(first.year, first.month, first.day, tzinfo=TEHRAN)


def test_a_custom_period(client_for, admin, dataset):
    response = client_for(admin).get(INDEX, {"period": "custom", "start": "2026-02-01", "end": "2026-02-28"})
    assert response.status_code == 200
    m = response.context["metrics"]
    assert (m.period.first_day, m.period.last_day) == (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))
    assert m.funnel.leads == 1 and m.revenue == D("9999.00")


def test_a_wrong_custom_period_falls_back_to_this_month_with_a_message(client_for, admin):
    response = client_for(admin).get(INDEX, {"period": "custom", "start": "2026-03-10", "end": "2026-03-01"})
    assert response.status_code == 200
    assert response.context["metrics"].period.key == "this_month"
    assert b'data-testid="period-errors"' in response.content


@pytest.mark.parametrize("persona", ["admin", "manager", "rep"])
def test_the_home_page_shows_the_figures(client_for, personas, persona, dataset):
    response = client_for(personas[persona]).get(INDEX)
    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="sales-chart-data"' in content and "js/sales_charts.js" in content
    assert 'data-testid="kpi-win-rate"' in content and 'data-testid="by-source"' in content


def test_the_rep_page_shows_their_win_rate_and_not_others(client_for, rep, dataset):
    content = client_for(rep).get(INDEX).content.decode()
    assert "50.0%" in content and "75.0%" not in content
    assert "Your figures" in content


@pytest.mark.parametrize("persona", ["marketer", "agent", "contractor"])
def test_the_home_page_is_refused_outside_sales(client_for, personas, persona):
    assert client_for(personas[persona]).get(INDEX).status_code == 403


def _count_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(INDEX).status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["admin", "manager", "rep"])
def test_the_query_count_does_not_grow_with_the_rows(client_for, personas, persona, rep, rep2):
    client = client_for(personas[persona])
    source = Source.objects.create(name="Web")
    deal(rep, close_date=datetime.date(2026, 4, 1))
    lead(rep, source, created=at(3, 2))
    payment(rep, "100", at(3, 3))
    one = _count_queries(client)
    for index in range(40):
        owner = rep if index % 2 else rep2
        month = 3 + index % 9
        opportunity = deal(owner, close_date=datetime.date(2026, month, 1))
        closed = deal(owner, status="won" if index % 3 else "lost", created=at(3, 1), closed=at(3, 2 + index % 10))
        lead(owner, Source.objects.get_or_create(name=f"S{index % 7}")[0], created=at(3, 3), opportunity=opportunity)
        lead(owner, None, created=at(3, 4), opportunity=closed)
        payment(owner, "100", at(3, 5))
    many = _count_queries(client)
    assert many == one
    assert many <= 14
