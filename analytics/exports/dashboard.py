"""The managers' dashboard as an Excel file: one row per figure (current, previous, change) with
the monthly figures its chart draws, then the weighted pipeline by expected close month and the
period compared. One sheet: crm_site/xlsx.py writes one."""

from decimal import Decimal
from typing import IO

from django.utils.translation import gettext as _

from analytics.selectors.dashboard import TENTH, Dashboard, Figure, Kind
from crm_site.xlsx import XlsxWriter

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _unit(kind: Kind) -> str:
    return {Kind.MONEY: _("amount"), Kind.COUNT: _("count"), Kind.RATE: "%", Kind.SCORE: _("score 1–5")}[kind]


def figure_value(figure: Figure, value) -> Decimal | int | None:
    """A figure's value as the file holds it: rates in percent with one decimal, as on the page."""
    if value is None:
        return None
    if figure.kind == Kind.RATE:
        return (Decimal(value) * 100).quantize(TENTH)
    return value


def dashboard_export_write(*, dashboard: Dashboard, target: IO[bytes], right_to_left: bool = False) -> None:
    month_headers = [month.strftime("%Y-%m") for month in dashboard.months]
    headers = [
        _("Figure"),
        _("Unit"),
        _("Current period"),
        _("Previous period"),
        _("Change"),
        _("Change in"),
        _("Note"),
        *month_headers,
    ]
    widths = [28, 10, 16, 16, 10, 10, 48, *[12] * len(month_headers)]
    with XlsxWriter(
        target, sheet_name=_("Dashboard"), headers=headers, widths=widths, right_to_left=right_to_left
    ) as sheet:
        for figure in dashboard.figures:
            # Only the charts drawn over the dashboard's months fill the month columns.
            by_month = figure.series[0].values if figure.over_months and figure.series else []
            sheet.write_row(
                [
                    figure.label,
                    _unit(figure.kind),
                    figure_value(figure, figure.current),
                    figure_value(figure, figure.previous) if figure.compared else None,
                    figure.change,
                    figure.change_unit if figure.change is not None else None,
                    figure.note,
                    *[figure_value(figure, value) for value in by_month],
                ]
            )
        sheet.write_row([])
        for row in dashboard.pipeline:
            sheet.write_row(
                [
                    _("Weighted pipeline, %(month)s") % {"month": row.label},
                    _unit(Kind.MONEY),
                    row.weighted,
                    None,
                    None,
                    None,
                    _("%(count)s open, %(total)s in total") % {"count": row.count, "total": row.total},
                ]
            )
        sheet.write_row([])
        sheet.write_row(
            [
                _("Period"),
                None,
                f"{dashboard.current.first_day.isoformat()} – {dashboard.current.last_day.isoformat()}",
                f"{dashboard.previous.first_day.isoformat()} – {dashboard.previous.last_day.isoformat()}",
                None,
                None,
                dashboard.scope_label,
            ]
        )
