"""The managers' dashboard: every figure exact on hand-made daily facts for each role's scope, the
filters (and bad input), retention from the snapshot and computed live, the query count, and the
Excel export with the same figures as the page.

The period is "last month" on 21 May 2025: April, compared with March."""

import datetime
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from analytics.models import ComputeRun, CustomerValue, DailyFact, ReportSnapshot
from analytics.periods import period_compare
from analytics.selectors.dashboard import DashboardFilter, dashboard_figures
from sales.models import Opportunity
from tests.factories import CustomerFactory
from tests.sales.factories import OpportunityFactory, OrderFactory

pytestmark = pytest.mark.django_db

TEHRAN = ZoneInfo("Asia/Tehran")
NOW = datetime.datetime(2025, 5, 21, 10, 0, tzinfo=TEHRAN)
TODAY = NOW.date()
M = DailyFact.Metric


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def _empty_cache():
    # The figures of a computation are cached under its run's id, which tests reuse.
    cache.clear()
    yield
    cache.clear()


def day(month: int, number: int = 10) -> datetime.date:
    return datetime.date(2025, month, number)


def facts(owner, month: int, **values) -> None:
    """Daily facts of ``owner`` (under the owner's team) on the 10th of ``month``."""
    DailyFact.objects.bulk_create(
        DailyFact(day=day(month), metric=M(metric), owner=owner, team=owner.team, value=Decimal(value))
        for metric, value in values.items()
    )


def computed() -> ComputeRun:
    return ComputeRun.objects.create(
        status=ComputeRun.Status.DONE,
        active=None,
        progress=100,
        started_at=NOW - datetime.timedelta(hours=8, minutes=1),
        finished_at=NOW - datetime.timedelta(hours=8),
    )


@pytest.fixture
def dataset(rep, rep2, outsider_rep, sales_team, other_team):
    """April and March figures for the rep, the rep's teammate and a rep of another team, with a
    retention snapshot for "last month", customers' lifetime values and open opportunities."""
    facts(
        rep,
        4,
        revenue=1000,
        cogs=400,
        returns=100,
        orders=5,
        new_customers=2,
        lost_customers=1,
        leads=10,
        leads_converted=3,
        deals_won=2,
        deals_lost=2,
        tickets_resolved=4,
        tickets_in_sla=3,
        csat_answers=2,
        csat_score=9,
    )
    facts(
        rep,
        3,
        revenue=500,
        cogs=200,
        orders=2,
        new_customers=1,
        leads=5,
        leads_converted=1,
        deals_won=1,
        deals_lost=3,
        tickets_resolved=2,
        tickets_in_sla=2,
        csat_answers=1,
        csat_score=4,
    )
    facts(rep, 2, revenue=50)  # before both periods: only in the chart
    facts(rep2, 4, revenue=300, orders=1)
    facts(outsider_rep, 4, revenue=7000, orders=9)
    facts(outsider_rep, 3, revenue=2000)
    ReportSnapshot.objects.create(
        kind="retention",
        variant="last_month",
        computed_at=NOW - datetime.timedelta(hours=8),
        data={
            "all": {"base": 10, "retained": 4},
            "teams": {str(sales_team.pk): {"base": 6, "retained": 3}, str(other_team.pk): {"base": 4, "retained": 1}},
            "owners": {
                str(rep.pk): {"base": 4, "retained": 2},
                str(rep2.pk): {"base": 2, "retained": 1},
                str(outsider_rep.pk): {"base": 4, "retained": 1},
            },
            "previous": {"all": {"base": 8, "retained": 2}, "owners": {str(rep.pk): {"base": 5, "retained": 1}}},
        },
    )
    for owner, historic, predicted in [(rep, 100, 150), (rep2, 200, 250), (outsider_rep, 1000, None)]:
        customer = CustomerFactory(owner=owner, team=owner.team)
        CustomerValue.objects.create(
            customer=customer, clv_historic=Decimal(historic), clv_predicted=predicted, computed_at=NOW
        )
    OpportunityFactory(owner=rep, amount=Decimal("1000"), probability=50, expected_close_date=day(6))
    OpportunityFactory(owner=outsider_rep, amount=Decimal("4000"), probability=25, expected_close_date=day(7))
    OpportunityFactory(owner=rep, amount=Decimal("9000"), probability=90, status=Opportunity.Status.WON)
    computed()


def last_month(**people) -> DashboardFilter:
    return DashboardFilter(comparison=period_compare(key="last_month", today=TODAY), **people)


def values(user, **people) -> dict:
    dashboard = dashboard_figures(user=user, filters=last_month(**people), today=TODAY)
    return {figure.key: figure for figure in dashboard.figures}


# --- the figures ---------------------------------------------------------------------------------


def test_the_reps_own_figures_and_their_change_on_the_previous_period(dataset, rep):
    figures = values(rep)
    revenue = figures["revenue"]
    assert (revenue.current, revenue.previous, revenue.change) == (Decimal("1000.00"), Decimal("500.00"), 100)
    # Gross profit: 1000 - 400 - 100 = 500 against 500 - 200 = 300.
    assert (figures["gross_profit"].current, figures["gross_profit"].previous) == (500, 300)
    assert figures["gross_profit"].change == Decimal("66.7")
    assert (figures["orders"].current, figures["orders"].previous) == (5, 2)
    assert (figures["new_customers"].current, figures["lost_customers"].current) == (2, 1)
    # One lost customer more is bad news: the change is shown in red.
    assert figures["lost_customers"].previous == 0 and figures["lost_customers"].change is None
    # Rates change in percentage points: 3/10 against 1/5, 2/4 against 1/4, 3/4 against 2/2.
    assert (figures["lead_conversion"].current, figures["lead_conversion"].change) == (Decimal("0.3"), 10)
    assert (figures["win_rate"].current, figures["win_rate"].change) == (Decimal("0.5"), 25)
    assert (figures["sla"].current, figures["sla"].change, figures["sla"].tone) == (Decimal("0.75"), -25, "danger")
    # CSAT 9/2 = 4.50 against 4/1 = 4.00: up 12.5%.
    assert (figures["csat"].current, figures["csat"].previous, figures["csat"].change) == (
        Decimal("4.50"),
        Decimal("4.00"),
        Decimal("12.5"),
    )
    # Retention from the snapshot's own row: 2 of 4 now, 1 of 5 in the period before.
    assert (figures["retention"].current, figures["retention"].previous) == (Decimal("0.5"), Decimal("0.2"))
    assert figures["retention"].change == 30
    assert figures["lifetime_value"].current == Decimal("100.00")
    assert figures["pipeline"].current == Decimal("500.00")  # 1000 at 50%; the won deal is not open
    assert "campaign_roi" not in figures and "repeat_forecast" not in figures


def test_the_chart_has_the_last_twelve_months(dataset, rep):
    dashboard = dashboard_figures(user=rep, filters=last_month(), today=TODAY)
    assert dashboard.months[0] == datetime.date(2024, 5, 1) and dashboard.months[-1] == datetime.date(2025, 4, 1)
    revenue = dashboard.figure("revenue").series[0].values
    assert revenue[-3:] == [Decimal("50.00"), Decimal("500.00"), Decimal("1000.00")]
    assert revenue[:-3] == [Decimal("0.00")] * 9
    assert dashboard.chart_data()["win_rate"]["series"][0]["values"][-2:] == ["25.0", "50.0"]


def test_a_manager_sees_the_team_and_an_admin_everything(dataset, manager, admin, marketer):
    team = values(manager)
    assert (team["revenue"].current, team["revenue"].previous) == (Decimal("1300.00"), Decimal("500.00"))
    assert team["orders"].current == 6
    assert team["retention"].current == Decimal("0.5")  # the Sales team's 3 of 6
    assert team["retention"].previous is None  # the snapshot has no team figure for the period before
    assert team["lifetime_value"].current == Decimal("150.00")  # (100 + 200) / 2
    assert team["pipeline"].current == Decimal("500.00")
    everything = values(admin)
    assert (everything["revenue"].current, everything["revenue"].previous) == (Decimal("8300.00"), Decimal("2500"))
    assert everything["revenue"].change == Decimal("232.0")
    assert (everything["retention"].current, everything["retention"].previous) == (Decimal("0.4"), Decimal("0.25"))
    assert everything["lifetime_value"].current == Decimal("433.33")  # (100 + 200 + 1000) / 3
    assert everything["pipeline"].current == Decimal("1500.00")  # 500 + 4000 at 25%
    assert "campaign_roi" in everything
    assert values(marketer)["revenue"].current == Decimal("8300.00")


def test_team_and_owner_filters_narrow_the_figures(dataset, admin, manager, rep, other_team):
    north = values(admin, team=other_team)
    assert (north["revenue"].current, north["orders"].current) == (Decimal("7000.00"), 9)
    assert north["retention"].current == Decimal("0.25")
    assert values(manager, owner=rep)["revenue"].current == Decimal("1000.00")


# --- the page ------------------------------------------------------------------------------------


def _figure_text(response, key: str) -> str:
    html = response.content.decode()
    start = html.index(f'data-testid="figure-{key}"')
    return html[start : html.index('data-testid="figure-', start + 10) if key != "campaign_roi" else None]


def test_the_page_shows_each_figure_with_the_previous_one_and_a_link(dataset, client_for, admin):
    response = client_for(admin).get(reverse("analytics:index"), {"period": "last_month"})
    assert response.status_code == 200
    revenue = _figure_text(response, "revenue")
    assert "8,300" in revenue and "2,500" in revenue and "+232.0%" in revenue
    assert reverse("sales:order_list") + "?ordered_after=2025-04-01&amp;ordered_before=2025-04-30" in revenue
    assert "40.0%" in _figure_text(response, "retention")
    assert "Figures as of" in response.content.decode()
    assert 'id="dashboard-chart-data"' in response.content.decode()


def test_a_rep_sees_only_their_own_figures_and_no_people_filters(dataset, client_for, rep, outsider_rep):
    client = client_for(rep)
    response = client.get(reverse("analytics:index"), {"period": "last_month"})
    assert "1,000" in _figure_text(response, "revenue")
    assert 'name="owner"' not in response.content.decode() and 'name="team"' not in response.content.decode()
    # Asking for another rep's figures is refused with a message; the rep's own are shown.
    response = client.get(reverse("analytics:index"), {"period": "last_month", "owner": outsider_rep.pk})
    assert response.status_code == 200
    assert "Choose one of the people whose figures you may see." in response.content.decode()
    assert "1,000" in _figure_text(response, "revenue") and "7,000" not in response.content.decode()


def test_a_manager_cannot_pick_another_team(dataset, client_for, manager, other_team):
    response = client_for(manager).get(reverse("analytics:index"), {"period": "last_month", "team": other_team.pk})
    assert "Choose one of the teams whose figures you may see." in response.content.decode()
    assert "1,300" in _figure_text(response, "revenue")


def test_bad_filter_input_gives_a_message_and_the_defaults(dataset, client_for, admin):
    client = client_for(admin)
    response = client.get(
        reverse("analytics:index"), {"period": "custom", "start": "2025-04-30", "end": "2025-04-01", "owner": "x"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The last day comes before the first." in page and "The defaults are shown instead." in page
    assert response.context["dashboard"].current.key == "last_90_days"
    response = client.get(reverse("analytics:index"), {"period": "next_century", "start": "not a day"})
    assert response.status_code == 200 and response.context["dashboard"].current.key == "last_90_days"


@pytest.mark.parametrize("persona", ["agent", "contractor"])
def test_roles_outside_analytics_are_refused(persona, personas, client_for):
    client = client_for(personas[persona])
    assert client.get(reverse("analytics:index")).status_code == 403
    assert client.get(reverse("analytics:index_export")).status_code == 403


def test_before_any_computation_the_page_offers_the_first_one(client_for, manager, rep):
    response = client_for(manager).get(reverse("analytics:index"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="empty"' in page and reverse("analytics:run_request") in page
    assert "Figures as of: not computed yet" in page
    page = client_for(rep).get(reverse("analytics:index")).content.decode()
    assert 'data-testid="empty"' in page and reverse("analytics:run_request") not in page


def test_the_query_count_does_not_grow_with_the_facts(client_for, admin, rep, outsider_rep):
    computed()
    facts(rep, 4, revenue=1)
    client = client_for(admin)
    url = reverse("analytics:index")
    client.get(url)  # warm the session and content types
    cache.clear()
    with CaptureQueriesContext(connection) as few:
        assert client.get(url, {"period": "last_365_days"}).status_code == 200
    for month in range(1, 13):
        for owner in (rep, outsider_rep):
            facts(owner, 5 if month > 5 else month, revenue=month, orders=1, leads=3, csat_answers=1, csat_score=5)
    cache.clear()
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, {"period": "last_365_days"})
    assert response.context["dashboard"].figure("orders").current == 24
    assert len(many) == len(few)
    assert len(many) <= 20, [query["sql"] for query in many.captured_queries]


def test_the_figures_of_a_computation_are_read_once_and_a_new_computation_replaces_them(dataset, admin, rep):
    with CaptureQueriesContext(connection) as first:
        assert values(admin)["revenue"].current == Decimal("8300.00")
    facts(rep, 4, revenue=700)  # written by a new computation...
    with CaptureQueriesContext(connection) as again:
        assert values(admin)["revenue"].current == Decimal("8300.00")  # ...not seen until it has finished
    # The facts and the lifetime values come from the cache the second time.
    read = [query["sql"] for query in first.captured_queries]
    assert sum("analytics_dailyfact" in sql or "analytics_customervalue" in sql for sql in read) == 3
    assert not any(
        "analytics_dailyfact" in q["sql"] or "analytics_customervalue" in q["sql"] for q in again.captured_queries
    )
    later = computed()
    ComputeRun.objects.filter(pk=later.pk).update(finished_at=NOW - datetime.timedelta(minutes=1))
    assert values(admin)["revenue"].current == Decimal("9000.00")


# --- retention over a custom period --------------------------------------------------------------


def test_a_custom_period_computes_retention_from_the_orders(client_for, rep, admin):
    computed()

    def bought(customer, month, number):
        OrderFactory(
            customer=customer,
            owner=rep,
            ordered_at=datetime.datetime(2025, month, number, 12, tzinfo=TEHRAN),
        )

    a, b, c, d = (CustomerFactory(owner=rep, team=rep.team) for _ in range(4))
    bought(a, 3, 10), bought(a, 4, 5)  # bought in March and again in April: retained
    bought(b, 3, 15)  # March only
    bought(c, 2, 10), bought(c, 3, 20)  # February and March: retained in the period before
    bought(d, 4, 10)  # new in April: not in the base
    # 1-30 April (30 days) against 2-31 March, and that against 31 January - 1 March.
    response = client_for(admin).get(
        reverse("analytics:index"), {"period": "custom", "start": "2025-04-01", "end": "2025-04-30"}
    )
    retention = response.context["dashboard"].figure("retention")
    assert (retention.current, retention.previous) == (Decimal("0.3333"), Decimal("1"))
    assert retention.change == Decimal("-66.7")
    assert "computed from the orders when you ask" in response.content.decode()


# --- export --------------------------------------------------------------------------------------


def test_the_excel_export_has_the_page_figures(dataset, client_for, admin):
    client = client_for(admin)
    page = client.get(reverse("analytics:index"), {"period": "last_month"}).context["dashboard"]
    response = client.get(reverse("analytics:index_export"), {"period": "last_month"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('dashboard-2025-04-01-2025-04-30.xlsx"')
    sheet = openpyxl.load_workbook(BytesIO(b"".join(response.streaming_content)), read_only=True).active
    rows = {row[0]: row for row in sheet.iter_rows(values_only=True) if row and row[0]}
    header = rows["Figure"]
    assert header[:5] == ("Figure", "Unit", "Current period", "Previous period", "Change")
    assert header[-1] == "2025-04" and header[7] == "2024-05"
    revenue = rows["Revenue"]
    assert revenue[2:5] == (8300, 2500, 232)
    assert revenue[-3:] == (50, 2500, 8300)  # February, March, April
    assert rows["Retention rate"][2:6] == (40, 25, 15, "points")
    assert rows["Gross profit"][2] == float(page.figure("gross_profit").current)
    assert rows["Average lifetime value"][2] == pytest.approx(433.33)
    assert rows["Weighted pipeline, June 2025"][2] == 500
    assert rows["Period"][2] == "2025-04-01 – 2025-04-30"


def test_export_query_count_is_fixed(dataset, client_for, admin, django_assert_max_num_queries):
    client = client_for(admin)
    client.get(reverse("analytics:index"))
    with django_assert_max_num_queries(25):
        response = client.get(reverse("analytics:index_export"), {"period": "last_month"})
        b"".join(response.streaming_content)


def test_lifetime_value_chart_is_by_month_acquired(dataset, rep):
    customer = CustomerFactory(owner=rep, team=rep.team)
    CustomerValue.objects.create(
        customer=customer,
        acquired_on=day(4, 2),
        clv_historic=Decimal("80"),
        clv_predicted=Decimal("120"),
        computed_at=timezone.now(),
    )
    figure = dashboard_figures(user=rep, filters=last_month(), today=TODAY).figure("lifetime_value")
    assert [series.values[-1] for series in figure.series] == [Decimal("80.00"), Decimal("120.00")]
    assert figure.series[0].values[:-1] == [None] * 11
