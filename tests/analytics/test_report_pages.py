"""The report pages (lifetime value, Pareto, RFM, churn, forecast, basket): access per role, each
figure exact on hand-made rows of what the nightly computation writes (CustomerValue,
CustomerStats, snapshots, product pairs), every list scoped to the user, bad query strings
answered with a message and the defaults, and a constant query count at one row and at many.

The clock is frozen at 21 May 2025, 10:00 in Tehran. The helpers at the top are shared with the
export and panel tests."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics.metrics.rfm import RFM_SEGMENTS
from analytics.models import AnalyticsSettings, CustomerValue, ProductPair, ReportSnapshot
from analytics.selectors.reports.rfm import SEGMENT_DESCRIPTIONS, SEGMENT_LABELS
from customers.models import CustomerGroup, CustomerStats
from sales.models import Opportunity
from tests.factories import CustomerFactory
from tests.sales.factories import OpportunityFactory, ProductFactory

pytestmark = pytest.mark.django_db

TEHRAN = ZoneInfo("Asia/Tehran")
NOW = datetime.datetime(2025, 5, 21, 10, 0, tzinfo=TEHRAN)
D = Decimal


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


# --- helpers (also used by test_report_exports and test_value_panel) ---------------------------


def valued(owner, *, name: str = "", clv: str = "0", predicted: str | None = None, **fields) -> CustomerValue:
    """A customer of ``owner`` (filed under the owner's team) with a value row and a figures row.
    Value fields go to CustomerValue; ``stats`` (a dict) to CustomerStats."""
    stats = fields.pop("stats", {})
    groups = fields.pop("groups", [])
    customer = CustomerFactory(owner=owner, team=owner.team if owner else None, **({"name": name} if name else {}))
    if groups:
        customer.groups.add(*groups)
    value = CustomerValue.objects.create(
        customer=customer,
        clv_historic=D(clv),
        clv_predicted=D(predicted) if predicted is not None else None,
        computed_at=NOW,
        **{key: D(item) if isinstance(item, str) else item for key, item in fields.items()},
    )
    CustomerStats.objects.create(
        customer=customer,
        clv_historic=D(clv),
        clv_predicted=D(predicted) if predicted is not None else None,
        computed_at=NOW,
        **stats,
    )
    return value


def snapshot(kind: str, variant: str = "", **data) -> ReportSnapshot:
    return ReportSnapshot.objects.create(kind=kind, variant=variant, data=data, computed_at=NOW)


MODEL = {
    "customers": 1200,
    "repeat_customers": 480,
    "horizon_months": 12,
    "bgnbd": {"r": 0.2426, "alpha": 4.4136, "a": 0.7929, "b": 2.4259, "log_likelihood": -9582.43},
    "gamma_gamma": {"p": 6.2502, "q": 3.7444, "gamma": 15.4472, "log_likelihood": -4001.8},
}


def pages() -> list[str]:
    return [
        reverse("analytics:value"),
        reverse("analytics:pareto"),
        reverse("analytics:rfm"),
        reverse("analytics:rfm_segment", args=["champions"]),
        reverse("analytics:churn"),
        reverse("analytics:forecast"),
        reverse("analytics:basket"),
    ]


def rows_of(response) -> list:
    return list(response.context["page_obj"].object_list)


# --- access --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("manager", 200), ("rep", 200), ("marketer", 200), ("agent", 403), ("contractor", 403)],
)
def test_every_report_page_admits_the_analytics_roles(persona, status, personas, client_for):
    client = client_for(personas[persona])
    for url in pages():
        assert client.get(url).status_code == status, url


def test_anonymous_visitors_are_sent_to_log_in(client):
    for url in pages():
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_before_the_first_computation_every_page_says_so(admin, client_for):
    client = client_for(admin)
    for url in [reverse("analytics:pareto"), reverse("analytics:rfm"), reverse("analytics:forecast")]:
        assert b"Not computed yet" in client.get(url).content, url


# --- lifetime value -------------------------------------------------------------------------------


@pytest.fixture
def book(rep, rep2, outsider_rep):
    """Four valued customers: two of the rep, one of the rep's teammate, one of another team."""
    return {
        "rep_big": valued(
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
            stats={"pareto_class": "A", "rfm_segment": "champions", "p_alive": 0.9, "churn_risk": 0.1},
        ),
        "rep_small": valued(
            rep,
            name="Bahar",
            clv="100.00",
            predicted="700.00",
            stats={"pareto_class": "B", "rfm_segment": "at_risk", "p_alive": 0.4, "churn_risk": 0.6},
        ),
        "teammate": valued(rep2, name="Cyrus", clv="500.00", predicted=None, stats={"pareto_class": "C"}),
        "outsider": valued(outsider_rep, name="Dara", clv="5000.00", predicted="5000.00"),
    }


def names(response) -> list[str]:
    return [row.customer.name for row in rows_of(response)]


def test_value_list_ranks_by_historic_value_within_the_users_scope(book, personas, client_for):
    url = reverse("analytics:value")
    assert names(client_for(personas["admin"]).get(url)) == ["Dara", "Arman", "Cyrus", "Bahar"]
    assert names(client_for(personas["manager"]).get(url)) == ["Arman", "Cyrus", "Bahar"]
    assert names(client_for(personas["rep"]).get(url)) == ["Arman", "Bahar"]
    assert names(client_for(personas["outsider_rep"]).get(url)) == ["Dara"]


def test_value_list_switches_to_predicted_value_with_the_unpredicted_last(book, manager, client_for):
    response = client_for(manager).get(reverse("analytics:value"), {"rank": "predicted"})
    assert names(response) == ["Bahar", "Arman", "Cyrus"]
    assert response.context["rank"] == "predicted"


def test_value_list_shows_the_components_and_totals(book, rep, client_for):
    response = client_for(rep).get(reverse("analytics:value"))
    first = rows_of(response)[0]
    # Gross margin and costs discounted: 1800 - 100 - 600 and 50 + 150; their difference is the value.
    assert first.gross_margin_pv == D("1100.00") and first.costs_pv == D("200.00")
    totals = response.context["totals"]
    assert (totals.customers, totals.clv_historic, totals.clv_predicted) == (2, D("1000.00"), D("800.00"))
    assert totals.average_historic == D("500.00")
    content = response.content.decode()
    assert 'data-testid="clv-historic"><span dir="ltr">900<' in content
    assert 'data-testid="revenue">2,000<' in content
    assert "90%" in content and "10%" in content  # still active and churn risk of Arman


def test_value_list_without_predictions_shows_no_predicted_total(book, rep, client_for):
    CustomerValue.objects.update(clv_predicted=None)
    response = client_for(rep).get(reverse("analytics:value"))
    totals = response.context["totals"]
    assert totals.clv_predicted is None and totals.average_predicted is None
    kpi = response.content.decode().split('data-testid="kpi-predicted"')[1][:400]
    assert "—" in kpi and ">0<" not in kpi


def test_value_filters_by_group_with_sub_groups_class_segment_and_owner(book, rep, rep2, manager, client_for):
    wholesale = CustomerGroup.objects.create(name="Wholesale", path="pending/")
    wholesale.path = f"{wholesale.pk}/"
    wholesale.save()
    tehran = CustomerGroup.objects.create(name="Tehran", parent=wholesale, path=f"{wholesale.pk}/x/", depth=1)
    tehran.path = f"{wholesale.pk}/{tehran.pk}/"
    tehran.save()
    book["rep_small"].customer.groups.add(tehran)
    client = client_for(manager)
    url = reverse("analytics:value")
    assert names(client.get(url, {"group": wholesale.pk})) == ["Bahar"]
    assert names(client.get(url, {"pareto_class": "A"})) == ["Arman"]
    assert names(client.get(url, {"rfm_segment": "at_risk"})) == ["Bahar"]
    assert names(client.get(url, {"owner": rep2.pk})) == ["Cyrus"]


def test_value_page_bad_query_strings_get_a_message_and_the_defaults(book, manager, client_for):
    response = client_for(manager).get(
        reverse("analytics:value"), {"rank": "best", "group": "abc", "pareto_class": "Z", "page": "x"}
    )
    assert response.status_code == 200
    assert names(response) == ["Arman", "Cyrus", "Bahar"]  # historic ranking, no filter
    assert b"Some filters are not valid" in response.content
    assert response.context["rank"] == "historic"


def test_value_page_explains_the_computation_with_the_settings_and_the_model(book, admin, client_for):
    settings = AnalyticsSettings.load()
    settings.annual_discount_rate = D("15.5")
    settings.cost_per_order = D("25000")
    settings.horizon_months = 6
    settings.save()
    snapshot("model", **MODEL)
    content = client_for(admin).get(reverse("analytics:value")).content.decode()
    assert "15.5% a year" in content
    assert "less 25,000 for handling each order" in content
    assert "over the next 6 months" in content
    assert "0.2426" in content and "4.4136" in content and "15.4472" in content
    assert "on 1,200 customers with a purchase, 480 of whom" in content
    assert 'data-testid="model-warning"' not in content


def test_value_page_warns_when_the_model_did_not_settle(book, admin, client_for):
    snapshot("model", **{**MODEL, "bgnbd": {**MODEL["bgnbd"], "converged": False}})
    content = client_for(admin).get(reverse("analytics:value")).content.decode()
    assert 'data-testid="model-warning"' in content and "did not settle on a best fit" in content


def _query_count_is_constant(client, url, add_rows, params=None) -> None:
    client.get(url, params or {})  # warm: session, settings row
    with CaptureQueriesContext(connection) as one:
        response = client.get(url, params or {})
    assert response.status_code == 200
    add_rows()
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, params or {})
    assert len(many) == len(one), [query["sql"] for query in many.captured_queries]
    return response


def test_value_page_query_count_is_constant(rep, manager, client_for):
    snapshot("model", **MODEL)
    valued(rep, clv="10", stats={"pareto_class": "A"})
    response = _query_count_is_constant(
        client_for(manager),
        reverse("analytics:value"),
        lambda: [valued(rep, clv=str(n), stats={"pareto_class": "A"}) for n in range(30)],
        {"pareto_class": "A"},
    )
    assert response.context["page_obj"].paginator.count == 31
    assert len(rows_of(response)) == 25


# --- Pareto ----------------------------------------------------------------------------------------


def pareto_book(owner, profits: list[str], revenues: list[str] | None = None) -> list[CustomerValue]:
    revenues = revenues or profits
    return [
        valued(owner, name=f"P{index}", period_profit=profit, period_revenue=revenue, revenue=revenue)
        for index, (profit, revenue) in enumerate(zip(profits, revenues, strict=True))
    ]


def test_pareto_for_a_manager_is_computed_live_over_the_teams_customers(rep, rep2, outsider_rep, manager, client_for):
    # Profits 100, 50, 30, 10, 10 (total 200) in the team; an outsider's 1000 is not counted, nor
    # a team customer who bought nothing in the period.
    pareto_book(rep, ["100", "50", "30"])
    pareto_book(rep2, ["10", "10", "0"])
    pareto_book(outsider_rep, ["1000"])
    response = client_for(manager).get(reverse("analytics:pareto"))
    report = response.context["report"]
    assert report.live and report.customers == 5 and report.total == D("200.00")
    assert report.top20_share == pytest.approx(0.5)  # the first 1 of 5 customers: 100 / 200
    assert report.share_for_80 == pytest.approx(0.6)  # 100 + 50 + 30 = 180 crosses 160
    # Gini by hand: ascending 10, 10, 30, 50, 100; 2 * (10 + 20 + 90 + 200 + 500) / (5 * 200) - 6/5.
    assert report.gini == pytest.approx(0.44)
    classes = {row.code: (row.customers, row.value) for row in report.classes}
    assert classes == {"A": (3, D("180.00")), "B": (2, D("20.00")), "C": (0, D("0.00"))}
    assert [row.customer.name for row in rows_of(response)] == ["P0", "P1", "P2"]
    assert [row.share for row in rows_of(response)] == [0.5, 0.25, 0.15]
    assert b"cover your team&#x27;s customers" in response.content


def test_pareto_measure_and_period_switch(rep, client_for):
    # Profit favours P0, revenue P1; the whole history (revenue - returns - cost of goods) P2.
    values = pareto_book(rep, ["90", "10", "0"], ["100", "300", "0"])
    CustomerValue.objects.filter(pk=values[2].pk).update(revenue=D("5000"), returns=D("500"), cost_of_goods=D("500"))
    client = client_for(rep)
    url = reverse("analytics:pareto")
    assert rows_of(client.get(url))[0].customer.name == "P0"
    assert rows_of(client.get(url, {"measure": "revenue"}))[0].customer.name == "P1"
    whole = client.get(url, {"measure": "profit", "period": "all"})
    assert whole.context["report"].months == 0
    assert rows_of(whole)[0].customer.name == "P2" and rows_of(whole)[0].measure == D("4000.00")
    assert whole.context["measure_label"] == "Profit, whole history"


def test_pareto_bad_switches_get_a_message_and_the_settings_defaults(rep, client_for):
    pareto_book(rep, ["90", "10"])
    response = client_for(rep).get(reverse("analytics:pareto"), {"measure": "margin", "period": "forever"})
    assert response.status_code == 200
    assert response.context["options"] == {"measure": "profit", "period": "recent"}
    assert b"Some choices are not valid" in response.content


def lorenz() -> dict:
    return {"x": [0.0, 0.5, 1.0], "y": [0.0, 0.2, 1.0]}


def test_pareto_for_an_admin_reads_the_snapshot_and_lists_class_a(rep, outsider_rep, admin, client_for):
    values = pareto_book(rep, ["500", "300", "200"]) + pareto_book(outsider_rep, ["300"])
    snapshot(
        "pareto",
        "profit:12",
        customers=4,
        total="1300.00",
        top20_share=0.385,
        share_for_80=0.75,
        gini=0.2,
        lorenz=lorenz(),
        classes={
            "A": {"customers": 3, "value": "1100.00"},
            "B": {"customers": 1, "value": "200.00"},
            "C": {"customers": 0, "value": "0.00"},
        },
        first_day="2024-05-22",
        last_day="2025-05-21",
    )
    response = client_for(admin).get(reverse("analytics:pareto"))
    report = response.context["report"]
    assert not report.live and report.total == D("1300.00") and report.gini == 0.2
    assert report.threshold == D("300.00")
    # The two customers with 300 tie for third place: both are class A.
    assert sorted(row.customer_id for row in rows_of(response)) == sorted(
        v.customer_id for v in values[:2] + values[3:]
    )
    content = response.content.decode()
    assert "38.5%" in content and "75.0%" in content and "0.200" in content
    assert "Profit, last 12 months: " in content
    assert 'id="pareto-chart-data"' in content


def test_pareto_snapshot_with_the_class_a_minimum_needs_no_ranking_query(rep, admin, client_for):
    pareto_book(rep, ["500", "300", "200"])
    classes = {"A": {"customers": 2, "value": "800.00", "min": "300.00"}, "B": {}, "C": {}}
    snapshot(
        "pareto", "profit:12", customers=3, total="1000.00", lorenz=lorenz(), classes=classes, last_day="2025-05-21"
    )
    client = client_for(admin)
    client.get(reverse("analytics:pareto"))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("analytics:pareto"))
    assert response.context["report"].threshold == D("300.00")
    assert [row.measure for row in rows_of(response)] == [D("500.00"), D("300.00")]
    assert not any("OFFSET" in query["sql"] for query in captured.captured_queries)


def test_pareto_key_customers_filter_by_group(rep, client_for):
    values = pareto_book(rep, ["90", "10"])
    group = CustomerGroup.objects.create(name="VIP", path="pending/")
    group.path = f"{group.pk}/"
    group.save()
    values[1].customer.groups.add(group)
    response = client_for(rep).get(reverse("analytics:pareto"), {"group": group.pk})
    assert rows_of(response) == []  # the VIP customer is class B
    response = client_for(rep).get(reverse("analytics:pareto"), {"group": "nope"})
    assert [row.customer.name for row in rows_of(response)] == ["P0"]
    assert b"Some filters are not valid" in response.content


def test_pareto_query_count_is_constant(rep, manager, client_for):
    pareto_book(rep, ["90", "10"])
    _query_count_is_constant(
        client_for(manager),
        reverse("analytics:pareto"),
        lambda: pareto_book(rep, [str(100 + n) for n in range(30)]),
    )


# --- RFM ---------------------------------------------------------------------------------------


def test_every_rfm_segment_code_has_a_translatable_label_and_description():
    codes = [code for code, _label, _description in RFM_SEGMENTS]
    assert set(SEGMENT_LABELS) == set(codes) == set(SEGMENT_DESCRIPTIONS)
    for code, label, description in RFM_SEGMENTS:
        assert str(SEGMENT_LABELS[code]) == label and str(SEGMENT_DESCRIPTIONS[code]) == description


def rfm_customer(owner, r: int, f: int, segment: str, monetary: str, recency: int = 10, frequency: int = 3):
    return valued(
        owner,
        stats={
            "rfm_recency": r,
            "rfm_frequency": f,
            "rfm_monetary": 3,
            "rfm_segment": segment,
            "monetary": D(monetary),
            "recency_days": recency,
            "frequency": frequency,
        },
    )


def test_rfm_for_an_admin_reads_the_snapshot(admin, client_for):
    cells = [{"r": r, "f": f, "customers": 0, "monetary": "0.00"} for r in range(1, 6) for f in range(1, 6)]
    cells[24] = {"r": 5, "f": 5, "customers": 8, "monetary": "8000.00"}
    cells[0] = {"r": 1, "f": 1, "customers": 2, "monetary": "100.50"}
    segments = [
        {"code": "champions", "customers": 8, "monetary": "8000.00", "recency_days": 4.5, "frequency": 9.0},
        {"code": "lost", "customers": 2, "monetary": "100.50", "recency_days": 400.0, "frequency": 1.0},
    ]
    snapshot("rfm", cells=cells, segments=segments)
    response = client_for(admin).get(reverse("analytics:rfm"))
    report = response.context["report"]
    top_right = report.rows[0][4]
    assert (top_right.r, top_right.f, top_right.customers, top_right.value, top_right.intensity) == (
        5,
        5,
        8,
        D("8000.00"),
        1.0,
    )
    assert report.rows[4][0].customers == 2 and report.rows[4][0].intensity == 0.25
    by_code = {row.code: row for row in report.segments}
    assert len(report.segments) == len(RFM_SEGMENTS)
    assert by_code["champions"].customer_share == pytest.approx(0.8)
    assert by_code["lost"].value == D("100.50") and by_code["loyal"].customers == 0
    content = response.content.decode()
    assert reverse("analytics:rfm_segment", args=["champions"]) in content
    assert "Can&#x27;t lose them" in content


def test_rfm_for_a_rep_is_grouped_live_over_their_customers(rep, outsider_rep, client_for):
    rfm_customer(rep, 5, 4, "champions", "300", recency=2, frequency=6)
    rfm_customer(rep, 5, 4, "champions", "100", recency=4, frequency=8)
    rfm_customer(rep, 1, 1, "lost", "20")
    rfm_customer(outsider_rep, 5, 4, "champions", "9999")
    report = client_for(rep).get(reverse("analytics:rfm")).context["report"]
    assert report.live and report.customers == 3 and report.value == D("420.00")
    cell = report.rows[0][3]  # R 5, F 4
    assert (cell.r, cell.f, cell.customers, cell.value) == (5, 4, 2, D("400.00"))
    champions = next(row for row in report.segments if row.code == "champions")
    assert (champions.customers, champions.recency_days, champions.frequency) == (2, 3.0, 7.0)


def test_rfm_segment_lists_its_customers_in_scope_and_refuses_unknown_codes(rep, rep2, outsider_rep, client_for):
    rfm_customer(rep, 5, 5, "champions", "300")
    rfm_customer(rep2, 5, 5, "champions", "500")
    rfm_customer(outsider_rep, 5, 5, "champions", "900")
    rfm_customer(rep, 1, 1, "lost", "5")
    client = client_for(rep)
    response = client.get(reverse("analytics:rfm_segment", args=["champions"]))
    assert [row.monetary for row in rows_of(response)] == [D("300.00")]
    assert client.get(reverse("analytics:rfm_segment", args=["nobody"])).status_code == 404


def test_rfm_segment_query_count_is_constant(rep, manager, client_for):
    rfm_customer(rep, 5, 5, "champions", "300")
    _query_count_is_constant(
        client_for(manager),
        reverse("analytics:rfm_segment", args=["champions"]),
        lambda: [rfm_customer(rep, 5, 5, "champions", str(n)) for n in range(30)],
    )


# --- churn -------------------------------------------------------------------------------------------


def lost_snapshot(key: str = "last_90_days", total: int = 7) -> ReportSnapshot:
    return snapshot(
        "churn_lost",
        key,
        total=total,
        by_reason=[
            {"reason": "no_purchase", "label": "No purchase for 180 days", "customers": 4},
            {"reason": "marked_lost", "label": "Marked as lost", "customers": 1},
            {"reason": "deal_lost", "loss_reason_id": 3, "label": "Deal lost: Price", "customers": 2},
            {"reason": "complaint", "label": "Complained", "customers": 1},
            {"reason": "low_csat", "label": "Low satisfaction (2 of 5 or less)", "customers": 0},
        ],
        by_group=[
            {"group_id": 5, "name": "Wholesale", "customers": 3},
            {"group_id": None, "name": "x", "customers": 4},
        ],
    )


def test_churn_shows_the_customers_lost_in_the_period_by_reason_and_group(admin, client_for):
    settings = AnalyticsSettings.load()
    settings.inactive_days = 120
    settings.save()
    lost_snapshot("last_90_days", total=7)
    lost_snapshot("this_year", total=30)
    client = client_for(admin)
    lost = client.get(reverse("analytics:churn")).context["lost"]
    assert lost.total == 7
    assert lost.period.first_day == datetime.date(2025, 2, 21) and lost.period.last_day == datetime.date(2025, 5, 21)
    assert [(row.label, row.customers) for row in lost.by_reason] == [
        ("No purchase for 120 days", 4),
        ("Deal lost: Price", 2),
        ("Complained", 1),
        ("Marked as lost", 1),
        ("Low satisfaction (2 of 5 or less)", 0),
    ]
    assert [(row.label, row.customers) for row in lost.by_group] == [("No group", 4), ("Wholesale", 3)]
    assert client.get(reverse("analytics:churn"), {"period": "this_year"}).context["lost"].total == 30
    bad = client.get(reverse("analytics:churn"), {"period": "forever"})
    assert bad.context["lost"].total == 7 and b"Some choices are not valid" in bad.content


def at_risk(owner, value: str, risk: float, **fields) -> CustomerValue:
    return valued(owner, clv=value, stats={"value_at_risk": D(value) * D(str(risk)), "churn_risk": risk}, **fields)


def test_who_to_call_ranks_the_users_customers_by_value_at_risk(rep, rep2, manager, client_for):
    low = at_risk(rep, "1000", 0.1, last_purchase_on=datetime.date(2025, 1, 5))
    high = at_risk(rep, "800", 0.5)
    mate = at_risk(rep2, "300", 0.9)
    at_risk(rep, "500", 0)  # nothing at risk: not listed
    rep_rows = rows_of(client_for(rep).get(reverse("analytics:churn")))
    assert [row.customer_id for row in rep_rows] == [high.customer_id, low.customer_id]
    assert rep_rows[0].value_at_risk == D("400.00")
    manager_rows = rows_of(client_for(manager).get(reverse("analytics:churn")))
    assert [row.customer_id for row in manager_rows] == [high.customer_id, mate.customer_id, low.customer_id]
    content = client_for(rep).get(reverse("analytics:churn")).content.decode()
    assert "2025-01-05" in content or "01/05/2025" in content


def test_churn_query_count_is_constant(rep, manager, client_for):
    lost_snapshot()
    at_risk(rep, "100", 0.5)
    _query_count_is_constant(
        client_for(manager),
        reverse("analytics:churn"),
        lambda: [at_risk(rep, str(100 + n), 0.5) for n in range(30)],
    )


# --- forecast ------------------------------------------------------------------------------------------


def forecast_snapshot() -> ReportSnapshot:
    return snapshot(
        "forecast",
        history={
            "months": ["2025-01", "2025-02", "2025-03", "2025-04"],
            "revenue": ["100.00", "200.00", "300.00", "400.00"],
        },
        forecast={"months": ["2025-05", "2025-06"], "revenue": ["500.00", "600.00"]},
        backtest={
            "months": ["2025-03", "2025-04"],
            "actual": ["300.00", "400.00"],
            "predicted": ["270.00", "500.00"],
            "mape": 0.125,
        },
        method="Holt-Winters (additive)",
    )


def deal(owner, amount: str, probability: int, close: datetime.date | None, **fields) -> Opportunity:
    return OpportunityFactory(
        owner=owner, amount=D(amount), probability=probability, expected_close_date=close, **fields
    )


def test_forecast_adds_the_weighted_pipeline_to_the_repeat_revenue_forecast(rep, outsider_rep, admin, client_for):
    forecast_snapshot()
    deal(rep, "1000", 50, datetime.date(2025, 5, 30))
    deal(outsider_rep, "200", 25, datetime.date(2025, 6, 2))
    deal(rep, "400", 10, datetime.date(2025, 9, 1))
    deal(rep, "999", 90, datetime.date(2025, 5, 1), status=Opportunity.Status.WON)  # closed: not pipeline
    report = client_for(admin).get(reverse("analytics:forecast")).context["report"]
    assert [(row.month.month, row.predicted, row.pipeline, row.expected) for row in report.ahead] == [
        (5, D("500.00"), D("500.00"), D("1000.00")),
        (6, D("600.00"), D("50.00"), D("650.00")),
    ]
    assert [(row.month.month, row.weighted) for row in report.pipeline_later] == [(9, D("40.00"))]
    assert report.pipeline_weighted == D("590.00") and report.forecast_total == D("1100.00")
    assert report.mape == 0.125
    assert [(row.month.month, row.error) for row in report.backtest] == [(3, 0.1), (4, 0.25)]
    assert report.chart["backtest"]["values"] == [None, None, "270.00", "500.00", None, None]


def test_forecast_pipeline_of_a_rep_is_their_own_and_not_added_to_the_company_series(rep, outsider_rep, client_for):
    forecast_snapshot()
    deal(rep, "1000", 50, datetime.date(2025, 5, 30))
    deal(outsider_rep, "200", 25, datetime.date(2025, 5, 2))
    response = client_for(rep).get(reverse("analytics:forecast"))
    report = response.context["report"]
    assert report.ahead[0].pipeline == D("500.00") and not report.adds_up
    assert b"Expected revenue" not in response.content
    assert b"covers the whole company" in response.content
    assert b'data-testid="mape">12.5%' in response.content


# --- basket --------------------------------------------------------------------------------------------


@pytest.fixture
def pairs():
    tea, cups, sugar = (ProductFactory(name=name) for name in ("Tea", "Cups", "Sugar"))
    return [
        ProductPair.objects.create(product=tea, other=cups, orders=30, support=0.03, confidence=0.6, lift=2.5),
        ProductPair.objects.create(product=tea, other=sugar, orders=80, support=0.08, confidence=0.8, lift=1.2),
        ProductPair.objects.create(product=cups, other=tea, orders=30, support=0.03, confidence=0.3, lift=2.5),
    ]


def pair_names(response) -> list[tuple[str, str]]:
    return [(pair.product.name, pair.other.name) for pair in rows_of(response)]


def test_basket_sorts_by_each_measure_and_filters(pairs, marketer, client_for):
    client = client_for(marketer)
    url = reverse("analytics:basket")
    assert pair_names(client.get(url)) == [("Tea", "Cups"), ("Cups", "Tea"), ("Tea", "Sugar")]
    assert pair_names(client.get(url, {"sort": "confidence"}))[0] == ("Tea", "Sugar")
    assert pair_names(client.get(url, {"sort": "support"}))[0] == ("Tea", "Sugar")
    assert pair_names(client.get(url, {"product": "tea"})) == [("Tea", "Cups"), ("Tea", "Sugar")]
    assert pair_names(client.get(url, {"min_support": "5"})) == [("Tea", "Sugar")]
    bad = client.get(url, {"min_support": "lots", "sort": "price"})
    assert bad.status_code == 200 and len(rows_of(bad)) == 3 and b"Some filters are not valid" in bad.content
    content = client.get(url).content.decode()
    assert "the share of all orders that hold both products" in content
    # A pair seen in fewer than three orders is left out unless the minimum is lowered.
    once = ProductPair.objects.create(
        product=pairs[0].product, other=ProductFactory(name="Kettle"), orders=1, support=0.001, confidence=1, lift=900
    )
    assert once not in rows_of(client.get(url))
    assert rows_of(client.get(url, {"min_orders": "1"}))[0] == once
    assert 'data-testid="lift">2.50<' in content


def test_basket_query_count_is_constant(pairs, marketer, client_for):
    def more():
        for n in range(30):
            ProductPair.objects.create(
                product=ProductFactory(), other=ProductFactory(), orders=n + 1, support=0.01, confidence=0.1, lift=1.0
            )

    _query_count_is_constant(client_for(marketer), reverse("analytics:basket"), more)


# --- the bench's pages ---------------------------------------------------------------------------------


def test_every_bench_report_page_answers(personas, rep, client_for):
    from analytics.bench_reports import REPORT_PAGES
    from crm_site.bench import BenchContext

    valued(rep, clv="100", stats={"rfm_segment": "at_risk"})
    context = BenchContext(customers=1, seed=1)
    for page in REPORT_PAGES:
        url = page.url(context) if callable(page.url) else page.url
        assert client_for(personas[page.username]).get(url).status_code == page.expected_status, page.name
