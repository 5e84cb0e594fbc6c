"""Excel exports of the report pages: the same rows and figures as the page (filters included,
every page of a list), written with ``crm_site.xlsx.XlsxWriter``.

List exports read their rows in batches with ``values_list(...).iterator()``: no model instance
per row and flat memory. Shares and probabilities are written as percentages with one decimal,
as the pages show them; money keeps its two decimal places.
"""

from collections.abc import Iterable, Sequence
from typing import IO

from django.db.models import QuerySet
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext as _

from analytics.selectors.reports.churn import LostReport
from analytics.selectors.reports.forecast import ForecastReport
from analytics.selectors.reports.pareto import ParetoReport
from analytics.selectors.reports.rfm import RfmReport, segment_label
from analytics.selectors.reports.value import RANK_HISTORIC
from crm_site.xlsx import XlsxWriter

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Rows written within the request; a longer list asks the user to narrow the filters.
EXPORT_MAX_ROWS = 100_000
BATCH = 2000
_OWNER = ("customer__owner__first_name", "customer__owner__last_name", "customer__owner__username")


def percent(value: float | None, places: int = 1) -> float | None:
    """A fraction as the percentage the page shows (one decimal unless told)."""
    return None if value is None else round(float(value) * 100, places)


def person(first: str | None, last: str | None, username: str | None) -> str:
    """A user's name as ``User.__str__`` gives it, from values read with the row."""
    return f"{first or ''} {last or ''}".strip() or (username or "")


def _writer(target: IO[bytes], sheet: str, columns: Sequence[tuple[str, float]]) -> XlsxWriter:
    return XlsxWriter(
        target,
        sheet_name=sheet,
        headers=[header for header, _width in columns],
        widths=[width for _header, width in columns],
        right_to_left=get_language_bidi(),
    )


def too_many(rows: QuerySet) -> bool:
    return rows.order_by()[: EXPORT_MAX_ROWS + 1].count() > EXPORT_MAX_ROWS


# --- lifetime value ---------------------------------------------------------------------------


def value_export_write(*, rows: QuerySet, rank: str, target: IO[bytes]) -> int:
    """The ranked list with every component of the value, nominal and discounted."""
    columns = [
        (_("Rank"), 6),
        (_("Code"), 11),
        (_("Customer"), 28),
        (_("Owner"), 18),
        (_("First purchase"), 12),
        (_("Last purchase"), 12),
        (_("Orders"), 8),
        (_("Revenue"), 15),
        (_("Returns"), 13),
        (_("Cost of goods"), 15),
        (_("Acquisition"), 13),
        (_("Order handling"), 13),
        (_("Sales activities"), 13),
        (_("Campaign messages"), 13),
        (_("Service"), 13),
        (_("Revenue (discounted)"), 15),
        (_("Gross margin (discounted)"), 15),
        (_("Costs (discounted)"), 15),
        (_("Historic lifetime value"), 16),
        (_("Expected purchases"), 10),
        (_("Probability still active (%)"), 10),
        (_("Predicted lifetime value"), 16),
        (_("Churn risk (%)"), 9),
        (_("Pareto class"), 8),
        (_("RFM segment"), 18),
    ]
    values = rows.values_list(
        "customer__code",
        "customer__name",
        *_OWNER,
        "first_purchase_on",
        "last_purchase_on",
        "orders",
        "revenue",
        "returns",
        "cost_of_goods",
        "acquisition_cost",
        "order_costs",
        "activity_costs",
        "message_costs",
        "service_costs",
        "revenue_pv",
        "returns_pv",
        "cost_of_goods_pv",
        "order_costs_pv",
        "activity_costs_pv",
        "message_costs_pv",
        "service_costs_pv",
        "clv_historic",
        "expected_purchases",
        "customer__stats__p_alive",
        "clv_predicted",
        "customer__stats__churn_risk",
        "customer__stats__pareto_class",
        "customer__stats__rfm_segment",
    )
    sheet = _("Predicted lifetime value") if rank != RANK_HISTORIC else _("Lifetime value")
    with _writer(target, sheet, columns) as writer:
        for index, row in enumerate(values.iterator(BATCH), start=1):
            (code, name, first, last, username, first_on, last_on, orders, revenue, returns, cogs, acquisition,
             order_costs, activity_costs, message_costs, service_costs, revenue_pv, returns_pv, cogs_pv,
             order_pv, activity_pv, message_pv, service_pv, clv, expected, p_alive, predicted, risk,
             pareto_class, segment) = row  # fmt: skip
            margin_pv = revenue_pv - returns_pv - cogs_pv
            costs_pv = acquisition + order_pv + activity_pv + message_pv + service_pv
            writer.write_row(
                [
                    index,
                    code,
                    name,
                    person(first, last, username),
                    first_on,
                    last_on,
                    orders,
                    revenue,
                    returns,
                    cogs,
                    acquisition,
                    order_costs,
                    activity_costs,
                    message_costs,
                    service_costs,
                    revenue_pv,
                    margin_pv,
                    costs_pv,
                    clv,
                    None if expected is None else round(expected, 2),
                    percent(p_alive),
                    predicted,
                    percent(risk),
                    pareto_class,
                    segment_label(segment),
                ]
            )
        return writer.rows - 1


# --- Pareto -------------------------------------------------------------------------------------


def key_customers_export_write(*, rows: QuerySet, report: ParetoReport, measure_label: str, target: IO[bytes]) -> int:
    columns = [
        (_("Rank"), 6),
        (_("Code"), 11),
        (_("Customer"), 28),
        (_("Owner"), 18),
        (measure_label, 16),
        (_("Share of the total (%)"), 10),
        (_("Historic lifetime value"), 16),
        (_("RFM segment"), 18),
    ]
    values = rows.values_list(
        "customer__code", "customer__name", *_OWNER, "measure", "clv_historic", "customer__stats__rfm_segment"
    )
    with _writer(target, _("Key customers"), columns) as writer:
        for index, (code, name, first, last, username, measure, clv, segment) in enumerate(
            values.iterator(BATCH), start=1
        ):
            share = measure / report.total if report.total else None
            writer.write_row(
                [
                    index,
                    code,
                    name,
                    person(first, last, username),
                    measure,
                    percent(share, 2),
                    clv,
                    segment_label(segment),
                ]
            )
        return writer.rows - 1


# --- RFM -----------------------------------------------------------------------------------------


def rfm_export_write(*, report: RfmReport, target: IO[bytes]) -> int:
    """The segment table, then the grid's cells (recency × frequency) below it."""
    columns = [
        (_("Segment"), 22),
        (_("Customers"), 11),
        (_("Share of customers (%)"), 11),
        (_("Total spent"), 16),
        (_("Share of the value (%)"), 11),
        (_("Average days since last purchase"), 12),
        (_("Average purchases"), 11),
    ]
    with _writer(target, _("RFM"), columns) as writer:
        for row in report.segments:
            writer.write_row(
                [
                    row.label,
                    row.customers,
                    percent(row.customer_share),
                    row.value,
                    percent(row.value_share),
                    None if row.recency_days is None else round(row.recency_days, 1),
                    None if row.frequency is None else round(row.frequency, 2),
                ]
            )
        writer.write_row([])
        writer.write_row([_("Recency score"), _("Frequency score"), _("Customers"), _("Total spent")], style=1)
        for cells in report.rows:
            for cell in cells:
                writer.write_row([cell.r, cell.f, cell.customers, cell.value])
        return len(report.segments)


def segment_customers_export_write(*, rows: QuerySet, target: IO[bytes], sheet: str) -> int:
    columns = [
        (_("Code"), 11),
        (_("Customer"), 28),
        (_("Owner"), 18),
        (_("Recency score"), 8),
        (_("Frequency score"), 8),
        (_("Monetary score"), 8),
        (_("Days since last purchase"), 10),
        (_("Purchases"), 9),
        (_("Total spent"), 16),
        (_("Historic lifetime value"), 16),
        (_("Churn risk (%)"), 9),
    ]
    values = rows.values_list(
        "customer__code",
        "customer__name",
        *_OWNER,
        "rfm_recency",
        "rfm_frequency",
        "rfm_monetary",
        "recency_days",
        "frequency",
        "monetary",
        "clv_historic",
        "churn_risk",
    )
    with _writer(target, sheet, columns) as writer:
        for code, name, first, last, username, r, f, m, recency, frequency, monetary, clv, risk in values.iterator(
            BATCH
        ):
            writer.write_row(
                [code, name, person(first, last, username), r, f, m, recency, frequency, monetary, clv, percent(risk)]
            )
        return writer.rows - 1


# --- churn ---------------------------------------------------------------------------------------


def call_list_export_write(*, rows: QuerySet, target: IO[bytes]) -> int:
    columns = [
        (_("Rank"), 6),
        (_("Code"), 11),
        (_("Customer"), 28),
        (_("Phone"), 16),
        (_("Owner"), 18),
        (_("Last purchase"), 12),
        (_("Days since last purchase"), 10),
        (_("Churn risk (%)"), 9),
        (_("Lifetime value"), 16),
        (_("Value at risk"), 16),
    ]
    values = rows.values_list(
        "customer__code",
        "customer__name",
        "customer__phone",
        *_OWNER,
        "customer__value__last_purchase_on",
        "recency_days",
        "churn_risk",
        "clv_predicted",
        "clv_historic",
        "value_at_risk",
    )
    with _writer(target, _("Who to call"), columns) as writer:
        for index, row in enumerate(values.iterator(BATCH), start=1):
            code, name, phone, first, last, username, last_on, recency, risk, predicted, historic, at_risk = row
            writer.write_row(
                [
                    index,
                    code,
                    name,
                    phone,
                    person(first, last, username),
                    last_on,
                    recency,
                    percent(risk),
                    predicted if predicted is not None else historic,
                    at_risk,
                ]
            )
        return writer.rows - 1


def lost_export_write(*, report: LostReport, target: IO[bytes]) -> int:
    columns = [(_("Breakdown"), 14), (_("Name"), 32), (_("Customers lost"), 12), (_("Share (%)"), 10)]
    with _writer(target, _("Customers lost"), columns) as writer:
        for kind, rows in ((_("Reason"), report.by_reason), (_("Group"), report.by_group)):
            for row in rows:
                writer.write_row([kind, row.label, row.customers, percent(row.share)])
        writer.write_row([_("Total"), report.period.label, report.total, None])
        return writer.rows - 1


# --- forecast -------------------------------------------------------------------------------------


def forecast_export_write(*, report: ForecastReport, target: IO[bytes]) -> int:
    """One row per month: history (with the backtest's predictions over its last months), then
    the months ahead (forecast, weighted pipeline, expected), then the rest of the pipeline."""
    columns = [
        (_("Month"), 16),
        (_("Repeat revenue"), 16),
        (_("Backtest: predicted"), 16),
        (_("Backtest: error (%)"), 10),
        (_("Forecast"), 16),
        (_("Weighted pipeline"), 16),
        (_("Pipeline value"), 16),
        (_("Expected revenue"), 16),
    ]
    backtest = {row.month: row for row in report.backtest}
    with _writer(target, _("Forecast"), columns) as writer:
        for row in report.history:
            tested = backtest.get(row.month)
            writer.write_row(
                [
                    row.label,
                    row.actual,
                    tested.predicted if tested else None,
                    percent(tested.error) if tested else None,
                ]
            )
        for row in report.ahead:
            expected = row.expected if report.adds_up else None
            writer.write_row([row.label, None, None, None, row.predicted, row.pipeline, row.pipeline_total, expected])
        later: Iterable = [*report.pipeline_later, report.pipeline_overdue, report.pipeline_undated]
        for row in later:
            if row is not None:
                writer.write_row([row.label, None, None, None, None, row.weighted, row.total, None])
        if report.mape is not None:
            writer.write_row([_("Backtest: mean absolute percentage error"), None, None, percent(report.mape)])
        return writer.rows - 1


# --- basket ---------------------------------------------------------------------------------------


def basket_export_write(*, rows: QuerySet, target: IO[bytes]) -> int:
    columns = [
        (_("SKU"), 14),
        (_("Product"), 30),
        (_("Bought with: SKU"), 14),
        (_("Bought with"), 30),
        (_("Orders together"), 11),
        (_("Support (%)"), 10),
        (_("Confidence (%)"), 10),
        (_("Lift"), 8),
    ]
    values = rows.values_list(
        "product__sku", "product__name", "other__sku", "other__name", "orders", "support", "confidence", "lift"
    )
    with _writer(target, _("Products bought together"), columns) as writer:
        for sku, name, other_sku, other_name, orders, support, confidence, lift in values.iterator(BATCH):
            writer.write_row(
                [sku, name, other_sku, other_name, orders, percent(support, 2), percent(confidence), round(lift, 2)]
            )
        return writer.rows - 1
