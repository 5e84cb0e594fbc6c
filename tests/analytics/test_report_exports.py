"""Excel exports of the report pages: each opens in openpyxl with the same rows and figures as
the page it comes from (filters and scope included), refuses the roles the page refuses, asks
to narrow a list that is too long, and costs the same number of queries at one row and at many."""

import datetime
from decimal import Decimal
from io import BytesIO

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics.exports import reports as exports
from tests.analytics.test_report_pages import (
    _frozen_clock,  # noqa: F401  (the same frozen clock as the pages)
    at_risk,
    deal,
    forecast_snapshot,
    lost_snapshot,
    pareto_book,
    rfm_customer,
    rows_of,
    snapshot,
    valued,
)
from tests.sales.factories import ProductFactory

pytestmark = pytest.mark.django_db
D = Decimal


def sheet(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    workbook = openpyxl.load_workbook(BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [tuple(row) for row in workbook.active.iter_rows(values_only=True)]


def as_dicts(rows: list[tuple]) -> list[dict]:
    """Rows by header; openpyxl's read-only mode leaves out a row's trailing empty cells."""
    header, *body = rows
    return [dict(zip(header, [*row, *[None] * (len(header) - len(row))], strict=True)) for row in body]


def money(value) -> Decimal:
    return D(str(value)).quantize(D("0.01"))


# --- lifetime value --------------------------------------------------------------------------------


@pytest.fixture
def values(rep, rep2, outsider_rep):
    return [
        valued(
            rep,
            name="Arman",
            clv="900.00",
            predicted="100.00",
            revenue="2000.00",
            revenue_pv="1800.00",
            returns_pv="100.00",
            cost_of_goods_pv="600.00",
            order_costs_pv="150.00",
            acquisition_cost="50.00",
            orders=4,
            expected_purchases=1.5,
            first_purchase_on=datetime.date(2024, 3, 1),
            stats={"pareto_class": "A", "rfm_segment": "champions", "p_alive": 0.875, "churn_risk": 0.125},
        ),
        valued(rep, name="Bahar", clv="100.00", predicted="700.00", stats={"pareto_class": "B"}),
        valued(rep2, name="Cyrus", clv="500.00"),
        valued(outsider_rep, name="Dara", clv="5000.00"),
    ]


def test_value_export_has_the_pages_rows_and_figures(values, manager, client_for):
    client = client_for(manager)
    page = client.get(reverse("analytics:value"))
    rows = as_dicts(sheet(client.get(reverse("analytics:value_export"))))
    assert (
        [row["Customer"] for row in rows] == [row.customer.name for row in rows_of(page)] == ["Arman", "Cyrus", "Bahar"]
    )
    first, shown = rows[0], rows_of(page)[0]
    assert money(first["Revenue"]) == shown.revenue == D("2000.00")
    assert money(first["Gross margin (discounted)"]) == shown.gross_margin_pv == D("1100.00")
    assert money(first["Costs (discounted)"]) == shown.costs_pv == D("200.00")
    assert money(first["Historic lifetime value"]) == shown.clv_historic == D("900.00")
    assert money(first["Predicted lifetime value"]) == shown.clv_predicted == D("100.00")
    assert first["Expected purchases"] == 1.5
    assert first["Probability still active (%)"] == 87.5 and first["Churn risk (%)"] == 12.5
    assert first["Pareto class"] == "A" and first["RFM segment"] == "Champions"
    assert first["First purchase"].date() == datetime.date(2024, 3, 1)
    assert first["Owner"] == str(shown.customer.owner)
    assert rows[2]["Predicted lifetime value"] == 700 and rows[1]["Predicted lifetime value"] is None


def test_value_export_follows_the_filters_and_the_ranking(values, manager, client_for):
    client = client_for(manager)
    by_class = as_dicts(sheet(client.get(reverse("analytics:value_export"), {"pareto_class": "B"})))
    assert [row["Customer"] for row in by_class] == ["Bahar"]
    predicted = as_dicts(sheet(client.get(reverse("analytics:value_export"), {"rank": "predicted"})))
    assert [row["Customer"] for row in predicted] == ["Bahar", "Arman", "Cyrus"]


def test_exports_refuse_the_roles_their_pages_refuse(values, personas, client_for):
    client = client_for(personas["agent"])
    for name in ("value_export", "pareto_export", "churn_export", "basket_export", "forecast_export"):
        assert client.get(reverse(f"analytics:{name}")).status_code == 403, name


def test_a_list_too_long_to_export_sends_back_to_the_page_with_a_message(values, admin, client_for, monkeypatch):
    monkeypatch.setattr(exports, "EXPORT_MAX_ROWS", 3)
    response = client_for(admin).get(reverse("analytics:value_export"), {"rank": "predicted"}, follow=True)
    assert response.redirect_chain[0][0] == reverse("analytics:value") + "?rank=predicted"
    assert b"The export is limited to 3 rows" in response.content


def test_the_value_export_query_count_is_constant(rep, manager, client_for):
    valued(rep, clv="1")
    client = client_for(manager)
    url = reverse("analytics:value_export")
    sheet(client.get(url))
    with CaptureQueriesContext(connection) as one:
        sheet(client.get(url))
    for n in range(40):
        valued(rep, clv=str(n))
    with CaptureQueriesContext(connection) as many:
        assert len(sheet(client.get(url))) == 42
    assert len(many) == len(one)


# --- Pareto --------------------------------------------------------------------------------------------


def test_key_customer_export_matches_the_page(rep, rep2, manager, client_for):
    pareto_book(rep, ["100", "50", "30"])
    pareto_book(rep2, ["10", "10"])
    client = client_for(manager)
    page = client.get(reverse("analytics:pareto"))
    rows = sheet(client.get(reverse("analytics:pareto_export")))
    assert rows[0][4] == "Profit, last 12 months"
    body = as_dicts(rows)
    assert [row["Customer"] for row in body] == [row.customer.name for row in rows_of(page)] == ["P0", "P1", "P2"]
    assert [money(row["Profit, last 12 months"]) for row in body] == [D("100.00"), D("50.00"), D("30.00")]
    assert [row["Share of the total (%)"] for row in body] == [50.0, 25.0, 15.0]
    assert [row["Rank"] for row in body] == [1, 2, 3]


# --- RFM ----------------------------------------------------------------------------------------------


def test_rfm_export_has_the_segment_table_and_the_grid(admin, client_for):
    cells = [{"r": r, "f": f, "customers": 0, "monetary": "0.00"} for r in range(1, 6) for f in range(1, 6)]
    cells[24] = {"r": 5, "f": 5, "customers": 3, "monetary": "750.25"}
    segments = [{"code": "champions", "customers": 3, "monetary": "750.25", "recency_days": 5.0, "frequency": 6.5}]
    snapshot("rfm", cells=cells, segments=segments)
    client = client_for(admin)
    report = client.get(reverse("analytics:rfm")).context["report"]
    rows = sheet(client.get(reverse("analytics:rfm_export")))
    table = as_dicts(rows[: 1 + len(report.segments)])
    assert [row["Segment"] for row in table] == [row.label for row in report.segments]
    champions = table[0]
    assert (champions["Customers"], money(champions["Total spent"]), champions["Share of customers (%)"]) == (
        3,
        D("750.25"),
        100.0,
    )
    assert champions["Average days since last purchase"] == 5.0 and champions["Average purchases"] == 6.5
    grid_header = rows[2 + len(report.segments)]
    assert grid_header[:4] == ("Recency score", "Frequency score", "Customers", "Total spent")
    grid = rows[3 + len(report.segments) :]
    assert len(grid) == 25
    assert (5, 5, 3, 750.25) in [row[:4] for row in grid]


def test_rfm_segment_export_is_the_segments_customers_in_scope(rep, outsider_rep, client_for):
    rfm_customer(rep, 5, 4, "champions", "300", recency=3, frequency=7)
    rfm_customer(outsider_rep, 5, 4, "champions", "900")
    body = as_dicts(sheet(client_for(rep).get(reverse("analytics:rfm_segment_export", args=["champions"]))))
    assert len(body) == 1
    row = body[0]
    assert (row["Recency score"], row["Frequency score"], row["Monetary score"]) == (5, 4, 3)
    assert (row["Days since last purchase"], row["Purchases"], money(row["Total spent"])) == (3, 7, D("300.00"))


# --- churn --------------------------------------------------------------------------------------------


def test_call_list_export_is_the_reps_own_ranked_by_value_at_risk(rep, rep2, client_for):
    first = at_risk(rep, "800", 0.5, last_purchase_on=datetime.date(2025, 1, 5))
    at_risk(rep, "1000", 0.25)
    at_risk(rep2, "5000", 0.75)
    client = client_for(rep)
    page = client.get(reverse("analytics:churn"))
    body = as_dicts(sheet(client.get(reverse("analytics:churn_export"))))
    assert [row["Code"] for row in body] == [row.customer.code for row in rows_of(page)]
    assert body[0]["Code"] == first.customer.code
    assert money(body[0]["Value at risk"]) == rows_of(page)[0].value_at_risk == D("400.00")
    assert body[0]["Churn risk (%)"] == 50.0 and money(body[0]["Lifetime value"]) == D("800.00")
    assert body[0]["Last purchase"].date() == datetime.date(2025, 1, 5)
    assert money(body[1]["Value at risk"]) == D("250.00")


def test_lost_customers_export_matches_the_page(admin, client_for):
    lost_snapshot("last_month", total=7)
    client = client_for(admin)
    lost = client.get(reverse("analytics:churn"), {"period": "last_month"}).context["lost"]
    body = as_dicts(sheet(client.get(reverse("analytics:churn_lost_export"), {"period": "last_month"})))
    reasons = [(row["Name"], row["Customers lost"]) for row in body if row["Breakdown"] == "Reason"]
    groups = [(row["Name"], row["Customers lost"]) for row in body if row["Breakdown"] == "Group"]
    assert reasons == [(row.label, row.customers) for row in lost.by_reason]
    assert groups == [(row.label, row.customers) for row in lost.by_group] == [("No group", 4), ("Wholesale", 3)]
    assert body[-1]["Customers lost"] == 7
    assert client.get(reverse("analytics:churn_lost_export"), {"period": "this_month"}).status_code == 404


# --- forecast and basket ----------------------------------------------------------------------------------


def test_forecast_export_has_history_backtest_forecast_and_pipeline(rep, admin, client_for):
    forecast_snapshot()
    deal(rep, "1000", 50, datetime.date(2025, 5, 30))
    deal(rep, "400", 10, datetime.date(2025, 9, 1))
    deal(rep, "300", 50, None)
    client = client_for(admin)
    report = client.get(reverse("analytics:forecast")).context["report"]
    body = as_dicts(sheet(client.get(reverse("analytics:forecast_export"))))
    by_month = {row["Month"]: row for row in body}
    march = by_month[report.history[2].label]
    assert (money(march["Repeat revenue"]), money(march["Backtest: predicted"]), march["Backtest: error (%)"]) == (
        D("300.00"),
        D("270.00"),
        10.0,
    )
    may = by_month[report.ahead[0].label]
    assert (money(may["Forecast"]), money(may["Weighted pipeline"]), money(may["Expected revenue"])) == (
        D("500.00"),
        D("500.00"),
        D("1000.00"),
    )
    september = by_month[report.pipeline_later[0].label]
    assert money(september["Weighted pipeline"]) == D("40.00")
    assert money(by_month["No date"]["Weighted pipeline"]) == D("150.00")
    assert body[-1]["Backtest: error (%)"] == 12.5


def test_basket_export_matches_the_page(marketer, client_for):
    from analytics.models import ProductPair

    tea, cups, sugar = (ProductFactory(name=name) for name in ("Tea", "Cups", "Sugar"))
    ProductPair.objects.create(product=tea, other=cups, orders=30, support=0.03, confidence=0.6, lift=2.5)
    ProductPair.objects.create(product=tea, other=sugar, orders=80, support=0.0825, confidence=0.8, lift=1.2)
    client = client_for(marketer)
    page = client.get(reverse("analytics:basket"), {"sort": "support"})
    body = as_dicts(sheet(client.get(reverse("analytics:basket_export"), {"sort": "support"})))
    assert [(row["Product"], row["Bought with"]) for row in body] == [
        (pair.product.name, pair.other.name) for pair in rows_of(page)
    ]
    assert (body[0]["Orders together"], body[0]["Support (%)"], body[0]["Confidence (%)"], body[0]["Lift"]) == (
        80,
        8.25,
        80.0,
        1.2,
    )
